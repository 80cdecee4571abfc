//! The terminal: entering and always restoring it, reading keys on a dedicated thread,
//! and the event loop that feeds SDK subscriptions and keys into the [`App`] and carries
//! out the [`Effect`]s it returns.
//!
//! Every SDK subscription (connection and sync state, unread counts, community list, each
//! community's channel list, the open channel's and the shown thread's messages) is
//! forwarded by a small task into one queue of [`UiEvent`]s; the loop redraws after each
//! batch, after reading the user's roles, access to the open channel and joined threads
//! from the SDK's cache (the thread pane's effects are in `threads`; the conversation
//! list, presence, profiles, voice and typing subscriptions and the names of the people
//! on screen in `people`; searches in `search`). Nothing polls the server. The terminal
//! is restored by a guard on every exit path and by ratatui's panic hook on a panic.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use community_sdk::protocol::{
    CommunityId, Message, MessageContent, Presence, Seq, UserId, VoiceParticipant,
};
use community_sdk::{
    ChannelEntry, ChannelHandle, Client, CommunityEntry, ConnectionState, ConversationEntry,
    ListDiff, MemberListUpdate, MessageEdit, MessageUpdate, SdkError, SearchResults, SendOptions,
    Subscription, SyncState, UnreadUpdate,
};
use crossterm::event::Event;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use crate::app::{App, ChannelKey, Effect, PAGE, ThreadKey};
use crate::bots::Script;
use crate::embedded::ServerStatus;
use crate::error::DemoError;
use crate::flow::{Demo, ReadMarker, Setup};
use crate::input::map_key;
use crate::roles::{self, Access};
use crate::ui;

mod members;
mod people;
mod search;
mod threads;

/// Events handled in one go before the screen is redrawn.
const MAX_BATCH: usize = 256;
/// How long the key thread waits for a key before checking whether to stop.
const KEY_POLL: Duration = Duration::from_millis(100);

/// Something the event loop reacts to.
#[derive(Debug)]
pub enum UiEvent {
    /// A key, a resize or another terminal event.
    Terminal(Event),
    /// The connection state changed.
    Connection(ConnectionState),
    /// The sync state changed.
    Sync(SyncState),
    /// Unread counts changed.
    Unread(UnreadUpdate),
    /// The community list changed.
    Communities(Vec<ListDiff<CommunityEntry>>),
    /// A community's channel list changed.
    Channels(CommunityId, Vec<ListDiff<ChannelEntry>>),
    /// A channel's timeline changed.
    Messages(ChannelKey, Vec<MessageUpdate>),
    /// A history page arrived.
    Page(ChannelKey, Option<Seq>, Result<Vec<Message>, SdkError>),
    /// A channel's pinned messages arrived.
    Pins(ChannelKey, Result<Vec<Message>, SdkError>),
    /// The shown thread's timeline changed.
    ThreadMessages(ThreadKey, Vec<MessageUpdate>),
    /// The shown thread's newest page arrived.
    ThreadPage(ThreadKey, Result<Vec<Message>, SdkError>),
    /// The user started a thread (its name, the message it started from).
    ThreadStarted(ThreadKey, String, Seq),
    /// The conversation list changed.
    Conversations(Vec<ListDiff<ConversationEntry>>),
    /// Presence values changed.
    Presence(Vec<Presence>),
    /// Profiles changed (the names on screen are read again).
    ProfilesChanged,
    /// Who types in a channel changed.
    Typing(ChannelKey, Vec<UserId>),
    /// Who sits in a community's voice channels changed.
    Voice(CommunityId, Vec<VoiceParticipant>),
    /// The followed member list changed (with the community's group names).
    MemberList(
        CommunityId,
        MemberListUpdate,
        HashMap<community_sdk::protocol::GroupId, String>,
    ),
    /// A search's results (or its refusal), with its query.
    Search(String, Result<SearchResults, SdkError>),
    /// Something to tell the user.
    Notice(String),
    /// The embedded server's status changed.
    Server(ServerStatus),
    /// Leave (a signal, or the key thread ended).
    Quit,
}

