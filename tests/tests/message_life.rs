//! The life of a message across devices on a real server: edits, reactions, pins, reply
//! previews, recalls and hides reach every device (local echo on the one that made them),
//! counts stay exact through all of them, refusals are typed (locally when the cache can
//! tell, from the server otherwise, with the echo rolled back), and a device that was
//! offline while 500 changes happened catches up field by field.

use std::collections::BTreeMap;
use std::time::Duration;

use community_e2e::{
    TestClient, TestResult, TestServer, build_client, eventually, eventually_async, fail, guild,
    outbox_drained, shows, text_of, whole_history,
};
use community_protocol::{
    ChannelId, CommunityId, ErrorCode, Mentions, Message, MessageContent, MessageRef, PreviewState,
};
use community_sdk::{
    ChangeState, ChannelHandle, Client, MessageEdit, MessageUpdate, SdkError, SendOptions,
    SyncState,
};

fn mentioning(user: &str) -> SendOptions {
    SendOptions {
        mentions: Mentions {
            users: vec![user.into()],
            everyone: false,
            groups: Vec::new(),
        },
        ..Default::default()
    }
}

fn text(text: &str) -> MessageContent {
    MessageContent::Text { text: text.into() }
}

fn code_of(error: &SdkError) -> Option<ErrorCode> {
    match error {
        SdkError::Api(error) => Some(error.code),
        _ => None,
    }
}

/// The cached copy of message `seq` (read from the cache; no server involved).
async fn cached(channel: &ChannelHandle, seq: u64) -> Option<Message> {
    channel
        .messages(Some(seq + 1), 1)
        .await
        .ok()?
        .into_iter()
        .find(|m| m.seq == seq)
}

/// Waits until the cached copy of `seq` satisfies `check`.
async fn cached_until(
    channel: &ChannelHandle,
    seq: u64,
    what: &str,
    check: impl Fn(&Message) -> bool,
) -> TestResult {
    let found = eventually_async(what, || async {
        cached(channel, seq).await.is_some_and(|m| check(&m))
    })
    .await;
    if found.is_err() {
        let last = cached(channel, seq).await;
        return fail(format!("{what}: the cached copy stayed {last:?}"));
    }
    Ok(())
}

