//! The permission computation, step by step, and the errors `require` names.

use super::*;

const NOW: TimestampMs = 1_000;

fn group(id: &str, position: i64, permissions: Permissions) -> Group {
    Group {
        community_id: "c".into(),
        group_id: id.into(),
        name: id.into(),
        color: 0,
        position,
        mentionable: false,
        permissions,
    }
}

fn groups() -> Vec<Group> {
    vec![
        group("everyone", 0, Permissions::EVERYONE_DEFAULT),
        group(
            "mods",
            2,
            Permissions::MANAGE_MESSAGES.union(Permissions::MUTE_MEMBERS),
        ),
        group("helpers", 1, Permissions::KICK_MEMBERS),
        group("admins", 3, Permissions::ADMINISTRATOR),
    ]
}

fn member<'a>(user: &'a UserId, groups: &'a [GroupId]) -> Actor<'a> {
    Actor {
        user_id: user,
        is_owner: false,
        role: Role::Member,
        groups,
        muted_until_ms: None,
    }
}

fn community(groups: &[Group]) -> CommunityScope<'_> {
    CommunityScope {
        groups,
        mute_all: false,
        now_ms: NOW,
    }
}

fn text_channel(overrides: &[Override]) -> ChannelScope<'_> {
    ChannelScope {
        kind: ChannelKind::Text,
        private: false,
        private_member: false,
        mute_all: false,
        overrides,
    }
}

fn for_group(id: &str, allow: Permissions, deny: Permissions) -> Override {
    Override {
        target: OverrideTarget::Group {
            group_id: id.into(),
        },
        allow,
        deny,
    }
}

fn for_member(id: &str, allow: Permissions, deny: Permissions) -> Override {
    Override {
        target: OverrideTarget::Member { user_id: id.into() },
        allow,
        deny,
    }
}

#[test]
fn flags_have_stable_bits_and_names() {
    assert_eq!(Permissions::VIEW_CHANNEL.0, 1);
    assert_eq!(Permissions::ADMINISTRATOR.0, 1 << 16);
    assert_eq!(Permissions::NAMED.len(), 17);
    assert_eq!(
        Permissions::from_name("ban_members"),
        Some(Permissions::BAN_MEMBERS)
    );
    assert_eq!(
        Permissions::SEND_MESSAGES
            .union(Permissions::VIEW_CHANNEL)
            .names(),
        vec!["view_channel", "send_messages"]
    );
    // Unknown bits from a newer server survive a round trip.
    let json = serde_json::to_string(&Permissions(1 << 40 | 1)).unwrap();
    assert_eq!(json, (1u64 << 40 | 1).to_string());
}

#[test]
fn overrides_apply_in_discord_order() {
    let groups = groups();
    let (me, mine) = (UserId::from("ann"), vec![GroupId::from("helpers")]);
    let actor = member(&me, &mine);
    let send = Permissions::SEND_MESSAGES;
    // @everyone denied send, the group allowed it back: allowed.
    let overrides = [
        for_group("everyone", Permissions::NONE, send),
        for_group("helpers", send, Permissions::NONE),
    ];
    let held = channel_permissions(&actor, &community(&groups), &text_channel(&overrides));
    assert!(held.contains(send));
    // …and the member's own deny wins over the group's allow.
    let overrides = [
        for_group("everyone", Permissions::NONE, send),
        for_group("helpers", send, Permissions::NONE),
        for_member("ann", Permissions::NONE, send),
    ];
    let held = channel_permissions(&actor, &community(&groups), &text_channel(&overrides));
    assert!(!held.contains(send));
    assert!(held.contains(Permissions::VIEW_CHANNEL));
    // Among the member's groups an allow beats a deny.
    let (me2, two) = (
        UserId::from("bo"),
        vec![GroupId::from("helpers"), GroupId::from("mods")],
    );
    let overrides = [
        for_group("helpers", Permissions::NONE, send),
        for_group("mods", send, Permissions::NONE),
    ];
    let held = channel_permissions(
        &member(&me2, &two),
        &community(&groups),
        &text_channel(&overrides),
    );
    assert!(held.contains(send));
    // Without view nothing of the channel is left.
    let overrides = [for_group(
        "everyone",
        Permissions::NONE,
        Permissions::VIEW_CHANNEL,
    )];
    let held = channel_permissions(&actor, &community(&groups), &text_channel(&overrides));
    assert_eq!(held, Permissions::NONE);
}

