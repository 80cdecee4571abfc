"""The member list (protocol §22.2) in Python against a real community-server started by
tests/bindings.sh (CSDK_SERVER_URL, CSDK_TOKEN_ALICE, CSDK_TOKEN_BOB, CSDK_TOKEN_CAROL):
a Reset in the documented order (highest group first, online before offline, then name),
a nickname arriving as Changed operations whose application gives the snapshot,
set_ranges, and a bad range as the typed error 5038."""

import asyncio
import os
import tempfile
import unittest

import community_sdk as sdk

TIMEOUT = 30


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise unittest.SkipTest(f"{name} is not set (run tests/bindings.sh)")
    return value


def apply(items, ops, start):
    """The window `items` (starting at position `start`) after `ops`, as documented."""
    items = list(items)
    for op in ops:
        at = op.index - start
        if isinstance(op, sdk.MemberListOp.INSERT):
            items.insert(at, op.item)
        elif isinstance(op, sdk.MemberListOp.DELETE):
            del items[at]
        elif isinstance(op, sdk.MemberListOp.UPDATE):
            items[at] = op.item
    return items


def ids(items):
    return [item.user_id for item in items]


class Updates(sdk.MemberListListener):
    """Queues the updates from the callback thread for the asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue = asyncio.Queue()

    def on_update(self, update):
        self.loop.call_soon_threadsafe(self.queue.put_nowait, update)

    async def next(self, kind):
        while True:
            update = await asyncio.wait_for(self.queue.get(), TIMEOUT)
            if isinstance(update, kind):
                return update


class MemberListTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.url = env("CSDK_SERVER_URL")
        self.dir = tempfile.TemporaryDirectory(prefix="csdk-python-ml-")

    async def asyncTearDown(self):
        self.dir.cleanup()

    async def client(self, user, token):
        options = sdk.ClientOptions(
            server_url=self.url, data_dir=os.path.join(self.dir.name, user), device_id=f"py-ml-{user}"
        )
        client = await sdk.Client.create(options)
        self.assertEqual(await client.login(user, token), sdk.LoginOutcome.SYNCED)
        return client

    async def test_reset_order_changed_ops_set_ranges_and_a_bad_range(self):
        alice = await self.client("alice", env("CSDK_TOKEN_ALICE"))
        bob = await self.client("bob", env("CSDK_TOKEN_BOB"))
        carol = await self.client("carol", env("CSDK_TOKEN_CAROL"))
        community = await alice.create_community(
            sdk.NewCommunity(name="Python member list", join_policy=sdk.JoinPolicy.FREE)
        )
        community_id = community.id()
        for member in (bob, carol):
            self.assertIsInstance(await member.join_community(community_id, ""), sdk.JoinOutcome.JOINED)
        # Carol holds a group (her section comes first) and goes offline.
        mods = await community.create_group(sdk.NewGroup(name="Mods", color=0, mentionable=False, permissions=0))
        await community.assign_group("carol", mods.group_id)
        await carol.shutdown()

        updates = Updates(asyncio.get_running_loop())
        subscription = await community.subscribe_member_list([sdk.ListRange(start=0, end=9)], updates)
        self.assertEqual(subscription.community_id(), community_id)
        reset = await updates.next(sdk.MemberListUpdate.RESET)
        snapshot = reset.snapshot
        self.assertEqual(snapshot.total, 3)
        self.assertEqual([(s.group_id, s.count) for s in snapshot.sections], [(mods.group_id, 1), (None, 2)])
        self.assertEqual(len(snapshot.windows), 1)
        window = snapshot.windows[0]
        self.assertEqual((window.range.start, window.range.end), (0, 9))
        # Highest group first, then online before offline, then name.
        self.assertEqual(ids(window.items), ["carol", "alice", "bob"])
        self.assertEqual(window.items[0].group_id, mods.group_id)
        self.assertEqual(window.items[1].status, sdk.PresenceStatus.ONLINE)
        self.assertTrue(subscription.is_active())

        # Bob's nickname sorts him before alice: operations whose application is the window.
        await bob.community(community_id).set_nickname("Aaron")
        items = window.items
        while ids(items) != ["carol", "bob", "alice"]:
            changed = await updates.next(sdk.MemberListUpdate.CHANGED)
            self.assertEqual(changed.total, 3)
            items = apply(items, changed.ops, 0)
        self.assertEqual(items[1].display_name, "Aaron")
        self.assertEqual(subscription.snapshot().windows[0].items, items)

        # Scrolling: the new window arrives as a Reset.
        await asyncio.wait_for(subscription.set_ranges([sdk.ListRange(start=1, end=2)]), TIMEOUT)
        reset = await updates.next(sdk.MemberListUpdate.RESET)
        self.assertEqual(ids(reset.snapshot.windows[0].items), ["bob", "alice"])
        self.assertEqual(ids(subscription.snapshot().windows[0].items), ["bob", "alice"])

        # A bad range: the typed error, with its code, from both calls.
        with self.assertRaises(sdk.SdkError) as caught:
            await subscription.set_ranges([sdk.ListRange(start=5, end=1)])
        self.assertEqual((caught.exception.code, caught.exception.name), (5038, "invalid_member_list_range"))
        with self.assertRaises(sdk.SdkError) as caught:
            await community.subscribe_member_list([sdk.ListRange(start=0, end=100_000)], Updates(asyncio.get_running_loop()))
        self.assertEqual(sdk.error_code(caught.exception), 5038)
        self.assertTrue(subscription.is_active(), "a refused call replaces nothing")

        subscription.cancel()
        self.assertFalse(subscription.is_active())
        await alice.shutdown()
        await bob.shutdown()


if __name__ == "__main__":
    unittest.main()
