//! Rules for the processes of a deployment: unique node ids, usable hosts, and one listener
//! per `(host, port)`.

use crate::Problem;
use std::collections::HashMap;

pub(super) fn check_host(out: &mut Vec<Problem>, at: &str, host: &str) {
    if host.is_empty() || host.contains(char::is_whitespace) {
        out.push(Problem::new(
            format!("{at}.host"),
            format!("{host:?} is not a host name or IP address"),
        ));
    }
}

/// Node ids seen so far, across clusters and witnesses.
#[derive(Default)]
pub(super) struct Ids {
    /// id → (field path, what owns it).
    seen: HashMap<u64, (String, String)>,
}

impl Ids {
    pub(super) fn check(&mut self, out: &mut Vec<Problem>, at: &str, id: u64, owner: String) {
        if id == 0 {
            out.push(Problem::new(
                format!("{at}.id"),
                "node ids start at 1; pick an id not used elsewhere in the deployment",
            ));
            return;
        }
        if let Some((path, what)) = self.seen.get(&id) {
            out.push(Problem::new(
                format!("{at}.id"),
                format!("node id {id} is already used by {path} ({what}); ids must be unique"),
            ));
            return;
        }
        self.seen.insert(id, (at.to_string(), owner));
    }
}

/// Listening `(host, port)` pairs seen so far, across every node and port kind.
#[derive(Default)]
pub(super) struct Ports {
    /// (host, port) → (node id, port field).
    seen: HashMap<(String, u16), (u64, &'static str)>,
}

impl Ports {
    pub(super) fn check(
        &mut self,
        out: &mut Vec<Problem>,
        at: &str,
        id: u64,
        host: &str,
        endpoints: &[(&'static str, u16)],
    ) {
        for &(field, port) in endpoints {
            let path = format!("{at}.{field}");
            if port == 0 {
                out.push(Problem::new(
                    path,
                    "port 0 is not allowed: peers must know the port in advance",
                ));
                continue;
            }
            match self.seen.get(&(host.to_string(), port)) {
                Some((other, other_field)) => out.push(Problem::new(
                    path,
                    format!(
                        "port {port} on {host} is already used by node {other} ({other_field})"
                    ),
                )),
                None => {
                    self.seen.insert((host.to_string(), port), (id, field));
                }
            }
        }
    }
}
