//! The limits of a deployment. Defaults are PRODUCT.md's; a server may raise or lower
//! them within the documented bounds and announces its values at login, so that an SDK
//! checks the same numbers locally before it asks.

use serde::{Deserialize, Serialize};

use crate::{ApiError, ErrorCode};

/// Limits enforced by the server (and checked early by the SDK).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Members per community (0 = unlimited).
    pub max_members_per_community: u64,
    /// Channels per community (≤ 1,000).
    pub max_channels_per_community: u32,
    /// Communities one user may join (≤ 500).
    pub max_joined_communities: u32,
    /// Community name, in characters.
    pub community_name_chars: usize,
    /// Avatar URL, in characters.
    pub avatar_url_chars: usize,
    /// Community notice, in characters.
    pub community_notice_chars: usize,
    /// Custom attribute pairs.
    pub max_attributes: usize,
    /// Attribute key, in characters.
    pub attribute_key_chars: usize,
    /// Attribute value, in characters.
    pub attribute_value_chars: usize,
    /// Users per invitation.
    pub max_invitees: usize,
    /// Largest page of any paged query (also the default page size).
    pub max_page_size: u32,
    /// Member nickname, in bytes.
    pub nickname_bytes: usize,
    /// Channel (and category) name, in bytes.
    pub channel_name_bytes: usize,
    /// Channel introduction, in bytes.
    pub channel_intro_bytes: usize,
    /// Channel notice, in bytes.
    pub channel_notice_bytes: usize,
    /// Text message body, in bytes.
    pub text_bytes: usize,
    /// Custom message payload, in bytes.
    pub custom_payload_bytes: usize,
    /// Users mentioned in one message.
    pub max_mentions: usize,
    /// Messages per second per channel before priority-based dropping.
    pub channel_messages_per_second: u32,
    /// Distinct emoji reacted to one message.
    pub max_reactions_per_message: usize,
    /// One emoji, in bytes.
    pub emoji_bytes: usize,
    /// Pinned messages per channel.
    pub max_pins_per_channel: usize,
    /// A message's custom data, in bytes.
    pub custom_data_bytes: usize,
    /// How long after sending an author may recall a message, in milliseconds.
    pub recall_window_ms: u64,
    /// Messages one user may hide per channel.
    pub max_hidden_per_channel: usize,
    /// Permission groups per community (`@everyone` included).
    pub max_groups_per_community: usize,
    /// Overrides per channel or category.
    pub max_overrides_per_channel: usize,
    /// Custom fields per member.
    pub max_member_fields: usize,
    /// A member field's key and value, each, in bytes.
    pub member_field_bytes: usize,
    /// A thread's default auto-archive delay, in milliseconds.
    pub thread_auto_archive_ms: u64,
    /// Active (not archived) threads per channel.
    pub max_active_threads_per_channel: usize,
    /// Users in one conversation, the creator included.
    pub max_conversation_members: usize,
    /// Custom fields of a profile.
    pub max_profile_fields: usize,
    /// A profile's display name, each field key and value, in bytes.
    pub profile_field_bytes: usize,
    /// A custom status text, in bytes.
    pub presence_text_bytes: usize,
    /// Users in one `subscribe_presence` (and the most a session follows).
    pub max_presence_users: usize,
    /// At most one `typing` per user and channel is forwarded in this window.
    pub typing_interval_ms: u64,
    /// How long a `typing` shows unless renewed.
    pub typing_ttl_ms: u64,
    /// At most this many users in one coalesced `typing` event.
    pub typing_batch_users: usize,
    /// A search query, in bytes.
    pub search_query_bytes: usize,
    /// Terms (words, prefixes, phrases) in one search query.
    pub search_max_terms: usize,
    /// Communities with more members than this are large (§9.5): whole messages go only
    /// to the sessions focused on their channel; member, presence and typing events only
    /// to the sessions that show them.
    pub large_community_members: u64,
    /// At most one `channel_activity` per session and channel in this window (the first
    /// after a quiet one goes at once).
    pub activity_interval_ms: u64,
    /// Ranges one session follows in a member list.
    pub member_list_max_ranges: usize,
    /// Positions in one followed range.
    pub member_list_range_items: usize,
    /// A push token, in bytes.
    pub push_token_bytes: usize,
    /// Push tokens one user keeps (registering one more forgets the least recent).
    pub max_push_tokens_per_user: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_members_per_community: 100_000,
            max_channels_per_community: 100,
            max_joined_communities: 100,
            community_name_chars: 300,
            avatar_url_chars: 100,
            community_notice_chars: 500,
            max_attributes: 10,
            attribute_key_chars: 16,
            attribute_value_chars: 1024,
            max_invitees: 100,
            max_page_size: 100,
            nickname_bytes: 50,
            channel_name_bytes: 100,
            channel_intro_bytes: 240,
            channel_notice_bytes: 300,
            text_bytes: 12 * 1024,
            custom_payload_bytes: 8 * 1024,
            max_mentions: 30,
            channel_messages_per_second: 40,
            max_reactions_per_message: 20,
            emoji_bytes: 32,
            max_pins_per_channel: 50,
            custom_data_bytes: 1024,
            recall_window_ms: 120_000,
            max_hidden_per_channel: 1_000,
            max_groups_per_community: 250,
            max_overrides_per_channel: 100,
            max_member_fields: 5,
            member_field_bytes: 64,
            thread_auto_archive_ms: 86_400_000,
            max_active_threads_per_channel: 1_000,
            max_conversation_members: 10,
            max_profile_fields: 10,
            profile_field_bytes: 64,
            presence_text_bytes: 128,
            max_presence_users: 500,
            typing_interval_ms: 3_000,
            typing_ttl_ms: 8_000,
            typing_batch_users: 10,
            search_query_bytes: 256,
            search_max_terms: 16,
            large_community_members: 1_000,
            activity_interval_ms: 1_000,
            member_list_max_ranges: 5,
            member_list_range_items: 200,
            push_token_bytes: 1_024,
            max_push_tokens_per_user: 10,
        }
    }
}

