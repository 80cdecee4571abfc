//! Community lifecycle and settings: create, dismiss, get, update, custom attributes,
//! notification status and the caller's joined list.

use community_protocol::limits::check_community_id;
use community_protocol::request::{
    CommunityRef, CreateCommunity, DeleteAttributes, PageQuery, SetAttributes, SetNotification,
    UpdateCommunity,
};
use community_protocol::response::AttributesOutcome;
use community_protocol::{
    ApiError, ChannelInfo, ChannelKind, CommunityId, CommunityInfo, ErrorCode, Event, FailedKey,
    Group, GroupId, MemberInfo, Page, Permissions, Response, Role, UserId,
};

use super::context::Ctx;
use super::view;
use crate::cursor::{self, CursorKind, Position};
use crate::ids;
use crate::routing::Audience;

/// Name of the channel every community starts with.
pub(crate) const DEFAULT_CHANNEL_NAME: &str = "general";
/// Name of the group every member holds.
pub(crate) const EVERYONE_NAME: &str = "@everyone";
/// Attempts at a fresh random community id before giving up (collisions of 80 random
/// bits do not happen in practice).
const ID_ATTEMPTS: usize = 8;

/// Fails with `TOO_MANY_JOINED` when `user_id` cannot join one more community.
pub(crate) fn check_can_join_more(cx: &Ctx<'_>, user_id: &UserId) -> Result<(), ApiError> {
    let limit = u64::from(cx.limits.max_joined_communities);
    if cx.tx.joined_count(user_id)? >= limit {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_JOINED,
            format!("{user_id:?} has joined the maximum of {limit} communities"),
        ));
    }
    Ok(())
}

/// `create_community`: the caller becomes the owner; a default channel and the
/// `@everyone` group (`Permissions::EVERYONE_DEFAULT`) are created.
pub(crate) fn create(cx: &mut Ctx<'_>, p: CreateCommunity) -> Result<Response, ApiError> {
    cx.limits.check_community_name(&p.name)?;
    cx.limits.check_avatar_url(&p.avatar_url)?;
    cx.limits.check_community_notice(&p.notice)?;
    if p.attributes.len() > cx.limits.max_attributes {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_ATTRIBUTES,
            format!(
                "{} attributes exceed {}",
                p.attributes.len(),
                cx.limits.max_attributes
            ),
        ));
    }
    for (key, value) in &p.attributes {
        cx.limits.check_attribute(key, value)?;
    }
    let community_id = match p.community_id {
        Some(id) => {
            check_community_id(id.as_str())?;
            if cx.tx.community(&id)?.is_some() {
                return Err(ApiError::new(
                    ErrorCode::COMMUNITY_EXISTS,
                    format!("community {id:?} exists"),
                ));
            }
            id
        }
        None => fresh_community_id(cx)?,
    };
    check_can_join_more(cx, cx.caller)?;

    let default_channel = ChannelInfo {
        community_id: community_id.clone(),
        channel_id: ids::generate(ids::CHANNEL_PREFIX),
        name: DEFAULT_CHANNEL_NAME.to_owned(),
        introduction: String::new(),
        notice: String::new(),
        custom: String::new(),
        kind: ChannelKind::Text,
        category_id: None,
        position: 0,
        private: false,
        is_default: true,
        created_at_ms: cx.now,
        overrides: Vec::new(),
        follows_category: false,
        mute_all: false,
    };
    let info = CommunityInfo {
        community_id: community_id.clone(),
        name: p.name,
        avatar_url: p.avatar_url,
        notice: p.notice,
        owner_id: cx.caller.to_owned(),
        join_policy: p.join_policy,
        mute_all: false,
        member_count: 0,
        attributes: p.attributes,
        default_channel_id: default_channel.channel_id.clone(),
        created_at_ms: cx.now,
        version: 1,
        system_messages: p.system_messages.unwrap_or(true),
    };
    cx.tx.insert_community(&info)?;
    cx.tx.insert_group(&Group {
        community_id: community_id.clone(),
        group_id: GroupId::everyone(),
        name: EVERYONE_NAME.to_owned(),
        color: 0,
        position: 0,
        mentionable: false,
        permissions: Permissions::EVERYONE_DEFAULT,
    })?;
    cx.tx.insert_channel(&default_channel)?;
    let owner = MemberInfo {
        community_id: community_id.clone(),
        user_id: cx.caller.to_owned(),
        role: Role::Owner,
        nickname: String::new(),
        joined_at_ms: cx.now,
        muted_until_ms: None,
        groups: Vec::new(),
        custom_fields: Default::default(),
    };
    cx.tx.insert_member(&owner)?;
    cx.tx
        .start_reading(cx.caller, &default_channel.channel_id)?;
    cx.membership_changed(&community_id, cx.caller, true);

    let info = cx.community(&community_id)?;
    let snapshot = view::snapshot(cx, info, owner)?;
    cx.emit_to(
        cx.caller,
        Event::CommunityAdded {
            snapshot: snapshot.clone(),
        },
    );
    Ok(Response::Community(snapshot))
}

