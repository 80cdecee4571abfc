// The bindings scenario in Kotlin (JVM + JNA) against a real community-server started by
// tests/bindings.sh (CSDK_SERVER_URL, CSDK_TOKEN_ALICE, CSDK_TOKEN_BOB, CSDK_TOKEN_CAROL;
// the member list in MemberListTest.kt, push tokens in PushTest.kt). Prints
// "N passed, N failed" as its last line.
import dev.community.sdk.*
import java.nio.file.Files
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import kotlin.system.exitProcess
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout

var passed = 0
var failed = 0

suspend fun test(name: String, body: suspend () -> Unit) {
    try {
        withTimeout(60_000) { body() }
        passed++
        println("ok   $name")
    } catch (e: Throwable) {
        failed++
        println("FAIL $name: $e")
    }
}

fun check(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

fun env(name: String): String = System.getenv(name) ?: error("missing $name (run tests/bindings.sh)")

/** Collects the texts of messages a listener sees; optionally throws on every call. */
class Collector(private val throwing: Boolean = false) : MessageListener {
    val texts: MutableSet<String> = ConcurrentHashMap.newKeySet()
    val updated: MutableList<Message> = java.util.Collections.synchronizedList(mutableListOf())
    val calls = AtomicInteger()
    val threads: MutableSet<String> = ConcurrentHashMap.newKeySet()
    var expected = 0
    val done = CompletableDeferred<Unit>()

    override fun onUpdate(updates: List<MessageUpdate>) {
        calls.incrementAndGet()
        threads.add(Thread.currentThread().name)
        for (update in updates) {
            when (update) {
                is MessageUpdate.Inserted -> add(update.message)
                is MessageUpdate.Reset -> update.messages.forEach(::add)
                is MessageUpdate.Updated -> updated.add(update.message)
                is MessageUpdate.Removed, is MessageUpdate.Change,
                is MessageUpdate.Local, is MessageUpdate.Discarded, MessageUpdate.Unknown -> {}
            }
        }
        if (expected > 0 && texts.size >= expected) done.complete(Unit)
        if (throwing) throw IllegalStateException("a listener that always throws")
    }

    private fun add(message: Message) {
        (message.content as? MessageContent.Text)?.let { texts.add(it.text) }
    }
}

/** Keeps the SDK's log records (called on the callback thread). */
class LogCollector : LogListener {
    val records: MutableList<LogRecord> = java.util.Collections.synchronizedList(mutableListOf())

    override fun onLog(record: LogRecord) {
        records.add(record)
    }

    fun logins(): List<LogRecord> = synchronized(records) { records.filter { it.message.startsWith("logged in") } }
}

/** The cached copy of message [seq] once [done] holds for it (bounded polling). */
suspend fun cachedUntil(channel: Channel, seq: ULong, done: (Message) -> Boolean): Message {
    var last: Message? = null
    repeat(300) {
        last = channel.messages(seq + 1UL, 1u).firstOrNull { it.seq == seq }
        if (last?.let(done) == true) return last!!
        delay(100)
    }
    throw AssertionError("message $seq stayed $last")
}

/** [read]'s value once [done] holds for it (bounded polling), or the last one. */
suspend fun <T> poll(read: () -> T, done: (T) -> Boolean): T {
    var value = read()
    repeat(300) {
        if (done(value)) return value
        delay(100)
        value = read()
    }
    return value
}

fun main() {
    runBlocking { scenario() }
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}

suspend fun scenario(): Unit = coroutineScope {
    val url = env("CSDK_SERVER_URL")
    val base = Files.createTempDirectory("csdk-kotlin")
    suspend fun client(user: String, token: String): Client {
        val client = Client.create(ClientOptions(serverUrl = url, dataDir = "$base/$user", deviceId = "kt-$user"))
        val outcome = client.login(user, token)
        check(outcome == LoginOutcome.SYNCED) { "login outcome $outcome" }
        return client
    }
    lateinit var alice: Client
    lateinit var bob: Client
    lateinit var communityId: String
    lateinit var channelId: String

    val logs = LogCollector()
    setLogListener(LogLevel.INFO, logs)

    test("version() is the workspace version") { check(version() == env("CSDK_EXPECTED_VERSION")) { version() } }

    test("two users log in") {
        alice = client("alice", env("CSDK_TOKEN_ALICE"))
        bob = client("bob", env("CSDK_TOKEN_BOB"))
        check(alice.userId() == "alice") { "user id ${alice.userId()}" }
        val state = alice.connectionStates().first { it is ConnectionState.Connected }
        check(state == ConnectionState.Connected) { "state $state" }
    }

    test("the SDK's log reaches the app through the log bridge") {
        repeat(300) { if (logs.logins().isEmpty()) delay(10) }
        val login = logs.logins().firstOrNull()
        check(login != null) { "no login logged: ${logs.records.size} records" }
        check(login!!.level == LogLevel.INFO && login.target.startsWith("community_sdk")) { "record $login" }
        setLogListener(LogLevel.INFO, null)
    }

    test("alice creates a community and a channel; bob joins") {
        val community = alice.createCommunity(NewCommunity(name = "Kotlin guild", joinPolicy = JoinPolicy.FREE))
        communityId = community.id()
        channelId = community.createChannel(NewChannel(name = "kt-chat", kind = ChannelKind.TEXT)).id()
        val outcome = bob.joinCommunity(communityId, "")
        check(outcome is JoinOutcome.Joined) { "outcome $outcome" }
        check(bob.communities().any { it.info.communityId == communityId }) { "bob's list" }
    }

    test("the receiver's listener sees all 10 messages; a throwing listener keeps receiving") {
        val bobChannel = bob.community(communityId).channel(channelId)
        val collector = Collector().apply { expected = 10 }
        val throwing = Collector(throwing = true).apply { expected = 10 }
        val handle = bobChannel.subscribeMessages(collector)
        val throwingHandle = bobChannel.subscribeMessages(throwing)
        val aliceChannel = alice.community(communityId).channel(channelId)
        // The server wrote "channel created" into the channel (system messages are on).
        val base = aliceChannel.entry()!!.head.lastSeq
        check(base >= 1UL) { "no system message: last seq $base" }
        val echoes = (0 until 10).map { async { aliceChannel.sendText("message $it") } }.awaitAll()
        val seqs = echoes.map { alice.waitForSend(it.localId) }
        check(seqs.sorted() == (base + 1UL..base + 10UL).toList()) { "sequences $seqs after $base" }
        collector.done.await()
        throwing.done.await()
        check(collector.texts == (0 until 10).map { "message $it" }.toSet()) { "texts ${collector.texts}" }
        check(throwing.calls.get() >= 2) { "the throwing listener was called ${throwing.calls.get()} times" }
        check("main" !in collector.threads) { "threads ${collector.threads}" }
        handle.cancel()
        check(handle.isCancelled()) { "cancelled" }
        throwingHandle.close()
    }

    test("unread 10 -> mark_read -> 0") {
        val channel = bob.community(communityId).channel(channelId)
        var unread = channel.unread()
        repeat(300) {
            if (unread?.unreadCount == 10UL) return@repeat
            delay(100)
            unread = channel.unread()
        }
        check(unread?.unreadCount == 10UL) { "unread $unread" }
        val head = channel.markRead(unread!!.lastSeq)
        check(head.unreadCount == 0UL) { "head $head" }
        check(channel.unread()?.unreadCount == 0UL) { "after ${channel.unread()}" }
    }

    test("a page of history and a page of members come whole in one call") {
        val page = bob.community(communityId).channel(channelId).messages(null, 100u)
        check(page.count { (it.content as? MessageContent.Text)?.text?.startsWith("message ") == true } == 10) { "page $page" }
        val members = alice.community(communityId).members(null, null, null)
        check(members.totalCount == 2UL && members.items.map { it.userId }.toSet() == setOf("alice", "bob")) { "members $members" }
    }

    test("edit, react, pin, reply and recall reach the other member; refusals are typed") {
        val aliceChannel = alice.community(communityId).channel(channelId)
        val bobChannel = bob.community(communityId).channel(channelId)
        check(alice.community(communityId).entry()?.info?.systemMessages == true) { "system messages" }
        val collector = Collector()
        val handle = aliceChannel.subscribeMessages(collector)
        val echo = bobChannel.send(
            MessageContent.Text("first draft"),
            SendOptions(priority = Priority.NORMAL, customData = "{\"mood\":\"calm\"}"),
        )
        val seq = bob.waitForSend(echo.localId)

        val edit = MessageEdit(content = MessageContent.Text("final text"))
        val change = bobChannel.editMessage(seq, edit)
        check(change.action is ChangeAction.Edit && change.state == ChangeState.Pending) { "change $change" }
        check((bobChannel.waitForChange(change.key) ?: 0UL) >= 1UL) { "no change sequence" }
        val edited = cachedUntil(aliceChannel, seq) { it.content == edit.content }
        check(edited.editCount == 1u && edited.editedAtMs != null && edited.customData == "{\"mood\":\"calm\"}") { "edited $edited" }

        for ((channel, client) in listOf(aliceChannel to alice, bobChannel to bob)) {
            client.waitForChange(channel.addReaction(seq, "👍").key)
        }
        val reacted = cachedUntil(aliceChannel, seq) { it.reactions.firstOrNull()?.count == 2u }
        val thumbs = reacted.reactions.single()
        check(thumbs.emoji == "👍" && thumbs.me && thumbs.users.toSet() == setOf("alice", "bob")) { "reaction $thumbs" }

        aliceChannel.waitForChange(aliceChannel.pinMessage(seq).key)
        val pinned = cachedUntil(aliceChannel, seq) { it.pinned != null }
        check(pinned.pinned?.by == "alice") { "pin ${pinned.pinned}" }
        check(aliceChannel.pins().map { it.seq } == listOf(seq)) { "pins" }

        try {
            bobChannel.pinMessage(seq)
            throw AssertionError("a plain member pinned")
        } catch (e: SdkException.Permission) {
            check(e.code == 4000u && e.name == "permission_denied") { "error $e" }
        }
        try {
            aliceChannel.editMessage(seq, edit)
            throw AssertionError("edited another's message")
        } catch (e: SdkException.Permission) {
            check(e.code == 4011u && e.name == "not_author") { "error $e" }
        }

        val reply = aliceChannel.send(MessageContent.Text("agreed"), SendOptions(priority = Priority.NORMAL, replyTo = seq))
        val replySeq = alice.waitForSend(reply.localId)
        val preview = cachedUntil(aliceChannel, replySeq) { it.replyPreview != null }.replyPreview!!
        check(preview.seq == seq && preview.text == "final text" && preview.state == PreviewState.EDITED) { "preview $preview" }

        bob.waitForChange(bobChannel.recallMessage(seq).key)
        val recalled = cachedUntil(aliceChannel, seq) { it.content is MessageContent.Recalled }
        check((recalled.content as MessageContent.Recalled).by == "bob") { "recalled $recalled" }
        check(recalled.reactions.isEmpty() && recalled.pinned == null) { "tombstone $recalled" }
        val after = cachedUntil(aliceChannel, replySeq) { it.replyPreview?.state == PreviewState.RECALLED }
        check(after.replyPreview?.text == "") { "preview after recall ${after.replyPreview}" }
        repeat(300) { if (collector.updated.none { it.seq == seq && it.content is MessageContent.Recalled }) delay(100) }
        check(collector.updated.any { it.seq == seq && it.content is MessageContent.Recalled }) { "no Updated tombstone" }
        handle.close()
        try {
            aliceChannel.addReaction(seq, "🎉")
            throw AssertionError("reacted to a recalled message")
        } catch (e: SdkException.NotFound) {
            check(e.code == 3010u && e.name == "message_recalled") { "error $e" }
        }
    }

    test("a moderator group, a read-only channel, a ban and a notification level; refusals are typed") {
        val community = alice.createCommunity(NewCommunity(name = "Kotlin roles", joinPolicy = JoinPolicy.FREE))
        val rules = community.createChannel(NewChannel(name = "rules", kind = ChannelKind.TEXT))
        bob.joinCommunity(community.id(), "")
        val bobCommunity = bob.community(community.id())
        val bobRules = bobCommunity.channel(rules.id())

        // A read-only channel: @everyone may not send there (the owner still may).
        val info = rules.setOverride(
            Override(target = OverrideTarget.Group("everyone"), allow = 0uL, deny = PermissionFlag.SEND_MESSAGES.value),
        )
        check(info.overrides.single().deny == PermissionFlag.SEND_MESSAGES.value) { "overrides ${info.overrides}" }
        val seq = alice.waitForSend(rules.sendText("be kind").localId)
        val readOnly = poll({ bobRules.permissions() }) { it != null && PermissionFlag.SEND_MESSAGES !in it }!!
        check(PermissionFlag.VIEW_CHANNEL in readOnly && PermissionFlag.SEND_MESSAGES !in permissionFlags(readOnly)) { "flags $readOnly" }
        try {
            bobRules.checkOperation("send_message")
            throw AssertionError("may send in a read-only channel")
        } catch (e: SdkException.Permission) {
            check(e.code == 4000u && e.name == "permission_denied") { "error $e" }
        }
        try {
            bobRules.pinMessage(seq)
            throw AssertionError("pinned without manage_messages")
        } catch (e: SdkException.Permission) {
            check(e.code == 4000u) { "error $e" }
        }

        // A moderator group, given to bob: now he may pin (still not send) in #rules.
        val modFlags = permissionsOf(
            PermissionFlag.MANAGE_MESSAGES, PermissionFlag.KICK_MEMBERS, PermissionFlag.MUTE_MEMBERS, PermissionFlag.MANAGE_ROLES,
        )
        val mods = community.createGroup(NewGroup(name = "mods", permissions = modFlags))
        check(mods.position == 1L && mods.permissions == modFlags) { "group $mods" }
        check(permissionNames(mods.permissions).first() == "manage_messages") { "names" }
        check(community.groups().map { it.groupId } == listOf("everyone", mods.groupId)) { "groups ${community.groups()}" }
        val member = community.assignGroup("bob", mods.groupId)
        check(member.groups == listOf(mods.groupId)) { "member $member" }
        val moderator = poll({ bobRules.permissions() }) { it != null && PermissionFlag.MANAGE_MESSAGES in it }!!
        check(PermissionFlag.SEND_MESSAGES !in moderator) { "flags $moderator" }
        bobRules.checkOperation("pin_message")
        bobCommunity.checkOperation("kick_member")
        bob.waitForChange(bobRules.pinMessage(seq).key)
        try {
            bobCommunity.updateGroup(mods.groupId, GroupUpdate(color = 0xFF0000u))
            throw AssertionError("changed his own group")
        } catch (e: SdkException.Permission) {
            check(e.code == 4014u && e.name == "cannot_act_on_higher") { "error $e" }
        }

        // Member fields, and the member list filtered by group.
        check(community.setMemberFields("bob", mapOf("team" to "blue")).customFields == mapOf("team" to "blue")) { "fields" }
        val page = community.findMembers(MembersQuery(groupId = mods.groupId))
        check(page.items.map { it.userId } == listOf("bob")) { "page $page" }

        // A ban keeps bob out until it is lifted.
        community.ban("bob", null, "spam")
        val bans = community.bans()
        check(bans.map { Triple(it.userId, it.reason, it.untilMs) } == listOf(Triple("bob", "spam", null))) { "bans $bans" }
        poll({ bobCommunity.entry() }) { it == null }
        try {
            bob.joinCommunity(community.id(), "")
            throw AssertionError("a banned user joined")
        } catch (e: SdkException.Permission) {
            check(e.code == 4013u && e.name == "banned") { "error $e" }
        }
        community.unban("bob")
        check(bob.joinCommunity(community.id(), "") is JoinOutcome.Joined) { "rejoin" }

        // Bob's notification level of #rules: mentions only.
        val head = bobRules.setNotificationLevel(ChannelNotification.MENTIONS_ONLY)
        check(head.notificationLevel == ChannelNotification.MENTIONS_ONLY) { "head $head" }
        check(bobRules.entry()?.head?.notificationLevel == ChannelNotification.MENTIONS_ONLY) { "cached ${bobRules.entry()}" }
    }

    test("a thread: a reply, its digest and counts, the thread list; archived, posts are refused (4015)") {
        val community = alice.createCommunity(NewCommunity(name = "Kotlin threads", joinPolicy = JoinPolicy.FREE))
        val channel = community.createChannel(NewChannel(name = "kt-threads", kind = ChannelKind.TEXT))
        bob.joinCommunity(community.id(), "")
        val bobChannel = bob.community(community.id()).channel(channel.id())
        // Bob watches the channel's thread list (a Flow) until the thread shows up archived.
        val listening = CompletableDeferred<Unit>()
        val archivedSeen = async {
            bobChannel.threadListChanges().first { diffs ->
                listening.complete(Unit)
                diffs.any { (it as? ThreadListDiff.Update)?.item?.let { t -> t.name == "raid plan" && t.archived } == true }
            }
        }
        listening.await()

        // Alice starts a thread from her message (one per message: a second is 3014).
        val parent = alice.waitForSend(channel.sendText("raid tonight?").localId)
        val thread = channel.createThread(NewThread(name = "raid plan", parentSeq = parent))
        check(thread.channelId() == channel.id()) { "channel ${thread.channelId()}" }
        try {
            channel.createThread(NewThread(name = "again", parentSeq = parent))
            throw AssertionError("a second thread on one message")
        } catch (e: SdkException.NotFound) {
            check(e.code == 3014u && e.name == "thread_exists") { "error $e" }
        }

        // Bob joins and replies: one unread for alice, in the thread and on the channel's mark.
        val bobThread = bobChannel.thread(thread.id())
        check(bobThread.join().channelId == thread.id()) { "head" }
        val replySeq = bob.waitForSend(bobThread.messages().sendText("count me in").localId)
        check(replySeq == 1UL) { "reply seq $replySeq" }
        val unread = poll({ thread.unread() }) { it?.unreadCount == 1UL }
        check(unread?.unreadCount == 1UL && unread!!.lastSeq == 1UL) { "unread $unread" }
        check(channel.threadsUnread().unreadCount == 1UL) { "channel mark ${channel.threadsUnread()}" }
        check(bob.community(community.id()).joinedThreads().any { it.info.threadId == thread.id() }) { "bob's joined threads" }

        // The digest on the parent message: one reply, bob's.
        val digest = cachedUntil(channel, parent) { it.thread?.messageCount == 1UL }.thread!!
        check(digest.threadId == thread.id() && digest.name == "raid plan" && digest.participantCount == 1UL) { "digest $digest" }
        check(digest.last?.senderId == "bob" && digest.last?.text == "count me in" && digest.last?.seq == 1UL) { "last ${digest.last}" }
        val history = thread.messages().messages(null, 10u)
        check(history.map { (it.content as? MessageContent.Text)?.text } == listOf("count me in")) { "history $history" }
        check(thread.messages().markAllRead().unreadCount == 0UL) { "read" }

        // The channel's threads; archived, the thread refuses posts with a typed error.
        val active = channel.threads(false, null, null)
        check(active.threads.map { it.threadId } == listOf(thread.id()) && active.threads[0].messageCount == 1UL) { "active $active" }
        val info = thread.update(ThreadUpdate(archived = true))
        check(info.archived && threadIsArchived(info, 0L)) { "info $info" }
        poll({ bobThread.info() }) { it?.archived == true }
        try {
            bobThread.messages().sendText("too late")
            throw AssertionError("posted in an archived thread")
        } catch (e: SdkException.Permission) {
            check(e.code == 4015u && e.name == "thread_archived") { "error $e" }
        }
        check(channel.threads(false, null, null).threads.isEmpty()) { "still active" }
        check(channel.threads(true, null, null).threads.map { it.threadId } == listOf(thread.id())) { "archived list" }
        archivedSeen.await()
    }

    test("people: a direct conversation (unread 1, read), blocked (4017), profiles, presence, typing, voice") {
        val community = alice.createCommunity(NewCommunity(name = "Kotlin people", joinPolicy = JoinPolicy.FREE))
        val channel = community.createChannel(NewChannel(name = "kt-people", kind = ChannelKind.TEXT))
        val voice = community.createChannel(NewChannel(name = "kt-voice", kind = ChannelKind.VOICE))
        check(bob.joinCommunity(community.id(), "") is JoinOutcome.Joined) { "bob joins" }
        val bobCommunity = bob.community(community.id())

        // Alice writes to bob directly; bob's list shows it with one unread; he reads it.
        val dm = alice.directConversation("bob")
        check(dm.communityId() == directCommunityId() && directCommunityId() == "@me") { "community ${dm.communityId()}" }
        val bobDm = bob.conversation(dm.id())
        runCatching { bobDm.markAllRead() } // the pair's conversation may hold earlier runs' messages
        val seq = alice.waitForSend(dm.sendText("hi bob, from kotlin").localId)
        val entry = poll({ bob.conversationEntry(dm.id()) }) { it?.head?.lastSeq == seq }
        check(entry?.info?.kind == ConversationKind.DIRECT && entry.info.participants == listOf("alice", "bob")) { "entry $entry" }
        check(entry!!.head.unreadCount == 1UL && entry.head.communityId == "@me") { "head ${entry.head}" }
        check(bob.conversations().any { it.info.conversationId == dm.id() }) { "bob's list ${bob.conversations()}" }
        val last = bobDm.messages(null, 1u).single()
        check(last.senderId == "alice" && (last.content as? MessageContent.Text)?.text == "hi bob, from kotlin") { "message $last" }
        check(bobDm.markAllRead().unreadCount == 0UL) { "read" }
        check(poll({ bob.conversationEntry(dm.id()) }) { it?.head?.unreadCount == 0UL }?.head?.unreadCount == 0UL) { "entry read" }

        // Alice blocks bob: his message into their conversation is refused with 4017 blocked.
        alice.blockUser("bob")
        try {
            val blocked = alice.blockedUsers()
            check(blocked == listOf("bob")) { "blocked $blocked" }
            val refused = bobDm.sendText("are you there?")
            try {
                bob.waitForSend(refused.localId)
                throw AssertionError("sent through a block")
            } catch (e: SdkException.Permission) {
                check(e.code == 4017u && e.name == "blocked") { "error $e" }
            }
            bobDm.discard(refused.localId)
        } finally {
            alice.unblockUser("bob")
        }

        // Profiles: alice's display name reaches bob.
        val profile = alice.setProfile(ProfileUpdate(displayName = "Alice of Kotlin"))
        check(profile.displayName == "Alice of Kotlin" && profile.userId == "alice") { "profile $profile" }
        val fetched = bob.fetchProfiles(listOf("alice"))
        check(fetched.map { it.displayName } == listOf("Alice of Kotlin")) { "fetched $fetched" }
        check(bob.displayName("alice") == "Alice of Kotlin" && bob.profile("alice")?.displayName == "Alice of Kotlin") { "shown ${bob.displayName("alice")}" }

        // Presence: bob follows alice and sees her online.
        alice.setPresence(PresenceStatus.ONLINE, "testing kotlin")
        val online = CompletableDeferred<Presence>()
        val presenceHandle = bob.subscribePresence(listOf("alice"), object : PresenceListener {
            override fun onUpdate(presences: List<Presence>) {
                presences.firstOrNull { it.userId == "alice" && it.status == PresenceStatus.ONLINE }?.let { online.complete(it) }
            }
        })
        val seen = online.await()
        check(seen.text == "testing kotlin") { "presence $seen" }
        check(bob.presence("alice")?.status == PresenceStatus.ONLINE) { "cached ${bob.presence("alice")}" }
        presenceHandle.close()
        bob.unsubscribePresence(listOf("alice"))

        // Typing: alice types in the channel (throttled: the next keystroke is not sent); bob sees her.
        val bobChannel = bobCommunity.channel(channel.id())
        val typing = async { bobChannel.typingChanges().first { "alice" in it } }
        check(channel.typing()) { "the first keystroke is sent" }
        check(!channel.typing()) { "the next one within typing_interval_ms is not" }
        check(typing.await() == listOf("alice")) { "typers" }

        // Voice: alice sits down in the voice channel; bob's community shows her there.
        val seated = async { bobCommunity.voiceChanges().first { list -> list.any { it.userId == "alice" } } }
        voice.joinVoice()
        check(seated.await().single().channelId == voice.id()) { "voice" }
        check(bobCommunity.voice().map { it.userId } == listOf("alice")) { "cached voice ${bobCommunity.voice()}" }
        check(voice.voiceParticipants().map { it.userId } == listOf("alice")) { "participants" }
        community.leaveVoice()
    }

    test("snippet highlights (UTF-8 byte ranges) become Kotlin string ranges, CJK and emoji too") {
        // "👍 " is 5 bytes but 3 UTF-16 units; each CJK character 3 bytes but 1 unit.
        val snippet = Snippet(text = "👍 東京 ok", highlights = listOf(Highlight(5u, 11u), Highlight(12u, 14u)))
        check(snippet.highlightRanges() == listOf(3..4, 6..7)) { "ranges ${snippet.highlightRanges()}" }
        check(snippet.highlightedTexts() == listOf("東京", "ok")) { "texts ${snippet.highlightedTexts()}" }
        check(Snippet(text = "plain", highlights = emptyList()).highlightRanges().isEmpty()) { "none" }
        check(defaultSearchLimit() == 20u) { "default limit ${defaultSearchLimit()}" }
    }

    test("search: a word and a CJK substring found locally and highlighted, a malformed query is 5037, merged hits once, channels by name") {
        val community = alice.createCommunity(NewCommunity(name = "Kotlin search", joinPolicy = JoinPolicy.FREE))
        val channel = community.createChannel(NewChannel(name = "kt-lanterns", kind = ChannelKind.TEXT))
        check(bob.joinCommunity(community.id(), "") is JoinOutcome.Joined) { "bob joins" }
        val texts = listOf("the lantern parade starts at eight", "bring a Lantern and a friend", "明日東京都に行きます")
        val seqs = texts.map { alice.waitForSend(channel.sendText(it).localId) }

        // Local (the cache, offline too): both messages with the word, each highlighted.
        val scope = SearchOptions(query = "lantern", communityId = community.id())
        var local = alice.searchLocal(scope)
        repeat(300) { if (local.hits.size < 2) { delay(100); local = alice.searchLocal(scope) } }
        check(local.hits.map { it.message.seq }.toSet() == seqs.take(2).toSet()) { "local hits ${local.hits}" }
        check(local.server == ServerSearch.NotAsked && local.hits.all { it.source == HitSource.LOCAL }) { "local ${local.server}" }
        check(local.hits.all { hit -> hit.snippet.highlightedTexts().map { it.lowercase() } == listOf("lantern") }) {
            "highlights ${local.hits.map { it.snippet }}"
        }

        // A CJK substring: found, and the highlight covers exactly 東京 (bytes 6..12, UTF-16 2..3).
        val cjk = alice.searchLocal(SearchOptions(query = "東京", channelId = channel.id()))
        val hit = cjk.hits.singleOrNull()
        check(hit != null && hit.message.seq == seqs[2]) { "cjk hits ${cjk.hits}" }
        check(hit!!.snippet.text == "明日東京都に行きます" && hit.snippet.highlights == listOf(Highlight(6u, 12u))) { "snippet ${hit.snippet}" }
        check(hit.snippet.highlightRanges() == listOf(2..3) && hit.snippet.highlightedTexts() == listOf("東京")) {
            "ranges ${hit.snippet.highlightRanges()}"
        }

        // A malformed query is the typed error invalid_search_query (5037), locally and merged.
        for (search in listOf<suspend () -> SearchResults>(
            { alice.searchLocal(SearchOptions(query = "\"unclosed")) },
            { channel.search(SearchOptions(query = "\"unclosed")) },
        )) {
            try {
                search()
                throw AssertionError("no error")
            } catch (e: SdkException.Limit) {
                check(e.code == 5037u && e.name == "invalid_search_query" && e.kind() == ErrorKind.LIMIT) { "error $e" }
            }
        }

        // Merged with the server: each message once (the server's copy); bob, who never
        // opened the channel, finds them through the server.
        val merged = channel.search(SearchOptions(query = "lantern"))
        check(merged.server == ServerSearch.Answered) { "server ${merged.server}" }
        val keys = merged.hits.map { it.message.channelId to it.message.seq }
        check(keys.size == keys.toSet().size && keys.map { it.second }.toSet() == seqs.take(2).toSet()) { "merged $keys" }
        val bobs = bob.community(community.id()).search(SearchOptions(query = "東京"))
        check(bobs.server == ServerSearch.Answered && bobs.hits.map { it.message.seq } == listOf(seqs[2])) { "bob's ${bobs.hits}" }
        check(bobs.hits.single().source == HitSource.SERVER && bobs.hits.single().snippet.highlightedTexts() == listOf("東京")) { "bob's hit" }

        // Channels, communities and members by name.
        val channels = community.searchChannels("LANTERN")
        check(channels.server == ServerSearch.Answered && channels.channels.map { it.channelId } == listOf(channel.id())) { "channels $channels" }
        val communities = alice.searchCommunities("kotlin sea")
        check(communities.communities.any { it.communityId == community.id() }) { "communities $communities" }
        val members = community.searchMembers("bo", null)
        check(members.items.map { it.userId } == listOf("bob")) { "members ${members.items}" }
    }

    test("a 301-character community name is SdkException.Limit 5000 name_too_long") {
        try {
            alice.createCommunity(NewCommunity(name = "x".repeat(301), joinPolicy = JoinPolicy.FREE))
            throw AssertionError("no error")
        } catch (e: SdkException.Limit) {
            check(e.code == 5000u && e.name == "name_too_long") { "error $e" }
            check(e.kind() == ErrorKind.LIMIT) { "kind ${e.kind()}" }
            val general: SdkException = e
            check(general.code == 5000u && general.detail.isNotEmpty()) { "extension fields" }
        }
    }

    test("sync state is caught up; shutdown closes, later calls are SdkException.Closed") {
        repeat(300) { if (alice.syncState() != SyncState.CAUGHT_UP) delay(10) }
        check(alice.syncState() == SyncState.CAUGHT_UP) { "sync state ${alice.syncState()}" }
        alice.shutdown()
        try {
            alice.outbox()
            throw AssertionError("no error")
        } catch (e: SdkException.Closed) {
            check(e.name == "closed") { "error $e" }
        }
    }

    test("closing the clients") {
        alice.close()
        bob.shutdown()
        bob.close()
    }

    memberListScenario(Files.createTempDirectory("csdk-kotlin-ml")) { user, token, dir ->
        val c = Client.create(ClientOptions(serverUrl = url, dataDir = "$dir/$user", deviceId = "kt-ml-$user"))
        val outcome = c.login(user, token)
        check(outcome == LoginOutcome.SYNCED) { "login outcome $outcome" }
        c
    }

    pushScenario(Files.createTempDirectory("csdk-kotlin-push"), url)
}
