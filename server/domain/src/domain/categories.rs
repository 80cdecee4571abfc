//! Categories (`manage_channels`): create, rename or move, delete. Deleting one leaves its
//! channels without a category (the store's foreign key does it in the same transaction);
//! its channels that followed its overrides fall back to their own, so who sees them may
//! change (see [`super::visibility`]). A category's overrides are set in
//! [`super::overrides`].

use community_protocol::request::{CategoryRef, CreateCategory, UpdateCategory};
use community_protocol::{
    ApiError, CategoryId, CategoryInfo, ErrorCode, Event, Permissions, Response,
};

use super::context::Ctx;
use super::visibility::{self, ChannelSight};
use crate::ids;
use crate::routing::Audience;

fn not_found(category_id: &CategoryId) -> ApiError {
    ApiError::new(
        ErrorCode::CATEGORY_NOT_FOUND,
        format!("no category {category_id:?}"),
    )
}

/// Bumps the structure version and tells the community the category as it is now;
/// returns the version.
pub(crate) fn category_updated(cx: &mut Ctx<'_>, category: &CategoryInfo) -> Result<u64, ApiError> {
    let version = cx.bump_version(&category.community_id)?;
    cx.emit(
        Audience::Community(category.community_id.clone()),
        Event::CategoryUpdated {
            category: category.clone(),
            version,
        },
    );
    Ok(version)
}

/// `create_category`.
pub(crate) fn create(cx: &mut Ctx<'_>, p: CreateCategory) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "create_category", None, Permissions::NONE)?;
    cx.limits.check_channel_name(&p.name)?;
    let position = match p.position {
        Some(position) => position,
        None => cx.tx.next_category_position(&p.community_id)?,
    };
    let category = CategoryInfo {
        community_id: p.community_id.clone(),
        category_id: ids::generate(ids::CATEGORY_PREFIX),
        name: p.name,
        position,
        overrides: Vec::new(),
    };
    cx.tx.insert_category(&category, cx.now)?;
    category_updated(cx, &category)?;
    Ok(Response::Category(category))
}

/// `update_category`: rename and/or move.
pub(crate) fn update(cx: &mut Ctx<'_>, p: UpdateCategory) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "update_category", None, Permissions::NONE)?;
    let before = cx
        .tx
        .category(&p.community_id, &p.category_id)?
        .ok_or_else(|| not_found(&p.category_id))?;
    let mut category = before.clone();
    if let Some(name) = p.name {
        cx.limits.check_channel_name(&name)?;
        category.name = name;
    }
    if let Some(position) = p.position {
        category.position = position;
    }
    if category != before {
        cx.tx.update_category(&category)?;
        category_updated(cx, &category)?;
    }
    Ok(Response::Category(category))
}

/// `delete_category`.
pub(crate) fn delete(cx: &mut Ctx<'_>, p: CategoryRef) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    cx.require_op(&membership, "delete_category", None, Permissions::NONE)?;
    let followers = |record: &crate::store::ChannelRecord| {
        record.info.follows_category && record.info.category_id.as_ref() == Some(&p.category_id)
    };
    let sight = ChannelSight::capture(cx, &p.community_id, followers)?;
    if !cx.tx.delete_category(&p.community_id, &p.category_id)? {
        return Err(not_found(&p.category_id));
    }
    cx.access_changed(&p.community_id)?;
    let moved = sight.settle(cx)?;
    let version = cx.bump_version(&p.community_id)?;
    cx.emit(
        Audience::Community(p.community_id.clone()),
        Event::CategoryRemoved {
            community_id: p.community_id,
            category_id: p.category_id,
            version,
        },
    );
    visibility::tell(cx, &moved, version)?;
    Ok(Response::Ok)
}
