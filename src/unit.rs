//! The translation unit that wraps one revision file: the fake kernel
//! layer, the file as it stands, and its entry points under a name of
//! their own. build.rs writes it for the revisions linked into the binary,
//! `compile` for those compiled at run time, so the two cannot differ.

/// Whether `source` defines `put_futex_key()`: from 5.9 the kernel has
/// none, its keys holding no reference. A definition takes a
/// `union futex_key *`, a call passes a key.
pub fn defines_put_futex_key(source: &str) -> bool {
    source.match_indices("put_futex_key(").any(|(at, name)| {
        source[at + name.len()..]
            .trim_start()
            .starts_with("union futex_key")
    })
}

/// Whether `source`'s `get_futex_key()` takes futex flags (6.7 on:
/// `unsigned int flags`, shared being `FLAGS_SHARED`) rather than a
/// shared flag of its own.
pub fn takes_futex_flags(source: &str) -> bool {
    source.match_indices("get_futex_key(").any(|(at, name)| {
        let params = source[at + name.len()..].trim_start();
        params.starts_with("u32 __user *uaddr")
            && params
                .split_once(',')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with("unsigned int flags"))
    })
}

/// Whether `source` reads vmas' memory policies (FUTEX2_MPOL, 6.16 on):
/// such a revision is built with the access callbacks that tell a read of
/// a freed policy (`-fsanitize=thread`, whose callbacks the shim defines:
/// see build.rs). The others read nothing that is freed under them
/// without a yield point between, and are built without the cost.
pub fn reads_memory_policies(source: &str) -> bool {
    source.contains("vm_policy") || source.contains("vma_policy(")
}

/// The flag that builds a revision with access callbacks.
pub const ACCESS_CALLBACKS: &str = "-fsanitize=thread";

/// The unit of the revision at `path` (its text `source`), exporting
/// `fd_rev_<sym>_get` and, when it has one, `fd_rev_<sym>_put`.
pub fn translation_unit(banner: &str, path: &str, source: &str, sym: &str) -> String {
    let put = if defines_put_futex_key(source) {
        format!("FD_REVISION_PUT_ENTRY({sym})\n")
    } else {
        String::new()
    };
    let entry = if takes_futex_flags(source) {
        // The flags a kernel lacks (the size before 6.16, NUMA and MPOL)
        // are asked of it as none.
        let mut lacking = String::new();
        for flag in ["FLAGS_SIZE_32", "FLAGS_NUMA", "FLAGS_MPOL"] {
            lacking.push_str(&format!("#ifndef {flag}\n#define {flag} 0\n#endif\n"));
        }
        format!("{lacking}FD_REVISION_FLAGS_ENTRY")
    } else {
        "FD_REVISION_ENTRY".to_string()
    };
    format!(
        "/* {banner} */\n\
         #include \"fake/kernel.h\"\n\
         #include \"{path}\"\n\
         {entry}({sym})\n\
         {put}"
    )
}
