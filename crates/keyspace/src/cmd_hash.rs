//! hash commands.

use crate::command::CommandDef;

pub const COMMANDS: &[CommandDef] = &[];
