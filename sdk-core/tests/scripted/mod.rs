//! A scripted server for the SDK's integration tests: a WebSocket peer on loopback (one
//! connection) that answers login (session `s1`), sync (one community `c` with a channel
//! `general` at sequence 3, or what the [`Script`] says), the reads of `general` (from the
//! script's messages, failing the first few when it says so), `focus`, the push token
//! operations and `logout` by itself, records every operation, and leaves the rest
//! (`send_message`) to the test.
#![allow(dead_code)] // each test file uses its own part

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use community_sdk::protocol::codec;
use community_sdk::protocol::focus::Focused;
use community_sdk::protocol::frame::Outcome;
use community_sdk::protocol::request::GetMessages;
use community_sdk::protocol::response::{ChangesPage, Heads, LoggedIn, MessagesPage, Synced};
use community_sdk::protocol::{
    ApiError, ChannelHead, ChannelInfo, ChannelKind, ClientFrame, CommunityInfo, CommunitySnapshot,
    ErrorCode, Event, JoinPolicy, Limits, MemberInfo, Message, MessageContent, NotificationStatus,
    PROTOCOL_VERSION, Request, Response, Role, ServerFrame,
};
use community_sdk::{Client, SyncState};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const USER: &str = "me";
pub const WAIT: Duration = Duration::from_secs(10);

/// What the scripted server holds and how it answers reads.
pub struct Script {
    /// `general`'s newest sequence in sync, heads and focus answers.
    pub last_seq: u64,
    /// The messages of `general` that `get_messages` answers from (ascending).
    pub messages: Vec<Message>,
    /// How many `get_messages` fail (`internal`, 9000) before they are answered.
    pub failing_reads: usize,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            last_seq: 3,
            messages: Vec::new(),
            failing_reads: 0,
        }
    }
}

impl Script {
    /// `general` holds the messages `1..=last_seq`, and the first `failing_reads` reads
    /// fail.
    pub fn with_messages(last_seq: u64, failing_reads: usize) -> Self {
        Self {
            last_seq,
            messages: (1..=last_seq).map(message).collect(),
            failing_reads,
        }
    }

    /// The answer to a read of `general`: the page asked for, or a failure while the
    /// script says so.
    fn read(&mut self, read: &GetMessages) -> Outcome {
        if self.failing_reads > 0 {
            self.failing_reads -= 1;
            return Outcome::Error(ApiError::new(ErrorCode::INTERNAL, "scripted failure"));
        }
        let limit = read.limit.unwrap_or(50) as usize;
        let (messages, has_more) = match (read.after_seq, read.before_seq) {
            (Some(after), _) => {
                let above: Vec<Message> = self
                    .messages
                    .iter()
                    .filter(|m| m.seq > after)
                    .cloned()
                    .collect();
                let has_more = above.len() > limit;
                (above.into_iter().take(limit).collect(), has_more)
            }
            (None, before) => {
                let below: Vec<Message> = self
                    .messages
                    .iter()
                    .filter(|m| before.is_none_or(|before| m.seq < before))
                    .cloned()
                    .collect();
                let skip = below.len().saturating_sub(limit);
                (below[skip..].to_vec(), skip > 0)
            }
        };
        Outcome::Result(Response::Messages(MessagesPage {
            messages,
            has_more,
            change_seq: 0,
        }))
    }
}

/// A message of `general` at `seq`, sent by another user.
pub fn message(seq: u64) -> Message {
    Message {
        community_id: "c".into(),
        channel_id: "general".into(),
        seq,
        sender_id: "other".into(),
        idempotency_key: format!("k{seq}"),
        content: MessageContent::Text {
            text: format!("message {seq}"),
        },
        mentions: Default::default(),
        reply_to: None,
        priority: Default::default(),
        created_at_ms: 2,
        custom_data: String::new(),
        edited_at_ms: None,
        edit_count: 0,
        reactions: Vec::new(),
        pinned: None,
        reply_preview: None,
        thread: None,
        forwarded_from: None,
    }
}

pub fn head() -> ChannelHead {
    head_at(3)
}

