//! The Rust port of `v6.8` and `v6.13`: the 5.x lookup ([`super::v5`]) on
//! folios, called with the futex flags of 6.7. The folio carries the
//! mapping, the lock and the reference; an inode key's index is the
//! folio's index plus the page's place in it (6.13's `page_pgoff()` says
//! the same, and its `atomic64_inc_return()` and try-cmpxchg take the same
//! yield points as 6.8's spelling). Keys hold nothing and there is no
//! `put_futex_key()`.

use super::v5::{Flavour, PgoffSource, SequenceKeys};

/// The port of `v6.8` and of `v6.13`.
pub static V6: SequenceKeys = SequenceKeys {
    flavour: Flavour {
        mm_refs: false,
        index: PgoffSource::FolioIndex,
        folios: true,
    },
};
