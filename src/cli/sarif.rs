//! `hunt --sarif FILE` (and `prove --sarif`): the findings as a SARIF 2.1.0 log, for code
//! scanning. Each finding is a result of the rule its class names, located
//! at the line of the revision's C where its minimised reproducer's run
//! first departed from the function's meaning ([`departure`]); the
//! reproducer is attached (its file) and embedded (its text, as an
//! artifact), and the message says how to replay it.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::UsageError;
use crate::explore::hunt::Reported;
use crate::finding::{Finding, FindingClass};
use crate::oracle::departure::{departure, Departure};
use crate::oracle::{self, Checks};
use crate::revision;
use crate::trace::{kernel_call, Entry};

/// The SARIF version this writes, and the schema it follows.
pub const VERSION: &str = "2.1.0";
pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Checks, before the work that leads to a log, that `path` can be
/// written, without truncating a file that is there or leaving one that
/// was not: a run that fails later leaves no empty log behind.
pub fn writable(path: &Path) -> Result<(), UsageError> {
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Writes the log for `reported`, whose reproducers are in `dir`, to
/// `path`.
pub fn write(path: &Path, reported: &[Reported], dir: &Path) -> Result<(), UsageError> {
    let text = serde_json::to_string_pretty(&log(reported, dir)).expect("a JSON value serialises");
    std::fs::write(path, text + "\n").map_err(|e| UsageError(format!("{}: {e}", path.display())))
}

/// The log for `reported`, whose reproducers are in `dir`.
pub fn log(reported: &[Reported], dir: &Path) -> Value {
    let cwd = std::env::current_dir().unwrap_or_default();
    let roots = kernel_roots(reported, &cwd);
    let rules: Vec<Value> = FindingClass::ALL.iter().map(|&class| rule(class)).collect();
    let mut artifacts = Vec::new();
    let results: Vec<Value> = reported
        .iter()
        .map(|r| {
            let reproducer = dir.join(&r.file_name);
            artifacts.push(json!({
                "location": artifact_location(&reproducer, &cwd),
                "mimeType": "text/plain",
                "description": { "text": format!("futex-diff reproducer of {} on {}", r.key.class, r.key.revision) },
                "contents": { "text": r.reproducer() },
            }));
            result(r, &reproducer, artifacts.len() - 1, &roots, &cwd)
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [{
            "tool": { "driver": {
                "name": "futex-diff",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": base_ids(&roots, &cwd),
            "artifacts": artifacts,
            "results": results,
        }],
    })
}

/// The kernel trees the findings' revisions come from, each once, in the
/// order they first appear, as absolute paths.
fn kernel_roots(reported: &[Reported], cwd: &Path) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    for r in reported {
        let Some(input) = revision::find(&r.key.revision)
            .ok()
            .and_then(|rev| rev.kernel_input())
        else {
            continue;
        };
        let root = cwd.join(&input.root);
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    roots
}

/// The base URI id of kernel tree number `index` of `count`: KERNELROOT
/// when there is one, KERNELROOT1, KERNELROOT2, ... when there are more.
fn kernel_base_id(index: usize, count: usize) -> String {
    if count == 1 {
        "KERNELROOT".to_string()
    } else {
        format!("KERNELROOT{}", index + 1)
    }
}

/// The base URIs: SRCROOT, the current directory, and one for each kernel
/// tree ([`kernel_base_id`]).
fn base_ids(roots: &[PathBuf], cwd: &Path) -> Value {
    let mut ids = json!({ "SRCROOT": { "uri": directory_uri(cwd) } });
    for (i, root) in roots.iter().enumerate() {
        ids[kernel_base_id(i, roots.len())] = json!({ "uri": directory_uri(root) });
    }
    ids
}

/// A finding class as a rule.
fn rule(class: FindingClass) -> Value {
    json!({
        "id": class.name(),
        "name": class.name(),
        "shortDescription": { "text": class.description() },
        "defaultConfiguration": { "level": "error" },
    })
}

/// One reported finding as a result: its rule, message, location and
/// reproducer.
fn result(
    r: &Reported,
    reproducer: &Path,
    artifact: usize,
    roots: &[PathBuf],
    cwd: &Path,
) -> Value {
    let rule_index = FindingClass::ALL
        .iter()
        .position(|&c| c == r.key.class)
        .unwrap_or(0);
    let replayed = replay(r);
    let place = replayed
        .as_ref()
        .and_then(|(report, finding)| departure(report, finding));
    let replay = format!(
        "futex-diff run {} --rev {}",
        reproducer.display(),
        r.key.revision
    );
    let mut text = format!(
        "{} [{} mode]: {}. Reproducer: {} (replay: `{replay}`).",
        r.key.revision,
        r.key.mode,
        r.found.finding.summary,
        reproducer.display()
    );
    if let Some(change) = &r.change {
        text.push_str(&format!(" {} against {}.", change.0.name(), change.1));
    }
    let file = revision_location(r, roots, cwd);
    let mut location = json!({
        "physicalLocation": { "artifactLocation": file.clone() },
    });
    if let Some(Departure { at, line, why }) = &place {
        text.push_str(&format!(
            " The run departed from the meaning at yield point #{at}: {why}."
        ));
        if let Some(line) = line {
            location["physicalLocation"]["region"] = json!({ "startLine": line });
        }
        location["message"] = json!({ "text": format!("yield point #{at}: {why}") });
    }
    let mut result = json!({
        "ruleId": r.key.class.name(),
        "ruleIndex": rule_index,
        "level": "error",
        "message": { "text": text },
        "locations": [location],
        "partialFingerprints": {
            "futexDiffFinding/v1": format!("{}/{}/{}/{}", r.key.revision, r.key.mode, r.key.class, crate::finding::shape(&r.found.finding.summary)),
        },
        "attachments": [{
            "description": { "text": format!("the minimised reproducer; replay: {replay}") },
            "artifactLocation": with_index(artifact_location(reproducer, cwd), artifact),
        }],
        "properties": {
            "revision": r.key.revision,
            "mode": r.key.mode.to_string(),
            "reproducer": reproducer.display().to_string(),
        },
    });
    if let Some((report, _)) = &replayed {
        result["codeFlows"] = json!([code_flow(report, &file)]);
    }
    result
}

/// The reproducer's run as a code flow: the tasks' yield points, each at
/// its line, and the event steps that ran between them.
fn code_flow(report: &oracle::Report, file: &Value) -> Value {
    let mut locations = Vec::new();
    for entry in &report.outcome.trace.entries {
        let (message, line) = match entry {
            Entry::Yield {
                n,
                task,
                op,
                arg,
                line,
            } => (format!("#{n} {}", kernel_call(*task, *op, arg)), *line),
            Entry::Thread(text) => (text.clone(), None),
            Entry::Event { name, text } => (format!("event {name}: {text}"), None),
        };
        let mut location = json!({ "message": { "text": message } });
        if let Some(line) = line {
            location["physicalLocation"] = json!({
                "artifactLocation": file,
                "region": { "startLine": line },
            });
        }
        locations.push(json!({ "location": location }));
    }
    json!({
        "message": { "text": "the reproducer's run: the tasks' yield points and the event steps between them" },
        "threadFlows": [{ "locations": locations }],
    })
}

/// The reproducer replayed with its trace recorded, and the finding in it.
/// `None` when the revision is not loaded, the scenario does not build, or
/// the finding does not show.
fn replay(r: &Reported) -> Option<(oracle::Report, Finding)> {
    let revision = revision::find(&r.key.revision).ok()?;
    let mut scenario = r.scenario.clone();
    scenario.mode = r.key.mode;
    let report = oracle::check(&scenario, revision, Checks::REPORT).ok()?;
    let finding = report
        .found
        .iter()
        .map(|f| &f.finding)
        .find(|f| *f == &r.found.finding)
        .or_else(|| {
            let found = report.found.iter().map(|f| &f.finding);
            found.clone().find(|f| f.class == r.key.class)
        })?
        .clone();
    Some((report, finding))
}

/// The C file of the finding's revision: a kernel's futex file relative
/// to its tree (its base id among `roots`; a patched kernel's lines are
/// those of the file with the patches applied, as in the pull request
/// that carries them), a revision file where it lies.
fn revision_location(r: &Reported, roots: &[PathBuf], cwd: &Path) -> Value {
    let Ok(revision) = revision::find(&r.key.revision) else {
        return json!({ "uri": escape(&r.key.revision) });
    };
    let kernel = revision.kernel_input().and_then(|input| {
        let index = roots
            .iter()
            .position(|root| *root == cwd.join(&input.root))?;
        Some((input, index))
    });
    match kernel {
        Some((input, index)) => json!({
            "uri": escape(&input.file.to_string_lossy()),
            "uriBaseId": kernel_base_id(index, roots.len()),
        }),
        None => artifact_location(Path::new(revision.path()), cwd),
    }
}

/// `location` naming the run's artifact number `index` too.
fn with_index(mut location: Value, index: usize) -> Value {
    location["index"] = json!(index);
    location
}

/// An artifact location: relative to SRCROOT (the current directory) for a
/// file under it, an absolute `file://` URI otherwise.
fn artifact_location(path: &Path, cwd: &Path) -> Value {
    match uri(path, cwd) {
        (uri, true) => json!({ "uri": uri, "uriBaseId": "SRCROOT" }),
        (uri, false) => json!({ "uri": uri }),
    }
}

/// `path` as a URI, and whether it is relative to `cwd`.
fn uri(path: &Path, cwd: &Path) -> (String, bool) {
    let absolute: PathBuf = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    match absolute.strip_prefix(cwd) {
        Ok(relative) => (escape(&relative.to_string_lossy()), true),
        Err(_) => (
            format!("file://{}", escape(&absolute.to_string_lossy())),
            false,
        ),
    }
}

/// A directory's `file://` URI, ending in `/` as SARIF's base URIs must.
fn directory_uri(dir: &Path) -> String {
    let text = escape(&dir.to_string_lossy());
    if text.ends_with('/') {
        format!("file://{text}")
    } else {
        format!("file://{text}/")
    }
}

/// Percent-encodes what may not stand in a URI path.
fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b'+' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_the_directory_are_relative_uris() {
        let cwd = Path::new("/src/linux");
        assert_eq!(
            uri(Path::new("/src/linux/kernel/futex/core.c"), cwd),
            ("kernel/futex/core.c".to_string(), true)
        );
        assert_eq!(
            uri(Path::new("findings/v4.7 x.scn"), cwd),
            ("findings/v4.7%20x.scn".to_string(), true)
        );
        assert_eq!(
            uri(Path::new("/opt/futex-diff/csrc/revisions/v4.7.c"), cwd),
            (
                "file:///opt/futex-diff/csrc/revisions/v4.7.c".to_string(),
                false
            )
        );
        assert_eq!(directory_uri(cwd), "file:///src/linux/");
    }
}
