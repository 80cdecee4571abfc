//! The bots: a few users, each with its own SDK [`Client`] and cache, who chat in the
//! seeded channels at a human pace (faster in the headless run), sometimes mention the
//! demo user, so that the demo user's unread and mention badges move, now and then
//! edit or recall what they just said and react to others' messages (see `life`),
//! start threads from their messages and reply in them (see `threads`), and behave as
//! people (see `people`): display names and presence, typing before each post, one of
//! them writing to the demo user directly, one sitting in a voice channel. Every few
//! messages (a bot's first one included) are in Japanese or Chinese, for search to find
//! CJK substrings.
//!
//! Every bot stops by itself: after its run time, after its message budget, or when the
//! swarm is stopped. Each message's end is awaited (`OutgoingMessage::sent`, bounded)
//! before the next one, and recorded in the [`Ledger`].

mod life;
pub mod people;
mod threads;

use std::sync::Arc;
use std::time::Duration;

use community_sdk::protocol::{ChannelId, CommunityId, Mentions, MessageContent, Seq, UserId};
use community_sdk::{Client, SendOptions};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::ledger::Ledger;

/// The bots' user ids, in the order they are started.
pub const BOT_NAMES: [&str; 8] = [
    "nova", "rook", "ember", "quill", "juniper", "orbit", "sable", "pixel",
];

/// How long a bot waits for the server to acknowledge one message.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// The delay between two messages of one bot: uniform in `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Shortest delay.
    pub min: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Pace {
    /// People chatting: a message every 3 to 9 seconds per bot.
    pub const HUMAN: Pace = Pace {
        min: Duration::from_secs(3),
        max: Duration::from_secs(9),
    };
    /// The headless run: several messages a second per bot.
    pub const BRISK: Pace = Pace {
        min: Duration::from_millis(100),
        max: Duration::from_millis(400),
    };
    /// The backlog at the start: a burst that fills the scrollback.
    pub const BURST: Pace = Pace {
        min: Duration::from_millis(60),
        max: Duration::from_millis(150),
    };

    fn sample(self, rng: &mut impl Rng) -> Duration {
        if self.max <= self.min {
            return self.min;
        }
        rng.random_range(self.min..=self.max)
    }
}

/// A channel a bot posts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The community.
    pub community_id: CommunityId,
    /// The channel.
    pub channel_id: ChannelId,
}

/// What one bot does.
#[derive(Debug, Clone)]
pub struct BotPlan {
    /// Where it chats.
    pub targets: Vec<Target>,
    /// Where its first [`Script::backlog`] messages go (the scrollback's backlog).
    pub backlog_target: Option<Target>,
    /// The user it writes to directly (at the start, then now and then).
    pub direct_to: Option<UserId>,
}

/// How every bot behaves.
#[derive(Debug, Clone)]
pub struct Script {
    /// Delay between messages.
    pub pace: Pace,
    /// Messages each bot posts first, in a burst, into its backlog target.
    pub backlog: u32,
    /// Delay between backlog messages.
    pub backlog_pace: Pace,
    /// One message in this many mentions the demo user (0: never).
    pub mention_one_in: u32,
    /// One message in this many is a long one (0: never).
    pub long_one_in: u32,
    /// Every this many messages of a bot, its first one included, is in Japanese or
    /// Chinese (0: never).
    pub cjk_every: u32,
    /// One stored message in this many is edited by its bot right after (0: never).
    pub edit_one_in: u32,
    /// One stored message in this many (of those not edited) is recalled by its bot
    /// right after (0: never).
    pub recall_one_in: u32,
    /// After one message in this many, the bot reacts to a recent message of the
    /// channel (0: never).
    pub react_one_in: u32,
    /// One stored message in this many of the bot's lively channel (its backlog target)
    /// starts a thread (0: never).
    pub thread_one_in: u32,
    /// After one message in this many, the bot replies in a thread (0: never).
    pub thread_reply_one_in: u32,
    /// No thread is started once the bots started this many.
    pub max_threads: usize,
    /// After one message in this many, a bot that writes to the demo user directly
    /// writes again (0: only the first time).
    pub direct_one_in: u32,
    /// A bot stops after this long.
    pub run_for: Duration,
    /// A bot stops after this many messages.
    pub max_messages: u32,
    /// The user the bots mention.
    pub demo_user: UserId,
}

