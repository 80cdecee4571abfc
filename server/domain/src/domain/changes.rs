//! What every change to an existing message shares: finding the message the caller
//! names ([`Target`]), recording the change in the channel's change log with its
//! `message_changed` event ([`record`]), the `changed` answer ([`changed`]), and reading
//! the log back (`get_changes`).
//!
//! A change is numbered with the channel's next change sequence in the same write
//! transaction as the change itself, so the numbers are gap-free across every kind of
//! change; `message_changed` goes to exactly the audience of `message_created`. A thread
//! is a stream of its own (its own change sequence); its messages are found the same way.

use community_protocol::request::GetChanges;
use community_protocol::response::{ChangeOutcome, ChangesPage};
use community_protocol::{
    ApiError, ChangeKind, ChannelId, CommunityId, ErrorCode, Event, Message, MessageChange,
    Permissions, Response, Seq,
};

use super::context::{Ctx, Membership};
use crate::store::{ChannelRecord, NewChange};

/// The message a change is about, with the caller's membership and the channel.
pub(crate) struct Target {
    /// The caller's membership of the message's community.
    pub membership: Membership,
    /// The message's channel or thread (visible to the caller).
    pub channel: ChannelRecord,
    /// The message as the caller sees it now.
    pub message: Message,
}

/// `MESSAGE_NOT_FOUND` for `seq`.
pub(crate) fn message_not_found(seq: Seq) -> ApiError {
    ApiError::new(
        ErrorCode::MESSAGE_NOT_FOUND,
        format!("no message {seq} in this channel"),
    )
}

impl Target {
    /// The message `seq` of a channel the caller may view: `COMMUNITY_NOT_FOUND`,
    /// `NOT_MEMBER`, `CHANNEL_NOT_FOUND`, `NOT_CHANNEL_MEMBER` or `MESSAGE_NOT_FOUND`.
    pub fn load(
        cx: &Ctx<'_>,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        seq: Seq,
    ) -> Result<Target, ApiError> {
        Self::load_checked(
            cx,
            community_id,
            channel_id,
            seq,
            |cx, membership, channel| cx.require_in(membership, channel, Permissions::VIEW_CHANNEL),
        )
    }

    /// Like [`Target::load`], with a permission check in the channel instead of plain
    /// sight, run before the message is looked up (so a member without `manage_messages`
    /// pinning gets `PERMISSION_DENIED` whatever the `seq`).
    pub fn load_checked(
        cx: &Ctx<'_>,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        seq: Seq,
        check: impl FnOnce(&Ctx<'_>, &Membership, &ChannelRecord) -> Result<(), ApiError>,
    ) -> Result<Target, ApiError> {
        let (membership, channel) = cx.message_stream(community_id, channel_id)?;
        check(cx, &membership, &channel)?;
        let message = cx
            .tx
            .message(channel_id, seq, Some(cx.caller))?
            .ok_or_else(|| message_not_found(seq))?;
        Ok(Target {
            membership,
            channel,
            message,
        })
    }

    /// Fails with `MESSAGE_RECALLED` when the message is a recall tombstone.
    pub fn require_not_recalled(&self) -> Result<(), ApiError> {
        if self.message.content.is_recalled() {
            return Err(ApiError::new(
                ErrorCode::MESSAGE_RECALLED,
                format!("message {} was recalled", self.message.seq),
            ));
        }
        Ok(())
    }
}

/// Records a change of the target message with the channel's next change sequence and
/// queues `message_changed` for everyone who can read the channel.
pub(crate) fn record(
    cx: &mut Ctx<'_>,
    target: &Target,
    kind: ChangeKind,
) -> Result<MessageChange, ApiError> {
    let change = cx.tx.append_change(&NewChange {
        community_id: &target.channel.info.community_id,
        channel_id: &target.channel.info.channel_id,
        seq: target.message.seq,
        by: cx.caller,
        at_ms: cx.now,
        kind,
    })?;
    tracing::debug!(
        channel_id = change.channel_id.as_str(),
        seq = change.seq,
        change_seq = change.change_seq,
        change = change.kind.name(),
        "message changed"
    );
    let audience = cx.channel_audience(&target.channel)?;
    let audience = cx.change_audience(
        &target.channel,
        target.membership.info.member_count,
        &change.kind,
        audience,
    )?;
    cx.emit(
        audience,
        Event::MessageChanged {
            change: change.clone(),
        },
    );
    Ok(change)
}

/// The `changed` answer: the change (absent when nothing changed) and the message as the
/// caller sees it now.
pub(crate) fn changed(
    cx: &Ctx<'_>,
    target: Target,
    change: Option<MessageChange>,
) -> Result<Response, ApiError> {
    let change_seq = change
        .as_ref()
        .map_or(target.channel.change_seq, |c| c.change_seq);
    let message = match change {
        None => target.message,
        Some(_) => cx
            .tx
            .message(
                &target.channel.info.channel_id,
                target.message.seq,
                Some(cx.caller),
            )?
            .ok_or_else(|| message_not_found(target.message.seq))?,
    };
    Ok(Response::Changed(ChangeOutcome {
        change,
        message,
        change_seq,
    }))
}

/// `get_changes` (`read_history`): the channel's changes after `after_change_seq`,
/// ascending, one page.
pub(crate) fn get(cx: &mut Ctx<'_>, p: GetChanges) -> Result<Response, ApiError> {
    let (membership, channel) = cx.message_stream(&p.community_id, &p.channel_id)?;
    cx.require_op(
        &membership,
        "get_changes",
        Some(&channel),
        Permissions::NONE,
    )?;
    let limit = cx.limits.page_size(p.limit)?;
    let (changes, has_more) =
        cx.tx
            .changes(&p.community_id, &p.channel_id, p.after_change_seq, limit)?;
    Ok(Response::Changes(ChangesPage {
        changes,
        has_more,
        change_seq: channel.change_seq,
    }))
}