/// Runs the interactive demo until the user quits.
pub async fn run(setup: Setup, data_dir: Option<PathBuf>) -> Result<(), DemoError> {
    let mut demo = Demo::start(setup, data_dir, &mut |step| eprintln!("[demo] {step}")).await?;
    let result = run_ui(&mut demo).await;
    eprintln!("[demo] shutting down");
    demo.shutdown().await;
    result
}

/// Set by the panic hook: a task panicked, the terminal is restored, the UI must end.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Restores the terminal when dropped (normal exit, error or unwinding). A panic on any
/// thread restores it at once (ratatui's hook) and makes the UI quit.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> Result<(Self, DefaultTerminal), DemoError> {
        match ratatui::try_init() {
            Ok(terminal) => {
                let restore_and_report = std::panic::take_hook();
                std::panic::set_hook(Box::new(move |info| {
                    restore_and_report(info);
                    PANICKED.store(true, Ordering::SeqCst);
                }));
                Ok((Self, terminal))
            }
            Err(error) => {
                ratatui::restore();
                Err(DemoError::Io {
                    step: "set up the terminal".into(),
                    source: error,
                })
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
        let _ = crossterm::execute!(std::io::stdout(), crossterm::cursor::Show);
    }
}

/// Reads terminal events on its own thread (crossterm's reads block) until stopped or
/// until the event queue is gone.
struct KeyThread {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl KeyThread {
    fn spawn(events: UnboundedSender<UiEvent>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                if PANICKED.load(Ordering::SeqCst) {
                    let _ = events.send(UiEvent::Quit);
                    return;
                }
                match crossterm::event::poll(KEY_POLL) {
                    Ok(false) => continue,
                    Ok(true) => match crossterm::event::read() {
                        Ok(event) => {
                            if events.send(UiEvent::Terminal(event)).is_err() {
                                return;
                            }
                        }
                        Err(error) => {
                            let _ = events.send(UiEvent::Notice(format!("terminal: {error}")));
                            let _ = events.send(UiEvent::Quit);
                            return;
                        }
                    },
                    Err(_) => {
                        let _ = events.send(UiEvent::Quit);
                        return;
                    }
                }
            }
        });
        Self {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for KeyThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// Forwards a subscription into the event queue until either ends.
fn forward<T: Send + 'static>(
    mut subscription: Subscription<T>,
    events: UnboundedSender<UiEvent>,
    wrap: impl Fn(T) -> UiEvent + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(value) = subscription.next().await {
            if events.send(wrap(value)).is_err() {
                return;
            }
        }
    })
}

/// The tasks behind the UI's subscriptions, and the read markers of the open channel and
/// the shown thread.
struct Effects {
    client: Client,
    events: UnboundedSender<UiEvent>,
    channel_watchers: HashMap<CommunityId, JoinHandle<()>>,
    open: Option<(ChannelKey, JoinHandle<()>, ReadMarker)>,
    thread: Option<(ThreadKey, JoinHandle<()>, ReadMarker)>,
    people: people::PeopleTasks,
    members: Option<members::MembersTask>,
    tasks: Vec<JoinHandle<()>>,
}