fn fresh_community_id(cx: &Ctx<'_>) -> Result<CommunityId, ApiError> {
    for _ in 0..ID_ATTEMPTS {
        let id = ids::generate(ids::COMMUNITY_PREFIX);
        if cx.tx.community(&id)?.is_none() {
            return Ok(id);
        }
    }
    Err(ApiError::new(
        ErrorCode::INTERNAL,
        "could not generate a free community id",
    ))
}

/// `dismiss_community`: the owner deletes everything; every member loses it.
pub(crate) fn dismiss(cx: &mut Ctx<'_>, p: CommunityRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    membership.require_owner("dismiss the community")?;
    let members = cx.tx.member_ids(&p.community_id)?;
    cx.tx.delete_community(&p.community_id)?;
    for user_id in &members {
        cx.membership_changed(&p.community_id, user_id, false);
    }
    cx.emit(
        Audience::Users(members),
        Event::CommunityRemoved {
            community_id: p.community_id,
            reason: community_protocol::RemovalReason::Dismissed,
        },
    );
    Ok(Response::Ok)
}

/// `get_community`: the caller's snapshot.
pub(crate) fn get(cx: &mut Ctx<'_>, p: CommunityRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    Ok(Response::Community(view::snapshot(
        cx,
        membership.info,
        membership.me,
    )?))
}

/// `update_community`: name, avatar, notice, join policy, system-message switch
/// (`manage_community`).
pub(crate) fn update(cx: &mut Ctx<'_>, p: UpdateCommunity) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "update_community", None, Permissions::NONE)?;
    let mut info = membership.info;
    let before = info.clone();
    if let Some(name) = p.name {
        cx.limits.check_community_name(&name)?;
        info.name = name;
    }
    if let Some(avatar_url) = p.avatar_url {
        cx.limits.check_avatar_url(&avatar_url)?;
        info.avatar_url = avatar_url;
    }
    if let Some(notice) = p.notice {
        cx.limits.check_community_notice(&notice)?;
        info.notice = notice;
    }
    if let Some(policy) = p.join_policy {
        info.join_policy = policy;
    }
    if let Some(system_messages) = p.system_messages {
        info.system_messages = system_messages;
    }
    if info != before {
        cx.save_structure(&mut info)?;
        cx.emit(
            Audience::Community(info.community_id.clone()),
            Event::CommunityUpdated { info: info.clone() },
        );
    }
    Ok(Response::CommunityInfo(info))
}

