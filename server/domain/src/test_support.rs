//! Shared test fixtures: a real SQLite database in a temporary directory, a hand-moved
//! clock, and short builders for the requests the tests send.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use community_protocol::request::*;
use community_protocol::response::Heads;
use community_protocol::{
    ApiError, CommunitySnapshot, ErrorCode, Event, Limits, Mentions, Message, MessageContent,
    Priority, Request, Response, Seq, TimestampMs, UserId,
};
use tempfile::TempDir;

use crate::Domain;
use crate::clock::Clock;
use crate::routing::{Audience, Handled};
use crate::store::sqlite::{SqliteOptions, SqliteStore};

/// The fixed start of test time.
pub(crate) const T0: TimestampMs = 1_700_000_000_000;

/// A clock that moves only when told to.
pub(crate) struct ManualClock(AtomicI64);

impl ManualClock {
    pub(crate) fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    pub(crate) fn now(&self) -> TimestampMs {
        self.0.load(Ordering::SeqCst)
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> TimestampMs {
        self.0.load(Ordering::SeqCst)
    }
}

/// A domain over a fresh database.
pub(crate) struct Env {
    pub dir: TempDir,
    pub domain: Domain,
    pub clock: Arc<ManualClock>,
    pub limits: Limits,
}

/// The environment variable that picks the store of the domain tests: `postgres` runs
/// them over PostgreSQL (needs the cargo feature `postgres`; each test gets its own
/// database in one throwaway cluster per test process), anything else over SQLite.
pub(crate) const STORE_VARIABLE: &str = "COMMUNITY_TEST_STORE";

fn open_domain(path: &Path, limits: Limits, clock: Arc<ManualClock>) -> Domain {
    let store: Box<dyn crate::store::Store> =
        if std::env::var(STORE_VARIABLE).is_ok_and(|value| value == "postgres") {
            open_postgres(path)
        } else {
            Box::new(SqliteStore::open(path, &SqliteOptions::default()).unwrap())
        };
    Domain::with_parts(store, limits, clock)
}

/// A PostgreSQL store for the test whose directory is `path`: its database is created on
/// first use and named in `<path>/pg-database`, so [`Env::reopen`] opens the same one.
/// Without PostgreSQL installed the test runs over SQLite (and says so).
#[cfg(feature = "postgres")]
fn open_postgres(path: &Path) -> Box<dyn crate::store::Store> {
    use crate::store::postgres::{PgOptions, PgStore};
    let Some(cluster) = crate::store::pg_test_cluster::shared() else {
        println!("skipped PostgreSQL (not installed): running over SQLite");
        return Box::new(SqliteStore::open(path, &SqliteOptions::default()).unwrap());
    };
    let marker = path.join("pg-database");
    let database = match std::fs::read_to_string(&marker) {
        Ok(name) => name,
        Err(_) => {
            let name = cluster.create_database().unwrap();
            std::fs::write(&marker, &name).unwrap();
            name
        }
    };
    let options = PgOptions {
        max_connections: 4,
        ..PgOptions::default()
    };
    Box::new(PgStore::open(&cluster.url(&database), &options).unwrap())
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_path: &Path) -> Box<dyn crate::store::Store> {
    panic!("{STORE_VARIABLE}=postgres needs the cargo feature `postgres`")
}

impl Env {
    pub(crate) fn new() -> Env {
        Env::with_limits(Limits::default())
    }

