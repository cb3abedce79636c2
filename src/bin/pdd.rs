//! The `pdd` command-line tool. Each subcommand group lives in `pdd::cli`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    pdd::cli::quiet_broken_pipe();
    let cli = pdd::cli::Cli::parse();
    match pdd::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", pdd::cli::error_text(&e));
            std::process::ExitCode::FAILURE
        }
    }
}