/// Maximum length of an idempotency key, in bytes.
pub const IDEMPOTENCY_KEY_BYTES: usize = 64;
/// Maximum length of a user id, community id or other client-chosen id, in bytes.
pub const ID_BYTES: usize = 64;

/// The largest values a deployment may configure (PRODUCT.md's ceilings).
pub mod ceilings {
    /// Channels per community.
    pub const MAX_CHANNELS_PER_COMMUNITY: u32 = 1_000;
    /// Communities one user may join.
    pub const MAX_JOINED_COMMUNITIES: u32 = 500;
    /// Page size of any paged query.
    pub const MAX_PAGE_SIZE: u32 = 100;
    /// Users in one invitation (and in one channel membership change).
    pub const MAX_INVITEES: usize = 1_000;
    /// Users mentioned in one message.
    pub const MAX_MENTIONS: usize = 1_000;
    /// Text message body, in bytes (it must also fit in the server's frame limit).
    pub const TEXT_BYTES: usize = 1024 * 1024;
    /// Distinct emoji per message.
    pub const MAX_REACTIONS_PER_MESSAGE: usize = 100;
    /// One emoji, in bytes.
    pub const EMOJI_BYTES: usize = 256;
    /// Pinned messages per channel.
    pub const MAX_PINS_PER_CHANNEL: usize = 500;
    /// A message's custom data, in bytes.
    pub const CUSTOM_DATA_BYTES: usize = 64 * 1024;
    /// Messages one user may hide per channel.
    pub const MAX_HIDDEN_PER_CHANNEL: usize = 10_000;
    /// Permission groups per community.
    pub const MAX_GROUPS_PER_COMMUNITY: usize = 1_000;
    /// Overrides per channel or category.
    pub const MAX_OVERRIDES_PER_CHANNEL: usize = 1_000;
    /// Custom fields per member.
    pub const MAX_MEMBER_FIELDS: usize = 50;
    /// A member field's key or value, in bytes.
    pub const MEMBER_FIELD_BYTES: usize = 1_024;
    /// Active threads per channel.
    pub const MAX_ACTIVE_THREADS_PER_CHANNEL: usize = 10_000;
    /// The shortest auto-archive delay (one hour).
    pub const MIN_AUTO_ARCHIVE_MS: u64 = 3_600_000;
    /// The longest auto-archive delay (thirty days).
    pub const MAX_AUTO_ARCHIVE_MS: u64 = 30 * 86_400_000;
    /// Users in one conversation.
    pub const MAX_CONVERSATION_MEMBERS: usize = 100;
    /// Custom fields of a profile.
    pub const MAX_PROFILE_FIELDS: usize = 50;
    /// A profile field or display name, and a presence text, in bytes.
    pub const PROFILE_TEXT_BYTES: usize = 1_024;
    /// Users in one presence request.
    pub const MAX_PRESENCE_USERS: usize = 5_000;
    /// Users in one coalesced typing event.
    pub const TYPING_BATCH_USERS: usize = 100;
    /// A search query, in bytes.
    pub const SEARCH_QUERY_BYTES: usize = 4_096;
    /// Terms in one search query.
    pub const SEARCH_MAX_TERMS: usize = 64;
    /// Ranges one session follows in a member list.
    pub const MEMBER_LIST_MAX_RANGES: usize = 10;
    /// Positions in one followed member list range.
    pub const MEMBER_LIST_RANGE_ITEMS: usize = 1_000;
    /// A push token, in bytes.
    pub const PUSH_TOKEN_BYTES: usize = 4_096;
    /// Push tokens one user keeps.
    pub const MAX_PUSH_TOKENS_PER_USER: usize = 100;
}

