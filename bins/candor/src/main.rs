//! The `candor` command; everything lives in the library.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(candor::run(std::env::args_os()))
}
