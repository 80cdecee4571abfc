//! Presence and voice seats across nodes, the link's side (`docs/MULTINODE-NATS.md`):
//! [`run`] publishes this node's heartbeat every `cluster_heartbeat_interval`, the looks
//! of its users whose presence changed here and the seats taken and left here (woken by
//! the hub at each change), drops the users and seats of a node not heard for
//! [`SILENT_BEATS`] intervals, and publishes every user connected here and every seat
//! taken here again when the link comes back up. [`heard`] answers a node that appears
//! with the same snapshot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::shared::Shared;

/// A node not heard for this many heartbeat intervals is gone, its users' presence with
/// it.
pub(crate) const SILENT_BEATS: u32 = 3;
/// The heartbeat interval unless configured.
pub(crate) const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(1);

/// Heartbeats, local presence changes, silent nodes (runs until aborted; `run_inbound`
/// starts it).
pub(crate) async fn run(shared: Arc<Shared>) {
    let Some(cluster) = shared.cluster.as_ref() else {
        return;
    };
    let wake = shared.hub.note_presence_changes();
    let every = shared
        .config
        .cluster_heartbeat_interval
        .max(Duration::from_millis(10));
    let mut beats = tokio::time::interval(every);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut up = cluster.watch();
    loop {
        tokio::select! {
            _ = beats.tick() => {
                cluster.publish_heartbeat();
                for node in cluster.silent(Instant::now(), every * SILENT_BEATS) {
                    tracing::info!(%node, "a node fell silent; its users' presence dropped");
                    shared.hub.drop_node(&node);
                }
            }
            () = wake.notified() => {
                cluster.publish_presence(&shared.hub.presence_looks(false));
                cluster.publish_voice(&shared.hub.voice_ops(false));
            }
            changed = up.changed() => {
                if changed.is_err() {
                    return;
                }
                if *up.borrow_and_update() {
                    // What changed while the link was down was not published.
                    cluster.publish_presence(&shared.hub.presence_looks(true));
                    cluster.publish_voice(&shared.hub.voice_ops(true));
                }
            }
        }
    }
}

/// Node `node` was heard: when it is new, it gets every user connected here.
pub(crate) fn heard(shared: &Shared, node: &str) {
    let Some(cluster) = shared.cluster.as_ref() else {
        return;
    };
    if cluster.heard(node, Instant::now()) {
        tracing::info!(%node, "a node appeared");
        cluster.publish_presence(&shared.hub.presence_looks(true));
        cluster.publish_voice(&shared.hub.voice_ops(true));
    }
}
