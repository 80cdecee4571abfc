//! Every operation answers with the kind of response its [`Request::accepts`] names: one
//! representative, successful request of each op runs through the domain.

use std::collections::{BTreeMap, BTreeSet};

use community_protocol::request::*;
use community_protocol::{
    ChannelNotification, JoinPolicy, MessageRef, NotificationStatus, Override, OverrideTarget,
    Permissions, Request, Role,
};

use crate::test_support::*;

/// Runs `request` as `caller`, asserts that it succeeded with an answer its op accepts,
/// and records the op.
#[track_caller]
fn answer(env: &Env, seen: &mut BTreeSet<&'static str>, caller: &str, request: Request) {
    let op = request.op();
    let probe = request.clone();
    let handled = env.ok(caller, request);
    assert!(
        probe.accepts(&handled.response),
        "{op} answered with {}",
        handled.response.kind()
    );
    seen.insert(op);
}

/// The thread operations, in community "g" from bob's message `seq` of `general`.
fn thread_ops(
    env: &Env,
    seen: &mut BTreeSet<&'static str>,
    general: &community_protocol::ChannelId,
    seq: community_protocol::Seq,
) {
    let created = env.ok(
        "bob",
        Request::CreateThread(CreateThread {
            community_id: "g".into(),
            channel_id: general.clone(),
            name: "plans".into(),
            parent_seq: Some(seq),
            auto_archive_ms: None,
        }),
    );
    let community_protocol::Response::Thread(thread) = created.response else {
        panic!("thread expected")
    };
    seen.insert("create_thread");
    let thread_ref = ThreadRef {
        community_id: "g".into(),
        thread_id: thread.thread_id.clone(),
    };
    answer(
        env,
        seen,
        "alice",
        Request::UpdateThread(UpdateThread {
            community_id: "g".into(),
            thread_id: thread.thread_id.clone(),
            locked: Some(true),
            ..Default::default()
        }),
    );
    answer(env, seen, "alice", Request::GetThread(thread_ref.clone()));
    answer(env, seen, "alice", Request::JoinThread(thread_ref.clone()));
    answer(env, seen, "alice", Request::LeaveThread(thread_ref.clone()));
    answer(
        env,
        seen,
        "alice",
        Request::ListThreads(ListThreads {
            community_id: "g".into(),
            channel_id: general.clone(),
            ..Default::default()
        }),
    );
    answer(
        env,
        seen,
        "bob",
        Request::ListJoinedThreads(ListJoinedThreads {
            community_id: "g".into(),
            ..Default::default()
        }),
    );
    answer(env, seen, "alice", Request::DeleteThread(thread_ref));
}

