//! The error codes as C constants: the protocol's codes (1000–9999, see
//! `community_protocol::ErrorCode`) and the SDK-local ones (10000–10999). Every fallible C
//! function returns one of them, or [`CSDK_OK`]. A test checks that they match the
//! protocol crate, so they cannot drift.

/// Success.
pub const CSDK_OK: i32 = 0;

/// The frame is not valid JSON or not a JSON object.
pub const CSDK_ERR_BAD_FRAME: i32 = 1000;
/// The frame's `type` or the request's `op` is not known.
pub const CSDK_ERR_UNKNOWN_OP: i32 = 1001;
/// The frame exceeds the server's `max_frame_bytes`.
pub const CSDK_ERR_FRAME_TOO_LARGE: i32 = 1002;
/// A field is missing or has the wrong type.
pub const CSDK_ERR_INVALID_PARAMS: i32 = 1003;
/// The client's protocol version is not supported.
pub const CSDK_ERR_UNSUPPORTED_VERSION: i32 = 1004;
/// A request arrived before `hello`.
pub const CSDK_ERR_HELLO_REQUIRED: i32 = 1005;
/// The client sends too many frames.
pub const CSDK_ERR_CLIENT_RATE_LIMITED: i32 = 1006;
/// The request needs a logged-in session.
pub const CSDK_ERR_NOT_LOGGED_IN: i32 = 2000;
/// The token is malformed.
pub const CSDK_ERR_TOKEN_MALFORMED: i32 = 2001;
/// The token's signature does not verify (forged, or another deployment's secret).
pub const CSDK_ERR_TOKEN_FORGED: i32 = 2002;
/// The token has expired.
pub const CSDK_ERR_TOKEN_EXPIRED: i32 = 2003;
/// The token was issued for another user.
pub const CSDK_ERR_TOKEN_USER_MISMATCH: i32 = 2004;
/// The session is already logged in.
pub const CSDK_ERR_ALREADY_LOGGED_IN: i32 = 2005;
/// The user id is empty or too long (≤ 64 bytes, no control characters).
pub const CSDK_ERR_INVALID_USER_ID: i32 = 2006;
/// The admin HTTP API was called without the deployment's admin key, or a wrong one.
pub const CSDK_ERR_ADMIN_KEY_INVALID: i32 = 2007;
/// No such community (or the caller may not know it exists).
pub const CSDK_ERR_COMMUNITY_NOT_FOUND: i32 = 3000;
/// No such channel in that community.
pub const CSDK_ERR_CHANNEL_NOT_FOUND: i32 = 3001;
/// No such category in that community.
pub const CSDK_ERR_CATEGORY_NOT_FOUND: i32 = 3002;
/// The user is not a member of the community.
pub const CSDK_ERR_NOT_MEMBER: i32 = 3003;
/// A community with that custom id exists already.
pub const CSDK_ERR_COMMUNITY_EXISTS: i32 = 3004;
/// The user is a member already.
pub const CSDK_ERR_ALREADY_MEMBER: i32 = 3005;
/// No such message.
pub const CSDK_ERR_MESSAGE_NOT_FOUND: i32 = 3006;
/// No pending join request from that user.
pub const CSDK_ERR_JOIN_REQUEST_NOT_FOUND: i32 = 3007;
/// A join request from this user is pending already.
pub const CSDK_ERR_JOIN_REQUEST_PENDING: i32 = 3008;
/// The cursor is not one the server issued.
pub const CSDK_ERR_INVALID_CURSOR: i32 = 3009;
/// The message was recalled: it cannot be edited, reacted to, pinned or forwarded.
pub const CSDK_ERR_MESSAGE_RECALLED: i32 = 3010;
/// No such permission group in that community.
pub const CSDK_ERR_GROUP_NOT_FOUND: i32 = 3011;
/// The user is not banned from the community.
pub const CSDK_ERR_BAN_NOT_FOUND: i32 = 3012;
/// No such thread (or the caller may not read its channel).
pub const CSDK_ERR_THREAD_NOT_FOUND: i32 = 3013;
/// The message already has a thread.
pub const CSDK_ERR_THREAD_EXISTS: i32 = 3014;
/// No such conversation (or the user is not in it).
pub const CSDK_ERR_CONVERSATION_NOT_FOUND: i32 = 3015;
/// No such user: they never logged in to this server and are in no community.
pub const CSDK_ERR_USER_NOT_FOUND: i32 = 3016;
/// The caller lacks a permission this needs (the detail names the missing flags).
pub const CSDK_ERR_PERMISSION_DENIED: i32 = 4000;
/// Only the owner may do this.
pub const CSDK_ERR_OWNER_ONLY: i32 = 4001;
/// Nobody may act on the owner (kick, mute, demote).
pub const CSDK_ERR_CANNOT_ACT_ON_OWNER: i32 = 4002;
/// An admin may not act on another admin.
pub const CSDK_ERR_CANNOT_ACT_ON_ADMIN: i32 = 4003;
/// The caller is muted in this community.
pub const CSDK_ERR_MUTED: i32 = 4004;
/// The community is muted: only the owner and admins may speak.
pub const CSDK_ERR_MUTE_ALL: i32 = 4005;
/// The owner must transfer ownership before leaving.
pub const CSDK_ERR_OWNER_CANNOT_LEAVE: i32 = 4006;
/// The community is invite-only.
pub const CSDK_ERR_INVITE_ONLY: i32 = 4007;
/// The channel is private and the caller is not in it.
pub const CSDK_ERR_NOT_CHANNEL_MEMBER: i32 = 4008;
/// Only the owner and admins post in an announcement channel.
pub const CSDK_ERR_ANNOUNCEMENT_READ_ONLY: i32 = 4009;
/// The default channel cannot be deleted or made private.
pub const CSDK_ERR_DEFAULT_CHANNEL_PROTECTED: i32 = 4010;
/// Only the message's author may do this (edit; recall, for members who do not manage
/// messages).
pub const CSDK_ERR_NOT_AUTHOR: i32 = 4011;
/// The author's recall window has passed (`recall_window_ms`).
pub const CSDK_ERR_RECALL_WINDOW_PASSED: i32 = 4012;
/// The user is banned from the community (joining, invitations refused).
pub const CSDK_ERR_BANNED: i32 = 4013;
/// The target ranks at or above the caller (their highest group is not below the
/// caller's), or the group is not below the caller's highest.
pub const CSDK_ERR_CANNOT_ACT_ON_HIGHER: i32 = 4014;
/// The thread is archived (by hand or by inactivity): read-only until unarchived.
pub const CSDK_ERR_THREAD_ARCHIVED: i32 = 4015;
/// The thread is locked: only members who manage threads post.
pub const CSDK_ERR_THREAD_LOCKED: i32 = 4016;
/// A block stands between the user and that user (either way).
pub const CSDK_ERR_BLOCKED: i32 = 4017;
/// The user does not take conversations from the caller (their DM policy).
pub const CSDK_ERR_DM_NOT_ALLOWED: i32 = 4018;
/// The deployment's content check (its before-send webhook) refused the message.
pub const CSDK_ERR_MESSAGE_REJECTED: i32 = 4019;
/// Community name over 300 characters (or empty).
pub const CSDK_ERR_NAME_TOO_LONG: i32 = 5000;
/// Avatar URL over 100 characters.
pub const CSDK_ERR_AVATAR_TOO_LONG: i32 = 5001;
/// Community notice over 500 characters.
pub const CSDK_ERR_NOTICE_TOO_LONG: i32 = 5002;
/// More than 10 custom attributes.
pub const CSDK_ERR_TOO_MANY_ATTRIBUTES: i32 = 5003;
/// Attribute key over 16 characters (or empty).
pub const CSDK_ERR_ATTRIBUTE_KEY_TOO_LONG: i32 = 5004;
/// Attribute value over 1,024 characters.
pub const CSDK_ERR_ATTRIBUTE_VALUE_TOO_LONG: i32 = 5005;
/// More than 100 users in one invitation.
pub const CSDK_ERR_TOO_MANY_INVITEES: i32 = 5006;
/// Page size over 100 (or 0).
pub const CSDK_ERR_PAGE_SIZE_TOO_LARGE: i32 = 5007;
/// Nickname over 50 bytes.
pub const CSDK_ERR_NICKNAME_TOO_LONG: i32 = 5008;
/// Channel or category name over 100 bytes (or empty).
pub const CSDK_ERR_CHANNEL_NAME_TOO_LONG: i32 = 5009;
/// Channel introduction over 240 bytes.
pub const CSDK_ERR_CHANNEL_INTRO_TOO_LONG: i32 = 5010;
/// Channel notice over 300 bytes.
pub const CSDK_ERR_CHANNEL_NOTICE_TOO_LONG: i32 = 5011;
/// Text body over 12 KB, or a media/system message over its limit.
pub const CSDK_ERR_MESSAGE_TOO_LARGE: i32 = 5012;
/// Custom payload over 8 KB.
pub const CSDK_ERR_CUSTOM_PAYLOAD_TOO_LARGE: i32 = 5013;
/// The community is full.
pub const CSDK_ERR_TOO_MANY_MEMBERS: i32 = 5014;
/// The community has its maximum number of channels.
pub const CSDK_ERR_TOO_MANY_CHANNELS: i32 = 5015;
/// The user has joined the maximum number of communities.
pub const CSDK_ERR_TOO_MANY_JOINED: i32 = 5016;
/// The channel receives more messages per second than allowed; this one was dropped.
pub const CSDK_ERR_CHANNEL_RATE_LIMITED: i32 = 5017;
/// An argument is invalid in a way no more specific code covers (message says which).
pub const CSDK_ERR_INVALID_ARGUMENT: i32 = 5018;
/// Idempotency key empty or over 64 bytes.
pub const CSDK_ERR_INVALID_IDEMPOTENCY_KEY: i32 = 5019;
/// More than 30 users mentioned in one message.
pub const CSDK_ERR_TOO_MANY_MENTIONS: i32 = 5020;
/// The custom id of a community is malformed (1–64 of `[A-Za-z0-9_-]`).
pub const CSDK_ERR_INVALID_COMMUNITY_ID: i32 = 5021;
/// The message has its maximum number of distinct emoji.
pub const CSDK_ERR_TOO_MANY_REACTIONS: i32 = 5022;
/// The emoji is empty, over `emoji_bytes`, or contains control characters.
pub const CSDK_ERR_INVALID_EMOJI: i32 = 5023;
/// The channel has its maximum number of pinned messages.
pub const CSDK_ERR_TOO_MANY_PINS: i32 = 5024;
/// A message's custom data exceeds `custom_data_bytes`.
pub const CSDK_ERR_CUSTOM_DATA_TOO_LARGE: i32 = 5025;
/// The user has hidden the maximum number of messages of this channel.
pub const CSDK_ERR_TOO_MANY_HIDDEN: i32 = 5026;
/// Only text and custom messages can be edited (and only into text or custom).
pub const CSDK_ERR_NOT_EDITABLE: i32 = 5027;
/// The community has its maximum number of permission groups.
pub const CSDK_ERR_TOO_MANY_GROUPS: i32 = 5028;
/// More custom fields on a member than allowed (`max_member_fields`).
pub const CSDK_ERR_TOO_MANY_MEMBER_FIELDS: i32 = 5029;
/// A member field's key or value is too long (`member_field_bytes`).
pub const CSDK_ERR_MEMBER_FIELD_TOO_LONG: i32 = 5030;
/// The channel or category has its maximum number of overrides.
pub const CSDK_ERR_TOO_MANY_OVERRIDES: i32 = 5031;
/// The channel has its maximum number of active threads.
pub const CSDK_ERR_TOO_MANY_THREADS: i32 = 5032;
/// An auto-archive delay outside the allowed range.
pub const CSDK_ERR_INVALID_AUTO_ARCHIVE: i32 = 5033;
/// More participants than `max_conversation_members`.
pub const CSDK_ERR_TOO_MANY_PARTICIPANTS: i32 = 5034;
/// A profile's name, avatar, field or status text is too long, or too many fields.
pub const CSDK_ERR_PROFILE_TOO_LARGE: i32 = 5035;
/// More users in one presence or profile request than allowed.
pub const CSDK_ERR_TOO_MANY_USERS: i32 = 5036;
/// A search query that cannot be run: empty, too long, too many terms, an unclosed
/// quote, a `*` inside a word.
pub const CSDK_ERR_INVALID_SEARCH_QUERY: i32 = 5037;
/// Member list ranges out of the limits: none or more than `member_list_max_ranges`, one
/// longer than `member_list_range_items` positions, `start` after `end`, or overlapping.
pub const CSDK_ERR_INVALID_MEMBER_LIST_RANGE: i32 = 5038;
/// A push token that cannot be registered: empty, longer than `push_token_bytes`, control
/// characters or surrounding whitespace.
pub const CSDK_ERR_INVALID_PUSH_TOKEN: i32 = 5039;
/// An unexpected server failure; the request may be retried.
pub const CSDK_ERR_INTERNAL: i32 = 9000;
/// The server is shutting down; reconnect and retry.
pub const CSDK_ERR_SHUTTING_DOWN: i32 = 9001;
/// The storage failed; retry later.
pub const CSDK_ERR_STORAGE: i32 = 9002;
/// This server node lost its link to the other nodes and refuses writes until it is back;
/// retry shortly (the outbox does).
pub const CSDK_ERR_CLUSTER_UNAVAILABLE: i32 = 9003;

