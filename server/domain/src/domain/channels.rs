//! Channels: create, update (including public ↔ private), delete, and the explicit
//! members of private channels. Every change tells exactly those who can see the channel;
//! users who gain or lose sight of a private channel get `ChannelAdded` / `ChannelRemoved`.
//! A new channel starts with a `channel_created` system message and a rename writes
//! `channel_renamed` (when the community writes system messages), after `ChannelAdded` /
//! `ChannelUpdated`.

use std::collections::HashSet;

use community_protocol::request::{ChannelMembers, ChannelRef, CreateChannel, UpdateChannel};
use community_protocol::response::{ChannelMemberList, UsersOutcome};
use community_protocol::{
    ApiError, CategoryId, ChannelInfo, ChannelKind, ChannelRemovalReason, CommunityId, ErrorCode,
    ErrorKind, Event, FailedUser, MemberInfo, Response, Role, UserId,
};

use super::context::{Ctx, Membership};
use super::{system, view};
use crate::ids;
use crate::routing::Audience;
use crate::store::ChannelRecord;

fn protected(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::DEFAULT_CHANNEL_PROTECTED,
        format!("the default channel cannot be {what}"),
    )
}

/// Refuses a channel kind this server does not know (what a client decodes from a newer
/// server's `kind` is `unknown`; it cannot be created here).
fn check_kind(kind: ChannelKind) -> Result<(), ApiError> {
    match kind {
        ChannelKind::Text | ChannelKind::Voice | ChannelKind::Announcement => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "a channel kind must be text, voice or announcement",
        )),
    }
}

/// Resolves a category argument: `""` means none; anything else must exist.
fn category_arg(
    cx: &Ctx<'_>,
    community_id: &CommunityId,
    category_id: Option<CategoryId>,
) -> Result<Option<CategoryId>, ApiError> {
    match category_id {
        None => Ok(None),
        Some(id) if id.is_empty() => Ok(None),
        Some(id) => match cx.tx.category(community_id, &id)? {
            Some(_) => Ok(Some(id)),
            None => Err(ApiError::new(
                ErrorCode::CATEGORY_NOT_FOUND,
                format!("no category {id:?}"),
            )),
        },
    }
}

/// The channel as it is now (with its counters), for events.
fn reload(cx: &Ctx<'_>, info: &ChannelInfo) -> Result<ChannelRecord, ApiError> {
    cx.channel(&info.community_id, &info.channel_id)
}

/// `create_channel` (owner / admin).
pub(crate) fn create(cx: &mut Ctx<'_>, p: CreateChannel) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    membership.require_manager("create channels")?;
    cx.limits.check_channel_name(&p.name)?;
    cx.limits.check_channel_intro(&p.introduction)?;
    cx.limits.check_channel_notice(&p.notice)?;
    check_kind(p.kind)?;
    let category_id = category_arg(cx, &p.community_id, p.category_id)?;
    let max = u64::from(cx.limits.max_channels_per_community);
    if cx.tx.channel_count(&p.community_id)? >= max {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_CHANNELS,
            format!("the community has the maximum of {max} channels"),
        ));
    }
    if !p.private && !p.member_ids.is_empty() {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "member_ids only apply to private channels",
        ));
    }
    if p.member_ids.len() > cx.limits.max_invitees {
        cx.limits.check_invitees(p.member_ids.len())?;
    }
    for user_id in &p.member_ids {
        cx.member(&p.community_id, user_id)?;
    }
    let position = match p.position {
        Some(position) => position,
        None => cx
            .tx
            .next_channel_position(&p.community_id, category_id.as_ref())?,
    };
    let info = ChannelInfo {
        community_id: p.community_id.clone(),
        channel_id: ids::generate(ids::CHANNEL_PREFIX),
        name: p.name,
        introduction: p.introduction,
        notice: p.notice,
        custom: p.custom,
        kind: p.kind,
        category_id,
        position,
        private: p.private,
        is_default: false,
        created_at_ms: cx.now,
    };
    cx.tx.insert_channel(&info)?;
    for user_id in &p.member_ids {
        cx.tx.add_channel_member(&info.channel_id, user_id)?;
    }
    let version = cx.bump_version(&p.community_id)?;
    let record = reload(cx, &info)?;
    let audience = cx.channel_audience(&record)?;
    let head = view::fresh_head(&record);
    cx.emit(
        audience,
        Event::ChannelAdded {
            channel: info.clone(),
            head,
            version,
        },
    );
    let text = format!("{} created #{}", cx.caller, info.name);
    system::post(cx, &p.community_id, &record, system::CHANNEL_CREATED, text)?;
    Ok(Response::Channel(info))
}

