//! Seeding: the communities the demo shows, created through the SDK by the demo user
//! (who becomes their owner), as an app's onboarding code would.
//!
//! "Pixel Guild" has four categories and a dozen channels, one of them private, one an
//! announcement channel and one a voice channel (`voice-lounge`, where a bot sits); "Book Club" is small, with four channels and no categories, one
//! of them (`#rules`) read-only for `@everyone`, and two groups, "mods" and "readers"
//! (see [`crate::roles`]). With the embedded server the first bot creates the Book Club,
//! so that the demo user is an ordinary member there.

use community_sdk::protocol::request::CreateCommunity;
use community_sdk::protocol::{CategoryInfo, ChannelId, ChannelKind, CommunityId, Role, UserId};
use community_sdk::{ChannelUpdate, Client, NewChannel};

use crate::error::DemoError;
use crate::roles;

/// A channel the seeding created (or the default channel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededChannel {
    /// Its id.
    pub channel_id: ChannelId,
    /// Its name.
    pub name: String,
    /// Text or announcement.
    pub kind: ChannelKind,
    /// Private (only added members, owner and admins).
    pub private: bool,
    /// The community's default channel.
    pub is_default: bool,
    /// Read-only for `@everyone` (an override denies `send_messages`).
    pub read_only: bool,
}

/// A community the seeding created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededCommunity {
    /// Its id.
    pub community_id: CommunityId,
    /// Its name.
    pub name: String,
    /// Its categories.
    pub categories: Vec<CategoryInfo>,
    /// Its channels, default channel first.
    pub channels: Vec<SeededChannel>,
}

impl SeededCommunity {
    /// The default channel.
    pub fn default_channel(&self) -> Option<&SeededChannel> {
        self.channels.iter().find(|c| c.is_default)
    }

    /// The channel with this id.
    pub fn channel(&self, channel_id: &ChannelId) -> Option<&SeededChannel> {
        self.channels.iter().find(|c| c.channel_id == *channel_id)
    }

    /// The first voice channel.
    pub fn voice_channel(&self) -> Option<&SeededChannel> {
        self.channels.iter().find(|c| c.kind == ChannelKind::Voice)
    }
}

struct ChannelSpec {
    name: &'static str,
    category: usize,
    kind: ChannelKind,
    private: bool,
    introduction: &'static str,
}

const fn text(name: &'static str, category: usize, introduction: &'static str) -> ChannelSpec {
    ChannelSpec {
        name,
        category,
        kind: ChannelKind::Text,
        private: false,
        introduction,
    }
}

const GUILD_NAME: &str = "Pixel Guild";
const GUILD_CATEGORIES: [&str; 4] = ["Welcome", "Chat", "Games", "Staff"];
/// The category the default channel (`general`) is moved to.
const GUILD_GENERAL_CATEGORY: usize = 1;
const GUILD_CHANNELS: [ChannelSpec; 12] = [
    ChannelSpec {
        name: "announcements",
        category: 0,
        kind: ChannelKind::Announcement,
        private: false,
        introduction: "News from the guild staff (only admins post here).",
    },
    text("rules", 0, "Be kind. No spoilers outside #spoilers."),
    text("introductions", 1, "Say hi and tell us what you play."),
    text("off-topic", 1, "Anything goes (almost)."),
    text("music", 1, "What is on your playlist?"),
    text("memes", 1, "Quality memes only."),
    ChannelSpec {
        name: "voice-lounge",
        category: 1,
        kind: ChannelKind::Voice,
        private: false,
        introduction: "Hang out by voice: who sits here shows under the channel.",
    },
    text("looking-for-group", 2, "Find people to play with."),
    text("strategy", 2, "Builds, routes and theorycrafting."),
    text("screenshots", 2, "Show off your best moments."),
    text("speedruns", 2, "PBs, splits and glitches."),
    ChannelSpec {
        name: "mod-lounge",
        category: 3,
        kind: ChannelKind::Text,
        private: true,
        introduction: "Staff only.",
    },
];

const CLUB_NAME: &str = "Book Club";
/// The Book Club's channels besides `#general`, and whether each is read-only.
const CLUB_CHANNELS: [(&str, bool); 3] =
    [("now-reading", false), ("reviews", false), ("rules", true)];

/// Creates the demo's communities as the logged-in user of `client` (their owner).
pub async fn seed(client: &Client) -> Result<Vec<SeededCommunity>, DemoError> {
    Ok(vec![seed_guild(client).await?, seed_club(client).await?])
}

