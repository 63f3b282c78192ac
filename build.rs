//! Builds the C side of futex-diff: the fake kernel shim and one translation
//! unit per `get_futex_key()` revision, bundled (`csrc/revisions/*.c`) or
//! named by the user in `FUTEX_DIFF_REVISIONS`; writes the revision registry
//! that `src/revision.rs` includes and the fake layer's sources that
//! `src/compile.rs` compiles run-time revisions against; and, with the
//! `bindgen` feature, regenerates the FFI bindings from `csrc/futex_shim.h`.
//!
//! Environment read here:
//! - `FUTEX_DIFF_REVISIONS`: colon-separated paths of extra revision files
//!   (relative paths are taken from the crate root).
//! - `FUTEX_DIFF_WERROR=1`: C warnings are errors (CI sets it).
//! - `CARGO_CFG_FUZZING`: set by `cargo fuzz`; the C is then built with
//!   clang and `-fsanitize=fuzzer-no-link` so libFuzzer sees its edges.
//!
//! A revision that reads memory policies (6.16 on) is built with
//! `-fsanitize=thread`: not for ThreadSanitizer (no runtime is linked), but
//! for the access callbacks it makes the compiler insert, which
//! `csrc/futex_shim.c` defines to tell a revision's plain reads of freed
//! memory, as KASAN does in the kernel. So the C is not also built with
//! AddressSanitizer in a fuzzing build; the Rust is.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

#[path = "src/unit.rs"]
mod unit;

struct RevisionSource {
    name: String,
    path: PathBuf,
    bundled: bool,
    /// It defines `put_futex_key()` (kernels before 5.9).
    has_put: bool,
}

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for var in ["FUTEX_DIFF_REVISIONS", "FUTEX_DIFF_WERROR", "CC", "CFLAGS"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=csrc");

    let revisions = collect_revisions(&root);
    let fuzzing = env::var_os("CARGO_CFG_FUZZING").is_some();

    let mut build = cc::Build::new();
    if fuzzing {
        build.compiler("clang");
        build.flag("-fsanitize=fuzzer-no-link");
    }
    build
        .include(root.join("csrc/include"))
        .include(root.join("csrc"))
        .flag("-std=gnu11")
        .flag("-fno-strict-aliasing")
        .warnings(true)
        .extra_warnings(true)
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-Wno-sign-compare")
        // As the kernel's own build: an undeclared call is an error, not a
        // link failure waiting to happen (a revision without put_futex_key()).
        .flag("-Werror=implicit-function-declaration")
        .flag("-Werror=implicit-int");
    if env::var("FUTEX_DIFF_WERROR").as_deref() == Ok("1") {
        build.warnings_into_errors(true);
    }

    // Revisions that read memory policies get the access callbacks.
    // cc instruments the C for AddressSanitizer when the Rust is (a fuzzing
    // build), and clang refuses it beside these callbacks: not for them.
    let mut checked = build.clone();
    checked
        .flag("-fno-sanitize=address")
        .flag(unit::ACCESS_CALLBACKS);
    build.file(root.join("csrc/futex_shim.c"));
    build.file(root.join("csrc/fiber.c"));
    let mut any_checked = false;
    for (index, revision) in revisions.iter().enumerate() {
        let unit = write_translation_unit(&out, index, revision);
        let source = fs::read_to_string(&revision.path).unwrap_or_default();
        if unit::reads_memory_policies(&source) {
            check_compiles(&checked, &unit, revision);
            checked.file(unit);
            any_checked = true;
        } else {
            check_compiles(&build, &unit, revision);
            build.file(unit);
        }
    }
    build.compile("futexdiff_c");
    if any_checked {
        checked.compile("futexdiff_checked_c");
    }

    write_registry(&out, &revisions);
    write_fake_sources(&root, &out);
    write_corpus(&root, &out);
    bindings::generate(&root, &out);
}