/// `general`'s head with `last_seq` as its newest sequence (everything read).
pub fn head_at(last_seq: u64) -> ChannelHead {
    ChannelHead {
        community_id: "c".into(),
        channel_id: "general".into(),
        last_seq,
        last_activity_ms: 1,
        read_seq: last_seq,
        unread_count: 0,
        mention_count: 0,
        change_seq: 0,
        hidden: Vec::new(),
        notification_level: Default::default(),
    }
}

pub fn community() -> CommunitySnapshot {
    community_at(3)
}

/// The community with `general` at `last_seq`.
pub fn community_at(last_seq: u64) -> CommunitySnapshot {
    CommunitySnapshot {
        info: CommunityInfo {
            community_id: "c".into(),
            name: "C".into(),
            avatar_url: String::new(),
            notice: String::new(),
            owner_id: "owner".into(),
            join_policy: JoinPolicy::Free,
            mute_all: false,
            member_count: 2,
            attributes: BTreeMap::new(),
            default_channel_id: "general".into(),
            created_at_ms: 1,
            version: 1,
            system_messages: false,
        },
        categories: Vec::new(),
        channels: vec![ChannelInfo {
            community_id: "c".into(),
            channel_id: "general".into(),
            name: "general".into(),
            introduction: String::new(),
            notice: String::new(),
            custom: String::new(),
            kind: ChannelKind::Text,
            category_id: None,
            position: 0,
            private: false,
            is_default: true,
            created_at_ms: 1,
            overrides: Vec::new(),
            follows_category: false,
            mute_all: false,
        }],
        me: MemberInfo {
            community_id: "c".into(),
            user_id: USER.into(),
            role: Role::Member,
            nickname: String::new(),
            joined_at_ms: 1,
            muted_until_ms: None,
            groups: Vec::new(),
            custom_fields: Default::default(),
        },
        notification: NotificationStatus::Notify,
        heads: vec![head_at(last_seq)],
        groups: Vec::new(),
        threads: Vec::new(),
        voice: Vec::new(),
    }
}

/// What the scripted server answers by itself (`None`: the test answers).
fn answer(request: &Request, script: &Mutex<Script>) -> Option<Outcome> {
    let last_seq = script.lock().expect("script").last_seq;
    Some(Outcome::Result(match request {
        Request::Login(_) => Response::LoggedIn(LoggedIn {
            user_id: USER.into(),
            session_id: "s1".into(),
            resumed: false,
            event_seq: 0,
            token_expires_at_ms: i64::MAX / 2,
            limits: Limits::default(),
            server_time_ms: 1,
        }),
        Request::Sync(_) => Response::Synced(Synced {
            changed: vec![community_at(last_seq)],
            unchanged: Vec::new(),
            removed: Vec::new(),
            conversations: Vec::new(),
        }),
        Request::GetMessages(read) => return Some(script.lock().expect("script").read(read)),
        Request::GetChanges(_) => Response::Changes(ChangesPage {
            changes: Vec::new(),
            has_more: false,
            change_seq: 0,
        }),
        Request::GetHeads(_) => Response::Heads(Heads {
            heads: vec![head_at(last_seq)],
        }),
        Request::Focus(_) => Response::Focused(Focused {
            head: Some(head_at(last_seq)),
        }),
        Request::RegisterPushToken(_) | Request::UnregisterPushToken(_) | Request::Logout(_) => {
            Response::Ok
        }
        _ => return None,
    }))
}

/// A request left to the test, with the way to answer it.
pub struct Asked {
    pub id: u64,
    pub request: Request,
}