/// `update_channel` (owner / admin); absent fields stay.
pub(crate) fn update(cx: &mut Ctx<'_>, p: UpdateChannel) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    membership.require_manager("update channels")?;
    let record = cx.channel(&p.community_id, &p.channel_id)?;
    let before = record.info.clone();
    let mut info = record.info.clone();
    if let Some(name) = p.name {
        cx.limits.check_channel_name(&name)?;
        info.name = name;
    }
    if let Some(introduction) = p.introduction {
        cx.limits.check_channel_intro(&introduction)?;
        info.introduction = introduction;
    }
    if let Some(notice) = p.notice {
        cx.limits.check_channel_notice(&notice)?;
        info.notice = notice;
    }
    if let Some(custom) = p.custom {
        info.custom = custom;
    }
    if p.category_id.is_some() {
        info.category_id = category_arg(cx, &p.community_id, p.category_id)?;
    }
    if let Some(position) = p.position {
        info.position = position;
    }
    if let Some(private) = p.private {
        if private && info.is_default {
            return Err(protected("made private"));
        }
        info.private = private;
    }
    if info == before {
        return Ok(Response::Channel(info));
    }
    let audience_before = cx.channel_audience(&record)?;
    cx.tx.update_channel(&info)?;
    let version = cx.bump_version(&p.community_id)?;
    let record = reload(cx, &info)?;
    let updated = Event::ChannelUpdated {
        channel: info.clone(),
        version,
    };
    match (audience_before, cx.channel_audience(&record)?) {
        // Public → private: members who are not viewers now lose it.
        (Audience::Community(_), Audience::Users(kept)) => {
            let lost = members_except(cx, &info.community_id, &kept)?;
            for user_id in &lost {
                cx.tx.forget_reading(user_id, &info.channel_id)?;
            }
            cx.emit(Audience::Users(kept), updated);
            cx.emit(Audience::Users(lost), revoked(&info, version));
        }
        // Private → public: members who were not viewers gain it.
        (Audience::Users(had), Audience::Community(_)) => {
            let gained = members_except(cx, &info.community_id, &had)?;
            cx.tx
                .start_reading_all(&info.community_id, &info.channel_id)?;
            cx.emit(Audience::Users(had), updated);
            let head = view::fresh_head(&record);
            cx.emit(
                Audience::Users(gained),
                Event::ChannelAdded {
                    channel: info.clone(),
                    head,
                    version,
                },
            );
        }
        (_, after) => cx.emit(after, updated),
    }
    if info.name != before.name {
        let text = format!("{} renamed #{} to #{}", cx.caller, before.name, info.name);
        system::post(cx, &p.community_id, &record, system::CHANNEL_RENAMED, text)?;
    }
    Ok(Response::Channel(info))
}

/// The members of a community who are not in `excluded`.
fn members_except(
    cx: &Ctx<'_>,
    community_id: &CommunityId,
    excluded: &[UserId],
) -> Result<Vec<UserId>, ApiError> {
    let excluded: HashSet<&UserId> = excluded.iter().collect();
    Ok(cx
        .tx
        .member_ids(community_id)?
        .into_iter()
        .filter(|user| !excluded.contains(user))
        .collect())
}

fn revoked(info: &ChannelInfo, version: u64) -> Event {
    Event::ChannelRemoved {
        community_id: info.community_id.clone(),
        channel_id: info.channel_id.clone(),
        reason: ChannelRemovalReason::AccessRevoked,
        version,
    }
}

/// `delete_channel` (owner / admin; never the default channel).
pub(crate) fn delete(cx: &mut Ctx<'_>, p: ChannelRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    membership.require_manager("delete channels")?;
    let record = cx.channel(&p.community_id, &p.channel_id)?;
    if record.info.is_default {
        return Err(protected("deleted"));
    }
    let audience = cx.channel_audience(&record)?;
    cx.tx.delete_channel(&p.channel_id)?;
    let version = cx.bump_version(&p.community_id)?;
    cx.emit(
        audience,
        Event::ChannelRemoved {
            community_id: p.community_id,
            channel_id: p.channel_id,
            reason: ChannelRemovalReason::Deleted,
            version,
        },
    );
    Ok(Response::Ok)
}

/// A private channel the caller manages: `INVALID_ARGUMENT` for a public one.
fn managed_private_channel(
    cx: &Ctx<'_>,
    p: &ChannelMembers,
) -> Result<(Membership, ChannelRecord), ApiError> {
    let membership = cx.membership(&p.community_id)?;
    membership.require_manager("manage channel members")?;
    let record = cx.channel(&p.community_id, &p.channel_id)?;
    if !record.info.private {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "only private channels have explicit members",
        ));
    }
    cx.limits.check_invitees(p.user_ids.len())?;
    Ok((membership, record))
}

