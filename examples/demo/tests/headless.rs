//! Runs the built `community-demo` binary in headless mode (embedded server, seeding,
//! bots at the headless pace) and checks that it exits 0 with a summary whose counts
//! match what the bots sent, edited and recalled, whose open channel shows (and draws)
//! every edit, recall, reaction, pin, reply, thread digest and system line, whose bots
//! started threads there and replied in them (exact digests; the demo user opened one,
//! replied and kept it read), where the Book Club's read-only `#rules` refuses the
//! demo user's send while its moderator bot pinned there, and where people show: a bot's
//! direct messages counted in the DM list, bots typing, every bot's presence dot, the bot
//! in the voice channel and senders under their display names; and where search finds a
//! word of a bot message and two characters of a Japanese or Chinese one, highlighted, the
//! guild's search is answered by the server with each message once, and a malformed query
//! is refused with the typed `invalid_search_query` (5037).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest the whole run may take before the test kills it (20 s of chatter, plus set-up,
/// settling and shutdown, with a wide margin for a loaded machine).
const LIMIT: Duration = Duration::from_secs(180);

#[test]
fn headless_run_counts_match_what_the_bots_sent() {
    let mut child = match Command::new(env!("CARGO_BIN_EXE_community-demo"))
        .args(["--headless", "20"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(error) => panic!("cannot start community-demo: {error}"),
    };
    let mut stdout = child.stdout.take().map(|mut out| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        })
    });
    let mut stderr = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        })
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < LIMIT => std::thread::sleep(Duration::from_millis(200)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("community-demo --headless 20 did not finish within {LIMIT:?}");
            }
            Err(error) => panic!("waiting for community-demo: {error}"),
        }
    };
    let out = stdout
        .take()
        .and_then(|t| t.join().ok())
        .unwrap_or_default();
    let err = stderr
        .take()
        .and_then(|t| t.join().ok())
        .unwrap_or_default();
    assert!(
        status.success(),
        "exit status {status}\nstdout:\n{out}\nstderr:\n{err}"
    );

    assert!(
        out.contains("== community-demo headless summary =="),
        "{out}"
    );
    assert!(
        out.contains("ran 20 s with 4 bots on ws://127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("RESULT: OK"), "{out}");
    assert!(!out.contains("MISMATCH"), "{out}");
    assert!(out.contains("gap-free"), "{out}");

    // Every seeded channel has a line, and the open one is read.
    let channel_lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("  Pixel Guild ") || l.starts_with("  Book Club "))
        .collect();
    assert_eq!(channel_lines.len(), 17, "13 + 4 channels\n{out}");
    assert!(channel_lines.iter().all(|l| l.contains(" ok")), "{out}");
    assert!(
        channel_lines
            .iter()
            .any(|l| l.contains("#general") && l.contains("0/0") && l.contains("(opened)")),
        "{out}"
    );

    // The bots produced real traffic, and the totals equal the expectations.
    let bots_sent = number_after(&out, "bots sent: ");
    assert!(
        bots_sent >= 50,
        "too little traffic to check anything: {bots_sent}\n{out}"
    );
    let totals = out
        .lines()
        .find(|l| l.starts_with("total unread: "))
        .unwrap_or_else(|| panic!("no totals line\n{out}"));
    let numbers: Vec<u64> = totals
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 4, "{totals}");
    assert_eq!(numbers[0], numbers[1], "unread equals expected: {totals}");
    assert_eq!(numbers[2], numbers[3], "mentions equal expected: {totals}");
    assert!(numbers[0] > 0 && numbers[2] > 0, "badges moved: {totals}");

    // The life of a message: the bots edit, recall and react; the demo user edits,
    // reacts, pins, recalls and replies, all carried out.
    let bots_changed = numbers_of(&out, "bots changed: ");
    assert!(
        bots_changed[..3].iter().all(|n| *n > 0),
        "the bots edited, recalled and reacted\n{out}"
    );
    let demo = numbers_of(&out, "demo changes: ");
    assert_eq!(demo.len(), 7, "{out}");
    assert!(
        demo[..5].iter().all(|n| *n > 0),
        "the demo user edited, reacted, pinned, recalled and replied\n{out}"
    );
    assert_eq!(&demo[5..], &[0, 0], "none refused or unconfirmed\n{out}");
    // Drawn: lines, edited, recalled, pinned, reply previews, with reactions, mine, system,
    // thread digests.
    let drawn = numbers_of(&out, "rendered Pixel Guild #general: ");
    assert_eq!(drawn.len(), 9, "{out}");
    assert!(drawn.iter().all(|n| *n > 0), "every marker is drawn\n{out}");

    // Threads: the bots started threads in #general and replied in them; every digest on
    // a parent message is exact and every thread listed; the demo user opened one,
    // replied there and keeps it read.
    let threads = numbers_of(&out, "threads in Pixel Guild #general: ");
    // started, bot replies, demo replies, failed, digests exact, listed, messages, unread
    assert_eq!(threads.len(), 8, "{out}");
    assert!(
        threads[..3].iter().all(|n| *n > 0),
        "threads started, replied to by bots and by the demo user\n{out}"
    );
    assert_eq!(threads[4], threads[0], "every digest is exact\n{out}");
    assert_eq!(threads[5], threads[0], "every thread is listed\n{out}");
    assert!(
        threads[6] >= threads[2],
        "the opened thread holds the replies\n{out}"
    );
    assert_eq!(threads[7], 0, "the opened thread is read\n{out}");

    // Roles and permissions: the read-only channel refuses the demo user's send with
    // permission_denied before it leaves; the moderator (rook, holding @mods) pinned the
    // rules; the demo user owns the guild and is a reader in the club.
    let roles = out
        .lines()
        .find_map(|l| l.strip_prefix("roles: "))
        .unwrap_or_else(|| panic!("no roles line\n{out}"));
    assert!(
        roles.starts_with(
            "Book Club #rules read-only for the demo user (send refused: permission_denied 4000, check_operation: 4000)"
        ),
        "{roles}"
    );
    assert!(
        roles.contains("pinned by rook; @mods held by rook;"),
        "{roles}"
    );
    assert!(
        roles.contains("owner in Pixel Guild, member · @readers in Book Club"),
        "{roles}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("  Book Club #rules") && l.contains("1/1")),
        "the rules are unread, nothing else arrived there\n{out}"
    );

    // People: ember wrote to the demo user directly (every DM unread, listed under its
    // display name), bots were seen typing (drawn with a display name), every bot's
    // presence is known and drawn as a dot, rook sits in the voice channel, and every bot
    // message of #general is drawn under its bot's display name.
    let people = numbers_of(&out, "people: direct ");
    // direct unread, sent, typing seen, typed, presence known, bots, dotted, voice, named, of
    assert_eq!(people.len(), 10, "{out}");
    assert!(
        people[1] > 0 && people[0] == people[1],
        "the DMs count\n{out}"
    );
    assert!(people[2] > 0 && people[3] > 0, "typing was seen\n{out}");
    assert_eq!(people[4], people[5], "every bot's presence is known\n{out}");
    assert!(people[6] > 0, "presence dots are drawn\n{out}");
    assert_eq!(people[7], 1, "the voice participant shows\n{out}");
    assert_eq!(people[8], people[9], "senders by display name\n{out}");
    assert!(
        out.contains("from ember;") && out.contains("  DM list: @ ● Ember Vale  "),
        "{out}"
    );
    assert!(out.contains("  voice: 🔊 ⊘ Rook Keeper"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("  typing: ") && l.ends_with(" typing…")),
        "{out}"
    );

    // Search: a word of a bot message found in the cache, every hit highlighted on it; the
    // guild's search merged with the server's, each message once; "unclosed refused with
    // 5037; two CJK characters of a bot message found and highlighted.
    let search = out
        .lines()
        .find_map(|l| l.strip_prefix("search in Pixel Guild #general: "))
        .unwrap_or_else(|| panic!("no search line\n{out}"));
    let found: Vec<u64> = search
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    // word hits, highlighted, local, server, twice, 5037, CJK hits, highlighted
    assert_eq!(found.len(), 8, "{search}");
    assert!(found[0] > 0 && found[1] == found[0], "{search}");
    assert!(
        found[2] + found[3] >= found[0],
        "the guild holds the channel's hits: {search}"
    );
    assert_eq!(found[4], 0, "each message once: {search}");
    assert!(search.contains(" twice (device + server);"), "{search}");
    assert!(
        search.contains("\"unclosed: invalid_search_query 5037;"),
        "{search}"
    );
    assert!(found[6] > 0 && found[7] == found[6], "{search}");
    let drawn = out
        .lines()
        .find_map(|l| l.strip_prefix("  search drawn: "))
        .unwrap_or_else(|| panic!("no drawn search line\n{out}"));
    assert_eq!(
        drawn.matches('[').count(),
        drawn.matches(']').count(),
        "{drawn}"
    );
    assert!(drawn.split(" | ").all(|hit| hit.contains('[')), "{drawn}");
}

/// The numbers of the line that starts with `prefix`.
fn numbers_of(text: &str, prefix: &str) -> Vec<u64> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line\n{text}"));
    line.split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect()
}

fn number_after(text: &str, prefix: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `{prefix}` line\n{text}"))
}
