//! The app admin (`@admin`, [`UserId::APP_ADMIN`]): the caller the admin HTTP API acts
//! as. It exists so that the app's backend can do everything an owner can, on any
//! community, through the very operations (and so the rules, limits and error codes) of
//! the WebSocket API, without being a member anywhere.
//!
//! The whole rule lives here: [`membership`] gives the app admin a synthesized owner
//! membership in every community (`Ctx::membership` calls it), so every check that asks
//! "is the caller the owner / does the caller hold this flag" says yes. Nobody can log in
//! as `@admin` (ids starting with `@` are reserved, see `UserId::is_reserved`), so only
//! the admin API reaches this.
//!
//! Besides, three operations exist only for the app's backend, each one write (or read)
//! transaction: [`Domain::admin_import_members`] (batch import without invitations),
//! [`Domain::admin_post_system`] (a system-authored message) and
//! [`Domain::admin_communities`] (every community, paged).

use std::collections::HashSet;

use community_protocol::limits::check_user_id;
use community_protocol::response::UsersOutcome;
use community_protocol::{
    ApiError, ChannelId, CommunityId, CommunityInfo, ErrorCode, ErrorKind, Event, FailedUser,
    MemberInfo, Mentions, MessageContent, Page, Priority, Response, Role, UserId,
};

use super::Domain;
use super::communities::check_can_join_more;
use super::context::Ctx;
use super::membership::{announce_info, check_not_banned, check_not_reserved};
use super::{threads, view};
use crate::cursor::{CursorKind, Position, cut_page, decode_optional};
use crate::routing::Handled;
use crate::store::NewMessage;

/// Most users one admin import may name.
pub const IMPORT_BATCH_MAX: usize = 1_000;

/// The `event` of system messages the app's backend posts.
pub const ADMIN_EVENT: &str = "admin";

/// Operations the app admin cannot run as itself: they would make `@admin` a member, an
/// author, a reader or a participant (it is none of these), or move ownership to or from
/// it. Posts go as a user or as the system, ownership moves with `PUT …/owner`.
const PERSONAL_OPS: &[&str] = &[
    "sync",
    "create_community",
    "join_community",
    "leave_community",
    "list_joined_communities",
    "set_notification",
    "set_nickname",
    "transfer_ownership",
    "send_message",
    "edit_message",
    "mark_read",
    "hide_message",
    "add_reaction",
    "remove_reaction",
    "set_channel_notification",
    "create_thread",
    "join_thread",
    "leave_thread",
    "list_joined_threads",
    "set_profile",
    "create_conversation",
    "update_conversation",
    "add_conversation_members",
    "leave_conversation",
    "list_conversations",
    "set_dm_policy",
    "block_user",
    "unblock_user",
    "list_blocked",
    "register_push_token",
    "unregister_push_token",
];

/// `INVALID_ARGUMENT` when the app admin asks for one of its [`PERSONAL_OPS`].
pub(crate) fn check_op(caller: &UserId, op: &str) -> Result<(), ApiError> {
    if caller.is_app_admin() && PERSONAL_OPS.contains(&op) {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            format!("the app admin is no member and cannot {op} as itself (see docs/ADMIN.md)"),
        ));
    }
    Ok(())
}

impl Domain {
    /// Adds up to [`IMPORT_BATCH_MAX`] users to a community as ordinary members, without
    /// invitations, in one transaction. Each user is checked as an invitation checks them
    /// (`invalid_user_id`, also for reserved ids; `already_member`; `banned`;
    /// `too_many_members`; `too_many_joined`) and reported per user in the answer's
    /// `failed`; duplicates count once. Every added user gets `community_added`, the
    /// community `member_joined` per user and one `community_updated`. No `member_joined`
    /// system message is written (an import would flood the default channel).
    ///
    /// `TOO_MANY_INVITEES` when more than [`IMPORT_BATCH_MAX`] users are named.
    pub fn admin_import_members(
        &self,
        community_id: &CommunityId,
        user_ids: Vec<UserId>,
    ) -> Result<Handled, ApiError> {
        if user_ids.len() > IMPORT_BATCH_MAX {
            return Err(ApiError::new(
                ErrorCode::TOO_MANY_INVITEES,
                format!(
                    "an import names at most {IMPORT_BATCH_MAX} users, not {}",
                    user_ids.len()
                ),
            ));
        }
        let admin = UserId::app_admin();
        self.write("admin_import_members", &admin, |cx| {
            import(cx, community_id, user_ids)
        })
    }

