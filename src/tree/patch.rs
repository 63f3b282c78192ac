//! Patches: read from `git format-patch` output, `diff -u`, or a mail as
//! a list archive stores it, and applied to a kernel's futex files in
//! memory, the way `patch -l` applies them: context compared with runs of
//! white space as one blank and none at the ends (archives lose the
//! leading blank of every context line, and tabs), searched for near
//! where the hunk says and then anywhere, and with up to two lines of
//! context let go at each end (fuzz) before a hunk is refused.

use std::fmt;
use std::path::{Path, PathBuf};

use super::KernelSource;

/// One line of a hunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    Context(String),
    Remove(String),
    Add(String),
}

/// `@@ -old_start,old_len +new_start,new_len @@` and its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hunk {
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    /// The line of the patch file with the `@@` header.
    pub at: usize,
    pub lines: Vec<Line>,
}

/// The hunks for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilePatch {
    /// The path after `+++` (or after `---` for a removal), as written.
    pub path: String,
    pub hunks: Vec<Hunk>,
}

/// A patch file, parsed.
#[derive(Clone, Debug)]
pub struct Patch {
    /// Where it was read from.
    pub file: PathBuf,
    /// The revision a patched kernel is named after: the file's stem.
    pub name: String,
    pub files: Vec<FilePatch>,
}

/// Why a patch cannot be read or applied.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{file}:{line}: {message}")]
    Malformed {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}: no hunk found (a unified diff has `--- a/FILE`, `+++ b/FILE` and `@@` lines)")]
    Empty(PathBuf),
    #[error(
        "{patch}:{line}: hunk {number} of {target} does not apply (searched the whole file, with \
         up to 2 lines of fuzz); it expects, near line {near}:\n{expected}"
    )]
    Rejected {
        patch: PathBuf,
        line: usize,
        number: usize,
        target: String,
        near: usize,
        expected: String,
    },
    #[error("{0}: it changes none of the kernel's futex files ({1})")]
    NothingToApply(PathBuf, String),
}

/// Reads the patch file at `path`.
pub fn read(path: &Path) -> Result<Patch, PatchError> {
    let text = std::fs::read_to_string(path).map_err(|e| PatchError::Io(path.to_path_buf(), e))?;
    let files = parse(&text).map_err(|(line, message)| PatchError::Malformed {
        file: path.to_path_buf(),
        line,
        message,
    })?;
    if files.iter().all(|f| f.hunks.is_empty()) {
        return Err(PatchError::Empty(path.to_path_buf()));
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "patch".into());
    Ok(Patch {
        file: path.to_path_buf(),
        name,
        files,
    })
}

/// Parses the unified diffs in `text`; text around them (a mail's
/// headers, a commit message, a signature) is passed over. `Err` gives the
/// line and what is wrong.
pub fn parse(text: &str) -> Result<Vec<FilePatch>, (usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut files: Vec<FilePatch> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("--- ") && lines.get(i + 1).is_some_and(|l| l.starts_with("+++ ")) {
            let old = path_of(&line[4..]);
            let new = path_of(&lines[i + 1][4..]);
            let path = if new == "/dev/null" { old } else { new };
            files.push(FilePatch {
                path,
                hunks: Vec::new(),
            });
            i += 2;
            continue;
        }
        if line.starts_with("@@ ") {
            let Some(file) = files.last_mut() else {
                return Err((i + 1, "a hunk before any `---`/`+++` file header".into()));
            };
            let (hunk, next) = hunk(&lines, i)?;
            file.hunks.push(hunk);
            i = next;
            continue;
        }
        i += 1;
    }
    Ok(files)
}

/// The path of a `---`/`+++` line: up to a tab (diff -u adds a date).
fn path_of(rest: &str) -> String {
    rest.split('\t').next().unwrap_or("").trim().to_string()
}

