//! The life of a message over the wire: edits, recalls, reactions, pins, hides, forwards
//! and system messages through a real server; every refusal with its code; changes
//! delivered live as `message_changed` with gap-free change sequences, replayed on resume
//! and caught up with `get_changes`.

mod common;

use common::*;
use community_protocol::request::*;
use community_protocol::response::{ChangeOutcome, ChangesPage};
use community_protocol::*;

/// Alice owns a community; bob and carol are members (system messages off).
struct Trio {
    server: TestServer,
    alice: Client,
    bob: Client,
    carol: Client,
    id: CommunityId,
    ch: ChannelId,
}

async fn trio(server: TestServer) -> Trio {
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let mut carol = server.login("carol").await;
    let guild = create_community(&mut alice, "Guild").await;
    let (id, ch) = (
        guild.info.community_id.clone(),
        guild.info.default_channel_id.clone(),
    );
    bob.ok(join(id.as_str())).await;
    carol.ok(join(id.as_str())).await;
    Trio {
        server,
        alice,
        bob,
        carol,
        id,
        ch,
    }
}

fn at(id: &CommunityId, ch: &ChannelId, seq: u64) -> MessageRef {
    MessageRef {
        community_id: id.clone(),
        channel_id: ch.clone(),
        seq,
    }
}

fn edit(id: &CommunityId, ch: &ChannelId, seq: u64, key: &str, text: &str) -> Request {
    Request::EditMessage(EditMessage {
        community_id: id.clone(),
        channel_id: ch.clone(),
        seq,
        idempotency_key: key.into(),
        content: Some(MessageContent::Text { text: text.into() }),
        mentions: None,
        custom_data: None,
    })
}

fn reaction(id: &CommunityId, ch: &ChannelId, seq: u64, emoji: &str) -> MessageReaction {
    MessageReaction {
        community_id: id.clone(),
        channel_id: ch.clone(),
        seq,
        emoji: emoji.into(),
    }
}

async fn changed(client: &mut Client, request: Request) -> ChangeOutcome {
    match client.ok(request).await {
        Response::Changed(outcome) => outcome,
        other => panic!("unexpected {other:?}"),
    }
}

