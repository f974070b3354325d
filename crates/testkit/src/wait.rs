use std::future::Future;
use std::time::Duration;

use anyhow::{anyhow, Result};

/// Polls `check` every 20 ms until it returns `Ok(Some(v))` or `limit` passes; the error names
/// `what` and the last reason `check` gave. `meridian_wait` does the waiting: an `Err` or a
/// `None` is an observation, not a failure.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let value = meridian_wait::until_async(what, limit, || {
        let call = check();
        async { call.await?.ok_or_else(|| anyhow!("condition not met yet")) }
    })
    .await?;
    Ok(value)
}

/// Logs of the code under test, filtered by `RUST_LOG` (default: warnings), once per process.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,openraft=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}
