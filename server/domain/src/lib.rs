//! The domain of `community-server`: every operation of protocol v1 with its permission
//! and limit checks, over the [`store`] trait and its SQLite implementation.
//!
//! It is sans-network: the transport (crate `community-server`) hands it a caller and a
//! request, and gets back a [`routing::Handled`] — the response, the events and who should
//! receive them. Calls block on SQLite, so the transport runs them off its async threads.
//!
//! Layout:
//! - [`Domain`] (module `domain`): the operations, split by concern.
//! - [`store`]: the storage trait and its embedded SQLite implementation.
//! - [`routing`]: the seam to the transport ([`Handled`], [`Delivery`], [`Audience`]).
//! - [`push_plan`]: the seam to the offline push hand-off (who may be told of a message).
//! - [`StoreError`]: what storage failures look like before they become wire errors
//!   (logged under an [`incident_id`], never shown to clients).
//!
//! Decisions where PRODUCT.md is silent (kept here so the transport and SDK can rely on
//! them):
//! - A user who starts to see a channel (joins the community, is added to a private
//!   channel, is promoted or given a group, an override or the channel turns public)
//!   starts reading at its current end: history from before is visible but not unread.
//! - The structure `version` grows on info, attributes, mute-all, owner, role, group,
//!   assignment, override, channel, category and private-channel-membership changes, not
//!   on joins and leaves (the member count travels in `UnchangedCommunity` and
//!   `CommunityUpdated`).
//! - Personal events (`CommunityAdded`, `CommunityRemoved`, `ChannelAdded` for one user)
//!   go to `Audience::Users([user])`, which includes the requesting session; removals use
//!   a user list because the membership change is applied before delivery.
//! - Reusing an idempotency key for a message in *another* channel is refused with
//!   `INVALID_IDEMPOTENCY_KEY`; a resend in the same channel returns the stored message,
//!   even if the sender has been muted or removed since.
//! - `get_messages` with both `after_seq` and `before_seq` returns the oldest messages
//!   strictly between them. Deleting an attribute that does not exist is not a failure.
//! - Permissions (docs/PROTOCOL.md §14, docs/DECISIONS.md "Roles and permissions"): every
//!   check goes through `community_protocol::permissions` (the operation table, `require`,
//!   `may_act_on`, `may_manage_group`), fed by `domain::access`; who sees a channel follows
//!   `view_channel`, its audience is cached per channel under the community's access
//!   stamp (`domain::audience`), and changes of sight are told to exactly those concerned
//!   (`domain::visibility`).
//! - `decide_join_request` and `delete_channel` answer `Ok`; join request messages are
//!   capped at 500 characters (`INVALID_ARGUMENT`).
//! - The life of a message (docs/DECISIONS.md, "Message life"): an edit needs the right to
//!   post (`send_messages`: mute, mute-all, announcement), a recall does not; reactions
//!   need `add_reactions` (a speaking flag) but are open in announcement channels, and
//!   taking one back is always allowed;
//!   a recall unpins without an `unpinned` change and scrubs the content of the message's
//!   earlier `edited` changes; system notifications cannot be forwarded
//!   (`INVALID_ARGUMENT`); a forward's mentions and custom data are the sender's own.
//! - Threads (docs/DECISIONS.md, "Threads on the server"): a thread is a channel row with
//!   a parent, addressed by its id as `channel_id`; its channel's readers read it; checks
//!   are made in the channel with `send_in_threads`; archived threads are read-only,
//!   locked ones take posts from managers only; posting or being mentioned (directly or
//!   through a group, not through @everyone) joins; losing sight of the channel leaves.
//! - People (docs/DECISIONS.md, "People: conversations, DM policy, blocks, profiles"): a
//!   conversation is a channel row of the reserved community `@me`, addressed by its id
//!   as `channel_id` with `community_id: "@me"`, readable by its participants only; a
//!   direct conversation is one per pair; blocks close direct conversations either way
//!   and refuse starting one or adding to a group; a user is known once seen at a login
//!   or as a member of a community (unknown: `not_member`).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod clock;
mod cursor;
mod domain;
mod error;
mod ids;
pub mod push_plan;
mod rate;
pub mod routing;
pub mod store;

#[cfg(test)]
mod test_support;

pub use domain::{ADMIN_EVENT, Domain, IMPORT_BATCH_MAX, MemberListRows};
pub use error::{StoreError, incident_id};
pub use routing::{
    Audience, ChannelViewers, Counting, Delivery, FocusedAudience, Handled, MembershipChange,
};
pub use store::sqlite::{DEFAULT_INDEX_BATCH, SqliteOptions, SqliteStore, Synchronous};