/// A configured limit outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("limit `{field}` = {value} is out of range: {allowed}")]
pub struct LimitError {
    /// The field of [`Limits`].
    pub field: &'static str,
    /// The configured value.
    pub value: u64,
    /// What is allowed.
    pub allowed: String,
}

fn within(field: &'static str, value: u64, low: u64, high: u64) -> Result<(), LimitError> {
    if (low..=high).contains(&value) {
        return Ok(());
    }
    Err(LimitError {
        field,
        value,
        allowed: format!("{low} to {high}"),
    })
}

impl Limits {
    /// Checks every limit against its allowed range: the ceilings of PRODUCT.md (channels
    /// per community ≤ 1,000, communities per user ≤ 500, page size ≤ 100) and at least 1
    /// everywhere (members per community: 0 means unlimited).
    pub fn validate(&self) -> Result<(), LimitError> {
        let size = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        let unbounded = u64::from(u32::MAX);
        within(
            "max_channels_per_community",
            u64::from(self.max_channels_per_community),
            1,
            u64::from(ceilings::MAX_CHANNELS_PER_COMMUNITY),
        )?;
        within(
            "max_joined_communities",
            u64::from(self.max_joined_communities),
            1,
            u64::from(ceilings::MAX_JOINED_COMMUNITIES),
        )?;
        within(
            "max_page_size",
            u64::from(self.max_page_size),
            1,
            u64::from(ceilings::MAX_PAGE_SIZE),
        )?;
        within(
            "max_invitees",
            size(self.max_invitees),
            1,
            size(ceilings::MAX_INVITEES),
        )?;
        within(
            "max_mentions",
            size(self.max_mentions),
            1,
            size(ceilings::MAX_MENTIONS),
        )?;
        within(
            "text_bytes",
            size(self.text_bytes),
            1,
            size(ceilings::TEXT_BYTES),
        )?;
        within(
            "custom_payload_bytes",
            size(self.custom_payload_bytes),
            1,
            size(ceilings::TEXT_BYTES),
        )?;
        for (field, value, ceiling) in [
            (
                "max_reactions_per_message",
                self.max_reactions_per_message,
                ceilings::MAX_REACTIONS_PER_MESSAGE,
            ),
            ("emoji_bytes", self.emoji_bytes, ceilings::EMOJI_BYTES),
            (
                "max_pins_per_channel",
                self.max_pins_per_channel,
                ceilings::MAX_PINS_PER_CHANNEL,
            ),
            (
                "custom_data_bytes",
                self.custom_data_bytes,
                ceilings::CUSTOM_DATA_BYTES,
            ),
            (
                "max_hidden_per_channel",
                self.max_hidden_per_channel,
                ceilings::MAX_HIDDEN_PER_CHANNEL,
            ),
            (
                "max_groups_per_community",
                self.max_groups_per_community,
                ceilings::MAX_GROUPS_PER_COMMUNITY,
            ),
            (
                "max_overrides_per_channel",
                self.max_overrides_per_channel,
                ceilings::MAX_OVERRIDES_PER_CHANNEL,
            ),
            (
                "max_member_fields",
                self.max_member_fields,
                ceilings::MAX_MEMBER_FIELDS,
            ),
            (
                "member_field_bytes",
                self.member_field_bytes,
                ceilings::MEMBER_FIELD_BYTES,
            ),
            (
                "max_active_threads_per_channel",
                self.max_active_threads_per_channel,
                ceilings::MAX_ACTIVE_THREADS_PER_CHANNEL,
            ),
            (
                "max_conversation_members",
                self.max_conversation_members,
                ceilings::MAX_CONVERSATION_MEMBERS,
            ),
            (
                "max_profile_fields",
                self.max_profile_fields,
                ceilings::MAX_PROFILE_FIELDS,
            ),
            (
                "profile_field_bytes",
                self.profile_field_bytes,
                ceilings::PROFILE_TEXT_BYTES,
            ),
            (
                "presence_text_bytes",
                self.presence_text_bytes,
                ceilings::PROFILE_TEXT_BYTES,
            ),
            (
                "max_presence_users",
                self.max_presence_users,
                ceilings::MAX_PRESENCE_USERS,
            ),
            (
                "typing_batch_users",
                self.typing_batch_users,
                ceilings::TYPING_BATCH_USERS,
            ),
            (
                "search_query_bytes",
                self.search_query_bytes,
                ceilings::SEARCH_QUERY_BYTES,
            ),
            (
                "search_max_terms",
                self.search_max_terms,
                ceilings::SEARCH_MAX_TERMS,
            ),
            (
                "member_list_max_ranges",
                self.member_list_max_ranges,
                ceilings::MEMBER_LIST_MAX_RANGES,
            ),
            (
                "member_list_range_items",
                self.member_list_range_items,
                ceilings::MEMBER_LIST_RANGE_ITEMS,
            ),
            (
                "push_token_bytes",
                self.push_token_bytes,
                ceilings::PUSH_TOKEN_BYTES,
            ),
            (
                "max_push_tokens_per_user",
                self.max_push_tokens_per_user,
                ceilings::MAX_PUSH_TOKENS_PER_USER,
            ),
        ] {
            within(field, size(value), 1, size(ceiling))?;
        }
        // `recall_window_ms` may be anything: 0 means authors cannot recall (moderators
        // still can).
        for (field, value) in [
            ("community_name_chars", self.community_name_chars),
            ("avatar_url_chars", self.avatar_url_chars),
            ("community_notice_chars", self.community_notice_chars),
            ("max_attributes", self.max_attributes),
            ("attribute_key_chars", self.attribute_key_chars),
            ("attribute_value_chars", self.attribute_value_chars),
            ("nickname_bytes", self.nickname_bytes),
            ("channel_name_bytes", self.channel_name_bytes),
            ("channel_intro_bytes", self.channel_intro_bytes),
            ("channel_notice_bytes", self.channel_notice_bytes),
        ] {
            within(field, size(value), 1, unbounded)?;
        }
        within(
            "channel_messages_per_second",
            u64::from(self.channel_messages_per_second),
            1,
            unbounded,
        )
    }
}

