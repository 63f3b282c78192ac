//! The command line: one file per subcommand, `clap` derive, and the exit
//! codes every command shares (0: nothing found, 1: findings, 2: bad input).

/// `print!` that ends the process quietly when stdout is a closed pipe
/// (`futex-diff ... | head`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::write_out(format_args!($($arg)*)) };
}

/// `println!`, likewise.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}
pub(crate) use {out, outln};

mod against;
mod check;
mod codec;
mod explore;
mod hunt;
mod minimize;
mod progress;
mod prove;
mod replay;
mod revisions;
mod run;
mod sarif;
mod selection;

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::scenario::Scenario;

/// Finds concurrency bugs in revisions of the Linux kernel's get_futex_key().
#[derive(Parser, Debug)]
#[command(name = "futex-diff", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Hunt(hunt::HuntArgs),
    Explore(explore::ExploreArgs),
    Prove(prove::ProveArgs),
    Minimize(minimize::MinimizeArgs),
    Replay(replay::ReplayArgs),
    Run(run::RunArgs),
    Check(check::CheckArgs),
    Encode(codec::EncodeArgs),
    Decode(codec::DecodeArgs),
    Revisions(revisions::RevisionsArgs),
}

/// Writes to stdout; a closed pipe ends the process as SIGPIPE would.
pub fn write_out(args: std::fmt::Arguments) {
    use std::io::Write as _;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("futex-diff: cannot write to stdout: {e}");
        std::process::exit(2);
    }
}

/// What a command ended with.
pub enum Status {
    Clean,
    Findings,
}

/// Bad input: a message for the user, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(e: E) -> UsageError {
        UsageError(e.to_string())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hunt(args) => hunt::main(args),
        Command::Explore(args) => explore::main(args),
        Command::Prove(args) => prove::main(args),
        Command::Minimize(args) => minimize::main(args),
        Command::Replay(args) => replay::main(args),
        Command::Run(args) => run::main(args),
        Command::Check(args) => check::main(args),
        Command::Encode(args) => codec::encode(args),
        Command::Decode(args) => codec::decode(args),
        Command::Revisions(args) => revisions::main(args),
    };
    match result {
        Ok(Status::Clean) => ExitCode::SUCCESS,
        Ok(Status::Findings) => ExitCode::from(1),
        Err(UsageError(message)) => {
            eprintln!("futex-diff: {message}");
            ExitCode::from(2)
        }
    }
}

/// Reads and parses a scenario file; errors name the file and line.
pub fn load_scenario(path: &Path) -> Result<Scenario, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    crate::scenario::parse(&text).map_err(|e| match e.line {
        0 => UsageError(format!("{}: {}", path.display(), e.message)),
        line => UsageError(format!("{}:{line}: {}", path.display(), e.message)),
    })
}