#[test]
fn owners_and_administrators_bypass_overrides() {
    let groups = groups();
    let deny_all = [for_group("everyone", Permissions::NONE, Permissions::ALL)];
    let user = UserId::from("x");
    let admins = vec![GroupId::from("admins")];
    let by_group = member(&user, &admins);
    let by_role = Actor {
        role: Role::Admin,
        ..member(&user, &[])
    };
    let owner = Actor {
        is_owner: true,
        ..member(&user, &[])
    };
    for actor in [by_group, by_role, owner] {
        assert_eq!(
            channel_permissions(&actor, &community(&groups), &text_channel(&deny_all)),
            Permissions::ALL
        );
    }
}

#[test]
fn private_and_announcement_channels_are_presets() {
    let groups = groups();
    let user = UserId::from("ann");
    let actor = member(&user, &[]);
    let private = ChannelScope {
        private: true,
        ..text_channel(&[])
    };
    assert_eq!(
        channel_permissions(&actor, &community(&groups), &private),
        Permissions::NONE
    );
    let error = require(
        &actor,
        &community(&groups),
        Some(&private),
        Permissions::VIEW_CHANNEL,
    )
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::NOT_CHANNEL_MEMBER);
    let joined = ChannelScope {
        private_member: true,
        ..private
    };
    assert!(
        channel_permissions(&actor, &community(&groups), &joined)
            .contains(Permissions::SEND_MESSAGES)
    );

    let announcements = ChannelScope {
        kind: ChannelKind::Announcement,
        ..text_channel(&[])
    };
    let error = require(
        &actor,
        &community(&groups),
        Some(&announcements),
        Permissions::SEND_MESSAGES,
    )
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::ANNOUNCEMENT_READ_ONLY);
    // A group allowed to post there may.
    let writers = [for_group(
        "helpers",
        Permissions::SEND_MESSAGES,
        Permissions::NONE,
    )];
    let helpers = vec![GroupId::from("helpers")];
    let scope = ChannelScope {
        overrides: &writers,
        ..announcements
    };
    assert!(
        require(
            &member(&user, &helpers),
            &community(&groups),
            Some(&scope),
            Permissions::SEND_MESSAGES
        )
        .is_ok()
    );
}

#[test]
fn silences_take_the_speaking_flags_with_their_own_codes() {
    let groups = groups();
    let user = UserId::from("ann");
    let muted = Actor {
        muted_until_ms: Some(NOW + 1),
        ..member(&user, &[])
    };
    let channel = text_channel(&[]);
    let error = require(
        &muted,
        &community(&groups),
        Some(&channel),
        Permissions::SEND_MESSAGES,
    )
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::MUTED);
    // An expired mute is no mute; reading stays allowed while muted.
    let expired = Actor {
        muted_until_ms: Some(NOW),
        ..member(&user, &[])
    };
    assert!(
        require(
            &expired,
            &community(&groups),
            Some(&channel),
            Permissions::SEND_MESSAGES
        )
        .is_ok()
    );
    assert!(
        require(
            &muted,
            &community(&groups),
            Some(&channel),
            Permissions::READ_HISTORY
        )
        .is_ok()
    );

    // Mute-all (community or channel) silences all but those who may mute.
    let hushed = CommunityScope {
        mute_all: true,
        ..community(&groups)
    };
    let plain = member(&user, &[]);
    let error = require(&plain, &hushed, Some(&channel), Permissions::ADD_REACTIONS).unwrap_err();
    assert_eq!(error.code, ErrorCode::MUTE_ALL);
    let mods = vec![GroupId::from("mods")];
    assert!(
        require(
            &member(&user, &mods),
            &hushed,
            Some(&channel),
            Permissions::SEND_MESSAGES
        )
        .is_ok()
    );
    let quiet_channel = ChannelScope {
        mute_all: true,
        ..channel
    };
    let error = require(
        &plain,
        &community(&groups),
        Some(&quiet_channel),
        Permissions::SEND_MESSAGES,
    )
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::MUTE_ALL);
    // A muted admin is silenced too (only the owner is above mutes).
    let admin = Actor {
        role: Role::Admin,
        ..muted.clone()
    };
    let error = require(
        &admin,
        &community(&groups),
        Some(&channel),
        Permissions::SEND_MESSAGES,
    )
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::MUTED);
}

