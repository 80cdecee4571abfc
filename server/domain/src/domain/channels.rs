//! Channels: create, update (including public ↔ private, category following, mute-all),
//! delete, and the explicit members of private channels (`manage_channels` in the
//! channel). Every change tells exactly those who may view the channel; users who gain or
//! lose sight of it get `ChannelAdded` / `ChannelRemoved` ([`super::visibility`]). A new
//! channel starts with a `channel_created` system message and a rename writes
//! `channel_renamed` (when the community writes system messages), after `ChannelAdded` /
//! `ChannelUpdated`.

use std::collections::HashSet;

use community_protocol::request::{ChannelMembers, ChannelRef, CreateChannel, UpdateChannel};
use community_protocol::response::{ChannelMemberList, UsersOutcome};
use community_protocol::{
    ApiError, CategoryId, ChannelInfo, ChannelKind, ChannelRemovalReason, CommunityId, ErrorCode,
    ErrorKind, Event, FailedUser, Permissions, Response, UserId,
};

use super::context::Ctx;
use super::visibility::{self, ChannelSight};
use super::{system, view};
use crate::ids;
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

/// `create_channel` (`manage_channels`).
pub(crate) fn create(cx: &mut Ctx<'_>, p: CreateChannel) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "create_channel", None, Permissions::NONE)?;
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
        overrides: Vec::new(),
        follows_category: p.follows_category,
        mute_all: false,
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

/// `update_channel` (`manage_channels` in the channel); absent fields stay. Who sees the
/// channel may change (private, category, category following): `channel_updated` goes to
/// those who saw it before and still do, the others gain or lose it.
pub(crate) fn update(cx: &mut Ctx<'_>, p: UpdateChannel) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let record = cx.channel(&p.community_id, &p.channel_id)?;
    cx.require_op(
        &membership,
        "update_channel",
        Some(&record),
        Permissions::NONE,
    )?;
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
    if let Some(follows) = p.follows_category {
        info.follows_category = follows;
    }
    if let Some(mute_all) = p.mute_all {
        info.mute_all = mute_all;
    }
    if info == before {
        return Ok(Response::Channel(info));
    }
    let access = info.private != before.private
        || info.category_id != before.category_id
        || info.follows_category != before.follows_category;
    let sight = access
        .then(|| ChannelSight::capture(cx, &p.community_id, |r| r.info.channel_id == p.channel_id))
        .transpose()?;
    cx.tx.update_channel(&info)?;
    if access {
        cx.access_changed(&p.community_id)?;
    }
    let moved = sight
        .map(|sight| sight.settle(cx))
        .transpose()?
        .unwrap_or_default();
    let version = cx.bump_version(&p.community_id)?;
    let record = reload(cx, &info)?;
    let updated = Event::ChannelUpdated {
        channel: info.clone(),
        version,
    };
    match moved.first() {
        Some(channel) => cx.emit(channel.kept(), updated),
        None => {
            let audience = cx.channel_audience(&record)?;
            cx.emit(audience, updated);
        }
    }
    visibility::tell(cx, &moved, version)?;
    if info.name != before.name {
        let text = format!("{} renamed #{} to #{}", cx.caller, before.name, info.name);
        system::post(cx, &p.community_id, &record, system::CHANNEL_RENAMED, text)?;
    }
    Ok(Response::Channel(info))
}

/// `delete_channel` (`manage_channels` in the channel; never the default channel).
pub(crate) fn delete(cx: &mut Ctx<'_>, p: ChannelRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let record = cx.channel(&p.community_id, &p.channel_id)?;
    cx.require_op(
        &membership,
        "delete_channel",
        Some(&record),
        Permissions::NONE,
    )?;
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

/// A private channel the caller manages (`manage_channels` in it): `INVALID_ARGUMENT` for
/// a public one.
fn managed_private_channel(
    cx: &Ctx<'_>,
    p: &ChannelMembers,
    op: &str,
) -> Result<ChannelRecord, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let record = cx.channel(&p.community_id, &p.channel_id)?;
    cx.require_op(&membership, op, Some(&record), Permissions::NONE)?;
    if !record.info.private {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "only private channels have explicit members",
        ));
    }
    cx.limits.check_invitees(p.user_ids.len())?;
    Ok(record)
}

/// Captures who sees one channel before a change of its explicit members.
fn sight_of(cx: &Ctx<'_>, record: &ChannelRecord) -> Result<ChannelSight, ApiError> {
    let channel_id = record.info.channel_id.clone();
    ChannelSight::capture(cx, &record.info.community_id, move |r| {
        r.info.channel_id == channel_id
    })
}

/// `add_channel_members`: users who could not see the channel get it, reading from its
/// end.
pub(crate) fn add_members(cx: &mut Ctx<'_>, p: ChannelMembers) -> Result<Response, ApiError> {
    let record = managed_private_channel(cx, &p, "add_channel_members")?;
    let sight = sight_of(cx, &record)?;
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    for user_id in unique(p.user_ids) {
        let outcome = cx.member(&p.community_id, &user_id).and_then(|_| {
            if cx.tx.add_channel_member(&p.channel_id, &user_id)? {
                Ok(())
            } else {
                Err(ApiError::new(
                    ErrorCode::ALREADY_MEMBER,
                    "already a member of the channel",
                ))
            }
        });
        match outcome {
            Ok(()) => succeeded.push(user_id),
            Err(error) if error.kind() == ErrorKind::Server => return Err(error),
            Err(error) => failed.push(FailedUser { user_id, error }),
        }
    }
    if !succeeded.is_empty() {
        cx.access_changed(&p.community_id)?;
        let moved = sight.settle(cx)?;
        let version = cx.bump_version(&p.community_id)?;
        visibility::tell(cx, &moved, version)?;
    }
    Ok(Response::Users(UsersOutcome { succeeded, failed }))
}

/// `remove_channel_members`: those who no longer see the channel lose it.
pub(crate) fn remove_members(cx: &mut Ctx<'_>, p: ChannelMembers) -> Result<Response, ApiError> {
    let record = managed_private_channel(cx, &p, "remove_channel_members")?;
    let sight = sight_of(cx, &record)?;
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    for user_id in unique(p.user_ids) {
        if !cx.tx.remove_channel_member(&p.channel_id, &user_id)? {
            let error = ApiError::new(ErrorCode::NOT_CHANNEL_MEMBER, "not a member of the channel");
            failed.push(FailedUser { user_id, error });
            continue;
        }
        succeeded.push(user_id);
    }
    if !succeeded.is_empty() {
        cx.access_changed(&p.community_id)?;
        let moved = sight.settle(cx)?;
        let version = cx.bump_version(&p.community_id)?;
        visibility::tell(cx, &moved, version)?;
    }
    Ok(Response::Users(UsersOutcome { succeeded, failed }))
}

/// `list_channel_members`: the explicit members of a private channel the caller sees.
pub(crate) fn list_members(cx: &mut Ctx<'_>, p: ChannelRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let record = cx.channel(&p.community_id, &p.channel_id)?;
    cx.require_op(
        &membership,
        "list_channel_members",
        Some(&record),
        Permissions::NONE,
    )?;
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

fn unique(user_ids: Vec<UserId>) -> Vec<UserId> {
    let mut seen = HashSet::new();
    user_ids
        .into_iter()
        .filter(|user| seen.insert(user.clone()))
        .collect()
}
