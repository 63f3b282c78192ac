//! A kernel as input: a kernel tree, or one of its futex files, read as it
//! stands ([`read`]); patched in memory ([`patch`]); and cut down to the
//! `get_futex_key()` it holds and everything futex-local that function
//! needs ([`extract`]), ready to compile over the fake kernel layer.
//!
//! A tree is a directory with a `Makefile` (which gives the version) and
//! `kernel/futex.c`, or, from 5.16, `kernel/futex/core.c` with
//! `kernel/futex/futex.h` beside it.

pub mod chunks;
pub mod extract;
pub mod patch;

use std::fmt;
use std::path::{Path, PathBuf};

/// A kernel release, as a tree's `Makefile` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub sub: u32,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.sub)
    }
}

/// One file of a kernel's futex code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The path inside the tree (`kernel/futex.c`).
    pub rel: PathBuf,
    pub text: String,
}

/// A kernel's futex code, as read (and perhaps patched).
#[derive(Clone, Debug)]
pub struct KernelSource {
    /// The tree (or, for a lone file, its directory) it was read from.
    pub root: PathBuf,
    /// The release, when a `Makefile` says it.
    pub version: Option<Version>,
    /// The file holding `get_futex_key()` first, then the local headers
    /// it includes (`futex.h`).
    pub files: Vec<SourceFile>,
}

/// Why a kernel could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error(
        "{0} holds neither kernel/futex.c nor kernel/futex/core.c: name a kernel tree, or the file \
         that defines get_futex_key()"
    )]
    NoFutexFile(PathBuf),
}

fn read_file(path: &Path) -> Result<String, TreeError> {
    std::fs::read_to_string(path).map_err(|e| TreeError::Io(path.to_path_buf(), e))
}

/// Reads the kernel at `path`: a tree, or a `futex.c` / `core.c` file (with
/// the `futex.h` beside a `core.c`). A lone file inside a tree still gets
/// the tree's version.
pub fn read(path: &Path) -> Result<KernelSource, TreeError> {
    if path.is_dir() {
        let candidates = [
            ("kernel/futex/core.c", Some("kernel/futex/futex.h")),
            ("kernel/futex.c", None),
        ];
        for (main, header) in candidates {
            if path.join(main).is_file() {
                let mut files = vec![SourceFile {
                    rel: PathBuf::from(main),
                    text: read_file(&path.join(main))?,
                }];
                if let Some(header) = header.filter(|h| path.join(h).is_file()) {
                    files.push(SourceFile {
                        rel: PathBuf::from(header),
                        text: read_file(&path.join(header))?,
                    });
                }
                return Ok(KernelSource {
                    root: path.to_path_buf(),
                    version: makefile_version(&path.join("Makefile")),
                    files,
                });
            }
        }
        return Err(TreeError::NoFutexFile(path.to_path_buf()));
    }
    let text = read_file(path)?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
    let mut files = vec![SourceFile { rel: name, text }];
    let header = dir.join("futex.h");
    if path.file_name().is_some_and(|n| n == "core.c") && header.is_file() {
        files.push(SourceFile {
            rel: PathBuf::from("futex.h"),
            text: read_file(&header)?,
        });
    }
    // kernel/futex.c or kernel/futex/core.c: the Makefile is one or two
    // directories up.
    let version = dir
        .ancestors()
        .skip(1)
        .take(2)
        .find_map(|d| makefile_version(&d.join("Makefile")));
    Ok(KernelSource {
        root: dir,
        version,
        files,
    })
}

/// `VERSION`, `PATCHLEVEL` and `SUBLEVEL` of a kernel `Makefile`.
pub fn makefile_version(path: &Path) -> Option<Version> {
    let text = std::fs::read_to_string(path).ok()?;
    let field = |name: &str| -> Option<u32> {
        text.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == name).then(|| value.trim().parse().ok())?
        })
    };
    Some(Version {
        major: field("VERSION")?,
        minor: field("PATCHLEVEL")?,
        sub: field("SUBLEVEL").unwrap_or(0),
    })
}

impl KernelSource {
    /// The name a revision of this kernel takes by default: its release
    /// (`linux-4.7.4`), else the stem of its file.
    pub fn default_name(&self) -> String {
        match self.version {
            Some(v) => format!("linux-{v}"),
            None => self.files[0]
                .rel
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "kernel".into()),
        }
    }

    /// Where file `file` of this kernel is, for the compiler's messages.
    pub fn path_of(&self, file: &SourceFile) -> PathBuf {
        self.root.join(&file.rel)
    }
}
