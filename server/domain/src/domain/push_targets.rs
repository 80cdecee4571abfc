//! Who may be told of a message by a push, and what the push says (docs/PUSH.md): the
//! domain's half of the offline push hand-off. The transport calls it after the message
//! is committed and acknowledged, on a blocking thread, drops the users with an online
//! session, then reads the rest's tokens and badges ([`Domain::push_recipients`]).
//!
//! A user is a candidate when they may read the message (the channel's viewers, a
//! thread's members, a conversation's participants), are not its sender, have a push
//! token, and their settings let it notify them:
//! - the community's notification status is `notify` (`do_not_disturb`: no push at all);
//! - the level of the channel (a thread's: its channel's; a conversation's own) is `all`,
//!   or `mentions_only` and the message mentions them (by name, a group they hold,
//!   `@everyone`); `none`: no push;
//! - in a large community (above `limits.large_community_members`) only mentions by name
//!   and of a group they hold push, whatever the level; `@everyone` pushes nobody there;
//! - the presence status they last chose is not `do_not_disturb` (which silences every
//!   push, mentions included).
//!
//! Cost: the candidates come from index ranges, never from a scan of a large community —
//! its members with tokens (a community at most `large_community_members` big), a
//! thread's members, a conversation's participants, or in a large community the users
//! and group holders the message mentions; each candidate then costs a few primary-key
//! lookups. At most [`MAX_PUSH_TARGETS`] users are returned.

use std::collections::BTreeSet;

use community_protocol::{
    ApiError, ChannelHead, ChannelId, ChannelNotification, CommunityId, ConversationKind, Message,
    MessageContent, NotificationStatus, PresenceStatus, Seq, UserId,
};

use super::Domain;
use super::context::Ctx;
use super::conversations;
use super::view;
use crate::push_plan::{
    MAX_PUSH_TARGETS, PREVIEW_CHARS, PushCandidates, PushMessage, PushPlace, PushRecipient,
    PushTarget,
};
use crate::routing::Audience;
use crate::store::ChannelRecord;

impl Domain {
    /// The users a stored message may notify by push, and what the push says (see the
    /// module documentation). `None`: no such message, or one that notifies nobody
    /// (written by the server, recalled).
    pub fn push_candidates(
        &self,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        seq: Seq,
    ) -> Result<Option<PushCandidates>, ApiError> {
        self.store.read("push_candidates", |tx| {
            let Some(message) = tx.message(channel_id, seq, None)? else {
                return Ok(None);
            };
            if message.sender_id.as_str().is_empty()
                || matches!(
                    message.content,
                    MessageContent::System { .. } | MessageContent::Recalled { .. }
                )
            {
                return Ok(None);
            }
            let sender = message.sender_id.clone();
            let cx = Ctx::new(
                tx,
                &sender,
                self.clock.now_ms(),
                &self.limits,
                &self.rate,
                &self.viewers,
            );
            candidates(&cx, community_id, channel_id, message).map(Some)
        })
    }

    /// The tokens and badge of each of `users` for the push of message `seq` of
    /// `channel_id` (docs/PUSH.md), in order; users with no token any more are left out.
    /// The badge counts that channel's unread messages up to `seq` only, so the pushes of
    /// one channel show growing badges even when later messages are already stored.
    pub fn push_recipients(
        &self,
        channel_id: &ChannelId,
        seq: Seq,
        users: &[UserId],
    ) -> Result<Vec<PushRecipient>, ApiError> {
        self.store.read("push_recipients", |tx| {
            let mut found = Vec::with_capacity(users.len());
            for user_id in users {
                let tokens = tx.push_tokens(user_id)?;
                if tokens.is_empty() {
                    continue;
                }
                let cx = Ctx::new(
                    tx,
                    user_id,
                    self.clock.now_ms(),
                    &self.limits,
                    &self.rate,
                    &self.viewers,
                );
                found.push(PushRecipient {
                    user_id: user_id.clone(),
                    tokens,
                    badge: badge(&cx, channel_id, seq)?,
                });
            }
            Ok(found)
        })
    }

