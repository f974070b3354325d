use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// Logs to stderr, in colour only on a terminal (node logs under `meridian up` are files);
/// `RUST_LOG` overrides the default filter. openraft is noisy at INFO about routine events
/// (peers down, benign races), so it starts at WARN.
pub fn init(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
