//! What a member sees: visible channels, unread heads and the personalised community
//! snapshot, shared by `get_community`, `sync`, `CommunityAdded` and the channel events.
//! A member sees the channels where they hold `view_channel` (see [`super::access`]), and
//! has heads for them and for the threads they joined (which follow their channel's
//! notification level).

use community_protocol::{
    ApiError, ChannelHead, ChannelInfo, ChannelNotification, CommunityInfo, CommunitySnapshot,
    MemberInfo, ThreadInfo, UserId,
};

use super::context::Ctx;
use super::threads::link;
use crate::store::ChannelRecord;

/// The user's head of one channel (or thread), with the messages they hid and their
/// notification level (a thread's is its channel's). A missing read position counts as 0;
/// a position past the end (cannot happen, but cheap to guard) is clamped.
pub(crate) fn head(
    cx: &Ctx<'_>,
    user_id: &UserId,
    channel: &ChannelRecord,
) -> Result<ChannelHead, ApiError> {
    let level_of = channel
        .thread
        .as_deref()
        .map_or(&channel.info.channel_id, |link| {
            &link.parent.info.channel_id
        });
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
        notification_level: cx.tx.channel_notification(user_id, level_of)?,
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

/// The threads `member` joined among the threads of `visible` channels, linked to them
/// (newest activity first).
pub(crate) fn joined_threads(
    cx: &Ctx<'_>,
    member: &MemberInfo,
    visible: &[ChannelRecord],
) -> Result<Vec<ChannelRecord>, ApiError> {
    let threads = cx
        .tx
        .joined_threads(&member.community_id, &member.user_id, None, None)?;
    Ok(threads
        .into_iter()
        .filter_map(|thread| {
            let parent = visible
                .iter()
                .find(|c| c.info.channel_id == thread.info.parent_channel_id)?;
            Some(link(thread.stream(), thread, parent.clone()))
        })
        .collect())
}

/// The heads of every channel `member` can see and of every thread they joined, and those
/// threads.
pub(crate) fn heads_and_threads(
    cx: &Ctx<'_>,
    member: &MemberInfo,
    channels: &[ChannelRecord],
) -> Result<(Vec<ChannelHead>, Vec<ThreadInfo>), ApiError> {
    let threads = joined_threads(cx, member, channels)?;
    let heads = channels
        .iter()
        .chain(&threads)
        .map(|stream| head(cx, &member.user_id, stream))
        .collect::<Result<_, _>>()?;
    let threads = threads
        .into_iter()
        .filter_map(|stream| stream.thread.map(|link| link.thread.info))
        .collect();
    Ok((heads, threads))
}

/// The heads of every channel `member` can see and of every thread they joined, and those
/// threads.
pub(crate) fn heads(
    cx: &Ctx<'_>,
    member: &MemberInfo,
) -> Result<(Vec<ChannelHead>, Vec<ThreadInfo>), ApiError> {
    heads_and_threads(cx, member, &visible_channels(cx, member)?)
}

/// Everything `member` needs about the community.
pub(crate) fn snapshot(
    cx: &Ctx<'_>,
    info: CommunityInfo,
    member: MemberInfo,
) -> Result<CommunitySnapshot, ApiError> {
    let channels = visible_channels(cx, &member)?;
    let (heads, threads) = heads_and_threads(cx, &member, &channels)?;
    let channels: Vec<ChannelInfo> = channels.into_iter().map(|record| record.info).collect();
    Ok(CommunitySnapshot {
        categories: cx.tx.categories(&info.community_id)?,
        notification: cx.tx.notification(&member.user_id, &info.community_id)?,
        groups: cx.tx.groups(&info.community_id)?,
        info,
        channels,
        me: member,
        heads,
        threads,
        // Filled by the transport, which knows who sits where.
        voice: Vec::new(),
    })
}