/// Bundled revisions in release order, then the user's in the order given.
/// (The tests' defect revisions are compiled at run time by the tests: they
/// are not in the shipped binary.)
fn collect_revisions(root: &Path) -> Vec<RevisionSource> {
    let mut revisions: Vec<RevisionSource> = c_files(&root.join("csrc/revisions"))
        .into_iter()
        .map(|path| RevisionSource {
            name: stem(&path),
            has_put: has_put(&path),
            path,
            bundled: true,
        })
        .collect();

    let user = env::var("FUTEX_DIFF_REVISIONS").unwrap_or_default();
    for entry in user.split(':').filter(|s| !s.trim().is_empty()) {
        let given = PathBuf::from(entry.trim());
        let path = if given.is_absolute() {
            given
        } else {
            root.join(given)
        };
        if !path.is_file() {
            fail(&format!(
                "FUTEX_DIFF_REVISIONS names {}, which is not a readable file",
                path.display()
            ));
        }
        let path = path.canonicalize().unwrap_or(path);
        println!("cargo:rerun-if-changed={}", path.display());
        let name = stem(&path);
        if let Some(clash) = revisions.iter().find(|r| r.name == name) {
            fail(&format!(
                "revision name `{name}` of {} is already taken by {}; rename the file",
                path.display(),
                clash.path.display()
            ));
        }
        revisions.push(RevisionSource {
            name,
            has_put: has_put(&path),
            path,
            bundled: false,
        });
    }
    revisions
}

/// The `*.c` files of a directory, in name order.
fn c_files(dir: &Path) -> Vec<PathBuf> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "c"))
        .collect();
    files.sort_by_key(|path| release_order(&stem(path)));
    files
}

/// Sorts names the way releases count: `v5.6` before `v5.10`.
fn release_order(name: &str) -> Vec<(String, u64)> {
    let mut parts = Vec::new();
    let mut rest = name;
    while !rest.is_empty() {
        let text_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (text, tail) = rest.split_at(text_len);
        let digits_len = tail
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (digits, tail) = tail.split_at(digits_len);
        parts.push((text.to_string(), digits.parse().unwrap_or(0)));
        rest = tail;
    }
    parts
}

fn stem(path: &Path) -> String {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_graphic()) {
        fail(&format!(
            "{}: a revision is named after its file stem, which must be printable ASCII",
            path.display()
        ));
    }
    name
}

/// A unit that includes the revision file and gives its static entry points
/// unique exported names (`fd_rev_<index>_get` / `_put`).
fn write_translation_unit(out: &Path, index: usize, revision: &RevisionSource) -> PathBuf {
    let unit = out.join(format!("fd_rev_{index}.c"));
    let source = fs::read_to_string(&revision.path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", revision.path.display())));
    let text = unit::translation_unit(
        &format!("Generated by build.rs: revision \"{}\".", revision.name),
        &revision.path.display().to_string(),
        &source,
        &index.to_string(),
    );
    fs::write(&unit, text)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", unit.display())));
    unit
}

fn has_put(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|source| unit::defines_put_futex_key(&source))
}

/// Compiles the unit once on its own so that a revision that does not
/// compile stops the build with the compiler's own message and the file.
fn check_compiles(build: &cc::Build, unit: &Path, revision: &RevisionSource) {
    let mut command: Command = build.get_compiler().to_command();
    command.arg("-fsyntax-only").arg(unit);
    let output = command
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run the C compiler: {e}")));
    if !output.status.success() {
        let mut message = format!(
            "revision `{}` ({}) does not compile:\n",
            revision.name,
            revision.path.display()
        );
        message.push_str(&String::from_utf8_lossy(&output.stderr));
        fail(&message);
    }
}

/// `revisions.rs`: the extern declarations and the table `src/revision.rs`
/// reads: each revision's entry points, and its source text, from which
/// the registry reads the era it declares.
fn write_registry(out: &Path, revisions: &[RevisionSource]) {
    let mut text = String::from("// Generated by build.rs: the compiled C revisions.\n");
    text.push_str("unsafe extern \"C\" {\n");
    for (index, revision) in revisions.iter().enumerate() {
        let _ = writeln!(
            text,
            "    fn fd_rev_{index}_get(uaddr: *mut u32, fshared: ::std::os::raw::c_int, \
             key: *mut crate::abi::raw::futex_key, rw: ::std::os::raw::c_int) -> ::std::os::raw::c_int;"
        );
        if revision.has_put {
            let _ = writeln!(
                text,
                "    fn fd_rev_{index}_put(key: *mut crate::abi::raw::futex_key) -> ::std::os::raw::c_int;"
            );
        }
    }
    text.push_str("}\n\nstatic LINKED_REVISIONS: &[Linked] = &[\n");
    for (index, revision) in revisions.iter().enumerate() {
        let path = revision.path.display().to_string();
        let put = if revision.has_put {
            format!("Some(fd_rev_{index}_put)")
        } else {
            "None".to_string()
        };
        let _ = writeln!(
            text,
            "    Linked {{ name: {name:?}, path: {path:?}, bundled: {bundled}, \
             source: include_str!({path:?}), \
             c: crate::ffi::CRevision::linked(fd_rev_{index}_get, {put}) }},",
            name = revision.name,
            bundled = revision.bundled,
        );
    }
    text.push_str("];\n");
    let file = out.join("revisions.rs");
    fs::write(&file, text)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", file.display())));
}

