// The member list (protocol §22.2) in Kotlin against the server of tests/bindings.sh
// (CSDK_TOKEN_CAROL besides alice's and bob's): a Reset in the documented order (highest
// group first, online before offline, then name), a nickname arriving as Changed
// operations whose application gives the snapshot, setRanges, a bad range as the typed
// error 5038, and the Flow of `memberListUpdates`. Called from BindingsTest.kt's scenario.
import dev.community.sdk.*
import java.nio.file.Path
import kotlinx.coroutines.channels.Channel as KChannel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeout

/** The window [items] (starting at position [start]) after [ops], as documented. */
fun applyOps(items: List<MemberListItem>, ops: List<MemberListOp>, start: UInt): List<MemberListItem> {
    val out = items.toMutableList()
    for (op in ops) {
        when (op) {
            is MemberListOp.Insert -> out.add((op.index - start).toInt(), op.item)
            is MemberListOp.Delete -> out.removeAt((op.index - start).toInt())
            is MemberListOp.Update -> out[(op.index - start).toInt()] = op.item
        }
    }
    return out
}

/** Queues a member list's updates from the callback thread. */
class MemberListUpdates : MemberListListener {
    val queue = KChannel<MemberListUpdate>(KChannel.UNLIMITED)

    override fun onUpdate(update: MemberListUpdate) {
        queue.trySend(update)
    }

    suspend inline fun <reified T : MemberListUpdate> next(): T = withTimeout(30_000) {
        var update = queue.receive()
        while (update !is T) update = queue.receive()
        update as T
    }
}

fun ids(items: List<MemberListItem>) = items.map { it.userId }

suspend fun memberListScenario(base: Path, client: suspend (String, String, Path) -> Client) {
    lateinit var alice: Client
    lateinit var bob: Client
    lateinit var community: Community
    lateinit var modsId: String
    lateinit var subscription: MemberListSubscription
    val updates = MemberListUpdates()
    var window = listOf<MemberListItem>()

    test("member list: three members, carol a mod and offline") {
        alice = client("alice", env("CSDK_TOKEN_ALICE"), base)
        bob = client("bob", env("CSDK_TOKEN_BOB"), base)
        val carol = client("carol", env("CSDK_TOKEN_CAROL"), base)
        community = alice.createCommunity(NewCommunity(name = "Kotlin member list", joinPolicy = JoinPolicy.FREE))
        for (member in listOf(bob, carol)) {
            check(member.joinCommunity(community.id(), "") is JoinOutcome.Joined) { "join" }
        }
        modsId = community.createGroup(NewGroup(name = "Mods", color = 0u, mentionable = false, permissions = 0uL)).groupId
        community.assignGroup("carol", modsId)
        carol.shutdown()
    }

    test("member list: the Reset is in the documented order") {
        subscription = community.subscribeMemberList(listOf(ListRange(0u, 9u)), updates)
        val snapshot = updates.next<MemberListUpdate.Reset>().snapshot
        check(snapshot.total == 3uL) { "total ${snapshot.total}" }
        val sections = snapshot.sections.map { it.groupId to it.count }
        check(sections == listOf(modsId to 1uL, null to 2uL)) { "sections $sections" }
        window = snapshot.windows.single().items
        check(ids(window) == listOf("carol", "alice", "bob")) { "order ${ids(window)}" }
        check(window[1].status == PresenceStatus.ONLINE) { "alice ${window[1].status}" }
        check(subscription.isActive()) { "inactive" }
    }

    test("member list: a nickname arrives as operations whose application is the snapshot") {
        bob.community(community.id()).setNickname("Aaron")
        while (ids(window) != listOf("carol", "bob", "alice")) {
            val changed = updates.next<MemberListUpdate.Changed>()
            check(changed.total == 3uL) { "total ${changed.total}" }
            window = applyOps(window, changed.ops, 0u)
        }
        check(window[1].displayName == "Aaron") { "name ${window[1].displayName}" }
        check(subscription.snapshot().windows.single().items == window) { "snapshot ${subscription.snapshot()}" }
    }

    test("member list: setRanges brings a Reset of the new window") {
        subscription.setRanges(listOf(ListRange(1u, 2u)))
        val reset = updates.next<MemberListUpdate.Reset>()
        check(ids(reset.snapshot.windows.single().items) == listOf("bob", "alice")) { "window ${reset.snapshot}" }
    }

    test("member list: a bad range is the typed error 5038") {
        try {
            subscription.setRanges(listOf(ListRange(5u, 1u)))
            throw AssertionError("start after end accepted")
        } catch (e: SdkException) {
            check(e.code == 5038u && e.name == "invalid_member_list_range") { "error $e" }
        }
        try {
            community.subscribeMemberList(listOf(ListRange(0u, 100_000u)), MemberListUpdates())
            throw AssertionError("a range too long accepted")
        } catch (e: SdkException) {
            check(e.code == 5038u) { "error $e" }
        }
        check(subscription.isActive()) { "a refused call replaced the subscription" }
    }

    test("member list: the Flow follows its ranges") {
        val ranges = MutableStateFlow(listOf(ListRange(0u, 0u)))
        val first = community.memberListUpdates(ranges).first() as MemberListUpdate.Reset
        check(ids(first.snapshot.windows.single().items) == listOf("carol")) { "flow ${first.snapshot}" }
        subscription.close()
        alice.shutdown()
        bob.shutdown()
    }
}