/// The hunk whose header is line `at`, and the line after it.
fn hunk(lines: &[&str], at: usize) -> Result<(Hunk, usize), (usize, String)> {
    let bad = || (at + 1, format!("`{}` is not a hunk header", lines[at]));
    let header = lines[at].strip_prefix("@@ ").ok_or_else(bad)?;
    let ranges = header.split(" @@").next().ok_or_else(bad)?;
    let mut parts = ranges.split_whitespace();
    let range = |part: Option<&str>, sign: char| -> Option<(usize, usize)> {
        let part = part?.strip_prefix(sign)?;
        let (start, len) = match part.split_once(',') {
            Some((s, l)) => (s.parse().ok()?, l.parse().ok()?),
            None => (part.parse().ok()?, 1),
        };
        Some((start, len))
    };
    let (old_start, old_len) = range(parts.next(), '-').ok_or_else(bad)?;
    let (new_start, new_len) = range(parts.next(), '+').ok_or_else(bad)?;
    let (mut old_left, mut new_left) = (old_len, new_len);
    let mut body = Vec::new();
    let mut i = at + 1;
    while old_left > 0 || new_left > 0 {
        let Some(&line) = lines.get(i) else {
            return Err((
                at + 1,
                format!("the hunk ends before its {old_left} old and {new_left} new lines"),
            ));
        };
        i += 1;
        if line.starts_with('\\') {
            continue; // "\ No newline at end of file"
        }
        let (kind, old, new) = match line.as_bytes().first() {
            Some(b'+') => (Line::Add(line[1..].to_string()), 0, 1),
            Some(b'-') => (Line::Remove(line[1..].to_string()), 1, 0),
            Some(b' ') => (Line::Context(line[1..].to_string()), 1, 1),
            // A context line whose leading blank was lost (list archives).
            _ => (Line::Context(line.to_string()), 1, 1),
        };
        if old > old_left || new > new_left {
            return Err((i, "more lines than the hunk header counts".into()));
        }
        old_left -= old;
        new_left -= new;
        body.push(kind);
    }
    let hunk = Hunk {
        old_start,
        old_len,
        new_start,
        new_len,
        at: at + 1,
        lines: body,
    };
    Ok((hunk, i))
}

/// A line as `patch -l` compares it: runs of white space as one blank,
/// none at either end.
fn loose(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What applying a patch to a kernel did.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// Files the patch changes that the kernel's futex code does not hold.
    pub passed_over: Vec<String>,
    /// Hunks that applied only with fuzz or away from their line, in words.
    pub notes: Vec<String>,
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.passed_over {
            writeln!(
                f,
                "the patch also changes {file}, which futex-diff does not read"
            )?;
        }
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        Ok(())
    }
}

/// Applies `patch` to the futex files of `source`.
pub fn apply(source: &mut KernelSource, patch: &Patch) -> Result<Applied, PatchError> {
    let mut applied = Applied::default();
    let mut touched = false;
    for file in &patch.files {
        let Some(target) = source.files.iter_mut().find(|f| names(&file.path, &f.rel)) else {
            applied.passed_over.push(file.path.clone());
            continue;
        };
        touched = true;
        let name = target.rel.display().to_string();
        let ends_with_newline = target.text.ends_with('\n');
        let mut lines: Vec<String> = target.text.lines().map(str::to_string).collect();
        let mut offset: isize = 0;
        for (n, hunk) in file.hunks.iter().enumerate() {
            let expected = (hunk.old_start.max(1) - 1) as isize + offset;
            let (at, fuzz) =
                locate(&lines, hunk, expected).ok_or_else(|| rejected(patch, &name, n, hunk))?;
            let start = at as isize - old_side(hunk, fuzz).1 as isize;
            if fuzz > 0 || start != expected {
                applied.notes.push(format!(
                    "{}: hunk {} of {} applied at line {} (offset {}, fuzz {fuzz})",
                    patch.file.display(),
                    n + 1,
                    name,
                    start + 1,
                    start - expected
                ));
            }
            let (removed, added) = replace(&mut lines, hunk, at, fuzz);
            offset += added as isize - removed as isize;
        }
        let mut text = lines.join("\n");
        if ends_with_newline {
            text.push('\n');
        }
        target.text = text;
    }
    if !touched {
        return Err(PatchError::NothingToApply(
            patch.file.clone(),
            applied.passed_over.join(", "),
        ));
    }
    Ok(applied)
}

/// Whether the patch path `path` (with or without `a/`, `b/` and leading
/// directories) names the kernel file `rel`.
fn names(path: &str, rel: &Path) -> bool {
    let rel = rel.to_string_lossy().replace('\\', "/");
    let mut path = path;
    for _ in 0..3 {
        if path == rel || path.ends_with(&format!("/{rel}")) && !rel.contains('/') {
            return true;
        }
        match path.split_once('/') {
            Some((_, rest)) => path = rest,
            None => return false,
        }
    }
    false
}

/// The old side of a hunk with `fuzz` context lines let go at each end.
fn old_side(hunk: &Hunk, fuzz: usize) -> (Vec<String>, usize) {
    let lead = hunk
        .lines
        .iter()
        .take_while(|l| matches!(l, Line::Context(_)))
        .count()
        .min(fuzz);
    let trail = hunk
        .lines
        .iter()
        .rev()
        .take_while(|l| matches!(l, Line::Context(_)))
        .count()
        .min(fuzz);
    let old: Vec<String> = hunk.lines[lead..hunk.lines.len() - trail]
        .iter()
        .filter_map(|l| match l {
            Line::Context(s) | Line::Remove(s) => Some(loose(s)),
            Line::Add(_) => None,
        })
        .collect();
    (old, lead)
}

