//! `ScriptEngine`: EVAL, EVALSHA and the script cache (eval.c).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use meridian_types::Reply;
use mlua::{Function, MultiValue, Table, Value};

use crate::budget::Budget;
use crate::error::ScriptError;
use crate::flags::{eval_shebang, ScriptFlags};
use crate::host::ScriptHost;
use crate::vm::{Stop, Vm};

/// A cached script: its body (replicated and shown as is) and flags.
#[derive(Debug, Clone)]
pub struct CachedScript {
    pub body: Bytes,
    pub flags: ScriptFlags,
}

/// Redis's Lua scripting for EVAL: one sandboxed Lua state and its script cache.
pub struct ScriptEngine {
    vm: Vm,
    scripts: HashMap<String, (CachedScript, Function)>,
    kill: Arc<AtomicBool>,
    limit: Option<u64>,
}

impl ScriptEngine {
    /// An engine whose scripts may run `instruction_limit` Lua instructions each (`None`: no
    /// limit).
    pub fn new(instruction_limit: Option<u64>) -> Result<ScriptEngine, ScriptError> {
        let kill = Arc::new(AtomicBool::new(false));
        Ok(ScriptEngine {
            vm: Vm::new(kill.clone(), Budget::new(instruction_limit))?,
            scripts: HashMap::new(),
            kill,
            limit: instruction_limit,
        })
    }

    /// The flag SCRIPT KILL sets: the running script stops at its next hook with
    /// `ERR Script killed by user with SCRIPT KILL...`. Cleared when a run starts.
    pub fn kill_flag(&self) -> Arc<AtomicBool> {
        self.kill.clone()
    }

    /// SCRIPT LOAD: compiles `body` (or finds it cached) and answers its SHA1.
    pub fn load(&mut self, body: &[u8]) -> Result<String, ScriptError> {
        let sha = crate::sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = eval_shebang(body).map_err(ScriptError::Shebang)?;
        let func = compile(&self.vm, &body[shebang_len..], "@user_script")
            .map_err(ScriptError::Compile)?;
        let script = CachedScript {
            body: Bytes::copy_from_slice(body),
            flags,
        };
        self.scripts.insert(sha.clone(), (script, func));
        Ok(sha)
    }

    /// SCRIPT EXISTS for one SHA1 (case-insensitive, as Redis's dictionary).
    pub fn exists(&self, sha: &str) -> bool {
        self.scripts.contains_key(&sha.to_ascii_lowercase())
    }

    /// A cached script by SHA1 (flags before running, body to replicate EVALSHA as EVAL).
    pub fn script(&self, sha: &str) -> Option<&CachedScript> {
        self.scripts.get(&sha.to_ascii_lowercase()).map(|(s, _)| s)
    }

    /// The flags of `body` as EVAL will run it, without compiling (for the server's checks).
    pub fn body_flags(body: &[u8]) -> Result<ScriptFlags, ScriptError> {
        eval_shebang(body)
            .map(|(f, _)| f)
            .map_err(ScriptError::Shebang)
    }

    /// Changes the instruction budget of later runs (`None`: no limit).
    pub fn set_instruction_limit(&mut self, limit: Option<u64>) {
        self.limit = limit;
        self.vm.set_instruction_limit(limit);
    }

    /// Caps the Lua state's memory (`None`: no cap). Past the cap an allocation fails and the
    /// script ends with an error. Memory use depends on the state's whole history (cached
    /// scripts, garbage not yet collected), so a cap is a safety net for serving nodes, not
    /// something replicas agree on: leave it off where runs must be deterministic.
    pub fn set_memory_limit(&mut self, bytes: Option<usize>) -> Result<(), ScriptError> {
        self.vm.lua.set_memory_limit(bytes.unwrap_or(0))?;
        Ok(())
    }

    /// Bytes the Lua state uses (INFO's `used_memory_lua`).
    pub fn used_memory(&self) -> usize {
        self.vm.lua.used_memory()
    }

    /// How many scripts are cached (INFO's `number_of_cached_scripts`).
    pub fn cached_scripts(&self) -> usize {
        self.scripts.len()
    }

