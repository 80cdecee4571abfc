//! Option and result records of the API methods (mirrors of `community_sdk`'s
//! `NewChannel`, `ChannelUpdate`, `CommunityUpdate`, `JoinOutcome`, `UsersOutcome`,
//! `AttributesOutcome`, `MembersPage` (the roles records are in `roles.rs`), the protocol's `CreateCommunity`, `Page` and
//! `Limits`), plus the client's options.

use std::collections::HashMap;

use community_protocol as wire;
use community_sdk as sdk;
use serde::{Deserialize, Serialize};

use super::{
    ChannelKind, CommunityInfo, CommunitySnapshot, FailedKey, FailedUser, JoinPolicy, MemberInfo,
    map_vec,
};

/// How to build a client. Only `server_url` and `data_dir` are required; `None` keeps the
/// SDK's default.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct ClientOptions {
    /// The server's WebSocket URL, e.g. `ws://127.0.0.1:7600/ws`.
    pub server_url: String,
    /// Directory for the cache files (created when missing).
    pub data_dir: String,
    /// A stable id of this installation (a second login with the same user and device
    /// replaces the first session). Empty: never replace.
    #[serde(default)]
    #[uniffi(default = "")]
    pub device_id: String,
    /// How long a request waits for its answer (default 15 s).
    #[serde(default)]
    #[uniffi(default = None)]
    pub request_timeout_ms: Option<u64>,
    /// How long opening a connection may take (default 10 s).
    #[serde(default)]
    #[uniffi(default = None)]
    pub connect_timeout_ms: Option<u64>,
    /// Reconnect backoff: first ceiling (set together with `backoff_cap_ms`).
    #[serde(default)]
    #[uniffi(default = None)]
    pub backoff_base_ms: Option<u64>,
    /// Reconnect backoff: largest delay.
    #[serde(default)]
    #[uniffi(default = None)]
    pub backoff_cap_ms: Option<u64>,
    /// Give up reconnecting after this many failed attempts in a row (default: never).
    #[serde(default)]
    #[uniffi(default = None)]
    pub max_reconnect_attempts: Option<u32>,
    /// Newest missed messages fetched per cached channel after a reconnect.
    #[serde(default)]
    #[uniffi(default = None)]
    pub catch_up_limit: Option<u32>,
    /// Refresh the token this long before it expires (default 60 s).
    #[serde(default)]
    #[uniffi(default = None)]
    pub token_refresh_margin_ms: Option<u64>,
    /// How long `login` waits to be synced before it answers `Offline` (with a saved
    /// session) or fails with `timed_out` (default 30 s).
    #[serde(default)]
    #[uniffi(default = None)]
    pub login_timeout_ms: Option<u64>,
}

impl ClientOptions {
    /// The SDK's builder for these options (`None` keeps the SDK's default).
    pub(crate) fn into_builder(self) -> sdk::ClientBuilder {
        let ms = std::time::Duration::from_millis;
        let mut builder = sdk::Client::builder()
            .server_url(self.server_url)
            .data_dir(self.data_dir)
            .device_id(self.device_id);
        if let Some(v) = self.request_timeout_ms {
            builder = builder.request_timeout(ms(v));
        }
        if let Some(v) = self.connect_timeout_ms {
            builder = builder.connect_timeout(ms(v));
        }
        if let Some(v) = self.login_timeout_ms {
            builder = builder.login_timeout(ms(v));
        }
        if let (Some(base), Some(cap)) = (self.backoff_base_ms, self.backoff_cap_ms) {
            builder = builder.backoff(ms(base), ms(cap));
        }
        if let Some(v) = self.max_reconnect_attempts {
            builder = builder.max_reconnect_attempts(v);
        }
        if let Some(v) = self.catch_up_limit {
            builder = builder.catch_up_limit(v);
        }
        if let Some(v) = self.token_refresh_margin_ms {
            builder = builder.token_refresh_margin(ms(v));
        }
        builder
    }
}

