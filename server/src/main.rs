//! The `community-server` binary: parses the command line, sets up logging (`RUST_LOG`,
//! default `info`) and runs the command. See `community_server::cli`.

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
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
