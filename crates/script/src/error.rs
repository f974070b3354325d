//! The engine's errors; `Display` is the Redis error reply text (without the leading `-`).

/// Why a script or function could not produce its reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// The body did not compile (`ERR Error compiling script (new function): user_script:1: …`).
    #[error("ERR Error compiling script (new function): {0}")]
    Compile(String),
    /// A malformed `#!` line (`ERR Unexpected flag in script shebang: x`, …).
    #[error("ERR {0}")]
    Shebang(String),
    /// EVALSHA of a script not in the cache.
    #[error("NOSCRIPT No matching script. Please use EVAL.")]
    NoScript,
    /// The script raised an error; the text is already complete (code, message, location).
    #[error("{0}")]
    Runtime(String),
    /// The script ran past its instruction budget (the same instruction on every replica).
    #[error("{0}")]
    OutOfBudget(String),
    /// SCRIPT KILL / FUNCTION KILL stopped it (`ERR Script killed by user with SCRIPT KILL...`).
    #[error("{0}")]
    Killed(String),
    /// FUNCTION LOAD / FCALL errors (`ERR Library 'x' already exists`, …), complete text.
    #[error("{0}")]
    Function(String),
    /// The Lua state itself failed (out of memory, an internal error of the engine).
    #[error("ERR {0}")]
    Internal(String),
}

impl ScriptError {
    /// The error as the reply a client receives.
    pub fn to_reply(&self) -> meridian_types::Reply {
        meridian_types::Reply::Error(self.to_string())
    }
}

impl From<mlua::Error> for ScriptError {
    fn from(e: mlua::Error) -> Self {
        ScriptError::Internal(e.to_string())
    }
}

/// An error raised from Rust into Lua in Redis's table form (`{err="CODE msg"}`): the engine's
/// error handler turns it back into the table, the `pcall` replacement into its `err` string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{msg}")]
pub struct LuaRedisError {
    /// `CODE message`, as `luaPushErrorBuff` leaves it.
    pub msg: String,
}

impl LuaRedisError {
    /// `luaPushError(msg)`: a message without `-` gets the `ERR` code; `-CODE msg` keeps its code.
    pub fn new(text: &str) -> LuaRedisError {
        LuaRedisError {
            msg: push_error_text(text),
        }
    }

    pub fn into_lua(self) -> mlua::Error {
        mlua::Error::external(self)
    }
}

/// luaPushErrorBuff's normalisation of an error text into `CODE message`.
pub fn push_error_text(text: &str) -> String {
    let (code, msg) = match text.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => (code.to_string(), msg.to_string()),
            None => ("ERR".to_string(), rest.to_string()),
        },
        None => ("ERR".to_string(), text.to_string()),
    };
    let msg = msg.trim_matches(|c| c == '\r' || c == '\n');
    format!("{code} {msg}")
}