/// A new community.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct NewCommunity {
    /// Display name (1..=300 characters).
    pub name: String,
    /// A custom id (1–64 of `[A-Za-z0-9_-]`); the server generates one when absent.
    #[serde(default)]
    #[uniffi(default = None)]
    pub community_id: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    #[uniffi(default = "")]
    pub avatar_url: String,
    /// Notice.
    #[serde(default)]
    #[uniffi(default = "")]
    pub notice: String,
    /// How users join.
    #[serde(default)]
    pub join_policy: JoinPolicy,
    /// Initial custom attributes.
    #[serde(default)]
    #[uniffi(default)]
    pub attributes: HashMap<String, String>,
    /// Whether the server writes system messages (member joined / left / kicked, channel
    /// created / renamed); none keeps the server's default (on).
    #[serde(default)]
    #[uniffi(default = None)]
    pub system_messages: Option<bool>,
}

impl From<NewCommunity> for wire::request::CreateCommunity {
    fn from(v: NewCommunity) -> Self {
        Self {
            community_id: v.community_id.map(Into::into),
            name: v.name,
            avatar_url: v.avatar_url,
            notice: v.notice,
            join_policy: v.join_policy.into(),
            attributes: v.attributes.into_iter().collect(),
            system_messages: v.system_messages,
        }
    }
}

/// Changes to a community; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct CommunityUpdate {
    /// New name.
    #[serde(default)]
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// New avatar URL.
    #[serde(default)]
    #[uniffi(default = None)]
    pub avatar_url: Option<String>,
    /// New notice.
    #[serde(default)]
    #[uniffi(default = None)]
    pub notice: Option<String>,
    /// New join policy.
    #[serde(default)]
    #[uniffi(default = None)]
    pub join_policy: Option<JoinPolicy>,
    /// Switch the server's system messages (member joined / left / kicked, channel
    /// created / renamed) on or off.
    #[serde(default)]
    #[uniffi(default = None)]
    pub system_messages: Option<bool>,
}

impl From<CommunityUpdate> for sdk::CommunityUpdate {
    fn from(v: CommunityUpdate) -> Self {
        Self {
            name: v.name,
            avatar_url: v.avatar_url,
            notice: v.notice,
            join_policy: v.join_policy.map(Into::into),
            system_messages: v.system_messages,
        }
    }
}

/// A new channel.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct NewChannel {
    /// Name (1..=100 bytes).
    pub name: String,
    /// Text, voice or announcement.
    #[serde(default)]
    pub kind: ChannelKind,
    /// Introduction.
    #[serde(default)]
    #[uniffi(default = "")]
    pub introduction: String,
    /// Notice.
    #[serde(default)]
    #[uniffi(default = "")]
    pub notice: String,
    /// App-defined string.
    #[serde(default)]
    #[uniffi(default = "")]
    pub custom: String,
    /// Category to show it under.
    #[serde(default)]
    #[uniffi(default = None)]
    pub category_id: Option<String>,
    /// Sort key (default: after the last channel).
    #[serde(default)]
    #[uniffi(default = None)]
    pub position: Option<i64>,
    /// Private channel (only added members, plus owner and admins).
    #[serde(default)]
    #[uniffi(default = false)]
    pub private: bool,
    /// Initial members of a private channel.
    #[serde(default)]
    #[uniffi(default = [])]
    pub member_ids: Vec<String>,
    /// Use the category's permission overrides instead of its own.
    #[serde(default)]
    #[uniffi(default = false)]
    pub follows_category: bool,
}

impl From<NewChannel> for sdk::NewChannel {
    fn from(v: NewChannel) -> Self {
        Self {
            name: v.name,
            kind: v.kind.into(),
            introduction: v.introduction,
            notice: v.notice,
            custom: v.custom,
            category_id: v.category_id.map(Into::into),
            position: v.position,
            private: v.private,
            member_ids: map_vec(v.member_ids),
            follows_category: v.follows_category,
        }
    }
}

