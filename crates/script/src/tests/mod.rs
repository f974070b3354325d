//! Engine tests against replies captured from redis-server 7.0.15 (`EVAL "…" 0`).

mod api;
mod budget;
mod captured;
mod captures_a;
mod captures_b;
mod cjson;
mod errors;
mod fake_host;
mod functions;
mod libs;

pub(crate) use fake_host::{eval, eval_err, FakeHost};

#[test]
fn engines_can_move_between_threads() {
    fn send<T: Send>() {}
    send::<crate::ScriptEngine>();
    send::<crate::FunctionEngine>();
}
