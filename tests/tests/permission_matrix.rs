//! The permission matrix: every operation of the protocol's permission table, for every
//! kind of member, asked of the server (directly, past the SDK) and of the SDK's local
//! check — they must agree, case by case.
//!
//! For each flag the table uses there is one community whose `@everyone` group lacks that
//! flag, a group granting it, a second group granting it that the default channel denies,
//! and the default channel's member overrides. The members:
//! - the owner;
//! - an `admin`;
//! - a member of the granting group ("granted by a group");
//! - a member of the group the channel denies ("denied for a group");
//! - a member of the granting group denied by a member override ("denied for the member");
//! - a member with no group allowed by a member override ("granted for the member");
//! - a plain member.
//!
//! Each case is one request with harmless parameters (a target that does not exist, the
//! same name again, a fresh object made for the case) whose answer is classified: refused
//! for want of a permission (`permission_denied`, `channel_not_found`,
//! `not_channel_member`) or let through (anything else: success, or a refusal for another
//! reason, such as a missing message). The SDK's `check_operation` must classify it the
//! same way, with the same code when refused.

use std::collections::BTreeMap;

use community_e2e::{RawClient, TestClient, TestResult, TestServer, eventually, fail};
use community_protocol::permissions::{OPERATION_PERMISSIONS, Scope};
use community_protocol::request::{self as rq, CreateCommunity};
use community_protocol::{
    ApiError, CategoryId, ChannelId, CommunityId, ErrorCode, GroupId, Mentions, MessageContent,
    Override, OverrideTarget, Permissions, Request, Response, Role,
};
use community_sdk::{NewGroup, SdkError};

/// Operations whose content adds a condition (PROTOCOL.md §14), as extra rows of the
/// table: posting media needs `attach_media`, mentioning `@everyone` `mention_everyone`.
const CONTENT_ROWS: &[(&str, Scope, Permissions)] = &[
    (
        "send_message+media",
        Scope::Channel,
        Permissions::ATTACH_MEDIA,
    ),
    (
        "send_message+everyone",
        Scope::Channel,
        Permissions::MENTION_EVERYONE,
    ),
];

/// The content and mentions a row sends.
fn content_of(op: &str) -> (MessageContent, Mentions) {
    match op {
        "send_message+media" => (
            MessageContent::Image(community_protocol::Media {
                url: "https://cdn.example.com/a.png".into(),
                ..Default::default()
            }),
            Mentions::default(),
        ),
        "send_message+everyone" => (
            MessageContent::Text {
                text: "@everyone".into(),
            },
            Mentions {
                everyone: true,
                ..Default::default()
            },
        ),
        _ => (
            MessageContent::Text { text: "hi".into() },
            Mentions::default(),
        ),
    }
}

/// The kinds of member, with their user ids.
const SUBJECTS: [&str; 7] = [
    "owner",
    "admin",
    "granted",
    "groupdenied",
    "memberdenied",
    "memberallowed",
    "plain",
];

/// Codes that mean "refused for want of a permission".
fn permission_refusal(code: ErrorCode) -> bool {
    [
        ErrorCode::PERMISSION_DENIED,
        ErrorCode::CHANNEL_NOT_FOUND,
        ErrorCode::NOT_CHANNEL_MEMBER,
        ErrorCode::MUTED,
        ErrorCode::MUTE_ALL,
        ErrorCode::ANNOUNCEMENT_READ_ONLY,
    ]
    .contains(&code)
}

/// `None`: let through; `Some(code)`: refused for want of a permission.
fn classify(answer: Result<(), ApiError>) -> Option<ErrorCode> {
    match answer {
        Err(error) if permission_refusal(error.code) => Some(error.code),
        _ => None,
    }
}

struct Community {
    id: CommunityId,
    general: ChannelId,
    category: CategoryId,
}

/// Everything one case's request may need that the owner makes fresh for it.
struct Fresh {
    category: CategoryId,
    group: GroupId,
    victim: String,
    /// Every group but `@everyone`, lowest first (as they are).
    order: Vec<GroupId>,
}