/// `fake_sources.rs`: every fake kernel header and the shim, by path under
/// `csrc/`, for compiling revisions at run time against the same layer.
fn write_fake_sources(root: &Path, out: &Path) {
    let csrc = root.join("csrc");
    let mut files = Vec::new();
    collect_files(&csrc.join("include"), &mut files);
    files.push(csrc.join("futex_shim.c"));
    files.push(csrc.join("futex_shim.h"));
    files.sort();
    let mut text = String::from(
        "/// The fake kernel layer's sources: (path under csrc/, contents).\n\
         pub static FAKE_SOURCES: &[(&str, &[u8])] = &[\n",
    );
    for file in files {
        let relative = file
            .strip_prefix(&csrc)
            .expect("under csrc")
            .display()
            .to_string();
        let _ = writeln!(
            text,
            "    ({relative:?}, include_bytes!({:?})),",
            file.display().to_string()
        );
    }
    text.push_str("];\n");
    let file = out.join("fake_sources.rs");
    fs::write(&file, text)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", file.display())));
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())));
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// `corpus.rs`: every `corpus/*.scn` as `(name, text)`, for the built-in run.
fn write_corpus(root: &Path, out: &Path) {
    println!("cargo:rerun-if-changed=corpus");
    let dir = root.join("corpus");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "scn"));
    files.sort();
    let mut text = String::from(
        "/// Built-in scenarios: (name, text).\npub static BUILT_IN: &[(&str, &str)] = &[\n",
    );
    for file in files {
        let _ = writeln!(
            text,
            "    ({:?}, include_str!({:?})),",
            stem(&file),
            file.display().to_string()
        );
    }
    text.push_str("];\n");
    let file = out.join("corpus.rs");
    fs::write(&file, text)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", file.display())));
}

fn fail(message: &str) -> ! {
    eprintln!("\nfutex-diff build: {message}");
    exit(1);
}

#[cfg(feature = "bindgen")]
mod bindings {
    use std::path::Path;

    /// Regenerates the bindings into `OUT_DIR/bindings.rs`; `src/abi/raw.rs`
    /// uses that copy under this feature, and a test compares it with the
    /// committed `src/abi/bindings.rs`.
    pub fn generate(root: &Path, out: &Path) {
        let header = root.join("csrc/futex_shim.h");
        let bindings = bindgen::Builder::default()
            .header(header.display().to_string())
            .clang_arg(format!("-I{}", root.join("csrc/include").display()))
            .allowlist_type("page|address_space|inode|mm_struct|task_struct|anon_vma")
            .allowlist_type("vm_area_struct|mempolicy|nodemask_t")
            .allowlist_type("futex_key|fd_host_ops|fault_attr|atomic_t")
            .allowlist_function("fd_install_host|fd_take_line|fd_request_abort|fd_clear_abort")
            .allowlist_function("fd_watch")
            .allowlist_var("FD_ABORTED|FUT_OFF_INODE|FUT_OFF_MMSHARED|PAGE_MAPPING_ANON")
            .allowlist_var("VERIFY_READ|VERIFY_WRITE|EFAULT|EINVAL|EAGAIN|EBUSY|PAGE_SHIFT")
            .allowlist_var("FD_CALL_.*|MAX_NUMNODES|NUMA_NO_NODE|FUTEX_NO_NODE|MPOL_.*")
            .derive_default(true)
            .derive_debug(false)
            .layout_tests(false)
            .generate_comments(false)
            .generate()
            .unwrap_or_else(|e| {
                super::fail(&format!("bindgen failed on {}: {e}", header.display()))
            });
        let file = out.join("bindings.rs");
        bindings
            .write_to_file(&file)
            .unwrap_or_else(|e| super::fail(&format!("cannot write {}: {e}", file.display())));
    }
}

#[cfg(not(feature = "bindgen"))]
mod bindings {
    use std::path::Path;

    /// Without the feature the committed bindings are used as they are.
    pub fn generate(_root: &Path, _out: &Path) {}
}