async fn create(client: &Client, name: &str, notice: &str) -> Result<SeededCommunity, DemoError> {
    let params = CreateCommunity {
        name: name.to_string(),
        notice: notice.to_string(),
        ..CreateCommunity::default()
    };
    let community = client
        .create_community(params)
        .await
        .map_err(DemoError::sdk(format!("create community {name}")))?;
    let entry = community.entry().ok_or_else(|| {
        DemoError::Setup(format!(
            "community {name} is not in the cache after creation"
        ))
    })?;
    Ok(SeededCommunity {
        community_id: entry.info.community_id.clone(),
        name: entry.info.name.clone(),
        categories: Vec::new(),
        channels: vec![SeededChannel {
            channel_id: entry.info.default_channel_id.clone(),
            name: "general".to_string(),
            kind: ChannelKind::Text,
            private: false,
            is_default: true,
            read_only: false,
        }],
    })
}

/// Creates the Pixel Guild as the user of `client`.
pub async fn seed_guild(client: &Client) -> Result<SeededCommunity, DemoError> {
    let mut seeded = create(
        client,
        GUILD_NAME,
        "Welcome to the Pixel Guild! Read #rules first.",
    )
    .await?;
    let community = client.community(&seeded.community_id);
    for (position, name) in (0_i64..).zip(GUILD_CATEGORIES) {
        let category = community
            .create_category(name, Some(position))
            .await
            .map_err(DemoError::sdk(format!("create category {name}")))?;
        seeded.categories.push(category);
    }
    let category_id = |index: usize| seeded.categories.get(index).map(|c| c.category_id.clone());
    let general_category = category_id(GUILD_GENERAL_CATEGORY);
    let specs: Vec<(NewChannel, &ChannelSpec)> = (0_i64..)
        .zip(GUILD_CHANNELS.iter())
        .map(|(position, spec)| {
            let channel = NewChannel {
                name: spec.name.to_string(),
                kind: spec.kind,
                introduction: spec.introduction.to_string(),
                category_id: category_id(spec.category),
                position: Some(position + 1),
                private: spec.private,
                ..NewChannel::default()
            };
            (channel, spec)
        })
        .collect();
    if let Some(general) = seeded.default_channel() {
        let update = ChannelUpdate {
            category_id: general_category,
            position: Some(0),
            introduction: Some("The main hall.".to_string()),
            ..ChannelUpdate::default()
        };
        community
            .channel(&general.channel_id)
            .update(update)
            .await
            .map_err(DemoError::sdk("move general into its category"))?;
    }
    for (channel, spec) in specs {
        let handle = community
            .create_channel(channel)
            .await
            .map_err(DemoError::sdk(format!("create channel {}", spec.name)))?;
        seeded.channels.push(SeededChannel {
            channel_id: handle.id().clone(),
            name: spec.name.to_string(),
            kind: spec.kind,
            private: spec.private,
            is_default: false,
            read_only: false,
        });
    }
    Ok(seeded)
}

/// Creates the Book Club as the user of `client`: its channels, `#rules` read-only, and
/// its groups.
pub async fn seed_club(client: &Client) -> Result<SeededCommunity, DemoError> {
    let mut seeded = create(client, CLUB_NAME, "One book a month. Read #rules.").await?;
    let community = client.community(&seeded.community_id);
    for (name, read_only) in CLUB_CHANNELS {
        let handle = community
            .create_channel(NewChannel {
                name: name.to_string(),
                ..NewChannel::default()
            })
            .await
            .map_err(DemoError::sdk(format!("create channel {name}")))?;
        if read_only {
            roles::make_read_only(&handle).await?;
        }
        seeded.channels.push(SeededChannel {
            channel_id: handle.id().clone(),
            name: name.to_string(),
            kind: ChannelKind::Text,
            private: false,
            is_default: false,
            read_only,
        });
    }
    roles::create_groups(&community).await?;
    Ok(seeded)
}

/// After the bots joined: makes `admin` an admin of every seeded community `owner` owns
/// (so it may post announcements) and adds `private_members` to every private channel.
pub async fn admit_bots(
    owner: &Client,
    communities: &[SeededCommunity],
    admin: Option<&UserId>,
    private_members: &[UserId],
) -> Result<(), DemoError> {
    for seeded in communities {
        let community = owner.community(&seeded.community_id);
        let owns = community
            .entry()
            .is_some_and(|e| e.info.owner_id == e.me.user_id);
        if !owns {
            continue;
        }
        if let Some(admin) = admin {
            community
                .set_member_role(admin, Role::Admin)
                .await
                .map_err(DemoError::sdk(format!("make {admin} an admin")))?;
        }
        if private_members.is_empty() {
            continue;
        }
        for channel in seeded.channels.iter().filter(|c| c.private) {
            let outcome = community
                .channel(&channel.channel_id)
                .add_members(private_members.to_vec())
                .await
                .map_err(DemoError::sdk(format!("add bots to {}", channel.name)))?;
            if let Some(failed) = outcome.failed.first() {
                return Err(DemoError::Setup(format!(
                    "cannot add {} to {}: {}",
                    failed.user_id, channel.name, failed.error
                )));
            }
        }
    }
    Ok(())
}
