//! People across devices on a real server: direct and group conversations (counted,
//! synced to a late device and across a server restart, read on one device read on the
//! other), who may start one and blocks (typed refusals), a group of ten, profiles shown
//! to those who share a community, presence across two devices and invisible (followed
//! again by the client after a server restart), typing
//! (never in history, throttled, ended by the message), voice state moving and clearing.

use std::time::Duration;

use community_e2e::{
    TestClient, TestResult, TestServer, eventually, eventually_async, fail, guild, outbox_drained,
    shows,
};
use community_protocol::request::SetProfile;
use community_protocol::{ChannelKind, CommunityId, DmPolicy, ErrorCode, PresenceStatus, UserId};
use community_sdk::{NewChannel, NewConversation, SdkError};

fn code_of(error: &SdkError) -> Option<ErrorCode> {
    match error {
        SdkError::Api(error) => Some(error.code),
        _ => None,
    }
}

fn expect_code<T>(outcome: Result<T, SdkError>, code: ErrorCode, what: &str) -> TestResult {
    match outcome {
        Err(error) if code_of(&error) == Some(code) => Ok(()),
        Err(error) => fail(format!("{what}: expected {code:?}, got {error}")),
        Ok(_) => fail(format!("{what}: expected {code:?}, it succeeded")),
    }
}

