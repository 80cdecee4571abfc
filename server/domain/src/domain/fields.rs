//! Member custom fields: app-defined key/value pairs on a membership (a team, a rank in
//! the game…), at most `max_member_fields` per member, keys and values at most
//! `member_field_bytes` each; an empty value removes a field. A member sets their own;
//! setting another's needs `manage_roles` and to rank above them. The member list filters
//! on them (`list_members.field`).

use std::collections::BTreeMap;

use community_protocol::request::SetMemberFields;
use community_protocol::{ApiError, ErrorCode, Permissions, Response};

use super::context::Ctx;
use super::members::{check_can_act_on, member_updated};

/// `set_member_fields`.
pub(crate) fn set(cx: &mut Ctx<'_>, p: SetMemberFields) -> Result<Response, ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let own = p.user_id == *cx.caller;
    if !own {
        cx.require_op(&membership, "set_member_fields", None, Permissions::NONE)?;
    }
    let target = cx.member(&p.community_id, &p.user_id)?;
    if !own {
        check_can_act_on(&membership, &target, "change the fields of")?;
    }
    if p.fields.is_empty() {
        return Err(ApiError::new(
            ErrorCode::INVALID_ARGUMENT,
            "no fields to set",
        ));
    }
    for (key, value) in &p.fields {
        cx.limits.check_member_field(key, value)?;
    }
    let mut after: BTreeMap<String, String> = target.custom_fields.clone();
    for (key, value) in &p.fields {
        if value.is_empty() {
            after.remove(key);
        } else {
            after.insert(key.clone(), value.clone());
        }
    }
    let max = cx.limits.max_member_fields;
    if after.len() > max {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_MEMBER_FIELDS,
            format!("a member has at most {max} custom fields"),
        ));
    }
    if after == target.custom_fields {
        return Ok(Response::Member(target));
    }
    for (key, value) in &p.fields {
        if target.custom_fields.get(key) != Some(value) {
            cx.tx
                .set_member_field(&p.community_id, &p.user_id, key, value)?;
        }
    }
    let member = cx.member(&p.community_id, &p.user_id)?;
    member_updated(cx, &member)?;
    Ok(Response::Member(member))
}