impl Effects {
    fn run(&mut self, effects: Vec<Effect>, demo: &Demo) {
        for effect in effects {
            match effect {
                Effect::WatchChannels(id) => {
                    let subscription = self.client.community(&id).subscribe_channels();
                    let key = id.clone();
                    let task = forward(subscription, self.events.clone(), move |diffs| {
                        UiEvent::Channels(key.clone(), diffs)
                    });
                    self.watch_voice(&id);
                    if let Some(old) = self.channel_watchers.insert(id, task) {
                        old.abort();
                    }
                }
                Effect::UnwatchChannels(id) => {
                    self.unwatch_voice(&id);
                    if let Some(task) = self.channel_watchers.remove(&id) {
                        task.abort();
                    }
                }
                Effect::Open(key) => {
                    self.follow_open(&key);
                    self.open(key);
                }
                Effect::Typing(key) => self.typing(&key),
                Effect::TypingInThread(key) => self.typing_in_thread(&key),
                Effect::LoadPage { key, before } => self.load_page(key, before),
                Effect::Send {
                    key,
                    text,
                    reply_to,
                } => {
                    let channel = self.channel(&key);
                    let options = SendOptions {
                        reply_to,
                        ..SendOptions::default()
                    };
                    self.spawn_call("not sent", async move {
                        channel
                            .send(MessageContent::Text { text }, options)
                            .await
                            .map(drop)
                    });
                }
                Effect::Edit { key, seq, text } => {
                    let channel = self.channel(&key);
                    let edit = MessageEdit {
                        content: Some(MessageContent::Text { text }),
                        ..MessageEdit::default()
                    };
                    self.spawn_call("not edited", async move {
                        channel.edit_message(seq, edit).await.map(drop)
                    });
                }
                Effect::Recall { key, seq } => {
                    let channel = self.channel(&key);
                    self.spawn_call("not recalled", async move {
                        channel.recall_message(seq).await.map(drop)
                    });
                }
                Effect::React {
                    key,
                    seq,
                    emoji,
                    add,
                } => {
                    let channel = self.channel(&key);
                    self.spawn_call("no reaction", async move {
                        if add {
                            channel.add_reaction(seq, emoji).await.map(drop)
                        } else {
                            channel.remove_reaction(seq, emoji).await.map(drop)
                        }
                    });
                }
                Effect::Pin { key, seq, pin } => {
                    let channel = self.channel(&key);
                    self.spawn_call("not pinned", async move {
                        if pin {
                            channel.pin_message(seq).await.map(drop)
                        } else {
                            channel.unpin_message(seq).await.map(drop)
                        }
                    });
                }
                Effect::LoadPins(key) => {
                    let channel = self.channel(&key);
                    let events = self.events.clone();
                    self.spawn(async move {
                        let pins = channel.pins().await;
                        let _ = events.send(UiEvent::Pins(key, pins));
                    });
                }
                Effect::Seen(seq) => {
                    if let Some((_, _, marker)) = &self.open {
                        marker.seen(seq);
                    }
                }
                Effect::OpenThread(key) => self.open_thread(key),
                Effect::CloseThread => self.close_thread(),
                Effect::StartThread { key, seq, name } => self.start_thread(key, seq, name),
                Effect::SendInThread { key, text } => self.send_in_thread(&key, text),
                Effect::ThreadSeen(seq) => self.thread_seen(seq),
                Effect::Search {
                    community_id,
                    query,
                } => self.search(community_id, query),
                Effect::FollowMembers {
                    community_id,
                    ranges,
                } => self.follow_members(community_id, ranges),
                Effect::MemberRanges(ranges) => self.member_ranges(ranges),
                Effect::UnfollowMembers => self.unfollow_members(),
                Effect::ToggleServer => match &demo.server {
                    Some(server) if server.toggle() => {}
                    Some(_) => {
                        let _ = self
                            .events
                            .send(UiEvent::Notice("the server is busy; try again".into()));
                    }
                    None => {}
                },
            }
        }
        self.tasks.retain(|task| !task.is_finished());
    }

    fn spawn(&mut self, future: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.push(tokio::spawn(future));
    }

    /// Makes one SDK call in the background; a refusal becomes a notice (`what: error`).
    /// Changes to messages are shown at once by the timeline; a refusal the server makes
    /// later arrives there as a failed change.
    fn spawn_call(
        &mut self,
        what: &'static str,
        call: impl std::future::Future<Output = Result<(), SdkError>> + Send + 'static,
    ) {
        let events = self.events.clone();
        self.spawn(async move {
            if let Err(error) = call.await {
                let _ = events.send(UiEvent::Notice(format!("{what}: {error}")));
            }
        });
    }

    fn channel(&self, key: &ChannelKey) -> ChannelHandle {
        self.client
            .community(&key.community_id)
            .channel(&key.channel_id)
    }