fn unread_of(client: &TestClient, conversation: &str) -> Option<u64> {
    client
        .client
        .conversation_entry(&conversation.into())
        .map(|e| e.head.unread_count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_conversation_is_exact_on_every_device_and_survives_a_restart() -> TestResult {
    let mut server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let bob_tablet = TestClient::login(&server, "bob", "bob-tablet").await?;

    let entry = alice
        .client
        .start_conversation(NewConversation {
            user_ids: vec!["bob".into()],
            ..NewConversation::default()
        })
        .await?;
    let id = entry.info.conversation_id.clone();
    // Starting it again gives the same conversation.
    let again = alice.client.direct_conversation("bob").await?;
    if again.id() != &id {
        return fail("a second direct conversation between the same two");
    }
    let dm = alice.client.conversation(id.clone());
    for n in 1..=3 {
        dm.send_text(format!("hi {n}")).await?;
    }
    outbox_drained(&alice.client, &CommunityId::direct(), &id).await?;
    for device in [&bob, &bob_tablet] {
        eventually("bob's devices count three unread", || {
            unread_of(device, id.as_str()) == Some(3)
        })
        .await?;
    }
    if bob.client.unread_totals().total_unread != 3 {
        return fail("a conversation counts in the totals");
    }
    if !bob.client.communities().is_empty() {
        return fail("@me is listed as a community");
    }
    // Read on the phone, read on the tablet.
    bob.client.conversation(id.clone()).mark_read(3).await?;
    eventually("the tablet sees it read", || {
        unread_of(&bob_tablet, id.as_str()) == Some(0)
    })
    .await?;

    // A late device of bob gets the same conversation, counts and messages.
    let bob_laptop = TestClient::login(&server, "bob", "bob-laptop").await?;
    eventually("the late device lists it read", || {
        unread_of(&bob_laptop, id.as_str()) == Some(0)
    })
    .await?;
    let texts = bob_laptop
        .client
        .conversation(id.clone())
        .messages(None, 10)
        .await?;
    if texts.len() != 3 {
        return fail(format!("late device history: {} messages", texts.len()));
    }

    // The server restarts: nothing acknowledged is lost, the conversation goes on.
    server.restart().await?;
    dm.send_text("after the restart").await?;
    outbox_drained(&alice.client, &CommunityId::direct(), &id).await?;
    eventually("bob gets the message after the restart", || {
        unread_of(&bob, id.as_str()) == Some(1)
    })
    .await?;
    let history = bob
        .client
        .conversation(id.clone())
        .messages(None, 10)
        .await?;
    let seqs: Vec<u64> = history.iter().map(|m| m.seq).collect();
    if seqs != [1, 2, 3, 4] {
        return fail(format!("history after the restart: {seqs:?}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_start_a_conversation_and_blocks_are_enforced_with_typed_errors() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "a").await?;
    let bob = TestClient::login(&server, "bob", "b").await?;
    let carol = TestClient::login(&server, "carol", "c").await?;
    // Alice and bob share a community; carol shares none with bob.
    guild(&alice, "Shared", &[&bob]).await?;
    let start = |from: &TestClient, to: &str| {
        let client = from.client.clone();
        let to = UserId::from(to);
        async move {
            client
                .start_conversation(NewConversation {
                    user_ids: vec![to],
                    ..NewConversation::default()
                })
                .await
        }
    };

    bob.client.set_dm_policy(DmPolicy::Nobody).await?;
    expect_code(
        start(&alice, "bob").await,
        ErrorCode::DM_NOT_ALLOWED,
        "policy nobody",
    )?;
    bob.client.set_dm_policy(DmPolicy::SharedCommunity).await?;
    expect_code(
        start(&carol, "bob").await,
        ErrorCode::DM_NOT_ALLOWED,
        "policy shared_community, none shared",
    )?;
    let entry = start(&alice, "bob").await?;
    let id = entry.info.conversation_id;

    // Bob blocks alice: she can neither send there nor start anew; nor can bob send.
    bob.client.block_user("alice").await?;
    if bob.client.blocked_users().await? != vec![UserId::from("alice")] {
        return fail("the block is listed");
    }
    let refused = alice
        .client
        .conversation(id.clone())
        .send_text("hello?")
        .await?;
    expect_code(
        refused.sent().await,
        ErrorCode::BLOCKED,
        "sending into a block",
    )?;
    let refused = bob
        .client
        .conversation(id.clone())
        .send_text("go away")
        .await?;
    expect_code(
        refused.sent().await,
        ErrorCode::BLOCKED,
        "the blocker sending",
    )?;
    expect_code(
        start(&alice, "bob").await,
        ErrorCode::BLOCKED,
        "starting into a block",
    )?;

    // Unblocked, the conversation goes on.
    bob.client.unblock_user("alice").await?;
    let sent = alice
        .client
        .conversation(id.clone())
        .send_text("friends again")
        .await?;
    sent.sent().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_of_ten_talks_and_an_eleventh_is_refused() -> TestResult {
    let server = TestServer::start().await?;
    let mut people = Vec::new();
    for n in 0..11 {
        people.push(TestClient::login(&server, &format!("user{n}"), "d").await?);
    }
    let others: Vec<UserId> = (1..10).map(|n| UserId::from(format!("user{n}"))).collect();
    let entry = people[0]
        .client
        .start_conversation(NewConversation {
            user_ids: others.clone(),
            name: "ten".into(),
            group: true,
        })
        .await?;
    let id = entry.info.conversation_id.clone();
    if entry.info.participants.len() != 10 {
        return fail("ten participants");
    }
    people[0]
        .client
        .conversation(id.clone())
        .send_text("hello all")
        .await?
        .sent()
        .await?;
    for person in &people[1..10] {
        eventually("every participant has the message", || {
            unread_of(person, id.as_str()) == Some(1)
        })
        .await?;
    }
    expect_code(
        people[0]
            .client
            .add_conversation_members(&id, vec!["user10".into()])
            .await,
        ErrorCode::TOO_MANY_PARTICIPANTS,
        "an eleventh participant",
    )?;
    let mut eleven = others;
    eleven.push("user10".into());
    expect_code(
        people[0]
            .client
            .start_conversation(NewConversation {
                user_ids: eleven,
                name: "eleven".into(),
                group: true,
            })
            .await,
        ErrorCode::TOO_MANY_PARTICIPANTS,
        "a group of eleven",
    )?;
    // Someone leaves: the conversation leaves their list, the others see nine.
    people[9].client.leave_conversation(&id).await?;
    if people[9].client.conversation_entry(&id).is_some() {
        return fail("the leaver still lists it");
    }
    eventually("the others see nine participants", || {
        people[1]
            .client
            .conversation_entry(&id)
            .is_some_and(|e| e.info.participants.len() == 9)
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_reach_those_who_share_a_community_and_stay_cached() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "a").await?;
    let bob = TestClient::login(&server, "bob", "b").await?;
    guild(&alice, "Shared", &[&bob]).await?;
    let mut changes = bob.client.subscribe_profiles(Some(vec!["alice".into()]));
    let _ = changes.next().await; // the cached value (none yet)
    alice
        .client
        .set_profile(SetProfile {
            display_name: Some("Alice A.".into()),
            avatar_url: Some("https://example.test/a.png".into()),
            fields: [("clan".to_string(), "red".to_string())].into(),
        })
        .await?;
    let Ok(Some(update)) = tokio::time::timeout(Duration::from_secs(10), changes.next()).await
    else {
        return fail("no profile update reached bob");
    };
    if update.first().map(|p| p.display_name.as_str()) != Some("Alice A.") {
        return fail(format!("profile update: {update:?}"));
    }
    if bob.client.display_name(&"alice".into()) != "Alice A." {
        return fail("bob shows alice's display name");
    }
    expect_code(
        alice
            .client
            .set_profile(SetProfile {
                display_name: Some("x".repeat(65)),
                ..SetProfile::default()
            })
            .await,
        ErrorCode::PROFILE_TOO_LARGE,
        "a long display name",
    )?;
    // The SDK splits big asks: 101 users are two requests, not a refusal.
    let many: Vec<UserId> = (0..101).map(|n| UserId::from(format!("u{n}"))).collect();
    bob.client.fetch_profiles(many).await?;
    // The cache keeps it offline.
    let dir = bob.close().await?;
    let reopened = community_e2e::build_client(&server.ws_url(), dir.path(), "b").await?;
    reopened.login("bob", &server.token("bob")?).await?;
    if reopened.display_name(&"alice".into()) != "Alice A." {
        return fail("the profile was not cached");
    }
    reopened.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_follows_devices_and_invisible_shows_offline_to_others_only() -> TestResult {
    let mut server =
        TestServer::start_with(|config| config.presence_grace = Duration::from_millis(300)).await?;
    let bob = TestClient::login(&server, "bob", "b").await?;
    let alice_phone = TestClient::login(&server, "alice", "phone").await?;
    let alice_tablet = TestClient::login(&server, "alice", "tablet").await?;
    let _updates = bob.client.subscribe_presence(vec!["alice".into()]).await?;
    let status = |client: &TestClient| client.client.presence(&"alice".into()).map(|p| p.status);
    eventually("bob sees alice online", || {
        status(&bob) == Some(PresenceStatus::Online)
    })
    .await?;
    alice_phone
        .client
        .set_presence(PresenceStatus::Idle, "brb")
        .await?;
    eventually("bob sees alice idle", || {
        status(&bob) == Some(PresenceStatus::Idle)
    })
    .await?;

    // Invisible: offline to bob, invisible to herself.
    alice_phone
        .client
        .set_presence(PresenceStatus::Invisible, "")
        .await?;
    eventually("bob sees alice offline", || {
        status(&bob) == Some(PresenceStatus::Offline)
    })
    .await?;
    let _own = alice_tablet
        .client
        .subscribe_presence(vec!["alice".into()])
        .await?;
    eventually("alice sees herself invisible", || {
        status(&alice_tablet) == Some(PresenceStatus::Invisible)
    })
    .await?;
    alice_phone
        .client
        .set_presence(PresenceStatus::Online, "")
        .await?;
    eventually("bob sees alice online again", || {
        status(&bob) == Some(PresenceStatus::Online)
    })
    .await?;

    // One device leaves: still online. Both leave: offline.
    alice_phone.close().await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    if status(&bob) != Some(PresenceStatus::Online) {
        return fail("one device left and alice went offline");
    }
    alice_tablet.close().await?;
    eventually("bob sees alice offline after her last device", || {
        status(&bob) == Some(PresenceStatus::Offline)
    })
    .await?;

    // The server restarts and forgets every subscription: bob's client asks again by
    // itself, so alice coming back shows.
    server.restart().await?;
    let _alice_again = TestClient::login(&server, "alice", "laptop").await?;
    eventually("bob sees alice online after the restart", || {
        status(&bob) == Some(PresenceStatus::Online)
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_reaches_readers_ends_with_the_message_and_is_never_history() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "a").await?;
    let bob = TestClient::login(&server, "bob", "b").await?;
    let (community_id, general) = guild(&alice, "Typing", &[&bob]).await?;
    let _shown = shows(&bob, &community_id, &general).await?;
    let at = |c: &TestClient| c.client.community(&community_id).channel(&general);
    let mut typers = at(&bob).subscribe_typing();
    let _ = typers.next().await;
    if !at(&alice).typing().await? {
        return fail("the first typing is sent");
    }
    if at(&alice).typing().await? {
        return fail("a second typing within the interval is not sent");
    }
    eventually("bob sees alice typing", || {
        at(&bob).typers() == vec![UserId::from("alice")]
    })
    .await?;
    at(&alice).send_text("done typing").await?;
    outbox_drained(&alice.client, &community_id, &general).await?;
    eventually("the message ends alice's typing", || {
        at(&bob).typers().is_empty()
    })
    .await?;
    eventually_async("only the message is in history", || async {
        at(&bob)
            .messages(None, 10)
            .await
            .is_ok_and(|page| page.len() == 1 && page[0].seq == 1)
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_state_moves_between_channels_and_clears_when_the_user_goes() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "a").await?;
    let bob = TestClient::login(&server, "bob", "b").await?;
    let (community_id, general) = guild(&alice, "Voice", &[&bob]).await?;
    let community = alice.client.community(&community_id);
    let voice_channel = |name: &str| NewChannel {
        name: name.into(),
        kind: ChannelKind::Voice,
        ..NewChannel::default()
    };
    let lounge = community.create_channel(voice_channel("lounge")).await?;
    let stage = community.create_channel(voice_channel("stage")).await?;
    match community.channel(&general).join_voice().await {
        Err(SdkError::Api(_)) => {}
        other => return fail(format!("a text channel is no voice channel: {other:?}")),
    }
    let seen_in = |channel: &str| {
        let voice = bob.client.community(&community_id).voice();
        voice.len() == 1
            && voice[0].user_id.as_str() == "alice"
            && voice[0].channel_id.as_str() == channel
    };
    lounge.join_voice().await?;
    eventually("bob sees alice in the lounge", || {
        seen_in(lounge.id().as_str())
    })
    .await?;
    stage.join_voice().await?;
    eventually("bob sees alice move to the stage", || {
        seen_in(stage.id().as_str())
    })
    .await?;
    let listed = bob
        .client
        .community(&community_id)
        .channel(stage.id().clone())
        .voice_participants()
        .await?;
    if listed.len() != 1 {
        return fail("list_voice lists alice");
    }
    alice.close().await?;
    eventually("alice's voice state clears when she goes", || {
        bob.client.community(&community_id).voice().is_empty()
    })
    .await?;
    Ok(())
}
