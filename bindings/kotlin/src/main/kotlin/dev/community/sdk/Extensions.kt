// The thin idiomatic Kotlin layer over the generated bindings (community_sdk_ffi.kt):
// subscriptions as cold Flows (collecting subscribes, cancelling the collector cancels the
// SDK subscription), the fields every SdkException variant carries, on the base type, and
// permission sets tested with `in` (`PermissionFlag.MANAGE_MESSAGES in channel.permissions()!!`),
// and a search snippet's highlights as ranges of the Kotlin string (UTF-16).
// Async SDK methods are already `suspend` functions in the generated code.
package dev.community.sdk

import kotlinx.coroutines.channels.Channel as KChannel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.launch

/** Connection states: the current one, then each change. */
fun Client.connectionStates(): Flow<ConnectionState> = callbackFlow {
    val handle = subscribeConnection(object : ConnectionListener {
        override fun onUpdate(state: ConnectionState) { trySend(state) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/** The joined-community list: `Reset` first, then diffs, in batches. */
fun Client.communityListChanges(): Flow<List<CommunityListDiff>> = callbackFlow {
    val handle = subscribeCommunities(object : CommunityListListener {
        override fun onUpdate(diffs: List<CommunityListDiff>) { trySend(diffs) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/** Unread counts: everything first (`reset = true`), then what changed. */
fun Client.unreadUpdates(): Flow<UnreadUpdate> = callbackFlow {
    val handle = subscribeUnread(object : UnreadListener {
        override fun onUpdate(update: UnreadUpdate) { trySend(update) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/** A community's channel list: `Reset` first, then diffs, in batches. */
fun Community.channelListChanges(): Flow<List<ChannelListDiff>> = callbackFlow {
    val handle = subscribeChannels(object : ChannelListListener {
        override fun onUpdate(diffs: List<ChannelListDiff>) { trySend(diffs) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/**
 * A channel's timeline: `Reset` first, then new (`Inserted`), changed (`Updated`: edits,
 * recalls, reactions, pins, reply previews) and hidden (`Removed`) messages, this device's
 * changes (`Change`) and local echo changes.
 */
fun Channel.messageUpdates(): Flow<List<MessageUpdate>> = callbackFlow {
    val handle = subscribeMessages(object : MessageListener {
        override fun onUpdate(updates: List<MessageUpdate>) { trySend(updates) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/**
 * A channel's thread list: `Reset` with its active threads first, then threads started or
 * changed (`Update`: renamed, archived, locked, active) and deleted (`Remove`, by thread id).
 */
fun Channel.threadListChanges(): Flow<List<ThreadListDiff>> = callbackFlow {
    val handle = subscribeThreads(object : ThreadListListener {
        override fun onUpdate(diffs: List<ThreadListDiff>) { trySend(diffs) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/**
 * The conversation list: the cached list (newest activity first) as `Reset`, then
 * conversations started, renamed, grown, active or read (`Insert` / `Update`) and left
 * (`Remove`, by conversation id).
 */
fun Client.conversationListChanges(): Flow<List<ConversationListDiff>> = callbackFlow {
    val handle = subscribeConversations(object : ConversationListListener {
        override fun onUpdate(diffs: List<ConversationListDiff>) { trySend(diffs) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/** Profiles as they change (of [userIds] only, when given): the cached ones of those users first. */
fun Client.profileChanges(userIds: List<String>? = null): Flow<List<Profile>> = callbackFlow {
    val handle = subscribeProfiles(userIds, object : ProfileListener {
        override fun onUpdate(profiles: List<Profile>) { trySend(profiles) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/**
 * Presence values as they change, without asking the server (of [userIds] only, when given;
 * followed users and members of the viewed community otherwise). Follow users first with
 * `subscribePresence`.
 */
fun Client.presenceChanges(userIds: List<String>? = null): Flow<List<Presence>> = callbackFlow {
    val handle = presenceStream(userIds, object : PresenceListener {
        override fun onUpdate(presences: List<Presence>) { trySend(presences) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/** A viewed community's online member count: the count now (0 until known), then its changes. */
fun Community.onlineCounts(): Flow<ULong> = callbackFlow {
    val handle = subscribeOnlineCount(object : OnlineCountListener {
        override fun onUpdate(online: ULong) { trySend(online) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/** Who sits in the community's voice channels: the list now, then the whole list after every change. */
fun Community.voiceChanges(): Flow<List<VoiceParticipant>> = callbackFlow {
    val handle = subscribeVoice(object : VoiceListener {
        override fun onUpdate(participants: List<VoiceParticipant>) { trySend(participants) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/** Who is typing in this channel, thread or conversation: the list now, then the whole list after every change. */
fun Channel.typingChanges(): Flow<List<String>> = callbackFlow {
    val handle = subscribeTyping(object : TypingListener {
        override fun onUpdate(userIds: List<String>) { trySend(userIds) }
    })
    awaitClose { handle.close() }
}.buffer(KChannel.UNLIMITED)

/**
 * Ranges of the community's member list (sorted by highest group, online before offline, then
 * name), following [ranges]: a `Reset` first, then `Changed` operations; each new value of
 * [ranges] scrolls (`setRanges`), its windows arriving as a `Reset`. Collecting subscribes
 * (replacing the session's previous member list subscription); cancelling the collector stops
 * following. Ranges out of the limits fail the flow with `invalid_member_list_range` (5038).
 */
fun Community.memberListUpdates(ranges: StateFlow<List<ListRange>>): Flow<MemberListUpdate> = callbackFlow {
    var current = ranges.value
    val subscription = subscribeMemberList(current, object : MemberListListener {
        override fun onUpdate(update: MemberListUpdate) { trySend(update) }
    })
    val scrolling = launch {
        ranges.collect { wanted ->
            if (wanted != current) {
                current = wanted
                subscription.setRanges(wanted)
            }
        }
    }
    awaitClose {
        scrolling.cancel()
        subscription.close()
    }
}.buffer(KChannel.UNLIMITED)

/** Whether this permission set (`Channel.permissions()`, a group's `permissions`) holds [flag]. */
operator fun ULong.contains(flag: PermissionFlag): Boolean = this and flag.value == flag.value

/** The permission set of [flags], e.g. `permissionsOf(PermissionFlag.MANAGE_MESSAGES, PermissionFlag.KICK_MEMBERS)`. */
fun permissionsOf(vararg flags: PermissionFlag): ULong = flags.fold(0uL) { set, flag -> set or flag.value }

/**
 * The snippet's highlights as index ranges of [Snippet.text] (a Kotlin, UTF-16 string), for
 * `text.substring(range)`, `SpannableString.setSpan(…, range.first, range.last + 1, …)` or an
 * `AnnotatedString`. The SDK gives them as byte ranges of the UTF-8 text ([Highlight.start],
 * [Highlight.end]): a CJK character is 3 bytes but 1 UTF-16 unit, an emoji 4 bytes but 2.
 */
fun Snippet.highlightRanges(): List<IntRange> {
    if (highlights.isEmpty()) return emptyList()
    // utf16At[b]: the UTF-16 index of the character holding UTF-8 byte b (the end at the end).
    val utf16At = IntArray(utf8Length(text) + 1)
    var byte = 0
    var index = 0
    while (index < text.length) {
        val codePoint = text.codePointAt(index)
        val bytes = utf8Bytes(codePoint)
        for (b in byte until byte + bytes) utf16At[b] = index
        byte += bytes
        index += Character.charCount(codePoint)
    }
    utf16At[byte] = text.length
    return highlights.map { h ->
        val start = utf16At[h.start.toInt().coerceIn(0, byte)]
        val end = utf16At[h.end.toInt().coerceIn(0, byte)]
        start until maxOf(start, end)
    }
}

/** The highlighted parts of [Snippet.text], in order (e.g. `["東京"]` for a search of "東京"). */
fun Snippet.highlightedTexts(): List<String> = highlightRanges().map { text.substring(it) }

private fun utf8Bytes(codePoint: Int): Int = when {
    codePoint < 0x80 -> 1
    codePoint < 0x800 -> 2
    codePoint < 0x10000 -> 3
    else -> 4
}

private fun utf8Length(text: String): Int {
    var bytes = 0
    var index = 0
    while (index < text.length) {
        val codePoint = text.codePointAt(index)
        bytes += utf8Bytes(codePoint)
        index += Character.charCount(codePoint)
    }
    return bytes
}

/** The stable numeric code of any variant (the protocol's code, or SDK-local ≥ 10000). */
val SdkException.code: UInt
    get() = fields().first

/** The code's snake_case name of any variant, e.g. `name_too_long`. */
val SdkException.name: String
    get() = fields().second

/** Details for developers of any variant. */
val SdkException.detail: String
    get() = fields().third

private fun SdkException.fields(): Triple<UInt, String, String> = when (this) {
    is SdkException.Protocol -> Triple(code, name, detail)
    is SdkException.Auth -> Triple(code, name, detail)
    is SdkException.NotFound -> Triple(code, name, detail)
    is SdkException.Permission -> Triple(code, name, detail)
    is SdkException.Limit -> Triple(code, name, detail)
    is SdkException.Server -> Triple(code, name, detail)
    is SdkException.Connection -> Triple(code, name, detail)
    is SdkException.Store -> Triple(code, name, detail)
    is SdkException.Closed -> Triple(code, name, detail)
    is SdkException.Internal -> Triple(code, name, detail)
    is SdkException.Unknown -> Triple(code, name, detail)
}