impl Script {
    /// The interactive demo: people chatting for up to an hour, after a short burst that
    /// fills the scrollback.
    pub fn interactive(demo_user: &UserId) -> Self {
        Self {
            pace: Pace::HUMAN,
            backlog: 15,
            backlog_pace: Pace::BURST,
            mention_one_in: 6,
            long_one_in: 15,
            cjk_every: 7,
            edit_one_in: 8,
            recall_one_in: 25,
            react_one_in: 3,
            thread_one_in: 6,
            thread_reply_one_in: 3,
            max_threads: 12,
            direct_one_in: 12,
            run_for: Duration::from_secs(3600),
            max_messages: 2_000,
            demo_user: demo_user.clone(),
        }
    }

    /// The headless run: brisk chatter for `run_for`, so there is enough traffic to count.
    pub fn headless(demo_user: &UserId, run_for: Duration) -> Self {
        Self {
            pace: Pace::BRISK,
            backlog: 10,
            backlog_pace: Pace::BURST,
            mention_one_in: 5,
            long_one_in: 20,
            cjk_every: 5,
            edit_one_in: 6,
            recall_one_in: 8,
            react_one_in: 3,
            thread_one_in: 3,
            thread_reply_one_in: 3,
            max_threads: 6,
            direct_one_in: 20,
            run_for,
            max_messages: 10_000,
            demo_user: demo_user.clone(),
        }
    }
}

/// A logged-in bot with its plan.
#[derive(Debug)]
pub struct Bot {
    /// Its user id.
    pub user_id: UserId,
    /// Its own client (own cache directory).
    pub client: Client,
    /// What it does.
    pub plan: BotPlan,
}

/// The running bots.
#[derive(Debug)]
pub struct BotSwarm {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<Bot>>,
    /// The bots' clients (clones), to close them after an abort.
    clients: Vec<Client>,
}

impl BotSwarm {
    /// Starts every bot on `script`, recording into `ledger`.
    pub fn start(bots: Vec<Bot>, script: Script, ledger: Arc<Ledger>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let script = Arc::new(script);
        let clients = bots.iter().map(|bot| bot.client.clone()).collect();
        let tasks = bots
            .into_iter()
            .map(|bot| {
                tokio::spawn(run_bot(
                    bot,
                    script.clone(),
                    ledger.clone(),
                    stopped.clone(),
                ))
            })
            .collect();
        Self {
            stop,
            tasks,
            clients,
        }
    }

    /// How many bots run.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True when no bot runs.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Stops the bots after the message each has in flight is confirmed (or its wait
    /// timed out), and hands them back.
    pub async fn stop(self) -> Vec<Bot> {
        self.stop.send_replace(true);
        let mut bots = Vec::new();
        for task in self.tasks {
            let abort = task.abort_handle();
            match tokio::time::timeout(CONFIRM_TIMEOUT * 2, task).await {
                Ok(Ok(bot)) => bots.push(bot),
                Ok(Err(error)) => tracing::warn!(%error, "a bot task failed"),
                Err(_) => abort.abort(),
            }
        }
        bots
    }

    /// Stops the bots at once (messages in flight stay in their outboxes) and hands back
    /// their clients, to be closed.
    pub fn abort(self) -> Vec<Client> {
        for task in self.tasks {
            task.abort();
        }
        self.clients
    }
}

/// True when the swarm was stopped (or dropped) while waiting `delay`.
async fn stopped_during(stop: &mut watch::Receiver<bool>, delay: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => false,
        _ = stop.wait_for(|stopped| *stopped) => true,
    }
}

