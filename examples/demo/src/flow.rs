//! The demo's flow, shared by the terminal UI and the headless run: start the embedded
//! server (or use a remote one), log the demo user in, seed the communities (the first
//! bot runs the Book Club and staffs it, see [`crate::roles`]), bring the bots in (each
//! with a display name and a presence; one writes to the demo user directly, one sits in
//! the guild's voice channel: the [`Cast`]), and later let them chat, stop them and shut
//! everything down.
//!
//! Also [`ReadMarker`]: "opening a channel marks it read", as one small task per open
//! channel that marks read up to the newest message the user has seen.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use community_sdk::protocol::{CategoryId, ChannelId, ChannelKind, CommunityId, Seq, UserId};
use community_sdk::{ChannelHandle, Client, LoginOutcome};
use tempfile::TempDir;
use tokio::sync::watch;

use crate::bots::people::{self as personas, dm_bot, persona_of, voice_bot};
use crate::bots::{BOT_NAMES, Bot, BotPlan, BotSwarm, Script, Target};
use crate::embedded::ServerControl;
use crate::error::DemoError;
use crate::ledger::Ledger;
use crate::roles;
use crate::seed::{self, SeededCommunity};

/// Where the demo's server is and who the demo user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setup {
    /// Start a server in this process, seed it and bring in bots.
    Embedded {
        /// The demo user's id.
        user_id: UserId,
        /// How many bots (at most [`BOT_NAMES`]`.len()`).
        bots: usize,
    },
    /// Connect to a running server.
    Remote {
        /// Its WebSocket URL.
        url: String,
        /// The user to log in as.
        user_id: UserId,
        /// The user's token.
        token: String,
        /// Seed the demo communities as this user.
        seed: bool,
    },
}

/// Bots that are members of private channels (the first ones).
const PRIVATE_MEMBERS: usize = 2;
/// How long shutting down waits for one client to close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Who the bots are as people: their display names, the one that writes to the demo user
/// directly and the one sitting in a voice channel (where).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cast {
    /// Each bot's display name.
    pub names: BTreeMap<UserId, String>,
    /// The bot that writes to the demo user.
    pub dm_bot: Option<UserId>,
    /// The bot in voice, and its voice channel.
    pub voice_bot: Option<(UserId, CommunityId, ChannelId)>,
}

/// Everything the demo runs: the demo user's client, the embedded server, the seeded
/// communities and the bots.
#[derive(Debug)]
pub struct Demo {
    /// The demo user's client.
    pub client: Client,
    /// The demo user's id.
    pub user_id: UserId,
    /// The embedded server (`None` with a remote server).
    pub server: Option<ServerControl>,
    /// The communities the demo seeded (empty when it did not seed).
    pub communities: Vec<SeededCommunity>,
    /// What the bots got stored.
    pub ledger: Arc<Ledger>,
    /// Who the bots are as people (empty with a remote server).
    pub cast: Cast,
    idle_bots: Vec<Bot>,
    swarm: Option<BotSwarm>,
    _dirs: TempDir,
}

/// Builds a client with fast reconnects, its cache in `cache_dir`, and logs it in.
/// Returns how the login ended: `Offline` when the server could not be reached but the
/// cache holds a saved session of the user (the client keeps connecting by itself).
pub async fn connect(
    url: &str,
    user_id: &UserId,
    token: &str,
    cache_dir: &Path,
) -> Result<(Client, LoginOutcome), DemoError> {
    let client = Client::builder()
        .server_url(url)
        .data_dir(cache_dir)
        .device_id(format!("community-demo-{user_id}"))
        .backoff(Duration::from_millis(250), Duration::from_secs(2))
        .build()
        .await
        .map_err(DemoError::sdk(format!("build the client of {user_id}")))?;
    let outcome = client
        .login(user_id, token)
        .await
        .map_err(DemoError::sdk(format!("log in as {user_id}")))?;
    Ok((client, outcome))
}

/// What to tell the user about a login that ended offline (nothing when synced).
fn offline_note(user_id: &UserId, outcome: LoginOutcome) -> Option<String> {
    match outcome {
        LoginOutcome::Synced => None,
        _ => Some(format!(
            "the server did not answer in time; showing {user_id}'s cache while reconnecting"
        )),
    }
}

async fn create_dir(path: &Path) -> Result<(), DemoError> {
    tokio::fs::create_dir_all(path)
        .await
        .map_err(DemoError::io(format!("create {}", path.display())))
}

