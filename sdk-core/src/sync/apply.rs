//! Turning server events and local results into state changes and store writes.
//!
//! Everything that changes the model goes through here, inside the sync task, in order:
//! the in-memory [`State`] is changed (publishing diffs), and the matching store
//! [`Change`]s are collected so the whole batch is written in one transaction. Structure
//! events older than what is held (their `version` not above it) are skipped, messages at
//! or below a channel's `last_seq` change no count, so replays and answers that cross
//! events are harmless (protocol §6, §8.2).

use std::collections::BTreeMap;

use community_protocol::response::{ChangeOutcome, JoinedThread};
use community_protocol::{
    CategoryId, CategoryInfo, ChannelHead, ChannelId, ChannelInfo, CommunityId, CommunityInfo,
    CommunitySnapshot, Event, Group, MemberInfo, Message, MessageChange, NotificationStatus,
    ThreadInfo,
};

use super::effects::{Effects, Hole};
use super::people::PeopleUpdate;
use crate::events::Publication;
use crate::model::ListDiff;
use crate::state::unread::{Activity, Effect, HeadOutcome};
use crate::state::{MessageOutcome, State};
use crate::store::{Change, Replacement};

/// A result the API got from the server, applied like an event (but without a session
/// sequence and without version checks where the answer carries none).
// Updates travel boxed (`Job::Local`), so the variants' sizes cost nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(crate) enum LocalUpdate {
    /// A full community (create, join, get).
    Snapshot(CommunitySnapshot),
    /// The user is no longer in a community (left, dismissed).
    RemoveCommunity(CommunityId),
    /// A community's info (update, mute-all).
    Info(CommunityInfo),
    /// The user's own membership (nickname).
    Me(MemberInfo),
    /// The user's notification status.
    Notification(CommunityId, NotificationStatus),
    /// Attributes after set/delete.
    Attributes(CommunityId, BTreeMap<String, String>),
    /// A channel created or changed.
    Channel(ChannelInfo),
    /// A channel deleted.
    RemoveChannel(CommunityId, ChannelId),
    /// A category created or changed.
    Category(CategoryInfo),
    /// A category deleted.
    RemoveCategory(CommunityId, CategoryId),
    /// The head after `mark_read`.
    Head(ChannelHead),
    /// Every group of a community, after one of the user's group changes.
    Groups(CommunityId, Vec<Group>),
    /// The user joined a thread (the answer to `join_thread`).
    ThreadJoined(JoinedThread),
    /// A thread as the server answered it (created, changed, fetched).
    Thread(ThreadInfo),
    /// The user left a thread.
    ThreadLeft(CommunityId, ChannelId),
    /// Heads from `get_heads` (exact, replace).
    Heads(Vec<ChannelHead>),
    /// The user's own message, stored by the server.
    Sent(Message),
    /// The answer to one of the user's changes: the change made (counted once even when
    /// its event comes too) and the message as the server has it now.
    Changed(Box<ChangeOutcome>),
    /// An answer about people (conversations, profiles, presence, voice).
    People(PeopleUpdate),
    /// Nothing to apply: awaited so that what the connection handed over before it (an
    /// answer applied in wire order with the events) is applied first.
    Barrier,
}

/// Whether a structure event at `version` is newer than what is held.
fn newer(state: &State, community_id: &CommunityId, version: u64) -> bool {
    state
        .community(community_id)
        .is_some_and(|c| version > c.info.version)
}

fn version_change(community_id: &CommunityId, version: u64) -> Change {
    Change::Version {
        community_id: community_id.to_string().into(),
        version,
    }
}

