//! Compiling a revision at run time: the C file, as it stands, against the
//! fake kernel headers this binary carries, with the system C compiler,
//! into a shared object holding the revision and a shim of its own.
//! Objects are cached by content: the preprocessed source (so every header
//! a file includes counts), the compiler and its flags.
//!
//! Environment read here:
//! - `CC`: the C compiler (default `cc`; `clang` in a fuzzing build, which
//!   instruments revisions for libFuzzer's coverage as build.rs does the
//!   linked ones: `-fsanitize=fuzzer-no-link`);
//! - `FUTEX_DIFF_CACHE`: the cache directory (default
//!   `$XDG_CACHE_HOME/futex-diff`, else `~/.cache/futex-diff`, else the
//!   system's temporary directory).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

include!(concat!(env!("OUT_DIR"), "/fake_sources.rs"));

/// Flags every revision is compiled with: those of the build (kernel C is
/// gnu11, an undeclared function is an error as in the kernel's own
/// build), plus what a shared object needs. A revision that reads memory
/// policies gets the access callbacks too (`unit::ACCESS_CALLBACKS`, see
/// build.rs).
const FLAGS: &[&str] = &[
    "-std=gnu11",
    "-O1",
    "-fPIC",
    "-fno-strict-aliasing",
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-Wno-sign-compare",
    "-Werror=implicit-function-declaration",
    "-Werror=implicit-int",
];

/// In a fuzzing build, what gives libFuzzer the revision's edges. The
/// object then refers to the sanitizer runtime of the fuzz target, which
/// exports it (fuzz/build.rs).
const COVERAGE: &[&str] = if cfg!(fuzzing) {
    &["-fsanitize=fuzzer-no-link"]
} else {
    &[]
};

/// Why a revision could not be compiled.
#[derive(Debug)]
pub enum CompileError {
    /// The file (or the cache) could not be read or written.
    Io(PathBuf, std::io::Error),
    /// The compiler could not be started.
    Compiler(String, std::io::Error),
    /// The compiler refused the file: its own message, which names the file
    /// and line.
    Rejected { file: PathBuf, message: String },
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::Io(path, e) => write!(f, "{}: {e}", path.display()),
            CompileError::Compiler(cc, e) => {
                write!(f, "cannot run the C compiler `{cc}` (set CC): {e}")
            }
            CompileError::Rejected { file, message } => write!(
                f,
                "{} does not compile against the fake kernel layer:\n{}",
                file.display(),
                message.trim_end()
            ),
        }
    }
}

impl std::error::Error for CompileError {}

/// The shared object of revision `source`, compiled now or found in the
/// cache.
pub fn shared_object(source: &Path) -> Result<PathBuf, CompileError> {
    let source = source
        .canonicalize()
        .map_err(|e| CompileError::Io(source.to_path_buf(), e))?;
    let cache = cache_dir();
    let csrc = fake_layer(&cache)?;
    let unit = write_unit(&cache, &source)?;
    let default_cc = if cfg!(fuzzing) { "clang" } else { "cc" };
    let cc = std::env::var("CC").unwrap_or_else(|_| default_cc.to_string());
    let include = csrc.join("include");
    let text = std::fs::read_to_string(&source).map_err(|e| CompileError::Io(source.clone(), e))?;
    let callbacks: &[&str] = if crate::unit::reads_memory_policies(&text) {
        &[crate::unit::ACCESS_CALLBACKS]
    } else {
        &[]
    };
    let compiler = |args: &[&str]| -> Result<std::process::Output, CompileError> {
        Command::new(&cc)
            .args(FLAGS)
            .args(COVERAGE)
            .args(callbacks)
            .arg("-I")
            .arg(&include)
            .arg("-I")
            .arg(&csrc)
            .args(args)
            .output()
            .map_err(|e| CompileError::Compiler(cc.clone(), e))
    };
    let unit_arg = unit.display().to_string();
    let preprocessed = compiler(&["-E", &unit_arg])?;
    if !preprocessed.status.success() {
        return Err(rejected(&source, &preprocessed.stderr));
    }
    let mut hash = Fnv::new();
    hash.write(cc.as_bytes());
    for flag in FLAGS.iter().chain(COVERAGE).chain(callbacks) {
        hash.write(flag.as_bytes());
    }
    hash.write(&preprocessed.stdout);
    for (_, contents) in FAKE_SOURCES {
        hash.write(contents);
    }
    let object = cache.join(format!("{:016x}.so", hash.finish()));
    if object.is_file() {
        return Ok(object);
    }
    // Compiled under a name of its own, then renamed: another process may be
    // compiling the same revision at the same time.
    let partial = cache.join(format!(
        "{:016x}.{}.partial",
        hash.finish(),
        std::process::id()
    ));
    // Compiled to objects first, then linked without the sanitizer's
    // runtime: the shim defines the callbacks the instrumentation makes.
    let shim = csrc.join("futex_shim.c").display().to_string();
    let sources = [(&unit_arg, "unit"), (&shim, "shim")];
    let objects = sources.map(|(_, what)| {
        cache.join(format!(
            "{:016x}.{}.{what}.o",
            hash.finish(),
            std::process::id()
        ))
    });
    for ((file, _), object) in sources.iter().zip(&objects) {
        let output = compiler(&["-c", "-o", &object.display().to_string(), file])?;
        if !output.status.success() {
            return Err(rejected(&source, &output.stderr));
        }
    }
    let output = Command::new(&cc)
        .args(["-shared", "-o"])
        .arg(&partial)
        .args(&objects)
        .output()
        .map_err(|e| CompileError::Compiler(cc.clone(), e))?;
    for object in &objects {
        let _ = std::fs::remove_file(object);
    }
    if !output.status.success() {
        let _ = std::fs::remove_file(&partial);
        return Err(rejected(&source, &output.stderr));
    }
    std::fs::rename(&partial, &object).map_err(|e| CompileError::Io(object.clone(), e))?;
    Ok(object)
}

