//! Every frame type, request op, response kind and event kind survives encode → decode
//! through the codec unchanged, including the edge cases a peer will meet: unicode text,
//! optional fields left out, defaulted fields missing, unknown error codes and unknown
//! fields from a newer peer, and extreme numbers.

mod common;

use std::collections::BTreeMap;

use common::samples::*;
use common::*;
use community_protocol::codec::{self, DEFAULT_MAX_FRAME_BYTES};
use community_protocol::frame::Outcome;
use community_protocol::request as rq;
use community_protocol::response::UsersOutcome;
use community_protocol::*;
use serde_json::{Value, json};

/// Encodes and decodes a client frame; returns the JSON text.
fn client_round_trip(frame: &ClientFrame) -> String {
    let text = codec::encode_client(frame).expect("client frames encode");
    let decoded = codec::decode_client(&text, DEFAULT_MAX_FRAME_BYTES)
        .unwrap_or_else(|e| panic!("{text}: {e:?}"));
    assert_eq!(&decoded, frame, "{text}");
    text
}

/// Encodes and decodes a server frame; returns the JSON text.
fn server_round_trip(frame: &ServerFrame) -> String {
    let text = codec::encode_server(frame).expect("server frames encode");
    let decoded = codec::decode_server(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    assert_eq!(&decoded, frame, "{text}");
    text
}

fn value(text: &str) -> Value {
    serde_json::from_str(text).expect("the codec writes JSON")
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[test]
fn every_request_op_round_trips() {
    let requests = all_requests();
    let ops: Vec<String> = requests.iter().map(|r| r.op().to_owned()).collect();
    assert_eq!(
        sorted(ops),
        sorted(owned(Request::OPS)),
        "one sample per op, no more, no less"
    );
    for (id, request) in requests.into_iter().enumerate() {
        let op = request.op();
        let frame = ClientFrame::Request {
            id: id as u64 + 1,
            request,
        };
        let text = client_round_trip(&frame);
        let json = value(&text);
        assert_eq!(json["type"], "request");
        assert_eq!(json["op"], op, "{text}");
        assert!(
            json["params"].is_object(),
            "params of {op} must be an object: {text}"
        );
    }
}

#[test]
fn every_response_kind_round_trips() {
    let responses = all_responses();
    let kinds: Vec<String> = responses
        .iter()
        .map(|r| response_kind(r).to_owned())
        .collect();
    assert_eq!(
        kinds,
        owned(RESPONSE_KINDS),
        "one sample per kind, in declaration order"
    );
    for response in responses {
        let kind = response_kind(&response);
        let text = server_round_trip(&ServerFrame::Response {
            id: 9,
            outcome: Outcome::Result(response),
        });
        assert_eq!(value(&text)["result"]["kind"], kind, "{text}");
    }
}

#[test]
fn every_event_kind_round_trips_both_ways_of_encoding() {
    let events = all_events();
    let kinds: Vec<String> = events.iter().map(|e| event_kind(e).to_owned()).collect();
    assert_eq!(
        kinds,
        owned(EVENT_KINDS),
        "one sample per kind, in declaration order"
    );
    for (seq, event) in events.into_iter().enumerate() {
        let seq = seq as u64 + 1;
        let kind = event_kind(&event);
        let frame = ServerFrame::Event { seq, event };
        let text = server_round_trip(&frame);
        assert_eq!(value(&text)["event"]["kind"], kind, "{text}");
        let ServerFrame::Event { event, .. } = &frame else {
            unreachable!()
        };
        let shared = codec::event_frame(seq, &codec::encode_event(event).expect("events encode"));
        assert_eq!(
            codec::decode_server(&shared).expect("shared-bytes frame decodes"),
            frame
        );
        assert_eq!(
            value(&shared),
            value(&text),
            "event_frame and encode_server agree"
        );
    }
}

#[test]
fn every_frame_type_round_trips() {
    let client = [
        ClientFrame::Hello {
            protocol_version: PROTOCOL_VERSION,
            client: s("community-sdk/0.1.0"),
            compression: Vec::new(),
        },
        ClientFrame::Request {
            id: 1,
            request: Request::Logout(rq::Empty {}),
        },
        ClientFrame::Heartbeat { last_event_seq: 12 },
    ];
    let types: Vec<String> = client
        .iter()
        .map(|f| client_frame_type(f).to_owned())
        .collect();
    assert_eq!(types, owned(CLIENT_FRAME_TYPES));
    for frame in &client {
        let text = client_round_trip(frame);
        assert_eq!(value(&text)["type"], client_frame_type(frame));
    }

    let reasons = all_goodbye_reasons();
    let names: Vec<String> = reasons
        .iter()
        .map(|r| goodbye_reason_name(*r).to_owned())
        .collect();
    assert_eq!(names, owned(GOODBYE_REASONS));
    let mut server = vec![
        ServerFrame::Welcome {
            protocol_version: PROTOCOL_VERSION,
            server: s("community-server/0.1.0"),
            heartbeat_interval_ms: 30_000,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            compression: None,
        },
        ServerFrame::Response {
            id: 1,
            outcome: Outcome::Result(Response::Ok),
        },
        ServerFrame::Response {
            id: 2,
            outcome: Outcome::Error(api_error(ErrorCode::MUTED)),
        },
        ServerFrame::Event {
            seq: 1,
            event: Event::ReadStateChanged { head: head() },
        },
        ServerFrame::HeartbeatAck { event_seq: 14 },
        ServerFrame::Error {
            error: api_error(ErrorCode::BAD_FRAME),
        },
    ];
    server.extend(reasons.into_iter().map(|reason| ServerFrame::Goodbye {
        reason,
        reconnect: matches!(
            reason,
            GoodbyeReason::ServerShutdown | GoodbyeReason::SlowConsumer
        ),
        message: s("bye"),
    }));
    let mut types: Vec<String> = server
        .iter()
        .map(|f| server_frame_type(f).to_owned())
        .collect();
    types.dedup();
    assert_eq!(types, owned(SERVER_FRAME_TYPES));
    for frame in &server {
        let text = server_round_trip(frame);
        assert_eq!(value(&text)["type"], server_frame_type(frame));
    }
    // Every goodbye reason is written under its documented name.
    for (frame, name) in server.iter().rev().zip(GOODBYE_REASONS.iter().rev()) {
        assert_eq!(
            value(&codec::encode_server(frame).expect("encodes"))["reason"],
            *name
        );
    }
}

#[test]
fn every_error_code_round_trips_in_a_response_and_an_error_frame() {
    for (id, code) in ErrorCode::ALL.iter().enumerate() {
        let response = ServerFrame::Response {
            id: id as u64,
            outcome: Outcome::Error(api_error(*code)),
        };
        let text = server_round_trip(&response);
        assert_eq!(value(&text)["error"]["code"], code.0, "{text}");
        server_round_trip(&ServerFrame::Error {
            error: api_error(*code),
        });
    }
}

#[test]
fn unicode_text_survives_unchanged() {
    let texts = [
        "emoji 🦉👩‍👩‍👧‍👦 and flags 🇫🇷🇯🇵",
        "準備はいい？ 中文 한국어",
        "עברית وعربي (right to left)",
        "combining e\u{301} and zero\u{200b}width",
        "quotes \" backslash \\ slash / newline \n tab \t",
        "controls \u{1} \u{1f} \u{7f} and \u{2028} \u{2029}",
        "\u{10ffff} \u{fffd} \u{feff}",
    ];
    for (index, text) in texts.iter().enumerate() {
        let request = Request::SendMessage(rq::SendMessage {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            idempotency_key: format!("key-{index}-ключ"),
            content: MessageContent::Text { text: s(text) },
            mentions: Mentions {
                users: vec![s("ユーザー").into()],
                everyone: false,
                groups: Vec::new(),
            },
            reply_to: None,
            priority: Priority::Normal,
            custom_data: String::new(),
            forward_of: None,
        });
        let wire = client_round_trip(&ClientFrame::Request { id: 1, request });
        assert!(
            !wire.contains('\n'),
            "a frame is one line of text: {wire:?}"
        );
        assert_eq!(value(&wire)["params"]["content"]["text"], *text);

        let mut sent = message(MessageContent::Text { text: s(text) });
        sent.sender_id = s("😀-user").into();
        server_round_trip(&ServerFrame::Response {
            id: 1,
            outcome: Outcome::Result(Response::MessageSent(sent)),
        });
        let mut renamed = info();
        renamed.name = s(text);
        renamed.attributes = BTreeMap::from([(s("ключ"), s(text))]);
        server_round_trip(&ServerFrame::Event {
            seq: 1,
            event: Event::CommunityUpdated { info: renamed },
        });
    }
}

#[test]
fn empty_optional_fields_are_left_out() {
    let frame = |request| ClientFrame::Request { id: 1, request };
    let params = |request| value(&client_round_trip(&frame(request)))["params"].clone();

    let login = rq::Login {
        user_id: s("a").into(),
        token: s("t"),
        device_id: s(""),
        resume: None,
    };
    assert_eq!(
        params(Request::Login(login)),
        json!({"user_id":"a","token":"t","device_id":""})
    );
    assert_eq!(
        params(Request::ListJoinedCommunities(rq::PageQuery::default())),
        json!({})
    );
    let create = rq::CreateCommunity {
        name: s("n"),
        ..Default::default()
    };
    assert_eq!(
        params(Request::CreateCommunity(create)),
        json!({"name":"n","avatar_url":"","notice":"","join_policy":"free","attributes":{}})
    );
    let update = rq::UpdateChannel {
        community_id: s(C).into(),
        channel_id: s("ch").into(),
        ..Default::default()
    };
    assert_eq!(
        params(Request::UpdateChannel(update)),
        json!({"community_id":C,"channel_id":"ch"})
    );
    let update = rq::UpdateCommunity {
        community_id: s(C).into(),
        ..Default::default()
    };
    assert_eq!(
        params(Request::UpdateCommunity(update)),
        json!({"community_id":C})
    );
    let unmute = rq::MuteMember {
        community_id: s(C).into(),
        user_id: s("u").into(),
        until_ms: None,
    };
    assert_eq!(
        params(Request::MuteMember(unmute)),
        json!({"community_id":C,"user_id":"u"})
    );
    let newest = rq::GetMessages {
        community_id: s(C).into(),
        channel_id: s("ch").into(),
        before_seq: None,
        after_seq: None,
        limit: None,
    };
    assert_eq!(
        params(Request::GetMessages(newest)),
        json!({"community_id":C,"channel_id":"ch"})
    );
    let list = rq::ListMembers {
        community_id: s(C).into(),
        query: None,
        cursor: None,
        limit: None,
        group_id: None,
        field: None,
    };
    assert_eq!(
        params(Request::ListMembers(list)),
        json!({"community_id":C})
    );
    let create_channel = rq::CreateChannel {
        community_id: s(C).into(),
        name: s("n"),
        ..Default::default()
    };
    let json = params(Request::CreateChannel(create_channel));
    for absent in ["category_id", "position", "member_ids"] {
        assert!(
            json.get(absent).is_none(),
            "{absent} should be left out: {json}"
        );
    }
    let send = rq::SendMessage {
        community_id: s(C).into(),
        channel_id: s("ch").into(),
        idempotency_key: s("k"),
        content: MessageContent::Image(Media {
            url: s("u"),
            ..Media::default()
        }),
        mentions: Mentions::default(),
        reply_to: None,
        priority: Priority::Normal,
        custom_data: String::new(),
        forward_of: None,
    };
    assert_eq!(
        params(Request::SendMessage(send)),
        json!({"community_id":C,"channel_id":"ch","idempotency_key":"k",
               "content":{"type":"image","url":"u","name":"","mime":"","size":0},"priority":"normal"})
    );

    // Records in server frames.
    let mut plain = message(MessageContent::Text { text: s("x") });
    plain.mentions = Mentions::default();
    plain.reply_to = None;
    let json = value(&server_round_trip(&ServerFrame::Event {
        seq: 1,
        event: Event::MessageCreated { message: plain },
    }));
    assert!(json["event"]["message"].get("mentions").is_none(), "{json}");
    assert!(json["event"]["message"].get("reply_to").is_none(), "{json}");
    let mut everyone = message(MessageContent::Text { text: s("x") });
    everyone.mentions = Mentions {
        users: vec![],
        everyone: true,
        groups: Vec::new(),
    };
    let json = value(&server_round_trip(&ServerFrame::Event {
        seq: 1,
        event: Event::MessageCreated { message: everyone },
    }));
    assert_eq!(
        json["event"]["message"]["mentions"],
        json!({"everyone":true})
    );

    let mut unfiled = channel(ChannelKind::Text);
    unfiled.category_id = None;
    let json = value(&server_round_trip(&ServerFrame::Event {
        seq: 1,
        event: Event::ChannelUpdated {
            channel: unfiled,
            version: 1,
        },
    }));
    assert!(
        json["event"]["channel"].get("category_id").is_none(),
        "{json}"
    );
    let mut unmuted = member("carol", Role::Member);
    unmuted.muted_until_ms = None;
    let json = value(&server_round_trip(&ServerFrame::Event {
        seq: 1,
        event: Event::MemberUpdated { member: unmuted },
    }));
    assert!(
        json["event"]["member"].get("muted_until_ms").is_none(),
        "{json}"
    );
    let last_page = Response::Communities(Page {
        items: vec![],
        next_cursor: None,
    });
    let json = value(&server_round_trip(&ServerFrame::Response {
        id: 1,
        outcome: Outcome::Result(last_page),
    }));
    assert_eq!(json["result"], json!({"kind":"communities","items":[]}));
}

#[test]
fn missing_defaulted_fields_decode_to_their_defaults() {
    let hello =
        codec::decode_client(r#"{"type":"hello","protocol_version":1}"#, 1024).expect("decodes");
    assert_eq!(
        hello,
        ClientFrame::Hello {
            protocol_version: 1,
            client: s(""),
            compression: Vec::new(),
        }
    );
    let heartbeat = codec::decode_client(r#"{"type":"heartbeat"}"#, 1024).expect("decodes");
    assert_eq!(heartbeat, ClientFrame::Heartbeat { last_event_seq: 0 });
    let goodbye = codec::decode_server(r#"{"type":"goodbye","reason":"kicked","reconnect":false}"#)
        .expect("decodes");
    assert_eq!(
        goodbye,
        ServerFrame::Goodbye {
            reason: GoodbyeReason::Kicked,
            reconnect: false,
            message: s("")
        }
    );

    let send = r#"{"type":"request","id":5,"op":"send_message","params":{"community_id":"c","channel_id":"ch",
        "idempotency_key":"k","content":{"type":"custom","data":"{}"}}}"#;
    let ClientFrame::Request {
        request: Request::SendMessage(send),
        ..
    } = codec::decode_client(send, 1024).expect("decodes")
    else {
        panic!("not a send_message");
    };
    assert_eq!(send.priority, Priority::Normal);
    assert!(send.mentions.is_empty());
    assert_eq!(
        send.content,
        MessageContent::Custom {
            data: s("{}"),
            description: s("")
        }
    );

    let sync = codec::decode_client(r#"{"type":"request","id":2,"op":"sync","params":{}}"#, 1024)
        .expect("decodes");
    assert_eq!(
        sync,
        ClientFrame::Request {
            id: 2,
            request: Request::Sync(rq::Sync::default())
        }
    );

    // A server that announces only some limits: the others are the defaults.
    let logged_in = r#"{"type":"response","id":1,"result":{"kind":"logged_in","user_id":"a","session_id":"s",
        "resumed":false,"event_seq":0,"token_expires_at_ms":1,"limits":{"text_bytes":4096},"server_time_ms":2}}"#;
    let ServerFrame::Response {
        outcome: Outcome::Result(Response::LoggedIn(logged_in)),
        ..
    } = codec::decode_server(logged_in).expect("decodes")
    else {
        panic!("not logged_in");
    };
    assert_eq!(
        logged_in.limits,
        Limits {
            text_bytes: 4096,
            ..Limits::default()
        }
    );
}

#[test]
fn unknown_error_codes_are_kept_as_numbers() {
    let text = r#"{"type":"response","id":3,"error":{"code":7777,"message":"from the future"}}"#;
    let frame = codec::decode_server(text).expect("an unknown code still decodes");
    let ServerFrame::Response {
        outcome: Outcome::Error(error),
        ..
    } = &frame
    else {
        panic!("not an error response: {frame:?}");
    };
    assert_eq!(
        (error.code, error.kind(), error.code.name()),
        (ErrorCode(7777), ErrorKind::Unknown, "unknown")
    );
    assert_eq!(
        value(&codec::encode_server(&frame).expect("encodes")),
        value(text)
    );

    // A new code inside a known range keeps its number and gets its range's kind.
    let frame =
        codec::decode_server(r#"{"type":"error","error":{"code":5999,"message":"new limit"}}"#)
            .expect("decodes");
    let ServerFrame::Error { error } = &frame else {
        panic!("not an error frame")
    };
    assert_eq!(
        (error.code, error.kind()),
        (ErrorCode(5999), ErrorKind::Limit)
    );
    server_round_trip(&frame);

    // Inside records too.
    let users = Response::Users(UsersOutcome {
        succeeded: vec![],
        failed: vec![FailedUser {
            user_id: s("x").into(),
            error: ApiError::new(ErrorCode(8888), "?"),
        }],
    });
    let text = server_round_trip(&ServerFrame::Response {
        id: 4,
        outcome: Outcome::Result(users),
    });
    assert_eq!(value(&text)["result"]["failed"][0]["error"]["code"], 8888);
}

#[test]
fn unknown_fields_from_a_newer_peer_are_ignored() {
    let event = r#"{"type":"event","seq":5,"event":{"kind":"community_removed","community_id":"c","reason":"left",
        "added_in_v1_9":{"x":1}},"also_new":true}"#;
    let frame = codec::decode_server(event).expect("extra fields are ignored");
    assert_eq!(
        frame,
        ServerFrame::Event {
            seq: 5,
            event: Event::CommunityRemoved {
                community_id: s("c").into(),
                reason: RemovalReason::Left
            }
        }
    );
    let request = r#"{"type":"request","id":6,"op":"get_heads","params":{"community_id":"c","future_flag":1},"trace":"t"}"#;
    let frame = codec::decode_client(request, 1024).expect("extra params are ignored");
    assert_eq!(
        frame,
        ClientFrame::Request {
            id: 6,
            request: Request::GetHeads(rq::CommunityRef {
                community_id: s("c").into()
            })
        }
    );
    let welcome = r#"{"type":"welcome","protocol_version":1,"server":"s","heartbeat_interval_ms":1,"max_frame_bytes":2,
        "features":["zstd"]}"#;
    assert!(matches!(
        codec::decode_server(welcome),
        Ok(ServerFrame::Welcome { .. })
    ));
}

