//! Conversations in the state. They live in the reserved community `@me`, held like a
//! joined community whose channels are the conversations, so the counting, the heads, the
//! message streams and the outbox work on them unchanged; `@me` is never listed as a
//! community, never sent in `sync`'s known versions, and always counts in the totals (it
//! has no do-not-disturb status of its own). The conversations' own records
//! ([`ConversationInfo`]: kind, participants, name) are kept beside it.

use community_protocol::{
    ChannelHead, ChannelId, ChannelInfo, ChannelKind, CommunityId, CommunityInfo,
    CommunitySnapshot, ConversationInfo, ConversationKind, JoinPolicy, MemberInfo, Message,
    NotificationStatus, Role, UserId,
};

use super::State;
use crate::events::Publication;
use crate::model::{ConversationEntry, ListDiff};

/// The snapshot `@me` starts from: no channel yet, the user a plain member of it.
fn direct_snapshot(user_id: &UserId) -> CommunitySnapshot {
    let community_id = CommunityId::direct();
    CommunitySnapshot {
        info: CommunityInfo {
            community_id: community_id.clone(),
            name: "Direct messages".into(),
            avatar_url: String::new(),
            notice: String::new(),
            owner_id: user_id.clone(),
            join_policy: JoinPolicy::InviteOnly,
            mute_all: false,
            member_count: 1,
            attributes: Default::default(),
            default_channel_id: ChannelId::from(""),
            created_at_ms: 0,
            version: 0,
            system_messages: false,
        },
        categories: Vec::new(),
        channels: Vec::new(),
        me: MemberInfo {
            community_id,
            user_id: user_id.clone(),
            role: Role::Member,
            nickname: String::new(),
            joined_at_ms: 0,
            muted_until_ms: None,
            groups: Vec::new(),
            custom_fields: Default::default(),
        },
        notification: NotificationStatus::Notify,
        heads: Vec::new(),
        groups: Vec::new(),
        threads: Vec::new(),
        voice: Vec::new(),
    }
}

/// The channel a conversation is held as (its name: the group's, else empty).
fn conversation_channel(info: &ConversationInfo) -> ChannelInfo {
    ChannelInfo {
        community_id: CommunityId::direct(),
        channel_id: info.conversation_id.clone(),
        name: info.name.clone(),
        introduction: String::new(),
        notice: String::new(),
        custom: String::new(),
        kind: ChannelKind::Text,
        category_id: None,
        position: 0,
        private: true,
        is_default: false,
        created_at_ms: info.created_at_ms,
        overrides: Vec::new(),
        follows_category: false,
        mute_all: false,
    }
}

impl State {
    /// Makes sure `@me` is held (it is once a user is known).
    fn ensure_direct(&mut self) {
        let id = CommunityId::direct();
        if self.communities.contains_key(&id) {
            return;
        }
        let Some(user_id) = self.user_id.clone() else {
            return;
        };
        let community = super::CommunityState::from_snapshot(direct_snapshot(&user_id));
        self.communities.insert(id, community);
    }

    /// Puts the cached conversations and their heads in place (at start).
    pub(crate) fn load_conversations(
        &mut self,
        conversations: Vec<ConversationInfo>,
        heads: Vec<ChannelHead>,
    ) {
        let mut out = Vec::new();
        for info in conversations {
            let head = heads.iter().find(|h| h.channel_id == info.conversation_id);
            self.upsert_conversation(info, head, &mut out);
        }
        self.recompute_totals();
    }