/// `add_channel_members` (owner / admin): users who could not see the channel get it.
pub(crate) fn add_members(cx: &mut Ctx<'_>, p: ChannelMembers) -> Result<Response, ApiError> {
    let (_, record) = managed_private_channel(cx, &p)?;
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    let mut gained = Vec::new();
    for user_id in unique(p.user_ids) {
        let outcome = cx.member(&p.community_id, &user_id).and_then(|member| {
            if cx.tx.add_channel_member(&p.channel_id, &user_id)? {
                Ok(member)
            } else {
                Err(ApiError::new(
                    ErrorCode::ALREADY_MEMBER,
                    "already a member of the channel",
                ))
            }
        });
        match outcome {
            Ok(member) => {
                if member.role == Role::Member {
                    cx.tx.start_reading(&user_id, &p.channel_id)?;
                    gained.push(user_id.clone());
                }
                succeeded.push(user_id);
            }
            Err(error) if error.kind() == ErrorKind::Server => return Err(error),
            Err(error) => failed.push(FailedUser { user_id, error }),
        }
    }
    if !succeeded.is_empty() {
        let version = cx.bump_version(&p.community_id)?;
        for user_id in gained {
            let head = view::head(cx, &user_id, &record)?;
            cx.emit_to(
                &user_id,
                Event::ChannelAdded {
                    channel: record.info.clone(),
                    head,
                    version,
                },
            );
        }
    }
    Ok(Response::Users(UsersOutcome { succeeded, failed }))
}

/// `remove_channel_members` (owner / admin): ordinary members lose sight of the channel.
pub(crate) fn remove_members(cx: &mut Ctx<'_>, p: ChannelMembers) -> Result<Response, ApiError> {
    let (_, record) = managed_private_channel(cx, &p)?;
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    let mut lost = Vec::new();
    for user_id in unique(p.user_ids) {
        if !cx.tx.remove_channel_member(&p.channel_id, &user_id)? {
            let error = ApiError::new(ErrorCode::NOT_CHANNEL_MEMBER, "not a member of the channel");
            failed.push(FailedUser { user_id, error });
            continue;
        }
        let still_sees = cx
            .tx
            .member(&p.community_id, &user_id)?
            .is_some_and(|member| member.role >= Role::Admin);
        if !still_sees {
            cx.tx.forget_reading(&user_id, &p.channel_id)?;
            lost.push(user_id.clone());
        }
        succeeded.push(user_id);
    }
    if !succeeded.is_empty() {
        let version = cx.bump_version(&p.community_id)?;
        if !lost.is_empty() {
            cx.emit(Audience::Users(lost), revoked(&record.info, version));
        }
    }
    Ok(Response::Users(UsersOutcome { succeeded, failed }))
}

/// `list_channel_members`: the explicit members of a private channel the caller sees.
pub(crate) fn list_members(cx: &mut Ctx<'_>, p: ChannelRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let record = cx.visible_channel(&membership, &p.channel_id)?;
    if !record.info.private {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "only private channels have explicit members",
        ));
    }
    Ok(Response::ChannelMembers(ChannelMemberList {
        user_ids: cx.tx.channel_member_ids(&p.channel_id)?,
    }))
}

/// After a role change of one member: private channels they gained or lost sight of.
pub(crate) fn private_access_changed(
    cx: &mut Ctx<'_>,
    before: &MemberInfo,
    after: &MemberInfo,
    version: u64,
) -> Result<(), ApiError> {
    let was_manager = before.role >= Role::Admin;
    let is_manager = after.role >= Role::Admin;
    if was_manager == is_manager {
        return Ok(());
    }
    for record in cx.tx.channels(&after.community_id)? {
        if !record.info.private
            || cx
                .tx
                .is_channel_member(&record.info.channel_id, &after.user_id)?
        {
            continue;
        }
        if is_manager {
            cx.tx
                .start_reading(&after.user_id, &record.info.channel_id)?;
            let head = view::head(cx, &after.user_id, &record)?;
            cx.emit_to(
                &after.user_id,
                Event::ChannelAdded {
                    channel: record.info,
                    head,
                    version,
                },
            );
        } else {
            cx.tx
                .forget_reading(&after.user_id, &record.info.channel_id)?;
            cx.emit_to(&after.user_id, revoked(&record.info, version));
        }
    }
    Ok(())
}

fn unique(user_ids: Vec<UserId>) -> Vec<UserId> {
    let mut seen = HashSet::new();
    user_ids
        .into_iter()
        .filter(|user| seen.insert(user.clone()))
        .collect()
}
