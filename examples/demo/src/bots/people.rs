//! The bots as people: each has a persona (a display name, a presence status and a status
//! text, set through the SDK once it joined the communities, so every member's cache gets
//! it), types before it posts (`ChannelHandle::typing`, so the demo user sees "… is
//! typing…"), one of them writes to the demo user directly (a direct conversation, at
//! the start and now and then), and one sits in the guild's voice channel. Direct
//! messages and typing indicators are recorded in the [`Ledger`].

use community_sdk::Client;
use community_sdk::protocol::request::SetProfile;
use community_sdk::protocol::{ChannelId, CommunityId, PresenceStatus, UserId};
use rand::Rng;
use rand::seq::IndexedRandom;

use super::{Bot, CONFIRM_TIMEOUT, Target};
use crate::error::DemoError;
use crate::ledger::Ledger;

/// A bot's persona: its display name, presence and status text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persona {
    /// Shown instead of the bot's id.
    pub display_name: &'static str,
    /// Its presence.
    pub status: PresenceStatus,
    /// Its status text.
    pub text: &'static str,
}

const fn persona(
    display_name: &'static str,
    status: PresenceStatus,
    text: &'static str,
) -> Persona {
    Persona {
        display_name,
        status,
        text,
    }
}

/// The personas, in the order of [`super::BOT_NAMES`]: some idle, some not to be disturbed.
pub const PERSONAS: [Persona; 8] = [
    persona(
        "Nova Starfall",
        PresenceStatus::Online,
        "hosting the Book Club",
    ),
    persona(
        "Rook Keeper",
        PresenceStatus::DoNotDisturb,
        "in voice, raiding",
    ),
    persona("Ember Vale", PresenceStatus::Online, "say hi in DMs"),
    persona("Quill Scribe", PresenceStatus::Idle, "reading"),
    persona("Juniper Glade", PresenceStatus::Online, ""),
    persona("Orbit Runner", PresenceStatus::Idle, "afk, brb"),
    persona("Sable Night", PresenceStatus::DoNotDisturb, "speedrunning"),
    persona("Pixel Smith", PresenceStatus::Online, "making maps"),
];

/// The persona of the bot at `index` of [`super::BOT_NAMES`].
pub fn persona_of(index: usize) -> Persona {
    PERSONAS[index % PERSONAS.len()]
}

/// Which bot does what, by index among the bots started (`count` of them): the one that
/// writes to the demo user, and the one that sits in voice.
pub fn dm_bot(count: usize) -> Option<usize> {
    (count > 0).then(|| 2.min(count - 1))
}

/// The bot that sits in the guild's voice channel.
pub fn voice_bot(count: usize) -> Option<usize> {
    (count > 0).then(|| 1.min(count - 1))
}

/// Gives a bot its persona: its display name (everyone who shares a community with it
/// sees it) and its presence.
pub async fn dress(client: &Client, user_id: &UserId, persona: Persona) -> Result<(), DemoError> {
    client
        .set_profile(SetProfile {
            display_name: Some(persona.display_name.to_string()),
            ..SetProfile::default()
        })
        .await
        .map_err(DemoError::sdk(format!("{user_id} sets its profile")))?;
    client
        .set_presence(persona.status, persona.text)
        .await
        .map_err(DemoError::sdk(format!("{user_id} sets its presence")))?;
    Ok(())
}

/// Sits a bot down in a voice channel.
pub async fn sit_in_voice(
    client: &Client,
    user_id: &UserId,
    community_id: &CommunityId,
    channel_id: &ChannelId,
) -> Result<(), DemoError> {
    client
        .community(community_id)
        .channel(channel_id)
        .join_voice()
        .await
        .map_err(DemoError::sdk(format!("{user_id} joins the voice channel")))
}

/// Tells the readers of `target` that the bot is typing (the SDK sends it at most once
/// per `typing_interval_ms`); a refusal is only logged.
pub(super) async fn type_in(bot: &Bot, target: &Target, ledger: &Ledger) {
    let channel = bot
        .client
        .community(&target.community_id)
        .channel(&target.channel_id);
    match channel.typing().await {
        Ok(true) => ledger.record_typing(),
        Ok(false) => {}
        Err(error) => tracing::debug!(bot = %bot.user_id, %error, "typing refused"),
    }
}

/// What the bot writes to the demo user.
const DIRECT_LINES: [&str; 6] = [
    "hey! welcome to the guild — ping me here if you need anything",
    "psst, the raid is at eight tonight",
    "did you see the new pins in #general?",
    "I saved you a seat in the voice lounge",
    "thanks for joining the Book Club :)",
    "no rush, just checking in",
];

/// Writes one direct message to `to` (the first line the first time), typing first,
/// and waits (bounded) until it is stored; recorded in the ledger.
pub(super) async fn write_directly(
    bot: &Bot,
    to: &UserId,
    first: bool,
    ledger: &Ledger,
    rng: &mut impl Rng,
) {
    let conversation = match bot.client.direct_conversation(to.clone()).await {
        Ok(conversation) => conversation,
        Err(error) => {
            tracing::debug!(bot = %bot.user_id, %error, "no direct conversation");
            ledger.record_direct_failed();
            return;
        }
    };
    if let Ok(true) = conversation.typing().await {
        ledger.record_typing();
    }
    let text = if first {
        DIRECT_LINES[0]
    } else {
        DIRECT_LINES[1..].choose(rng).copied().unwrap_or("hi")
    };
    let outgoing = match conversation.send_text(text).await {
        Ok(outgoing) => outgoing,
        Err(error) => {
            tracing::debug!(bot = %bot.user_id, %error, "direct message refused");
            ledger.record_direct_failed();
            return;
        }
    };
    match tokio::time::timeout(CONFIRM_TIMEOUT, outgoing.sent()).await {
        Ok(Ok(_)) => ledger.record_direct(conversation.id()),
        Ok(Err(error)) => {
            tracing::debug!(bot = %bot.user_id, %error, "direct message refused");
            ledger.record_direct_failed();
        }
        Err(_) => ledger.record_direct_failed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_of_the_bots() {
        assert_eq!(dm_bot(0), None);
        assert_eq!((dm_bot(1), voice_bot(1)), (Some(0), Some(0)));
        assert_eq!((dm_bot(4), voice_bot(4)), (Some(2), Some(1)));
        assert_eq!(persona_of(1).status, PresenceStatus::DoNotDisturb);
        assert!(PERSONAS.iter().any(|p| p.status == PresenceStatus::Idle));
    }
}
