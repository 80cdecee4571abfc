//! Several server nodes behind one database, linked through NATS
//! (`docs/MULTINODE-NATS.md`).
//!
//! - [`link`]: a minimal NATS client (connect, subscribe, publish, reconnect with
//!   backoff) whose up/down state `/healthz` and the write path watch.
//! - [`wire`]: the subjects and the message of one commit ([`wire::WireCommit`]).
//! - [`node`]: this node's side of the link ([`node::Cluster`], held by `Shared`).
//! - [`presence`]: heartbeats and presence across nodes.
//! - [`reorder`]: the per-channel state that puts a channel's messages in `seq` order
//!   whichever node committed them; [`ordered`]: delivering through it.
//!
//! After a commit, `Shared::commit` hands the commit's membership changes and deliveries
//! to [`node::Cluster::publish`] (under the community's ordering lane, so one node's commits of
//! a community are published in commit order, on one subject). Every node subscribes to
//! every community subject and to the global one; [`run_inbound`] applies the commits of
//! the other nodes to the local hub, in arrival order, under the same ordering lane as a
//! local commit of that community. Sessions stay on their node; the hub only ever
//! reaches its own sessions.

pub(crate) mod link;
pub(crate) mod node;
pub(crate) mod ordered;
pub(crate) mod presence;
pub(crate) mod reorder;
pub(crate) mod wire;

use std::sync::Arc;

use community_protocol::Response;
use community_server_domain::Handled;
use tokio::sync::mpsc;

use crate::hub::TypingKey;
use crate::shared::Shared;
use link::Inbound;
use node::Remote;

/// Applies the other nodes' commits to this node's hub, one at a time in arrival order
/// (on a blocking thread, as local commits are), until the link's sender is gone.
pub(crate) async fn run_inbound(
    shared: Arc<Shared>,
    mut inbound: mpsc::UnboundedReceiver<Inbound>,
) {
    let _timer = AbortOnDrop(tokio::spawn(ordered::run_timer(Arc::clone(&shared))));
    let _presence = AbortOnDrop(tokio::spawn(presence::run(Arc::clone(&shared))));
    while let Some(message) = inbound.recv().await {
        let commit = match shared.cluster.as_ref().and_then(|c| c.accept(&message)) {
            Some(Remote::Commit(commit)) => commit,
            Some(Remote::Typing(typing)) => {
                let key = TypingKey {
                    community_id: typing.community_id.clone(),
                    channel_id: typing.channel_id.clone(),
                };
                let audience = typing.audience();
                shared
                    .hub
                    .typing(&typing.user_id, &key, audience, std::time::Instant::now());
                continue;
            }
            Some(Remote::Presence(presence)) => {
                presence::heard(&shared, &presence.node);
                shared.hub.remote_presence(&presence.node, presence.looks);
                continue;
            }
            Some(Remote::Choice(choice)) => {
                presence::heard(&shared, &choice.node);
                shared
                    .hub
                    .remote_presence_choice(&choice.user_id, choice.status, choice.text);
                continue;
            }
            Some(Remote::DeviceLogin(login)) => {
                presence::heard(&shared, &login.node);
                if !login.device_id.is_empty() {
                    shared
                        .hub
                        .replace_same_device(&login.user_id, &login.device_id, None);
                }
                continue;
            }
            Some(Remote::Voice(voice)) => {
                presence::heard(&shared, &voice.node);
                let node = voice.node.clone();
                shared.hub.remote_voice(&node, voice.into_ops());
                continue;
            }
            Some(Remote::Node(node)) => {
                presence::heard(&shared, &node);
                continue;
            }
            None => continue,
        };
        let shared = Arc::clone(&shared);
        let applied = tokio::task::spawn_blocking(move || {
            let community = commit.community.clone();
            let (membership, deliveries) = commit.into_parts();
            let handled = Handled {
                response: Response::Ok,
                membership,
                deliveries,
            };
            shared.apply_remote(community.as_ref(), &handled);
        })
        .await;
        if let Err(error) = applied {
            tracing::error!(%error, "remote commit not applied");
        }
    }
}

/// Aborts a task when dropped (the helpers of [`run_inbound`] end with it).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
