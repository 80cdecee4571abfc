//! The transport's side of large communities (§22): the `focus`, `subscribe_member_list`
//! and `unsubscribe_member_list` operations, and what a committed change means for the
//! member lists followed.
//!
//! These are live operations ([`Shared`]'s live dispatch): answered by the hub with a
//! domain read for the checks (and the rows), never under the ordering lock.
//!
//! - `focus`: the hub records the focus first (dropping the pending `channel_activity`
//!   of the place), then the domain checks the place as `get_messages` would and reads
//!   the caller's head; a refused focus puts the previous one back. So every message of
//!   the place is either in the head or arrives whole after the answer.
//! - `subscribe_member_list`: ranges checked (`invalid_member_list_range`), membership
//!   checked, then the hub's list of the community is used, or built from one read of
//!   every member (`Hub::member_list_step` drives the reads).
//! - After a change the request's own blocking thread reads back the members it
//!   touched in the lists followed ([`Shared::update_member_lists`]), in commit order.

use std::sync::Arc;

use community_protocol::focus::{Focus, Focused};
use community_protocol::member_list::SubscribeMemberList;
use community_protocol::{ApiError, ErrorCode, Response};
use community_server_domain::Handled;

use crate::hub::{ListStep, Loaded, Session};
use crate::shared::Shared;

/// Reads one subscription may need before its list is ready (a busy community may keep
/// changing while the list loads).
const LOAD_STEPS: usize = 16;

impl Shared {
    /// `focus`.
    pub(crate) async fn focus(
        self: &Arc<Self>,
        session: &Arc<Session>,
        p: Focus,
    ) -> Result<Response, ApiError> {
        let (community_id, channel_id) = match (p.community_id, p.channel_id) {
            (None, None) => {
                self.hub.set_focus(session, None);
                return Ok(Response::Focused(Focused { head: None }));
            }
            (Some(community), Some(channel)) => (community, channel),
            _ => {
                return Err(ApiError::new(
                    ErrorCode::INVALID_ARGUMENT,
                    "focus names both community_id and channel_id, or neither",
                ));
            }
        };
        let place = (community_id.clone(), channel_id.clone());
        let previous = self.hub.set_focus(session, Some(place));
        let user = session.user_id.clone();
        let read = self
            .read(move |domain| domain.focus_head(&user, &community_id, &channel_id))
            .await;
        match read {
            Ok((head, large)) => {
                self.hub.note_large([(head.community_id.clone(), large)]);
                Ok(Response::Focused(Focused { head: Some(head) }))
            }
            Err(error) => {
                self.hub.set_focus(session, previous);
                Err(error)
            }
        }
    }

    /// `subscribe_member_list`.
    pub(crate) async fn subscribe_member_list(
        self: &Arc<Self>,
        session: &Arc<Session>,
        p: SubscribeMemberList,
    ) -> Result<Response, ApiError> {
        self.config.limits.check_member_list_ranges(&p.ranges)?;
        let community = p.community_id.clone();
        let (user, at) = (session.user_id.clone(), community.clone());
        self.read(move |domain| domain.check_member(&user, &at))
            .await?;
        let mut loaded = None;
        for _ in 0..LOAD_STEPS {
            let users =
                match self
                    .hub
                    .member_list_step(session, &community, &p.ranges, loaded.take())
                {
                    ListStep::Answer(list) => return Ok(Response::MemberList(list)),
                    ListStep::LoadAll => None,
                    ListStep::Load(users) => Some(users),
                };
            let (user, at, asked) = (session.user_id.clone(), community.clone(), users.clone());
            let rows = self
                .read(move |domain| domain.member_list_rows(&user, &at, asked.as_deref()))
                .await;
            let rows = match rows {
                Ok(rows) => {
                    self.hub.note_large([(community.clone(), rows.large)]);
                    rows
                }
                Err(error) => {
                    self.hub.member_list_abandon(&community);
                    return Err(error);
                }
            };
            let mut rows = Loaded {
                all: users.is_none(),
                users: users.unwrap_or_default(),
                rows,
                built: None,
            };
            self.hub.member_list_prepare(&mut rows);
            loaded = Some(rows);
        }
        self.hub.member_list_abandon(&community);
        Err(ApiError::new(
            ErrorCode::INTERNAL,
            "the member list kept changing while it loaded; retry",
        ))
    }

    /// `unsubscribe_member_list`.
    pub(crate) fn unsubscribe_member_list(&self, session: &Session) -> Response {
        self.hub.unsubscribe_member_list(session);
        Response::Ok
    }

    /// After a committed change (on the request's blocking thread, in commit order): reads
    /// back the members it touched in the lists followed and updates them.
    pub(crate) fn update_member_lists(&self, handled: &Handled) {
        for work in self.hub.member_list_work(handled) {
            let users = (!work.all).then_some(work.users.as_slice());
            match self
                .domain
                .member_list_rows_unchecked(&work.community_id, users)
            {
                Ok(rows) => {
                    let mut loaded = Loaded {
                        all: work.all,
                        users: work.users,
                        rows,
                        built: None,
                    };
                    self.hub.member_list_prepare(&mut loaded);
                    self.hub.member_list_apply(&work.community_id, loaded);
                }
                Err(error) => {
                    tracing::error!(%error, community = %work.community_id, "member list not updated");
                }
            }
        }
    }
}
