//! The `community-server` binary: parses the command line, sets up logging (`RUST_LOG`,
//! default `info`; colours only on a terminal, and never with `NO_COLOR` set) and runs the
//! command. See `community_server::cli`.

use std::io::IsTerminal;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours_wanted())
        .init();
    let cli = community_server::cli::Cli::parse();
    match community_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("community-server: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Colours in the logs only when stderr is a terminal (a file or a pipe gets plain text)
/// and `NO_COLOR` is not set to something non-empty (https://no-color.org).
fn colours_wanted() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    std::io::stderr().is_terminal() && !no_color
}
