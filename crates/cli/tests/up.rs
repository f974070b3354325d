//! `meridian up` as a newcomer runs it: starts every node of a config, prints the endpoints,
//! stops everything on Ctrl-C (SIGINT), and starts again on the same data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::free_port;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

fn config(dir: &Path) -> (std::path::PathBuf, u16) {
    let mut text =
        "data_dir = \"data\"\n[[clusters]]\nname = \"solo\"\nregion = \"test-1\"\n".to_string();
    let mut first_grpc = 0;
    for id in 1..=3 {
        let g = free_port();
        if id == 1 {
            first_grpc = g;
        }
        text.push_str(&format!(
            "[[clusters.nodes]]\nid = {id}\ngrpc_port = {g}\nresp_port = {}\nmetrics_port = {}\ncoord = {}\n",
            free_port(),
            free_port(),
            id == 1
        ));
    }
    let path = dir.join("up.toml");
    std::fs::write(&path, text).expect("write config");
    (path, first_grpc)
}

/// Starts `meridian up` and returns it once it printed that it is up (or panics with its output).
fn start_up(config: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(["up", "--wait-secs", "60", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start meridian up");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(90)) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains("Meridian is up") {
                    // Keep draining so the child never blocks on a full pipe.
                    std::thread::spawn(move || while rx.recv().is_ok() {});
                    return (child, seen);
                }
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("meridian up did not come up; it printed:\n{seen}");
            }
        }
    }
}

fn interrupt_and_wait(mut child: Child) {
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).expect("send SIGINT");
    let status =
        meridian_wait::Wait::new("meridian up to stop after Ctrl-C", Duration::from_secs(30))
            .every(Duration::from_millis(50))
            .until(|| child.try_wait().transpose())
            .expect("meridian up stops")
            .expect("wait for meridian up");
    assert!(
        status.success(),
        "meridian up exited with {status} after Ctrl-C"
    );
}

/// `GET /metrics` on a local port; panics unless it answers 200.
fn scrape(port: u16) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to metrics");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("send the request");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read the response");
    assert!(out.starts_with("HTTP/1.1 200 "), "GET /metrics:\n{out}");
    out
}

fn meridian(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(args)
        .output()
        .expect("run meridian")
}

#[test]
fn up_starts_every_node_stops_on_ctrl_c_and_restarts_on_the_same_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (config, grpc) = config(dir.path());
    let endpoint = format!("127.0.0.1:{grpc}");

    let (up, printed) = start_up(&config);
    for id in 1..=3 {
        assert!(
            printed.contains(&format!("node-{id}.log")),
            "endpoint table lacks node {id}:\n{printed}"
        );
    }
    let bench = meridian(&[
        "bench",
        "--endpoint",
        &endpoint,
        "--seconds",
        "1",
        "--clients",
        "4",
        "--connections",
        "1",
    ]);
    let out = String::from_utf8_lossy(&bench.stdout);
    assert!(
        bench.status.success() && out.contains("errors=0"),
        "bench against the deployment failed:\n{out}"
    );
    interrupt_and_wait(up);
    assert!(
        dir.path().join("data/node-1").is_dir(),
        "node 1 kept no data"
    );

    // Same data again: the writes of the first run are still counted.
    let (up, _) = start_up(&config);
    let describe = meridian(&[
        "cluster",
        "describe",
        "--endpoint",
        &endpoint,
        "--output",
        "json",
    ]);
    let json: serde_json::Value =
        serde_json::from_slice(&describe.stdout).expect("describe prints JSON");
    let keys = json["clusters"][0]["nodes"][0]["keys"]
        .as_u64()
        .unwrap_or(0);
    assert!(keys > 0, "the restarted deployment lost its keys: {json}");
    interrupt_and_wait(up);
}

#[test]
fn a_witness_gives_the_coordination_group_its_majority() {
    // Voters: node 1 and witness 4. Without the witness there is no majority, so a control-plane
    // call can only succeed if the witness runs and votes.
    let dir = tempfile::tempdir().expect("temp dir");
    let (g1, m1, w, wm) = (free_port(), free_port(), free_port(), free_port());
    let mut text =
        "data_dir = \"data\"\n[[clusters]]\nname = \"solo\"\nregion = \"test-1\"\n".to_string();
    for id in 1..=3 {
        let (grpc, metrics) = if id == 1 {
            (g1, m1)
        } else {
            (free_port(), free_port())
        };
        text.push_str(&format!(
            "[[clusters.nodes]]\nid = {id}\ngrpc_port = {grpc}\nresp_port = {}\nmetrics_port = {metrics}\ncoord = {}\n",
            free_port(),
            id == 1
        ));
    }
    text.push_str(&format!(
        "[[witnesses]]\nid = 4\nregion = \"test-2\"\ngrpc_port = {w}\nmetrics_port = {wm}\n"
    ));
    let config = dir.path().join("witness.toml");
    std::fs::write(&config, text).expect("write config");

    let (up, printed) = start_up(&config);
    assert!(
        printed.contains("witness"),
        "the endpoint table lacks the witness:\n{printed}"
    );
    let endpoint = format!("127.0.0.1:{g1}");
    let describe = meridian(&["global", "describe", "--endpoint", &endpoint]);
    assert!(
        describe.status.success(),
        "the coordination group has no majority with its witness: {}",
        String::from_utf8_lossy(&describe.stderr)
    );
    let via_witness = meridian(&[
        "global",
        "describe",
        "--endpoint",
        &format!("127.0.0.1:{w}"),
    ]);
    assert!(
        via_witness.status.success(),
        "the witness does not serve the control plane"
    );
    // Both kinds of process serve Prometheus metrics on their configured metrics port.
    let node_metrics = scrape(m1);
    assert!(
        node_metrics.contains("meridian_applied_seq{cluster=\"solo\",node=\"1\"}"),
        "node 1 metrics:\n{node_metrics}"
    );
    let witness_metrics = scrape(wm);
    assert!(
        witness_metrics.contains("meridian_up{node=\"4\"} 1"),
        "witness metrics:\n{witness_metrics}"
    );
    interrupt_and_wait(up);
}