    /// SCRIPT FLUSH: forgets every script and starts a fresh Lua state, as scriptingReset does.
    pub fn flush(&mut self) -> Result<(), ScriptError> {
        self.vm = Vm::new(self.kill.clone(), Budget::new(self.limit))?;
        self.scripts.clear();
        Ok(())
    }

    /// EVAL: loads `body` if needed and runs it with KEYS and ARGV.
    pub fn eval(
        &mut self,
        host: &mut dyn ScriptHost,
        body: &[u8],
        keys: &[Bytes],
        args: &[Bytes],
    ) -> Result<Reply, ScriptError> {
        let sha = self.load(body)?;
        self.run(host, &sha, keys, args)
    }

    /// EVALSHA.
    pub fn evalsha(
        &mut self,
        host: &mut dyn ScriptHost,
        sha: &str,
        keys: &[Bytes],
        args: &[Bytes],
    ) -> Result<Reply, ScriptError> {
        let sha = sha.to_ascii_lowercase();
        if !self.scripts.contains_key(&sha) {
            return Err(ScriptError::NoScript);
        }
        self.run(host, &sha, keys, args)
    }

    fn run(
        &mut self,
        host: &mut dyn ScriptHost,
        sha: &str,
        keys: &[Bytes],
        args: &[Bytes],
    ) -> Result<Reply, ScriptError> {
        let func = self
            .scripts
            .get(sha)
            .map(|(_, f)| f.clone())
            .ok_or(ScriptError::NoScript)?;
        let vm = &self.vm;
        vm.real_globals.raw_set("KEYS", string_array(vm, keys)?)?;
        vm.real_globals.raw_set("ARGV", string_array(vm, args)?)?;
        self.kill.store(false, Ordering::SeqCst);
        run_function(vm, host, sha, &func, None)
    }
}

/// Compiles a body with Redis's chunk name; the error text is Lua's (`user_script:1: …`).
pub(crate) fn compile(vm: &Vm, body: &[u8], name: &str) -> Result<Function, String> {
    // Redis's Lua only has the text parser: a precompiled chunk fails as text does.
    if body.first() == Some(&0x1b) {
        let chunk = name.trim_start_matches('@');
        return Err(format!("{chunk}:1: unexpected symbol near 'char(27)'"));
    }
    vm.lua
        .load(body)
        .set_name(name)
        .set_environment(vm.globals.clone())
        .set_mode(mlua::chunk::ChunkMode::Text)
        .into_function()
        .map_err(|e| match e {
            mlua::Error::SyntaxError { message, .. } => message,
            other => other.to_string(),
        })
}

pub(crate) fn string_array(vm: &Vm, items: &[Bytes]) -> mlua::Result<Table> {
    let t = vm.lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        t.raw_set(i + 1, vm.lua.create_string(item)?)?;
    }
    Ok(t)
}

/// Runs `func` (EVAL: no arguments; FCALL: `keys, args`) under the error handler and the budget
/// and converts its result (luaCallFunction). `name` is what error locations name.
pub(crate) fn run_function(
    vm: &Vm,
    host: &mut dyn ScriptHost,
    name: &str,
    func: &Function,
    fargs: Option<(Table, Table)>,
) -> Result<Reply, ScriptError> {
    vm.begin_run();
    let result = crate::api::with_host(vm, host, || match fargs {
        None => vm.run.call::<MultiValue>(func.clone()),
        Some((keys, args)) => vm.run.call::<MultiValue>((func.clone(), keys, args)),
    });
    vm.end_run();
    let resp = vm.resp();
    let values = result
        .map_err(|e| ScriptError::Runtime(format!("ERR Error running script {name}, {e}")))?;
    let mut values = values.into_iter();
    let ok = matches!(values.next(), Some(Value::Boolean(true)));
    let value = values.next().unwrap_or(Value::Nil);
    if ok {
        return Ok(crate::convert::lua_to_reply(&value, resp, 0));
    }
    let text = crate::errors::run_error_text(&value, name);
    Err(match vm.stopped() {
        Some(Stop::Budget) => ScriptError::OutOfBudget(text),
        Some(Stop::Killed) => ScriptError::Killed(text),
        None => ScriptError::Runtime(text),
    })
}
