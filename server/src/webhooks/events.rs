//! The after-events the app's backend receives (docs/WEBHOOKS.md), derived from what the
//! domain already returns for a request — its response and its deliveries — so the feed
//! needs no second look at the database and cannot disagree with what the members saw.
//!
//! [`derive`] is pure: the same `Handled` always gives the same events, in delivery order.
//! Each event names its *partition*, the unit the feed keeps in order: the community, or
//! for a direct conversation (`@me`) the conversation itself.

use std::collections::HashSet;

use community_protocol::change::ChangeKind;
use community_protocol::{
    ChannelId, CommunityId, Event, Mentions, Message, MessageContent, RemovalReason, Response, Seq,
    UserId,
};
use community_server_domain::Handled;
use serde::Serialize;

/// One after-event, tagged by `type` on the wire. Every variant carries its community
/// (`@me` for a conversation) and when it happened (`at_ms`, server time).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AfterEvent {
    /// A community was created (its creator is its owner and first member).
    CommunityCreated {
        /// The community.
        community_id: CommunityId,
        /// When.
        at_ms: i64,
        /// Its name.
        name: String,
        /// Its owner (the creator).
        owner_id: UserId,
        /// Its default channel.
        default_channel_id: ChannelId,
    },
    /// The owner dismissed the community.
    CommunityDismissed {
        /// The community.
        community_id: CommunityId,
        /// When.
        at_ms: i64,
        /// Who dismissed it.
        by: UserId,
    },
    /// A user became a member (joined, was invited or approved).
    MemberJoined {
        /// The community.
        community_id: CommunityId,
        /// When.
        at_ms: i64,
        /// The new member.
        user_id: UserId,
        /// Who made the request (the member themselves, or who invited or approved).
        by: UserId,
        /// Members now.
        member_count: u64,
    },
    /// A member left.
    MemberLeft {
        /// The community.
        community_id: CommunityId,
        /// When.
        at_ms: i64,
        /// Who left.
        user_id: UserId,
        /// Members now.
        member_count: u64,
    },
    /// A member was kicked.
    MemberKicked {
        /// The community.
        community_id: CommunityId,
        /// When.
        at_ms: i64,
        /// Who was kicked.
        user_id: UserId,
        /// Who kicked them.
        by: UserId,
        /// Members now.
        member_count: u64,
    },
    /// A member was banned (and so removed).
    MemberBanned {
        /// The community.
        community_id: CommunityId,
        /// When.
        at_ms: i64,
        /// Who was banned.
        user_id: UserId,
        /// Who banned them.
        by: UserId,
        /// Members now.
        member_count: u64,
    },
    /// A user's message was stored (channel, thread or conversation).
    MessageSent {
        /// The community (`@me` for a conversation).
        community_id: CommunityId,
        /// When it was stored.
        at_ms: i64,
        /// The channel, thread or conversation.
        channel_id: ChannelId,
        /// The message as members received it.
        message: Box<Message>,
    },
    /// A message was edited.
    MessageEdited {
        /// The community (`@me` for a conversation).
        community_id: CommunityId,
        /// When.
        at_ms: i64,
        /// The channel, thread or conversation.
        channel_id: ChannelId,
        /// The message.
        seq: Seq,
        /// Who edited it.
        by: UserId,
        /// The content now.
        content: MessageContent,
        /// Who it mentions now.
        mentions: Mentions,
        /// Edits so far.
        edit_count: u32,
    },
    /// A message was recalled (deleted for everyone).
    MessageRecalled {
        /// The community (`@me` for a conversation).
        community_id: CommunityId,
        /// When.
        at_ms: i64,
        /// The channel, thread or conversation.
        channel_id: ChannelId,
        /// The message.
        seq: Seq,
        /// Its sender.
        sender_id: UserId,
        /// Who recalled it (the sender or a moderator).
        by: UserId,
    },
}

impl AfterEvent {
    /// The event's `type` on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CommunityCreated { .. } => "community_created",
            Self::CommunityDismissed { .. } => "community_dismissed",
            Self::MemberJoined { .. } => "member_joined",
            Self::MemberLeft { .. } => "member_left",
            Self::MemberKicked { .. } => "member_kicked",
            Self::MemberBanned { .. } => "member_banned",
            Self::MessageSent { .. } => "message_sent",
            Self::MessageEdited { .. } => "message_edited",
            Self::MessageRecalled { .. } => "message_recalled",
        }
    }

    /// The community the event belongs to.
    pub fn community_id(&self) -> &CommunityId {
        match self {
            Self::CommunityCreated { community_id, .. }
            | Self::CommunityDismissed { community_id, .. }
            | Self::MemberJoined { community_id, .. }
            | Self::MemberLeft { community_id, .. }
            | Self::MemberKicked { community_id, .. }
            | Self::MemberBanned { community_id, .. }
            | Self::MessageSent { community_id, .. }
            | Self::MessageEdited { community_id, .. }
            | Self::MessageRecalled { community_id, .. } => community_id,
        }
    }

    /// What the feed keeps in order: the community, or `@me/<conversation>`.
    pub fn partition(&self) -> String {
        let community = self.community_id();
        match self {
            Self::MessageSent { channel_id, .. }
            | Self::MessageEdited { channel_id, .. }
            | Self::MessageRecalled { channel_id, .. }
                if community.is_direct() =>
            {
                format!("{community}/{channel_id}")
            }
            _ => community.to_string(),
        }
    }
}

