//! The command line: which flow to run (terminal UI or headless) against which server
//! (embedded, or a real one given by URL, user and token).

use std::path::PathBuf;

use clap::Parser;

use crate::bots::BOT_NAMES;
use crate::flow::Setup;

/// A terminal community client on the Community SDK.
///
/// With no arguments it starts a real community-server in this process (127.0.0.1, a
/// free port, a temporary data directory), logs in as a demo user, seeds a community,
/// brings in bots that chat, so unread and mention badges move, start threads under
/// their messages and reply in them (`t` opens one beside the channel), and one of them
/// runs a second community with a moderator group and a read-only channel. The bots have
/// display names and presence dots (online, idle, do not disturb), show "… is typing…"
/// before they post, one writes to you directly (`d` opens the DM list's conversations)
/// and one sits in the voice channel. Press `?` in the UI for the keys.
#[derive(Debug, Clone, Parser)]
#[command(name = "community-demo", version, about, long_about)]
pub struct Cli {
    /// Connect to this server instead of starting one, e.g. ws://127.0.0.1:7600/ws
    /// (no bots; no seeding unless --seed).
    #[arg(long, value_name = "URL", requires_all = ["user", "token"])]
    pub server: Option<String>,
    /// The user to log in as (with --server; without it, the demo user's id).
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// The user's login token (with --server), e.g. from `community-server token`.
    #[arg(long, value_name = "TOKEN", requires = "server")]
    pub token: Option<String>,
    /// With --server: create the demo communities as this user.
    #[arg(long, requires = "server")]
    pub seed: bool,
    /// Run without a terminal for this many seconds of bot chatter, print a summary and
    /// exit 0 only if the unread and mention counts match what the bots sent (1 if not,
    /// 2 on an error).
    #[arg(long, value_name = "SECONDS", conflicts_with = "server",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub headless: Option<u64>,
    /// How many bots chat (embedded server only).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=BOT_NAMES.len() as i64))]
    pub bots: u8,
    /// The demo user's cache directory (default: a temporary one; the headless run
    /// always starts from an empty cache).
    #[arg(long, value_name = "DIR", conflicts_with = "headless")]
    pub data_dir: Option<PathBuf>,
}

/// The demo user's id with the embedded server.
pub const DEFAULT_USER: &str = "demo";

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The terminal UI.
    Interactive(Setup),
    /// The headless check, for this many seconds.
    Headless(u64, Setup),
}

impl Cli {
    /// The mode the arguments ask for.
    pub fn mode(&self) -> Mode {
        let setup = match (&self.server, &self.token) {
            (Some(url), Some(token)) => Setup::Remote {
                url: url.clone(),
                user_id: self.user.clone().unwrap_or_default().into(),
                token: token.clone(),
                seed: self.seed,
            },
            _ => Setup::Embedded {
                user_id: self.user.as_deref().unwrap_or(DEFAULT_USER).into(),
                bots: usize::from(self.bots),
            },
        };
        match self.headless {
            Some(seconds) => Mode::Headless(seconds, setup),
            None => Mode::Interactive(setup),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("community-demo").chain(args.iter().copied()))
    }

    #[test]
    fn no_arguments_is_the_embedded_demo() -> Result<(), clap::Error> {
        let mode = parse(&[])?.mode();
        assert_eq!(
            mode,
            Mode::Interactive(Setup::Embedded {
                user_id: "demo".into(),
                bots: 4
            })
        );
        Ok(())
    }

    #[test]
    fn headless_and_remote() -> Result<(), clap::Error> {
        assert!(matches!(
            parse(&["--headless", "20"])?.mode(),
            Mode::Headless(20, Setup::Embedded { .. })
        ));
        let remote = parse(&[
            "--server",
            "ws://127.0.0.1:7600/ws",
            "--user",
            "alice",
            "--token",
            "t",
        ])?;
        assert_eq!(
            remote.mode(),
            Mode::Interactive(Setup::Remote {
                url: "ws://127.0.0.1:7600/ws".into(),
                user_id: "alice".into(),
                token: "t".into(),
                seed: false
            })
        );
        Ok(())
    }

    #[test]
    fn bad_combinations_are_refused() {
        assert!(
            parse(&["--server", "ws://x/ws"]).is_err(),
            "needs user and token"
        );
        assert!(parse(&["--token", "t"]).is_err(), "token needs a server");
        assert!(parse(&["--seed"]).is_err());
        assert!(parse(&["--headless", "0"]).is_err());
        assert!(
            parse(&[
                "--headless",
                "5",
                "--server",
                "ws://x/ws",
                "--user",
                "a",
                "--token",
                "t"
            ])
            .is_err()
        );
        assert!(parse(&["--bots", "9"]).is_err());
        assert!(parse(&["--headless", "5", "--data-dir", "/tmp/x"]).is_err());
    }
}
