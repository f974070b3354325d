//! MULTI / EXEC / DISCARD / WATCH. EXEC sends every queued data command as one atomic Raft
//! entry (with the WATCHed digests, compared when the entry is applied); a transaction of
//! reads only, without WATCH, runs under one read barrier against one state.

use bytes::Bytes;
use meridian_types::Reply;

use crate::resp::connection::Connection;
use crate::resp::dispatch::{resolve, Answer, Step, Target};
use crate::resp::errors::write_error;
use crate::resp::session::Multi;

impl Connection {
    pub(super) fn multi(&mut self) -> Reply {
        if self.session.multi.is_some() {
            return Reply::Error("ERR MULTI calls can not be nested".into());
        }
        self.session.multi = Some(Multi::default());
        Reply::ok()
    }

    pub(super) fn discard(&mut self) -> Reply {
        if self.session.multi.take().is_none() {
            return Reply::Error("ERR DISCARD without MULTI".into());
        }
        self.session.watched.clear();
        Reply::ok()
    }

    pub(super) async fn watch(&mut self, keys: &[Bytes]) -> Reply {
        if self.session.multi.is_some() {
            return Reply::Error("ERR WATCH inside MULTI is not allowed".into());
        }
        if let Err(reply) = self.read_barrier().await {
            return reply;
        }
        let now = self.shared.group.clock().unix_ms();
        for key in keys {
            if self.session.watched.iter().any(|(k, _)| k == key) {
                continue;
            }
            let digest = self.shared.group.sm().read(|ks| ks.digest(key, now));
            self.session.watched.push((key.clone(), digest));
        }
        Reply::ok()
    }

    pub(super) async fn exec(&mut self) -> Answer {
        let Some(multi) = self.session.multi.take() else {
            return Answer::Reply(Reply::Error("ERR EXEC without MULTI".into()));
        };
        let watched = std::mem::take(&mut self.session.watched);
        if multi.failed {
            return Answer::Reply(Reply::Error(
                "EXECABORT Transaction discarded because of previous errors.".into(),
            ));
        }
        // Every queued command passed `resolve` when it was queued.
        let targets: Vec<Option<Target>> =
            multi.queued.iter().map(|argv| resolve(argv).ok()).collect();
        let data: Vec<Vec<Bytes>> = multi
            .queued
            .iter()
            .zip(&targets)
            .filter(|(_, t)| matches!(t, Some(Target::Data(_))))
            .map(|(argv, _)| argv.clone())
            .collect();
        let any_write = targets
            .iter()
            .any(|t| matches!(t, Some(Target::Data(d)) if d.is_write()));
        let data_replies = if any_write || !watched.is_empty() {
            match self.shared.group.write_watched(data, watched).await {
                Ok(result) if result.aborted => return Answer::Reply(Reply::NilArray),
                Ok(result) => {
                    self.session.last_write_seq = self.session.last_write_seq.max(result.seq);
                    result.replies
                }
                Err(e) => return Answer::Reply(write_error(&e)),
            }
        } else if data.is_empty() {
            Vec::new()
        } else {
            if let Err(reply) = self.read_barrier().await {
                return Answer::Reply(reply);
            }
            let now = self.shared.group.clock().unix_ms();
            self.shared.group.sm().read(|ks| {
                data.iter()
                    .map(|argv| ks.execute_read(argv, now, rand::random()))
                    .collect()
            })
        };
        let mut data_replies = data_replies.into_iter();
        let mut answers = Vec::with_capacity(multi.queued.len());
        for (argv, target) in multi.queued.iter().zip(targets) {
            let answer = match target {
                Some(Target::Data(_)) => Answer::Reply(data_replies.next().unwrap_or_else(|| {
                    Reply::Error("ERR the transaction produced no reply".into())
                })),
                Some(Target::Server(cmd)) => {
                    match Box::pin(self.server_command(cmd, argv, true)).await {
                        Step::Answer(a) | Step::Close(a) => a,
                        Step::Block { .. } => Answer::Reply(Reply::Integer(0)),
                    }
                }
                None => Answer::Reply(Reply::Error("ERR command vanished".into())),
            };
            answers.push(answer);
        }
        Answer::Array(answers)
    }
}
