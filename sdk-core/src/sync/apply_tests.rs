//! `channel_activity` as the sync task applies it (protocol §9.5): exact counts when it
//! follows the counter, a heads refetch when it does not, the channels noted for open
//! timelines, and the sums published.

use community_protocol::{ChannelId, CommunityId, Event, NotificationStatus};

use super::apply::apply_event;
use super::effects::Effects;
use crate::events::Publication;
use crate::state::State;
use crate::state::tests::{head, message, snapshot};

fn state() -> State {
    State::from_snapshots(
        Some("me".into()),
        vec![snapshot(
            "big",
            vec![
                head("big", "general", 10, 8, 2, 0),
                head("big", "news", 4, 4, 0, 0),
            ],
            NotificationStatus::Notify,
        )],
    )
}

fn activity(channel: &str, first_seq: u64, last_seq: u64, unread: u64, mentions: u64) -> Event {
    Event::ChannelActivity {
        community_id: "big".into(),
        channel_id: channel.into(),
        last_seq,
        last_activity_ms: 99,
        mentioned: mentions > 0,
        first_seq,
        unread,
        mentions,
    }
}

fn counts(state: &State, channel: &str) -> Option<(u64, u64, u64)> {
    state
        .channel_unread(&CommunityId::from("big"), &ChannelId::from(channel))
        .map(|c| (c.last_seq, c.unread_count, c.mention_count))
}

fn apply(state: &mut State, event: Event) -> (Effects, Vec<Publication>) {
    let mut fx = Effects::default();
    let mut out = Vec::new();
    apply_event(state, event, &mut fx, &mut out);
    (fx, out)
}

#[test]
fn activity_that_follows_is_exact_and_needs_no_refetch() {
    let mut state = state();
    let (fx, out) = apply(&mut state, activity("general", 11, 15, 4, 1));
    assert_eq!(counts(&state, "general"), Some((15, 6, 1)));
    assert!(fx.dirty_heads.is_empty(), "exact: no heads refetch");
    assert_eq!(
        fx.activity,
        vec![("big".into(), "general".into(), 15)],
        "noted for an open timeline"
    );
    assert!(fx.touched.contains(&("big".into(), "general".into())));
    let sums: Vec<u64> = out
        .iter()
        .filter_map(|p| match p {
            Publication::Unread(change) => Some(change.totals.total_unread),
            _ => None,
        })
        .collect();
    assert_eq!(sums, vec![6]);
    // The same activity again (a replay) changes nothing.
    let (fx, out) = apply(&mut state, activity("general", 11, 15, 4, 1));
    assert_eq!(counts(&state, "general"), Some((15, 6, 1)));
    assert!(fx.dirty_heads.is_empty() && fx.touched.is_empty() && out.is_empty());
}

#[test]
fn activity_after_a_gap_or_from_an_old_server_refetches_the_heads() {
    let mut state = state();
    // 5..=6 were never seen.
    let (fx, _) = apply(&mut state, activity("news", 7, 9, 3, 0));
    assert_eq!(counts(&state, "news"), Some((9, 5, 0)), "estimated");
    assert!(fx.dirty_heads.contains(&CommunityId::from("big")));
    // An old server: no first_seq, no counts.
    let (fx, _) = apply(&mut state, activity("general", 0, 12, 0, 0));
    assert_eq!(counts(&state, "general"), Some((12, 4, 0)), "estimated");
    assert!(fx.dirty_heads.contains(&CommunityId::from("big")));
}

#[test]
fn activity_mixed_with_whole_messages_stays_exact_when_in_order() {
    let mut state = state();
    // The user's own message 11 (their sessions get it whole), then activity 12..=13.
    let (fx, _) = apply(
        &mut state,
        Event::MessageCreated {
            message: message("big", "general", 11, "me", false),
        },
    );
    assert!(fx.dirty_heads.is_empty());
    let (fx, _) = apply(&mut state, activity("general", 12, 13, 2, 0));
    assert_eq!(counts(&state, "general"), Some((13, 4, 0)));
    assert!(fx.dirty_heads.is_empty());
    // Then the channel is focused: a whole message follows on.
    let (fx, _) = apply(
        &mut state,
        Event::MessageCreated {
            message: message("big", "general", 14, "bob", true),
        },
    );
    assert_eq!(counts(&state, "general"), Some((14, 5, 1)));
    assert!(fx.dirty_heads.is_empty());
}