/// Applies one server event.
pub(crate) fn apply_event(
    state: &mut State,
    event: Event,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    match event {
        Event::MessageCreated { message } => apply_message(state, message, fx, out),
        Event::CommunityAdded { snapshot } => {
            let id = snapshot.info.community_id.clone();
            state.merge_snapshot(snapshot, out);
            fx.snapshot_of(state, &id);
        }
        Event::CommunityRemoved { community_id, .. } => {
            state.remove_community(&community_id, out);
            fx.changes.push(Change::RemoveCommunity(community_id));
        }
        Event::CommunityUpdated { info } => {
            let current = state.community(&info.community_id).map(|c| c.info.version);
            if current.is_some_and(|v| info.version >= v) {
                fx.changes.push(Change::CommunityInfo(info.clone()));
                state.set_info(info, out);
            }
        }
        Event::AttributesChanged {
            community_id,
            attributes,
            version,
        } => {
            if newer(state, &community_id, version) {
                fx.changes.push(Change::Attributes {
                    community_id: community_id.clone(),
                    attributes: attributes.clone(),
                    version,
                });
                state.set_attributes(&community_id, attributes, version, out);
            }
        }
        Event::NotificationChanged {
            community_id,
            status,
        } => {
            fx.changes.push(Change::Notification {
                community_id: community_id.clone(),
                status,
            });
            state.set_notification(&community_id, status, out);
        }
        Event::MemberJoined {
            member,
            member_count,
        } => {
            set_member_count(state, &member.community_id, member_count, fx, out);
        }
        Event::MemberLeft {
            community_id,
            member_count,
            ..
        } => set_member_count(state, &community_id, member_count, fx, out),
        Event::MemberUpdated { member } => {
            if state.user_id.as_ref() == Some(&member.user_id) {
                fx.changes.push(Change::Me(member.clone()));
                state.set_me(member, out);
            }
        }
        Event::JoinRequested { .. } => {}
        Event::ChannelAdded {
            channel,
            head,
            version,
        } => {
            let known = state
                .channel(&channel.community_id, &channel.channel_id)
                .is_some();
            if newer(state, &channel.community_id, version) || !known {
                let community_id = channel.community_id.clone();
                let channel_id = channel.channel_id.clone();
                fx.changes.push(Change::Channel(channel.clone()));
                state.upsert_channel(channel, Some(&head), out);
                state.set_version(&community_id, version);
                fx.changes.push(version_change(&community_id, version));
                fx.touched.insert((community_id, channel_id));
            }
        }
        Event::ChannelUpdated { channel, version } => {
            if newer(state, &channel.community_id, version) {
                let community_id = channel.community_id.clone();
                fx.changes.push(Change::Channel(channel.clone()));
                state.upsert_channel(channel, None, out);
                state.set_version(&community_id, version);
                fx.changes.push(version_change(&community_id, version));
            }
        }
        Event::ChannelRemoved {
            community_id,
            channel_id,
            version,
            ..
        } => {
            if state.channel(&community_id, &channel_id).is_some() {
                state.remove_channel(&community_id, &channel_id, out);
                fx.changes.push(Change::RemoveChannel {
                    community_id: community_id.clone(),
                    channel_id: channel_id.clone(),
                });
                fx.touched.remove(&(community_id.clone(), channel_id));
            }
            if newer(state, &community_id, version) {
                state.set_version(&community_id, version);
                fx.changes.push(version_change(&community_id, version));
            }
        }
        Event::CategoryUpdated { category, version } => {
            if newer(state, &category.community_id, version) {
                let community_id = category.community_id.clone();
                fx.changes.push(Change::Category(category.clone()));
                state.upsert_category(category, out);
                state.set_version(&community_id, version);
                fx.changes.push(version_change(&community_id, version));
            }
        }
        Event::CategoryRemoved {
            community_id,
            category_id,
            version,
        } => {
            if newer(state, &community_id, version) {
                fx.changes.push(Change::RemoveCategory {
                    community_id: community_id.clone(),
                    category_id: category_id.clone(),
                });
                state.remove_category(&community_id, &category_id, out);
                state.set_version(&community_id, version);
                fx.changes.push(version_change(&community_id, version));
            }
        }
        Event::ReadStateChanged { head } => apply_head(state, head, false, fx, out),
        Event::ChannelActivity {
            community_id,
            channel_id,
            last_seq,
            last_activity_ms,
            mentioned,
            first_seq,
            unread,
            mentions,
        } => {
            let activity = Activity {
                first_seq,
                last_seq,
                at_ms: last_activity_ms,
                unread,
                mentions,
                mentioned,
            };
            let effect = state.on_activity(&community_id, &channel_id, &activity, out);
            match effect {
                None | Some(Effect::Duplicate) => {}
                Some(effect) => {
                    if effect == Effect::Gap {
                        fx.dirty_heads.insert(community_id.clone());
                    }
                    fx.touched
                        .insert((community_id.clone(), channel_id.clone()));
                }
            }
            if effect.is_some() {
                // A timeline open on it still gets every message (fetched, §9.5).
                fx.activity.push((community_id, channel_id, last_seq));
            }
        }
        Event::MessageChanged { change } => apply_change(state, change, fx, out),
        Event::ThreadUpdated { thread } => thread_updated(state, thread, fx, out),
        Event::ThreadRemoved {
            community_id,
            thread_id,
            parent_channel_id,
        } => {
            thread_left(state, &community_id, &thread_id, fx, out);
            out.push(Publication::Thread {
                community_id,
                channel_id: parent_channel_id,
                diff: ListDiff::Remove(thread_id.into_string()),
            });
        }
        Event::ThreadDigest {
            community_id,
            channel_id,
            parent_seq,
            digest,
        } => {
            // A joined thread's info follows its activity.
            if let Some(mut info) = state
                .joined_thread(&community_id, &digest.thread_id)
                .cloned()
            {
                info.message_count = digest.message_count;
                info.last_activity_ms = digest.last_activity_ms;
                info.name = digest.name.clone();
                thread_updated(state, info, fx, out);
            }
            if let Some(seq) = parent_seq {
                fx.changes.push(Change::ThreadDigest {
                    channel_id,
                    seq,
                    digest,
                });
            }
        }
        Event::ThreadJoined { thread, head } => thread_joined(state, thread, head, fx, out),
        Event::ThreadLeft {
            community_id,
            thread_id,
        } => thread_left(state, &community_id, &thread_id, fx, out),
        Event::GroupsChanged {
            community_id,
            groups,
            version,
        } => {
            if newer(state, &community_id, version) {
                fx.changes.push(Change::Groups {
                    community_id: community_id.clone(),
                    groups: groups.clone(),
                    version,
                });
                state.set_groups(&community_id, groups, Some(version), out);
            }
        }
        other => {
            if let Some(other) = super::people::apply_event(state, other, fx, out) {
                // A kind this version of the SDK decodes but does not act on yet.
                tracing::debug!(kind = other.kind(), "event not applied");
            }
        }
    }
}

