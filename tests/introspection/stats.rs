//! INFO's command and error statistics, and CONFIG RESETSTAT.

use std::net::SocketAddr;

use anyhow::{ensure, Result};
use redis::aio::MultiplexedConnection;
use redis::Value;

use super::{connect, run, start, text, LIMIT};

/// Sends `commands` as one pipeline on a connection of its own and reads `lines` reply lines
/// (the replies chosen are one line each, EXEC's array one per element plus its header).
async fn pipeline(addr: SocketAddr, commands: &[&[&str]], lines: usize) -> Result<Vec<String>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = String::new();
    for command in commands {
        request.push_str(&format!("*{}\r\n", command.len()));
        for arg in *command {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
    }
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut replies = Vec::new();
    tokio::time::timeout(LIMIT, async {
        while replies.windows(2).filter(|w| w == b"\r\n").count() < lines {
            ensure!(
                stream.read_buf(&mut replies).await? > 0,
                "connection closed"
            );
        }
        Ok(())
    })
    .await??;
    let text = String::from_utf8(replies)?;
    Ok(text.split_terminator("\r\n").map(str::to_string).collect())
}

/// The value of `field` in INFO text (`cmdstat_set` → `calls=…`).
fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.split("\r\n")
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
}

/// `cmdstat_<name>` without the timings, which vary: `calls=2,rejected_calls=1,failed_calls=0`.
fn counts(info: &str, name: &str) -> Option<String> {
    let value = info_field(info, &format!("cmdstat_{name}"))?;
    let kept: Vec<&str> = value
        .split(',')
        .filter(|kv| !kv.starts_with("usec"))
        .collect();
    Some(kept.join(","))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn command_and_error_stats_count_calls_failures_and_refusals() -> Result<()> {
    let (_tc, _leader, follower) = start().await?;
    let mut con = connect(follower).await?;
    run(&mut con, &["CONFIG", "RESETSTAT"]).await?;
    failures_and_refusals_in_a_pipeline_and_in_exec(follower).await?;
    commandstats_and_errorstats_count_them(&mut con).await?;
    default_info_has_errors_but_not_commandstats(&mut con).await?;
    resetstat_clears_statistics_and_histograms(&mut con).await
}

async fn failures_and_refusals_in_a_pipeline_and_in_exec(addr: SocketAddr) -> Result<()> {
    // Phase: a pipeline whose writes are sent as one batch: WRONGTYPE failures are found in
    // the batch's replies; an arity error is a refusal, an unknown command only an error.
    let replies = pipeline(
        addr,
        &[
            &["SET", "k", "v"],
            &["LPUSH", "k", "x"],
            &["INCR", "n"],
            &["SET", "k"],
            &["NOSUCH"],
            &["LPUSH", "k", "y"],
            &["PING"],
        ],
        7,
    )
    .await?;
    ensure!(replies[1].starts_with("-WRONGTYPE"), "{replies:?}");
    ensure!(replies[3].starts_with("-ERR wrong number"), "{replies:?}");
    // Phase: an error inside EXEC is a failure of the queued command, not of EXEC.
    let replies = pipeline(
        addr,
        &[
            &["MULTI"],
            &["SET", "m", "1"],
            &["LPUSH", "m", "x"],
            &["EXEC"],
        ],
        6,
    )
    .await?;
    ensure!(replies[5].starts_with("-WRONGTYPE"), "{replies:?}");
    Ok(())
}

async fn commandstats_and_errorstats_count_them(con: &mut MultiplexedConnection) -> Result<()> {
    let info = text(&run(con, &["INFO", "commandstats"]).await?);
    let expect = [
        ("set", "calls=2,rejected_calls=1,failed_calls=0"),
        ("lpush", "calls=3,rejected_calls=0,failed_calls=3"),
        ("incr", "calls=1,rejected_calls=0,failed_calls=0"),
        ("ping", "calls=1,rejected_calls=0,failed_calls=0"),
        ("multi", "calls=1,rejected_calls=0,failed_calls=0"),
        ("exec", "calls=1,rejected_calls=0,failed_calls=0"),
        (
            "config|resetstat",
            "calls=1,rejected_calls=0,failed_calls=0",
        ),
    ];
    for (name, want) in expect {
        assert_eq!(counts(&info, name).as_deref(), Some(want), "{name}: {info}");
    }
    ensure!(!info.contains("nosuch"), "{info}");
    let errors = text(&run(con, &["INFO", "errorstats"]).await?);
    assert_eq!(
        errors,
        "# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_WRONGTYPE:count=3\r\n"
    );
    let stats = text(&run(con, &["INFO", "stats"]).await?);
    assert_eq!(info_field(&stats, "total_error_replies"), Some("5"));
    Ok(())
}

/// The default INFO has CPU and errors but not commandstats; `everything` has all.
async fn default_info_has_errors_but_not_commandstats(
    con: &mut MultiplexedConnection,
) -> Result<()> {
    let default = text(&run(con, &["INFO"]).await?);
    ensure!(info_field(&default, "used_cpu_user").is_some(), "{default}");
    ensure!(default.contains("# Errorstats\r\n"), "{default}");
    ensure!(!default.contains("cmdstat_"), "{default}");
    let everything = text(&run(con, &["INFO", "everything"]).await?);
    ensure!(everything.contains("\r\ncmdstat_lpush:"), "{everything}");
    ensure!(
        everything.contains("\r\nlatency_percentiles_usec_set:p50="),
        "{everything}"
    );
    Ok(())
}

/// RESETSTAT clears statistics and histograms; only RESETSTAT itself is left.
async fn resetstat_clears_statistics_and_histograms(con: &mut MultiplexedConnection) -> Result<()> {
    run(con, &["CONFIG", "RESETSTAT"]).await?;
    let histogram = run(con, &["LATENCY", "HISTOGRAM"]).await?;
    let Value::Array(entries) = &histogram else {
        anyhow::bail!("{histogram:?}")
    };
    assert_eq!(entries.len(), 2, "{histogram:?}");
    assert_eq!(text(&entries[0]), "config|resetstat");
    let info = text(&run(con, &["INFO", "commandstats", "errorstats"]).await?);
    let names: Vec<&str> = info
        .split("\r\n")
        .filter_map(|l| l.split_once(':').map(|(name, _)| name))
        .collect();
    assert_eq!(
        names,
        ["cmdstat_config|resetstat", "cmdstat_latency|histogram"]
    );
    let stats = text(&run(con, &["INFO", "stats"]).await?);
    assert_eq!(info_field(&stats, "total_error_replies"), Some("0"));
    Ok(())
}
