//! `pcn`: the command line of pcn.
//!
//! `main` only parses arguments and maps the outcome to an exit code:
//! 0 success (and, for `pcn check`, no error-level finding), 1 `pcn check`
//! found error-level findings, 2 the command failed (bad input, a database
//! problem); the message says why.

mod appointments;
mod arrs;
mod check;
mod cli;
mod demo;
mod import;
mod network;
mod output;
mod pay;
mod plan;
mod reconcile;
mod render;
mod serve;
mod services;
mod user;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(err) => {
            // The whole chain: what failed, then why, each cause once.
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
