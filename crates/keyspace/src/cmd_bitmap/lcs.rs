//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence
//! of two strings by Redis's dynamic-programming table, walked back exactly as `lcsCommand`
//! walks it, so that ties and the IDX ranges come out the same.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg};
use crate::command::CommandResult;
use crate::ctx::ReadCtx;
use crate::errors::{
    err, LCS_LEN_AND_IDX, LCS_NOT_STRINGS, LCS_TABLE_TOO_BIG, LCS_TOO_LONG, SYNTAX,
};
use crate::small_bytes::SmallBytes;

#[derive(Default)]
struct Opts {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: u64,
}

/// One IDX match: inclusive ranges in the first and the second string.
struct Match {
    a: (usize, usize),
    b: (usize, usize),
}

pub(super) fn lcs(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    // Both keys are checked before the options, as in Redis.
    let string = |k: &Bytes| match ctx.db.lookup::<SmallBytes>(k, ctx.now_ms) {
        Ok(s) => Ok(s.map_or(&[][..], |s| &s[..])),
        Err(_) => Err(err(LCS_NOT_STRINGS)),
    };
    let (a, b) = (string(&argv[1])?, string(&argv[2])?);
    let opts = parse_opts(&argv[3..])?;
    if opts.len && opts.idx {
        return Err(err(LCS_LEN_AND_IDX));
    }
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(err(LCS_TOO_LONG));
    }
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells * 4 > ctx.limits.max_string_len as u64 {
        return Err(err(LCS_TABLE_TOO_BIG));
    }
    let table = Table::new(a, b);
    let total = Reply::Integer(i64::from(table.at(a.len(), b.len())));
    if opts.len {
        return Ok(total);
    }
    let (common, matches) = table.walk_back(a, b);
    if !opts.idx {
        return Ok(Reply::Bulk(Bytes::from(common)));
    }
    let matches = matches
        .into_iter()
        .filter(|m| (m.a.1 - m.a.0 + 1) as u64 >= opts.min_match_len)
        .map(|m| match_reply(&m, opts.with_match_len))
        .collect();
    Ok(Reply::Map(vec![
        (Reply::bulk("matches"), Reply::Array(matches)),
        (Reply::bulk("len"), total),
    ]))
}

fn parse_opts(args: &[Bytes]) -> Result<Opts, Reply> {
    let mut o = Opts::default();
    let mut j = 0;
    while j < args.len() {
        let opt = &args[j];
        if eq_ignore_case(opt, "idx") {
            o.idx = true;
        } else if eq_ignore_case(opt, "len") {
            o.len = true;
        } else if eq_ignore_case(opt, "withmatchlen") {
            o.with_match_len = true;
        } else if eq_ignore_case(opt, "minmatchlen") && j + 1 < args.len() {
            o.min_match_len = int_arg(&args[j + 1])?.max(0) as u64;
            j += 1;
        } else {
            return Err(err(SYNTAX));
        }
        j += 1;
    }
    Ok(o)
}

fn match_reply(m: &Match, with_len: bool) -> Reply {
    let range = |(from, to): (usize, usize)| {
        Reply::Array(vec![Reply::Integer(from as i64), Reply::Integer(to as i64)])
    };
    let mut out = vec![range(m.a), range(m.b)];
    if with_len {
        out.push(Reply::Integer((m.a.1 - m.a.0 + 1) as i64));
    }
    Reply::Array(out)
}

/// `at(i, j)`: the LCS length of the first `i` bytes of `a` and the first `j` bytes of `b`.
struct Table {
    cells: Vec<u32>,
    width: usize,
}

impl Table {
    fn new(a: &[u8], b: &[u8]) -> Table {
        let width = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * width];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Table { cells, width }
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// The common subsequence and its contiguous runs, last run first, as Redis reports them.
    fn walk_back(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<Match>) {
        let mut common = Vec::with_capacity(self.at(a.len(), b.len()) as usize);
        let mut matches = Vec::new();
        let mut run: Option<Match> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                common.push(a[i - 1]);
                match &mut run {
                    None => {
                        run = Some(Match {
                            a: (i - 1, i - 1),
                            b: (j - 1, j - 1),
                        })
                    }
                    Some(m) if m.a.0 == i && m.b.0 == j => {
                        m.a.0 -= 1;
                        m.b.0 -= 1;
                    }
                    Some(_) => emit = true,
                }
                // A run that reached the start of either string ends the walk.
                emit |= run.as_ref().is_some_and(|m| m.a.0 == 0 || m.b.0 == 0);
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = run.is_some();
            }
            if emit {
                matches.extend(run.take());
            }
        }
        common.reverse();
        (common, matches)
    }
}
