//! Script flags (script.c's `scripts_flags_def`) and EVAL's `#!lua flags=…` line
//! (evalExtractShebangFlags).

/// What a script or function declared about itself; the server enforces it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    pub no_writes: bool,
    pub allow_oom: bool,
    pub allow_stale: bool,
    pub no_cluster: bool,
    pub allow_cross_slot_keys: bool,
    /// An EVAL body without a shebang: Redis's pre-7.0 rules apply (writes decided per command).
    pub eval_compat_mode: bool,
}

impl ScriptFlags {
    /// Sets the flag named as in Redis (`no-writes`, …); false for an unknown name.
    pub fn set_by_name(&mut self, name: &[u8]) -> bool {
        let slot = match name {
            b"no-writes" => &mut self.no_writes,
            b"allow-oom" => &mut self.allow_oom,
            b"allow-stale" => &mut self.allow_stale,
            b"no-cluster" => &mut self.no_cluster,
            b"allow-cross-slot-keys" => &mut self.allow_cross_slot_keys,
            _ => return false,
        };
        *slot = true;
        true
    }

    /// The names of the flags set, in Redis's order (FUNCTION LIST).
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.no_writes, "no-writes"),
            (self.allow_oom, "allow-oom"),
            (self.allow_stale, "allow-stale"),
            (self.no_cluster, "no-cluster"),
            (self.allow_cross_slot_keys, "allow-cross-slot-keys"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// Splits a shebang line into words (sdssplitargs without quoting, which flags never need).
fn words(line: &[u8]) -> Vec<&[u8]> {
    line.split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Parses an EVAL body's shebang: the flags and the length of the `#!` line (its line feed is
/// kept in the compiled body so line numbers stay the user's). Errors are Redis's texts without
/// the `ERR ` code.
pub fn eval_shebang(body: &[u8]) -> Result<(ScriptFlags, usize), String> {
    let mut flags = ScriptFlags {
        eval_compat_mode: true,
        ..ScriptFlags::default()
    };
    if !body.starts_with(b"#!") {
        return Ok((flags, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".to_string());
    };
    let parts = words(&body[..end]);
    let Some(engine) = parts.first() else {
        return Err("Invalid engine in script shebang".to_string());
    };
    if *engine != b"#!lua" {
        let engine = String::from_utf8_lossy(engine);
        return Err(format!("Unexpected engine in script shebang: {engine}"));
    }
    flags.eval_compat_mode = false;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            let part = String::from_utf8_lossy(part);
            return Err(format!("Unknown lua shebang option: {part}"));
        };
        for name in list.split(|&b| b == b',') {
            if !flags.set_by_name(name) {
                let name = String::from_utf8_lossy(name);
                return Err(format!("Unexpected flag in script shebang: {name}"));
            }
        }
    }
    Ok((flags, end))
}
