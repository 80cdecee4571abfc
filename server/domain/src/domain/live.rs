//! The authorisation reads of the ephemeral people operations: `typing`, `join_voice`,
//! `list_voice` and `view_community`.
//!
//! These operations keep their state in the transport's memory (presence, typing windows,
//! voice seats) and never write SQLite; what they need from the domain is a *read*: may the
//! caller do this here, and who would be told. Each function runs one read transaction
//! (on a reader connection) and returns the answer; none emits anything — the transport
//! fans out itself.
//!
//! - [`Domain::typing_audience`]: the caller must be allowed to post where they type (the
//!   checks of `send_message`: sight, `send_messages` — `send_in_threads` in a thread —,
//!   mutes, mute-all, announcement channels, an archived or locked thread, with the same
//!   codes); the answer is the audience a message there would have (a channel's viewers,
//!   a thread's members, a conversation's participants).
//! - [`Domain::voice_channel`]: the caller must see the channel (`view_channel`, the rows
//!   `join_voice` / `list_voice` of the permission table); joining needs a channel of kind
//!   `voice` (`INVALID_ARGUMENT` otherwise). The answer is who sees the channel: the
//!   audience of its voice events.
//! - [`Domain::check_member`]: the caller is a member of the community
//!   (`COMMUNITY_NOT_FOUND`, `NOT_MEMBER`).

use community_protocol::{
    ApiError, ChannelId, ChannelKind, CommunityId, ErrorCode, Permissions, UserId,
};

use super::Domain;
use super::context::Ctx;
use crate::routing::Audience;

