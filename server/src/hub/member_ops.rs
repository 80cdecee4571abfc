//! How one change of a sorted member list turns into the operations of each followed
//! range (§22.2): the pure bridge between [`MemberIndex`] and `member_list_update`.
//!
//! A change is applied to the index in steps — a removal, then an insertion — and after
//! each step the operations of every range are derived from the list as it now is: a
//! removal at `p` inside a range is `delete p` (and `insert` of the item that moves up
//! into the range's last position), before a range it shifts the range (`delete` at its
//! start, `insert` at its end); an insertion mirrors it. A member whose position does not
//! change is an `update` in place. The result, applied in order with
//! `MemberListWindow::apply`, keeps every window equal to the list's items at its
//! positions (property-tested below).

use community_protocol::UserId;
use community_protocol::member_list::{ListRange, MemberListItem, MemberListOp};

use super::member_index::{Entry, MemberIndex};

/// One change of a member.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// The member as they are now (joined, or changed).
    Upsert(Entry),
    /// The member left.
    Remove(UserId),
}

/// The operations of each range (in the order of `ranges`) after a removal at `at`
/// (the index already without it).
fn removed(index: &MemberIndex, at: usize, ranges: &[ListRange], out: &mut [Vec<MemberListOp>]) {
    let len = index.len();
    for (range, ops) in ranges.iter().zip(out.iter_mut()) {
        let (start, end) = (range.start as usize, range.end as usize);
        if at > end {
            continue;
        }
        let delete = if at < start { start } else { at };
        if at < start && start > len {
            continue; // The window was empty and stays so.
        }
        ops.push(MemberListOp::Delete {
            index: delete as u32,
        });
        if let Some(entry) = index.get(end) {
            ops.push(MemberListOp::Insert {
                index: end as u32,
                item: entry.item().clone(),
            });
        }
    }
}

/// The operations of each range after an insertion at `at` (the index already with it).
fn inserted(index: &MemberIndex, at: usize, ranges: &[ListRange], out: &mut [Vec<MemberListOp>]) {
    let len = index.len();
    for (range, ops) in ranges.iter().zip(out.iter_mut()) {
        let (start, end) = (range.start as usize, range.end as usize);
        if at > end {
            continue;
        }
        let insert = if at < start {
            // The item at the range's end before the insertion is pushed out.
            if end + 2 <= len {
                ops.push(MemberListOp::Delete { index: end as u32 });
            }
            start
        } else {
            at
        };
        if let Some(entry) = index.get(insert) {
            ops.push(MemberListOp::Insert {
                index: insert as u32,
                item: entry.item().clone(),
            });
        }
    }
}

/// Applies `change` to `index` and returns the operations of each of `ranges` (empty
/// lists when it falls outside them); `None` when nothing changed.
pub(crate) fn apply(
    index: &mut MemberIndex,
    change: Change,
    ranges: &[ListRange],
) -> Option<Vec<Vec<MemberListOp>>> {
    let mut out = vec![Vec::new(); ranges.len()];
    match change {
        Change::Remove(user_id) => {
            let (at, _) = index.remove(&user_id)?;
            removed(index, at, ranges, &mut out);
        }
        Change::Upsert(entry) => {
            let user_id = entry.item().user_id.clone();
            match index.find(&user_id) {
                Some((_, old)) if *old == entry => return None,
                Some((at, old)) if old.same_place(&entry) => {
                    let item = entry.item().clone();
                    index.insert(entry);
                    for (range, ops) in ranges.iter().zip(out.iter_mut()) {
                        if range.contains(at as u32) {
                            ops.push(MemberListOp::Update {
                                index: at as u32,
                                item: item.clone(),
                            });
                        }
                    }
                }
                Some(_) => {
                    if let Some((at, _)) = index.remove(&user_id) {
                        removed(index, at, ranges, &mut out);
                    }
                    let at = index.insert(entry);
                    inserted(index, at, ranges, &mut out);
                }
                None => {
                    let at = index.insert(entry);
                    inserted(index, at, ranges, &mut out);
                }
            }
        }
    }
    Some(out)
}

