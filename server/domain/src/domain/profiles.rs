//! Profiles: what a user shows of themselves (`set_profile`, `get_profiles`).
//!
//! `set_profile` changes only what it names: a display name or avatar URL given replaces
//! the current one (empty clears it), a field given with a value sets it, with an empty
//! value removes it; the result is checked (`Limits::check_profile`: `profile_too_large`)
//! and stamped with the request's time. A change is told (`profile_updated`) to every
//! online session of each user who shares a community or a conversation with the caller,
//! and to the caller's other sessions — each session once; a request that changes nothing
//! answers the profile as it is, without events.
//!
//! `get_profiles` answers up to 100 users: a profile for each known user asked (an empty
//! one, `updated_at_ms: 0`, for a user who never set theirs), in the order asked, each
//! once; unknown users are left out.

use std::collections::BTreeSet;

use community_protocol::request::{SetProfile, UserIds};
use community_protocol::response::ProfileList;
use community_protocol::{ApiError, Event, Profile, Response, UserId};

use super::context::Ctx;
use crate::routing::Audience;

/// Users one `get_profiles` may name.
const PROFILES_PER_REQUEST: usize = 100;

/// A user's profile as stored, or the empty one.
fn profile_of(cx: &Ctx<'_>, user_id: &UserId) -> Result<Profile, ApiError> {
    Ok(cx.tx.profile(user_id)?.unwrap_or_else(|| Profile {
        user_id: user_id.clone(),
        display_name: String::new(),
        avatar_url: String::new(),
        fields: Default::default(),
        updated_at_ms: 0,
    }))
}

/// `set_profile`.
pub(crate) fn set(cx: &mut Ctx<'_>, p: SetProfile) -> Result<Response, ApiError> {
    let current = profile_of(cx, cx.caller)?;
    let mut next = current.clone();
    if let Some(name) = &p.display_name {
        next.display_name = name.clone();
    }
    if let Some(url) = &p.avatar_url {
        next.avatar_url = url.clone();
    }
    for (key, value) in &p.fields {
        if value.is_empty() {
            next.fields.remove(key);
        } else {
            next.fields.insert(key.clone(), value.clone());
        }
    }
    cx.limits.check_profile(
        p.display_name.as_deref(),
        p.avatar_url.as_deref(),
        &p.fields,
        next.fields.len(),
    )?;
    if next == current {
        return Ok(Response::Profile(current));
    }
    next.updated_at_ms = cx.now;
    cx.tx.put_profile(&next)?;
    let contacts = cx.tx.contacts(cx.caller)?;
    let event = Event::ProfileUpdated {
        profile: next.clone(),
    };
    if !contacts.is_empty() {
        cx.emit(Audience::Users(contacts), event.clone());
    }
    cx.emit(Audience::OtherSessionsOfCaller, event);
    Ok(Response::Profile(next))
}

/// `get_profiles`.
pub(crate) fn get(cx: &mut Ctx<'_>, p: UserIds) -> Result<Response, ApiError> {
    cx.limits
        .check_user_count(p.user_ids.len(), PROFILES_PER_REQUEST)?;
    let mut seen = BTreeSet::new();
    let mut profiles = Vec::with_capacity(p.user_ids.len());
    for user_id in &p.user_ids {
        if !seen.insert(user_id) {
            continue;
        }
        if community_protocol::limits::check_user_id(user_id.as_str()).is_err()
            || !cx.tx.user_exists(user_id)?
        {
            continue;
        }
        profiles.push(profile_of(cx, user_id)?);
    }
    Ok(Response::Profiles(ProfileList { profiles }))
}
