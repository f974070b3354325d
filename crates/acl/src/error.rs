//! Errors of the ACL commands, worded as Redis 7.0 words them.
//!
//! `Display` is the error reply without its `ERR ` prefix, which the server adds.

use thiserror::Error;

/// Why one `ACL SETUSER` rule was refused (`ACLSetUserStringError` in acl.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RuleError {
    /// Unknown rule, empty first-arg, bad key-permission prefix, spaces in a pattern.
    #[error("Syntax error")]
    Syntax,
    #[error("Unknown command or category name in ACL")]
    UnknownCommand,
    #[error(
        "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does \
         not have any effect. Try 'resetkeys' to start with an empty list of patterns"
    )]
    KeyAfterAllKeys,
    #[error(
        "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and \
         does not have any effect. Try 'resetchannels' to start with an empty list of channels"
    )]
    ChannelAfterAllChannels,
    #[error("The password you are trying to remove from the user does not exist")]
    NoSuchPassword,
    #[error(
        "The password hash must be exactly 64 characters and contain only lowercase \
         hexadecimal characters"
    )]
    BadHash,
    #[error("Allowing first-arg of a subcommand is not supported")]
    FirstArgOfSubcommand,
}

/// An `ACL` subcommand's error reply.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AclError {
    /// A rule of `ACL SETUSER` failed; nothing was applied.
    #[error("Error in ACL SETUSER modifier '{rule}': {source}")]
    Rule {
        /// The rule as Redis prints it (selector parts joined by one space).
        rule: String,
        #[source]
        source: RuleError,
    },
    /// A `(` selector that is never closed.
    #[error("Unmatched parenthesis in acl selector starting at '{rule}'.")]
    UnmatchedParenthesis { rule: String },
    #[error("Usernames can't contain spaces or null characters")]
    BadUsername,
    #[error("The 'default' user cannot be removed")]
    DeleteDefault,
    #[error("Unknown category '{name}'")]
    UnknownCategory { name: String },
    /// `ACL DRYRUN` for a missing user.
    #[error("User '{name}' not found")]
    UserNotFound { name: String },
    /// `ACL DRYRUN` for a missing command.
    #[error("Command '{name}' not found")]
    CommandNotFound { name: String },
}

/// `AUTH` / `HELLO AUTH` failed: unknown user, disabled user or wrong password alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("WRONGPASS invalid username-password pair or user is disabled.")]
pub struct WrongPass;