#[test]
fn activity_of_an_unknown_channel_is_ignored() {
    let mut state = state();
    let (fx, out) = apply(&mut state, activity("gone", 1, 3, 3, 0));
    assert!(fx.activity.is_empty() && fx.dirty_heads.is_empty() && out.is_empty());
}

fn recall(channel: &str, change_seq: u64, seq: u64) -> Event {
    Event::MessageChanged {
        change: community_protocol::MessageChange {
            community_id: "big".into(),
            channel_id: channel.into(),
            change_seq,
            seq,
            by: "bob".into(),
            at_ms: 0,
            kind: community_protocol::ChangeKind::Recalled {
                sender_id: "bob".into(),
                mentions: Default::default(),
            },
        },
    }
}

#[test]
fn unfocused_places_of_a_large_community_skip_change_numbers_without_a_refetch() {
    let mut state = state();
    // Small (2 members by the default limits): a jump in change numbers is a gap.
    let (fx, _) = apply(&mut state, recall("general", 3, 9));
    assert!(fx.dirty_heads.contains(&CommunityId::from("big")));
    assert_eq!(
        counts(&state, "general"),
        Some((10, 1, 0)),
        "the recall uncounts"
    );

    // Large: only count-moving changes reach an unfocused place, so a jump loses nothing.
    state.limits.large_community_members = 1;
    let (fx, _) = apply(&mut state, recall("general", 7, 10));
    assert!(fx.dirty_heads.is_empty());
    assert_eq!(counts(&state, "general"), Some((10, 0, 0)));

    // The focused place gets every change: a jump there is a gap again.
    state.focused = Some(("big".into(), "news".into()));
    let (fx, _) = apply(&mut state, recall("news", 5, 4));
    assert!(fx.dirty_heads.contains(&CommunityId::from("big")));
}

#[test]
fn a_message_past_a_hole_notes_the_hole_for_open_timelines() {
    let mut state = state();
    let created = |seq| Event::MessageCreated {
        message: message("big", "general", seq, "bob", false),
    };
    let (fx, _) = apply(&mut state, created(11));
    assert!(fx.holes.is_empty(), "the next one: no hole");
    // 12..=13 skipped (committed on another server node, not arrived yet).
    let (fx, _) = apply(&mut state, created(14));
    assert_eq!(
        fx.holes,
        vec![super::effects::Hole {
            community_id: "big".into(),
            channel_id: "general".into(),
            after: 11,
            up_to: 13,
        }]
    );
    assert!(fx.dirty_heads.contains(&CommunityId::from("big")));
    // 12 arrives late: known already as far as counts go, stored (and shown) anyway.
    let (fx, _) = apply(&mut state, created(12));
    assert!(fx.holes.is_empty());
    assert_eq!(fx.messages.len(), 1);
}

#[test]
fn a_refetched_head_past_the_newest_message_notes_a_hole() {
    use super::apply::{LocalUpdate, apply_local};
    let mut state = state();
    let refetched = |state: &mut State, last_seq| {
        let mut fx = Effects::default();
        let heads = vec![head("big", "general", last_seq, 8, last_seq - 8, 0)];
        apply_local(state, LocalUpdate::Heads(heads), &mut fx, &mut Vec::new());
        fx
    };
    // 11..=13 were committed (on a node that died before publishing them): no event
    // showed them, the refetched head does.
    let fx = refetched(&mut state, 13);
    assert_eq!(
        fx.holes,
        vec![super::effects::Hole {
            community_id: "big".into(),
            channel_id: "general".into(),
            after: 10,
            up_to: 13,
        }]
    );
    assert_eq!(counts(&state, "general"), Some((13, 5, 0)));
    // The same head again, or an older one: nothing to fetch.
    assert!(refetched(&mut state, 13).holes.is_empty());
    assert!(refetched(&mut state, 12).holes.is_empty());
}
