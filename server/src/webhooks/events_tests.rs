use community_protocol::{MemberInfo, MessageChange, Priority, Role};
use community_server_domain::{Audience, Delivery};
use serde_json::json;

use super::*;

fn message(community: &str, channel: &str, seq: Seq, sender: &str) -> Message {
    Message {
        community_id: community.into(),
        channel_id: channel.into(),
        seq,
        sender_id: sender.into(),
        idempotency_key: format!("k{seq}"),
        content: MessageContent::Text { text: "hi".into() },
        mentions: Mentions::default(),
        reply_to: None,
        priority: Priority::Normal,
        created_at_ms: 1_000 + seq as i64,
        custom_data: String::new(),
        edited_at_ms: None,
        edit_count: 0,
        reactions: Vec::new(),
        pinned: None,
        reply_preview: None,
        forwarded_from: None,
        thread: None,
    }
}

fn to_all(community: &str, event: Event) -> Delivery {
    Delivery::new(Audience::Community(community.into()), event)
}

fn handled(response: Response, events: Vec<Delivery>) -> Handled {
    Handled {
        response,
        membership: Vec::new(),
        deliveries: events,
    }
}

fn change(seq: Seq, change_seq: u64, kind: ChangeKind) -> Event {
    Event::MessageChanged {
        change: MessageChange {
            community_id: "c1".into(),
            channel_id: "ch".into(),
            change_seq,
            seq,
            by: "mod".into(),
            at_ms: 5_000,
            kind,
        },
    }
}

#[test]
fn a_message_is_reported_once_and_system_messages_not_at_all() {
    let sent = message("c1", "ch", 7, "ann");
    let created = Event::MessageCreated {
        message: sent.clone(),
    };
    let done = handled(
        Response::MessageSent(sent.clone()),
        vec![
            to_all("c1", created.clone()),
            Delivery::new(Audience::Users(vec!["ann".into()]), created),
            to_all(
                "c1",
                Event::MessageCreated {
                    message: message("c1", "ch", 8, ""),
                },
            ),
        ],
    );
    let events = derive("send_message", &"ann".into(), &done, 9);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind(), "message_sent");
    assert_eq!(events[0].partition(), "c1");
    let body = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(body["type"], "message_sent");
    assert_eq!(body["community_id"], "c1");
    assert_eq!(body["channel_id"], "ch");
    assert_eq!(body["at_ms"], 1_007);
    assert_eq!(body["message"]["seq"], 7);
    assert_eq!(
        body["message"]["content"],
        json!({"type": "text", "text": "hi"})
    );
}

#[test]
fn a_resend_reports_nothing() {
    let sent = message("c1", "ch", 7, "ann");
    let done = handled(Response::MessageSent(sent), Vec::new());
    assert!(derive("send_message", &"ann".into(), &done, 9).is_empty());
}

#[test]
fn conversations_are_ordered_per_conversation() {
    let sent = message("@me", "dm_1", 1, "ann");
    let done = handled(
        Response::MessageSent(sent.clone()),
        vec![Delivery::new(
            Audience::Users(vec!["ann".into(), "bob".into()]),
            Event::MessageCreated { message: sent },
        )],
    );
    let events = derive("send_message", &"ann".into(), &done, 9);
    assert_eq!(events[0].partition(), "@me/dm_1");
    assert_eq!(events[0].community_id().as_str(), "@me");
}

#[test]
fn edits_and_recalls_are_reported_and_reactions_are_not() {
    let edited = change(
        3,
        10,
        ChangeKind::Edited {
            content: MessageContent::Text {
                text: "fixed".into(),
            },
            mentions: Mentions::default(),
            previous_mentions: Mentions::default(),
            custom_data: String::new(),
            edit_count: 1,
        },
    );
    let recalled = change(
        4,
        11,
        ChangeKind::Recalled {
            sender_id: "ann".into(),
            mentions: Mentions::default(),
        },
    );
    let reacted = change(
        4,
        12,
        ChangeKind::ReactionAdded {
            emoji: "👍".into(),
            count: 1,
            users: Vec::new(),
        },
    );
    let done = handled(
        Response::Ok,
        vec![
            to_all("c1", edited.clone()),
            to_all("c1", edited),
            to_all("c1", recalled),
            to_all("c1", reacted),
        ],
    );
    let events = derive("edit_message", &"mod".into(), &done, 9);
    let kinds: Vec<_> = events.iter().map(AfterEvent::kind).collect();
    assert_eq!(kinds, ["message_edited", "message_recalled"]);
    let recalled = serde_json::to_value(&events[1]).unwrap();
    assert_eq!(recalled["sender_id"], "ann");
    assert_eq!(recalled["by"], "mod");
    assert_eq!(recalled["at_ms"], 5_000);
}

fn member(community: &str, user: &str) -> MemberInfo {
    MemberInfo {
        community_id: community.into(),
        user_id: user.into(),
        role: Role::Member,
        nickname: String::new(),
        joined_at_ms: 1,
        muted_until_ms: None,
        groups: Vec::new(),
        custom_fields: Default::default(),
    }
}

#[test]
fn membership_changes_name_who_and_by_whom() {
    let left = |user: &str, reason| Event::MemberLeft {
        community_id: "c1".into(),
        user_id: user.into(),
        reason,
        member_count: 3,
    };
    let done = handled(
        Response::Ok,
        vec![
            to_all(
                "c1",
                Event::MemberJoined {
                    member: member("c1", "bob"),
                    member_count: 4,
                },
            ),
            to_all("c1", left("cat", RemovalReason::Kicked)),
            to_all("c1", left("dan", RemovalReason::Banned)),
            to_all("c1", left("eve", RemovalReason::Left)),
        ],
    );
    let events = derive("x", &"ann".into(), &done, 42);
    let kinds: Vec<_> = events.iter().map(AfterEvent::kind).collect();
    assert_eq!(
        kinds,
        [
            "member_joined",
            "member_kicked",
            "member_banned",
            "member_left"
        ]
    );
    let kicked = serde_json::to_value(&events[1]).unwrap();
    assert_eq!(
        kicked,
        json!({"type": "member_kicked", "community_id": "c1", "at_ms": 42,
               "user_id": "cat", "by": "ann", "member_count": 3})
    );
}

#[test]
fn dismissal_is_reported_once_for_all_members() {
    let removed = Event::CommunityRemoved {
        community_id: "c1".into(),
        reason: RemovalReason::Dismissed,
    };
    let done = handled(
        Response::Ok,
        vec![
            Delivery::new(Audience::Users(vec!["ann".into()]), removed.clone()),
            Delivery::new(Audience::Users(vec!["bob".into()]), removed),
        ],
    );
    let events = derive("dismiss_community", &"ann".into(), &done, 42);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind(), "community_dismissed");
}