fn too_long(code: ErrorCode, what: &str, limit: usize, unit: &str) -> ApiError {
    ApiError::new(code, format!("{what} exceeds {limit} {unit}"))
}

impl Limits {
    /// Checks a community name: 1..=N characters.
    pub fn check_community_name(&self, name: &str) -> Result<(), ApiError> {
        if name.trim().is_empty() {
            return Err(ApiError::new(
                ErrorCode::NAME_TOO_LONG,
                "community name is empty",
            ));
        }
        check_chars(
            name,
            self.community_name_chars,
            ErrorCode::NAME_TOO_LONG,
            "community name",
        )
    }

    /// Checks an avatar URL.
    pub fn check_avatar_url(&self, url: &str) -> Result<(), ApiError> {
        check_chars(
            url,
            self.avatar_url_chars,
            ErrorCode::AVATAR_TOO_LONG,
            "avatar URL",
        )
    }

    /// Checks a community notice.
    pub fn check_community_notice(&self, notice: &str) -> Result<(), ApiError> {
        check_chars(
            notice,
            self.community_notice_chars,
            ErrorCode::NOTICE_TOO_LONG,
            "notice",
        )
    }

    /// Checks one attribute pair.
    pub fn check_attribute(&self, key: &str, value: &str) -> Result<(), ApiError> {
        if key.is_empty() {
            return Err(ApiError::new(
                ErrorCode::ATTRIBUTE_KEY_TOO_LONG,
                "attribute key is empty",
            ));
        }
        check_chars(
            key,
            self.attribute_key_chars,
            ErrorCode::ATTRIBUTE_KEY_TOO_LONG,
            "attribute key",
        )?;
        check_chars(
            value,
            self.attribute_value_chars,
            ErrorCode::ATTRIBUTE_VALUE_TOO_LONG,
            "attribute value",
        )
    }

