//! Large communities (protocol §9.5, §22) against a scripted server: a WebSocket peer on
//! loopback that answers login, sync and the catch-up reads by itself, records every
//! operation, and leaves `focus` and the member list requests to the test, which also
//! sends the events. It checks the wiring the unit tests cannot: exact counts from
//! `channel_activity` without a heads refetch, focus following the live timelines, the
//! messages of an open but unfocused timeline fetched, and the member list windows kept
//! in step, re-subscribed after a misfit, replaced and unsubscribed — every frame after
//! `welcome` arriving compressed (`deflate`, §1).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use community_sdk::protocol::codec;
use community_sdk::protocol::focus::Focused;
use community_sdk::protocol::frame::Outcome;
use community_sdk::protocol::member_list::{
    ListRange, MemberList, MemberListItem, MemberListOp, MemberListRange,
};
use community_sdk::protocol::people::PresenceStatus;
use community_sdk::protocol::response::{ChangesPage, Heads, LoggedIn, MessagesPage, Synced};
use community_sdk::protocol::{
    ApiError, CategoryInfo, ChannelHead, ChannelInfo, ChannelKind, ClientFrame, CommunityInfo,
    CommunitySnapshot, ErrorCode, Event, JoinPolicy, Limits, MemberInfo, NotificationStatus,
    PROTOCOL_VERSION, Request, Response, Role, ServerFrame,
};
use community_sdk::{Client, MemberListUpdate, SdkError, SyncState};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

const USER: &str = "me";
const WAIT: Duration = Duration::from_secs(10);

fn head(channel: &str, last_seq: u64, read_seq: u64, unread: u64, mentions: u64) -> ChannelHead {
    ChannelHead {
        community_id: "big".into(),
        channel_id: channel.into(),
        last_seq,
        last_activity_ms: 1,
        read_seq,
        unread_count: unread,
        mention_count: mentions,
        change_seq: 0,
        hidden: Vec::new(),
        notification_level: Default::default(),
    }
}

fn channel(n: i64, name: &str) -> ChannelInfo {
    ChannelInfo {
        community_id: "big".into(),
        channel_id: name.into(),
        name: name.into(),
        introduction: String::new(),
        notice: String::new(),
        custom: String::new(),
        kind: ChannelKind::Text,
        category_id: None,
        position: n,
        private: false,
        is_default: n == 0,
        created_at_ms: 1,
        overrides: Vec::new(),
        follows_category: false,
        mute_all: false,
    }
}

/// A community of 5,000 members (large by the default limits) with two channels.
fn big() -> CommunitySnapshot {
    CommunitySnapshot {
        info: CommunityInfo {
            community_id: "big".into(),
            name: "Big".into(),
            avatar_url: String::new(),
            notice: String::new(),
            owner_id: "owner".into(),
            join_policy: JoinPolicy::Free,
            mute_all: false,
            member_count: 5_000,
            attributes: BTreeMap::new(),
            default_channel_id: "general".into(),
            created_at_ms: 1,
            version: 1,
            system_messages: false,
        },
        categories: Vec::<CategoryInfo>::new(),
        channels: vec![channel(0, "general"), channel(1, "news")],
        me: MemberInfo {
            community_id: "big".into(),
            user_id: USER.into(),
            role: Role::Member,
            nickname: String::new(),
            joined_at_ms: 1,
            muted_until_ms: None,
            groups: Vec::new(),
            custom_fields: Default::default(),
        },
        notification: NotificationStatus::Notify,
        heads: vec![head("general", 10, 10, 0, 0), head("news", 5, 5, 0, 0)],
        groups: Vec::new(),
        threads: Vec::new(),
        voice: Vec::new(),
    }
}

/// A request the scripted server left to the test.
struct Asked {
    id: u64,
    request: Request,
}

/// The scripted server's side the test holds.
struct Server {
    url: String,
    /// Every operation received, in order.
    log: Arc<Mutex<Vec<String>>>,
    asked: mpsc::UnboundedReceiver<Asked>,
    send: mpsc::UnboundedSender<ServerFrame>,
    event_seq: u64,
}

