//! Our side: the `community-server` binary as its own process (127.0.0.1, port 0, a
//! temporary data directory), communities set up by an owner, subscribers and senders as
//! hand-written WebSocket clients.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use community_protocol::request::{CreateChannel, CreateCommunity, InviteMembers, SendMessage};
use community_protocol::{
    ClientFrame, Mentions, MessageContent, PROTOCOL_VERSION, Priority, Request, Response, codec,
};

use crate::load::{Acks, Crowd, Process, Publish, Receipts};
use crate::wire::{Reader, Writer, now_us, stamp, ws_connect};
use crate::{BoxError, shared_wire};

/// Read buffer of a subscriber.
const BUFFER: usize = 16 * 1024;

/// A running `community-server` and its data directory.
pub struct Server {
    pub process: Process,
    /// `127.0.0.1:<port>`.
    pub addr: String,
    dir: tempfile::TempDir,
}

/// Starts the binary `bin` and reads the address it listens on.
pub fn start(bin: &std::path::Path) -> Result<Server, BoxError> {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args([
            "--heartbeat-secs",
            "600",
            "--channel-messages-per-second",
            "1000000",
            "--max-connections",
            "20000",
            // The community stays small at every N (default threshold: 1,000 members):
            // every subscriber gets every message whole, as nats-server's do; a large
            // community would send only `channel_activity` to members not viewing it.
            "--limit",
            "large_community_members=1000000000",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let process = Process { child };
    // "community-server listening on 127.0.0.1:PORT (WebSocket ws://…)" (a wrapper such
    // as a profiler may print lines before it).
    let mut stdout = BufReader::new(stdout);
    let mut line = String::new();
    let addr = loop {
        line.clear();
        if stdout.read_line(&mut line)? == 0 {
            return Err("community-server stopped before listening".into());
        }
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    eprintln!("  community-server pid {} on {addr}", process.child.id());
    Ok(Server { process, addr, dir })
}

impl Server {
    fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    fn token(&self, user: &str) -> Result<String, BoxError> {
        Ok(community_server::issue_token(
            self.dir.path(),
            user,
            Duration::from_secs(3600),
        )?)
    }

    /// Creates a community with a channel `bench` (no system messages) whose members are
    /// `members`; returns (community, channel).
    pub async fn community(
        &self,
        name: &str,
        members: &[String],
    ) -> Result<(String, String), BoxError> {
        let mut owner =
            shared_wire::hello_login(&self.url(), "owner", self.token("owner")?).await?;
        let create = Request::CreateCommunity(CreateCommunity {
            name: name.into(),
            system_messages: Some(false),
            ..Default::default()
        });
        let Response::Community(snapshot) = shared_wire::request(&mut owner, 2, create).await?
        else {
            return Err("no community".into());
        };
        let community = snapshot.info.community_id;
        let create_channel = Request::CreateChannel(CreateChannel {
            community_id: community.clone(),
            name: "bench".into(),
            ..Default::default()
        });
        let Response::Channel(channel) =
            shared_wire::request(&mut owner, 3, create_channel).await?
        else {
            return Err("no channel".into());
        };
        for (i, batch) in members.chunks(100).enumerate() {
            let invite = Request::InviteMembers(InviteMembers {
                community_id: community.clone(),
                user_ids: batch.iter().map(|u| u.as_str().into()).collect(),
            });
            shared_wire::request(&mut owner, 10 + i as u64, invite).await?;
        }
        Ok((community.to_string(), channel.channel_id.to_string()))
    }

    /// A logged-in raw client of `user`.
    pub async fn login(&self, user: &str) -> Result<(Reader, Writer), BoxError> {
        let (mut reader, mut writer) = ws_connect(&self.addr, BUFFER).await?;
        let hello = ClientFrame::Hello {
            protocol_version: PROTOCOL_VERSION,
            client: crate::CLIENT_NAME.into(),
            compression: Vec::new(),
        };
        writer.ws_text(&codec::encode_client(&hello)?).await?;
        let login = ClientFrame::Request {
            id: 1,
            request: Request::Login(community_protocol::request::Login {
                user_id: user.into(),
                token: self.token(user)?,
                device_id: String::new(),
                resume: None,
            }),
        };
        writer.ws_text(&codec::encode_client(&login)?).await?;
        let mut ok = false;
        reader
            .ws_until(|text| {
                let response = text.starts_with(br#"{"type":"response""#);
                ok = response && !text.windows(8).any(|w| w == br#""error":"#);
                response
            })
            .await?;
        if !ok {
            return Err(format!("login of {user} refused").into());
        }
        Ok((reader, writer))
    }

    /// Logs in `users` (64 at a time) as subscribers counting into `crowd`; the first
    /// event frame any of them receives is kept in `sample`.
    pub async fn subscribe(
        self: &Arc<Self>,
        users: &[String],
        crowd: &mut Crowd,
        sample: &Arc<std::sync::Mutex<String>>,
    ) -> Result<(), BoxError> {
        let gate = Arc::new(tokio::sync::Semaphore::new(64));
        let mut logins = Vec::with_capacity(users.len());
        for user in users {
            let (server, gate, user) = (Arc::clone(self), Arc::clone(&gate), user.clone());
            logins.push(tokio::spawn(async move {
                let _permit = gate.acquire().await?;
                server.login(&user).await
            }));
        }
        for login in logins {
            let (reader, writer) = login.await??;
            let receipts = crowd.join();
            tokio::spawn(subscriber(
                reader,
                writer,
                receipts,
                Arc::clone(&crowd.delivered),
                Arc::clone(sample),
            ));
        }
        Ok(())
    }
}

/// Reads events until the connection ends; counts each stamped one.
async fn subscriber(
    mut reader: Reader,
    _writer: Writer,
    receipts: Arc<Receipts>,
    delivered: Arc<std::sync::atomic::AtomicU64>,
    sample: Arc<std::sync::Mutex<String>>,
) {
    let mut stamps = Vec::new();
    loop {
        stamps.clear();
        let open = reader
            .ws_frames(|opcode, payload| {
                if opcode == 1
                    && let Some(t) = stamp(payload)
                {
                    stamps.push(t);
                    if stamps.len() == 1 && payload.starts_with(br#"{"type":"event""#) {
                        let mut sample = sample.lock().unwrap_or_else(|e| e.into_inner());
                        if sample.is_empty() {
                            *sample = String::from_utf8_lossy(payload).into_owned();
                        }
                    }
                }
            })
            .await;
        receipts.record(now_us(), &stamps, &delivered);
        if !matches!(open, Ok(true)) {
            return;
        }
    }
}

/// A member sending text messages into a channel; a task counts the responses.
pub struct Sender {
    writer: Writer,
    community: String,
    channel: String,
    acks: Arc<Acks>,
}

impl Sender {
    /// Logs `user` in and starts counting its responses.
    pub async fn new(
        server: &Server,
        user: &str,
        community: &str,
        channel: &str,
    ) -> Result<Sender, BoxError> {
        let (mut reader, writer) = server.login(user).await?;
        let acks = Arc::new(Acks::default());
        tokio::spawn({
            let acks = Arc::clone(&acks);
            async move {
                loop {
                    let mut responses = 0;
                    let open = reader
                        .ws_frames(|opcode, text| {
                            if opcode == 1 && text.starts_with(br#"{"type":"response""#) {
                                responses += 1;
                            }
                        })
                        .await;
                    for _ in 0..responses {
                        acks.acked();
                    }
                    if !matches!(open, Ok(true)) {
                        return;
                    }
                }
            }
        });
        Ok(Sender {
            writer,
            community: community.into(),
            channel: channel.into(),
            acks,
        })
    }
}

impl Publish for Sender {
    async fn publish(&mut self, i: u64) -> std::io::Result<()> {
        let request = Request::SendMessage(SendMessage {
            community_id: self.community.as_str().into(),
            channel_id: self.channel.as_str().into(),
            idempotency_key: format!("bench-{}-{i}", now_us()),
            content: MessageContent::Text {
                text: format!("t={};", now_us()),
            },
            mentions: Mentions::default(),
            reply_to: None,
            priority: Priority::Normal,
            custom_data: String::new(),
            forward_of: None,
        });
        let frame = ClientFrame::Request {
            id: 1000 + i,
            request,
        };
        let text =
            codec::encode_client(&frame).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        self.acks.sending();
        self.writer.ws_text(&text).await
    }

    fn acks(&self) -> &Acks {
        &self.acks
    }
}