/// Changes to a channel; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct ChannelUpdate {
    /// New name.
    #[serde(default)]
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// New introduction.
    #[serde(default)]
    #[uniffi(default = None)]
    pub introduction: Option<String>,
    /// New notice.
    #[serde(default)]
    #[uniffi(default = None)]
    pub notice: Option<String>,
    /// New custom string.
    #[serde(default)]
    #[uniffi(default = None)]
    pub custom: Option<String>,
    /// New category (`""` removes it from its category).
    #[serde(default)]
    #[uniffi(default = None)]
    pub category_id: Option<String>,
    /// New sort key.
    #[serde(default)]
    #[uniffi(default = None)]
    pub position: Option<i64>,
    /// Make it private or public.
    #[serde(default)]
    #[uniffi(default = None)]
    pub private: Option<bool>,
    /// Use the category's overrides (true) or the channel's own (false).
    #[serde(default)]
    #[uniffi(default = None)]
    pub follows_category: Option<bool>,
    /// Mute or unmute the channel for everyone without `mute_members`.
    #[serde(default)]
    #[uniffi(default = None)]
    pub mute_all: Option<bool>,
}

impl From<ChannelUpdate> for sdk::ChannelUpdate {
    fn from(v: ChannelUpdate) -> Self {
        Self {
            name: v.name,
            introduction: v.introduction,
            notice: v.notice,
            custom: v.custom,
            category_id: v.category_id.map(Into::into),
            position: v.position,
            private: v.private,
            follows_category: v.follows_category,
            mute_all: v.mute_all,
        }
    }
}

/// The answer to joining a community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // a plain record handed across the FFI; boxing buys nothing
pub enum JoinOutcome {
    /// Joined: the community as the new member sees it.
    Joined {
        /// Everything about it.
        snapshot: CommunitySnapshot,
    },
    /// An approval community: the request waits for an owner or admin.
    Pending,
}

impl From<sdk::JoinOutcome> for JoinOutcome {
    fn from(v: sdk::JoinOutcome) -> Self {
        match v {
            sdk::JoinOutcome::Joined(snapshot) => Self::Joined {
                snapshot: (*snapshot).into(),
            },
            sdk::JoinOutcome::Pending => Self::Pending,
        }
    }
}

/// Users an operation applied to, and those it did not (each with its error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct UsersOutcome {
    /// Users it applied to.
    pub succeeded: Vec<String>,
    /// Users it did not apply to.
    pub failed: Vec<FailedUser>,
}

impl From<sdk::UsersOutcome> for UsersOutcome {
    fn from(v: sdk::UsersOutcome) -> Self {
        Self {
            succeeded: map_vec(v.succeeded),
            failed: map_vec(v.failed),
        }
    }
}

/// Attributes after an operation, and the keys that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct AttributesOutcome {
    /// Every attribute now.
    pub attributes: HashMap<String, String>,
    /// Keys that could not be set or deleted.
    pub failed: Vec<FailedKey>,
}

impl From<sdk::AttributesOutcome> for AttributesOutcome {
    fn from(v: sdk::AttributesOutcome) -> Self {
        Self {
            attributes: v.attributes.into_iter().collect(),
            failed: map_vec(v.failed),
        }
    }
}

/// A page of members, whole, and the exact number of matching members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct MemberPage {
    /// The members of this page.
    pub items: Vec<MemberInfo>,
    /// Pass it back for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Exact number of members matching the query.
    pub total_count: u64,
}

impl From<sdk::MembersPage> for MemberPage {
    fn from(v: sdk::MembersPage) -> Self {
        Self {
            items: map_vec(v.page.items),
            next_cursor: v.page.next_cursor,
            total_count: v.total_count,
        }
    }
}

/// A page of joined communities, whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, uniffi::Record)]
pub struct CommunityPage {
    /// The communities of this page.
    pub items: Vec<CommunityInfo>,
    /// Pass it back for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl From<wire::Page<wire::CommunityInfo>> for CommunityPage {
    fn from(v: wire::Page<wire::CommunityInfo>) -> Self {
        Self {
            items: map_vec(v.items),
            next_cursor: v.next_cursor,
        }
    }
}

