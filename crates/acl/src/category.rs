//! ACL command categories and the command table the rules are applied against.
//!
//! The server owns the command table; this crate only needs, for every command and
//! subcommand, its full name, its categories and whether it runs without authentication.
//! The table's order matters: Redis walks its command dictionary when it renders the single
//! `+cmd` / `-cmd` rules of `ACL LIST` and the commands of `ACL CAT <category>`, so the
//! server should hand its table in the order it wants those lists printed.

use serde::{Deserialize, Serialize};

/// One ACL command category (`@read`, `@admin`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    Keyspace,
    Read,
    Write,
    Set,
    SortedSet,
    List,
    Hash,
    String,
    Bitmap,
    HyperLogLog,
    Geo,
    Stream,
    PubSub,
    Admin,
    Fast,
    Slow,
    Blocking,
    Dangerous,
    Connection,
    Transaction,
    Scripting,
}

/// Every category with its name, in Redis's order (`ACLCommandCategories` in acl.c), which
/// is the order of `ACL CAT` and the order categories are tried when rules are rendered.
pub const CATEGORIES: [(Category, &str); 21] = [
    (Category::Keyspace, "keyspace"),
    (Category::Read, "read"),
    (Category::Write, "write"),
    (Category::Set, "set"),
    (Category::SortedSet, "sortedset"),
    (Category::List, "list"),
    (Category::Hash, "hash"),
    (Category::String, "string"),
    (Category::Bitmap, "bitmap"),
    (Category::HyperLogLog, "hyperloglog"),
    (Category::Geo, "geo"),
    (Category::Stream, "stream"),
    (Category::PubSub, "pubsub"),
    (Category::Admin, "admin"),
    (Category::Fast, "fast"),
    (Category::Slow, "slow"),
    (Category::Blocking, "blocking"),
    (Category::Dangerous, "dangerous"),
    (Category::Connection, "connection"),
    (Category::Transaction, "transaction"),
    (Category::Scripting, "scripting"),
];

impl Category {
    /// The category's name as `ACL CAT` prints it.
    #[must_use]
    pub fn name(self) -> &'static str {
        CATEGORIES[self.index()].1
    }

    /// The category named `name`, ignoring ASCII case as Redis does.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Category> {
        CATEGORIES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(c, _)| *c)
    }

    fn index(self) -> usize {
        self as usize
    }

    fn bit(self) -> u32 {
        1 << self.index()
    }
}

/// A set of categories (Redis's `acl_categories` bit field).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CategorySet(u32);

impl CategorySet {
    /// The empty set.
    #[must_use]
    pub const fn empty() -> Self {
        CategorySet(0)
    }

    /// The set holding exactly `cats`.
    #[must_use]
    pub fn of(cats: &[Category]) -> Self {
        let mut set = CategorySet::empty();
        for c in cats {
            set.insert(*c);
        }
        set
    }

    /// Adds `cat`.
    pub fn insert(&mut self, cat: Category) {
        self.0 |= cat.bit();
    }

    /// Whether `cat` is in the set.
    #[must_use]
    pub fn contains(self, cat: Category) -> bool {
        self.0 & cat.bit() != 0
    }

    /// The categories in the set, in Redis's order.
    pub fn iter(self) -> impl Iterator<Item = Category> {
        CATEGORIES
            .iter()
            .map(|(c, _)| *c)
            .filter(move |c| self.contains(*c))
    }
}

/// The command flags that imply categories (`CMD_WRITE`, `CMD_READONLY`, ...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommandFlags {
    pub write: bool,
    pub readonly: bool,
    pub admin: bool,
    pub pubsub: bool,
    pub fast: bool,
    pub blocking: bool,
}