/// Applies one result the API received.
pub(crate) fn apply_local(
    state: &mut State,
    update: LocalUpdate,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    match update {
        LocalUpdate::Snapshot(snapshot) => {
            let id = snapshot.info.community_id.clone();
            state.merge_snapshot(snapshot, out);
            fx.snapshot_of(state, &id);
        }
        LocalUpdate::RemoveCommunity(community_id) => {
            state.remove_community(&community_id, out);
            fx.changes.push(Change::RemoveCommunity(community_id));
        }
        LocalUpdate::Info(info) => apply_event(state, Event::CommunityUpdated { info }, fx, out),
        LocalUpdate::Me(me) => apply_event(state, Event::MemberUpdated { member: me }, fx, out),
        LocalUpdate::Notification(community_id, status) => apply_event(
            state,
            Event::NotificationChanged {
                community_id,
                status,
            },
            fx,
            out,
        ),
        LocalUpdate::Attributes(community_id, attributes) => {
            if let Some(version) = state.community(&community_id).map(|c| c.info.version) {
                fx.changes.push(Change::Attributes {
                    community_id: community_id.clone(),
                    attributes: attributes.clone(),
                    version,
                });
                state.set_attributes(&community_id, attributes, version, out);
            }
        }
        LocalUpdate::Channel(channel) => {
            let community_id = channel.community_id.clone();
            let channel_id = channel.channel_id.clone();
            if state.community(&community_id).is_some() {
                fx.changes.push(Change::Channel(channel.clone()));
                state.upsert_channel(channel, None, out);
                fx.touched.insert((community_id, channel_id));
            }
        }
        LocalUpdate::RemoveChannel(community_id, channel_id) => {
            if state.remove_channel(&community_id, &channel_id, out) {
                fx.changes.push(Change::RemoveChannel {
                    community_id,
                    channel_id,
                });
            }
        }
        LocalUpdate::Category(category) => {
            if state.community(&category.community_id).is_some() {
                fx.changes.push(Change::Category(category.clone()));
                state.upsert_category(category, out);
            }
        }
        LocalUpdate::RemoveCategory(community_id, category_id) => {
            if state.remove_category(&community_id, &category_id, out) {
                fx.changes.push(Change::RemoveCategory {
                    community_id,
                    category_id,
                });
            }
        }
        LocalUpdate::Head(head) => apply_head(state, head, false, fx, out),
        LocalUpdate::ThreadJoined(joined) => {
            thread_joined(state, joined.thread, joined.head, fx, out)
        }
        LocalUpdate::Thread(thread) => thread_updated(state, thread, fx, out),
        LocalUpdate::ThreadLeft(community_id, thread_id) => {
            thread_left(state, &community_id, &thread_id, fx, out)
        }
        LocalUpdate::Groups(community_id, groups) => {
            if let Some(version) = state.community(&community_id).map(|c| c.info.version) {
                fx.changes.push(Change::Groups {
                    community_id: community_id.clone(),
                    groups: groups.clone(),
                    version,
                });
                state.set_groups(&community_id, groups, None, out);
            }
        }
        LocalUpdate::Heads(heads) => {
            for head in heads {
                apply_head(state, head, true, fx, out);
            }
        }
        LocalUpdate::Sent(message) => apply_message(state, message, fx, out),
        LocalUpdate::People(update) => super::people::apply_local(state, update, fx, out),
        LocalUpdate::Barrier => {}
        LocalUpdate::Changed(outcome) => {
            let outcome = *outcome;
            if let Some(change) = outcome.change {
                apply_change(state, change, fx, out);
            }
            fx.replacements.push(Replacement {
                message: outcome.message,
                as_of: Some(outcome.change_seq),
            });
        }
    }
}

