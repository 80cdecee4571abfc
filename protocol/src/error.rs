//! Error codes of protocol v1 and the [`ApiError`] record that carries them.
//!
//! A code is a number in a documented range; the range says what *kind* of failure it is
//! (see [`ErrorKind`]), so a client that meets a code it does not know yet still knows how
//! to react. Codes are never reused; new ones are added inside their range.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of failure a code is, derived from its range.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 1000–1999: the frame itself is wrong (bad JSON, unknown op, wrong types, too big).
    Protocol,
    /// 2000–2999: login, tokens and sessions.
    Auth,
    /// 3000–3999: the thing does not exist, or already exists.
    NotFound,
    /// 4000–4999: the caller may not do this.
    Permission,
    /// 5000–5999: a limit of the deployment was exceeded or an argument is invalid.
    Limit,
    /// 9000–9999: the server failed or is going away; retrying later may work.
    Server,
    /// Any other number (from a newer peer).
    Unknown,
}

/// A numeric error code. The known codes are associated constants; unknown numbers from a
/// newer peer are kept as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErrorCode(pub u16);

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident = $num:literal, $text:literal; )*) => {
        impl ErrorCode {
            $( $(#[$doc])* pub const $name: ErrorCode = ErrorCode($num); )*

            /// Every known code, in ascending order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The code's stable snake_case name, or `"unknown"`.
            pub fn name(self) -> &'static str {
                match self.0 {
                    $( $num => $text, )*
                    _ => "unknown",
                }
            }
        }
    };
}