    /// Posts a system-authored message (sender `""`, content `system` with event
    /// [`ADMIN_EVENT`]) into a channel or thread of a community (`None`: its default
    /// channel), whatever the community's `system_messages` switch. Answered like
    /// `send_message` (`message_sent`). System messages carry no idempotency key: a retry
    /// posts again.
    pub fn admin_post_system(
        &self,
        community_id: &CommunityId,
        channel_id: Option<&ChannelId>,
        text: String,
    ) -> Result<Handled, ApiError> {
        let admin = UserId::app_admin();
        self.write("admin_post_system", &admin, |cx| {
            post_system(cx, community_id, channel_id, text)
        })
    }

    /// A community's information (`COMMUNITY_NOT_FOUND`), whoever asks.
    pub fn admin_community_info(
        &self,
        community_id: &CommunityId,
    ) -> Result<CommunityInfo, ApiError> {
        self.store.read("admin_community_info", |tx| {
            tx.community(community_id)?.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::COMMUNITY_NOT_FOUND,
                    format!("no community {community_id:?}"),
                )
            })
        })
    }

    /// A page of every community of the server (whoever is a member), in ascending id
    /// order, with the paging rules of the WebSocket API's lists: `limit` 1..=
    /// `max_page_size` (`PAGE_SIZE_TOO_LARGE`), a cursor from a previous page
    /// (`INVALID_CURSOR` otherwise).
    pub fn admin_communities(
        &self,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<CommunityInfo>, ApiError> {
        let limit = self.limits.page_size(limit)?;
        let after = decode_optional(CursorKind::Communities, cursor)?
            .map(|position| CommunityId::from(position.id));
        self.store.read("admin_communities", |tx| {
            let mut rows = Vec::new();
            for community_id in tx.community_ids_after(after.as_ref(), limit.saturating_add(1))? {
                if let Some(info) = tx.community(&community_id)? {
                    rows.push(info);
                }
            }
            let (items, next_cursor) =
                cut_page(rows, limit, CursorKind::Communities, |info| Position {
                    at_ms: 0,
                    id: info.community_id.to_string(),
                });
            Ok(Page { items, next_cursor })
        })
    }
}