/// A thread's info changed: kept when joined, and published to its channel's thread list.
fn thread_updated(
    state: &mut State,
    thread: ThreadInfo,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    if state.update_thread(&thread) {
        fx.changes.push(Change::ThreadInfo(thread.clone()));
    }
    out.push(Publication::Thread {
        community_id: thread.community_id.clone(),
        channel_id: thread.parent_channel_id.clone(),
        diff: ListDiff::Update(thread),
    });
}

/// The user joined a thread: it counts from its head on.
fn thread_joined(
    state: &mut State,
    thread: ThreadInfo,
    head: ChannelHead,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    let (community_id, thread_id) = (thread.community_id.clone(), thread.thread_id.clone());
    fx.changes.push(Change::JoinThread(thread.clone()));
    if state.join_thread(thread.clone(), Some(&head), out) {
        fx.touched.insert((community_id.clone(), thread_id));
    }
    out.push(Publication::Thread {
        community_id,
        channel_id: thread.parent_channel_id.clone(),
        diff: ListDiff::Update(thread),
    });
}

/// The user left a thread (or lost it).
fn thread_left(
    state: &mut State,
    community_id: &CommunityId,
    thread_id: &ChannelId,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    if state.leave_thread(community_id, thread_id, out) {
        fx.touched
            .remove(&(community_id.clone(), thread_id.clone()));
        fx.changes.push(Change::LeaveThread {
            community_id: community_id.clone(),
            thread_id: thread_id.clone(),
        });
    }
}

