//! Secrets never reach logs or describe output: a whole `meridian up --tls` run with a
//! `requirepass`, clients that authenticate (rightly and wrongly) over TLS, writes and reads,
//! an ACL user made with a password (and a failing rule quoting it), then every node log, up's
//! own output and `meridian cluster describe` are searched for the passwords, the cluster
//! secret and the private keys.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::free_port;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const PASSWORD: &str = "resp-password-7f3a9c2e51";
/// An ACL user's password, set with ACL SETUSER (a replicated write) and used to log in.
const USER_PASSWORD: &str = "acl-user-password-90d1e4b7c3";
/// Not a multiple of 7: `free_port` hands out ports 7 apart, so this never lands on one.
const TLS_OFFSET: u16 = 3;

/// A one-cluster deployment with a `requirepass`; returns the file and the nodes' RESP ports.
fn config(dir: &Path) -> (std::path::PathBuf, Vec<u16>) {
    let mut text = format!(
        "data_dir = \"data\"\n[resp]\nrequirepass = \"{PASSWORD}\"\n[[clusters]]\nname = \"solo\"\nregion = \"test-1\"\n"
    );
    let mut resp_ports = Vec::new();
    for id in 1..=3 {
        let resp = free_port();
        resp_ports.push(resp);
        text.push_str(&format!(
            "[[clusters.nodes]]\nid = {id}\ngrpc_port = {}\nresp_port = {resp}\nmetrics_port = {}\ncoord = {}\n",
            free_port(),
            free_port(),
            id == 1
        ));
    }
    let path = dir.join("deployment.toml");
    std::fs::write(&path, text).unwrap();
    (path, resp_ports)
}

fn redis_cli(ca: &Path, port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["--no-auth-warning", "--tls", "--cacert"])
        .arg(ca)
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli (install redis-tools)");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// An ACL user with a password (a replicated write made on one node), a failing rule that
/// quotes the password, then the user logging in on every node.
fn make_acl_user(ca: &Path, ports: &[u16]) {
    let rule = format!(">{USER_PASSWORD}");
    let made = redis_cli(
        ca,
        ports[0] + TLS_OFFSET,
        &[
            "-a", PASSWORD, "ACL", "SETUSER", "app", "on", &rule, "~*", "+@all",
        ],
    );
    assert_eq!(made, "OK");
    // A failing rule echoes the password to the client only (as Redis does).
    let refused = format!("<{USER_PASSWORD}-not-set");
    let failed = redis_cli(
        ca,
        ports[0] + TLS_OFFSET,
        &["-a", PASSWORD, "ACL", "SETUSER", "app", &refused],
    );
    assert!(failed.contains("does not exist"), "{failed}");
    for port in ports {
        let args = ["--user", "app", "--pass", USER_PASSWORD, "PING"];
        meridian_wait::until("the user on every node", Duration::from_secs(30), || {
            redis_cli(ca, port + TLS_OFFSET, &args) == "PONG"
        })
        .unwrap();
    }
}

#[test]
fn no_secret_reaches_logs_or_describe_output() {
    let dir = tempfile::tempdir().unwrap();
    let (config, ports) = config(dir.path());
    let out_file = dir.path().join("up.out");
    let mut up = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(["up", "--tls", "--wait-secs", "60"])
        .args(["--tls-resp-offset", &TLS_OFFSET.to_string(), "--config"])
        .arg(&config)
        .stdout(std::fs::File::create(&out_file).unwrap())
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("up.err")).unwrap(),
        ))
        .spawn()
        .unwrap();
    meridian_wait::until(
        "meridian up --tls to come up",
        Duration::from_secs(120),
        || {
            std::fs::read_to_string(&out_file)
                .unwrap_or_default()
                .contains("Meridian is up")
        },
    )
    .unwrap();
    let data = dir.path().join("data");
    let ca = data.join("certs/ca.pem");
    for port in &ports {
        let tls = port + TLS_OFFSET;
        let wrong = redis_cli(&ca, tls, &["AUTH", "not-the-password"]);
        assert!(wrong.contains("WRONGPASS"), "{wrong}");
        let ok = redis_cli(&ca, tls, &["-a", PASSWORD, "SET", &format!("k{port}"), "v"]);
        assert_eq!(ok, "OK");
    }
    make_acl_user(&ca, &ports);
    let describe = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(["cluster", "describe", "--config"])
        .arg(data.join("up.toml"))
        .output()
        .unwrap();
    assert!(describe.status.success(), "{describe:?}");
    kill(Pid::from_raw(up.id() as i32), Signal::SIGINT).unwrap();
    up.wait().unwrap();

    let secret = std::fs::read_to_string(data.join("cluster-secret")).unwrap();
    let key = std::fs::read_to_string(data.join("certs/node-1-key.pem")).unwrap();
    let key_body = key.lines().nth(1).unwrap().to_string();
    let mut texts = vec![
        (
            "describe",
            String::from_utf8_lossy(&describe.stdout).to_string(),
        ),
        ("up output", std::fs::read_to_string(&out_file).unwrap()),
        (
            "up errors",
            std::fs::read_to_string(dir.path().join("up.err")).unwrap(),
        ),
    ];
    for entry in std::fs::read_dir(data.join("logs")).unwrap() {
        let path = entry.unwrap().path();
        texts.push(("a node log", std::fs::read_to_string(&path).unwrap()));
    }
    assert!(texts.len() >= 6, "every node wrote a log");
    for (what, text) in texts {
        assert!(!text.is_empty() || what == "up errors", "{what} is empty");
        for (name, needle) in [
            ("the requirepass", PASSWORD),
            ("an ACL user's password", USER_PASSWORD),
            ("the cluster secret", secret.trim()),
            ("a private key", key_body.as_str()),
            ("a private key", "PRIVATE KEY"),
        ] {
            assert!(!text.contains(needle), "{what} shows {name}");
        }
    }
}