/// The import's transaction (see [`Domain::admin_import_members`]).
fn import(
    cx: &mut Ctx<'_>,
    community_id: &CommunityId,
    user_ids: Vec<UserId>,
) -> Result<Response, ApiError> {
    let info = cx.membership(community_id)?.info;
    // Every new member is an ordinary member without groups: they all see the same
    // channels, read once.
    let template = new_member(community_id, &UserId::from(""), cx.now);
    let visible = view::visible_channels(cx, &template)?;
    let max = cx.limits.max_members_per_community;
    let mut member_count = info.member_count;
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    let mut seen = HashSet::new();
    for user_id in user_ids {
        if !seen.insert(user_id.clone()) {
            continue;
        }
        let checked = check_importable(cx, community_id, &user_id).and_then(|()| {
            if max != 0 && member_count >= max {
                return Err(ApiError::new(
                    ErrorCode::TOO_MANY_MEMBERS,
                    format!("{community_id:?} has the maximum of {max} members"),
                ));
            }
            Ok(())
        });
        match checked {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::Server => return Err(error),
            Err(error) => {
                failed.push(FailedUser { user_id, error });
                continue;
            }
        }
        let member = new_member(community_id, &user_id, cx.now);
        cx.tx.insert_member(&member)?;
        cx.tx.delete_join_request(community_id, &user_id)?;
        for channel in &visible {
            cx.tx.start_reading(&user_id, &channel.info.channel_id)?;
        }
        cx.membership_changed(community_id, &user_id, true);
        member_count += 1;
        succeeded.push(member);
    }
    if succeeded.is_empty() {
        return Ok(Response::Users(UsersOutcome {
            succeeded: Vec::new(),
            failed,
        }));
    }
    // The snapshot of a new member is the same for all of them but for `me` (their heads
    // start at the channels' ends): built once, from the first.
    let info = cx.community(community_id)?;
    let base = view::snapshot(cx, info.clone(), succeeded[0].clone())?;
    let audience = cx.member_audience(community_id, None)?;
    let mut users = Vec::with_capacity(succeeded.len());
    let before = info
        .member_count
        .saturating_sub(u64::try_from(succeeded.len()).unwrap_or(u64::MAX));
    for (count, member) in (before + 1..).zip(succeeded) {
        let mut snapshot = base.clone();
        snapshot.me = member.clone();
        cx.emit_to(&member.user_id, Event::CommunityAdded { snapshot });
        cx.emit(
            audience.clone(),
            Event::MemberJoined {
                member: member.clone(),
                member_count: count,
            },
        );
        users.push(member.user_id);
    }
    announce_info(cx, community_id)?;
    Ok(Response::Users(UsersOutcome {
        succeeded: users,
        failed,
    }))
}

/// The per-user checks of an import (the community-wide count is the caller's).
fn check_importable(
    cx: &Ctx<'_>,
    community_id: &CommunityId,
    user_id: &UserId,
) -> Result<(), ApiError> {
    check_user_id(user_id.as_str())?;
    check_not_reserved(user_id)?;
    if cx.tx.member(community_id, user_id)?.is_some() {
        return Err(ApiError::new(
            ErrorCode::ALREADY_MEMBER,
            format!("{user_id:?} is a member of {community_id:?} already"),
        ));
    }
    check_not_banned(cx, community_id, user_id)?;
    check_can_join_more(cx, user_id)
}

/// An ordinary member joining now.
fn new_member(community_id: &CommunityId, user_id: &UserId, now: i64) -> MemberInfo {
    MemberInfo {
        community_id: community_id.to_owned(),
        user_id: user_id.to_owned(),
        role: Role::Member,
        nickname: String::new(),
        joined_at_ms: now,
        muted_until_ms: None,
        groups: Vec::new(),
        custom_fields: Default::default(),
    }
}

/// The system post's transaction (see [`Domain::admin_post_system`]).
fn post_system(
    cx: &mut Ctx<'_>,
    community_id: &CommunityId,
    channel_id: Option<&ChannelId>,
    text: String,
) -> Result<Response, ApiError> {
    let info = cx.community(community_id)?;
    let channel_id = channel_id.unwrap_or(&info.default_channel_id);
    // A channel, or a thread (`th_…`: `THREAD_NOT_FOUND`).
    let channel = cx.stream(community_id, channel_id)?;
    let content = MessageContent::System {
        event: ADMIN_EVENT.to_owned(),
        text,
    };
    let mentions = Mentions::default();
    cx.limits.check_message(&content, &mentions)?;
    let message = cx.tx.append_message(&NewMessage {
        community_id,
        channel_id: &channel.info.channel_id,
        sender_id: &UserId::from(String::new()),
        idempotency_key: &format!("sys-{ADMIN_EVENT}-{}", cx.now),
        content: &content,
        mentions: &mentions,
        reply_to: None,
        priority: Priority::Normal,
        created_at_ms: cx.now,
        custom_data: "",
        forwarded_from: None,
    })?;
    let audience = cx.channel_audience(&channel)?;
    cx.emit_message(audience, message.clone(), None)?;
    threads::digest::posted(cx, &channel, &message)?;
    Ok(Response::MessageSent(message))
}