/// The operations of groups, overrides, bans, channel notification levels and member
/// fields, in community "g" (bob is a member).
fn permission_ops(
    env: &Env,
    seen: &mut BTreeSet<&'static str>,
    general: &community_protocol::ChannelId,
    category: &community_protocol::CategoryId,
) {
    let created = env.ok(
        "alice",
        Request::CreateGroup(CreateGroup {
            community_id: "g".into(),
            name: "mods".into(),
            permissions: Permissions::MANAGE_MESSAGES,
            ..Default::default()
        }),
    );
    let community_protocol::Response::Group(mods) = created.response else {
        panic!("group expected")
    };
    seen.insert("create_group");
    let mods = mods.group_id;
    answer(
        env,
        seen,
        "alice",
        Request::UpdateGroup(UpdateGroup {
            community_id: "g".into(),
            group_id: mods.clone(),
            color: Some(0x3366ff),
            ..Default::default()
        }),
    );
    answer(
        env,
        seen,
        "alice",
        Request::ReorderGroups(ReorderGroups {
            community_id: "g".into(),
            group_ids: vec![mods.clone()],
        }),
    );
    let member_group = MemberGroup {
        community_id: "g".into(),
        user_id: "bob".into(),
        group_id: mods.clone(),
    };
    answer(
        env,
        seen,
        "alice",
        Request::AssignGroup(member_group.clone()),
    );
    answer(env, seen, "alice", Request::UnassignGroup(member_group));
    let rule = Override {
        target: OverrideTarget::Group {
            group_id: mods.clone(),
        },
        allow: Permissions::SEND_MESSAGES,
        deny: Permissions::NONE,
    };
    answer(
        env,
        seen,
        "alice",
        Request::SetChannelOverride(SetChannelOverride {
            community_id: "g".into(),
            channel_id: general.clone(),
            rule: rule.clone(),
        }),
    );
    answer(
        env,
        seen,
        "alice",
        Request::SetCategoryOverride(SetCategoryOverride {
            community_id: "g".into(),
            category_id: category.clone(),
            rule,
        }),
    );
    answer(
        env,
        seen,
        "alice",
        Request::DeleteGroup(GroupRef {
            community_id: "g".into(),
            group_id: mods,
        }),
    );
    answer(
        env,
        seen,
        "bob",
        Request::SetChannelNotification(SetChannelNotification {
            community_id: "g".into(),
            channel_id: general.clone(),
            level: ChannelNotification::MentionsOnly,
        }),
    );
    answer(
        env,
        seen,
        "alice",
        Request::SetMemberFields(SetMemberFields {
            community_id: "g".into(),
            user_id: "bob".into(),
            fields: BTreeMap::from([("team".to_owned(), "red".to_owned())]),
        }),
    );
    answer(
        env,
        seen,
        "alice",
        Request::BanMember(BanMember {
            community_id: "g".into(),
            user_id: "mallory".into(),
            until_ms: None,
            reason: "spam".into(),
        }),
    );
    let g = CommunityRef {
        community_id: "g".into(),
    };
    answer(env, seen, "alice", Request::ListBans(g));
    answer(
        env,
        seen,
        "alice",
        Request::UnbanMember(member_ref("g", "mallory")),
    );
}

/// The people operations: profiles, conversations, DM policy and blocks.
fn people_ops(env: &Env, seen: &mut BTreeSet<&'static str>) {
    env.login(&["alice", "bob", "carol", "erin"]);
    answer(
        env,
        seen,
        "alice",
        Request::SetProfile(SetProfile {
            display_name: Some("Alice".into()),
            ..Default::default()
        }),
    );
    answer(
        env,
        seen,
        "bob",
        Request::GetProfiles(UserIds {
            user_ids: vec!["alice".into()],
        }),
    );
    let created = env.ok(
        "alice",
        Request::CreateConversation(CreateConversation {
            user_ids: vec!["bob".into(), "carol".into()],
            name: "trio".into(),
            group: true,
        }),
    );
    let community_protocol::Response::Conversation(entry) = created.response else {
        panic!("conversation expected")
    };
    seen.insert("create_conversation");
    let id = entry.conversation.conversation_id;
    answer(
        env,
        seen,
        "bob",
        Request::UpdateConversation(UpdateConversation {
            conversation_id: id.clone(),
            name: "four".into(),
        }),
    );
    answer(
        env,
        seen,
        "carol",
        Request::AddConversationMembers(ConversationMembers {
            conversation_id: id.clone(),
            user_ids: vec!["erin".into()],
        }),
    );
    answer(
        env,
        seen,
        "erin",
        Request::LeaveConversation(ConversationRef {
            conversation_id: id,
        }),
    );
    answer(
        env,
        seen,
        "alice",
        Request::ListConversations(PageQuery::default()),
    );
    answer(
        env,
        seen,
        "carol",
        Request::SetDmPolicy(SetDmPolicy {
            policy: community_protocol::DmPolicy::Nobody,
        }),
    );
    let erin = || UserRef {
        user_id: "erin".into(),
    };
    answer(env, seen, "carol", Request::BlockUser(erin()));
    answer(env, seen, "carol", Request::ListBlocked(Empty {}));
    answer(env, seen, "carol", Request::UnblockUser(erin()));
}

/// The search operations, in community "g".
fn search_ops(env: &Env, seen: &mut BTreeSet<&'static str>) {
    use community_protocol::search::{SearchChannels, SearchCommunities, SearchMessages};
    answer(
        env,
        seen,
        "alice",
        Request::SearchMessages(SearchMessages {
            community_id: "g".into(),
            query: "hello".into(),
            ..Default::default()
        }),
    );
    answer(
        env,
        seen,
        "alice",
        Request::SearchChannels(SearchChannels {
            community_id: "g".into(),
            query: "gen".into(),
            limit: None,
        }),
    );
    answer(
        env,
        seen,
        "alice",
        Request::SearchCommunities(SearchCommunities {
            query: "guild".into(),
            limit: None,
        }),
    );
}

