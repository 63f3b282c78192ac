//! The built-in scenarios: every `corpus/*.scn` file, compiled in so that
//! the binary runs on its defaults from anywhere.

include!(concat!(env!("OUT_DIR"), "/corpus.rs"));