async fn run_bot(
    bot: Bot,
    script: Arc<Script>,
    ledger: Arc<Ledger>,
    mut stop: watch::Receiver<bool>,
) -> Bot {
    let mut rng = StdRng::from_os_rng();
    let deadline = Instant::now() + script.run_for;
    let mut backlog_left = script.backlog;
    if let Some(to) = &bot.plan.direct_to {
        people::write_directly(&bot, to, true, &ledger, &mut rng).await;
    }
    for count in 0..script.max_messages {
        let (target, pace) = match bot.plan.backlog_target.as_ref() {
            Some(target) if backlog_left > 0 => {
                backlog_left -= 1;
                (target.clone(), script.backlog_pace)
            }
            _ => match bot.plan.targets.choose(&mut rng) {
                Some(target) => (target.clone(), script.pace),
                None => break,
            },
        };
        // Typing shows while the bot "writes" (the pause before its message).
        people::type_in(&bot, &target, &ledger).await;
        if stopped_during(&mut stop, pace.sample(&mut rng)).await || Instant::now() >= deadline {
            break;
        }
        let (content, mentions) = compose(&mut rng, &script, count);
        let mentions_demo = mentions.mentions(&script.demo_user);
        let text = match &content {
            MessageContent::Text { text } => text.clone(),
            _ => String::new(),
        };
        let stored = send_one(&bot, &target, content, mentions, &ledger, &script.demo_user).await;
        if let Some(seq) = stored {
            let sent = life::Sent {
                target: &target,
                seq,
                text: &text,
                mentions_demo,
            };
            let recalled = life::follow_up(&bot, sent, &script, &ledger, &mut rng).await;
            if !recalled {
                threads::maybe_start(&bot, &target, seq, &text, &script, &ledger, &mut rng).await;
            }
        }
        if one_in(&mut rng, script.react_one_in) {
            life::react(&bot, &target, &ledger, &mut rng).await;
        }
        threads::maybe_reply(&bot, &script, &ledger, &mut rng).await;
        if let Some(to) = &bot.plan.direct_to
            && one_in(&mut rng, script.direct_one_in)
        {
            people::write_directly(&bot, to, false, &ledger, &mut rng).await;
        }
    }
    tracing::debug!(bot = %bot.user_id, "bot stopped");
    bot
}

/// Sends one message and waits (bounded) for the server's answer, recording the outcome;
/// returns its sequence once stored.
async fn send_one(
    bot: &Bot,
    target: &Target,
    content: MessageContent,
    mentions: Mentions,
    ledger: &Ledger,
    demo_user: &UserId,
) -> Option<Seq> {
    let channel = bot
        .client
        .community(&target.community_id)
        .channel(&target.channel_id);
    let mentions_demo = mentions.mentions(demo_user);
    let options = SendOptions {
        mentions,
        ..SendOptions::default()
    };
    let outgoing = match channel.send(content, options).await {
        Ok(outgoing) => outgoing,
        Err(error) => {
            tracing::debug!(bot = %bot.user_id, %error, "send refused");
            ledger.record_refused();
            return None;
        }
    };
    match tokio::time::timeout(CONFIRM_TIMEOUT, outgoing.sent()).await {
        Ok(Ok(seq)) => {
            ledger.record_sent(&target.community_id, &target.channel_id, mentions_demo);
            Some(seq)
        }
        Ok(Err(error)) => {
            tracing::debug!(bot = %bot.user_id, %error, "message refused");
            ledger.record_refused();
            None
        }
        Err(_) => {
            ledger.record_unconfirmed();
            None
        }
    }
}

const CHATTER: [&str; 24] = [
    "anyone up for a run tonight?",
    "just finished the new patch notes, wow",
    "that boss fight was brutal",
    "lol",
    "brb, coffee",
    "has anyone tried the new map yet?",
    "I think the meta is shifting towards speed builds",
    "gg everyone",
    "screenshot incoming",
    "who else is still stuck on level 7?",
    "the soundtrack of this season is great",
    "hot take: the old UI was better",
    "I'll host the next session",
    "reading the rules again, just in case",
    "agreed",
    "that's a new personal best for me!",
    "can we pin this?",
    "morning all",
    "did the server just lag for anyone else?",
    "nice one",
    "let's keep this channel on topic :)",
    "who wants to review my build?",
    "I have a spare invite if anyone needs one",
    "good night, see you tomorrow",
];

const MENTION_LINES: [&str; 6] = [
    "what do you think?",
    "you around? need one more for the raid",
    "check this out",
    "welcome! glad you made it",
    "can you take a look at the pinned post?",
    "you were right about that build",
];