/// The operations that replace each range's window (`old`: the items it held) by the
/// list's items now (after a rebuild): none when they are the same, else the old items
/// deleted and the new ones inserted.
pub(crate) fn replace(
    old: &[Vec<MemberListItem>],
    index: &MemberIndex,
    ranges: &[ListRange],
) -> Vec<Vec<MemberListOp>> {
    ranges
        .iter()
        .zip(old)
        .map(|(range, old)| {
            let items = index.items(range.start as usize, range.end as usize);
            if items == *old {
                return Vec::new();
            }
            let mut ops: Vec<MemberListOp> = (0..old.len())
                .map(|_| MemberListOp::Delete { index: range.start })
                .collect();
            ops.extend(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| MemberListOp::Insert {
                        index: range.start + i as u32,
                        item,
                    }),
            );
            ops
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use community_protocol::member_list::{MemberListRange, MemberListWindow};
    use community_protocol::{GroupId, PresenceStatus};

    use super::*;

    /// A small deterministic generator (xorshift), so a failure replays.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    fn random_member(rng: &mut Rng, id: u64) -> Entry {
        let group = match rng.below(6) {
            0 => Some(("admins", 30)),
            1 => Some(("mods", 20)),
            2 => Some(("vips", 10)),
            _ => None,
        };
        Entry::new(
            MemberListItem {
                user_id: UserId::from(format!("user{id}")),
                display_name: format!("Name {}", rng.below(300)),
                group_id: group.map(|(g, _)| GroupId::from(g)),
                status: match rng.below(4) {
                    0 => PresenceStatus::Online,
                    1 => PresenceStatus::Idle,
                    2 => PresenceStatus::Invisible,
                    _ => PresenceStatus::Offline,
                },
                avatar_url: if rng.below(2) == 0 {
                    String::new()
                } else {
                    format!("https://a.example/{}", rng.below(9))
                },
            },
            group.map(|(_, p)| p),
        )
    }

    fn random_ranges(rng: &mut Rng, len: usize) -> Vec<ListRange> {
        let mut ranges = Vec::new();
        let mut start = rng.below(len as u64 / 4 + 1) as u32;
        for _ in 0..1 + rng.below(3) {
            let end = start + rng.below(200) as u32;
            ranges.push(ListRange::new(start, end));
            start = end + 1 + rng.below(len as u64 / 2 + 1) as u32;
        }
        ranges
    }

    fn fresh(index: &MemberIndex, range: ListRange) -> MemberListWindow {
        MemberListWindow::new(MemberListRange {
            range,
            items: index.items(range.start as usize, range.end as usize),
        })
    }

    #[test]
    fn applying_the_ops_always_gives_what_a_fresh_subscription_gives() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let members = 2_000;
        let mut next_id = members as u64;
        let mut index = MemberIndex::new(
            (0..members as u64)
                .map(|i| random_member(&mut rng, i))
                .collect(),
        );
        let sessions: Vec<Vec<ListRange>> = (0..12)
            .map(|s| {
                if s < 3 {
                    vec![ListRange::new(0, 99), ListRange::new(100, 199)]
                } else {
                    random_ranges(&mut rng, members)
                }
            })
            .collect();
        let mut windows: Vec<Vec<MemberListWindow>> = sessions
            .iter()
            .map(|ranges| ranges.iter().map(|r| fresh(&index, *r)).collect())
            .collect();
        for step in 0..3_000 {
            let known = index.len() as u64;
            let change = match rng.below(5) {
                0 => {
                    next_id += 1;
                    Change::Upsert(random_member(&mut rng, next_id))
                }
                1 if known > 0 => {
                    let at = rng.below(known) as usize;
                    Change::Remove(index.get(at).unwrap().item().user_id.clone())
                }
                2 if known > 0 => {
                    // A presence change.
                    let at = rng.below(known) as usize;
                    let entry = index.get(at).unwrap();
                    let status = if entry.item().status == PresenceStatus::Offline {
                        PresenceStatus::Online
                    } else if rng.below(2) == 0 {
                        PresenceStatus::DoNotDisturb
                    } else {
                        PresenceStatus::Offline
                    };
                    Change::Upsert(entry.with_status(status))
                }
                _ if known > 0 => {
                    // A rename, a new avatar or a new group: the same member, changed.
                    let at = rng.below(known) as usize;
                    let id = index.get(at).unwrap().item().user_id.to_string();
                    let id: u64 = id.trim_start_matches("user").parse().unwrap();
                    Change::Upsert(random_member(&mut rng, id))
                }
                _ => continue,
            };
            // One index, every session's ranges at once (as the hub does).
            let all: Vec<ListRange> = sessions.iter().flatten().copied().collect();
            let Some(ops) = apply(&mut index, change, &all) else {
                continue;
            };
            let mut ops = ops.into_iter();
            for (ranges, held) in sessions.iter().zip(windows.iter_mut()) {
                for (range, window) in ranges.iter().zip(held.iter_mut()) {
                    for op in ops.next().unwrap() {
                        window
                            .apply(&op)
                            .unwrap_or_else(|e| panic!("step {step}: {e} on {range:?}"));
                    }
                    assert_eq!(
                        *window,
                        fresh(&index, *range),
                        "step {step}, range {range:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_rebuild_replaces_each_window() {
        let mut rng = Rng(7);
        let index = MemberIndex::new((0..500).map(|i| random_member(&mut rng, i)).collect());
        let range = ListRange::new(480, 520);
        let mut window = fresh(&index, range);
        let rebuilt = MemberIndex::new((0..600).map(|i| random_member(&mut rng, i)).collect());
        assert!(replace(&[window.items.clone()], &index, &[range])[0].is_empty());
        for op in &replace(&[window.items.clone()], &rebuilt, &[range])[0] {
            window.apply(op).unwrap();
        }
        assert_eq!(window, fresh(&rebuilt, range));
    }

    /// The cost of one change at 100,000 members (docs/BENCHMARKS.md, "Large communities
    /// (server)"): prints figures, checks nothing about time. Two sets of followed ranges:
    /// the first 5 pages (what clients showing the top of the list follow) and 200
    /// ranges spread over the list (a change then shifts most of them).
    #[test]
    #[ignore = "a measurement: cargo test --release -p community-server --lib member_list_cost -- --ignored --nocapture"]
    fn member_list_cost_at_100k() {
        let members = 100_000u64;
        let top: Vec<ListRange> = (0..5u32)
            .map(|i| ListRange::new(i * 100, i * 100 + 99))
            .collect();
        let spread: Vec<ListRange> = (0..200u32)
            .map(|i| ListRange::new(i * 500, i * 500 + 99))
            .collect();
        for (name, ranges) in [("5 top ranges", top), ("200 spread ranges", spread)] {
            let mut rng = Rng(0x2545_F491_4F6C_DD1D);
            let started = std::time::Instant::now();
            let mut index =
                MemberIndex::new((0..members).map(|i| random_member(&mut rng, i)).collect());
            let build = started.elapsed();
            let bytes = index.approximate_bytes() as f64 / members as f64;
            let changes = 50_000u32;
            let mut next_id = members;
            let mut ops = 0usize;
            let started = std::time::Instant::now();
            for _ in 0..changes {
                let known = index.len() as u64;
                let at = rng.below(known) as usize;
                let change = match rng.below(4) {
                    0 => {
                        next_id += 1;
                        Change::Upsert(random_member(&mut rng, next_id))
                    }
                    1 => Change::Remove(index.get(at).unwrap().item().user_id.clone()),
                    _ => {
                        let entry = index.get(at).unwrap();
                        let status = if entry.item().status == PresenceStatus::Offline {
                            PresenceStatus::Online
                        } else {
                            PresenceStatus::Offline
                        };
                        Change::Upsert(entry.with_status(status))
                    }
                };
                if let Some(out) = apply(&mut index, change, &ranges) {
                    ops += out.iter().map(Vec::len).sum::<usize>();
                }
            }
            let per_change = started.elapsed().as_secs_f64() * 1e6 / f64::from(changes);
            println!(
                "{name}: {members} members, build {build:?}, ~{bytes:.0} B/member, \
                 {per_change:.2} µs per change (joins, leaves, presence: {:.1} ops per change)",
                ops as f64 / f64::from(changes)
            );
        }
    }
}