/// SDK-local: not connected; nothing was sent (retry once connected).
pub const CSDK_ERR_NOT_CONNECTED: i32 = 10_001;
/// SDK-local: the local cache failed.
pub const CSDK_ERR_STORE: i32 = 10_002;
/// SDK-local: the client was closed.
pub const CSDK_ERR_CLOSED: i32 = 10_003;
/// SDK-local: the server answered with an unexpected response kind.
pub const CSDK_ERR_UNEXPECTED_RESPONSE: i32 = 10_004;
/// SDK-local: the connection was lost before the answer; the request may have been
/// carried out.
pub const CSDK_ERR_CONNECTION_LOST: i32 = 10_005;
/// SDK-local: no answer in time; the request may have been carried out.
pub const CSDK_ERR_TIMED_OUT: i32 = 10_006;
/// SDK-local: the WebSocket could not be opened or broke.
pub const CSDK_ERR_TRANSPORT: i32 = 10_007;
/// Bindings: a panic was caught at the boundary (a bug; please report it).
pub const CSDK_ERR_INTERNAL_PANIC: i32 = 10_100;
/// Bindings: a blocking call was made from an SDK runtime thread.
pub const CSDK_ERR_WRONG_THREAD: i32 = 10_101;

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use community_protocol::ErrorCode;

    use crate::error::{code_name, codes};

    /// Every code with its name, from the one list of each layer: the protocol's, the SDK
    /// core's and the bindings'.
    fn every_code() -> BTreeMap<u32, &'static str> {
        let mut all: BTreeMap<u32, &'static str> = ErrorCode::ALL
            .iter()
            .map(|code| (u32::from(code.0), code.name()))
            .collect();
        all.extend(codes::ALL.iter().copied());
        all.extend(codes::BINDINGS.iter().copied());
        all
    }

    /// The `#define CSDK_ERR_<NAME> <code>` lines of the checked-in header.
    fn header_codes() -> BTreeMap<u32, String> {
        let header = include_str!("../../../include/community_sdk.h");
        header
            .lines()
            .filter_map(|line| line.strip_prefix("#define CSDK_ERR_"))
            .map(|rest| {
                let mut parts = rest.split_whitespace();
                let name = parts.next().unwrap().to_lowercase();
                let value: u32 = parts.next().unwrap().parse().unwrap();
                (value, name)
            })
            .collect()
    }

    #[test]
    fn the_c_header_lists_every_code_under_its_name_and_nothing_else() {
        let all = every_code();
        let header = header_codes();
        assert_eq!(
            header.keys().collect::<Vec<_>>(),
            all.keys().collect::<Vec<_>>(),
            "the header's CSDK_ERR_* constants and the codes differ"
        );
        for (code, name) in &all {
            assert_eq!(&header[code], name, "CSDK_ERR_ constant of {code}");
            assert_eq!(code_name(*code), *name);
        }
    }

    #[test]
    fn the_bindings_docs_name_every_code_they_table_as_the_protocol_does() {
        let docs = include_str!("../../../docs/BINDINGS.md");
        let rows: Vec<(u32, &str)> = docs
            .lines()
            .filter_map(|line| {
                let mut cells = line.split('|').map(str::trim).skip(1);
                let code = cells.next()?.parse().ok()?;
                let name = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
                Some((code, name))
            })
            .collect();
        assert!(rows.len() >= 15, "the code tables of docs/BINDINGS.md");
        for (code, name) in rows {
            assert_eq!(code_name(code), name, "docs/BINDINGS.md names {code}");
        }
        for code in [
            2007, 3011, 3012, 3013, 3014, 3015, 3016, 4013, 4014, 4015, 4016, 4017, 4018, 4019,
            5028, 5029, 5030, 5031, 5032, 5033, 5034, 5035, 5036, 5037, 5038, 5039,
        ] {
            assert!(
                docs.contains(&format!("| {code} | `{}` |", code_name(code))),
                "docs/BINDINGS.md does not table {code}"
            );
        }
    }

    #[test]
    fn the_bindings_docs_list_every_local_code() {
        let docs = include_str!("../../../docs/BINDINGS.md");
        for (code, name) in codes::ALL.iter().chain(codes::BINDINGS) {
            assert!(
                docs.contains(&format!("{code} `{name}`")),
                "docs/BINDINGS.md does not list {code} `{name}`"
            );
        }
    }
}