fn counts(channel: &ChannelHandle) -> Option<(u64, u64)> {
    channel.unread().map(|u| (u.unread_count, u.mention_count))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_reaches_every_device_with_exact_counts() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let carol = TestClient::login(&server, "carol", "carol-phone").await?;
    let (community_id, general) = guild(&alice, "Life", &[&bob, &carol]).await?;
    let _shown = (
        shows(&alice, &community_id, &general).await?,
        shows(&bob, &community_id, &general).await?,
        shows(&carol, &community_id, &general).await?,
    );
    let at = |client: &TestClient| client.client.community(&community_id).channel(&general);
    let (alice_ch, bob_ch, carol_ch) = (at(&alice), at(&bob), at(&carol));

    // Bob: #1 mentions carol, #2 plain, with custom data.
    bob_ch
        .send(text("hello @carol\nhow are you"), mentioning("carol"))
        .await?;
    bob_ch
        .send(
            text("second"),
            SendOptions {
                custom_data: "{\"mood\":\"calm\"}".into(),
                ..Default::default()
            },
        )
        .await?;
    outbox_drained(&bob.client, &community_id, &general).await?;
    eventually("carol counts bob's two messages and the mention", || {
        counts(&carol_ch) == Some((2, 1))
    })
    .await?;
    cached_until(&carol_ch, 2, "carol has the custom data", |m| {
        m.custom_data == "{\"mood\":\"calm\"}"
    })
    .await?;

    // Carol replies to #2 (#3): her own message, the preview shows bob's text.
    carol_ch
        .send(
            text("fine"),
            SendOptions {
                reply_to: Some(2),
                ..Default::default()
            },
        )
        .await?;
    outbox_drained(&carol.client, &community_id, &general).await?;
    cached_until(&alice_ch, 3, "alice sees the reply with its preview", |m| {
        m.reply_preview
            .as_ref()
            .is_some_and(|p| p.text == "second" && p.state == PreviewState::Normal)
    })
    .await?;

    // Bob edits #1 without the mention: shown at once on his device, carol's mention goes.
    let mut timeline = bob_ch.subscribe_messages().await?;
    timeline.next().await;
    let edit = bob_ch
        .edit_message(
            1,
            MessageEdit {
                content: Some(text("hello all")),
                mentions: Some(Mentions::default()),
                custom_data: None,
            },
        )
        .await?;
    let echoed = cached(&bob_ch, 1).await;
    assert_eq!(
        echoed.as_ref().map(text_of),
        Some("hello all"),
        "local echo"
    );
    let change_seq = bob_ch.wait_for_change(&edit.key).await?;
    assert_eq!(change_seq, Some(1));
    eventually("carol's mention is gone", || {
        counts(&carol_ch) == Some((2, 0))
    })
    .await?;
    cached_until(&carol_ch, 1, "carol's copy is edited", |m| {
        text_of(m) == "hello all" && m.edit_count == 1 && m.edited_at_ms.is_some()
    })
    .await?;

    // Bob edits #2: the reply's preview follows on every device.
    let edit = bob_ch
        .edit_message(
            2,
            MessageEdit {
                content: Some(text("second, edited")),
                ..Default::default()
            },
        )
        .await?;
    bob_ch.wait_for_change(&edit.key).await?;
    cached_until(&alice_ch, 3, "alice's preview follows the edit", |m| {
        m.reply_preview
            .as_ref()
            .is_some_and(|p| p.text == "second, edited" && p.state == PreviewState::Edited)
    })
    .await?;

    // Reactions: alice and carol react with 👍; "me" is per user.
    let first = alice_ch.add_reaction(1, "👍").await?;
    let second = carol_ch.add_reaction(1, "👍").await?;
    alice_ch.wait_for_change(&first.key).await?;
    carol_ch.wait_for_change(&second.key).await?;
    let again = carol_ch.add_reaction(1, "👍").await?;
    assert_eq!(
        carol_ch.wait_for_change(&again.key).await?,
        None,
        "a reaction one has changes nothing"
    );
    for (channel, me) in [(&bob_ch, false), (&carol_ch, true), (&alice_ch, true)] {
        cached_until(channel, 1, "everyone sees two 👍", |m| {
            m.reactions.len() == 1
                && m.reactions[0].count == 2
                && m.reactions[0].me == me
                && m.reactions[0].users.len() == 2
        })
        .await?;
    }

    // Pins: alice (owner) pins #2; carol (member) may not.
    let pin = alice_ch.pin_message(2).await?;
    alice_ch.wait_for_change(&pin.key).await?;
    cached_until(&carol_ch, 2, "carol sees the pin", |m| {
        m.pinned.as_ref().is_some_and(|p| p.by.as_str() == "alice")
    })
    .await?;
    let pins = carol_ch.pins().await?;
    assert_eq!(pins.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![2]);
    let refused = carol_ch.pin_message(1).await.unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::PERMISSION_DENIED));
    let refused = carol_ch
        .edit_message(
            2,
            MessageEdit {
                content: Some(text("mine now")),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::NOT_AUTHOR));

    // Bob recalls #1: a tombstone everywhere, no longer unread for carol.
    let recall = bob_ch.recall_message(1).await?;
    bob_ch.wait_for_change(&recall.key).await?;
    eventually("carol's unread drops to 1", || {
        counts(&carol_ch) == Some((1, 0))
    })
    .await?;
    cached_until(&carol_ch, 1, "carol sees a tombstone", |m| {
        m.content.is_recalled() && m.reactions.is_empty()
    })
    .await?;
    let refused = carol_ch.add_reaction(1, "🎉").await.unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::MESSAGE_RECALLED));
    let again = bob_ch.recall_message(1).await?;
    assert_eq!(
        bob_ch.wait_for_change(&again.key).await?,
        None,
        "recall is idempotent"
    );

    // Alice's second device sees all of it; alice hides #2 there and on both devices
    // it leaves the timeline and the counts.
    let tablet = TestClient::login(&server, "alice", "alice-tablet").await?;
    let tablet_ch = at(&tablet);
    eventually("alice's tablet counts #1 recalled", || {
        counts(&tablet_ch) == Some((2, 0)) && counts(&alice_ch) == Some((2, 0))
    })
    .await?;
    let mut phone_timeline = alice_ch.subscribe_messages().await?;
    phone_timeline.next().await;
    let hide = tablet_ch.hide_message(2).await?;
    tablet_ch.wait_for_change(&hide.key).await?;
    community_e2e::until(&mut phone_timeline, "the phone removes #2", |updates| {
        updates
            .iter()
            .any(|u| matches!(u, MessageUpdate::Removed { seq: 2 }))
    })
    .await?;
    eventually("#2 no longer counts for alice", || {
        counts(&alice_ch) == Some((1, 0)) && counts(&tablet_ch) == Some((1, 0))
    })
    .await?;
    let history = whole_history(&alice.client, &community_id, &general, 10).await?;
    assert_eq!(
        history.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![1, 3]
    );

    // The updates bob's timeline got: the echo and the server's copies, as `Updated`.
    let mut updated = 0;
    while let Ok(Some(batch)) =
        tokio::time::timeout(Duration::from_millis(200), timeline.next()).await
    {
        updated += batch
            .iter()
            .filter(|u| matches!(u, MessageUpdate::Updated(_)))
            .count();
    }
    assert!(
        updated >= 4,
        "bob's timeline showed the changes ({updated})"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_server_refuses_rolls_back_with_its_error() -> TestResult {
    // Authors may never recall here: only the server knows, so the echo shows first.
    let server = TestServer::start_with(|config| config.limits.recall_window_ms = 0).await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Window", &[&bob]).await?;
    let bob_ch = bob.client.community(&community_id).channel(&general);
    bob_ch.send_text("oops").await?;
    outbox_drained(&bob.client, &community_id, &general).await?;

    let mut timeline = bob_ch.subscribe_messages().await?;
    timeline.next().await;
    let recall = bob_ch.recall_message(1).await?;
    let error = bob_ch.wait_for_change(&recall.key).await.unwrap_err();
    assert_eq!(code_of(&error), Some(ErrorCode::RECALL_WINDOW_PASSED));
    // The echo (a tombstone) came and went: the message is back as it was.
    let mut saw_tombstone = false;
    let mut saw_refusal = false;
    community_e2e::until(&mut timeline, "the refusal is published", |updates| {
        for update in updates {
            match update {
                MessageUpdate::Updated(m) if m.content.is_recalled() => saw_tombstone = true,
                MessageUpdate::Change(change)
                    if matches!(&change.state, ChangeState::Failed { error }
                        if error.code == ErrorCode::RECALL_WINDOW_PASSED) =>
                {
                    saw_refusal = true
                }
                _ => {}
            }
        }
        saw_refusal
    })
    .await?;
    assert!(saw_tombstone, "the recall was shown at once");
    cached_until(&bob_ch, 1, "the echo is rolled back", |m| {
        text_of(m) == "oops"
    })
    .await?;
    // The owner may recall it.
    let alice_ch = alice.client.community(&community_id).channel(&general);
    let recall = alice_ch.recall_message(1).await?;
    alice_ch.wait_for_change(&recall.key).await?;
    cached_until(&bob_ch, 1, "the owner's recall reaches bob", |m| {
        m.content.is_recalled()
    })
    .await
}

/// Every cached message of `channel_id` on `client`, read from its cache only (pages
/// online fill holes; there are none for a device that cached everything).
async fn cached_history(
    client: &Client,
    community_id: &CommunityId,
    channel_id: &ChannelId,
) -> TestResult<Vec<Message>> {
    whole_history(client, community_id, channel_id, 1_000).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_offline_during_500_changes_catches_up_field_by_field() -> TestResult {
    const MESSAGES: u64 = 60;
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let carol = TestClient::login(&server, "carol", "carol-phone").await?;
    let (community_id, general) = guild(&alice, "Offline", &[&bob, &carol]).await?;
    let _shown = (
        shows(&alice, &community_id, &general).await?,
        shows(&bob, &community_id, &general).await?,
        shows(&carol, &community_id, &general).await?,
    );
    let raids = alice
        .client
        .community(&community_id)
        .create_channel(community_sdk::NewChannel {
            name: "raids".into(),
            ..Default::default()
        })
        .await?
        .id()
        .clone();
    let channels = [general.clone(), raids.clone()];

    // Bob writes 60 messages in each channel: every 4th mentions carol, every 5th replies.
    for channel_id in &channels {
        let channel = bob.client.community(&community_id).channel(channel_id);
        for i in 1..=MESSAGES {
            let mut options = if i % 4 == 0 {
                mentioning("carol")
            } else {
                SendOptions::default()
            };
            if i % 5 == 0 {
                options.reply_to = Some(i - 2);
            }
            channel.send(text(&format!("m{i}")), options).await?;
        }
        outbox_drained(&bob.client, &community_id, channel_id).await?;
    }
    // Carol's device caches both channels, reads half of general, then goes away.
    for channel_id in &channels {
        let channel = carol.client.community(&community_id).channel(channel_id);
        eventually("carol knows every message", || {
            channel.unread().is_some_and(|u| u.last_seq == MESSAGES)
        })
        .await?;
        assert_eq!(
            cached_history(&carol.client, &community_id, channel_id)
                .await?
                .len(),
            60
        );
    }
    carol
        .client
        .community(&community_id)
        .channel(&general)
        .mark_read(30)
        .await?;
    let carol_dir = carol.close().await?;

    // 500 changes while carol is away: edits (moving carol's mentions), reactions on and
    // off, pins on and off, recalls.
    let emoji = ["👍", "🎉", "❤️", ":party:"];
    let mut keys = Vec::new();
    for n in 0..500u64 {
        let channel_id = &channels[(n % 2) as usize];
        let seq = 1 + (n * 7) % MESSAGES;
        let as_bob = bob.client.community(&community_id).channel(channel_id);
        let as_alice = alice.client.community(&community_id).channel(channel_id);
        let result = match n % 10 {
            0..=2 => {
                let mentions = if n % 3 == 0 {
                    Mentions {
                        users: vec!["carol".into()],
                        everyone: false,
                        groups: Vec::new(),
                    }
                } else {
                    Mentions::default()
                };
                as_bob
                    .edit_message(
                        seq,
                        MessageEdit {
                            content: Some(text(&format!("m{seq} edit {n}"))),
                            mentions: Some(mentions),
                            custom_data: Some(format!("{{\"n\":{n}}}")),
                        },
                    )
                    .await
            }
            3..=5 => as_alice.add_reaction(seq, emoji[(n % 4) as usize]).await,
            6 => as_bob.add_reaction(seq, emoji[(n % 3) as usize]).await,
            7 => {
                as_alice
                    .remove_reaction(seq, emoji[((n + 1) % 4) as usize])
                    .await
            }
            8 => {
                if n % 20 == 8 {
                    as_alice.pin_message(seq).await
                } else {
                    as_alice.unpin_message(seq).await
                }
            }
            _ => as_alice.recall_message(seq).await,
        };
        match result {
            Ok(change) => keys.push((channel_id.clone(), change.key)),
            // Changes to a message recalled meanwhile are refused locally: fine.
            Err(error) if code_of(&error) == Some(ErrorCode::MESSAGE_RECALLED) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let mut refused = 0;
    for (channel_id, key) in &keys {
        let channel = alice.client.community(&community_id).channel(channel_id);
        let bob_channel = bob.client.community(&community_id).channel(channel_id);
        let outcome = match channel.wait_for_change(key).await {
            Err(SdkError::Api(error)) if error.code == ErrorCode::MESSAGE_NOT_FOUND => {
                bob_channel.wait_for_change(key).await
            }
            other => other,
        };
        if outcome.is_err() {
            refused += 1;
        }
    }
    assert!(keys.len() >= 450, "most changes were made ({})", keys.len());
    assert!(refused < 50, "few changes refused ({refused})");

    // Carol comes back on the same cache: it catches up and equals a fresh device's.
    let carol_again = build_client(&server.ws_url(), carol_dir.path(), "carol-phone").await?;
    // She shows both channels (raids opened first, so general is the focused one): in a
    // large community an unshown channel catches up its changes only when shown.
    let _raids = carol_again
        .community(&community_id)
        .channel(&raids)
        .subscribe_messages()
        .await?;
    // Her cached timeline is brought up to date in place: changed messages come as
    // `Updated`, none is fetched again.
    let mut timeline = carol_again
        .community(&community_id)
        .channel(&general)
        .subscribe_messages()
        .await?;
    match timeline.next().await.as_deref() {
        Some([MessageUpdate::Reset { messages, .. }]) => assert_eq!(messages.len(), 50),
        other => return fail(format!("the timeline starts with {other:?}")),
    }
    carol_again.login("carol", &server.token("carol")?).await?;
    let mut states = carol_again.subscribe_sync_state();
    community_e2e::until(&mut states, "carol is caught up", |s| {
        *s == SyncState::CaughtUp
    })
    .await?;
    let (mut updated, mut inserted) = (0, 0);
    while let Ok(Some(batch)) =
        tokio::time::timeout(Duration::from_millis(300), timeline.next()).await
    {
        for update in batch {
            match update {
                MessageUpdate::Updated(_) => updated += 1,
                MessageUpdate::Inserted(_) => inserted += 1,
                _ => {}
            }
        }
    }
    assert!(
        updated >= 25,
        "cached messages were updated in place ({updated})"
    );
    assert_eq!(inserted, 0, "nothing was fetched again");
    let fresh = TestClient::login(&server, "carol", "carol-fresh").await?;
    for channel_id in &channels {
        let expected = cached_history(&fresh.client, &community_id, channel_id).await?;
        let ours = cached_history(&carol_again, &community_id, channel_id).await?;
        assert_eq!(ours.len() as u64, MESSAGES);
        let differing: BTreeMap<u64, (Message, Message)> = ours
            .into_iter()
            .zip(expected)
            .filter(|(a, b)| a != b)
            .map(|(a, b)| (a.seq, (a, b)))
            .collect();
        if let Some((seq, (ours, theirs))) = differing.iter().next() {
            return fail(format!(
                "{} messages differ; #{seq}: cached {ours:?}\nserver {theirs:?}",
                differing.len()
            ));
        }
        let ours = carol_again
            .community(&community_id)
            .channel(channel_id)
            .unread();
        let theirs = fresh
            .client
            .community(&community_id)
            .channel(channel_id)
            .unread();
        assert_eq!(ours, theirs, "exact counts after the catch-up");
    }
    let edits = cached(
        &carol_again.community(&community_id).channel(&general),
        1 + 7 % MESSAGES,
    )
    .await;
    assert!(edits.is_some());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_offline_are_kept_and_carried_out_once_after_a_restart() -> TestResult {
    let mut server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Durable", &[&bob]).await?;
    let bob_ch = bob.client.community(&community_id).channel(&general);
    for i in 0..5 {
        bob_ch.send_text(format!("b{i}")).await?;
    }
    outbox_drained(&bob.client, &community_id, &general).await?;

    // The server goes down; bob edits and reacts (shown at once), then quits the app.
    server.kill().await?;
    let edit = bob_ch
        .edit_message(
            1,
            MessageEdit {
                content: Some(text("b0, offline edit")),
                ..Default::default()
            },
        )
        .await?;
    let mut keys = vec![edit.key];
    for seq in 1..=5 {
        keys.push(bob_ch.add_reaction(seq, "👍").await?.key);
    }
    assert_eq!(
        cached(&bob_ch, 1).await.as_ref().map(text_of),
        Some("b0, offline edit")
    );
    assert_eq!(bob.client.pending_changes().await?.len(), 6);
    drop(bob_ch);
    let dir = bob.close().await?;

    // The server comes back; bob's app restarts on the same cache and carries them out.
    server.start_again().await?;
    let reopened = build_client(&server.ws_url(), dir.path(), "bob-phone").await?;
    reopened.login("bob", &server.token("bob")?).await?;
    for key in &keys {
        reopened.wait_for_change(key).await?;
    }
    let alice_ch = alice.client.community(&community_id).channel(&general);
    for seq in 1..=5 {
        cached_until(&alice_ch, seq, "alice sees one 👍 from bob", |m| {
            m.reactions.len() == 1 && m.reactions[0].count == 1
        })
        .await?;
    }
    cached_until(&alice_ch, 1, "alice sees the edit, made once", |m| {
        text_of(m) == "b0, offline edit" && m.edit_count == 1
    })
    .await?;

    // Forwarding a message to another channel keeps its origin.
    let raids = alice
        .client
        .community(&community_id)
        .create_channel(community_sdk::NewChannel {
            name: "raids".into(),
            ..Default::default()
        })
        .await?
        .id()
        .clone();
    let raids_ch = alice.client.community(&community_id).channel(&raids);
    let forwarded = raids_ch
        .forward(
            MessageRef {
                community_id: community_id.clone(),
                channel_id: general.clone(),
                seq: 2,
            },
            SendOptions::default(),
        )
        .await?;
    forwarded.sent().await?;
    let copy = cached(&raids_ch, 1).await;
    assert_eq!(copy.as_ref().map(text_of), Some("b1"));
    assert_eq!(
        copy.and_then(|m| m.forwarded_from)
            .map(|o| (o.seq, o.sender_id.to_string())),
        Some((2, "bob".to_string()))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_whose_answers_are_lost_are_carried_out_once() -> TestResult {
    let server = TestServer::start_with(|config| {
        config.heartbeat_interval = Duration::from_millis(300);
    })
    .await?;
    let proxy = community_e2e::FaultProxy::start(server.addr()).await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login_at(&server, &proxy.ws_url(), "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Lost", &[&bob]).await?;
    let _shown = (
        shows(&alice, &community_id, &general).await?,
        shows(&bob, &community_id, &general).await?,
    );
    let bob_ch = bob.client.community(&community_id).channel(&general);
    let alice_ch = alice.client.community(&community_id).channel(&general);
    for i in 0..3 {
        bob_ch.send_text(format!("l{i}")).await?;
    }
    outbox_drained(&bob.client, &community_id, &general).await?;
    cached_until(&alice_ch, 3, "alice has bob's messages", |_| true).await?;

    // The server carries the edit out but its answer never reaches bob (the driver waits
    // for it, so the reactions stay queued behind it).
    proxy.freeze_to_client();
    let edit = bob_ch
        .edit_message(
            1,
            MessageEdit {
                content: Some(text("l0, edited once")),
                ..Default::default()
            },
        )
        .await?;
    let mut keys = vec![edit.key];
    for seq in 1..=3 {
        keys.push(bob_ch.add_reaction(seq, "🔥").await?.key);
    }
    keys.push(bob_ch.remove_reaction(2, "🔥").await?.key);
    cached_until(&alice_ch, 1, "the server stored the edit", |m| {
        m.edit_count == 1
    })
    .await?;
    proxy.cut();
    proxy.thaw();

    // Bob reconnects and resends them all: each is carried out once.
    for key in &keys {
        bob_ch.wait_for_change(key).await?;
    }
    for channel in [&alice_ch, &bob_ch] {
        cached_until(channel, 1, "one edit, one 🔥 on #1", |m| {
            text_of(m) == "l0, edited once"
                && m.edit_count == 1
                && m.reactions.len() == 1
                && m.reactions[0].count == 1
        })
        .await?;
        cached_until(channel, 2, "#2 has no reaction left", |m| {
            m.reactions.is_empty()
        })
        .await?;
        cached_until(channel, 3, "one 🔥 on #3", |m| {
            m.reactions.len() == 1 && m.reactions[0].count == 1
        })
        .await?;
    }
    Ok(())
}
