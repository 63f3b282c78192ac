//! The fuzzers' dictionary (fuzz/scenario.dict) holds whole statements of
//! the binary form: each entry, decoded after a small world, adds exactly
//! the statement its name says.

use futex_diff::scenario::binary::decode;
use futex_diff::scenario::Scenario;

/// `name="\x07\x00..."` lines, unescaped.
fn entries() -> Vec<(String, Vec<u8>)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/scenario.dict"))
        .expect("fuzz/scenario.dict is readable");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (name, value) = line.split_once('=').expect("name=\"bytes\"");
            let value = value.trim_matches('"');
            let bytes = value
                .split("\\x")
                .skip(1)
                .map(|hex| u8::from_str_radix(hex, 16).expect("\\xNN escapes only"))
                .collect();
            (name.to_string(), bytes)
        })
        .collect()
}

/// Two mms; in the first, anonymous memory (THP-enabled) at 0x8000 and a
/// shmem file of 4 pages mapped shared at 0x40000; and an event to
/// schedule.
const PRELUDE: &[u8] = &[
    0, // header
    0, 0, // mm
    0, 0, // mm
    1, 0, 1, 4, 0, // inode: shmem, 4 pages
    3, 0, 0x40, 3, 2, 0, 0, 0, 1, // vma: 0x40000, 4 pages, the file, rw, shared
    3, 0, 0x08, 3, 1, 0, 0, 0, // vma: 0x8000, 4 pages, anonymous with THP, rw
    7, 0, 14, // event: fail
];

fn event_kinds(scenario: &Scenario) -> Vec<String> {
    scenario
        .to_text()
        .lines()
        .filter_map(|l| l.strip_prefix("event "))
        .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
        .collect()
}

#[test]
fn every_dictionary_entry_decodes_to_the_statement_it_names() {
    let base = decode(PRELUDE);
    assert_eq!((base.mm_names.len(), base.world.len()), (2, 5));
    let entries = entries();
    assert!(entries.len() >= 30, "the dictionary has its entries");
    for (name, bytes) in entries {
        let input: Vec<u8> = PRELUDE.iter().chain(&bytes).copied().collect();
        let s = decode(&input);
        let grew = |a: usize, b: usize| a == b + 1;
        let ok = match name.split('_').next().unwrap() {
            "mm" => grew(s.mm_names.len(), base.mm_names.len()),
            "inode" => grew(s.inode_names.len(), base.inode_names.len()),
            "page" | "vma" | "anon" | "fork" | "nodes" | "word" | "policy" => {
                grew(s.world.len(), base.world.len())
            }
            "call" => {
                grew(s.calls.len(), base.calls.len() - 1)
                    && (0x8000..0xc000).contains(&s.calls[0].addr)
            }
            "event" => {
                let kind = name.strip_prefix("event_").unwrap();
                event_kinds(&s) == [event_kinds(&base), vec![kind.to_string()]].concat()
            }
            "at" => {
                let last = s.to_text().lines().last().unwrap_or("").to_string();
                let placed = match name.as_str() {
                    "at_call_start" => last.starts_with("at call 1 "),
                    "at_before_lock_page" => last.contains("call 1 before lock_page "),
                    "at_after_gup" => last.contains("call 1 after get_user_pages_fast "),
                    "at_before_read_once" => last.contains("call 1 before READ_ONCE "),
                    "at_after_atomic_inc_not_zero" => last.contains("after atomic_inc_not_zero "),
                    "at_put_before_iput" => last.starts_with("at put 1 before iput "),
                    _ => last
                        .split_whitespace()
                        .nth(1)
                        .is_some_and(|w| w.parse::<u32>().is_ok()),
                };
                grew(s.schedule.len(), base.schedule.len()) && placed
            }
            other => panic!("an entry named {other}_ is of no known statement"),
        };
        assert!(ok, "{name} decodes to:\n{}", s.to_text());
    }
}
