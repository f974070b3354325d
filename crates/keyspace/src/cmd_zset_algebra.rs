//! (being written)

use crate::command::CommandDef;

pub(crate) const COMMANDS: &[CommandDef] = &[];