/// Adds the categories Redis derives from a command's flags (`setImplicitACLCategories` in
/// server.c) to the categories the command table declares.
#[must_use]
pub fn implicit_categories(declared: CategorySet, flags: CommandFlags) -> CategorySet {
    let mut cats = declared;
    if flags.write {
        cats.insert(Category::Write);
    }
    // Scripting commands are kept out of @read even when read-only.
    if flags.readonly && !declared.contains(Category::Scripting) {
        cats.insert(Category::Read);
    }
    if flags.admin {
        cats.insert(Category::Admin);
        cats.insert(Category::Dangerous);
    }
    if flags.pubsub {
        cats.insert(Category::PubSub);
    }
    if flags.fast {
        cats.insert(Category::Fast);
    }
    if flags.blocking {
        cats.insert(Category::Blocking);
    }
    // Not @fast means @slow.
    if !cats.contains(Category::Fast) {
        cats.insert(Category::Slow);
    }
    cats
}

/// One command or subcommand as ACL rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInfo {
    /// Lowercase full name: `get`, or `config|get` for a subcommand.
    pub fullname: String,
    /// Categories after [`implicit_categories`].
    pub categories: CategorySet,
    /// `CMD_NO_AUTH` (AUTH, HELLO): always allowed by the command check.
    pub no_auth: bool,
    /// Subcommands (`config|get`, ...); empty for a plain command. Subcommands have none.
    pub subcommands: Vec<CommandInfo>,
}

impl CommandInfo {
    /// Whether this is a subcommand (`container|sub`).
    #[must_use]
    pub fn is_subcommand(&self) -> bool {
        self.fullname.contains('|')
    }
}

/// The server's command table, as ACL rules see it.
pub trait CommandTable {
    /// The top-level commands, each with its subcommands, in the order lists are printed.
    fn commands(&self) -> &[CommandInfo];

    /// The command or subcommand named `name` (`get`, `CONFIG|GET`), looked up as Redis's
    /// `lookupCommandBySdsLogic` does: a container needs a known subcommand, a plain command
    /// takes no `|` part, and more than two parts never match.
    fn lookup(&self, name: &str) -> Option<&CommandInfo> {
        let mut parts = name.split('|');
        let base = parts.next()?;
        let sub = parts.next();
        if parts.next().is_some() {
            return None;
        }
        let cmd = self
            .commands()
            .iter()
            .find(|c| c.fullname.eq_ignore_ascii_case(base))?;
        match sub {
            // A container looked up alone is the container itself.
            None => Some(cmd),
            Some(_) if cmd.subcommands.is_empty() => None,
            Some(s) => cmd.subcommands.iter().find(|c| {
                c.fullname
                    .split_once('|')
                    .is_some_and(|(_, n)| n.eq_ignore_ascii_case(s))
            }),
        }
    }
}

impl CommandTable for Vec<CommandInfo> {
    fn commands(&self) -> &[CommandInfo] {
        self
    }
}

/// Every command and subcommand, containers before their subcommands.
pub(crate) fn walk(table: &dyn CommandTable) -> impl Iterator<Item = &CommandInfo> {
    table
        .commands()
        .iter()
        .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
}

/// `ACL CAT`: every category name, in Redis's order.
#[must_use]
pub fn category_names() -> Vec<&'static str> {
    CATEGORIES.iter().map(|(_, n)| *n).collect()
}

/// `ACL CAT <category>`: the full names of the commands in `category`, or the error Redis
/// replies (`ERR Unknown category 'x'`, without the `ERR `).
pub fn commands_in_category(
    table: &dyn CommandTable,
    category: &str,
) -> Result<Vec<String>, crate::AclError> {
    let cat = Category::from_name(category).ok_or_else(|| crate::AclError::UnknownCategory {
        name: truncate_128(category).to_owned(),
    })?;
    Ok(walk(table)
        .filter(|c| c.categories.contains(cat))
        .map(|c| c.fullname.clone())
        .collect())
}

/// `%.128s`: at most 128 bytes (backed off to a character boundary).
fn truncate_128(s: &str) -> &str {
    let mut end = s.len().min(128);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
