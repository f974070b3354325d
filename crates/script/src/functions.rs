//! `FunctionEngine`: FUNCTION LOAD / DELETE / FLUSH / LIST and FCALL (functions.c,
//! function_lua.c) on a Lua state of its own, as Redis keeps one apart from EVAL's.
//!
//! Libraries are kept with their code: persisting and replicating them is the server's job
//! (`libraries()` gives what FUNCTION LIST / DUMP need; FUNCTION RESTORE is `load` of each code).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use meridian_types::Reply;
use mlua::Function;

use crate::budget::Budget;
use crate::engine::{compile, run_function, string_array};
use crate::error::ScriptError;
use crate::flags::ScriptFlags;
use crate::host::ScriptHost;
use crate::vm::{RunState, Vm};

/// One `redis.register_function` call of a loading library.
pub(crate) struct RegisteredFunction {
    pub name: String,
    pub callback: Function,
    pub flags: ScriptFlags,
    pub description: Option<String>,
}

/// A function as FUNCTION LIST shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    pub name: String,
    /// `description=` of the named-arguments form (FUNCTION LIST shows nil without one).
    pub description: Option<String>,
    pub flags: ScriptFlags,
}

/// A library as FUNCTION LIST shows it; `code` is the whole FUNCTION LOAD payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryInfo {
    pub name: String,
    pub engine: &'static str,
    pub code: Bytes,
    pub functions: Vec<FunctionInfo>,
}

struct Library {
    info: LibraryInfo,
    callbacks: Vec<Function>,
}

/// The functions' Lua state and the loaded libraries.
pub struct FunctionEngine {
    vm: Vm,
    libraries: BTreeMap<String, Library>,
    kill: Arc<AtomicBool>,
    limit: Option<u64>,
}

fn err(msg: impl std::fmt::Display) -> ScriptError {
    ScriptError::Function(format!("ERR {msg}"))
}

/// functionsVerifyName: letters, digits and `_`, at least one.
pub(crate) fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// functionExtractLibMetaData: `(engine, name, offset of the code after the `#!` line)`.
fn metadata(code: &[u8]) -> Result<(String, String, usize), ScriptError> {
    if !code.starts_with(b"#!") {
        return Err(err("Missing library metadata"));
    }
    let end = code
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| err("Invalid library metadata"))?;
    let line = String::from_utf8_lossy(&code[..end]).into_owned();
    let mut parts = line.split_ascii_whitespace();
    let engine = parts
        .next()
        .ok_or_else(|| err("Invalid library metadata"))?[2..]
        .to_string();
    let mut name = None;
    for part in parts {
        if part.len() >= 5 && part.as_bytes()[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(err(
                    "Invalid metadata value, name argument was given multiple times",
                ));
            }
            name = Some(part[5..].to_string());
            continue;
        }
        return Err(err(format!("Invalid metadata value given: {part}")));
    }
    let name = name.ok_or_else(|| err("Library name was not given"))?;
    Ok((engine, name, end))
}

impl FunctionEngine {
    pub fn new(instruction_limit: Option<u64>) -> Result<FunctionEngine, ScriptError> {
        let kill = Arc::new(AtomicBool::new(false));
        let vm = Vm::new(kill.clone(), Budget::new(instruction_limit))?;
        crate::register::install(&vm)?;
        Ok(FunctionEngine {
            vm,
            libraries: BTreeMap::new(),
            kill,
            limit: instruction_limit,
        })
    }

    /// The flag SCRIPT KILL / FUNCTION KILL sets for a running read-only function.
    pub fn kill_flag(&self) -> Arc<AtomicBool> {
        self.kill.clone()
    }

    /// Changes the instruction budget of later runs (`None`: no limit).
    pub fn set_instruction_limit(&mut self, limit: Option<u64>) {
        self.limit = limit;
        self.vm.set_instruction_limit(limit);
    }

    /// Caps the Lua state's memory; see [`crate::ScriptEngine::set_memory_limit`].
    pub fn set_memory_limit(&mut self, bytes: Option<usize>) -> Result<(), ScriptError> {
        self.vm.lua.set_memory_limit(bytes.unwrap_or(0))?;
        Ok(())
    }

    /// Bytes the functions' Lua state uses (INFO's `used_memory_vm_functions`).
    pub fn used_memory(&self) -> usize {
        self.vm.lua.used_memory()
    }

