//! Extraction: from a kernel's futex code, `get_futex_key()` and
//! `put_futex_key()` and every futex-local function, variable, type and
//! macro they need, found by following what they use (not from a list of
//! names), with the conditional directives around them. Each piece keeps
//! its file and line (`#line`), so the compiler's messages and the traces
//! point at the kernel's own file. The kernel's `#include`s are dropped:
//! the fake kernel layer stands for all of `include/`, and a local header
//! (`futex.h`) is read in where it is included.
//!
//! The era comes from the release when the tree says it, else from the
//! code (the 3.x THP tail dance, `__get_user_pages_fast()` with irqs off,
//! was removed in 4.5 with the refcounting rework), else from a
//! `futex-diff: era=N` comment.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::chunks::{chunks, Chunk, Kind};
use super::{KernelSource, Version};
use crate::era::Era;

/// The functions a revision must define: its entry points.
const ENTRY_POINTS: [&str; 2] = ["get_futex_key", "put_futex_key"];

/// What the harness's entry point names to call a kernel that takes futex
/// flags (6.7 on), when the kernel defines it: see `fd_futex_flags()`.
const ENTRY_FLAGS: [&str; 4] = ["FLAGS_SHARED", "FLAGS_SIZE_32", "FLAGS_NUMA", "FLAGS_MPOL"];

/// A kernel's `get_futex_key()`, ready to compile as a revision.
#[derive(Clone, Debug)]
pub struct Extracted {
    /// The C text: the pieces, in their files' order, each after a `#line`.
    pub text: String,
    pub era: Era,
    /// The functions taken, in order.
    pub functions: Vec<String>,
}

/// Why a kernel's futex code cannot be a revision.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{0} defines no get_futex_key()")]
    NoGetFutexKey(PathBuf),
    #[error("{what}: {why} (eras {eras})")]
    UnsupportedEra {
        what: String,
        why: String,
        eras: String,
    },
}

/// A piece of one of the kernel's files.
struct Piece<'a> {
    chunk: Chunk,
    file: &'a PathBuf,
}

/// Extracts the revision of `source`; `paths[i]` is where its file `i`
/// is, for the `#line` directives.
pub fn extract(source: &KernelSource, paths: &[PathBuf]) -> Result<Extracted, ExtractError> {
    let pieces = spliced(source, paths, 0);
    let main = &paths[0];
    let mut wanted: Vec<String> = Vec::new();
    let mut keep = vec![false; pieces.len()];
    let mut queue: Vec<String> = ENTRY_POINTS
        .iter()
        .chain(&ENTRY_FLAGS)
        .filter(|name| {
            pieces
                .iter()
                .any(|p| p.chunk.defines.iter().any(|d| d == *name))
        })
        .map(|name| name.to_string())
        .collect();
    if !queue.iter().any(|n| n == ENTRY_POINTS[0]) {
        return Err(ExtractError::NoGetFutexKey(main.clone()));
    }
    while let Some(name) = queue.pop() {
        if wanted.contains(&name) {
            continue;
        }
        wanted.push(name.clone());
        for (i, piece) in pieces.iter().enumerate() {
            let defines = piece.chunk.defines.contains(&name);
            let code = matches!(
                piece.chunk.kind,
                Kind::Function | Kind::Declaration | Kind::Define
            );
            if defines && code && !keep[i] {
                keep[i] = true;
                queue.extend(piece.chunk.uses.iter().cloned());
            }
        }
    }
    for (i, piece) in pieces.iter().enumerate() {
        if piece.chunk.kind == Kind::Conditional {
            keep[i] = true;
        }
    }
    let get = pieces
        .iter()
        .find(|p| p.chunk.kind == Kind::Function && p.chunk.defines[..] == ["get_futex_key"])
        .map(|p| p.chunk.text.as_str())
        .unwrap_or("");
    let era = era_of(source, get)?;
    let mut text = format!(
        "/* Extracted by futex-diff from {} ({}): get_futex_key() and what it uses. */\n",
        main.display(),
        source.default_name()
    );
    let mut functions = Vec::new();
    for (piece, _) in pieces.iter().zip(&keep).filter(|(_, k)| **k) {
        // A conditional is kept for its structure: its comment is not.
        let (code, line) = match piece.chunk.kind {
            Kind::Conditional => piece.chunk.code(),
            _ => (piece.chunk.text.as_str(), piece.chunk.line),
        };
        let _ = writeln!(text, "#line {line} \"{}\"\n{code}", piece.file.display());
        if piece.chunk.kind == Kind::Function {
            functions.extend(piece.chunk.defines.iter().cloned());
        }
    }
    Ok(Extracted {
        text,
        era,
        functions,
    })
}

