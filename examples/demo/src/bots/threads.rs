//! Threads in the bots' chatter: now and then a bot starts a thread from the message it
//! just got stored in its lively channel (its backlog target: the first community's
//! default channel, where the demo user looks first), named after that message, and bots
//! reply in the threads started so far (in the channels they chat in), so the digests
//! under the parent messages move. Thread replies mention nobody: a mention would make the
//! mentioned user join the thread. Each start and each reply is awaited (bounded) and
//! recorded in the [`Ledger`].

use community_sdk::NewThread;
use community_sdk::protocol::{ChannelId, CommunityId, Seq};
use rand::Rng;
use rand::seq::IndexedRandom;

use super::{Bot, CONFIRM_TIMEOUT, Script, Target, one_in};
use crate::format::thread_name;
use crate::ledger::Ledger;

/// What bots say in threads.
const REPLIES: [&str; 12] = [
    "count me in",
    "+1",
    "which map though?",
    "same here",
    "let's do it at eight",
    "I can host",
    "source?",
    "this aged well",
    "ok but hear me out",
    "agreed, moving on",
    "following this",
    "did anyone try it yet?",
];

/// After a message stored at `seq` in `target` (not recalled): sometimes starts a thread
/// from it, when `target` is the bot's lively channel and the run has room for one more.
pub(super) async fn maybe_start(
    bot: &Bot,
    target: &Target,
    seq: Seq,
    text: &str,
    script: &Script,
    ledger: &Ledger,
    rng: &mut impl Rng,
) {
    let lively = bot.plan.backlog_target.as_ref() == Some(target);
    if !lively
        || text.is_empty()
        || ledger.thread_count() >= script.max_threads
        || !one_in(rng, script.thread_one_in)
    {
        return;
    }
    let name = thread_name(text);
    let channel = bot
        .client
        .community(&target.community_id)
        .channel(&target.channel_id);
    let thread = NewThread {
        name: name.clone(),
        parent_seq: Some(seq),
        ..NewThread::default()
    };
    match tokio::time::timeout(CONFIRM_TIMEOUT, channel.create_thread(thread)).await {
        Ok(Ok(thread)) => ledger.record_thread(
            &target.community_id,
            &target.channel_id,
            thread.id(),
            seq,
            &name,
        ),
        Ok(Err(error)) => {
            tracing::debug!(bot = %bot.user_id, %error, "thread refused");
            ledger.record_thread_failed();
        }
        Err(_) => ledger.record_thread_failed(),
    }
}

/// Sometimes replies in one of the threads started so far, in a channel the bot chats in.
pub(super) async fn maybe_reply(bot: &Bot, script: &Script, ledger: &Ledger, rng: &mut impl Rng) {
    if !one_in(rng, script.thread_reply_one_in) {
        return;
    }
    let choices: Vec<(CommunityId, ChannelId, ChannelId)> = ledger
        .thread_ids()
        .into_iter()
        .filter(|(community_id, channel_id, _)| {
            bot.plan
                .targets
                .iter()
                .any(|t| t.community_id == *community_id && t.channel_id == *channel_id)
        })
        .collect();
    let (Some((community_id, channel_id, thread_id)), Some(text)) =
        (choices.choose(rng), REPLIES.choose(rng))
    else {
        return;
    };
    let stream = bot
        .client
        .community(community_id)
        .thread(thread_id.clone(), channel_id.clone())
        .messages();
    let outgoing = match stream.send_text(*text).await {
        Ok(outgoing) => outgoing,
        Err(error) => {
            tracing::debug!(bot = %bot.user_id, %error, "thread reply refused");
            ledger.record_thread_failed();
            return;
        }
    };
    match tokio::time::timeout(CONFIRM_TIMEOUT, outgoing.sent()).await {
        Ok(Ok(_)) => ledger.record_thread_reply(thread_id),
        Ok(Err(error)) => {
            tracing::debug!(bot = %bot.user_id, %error, "thread reply refused");
            ledger.record_thread_failed();
        }
        Err(_) => ledger.record_thread_failed(),
    }
}