    /// FUNCTION LOAD (`replace`: with REPLACE): answers the library name. The library body runs
    /// with Redis's library API only (`redis.register_function`, `redis.log` — which reaches
    /// `host` — and the constants); no command can run.
    pub fn load(
        &mut self,
        host: &mut dyn ScriptHost,
        code: &[u8],
        replace: bool,
    ) -> Result<String, ScriptError> {
        let (engine, name, end) = metadata(code)?;
        if !valid_name(name.as_bytes()) {
            return Err(err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
        }
        if !engine.eq_ignore_ascii_case("lua") {
            return Err(err(format!("Engine '{engine}' not found")));
        }
        if self.libraries.contains_key(&name) && !replace {
            return Err(err(format!("Library '{name}' already exists")));
        }
        let registered = self.register(host, &code[end..])?;
        if registered.is_empty() {
            return Err(err("No functions registered"));
        }
        for f in &registered {
            let clash = self.libraries.iter().any(|(lib, l)| {
                *lib != name
                    && l.info
                        .functions
                        .iter()
                        .any(|g| g.name.eq_ignore_ascii_case(&f.name))
            });
            if clash {
                return Err(err(format!("Function {} already exists", f.name)));
            }
        }
        let info = LibraryInfo {
            name: name.clone(),
            engine: "LUA",
            code: Bytes::copy_from_slice(code),
            functions: registered
                .iter()
                .map(|f| FunctionInfo {
                    name: f.name.clone(),
                    description: f.description.clone(),
                    flags: f.flags,
                })
                .collect(),
        };
        let callbacks = registered.into_iter().map(|f| f.callback).collect();
        self.libraries
            .insert(name.clone(), Library { info, callbacks });
        Ok(name)
    }

    /// Compiles and runs a library body, collecting its `redis.register_function` calls.
    fn register(
        &mut self,
        host: &mut dyn ScriptHost,
        body: &[u8],
    ) -> Result<Vec<RegisteredFunction>, ScriptError> {
        let chunk = compile(&self.vm, body, "@user_function")
            .map_err(|e| err(format!("Error compiling function: {e}")))?;
        if let Some(mut st) = self.vm.lua.app_data_mut::<RunState>() {
            st.registering = Some(Vec::new());
        }
        self.vm.set_loading.call::<()>(true)?;
        let ran = run_function(&self.vm, host, "", &chunk, None);
        self.vm.set_loading.call::<()>(false)?;
        let registered = self
            .vm
            .lua
            .app_data_mut::<RunState>()
            .and_then(|mut st| st.registering.take())
            .unwrap_or_default();
        match ran {
            Ok(_) => Ok(registered),
            // A library body runs without Redis's error handler: no location is added.
            Err(
                ScriptError::Runtime(text)
                | ScriptError::OutOfBudget(text)
                | ScriptError::Killed(text),
            ) => {
                let msg = text
                    .split(" script: ")
                    .next()
                    .unwrap_or_default()
                    .to_string();
                Err(err(format!("Error registering functions: {msg}")))
            }
            Err(other) => Err(other),
        }
    }

    /// FCALL / FCALL_RO.
    pub fn fcall(
        &mut self,
        host: &mut dyn ScriptHost,
        name: &str,
        keys: &[Bytes],
        args: &[Bytes],
    ) -> Result<Reply, ScriptError> {
        let func = self.find(name).ok_or_else(|| err("Function not found"))?;
        let fargs = (string_array(&self.vm, keys)?, string_array(&self.vm, args)?);
        self.kill.store(false, Ordering::SeqCst);
        run_function(&self.vm, host, name, &func, Some(fargs))
    }

    fn find(&self, name: &str) -> Option<Function> {
        self.libraries.values().find_map(|l| {
            let i = l
                .info
                .functions
                .iter()
                .position(|f| f.name.eq_ignore_ascii_case(name))?;
            l.callbacks.get(i).cloned()
        })
    }

    /// A function's flags (for the server's checks before FCALL).
    pub fn function_flags(&self, name: &str) -> Option<ScriptFlags> {
        self.libraries.values().find_map(|l| {
            l.info
                .functions
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
                .map(|f| f.flags)
        })
    }

    /// FUNCTION DELETE.
    pub fn delete(&mut self, library: &str) -> Result<(), ScriptError> {
        self.libraries
            .remove(library)
            .map(|_| ())
            .ok_or_else(|| err("Library not found"))
    }

    /// FUNCTION FLUSH: no libraries, a fresh Lua state.
    pub fn flush(&mut self) -> Result<(), ScriptError> {
        let vm = Vm::new(self.kill.clone(), Budget::new(self.limit))?;
        crate::register::install(&vm)?;
        self.vm = vm;
        self.libraries.clear();
        Ok(())
    }

    /// Every library, by name (FUNCTION LIST, FUNCTION DUMP).
    pub fn libraries(&self) -> Vec<LibraryInfo> {
        self.libraries.values().map(|l| l.info.clone()).collect()
    }
}
