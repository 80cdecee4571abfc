//! Roles and permissions across devices on a real server: visibility follows the view
//! permission (online and after a resume), bans keep a user out until lifted, group
//! mentions count for holders only, notification levels decide what reaches the totals on
//! every device, and a moderator group acts only below itself.

use std::time::Duration;

use community_e2e::{
    FaultProxy, TestClient, TestResult, TestServer, eventually, guild, outbox_drained,
};
use community_protocol::{
    ChannelNotification, ErrorCode, GroupId, Mentions, MessageContent, Override, OverrideTarget,
    Permissions,
};
use community_sdk::{ConnectionState, NewChannel, NewGroup, SdkError, SendOptions};
use community_server::ServerConfig;

fn code_of(error: &SdkError) -> Option<ErrorCode> {
    match error {
        SdkError::Api(error) => Some(error.code),
        _ => None,
    }
}

fn fast_heartbeat(config: &mut ServerConfig) {
    config.heartbeat_interval = Duration::from_millis(300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visibility_follows_the_view_permission_online_and_after_a_resume() -> TestResult {
    let server = TestServer::start_with(fast_heartbeat).await?;
    let proxy = FaultProxy::start(server.addr()).await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login_at(&server, &proxy.ws_url(), "bob", "bob-phone").await?;
    let (community_id, _) = guild(&alice, "Secrets", &[&bob]).await?;
    let community = alice.client.community(&community_id);
    let vault = community
        .create_channel(NewChannel {
            name: "vault".into(),
            ..Default::default()
        })
        .await?;
    let vault_id = vault.id().clone();
    let outsiders = community
        .create_group(NewGroup {
            name: "outsiders".into(),
            ..Default::default()
        })
        .await?;
    community
        .assign_group("bob", outsiders.group_id.clone())
        .await?;
    for i in 0..3 {
        vault.send_text(format!("v{i}")).await?;
    }
    outbox_drained(&alice.client, &community_id, &vault_id).await?;
    let bob_sees = |client: &TestClient| {
        client
            .client
            .community(&community_id)
            .channel(&vault_id)
            .entry()
            .is_some()
    };
    eventually("bob sees the vault with 3 unread", || {
        bob.client
            .community(&community_id)
            .channel(&vault_id)
            .unread()
            .is_some_and(|u| u.unread_count == 3)
    })
    .await?;
    let total_before = bob.client.unread_totals().total_unread;

    // Online: denying view to his group removes the channel and its counts.
    let deny_view = |allow, deny| Override {
        target: OverrideTarget::Group {
            group_id: outsiders.group_id.clone(),
        },
        allow,
        deny,
    };
    vault
        .set_override(deny_view(Permissions::NONE, Permissions::VIEW_CHANNEL))
        .await?;
    eventually("the vault leaves bob's device", || !bob_sees(&bob)).await?;
    assert_eq!(bob.client.unread_totals().total_unread, total_before - 3);
    let refused = bob
        .client
        .community(&community_id)
        .channel(&vault_id)
        .check_operation("send_message")
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::CHANNEL_NOT_FOUND));

    // After a resume: bob's connection drops, view comes back meanwhile, he resumes.
    let mut states = bob.client.subscribe_connection();
    proxy.refuse(true);
    proxy.cut();
    community_e2e::until(&mut states, "bob is away", |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await?;
    vault
        .set_override(deny_view(Permissions::NONE, Permissions::NONE))
        .await?;
    vault.send_text("while bob was away").await?;
    outbox_drained(&alice.client, &community_id, &vault_id).await?;
    proxy.refuse(false);
    // It comes back read up to where it was when view returned; the message sent after
    // that is unread.
    let back = eventually("the vault comes back to bob", || {
        bob.client
            .community(&community_id)
            .channel(&vault_id)
            .unread()
            .is_some_and(|u| u.last_seq == 4 && u.read_seq == 3 && u.unread_count == 1)
    })
    .await;
    if back.is_err() {
        let unread = bob
            .client
            .community(&community_id)
            .channel(&vault_id)
            .unread();
        return community_e2e::fail(format!("bob's vault: {unread:?}"));
    }
    // A second device of bob, fresh, agrees.
    let tablet = TestClient::login(&server, "bob", "bob-tablet").await?;
    eventually("the tablet sees the vault", || bob_sees(&tablet)).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bans_keep_a_user_out_until_lifted() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, _) = guild(&alice, "Strict", &[&bob]).await?;
    let community = alice.client.community(&community_id);
    community.ban("bob", None, "spam").await?;
    eventually("the community leaves bob's device", || {
        bob.client.community(&community_id).entry().is_none()
    })
    .await?;
    let bans = community.bans().await?;
    assert_eq!(bans.len(), 1);
    assert_eq!(
        (bans[0].user_id.as_str(), bans[0].reason.as_str()),
        ("bob", "spam")
    );
    let refused = bob
        .client
        .join_community(&community_id, "")
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::BANNED));
    community.unban("bob").await?;
    bob.client.join_community(&community_id, "").await?;
    eventually("bob is back", || {
        bob.client.community(&community_id).entry().is_some()
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_mentions_and_notification_levels_count_exactly_on_every_device() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let carol = TestClient::login(&server, "carol", "carol-phone").await?;
    let (community_id, general) = guild(&alice, "Raids", &[&bob, &carol]).await?;
    let community = alice.client.community(&community_id);
    let raiders = community
        .create_group(NewGroup {
            name: "raiders".into(),
            mentionable: true,
            ..Default::default()
        })
        .await?;
    community
        .assign_group("bob", raiders.group_id.clone())
        .await?;
    eventually("bob holds the group", || {
        bob.client
            .community(&community_id)
            .entry()
            .is_some_and(|e| e.me.groups.contains(&raiders.group_id))
    })
    .await?;
    let channel = alice.client.community(&community_id).channel(&general);
    channel
        .send(
            MessageContent::Text {
                text: "@raiders tonight".into(),
            },
            SendOptions {
                mentions: Mentions {
                    groups: vec![raiders.group_id.clone()],
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await?;
    channel.send_text("see you").await?;
    outbox_drained(&alice.client, &community_id, &general).await?;
    let counts = |client: &TestClient| {
        client
            .client
            .community(&community_id)
            .channel(&general)
            .unread()
            .map(|u| (u.unread_count, u.mention_count))
    };
    eventually("bob is mentioned through his group, carol is not", || {
        counts(&bob) == Some((2, 1)) && counts(&carol) == Some((2, 0))
    })
    .await?;

    // Bob sets the channel to mentions only: his totals keep the mention, not the unread,
    // on his other device too.
    let tablet = TestClient::login(&server, "bob", "bob-tablet").await?;
    bob.client
        .community(&community_id)
        .channel(&general)
        .set_notification_level(ChannelNotification::MentionsOnly)
        .await?;
    for device in [&bob, &tablet] {
        eventually("totals follow the level", || {
            let totals = device.client.unread_totals();
            (totals.total_unread, totals.total_mentions) == (0, 1)
        })
        .await?;
        assert_eq!(
            counts(device),
            Some((2, 1)),
            "the channel keeps its own counts"
        );
    }
    // A non-mentionable group needs mention_everyone: carol (plain) may not.
    let quiet = community
        .create_group(NewGroup {
            name: "quiet".into(),
            ..Default::default()
        })
        .await?;
    eventually("carol knows the quiet group", || {
        carol.client.community(&community_id).groups().len() == 3
    })
    .await?;
    let refused = carol
        .client
        .community(&community_id)
        .channel(&general)
        .send(
            MessageContent::Text {
                text: "@quiet".into(),
            },
            SendOptions {
                mentions: Mentions {
                    groups: vec![quiet.group_id],
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::PERMISSION_DENIED));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderators_act_only_below_their_group() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let mia = TestClient::login(&server, "mia", "mia-phone").await?;
    let max = TestClient::login(&server, "max", "max-phone").await?;
    let pat = TestClient::login(&server, "pat", "pat-phone").await?;
    let (community_id, general) = guild(&alice, "Ranks", &[&mia, &max, &pat]).await?;
    let community = alice.client.community(&community_id);
    let mods = community
        .create_group(NewGroup {
            name: "mods".into(),
            permissions: Permissions::KICK_MEMBERS
                .union(Permissions::MANAGE_MESSAGES)
                .union(Permissions::MUTE_MEMBERS)
                .union(Permissions::MANAGE_ROLES),
            ..Default::default()
        })
        .await?;
    // Created second, so it starts below "mods" (new groups start at the bottom).
    let helpers = community
        .create_group(NewGroup {
            name: "helpers".into(),
            permissions: Permissions::KICK_MEMBERS,
            ..Default::default()
        })
        .await?;
    let by_position: Vec<GroupId> = community.groups().into_iter().map(|g| g.group_id).collect();
    assert_eq!(
        by_position,
        vec![
            GroupId::everyone(),
            helpers.group_id.clone(),
            mods.group_id.clone()
        ]
    );
    community.assign_group("mia", mods.group_id.clone()).await?;
    community
        .assign_group("max", helpers.group_id.clone())
        .await?;
    let as_mia = mia.client.community(&community_id);
    eventually("mia may kick and pin", || {
        as_mia.check_operation("kick_member").is_ok()
            && as_mia
                .channel(&general)
                .permissions()
                .is_some_and(|p| p.contains(Permissions::MANAGE_MESSAGES))
    })
    .await?;
    // Max (helpers, below mods) may not act on mia; mia may mute max and kick pat.
    eventually("max may kick", || {
        max.client
            .community(&community_id)
            .check_operation("kick_member")
            .is_ok()
    })
    .await?;
    let refused = max
        .client
        .community(&community_id)
        .kick("mia")
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::CANNOT_ACT_ON_HIGHER));
    as_mia.mute_member("max", Some(i64::MAX / 2)).await?;
    as_mia.kick("pat").await?;
    // Mia may not give herself more than she holds, nor touch her own group.
    let refused = as_mia
        .update_group(
            mods.group_id.clone(),
            community_sdk::GroupUpdate {
                color: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::CANNOT_ACT_ON_HIGHER));
    let refused = as_mia
        .create_group(NewGroup {
            name: "admins".into(),
            permissions: Permissions::ADMINISTRATOR,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::PERMISSION_DENIED));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_fields_are_set_by_managers_and_filter_the_member_list() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let carol = TestClient::login(&server, "carol", "carol-phone").await?;
    let (community_id, _) = guild(&alice, "Guild", &[&bob, &carol]).await?;
    let community = alice.client.community(&community_id);
    let healers = community
        .create_group(NewGroup {
            name: "healers".into(),
            ..Default::default()
        })
        .await?;
    community
        .assign_group("bob", healers.group_id.clone())
        .await?;
    let fields = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    community
        .set_member_fields("bob", fields(&[("class", "priest"), ("server", "eu")]))
        .await?;
    // Carol may set her own, not bob's.
    carol
        .client
        .community(&community_id)
        .set_member_fields("carol", fields(&[("class", "mage")]))
        .await?;
    let refused = carol
        .client
        .community(&community_id)
        .set_member_fields("bob", fields(&[("class", "mage")]))
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::PERMISSION_DENIED));
    // Limits: a sixth field, a 65-byte value.
    let six: Vec<(String, String)> = (0..6).map(|i| (format!("f{i}"), "v".into())).collect();
    let refused = community
        .set_member_fields("carol", six.into_iter().collect())
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::TOO_MANY_MEMBER_FIELDS));
    let long = "v".repeat(65);
    let refused = community
        .set_member_fields("carol", fields(&[("class", long.as_str())]))
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), Some(ErrorCode::MEMBER_FIELD_TOO_LONG));

    let page = community
        .find_members(community_sdk::MembersQuery {
            group_id: Some(healers.group_id.clone()),
            ..Default::default()
        })
        .await?;
    let ids: Vec<&str> = page.page.items.iter().map(|m| m.user_id.as_str()).collect();
    assert_eq!((ids, page.total_count), (vec!["bob"], 1));
    let page = community
        .find_members(community_sdk::MembersQuery {
            field: Some(("class".into(), "mage".into())),
            ..Default::default()
        })
        .await?;
    let ids: Vec<&str> = page.page.items.iter().map(|m| m.user_id.as_str()).collect();
    assert_eq!(ids, vec!["carol"]);
    eventually("bob's own fields reach his device", || {
        bob.client
            .community(&community_id)
            .entry()
            .is_some_and(|e| e.me.custom_fields.get("class").map(String::as_str) == Some("priest"))
    })
    .await?;
    Ok(())
}