/// The next `message_changed` event's change.
async fn next_change(client: &mut Client) -> MessageChange {
    match client
        .event_where(|e| matches!(e, Event::MessageChanged { .. }))
        .await
    {
        Event::MessageChanged { change } => change,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn every_refusal_has_its_code() {
    let Trio {
        server: _server,
        mut alice,
        mut bob,
        mut carol,
        id,
        ch,
    } = trio(TestServer::start_with(|c| c.limits.recall_window_ms = 0).await).await;
    send(&mut bob, &id, &ch, "b1", "bob's").await;
    // Editing another's message.
    carol
        .fails(
            edit(&id, &ch, 1, "c1", "carol's now"),
            ErrorCode::NOT_AUTHOR,
        )
        .await;
    // Recalling another's as a plain member; one's own after the window (0 here).
    carol
        .fails(
            Request::RecallMessage(at(&id, &ch, 1)),
            ErrorCode::NOT_AUTHOR,
        )
        .await;
    bob.fails(
        Request::RecallMessage(at(&id, &ch, 1)),
        ErrorCode::RECALL_WINDOW_PASSED,
    )
    .await;
    // Pinning as a plain member.
    bob.fails(
        Request::PinMessage(at(&id, &ch, 1)),
        ErrorCode::PERMISSION_DENIED,
    )
    .await;
    // Emoji: invalid, then the 21st distinct one.
    bob.fails(
        Request::AddReaction(reaction(&id, &ch, 1, "")),
        ErrorCode::INVALID_EMOJI,
    )
    .await;
    for i in 0..20 {
        changed(
            &mut carol,
            Request::AddReaction(reaction(&id, &ch, 1, &format!(":r{i}:"))),
        )
        .await;
    }
    bob.fails(
        Request::AddReaction(reaction(&id, &ch, 1, ":r20:")),
        ErrorCode::TOO_MANY_REACTIONS,
    )
    .await;
    // Custom data of 1,025 bytes.
    let mut big = send_text(id.as_str(), ch.as_str(), "b2", "x");
    if let Request::SendMessage(p) = &mut big {
        p.custom_data = "d".repeat(1025);
    }
    bob.fails(big, ErrorCode::CUSTOM_DATA_TOO_LARGE).await;
    // The 51st pin of a channel.
    for i in 2..=51 {
        send(&mut alice, &id, &ch, &format!("a{i}"), "pin me").await;
    }
    for seq in 1..=50 {
        changed(&mut alice, Request::PinMessage(at(&id, &ch, seq))).await;
    }
    alice
        .fails(
            Request::PinMessage(at(&id, &ch, 51)),
            ErrorCode::TOO_MANY_PINS,
        )
        .await;
    // The owner recalls anything at any time; then nothing more happens to it.
    changed(&mut alice, Request::RecallMessage(at(&id, &ch, 1))).await;
    bob.fails(edit(&id, &ch, 1, "b3", "back"), ErrorCode::MESSAGE_RECALLED)
        .await;
    carol
        .fails(
            Request::AddReaction(reaction(&id, &ch, 1, "👍")),
            ErrorCode::MESSAGE_RECALLED,
        )
        .await;
    let again = changed(&mut alice, Request::RecallMessage(at(&id, &ch, 1))).await;
    assert!(
        again.change.is_none(),
        "a recall of a tombstone changes nothing"
    );
}

#[tokio::test]
async fn changes_arrive_live_in_order_and_catch_up_with_get_changes() {
    let Trio {
        server: _server,
        mut alice,
        mut bob,
        mut carol,
        id,
        ch,
    } = trio(TestServer::start().await).await;
    let sent = send(&mut bob, &id, &ch, "b1", "hello").await;
    assert_eq!(carol.next_message().await.seq, sent.seq);
    let first = changed(&mut bob, edit(&id, &ch, 1, "e1", "hello!")).await;
    let again = changed(&mut bob, edit(&id, &ch, 1, "e1", "hello!")).await;
    assert_eq!(first, again, "an edit resent with its key is stored once");
    changed(
        &mut carol,
        Request::AddReaction(reaction(&id, &ch, 1, "👍")),
    )
    .await;
    changed(&mut alice, Request::PinMessage(at(&id, &ch, 1))).await;
    changed(&mut bob, Request::RecallMessage(at(&id, &ch, 1))).await;
    // Every member hears each change once, numbered 1, 2, 3, 4.
    for client in [&mut alice, &mut carol] {
        let mut kinds = Vec::new();
        for expected in 1..=4 {
            let change = next_change(client).await;
            assert_eq!(change.change_seq, expected, "no gap, no repeat");
            kinds.push(change.kind.name());
        }
        assert_eq!(kinds, ["edited", "reaction_added", "pinned", "recalled"]);
    }
    // The head names the newest change; the log serves the rest.
    let Response::Heads(heads) = carol
        .ok(Request::GetHeads(community_ref(id.as_str())))
        .await
    else {
        panic!()
    };
    assert_eq!(heads.heads[0].change_seq, 4);
    let page = |after| {
        Request::GetChanges(GetChanges {
            community_id: id.clone(),
            channel_id: ch.clone(),
            after_change_seq: after,
            limit: Some(2),
        })
    };
    let Response::Changes(ChangesPage {
        changes,
        has_more,
        change_seq,
    }) = carol.ok(page(1)).await
    else {
        panic!()
    };
    assert_eq!(
        changes.iter().map(|c| c.change_seq).collect::<Vec<_>>(),
        [2, 3]
    );
    assert!(has_more);
    assert_eq!(change_seq, 4);
    // The message is a tombstone for everyone.
    let history = all_messages(&mut carol, &id, &ch).await;
    assert!(history[0].content.is_recalled());
    assert!(history[0].reactions.is_empty() && history[0].pinned.is_none());
}

#[tokio::test]
async fn a_resumed_session_gets_the_changes_it_missed() {
    let Trio {
        server,
        mut alice,
        mut bob,
        carol: _carol,
        id,
        ch,
    } = trio(TestServer::start().await).await;
    send(&mut alice, &id, &ch, "a1", "react to me").await;
    assert_eq!(bob.next_message().await.seq, 1);
    let resume = bob.resume();
    bob.drop_connection();
    changed(
        &mut alice,
        Request::AddReaction(reaction(&id, &ch, 1, "🦉")),
    )
    .await;
    changed(&mut alice, edit(&id, &ch, 1, "e1", "edited while away")).await;
    let mut bob = Client::connect(&server.url()).await;
    bob.hello().await;
    let logged_in = bob
        .login_ok("bob", &server.token("bob"), "", Some(resume))
        .await;
    assert!(logged_in.resumed);
    let replayed = [next_change(&mut bob).await, next_change(&mut bob).await];
    assert_eq!(replayed.map(|c| c.change_seq), [1, 2]);
}

#[tokio::test]
async fn hides_reach_the_users_other_devices_only() {
    let Trio {
        server,
        mut alice,
        mut bob,
        carol: _carol,
        id,
        ch,
    } = trio(TestServer::start().await).await;
    let mut bob_tablet = server.login("bob").await;
    send(&mut alice, &id, &ch, "a1", "hide me").await;
    let Response::ReadState(head) = bob.ok(Request::HideMessage(at(&id, &ch, 1))).await else {
        panic!()
    };
    assert_eq!((head.hidden.as_slice(), head.unread_count), (&[1][..], 0));
    let told = bob_tablet
        .event_where(|e| matches!(e, Event::ReadStateChanged { .. }))
        .await;
    assert_eq!(told, Event::ReadStateChanged { head });
    bob.fails(
        Request::HideMessage(at(&id, &ch, 2)),
        ErrorCode::MESSAGE_NOT_FOUND,
    )
    .await;
    let Response::Heads(heads) = alice
        .ok(Request::GetHeads(community_ref(id.as_str())))
        .await
    else {
        panic!()
    };
    assert!(heads.heads[0].hidden.is_empty());
}

#[tokio::test]
async fn system_messages_forwards_and_reply_previews() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    // The product default: system messages on.
    let Response::Community(guild) = alice
        .ok(Request::CreateCommunity(CreateCommunity {
            name: "Loud".into(),
            ..Default::default()
        }))
        .await
    else {
        panic!()
    };
    let (id, ch) = (guild.info.community_id, guild.info.default_channel_id);
    bob.ok(join(id.as_str())).await;
    let joined = alice.next_message().await;
    assert_eq!(joined.sender_id.as_str(), "");
    assert_eq!(
        joined.content,
        MessageContent::System {
            event: "member_joined".into(),
            text: "bob joined".into()
        }
    );
    // Never unread.
    let Response::Heads(heads) = alice
        .ok(Request::GetHeads(community_ref(id.as_str())))
        .await
    else {
        panic!()
    };
    assert_eq!(
        (heads.heads[0].last_seq, heads.heads[0].unread_count),
        (1, 0)
    );

    // A reply's preview, then a forward of the reply into another community.
    send(&mut alice, &id, &ch, "a1", "the plan").await;
    let mut reply = send_text(id.as_str(), ch.as_str(), "b1", "agreed");
    if let Request::SendMessage(p) = &mut reply {
        p.reply_to = Some(2);
    }
    let Response::MessageSent(reply) = bob.ok(reply).await else {
        panic!()
    };
    let preview = reply.reply_preview.expect("a preview");
    assert_eq!((preview.seq, preview.text.as_str()), (2, "the plan"));
    let other = create_community(&mut bob, "Elsewhere").await;
    let mut forward = send_text(
        other.info.community_id.as_str(),
        other.info.default_channel_id.as_str(),
        "f1",
        "ignored",
    );
    if let Request::SendMessage(p) = &mut forward {
        p.forward_of = Some(at(&id, &ch, 2));
    }
    let Response::MessageSent(forwarded) = bob.ok(forward).await else {
        panic!()
    };
    assert_eq!(
        forwarded.content,
        MessageContent::Text {
            text: "the plan".into()
        }
    );
    let origin = forwarded.forwarded_from.expect("an origin");
    assert_eq!((origin.seq, origin.sender_id.as_str()), (2, "alice"));

    // Switched off, a leave writes nothing.
    alice
        .ok(Request::UpdateCommunity(UpdateCommunity {
            community_id: id.clone(),
            system_messages: Some(false),
            ..Default::default()
        }))
        .await;
    bob.ok(Request::LeaveCommunity(community_ref(id.as_str())))
        .await;
    let history = all_messages(&mut alice, &id, &ch).await;
    assert_eq!(history.len(), 3, "join, the plan, the reply");
    // The reply's preview follows an edit of the original.
    changed(&mut alice, edit(&id, &ch, 2, "e1", "the new plan")).await;
    let history = all_messages(&mut alice, &id, &ch).await;
    let preview = history[2].reply_preview.clone().expect("a preview");
    assert_eq!(
        (preview.text.as_str(), preview.state),
        ("the new plan", PreviewState::Edited)
    );
}