    /// Records the presence status a user chose (`set_presence`), which the transport
    /// forgets when their last session ends: `do_not_disturb` silences their pushes.
    pub fn set_presence_choice(
        &self,
        user_id: &UserId,
        status: PresenceStatus,
    ) -> Result<(), ApiError> {
        if self
            .store
            .read("presence_choice", |tx| Ok(tx.presence_choice(user_id)?))?
            .unwrap_or_default()
            == status
        {
            return Ok(());
        }
        let now = self.clock.now_ms();
        self.store.write("set_presence_choice", |tx| {
            Ok(tx.set_presence_choice(user_id, status, now)?)
        })
    }

    /// The presence status a user last chose (`online` when none is stored).
    pub fn presence_choice(&self, user_id: &UserId) -> Result<PresenceStatus, ApiError> {
        Ok(self
            .store
            .read("presence_choice", |tx| Ok(tx.presence_choice(user_id)?))?
            .unwrap_or_default())
    }
}

/// What [`candidates`] reads about the stream the message is in.
struct Stream {
    record: ChannelRecord,
    /// Whose notification level applies (a thread's channel).
    level_of: ChannelId,
    place: PushPlace,
    name: String,
    community_name: String,
    large: bool,
}

fn stream(
    cx: &Ctx<'_>,
    community_id: &CommunityId,
    channel_id: &ChannelId,
) -> Result<Stream, ApiError> {
    if community_id.is_direct() {
        let record = cx.conversation_stream(channel_id)?;
        let conversation = cx.tx.conversation(channel_id)?;
        let (place, name) = match conversation {
            Some(info) if info.kind == ConversationKind::Group => (PushPlace::Group, info.name),
            _ => (PushPlace::Direct, String::new()),
        };
        return Ok(Stream {
            record,
            level_of: channel_id.clone(),
            place,
            name,
            community_name: String::new(),
            large: false,
        });
    }
    let info = cx.community(community_id)?;
    let record = cx.stream(community_id, channel_id)?;
    let (level_of, place, name) = match record.thread.as_deref() {
        Some(link) => (
            link.parent.info.channel_id.clone(),
            PushPlace::Thread,
            link.thread.info.name.clone(),
        ),
        None => (
            record.info.channel_id.clone(),
            PushPlace::Channel,
            record.info.name.clone(),
        ),
    };
    Ok(Stream {
        record,
        level_of,
        place,
        name,
        community_name: info.name,
        large: cx.large_count(info.member_count),
    })
}

fn candidates(
    cx: &Ctx<'_>,
    community_id: &CommunityId,
    channel_id: &ChannelId,
    message: Message,
) -> Result<PushCandidates, ApiError> {
    let stream = stream(cx, community_id, channel_id)?;
    let audience = cx.channel_audience(&stream.record)?;
    let direct = community_id.is_direct();
    let mentions = &message.mentions;
    // Where the candidates come from; `checked`: each already has a token (and, for the
    // community's members, is one).
    let (pool, checked): (BTreeSet<UserId>, bool) = if stream.large {
        let mut pool: BTreeSet<UserId> = mentions.users.iter().cloned().collect();
        for group in &mentions.groups {
            pool.extend(cx.tx.group_holders(community_id, group)?);
        }
        (pool, false)
    } else {
        match &audience {
            Audience::Users(users) => (users.iter().cloned().collect(), false),
            _ => (
                cx.tx
                    .members_with_push_tokens(community_id)?
                    .into_iter()
                    .collect(),
                true,
            ),
        }
    };
    let mut targets = Vec::new();
    let mut truncated = false;
    for user_id in pool {
        if user_id == message.sender_id || !reaches(&audience, &user_id) {
            continue;
        }
        if !checked {
            if !cx.tx.has_push_token(&user_id)? {
                continue;
            }
            if !direct
                && matches!(audience, Audience::Community(_) | Audience::Viewers(_))
                && cx.tx.member(community_id, &user_id)?.is_none()
            {
                continue;
            }
        }
        if !direct && cx.tx.notification(&user_id, community_id)? != NotificationStatus::Notify {
            continue;
        }
        let level = cx.tx.channel_notification(&user_id, &stream.level_of)?;
        if level == ChannelNotification::None {
            continue;
        }
        let named = mentions.users.contains(&user_id)
            || (!mentions.groups.is_empty()
                && !direct
                && cx
                    .tx
                    .holds_any_group(community_id, &user_id, &mentions.groups)?);
        let mentioned = named || mentions.everyone;
        if stream.large && !named {
            continue;
        }
        if level == ChannelNotification::MentionsOnly && !mentioned {
            continue;
        }
        if cx.tx.presence_choice(&user_id)? == Some(PresenceStatus::DoNotDisturb) {
            continue;
        }
        if targets.len() == MAX_PUSH_TARGETS {
            truncated = true;
            break;
        }
        targets.push(PushTarget { user_id, mentioned });
    }
    let sender_name = sender_name(cx, community_id, &message.sender_id)?;
    Ok(PushCandidates {
        message: PushMessage {
            community_id: community_id.clone(),
            channel_id: channel_id.clone(),
            seq: message.seq,
            sender_id: message.sender_id,
            sender_name,
            community_name: stream.community_name,
            channel_name: stream.name,
            place: stream.place,
            preview: preview(&message.content),
            large: stream.large,
        },
        targets,
        truncated,
    })
}

