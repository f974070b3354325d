//! MULTI / EXEC / DISCARD / WATCH. EXEC sends every queued data command as one atomic Raft
//! entry (with the WATCHed digests, compared when the entry is applied); a transaction of
//! reads only, without WATCH, runs under one read barrier against one state.

use bytes::Bytes;
use meridian_types::{Reply, WatchedKey};

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
        let db = self.session.db;
        for key in keys {
            if self
                .session
                .watched
                .iter()
                .any(|w| w.db == db && w.key == key)
            {
                continue;
            }
            let digest = self.shared.group.sm().read(|dbs| dbs.digest(db, key, now));
            self.session.watched.push(WatchedKey {
                db,
                key: key.clone(),
                digest,
            });
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
        // Database indexes past the setting, and commands the user's ACL rules no longer allow,
        // are answered here and left out of the entry.
        let refused: Vec<Option<Reply>> = multi
            .queued
            .iter()
            .map(|argv| self.db_index_error(argv).or_else(|| self.acl_recheck(argv)))
            .collect();
        let in_entry: Vec<bool> = targets
            .iter()
            .zip(&refused)
            .map(|(t, r)| r.is_none() && goes_in_entry(t))
            .collect();
        let data: Vec<Vec<Bytes>> = multi
            .queued
            .iter()
            .zip(&in_entry)
            .filter(|(_, inside)| **inside)
            .map(|(argv, _)| argv.clone())
            .collect();
        let any_write = targets
            .iter()
            .any(|t| matches!(t, Some(Target::Data(d)) if d.is_write()));
        let data_replies = match self.run_entry(data, watched, any_write).await {
            Ok(replies) => replies,
            Err(answer) => return answer,
        };
        let mut data_replies = data_replies.into_iter();
        let mut answers = Vec::with_capacity(multi.queued.len());
        for (i, (argv, target)) in multi.queued.iter().zip(targets).enumerate() {
            let from_entry = in_entry[i].then(|| {
                data_replies
                    .next()
                    .unwrap_or_else(|| Reply::Error("ERR the transaction produced no reply".into()))
            });
            let answer = match (target, refused[i].clone(), from_entry) {
                (_, Some(err), _) => Answer::Reply(err),
                (Some(Target::Data(_)), None, Some(reply)) => Answer::Reply(reply),
                (Some(Target::Server(cmd)), None, _) => {
                    // A SELECT's reply from the entry is the same as the one it gives here,
                    // where it also moves the connection to its database.
                    match Box::pin(self.server_command(cmd, argv, true)).await {
                        Step::Answer(a) | Step::Close(a) => a,
                        Step::Block { .. } => Answer::Reply(Reply::Integer(0)),
                    }
                }
                _ => Answer::Reply(Reply::Error("ERR command vanished".into())),
            };
            answers.push(answer);
        }
        // As on Redis, the clients the transaction's writes woke are served after all of it
        // (its server commands included) and before its reply.
        if any_write {
            let shared = &self.shared;
            let seq = self.session.last_write_seq;
            shared.blocking.settle_after(&shared.group, seq).await;
        }
        Answer::Array(answers)
    }

    /// Runs the entry's commands from the selected database: through the log when any writes
    /// or keys are watched, else as reads under one barrier. `Err` is EXEC's whole answer.
    async fn run_entry(
        &mut self,
        data: Vec<Vec<Bytes>>,
        watched: Vec<WatchedKey>,
        any_write: bool,
    ) -> Result<Vec<Reply>, Answer> {
        let db = self.session.db;
        if any_write || !watched.is_empty() {
            let publishes = crate::resp::pubsub::Publishes::find(&data);
            return match self.shared.group.write_in(db, data, watched).await {
                Ok(result) if result.aborted => Err(Answer::Reply(Reply::NilArray)),
                Ok(mut result) => {
                    self.session.last_write_seq = self.session.last_write_seq.max(result.seq);
                    publishes.count(&self.shared.pubsub, &mut result.replies);
                    Ok(result.replies)
                }
                Err(e) => Err(Answer::Reply(write_error(&e))),
            };
        }
        if data.is_empty() {
            return Ok(Vec::new());
        }
        self.read_barrier().await.map_err(Answer::Reply)?;
        let now = self.shared.group.clock().unix_ms();
        Ok(self
            .shared
            .group
            .sm()
            .read(|dbs| dbs.execute_reads(db, &data, now)))
    }
}

/// Whether a queued command runs inside the transaction's entry: data commands, and SELECT so
/// the commands after it run in its database.
fn goes_in_entry(target: &Option<Target>) -> bool {
    match target {
        Some(Target::Data(_)) => true,
        Some(Target::Server(cmd)) => cmd.name == "select",
        None => false,
    }
}