/// The after-events of one request `op` that `caller` made, from what the domain returned,
/// in the order of its deliveries. `now_ms` dates the events that carry no time of their
/// own (membership). Messages written by the server (system messages) are not reported:
/// their cause is (`member_joined`…). An event delivered to several audiences is reported
/// once.
pub fn derive(op: &str, caller: &UserId, handled: &Handled, now_ms: i64) -> Vec<AfterEvent> {
    let mut events = Vec::new();
    if op == "create_community"
        && let Response::Community(snapshot) = &handled.response
    {
        events.push(AfterEvent::CommunityCreated {
            community_id: snapshot.info.community_id.clone(),
            at_ms: snapshot.info.created_at_ms,
            name: snapshot.info.name.clone(),
            owner_id: snapshot.info.owner_id.clone(),
            default_channel_id: snapshot.info.default_channel_id.clone(),
        });
    }
    let mut messages: HashSet<(&ChannelId, Seq)> = HashSet::new();
    let mut changes: HashSet<(&ChannelId, u64)> = HashSet::new();
    let mut dismissed: HashSet<&CommunityId> = HashSet::new();
    let mut members: HashSet<(&CommunityId, &UserId, bool)> = HashSet::new();
    for delivery in &handled.deliveries {
        match &delivery.event {
            Event::MessageCreated { message } => {
                if message.sender_id.as_str().is_empty()
                    || !messages.insert((&message.channel_id, message.seq))
                {
                    continue;
                }
                events.push(AfterEvent::MessageSent {
                    community_id: message.community_id.clone(),
                    at_ms: message.created_at_ms,
                    channel_id: message.channel_id.clone(),
                    message: Box::new(message.clone()),
                });
            }
            Event::MessageChanged { change } => {
                let reported = matches!(
                    change.kind,
                    ChangeKind::Edited { .. } | ChangeKind::Recalled { .. }
                );
                if !reported || !changes.insert((&change.channel_id, change.change_seq)) {
                    continue;
                }
                match &change.kind {
                    ChangeKind::Edited {
                        content,
                        mentions,
                        edit_count,
                        ..
                    } => events.push(AfterEvent::MessageEdited {
                        community_id: change.community_id.clone(),
                        at_ms: change.at_ms,
                        channel_id: change.channel_id.clone(),
                        seq: change.seq,
                        by: change.by.clone(),
                        content: content.clone(),
                        mentions: mentions.clone(),
                        edit_count: *edit_count,
                    }),
                    ChangeKind::Recalled { sender_id, .. } => {
                        events.push(AfterEvent::MessageRecalled {
                            community_id: change.community_id.clone(),
                            at_ms: change.at_ms,
                            channel_id: change.channel_id.clone(),
                            seq: change.seq,
                            sender_id: sender_id.clone(),
                            by: change.by.clone(),
                        })
                    }
                    _ => {}
                }
            }
            Event::CommunityRemoved {
                community_id,
                reason: RemovalReason::Dismissed,
            } if dismissed.insert(community_id) => {
                events.push(AfterEvent::CommunityDismissed {
                    community_id: community_id.clone(),
                    at_ms: now_ms,
                    by: caller.clone(),
                });
            }
            Event::MemberJoined {
                member,
                member_count,
            } if members.insert((&member.community_id, &member.user_id, true)) => {
                events.push(AfterEvent::MemberJoined {
                    community_id: member.community_id.clone(),
                    at_ms: now_ms,
                    user_id: member.user_id.clone(),
                    by: caller.clone(),
                    member_count: *member_count,
                });
            }
            Event::MemberLeft {
                community_id,
                user_id,
                reason,
                member_count,
            } => {
                if !members.insert((community_id, user_id, false)) {
                    continue;
                }
                let (community_id, user_id, member_count) =
                    (community_id.clone(), user_id.clone(), *member_count);
                let by = caller.clone();
                events.push(match reason {
                    RemovalReason::Kicked => AfterEvent::MemberKicked {
                        community_id,
                        at_ms: now_ms,
                        user_id,
                        by,
                        member_count,
                    },
                    RemovalReason::Banned => AfterEvent::MemberBanned {
                        community_id,
                        at_ms: now_ms,
                        user_id,
                        by,
                        member_count,
                    },
                    _ => AfterEvent::MemberLeft {
                        community_id,
                        at_ms: now_ms,
                        user_id,
                        member_count,
                    },
                });
            }
            _ => {}
        }
    }
    events
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
