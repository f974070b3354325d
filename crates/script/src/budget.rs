//! The deterministic budget: a script may run a fixed number of Lua instructions, counted by a
//! count hook, so every replica stops the same script at the same instruction.

/// The hook fires every this many instructions; budgets are counted in these steps.
pub const HOOK_EVERY: u32 = 1000;

/// Instructions a script may still run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The limit per run, `None` for no limit.
    pub limit: Option<u64>,
    used: u64,
}

impl Budget {
    pub fn new(limit: Option<u64>) -> Budget {
        Budget { limit, used: 0 }
    }

    pub fn reset(&mut self) {
        self.used = 0;
    }

    /// Counts `n` more instructions; false once the limit is passed.
    pub fn charge(&mut self, n: u32) -> bool {
        self.used = self.used.saturating_add(u64::from(n));
        self.limit.is_none_or(|l| self.used <= l)
    }

    pub fn exceeded_message(&self) -> String {
        format!(
            "Script exceeded its budget of {} Lua instructions",
            self.limit.unwrap_or(0)
        )
    }
}
