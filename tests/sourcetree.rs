//! `docs/sourcetree.md` against the tree, so the map cannot drift from the territory. No server.
//!
//! The doc is one table; a row's first cell names where things live, the rest says what. Paths in
//! backticks that start at the repository root (`crates/…`, `tests/…`, the first path of a row)
//! must exist; `*` and `{a,b}` stand for what they match. A row's first cell sets its base
//! directories (a named directory, a named file's directory, a crate's `src/`); other paths in the
//! row (`writes.rs`, `blocking/wait.rs`, `cmd_bitmap/`) are read in those and must exist in one.
//!
//! Coverage: a source file (`crates/**/*.rs`, `tests/**/*.rs`, `tests/**/*.sh`,
//! `proto/**/*.proto`, `benches/*`) is covered when the doc names it or its own directory. A
//! directory covers its direct children only, so a new subdirectory needs a row (or a mention in
//! its parent's row) of its own.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Paths in backticks that start with one of these are read from the repository root.
const ROOTS: &[&str] = &[
    "crates/",
    "tests/",
    "benches/",
    "docker/",
    "proto/",
    "cluster-configs/",
    "docs/",
    ".ci/",
];

/// Endings that make a backticked word inside a row a path (others are names, commands, types).
const PATH_ENDINGS: &[&str] = &[".rs", ".proto", ".sh", ".txt", ".md", ".toml", ".yml", "/"];

/// What the doc names, resolved against the tree.
#[derive(Default)]
struct Named {
    files: BTreeSet<PathBuf>,
    dirs: BTreeSet<PathBuf>,
    problems: Vec<String>,
}

#[test]
fn sourcetree_names_existing_paths_and_covers_every_source_file() -> Result<()> {
    let root = repo_root();
    let doc = fs::read_to_string(root.join("docs/sourcetree.md"))
        .context("reading docs/sourcetree.md")?;
    let mut named = Named::default();
    for row in table_rows(&doc) {
        read_row(&root, &row, &mut named)?;
    }
    for file in source_files(&root)? {
        if !is_covered(&named, &root.join(&file)) {
            named.problems.push(format!(
                "no row covers {}: add one (or name it in its directory's row)",
                file.display()
            ));
        }
    }
    assert!(
        named.problems.is_empty(),
        "docs/sourcetree.md has drifted from the tree:\n  {}",
        named.problems.join("\n  ")
    );
    Ok(())
}

fn repo_root() -> PathBuf {
    // This package lives in `tests/`, one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The table's rows as cells (header and separator left out).
fn table_rows(doc: &str) -> Vec<Vec<String>> {
    doc.lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(split_cells)
        .collect()
}

/// Splits a table line on `|`, except inside backticks (`run|set|show`).
fn split_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut in_code = false;
    for c in line.trim().trim_matches('|').chars() {
        match c {
            '`' => in_code = !in_code,
            '|' if !in_code => {
                cells.push(String::new());
                continue;
            }
            _ => {}
        }
        cells.last_mut().expect("cells starts non-empty").push(c);
    }
    cells
}

/// The words in backticks in one cell.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

fn is_rooted(span: &str) -> bool {
    ROOTS.iter().any(|r| span.starts_with(r))
}

fn looks_like_path(span: &str) -> bool {
    let path_chars = |c: char| c.is_ascii_alphanumeric() || "_.-/*{},".contains(c);
    span.chars().all(path_chars) && PATH_ENDINGS.iter().any(|e| span.ends_with(e))
}

/// Resolves the row's paths: the first cell's set the bases the rest are read in.
fn read_row(root: &Path, row: &[String], named: &mut Named) -> Result<()> {
    let mut bases = Vec::new();
    for (i, cell) in row.iter().enumerate() {
        for (j, span) in code_spans(cell).into_iter().enumerate() {
            let rooted = is_rooted(span) || (i == 0 && j == 0);
            if !rooted && !looks_like_path(span) {
                continue;
            }
            let found = if rooted {
                matches(root, span)?
            } else {
                in_bases(&bases, span)?
            };
            if found.is_empty() {
                named.problems.push(missing(span, rooted, row));
            }
            for path in found {
                if i == 0 {
                    bases.extend(bases_of(&path));
                }
                record(named, path);
            }
        }
    }
    Ok(())
}

fn missing(span: &str, rooted: bool, row: &[String]) -> String {
    let first = row.first().map_or("", |c| c.trim());
    if rooted {
        format!("`{span}` names nothing (row {first})")
    } else {
        format!("`{span}` is in none of the directories of row {first}")
    }
}