impl Server {
    async fn start() -> Self {
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
            // Once the client offered `deflate`, every frame goes compressed (binary), so
            // the whole test also proves the SDK reads compressed frames (§1).
            let mut deflate = false;
            let wire = |frame: &ServerFrame, deflate: bool| {
                let text = codec::encode_server(frame).expect("encode");
                if deflate {
                    WsMessage::binary(codec::deflate(&text))
                } else {
                    WsMessage::text(text)
                }
            };
            loop {
                tokio::select! {
                    frame = outgoing.recv() => {
                        let Some(frame) = frame else { return };
                        if ws.send(wire(&frame, deflate)).await.is_err() {
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
                            ClientFrame::Hello { compression, .. } => {
                                assert_eq!(compression, [codec::COMPRESSION_DEFLATE]);
                                let welcome = ServerFrame::Welcome {
                                    protocol_version: PROTOCOL_VERSION,
                                    server: "scripted".into(),
                                    heartbeat_interval_ms: 30_000,
                                    max_frame_bytes: 1 << 20,
                                    compression: Some(codec::COMPRESSION_DEFLATE.into()),
                                };
                                // The welcome itself still travels as text.
                                if ws.send(wire(&welcome, false)).await.is_err() {
                                    return;
                                }
                                deflate = true;
                                None
                            }
                            ClientFrame::Heartbeat { .. } => {
                                Some(ServerFrame::HeartbeatAck { event_seq: 0 })
                            }
                            ClientFrame::Request { id, request } => {
                                log_in.lock().expect("log").push(request.op().to_owned());
                                match answer(&request) {
                                    Some(outcome) => Some(ServerFrame::Response { id, outcome }),
                                    None => {
                                        let _ = asked_tx.send(Asked { id, request });
                                        None
                                    }
                                }
                            }
                        };
                        if let Some(frame) = reply
                            && ws.send(wire(&frame, deflate)).await.is_err()
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
            event_seq: 0,
        }
    }

    /// The next request left to the test.
    async fn asked(&mut self) -> Asked {
        tokio::time::timeout(WAIT, self.asked.recv())
            .await
            .expect("a request in time")
            .expect("the server runs")
    }

    fn reply(&self, id: u64, response: Response) {
        let _ = self.send.send(ServerFrame::Response {
            id,
            outcome: Outcome::Result(response),
        });
    }

    fn event(&mut self, event: Event) {
        self.event_seq += 1;
        let _ = self.send.send(ServerFrame::Event {
            seq: self.event_seq,
            event,
        });
    }

    fn ops(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// Waits until `op` was received `count` times.
    async fn wait_for_op(&self, op: &str, count: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.ops().iter().filter(|o| o.as_str() == op).count() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {op} (got {:?})",
                self.ops()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// What the scripted server answers by itself (`None`: the test answers).
fn answer(request: &Request) -> Option<Outcome> {
    let response = match request {
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
            changed: vec![big()],
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
            heads: vec![head("general", 10, 10, 0, 0), head("news", 5, 5, 0, 0)],
        }),
        Request::Focus(_) | Request::SubscribeMemberList(_) => return None,
        Request::UnsubscribeMemberList(_) => Response::Ok,
        _ => {
            return Some(Outcome::Error(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "not scripted",
            )));
        }
    };
    Some(Outcome::Result(response))
}

async fn logged_in(server: &Server, dir: &std::path::Path) -> Client {
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

fn counts(client: &Client, channel: &str) -> Option<(u64, u64, u64)> {
    client
        .community("big")
        .channel(channel)
        .unread()
        .map(|u| (u.last_seq, u.unread_count, u.mention_count))
}

async fn wait_counts(client: &Client, channel: &str, want: (u64, u64, u64)) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while counts(client, channel) != Some(want) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{channel}: {:?} != {want:?}",
            counts(client, channel)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn activity(channel: &str, first_seq: u64, last_seq: u64, unread: u64, mentions: u64) -> Event {
    Event::ChannelActivity {
        community_id: "big".into(),
        channel_id: channel.into(),
        last_seq,
        last_activity_ms: 2,
        mentioned: mentions > 0,
        first_seq,
        unread,
        mentions,
    }
}

/// Answers the next request, which must be a `focus` of `channel` (`None`: unfocus).
async fn expect_focus(server: &mut Server, channel: Option<&str>, head: Option<ChannelHead>) {
    let asked = server.asked().await;
    let Request::Focus(focus) = asked.request else {
        panic!("expected focus, got {:?}", asked.request.op());
    };
    assert_eq!(focus.channel_id.as_ref().map(|c| c.as_str()), channel);
    assert_eq!(
        focus.community_id.as_ref().map(|c| c.as_str()),
        channel.map(|_| "big")
    );
    server.reply(asked.id, Response::Focused(Focused { head }));
}

#[tokio::test]
async fn counts_from_activity_and_focus_following_the_timelines() {
    let dir = tempfile::tempdir().expect("dir");
    let mut server = Server::start().await;
    let client = logged_in(&server, dir.path()).await;

    // Activity right after the counter: exact, and no heads refetch.
    server.event(activity("general", 11, 13, 3, 1));
    wait_counts(&client, "general", (13, 3, 1)).await;
    // Activity after a gap: estimated, then the heads refetched (the script's heads).
    server.event(activity("news", 8, 9, 2, 0));
    server.wait_for_op("get_heads", 1).await;
    wait_counts(&client, "news", (5, 0, 0)).await;

    // A timeline opens: focus goes to it; the answer's head is applied.
    let news = client
        .community("big")
        .channel("news")
        .subscribe_messages()
        .await
        .expect("news timeline");
    expect_focus(&mut server, Some("news"), Some(head("news", 9, 5, 4, 0))).await;
    wait_counts(&client, "news", (9, 4, 0)).await;
    // Its messages are caught up (nothing cached: the newest page) and, the community
    // being large, its changes.
    server.wait_for_op("get_messages", 1).await;

    // A second timeline: focus moves there.
    let general = client
        .community("big")
        .channel("general")
        .subscribe_messages()
        .await
        .expect("general timeline");
    expect_focus(
        &mut server,
        Some("general"),
        Some(head("general", 13, 10, 3, 1)),
    )
    .await;
    server.wait_for_op("get_messages", 2).await;

    // Activity on the open but unfocused timeline: its messages are fetched.
    let before = server.ops().len();
    server.event(activity("news", 10, 12, 3, 0));
    wait_counts(&client, "news", (12, 7, 0)).await;
    server.wait_for_op("get_messages", 3).await;
    assert!(
        !server.ops()[before..].contains(&"get_heads".to_owned()),
        "exact activity needs no heads"
    );

    // The newest timeline closes: focus falls back to the previous one, then to none.
    drop(general);
    expect_focus(&mut server, Some("news"), Some(head("news", 12, 5, 7, 0))).await;
    drop(news);
    expect_focus(&mut server, None, None).await;
    client.close().await.expect("close");
}

fn item(name: &str) -> MemberListItem {
    MemberListItem {
        user_id: name.into(),
        display_name: name.to_owned(),
        group_id: None,
        status: PresenceStatus::Online,
        avatar_url: String::new(),
    }
}

fn list(start: u32, end: u32, names: &[&str]) -> MemberList {
    MemberList {
        community_id: "big".into(),
        total: 5_000,
        online: 40,
        sections: Vec::new(),
        ranges: vec![MemberListRange {
            range: ListRange::new(start, end),
            items: names.iter().map(|n| item(n)).collect(),
        }],
    }
}

fn names(update: &MemberListUpdate) -> Vec<String> {
    match update {
        MemberListUpdate::Reset(snapshot) => snapshot.windows[0]
            .items
            .iter()
            .map(|i| i.display_name.clone())
            .collect(),
        other => panic!("expected a reset, got {other:?}"),
    }
}

#[tokio::test]
async fn member_list_windows_follow_the_updates() {
    let dir = tempfile::tempdir().expect("dir");
    let mut server = Server::start().await;
    let client = logged_in(&server, dir.path()).await;
    let community = client.community("big");

    // Bad ranges fail locally with the protocol's code.
    let error = community
        .subscribe_member_list(vec![ListRange::new(5, 1)])
        .await
        .expect_err("reversed");
    assert!(
        matches!(&error, SdkError::Api(e) if e.code == ErrorCode::INVALID_MEMBER_LIST_RANGE),
        "{error:?}"
    );

    let subscribing = tokio::spawn({
        let community = community.clone();
        async move {
            community
                .subscribe_member_list(vec![ListRange::new(0, 2)])
                .await
        }
    });
    let asked = server.asked().await;
    assert!(matches!(asked.request, Request::SubscribeMemberList(_)));
    server.reply(asked.id, Response::MemberList(list(0, 2, &["a", "b", "c"])));
    let mut members = subscribing.await.expect("task").expect("subscribed");
    let first = tokio::time::timeout(WAIT, members.next())
        .await
        .expect("in time")
        .expect("a reset");
    assert_eq!(names(&first), ["a", "b", "c"]);

    // An update: applied to the window, yielded as received.
    server.event(Event::MemberListUpdate {
        community_id: "big".into(),
        total: 5_001,
        online: 41,
        sections: Vec::new(),
        ops: vec![MemberListOp::Insert {
            index: 1,
            item: item("x"),
        }],
    });
    let changed = tokio::time::timeout(WAIT, members.next())
        .await
        .expect("in time")
        .expect("a change");
    assert!(matches!(
        &changed,
        MemberListUpdate::Changed { total: 5_001, online: 41, ops, .. } if ops.len() == 1
    ));
    let window: Vec<String> = members.snapshot().windows[0]
        .items
        .iter()
        .map(|i| i.display_name.clone())
        .collect();
    assert_eq!(window, ["a", "x", "b"]);

    // An operation that does not fit: the SDK subscribes again and resets.
    server.event(Event::MemberListUpdate {
        community_id: "big".into(),
        total: 5_001,
        online: 41,
        sections: Vec::new(),
        ops: vec![MemberListOp::Delete { index: 7 }],
    });
    let asked = server.asked().await;
    let Request::SubscribeMemberList(again) = asked.request else {
        panic!("expected a resubscription");
    };
    assert_eq!(again.ranges, vec![ListRange::new(0, 2)]);
    server.reply(asked.id, Response::MemberList(list(0, 2, &["a", "b", "d"])));
    let reset = tokio::time::timeout(WAIT, members.next())
        .await
        .expect("in time")
        .expect("a reset");
    assert_eq!(names(&reset), ["a", "b", "d"]);

    // Scrolling: new ranges come as a reset.
    let scrolling = tokio::spawn({
        async move {
            let result = members.set_ranges(vec![ListRange::new(100, 101)]).await;
            (members, result)
        }
    });
    let asked = server.asked().await;
    server.reply(asked.id, Response::MemberList(list(100, 101, &["p", "q"])));
    let (mut members, result) = scrolling.await.expect("task");
    result.expect("scrolled");
    let reset = tokio::time::timeout(WAIT, members.next())
        .await
        .expect("in time")
        .expect("a reset");
    assert_eq!(names(&reset), ["p", "q"]);

    // A new subscription replaces this one.
    let replacing = tokio::spawn({
        let community = community.clone();
        async move {
            community
                .subscribe_member_list(vec![ListRange::new(0, 0)])
                .await
        }
    });
    let asked = server.asked().await;
    server.reply(asked.id, Response::MemberList(list(0, 0, &["a"])));
    let newer = replacing.await.expect("task").expect("subscribed");
    assert_eq!(members.next().await, Some(MemberListUpdate::Replaced));
    assert_eq!(members.next().await, None);
    // Dropping the replaced one leaves the server alone; dropping the active one
    // unsubscribes.
    drop(members);
    assert!(newer.is_active());
    drop(newer);
    server.wait_for_op("unsubscribe_member_list", 1).await;
    assert_eq!(
        server
            .ops()
            .iter()
            .filter(|o| o.as_str() == "unsubscribe_member_list")
            .count(),
        1
    );
    client.close().await.expect("close");
}
