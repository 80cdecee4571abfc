//! The uniffi surface (Kotlin, Swift, Python): [`Client`] and its handles [`Community`]
//! and [`Channel`] as objects, async methods that run on the SDK's runtime, and listener
//! traits implemented in the foreign language.
//!
//! Subscriptions: each `subscribe_*` takes a listener and returns a
//! [`TaskHandle`](crate::subscription::TaskHandle); the listener receives the current value
//! first, then each batch of changes, on the SDK's callback thread. Cancelling or dropping
//! the handle ends the subscription. An exception thrown by a listener is caught and
//! logged; it never stops later deliveries.

mod channel;
mod client;
mod community;
mod listeners;

pub use channel::Channel;
pub use client::Client;
pub use community::Community;
pub(crate) use listeners::report;
pub use listeners::{
    ChannelListListener, CommunityListListener, ConnectionListener, ListenerError, MessageListener,
    TokenProvider, UnreadListener,
};