/// The deployment's limits (announced at login).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
#[allow(missing_docs)] // same fields as `community_protocol::Limits`
pub struct Limits {
    pub max_members_per_community: u64,
    pub max_channels_per_community: u32,
    pub max_joined_communities: u32,
    pub community_name_chars: u64,
    pub avatar_url_chars: u64,
    pub community_notice_chars: u64,
    pub max_attributes: u64,
    pub attribute_key_chars: u64,
    pub attribute_value_chars: u64,
    pub max_invitees: u64,
    pub max_page_size: u32,
    pub nickname_bytes: u64,
    pub channel_name_bytes: u64,
    pub channel_intro_bytes: u64,
    pub channel_notice_bytes: u64,
    pub text_bytes: u64,
    pub custom_payload_bytes: u64,
    pub max_mentions: u64,
    pub channel_messages_per_second: u32,
    pub max_reactions_per_message: u64,
    pub emoji_bytes: u64,
    pub max_pins_per_channel: u64,
    pub custom_data_bytes: u64,
    pub recall_window_ms: u64,
    pub max_hidden_per_channel: u64,
    pub max_groups_per_community: u64,
    pub max_overrides_per_channel: u64,
    pub max_member_fields: u64,
    pub member_field_bytes: u64,
    pub thread_auto_archive_ms: u64,
    pub max_active_threads_per_channel: u64,
    pub max_conversation_members: u64,
    pub max_profile_fields: u64,
    pub profile_field_bytes: u64,
    pub presence_text_bytes: u64,
    pub max_presence_users: u64,
    pub typing_interval_ms: u64,
    pub typing_ttl_ms: u64,
    pub typing_batch_users: u64,
    pub search_query_bytes: u64,
    pub search_max_terms: u64,
    pub push_token_bytes: u64,
    pub max_push_tokens_per_user: u64,
}

impl From<wire::Limits> for Limits {
    fn from(v: wire::Limits) -> Self {
        let n = |x: usize| u64::try_from(x).unwrap_or(u64::MAX);
        Self {
            max_members_per_community: v.max_members_per_community,
            max_channels_per_community: v.max_channels_per_community,
            max_joined_communities: v.max_joined_communities,
            community_name_chars: n(v.community_name_chars),
            avatar_url_chars: n(v.avatar_url_chars),
            community_notice_chars: n(v.community_notice_chars),
            max_attributes: n(v.max_attributes),
            attribute_key_chars: n(v.attribute_key_chars),
            attribute_value_chars: n(v.attribute_value_chars),
            max_invitees: n(v.max_invitees),
            max_page_size: v.max_page_size,
            nickname_bytes: n(v.nickname_bytes),
            channel_name_bytes: n(v.channel_name_bytes),
            channel_intro_bytes: n(v.channel_intro_bytes),
            channel_notice_bytes: n(v.channel_notice_bytes),
            text_bytes: n(v.text_bytes),
            custom_payload_bytes: n(v.custom_payload_bytes),
            max_mentions: n(v.max_mentions),
            channel_messages_per_second: v.channel_messages_per_second,
            max_reactions_per_message: n(v.max_reactions_per_message),
            emoji_bytes: n(v.emoji_bytes),
            max_pins_per_channel: n(v.max_pins_per_channel),
            custom_data_bytes: n(v.custom_data_bytes),
            recall_window_ms: v.recall_window_ms,
            max_hidden_per_channel: n(v.max_hidden_per_channel),
            max_groups_per_community: n(v.max_groups_per_community),
            max_overrides_per_channel: n(v.max_overrides_per_channel),
            max_member_fields: n(v.max_member_fields),
            member_field_bytes: n(v.member_field_bytes),
            thread_auto_archive_ms: v.thread_auto_archive_ms,
            max_active_threads_per_channel: n(v.max_active_threads_per_channel),
            max_conversation_members: n(v.max_conversation_members),
            max_profile_fields: n(v.max_profile_fields),
            profile_field_bytes: n(v.profile_field_bytes),
            presence_text_bytes: n(v.presence_text_bytes),
            max_presence_users: n(v.max_presence_users),
            typing_interval_ms: v.typing_interval_ms,
            typing_ttl_ms: v.typing_ttl_ms,
            typing_batch_users: n(v.typing_batch_users),
            search_query_bytes: n(v.search_query_bytes),
            search_max_terms: n(v.search_max_terms),
            push_token_bytes: n(v.push_token_bytes),
            max_push_tokens_per_user: n(v.max_push_tokens_per_user),
        }
    }
}
