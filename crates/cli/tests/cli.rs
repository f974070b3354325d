//! The `meridian` binary as a user runs it.

use std::process::Command;

fn meridian() -> Command {
    Command::new(env!("CARGO_BIN_EXE_meridian"))
}

#[test]
fn a_malformed_config_is_refused_with_the_field_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "unknown field",
            "data_dir = \"d\"\nbogus = 1\n[[clusters]]\nname = \"a\"\nregion = \"r\"\n[[clusters.nodes]]\nid = 1\ngrpc_port = 17001\nresp_port = 16001\nmetrics_port = 19001\ncoord = true\n",
            "bogus",
        ),
        (
            "duplicate port",
            "[[clusters]]\nname = \"a\"\nregion = \"r\"\n[[clusters.nodes]]\nid = 1\ngrpc_port = 17001\nresp_port = 16001\nmetrics_port = 19001\ncoord = true\n[[clusters.nodes]]\nid = 2\ngrpc_port = 17001\nresp_port = 16002\nmetrics_port = 19002\n",
            "clusters[0].nodes[1].grpc_port",
        ),
    ];
    for (what, text, needle) in cases {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text).expect("write config");
        let out = meridian()
            .args(["node", "--node", "1", "--config"])
            .arg(&path)
            .output()
            .expect("run meridian");
        assert!(!out.status.success(), "{what}: a bad config was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle),
            "{what}: error does not name {needle:?}:\n{err}"
        );
    }
}

#[test]
fn an_unknown_node_id_is_refused() {
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../cluster-configs/local.toml"
    );
    let out = meridian()
        .args(["node", "--node", "99", "--config", config])
        .output()
        .expect("run meridian");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("node 99 is not in the config"), "{err}");
}
