//! [`Domain`]: the entry point the transport calls. It owns the store, the limits, the
//! clock and the rate limiter, and dispatches each request to the module of its concern.

use std::path::Path;
use std::sync::Arc;

mod access;
mod app_admin;
mod audience;
mod bans;
mod categories;
mod changes;
mod channels;
mod communities;
mod context;
mod conversations;
mod edits;
mod fields;
mod groups;
mod holders;
mod large;
mod live;
mod members;
mod membership;
mod messages;
mod overrides;
mod pins;
mod profiles;
mod push;
mod push_targets;
mod reactions;
mod reads;
mod search;
mod system;
mod threads;
mod view;
mod viewer_cache;
mod visibility;

#[cfg(test)]
mod tests;

use community_protocol::{
    ApiError, ChannelId, CommunityId, ErrorCode, Limits, Request, Response, UserId,
};

pub use app_admin::{ADMIN_EVENT, IMPORT_BATCH_MAX};
use context::Ctx;
pub use large::MemberListRows;
use viewer_cache::ViewerCache;

use crate::StoreError;
use crate::clock::{Clock, SystemClock};
use crate::rate::RateLimiter;
use crate::routing::Handled;
use crate::store::Store;
use crate::store::sqlite::{SqliteOptions, SqliteStore};

/// The server's domain: every operation of protocol v1 with its rules, over storage.
///
/// It is `Send + Sync`; the transport shares it in an `Arc` and calls it from blocking
/// threads (every call may wait on SQLite).
pub struct Domain {
    store: Box<dyn Store>,
    limits: Limits,
    clock: Arc<dyn Clock>,
    rate: RateLimiter,
    viewers: ViewerCache,
}

impl Domain {
    /// Opens (creating if needed) `<data_dir>/community.db` with the default SQLite
    /// options and runs the numbered migrations.
    pub fn open(data_dir: &Path, limits: Limits) -> Result<Domain, StoreError> {
        Self::open_with(data_dir, limits, &SqliteOptions::default())
    }

    /// Like [`Domain::open`], with explicit SQLite options (durability, readers).
    pub fn open_with(
        data_dir: &Path,
        limits: Limits,
        options: &SqliteOptions,
    ) -> Result<Domain, StoreError> {
        let store = SqliteStore::open(data_dir, options)?;
        Ok(Self::with_parts(
            Box::new(store),
            limits,
            Arc::new(SystemClock),
        ))
    }

    /// A domain over another storage engine (the store must already be migrated).
    pub fn with_store(store: Box<dyn Store>, limits: Limits) -> Domain {
        Self::with_parts(store, limits, Arc::new(SystemClock))
    }

    /// Whether the store answers: one empty read transaction (a round trip to the
    /// database for PostgreSQL). Blocking. `/healthz` asks it.
    pub fn check_storage(&self) -> Result<(), ApiError> {
        self.store.read("check_storage", |_| Ok(()))
    }

    /// A domain over any store, limits and clock (tests use a hand-moved clock).
    pub(crate) fn with_parts(
        store: Box<dyn Store>,
        limits: Limits,
        clock: Arc<dyn Clock>,
    ) -> Domain {
        Domain {
            store,
            limits,
            clock,
            rate: RateLimiter::default(),
            viewers: ViewerCache::default(),
        }
    }

