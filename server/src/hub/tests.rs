//! Unit tests of the hub: registration, eviction, same-device replacement, fan-out.
use super::*;
use community_protocol::{Event, NotificationStatus};

fn event(community: &str) -> Event {
    Event::NotificationChanged {
        community_id: community.into(),
        status: NotificationStatus::Notify,
    }
}

fn delivery(audience: Audience) -> Delivery {
    Delivery::new(audience, event("c1"))
}

#[test]
fn an_abandoned_login_leaves_nothing_registered() {
    let hub = Hub::new(16, 16, 8);
    // Forgotten before its registration ran (the login future was dropped first).
    let early = hub.new_session(&UserId::from("ann"), "phone");
    hub.forget(&early);
    hub.register(&early, vec!["c1".into()]);
    // Forgotten after its registration ran.
    let late = hub.new_session(&UserId::from("ann"), "tablet");
    hub.register(&late, vec!["c1".into()]);
    assert_eq!(hub.session_count(), 1);
    hub.forget(&late);
    assert_eq!(hub.session_count(), 0);
    assert!(hub.find(&UserId::from("ann"), &early.id).is_none());
    assert!(hub.find(&UserId::from("ann"), &late.id).is_none());
}

#[test]
fn a_user_keeps_a_bounded_number_of_sessions() {
    let hub = Hub::new(16, 16, 3);
    let sessions: Vec<Arc<Session>> = (0..3)
        .map(|_| hub.new_session(&UserId::from("ann"), ""))
        .collect();
    let outboxes: Vec<Arc<Outbox>> = (0..3).map(|i| Arc::new(Outbox::new(i, 4))).collect();
    for (session, outbox) in sessions.iter().zip(&outboxes) {
        hub.register(session, vec!["c1".into()]);
        session.attach(outbox, 0).unwrap();
    }
    // The middle one lingers (its connection went away): it goes first.
    sessions[1].release(1);
    let fourth = hub.new_session(&UserId::from("ann"), "");
    hub.register(&fourth, vec!["c1".into()]);
    assert_eq!(hub.session_count(), 3);
    assert!(sessions[1].is_forgotten());
    assert!(hub.find(&UserId::from("ann"), &sessions[1].id).is_none());
    assert!(!outboxes[1].is_ending(), "it had no connection to end");
    // All connected: the oldest is ended, never the newcomer.
    fourth.attach(&Arc::new(Outbox::new(9, 4)), 0).unwrap();
    let fifth = hub.new_session(&UserId::from("ann"), "");
    hub.register(&fifth, vec!["c1".into()]);
    assert_eq!(hub.session_count(), 3);
    assert!(sessions[0].is_forgotten() && !fifth.is_forgotten());
    let ending = outboxes[0].take().ending;
    assert!(
        matches!(ending, Some(Ending::Goodbye(g)) if g.reason == GoodbyeReason::SessionReplaced)
    );
    // Fan-out reaches exactly the sessions kept.
    assert_eq!(
        hub.deliver(&[delivery(Audience::Community("c1".into()))], None),
        3
    );
}

fn hub_with(users: &[(&str, &[&str])]) -> (Hub, Vec<Arc<Session>>) {
    let hub = Hub::new(16, 16, 8);
    let sessions = users
        .iter()
        .map(|(user, communities)| {
            let s = hub.new_session(&(*user).into(), "");
            hub.register(&s, communities.iter().map(|c| (*c).into()).collect());
            s
        })
        .collect();
    (hub, sessions)
}

#[test]
fn community_audience_reaches_members_only() {
    let (hub, s) = hub_with(&[("a", &["c1"]), ("b", &["c1", "c2"]), ("c", &["c2"])]);
    assert_eq!(
        hub.deliver(&[delivery(Audience::Community("c1".into()))], None),
        2
    );
    assert_eq!(
        (s[0].last_seq(), s[1].last_seq(), s[2].last_seq()),
        (1, 1, 0)
    );
}

#[test]
fn membership_changes_update_the_index() {
    let (hub, s) = hub_with(&[("a", &["c1"]), ("b", &[])]);
    hub.apply(&[
        MembershipChange {
            community_id: "c1".into(),
            user_id: "b".into(),
            joined: true,
        },
        MembershipChange {
            community_id: "c1".into(),
            user_id: "a".into(),
            joined: false,
        },
        MembershipChange {
            community_id: "c1".into(),
            user_id: "offline".into(),
            joined: true,
        },
    ]);
    hub.deliver(&[delivery(Audience::Community("c1".into()))], None);
    assert_eq!((s[0].last_seq(), s[1].last_seq()), (0, 1));
}

