//! Revisions from kernels: `--kernel [NAME=]PATH` names a tree or a futex
//! file, `--patch FILE` patches it. The kernel is read as it stands, each
//! patch applied on top of the ones before it, and each of these kernels
//! cut down to its `get_futex_key()` (`crate::tree`), compiled and loaded
//! as a revision of its own: the kernel under its NAME (else its release,
//! `linux-4.7.4`, else its file's stem), each patched kernel under the
//! patch file's stem.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::{register, KernelInput, LoadError, Revision};
use crate::compile;
use crate::tree::{self, extract, patch, KernelSource};

/// A kernel to run, as `--kernel [NAME=]PATH` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelSpec {
    pub name: Option<String>,
    pub path: PathBuf,
}

impl FromStr for KernelSpec {
    type Err = String;

    /// `PATH` or `NAME=PATH`; a `=` after a `/` belongs to the path.
    fn from_str(text: &str) -> Result<KernelSpec, String> {
        let (name, path) = match text.split_once('=') {
            Some((name, path)) if !name.contains('/') && !name.is_empty() => {
                (Some(name.to_string()), path)
            }
            _ => (None, text),
        };
        if path.is_empty() {
            return Err(format!("`{text}` names no path"));
        }
        Ok(KernelSpec {
            name,
            path: PathBuf::from(path),
        })
    }
}

/// The revisions of one kernel and its patches.
pub struct Loaded {
    /// The kernel as it stands.
    pub base: Revision,
    /// One per patch, each applied on top of those before it.
    pub patched: Vec<Revision>,
    /// What applying the patches noticed (files passed over, fuzz).
    pub notes: Vec<String>,
}

/// Loads the kernel `spec` names, and `patches` on top of it.
pub fn load_kernel(spec: &KernelSpec, patches: &[PathBuf]) -> Result<Loaded, LoadError> {
    let mut source = tree::read(&spec.path)?;
    let name = spec.name.clone().unwrap_or_else(|| source.default_name());
    let paths: Vec<PathBuf> = source.files.iter().map(|f| source.path_of(f)).collect();
    let mut input = KernelInput {
        spec: format!("{name}={}", spec.path.display()),
        patches: Vec::new(),
        root: source.root.clone(),
        file: source
            .files
            .first()
            .map(|f| f.rel.clone())
            .unwrap_or_default(),
    };
    let base = load_source(&source, &paths, &name, input.clone())?;
    let mut patched = Vec::new();
    let mut notes = Vec::new();
    for file in patches {
        let patch = patch::read(file)?;
        let applied = patch::apply(&mut source, &patch)?;
        notes.extend(applied.to_string().lines().map(str::to_string));
        // The patched files are kept, so that traces and the compiler's
        // messages name lines one can open.
        let texts: Vec<&[u8]> = source.files.iter().map(|f| f.text.as_bytes()).collect();
        let dir = Path::new("kernels").join(compile::content_name(&texts));
        let mut paths = Vec::new();
        for f in &source.files {
            paths.push(compile::write_cached(&dir.join(&f.rel), f.text.as_bytes())?);
        }
        input.patches.push(file.display().to_string());
        patched.push(load_source(&source, &paths, &patch.name, input.clone())?);
    }
    Ok(Loaded {
        base,
        patched,
        notes,
    })
}

/// Extracts, compiles and registers one kernel's revision.
fn load_source(
    source: &KernelSource,
    paths: &[PathBuf],
    name: &str,
    input: KernelInput,
) -> Result<Revision, LoadError> {
    let extracted = extract::extract(source, paths)?;
    let file = Path::new("kernels").join(format!(
        "{}-{name}.c",
        compile::content_name(&[extracted.text.as_bytes()])
    ));
    let c_file = compile::write_cached(&file, extracted.text.as_bytes())?;
    register(
        name,
        &paths[0].display().to_string(),
        &c_file,
        extracted.era,
        Some(input),
    )
}