#[test]
fn missing_flags_are_named() {
    let groups = groups();
    let user = UserId::from("ann");
    let error = require(
        &member(&user, &[]),
        &community(&groups),
        None,
        Permissions::KICK_MEMBERS.union(Permissions::BAN_MEMBERS),
    )
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::PERMISSION_DENIED);
    assert!(
        error.message.contains("kick_members, ban_members"),
        "{}",
        error.message
    );
}

#[test]
fn members_act_only_below_their_rank() {
    let groups = groups();
    let (a, b) = (UserId::from("a"), UserId::from("b"));
    let (mods, helpers) = (vec![GroupId::from("mods")], vec![GroupId::from("helpers")]);
    let moderator = member(&a, &mods);
    let helper = member(&b, &helpers);
    assert!(may_act_on(&moderator, &helper, &groups).is_ok());
    assert_eq!(
        may_act_on(&helper, &moderator, &groups).unwrap_err().code,
        ErrorCode::CANNOT_ACT_ON_HIGHER
    );
    // Equal rank: refused.
    let other_mod = member(&b, &mods);
    assert_eq!(
        may_act_on(&moderator, &other_mod, &groups)
            .unwrap_err()
            .code,
        ErrorCode::CANNOT_ACT_ON_HIGHER
    );
    let owner = Actor {
        is_owner: true,
        ..member(&b, &[])
    };
    assert_eq!(
        may_act_on(&moderator, &owner, &groups).unwrap_err().code,
        ErrorCode::CANNOT_ACT_ON_OWNER
    );
    let admin = Actor {
        role: Role::Admin,
        ..member(&a, &[])
    };
    let other_admin = Actor {
        role: Role::Admin,
        ..member(&b, &[])
    };
    assert_eq!(
        may_act_on(&admin, &other_admin, &groups).unwrap_err().code,
        ErrorCode::CANNOT_ACT_ON_ADMIN
    );
    assert!(may_act_on(&admin, &moderator, &groups).is_ok());
    // Groups: only those below one's rank.
    assert!(may_manage_group(&moderator, &groups[2], &groups).is_ok());
    assert!(may_manage_group(&moderator, &groups[1], &groups).is_err());
}

#[test]
fn overrides_are_flat_on_the_wire() {
    let o = for_group("mods", Permissions::SEND_MESSAGES, Permissions::NONE);
    let json = serde_json::to_value(&o).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"target":"group","group_id":"mods","allow":4,"deny":0})
    );
    let back: Override = serde_json::from_value(json).unwrap();
    assert_eq!(back, o);
}

#[test]
fn every_listed_operation_exists() {
    for (op, _, flags) in OPERATION_PERMISSIONS {
        assert!(crate::Request::OPS.contains(op), "{op} is not an operation");
        assert!(!flags.is_empty());
    }
    assert_eq!(
        operation_permission("ban_member"),
        Some((Scope::Community, Permissions::BAN_MEMBERS))
    );
    assert_eq!(operation_permission("join_community"), None);
}