fn rejected(source: &Path, stderr: &[u8]) -> CompileError {
    CompileError::Rejected {
        file: source.to_path_buf(),
        message: String::from_utf8_lossy(stderr).into_owned(),
    }
}

/// Writes a generated source (an extracted revision, a patched kernel
/// file) at `rel` under the cache, and says where it is.
pub fn write_cached(rel: &Path, contents: &[u8]) -> Result<PathBuf, CompileError> {
    let file = cache_dir().join(rel);
    let parent = file.parent().expect("a file has a directory");
    std::fs::create_dir_all(parent).map_err(|e| CompileError::Io(parent.into(), e))?;
    write_if_changed(&file, contents)?;
    Ok(file)
}

/// A stable name for `contents`: its FNV-1a hash in hex.
pub fn content_name(contents: &[&[u8]]) -> String {
    let mut hash = Fnv::new();
    for part in contents {
        hash.write(part);
    }
    format!("{:016x}", hash.finish())
}

/// Where compiled revisions are kept.
fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FUTEX_DIFF_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("futex-diff")
}

/// The fake layer's sources, written out once per content under `cache`.
fn fake_layer(cache: &Path) -> Result<PathBuf, CompileError> {
    let mut hash = Fnv::new();
    for (path, contents) in FAKE_SOURCES {
        hash.write(path.as_bytes());
        hash.write(contents);
    }
    let dir = cache.join(format!("csrc-{:016x}", hash.finish()));
    if dir.join(".complete").is_file() {
        return Ok(dir);
    }
    for (path, contents) in FAKE_SOURCES {
        let file = dir.join(path);
        let parent = file.parent().expect("a file has a directory");
        std::fs::create_dir_all(parent).map_err(|e| CompileError::Io(parent.into(), e))?;
        write_if_changed(&file, contents)?;
    }
    write_if_changed(&dir.join(".complete"), b"")?;
    Ok(dir)
}

/// The translation unit of a revision: the fake layer, the file, and its
/// entry points under the names `ffi` looks up.
fn write_unit(cache: &Path, source: &Path) -> Result<PathBuf, CompileError> {
    let text =
        std::fs::read_to_string(source).map_err(|e| CompileError::Io(source.to_path_buf(), e))?;
    let path = source.display().to_string();
    let text = crate::unit::translation_unit(
        &format!("Generated by futex-diff: the revision {path}."),
        &path,
        &text,
        "loaded",
    );
    let mut hash = Fnv::new();
    hash.write(text.as_bytes());
    let unit = cache.join(format!("unit-{:016x}.c", hash.finish()));
    write_if_changed(&unit, text.as_bytes())?;
    Ok(unit)
}

/// Writes `contents` unless the file holds them already (other processes
/// may read it meanwhile: a rewrite goes through a new file).
fn write_if_changed(file: &Path, contents: &[u8]) -> Result<(), CompileError> {
    if std::fs::read(file).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    let partial = file.with_extension(format!("{}.partial", std::process::id()));
    std::fs::write(&partial, contents).map_err(|e| CompileError::Io(partial.clone(), e))?;
    std::fs::rename(&partial, file).map_err(|e| CompileError::Io(file.to_path_buf(), e))
}

/// FNV-1a, 64 bits: a stable hash for cache names (std's hasher may change
/// between Rust releases).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
