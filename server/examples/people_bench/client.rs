//! The client process of the benchmark: connects the N members (and `sender` for the
//! message modes), makes the first `--viewers` view the community in the presence modes,
//! says `READY`, waits for `GO`, runs the mode's load for `--seconds` while every client
//! reads, reads `--drain` seconds more, and prints one `RESULT` line.

use std::sync::Arc;
use std::time::Duration;

use community_protocol::request::{ChannelRef, SetPresence, ViewCommunity};
use community_protocol::{
    ClientFrame, Event, Mentions, MessageContent, PresenceStatus, Priority, Request, ServerFrame,
    codec,
};
use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::{
    Args, BoxError, Mode, SENDER, Ws, cpu_us, hello_login, read_line, request, send_frame, user,
};

/// The figures the client process reports.
pub struct Stats {
    /// Events of the mode's kind received by all members.
    pub deliveries: u64,
    /// Members reading.
    pub receivers: u64,
    /// The most `typing` events one member got within any 1 s.
    pub most_in_a_second: u64,
    /// Users named by all `typing` events received.
    pub typing_users: u64,
    /// The shortest time between two `typing` events of one member, µs (0: none).
    pub min_gap_us: u64,
    /// Requests of the load sent.
    pub requests: u64,
    /// Of which refused.
    pub refused: u64,
    /// Clients told goodbye.
    pub cut_off: u64,
    /// CPU of the client process during the run, µs.
    pub cpu_us: u64,
}

impl Stats {
    fn format(&self) -> String {
        format!(
            "RESULT {} {} {} {} {} {} {} {} {}",
            self.deliveries,
            self.receivers,
            self.most_in_a_second,
            self.typing_users,
            self.min_gap_us,
            self.requests,
            self.refused,
            self.cut_off,
            self.cpu_us
        )
    }

    /// Reads a `RESULT` line.
    pub fn parse(line: &str) -> Option<Stats> {
        let v: Vec<u64> = line
            .strip_prefix("RESULT ")?
            .split(' ')
            .filter_map(|x| x.parse().ok())
            .collect();
        let [
            deliveries,
            receivers,
            most_in_a_second,
            typing_users,
            min_gap_us,
            requests,
            refused,
            cut_off,
            cpu_us,
        ] = v[..]
        else {
            return None;
        };
        Some(Stats {
            deliveries,
            receivers,
            most_in_a_second,
            typing_users,
            min_gap_us,
            requests,
            refused,
            cut_off,
            cpu_us,
        })
    }

    /// Users per `typing` event.
    pub fn users_per_event(&self) -> f64 {
        self.typing_users as f64 / self.deliveries.max(1) as f64
    }
}

/// What every client task knows of the run.
#[derive(Clone)]
struct Plan {
    mode: Mode,
    clients: usize,
    changes: u64,
    start: Instant,
    stop: Instant,
    end: Instant,
    typing: Arc<str>,
}

/// One member's outcome.
#[derive(Default)]
struct Outcome {
    deliveries: u64,
    typing_at: Vec<Instant>,
    typing_users: u64,
    requests: u64,
    refused: u64,
    cut_off: bool,
}

impl Outcome {
    /// The most typing events within any 1 s.
    fn most_in_a_second(&self) -> u64 {
        let second = Duration::from_secs(1);
        let mut most = 0;
        let mut start = 0;
        for end in 0..self.typing_at.len() {
            while self.typing_at[end] - self.typing_at[start] >= second {
                start += 1;
            }
            most = most.max(end - start + 1);
        }
        most as u64
    }

    /// The shortest time between two typing events, µs.
    fn min_gap_us(&self) -> Option<u64> {
        self.typing_at
            .windows(2)
            .map(|w| (w[1] - w[0]).as_micros() as u64)
            .min()
    }
}

/// A small deterministic jitter source (xorshift).
struct Jitter(u64);

impl Jitter {
    fn next_ms(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below.max(1)
    }
}

