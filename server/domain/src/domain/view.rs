//! What a member sees: visible channels, unread heads and the personalised community
//! snapshot, shared by `get_community`, `sync`, `CommunityAdded` and the channel events.
//! A member sees the channels where they hold `view_channel` (see [`super::access`]).

use community_protocol::{
    ApiError, ChannelHead, ChannelInfo, ChannelNotification, CommunityInfo, CommunitySnapshot,
    MemberInfo, UserId,
};

use super::context::Ctx;
use crate::store::ChannelRecord;

/// The user's head of one channel, with the messages they hid and their notification
/// level. A missing read position counts as 0; a position past the end (cannot happen,
/// but cheap to guard) is clamped.
pub(crate) fn head(
    cx: &Ctx<'_>,
    user_id: &UserId,
    channel: &ChannelRecord,
) -> Result<ChannelHead, ApiError> {
    let read_seq = cx
        .tx
        .read_seq(user_id, &channel.info.channel_id)?
        .unwrap_or(0)
        .min(channel.last_seq);
    let (unread_count, mention_count) =
        cx.tx
            .unread_counts(user_id, &channel.info.channel_id, read_seq)?;
    Ok(ChannelHead {
        community_id: channel.info.community_id.clone(),
        channel_id: channel.info.channel_id.clone(),
        last_seq: channel.last_seq,
        last_activity_ms: channel.last_activity_ms,
        read_seq,
        unread_count,
        mention_count,
        change_seq: channel.change_seq,
        hidden: cx.tx.hidden(user_id, &channel.info.channel_id)?,
        notification_level: cx
            .tx
            .channel_notification(user_id, &channel.info.channel_id)?,
    })
}

/// The head of a channel the user just started to see: its history counts as read (and
/// nothing of it is hidden, the level is `all`: both are forgotten with the read
/// position).
pub(crate) fn fresh_head(channel: &ChannelRecord) -> ChannelHead {
    ChannelHead {
        community_id: channel.info.community_id.clone(),
        channel_id: channel.info.channel_id.clone(),
        last_seq: channel.last_seq,
        last_activity_ms: channel.last_activity_ms,
        read_seq: channel.last_seq,
        unread_count: 0,
        mention_count: 0,
        change_seq: channel.change_seq,
        hidden: Vec::new(),
        notification_level: ChannelNotification::All,
    }
}

/// The channels of a community that `member` may view.
pub(crate) fn visible_channels(
    cx: &Ctx<'_>,
    member: &MemberInfo,
) -> Result<Vec<ChannelRecord>, ApiError> {
    let groups = cx.tx.groups(&member.community_id)?;
    let categories = cx.tx.categories(&member.community_id)?;
    let mut visible = Vec::new();
    for channel in cx.tx.channels(&member.community_id)? {
        if cx.sees(&groups, member, &channel, &categories)? {
            visible.push(channel);
        }
    }
    Ok(visible)
}

/// The heads of every channel `member` can see.
pub(crate) fn heads(cx: &Ctx<'_>, member: &MemberInfo) -> Result<Vec<ChannelHead>, ApiError> {
    visible_channels(cx, member)?
        .iter()
        .map(|channel| head(cx, &member.user_id, channel))
        .collect()
}

/// Everything `member` needs about the community.
pub(crate) fn snapshot(
    cx: &Ctx<'_>,
    info: CommunityInfo,
    member: MemberInfo,
) -> Result<CommunitySnapshot, ApiError> {
    let channels = visible_channels(cx, &member)?;
    let heads = channels
        .iter()
        .map(|channel| head(cx, &member.user_id, channel))
        .collect::<Result<_, _>>()?;
    let channels: Vec<ChannelInfo> = channels.into_iter().map(|record| record.info).collect();
    Ok(CommunitySnapshot {
        categories: cx.tx.categories(&info.community_id)?,
        notification: cx.tx.notification(&member.user_id, &info.community_id)?,
        groups: cx.tx.groups(&info.community_id)?,
        info,
        channels,
        me: member,
        heads,
    })
}