/// Whether `audience` reaches `user_id` (a member, for the community-wide kinds).
fn reaches(audience: &Audience, user_id: &UserId) -> bool {
    match audience {
        Audience::Community(_) => true,
        Audience::Viewers(viewers) => viewers.includes(user_id),
        Audience::Users(users) => users.contains(user_id),
        Audience::OtherSessionsOfCaller => false,
        Audience::Focused(focused) => reaches(&focused.within, user_id),
    }
}

/// The sender's nickname in the community, else their display name, else their id.
fn sender_name(
    cx: &Ctx<'_>,
    community_id: &CommunityId,
    sender: &UserId,
) -> Result<String, ApiError> {
    if !community_id.is_direct()
        && let Some(member) = cx.tx.member(community_id, sender)?
        && !member.nickname.is_empty()
    {
        return Ok(member.nickname);
    }
    Ok(cx
        .tx
        .profile(sender)?
        .map(|profile| profile.display_name)
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| sender.as_str().to_owned()))
}

/// A preview of a message's content (docs/PUSH.md).
pub(crate) fn preview(content: &MessageContent) -> String {
    match content {
        MessageContent::Text { text } => cut(text),
        MessageContent::Custom { description, .. } if !description.is_empty() => cut(description),
        MessageContent::Custom { .. } => "[message]".to_owned(),
        MessageContent::Image(_) => "[image]".to_owned(),
        MessageContent::File(_) => "[file]".to_owned(),
        MessageContent::Audio(_) => "[audio]".to_owned(),
        MessageContent::Video(_) => "[video]".to_owned(),
        MessageContent::System { text, .. } => cut(text),
        MessageContent::Recalled { .. } => String::new(),
        _ => "[message]".to_owned(),
    }
}

/// `text` on one line, at most [`PREVIEW_CHARS`] characters (`…` ends a cut one).
fn cut(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= PREVIEW_CHARS {
        return line;
    }
    let mut out: String = line.chars().take(PREVIEW_CHARS - 1).collect();
    out.push('…');
    out
}

/// The caller's badge: unread messages of the channels and joined threads whose level
/// counts unread, in the communities in `notify`, and of their conversations whose level
/// counts unread; in `channel_id`, only those up to `seq`.
fn badge(cx: &Ctx<'_>, channel_id: &ChannelId, seq: Seq) -> Result<u64, ApiError> {
    let counted = |head: &ChannelHead| -> Result<u64, ApiError> {
        if !head.notification_level.counts_unread() {
            return Ok(0);
        }
        if head.channel_id != *channel_id || head.last_seq <= seq {
            return Ok(head.unread_count);
        }
        let (later, _) = cx
            .tx
            .unread_counts(cx.caller, channel_id, head.read_seq.max(seq))?;
        Ok(head.unread_count.saturating_sub(later))
    };
    let mut total = 0u64;
    for community_id in cx.tx.joined_ids(cx.caller)? {
        if cx.tx.notification(cx.caller, &community_id)? != NotificationStatus::Notify {
            continue;
        }
        let Some(member) = cx.tx.member(&community_id, cx.caller)? else {
            continue;
        };
        let (heads, _) = view::heads(cx, &member)?;
        for head in &heads {
            total += counted(head)?;
        }
    }
    for head in &conversations::lists::heads(cx)? {
        total += counted(head)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_line_and_cut() {
        let long = "word ".repeat(60);
        let cut = preview(&MessageContent::Text { text: long });
        assert_eq!(cut.chars().count(), PREVIEW_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(
            preview(&MessageContent::Text {
                text: "a\n b".into()
            }),
            "a b"
        );
    }
}
