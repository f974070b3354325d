//! One sandboxed Lua 5.1 state as Redis 7.0 sets it up (scriptingInit, luaRegisterRedisAPI):
//! the libraries it opens, the globals allow list, read-only tables, the error handler, and the
//! per-run state (RESP version, random generator, budget).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mlua::{Function, HookTriggers, Lua, LuaOptions, StdLib, Table, Value, VmState};

use crate::budget::Budget;
use crate::error::{LuaRedisError, ScriptError};
use crate::rand::Rand48;

/// The chunk name of the engine's own Lua code; the error handler looks past its frames.
pub(crate) const INTERNAL_CHUNK: &str = "=meridian";

/// Every global Redis keeps (script_lua.c's allow lists, less `getfenv`, `setfenv` and
/// `newproxy`, which the security fixes of CVE-2025-46818 took out, as the redis-server 7.0.15
/// we compare with has); anything else the base library defines (`print`, `dofile`, …) is
/// dropped.
const GLOBALS_ALLOWED: &[&str] = &[
    "string",
    "cjson",
    "bit",
    "cmsgpack",
    "math",
    "table",
    "struct",
    "redis",
    "xpcall",
    "tostring",
    "setmetatable",
    "next",
    "assert",
    "tonumber",
    "rawequal",
    "collectgarbage",
    "getmetatable",
    "rawset",
    "pcall",
    "coroutine",
    "type",
    "_G",
    "select",
    "unpack",
    "gcinfo",
    "pairs",
    "rawget",
    "loadstring",
    "ipairs",
    "_VERSION",
    "load",
    "error",
];

/// Why the engine stopped a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Budget,
    Killed,
}

/// State of the script being run, kept in the Lua state's app data.
pub(crate) struct RunState {
    pub resp: u8,
    pub rng: Rand48,
    pub budget: Budget,
    pub kill: Arc<AtomicBool>,
    /// Set once the script was killed or ran out of budget: every later hook and every `pcall`
    /// raises it again, so the script cannot catch its way out.
    pub terminated: Option<(Stop, String)>,
    /// `redis.register_function` registrations while a library loads (FUNCTION LOAD).
    pub registering: Option<Vec<crate::functions::RegisteredFunction>>,
}

pub(crate) struct Vm {
    pub lua: Lua,
    /// The `redis` table behind its read-only proxy: `call`, `pcall` and `log` are set here for
    /// the length of one run.
    pub redis: Table,
    /// The globals behind their proxy (where EVAL's KEYS and ARGV live).
    pub real_globals: Table,
    /// `run(f[, keys, args]) -> ok, result` under the error handler.
    pub run: Function,
    /// `set_loading(on)`: globals become FUNCTION LOAD's library API, or the globals again.
    pub set_loading: Function,
    /// What FUNCTION LOAD's `redis` has beyond `log` and the constants (`register_function`).
    pub load_api: Table,
    /// The read-only globals scripts see; every compiled chunk gets them as its environment, and
    /// every run puts them back as the thread's globals (`setfenv(0, t)` cannot outlive a run).
    pub globals: Table,
}

impl Vm {
    pub fn new(kill: Arc<AtomicBool>, budget: Budget) -> Result<Vm, ScriptError> {
        let lua = Lua::new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH,
            LuaOptions::default(),
        )?;
        let real_globals = lua.globals();
        keep_allowed_globals(&real_globals)?;
        crate::libs::register(&lua, &real_globals)?;
        let redis = crate::api::redis_table(&lua)?;
        real_globals.raw_set("redis", redis.clone())?;
        crate::api::replace_math_random(&lua, &real_globals)?;
        lua.set_app_data(crate::libs::CjsonConfig::default());
        lua.set_app_data(RunState {
            resp: 2,
            rng: Rand48::default(),
            budget,
            kill,
            terminated: None,
            registering: None,
        });
        let (globals, run, set_loading, load_api) = install_sandbox(&lua, &real_globals)?;
        Ok(Vm {
            lua,
            redis,
            real_globals,
            run,
            set_loading,
            load_api,
            globals,
        })
    }

    /// Resets the per-run state (RESP 2, the random generator) and arms the budget hook.
    pub fn begin_run(&self) {
        if let Some(mut st) = self.lua.app_data_mut::<RunState>() {
            st.resp = 2;
            st.rng = Rand48::default();
            st.terminated = None;
            st.budget.reset();
        }
        self.lua.set_app_data(crate::libs::CjsonConfig::default());
        // Cannot fail: the main thread's globals are replaced in place.
        let _ = self.lua.set_globals(self.globals.clone());
        let every = crate::budget::HOOK_EVERY;
        let triggers = HookTriggers {
            every_nth_instruction: Some(every),
            ..HookTriggers::default()
        };
        // The global hook: coroutines created by the script inherit it (Lua 5.1 copies the
        // hook into new threads). Setting it cannot fail for the main thread.
        let _ = self
            .lua
            .set_global_hook(triggers, move |lua, _debug| hook(lua, every));
    }

    /// Changes the instruction budget of later runs.
    pub fn set_instruction_limit(&self, limit: Option<u64>) {
        if let Some(mut st) = self.lua.app_data_mut::<RunState>() {
            st.budget = Budget::new(limit);
        }
    }

    pub fn end_run(&self) {
        self.lua.remove_global_hook();
    }

    /// Why the last run was stopped, if the engine stopped it.
    pub fn stopped(&self) -> Option<Stop> {
        self.lua
            .app_data_ref::<RunState>()
            .and_then(|st| st.terminated.as_ref().map(|(why, _)| *why))
    }

    pub fn resp(&self) -> u8 {
        self.lua.app_data_ref::<RunState>().map_or(2, |st| st.resp)
    }
}

