//! The `community-demo` binary: parses the command line and runs the terminal UI or the
//! headless check (see the library's docs).

use std::process::ExitCode;

use clap::Parser;
use community_demo::cli::{Cli, Mode};
use community_demo::{headless, tui};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("community-demo: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let code = runtime.block_on(async move {
        match cli.mode() {
            Mode::Headless(seconds, setup) => {
                init_tracing();
                match headless::run(seconds, setup).await {
                    Ok(summary) => {
                        print!("{}", summary.render());
                        if summary.mismatches().is_empty() {
                            ExitCode::SUCCESS
                        } else {
                            ExitCode::from(1)
                        }
                    }
                    Err(error) => {
                        eprintln!("community-demo: {error}");
                        ExitCode::from(2)
                    }
                }
            }
            Mode::Interactive(setup) => match tui::run(setup, cli.data_dir.clone()).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("community-demo: {error}");
                    ExitCode::from(2)
                }
            },
        }
    });
    // Bots and clients may still hold background tasks; do not wait for them forever.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    code
}

/// Logs to standard error, filtered by `RUST_LOG` (warnings by default). Only in the
/// headless run: in the terminal UI, log lines would tear the screen.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
