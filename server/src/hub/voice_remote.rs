//! Voice seats across nodes, the hub's side: the seat changes this node tells the others
//! ([`Hub::voice_ops`]) and what they tell it ([`Hub::remote_voice`]), announced to this
//! node's sessions like a local change (see [`super::voice`] and
//! `docs/MULTINODE-NATS.md`).

use community_protocol::Event;

use super::Hub;
use super::voice::{Joined, VoiceOp, announce, voice_left};

impl Hub {
    /// The seat changes made here since the last call, in order, or (`all`) every seat
    /// taken here (for a node that just appeared).
    pub fn voice_ops(&self, all: bool) -> Vec<VoiceOp> {
        let mut index = self.lock();
        if all {
            index.live.voice.seats_here()
        } else {
            index.live.voice.take_ops()
        }
    }

    /// Node `node` tells seats taken and left there, in order.
    pub fn remote_voice(&self, node: &str, ops: Vec<VoiceOp>) {
        let mut index = self.lock();
        let index = &mut *index;
        for op in ops {
            match op {
                VoiceOp::Joined(participant, audience) => {
                    let joined = index.live.voice.join(
                        participant.clone(),
                        audience.clone(),
                        Some(node.to_owned()),
                    );
                    if let Joined::Seated(left) = joined {
                        if let Some(left) = left {
                            voice_left(index, &left);
                        }
                        announce(index, &audience, &Event::VoiceJoined { participant });
                    }
                }
                VoiceOp::Left(participant) => {
                    if let Some(left) = index.live.voice.leave_seat(&participant) {
                        voice_left(index, &left);
                    }
                }
            }
        }
    }

    /// Node `node` fell silent: the seats taken there go.
    pub(super) fn drop_node_seats(&self, node: &str) {
        let mut index = self.lock();
        let index = &mut *index;
        for left in index.live.voice.leave_node(node) {
            voice_left(index, &left);
        }
    }
}