/// `set_attributes` (`manage_community`): keys that fail are reported one by one, the
/// others are set.
pub(crate) fn set_attributes(cx: &mut Ctx<'_>, p: SetAttributes) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "set_attributes", None, Permissions::NONE)?;
    if p.attributes.is_empty() {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "no attributes to set",
        ));
    }
    let mut info = membership.info;
    let mut failed = Vec::new();
    let mut changed = false;
    for (key, value) in p.attributes {
        if let Err(error) = cx.limits.check_attribute(&key, &value) {
            failed.push(FailedKey { key, error });
            continue;
        }
        let is_new = !info.attributes.contains_key(&key);
        if is_new && info.attributes.len() >= cx.limits.max_attributes {
            let error = ApiError::new(
                ErrorCode::TOO_MANY_ATTRIBUTES,
                format!(
                    "the community has the maximum of {} attributes",
                    cx.limits.max_attributes
                ),
            );
            failed.push(FailedKey { key, error });
            continue;
        }
        if info.attributes.get(&key) != Some(&value) {
            cx.tx.set_attribute(&info.community_id, &key, &value)?;
            info.attributes.insert(key, value);
            changed = true;
        }
    }
    if changed {
        attributes_changed(cx, &mut info)?;
    }
    Ok(Response::Attributes(AttributesOutcome {
        attributes: info.attributes,
        failed,
    }))
}

/// `delete_attributes` (`manage_community`): deleting a key that does not exist is not an
/// error.
pub(crate) fn delete_attributes(
    cx: &mut Ctx<'_>,
    p: DeleteAttributes,
) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "delete_attributes", None, Permissions::NONE)?;
    if p.keys.is_empty() {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "no attributes to delete",
        ));
    }
    let mut info = membership.info;
    let mut changed = false;
    for key in &p.keys {
        if cx.tx.delete_attribute(&info.community_id, key)? {
            info.attributes.remove(key);
            changed = true;
        }
    }
    if changed {
        attributes_changed(cx, &mut info)?;
    }
    Ok(Response::Attributes(AttributesOutcome {
        attributes: info.attributes,
        failed: Vec::new(),
    }))
}

fn attributes_changed(cx: &mut Ctx<'_>, info: &mut CommunityInfo) -> Result<(), ApiError> {
    let version = cx.save_structure(info)?;
    cx.emit(
        Audience::Community(info.community_id.clone()),
        Event::AttributesChanged {
            community_id: info.community_id.clone(),
            attributes: info.attributes.clone(),
            version,
        },
    );
    Ok(())
}

/// `set_notification`: per user and community; the caller's other devices are told.
pub(crate) fn set_notification(cx: &mut Ctx<'_>, p: SetNotification) -> Result<Response, ApiError> {
    cx.membership(&p.community_id)?;
    if cx.tx.notification(cx.caller, &p.community_id)? != p.status {
        cx.tx
            .set_notification(cx.caller, &p.community_id, p.status)?;
        cx.emit(
            Audience::OtherSessionsOfCaller,
            Event::NotificationChanged {
                community_id: p.community_id,
                status: p.status,
            },
        );
    }
    Ok(Response::Ok)
}

/// `list_joined_communities`: by join time, paged with an opaque cursor.
pub(crate) fn list_joined(cx: &mut Ctx<'_>, p: PageQuery) -> Result<Response, ApiError> {
    let limit = cx.limits.page_size(p.limit)?;
    let after = cursor::decode_optional(CursorKind::Joined, p.cursor.as_deref())?;
    let rows = cx.tx.joined_page(
        cx.caller,
        after.as_ref().map(|a| (a.at_ms, a.id.as_str())),
        limit.saturating_add(1),
    )?;
    let (rows, next_cursor) =
        cursor::cut_page(rows, limit, CursorKind::Joined, |(at_ms, id)| Position {
            at_ms: *at_ms,
            id: id.to_string(),
        });
    let mut items = Vec::with_capacity(rows.len());
    for (_, community_id) in rows {
        items.push(cx.community(&community_id)?);
    }
    Ok(Response::Communities(Page { items, next_cursor }))
}
