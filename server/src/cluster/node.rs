//! This node's link to the others ([`Cluster`]): publishing its commits, typing,
//! presence and heartbeats, telling the other nodes' messages from its own echoes, which
//! other nodes were heard when, and whether the link is up (writes are refused while it
//! is down, [`cluster_down`]). `Shared` holds it; applying what arrives
//! is `super::run_inbound`'s.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use community_protocol::{ApiError, CommunityId, ErrorCode, PresenceStatus, UserId};
use community_server_domain::Handled;
use community_server_domain::routing::Audience;
use tokio::sync::mpsc;

use super::link::{Inbound, Link, LinkError};
use super::reorder::Reorder;
use super::wire::{
    self, WireCommit, WireDeviceLogin, WireNode, WirePresence, WirePresenceChoice, WireTyping,
    WireVoice,
};
use crate::hub::{PresenceLook, TypingKey, VoiceOp};

/// This node's link to the others.
#[derive(Debug)]
pub(crate) struct Cluster {
    /// This node's id (random at each start): a node ignores its own commits.
    node: String,
    link: Link,
    task: tokio::task::JoinHandle<()>,
    /// Per-channel `seq` order of this node's message deliveries.
    reorder: Reorder,
    /// The other nodes, and when each was last heard.
    nodes: Mutex<HashMap<String, Instant>>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Cluster {
    /// Connects to the NATS server at `url` (in the background: the link reports up once
    /// subscribed). Received messages go to the returned receiver, for [`run_inbound`].
    pub fn start(url: &str) -> Result<(Cluster, mpsc::UnboundedReceiver<Inbound>), LinkError> {
        let (inbound_tx, inbound) = mpsc::unbounded_channel();
        let subjects = vec![
            wire::COMMUNITY_WILDCARD.to_owned(),
            wire::GLOBAL_SUBJECT.to_owned(),
            wire::TYPING_SUBJECT.to_owned(),
            wire::PRESENCE_SUBJECT.to_owned(),
            wire::CHOICE_SUBJECT.to_owned(),
            wire::DEVICE_SUBJECT.to_owned(),
            wire::VOICE_SUBJECT.to_owned(),
            wire::NODES_SUBJECT.to_owned(),
        ];
        let (link, task) = Link::start(url, subjects, inbound_tx)?;
        let node = uuid::Uuid::new_v4().simple().to_string();
        Ok((
            Cluster {
                node,
                link,
                task,
                reorder: Reorder::default(),
                nodes: Mutex::default(),
            },
            inbound,
        ))
    }

    /// Whether the link is up (writes are refused while it is not).
    pub fn is_up(&self) -> bool {
        self.link.is_up()
    }

    /// The per-channel reorder state of this node's message deliveries.
    pub fn reorder(&self) -> &Reorder {
        &self.reorder
    }

    /// Publications the link dropped so far because its outbox was full.
    pub fn dropped_publications(&self) -> u64 {
        self.link.dropped()
    }

    /// A receiver of the link's up/down state.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<bool> {
        self.link.watch()
    }

    /// Publishes one commit (nothing when it changed nothing anyone sees).
    pub fn publish(&self, community: Option<&CommunityId>, caller: &UserId, handled: &Handled) {
        if handled.membership.is_empty() && handled.deliveries.is_empty() {
            return;
        }
        let commit = WireCommit::new(
            &self.node,
            community,
            caller,
            &handled.membership,
            &handled.deliveries,
        );
        match serde_json::to_vec(&commit) {
            Ok(payload) => self.link.publish(wire::subject_of(community), payload),
            Err(error) => tracing::error!(%error, "commit not encoded; not published"),
        }
    }

    /// Publishes that `user` types at `key` for `audience` (best effort).
    pub fn publish_typing(&self, user: &UserId, key: &TypingKey, audience: &Audience) {
        let typing = WireTyping::new(
            &self.node,
            user,
            &key.community_id,
            &key.channel_id,
            audience,
        );
        match serde_json::to_vec(&typing) {
            Ok(payload) => self.link.publish(wire::TYPING_SUBJECT.to_owned(), payload),
            Err(error) => tracing::error!(%error, "typing not encoded; not published"),
        }
    }

    /// Publishes a status `user` chose here, for their sessions on other nodes (best
    /// effort).
    pub fn publish_presence_choice(&self, user: &UserId, status: PresenceStatus, text: &str) {
        let choice = WirePresenceChoice {
            node: self.node.clone(),
            user_id: user.clone(),
            status,
            text: text.to_owned(),
        };
        match serde_json::to_vec(&choice) {
            Ok(payload) => self.link.publish(wire::CHOICE_SUBJECT.to_owned(), payload),
            Err(error) => tracing::error!(%error, "presence choice not encoded; not published"),
        }
    }

    /// Publishes a login of `user` on `device` here, so the other nodes end that
    /// device's sessions (best effort).
    pub fn publish_device_login(&self, user: &UserId, device: &str) {
        let login = WireDeviceLogin {
            node: self.node.clone(),
            user_id: user.clone(),
            device_id: device.to_owned(),
        };
        match serde_json::to_vec(&login) {
            Ok(payload) => self.link.publish(wire::DEVICE_SUBJECT.to_owned(), payload),
            Err(error) => tracing::error!(%error, "device login not encoded; not published"),
        }
    }

