//! A scripted server for the SDK's integration tests: a WebSocket peer on loopback (one
//! connection) that answers login (session `s1`), sync (one community `c` with a channel
//! `general` at sequence 3), the catch-up reads, `focus`, the push token operations and
//! `logout` by itself, records every operation, and leaves the rest (`send_message`) to
//! the test.
#![allow(dead_code)] // each test file uses its own part

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use community_sdk::protocol::codec;
use community_sdk::protocol::focus::Focused;
use community_sdk::protocol::frame::Outcome;
use community_sdk::protocol::response::{ChangesPage, Heads, LoggedIn, MessagesPage, Synced};
use community_sdk::protocol::{
    ChannelHead, ChannelInfo, ChannelKind, ClientFrame, CommunityInfo, CommunitySnapshot,
    JoinPolicy, Limits, MemberInfo, Message, NotificationStatus, PROTOCOL_VERSION, Request,
    Response, Role, ServerFrame,
};
use community_sdk::{Client, SyncState};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const USER: &str = "me";
pub const WAIT: Duration = Duration::from_secs(10);

pub fn head() -> ChannelHead {
    ChannelHead {
        community_id: "c".into(),
        channel_id: "general".into(),
        last_seq: 3,
        last_activity_ms: 1,
        read_seq: 3,
        unread_count: 0,
        mention_count: 0,
        change_seq: 0,
        hidden: Vec::new(),
        notification_level: Default::default(),
    }
}

pub fn community() -> CommunitySnapshot {
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
        heads: vec![head()],
        groups: Vec::new(),
        threads: Vec::new(),
        voice: Vec::new(),
    }
}

/// What the scripted server answers by itself (`None`: the test answers).
fn answer(request: &Request) -> Option<Response> {
    Some(match request {
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
            changed: vec![community()],
            unchanged: Vec::new(),
            removed: Vec::new(),
            conversations: Vec::new(),
        }),
        Request::GetMessages(_) => Response::Messages(MessagesPage {
            messages: Vec::new(),
            has_more: false,
            change_seq: 0,
        }),
        Request::GetChanges(_) => Response::Changes(ChangesPage {
            changes: Vec::new(),
            has_more: false,
            change_seq: 0,
        }),
        Request::GetHeads(_) => Response::Heads(Heads {
            heads: vec![head()],
        }),
        Request::Focus(_) => Response::Focused(Focused { head: Some(head()) }),
        Request::RegisterPushToken(_) | Request::UnregisterPushToken(_) | Request::Logout(_) => {
            Response::Ok
        }
        _ => return None,
    })
}

/// A request left to the test, with the way to answer it.
pub struct Asked {
    pub id: u64,
    pub request: Request,
}

pub struct Server {
    pub url: String,
    log: Arc<Mutex<Vec<String>>>,
    asked: mpsc::UnboundedReceiver<Asked>,
    send: mpsc::UnboundedSender<ServerFrame>,
}

impl Server {
    pub async fn start() -> Self {
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
                                match answer(&request) {
                                    Some(response) => Some(ServerFrame::Response {
                                        id,
                                        outcome: Outcome::Result(response),
                                    }),
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
        seq,
        sender_id: USER.into(),
        idempotency_key: send.idempotency_key.clone(),
        content: send.content.clone(),
        mentions: send.mentions.clone(),
        reply_to: None,
        priority: send.priority,
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