/// Runs the client process.
pub async fn child(args: Args) -> Result<(), BoxError> {
    let mode = *args.modes.first().ok_or("no mode")?;
    let n = args.clients;
    let data_dir = std::path::PathBuf::from(&args.data_dir);
    let gate = Arc::new(tokio::sync::Semaphore::new(64));
    let mut logins = Vec::with_capacity(n);
    for i in 0..n {
        let token = community_server::issue_token(&data_dir, &user(i), Duration::from_secs(3600))?;
        let (url, gate) = (args.url.clone(), Arc::clone(&gate));
        logins.push(tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            hello_login(&url, &user(i), token).await
        }));
    }
    let mut clients = Vec::with_capacity(n);
    for login in logins {
        clients.push(login.await??);
    }
    if matches!(mode, Mode::Presence | Mode::PresenceMessages) {
        for ws in clients.iter_mut().take(args.viewers) {
            let view = Request::ViewCommunity(ViewCommunity {
                community_id: Some(args.community.as_str().into()),
            });
            request(ws, 2, view).await?;
        }
    }
    let sender = if matches!(mode, Mode::Messages | Mode::PresenceMessages) {
        let token = community_server::issue_token(&data_dir, SENDER, Duration::from_secs(3600))?;
        Some(hello_login(&args.url, SENDER, token).await?)
    } else {
        None
    };
    println!("READY");
    tokio::task::spawn_blocking(|| read_line(&mut std::io::stdin().lock())).await??;
    let cpu_before = cpu_us();
    let start = Instant::now();
    let typing = Request::Typing(ChannelRef {
        community_id: args.community.as_str().into(),
        channel_id: args.channel.as_str().into(),
    });
    let plan = Plan {
        mode,
        clients: n,
        changes: args.changes,
        start,
        stop: start + Duration::from_secs(args.seconds),
        end: start + Duration::from_secs(args.seconds + args.drain),
        typing: Arc::from(codec::encode_client(&ClientFrame::Request {
            id: 100,
            request: typing,
        })?),
    };
    let sending = sender.map(|ws| tokio::spawn(send_messages(ws, args.clone(), plan.clone())));
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, ws)| tokio::spawn(run(ws, i, plan.clone())))
        .collect();
    let mut stats = Stats {
        deliveries: 0,
        receivers: n as u64,
        most_in_a_second: 0,
        typing_users: 0,
        min_gap_us: u64::MAX,
        requests: 0,
        refused: 0,
        cut_off: 0,
        cpu_us: 0,
    };
    for task in tasks {
        let outcome = task.await?;
        stats.deliveries += outcome.deliveries;
        stats.most_in_a_second = stats.most_in_a_second.max(outcome.most_in_a_second());
        stats.typing_users += outcome.typing_users;
        if let Some(gap) = outcome.min_gap_us() {
            stats.min_gap_us = stats.min_gap_us.min(gap);
        }
        stats.requests += outcome.requests;
        stats.refused += outcome.refused;
        stats.cut_off += u64::from(outcome.cut_off);
    }
    if let Some(sending) = sending {
        let (sent, refused) = sending.await??;
        stats.requests += sent;
        stats.refused += refused;
    }
    if stats.min_gap_us == u64::MAX {
        stats.min_gap_us = 0;
    }
    stats.cpu_us = cpu_us() - cpu_before;
    println!("{}", stats.format());
    Ok(())
}

/// When member `i` acts first, and how it goes on.
fn first_action(i: usize, plan: &Plan) -> Option<Instant> {
    match plan.mode {
        // Spread over the first interval.
        Mode::Typing => Some(
            plan.start + Duration::from_millis((i as u64 * 3_000) / plan.clients.max(1) as u64),
        ),
        // Change k of the run is made by member k mod N, at k / changes seconds.
        Mode::Presence => {
            Some(plan.start + Duration::from_secs_f64(i as f64 / plan.changes.max(1) as f64))
        }
        Mode::Messages | Mode::PresenceMessages => None,
    }
}