/// The instruction-count hook: budget first (deterministic), then SCRIPT KILL.
fn hook(lua: &Lua, every: u32) -> mlua::Result<VmState> {
    let Some(mut st) = lua.app_data_mut::<RunState>() else {
        return Ok(VmState::Continue);
    };
    if let Some((_, msg)) = &st.terminated {
        return Err(LuaRedisError::new(msg).into_lua());
    }
    let stop = if !st.budget.charge(every) {
        Some((Stop::Budget, st.budget.exceeded_message()))
    } else if st.kill.load(Ordering::SeqCst) {
        let msg = "Script killed by user with SCRIPT KILL...".to_string();
        Some((Stop::Killed, msg))
    } else {
        None
    };
    match stop {
        Some((why, msg)) => {
            st.terminated = Some((why, msg.clone()));
            Err(LuaRedisError::new(&msg).into_lua())
        }
        None => Ok(VmState::Continue),
    }
}

fn keep_allowed_globals(globals: &Table) -> mlua::Result<()> {
    let mut drop = Vec::new();
    for pair in globals.pairs::<Value, Value>() {
        let (k, _) = pair?;
        let allowed = match &k {
            Value::String(s) => GLOBALS_ALLOWED
                .iter()
                .any(|a| s.as_bytes().as_ref() == a.as_bytes()),
            _ => false,
        };
        if !allowed {
            drop.push(k);
        }
    }
    for k in drop {
        globals.raw_remove(k)?;
    }
    Ok(())
}

/// Runs sandbox.lua: read-only proxies, the `pcall` replacement, the error handler.
fn install_sandbox(
    lua: &Lua,
    real_globals: &Table,
) -> Result<(Table, Function, Function, Table), ScriptError> {
    let handler = lua.create_function(crate::errors::error_handler)?;
    let as_table = lua.create_function(crate::errors::as_error_table)?;
    let coroutine: Table = real_globals.raw_get("coroutine")?;
    let originals = |wrap_handler| -> mlua::Result<crate::protected::Originals> {
        Ok(crate::protected::Originals {
            pcall: real_globals.raw_get("pcall")?,
            xpcall: real_globals.raw_get("xpcall")?,
            resume: coroutine.raw_get("resume")?,
            loadstring: real_globals.raw_get("loadstring")?,
            wrap_handler,
        })
    };
    let chunk = lua
        .load(include_str!("sandbox.lua"))
        .set_name(INTERNAL_CHUNK)
        .set_environment(real_globals.clone());
    type Sandbox = (Table, Function, Function, Table, Table, Table, Function);
    let (proxy, run, set_loading, load_api, protected, proxied, wrap_handler): Sandbox =
        chunk.call((real_globals.clone(), handler, as_table))?;
    let next = real_globals.raw_get("next")?;
    crate::protected::install(lua, real_globals, &coroutine, originals(wrap_handler)?)?;
    let proxies = crate::overrides::Proxies {
        protected,
        proxied,
        next,
    };
    crate::overrides::install(lua, real_globals, proxies)?;
    lua.set_globals(proxy.clone())?;
    Ok((proxy, run, set_loading, load_api))
}
