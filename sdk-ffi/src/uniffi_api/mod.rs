//! The uniffi surface (Kotlin, Swift, Python): [`Client`] and its handles [`Community`],
//! [`Channel`] and [`ChannelThread`] as objects, async methods that run on the SDK's
//! runtime, and listener traits implemented in the foreign language.
//!
//! Subscriptions: each `subscribe_*` takes a listener and returns a
//! [`TaskHandle`](crate::subscription::TaskHandle); the listener receives the current value
//! first, then each batch of changes, on the SDK's callback thread. Cancelling or dropping
//! the handle ends the subscription. An exception thrown by a listener is caught and
//! logged; it never stops later deliveries. Each listener has one call in flight at most;
//! one that falls far behind the changes gets a fresh reset (the whole list, every count,
//! the newest messages) instead of an ever-growing backlog.

mod channel;
mod client;
mod community;
#[rustfmt::skip]
mod generated;
mod listeners;
mod member_list;
mod people;
mod thread;

pub use channel::Channel;
pub use client::Client;
pub use community::Community;
pub(crate) use listeners::report;
pub use listeners::{
    ChannelListListener, CommunityListListener, ConnectionListener, ConversationListListener,
    ListenerError, MessageListener, OnlineCountListener, OutboxListener, PresenceListener,
    ProfileListener, SyncStateListener, ThreadListListener, TokenProvider, TypingListener,
    UnreadListener, VoiceListener,
};
pub use member_list::{MemberListListener, MemberListSubscription};
pub use thread::ChannelThread;

/// Runs `op` on a clone of an SDK handle, on the SDK runtime (the body of every async
/// method of [`Client`], [`Community`], [`Channel`] and [`ChannelThread`]).
async fn call_on<H, T, F, Fut>(handle: &H, op: F) -> Result<T, crate::error::SdkError>
where
    H: Clone + Send + 'static,
    T: Send + 'static,
    F: FnOnce(H) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, community_sdk::SdkError>> + Send + 'static,
{
    let handle = handle.clone();
    crate::runtime::run(async move { op(handle).await.map_err(crate::error::SdkError::from) }).await
}