error_codes! {
    /// The frame is not valid JSON or not a JSON object.
    BAD_FRAME = 1000, "bad_frame";
    /// The frame's `type` or the request's `op` is not known.
    UNKNOWN_OP = 1001, "unknown_op";
    /// The frame exceeds the server's `max_frame_bytes`.
    FRAME_TOO_LARGE = 1002, "frame_too_large";
    /// A field is missing or has the wrong type.
    INVALID_PARAMS = 1003, "invalid_params";
    /// The client's protocol version is not supported.
    UNSUPPORTED_VERSION = 1004, "unsupported_version";
    /// A request arrived before `hello`.
    HELLO_REQUIRED = 1005, "hello_required";
    /// The client sends too many frames.
    CLIENT_RATE_LIMITED = 1006, "client_rate_limited";

    /// The request needs a logged-in session.
    NOT_LOGGED_IN = 2000, "not_logged_in";
    /// The token is malformed.
    TOKEN_MALFORMED = 2001, "token_malformed";
    /// The token's signature does not verify (forged, or another deployment's secret).
    TOKEN_FORGED = 2002, "token_forged";
    /// The token has expired.
    TOKEN_EXPIRED = 2003, "token_expired";
    /// The token was issued for another user.
    TOKEN_USER_MISMATCH = 2004, "token_user_mismatch";
    /// The session is already logged in.
    ALREADY_LOGGED_IN = 2005, "already_logged_in";
    /// The user id is empty or too long (≤ 64 bytes, no control characters).
    INVALID_USER_ID = 2006, "invalid_user_id";
    /// The admin HTTP API was called without the deployment's admin key, or a wrong one.
    ADMIN_KEY_INVALID = 2007, "admin_key_invalid";

    /// No such community (or the caller may not know it exists).
    COMMUNITY_NOT_FOUND = 3000, "community_not_found";
    /// No such channel in that community.
    CHANNEL_NOT_FOUND = 3001, "channel_not_found";
    /// No such category in that community.
    CATEGORY_NOT_FOUND = 3002, "category_not_found";
    /// The user is not a member of the community.
    NOT_MEMBER = 3003, "not_member";
    /// A community with that custom id exists already.
    COMMUNITY_EXISTS = 3004, "community_exists";
    /// The user is a member already.
    ALREADY_MEMBER = 3005, "already_member";
    /// No such message.
    MESSAGE_NOT_FOUND = 3006, "message_not_found";
    /// No pending join request from that user.
    JOIN_REQUEST_NOT_FOUND = 3007, "join_request_not_found";
    /// A join request from this user is pending already.
    JOIN_REQUEST_PENDING = 3008, "join_request_pending";
    /// The cursor is not one the server issued.
    INVALID_CURSOR = 3009, "invalid_cursor";
    /// The message was recalled: it cannot be edited, reacted to, pinned or forwarded.
    MESSAGE_RECALLED = 3010, "message_recalled";
    /// No such permission group in that community.
    GROUP_NOT_FOUND = 3011, "group_not_found";
    /// The user is not banned from the community.
    BAN_NOT_FOUND = 3012, "ban_not_found";
    /// No such thread (or the caller may not read its channel).
    THREAD_NOT_FOUND = 3013, "thread_not_found";
    /// The message already has a thread.
    THREAD_EXISTS = 3014, "thread_exists";
    /// No such conversation (or the caller is not in it).
    CONVERSATION_NOT_FOUND = 3015, "conversation_not_found";
    /// No such user: they never logged in to this server and are in no community.
    USER_NOT_FOUND = 3016, "user_not_found";

    /// The caller's role does not allow this.
    PERMISSION_DENIED = 4000, "permission_denied";
    /// Only the owner may do this.
    OWNER_ONLY = 4001, "owner_only";
    /// Nobody may act on the owner (kick, mute, demote).
    CANNOT_ACT_ON_OWNER = 4002, "cannot_act_on_owner";
    /// An admin may not act on another admin.
    CANNOT_ACT_ON_ADMIN = 4003, "cannot_act_on_admin";
    /// The caller is muted in this community.
    MUTED = 4004, "muted";
    /// The community is muted: only the owner and admins may speak.
    MUTE_ALL = 4005, "mute_all";
    /// The owner must transfer ownership before leaving.
    OWNER_CANNOT_LEAVE = 4006, "owner_cannot_leave";
    /// The community is invite-only.
    INVITE_ONLY = 4007, "invite_only";
    /// The channel is private and the caller is not in it.
    NOT_CHANNEL_MEMBER = 4008, "not_channel_member";
    /// Only the owner and admins post in an announcement channel.
    ANNOUNCEMENT_READ_ONLY = 4009, "announcement_read_only";
    /// The default channel cannot be deleted or made private.
    DEFAULT_CHANNEL_PROTECTED = 4010, "default_channel_protected";
    /// Only the message's author may do this (edit; recall, for members who do not
    /// manage messages).
    NOT_AUTHOR = 4011, "not_author";
    /// The author's recall window has passed (`recall_window_ms`).
    RECALL_WINDOW_PASSED = 4012, "recall_window_passed";
    /// The user is banned from the community (joining, invitations refused).
    BANNED = 4013, "banned";
    /// The target ranks at or above the caller (their highest group is not below the
    /// caller's), or the group is not below the caller's highest.
    CANNOT_ACT_ON_HIGHER = 4014, "cannot_act_on_higher";
    /// The thread is archived (by hand or by inactivity): read-only until unarchived.
    THREAD_ARCHIVED = 4015, "thread_archived";
    /// The thread is locked: only members who manage threads post.
    THREAD_LOCKED = 4016, "thread_locked";
    /// A block stands between the caller and that user (either way).
    BLOCKED = 4017, "blocked";
    /// The user does not take conversations from the caller (their `dm_policy`).
    DM_NOT_ALLOWED = 4018, "dm_not_allowed";
    /// The deployment's content check (its before-send webhook) refused the message.
    MESSAGE_REJECTED = 4019, "message_rejected";

    /// Community name over 300 characters (or empty).
    NAME_TOO_LONG = 5000, "name_too_long";
    /// Avatar URL over 100 characters.
    AVATAR_TOO_LONG = 5001, "avatar_too_long";
    /// Community notice over 500 characters.
    NOTICE_TOO_LONG = 5002, "notice_too_long";
    /// More than 10 custom attributes.
    TOO_MANY_ATTRIBUTES = 5003, "too_many_attributes";
    /// Attribute key over 16 characters (or empty).
    ATTRIBUTE_KEY_TOO_LONG = 5004, "attribute_key_too_long";
    /// Attribute value over 1,024 characters.
    ATTRIBUTE_VALUE_TOO_LONG = 5005, "attribute_value_too_long";
    /// More than 100 users in one invitation.
    TOO_MANY_INVITEES = 5006, "too_many_invitees";
    /// Page size over 100 (or 0).
    PAGE_SIZE_TOO_LARGE = 5007, "page_size_too_large";
    /// Nickname over 50 bytes.
    NICKNAME_TOO_LONG = 5008, "nickname_too_long";
    /// Channel or category name over 100 bytes (or empty).
    CHANNEL_NAME_TOO_LONG = 5009, "channel_name_too_long";
    /// Channel introduction over 240 bytes.
    CHANNEL_INTRO_TOO_LONG = 5010, "channel_intro_too_long";
    /// Channel notice over 300 bytes.
    CHANNEL_NOTICE_TOO_LONG = 5011, "channel_notice_too_long";
    /// Text body over 12 KB, or a media/system message over its limit.
    MESSAGE_TOO_LARGE = 5012, "message_too_large";
    /// Custom payload over 8 KB.
    CUSTOM_PAYLOAD_TOO_LARGE = 5013, "custom_payload_too_large";
    /// The community is full.
    TOO_MANY_MEMBERS = 5014, "too_many_members";
    /// The community has its maximum number of channels.
    TOO_MANY_CHANNELS = 5015, "too_many_channels";
    /// The user has joined the maximum number of communities.
    TOO_MANY_JOINED = 5016, "too_many_joined";
    /// The channel receives more messages per second than allowed; this one was dropped.
    CHANNEL_RATE_LIMITED = 5017, "channel_rate_limited";
    /// An argument is invalid in a way no more specific code covers (message says which).
    INVALID_ARGUMENT = 5018, "invalid_argument";
    /// Idempotency key empty or over 64 bytes.
    INVALID_IDEMPOTENCY_KEY = 5019, "invalid_idempotency_key";
    /// More than 30 users mentioned in one message.
    TOO_MANY_MENTIONS = 5020, "too_many_mentions";
    /// The custom id of a community is malformed (1–64 of `[A-Za-z0-9_-]`).
    INVALID_COMMUNITY_ID = 5021, "invalid_community_id";
    /// The message has its maximum number of distinct emoji.
    TOO_MANY_REACTIONS = 5022, "too_many_reactions";
    /// The emoji is empty, over `emoji_bytes`, or contains control characters.
    INVALID_EMOJI = 5023, "invalid_emoji";
    /// The channel has its maximum number of pinned messages.
    TOO_MANY_PINS = 5024, "too_many_pins";
    /// A message's custom data exceeds `custom_data_bytes`.
    CUSTOM_DATA_TOO_LARGE = 5025, "custom_data_too_large";
    /// The caller has hidden the maximum number of messages of this channel.
    TOO_MANY_HIDDEN = 5026, "too_many_hidden";
    /// Only text and custom messages can be edited (and only into text or custom).
    NOT_EDITABLE = 5027, "not_editable";
    /// The community has its maximum number of permission groups.
    TOO_MANY_GROUPS = 5028, "too_many_groups";
    /// More custom fields on a member than allowed (`max_member_fields`).
    TOO_MANY_MEMBER_FIELDS = 5029, "too_many_member_fields";
    /// A member field's key or value is too long (`member_field_bytes`).
    MEMBER_FIELD_TOO_LONG = 5030, "member_field_too_long";
    /// The channel or category has its maximum number of overrides.
    TOO_MANY_OVERRIDES = 5031, "too_many_overrides";
    /// The channel has its maximum number of active threads.
    TOO_MANY_THREADS = 5032, "too_many_threads";
    /// An auto-archive delay outside the allowed range.
    INVALID_AUTO_ARCHIVE = 5033, "invalid_auto_archive";
    /// More participants than `max_conversation_members`.
    TOO_MANY_PARTICIPANTS = 5034, "too_many_participants";
    /// A profile's name, avatar, field or status text is too long, or too many fields.
    PROFILE_TOO_LARGE = 5035, "profile_too_large";
    /// More users in one presence or profile request than allowed.
    TOO_MANY_USERS = 5036, "too_many_users";
    /// A search query that cannot be run: empty, too long, too many terms, an unclosed
    /// quote, a `*` inside a word.
    INVALID_SEARCH_QUERY = 5037, "invalid_search_query";
    /// Member list ranges that cannot be followed: none, too many, too long, reversed or
    /// overlapping.
    INVALID_MEMBER_LIST_RANGE = 5038, "invalid_member_list_range";
    /// A push token that cannot be registered: empty, too long, control characters.
    INVALID_PUSH_TOKEN = 5039, "invalid_push_token";

    /// An unexpected server failure; the request may be retried.
    INTERNAL = 9000, "internal";
    /// The server is shutting down; reconnect and retry.
    SHUTTING_DOWN = 9001, "shutting_down";
    /// The storage failed; retry later.
    STORAGE = 9002, "storage";
    /// This server node has lost its link to the other nodes of its cluster and refuses
    /// writes until it is back (reads keep working); retry shortly, through this node or
    /// another one.
    CLUSTER_UNAVAILABLE = 9003, "cluster_unavailable";
}

