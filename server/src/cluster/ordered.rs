//! Delivering in `seq` order across nodes, the `Shared` side of [`super::reorder`]:
//! every commit that creates a message goes through [`Shared::deliver_in_order`] (under
//! its community's lane), and [`run_timer`] lets expired holds through on time. The
//! reorder state itself (pure, no I/O) stays in `reorder`.

use std::sync::Arc;
use std::time::Instant;

use community_protocol::CommunityId;
use community_server_domain::Delivery;

use super::reorder::{Held, Reorder, Slot, message_of};
use crate::hub::Session;
use crate::shared::{Scope, Shared, lock_lane};

impl Shared {
    /// Delivers a commit's events (`lane`: the community it was ordered under, `from`: the
    /// session that asked), a created message in its channel's `seq` order when this node
    /// is linked to others (see [`crate::cluster::reorder`]). Called under the lane.
    pub(crate) fn deliver_in_order(
        &self,
        lane: Option<&CommunityId>,
        deliveries: &[Delivery],
        from: Option<&Session>,
    ) {
        let reorder = self.cluster.as_ref().map(|c| c.reorder());
        let (Some(reorder), Some((key, seq))) = (reorder, message_of(deliveries)) else {
            self.hub.deliver(deliveries, from);
            return;
        };
        let hold = |until| Held {
            lane: lane.cloned(),
            deliveries: deliveries.to_vec(),
            from: from.and_then(|s| self.hub.find(&s.user_id, &s.id)),
            until,
        };
        let slots = reorder.admit(
            &key,
            seq,
            hold,
            Instant::now(),
            self.config.cluster_reorder_window,
            self.config.cluster_reorder_held,
        );
        self.deliver_slots(slots, deliveries, from);
    }

    fn deliver_slots(&self, slots: Vec<Slot>, offered: &[Delivery], from: Option<&Session>) {
        for slot in slots {
            match slot {
                Slot::Offered => self.hub.deliver(offered, from),
                Slot::Held(held) => self.hub.deliver(&held.deliveries, held.from.as_deref()),
            };
        }
    }

    /// Lets the holds over by `now` through, each under its community's lane.
    fn release_due(&self, reorder: &Reorder, now: Instant) {
        for (key, lane) in reorder.due(now) {
            let scope = lane.map_or(Scope::Global, Scope::Community);
            let lane = self.order.lane(&scope);
            let _all = self.order.all(&scope);
            let _lane = lane.as_deref().map(lock_lane);
            let slots = reorder.expire(&key, now);
            let counts = reorder.counts();
            tracing::debug!(community = %key.0, channel = %key.1, held = counts.held, gaps = counts.gaps, late = counts.late, "a gap in a channel's messages let through");
            self.deliver_slots(slots, &[], None);
        }
    }
}

/// Releases expired holds on time (runs until aborted; `run_inbound` starts it).
pub(crate) async fn run_timer(shared: Arc<Shared>) {
    let Some(cluster) = shared.cluster.as_ref() else {
        return;
    };
    let reorder = cluster.reorder();
    loop {
        match reorder.next_deadline() {
            Some(at) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at.into()) => {}
                    () = reorder.wake.notified() => continue,
                }
            }
            None => {
                reorder.wake.notified().await;
                continue;
            }
        }
        let shared = Arc::clone(&shared);
        let released = tokio::task::spawn_blocking(move || {
            if let Some(cluster) = shared.cluster.as_ref() {
                shared.release_due(cluster.reorder(), Instant::now());
            }
        })
        .await;
        if let Err(error) = released {
            tracing::error!(%error, "held messages not released");
        }
    }
}