pub struct Server {
    pub url: String,
    script: Arc<Mutex<Script>>,
    log: Arc<Mutex<Vec<String>>>,
    asked: mpsc::UnboundedReceiver<Asked>,
    send: mpsc::UnboundedSender<ServerFrame>,
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(Script::default()).await
    }

    /// A server that holds and answers what `script` says.
    pub async fn start_with(script: Script) -> Self {
        let script = Arc::new(Mutex::new(script));
        let script_in = script.clone();
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let url = format!("ws://{}/ws", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (asked_tx, asked) = mpsc::unbounded_channel();
        let (send, mut outgoing) = mpsc::unbounded_channel::<ServerFrame>();
        let log_in = log.clone();
        tokio::spawn(async move {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            let wire =
                |frame: &ServerFrame| WsMessage::text(codec::encode_server(frame).expect("encode"));
            loop {
                tokio::select! {
                    frame = outgoing.recv() => {
                        let Some(frame) = frame else { return };
                        if ws.send(wire(&frame)).await.is_err() {
                            return;
                        }
                    }
                    incoming = ws.next() => {
                        let Some(Ok(WsMessage::Text(text))) = incoming else {
                            match incoming {
                                Some(Ok(_)) => continue,
                                _ => return,
                            }
                        };
                        let frame = codec::decode_client(text.as_str(), 1 << 20).expect("decode");
                        let reply = match frame {
                            ClientFrame::Hello { .. } => Some(ServerFrame::Welcome {
                                protocol_version: PROTOCOL_VERSION,
                                server: "scripted".into(),
                                heartbeat_interval_ms: 30_000,
                                max_frame_bytes: 1 << 20,
                                compression: None,
                            }),
                            ClientFrame::Heartbeat { .. } => {
                                Some(ServerFrame::HeartbeatAck { event_seq: 0 })
                            }
                            ClientFrame::Request { id, request } => {
                                log_in.lock().expect("log").push(request.op().to_owned());
                                match answer(&request, &script_in) {
                                    Some(outcome) => Some(ServerFrame::Response { id, outcome }),
                                    None => {
                                        let _ = asked_tx.send(Asked { id, request });
                                        None
                                    }
                                }
                            }
                        };
                        if let Some(frame) = reply
                            && ws.send(wire(&frame)).await.is_err()
                        {
                            return;
                        }
                    }
                }
            }
        });
        Self {
            url,
            script,
            log,
            asked,
            send,
        }
    }

    pub async fn asked(&mut self) -> Asked {
        tokio::time::timeout(WAIT, self.asked.recv())
            .await
            .expect("a request in time")
            .expect("the server runs")
    }

    pub fn reply(&self, id: u64, outcome: Outcome) {
        let _ = self.send.send(ServerFrame::Response { id, outcome });
    }

    /// The next `count` reads of `general` fail (`internal`).
    pub fn fail_reads(&self, count: usize) {
        self.script.lock().expect("script").failing_reads = count;
    }

    /// `general`'s newest sequence from now on (in heads and focus answers).
    pub fn set_last_seq(&self, last_seq: u64) {
        self.script.lock().expect("script").last_seq = last_seq;
    }

    /// Sends an event of this session's stream (`seq`: its event sequence).
    pub fn event(&self, seq: u64, event: Event) {
        let _ = self.send.send(ServerFrame::Event { seq, event });
    }

    /// Every operation received, in order.
    pub fn ops(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// How many times `op` was received.
    pub fn count(&self, op: &str) -> usize {
        self.log
            .lock()
            .expect("log")
            .iter()
            .filter(|o| o.as_str() == op)
            .count()
    }
}

/// The message the server stored (or, at seq 0, discarded) for a `send_message`.
pub fn stored(request: &Request, seq: u64) -> Message {
    let Request::SendMessage(send) = request else {
        panic!("expected send_message, got {}", request.op());
    };
    Message {
        community_id: send.community_id.clone(),
        channel_id: send.channel_id.clone(),
        sender_id: USER.into(),
        idempotency_key: send.idempotency_key.clone(),
        content: send.content.clone(),
        mentions: send.mentions.clone(),
        priority: send.priority,
        ..message(seq)
    }
}

pub async fn logged_in(server: &Server, dir: &std::path::Path) -> Client {
    let client = Client::builder()
        .server_url(&server.url)
        .data_dir(dir)
        .device_id("phone")
        .max_reconnect_attempts(0)
        .build()
        .await
        .expect("client");
    client.login(USER, "token").await.expect("login");
    let mut states = client.subscribe_sync_state();
    tokio::time::timeout(WAIT, async {
        while let Some(state) = states.next().await {
            if state == SyncState::CaughtUp {
                return;
            }
        }
    })
    .await
    .expect("caught up");
    client
}