#[test]
fn users_and_other_sessions_audiences() {
    let hub = Hub::new(16, 16, 8);
    let a1 = hub.new_session(&UserId::from("a"), "phone");
    let a2 = hub.new_session(&UserId::from("a"), "laptop");
    let b = hub.new_session(&UserId::from("b"), "");
    for s in [&a1, &a2, &b] {
        hub.register(s, vec!["c1".into()]);
    }
    hub.deliver(&[delivery(Audience::OtherSessionsOfCaller)], Some(&a1));
    assert_eq!((a1.last_seq(), a2.last_seq(), b.last_seq()), (0, 1, 0));
    hub.deliver(
        &[delivery(Audience::Users(vec![
            "a".into(),
            "a".into(),
            "zed".into(),
        ]))],
        None,
    );
    assert_eq!((a1.last_seq(), a2.last_seq(), b.last_seq()), (1, 2, 0));
    assert_eq!(
        hub.same_device(&UserId::from("a"), "phone", a2.key).len(),
        1
    );
    assert!(hub.same_device(&UserId::from("a"), "", a2.key).is_empty());
}

#[test]
fn one_encoding_is_shared_by_all_recipients() {
    let (hub, s) = hub_with(&[("a", &["c1"]), ("b", &["c1"])]);
    let outboxes: Vec<Arc<Outbox>> = (0..2).map(|i| Arc::new(Outbox::new(i, 4))).collect();
    s[0].attach(&outboxes[0], 0).unwrap();
    s[1].attach(&outboxes[1], 0).unwrap();
    hub.deliver(&[delivery(Audience::Community("c1".into()))], None);
    let take = |s: &Session, id| {
        let mut out = Vec::new();
        assert_eq!(s.take_events(id, &mut out), Taken::Events(1));
        out.remove(0).1
    };
    let (first, second) = (take(&s[0], 0), take(&s[1], 1));
    assert!(
        Arc::ptr_eq(&first, &second),
        "same allocation for every recipient"
    );
}

#[test]
fn channel_viewers_reach_exactly_their_sessions_as_the_index_changes() {
    use community_server_domain::ChannelViewers;
    let (hub, s) = hub_with(&[("a", &["c1"]), ("b", &["c1"]), ("c", &["c1"]), ("d", &[])]);
    let hidden_from_b = Arc::new(ChannelViewers {
        community_id: "c1".into(),
        by_default: true,
        exceptions: HashSet::from([UserId::from("b")]),
    });
    let only_c_and_d = Arc::new(ChannelViewers {
        community_id: "c1".into(),
        by_default: false,
        exceptions: HashSet::from([UserId::from("c"), UserId::from("d")]),
    });
    let seqs = |s: &[Arc<Session>]| s.iter().map(|s| s.last_seq()).collect::<Vec<_>>();
    let send = |viewers: &Arc<ChannelViewers>| {
        hub.deliver(&[delivery(Audience::Viewers(Arc::clone(viewers)))], None)
    };
    assert_eq!(send(&hidden_from_b), 2);
    assert_eq!(send(&hidden_from_b), 2, "the resolved list again");
    assert_eq!(seqs(&s), [2, 0, 2, 0]);
    // d is not a member: only c.
    assert_eq!(send(&only_c_and_d), 1);
    assert_eq!(seqs(&s), [2, 0, 3, 0]);
    // d joins, a second session of c logs in, a leaves: the lists follow.
    hub.apply(&[
        MembershipChange {
            community_id: "c1".into(),
            user_id: "d".into(),
            joined: true,
        },
        MembershipChange {
            community_id: "c1".into(),
            user_id: "a".into(),
            joined: false,
        },
    ]);
    let c2 = hub.new_session(&UserId::from("c"), "");
    hub.register(&c2, vec!["c1".into()]);
    assert_eq!(send(&only_c_and_d), 3);
    assert_eq!(send(&hidden_from_b), 3, "c twice, d");
    assert_eq!(seqs(&s), [2, 0, 5, 2]);
    assert_eq!(c2.last_seq(), 2);
    hub.forget(&c2);
    assert_eq!(send(&only_c_and_d), 2);
}

#[test]
fn forgetting_removes_from_every_index() {
    let hub = Hub::new(16, 16, 8);
    let a1 = hub.new_session(&UserId::from("a"), "");
    let a2 = hub.new_session(&UserId::from("a"), "");
    hub.register(&a1, vec!["c1".into()]);
    hub.register(&a2, vec!["c1".into()]);
    hub.forget(&a1);
    assert!(hub.find(&UserId::from("a"), &a1.id).is_none());
    assert!(hub.find(&UserId::from("a"), &a2.id).is_some());
    assert!(
        hub.find(&UserId::from("b"), &a2.id).is_none(),
        "another user's session is not found"
    );
    assert_eq!(
        hub.deliver(&[delivery(Audience::Community("c1".into()))], None),
        1
    );
    hub.forget(&a2);
    assert_eq!(hub.session_count(), 0);
    assert_eq!(
        hub.deliver(&[delivery(Audience::Community("c1".into()))], None),
        0
    );
}
