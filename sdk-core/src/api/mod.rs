//! The public surface: [`Client`] and its handles, [`CommunityHandle`] and
//! [`ChannelHandle`], plus the small option and result records their methods take and
//! return. Every server operation of protocol v1 is an async method here; each checks
//! what it can locally first (limits announced at login, the user's cached role) and
//! fails fast with the same typed error the server would give, then asks the server and
//! applies the answer to the cache before returning.

mod channel;
mod checks;
mod client;
mod community;
mod conversations;
mod live;
mod member_list;
mod message_ops;
mod outgoing;
mod people;
mod push;
mod records;
mod roles;
mod search;
mod thread;

pub use channel::ChannelHandle;
pub use client::{Client, ClientBuilder, QueueStats};
pub use community::CommunityHandle;
pub use conversations::NewConversation;
pub use member_list::{MemberListSnapshot, MemberListSubscription, MemberListUpdate};
pub use outgoing::OutgoingMessage;
pub use records::{
    AttributesOutcome, ChannelUpdate, CommunityUpdate, JoinOutcome, MembersPage, MembersQuery,
    NewChannel, UsersOutcome,
};
pub use roles::{GroupUpdate, NewGroup};
pub use search::{
    ChannelSearchResults, CommunitySearchResults, DEFAULT_SEARCH_LIMIT, HitSource, MessageHit,
    SearchOptions, SearchResults, ServerSearch,
};
pub use thread::{NewThread, ThreadHandle, ThreadUpdate};