#[test]
fn extreme_numbers_survive() {
    let mut last = message(MessageContent::Text { text: s("last") });
    last.seq = u64::MAX;
    last.reply_to = Some(u64::MAX - 1);
    last.created_at_ms = i64::MIN;
    server_round_trip(&ServerFrame::Event {
        seq: u64::MAX,
        event: Event::MessageCreated { message: last },
    });
    let read = Request::MarkRead(rq::MarkRead {
        community_id: s(C).into(),
        channel_id: s("ch").into(),
        seq: u64::MAX,
    });
    client_round_trip(&ClientFrame::Request {
        id: u64::MAX,
        request: read,
    });
    client_round_trip(&ClientFrame::Heartbeat {
        last_event_seq: u64::MAX,
    });
    let mut first = channel(ChannelKind::Text);
    first.position = i64::MIN;
    first.created_at_ms = -1;
    server_round_trip(&ServerFrame::Response {
        id: 0,
        outcome: Outcome::Result(Response::Channel(first)),
    });
    let limits = Limits {
        max_members_per_community: u64::MAX,
        text_bytes: usize::MAX,
        ..Limits::default()
    };
    let mut logged_in = all_responses().swap_remove(1);
    if let Response::LoggedIn(inner) = &mut logged_in {
        inner.limits = limits;
        inner.event_seq = u64::MAX;
    }
    server_round_trip(&ServerFrame::Response {
        id: 1,
        outcome: Outcome::Result(logged_in),
    });
}

