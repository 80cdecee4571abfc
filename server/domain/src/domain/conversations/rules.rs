//! How a message operation addressed to `@me` is resolved and checked.
//!
//! Every message operation starts with [`Ctx::message_stream`]: for a community it is the
//! caller's membership and the stream (`Ctx::stream`: a channel or a thread); for `@me`
//! it is the conversation's stream — a channel row of `@me` — when the caller is one of
//! its participants (`conversation_not_found` otherwise, whether it exists or not), with a
//! stand-in membership that holds no role and no group. The permission helpers of
//! `access` then hand a conversation's stream over to this module:
//!
//! - a participant holds [`PARTICIPANT_FLAGS`]: they read, send (media and `@everyone`
//!   included), react and pin; server content (`administrator`) and everything that
//!   manages a community are refused with `permission_denied`. The flags a participant
//!   holds *over others' messages* ([`Ctx::channel_flags`]) leave `manage_messages` out,
//!   so only the author edits or recalls a message, as in a channel;
//! - in a direct conversation a block between the two (either way) refuses what would
//!   reach the other ([`reaches_the_other`]: send, edit, add a reaction, pin) with
//!   `blocked`; reading, marking read, hiding, recalling, taking a reaction back and
//!   unpinning stay open. A block does not stop anything in a group conversation.

use community_protocol::{
    ApiError, ChannelId, CommunityId, CommunityInfo, ErrorCode, JoinPolicy, MemberInfo,
    Permissions, Role, UserId,
};

use crate::domain::context::{Ctx, Membership};
use crate::routing::Audience;
use crate::store::ChannelRecord;

/// What every participant of a conversation may do.
pub(crate) const PARTICIPANT_FLAGS: Permissions = Permissions(
    Permissions::VIEW_CHANNEL.0
        | Permissions::SEND_MESSAGES.0
        | Permissions::READ_HISTORY.0
        | Permissions::ADD_REACTIONS.0
        | Permissions::ATTACH_MEDIA.0
        | Permissions::MENTION_EVERYONE.0
        | Permissions::MANAGE_MESSAGES.0,
);

/// `CONVERSATION_NOT_FOUND` for `conversation_id`.
pub(crate) fn conversation_not_found(conversation_id: &ChannelId) -> ApiError {
    ApiError::new(
        ErrorCode::CONVERSATION_NOT_FOUND,
        format!("no conversation {conversation_id:?} you are in"),
    )
}

/// `BLOCKED` between the caller and `user_id`.
pub(crate) fn blocked(user_id: &UserId) -> ApiError {
    ApiError::new(
        ErrorCode::BLOCKED,
        format!("a block stands between you and {user_id:?}"),
    )
}

/// Whether a record is a conversation's stream.
pub(crate) fn is_conversation(record: &ChannelRecord) -> bool {
    record.info.community_id.is_direct()
}

/// The operations that reach the other participant of a direct conversation (refused
/// while a block stands between the two).
pub(crate) fn reaches_the_other(op: &str) -> bool {
    matches!(
        op,
        "send_message" | "edit_message" | "add_reaction" | "pin_message" | "typing"
    )
}

impl Ctx<'_> {
    /// The stand-in membership of the caller in `@me`: no role, no group; a
    /// conversation's rules ([`PARTICIPANT_FLAGS`]) decide instead.
    pub fn direct_membership(&self) -> Membership {
        let community_id = CommunityId::direct();
        Membership {
            info: CommunityInfo {
                community_id: community_id.clone(),
                name: CommunityId::DIRECT.to_owned(),
                avatar_url: String::new(),
                notice: String::new(),
                owner_id: UserId::from(String::new()),
                join_policy: JoinPolicy::InviteOnly,
                mute_all: false,
                member_count: 0,
                attributes: Default::default(),
                default_channel_id: ChannelId::from(String::new()),
                created_at_ms: 0,
                version: 0,
                system_messages: false,
            },
            me: MemberInfo {
                community_id,
                user_id: self.caller.clone(),
                role: Role::Member,
                nickname: String::new(),
                joined_at_ms: 0,
                muted_until_ms: None,
                groups: Vec::new(),
                custom_fields: Default::default(),
            },
            groups: Vec::new(),
        }
    }

    /// The stream of a conversation the caller is in, or `CONVERSATION_NOT_FOUND`.
    pub fn conversation_stream(
        &self,
        conversation_id: &ChannelId,
    ) -> Result<ChannelRecord, ApiError> {
        if !self.tx.is_participant(conversation_id, self.caller)? {
            return Err(conversation_not_found(conversation_id));
        }
        self.tx
            .channel(&CommunityId::direct(), conversation_id)?
            .ok_or_else(|| conversation_not_found(conversation_id))
    }

    /// What a message operation works on: the caller's membership of the community and
    /// the stream `channel_id` names there (a channel or a thread), or in `@me` the
    /// stand-in membership and the conversation's stream.
    pub fn message_stream(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Result<(Membership, ChannelRecord), ApiError> {
        if community_id.is_direct() {
            let stream = self.conversation_stream(channel_id)?;
            return Ok((self.direct_membership(), stream));
        }
        let membership = self.membership(community_id)?;
        let stream = self.stream(community_id, channel_id)?;
        Ok((membership, stream))
    }

    /// Fails unless a participant holds `needed` in a conversation
    /// (`permission_denied`).
    pub fn require_in_conversation(&self, needed: Permissions) -> Result<(), ApiError> {
        let missing = needed
            .intersection(Permissions::ALL)
            .without(PARTICIPANT_FLAGS);
        if missing.is_empty() {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorCode::PERMISSION_DENIED,
            format!(
                "not in a conversation: {} (conversations have no roles)",
                missing.names().join(", ")
            ),
        ))
    }

    /// The other participant of a direct conversation, when a block stands between them
    /// and the caller.
    pub fn blocked_peer(&self, record: &ChannelRecord) -> Result<Option<UserId>, ApiError> {
        let Some(info) = self.tx.conversation(&record.info.channel_id)? else {
            return Ok(None);
        };
        if info.kind != community_protocol::ConversationKind::Direct {
            return Ok(None);
        }
        for other in info.participants.iter().filter(|p| *p != self.caller) {
            if self.tx.blocks_between(self.caller, other)? {
                return Ok(Some(other.clone()));
            }
        }
        Ok(None)
    }

    /// Fails with `BLOCKED` when `op` would reach the other participant of a direct
    /// conversation and a block stands between them and the caller.
    pub fn require_conversation_open(
        &self,
        record: &ChannelRecord,
        op: &str,
    ) -> Result<(), ApiError> {
        if !reaches_the_other(op) {
            return Ok(());
        }
        match self.blocked_peer(record)? {
            Some(other) => Err(blocked(&other)),
            None => Ok(()),
        }
    }

    /// Who receives the messages (and their changes) of a conversation: its participants.
    pub fn conversation_audience(&self, record: &ChannelRecord) -> Result<Audience, ApiError> {
        Ok(Audience::Users(
            self.tx.participant_ids(&record.info.channel_id)?,
        ))
    }
}