/// The pieces of file `index` of `source`, with each local header it
/// includes (one of its other files) read in place of the `#include`, and
/// every other `#include` dropped.
fn spliced<'a>(source: &'a KernelSource, paths: &'a [PathBuf], index: usize) -> Vec<Piece<'a>> {
    let mut out = Vec::new();
    for chunk in chunks(&source.files[index].text) {
        match &chunk.kind {
            Kind::Include { target, local } => {
                let header = source.files.iter().position(|f| {
                    *local
                        && f.rel
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy() == *target)
                });
                if let Some(h) = header.filter(|&h| h != index) {
                    out.extend(spliced(source, paths, h));
                }
            }
            _ => out.push(Piece {
                chunk,
                file: &paths[index],
            }),
        }
    }
    out
}

/// The era of a release from 6.16 on: 7.0 frees a memory policy after a
/// grace period ("futex: Fix UaF between futex_key_to_node_opt() and
/// vma_replace_policy()", 190a8c48ff62), as do the stable releases it went
/// back to: 6.18.21 and 6.19.11.
fn policies_freed_by_rcu(version: Version) -> Era {
    let fixed = match (version.major, version.minor) {
        (6, 18) => version.sub >= 21,
        (6, 19) => version.sub >= 11,
        (6, _) => false,
        _ => true,
    };
    if fixed {
        Era::V7_0
    } else {
        Era::V6_16
    }
}

/// The era of a kernel: by its release when known, else by its code.
fn era_of(source: &KernelSource, get_futex_key: &str) -> Result<Era, ExtractError> {
    let eras = Era::ALL
        .iter()
        .map(|e| format!("{} for {}", e.keyword(), e.rules().kernels))
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(version) = source.version {
        let v = |major, minor| Version {
            major,
            minor,
            sub: 0,
        };
        return if version < v(4, 5) {
            Ok(Era::V3)
        } else if version < v(4, 8) {
            Ok(Era::V4)
        } else if version < v(5, 6) {
            Ok(Era::V4_8)
        } else if version < v(5, 7) {
            Ok(Era::V5_6)
        } else if version < v(6, 7) {
            Ok(Era::V5)
        } else if version < v(6, 8) {
            Ok(Era::V6_7)
        } else if version < v(6, 16) {
            Ok(Era::V6_8)
        } else if version < v(8, 0) {
            Ok(policies_freed_by_rcu(version))
        } else {
            Err(ExtractError::UnsupportedEra {
                what: format!("linux-{version}"),
                why: "futex-diff models kernels up to 7.x".into(),
                eras,
            })
        };
    }
    if let Some(era) = source.files[0]
        .text
        .split("futex-diff: era=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(Era::from_keyword)
    {
        return Ok(era);
    }
    if get_futex_key.contains("FLAGS_NUMA") {
        // 7.0 reads the policy with READ_ONCE() as it began freeing it
        // after a grace period; a file that says nothing of its release is
        // taken by that mark.
        let marked = source.files[0].text.contains("READ_ONCE(vma->vm_policy)");
        return Ok(if marked { Era::V7_0 } else { Era::V6_16 });
    }
    if get_futex_key.contains("folio") {
        // 6.7 alone of the folio kernels lacks anonymous mTHPs; a file
        // that says nothing of its release is taken as the later ones.
        return Ok(Era::V6_8);
    }
    if get_futex_key.contains("i_seq") {
        // 5.6 alone still takes a reference on the mm for mm-shared keys.
        return Ok(if get_futex_key.contains("get_futex_key_refs") {
            Era::V5_6
        } else {
            Era::V5
        });
    }
    let tail_dance =
        get_futex_key.contains("__get_user_pages_fast") && get_futex_key.contains("PageTail");
    Ok(if tail_dance { Era::V3 } else { Era::V4 })
}