fn apply_change(
    state: &mut State,
    change: MessageChange,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    match state.on_change(&change, out) {
        None => {
            tracing::debug!(channel = %change.channel_id, "change for a channel not held; skipped");
        }
        Some(effect) => {
            // An unfocused place of a large community gets only the changes that move
            // counts: a jump in its change numbers loses no count (the rest is caught
            // up when it is focused).
            if effect == Effect::Gap
                && !state.partial_changes(&change.community_id, &change.channel_id)
            {
                fx.dirty_heads.insert(change.community_id.clone());
            }
            if effect != Effect::Duplicate {
                fx.touched
                    .insert((change.community_id.clone(), change.channel_id.clone()));
            }
            // The cache applies it once, in order, whatever the counter said.
            fx.message_changes.push(change);
        }
    }
}

fn apply_message(
    state: &mut State,
    message: Message,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    let known = state
        .counter(&message.community_id, &message.channel_id)
        .map(|counter| counter.last_seq);
    let outcome = state.on_message(&message, out);
    super::people::on_message(state, &message, out);
    match outcome {
        MessageOutcome::UnknownChannel => {
            tracing::debug!(channel = %message.channel_id, "message for a channel not held; skipped");
        }
        MessageOutcome::Counted(effect) => {
            if effect == Effect::Gap {
                fx.dirty_heads.insert(message.community_id.clone());
                if let Some(after) = known.filter(|known| message.seq > known + 1) {
                    fx.holes.push(Hole {
                        community_id: message.community_id.clone(),
                        channel_id: message.channel_id.clone(),
                        after,
                        up_to: message.seq - 1,
                    });
                }
            }
            if effect != Effect::Duplicate {
                fx.touched
                    .insert((message.community_id.clone(), message.channel_id.clone()));
            }
            let first_of_channel = !fx
                .baselines
                .iter()
                .any(|(_, channel_id, _)| channel_id == &message.channel_id);
            if first_of_channel
                && let Some(counter) = state.counter(&message.community_id, &message.channel_id)
            {
                fx.baselines.push((
                    message.community_id.clone(),
                    message.channel_id.clone(),
                    counter.change_seq,
                ));
            }
            fx.messages.push(message);
        }
    }
}

fn apply_head(
    state: &mut State,
    head: ChannelHead,
    force: bool,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    let known = state
        .counter(&head.community_id, &head.channel_id)
        .map_or(0, |counter| counter.last_seq);
    match state.apply_head(&head, force, out) {
        None => {}
        Some(HeadOutcome::Stale) => {
            fx.dirty_heads.insert(head.community_id.clone());
            fx.touched.insert((head.community_id, head.channel_id));
        }
        Some(_) => {
            // A head past the newest message seen (a refetch after a gap, a focus answer)
            // stands over messages no event brought: an open timeline gets them fetched,
            // as for a hole the next live message shows.
            if known > 0 && head.last_seq > known {
                fx.holes.push(Hole {
                    community_id: head.community_id.clone(),
                    channel_id: head.channel_id.clone(),
                    after: known,
                    up_to: head.last_seq,
                });
            }
            fx.touched.insert((head.community_id, head.channel_id));
        }
    }
}

fn set_member_count(
    state: &mut State,
    community_id: &CommunityId,
    count: u64,
    fx: &mut Effects,
    out: &mut Vec<Publication>,
) {
    if state.set_member_count(community_id, count, out) {
        fx.changes.push(Change::MemberCount {
            community_id: community_id.to_string().into(),
            member_count: count,
        });
    }
}