    /// Opens a channel: its message subscription, its newest page, and a read marker that
    /// marks it read at once (opening a channel reads it).
    fn open(&mut self, key: ChannelKey) {
        if let Some((_, task, _)) = self.open.take() {
            task.abort();
        }
        let channel = self
            .client
            .community(&key.community_id)
            .channel(&key.channel_id);
        let marker = ReadMarker::spawn(channel.clone());
        if let Some(entry) = channel.entry() {
            marker.seen(entry.head.last_seq);
        }
        let events = self.events.clone();
        let forward_key = key.clone();
        let task = tokio::spawn(async move {
            let mut subscription = match channel.subscribe_messages().await {
                Ok(subscription) => subscription,
                Err(error) => {
                    let _ =
                        events.send(UiEvent::Notice(format!("cannot open the channel: {error}")));
                    return;
                }
            };
            while let Some(updates) = subscription.next().await {
                if events
                    .send(UiEvent::Messages(forward_key.clone(), updates))
                    .is_err()
                {
                    return;
                }
            }
        });
        self.open = Some((key.clone(), task, marker));
        self.load_page(key, None);
    }

    fn load_page(&mut self, key: ChannelKey, before: Option<Seq>) {
        let channel = self
            .client
            .community(&key.community_id)
            .channel(&key.channel_id);
        let events = self.events.clone();
        self.spawn(async move {
            let page = channel.messages(before, PAGE).await;
            let _ = events.send(UiEvent::Page(key, before, page));
        });
    }

    fn stop(&mut self) {
        for (_, task) in self.channel_watchers.drain() {
            task.abort();
        }
        if let Some((_, task, _)) = self.open.take() {
            task.abort();
        }
        self.close_thread();
        self.people.stop();
        self.unfollow_members();
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

/// Applies one event to the state; returns the effects to carry out.
fn apply(app: &mut App, event: UiEvent) -> Vec<Effect> {
    match event {
        UiEvent::Terminal(Event::Key(key)) => {
            let overlay = app.show_help || app.pins.is_some();
            app.on_action(map_key(key, app.mode, overlay))
        }
        UiEvent::Terminal(_) => Vec::new(),
        UiEvent::Connection(state) => {
            app.on_connection(state);
            Vec::new()
        }
        UiEvent::Sync(state) => {
            app.on_sync(state);
            Vec::new()
        }
        UiEvent::Unread(update) => {
            app.on_unread(update);
            Vec::new()
        }
        UiEvent::Communities(diffs) => app.on_communities(diffs),
        UiEvent::Channels(id, diffs) => app.on_channels(&id, diffs),
        UiEvent::Messages(key, updates) => app.on_messages(&key, updates),
        UiEvent::Page(key, before, page) => app.on_page(&key, before, page),
        UiEvent::Pins(key, pins) => {
            app.on_pins(&key, pins);
            Vec::new()
        }
        UiEvent::ThreadMessages(key, updates) => app.on_thread_messages(&key, updates),
        UiEvent::ThreadPage(key, page) => app.on_thread_page(&key, page),
        UiEvent::ThreadStarted(key, name, seq) => app.on_thread_started(key, name, seq),
        UiEvent::Conversations(diffs) => {
            app.on_conversations(diffs);
            Vec::new()
        }
        UiEvent::Presence(presences) => {
            app.on_presence(presences);
            Vec::new()
        }
        // The names on screen are read from the cache before the next draw.
        UiEvent::ProfilesChanged => Vec::new(),
        UiEvent::Typing(key, typers) => {
            app.on_typing(&key, typers);
            Vec::new()
        }
        UiEvent::Voice(id, participants) => {
            app.on_voice(id, participants);
            Vec::new()
        }
        UiEvent::MemberList(id, update, names) => {
            app.on_member_list(&id, update, names);
            Vec::new()
        }
        UiEvent::Search(query, result) => {
            app.on_search_results(query, result);
            Vec::new()
        }
        UiEvent::Notice(text) => {
            app.notice = Some(text);
            Vec::new()
        }
        UiEvent::Server(status) => {
            app.on_server(status);
            Vec::new()
        }
        UiEvent::Quit => {
            app.quit = true;
            Vec::new()
        }
    }
}

#[cfg(unix)]
fn forward_signals(events: UnboundedSender<UiEvent>) -> Option<JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).ok()?;
    let mut hangup = signal(SignalKind::hangup()).ok()?;
    Some(tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = hangup.recv() => {}
        }
        let _ = events.send(UiEvent::Quit);
    }))
}