impl Domain {
    /// Runs `body` in a read transaction with a request context for `caller`.
    pub(super) fn query<T>(
        &self,
        op: &'static str,
        caller: &UserId,
        body: impl FnOnce(&Ctx<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let now = self.clock.now_ms();
        self.store.read(op, |tx| {
            let cx = Ctx::new(tx, caller, now, &self.limits, &self.rate, &self.viewers);
            body(&cx)
        })
    }

    /// Who is told that `caller` types in `channel_id` (a channel or a thread of
    /// `community_id`, or a conversation of `@me`), once the caller was found allowed to
    /// post there (see the module documentation). Blocking: SQLite.
    pub fn typing_audience(
        &self,
        caller: &UserId,
        community_id: &CommunityId,
        channel_id: &ChannelId,
    ) -> Result<Audience, ApiError> {
        if community_id.is_direct() {
            let participants = self.conversation_participants(caller, channel_id)?;
            return Ok(Audience::Users(participants));
        }
        self.query("typing", caller, |cx| {
            let membership = cx.membership(community_id)?;
            let stream = cx.stream(community_id, channel_id)?;
            // The `typing` row (send_messages; send_in_threads in a thread), then the
            // thread's gate exactly as for a post.
            cx.require_op(&membership, "typing", Some(&stream), Permissions::NONE)?;
            cx.require_open(&membership, &stream, "send_message")?;
            let audience = cx.channel_audience(&stream)?;
            if cx.large_count(membership.info.member_count) {
                return Ok(super::large::focused(&stream, audience, Vec::new()));
            }
            Ok(audience)
        })
    }

    /// Checks `join_voice` (`joining`) or `list_voice` in a channel and returns who sees
    /// it (the audience of its voice events). Blocking: SQLite.
    pub fn voice_channel(
        &self,
        caller: &UserId,
        community_id: &CommunityId,
        channel_id: &ChannelId,
        joining: bool,
    ) -> Result<Audience, ApiError> {
        let op = if joining { "join_voice" } else { "list_voice" };
        self.query(op, caller, |cx| {
            let membership = cx.membership(community_id)?;
            let channel = cx.channel(community_id, channel_id)?;
            cx.require_op(&membership, op, Some(&channel), Permissions::NONE)?;
            if joining && channel.info.kind != ChannelKind::Voice {
                return Err(ApiError::new(
                    ErrorCode::INVALID_ARGUMENT,
                    format!("{channel_id:?} is not a voice channel"),
                ));
            }
            cx.channel_audience(&channel)
        })
    }

    /// Fails unless `caller` is a member of `community_id` (`COMMUNITY_NOT_FOUND`,
    /// `NOT_MEMBER`). Blocking: SQLite.
    pub fn check_member(
        &self,
        caller: &UserId,
        community_id: &CommunityId,
    ) -> Result<(), ApiError> {
        self.query("view_community", caller, |cx| {
            cx.membership(community_id).map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use community_protocol::request::{CreateChannel, CreateThread, UpdateThread};
    use community_protocol::{ChannelId, ChannelKind, CommunityId, ErrorCode, Request, Response};

    use crate::routing::Audience;
    use crate::test_support::Env;

    fn general(env: &Env) -> ChannelId {
        let snapshot = env.snapshot("alice", "c");
        snapshot
            .channels
            .iter()
            .find(|c| c.is_default)
            .map(|c| c.channel_id.clone())
            .expect("a default channel")
    }

    #[test]
    fn typing_is_checked_like_a_post_and_answers_the_audience() {
        let env = Env::new();
        env.create("alice", "c");
        env.join("bob", "c");
        let community = CommunityId::from("c");
        let channel = general(&env);
        let typing = |user: &str, community: &CommunityId, channel: &ChannelId| {
            env.domain.typing_audience(&user.into(), community, channel)
        };
        assert_eq!(
            typing("bob", &community, &channel).unwrap(),
            Audience::Community(community.clone())
        );
        let code = |result: Result<Audience, community_protocol::ApiError>| {
            result.map(|_| ()).unwrap_err().code
        };
        assert_eq!(
            code(typing("carol", &community, &channel)),
            ErrorCode::NOT_MEMBER
        );
        assert_eq!(
            code(typing("bob", &community, &"nope".into())),
            ErrorCode::CHANNEL_NOT_FOUND
        );
        assert_eq!(
            code(typing("bob", &CommunityId::direct(), &"dm_x".into())),
            ErrorCode::CONVERSATION_NOT_FOUND
        );
        // A thread: its members are told; archived, it refuses typing as it refuses posts.
        let Response::Thread(thread) = env
            .ok(
                "alice",
                Request::CreateThread(CreateThread {
                    community_id: community.clone(),
                    channel_id: channel.clone(),
                    name: "t".into(),
                    parent_seq: None,
                    auto_archive_ms: None,
                }),
            )
            .response
        else {
            panic!("no thread");
        };
        let thread_id = thread.thread_id;
        assert!(matches!(
            typing("bob", &community, &thread_id).unwrap(),
            Audience::Users(_)
        ));
        env.ok(
            "alice",
            Request::UpdateThread(UpdateThread {
                community_id: community.clone(),
                thread_id: thread_id.clone(),
                archived: Some(true),
                ..Default::default()
            }),
        );
        assert_eq!(
            code(typing("bob", &community, &thread_id)),
            ErrorCode::THREAD_ARCHIVED
        );
    }

    #[test]
    fn voice_needs_a_voice_channel_to_join_and_sight_to_list() {
        let env = Env::new();
        env.create("alice", "c");
        env.join("bob", "c");
        let community = CommunityId::from("c");
        let text = general(&env);
        let Response::Channel(voice) = env
            .ok(
                "alice",
                Request::CreateChannel(CreateChannel {
                    community_id: community.clone(),
                    name: "lounge".into(),
                    kind: ChannelKind::Voice,
                    ..Default::default()
                }),
            )
            .response
        else {
            panic!("no channel");
        };
        let bob = "bob".into();
        env.domain
            .voice_channel(&bob, &community, &voice.channel_id, true)
            .unwrap();
        let error = env
            .domain
            .voice_channel(&bob, &community, &text, true)
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::INVALID_ARGUMENT);
        env.domain
            .voice_channel(&bob, &community, &text, false)
            .unwrap();
        env.domain.check_member(&bob, &community).unwrap();
        let error = env
            .domain
            .check_member(&"carol".into(), &community)
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::NOT_MEMBER);
        let error = env
            .domain
            .check_member(&bob, &"missing".into())
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::COMMUNITY_NOT_FOUND);
    }
}