fn request(op: &str, c: &Community, fresh: &Fresh) -> Option<Request> {
    let community_id = c.id.clone();
    let channel_id = c.general.clone();
    let channel = rq::ChannelRef {
        community_id: community_id.clone(),
        channel_id: channel_id.clone(),
    };
    let message = community_protocol::MessageRef {
        community_id: community_id.clone(),
        channel_id: channel_id.clone(),
        seq: 9_999,
    };
    let reaction = rq::MessageReaction {
        community_id: community_id.clone(),
        channel_id: channel_id.clone(),
        seq: 9_999,
        emoji: "👍".into(),
    };
    let nobody = Override {
        target: OverrideTarget::Member {
            user_id: "nobody".into(),
        },
        allow: Permissions::NONE,
        deny: Permissions::NONE,
    };
    let victim = rq::MemberRef {
        community_id: community_id.clone(),
        user_id: fresh.victim.as_str().into(),
    };
    let cref = rq::CommunityRef {
        community_id: community_id.clone(),
    };
    Some(match op {
        "send_message" | "send_message+media" | "send_message+everyone" => {
            let (content, mentions) = content_of(op);
            Request::SendMessage(rq::SendMessage {
                community_id,
                channel_id,
                idempotency_key: uuid(),
                content,
                mentions,
                reply_to: None,
                priority: Default::default(),
                custom_data: String::new(),
                forward_of: None,
            })
        }
        "edit_message" => Request::EditMessage(rq::EditMessage {
            community_id,
            channel_id,
            seq: 9_999,
            idempotency_key: uuid(),
            content: Some(MessageContent::Text { text: "x".into() }),
            mentions: None,
            custom_data: None,
        }),
        "get_messages" => Request::GetMessages(rq::GetMessages {
            community_id,
            channel_id,
            before_seq: None,
            after_seq: None,
            limit: Some(1),
        }),
        "get_changes" => Request::GetChanges(rq::GetChanges {
            community_id,
            channel_id,
            after_change_seq: 0,
            limit: Some(1),
        }),
        "list_pins" => Request::ListPins(channel),
        "mark_read" => Request::MarkRead(rq::MarkRead {
            community_id,
            channel_id,
            seq: 0,
        }),
        "hide_message" => Request::HideMessage(message),
        "set_channel_notification" => Request::SetChannelNotification(rq::SetChannelNotification {
            community_id,
            channel_id,
            level: Default::default(),
        }),
        "recall_message" => Request::RecallMessage(message),
        "add_reaction" => Request::AddReaction(reaction),
        "remove_reaction" => Request::RemoveReaction(reaction),
        "pin_message" => Request::PinMessage(message),
        "unpin_message" => Request::UnpinMessage(message),
        "update_channel" => Request::UpdateChannel(rq::UpdateChannel {
            community_id,
            channel_id,
            notice: Some("the same notice".into()),
            ..Default::default()
        }),
        // The default channel cannot be deleted: a permitted caller gets 4010.
        "delete_channel" => Request::DeleteChannel(channel),
        "add_channel_members" | "remove_channel_members" => {
            let members = rq::ChannelMembers {
                community_id,
                channel_id,
                user_ids: vec!["nobody".into()],
            };
            if op == "add_channel_members" {
                Request::AddChannelMembers(members)
            } else {
                Request::RemoveChannelMembers(members)
            }
        }
        "list_channel_members" => Request::ListChannelMembers(channel),
        "set_channel_override" => Request::SetChannelOverride(rq::SetChannelOverride {
            community_id,
            channel_id,
            rule: nobody,
        }),
        "create_channel" => Request::CreateChannel(rq::CreateChannel {
            community_id,
            name: "made-by-a-case".into(),
            ..Default::default()
        }),
        "create_category" => Request::CreateCategory(rq::CreateCategory {
            community_id,
            name: "made-by-a-case".into(),
            position: None,
        }),
        "update_category" => Request::UpdateCategory(rq::UpdateCategory {
            community_id,
            category_id: c.category.clone(),
            name: Some("stays".into()),
            position: None,
        }),
        "delete_category" => Request::DeleteCategory(rq::CategoryRef {
            community_id,
            category_id: fresh.category.clone(),
        }),
        "set_category_override" => Request::SetCategoryOverride(rq::SetCategoryOverride {
            community_id,
            category_id: c.category.clone(),
            rule: nobody,
        }),
        "update_community" => Request::UpdateCommunity(rq::UpdateCommunity {
            community_id,
            notice: Some("the same notice".into()),
            ..Default::default()
        }),
        "set_attributes" => Request::SetAttributes(rq::SetAttributes {
            community_id,
            attributes: BTreeMap::from([("k".to_string(), "v".to_string())]),
        }),
        "delete_attributes" => Request::DeleteAttributes(rq::DeleteAttributes {
            community_id,
            keys: vec!["k".into()],
        }),
        "set_mute_all" => Request::SetMuteAll(rq::SetMuteAll {
            community_id,
            muted: false,
        }),
        "mute_member" => Request::MuteMember(rq::MuteMember {
            community_id,
            user_id: fresh.victim.as_str().into(),
            until_ms: None,
        }),
        "kick_member" => Request::KickMember(victim),
        "list_join_requests" => Request::ListJoinRequests(cref),
        "decide_join_request" => Request::DecideJoinRequest(rq::DecideJoinRequest {
            community_id,
            user_id: "nobody".into(),
            approve: false,
        }),
        "ban_member" => Request::BanMember(rq::BanMember {
            community_id,
            user_id: fresh.victim.as_str().into(),
            until_ms: None,
            reason: String::new(),
        }),
        "unban_member" => Request::UnbanMember(rq::MemberRef {
            community_id,
            user_id: "nobody".into(),
        }),
        "list_bans" => Request::ListBans(cref),
        "create_group" => Request::CreateGroup(rq::CreateGroup {
            community_id,
            name: "made-by-a-case".into(),
            ..Default::default()
        }),
        "update_group" => Request::UpdateGroup(rq::UpdateGroup {
            community_id,
            group_id: fresh.group.clone(),
            color: Some(0x123456),
            ..Default::default()
        }),
        "delete_group" => Request::DeleteGroup(rq::GroupRef {
            community_id,
            group_id: fresh.group.clone(),
        }),
        "reorder_groups" => Request::ReorderGroups(rq::ReorderGroups {
            community_id,
            group_ids: fresh.order.clone(),
        }),
        "assign_group" | "unassign_group" => {
            let params = rq::MemberGroup {
                community_id,
                user_id: fresh.victim.as_str().into(),
                group_id: fresh.group.clone(),
            };
            if op == "assign_group" {
                Request::AssignGroup(params)
            } else {
                Request::UnassignGroup(params)
            }
        }
        "set_member_fields" => Request::SetMemberFields(rq::SetMemberFields {
            community_id,
            user_id: fresh.victim.as_str().into(),
            fields: BTreeMap::from([("class".to_string(), "healer".to_string())]),
        }),
        _ => return None,
    })
}