/// One member: acts on its schedule until `stop`, reads until `end`.
async fn run(mut ws: Ws, i: usize, plan: Plan) -> Outcome {
    let mut outcome = Outcome::default();
    let mut jitter = Jitter(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
    let mut next = first_action(i, &plan).filter(|at| *at < plan.stop);
    let mut idle = false;
    let mut id = 1_000;
    loop {
        let wake = next.unwrap_or(plan.end).min(plan.end);
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {
                if Instant::now() >= plan.end {
                    break;
                }
                let Some(at) = next else { continue };
                let frame: Result<(), BoxError> = match plan.mode {
                    Mode::Typing => ws.send(WsMessage::text(plan.typing.to_string())).await.map_err(Into::into),
                    _ => {
                        idle = !idle;
                        id += 1;
                        let status = if idle { PresenceStatus::Idle } else { PresenceStatus::Online };
                        let change = Request::SetPresence(SetPresence { status, text: String::new() });
                        send_frame(&mut ws, &ClientFrame::Request { id, request: change }).await
                    }
                };
                if frame.is_err() {
                    outcome.cut_off = true;
                    break;
                }
                outcome.requests += 1;
                let after = match plan.mode {
                    Mode::Typing => at + Duration::from_millis(3_000 + jitter.next_ms(200)),
                    _ => at + Duration::from_secs_f64(plan.clients as f64 / plan.changes.max(1) as f64),
                };
                next = (after < plan.stop).then_some(after);
            }
            message = ws.next() => {
                let Some(Ok(WsMessage::Text(text))) = message else {
                    if message.is_none() || matches!(message, Some(Err(_))) {
                        outcome.cut_off = true;
                        break;
                    }
                    continue;
                };
                read(text.as_str(), plan.mode, &mut outcome);
                if outcome.cut_off {
                    break;
                }
            }
        }
    }
    outcome
}

/// Counts what a frame is.
fn read(text: &str, mode: Mode, outcome: &mut Outcome) {
    if text.starts_with(r#"{"type":"response""#) {
        if text.contains(r#""error""#) {
            outcome.refused += 1;
        }
        return;
    }
    if text.contains(r#""type":"goodbye""#) {
        outcome.cut_off = true;
        return;
    }
    match mode {
        Mode::Typing if text.contains(r#""kind":"typing""#) => {
            outcome.deliveries += 1;
            outcome.typing_at.push(Instant::now());
            if let Ok(ServerFrame::Event {
                event: Event::Typing { user_ids, .. },
                ..
            }) = codec::decode_server(text)
            {
                outcome.typing_users += user_ids.len() as u64;
            }
        }
        Mode::Presence if text.contains(r#""kind":"presence_changed""#) => {
            outcome.deliveries += 1;
        }
        Mode::Messages | Mode::PresenceMessages if text.contains(r#""kind":"message_created""#) => {
            outcome.deliveries += 1;
        }
        _ => {}
    }
}

/// `sender` posts at `args.rate` messages a second until `stop`; returns (sent, refused).
async fn send_messages(mut ws: Ws, args: Args, plan: Plan) -> Result<(u64, u64), BoxError> {
    let period = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
    let mut sent = 0u64;
    let mut refused = 0u64;
    let mut next = plan.start;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(next.min(plan.end)) => {
                if Instant::now() >= plan.end {
                    break;
                }
                if next >= plan.stop {
                    next = plan.end;
                    continue;
                }
                let request = Request::SendMessage(community_protocol::request::SendMessage {
                    community_id: args.community.as_str().into(),
                    channel_id: args.channel.as_str().into(),
                    idempotency_key: format!("m{sent}"),
                    content: MessageContent::Text { text: format!("message {sent}") },
                    mentions: Mentions::default(),
                    reply_to: None,
                    priority: Priority::Normal,
                    custom_data: String::new(),
                    forward_of: None,
                });
                send_frame(&mut ws, &ClientFrame::Request { id: 1_000 + sent, request }).await?;
                sent += 1;
                next += period;
            }
            message = ws.next() => {
                match message {
                    Some(Ok(WsMessage::Text(text))) => {
                        if text.as_str().starts_with(r#"{"type":"response""#) && text.as_str().contains(r#""error""#) {
                            refused += 1;
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => break,
                }
            }
        }
    }
    Ok((sent, refused))
}