    /// Publishes how users look from this node (in messages of at most
    /// [`PRESENCE_BATCH`] looks; best effort).
    pub fn publish_presence(&self, looks: &[PresenceLook]) {
        for chunk in looks.chunks(PRESENCE_BATCH) {
            let presence = WirePresence {
                node: self.node.clone(),
                looks: chunk.to_vec(),
            };
            match serde_json::to_vec(&presence) {
                Ok(payload) => self
                    .link
                    .publish(wire::PRESENCE_SUBJECT.to_owned(), payload),
                Err(error) => tracing::error!(%error, "presence not encoded; not published"),
            }
        }
    }

    /// Publishes seat changes made here, in order (in messages of at most
    /// [`PRESENCE_BATCH`]; best effort).
    pub fn publish_voice(&self, ops: &[VoiceOp]) {
        for chunk in ops.chunks(PRESENCE_BATCH) {
            match serde_json::to_vec(&WireVoice::new(&self.node, chunk)) {
                Ok(payload) => self.link.publish(wire::VOICE_SUBJECT.to_owned(), payload),
                Err(error) => tracing::error!(%error, "voice seats not encoded; not published"),
            }
        }
    }

    /// Publishes this node's heartbeat.
    pub fn publish_heartbeat(&self) {
        let beat = WireNode {
            node: self.node.clone(),
        };
        match serde_json::to_vec(&beat) {
            Ok(payload) => self.link.publish(wire::NODES_SUBJECT.to_owned(), payload),
            Err(error) => tracing::error!(%error, "heartbeat not encoded; not published"),
        }
    }

    /// Node `node` was heard at `now`: true when it is new (or was gone).
    pub(super) fn heard(&self, node: &str, now: Instant) -> bool {
        let mut nodes = self.nodes.lock().unwrap_or_else(PoisonError::into_inner);
        nodes.insert(node.to_owned(), now).is_none()
    }

    /// The nodes not heard for `silence` by `now`: forgotten and returned.
    pub(super) fn silent(&self, now: Instant, silence: Duration) -> Vec<String> {
        let mut nodes = self.nodes.lock().unwrap_or_else(PoisonError::into_inner);
        let gone: Vec<String> = nodes
            .iter()
            .filter(|(_, at)| now.saturating_duration_since(**at) > silence)
            .map(|(node, _)| node.clone())
            .collect();
        for node in &gone {
            nodes.remove(node);
        }
        gone
    }

    /// Decodes a received message: `None` for this node's own and for what is not
    /// understood.
    pub(super) fn accept(&self, message: &Inbound) -> Option<Remote> {
        let decoded = if message.subject == wire::TYPING_SUBJECT {
            serde_json::from_slice::<WireTyping>(&message.payload)
                .map(|t| (t.node.clone(), Remote::Typing(t)))
        } else if message.subject == wire::PRESENCE_SUBJECT {
            serde_json::from_slice::<WirePresence>(&message.payload)
                .map(|p| (p.node.clone(), Remote::Presence(p)))
        } else if message.subject == wire::CHOICE_SUBJECT {
            serde_json::from_slice::<WirePresenceChoice>(&message.payload)
                .map(|c| (c.node.clone(), Remote::Choice(c)))
        } else if message.subject == wire::DEVICE_SUBJECT {
            serde_json::from_slice::<WireDeviceLogin>(&message.payload)
                .map(|d| (d.node.clone(), Remote::DeviceLogin(d)))
        } else if message.subject == wire::VOICE_SUBJECT {
            serde_json::from_slice::<WireVoice>(&message.payload)
                .map(|v| (v.node.clone(), Remote::Voice(v)))
        } else if message.subject == wire::NODES_SUBJECT {
            serde_json::from_slice::<WireNode>(&message.payload)
                .map(|n| (n.node.clone(), Remote::Node(n.node)))
        } else {
            serde_json::from_slice::<WireCommit>(&message.payload)
                .map(|c| (c.node.clone(), Remote::Commit(c)))
        };
        match decoded {
            Ok((node, _)) if node == self.node => None,
            Ok((_, remote)) => Some(remote),
            Err(error) => {
                tracing::warn!(%error, subject = %message.subject, "not understood; ignored");
                None
            }
        }
    }
}

/// What another node sent.
pub(super) enum Remote {
    /// A commit: applied under its community's ordering lane.
    Commit(WireCommit),
    /// A typing indicator: straight to the hub's typing windows.
    Typing(WireTyping),
    /// How users look on another node.
    Presence(WirePresence),
    /// A status a user chose on another node.
    Choice(WirePresenceChoice),
    /// A login on a device on another node.
    DeviceLogin(WireDeviceLogin),
    /// Voice seats taken and left on another node.
    Voice(WireVoice),
    /// Another node's heartbeat.
    Node(String),
}

/// Most presence looks (or seat changes) in one message.
pub(crate) const PRESENCE_BATCH: usize = 256;

/// The answer to a write while the link to the other nodes is down: the write would
/// reach no session of another node (`cluster_unavailable`, retryable).
pub(crate) fn cluster_down() -> ApiError {
    ApiError::new(
        ErrorCode::CLUSTER_UNAVAILABLE,
        "the link to the other server nodes is down; retry shortly",
    )
}