/// Lines in Japanese and Chinese (no spaces between words: search finds any two
/// characters of them).
pub const CJK_LINES: [&str; 6] = [
    "明日東京都に行きます",
    "今日のレイドは何時から？",
    "新しいマップ、めっちゃ楽しい！",
    "大家晚上好，今天一起打副本吗？",
    "这个版本的配乐真好听",
    "東京の大会、配信ありますか？",
];

const LONG_MESSAGE: &str = "Long post incoming. We have been talking about the schedule for a \
while, so here is the summary of everything that was decided: sessions start at eight on \
weekdays and at six on weekends; whoever hosts picks the map; newcomers get paired with \
someone who has played for a while; screenshots go to their own channel so that the chat \
stays readable; and if you cannot make it, say so in looking-for-group before the session \
starts. Questions, ideas and complaints are welcome in off-topic. Thanks everyone for \
keeping this place friendly, it really shows when new people join and stay.";

/// True once in `n` draws (never when `n` is 0).
fn one_in(rng: &mut impl Rng, n: u32) -> bool {
    n > 0 && rng.random_ratio(1, n)
}

/// Message number `count` of a bot: every `cjk_every`-th one in Japanese or Chinese,
/// else usually chatter, sometimes a mention of the demo user, sometimes a long post.
fn compose(rng: &mut impl Rng, script: &Script, count: u32) -> (MessageContent, Mentions) {
    if script.cjk_every > 0 && count.is_multiple_of(script.cjk_every) {
        let text = CJK_LINES.choose(rng).copied().unwrap_or("東京");
        return (
            MessageContent::Text { text: text.into() },
            Mentions::default(),
        );
    }
    if one_in(rng, script.mention_one_in) {
        let line = MENTION_LINES.choose(rng).copied().unwrap_or("hi");
        let text = format!("@{} {line}", script.demo_user);
        let mentions = Mentions {
            users: vec![script.demo_user.clone()],
            ..Mentions::default()
        };
        return (MessageContent::Text { text }, mentions);
    }
    let text = if one_in(rng, script.long_one_in) {
        LONG_MESSAGE.to_string()
    } else {
        CHATTER.choose(rng).copied().unwrap_or("hi").to_string()
    };
    (MessageContent::Text { text }, Mentions::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(mention_one_in: u32, long_one_in: u32) -> Script {
        Script {
            mention_one_in,
            long_one_in,
            cjk_every: 0,
            ..Script::headless(&UserId::from("demo"), Duration::from_secs(1))
        }
    }

    #[test]
    fn mentions_name_the_demo_user_in_text_and_metadata() {
        let mut rng = StdRng::seed_from_u64(7);
        let (content, mentions) = compose(&mut rng, &script(1, 0), 1);
        assert!(mentions.mentions(&"demo".into()));
        assert!(matches!(content, MessageContent::Text { text } if text.starts_with("@demo ")));
        let (_, mentions) = compose(&mut rng, &script(0, 0), 1);
        assert!(mentions.is_empty());
        let (content, _) = compose(&mut rng, &script(0, 1), 1);
        assert!(matches!(content, MessageContent::Text { text } if text.len() > 400));
    }

    #[test]
    fn every_few_messages_are_in_japanese_or_chinese_the_first_one_included() {
        let mut rng = StdRng::seed_from_u64(3);
        let script = Script {
            cjk_every: 3,
            ..script(1, 0)
        };
        let cjk = |(content, _): (MessageContent, Mentions)| matches!(content, MessageContent::Text { text } if CJK_LINES.contains(&text.as_str()));
        assert!(cjk(compose(&mut rng, &script, 0)));
        assert!(!cjk(compose(&mut rng, &script, 1)));
        assert!(cjk(compose(&mut rng, &script, 6)));
        assert!(
            CJK_LINES
                .iter()
                .all(|line| crate::search::cjk_pair(line).is_some())
        );
    }

    #[test]
    fn pace_samples_stay_in_range() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..100 {
            let delay = Pace::HUMAN.sample(&mut rng);
            assert!(delay >= Pace::HUMAN.min && delay <= Pace::HUMAN.max);
        }
        let fixed = Pace {
            min: Duration::from_millis(5),
            max: Duration::from_millis(5),
        };
        assert_eq!(fixed.sample(&mut rng), Duration::from_millis(5));
    }
}
