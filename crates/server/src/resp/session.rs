//! Per-connection state: protocol, authentication, transaction, watched keys, read mode.

use bytes::Bytes;
use meridian_resp::Protocol;
use meridian_types::WatchedKey;

/// A transaction being queued after MULTI.
#[derive(Debug, Default)]
pub(crate) struct Multi {
    pub queued: Vec<Vec<Bytes>>,
    /// A command was refused while queueing: EXEC must answer EXECABORT.
    pub failed: bool,
}

#[derive(Debug)]
pub(crate) struct Session {
    pub id: u64,
    pub proto: Protocol,
    /// Redis's `c->authenticated`: true from the start when no password was required at
    /// connect time (a password set later does not lock out connected clients, as in Redis).
    pub authenticated: bool,
    /// The ACL user the connection runs as (`default` until AUTH).
    pub user: Bytes,
    /// `READONLY`: reads are served from this node's state, possibly stale.
    pub readonly: bool,
    pub name: String,
    pub lib_name: String,
    pub lib_ver: String,
    pub multi: Option<Multi>,
    /// The selected database (`SELECT`).
    pub db: u32,
    /// WATCHed keys with their databases and digests (modification versions) when watched.
    pub watched: Vec<WatchedKey>,
    /// Seq of this connection's last acknowledged write: later reads wait until the serving
    /// node has applied it (read-your-writes on a follower).
    pub last_write_seq: u64,
    /// The socket-read generation during which the last linearizable read barrier started;
    /// requests received no later than that are served without another barrier.
    pub barrier_gen: Option<u64>,
    /// CLIENT REPLY and MONITOR state (`client_admin`).
    pub admin: crate::resp::client_admin::AdminSession,
    /// Subscriptions and the queue of their messages, once the client subscribed (`pubsub`).
    pub pubsub: Option<Box<crate::resp::pubsub::session::PubSubSession>>,
    /// Push data (subscription confirmations, messages) written while CLIENT REPLY turned
    /// replies off: Redis sends pushes anyway.
    pub pushed: bytes::BytesMut,
}

impl Session {
    pub(crate) fn new(id: u64, authenticated: bool) -> Session {
        Session {
            id,
            proto: Protocol::Resp2,
            authenticated,
            user: Bytes::from_static(meridian_acl::DEFAULT_USER),
            readonly: false,
            name: String::new(),
            lib_name: String::new(),
            lib_ver: String::new(),
            multi: None,
            db: 0,
            watched: Vec::new(),
            last_write_seq: 0,
            barrier_gen: None,
            admin: Default::default(),
            pubsub: None,
            pushed: bytes::BytesMut::new(),
        }
    }

    /// `RESET`: back to a fresh connection's state, database 0 (the id, the client library and
    /// the position for read-your-writes are kept).
    pub(crate) fn reset(&mut self, password_required: bool) {
        self.proto = Protocol::Resp2;
        self.authenticated = !password_required;
        self.user = Bytes::from_static(meridian_acl::DEFAULT_USER);
        self.readonly = false;
        self.name.clear();
        self.multi = None;
        self.db = 0;
        self.watched.clear();
        self.pubsub = None;
    }
}
