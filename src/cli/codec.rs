//! `futex-diff encode` and `futex-diff decode`: between a scenario's text
//! form and the bytes the fuzz targets read.

use std::path::PathBuf;

use clap::Args;

use super::{load_scenario, Status, UsageError};
use crate::scenario::binary;

/// Turn a scenario file into the bytes that decode back to it (for seeding
/// the fuzzers).
#[derive(Args, Debug)]
pub struct EncodeArgs {
    /// Scenario file (text form).
    scenario: PathBuf,
    /// Where to write the bytes (default: next to the scenario, `.bin`).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Print the scenario that a fuzzer input (a crash file, a corpus entry)
/// decodes to, in text form.
#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// Fuzzer input: any bytes.
    input: PathBuf,
}

pub fn encode(args: EncodeArgs) -> Result<Status, UsageError> {
    let scenario = load_scenario(&args.scenario)?;
    let bytes = binary::encode(&scenario)
        .map_err(|e| UsageError(format!("{}: {e}", args.scenario.display())))?;
    let output = args
        .output
        .unwrap_or_else(|| args.scenario.with_extension("bin"));
    std::fs::write(&output, bytes).map_err(|e| UsageError(format!("{}: {e}", output.display())))?;
    Ok(Status::Clean)
}

pub fn decode(args: DecodeArgs) -> Result<Status, UsageError> {
    let bytes = std::fs::read(&args.input)
        .map_err(|e| UsageError(format!("{}: {e}", args.input.display())))?;
    out!("{}", binary::decode(&bytes).to_text());
    Ok(Status::Clean)
}
