//! Categories (owner / admin): create, rename or move, delete. Deleting one leaves its
//! channels without a category (the store's foreign key does it in the same transaction).

use community_protocol::request::{CategoryRef, CreateCategory, UpdateCategory};
use community_protocol::{ApiError, CategoryId, CategoryInfo, ErrorCode, Event, Response};

use super::context::Ctx;
use crate::ids;
use crate::routing::Audience;

fn not_found(category_id: &CategoryId) -> ApiError {
    ApiError::new(
        ErrorCode::CATEGORY_NOT_FOUND,
        format!("no category {category_id:?}"),
    )
}

/// Bumps the structure version and tells the community the category as it is now.
fn category_updated(cx: &mut Ctx<'_>, category: &CategoryInfo) -> Result<(), ApiError> {
    let version = cx.bump_version(&category.community_id)?;
    cx.emit(
        Audience::Community(category.community_id.clone()),
        Event::CategoryUpdated {
            category: category.clone(),
            version,
        },
    );
    Ok(())
}

/// `create_category`.
pub(crate) fn create(cx: &mut Ctx<'_>, p: CreateCategory) -> Result<Response, ApiError> {
    cx.membership(&p.community_id)?
        .require_manager("create categories")?;
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
    };
    cx.tx.insert_category(&category, cx.now)?;
    category_updated(cx, &category)?;
    Ok(Response::Category(category))
}

/// `update_category`: rename and/or move.
pub(crate) fn update(cx: &mut Ctx<'_>, p: UpdateCategory) -> Result<Response, ApiError> {
    cx.membership(&p.community_id)?
        .require_manager("update categories")?;
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
    cx.membership(&p.community_id)?
        .require_manager("delete categories")?;
    if !cx.tx.delete_category(&p.community_id, &p.category_id)? {
        return Err(not_found(&p.category_id));
    }
    let version = cx.bump_version(&p.community_id)?;
    cx.emit(
        Audience::Community(p.community_id.clone()),
        Event::CategoryRemoved {
            community_id: p.community_id,
            category_id: p.category_id,
            version,
        },
    );
    Ok(Response::Ok)
}