/// Where the hunk's old side stands in `lines`: the line its first line
/// kept stands on (after the context let go), and the fuzz it needed.
fn locate(lines: &[String], hunk: &Hunk, expected: isize) -> Option<(usize, usize)> {
    let file: Vec<String> = lines.iter().map(|l| loose(l)).collect();
    for fuzz in 0..=2 {
        let (old, lead) = old_side(hunk, fuzz);
        if old.is_empty() && fuzz > 0 {
            break;
        }
        let fits = |at: usize| at + old.len() <= file.len() && file[at..at + old.len()] == old[..];
        let start = (expected + lead as isize).clamp(0, file.len() as isize) as usize;
        for distance in 0..=file.len() {
            for at in [start.checked_sub(distance), start.checked_add(distance)]
                .into_iter()
                .flatten()
            {
                if fits(at) {
                    return Some((at, fuzz));
                }
            }
        }
    }
    None
}

/// Replaces the hunk's old side, whose first kept line is at `at`, with
/// its new side, keeping the file's own text for context lines; returns
/// the lines removed and added.
fn replace(lines: &mut Vec<String>, hunk: &Hunk, at: usize, fuzz: usize) -> (usize, usize) {
    let (_, lead) = old_side(hunk, fuzz);
    let trail = hunk
        .lines
        .iter()
        .rev()
        .take_while(|l| matches!(l, Line::Context(_)))
        .count()
        .min(fuzz);
    let body = &hunk.lines[lead..hunk.lines.len() - trail];
    let mut cursor = at;
    let mut out: Vec<String> = Vec::new();
    let (mut removed, mut added) = (0, 0);
    for line in body {
        match line {
            Line::Context(_) => {
                out.push(lines[cursor].clone());
                cursor += 1;
            }
            Line::Remove(_) => {
                cursor += 1;
                removed += 1;
            }
            Line::Add(s) => {
                out.push(s.clone());
                added += 1;
            }
        }
    }
    lines.splice(at..cursor, out);
    (removed, added)
}

fn rejected(patch: &Patch, target: &str, n: usize, hunk: &Hunk) -> PatchError {
    let expected: Vec<String> = hunk
        .lines
        .iter()
        .filter_map(|l| match l {
            Line::Context(s) => Some(format!("   {s}")),
            Line::Remove(s) => Some(format!("  -{s}")),
            Line::Add(_) => None,
        })
        .take(8)
        .collect();
    PatchError::Rejected {
        patch: patch.file.clone(),
        line: hunk.at,
        number: n + 1,
        target: target.to_string(),
        near: hunk.old_start,
        expected: expected.join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> KernelSource {
        KernelSource {
            root: PathBuf::from("/tree"),
            version: None,
            files: vec![super::super::SourceFile {
                rel: PathBuf::from("kernel/futex.c"),
                text: text.to_string(),
            }],
        }
    }

    fn patch_of(text: &str) -> Patch {
        Patch {
            file: PathBuf::from("p.patch"),
            name: "p".into(),
            files: parse(text).unwrap(),
        }
    }

    #[test]
    fn a_hunk_with_its_context_blanks_lost_applies_loosely() {
        let mut src = source("int a;\n\tint b;\n\tint c;\n\tint d;\n");
        let p = patch_of(
            "--- a/kernel/futex.c\n+++ b/kernel/futex.c\n@@ -2,3 +2,3 @@\nint b;\n-\tint c;\n+ int C;\nint d;\n-- \nsignature\n",
        );
        let applied = apply(&mut src, &p).unwrap();
        assert_eq!(src.files[0].text, "int a;\n\tint b;\n int C;\n\tint d;\n");
        assert!(applied.notes.is_empty(), "{applied}");
    }

    #[test]
    fn a_hunk_moved_in_the_file_applies_with_an_offset_and_fuzz() {
        let mut src = source("x\ny\nint a;\nint b;\nint c;\nint d;\n");
        let p = patch_of(
            "--- a/kernel/futex.c\n+++ b/kernel/futex.c\n@@ -1,4 +1,4 @@\n gone\n int b;\n-int c;\n+int C;\n int d;\n",
        );
        let applied = apply(&mut src, &p).unwrap();
        assert_eq!(src.files[0].text, "x\ny\nint a;\nint b;\nint C;\nint d;\n");
        assert_eq!(applied.notes.len(), 1, "{applied}");
    }

    #[test]
    fn a_hunk_that_matches_nothing_is_refused_with_what_it_expects() {
        let mut src = source("int a;\n");
        let p = patch_of(
            "--- a/kernel/futex.c\n+++ b/kernel/futex.c\n@@ -1,1 +1,1 @@\n-int z;\n+int y;\n",
        );
        let err = apply(&mut src, &p).unwrap_err().to_string();
        assert!(
            err.contains("hunk 1 of kernel/futex.c does not apply") && err.contains("-int z;"),
            "{err}"
        );
    }
}