    /// Checks a page size (`None` means the default).
    pub fn page_size(&self, requested: Option<u32>) -> Result<u32, ApiError> {
        match requested {
            None => Ok(self.max_page_size),
            Some(0) => Err(ApiError::new(
                ErrorCode::PAGE_SIZE_TOO_LARGE,
                "page size must be at least 1",
            )),
            Some(n) if n > self.max_page_size => Err(ApiError::new(
                ErrorCode::PAGE_SIZE_TOO_LARGE,
                format!("page size {n} exceeds {}", self.max_page_size),
            )),
            Some(n) => Ok(n),
        }
    }

    /// Checks the number of users in one invitation.
    pub fn check_invitees(&self, count: usize) -> Result<(), ApiError> {
        if count == 0 {
            return Err(ApiError::new(
                ErrorCode::INVALID_ARGUMENT,
                "no users to invite",
            ));
        }
        if count > self.max_invitees {
            return Err(ApiError::new(
                ErrorCode::TOO_MANY_INVITEES,
                format!("{count} users exceed {} per invitation", self.max_invitees),
            ));
        }
        Ok(())
    }

    /// Checks a nickname (name card).
    pub fn check_nickname(&self, nickname: &str) -> Result<(), ApiError> {
        check_bytes(
            nickname,
            self.nickname_bytes,
            ErrorCode::NICKNAME_TOO_LONG,
            "nickname",
        )
    }

    /// Checks a channel or category name: 1..=N bytes.
    pub fn check_channel_name(&self, name: &str) -> Result<(), ApiError> {
        if name.trim().is_empty() {
            return Err(ApiError::new(
                ErrorCode::CHANNEL_NAME_TOO_LONG,
                "channel name is empty",
            ));
        }
        check_bytes(
            name,
            self.channel_name_bytes,
            ErrorCode::CHANNEL_NAME_TOO_LONG,
            "channel name",
        )
    }

    /// Checks a channel introduction.
    pub fn check_channel_intro(&self, text: &str) -> Result<(), ApiError> {
        check_bytes(
            text,
            self.channel_intro_bytes,
            ErrorCode::CHANNEL_INTRO_TOO_LONG,
            "channel introduction",
        )
    }

    /// Checks a channel notice.
    pub fn check_channel_notice(&self, text: &str) -> Result<(), ApiError> {
        check_bytes(
            text,
            self.channel_notice_bytes,
            ErrorCode::CHANNEL_NOTICE_TOO_LONG,
            "channel notice",
        )
    }

