//! Any text either is rejected by the scenario parser with an error or runs
//! on every revision without a panic in the harness; a parsed scenario also
//! survives a round trip through its text form.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = futex_diff::scenario::parse(text) else {
        return;
    };
    let again = futex_diff::scenario::parse(&scenario.to_text()).expect("the text form parses");
    assert_eq!(again, scenario, "the text form round-trips");
    for revision in futex_diff::revision::all() {
        // A world the model cannot hold is bad input, not a harness bug.
        let _ = futex_diff::exec::run(
            &scenario,
            revision.target(),
            futex_diff::trace::Trace::recording(),
        );
    }
});