    /// The deployment's limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Carries out one request for an authenticated caller (blocking: SQLite).
    ///
    /// `login`, `refresh_token` and `logout` belong to the transport and are answered with
    /// `INVALID_ARGUMENT`.
    pub fn handle(&self, caller: &UserId, request: Request) -> Result<Handled, ApiError> {
        let op = request.op();
        let _span = tracing::debug_span!("handle", caller = caller.as_str(), op).entered();
        app_admin::check_op(caller, op)?;
        match request {
            Request::Login(_) | Request::RefreshToken(_) | Request::Logout(_) => {
                Err(ApiError::new(
                    ErrorCode::INVALID_ARGUMENT,
                    format!("{op} is handled by the transport, not the domain"),
                ))
            }
            // Queries: a read transaction on a reader connection.
            Request::Sync(p) => self.read(op, caller, |cx| reads::sync(cx, p)),
            Request::GetCommunity(p) => self.read(op, caller, |cx| communities::get(cx, p)),
            Request::ListJoinedCommunities(p) => {
                self.read(op, caller, |cx| communities::list_joined(cx, p))
            }
            Request::ListJoinRequests(p) => {
                self.read(op, caller, |cx| membership::list_requests(cx, p))
            }
            Request::ListMembers(p) => self.read(op, caller, |cx| members::list(cx, p)),
            Request::ListChannelMembers(p) => {
                self.read(op, caller, |cx| channels::list_members(cx, p))
            }
            Request::GetMessages(p) => self.read(op, caller, |cx| messages::get(cx, p)),
            Request::GetHeads(p) => self.read(op, caller, |cx| reads::get_heads(cx, p)),
            Request::ListPins(p) => self.read(op, caller, |cx| pins::list(cx, p)),
            Request::GetChanges(p) => self.read(op, caller, |cx| changes::get(cx, p)),
            Request::ListBans(p) => self.read(op, caller, |cx| bans::list(cx, p)),
            Request::GetThread(p) => self.read(op, caller, |cx| threads::lists::get(cx, p)),
            Request::ListThreads(p) => self.read(op, caller, |cx| threads::lists::list(cx, p)),
            Request::ListJoinedThreads(p) => {
                self.read(op, caller, |cx| threads::lists::list_joined(cx, p))
            }
            Request::GetProfiles(p) => self.read(op, caller, |cx| profiles::get(cx, p)),
            Request::ListConversations(p) => {
                self.read(op, caller, |cx| conversations::lists::list(cx, p))
            }
            Request::ListBlocked(_) => self.read(op, caller, conversations::policy::list_blocked),
            Request::SearchMessages(p) => {
                self.read_indexed(op, caller, |cx| search::messages(cx, p))
            }
            Request::SearchChannels(p) => {
                self.read(op, caller, |cx| search::names::channels(cx, p))
            }
            Request::SearchCommunities(p) => {
                self.read(op, caller, |cx| search::names::communities(cx, p))
            }
            // Changes: one write transaction each.
            Request::CreateCommunity(p) => self.write(op, caller, |cx| communities::create(cx, p)),
            Request::DismissCommunity(p) => {
                self.write(op, caller, |cx| communities::dismiss(cx, p))
            }
            Request::JoinCommunity(p) => self.write(op, caller, |cx| membership::join(cx, p)),
            Request::LeaveCommunity(p) => self.write(op, caller, |cx| membership::leave(cx, p)),
            Request::InviteMembers(p) => self.write(op, caller, |cx| membership::invite(cx, p)),
            Request::DecideJoinRequest(p) => self.write(op, caller, |cx| membership::decide(cx, p)),
            Request::UpdateCommunity(p) => self.write(op, caller, |cx| communities::update(cx, p)),
            Request::SetAttributes(p) => {
                self.write(op, caller, |cx| communities::set_attributes(cx, p))
            }
            Request::DeleteAttributes(p) => {
                self.write(op, caller, |cx| communities::delete_attributes(cx, p))
            }
            Request::SetNotification(p) => {
                self.write(op, caller, |cx| communities::set_notification(cx, p))
            }
            Request::SetMemberRole(p) => self.write(op, caller, |cx| members::set_role(cx, p)),
            Request::KickMember(p) => self.write(op, caller, |cx| members::kick(cx, p)),
            Request::TransferOwnership(p) => self.write(op, caller, |cx| members::transfer(cx, p)),
            Request::MuteMember(p) => self.write(op, caller, |cx| members::mute(cx, p)),
            Request::SetMuteAll(p) => self.write(op, caller, |cx| members::mute_all(cx, p)),
            Request::SetNickname(p) => self.write(op, caller, |cx| members::nickname(cx, p)),
            Request::CreateChannel(p) => self.write(op, caller, |cx| channels::create(cx, p)),
            Request::UpdateChannel(p) => self.write(op, caller, |cx| channels::update(cx, p)),
            Request::DeleteChannel(p) => self.write(op, caller, |cx| channels::delete(cx, p)),
            Request::AddChannelMembers(p) => {
                self.write(op, caller, |cx| channels::add_members(cx, p))
            }
            Request::RemoveChannelMembers(p) => {
                self.write(op, caller, |cx| channels::remove_members(cx, p))
            }
            Request::CreateCategory(p) => self.write(op, caller, |cx| categories::create(cx, p)),
            Request::UpdateCategory(p) => self.write(op, caller, |cx| categories::update(cx, p)),
            Request::DeleteCategory(p) => self.write(op, caller, |cx| categories::delete(cx, p)),
            Request::SendMessage(p) => self.write(op, caller, |cx| messages::send(cx, p)),
            Request::MarkRead(p) => self.write(op, caller, |cx| reads::mark_read(cx, p)),
            Request::HideMessage(p) => self.write(op, caller, |cx| reads::hide(cx, p)),
            Request::EditMessage(p) => self.write(op, caller, |cx| edits::edit(cx, p)),
            Request::RecallMessage(p) => self.write(op, caller, |cx| edits::recall(cx, p)),
            Request::AddReaction(p) => self.write(op, caller, |cx| reactions::add(cx, p)),
            Request::RemoveReaction(p) => self.write(op, caller, |cx| reactions::remove(cx, p)),
            Request::PinMessage(p) => self.write(op, caller, |cx| pins::pin(cx, p)),
            Request::UnpinMessage(p) => self.write(op, caller, |cx| pins::unpin(cx, p)),
            Request::CreateGroup(p) => self.write(op, caller, |cx| groups::create(cx, p)),
            Request::UpdateGroup(p) => self.write(op, caller, |cx| groups::update(cx, p)),
            Request::DeleteGroup(p) => self.write(op, caller, |cx| groups::delete(cx, p)),
            Request::ReorderGroups(p) => self.write(op, caller, |cx| groups::reorder(cx, p)),
            Request::AssignGroup(p) => self.write(op, caller, |cx| groups::assign(cx, p, true)),
            Request::UnassignGroup(p) => self.write(op, caller, |cx| groups::assign(cx, p, false)),
            Request::SetChannelOverride(p) => {
                self.write(op, caller, |cx| overrides::set_channel(cx, p))
            }
            Request::SetCategoryOverride(p) => {
                self.write(op, caller, |cx| overrides::set_category(cx, p))
            }
            Request::BanMember(p) => self.write(op, caller, |cx| bans::ban(cx, p)),
            Request::UnbanMember(p) => self.write(op, caller, |cx| bans::unban(cx, p)),
            Request::SetChannelNotification(p) => {
                self.write(op, caller, |cx| reads::set_channel_notification(cx, p))
            }
            Request::SetMemberFields(p) => self.write(op, caller, |cx| fields::set(cx, p)),
            Request::CreateThread(p) => self.write(op, caller, |cx| threads::ops::create(cx, p)),
            Request::UpdateThread(p) => self.write(op, caller, |cx| threads::ops::update(cx, p)),
            Request::DeleteThread(p) => self.write(op, caller, |cx| threads::ops::delete(cx, p)),
            Request::JoinThread(p) => self.write(op, caller, |cx| threads::membership::join(cx, p)),
            Request::LeaveThread(p) => {
                self.write(op, caller, |cx| threads::membership::leave(cx, p))
            }
            Request::SetProfile(p) => self.write(op, caller, |cx| profiles::set(cx, p)),
            Request::CreateConversation(p) => {
                self.write(op, caller, |cx| conversations::ops::create(cx, p))
            }
            Request::UpdateConversation(p) => {
                self.write(op, caller, |cx| conversations::ops::update(cx, p))
            }
            Request::AddConversationMembers(p) => {
                self.write(op, caller, |cx| conversations::ops::add_members(cx, p))
            }
            Request::LeaveConversation(p) => {
                self.write(op, caller, |cx| conversations::ops::leave(cx, p))
            }
            Request::SetDmPolicy(p) => {
                self.write(op, caller, |cx| conversations::policy::set_dm_policy(cx, p))
            }
            Request::BlockUser(p) => {
                self.write(op, caller, |cx| conversations::policy::block(cx, p))
            }
            Request::UnblockUser(p) => {
                self.write(op, caller, |cx| conversations::policy::unblock(cx, p))
            }
            Request::RegisterPushToken(p) => self.write(op, caller, |cx| push::register(cx, p)),
            Request::UnregisterPushToken(p) => self.write(op, caller, |cx| push::unregister(cx, p)),
            // Presence, typing and voice live in the transport's memory: it answers them
            // itself (with the reads of `live`), so they never reach this point.
            Request::SetPresence(_)
            | Request::SubscribePresence(_)
            | Request::UnsubscribePresence(_)
            | Request::ViewCommunity(_)
            | Request::Typing(_)
            | Request::JoinVoice(_)
            | Request::LeaveVoice(_)
            | Request::ListVoice(_)
            | Request::Focus(_)
            | Request::SubscribeMemberList(_)
            | Request::UnsubscribeMemberList(_) => Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                format!("{op} is handled by the transport, not the domain"),
            )),
        }
    }

    /// Runs a query in a read transaction. Queries emit nothing.
    fn read(
        &self,
        op: &'static str,
        caller: &UserId,
        body: impl FnOnce(&mut Ctx<'_>) -> Result<Response, ApiError>,
    ) -> Result<Handled, ApiError> {
        let now = self.clock.now_ms();
        self.store.read(op, |tx| {
            let mut cx = Ctx::new(tx, caller, now, &self.limits, &self.rate, &self.viewers);
            Ok(Handled::reply(body(&mut cx)?))
        })
    }

    /// Like [`Domain::read`], on a snapshot whose every message is indexed for search.
    fn read_indexed(
        &self,
        op: &'static str,
        caller: &UserId,
        body: impl FnOnce(&mut Ctx<'_>) -> Result<Response, ApiError>,
    ) -> Result<Handled, ApiError> {
        let now = self.clock.now_ms();
        self.store.read_indexed(op, |tx| {
            let mut cx = Ctx::new(tx, caller, now, &self.limits, &self.rate, &self.viewers);
            Ok(Handled::reply(body(&mut cx)?))
        })
    }

    /// Runs a change in a write transaction; its effects are returned only once committed.
    fn write(
        &self,
        op: &'static str,
        caller: &UserId,
        body: impl FnOnce(&mut Ctx<'_>) -> Result<Response, ApiError>,
    ) -> Result<Handled, ApiError> {
        self.store.write(op, |tx| {
            // The time is taken under the writer lock, so stored times follow commit order.
            let now = self.clock.now_ms();
            let mut cx = Ctx::new(tx, caller, now, &self.limits, &self.rate, &self.viewers);
            let response = body(&mut cx)?;
            Ok(Handled {
                response,
                membership: cx.membership,
                deliveries: cx.deliveries,
            })
        })
    }

    /// The user's push tokens, most recently registered first (the push hand-off reads
    /// them for a user with no online session).
    pub fn push_tokens(
        &self,
        user_id: &UserId,
    ) -> Result<Vec<community_protocol::push::PushToken>, ApiError> {
        self.store
            .read("push_tokens", |tx| Ok(tx.push_tokens(user_id)?))
    }

    /// Records that a user exists (the transport calls it at every login): people
    /// operations find only users the server knows — seen at a login, or members of a
    /// community. Writes only the first time.
    pub fn user_seen(&self, user_id: &UserId) -> Result<(), ApiError> {
        if self
            .store
            .read("user_seen", |tx| Ok(tx.user_exists(user_id)?))?
        {
            return Ok(());
        }
        let now = self.clock.now_ms();
        self.store
            .write("user_seen", |tx| Ok(tx.note_user(user_id, now)?))?;
        Ok(())
    }

    /// The participants of a conversation (sorted, the caller included), for the
    /// transport to authorise and route what it handles itself (typing):
    /// `CONVERSATION_NOT_FOUND` unless the caller is a participant, `BLOCKED` when it is
    /// a direct conversation and a block stands between the two.
    pub fn conversation_participants(
        &self,
        caller: &UserId,
        conversation_id: &ChannelId,
    ) -> Result<Vec<UserId>, ApiError> {
        self.store.read("conversation_participants", |tx| {
            let cx = Ctx::new(
                tx,
                caller,
                self.clock.now_ms(),
                &self.limits,
                &self.rate,
                &self.viewers,
            );
            let stream = cx.conversation_stream(conversation_id)?;
            cx.require_conversation_open(&stream, "typing")?;
            Ok(tx.participant_ids(conversation_id)?)
        })
    }

    /// The communities a user is a member of (the transport builds its routing index at
    /// login).
    pub fn joined_community_ids(&self, user_id: &UserId) -> Result<Vec<CommunityId>, ApiError> {
        self.store
            .read("joined_community_ids", |tx| Ok(tx.joined_ids(user_id)?))
    }
}