    /// A conversation appeared or changed; `head` replaces its counter when given.
    pub(crate) fn upsert_conversation(
        &mut self,
        info: ConversationInfo,
        head: Option<&ChannelHead>,
        out: &mut Vec<Publication>,
    ) {
        self.ensure_direct();
        let existed = self.conversations.contains_key(&info.conversation_id);
        let mut kept = info;
        if let Some(old) = self.conversations.get(&kept.conversation_id) {
            kept.last_seq = kept.last_seq.max(old.last_seq);
            kept.last_activity_ms = kept.last_activity_ms.max(old.last_activity_ms);
        }
        self.upsert_channel(conversation_channel(&kept), head, out);
        let id = kept.conversation_id.clone();
        self.conversations.insert(id.clone(), kept);
        if let Some(entry) = self.conversation_entry(&id) {
            out.push(Publication::Conversation(if existed {
                ListDiff::Update(entry)
            } else {
                ListDiff::Insert(entry)
            }));
        }
    }

    /// The user left a conversation (or it is gone). Returns whether it was held.
    pub(crate) fn remove_conversation(
        &mut self,
        conversation_id: &ChannelId,
        out: &mut Vec<Publication>,
    ) -> bool {
        if self.conversations.remove(conversation_id).is_none() {
            return false;
        }
        self.remove_channel(&CommunityId::direct(), conversation_id, out);
        out.push(Publication::Conversation(ListDiff::Remove(
            conversation_id.to_string(),
        )));
        true
    }

    /// Replaces every conversation with `entries` (a `sync` answer; heads forced).
    pub(crate) fn replace_conversations(
        &mut self,
        entries: &[community_protocol::response::ConversationEntry],
        out: &mut Vec<Publication>,
    ) {
        let gone: Vec<ChannelId> = self
            .conversations
            .keys()
            .filter(|id| {
                !entries
                    .iter()
                    .any(|e| &e.conversation.conversation_id == *id)
            })
            .cloned()
            .collect();
        for id in gone {
            self.remove_conversation(&id, out);
        }
        for entry in entries {
            self.upsert_conversation(entry.conversation.clone(), None, out);
            self.apply_head(&entry.head, true, out);
        }
    }

    /// A message of a conversation moved its activity (publishes the entry).
    pub(crate) fn conversation_activity(&mut self, message: &Message, out: &mut Vec<Publication>) {
        let Some(info) = self.conversations.get_mut(&message.channel_id) else {
            return;
        };
        if message.seq <= info.last_seq && message.created_at_ms <= info.last_activity_ms {
            return;
        }
        info.last_seq = info.last_seq.max(message.seq);
        info.last_activity_ms = info.last_activity_ms.max(message.created_at_ms);
        if let Some(entry) = self.conversation_entry(&message.channel_id) {
            out.push(Publication::Conversation(ListDiff::Update(entry)));
        }
    }

    /// One conversation with the user's head of it.
    pub(crate) fn conversation_entry(
        &self,
        conversation_id: &ChannelId,
    ) -> Option<ConversationEntry> {
        let info = self.conversations.get(conversation_id)?.clone();
        let head = self.head(&CommunityId::direct(), conversation_id)?;
        Some(ConversationEntry { info, head })
    }

    /// The user's conversations, newest activity first.
    pub(crate) fn conversation_entries(&self) -> Vec<ConversationEntry> {
        let mut entries: Vec<ConversationEntry> = self
            .conversations
            .keys()
            .filter_map(|id| self.conversation_entry(id))
            .collect();
        entries.sort_by(|a, b| {
            activity(b)
                .cmp(&activity(a))
                .then_with(|| a.info.conversation_id.cmp(&b.info.conversation_id))
        });
        entries
    }

    /// One conversation's record.
    pub(crate) fn conversation(&self, conversation_id: &ChannelId) -> Option<&ConversationInfo> {
        self.conversations.get(conversation_id)
    }

    /// The direct conversation with `user_id`, if the user has one.
    pub(crate) fn direct_with(&self, user_id: &UserId) -> Option<ChannelId> {
        self.conversations
            .values()
            .find(|c| c.kind == ConversationKind::Direct && c.participants.contains(user_id))
            .map(|c| c.conversation_id.clone())
    }
}

/// When a conversation was last active (its record or its head, whichever is newer).
fn activity(entry: &ConversationEntry) -> i64 {
    entry.info.last_activity_ms.max(entry.head.last_activity_ms)
}
