//! The `community-server` binary itself: what it writes when its output is not a
//! terminal, and how it refuses a bad configuration.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_community-server"));
    command
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Kills the child when dropped, so a failing test leaves no server running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Running(
        binary()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .spawn()
            .expect("the binary starts"),
    );
    let stderr = child.0.stderr.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).split(b'\n') {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    loop {
        let line = lines
            .recv_timeout(WAIT)
            .expect("the server logs that it listens");
        let listening = String::from_utf8_lossy(&line).contains("listening");
        seen.push(line);
        if listening {
            break;
        }
    }
    drop(child);
    // The rest of stderr, up to the end of the killed process's output.
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(5)) {
        seen.push(line);
    }
    let _ = reader.join();
    let text: Vec<u8> = seen.join(&b'\n');
    assert!(
        !text.windows(2).any(|w| w == b"\x1b["),
        "ANSI escape codes in piped logs: {}",
        String::from_utf8_lossy(&text)
    );
    assert!(String::from_utf8_lossy(&text).contains("INFO"));
}

#[test]
fn an_invalid_configuration_refuses_to_start_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.toml");
    std::fs::write(&config, "[limits]\nmax_channels_per_community = 1001\n").unwrap();
    let mut child = Running(
        binary()
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .spawn()
            .expect("the binary starts"),
    );
    let mut pipe = child.0.stderr.take().unwrap();
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stderr = String::new();
        let _ = pipe.read_to_string(&mut stderr);
        let _ = done_tx.send(stderr);
    });
    let stderr = done.recv_timeout(WAIT).expect("the server exits at once");
    let status = child.0.wait().unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("limits.max_channels_per_community"),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "{stderr}");
    assert!(!dir.path().join("data").exists(), "nothing was created");
}
