use std::process::ExitCode;

fn main() -> ExitCode {
    futex_diff::cli::main()
}