fn in_bases(bases: &[PathBuf], span: &str) -> Result<Vec<PathBuf>> {
    for base in bases {
        let found = matches(base, span)?;
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// Where a row's relative paths are read: a directory itself (and a crate's `src/`), or a
/// file's directory.
fn bases_of(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        let mut bases = vec![path.to_path_buf()];
        if path.join("Cargo.toml").is_file() {
            bases.push(path.join("src"));
        }
        bases
    } else {
        path.parent().map(Path::to_path_buf).into_iter().collect()
    }
}

fn record(named: &mut Named, path: PathBuf) {
    if path.is_dir() {
        if path.join("Cargo.toml").is_file() {
            named.dirs.insert(normal(&path.join("src")));
        }
        named.dirs.insert(normal(&path));
    } else {
        named.files.insert(normal(&path));
    }
}

fn is_covered(named: &Named, file: &Path) -> bool {
    let file = normal(file);
    named.files.contains(&file) || file.parent().is_some_and(|d| named.dirs.contains(d))
}

/// The path without `.` and `..` parts (for comparison; the files exist, so no symlink games).
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The existing paths `pattern` (with `{a,b}` and `*`) names under `base`.
fn matches(base: &Path, pattern: &str) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for one in expand_braces(pattern) {
        let mut paths = vec![base.to_path_buf()];
        for part in one.trim_end_matches('/').split('/') {
            paths = step(&paths, part)?;
        }
        found.extend(paths);
    }
    Ok(found)
}

/// The children of `paths` that `part` (maybe with `*`) names.
fn step(paths: &[PathBuf], part: &str) -> Result<Vec<PathBuf>> {
    let mut next = Vec::new();
    for path in paths {
        if !part.contains('*') {
            let child = path.join(part);
            if child.exists() {
                next.push(child);
            }
            continue;
        }
        if !path.is_dir() {
            continue;
        }
        for entry in fs::read_dir(path).with_context(|| format!("listing {}", path.display()))? {
            let name = entry?.file_name();
            if wildcard(part, &name.to_string_lossy()) {
                next.push(path.join(name));
            }
        }
    }
    Ok(next)
}

/// `a/{b,c}.rs` → `a/b.rs`, `a/c.rs` (one brace group is all the doc uses; more expand too).
fn expand_braces(pattern: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (pattern.find('{'), pattern.find('}')) else {
        return vec![pattern.to_string()];
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    pattern[open + 1..close]
        .split(',')
        .flat_map(|alt| expand_braces(&format!("{head}{alt}{tail}")))
        .collect()
}

/// `*` matches any run of characters within one name.
fn wildcard(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(after) = name.strip_prefix(head) else {
                return false;
            };
            (0..=after.len())
                .filter(|&i| after.is_char_boundary(i))
                .any(|i| wildcard(rest, &after[i..]))
        }
    }
}

/// Every source file the doc must cover, relative to the root.
fn source_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    walk(root, Path::new("crates"), &[".rs"], &mut files)?;
    walk(root, Path::new("tests"), &[".rs", ".sh"], &mut files)?;
    walk(root, Path::new("proto"), &[".proto"], &mut files)?;
    walk(root, Path::new("benches"), &[""], &mut files)?;
    Ok(files)
}

fn walk(root: &Path, dir: &Path, endings: &[&str], out: &mut Vec<PathBuf>) -> Result<()> {
    let listing =
        fs::read_dir(root.join(dir)).with_context(|| format!("listing {}", dir.display()))?;
    for entry in listing {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let path = dir.join(&name);
        if entry.file_type()?.is_dir() {
            walk(root, &path, endings, out)?;
        } else if endings.iter().any(|e| name.ends_with(e)) {
            out.push(path);
        }
    }
    Ok(())
}

#[test]
fn cells_split_outside_code_only() {
    let cells = split_cells("| `a/b.rs` | runs `x run|set` here |");
    assert_eq!(cells, vec![" `a/b.rs` ", " runs `x run|set` here "]);
    assert_eq!(code_spans(&cells[1]), vec!["x run|set"]);
}

#[test]
fn patterns_expand_and_match() {
    assert_eq!(expand_braces("s/{a,b}.rs"), vec!["s/a.rs", "s/b.rs"]);
    assert!(wildcard("cmd_*.rs", "cmd_geo.rs"));
    assert!(wildcard("config*.rs", "config.rs"));
    assert!(!wildcard("cmd_*.rs", "cmd_geo/"));
    assert!(looks_like_path("blocking/wait.rs") && looks_like_path("cmd_hll/"));
    assert!(!looks_like_path("Databases::block_ready") && !looks_like_path("<data>/raft/"));
}
