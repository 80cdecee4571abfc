//! The Community SDK core: a client for `community-server` with a local SQLite cache,
//! exact unread counts, a durable outbox and typed change subscriptions.
//!
//! ```no_run
//! # async fn demo() -> Result<(), community_sdk::SdkError> {
//! use community_sdk::{Client, SendOptions};
//! use community_protocol::MessageContent;
//!
//! let client = Client::builder()
//!     .server_url("ws://127.0.0.1:7000/ws")
//!     .data_dir("/tmp/community-cache")
//!     .device_id("my-phone")
//!     .build()
//!     .await?;
//! client.login("alice", "v1.…token…").await?;
//! for community in client.communities() {
//!     let unread = client.community(&community.info.community_id).unread();
//!     println!("{} {:?}", community.info.name, unread);
//! }
//! let general = client.communities()[0].info.default_channel_id.clone();
//! let channel = client.community(&client.communities()[0].info.community_id).channel(general);
//! let outgoing = channel
//!     .send(MessageContent::Text { text: "hello".into() }, SendOptions::default())
//!     .await?;
//! println!("queued {}", outgoing.local_id());
//! let seq = outgoing.sent().await?; // stored by the server at this sequence
//! println!("sent as #{seq}");
//! client.close().await?;
//! # Ok(()) }
//! ```
//!
//! Inside (one concern per module, see `docs/ARCHITECTURE.md`):
//! - `api`: [`Client`], [`CommunityHandle`], [`ChannelHandle`]: the public surface.
//! - `connection`: the one task owning the WebSocket (hello, login/resume, requests,
//!   heartbeats, backoff, goodbye reasons, event sequence).
//! - `sync`: the one task that changes the model: events, sync after login, heads
//!   refetch, catch-up and history gap repair.
//! - `outbox`: the driver over the store's durable outbox.
//! - `state`: the in-memory model and the unread arithmetic (exact with a large
//!   community's coalesced `channel_activity` too).
//! - `focus`: which place the app shows (the newest live timeline), for `focus`.
//! - `push`: the hook that keeps the server's copy of this device's push token.
//! - `member_list`: the followed ranges of a community's member list, kept in wire order.
//! - `events`: [`Subscription`]s and the dispatcher that feeds them.
//! - [`store`]: the SQLite cache (one file per user).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod api;
mod backoff;
mod clock;
mod config;
mod connection;
mod error;
mod events;
mod focus;
mod member_list;
mod model;
mod outbox;
mod phase;
mod push;
mod session;
mod state;
pub mod store;
mod sync;

pub use api::{
    AttributesOutcome, ChannelHandle, ChannelUpdate, Client, ClientBuilder, CommunityHandle,
    CommunityUpdate, JoinOutcome, MembersPage, MembersQuery, NewChannel, OutgoingMessage,
    QueueStats, UsersOutcome,
};
pub use api::{
    ChannelSearchResults, CommunitySearchResults, DEFAULT_SEARCH_LIMIT, HitSource, MessageHit,
    SearchOptions, SearchResults, ServerSearch,
};
pub use api::{GroupUpdate, NewConversation, NewGroup, NewThread, ThreadHandle, ThreadUpdate};
pub use api::{MemberListSnapshot, MemberListSubscription, MemberListUpdate};
pub use backoff::BackoffConfig;
/// The protocol crate, re-exported so apps need only this crate.
pub use community_protocol as protocol;
/// The push service a token belongs to (for [`Client::register_push_token`]).
pub use community_protocol::push::PushPlatform;

/// The cache file the SDK uses for `user_id` under `data_dir` (one SQLite file per user;
/// deleting it while no client uses it clears that user's cache).
pub fn cache_path(
    data_dir: &std::path::Path,
    user_id: &community_protocol::UserId,
) -> std::path::PathBuf {
    session::store_path(data_dir, user_id)
}
pub use config::{ClientConfig, TokenFuture, TokenProvider};
pub use error::{ConnectionError, SdkError, codes};
pub use events::Subscription;
pub use model::*;
