//! Community management through the SDK: channels, categories, private channels, roles,
//! attributes, kick, leave and dismiss, with the caches and subscriptions of every member
//! following along, and local fail-fast checks typed like the server's errors.

use std::collections::BTreeMap;

use community_e2e::{TestClient, TestResult, TestServer, eventually, guild, until};
use community_protocol::{ErrorCode, Role};
use community_sdk::{ChannelUpdate, CommunityUpdate, ListDiff, NewChannel, UnreadUpdate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_categories_roles_and_membership_follow_every_member() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let carol = TestClient::login(&server, "carol", "carol-phone").await?;

    let mut bob_communities = bob.client.subscribe_communities();
    assert_eq!(
        bob_communities.next().await,
        Some(vec![ListDiff::Reset(vec![])])
    );
    let (community_id, _general) = guild(&alice, "Managed", &[&bob, &carol]).await?;
    let first = bob_communities.next().await.unwrap_or_default();
    assert!(
        matches!(first.first(), Some(ListDiff::Insert(entry)) if entry.info.community_id == community_id),
        "bob's list got the community: {first:?}"
    );

    let owner = alice.client.community(&community_id);
    let mut bob_channels = bob.client.community(&community_id).subscribe_channels();
    let initial = bob_channels.next().await.unwrap_or_default();
    assert!(matches!(initial.as_slice(), [ListDiff::Reset(list)] if list.len() == 1));

    // A category and a public channel in it: every member sees them.
    let category = owner.create_category("Games", Some(1)).await?;
    let raids = owner
        .create_channel(NewChannel {
            name: "raids".into(),
            category_id: Some(category.category_id.clone()),
            ..Default::default()
        })
        .await?;
    eventually("bob sees the new channel", || {
        bob.client.community(&community_id).channels().len() == 2
    })
    .await?;
    assert_eq!(owner.categories(), vec![category.clone()]);
    eventually("bob sees the category", || {
        bob.client.community(&community_id).categories() == vec![category.clone()]
    })
    .await?;
    until(
        &mut bob_channels,
        "bob's channel list got an insert",
        |diffs| {
            diffs
                .iter()
                .any(|d| matches!(d, ListDiff::Insert(e) if &e.info.channel_id == raids.id()))
        },
    )
    .await?;

    // A private channel for alice and carol only.
    let secret = owner
        .create_channel(NewChannel {
            name: "officers".into(),
            private: true,
            member_ids: vec!["carol".into()],
            ..Default::default()
        })
        .await?;
    eventually("carol sees the private channel", || {
        carol
            .client
            .community(&community_id)
            .channel(secret.id())
            .entry()
            .is_some()
    })
    .await?;
    assert!(
        bob.client
            .community(&community_id)
            .channel(secret.id())
            .entry()
            .is_none()
    );
    assert_eq!(secret.members().await?, vec!["carol".to_string()]);

    // Rename the channel; members follow.
    raids
        .update(ChannelUpdate {
            name: Some("raids-and-dungeons".into()),
            ..Default::default()
        })
        .await?;
    eventually("bob sees the new name", || {
        bob.client
            .community(&community_id)
            .channel(raids.id())
            .entry()
            .is_some_and(|e| e.info.name == "raids-and-dungeons")
    })
    .await?;

    // Info and attributes.
    owner
        .update(CommunityUpdate {
            notice: Some("Raids on Fridays".into()),
            ..Default::default()
        })
        .await?;
    let attributes = owner
        .set_attributes(BTreeMap::from([("region".to_string(), "eu".to_string())]))
        .await?;
    assert!(attributes.failed.is_empty());
    eventually("bob sees the notice and the attribute", || {
        bob.client
            .community(&community_id)
            .entry()
            .is_some_and(|e| {
                e.info.notice == "Raids on Fridays"
                    && e.info.attributes.get("region").map(String::as_str) == Some("eu")
            })
    })
    .await?;

    // Local fail-fast checks, typed like the server's.
    let denied = bob
        .client
        .community(&community_id)
        .create_category("Nope", None)
        .await;
    assert_eq!(
        denied.err().and_then(|e| e.api().map(|a| a.code)),
        Some(ErrorCode::PERMISSION_DENIED)
    );
    let too_long = owner.create_category(&"x".repeat(101), None).await;
    assert_eq!(
        too_long.err().and_then(|e| e.api().map(|a| a.code)),
        Some(ErrorCode::CHANNEL_NAME_TOO_LONG)
    );
    let owner_leaves = owner.leave().await;
    assert_eq!(
        owner_leaves.err().and_then(|e| e.api().map(|a| a.code)),
        Some(ErrorCode::OWNER_CANNOT_LEAVE)
    );

    // Roles: bob becomes admin, his cache knows it.
    owner.set_member_role("bob", Role::Admin).await?;
    eventually("bob's cache knows he is admin", || {
        bob.client
            .community(&community_id)
            .entry()
            .is_some_and(|e| e.me.role == Role::Admin)
    })
    .await?;
    let members = owner.members(None, None, Some(10)).await?;
    assert_eq!(members.total_count, 3);

    // Delete the category: the channel falls back to no category.
    owner.delete_category(&category.category_id).await?;
    eventually("bob's channel lost its category", || {
        bob.client
            .community(&community_id)
            .channel(raids.id())
            .entry()
            .is_some_and(|e| e.info.category_id.is_none())
    })
    .await?;
    assert!(owner.categories().is_empty());

    // Carol leaves; bob is kicked; both caches drop the community.
    carol.client.community(&community_id).leave().await?;
    assert!(carol.client.communities().is_empty());
    owner.kick("bob").await?;
    eventually("bob's cache dropped the community", || {
        bob.client.communities().is_empty()
    })
    .await?;
    until(&mut bob_communities, "bob's list got a remove", |diffs| {
        diffs
            .iter()
            .any(|d| matches!(d, ListDiff::Remove(id) if community_id == id.as_str()))
    })
    .await?;

    // Dismiss: the owner's cache drops it too.
    let mut alice_unread = alice.client.subscribe_unread();
    let first: Option<UnreadUpdate> = alice_unread.next().await;
    assert!(first.is_some_and(|u| u.reset && u.communities.len() == 1));
    owner.dismiss().await?;
    assert!(alice.client.communities().is_empty());
    until(
        &mut alice_unread,
        "the unread subscription reports the community gone",
        |u| u.removed_communities.contains(&community_id),
    )
    .await?;
    Ok(())
}