impl ErrorCode {
    /// The kind of failure, from the code's range.
    pub fn kind(self) -> ErrorKind {
        match self.0 {
            1000..=1999 => ErrorKind::Protocol,
            2000..=2999 => ErrorKind::Auth,
            3000..=3999 => ErrorKind::NotFound,
            4000..=4999 => ErrorKind::Permission,
            5000..=5999 => ErrorKind::Limit,
            9000..=9999 => ErrorKind::Server,
            _ => ErrorKind::Unknown,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

/// A typed failure of a request: the code, and a message for developers (English, may
/// name the limit or the field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// What failed.
    pub code: ErrorCode,
    /// Details for developers.
    pub message: String,
    /// For failures inside the server (9000–9999): the id under which the server logged
    /// the details (never shown to clients), to quote when reporting the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            incident_id: None,
        }
    }

    /// A server-side failure logged under `incident_id`; the message names the id and
    /// nothing of the internal cause.
    pub fn incident(code: ErrorCode, what: &str, incident_id: impl Into<String>) -> Self {
        let incident_id = incident_id.into();
        Self {
            code,
            message: format!("{what} (incident {incident_id})"),
            incident_id: Some(incident_id),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.code.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_named() {
        let mut previous = 0;
        for code in ErrorCode::ALL {
            assert!(code.0 > previous, "{code} out of order");
            previous = code.0;
            assert_ne!(code.name(), "unknown");
            assert_ne!(code.kind(), ErrorKind::Unknown);
        }
    }

    #[test]
    fn unknown_codes_survive_a_round_trip() {
        let error: ApiError =
            serde_json::from_str(r#"{"code":7777,"message":"from the future"}"#).unwrap();
        assert_eq!(error.code, ErrorCode(7777));
        assert_eq!(error.kind(), ErrorKind::Unknown);
        assert_eq!(error.code.name(), "unknown");
    }
}