#[cfg(not(unix))]
fn forward_signals(_events: UnboundedSender<UiEvent>) -> Option<JoinHandle<()>> {
    None
}

async fn run_ui(demo: &mut Demo) -> Result<(), DemoError> {
    let (events, mut queue) = unbounded_channel();
    let client = demo.client.clone();
    let server_addr = demo.server.as_ref().map(|s| s.addr().to_string());
    let start = demo.communities.first().and_then(|community| {
        community.default_channel().map(|channel| ChannelKey {
            community_id: community.community_id.clone(),
            channel_id: channel.channel_id.clone(),
        })
    });
    let mut app = App::new(demo.user_id.clone(), demo.category_names(), server_addr)
        .with_start_channel(start);
    let mut background = vec![
        forward(
            client.subscribe_connection(),
            events.clone(),
            UiEvent::Connection,
        ),
        forward(client.subscribe_sync_state(), events.clone(), UiEvent::Sync),
        forward(client.subscribe_unread(), events.clone(), UiEvent::Unread),
        forward(
            client.subscribe_communities(),
            events.clone(),
            UiEvent::Communities,
        ),
    ];
    if let Some(server) = &demo.server {
        let mut status = server.status();
        let events = events.clone();
        background.push(tokio::spawn(async move {
            while status.changed().await.is_ok() {
                let value = status.borrow_and_update().clone();
                if events.send(UiEvent::Server(value)).is_err() {
                    return;
                }
            }
        }));
    }
    background.extend(people::background(&client, &events));
    background.extend(forward_signals(events.clone()));
    let mut effects = Effects {
        client,
        events: events.clone(),
        channel_watchers: HashMap::new(),
        open: None,
        thread: None,
        people: people::PeopleTasks::default(),
        members: None,
        tasks: Vec::new(),
    };

    let (guard, mut terminal) = TerminalGuard::enter()?;
    let keys = KeyThread::spawn(events.clone());
    drop(events);
    demo.release_bots(Script::interactive(&demo.user_id));

    let result = event_loop(&mut terminal, &mut app, &mut queue, &mut effects, demo).await;

    drop(keys);
    drop(guard);
    effects.stop();
    for task in background {
        task.abort();
    }
    result
}

/// Reads from the SDK's cache what the UI shows of roles and permissions (the user's role
/// in each community and their access to the open channel) and of threads (the joined
/// threads of the selected community and of the open channel's), all cheap, local reads.
fn refresh_access(app: &mut App, client: &Client) {
    let roles = app
        .communities
        .iter()
        .filter_map(|c| {
            let community = client.community(&c.info.community_id);
            let entry = community.entry()?;
            Some((
                c.info.community_id.clone(),
                roles::role_label(&entry, &community.groups()),
            ))
        })
        .collect();
    app.set_roles(roles);
    if let Some(key) = app.open_key().cloned() {
        let channel = client.community(&key.community_id).channel(&key.channel_id);
        app.set_access(&key, Access::read(&channel));
    }
    let selected = app.community().map(|c| c.info.community_id.clone());
    let open = app.open_key().map(|k| k.community_id.clone());
    for community_id in selected.into_iter().chain(open) {
        let threads = client.community(&community_id).joined_threads();
        app.set_joined_threads(community_id, threads);
    }
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    queue: &mut tokio::sync::mpsc::UnboundedReceiver<UiEvent>,
    effects: &mut Effects,
    demo: &Demo,
) -> Result<(), DemoError> {
    loop {
        refresh_access(app, &effects.client);
        effects.refresh_people(app);
        let mut drawn = None;
        terminal
            .draw(|frame| drawn = Some(ui::render(frame, app)))
            .map_err(DemoError::io("draw"))?;
        if let Some(drawn) = drawn {
            let more = app.after_view(drawn.at_top, drawn.page_rows);
            effects.run(more, demo);
        }
        let Some(first) = queue.recv().await else {
            return Ok(());
        };
        let mut pending = apply(app, first);
        for _ in 0..MAX_BATCH {
            match queue.try_recv() {
                Ok(event) => pending.extend(apply(app, event)),
                Err(_) => break,
            }
        }
        effects.run(pending, demo);
        if app.quit {
            return Ok(());
        }
    }
}
