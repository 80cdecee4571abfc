//! Setting up the modes that need more than a plain channel: `groups` (20 groups and
//! overrides deciding who sees `bench`) and `thread` (a thread in `bench` with its
//! participants joined).

use std::time::Duration;

use community_protocol::request::{
    CreateGroup, CreateThread, Empty, MemberGroup, SetChannelOverride, ThreadRef,
};
use community_protocol::{
    ChannelId, CommunityId, GroupId, Override, OverrideTarget, Permissions, Request, Response,
    UserId,
};
use community_server::RunningServer;

use crate::{BoxError, GROUPS, MEMBER_OVERRIDES, Ws, hello_login, request, user};

/// The `groups` mode: 20 groups with varied flags, every member in one (every seventh in
/// two), `bench` hidden from `@everyone` and shown through an override per group, plus
/// member overrides. Every member still sees it.
pub async fn set_up_groups(
    owner: &mut Ws,
    community: &CommunityId,
    channel: &ChannelId,
    users: &[UserId],
) -> Result<(), BoxError> {
    let mut id = 100_000;
    let mut next = || {
        id += 1;
        id
    };
    let mut groups: Vec<GroupId> = Vec::with_capacity(GROUPS);
    for g in 0..GROUPS {
        let create = Request::CreateGroup(CreateGroup {
            community_id: community.clone(),
            name: format!("group {g}"),
            color: g as u32,
            mentionable: g % 2 == 0,
            permissions: if g % 3 == 0 {
                Permissions::MENTION_EVERYONE
            } else {
                Permissions::NONE
            },
        });
        let Response::Group(group) = request(owner, next(), create).await? else {
            return Err("no group".into());
        };
        groups.push(group.group_id);
    }
    for (i, user) in users.iter().enumerate() {
        let mut held = vec![&groups[i % GROUPS]];
        if i % 7 == 0 {
            held.push(&groups[(i + 1) % GROUPS]);
        }
        for group in held {
            let assign = Request::AssignGroup(MemberGroup {
                community_id: community.clone(),
                user_id: user.clone(),
                group_id: group.clone(),
            });
            request(owner, next(), assign).await?;
        }
    }
    let mut rules = vec![Override {
        target: OverrideTarget::Group {
            group_id: GroupId::everyone(),
        },
        allow: Permissions::NONE,
        deny: Permissions::VIEW_CHANNEL,
    }];
    for (g, group) in groups.iter().enumerate() {
        rules.push(Override {
            target: OverrideTarget::Group {
                group_id: group.clone(),
            },
            allow: Permissions::VIEW_CHANNEL.union(if g % 2 == 0 {
                Permissions::ATTACH_MEDIA
            } else {
                Permissions::NONE
            }),
            deny: if g % 2 == 1 {
                Permissions::ADD_REACTIONS
            } else {
                Permissions::NONE
            },
        });
    }
    for user in users.iter().take(MEMBER_OVERRIDES) {
        rules.push(Override {
            target: OverrideTarget::Member {
                user_id: user.clone(),
            },
            allow: Permissions::SEND_MESSAGES,
            deny: Permissions::ATTACH_MEDIA,
        });
    }
    for rule in rules {
        let set = Request::SetChannelOverride(SetChannelOverride {
            community_id: community.clone(),
            channel_id: channel.clone(),
            rule,
        });
        request(owner, next(), set).await?;
    }
    Ok(())
}

/// The `thread` mode: the sender starts a free-standing thread in `bench`, and users
/// `u0..u{participants-1}` join it (each logs in, joins, and logs out, so no session of
/// theirs lingers). Returns the thread's id.
pub async fn set_up_thread(
    server: &RunningServer,
    sender: &mut Ws,
    community: &CommunityId,
    channel: &ChannelId,
    participants: usize,
) -> Result<ChannelId, BoxError> {
    let create = Request::CreateThread(CreateThread {
        community_id: community.clone(),
        channel_id: channel.clone(),
        name: "busy thread".into(),
        parent_seq: None,
        auto_archive_ms: None,
    });
    let Response::Thread(thread) = request(sender, 5, create).await? else {
        return Err("no thread".into());
    };
    let url = server.ws_url();
    for i in 0..participants {
        let name = user(i);
        let mut ws = hello_login(
            &url,
            &name,
            server.issue_token(&name, Duration::from_secs(3600))?,
        )
        .await?;
        let join = Request::JoinThread(ThreadRef {
            community_id: community.clone(),
            thread_id: thread.thread_id.clone(),
        });
        request(&mut ws, 2, join).await?;
        request(&mut ws, 3, Request::Logout(Empty {})).await?;
    }
    Ok(thread.thread_id)
}