    pub(crate) fn with_limits(limits: Limits) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock(AtomicI64::new(T0)));
        let domain = open_domain(dir.path(), limits.clone(), clock.clone());
        Env {
            dir,
            domain,
            clock,
            limits,
        }
    }

    /// Closes the database and opens it again from the same directory.
    pub(crate) fn reopen(self) -> Env {
        let Env {
            dir,
            domain,
            clock,
            limits,
        } = self;
        drop(domain);
        let domain = open_domain(dir.path(), limits.clone(), clock.clone());
        Env {
            dir,
            domain,
            clock,
            limits,
        }
    }

    /// The number `sql` (a `SELECT COUNT(*) …` with at most one text parameter `?1`)
    /// counts in the test's database, whichever engine holds it (tests of cascades look
    /// at the tables directly).
    pub(crate) fn count_rows(&self, sql: &str, param: Option<&str>) -> i64 {
        #[cfg(feature = "postgres")]
        if let Ok(database) = std::fs::read_to_string(self.dir.path().join("pg-database")) {
            let cluster = crate::store::pg_test_cluster::shared().unwrap();
            let mut client =
                postgres::Client::connect(&cluster.url(&database), postgres::NoTls).unwrap();
            let sql = sql.replace("?1", "$1");
            let row = match param {
                Some(value) => client.query_one(&sql, &[&value]),
                None => client.query_one(&sql, &[]),
            };
            return row.unwrap().get(0);
        }
        let conn = rusqlite::Connection::open(self.dir.path().join("community.db")).unwrap();
        match param {
            Some(value) => conn.query_row(sql, [value], |row| row.get(0)),
            None => conn.query_row(sql, [], |row| row.get(0)),
        }
        .unwrap()
    }

    /// Makes users known, as their first login does (`Domain::user_seen`).
    pub(crate) fn login(&self, users: &[&str]) {
        for user in users {
            self.domain.user_seen(&UserId::from(*user)).unwrap();
        }
    }

    pub(crate) fn handle(&self, caller: &str, request: Request) -> Result<Handled, ApiError> {
        self.domain.handle(&UserId::from(caller), request)
    }

    /// A request that must succeed.
    #[track_caller]
    pub(crate) fn ok(&self, caller: &str, request: Request) -> Handled {
        let op = request.op();
        match self.handle(caller, request) {
            Ok(handled) => handled,
            Err(error) => panic!("{op} by {caller} failed: {error}"),
        }
    }

    /// A request that must fail; its code.
    #[track_caller]
    pub(crate) fn err(&self, caller: &str, request: Request) -> ErrorCode {
        let op = request.op();
        match self.handle(caller, request) {
            Ok(handled) => panic!("{op} by {caller} succeeded: {:?}", handled.response),
            Err(error) => error.code,
        }
    }

    /// Creates a free community `id` owned by `owner`. Fixture communities write no
    /// system messages, so the sequences a test sees are those of the messages it sends;
    /// the tests of system messages switch them on ([`Env::create_with_system`]).
    pub(crate) fn create(&self, owner: &str, id: &str) -> CommunitySnapshot {
        self.create_with(owner, id, community_protocol::JoinPolicy::Free)
    }

    pub(crate) fn create_with(
        &self,
        owner: &str,
        id: &str,
        policy: community_protocol::JoinPolicy,
    ) -> CommunitySnapshot {
        self.create_community(owner, id, policy, false)
    }

    /// Creates a free community `id` that writes system messages (the product default).
    pub(crate) fn create_with_system(&self, owner: &str, id: &str) -> CommunitySnapshot {
        self.create_community(owner, id, community_protocol::JoinPolicy::Free, true)
    }

    fn create_community(
        &self,
        owner: &str,
        id: &str,
        policy: community_protocol::JoinPolicy,
        system_messages: bool,
    ) -> CommunitySnapshot {
        let request = Request::CreateCommunity(CreateCommunity {
            community_id: Some(id.into()),
            name: format!("Community {id}"),
            join_policy: policy,
            system_messages: Some(system_messages),
            ..Default::default()
        });
        match self.ok(owner, request).response {
            Response::Community(snapshot) => snapshot,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// `user` joins the free community `id`.
    #[track_caller]
    pub(crate) fn join(&self, user: &str, id: &str) -> CommunitySnapshot {
        match self.ok(user, join(id)).response {
            Response::Community(snapshot) => snapshot,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Sends a text message that must succeed.
    #[track_caller]
    pub(crate) fn send(
        &self,
        user: &str,
        community: &str,
        channel: &str,
        key: &str,
        text: &str,
    ) -> Message {
        match self.ok(user, send(community, channel, key, text)).response {
            Response::MessageSent(message) => message,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// The owner promotes `user` to admin.
    pub(crate) fn promote(&self, owner: &str, community: &str, user: &str) {
        self.ok(
            owner,
            Request::SetMemberRole(SetMemberRole {
                community_id: community.into(),
                user_id: user.into(),
                role: community_protocol::Role::Admin,
            }),
        );
    }

    /// `owner` adds `flags` to the `@everyone` group of `community`.
    pub(crate) fn grant_everyone(
        &self,
        owner: &str,
        community: &str,
        flags: community_protocol::Permissions,
    ) {
        let everyone = self
            .snapshot(owner, community)
            .groups
            .into_iter()
            .find(|g| g.group_id.is_everyone())
            .expect("every community has @everyone");
        self.ok(
            owner,
            Request::UpdateGroup(UpdateGroup {
                community_id: community.into(),
                group_id: everyone.group_id,
                permissions: Some(everyone.permissions.union(flags)),
                ..Default::default()
            }),
        );
    }

    /// `user` creates a group in `community` with `flags`; returns its id.
    #[track_caller]
    pub(crate) fn group(
        &self,
        user: &str,
        community: &str,
        name: &str,
        flags: community_protocol::Permissions,
    ) -> community_protocol::GroupId {
        let request = Request::CreateGroup(CreateGroup {
            community_id: community.into(),
            name: name.into(),
            permissions: flags,
            ..Default::default()
        });
        match self.ok(user, request).response {
            Response::Group(group) => group.group_id,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// `user` gives `member` the group `group_id`.
    #[track_caller]
    pub(crate) fn assign(&self, user: &str, community: &str, member: &str, group_id: &str) {
        self.ok(user, assign_group(community, member, group_id, true));
    }

    /// `user` sets a channel override for a group (`group:<id>`) or a member.
    #[track_caller]
    pub(crate) fn set_override(
        &self,
        user: &str,
        community: &str,
        channel: &str,
        target: community_protocol::OverrideTarget,
        allow: community_protocol::Permissions,
        deny: community_protocol::Permissions,
    ) -> Handled {
        self.ok(
            user,
            channel_override(community, channel, target, allow, deny),
        )
    }

    /// The ids of the channels `user` sees in `community`.
    #[track_caller]
    pub(crate) fn seen(&self, user: &str, community: &str) -> Vec<String> {
        self.snapshot(user, community)
            .channels
            .into_iter()
            .map(|c| c.channel_id.to_string())
            .collect()
    }

    /// A community's snapshot as `user` sees it.
    #[track_caller]
    pub(crate) fn snapshot(&self, user: &str, community: &str) -> CommunitySnapshot {
        match self.ok(user, community_ref_get(community)).response {
            Response::Community(snapshot) => snapshot,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// `user`'s head of one channel.
    #[track_caller]
    pub(crate) fn head(
        &self,
        user: &str,
        community: &str,
        channel: &str,
    ) -> community_protocol::ChannelHead {
        let Response::Heads(Heads { heads }) = self
            .ok(
                user,
                Request::GetHeads(CommunityRef {
                    community_id: community.into(),
                }),
            )
            .response
        else {
            panic!("heads expected")
        };
        heads.into_iter().find(|h| h.channel_id == channel).unwrap()
    }

    /// Creates a channel as `user`; returns its id.
    #[track_caller]
    pub(crate) fn channel(&self, user: &str, community: &str, name: &str, private: bool) -> String {
        let request = Request::CreateChannel(CreateChannel {
            community_id: community.into(),
            name: name.into(),
            private,
            ..Default::default()
        });
        match self.ok(user, request).response {
            Response::Channel(channel) => channel.channel_id.to_string(),
            other => panic!("unexpected {other:?}"),
        }
    }
}

pub(crate) fn join(id: &str) -> Request {
    Request::JoinCommunity(JoinCommunity {
        community_id: id.into(),
        message: String::new(),
    })
}

pub(crate) fn community_ref_get(id: &str) -> Request {
    Request::GetCommunity(CommunityRef {
        community_id: id.into(),
    })
}

pub(crate) fn member_ref(id: &str, user: &str) -> MemberRef {
    MemberRef {
        community_id: id.into(),
        user_id: user.into(),
    }
}

pub(crate) fn text(text: &str) -> MessageContent {
    MessageContent::Text { text: text.into() }
}

pub(crate) fn send_message(
    community: &str,
    channel: &str,
    key: &str,
    content: MessageContent,
) -> SendMessage {
    SendMessage {
        community_id: community.into(),
        channel_id: channel.into(),
        idempotency_key: key.into(),
        content,
        mentions: Mentions::default(),
        reply_to: None,
        priority: Priority::Normal,
        custom_data: String::new(),
        forward_of: None,
    }
}

pub(crate) fn send(community: &str, channel: &str, key: &str, body: &str) -> Request {
    Request::SendMessage(send_message(community, channel, key, text(body)))
}

pub(crate) fn mark_read(community: &str, channel: &str, seq: Seq) -> Request {
    Request::MarkRead(MarkRead {
        community_id: community.into(),
        channel_id: channel.into(),
        seq,
    })
}

/// The events of a handled request for which `pick` returns something, with audiences.
pub(crate) fn events<'h, T>(
    handled: &'h Handled,
    pick: impl Fn(&'h Event) -> Option<T>,
) -> Vec<(&'h Audience, T)> {
    handled
        .deliveries
        .iter()
        .filter_map(|d| pick(&d.event).map(|t| (&d.audience, t)))
        .collect()
}

/// The names of a handled request's events, in order (short assertions on the sequence).
pub(crate) fn event_kinds(handled: &Handled) -> Vec<String> {
    handled
        .deliveries
        .iter()
        .map(|d| {
            let value = serde_json::to_value(&d.event).unwrap();
            value["kind"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// A user list audience (or the viewers of a channel seen by a few), sorted for
/// comparison.
pub(crate) fn users(audience: &Audience) -> Vec<UserId> {
    match audience {
        Audience::Users(users) => {
            let mut users = users.clone();
            users.sort();
            users
        }
        Audience::Viewers(viewers) if !viewers.by_default => {
            let mut users: Vec<UserId> = viewers.exceptions.iter().cloned().collect();
            users.sort();
            users
        }
        other => panic!("expected a user audience, got {other:?}"),
    }
}

/// A reference to message `seq` of a channel of community `community`.
pub(crate) fn message_ref(
    community: &str,
    channel: &str,
    seq: Seq,
) -> community_protocol::MessageRef {
    community_protocol::MessageRef {
        community_id: community.into(),
        channel_id: channel.into(),
        seq,
    }
}

/// `edit_message` replacing the text.
pub(crate) fn edit_text(
    community: &str,
    channel: &str,
    seq: Seq,
    key: &str,
    body: &str,
) -> Request {
    Request::EditMessage(EditMessage {
        community_id: community.into(),
        channel_id: channel.into(),
        seq,
        idempotency_key: key.into(),
        content: Some(text(body)),
        mentions: None,
        custom_data: None,
    })
}

/// `add_reaction` (or `remove_reaction` when `add` is false).
pub(crate) fn react(community: &str, channel: &str, seq: Seq, emoji: &str, add: bool) -> Request {
    let p = MessageReaction {
        community_id: community.into(),
        channel_id: channel.into(),
        seq,
        emoji: emoji.into(),
    };
    if add {
        Request::AddReaction(p)
    } else {
        Request::RemoveReaction(p)
    }
}

/// `get_changes` after `after`.
pub(crate) fn get_changes(
    community: &str,
    channel: &str,
    after: u64,
    limit: Option<u32>,
) -> Request {
    Request::GetChanges(GetChanges {
        community_id: community.into(),
        channel_id: channel.into(),
        after_change_seq: after,
        limit,
    })
}

impl Env {
    /// A change operation that must succeed: its outcome.
    #[track_caller]
    pub(crate) fn change(
        &self,
        user: &str,
        request: Request,
    ) -> community_protocol::response::ChangeOutcome {
        match self.ok(user, request).response {
            Response::Changed(outcome) => outcome,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Every message of a channel as `user` sees it, ascending (bounded to 100 pages).
    #[track_caller]
    pub(crate) fn all_messages(&self, user: &str, community: &str, channel: &str) -> Vec<Message> {
        let mut all: Vec<Message> = Vec::new();
        for _ in 0..100 {
            let request = Request::GetMessages(GetMessages {
                community_id: community.into(),
                channel_id: channel.into(),
                before_seq: None,
                after_seq: Some(all.last().map_or(0, |m| m.seq)),
                limit: None,
            });
            let Response::Messages(page) = self.ok(user, request).response else {
                panic!("messages expected")
            };
            all.extend(page.messages);
            if !page.has_more {
                return all;
            }
        }
        panic!("more than 100 pages");
    }

    /// One message as `user` sees it in the history.
    #[track_caller]
    pub(crate) fn message(&self, user: &str, community: &str, channel: &str, seq: Seq) -> Message {
        self.all_messages(user, community, channel)
            .into_iter()
            .find(|m| m.seq == seq)
            .unwrap_or_else(|| panic!("no message {seq}"))
    }

    /// Every change of a channel, paging `limit` at a time (bounded to 1,000 pages).
    #[track_caller]
    pub(crate) fn all_changes(
        &self,
        user: &str,
        community: &str,
        channel: &str,
        limit: Option<u32>,
    ) -> Vec<community_protocol::MessageChange> {
        let mut all: Vec<community_protocol::MessageChange> = Vec::new();
        for _ in 0..1_000 {
            let after = all.last().map_or(0, |c| c.change_seq);
            let Response::Changes(page) = self
                .ok(user, get_changes(community, channel, after, limit))
                .response
            else {
                panic!("changes expected")
            };
            all.extend(page.changes);
            if !page.has_more {
                assert_eq!(page.change_seq, all.last().map_or(0, |c| c.change_seq));
                return all;
            }
        }
        panic!("more than 1,000 pages");
    }
}

/// `assign_group` (or `unassign_group` when `add` is false).
pub(crate) fn assign_group(community: &str, user: &str, group_id: &str, add: bool) -> Request {
    let p = MemberGroup {
        community_id: community.into(),
        user_id: user.into(),
        group_id: group_id.into(),
    };
    if add {
        Request::AssignGroup(p)
    } else {
        Request::UnassignGroup(p)
    }
}

/// `set_channel_override`.
pub(crate) fn channel_override(
    community: &str,
    channel: &str,
    target: community_protocol::OverrideTarget,
    allow: community_protocol::Permissions,
    deny: community_protocol::Permissions,
) -> Request {
    Request::SetChannelOverride(SetChannelOverride {
        community_id: community.into(),
        channel_id: channel.into(),
        rule: community_protocol::Override {
            target,
            allow,
            deny,
        },
    })
}

/// An override target naming a group.
pub(crate) fn for_group(group_id: &str) -> community_protocol::OverrideTarget {
    community_protocol::OverrideTarget::Group {
        group_id: group_id.into(),
    }
}

/// An override target naming a member.
pub(crate) fn for_member(user: &str) -> community_protocol::OverrideTarget {
    community_protocol::OverrideTarget::Member {
        user_id: user.into(),
    }
}

/// Whether `user` is in an audience, given the members of the community (for
/// `Audience::Community`).
pub(crate) fn reaches(audience: &Audience, user: &str, members: &[&str]) -> bool {
    match audience {
        Audience::Community(_) => members.contains(&user),
        Audience::Viewers(viewers) => {
            members.contains(&user) && viewers.includes(&UserId::from(user))
        }
        Audience::Users(users) => users.iter().any(|u| u == user),
        Audience::OtherSessionsOfCaller => false,
        Audience::Focused(focused) => {
            focused.also.iter().any(|u| u == user) && reaches(&focused.within, user, members)
        }
    }
}
