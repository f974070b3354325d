//! SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: asks the node to stop. The request cancels
//! `NodeAdmin::shutdown`; the RESP listener, a child of it, closes every client at once (the
//! caller gets no reply, as from a Redis that exits), and the node's owner, watching
//! `MeridianNode::shutdown_requested`, stops the node in its fixed order. Every write was
//! already durable in the log, so SAVE and NOSAVE change nothing; the shutdown is immediate,
//! so there is never one in progress to ABORT.

use bytes::Bytes;
use meridian_types::Reply;
use tracing::info;

use super::syntax_error;
use crate::resp::connection::Connection;
use crate::resp::dispatch::{Answer, Step};

/// SHUTDOWN's options.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ShutdownOpts {
    pub nosave: bool,
    pub save: bool,
    pub now: bool,
    pub force: bool,
    pub abort: bool,
}

/// Parses SHUTDOWN's options with Redis's errors (illegal combinations are syntax errors).
pub(crate) fn parse_shutdown(argv: &[Bytes]) -> Result<ShutdownOpts, Reply> {
    let mut opts = ShutdownOpts::default();
    for arg in &argv[1..] {
        match arg.to_ascii_lowercase().as_slice() {
            b"nosave" => opts.nosave = true,
            b"save" => opts.save = true,
            b"now" => opts.now = true,
            b"force" => opts.force = true,
            b"abort" => opts.abort = true,
            _ => return Err(syntax_error()),
        }
    }
    let any_flag = opts.nosave || opts.save || opts.now || opts.force;
    if (opts.abort && any_flag) || (opts.nosave && opts.save) {
        return Err(syntax_error());
    }
    Ok(opts)
}

impl Connection {
    pub(crate) async fn shutdown(&mut self, argv: &[Bytes]) -> Step {
        let opts = match parse_shutdown(argv) {
            Ok(o) => o,
            Err(e) => return Step::Answer(Answer::Reply(e)),
        };
        if opts.abort {
            return Step::Answer(Answer::Reply(Reply::Error(
                "ERR No shutdown in progress.".into(),
            )));
        }
        info!("SHUTDOWN requested over RESP; stopping the node");
        self.shared.admin.shutdown.cancel();
        // The connection's own token is a child of the request: its loop ends here without
        // a reply, as Redis's client sees its server exit.
        self.cancel.cancelled().await;
        Step::Close(Answer::Raw(Bytes::new()))
    }
}

impl crate::resp::RespServer {
    /// Resolves once a client sent SHUTDOWN to this node (the listener has then closed).
    pub async fn shutdown_requested(&self) {
        self.admin.shutdown.cancelled().await;
    }

    /// Sets the `timeout` setting (seconds; 0 = never close idle clients).
    pub fn set_idle_timeout(&self, secs: u64) {
        self.admin.set_idle_timeout(secs);
    }
}