    /// Checks a message body and its mentions.
    pub fn check_message(
        &self,
        content: &crate::MessageContent,
        mentions: &crate::Mentions,
    ) -> Result<(), ApiError> {
        use crate::MessageContent as C;
        match content {
            C::Text { text } => {
                if text.is_empty() {
                    return Err(ApiError::new(
                        ErrorCode::INVALID_ARGUMENT,
                        "text message is empty",
                    ));
                }
                check_bytes(text, self.text_bytes, ErrorCode::MESSAGE_TOO_LARGE, "text")?
            }
            C::Custom { data, description } => {
                check_bytes(
                    data,
                    self.custom_payload_bytes,
                    ErrorCode::CUSTOM_PAYLOAD_TOO_LARGE,
                    "custom payload",
                )?;
                check_bytes(
                    description,
                    self.text_bytes,
                    ErrorCode::MESSAGE_TOO_LARGE,
                    "description",
                )?
            }
            C::Image(m) | C::File(m) | C::Audio(m) | C::Video(m) => {
                if m.url.is_empty() {
                    return Err(ApiError::new(
                        ErrorCode::INVALID_ARGUMENT,
                        "media URL is empty",
                    ));
                }
                let size = m.url.len() + m.name.len() + m.mime.len();
                if size > self.text_bytes {
                    return Err(too_long(
                        ErrorCode::MESSAGE_TOO_LARGE,
                        "media metadata",
                        self.text_bytes,
                        "bytes",
                    ));
                }
            }
            C::System { event, text } => check_bytes(
                &format!("{event}{text}"),
                self.text_bytes,
                ErrorCode::MESSAGE_TOO_LARGE,
                "system text",
            )?,
            C::Recalled { .. } => {
                return Err(ApiError::new(
                    ErrorCode::INVALID_ARGUMENT,
                    "a recalled message is written by the server, not sent",
                ));
            }
            C::Unsupported => {
                return Err(ApiError::new(
                    ErrorCode::INVALID_ARGUMENT,
                    "a message needs a content type this server knows",
                ));
            }
        }
        if mentions.users.len() > self.max_mentions {
            return Err(ApiError::new(
                ErrorCode::TOO_MANY_MENTIONS,
                format!(
                    "{} mentions exceed {}",
                    mentions.users.len(),
                    self.max_mentions
                ),
            ));
        }
        Ok(())
    }
}