#[test]
fn every_operation_answers_with_the_kind_its_request_accepts() {
    let env = Env::new();
    let mut seen = BTreeSet::new();
    let g = |id: &str| CommunityRef {
        community_id: id.into(),
    };
    let create = |id: &str, join_policy| {
        Request::CreateCommunity(CreateCommunity {
            community_id: Some(id.into()),
            name: format!("Community {id}"),
            join_policy,
            ..Default::default()
        })
    };
    answer(&env, &mut seen, "alice", create("g", JoinPolicy::Free));
    answer(&env, &mut seen, "alice", create("a", JoinPolicy::Approval));
    let general = env.snapshot("alice", "g").info.default_channel_id;
    answer(&env, &mut seen, "alice", Request::GetCommunity(g("g")));
    answer(
        &env,
        &mut seen,
        "alice",
        Request::ListJoinedCommunities(PageQuery::default()),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::UpdateCommunity(UpdateCommunity {
            community_id: "g".into(),
            name: Some("Guild".into()),
            ..Default::default()
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::SetAttributes(SetAttributes {
            community_id: "g".into(),
            attributes: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::DeleteAttributes(DeleteAttributes {
            community_id: "g".into(),
            keys: vec!["k".into()],
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::SetNotification(SetNotification {
            community_id: "g".into(),
            status: NotificationStatus::DoNotDisturb,
        }),
    );
    answer(&env, &mut seen, "bob", join("g"));
    answer(
        &env,
        &mut seen,
        "alice",
        Request::InviteMembers(InviteMembers {
            community_id: "g".into(),
            user_ids: vec!["carol".into()],
        }),
    );
    // An approval community: the join is pending (also an accepted answer of join).
    let pending = env.ok("dave", join("a")).response;
    assert!(join("a").accepts(&pending), "{}", pending.kind());
    answer(&env, &mut seen, "alice", Request::ListJoinRequests(g("a")));
    answer(
        &env,
        &mut seen,
        "alice",
        Request::DecideJoinRequest(DecideJoinRequest {
            community_id: "a".into(),
            user_id: "dave".into(),
            approve: true,
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::ListMembers(ListMembers {
            community_id: "g".into(),
            query: None,
            cursor: None,
            limit: None,
            group_id: None,
            field: None,
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::SetMemberRole(SetMemberRole {
            community_id: "g".into(),
            user_id: "bob".into(),
            role: Role::Admin,
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::MuteMember(MuteMember {
            community_id: "g".into(),
            user_id: "carol".into(),
            until_ms: Some(T0 + 60_000),
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::SetMuteAll(SetMuteAll {
            community_id: "g".into(),
            muted: false,
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::SetNickname(SetNickname {
            community_id: "g".into(),
            nickname: "Al".into(),
        }),
    );
    let secret = env.channel("alice", "g", "secret", true);
    seen.insert("create_channel");
    let channel_ref = ChannelRef {
        community_id: "g".into(),
        channel_id: secret.as_str().into(),
    };
    answer(
        &env,
        &mut seen,
        "alice",
        Request::UpdateChannel(UpdateChannel {
            community_id: "g".into(),
            channel_id: secret.as_str().into(),
            notice: Some("hush".into()),
            ..Default::default()
        }),
    );
    let members = ChannelMembers {
        community_id: "g".into(),
        channel_id: secret.as_str().into(),
        user_ids: vec!["carol".into()],
    };
    answer(
        &env,
        &mut seen,
        "alice",
        Request::AddChannelMembers(members.clone()),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::ListChannelMembers(channel_ref.clone()),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::RemoveChannelMembers(members),
    );
    let category = match env
        .ok(
            "alice",
            Request::CreateCategory(CreateCategory {
                community_id: "g".into(),
                name: "Voice".into(),
                position: None,
            }),
        )
        .response
    {
        community_protocol::Response::Category(category) => category.category_id,
        other => panic!("unexpected {other:?}"),
    };
    seen.insert("create_category");
    answer(
        &env,
        &mut seen,
        "alice",
        Request::UpdateCategory(UpdateCategory {
            community_id: "g".into(),
            category_id: category.clone(),
            name: Some("Talk".into()),
            position: None,
        }),
    );
    permission_ops(&env, &mut seen, &general, &category);
    answer(
        &env,
        &mut seen,
        "alice",
        Request::DeleteCategory(CategoryRef {
            community_id: "g".into(),
            category_id: category,
        }),
    );
    answer(
        &env,
        &mut seen,
        "bob",
        send("g", general.as_str(), "k1", "hello"),
    );
    answer(
        &env,
        &mut seen,
        "bob",
        Request::GetMessages(GetMessages {
            community_id: "g".into(),
            channel_id: general.clone(),
            before_seq: None,
            after_seq: None,
            limit: None,
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        mark_read("g", general.as_str(), 1),
    );
    answer(&env, &mut seen, "alice", Request::GetHeads(g("g")));
    // Bob's message is the channel's newest (system messages came before it).
    let bobs = env.head("alice", "g", general.as_str()).last_seq;
    let message = |seq| MessageRef {
        community_id: "g".into(),
        channel_id: general.clone(),
        seq,
    };
    let reaction = |emoji: &str| MessageReaction {
        community_id: "g".into(),
        channel_id: general.clone(),
        seq: bobs,
        emoji: emoji.into(),
    };
    answer(
        &env,
        &mut seen,
        "bob",
        Request::EditMessage(EditMessage {
            community_id: "g".into(),
            channel_id: general.clone(),
            seq: bobs,
            idempotency_key: "e1".into(),
            content: Some(community_protocol::MessageContent::Text {
                text: "hello again".into(),
            }),
            mentions: None,
            custom_data: None,
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::AddReaction(reaction("👍")),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::RemoveReaction(reaction("👍")),
    );
    answer(&env, &mut seen, "alice", Request::PinMessage(message(bobs)));
    answer(
        &env,
        &mut seen,
        "alice",
        Request::ListPins(ChannelRef {
            community_id: "g".into(),
            channel_id: general.clone(),
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::UnpinMessage(message(bobs)),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::GetChanges(GetChanges {
            community_id: "g".into(),
            channel_id: general.clone(),
            after_change_seq: 0,
            limit: None,
        }),
    );
    thread_ops(&env, &mut seen, &general, bobs);
    search_ops(&env, &mut seen);
    answer(
        &env,
        &mut seen,
        "alice",
        Request::HideMessage(message(bobs)),
    );
    answer(
        &env,
        &mut seen,
        "bob",
        Request::RecallMessage(message(bobs)),
    );
    answer(&env, &mut seen, "alice", Request::Sync(Sync::default()));
    answer(
        &env,
        &mut seen,
        "alice",
        Request::DeleteChannel(channel_ref),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::KickMember(member_ref("g", "carol")),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::TransferOwnership(member_ref("g", "bob")),
    );
    answer(&env, &mut seen, "alice", Request::LeaveCommunity(g("g")));
    answer(&env, &mut seen, "alice", Request::DismissCommunity(g("a")));

    people_ops(&env, &mut seen);
    answer(
        &env,
        &mut seen,
        "alice",
        Request::RegisterPushToken(community_protocol::push::RegisterPushToken {
            platform: community_protocol::push::PushPlatform::Fcm,
            token: "fcm-1".into(),
        }),
    );
    answer(
        &env,
        &mut seen,
        "alice",
        Request::UnregisterPushToken(community_protocol::push::UnregisterPushToken {
            token: "fcm-1".into(),
        }),
    );

    // The session's own operations, and presence, typing and voice (answered from the
    // transport's memory), belong to the transport.
    let transport = [
        "login",
        "refresh_token",
        "logout",
        "set_presence",
        "subscribe_presence",
        "unsubscribe_presence",
        "view_community",
        "typing",
        "join_voice",
        "leave_voice",
        "list_voice",
        "focus",
        "subscribe_member_list",
        "unsubscribe_member_list",
    ];
    let missing: Vec<_> = Request::OPS
        .iter()
        .filter(|op| !seen.contains(*op) && !transport.contains(op))
        .collect();
    assert!(missing.is_empty(), "ops not exercised: {missing:?}");
}
