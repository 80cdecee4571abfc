//! Subscriptions: typed change streams the app consumes.
//!
//! Every subscription yields the current value first, then changes in batches, delivered
//! by one dispatcher task in the order they happened. Each subscriber's backlog is
//! bounded: one that falls too far behind gets a fresh current value (a reset) instead.
//! A [`Subscription`] ends when it is dropped (or [`Subscription::cancel`]led) and when the
//! client shuts down. The Rust form
//! is an async stream (`next().await`); bindings wrap it into listener callbacks.
//!
//! What can be subscribed (see [`Client`](crate::Client) and the handles):
//! - the connection state: [`ConnectionState`](crate::ConnectionState);
//! - the community list: `Vec<ListDiff<CommunityEntry>>`;
//! - a community's channel list: `Vec<ListDiff<ChannelEntry>>`;
//! - a channel's messages: `Vec<MessageUpdate>`;
//! - unread counts: [`UnreadUpdate`](crate::UnreadUpdate);
//! - people: the conversation list, profiles, presence, a community's online count, who
//!   types in a stream, who sits in a community's voice channels.

mod hub;
mod people;
mod subscription;

pub(crate) use hub::{Hub, Publication, Sink, UnreadChange};
pub(crate) use people::PeopleSink;
pub use subscription::Subscription;
pub(crate) use subscription::{Fresh, Outlet, queue};
