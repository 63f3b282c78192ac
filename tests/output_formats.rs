//! `hunt --json` and `hunt --sarif FILE` against their schemas: ours
//! (docs/schemas/hunt.schema.json) for the JSON lines, the OASIS SARIF
//! 2.1.0 schema (tests/schemas/) for the log, and what the log says: each
//! finding at the line of the revision's C where its reproducer's run
//! departed from the meaning, with the reproducer attached.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{root, tree};

fn validator(path: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{path} is no schema: {e}"))
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate:\n{}",
        errors.join("\n")
    );
}

/// Runs the binary in `dir` with `args`.
fn futex_diff_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_futex-diff"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the binary in `dir` with `args`, which write a SARIF log to `file`
/// there and find something (exit 1); the log, checked against the OASIS
/// schema.
fn sarif_log(dir: &Path, args: &[&str], file: &str) -> Value {
    let out = futex_diff_in(dir, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let log: Value = serde_json::from_str(&text).expect("the log is JSON");
    assert_valid(&validator(SARIF_SCHEMA), &log, "the SARIF log");
    log
}

const SARIF_SCHEMA: &str = "tests/schemas/sarif-schema-2.1.0.json";

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}")))
        .collect()
}

#[test]
fn hunt_json_lines_follow_their_schema() {
    let dir = tempfile::tempdir().unwrap();
    let schema = validator("docs/schemas/hunt.schema.json");
    let out = futex_diff_in(
        dir.path(),
        &["hunt", "--rev", "v4.6", "--seconds", "3", "--json"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert!(
        lines.len() >= 3,
        "v4.6 has several distinct findings: {lines:?}"
    );
    for line in &lines {
        assert_valid(&schema, line, "a hunt --json line");
        let reproducer = line["reproducer"].as_str().unwrap();
        assert!(
            dir.path().join(reproducer).is_file(),
            "{reproducer} is written"
        );
    }
    assert!(lines.iter().any(|l| l["class"] == "key-collision"));

    let out = futex_diff_in(
        dir.path(),
        &[
            "hunt",
            "--rev",
            "v4.7",
            "--against",
            "v4.6",
            "--seconds",
            "3",
            "--json",
        ],
    );
    let lines = json_lines(&out);
    for line in &lines {
        assert_valid(&schema, line, "a hunt --json --against line");
    }
    assert!(lines
        .iter()
        .any(|l| l["change"] == "fixed" && l["class"] == "key-collision"));
    assert!(lines
        .iter()
        .any(|l| l["change"] == "shared" && l["revision"] == "v4.7"));

    // The schema is no rubber stamp.
    let mut wrong = lines[0].clone();
    wrong["class"] = Value::from("race");
    assert!(!schema.is_valid(&wrong));
}

#[test]
fn hunt_sarif_follows_the_sarif_schema_and_locates_each_finding() {
    let dir = tempfile::tempdir().unwrap();
    let log = sarif_log(
        dir.path(),
        &[
            "hunt",
            "--rev",
            "v4.7",
            "--seconds",
            "3",
            "--sarif",
            "findings.sarif",
        ],
        "findings.sarif",
    );
    let mut wrong = log.clone();
    wrong["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(
        !validator(SARIF_SCHEMA).is_valid(&wrong),
        "the SARIF schema is no rubber stamp"
    );

    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let source = std::fs::read_to_string(root().join("csrc/revisions/v4.7.c")).unwrap();
    let source: Vec<&str> = source.lines().collect();
    let mut classes = Vec::new();
    for result in results {
        let class = result["ruleId"].as_str().unwrap();
        classes.push(class.to_string());
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], class, "ruleIndex names the rule");

        // Located at the revision's C, at a line that is a kernel call.
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.ends_with("csrc/revisions/v4.7.c"), "{uri}");
        let line = location["region"]["startLine"].as_u64().expect("a line") as usize;
        assert!(line >= 1 && line <= source.len(), "line {line}");
        assert!(
            source[line - 1].contains('('),
            "line {line} is a call: {}",
            source[line - 1]
        );

        // The reproducer is attached and embedded, and replays.
        let attachment = &result["attachments"][0]["artifactLocation"];
        let artifact = &run["artifacts"][attachment["index"].as_u64().unwrap() as usize];
        let file = attachment["uri"].as_str().unwrap();
        assert!(file.starts_with("findings/"), "{file}");
        let written = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert_eq!(artifact["contents"]["text"], written.as_str());
        let replay = futex_diff_in(dir.path(), &["run", file, "--rev", "v4.7"]);
        assert_eq!(replay.status.code(), Some(1), "{file} replays its finding");

        // The code flow walks the run.
        let flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
            .as_array()
            .unwrap();
        assert!(flow
            .iter()
            .any(|l| l["location"]["physicalLocation"]["region"]["startLine"] == line));
    }
    classes.sort();
    assert_eq!(classes, ["use-after-free", "warn"], "v4.7's known findings");

    // The use after free is met at put_futex_key()'s iput().
    let uaf = results
        .iter()
        .find(|r| r["ruleId"] == "use-after-free")
        .unwrap();
    let line = uaf["locations"][0]["physicalLocation"]["region"]["startLine"]
        .as_u64()
        .unwrap();
    assert!(
        source[line as usize - 1].contains("iput("),
        "{}",
        source[line as usize - 1]
    );
}

#[test]
fn a_sarif_file_that_cannot_be_written_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = futex_diff_in(
        dir.path(),
        &[
            "hunt",
            "--rev",
            "v4.7",
            "--seconds",
            "1",
            "--sarif",
            "no/such/dir/x.sarif",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/dir/x.sarif"));
}

#[test]
fn a_kernel_trees_findings_are_located_in_its_own_file() {
    let kernel = tree();
    let dir = tempfile::tempdir().unwrap();
    let log = sarif_log(
        dir.path(),
        &[
            "hunt",
            "--kernel",
            kernel.path().to_str().unwrap(),
            "--seconds",
            "3",
            "--sarif",
            "findings.sarif",
        ],
        "findings.sarif",
    );
    let run = &log["runs"][0];
    let base = run["originalUriBaseIds"]["KERNELROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    let source = std::fs::read_to_string(kernel.path().join("kernel/futex.c")).unwrap();
    let source: Vec<&str> = source.lines().collect();
    let head = common::fixture("futex-head.c").lines().count();
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "kernel/futex.c");
        let line = location["region"]["startLine"].as_u64().unwrap() as usize;
        assert!(
            line > head,
            "line {line} is in the tree's numbering, past the head's {head}"
        );
        assert_eq!(location["artifactLocation"]["uriBaseId"], "KERNELROOT");
        // The tree's own line numbers: our v4.6 sits after the head.
        assert!(
            source[line - 1].contains('('),
            "line {line}: {}",
            source[line - 1]
        );
    }
}

#[test]
fn prove_writes_sarif_too() {
    let dir = tempfile::tempdir().unwrap();
    let log = sarif_log(
        dir.path(),
        &[
            "prove",
            "--rev",
            "v4.6",
            "--scope",
            "kinds=hugetlbfs,events=0,size=2",
            "--sarif",
            "proof.sarif",
        ],
        "proof.sarif",
    );
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["ruleId"] == "key-collision"),
        "{results:?}"
    );
}
