//! What a bot does to messages after sending them: now and then it edits what it just
//! said (a second thought appended) or recalls it, and it reacts to a recent message of
//! the channel it posts in. Each change is awaited (`wait_for_change`, bounded) and
//! recorded in the [`Ledger`] once carried out, so the headless run can expect the
//! demo user's counts (a recalled message no longer counts) and history.
//!
//! A message gets at most one follow-up (an edit or a recall), so the ledger's edited
//! messages are never recalled later.

use community_sdk::protocol::{Message, MessageContent, Seq};
use community_sdk::{ChannelHandle, MessageEdit, PendingChange, SdkError};
use rand::Rng;
use rand::seq::IndexedRandom;

use super::{Bot, CONFIRM_TIMEOUT, Script, Target, one_in};
use crate::ledger::Ledger;

/// What a bot appends when it edits a message.
const SECOND_THOUGHTS: [&str; 5] = [
    "— edit: typo",
    "(on second thought, maybe not)",
    "— never mind, found it",
    "(with feeling)",
    "— updated: see pins",
];

/// The emoji bots react with.
pub const EMOJI: [&str; 6] = ["👍", "🎉", "😂", "❤️", "🔥", "👀"];

/// Recent messages a bot looks at when it picks one to react to.
const REACT_WINDOW: u32 = 20;

/// A message a bot just got stored.
pub(super) struct Sent<'a> {
    /// Where.
    pub target: &'a Target,
    /// Its sequence.
    pub seq: Seq,
    /// Its text (empty for other contents).
    pub text: &'a str,
    /// It mentions the demo user.
    pub mentions_demo: bool,
}

/// How a change ended.
enum Outcome {
    Done,
    Refused(SdkError),
    Unconfirmed,
}

/// Awaits (bounded) the end of a change the bot queued.
async fn settle(channel: &ChannelHandle, queued: Result<PendingChange, SdkError>) -> Outcome {
    let change = match queued {
        Ok(change) => change,
        Err(error) => return Outcome::Refused(error),
    };
    match tokio::time::timeout(CONFIRM_TIMEOUT, channel.wait_for_change(&change.key)).await {
        Ok(Ok(_)) => Outcome::Done,
        Ok(Err(error)) => Outcome::Refused(error),
        Err(_) => Outcome::Unconfirmed,
    }
}

fn channel_of(bot: &Bot, target: &Target) -> ChannelHandle {
    bot.client
        .community(&target.community_id)
        .channel(&target.channel_id)
}

/// Right after a send: sometimes edits the message (a second thought appended), or else
/// sometimes recalls it. Returns true when it was recalled.
pub(super) async fn follow_up(
    bot: &Bot,
    sent: Sent<'_>,
    script: &Script,
    ledger: &Ledger,
    rng: &mut impl Rng,
) -> bool {
    let channel = channel_of(bot, sent.target);
    let (community_id, channel_id) = (&sent.target.community_id, &sent.target.channel_id);
    if !sent.text.is_empty() && one_in(rng, script.edit_one_in) {
        let tail = SECOND_THOUGHTS.choose(rng).copied().unwrap_or("— edit");
        let edit = MessageEdit {
            content: Some(MessageContent::Text {
                text: format!("{} {tail}", sent.text),
            }),
            ..MessageEdit::default()
        };
        match settle(&channel, channel.edit_message(sent.seq, edit).await).await {
            Outcome::Done => ledger.record_edited(community_id, channel_id),
            Outcome::Refused(error) => {
                tracing::debug!(bot = %bot.user_id, %error, "edit refused");
                ledger.record_change_refused();
            }
            Outcome::Unconfirmed => ledger.record_change_unconfirmed(),
        }
    } else if one_in(rng, script.recall_one_in) {
        match settle(&channel, channel.recall_message(sent.seq).await).await {
            Outcome::Done => {
                ledger.record_recalled(community_id, channel_id, sent.mentions_demo);
                return true;
            }
            Outcome::Refused(error) => {
                tracing::debug!(bot = %bot.user_id, %error, "recall refused");
                ledger.record_change_refused();
            }
            // It may still be recalled: no thread from it.
            Outcome::Unconfirmed => {
                ledger.record_change_unconfirmed();
                return true;
            }
        }
    }
    false
}

/// A message someone else wrote that is still there: something to react to.
fn reactable(message: &Message, bot: &Bot) -> bool {
    message.sender_id != bot.user_id
        && !message.is_from_server()
        && !message.content.is_recalled()
        && !matches!(message.content, MessageContent::System { .. })
}

/// Reacts with a random emoji to one of the recent messages of `target` (from the bot's
/// cache) that someone else wrote.
pub(super) async fn react(bot: &Bot, target: &Target, ledger: &Ledger, rng: &mut impl Rng) {
    let channel = channel_of(bot, target);
    let recent = match channel.messages(None, REACT_WINDOW).await {
        Ok(recent) => recent,
        Err(error) => {
            tracing::debug!(bot = %bot.user_id, %error, "no recent messages to react to");
            return;
        }
    };
    let candidates: Vec<&Message> = recent.iter().filter(|m| reactable(m, bot)).collect();
    let (Some(message), Some(emoji)) = (candidates.choose(rng), EMOJI.choose(rng)) else {
        return;
    };
    let seq = message.seq;
    match settle(&channel, channel.add_reaction(seq, *emoji).await).await {
        Outcome::Done => ledger.record_reaction(),
        Outcome::Refused(error) => {
            // E.g. the message was recalled meanwhile (`message_recalled`).
            tracing::debug!(bot = %bot.user_id, %error, "reaction refused");
            ledger.record_change_refused();
        }
        Outcome::Unconfirmed => ledger.record_change_unconfirmed(),
    }
}