#[test]
fn channel_response_keeps_its_channel_kind_apart_from_the_result_kind() {
    for kind in [
        ChannelKind::Text,
        ChannelKind::Voice,
        ChannelKind::Announcement,
    ] {
        let frame = ServerFrame::Response {
            id: 1,
            outcome: Outcome::Result(Response::Channel(channel(kind))),
        };
        let json = value(&server_round_trip(&frame));
        assert_eq!(json["result"]["kind"], "channel");
        assert_eq!(
            json["result"]["channel_kind"],
            serde_json::to_value(kind).expect("kinds serialize")
        );
    }
}

#[test]
fn thread_defaults_are_left_out_and_a_thread_is_addressed_as_a_channel() {
    use common::thread_samples::{digest, free_thread};
    let json = value(&server_round_trip(&ServerFrame::Response {
        id: 1,
        outcome: Outcome::Result(Response::Thread(free_thread())),
    }));
    for absent in ["archived", "locked", "parent_seq"] {
        assert!(json["result"].get(absent).is_none(), "{absent}: {json}");
    }
    let mut quiet = digest();
    quiet.last = None;
    quiet.archived = false;
    let json = value(&server_round_trip(&ServerFrame::Event {
        seq: 1,
        event: Event::ThreadDigest {
            community_id: s(C).into(),
            channel_id: s("ch_raids").into(),
            parent_seq: None,
            digest: quiet,
        },
    }));
    assert_eq!(
        json["event"],
        json!({"kind":"thread_digest","community_id":C,"channel_id":"ch_raids",
               "digest":{"thread_id":"th_raid_plan","name":"Raid plan — 作戦","message_count":42,
                         "participant_count":5,"last_activity_ms":T0 + 60_000}})
    );
    // A thread's messages are a channel's: its id in `channel_id`, nothing else.
    let mut reply = message(MessageContent::Text {
        text: s("in the thread"),
    });
    reply.channel_id = s("th_raid_plan").into();
    reply.thread = None;
    let json = value(&server_round_trip(&ServerFrame::Event {
        seq: 2,
        event: Event::MessageCreated { message: reply },
    }));
    assert_eq!(json["event"]["message"]["channel_id"], "th_raid_plan");
    assert!(json["event"]["message"].get("thread").is_none());
}