impl Demo {
    /// Sets everything up (the bots are logged in but silent until
    /// [`release_bots`](Self::release_bots)). `cache_dir` is the demo user's cache
    /// directory (a temporary one when `None`); `progress` hears each step.
    pub async fn start(
        setup: Setup,
        cache_dir: Option<PathBuf>,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Demo, DemoError> {
        let dirs = tempfile::Builder::new()
            .prefix("community-demo-")
            .tempdir()
            .map_err(DemoError::io("create a temporary directory"))?;
        match setup {
            Setup::Embedded { user_id, bots } => {
                Self::start_embedded(dirs, cache_dir, &user_id, bots, progress).await
            }
            Setup::Remote {
                url,
                user_id,
                token,
                seed,
            } => {
                let cache =
                    cache_dir.unwrap_or_else(|| dirs.path().join("cache").join(user_id.as_str()));
                create_dir(&cache).await?;
                progress(&format!("logging in to {url} as {user_id}"));
                let (client, outcome) = connect(&url, &user_id, &token, &cache).await?;
                if let Some(note) = offline_note(&user_id, outcome) {
                    progress(&note);
                }
                let communities = if seed {
                    progress("seeding the demo communities");
                    seed::seed(&client).await?
                } else {
                    Vec::new()
                };
                Ok(Demo {
                    client,
                    user_id,
                    server: None,
                    communities,
                    ledger: Arc::new(Ledger::default()),
                    cast: Cast::default(),
                    idle_bots: Vec::new(),
                    swarm: None,
                    _dirs: dirs,
                })
            }
        }
    }

    async fn start_embedded(
        dirs: TempDir,
        cache_dir: Option<PathBuf>,
        user_id: &UserId,
        bot_count: usize,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Demo, DemoError> {
        let server_dir = dirs.path().join("server");
        create_dir(&server_dir).await?;
        progress("starting the embedded server on 127.0.0.1");
        let server = ServerControl::start(&server_dir).await?;
        let url = server.ws_url();
        progress(&format!(
            "server listening at {url}; logging in as {user_id}"
        ));
        let cache = cache_dir.unwrap_or_else(|| dirs.path().join("cache").join(user_id.as_str()));
        create_dir(&cache).await?;
        let token = server.issue_token(user_id)?;
        let (client, outcome) = connect(&url, user_id, &token, &cache).await?;
        if let Some(note) = offline_note(user_id, outcome) {
            progress(&note);
        }
        progress("seeding the Pixel Guild (categories, a dozen channels)");
        let guild = seed::seed_guild(&client).await?;
        let names: Vec<UserId> = BOT_NAMES
            .iter()
            .copied()
            .filter(|name| *name != *user_id)
            .take(bot_count)
            .map(UserId::from)
            .collect();
        let listed: Vec<&str> = names.iter().map(UserId::as_str).collect();
        progress(&format!(
            "bringing in {} bots: {}",
            names.len(),
            listed.join(", ")
        ));
        let mut logged_in = Vec::new();
        for name in &names {
            let cache = dirs.path().join("cache").join(name.as_str());
            create_dir(&cache).await?;
            let (bot, _) = connect(&url, name, &server.issue_token(name)?, &cache).await?;
            logged_in.push(bot);
        }
        // The first bot runs the Book Club: there the demo user is an ordinary member.
        let host = logged_in.first().unwrap_or(&client);
        progress(&format!(
            "{} creates the Book Club (a read-only #rules, a mods group)",
            names.first().unwrap_or(user_id)
        ));
        let communities = vec![guild, seed::seed_club(host).await?];
        for (name, member) in names.iter().zip(&logged_in).chain([(user_id, &client)]) {
            join_all(member, name, &communities).await?;
        }
        let private_members: Vec<UserId> = names.iter().take(PRIVATE_MEMBERS).cloned().collect();
        seed::admit_bots(&client, &communities, names.first(), &private_members).await?;
        let ledger = Arc::new(Ledger::default());
        if let Some(club) = communities.get(1) {
            let moderator = names.get(1).zip(logged_in.get(1));
            if let Some((moderator, _)) = moderator {
                progress(&format!(
                    "{moderator} moderates the Book Club (mods: manage messages, mute, kick) and pins its rules"
                ));
            }
            roles::staff(host, club, moderator, user_id, &ledger).await?;
        }
        let cast = dress_bots(&names, &logged_in, &communities, progress).await?;
        let mut idle_bots = Vec::new();
        for (index, (name, bot)) in names.iter().zip(logged_in).enumerate() {
            // Pick up the new role and private channels before the first send.
            for community in &communities {
                bot.community(&community.community_id)
                    .refresh()
                    .await
                    .map_err(DemoError::sdk(format!(
                        "{name} refreshes {}",
                        community.name
                    )))?;
            }
            let mut plan = plan(&communities, index == 0, index < PRIVATE_MEMBERS);
            if dm_bot(names.len()) == Some(index) {
                plan.direct_to = Some(user_id.clone());
            }
            idle_bots.push(Bot {
                user_id: name.clone(),
                client: bot,
                plan,
            });
        }
        Ok(Demo {
            client,
            user_id: user_id.clone(),
            server: Some(server),
            communities,
            ledger,
            cast,
            idle_bots,
            swarm: None,
            _dirs: dirs,
        })
    }

    /// Lets the bots chat on `script` (once; later calls do nothing).
    pub fn release_bots(&mut self, script: Script) {
        if self.idle_bots.is_empty() || self.swarm.is_some() {
            return;
        }
        let bots = std::mem::take(&mut self.idle_bots);
        self.swarm = Some(BotSwarm::start(bots, script, self.ledger.clone()));
    }

    /// Stops the bots, waiting for the messages they have in flight to be confirmed.
    pub async fn stop_bots(&mut self) {
        if let Some(swarm) = self.swarm.take() {
            self.idle_bots = swarm.stop().await;
        }
    }

    /// How many bots there are.
    pub fn bot_count(&self) -> usize {
        self.idle_bots.len() + self.swarm.as_ref().map_or(0, BotSwarm::len)
    }

    /// Names of the seeded communities' categories, by id (the SDK's entries carry only
    /// the category id of each channel).
    pub fn category_names(&self) -> HashMap<CategoryId, String> {
        self.communities
            .iter()
            .flat_map(|c| c.categories.iter())
            .map(|c| (c.category_id.clone(), c.name.clone()))
            .collect()
    }

    /// Stops the bots at once, closes every client (the demo user's cache is complete on
    /// disk when this returns) and shuts the embedded server down.
    pub async fn shutdown(self) {
        let Demo {
            client,
            server,
            idle_bots,
            swarm,
            _dirs,
            ..
        } = self;
        let mut clients = vec![client];
        clients.extend(idle_bots.into_iter().map(|bot| bot.client));
        if let Some(swarm) = swarm {
            clients.extend(swarm.abort());
        }
        // Close them together: each waits for its own connection and cache.
        let mut closing = tokio::task::JoinSet::new();
        for client in clients {
            closing.spawn(async move {
                match tokio::time::timeout(CLOSE_TIMEOUT, client.close()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => tracing::warn!(%error, "closing a client failed"),
                    Err(_) => tracing::warn!("a client did not close in time"),
                }
            });
        }
        while closing.join_next().await.is_some() {}
        if let Some(server) = server {
            server.shutdown().await;
        }
        drop(_dirs);
    }
}

/// Gives every bot its persona (display name, presence) and sits one in the first voice
/// channel of the guild; returns who is who.
async fn dress_bots(
    names: &[UserId],
    bots: &[Client],
    communities: &[SeededCommunity],
    progress: &mut dyn FnMut(&str),
) -> Result<Cast, DemoError> {
    let mut cast = Cast::default();
    for (index, (name, bot)) in names.iter().zip(bots).enumerate() {
        let persona = persona_of(index);
        personas::dress(bot, name, persona).await?;
        cast.names
            .insert(name.clone(), persona.display_name.to_string());
    }
    cast.dm_bot = dm_bot(names.len()).and_then(|i| names.get(i)).cloned();
    let voice = communities
        .first()
        .and_then(|c| c.voice_channel().map(|v| (c, v)));
    let sitter = voice_bot(names.len()).and_then(|i| names.get(i).zip(bots.get(i)));
    if let (Some((community, channel)), Some((name, bot))) = (voice, sitter) {
        // Pick up the voice channel before sitting down in it.
        bot.community(&community.community_id)
            .refresh()
            .await
            .map_err(DemoError::sdk(format!(
                "{name} refreshes {}",
                community.name
            )))?;
        personas::sit_in_voice(bot, name, &community.community_id, &channel.channel_id).await?;
        progress(&format!("{name} sits in ~{}", channel.name));
        cast.voice_bot = Some((
            name.clone(),
            community.community_id.clone(),
            channel.channel_id.clone(),
        ));
    }
    if let Some(dm) = &cast.dm_bot {
        progress(&format!("{dm} will write to the demo user directly"));
    }
    Ok(cast)
}

/// Joins every community `member` is not in yet (its own it created).
async fn join_all(
    member: &Client,
    name: &UserId,
    communities: &[SeededCommunity],
) -> Result<(), DemoError> {
    for community in communities {
        if member.community(&community.community_id).entry().is_some() {
            continue;
        }
        member
            .join_community(&community.community_id, "")
            .await
            .map_err(DemoError::sdk(format!("{name} joins {}", community.name)))?;
    }
    Ok(())
}

/// Where a bot chats: every text channel it can see, the announcement channel only for
/// the admin bot, private channels only for their members, read-only and voice ones never; its
/// backlog goes to the first community's default channel.
fn plan(communities: &[SeededCommunity], admin: bool, private_member: bool) -> BotPlan {
    let targets = communities
        .iter()
        .flat_map(|community| {
            community
                .channels
                .iter()
                .filter(|c| admin || c.kind != ChannelKind::Announcement)
                .filter(|c| c.kind != ChannelKind::Voice)
                .filter(|c| private_member || !c.private)
                .filter(|c| !c.read_only)
                .map(|c| Target {
                    community_id: community.community_id.clone(),
                    channel_id: c.channel_id.clone(),
                })
        })
        .collect();
    let backlog_target = communities.first().and_then(|community| {
        community.default_channel().map(|c| Target {
            community_id: community.community_id.clone(),
            channel_id: c.channel_id.clone(),
        })
    });
    BotPlan {
        targets,
        backlog_target,
        direct_to: None,
    }
}

/// Marks an open channel read up to the newest message the user has seen: one task per
/// open channel, which coalesces bursts into one `mark_read` and retries (bounded) while
/// the connection is down. Ends when dropped.
#[derive(Debug)]
pub struct ReadMarker {
    target: watch::Sender<Seq>,
    marked: watch::Receiver<Seq>,
}

/// Pause between two attempts when marking read fails.
const MARK_RETRY: Duration = Duration::from_millis(500);
/// Attempts for one position before waiting for a newer one.
const MARK_ATTEMPTS: u32 = 120;

impl ReadMarker {
    /// Starts marking `channel` read.
    pub fn spawn(channel: ChannelHandle) -> Self {
        let (target, target_rx) = watch::channel(0);
        let (marked_tx, marked) = watch::channel(0);
        tokio::spawn(mark_loop(channel, target_rx, marked_tx));
        Self { target, marked }
    }

    /// The user has seen the channel up to `seq`.
    pub fn seen(&self, seq: Seq) {
        self.target.send_if_modified(|target| {
            let newer = seq > *target;
            if newer {
                *target = seq;
            }
            newer
        });
    }

    /// The position the server has confirmed so far.
    pub fn marked(&self) -> Seq {
        *self.marked.borrow()
    }

    /// True when everything seen is marked read on the server.
    pub fn is_settled(&self) -> bool {
        *self.marked.borrow() >= *self.target.borrow()
    }
}

/// How one `mark_read` position ended.
enum Marking {
    Marked,
    Superseded,
    GaveUp,
    Closed,
}

async fn mark_loop(
    channel: ChannelHandle,
    mut target: watch::Receiver<Seq>,
    marked: watch::Sender<Seq>,
) {
    let mut done: Seq = 0;
    loop {
        let want = *target.borrow_and_update();
        if want > done {
            match mark_with_retries(&channel, want, &mut target).await {
                Marking::Marked => {
                    done = want;
                    marked.send_replace(done);
                    continue;
                }
                Marking::Superseded => continue,
                Marking::GaveUp => {}
                Marking::Closed => return,
            }
        }
        if target.changed().await.is_err() {
            return;
        }
    }
}

async fn mark_with_retries(
    channel: &ChannelHandle,
    want: Seq,
    target: &mut watch::Receiver<Seq>,
) -> Marking {
    for _ in 0..MARK_ATTEMPTS {
        match channel.mark_read(want).await {
            Ok(_) => return Marking::Marked,
            Err(error) => tracing::debug!(%error, "mark_read failed; retrying"),
        }
        tokio::select! {
            () = tokio::time::sleep(MARK_RETRY) => {}
            changed = target.changed() => {
                return if changed.is_err() { Marking::Closed } else { Marking::Superseded };
            }
        }
    }
    Marking::GaveUp
}
