//! Replies written straight into a sink instead of being built as a [`Reply`] first: for reads
//! that answer many elements (LRANGE), the connection encodes each element from the stored
//! value, as Redis does, without copying it into a reply. The structured form of the same
//! command collects the sink into a [`Reply::Array`], so both share one implementation.

use bytes::Bytes;
use meridian_types::Reply;

use crate::command::{CommandDef, CommandResult};
use crate::ctx::ReadCtx;

/// Receives an array of bulk strings: its length first, then each element.
pub trait BulkSink {
    fn array_len(&mut self, len: usize);
    fn bulk(&mut self, element: &Bytes);
}

/// A read that writes its reply into a sink. An error is returned before anything is written
/// to the sink.
pub type StreamedReadFn = fn(&ReadCtx<'_>, &[Bytes], &mut dyn BulkSink) -> Result<(), Reply>;

/// The streamed form of `def`, when it has one.
pub fn streamed_read(def: &CommandDef) -> Option<StreamedReadFn> {
    match def.name {
        "lrange" => Some(crate::cmd_list::lrange_into),
        _ => None,
    }
}

/// Runs a streamed read for its structured reply.
pub(crate) fn collect(run: impl FnOnce(&mut dyn BulkSink) -> Result<(), Reply>) -> CommandResult {
    let mut items = Collect(Vec::new());
    run(&mut items)?;
    Ok(Reply::Array(items.0))
}

struct Collect(Vec<Reply>);

impl BulkSink for Collect {
    fn array_len(&mut self, len: usize) {
        self.0.reserve_exact(len);
    }

    fn bulk(&mut self, element: &Bytes) {
        self.0.push(Reply::Bulk(element.clone()));
    }
}
