//! The channel's rows of the operations table. Those marked `.in_threads()` also work on
//! a thread's message stream (C: `csdk_thread_<method>`).

use crate::ops_table::On::Channel as Ch;
use crate::ops_table::P::*;
use crate::ops_table::{Op, R, cached, check, op};

/// The channel's operations.
pub(super) const CHANNEL: &[Op] = &[
    // ----- channel: cached reads -----
    cached(
        Ch,
        "entry",
        R::OptRecord("ChannelEntry"),
        "c.entry()",
        "The channel as cached, with its head (none when not visible or not cached).",
    ),
    cached(
        Ch,
        "unread",
        R::OptRecord("ChannelUnread"),
        "c.unread()",
        "Its unread and mention counts (none when not cached).",
    ),
    // ----- channel: operations -----
    op(
        Ch,
        "send",
        &[
            Json("content", "MessageContent"),
            JsonOr("options", "SendOptions"),
        ],
        R::Record("LocalMessage"),
        "c.send(content.into(), options.into())",
        "Sends a message. Returns at once with the local echo (state `sending`), already durable; it is sent when connected and ends `sent` or `failed` (await it with the client's `wait_for_send`).",
    )
    .in_threads(),
    op(
        Ch,
        "send_text",
        &[Str("text")],
        R::Record("LocalMessage"),
        "c.send_text(text)",
        "Sends a text message with default options (the local echo; see `send`).",
    )
    .in_threads(),
    op(
        Ch,
        "retry_send",
        &[Str("local_id")],
        R::Bool,
        "c.retry_send(&local_id)",
        "Puts a failed message back in the queue; false when it was not failed.",
    )
    .in_threads(),
    op(
        Ch,
        "discard",
        &[Str("local_id")],
        R::Bool,
        "c.discard(&local_id)",
        "Discards an unsent or failed message (timelines drop its echo); false when unknown or sent.",
    )
    .in_threads(),
    op(
        Ch,
        "pending",
        &[],
        R::List("LocalMessage"),
        "c.pending()",
        "The user's messages of this channel not sent yet, or failed.",
    )
    .in_threads(),
    op(
        Ch,
        "messages",
        &[U64OrZero("before_seq"), Plain("limit", "u32")],
        R::List("Message"),
        "c.messages(before_seq, limit)",
        "A page of history, whole and ascending: up to `limit` (1..=100) messages with `seq < before_seq` (the newest when none). Gaps are filled from the server.",
    )
    .in_threads(),
    op(
        Ch,
        "mark_read",
        &[Plain("seq", "u64")],
        R::Record("ChannelHead"),
        "c.mark_read(seq)",
        "Marks everything up to `seq` read (never backwards); returns the new head.",
    )
    .in_threads(),
    op(
        Ch,
        "mark_all_read",
        &[],
        R::Record("ChannelHead"),
        "c.mark_all_read()",
        "Marks every message read; returns the new head.",
    )
    .in_threads(),
    op(
        Ch,
        "update",
        &[Json("update", "ChannelUpdate")],
        R::Record("ChannelInfo"),
        "c.update(update.into())",
        "Changes the channel (`manage_channels`): also `follows_category` and `mute_all`; absent fields stay.",
    ),
    op(
        Ch,
        "delete",
        &[],
        R::Unit,
        "c.delete()",
        "Deletes the channel and its messages (`manage_channels`; not the default channel).",
    ),
    op(
        Ch,
        "add_members",
        &[Json("user_ids", "Vec<String>")],
        R::Record("UsersOutcome"),
        "c.add_members(user_ids.into_iter().map(Into::into).collect())",
        "Adds members to a private channel (`manage_channels`).",
    ),
    op(
        Ch,
        "remove_members",
        &[Json("user_ids", "Vec<String>")],
        R::Record("UsersOutcome"),
        "c.remove_members(user_ids.into_iter().map(Into::into).collect())",
        "Removes members from a private channel (`manage_channels`).",
    ),
    op(
        Ch,
        "members",
        &[],
        R::List("String"),
        "c.members()",
        "The explicit members of a private channel (user ids).",
    ),
    // ----- channel: the life of a message -----
    op(
        Ch,
        "edit_message",
        &[Plain("seq", "u64"), Json("edit", "MessageEdit")],
        R::Record("PendingChange"),
        "c.edit_message(seq, edit.into())",
        "Edits one's own text or custom message: new content, mentions or custom data (absent fields stay). Shown at once (`Updated`), kept durably and carried out when connected; a refused edit rolls back with the server's error (`not_author`, `message_recalled`, `not_editable`, limits). Await it with `wait_for_change`.",
    )
    .in_threads(),
    op(
        Ch,
        "recall_message",
        &[Plain("seq", "u64")],
        R::Record("PendingChange"),
        "c.recall_message(seq)",
        "Recalls a message for everyone (its content becomes `recalled`): one's own within `recall_window_ms`, any message with `manage_messages` (queued like an edit).",
    )
    .in_threads(),
    op(
        Ch,
        "add_reaction",
        &[Plain("seq", "u64"), Str("emoji")],
        R::Record("PendingChange"),
        "c.add_reaction(seq, emoji)",
        "Reacts to a message with an emoji (1..=`emoji_bytes` bytes); adding one the user has changes nothing (queued like an edit).",
    )
    .in_threads(),
    op(
        Ch,
        "remove_reaction",
        &[Plain("seq", "u64"), Str("emoji")],
        R::Record("PendingChange"),
        "c.remove_reaction(seq, emoji)",
        "Takes the user's reaction back (queued like an edit).",
    )
    .in_threads(),
    op(
        Ch,
        "pin_message",
        &[Plain("seq", "u64")],
        R::Record("PendingChange"),
        "c.pin_message(seq)",
        "Pins a message in the channel (`manage_messages`; at most `max_pins_per_channel`; queued like an edit).",
    )
    .in_threads(),
    op(
        Ch,
        "unpin_message",
        &[Plain("seq", "u64")],
        R::Record("PendingChange"),
        "c.unpin_message(seq)",
        "Unpins a message (`manage_messages`; queued like an edit).",
    )
    .in_threads(),
    op(
        Ch,
        "hide_message",
        &[Plain("seq", "u64")],
        R::Record("PendingChange"),
        "c.hide_message(seq)",
        "Deletes a message for the user only: it leaves the timelines of all their devices (`Removed`) and no longer counts as unread or as a mention (queued like an edit).",
    )
    .in_threads(),
    op(
        Ch,
        "wait_for_change",
        &[Str("key")],
        R::OptNum("u64", "change_seq"),
        "c.wait_for_change(&key)",
        "Waits until a change made on this device is carried out (its number in the channel's change sequence; none when nothing needed changing) or refused (the server's typed error; its echo is rolled back by then).",
    )
    .in_threads(),
    op(
        Ch,
        "pins",
        &[],
        R::List("Message"),
        "c.pins()",
        "The channel's pinned messages, the most recently pinned first (asks the server).",
    )
    .in_threads(),
    // ----- channel: roles and permissions -----
    cached(
        Ch,
        "permissions",
        R::OptNum("u64", "permissions"),
        "c.permissions().map(|p| p.0)",
        "What the user may do in this channel (a `PermissionFlag` bit set), computed from the cache as the server computes it (a greyed-out button here is a refusal there); none when not cached.",
    ),
    check(
        Ch,
        "check_operation",
        &[Str("op")],
        "c.check_operation(&op)",
        "Whether the user may do operation `op` (a protocol operation name such as `send_message` or `pin_message`) in this channel, from the cache: nothing when allowed (or when the cache cannot tell), else the error the server would give.",
    )
    .in_threads(),
    check(
        Ch,
        "check_send",
        &[
            Json("content", "MessageContent"),
            JsonOr("mentions", "Mentions"),
        ],
        "c.check_send(&content.into(), &mentions.into())",
        "Whether the user may post `content` mentioning `mentions` here, from the cache: `send_messages`, plus `attach_media` for media and `mention_everyone` for `@everyone` or a group that is not mentionable; else the error the server would give.",
    )
    .in_threads(),
    op(
        Ch,
        "set_override",
        &[Json("rule", "Override")],
        R::Record("ChannelInfo"),
        "c.set_override(rule.into())",
        "Sets the channel's override for a group or a member; nothing allowed or denied removes it (`manage_channels`).",
    ),
    op(
        Ch,
        "set_notification_level",
        &[Enum("level", "ChannelNotification")],
        R::Record("ChannelHead"),
        "c.set_notification_level(level.into())",
        "Sets the user's notification level of this channel on all their devices: what of its counts reaches the community's sums and the totals (mentions still count with `mentions_only`).",
    ),
    op(
        Ch,
        "forward",
        &[
            Json("original", "MessageRef"),
            JsonOr("options", "SendOptions"),
        ],
        R::Record("LocalMessage"),
        "c.forward(original.into(), options.into())",
        "Forwards a message (of any channel the user can read) to this channel: the server copies its content and records where it came from (`forwarded_from`). Queued like a send (the local echo; await it with `wait_for_send`).",
    )
    .in_threads(),
];