fn uuid() -> String {
    format!("k{}", rand::random::<u64>())
}

fn api(error: SdkError) -> ApiError {
    match error {
        SdkError::Api(error) => error,
        other => ApiError::new(ErrorCode::INTERNAL, other.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_and_sdk_agree_on_every_operation_for_every_kind_of_member() -> TestResult {
    let server = TestServer::start().await?;
    let url = server.ws_url();
    let mut sdk = BTreeMap::new();
    let mut raw = BTreeMap::new();
    for subject in SUBJECTS {
        sdk.insert(subject, TestClient::login(&server, subject, subject).await?);
        raw.insert(
            subject,
            RawClient::login(&url, subject, &server.token(subject)?).await?,
        );
    }
    let owner = &sdk["owner"].client;

    let rows: Vec<(&str, Scope, Permissions)> = OPERATION_PERMISSIONS
        .iter()
        .chain(CONTENT_ROWS)
        .copied()
        .collect();
    let mut flags: Vec<Permissions> = rows.iter().map(|(_, _, f)| *f).collect();
    flags.sort_by_key(|f| f.0);
    flags.dedup();

    let mut cases = 0;
    let mut disagreements = Vec::new();
    for flag in flags {
        let name = flag.names().join("+");
        // The community: @everyone lacks the flag.
        let handle = owner
            .create_community(CreateCommunity {
                name: format!("matrix {name}"),
                system_messages: Some(false),
                ..Default::default()
            })
            .await?;
        let community_id = handle.id().clone();
        let Some(entry) = handle.entry() else {
            return fail("the community is not cached");
        };
        let general = entry.info.default_channel_id;
        for subject in &SUBJECTS[1..] {
            sdk[subject]
                .client
                .join_community(&community_id, "")
                .await?;
        }
        handle.set_member_role("admin", Role::Admin).await?;
        handle
            .update_group(
                GroupId::everyone(),
                community_sdk::GroupUpdate {
                    permissions: Some(Permissions::EVERYONE_DEFAULT.without(flag)),
                    ..Default::default()
                },
            )
            .await?;
        let granting = handle
            .create_group(NewGroup {
                name: format!("grants {name}"),
                permissions: flag,
                ..Default::default()
            })
            .await?;
        let denied = handle
            .create_group(NewGroup {
                name: format!("denied {name}"),
                permissions: flag,
                ..Default::default()
            })
            .await?;
        handle
            .assign_group("granted", granting.group_id.clone())
            .await?;
        handle
            .assign_group("memberdenied", granting.group_id.clone())
            .await?;
        handle
            .assign_group("groupdenied", denied.group_id.clone())
            .await?;
        let channel = handle.channel(&general);
        let rule = |target, allow, deny| Override {
            target,
            allow,
            deny,
        };
        channel
            .set_override(rule(
                OverrideTarget::Group {
                    group_id: denied.group_id.clone(),
                },
                Permissions::NONE,
                flag,
            ))
            .await?;
        channel
            .set_override(rule(
                OverrideTarget::Member {
                    user_id: "memberdenied".into(),
                },
                Permissions::NONE,
                flag,
            ))
            .await?;
        channel
            .set_override(rule(
                OverrideTarget::Member {
                    user_id: "memberallowed".into(),
                },
                flag,
                Permissions::NONE,
            ))
            .await?;
        let category = handle.create_category("kept", None).await?.category_id;
        let c = Community {
            id: community_id.clone(),
            general: general.clone(),
            category,
        };
        // Every member's cache holds the set-up before its answers are read.
        for subject in SUBJECTS {
            let client = &sdk[subject].client;
            let ready = || {
                let community = client.community(&community_id);
                let groups_in = community.groups().len() == 3;
                let overrides_in = community
                    .channel(&general)
                    .entry()
                    .is_none_or(|e| e.info.overrides.len() == 3);
                groups_in && overrides_in
            };
            if eventually("a member's cache has the set-up", ready)
                .await
                .is_err()
            {
                let community = client.community(&community_id);
                return fail(format!(
                    "{subject} in {name}: {} groups, channel {:?}",
                    community.groups().len(),
                    community
                        .channel(&general)
                        .entry()
                        .map(|e| e.info.overrides)
                ));
            }
        }

        for (op, scope, needed) in &rows {
            if *needed != flag {
                continue;
            }
            for (n, subject) in SUBJECTS.iter().enumerate() {
                // What the case may destroy is made fresh for it.
                let victim = format!("victim-{}-{op}-{n}", flag.0);
                let victim_client = RawClient::login(&url, &victim, &server.token(&victim)?).await;
                let mut victim_client = victim_client?;
                victim_client
                    .request(Request::JoinCommunity(rq::JoinCommunity {
                        community_id: community_id.clone(),
                        message: String::new(),
                    }))
                    .await?
                    .map_err(|e| format!("victim join: {e}"))?;
                let fresh_category = handle
                    .create_category(&format!("tmp-{op}-{n}"), None)
                    .await?
                    .category_id;
                let fresh_group = handle
                    .create_group(NewGroup {
                        name: format!("tmp-{op}-{n}"),
                        ..Default::default()
                    })
                    .await?
                    .group_id;
                let mut groups = handle.groups();
                groups.retain(|g| !g.group_id.is_everyone());
                groups.sort_by_key(|g| g.position);
                let fresh = Fresh {
                    category: fresh_category,
                    group: fresh_group,
                    victim,
                    order: groups.into_iter().map(|g| g.group_id).collect(),
                };
                let Some(req) = request(op, &c, &fresh) else {
                    continue;
                };
                let client = &sdk[subject].client;
                let channel = client.community(&community_id).channel(&general);
                let local = match scope {
                    _ if op.starts_with("send_message") => {
                        let (content, mentions) = content_of(op);
                        channel.check_send(&content, &mentions)
                    }
                    Scope::Community => client.community(&community_id).check_operation(op),
                    Scope::Channel => channel.check_operation(op),
                };
                let server_answer = raw
                    .get_mut(subject)
                    .ok_or("no raw client")?
                    .request(req)
                    .await?
                    .map(|_: Response| ());
                let (local, server_side) = (
                    classify(local.map_err(api)),
                    classify(server_answer.clone()),
                );
                cases += 1;
                if local != server_side {
                    disagreements.push(format!(
                        "{op} as {subject} (flag {name}): server {server_answer:?}, sdk {local:?}"
                    ));
                }
            }
        }
    }
    if !disagreements.is_empty() {
        return fail(format!(
            "{} of {cases} cases disagree:\n{}",
            disagreements.len(),
            disagreements.join("\n")
        ));
    }
    assert!(cases >= 300, "{cases} cases");
    Ok(())
}
