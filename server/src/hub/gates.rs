//! The first stage of digest coalescing: one *gate* per thread, so a busy thread costs the
//! hub O(1) per message instead of a visit to every reader's session.
//!
//! A digest reaches the gate of its thread first. When the gate is closed (no fan-out of
//! this thread within the window) or its audience changed (someone gained or lost sight
//! of the channel: the domain hands over another audience), the digest is fanned out now,
//! through every recipient's slot ([`super::digests`], which keeps the per-session
//! guarantee), and the gate opens a window. Inside the window a digest only replaces the
//! gate's pending one. When the window closes, the pending digest is fanned out (and
//! opens the next window), else the gate goes.
//!
//! An event that ends a thread's story ([`Purge`]: `thread_removed`, `channel_removed`,
//! `community_removed`) first fans out the pending digests of the gates it concerns, to
//! the audience they were sent to (every recipient could still see the thread when that
//! digest was committed), then the event itself purges the slots of its recipients. So
//! the last state reaches everyone who keeps the thread, and no digest follows the event.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;
use std::time::{Duration, Instant};

use community_server_domain::Audience;

use super::digests::{DigestKey, Purge, SlotHasher, SlotId};

/// A thread's gate.
struct Gate {
    /// The newest digest's key.
    key: DigestKey,
    /// Who the newest digest is for.
    audience: Audience,
    /// When the last fan-out happened (the window runs from here).
    opened_at: Instant,
    /// The newest digest that arrived inside the window.
    pending: Option<Arc<str>>,
}

/// A digest to fan out now.
pub(crate) struct FanOut {
    /// Its thread.
    pub key: DigestKey,
    /// The encoded event.
    pub body: Arc<str>,
    /// Its recipients.
    pub audience: Audience,
}

/// What to do with a digest that reached its gate.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    /// Fan it out now; the gate's window closes at this instant (schedule its timer).
    FanOut(Instant),
    /// Kept as the gate's pending digest.
    Held,
}

/// Whether two audiences are the same set of members (the domain shares one `Arc` per
/// channel for as long as who sees it stays the same).
fn same(a: &Audience, b: &Audience) -> bool {
    match (a, b) {
        (Audience::Viewers(a), Audience::Viewers(b)) => Arc::ptr_eq(a, b),
        _ => a == b,
    }
}

/// Every thread's gate, by slot number.
#[derive(Default)]
pub(crate) struct Gates {
    gates: HashMap<SlotId, Gate, BuildHasherDefault<SlotHasher>>,
}

impl Gates {
    /// A digest for `key`, to `audience`, arrived at `now`.
    pub fn offer(
        &mut self,
        key: &DigestKey,
        body: &Arc<str>,
        audience: &Audience,
        now: Instant,
        window: Duration,
    ) -> Offer {
        match self.gates.get_mut(&key.slot) {
            Some(gate) if now < gate.opened_at + window && same(&gate.audience, audience) => {
                gate.pending = Some(Arc::clone(body));
                gate.key = key.clone();
                Offer::Held
            }
            Some(gate) => {
                gate.opened_at = now;
                gate.pending = None;
                gate.audience = audience.clone();
                gate.key = key.clone();
                Offer::FanOut(now + window)
            }
            None => {
                self.gates.insert(
                    key.slot,
                    Gate {
                        key: key.clone(),
                        audience: audience.clone(),
                        opened_at: now,
                        pending: None,
                    },
                );
                Offer::FanOut(now + window)
            }
        }
    }

    /// The timer of `slot`'s gate ran at `now`: its pending digest to fan out, with when
    /// the next window closes.
    pub fn due(
        &mut self,
        slot: SlotId,
        now: Instant,
        window: Duration,
    ) -> Option<(FanOut, Instant)> {
        let gate = self.gates.get_mut(&slot)?;
        if now < gate.opened_at + window {
            return None;
        }
        match gate.pending.take() {
            Some(body) => {
                gate.opened_at = now;
                let fan_out = FanOut {
                    key: gate.key.clone(),
                    body,
                    audience: gate.audience.clone(),
                };
                Some((fan_out, now + window))
            }
            None => {
                self.gates.remove(&slot);
                None
            }
        }
    }

    /// Closes the gates `purge` concerns; returns their pending digests to fan out now.
    pub fn drain(&mut self, purge: &Purge) -> Vec<FanOut> {
        if self.gates.is_empty() {
            return Vec::new();
        }
        let concerned: Vec<SlotId> = self
            .gates
            .iter()
            .filter(|(slot, gate)| match purge {
                Purge::Thread(id) => *slot == id,
                Purge::Channel(channel_id) => gate.key.channel_id == *channel_id,
                Purge::Community(community_id) => gate.key.community_id == *community_id,
            })
            .map(|(slot, _)| *slot)
            .collect();
        concerned
            .into_iter()
            .filter_map(|slot| self.gates.remove(&slot))
            .filter_map(|gate| {
                let body = gate.pending?;
                Some(FanOut {
                    key: gate.key,
                    body,
                    audience: gate.audience,
                })
            })
            .collect()
    }

    /// Gates open now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.gates.len()
    }
}