impl Limits {
    /// Checks an emoji: 1..=`emoji_bytes` bytes, no whitespace-only or control characters.
    pub fn check_emoji(&self, emoji: &str) -> Result<(), ApiError> {
        if emoji.trim().is_empty()
            || emoji.len() > self.emoji_bytes
            || emoji.chars().any(char::is_control)
        {
            return Err(ApiError::new(
                ErrorCode::INVALID_EMOJI,
                format!(
                    "emoji must be 1 to {} bytes without control characters",
                    self.emoji_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Checks one member custom field: key 1..=`member_field_bytes`, value
    /// ..=`member_field_bytes` (empty removes the field).
    pub fn check_member_field(&self, key: &str, value: &str) -> Result<(), ApiError> {
        if key.is_empty() {
            return Err(ApiError::new(
                ErrorCode::MEMBER_FIELD_TOO_LONG,
                "a member field needs a key",
            ));
        }
        check_bytes(
            key,
            self.member_field_bytes,
            ErrorCode::MEMBER_FIELD_TOO_LONG,
            "member field key",
        )?;
        check_bytes(
            value,
            self.member_field_bytes,
            ErrorCode::MEMBER_FIELD_TOO_LONG,
            "member field value",
        )
    }

    /// Checks a profile change: the display name, each field key and value within
    /// `profile_field_bytes`, the avatar URL within 300 bytes, and the field count after the
    /// change (`fields_after`) within `max_profile_fields`.
    pub fn check_profile(
        &self,
        display_name: Option<&str>,
        avatar_url: Option<&str>,
        fields: &std::collections::BTreeMap<String, String>,
        fields_after: usize,
    ) -> Result<(), ApiError> {
        let too_large = |what: String| Err(ApiError::new(ErrorCode::PROFILE_TOO_LARGE, what));
        if display_name.is_some_and(|n| n.len() > self.profile_field_bytes) {
            return too_large(format!(
                "display name over {} bytes",
                self.profile_field_bytes
            ));
        }
        if avatar_url.is_some_and(|u| u.len() > 300) {
            return too_large("avatar URL over 300 bytes".into());
        }
        for (key, value) in fields {
            if key.is_empty()
                || key.len() > self.profile_field_bytes
                || value.len() > self.profile_field_bytes
            {
                return too_large(format!(
                    "profile field keys and values are 1 to {} bytes",
                    self.profile_field_bytes
                ));
            }
        }
        if fields_after > self.max_profile_fields {
            return too_large(format!(
                "at most {} profile fields",
                self.max_profile_fields
            ));
        }
        Ok(())
    }

    /// Checks the number of users in one request (`at_most`: 100 for profiles,
    /// `max_presence_users` for presence).
    pub fn check_user_count(&self, count: usize, at_most: usize) -> Result<(), ApiError> {
        if count == 0 || count > at_most {
            return Err(ApiError::new(
                ErrorCode::TOO_MANY_USERS,
                format!("1 to {at_most} users per request"),
            ));
        }
        Ok(())
    }

    /// Checks the ranges of a `subscribe_member_list`: 1 to `member_list_max_ranges`,
    /// each `start <= end` and at most `member_list_range_items` long, none overlapping.
    pub fn check_member_list_ranges(
        &self,
        ranges: &[crate::member_list::ListRange],
    ) -> Result<(), ApiError> {
        let refuse =
            |message: String| Err(ApiError::new(ErrorCode::INVALID_MEMBER_LIST_RANGE, message));
        if ranges.is_empty() || ranges.len() > self.member_list_max_ranges {
            return refuse(format!(
                "1 to {} ranges per subscription",
                self.member_list_max_ranges
            ));
        }
        for range in ranges {
            if range.start > range.end {
                return refuse(format!(
                    "range [{}, {}] is reversed",
                    range.start, range.end
                ));
            }
            if range.len() > self.member_list_range_items as u64 {
                return refuse(format!(
                    "a range spans at most {} positions",
                    self.member_list_range_items
                ));
            }
        }
        let mut sorted = ranges.to_vec();
        sorted.sort_by_key(|r| r.start);
        if sorted.windows(2).any(|pair| pair[1].start <= pair[0].end) {
            return refuse("ranges overlap".to_owned());
        }
        Ok(())
    }

    /// Checks an auto-archive delay: one hour to thirty days.
    pub fn check_auto_archive(&self, ms: u64) -> Result<(), ApiError> {
        if !(ceilings::MIN_AUTO_ARCHIVE_MS..=ceilings::MAX_AUTO_ARCHIVE_MS).contains(&ms) {
            return Err(ApiError::new(
                ErrorCode::INVALID_AUTO_ARCHIVE,
                format!(
                    "auto-archive must be {} to {} ms",
                    ceilings::MIN_AUTO_ARCHIVE_MS,
                    ceilings::MAX_AUTO_ARCHIVE_MS
                ),
            ));
        }
        Ok(())
    }

    /// Checks a group name: 1..=`channel_name_bytes` bytes (as channel names).
    pub fn check_group_name(&self, name: &str) -> Result<(), ApiError> {
        if name.trim().is_empty() {
            return Err(ApiError::new(
                ErrorCode::CHANNEL_NAME_TOO_LONG,
                "group name is empty",
            ));
        }
        check_bytes(
            name,
            self.channel_name_bytes,
            ErrorCode::CHANNEL_NAME_TOO_LONG,
            "group name",
        )
    }

    /// Checks a message's custom data.
    pub fn check_custom_data(&self, data: &str) -> Result<(), ApiError> {
        check_bytes(
            data,
            self.custom_data_bytes,
            ErrorCode::CUSTOM_DATA_TOO_LARGE,
            "custom data",
        )
    }
}

/// Checks an idempotency key: 1..=64 bytes.
pub fn check_idempotency_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > IDEMPOTENCY_KEY_BYTES {
        return Err(ApiError::new(
            ErrorCode::INVALID_IDEMPOTENCY_KEY,
            format!("idempotency key must be 1 to {IDEMPOTENCY_KEY_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// Checks a user id: 1..=64 bytes, no control characters.
pub fn check_user_id(user_id: &str) -> Result<(), ApiError> {
    if user_id.is_empty() || user_id.len() > ID_BYTES || user_id.chars().any(char::is_control) {
        return Err(ApiError::new(
            ErrorCode::INVALID_USER_ID,
            format!("user id must be 1 to {ID_BYTES} bytes without control characters"),
        ));
    }
    Ok(())
}

/// Checks a custom community id: 1..=64 of `[A-Za-z0-9_-]`.
pub fn check_community_id(id: &str) -> Result<(), ApiError> {
    let valid = !id.is_empty()
        && id.len() <= ID_BYTES
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        return Err(ApiError::new(
            ErrorCode::INVALID_COMMUNITY_ID,
            format!("community id must be 1 to {ID_BYTES} of A-Z a-z 0-9 _ -"),
        ));
    }
    Ok(())
}

fn check_chars(text: &str, limit: usize, code: ErrorCode, what: &str) -> Result<(), ApiError> {
    if text.chars().count() > limit {
        return Err(too_long(code, what, limit, "characters"));
    }
    Ok(())
}

fn check_bytes(text: &str, limit: usize, code: ErrorCode, what: &str) -> Result<(), ApiError> {
    if text.len() > limit {
        return Err(too_long(code, what, limit, "bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_of_301_characters_is_refused() {
        let limits = Limits::default();
        assert!(limits.check_community_name(&"é".repeat(300)).is_ok());
        let err = limits.check_community_name(&"é".repeat(301)).unwrap_err();
        assert_eq!(err.code, ErrorCode::NAME_TOO_LONG);
    }

    #[test]
    fn page_size_bounds() {
        let limits = Limits::default();
        assert_eq!(limits.page_size(None).unwrap(), 100);
        assert_eq!(limits.page_size(Some(100)).unwrap(), 100);
        assert_eq!(
            limits.page_size(Some(101)).unwrap_err().code,
            ErrorCode::PAGE_SIZE_TOO_LARGE
        );
        assert_eq!(
            limits.page_size(Some(0)).unwrap_err().code,
            ErrorCode::PAGE_SIZE_TOO_LARGE
        );
    }

    #[test]
    fn nickname_counts_bytes() {
        let limits = Limits::default();
        assert!(limits.check_nickname(&"a".repeat(50)).is_ok());
        assert_eq!(
            limits.check_nickname(&"é".repeat(26)).unwrap_err().code,
            ErrorCode::NICKNAME_TOO_LONG
        );
    }

    #[test]
    fn ceilings_are_enforced() {
        assert_eq!(Limits::default().validate(), Ok(()));
        let limits = Limits {
            max_channels_per_community: 1_001,
            ..Limits::default()
        };
        assert_eq!(
            limits.validate().unwrap_err().field,
            "max_channels_per_community"
        );
        let limits = Limits {
            max_joined_communities: 501,
            ..Limits::default()
        };
        assert_eq!(
            limits.validate().unwrap_err().field,
            "max_joined_communities"
        );
        let limits = Limits {
            max_joined_communities: 500,
            max_channels_per_community: 1_000,
            max_members_per_community: 0,
            ..Limits::default()
        };
        assert_eq!(limits.validate(), Ok(()));
        let limits = Limits {
            nickname_bytes: 0,
            ..Limits::default()
        };
        assert_eq!(limits.validate().unwrap_err().field, "nickname_bytes");
    }

    #[test]
    fn emoji_and_custom_data_are_checked() {
        let limits = Limits::default();
        assert!(limits.check_emoji("👍").is_ok());
        assert!(limits.check_emoji(":party_parrot:").is_ok());
        for bad in ["", " ", "a\nb", &"x".repeat(33)] {
            assert_eq!(
                limits.check_emoji(bad).unwrap_err().code,
                ErrorCode::INVALID_EMOJI
            );
        }
        assert!(limits.check_custom_data(&"d".repeat(1024)).is_ok());
        assert_eq!(
            limits
                .check_custom_data(&"d".repeat(1025))
                .unwrap_err()
                .code,
            ErrorCode::CUSTOM_DATA_TOO_LARGE
        );
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_community_id("guild-42_a").is_ok());
        assert!(check_community_id("no spaces").is_err());
        assert!(check_user_id("").is_err());
        assert!(check_user_id("alice").is_ok());
        assert!(check_idempotency_key(&"k".repeat(65)).is_err());
    }
}
