"""The bindings scenario in Python (asyncio + unittest) against a real community-server
started by tests/bindings.sh (CSDK_SERVER_URL, CSDK_TOKEN_ALICE, CSDK_TOKEN_BOB)."""

import asyncio
import os
import tempfile
import threading
import unittest

import community_sdk as sdk

TIMEOUT = 30


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise unittest.SkipTest(f"{name} is not set (run tests/bindings.sh)")
    return value


class Collector(sdk.MessageListener):
    """Collects message texts from the callback thread; wakes the asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fail: bool = False):
        self.loop = loop
        self.fail = fail
        self.texts = set()
        self.updated = []
        self.calls = 0
        self.threads = set()
        self.changed = asyncio.Event()

    def on_update(self, updates):
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        for update in updates:
            if isinstance(update, sdk.MessageUpdate.INSERTED):
                self._add(update.message)
            elif isinstance(update, sdk.MessageUpdate.UPDATED):
                self.updated.append(update.message)
            elif isinstance(update, sdk.MessageUpdate.RESET):
                for message in update.messages:
                    self._add(message)
        self.loop.call_soon_threadsafe(self.changed.set)
        if self.fail:
            raise RuntimeError("a listener that always fails")

    def _add(self, message):
        if isinstance(message.content, sdk.MessageContent.TEXT):
            self.texts.add(message.content.text)

    async def wait_for(self, predicate):
        async def loop():
            while not predicate():
                self.changed.clear()
                if predicate():
                    return
                await self.changed.wait()

        await asyncio.wait_for(loop(), TIMEOUT)


class ThreadLists(sdk.ThreadListListener):
    """Keeps a channel's thread list by id from the callback thread; wakes the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.threads = {}
        self.changed = asyncio.Event()

    def on_update(self, diffs):
        for diff in diffs:
            if isinstance(diff, sdk.ThreadListDiff.RESET):
                self.threads = {t.thread_id: t for t in diff.items}
            elif isinstance(diff, (sdk.ThreadListDiff.INSERT, sdk.ThreadListDiff.UPDATE)):
                self.threads[diff.item.thread_id] = diff.item
            elif isinstance(diff, sdk.ThreadListDiff.REMOVE):
                self.threads.pop(diff.id, None)
        self.loop.call_soon_threadsafe(self.changed.set)

    async def wait_for(self, predicate):
        async def loop():
            while not predicate():
                self.changed.clear()
                if predicate():
                    return
                await self.changed.wait()

        await asyncio.wait_for(loop(), TIMEOUT)


class Latest:
    """Keeps the last value a people listener got (typing, voice, presence) from the callback
    thread; wakes the asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.value = None
        self.changed = asyncio.Event()

    def on_update(self, value):
        self.value = value
        self.loop.call_soon_threadsafe(self.changed.set)

    async def wait_for(self, predicate):
        async def loop():
            while self.value is None or not predicate(self.value):
                self.changed.clear()
                if self.value is not None and predicate(self.value):
                    return
                await self.changed.wait()

        await asyncio.wait_for(loop(), TIMEOUT)
        return self.value


class TypingWatcher(Latest, sdk.TypingListener):
    pass


class VoiceWatcher(Latest, sdk.VoiceListener):
    pass


class PresenceWatcher(Latest, sdk.PresenceListener):
    pass


class LogCollector(sdk.LogListener):
    """Keeps the SDK's log records (called on the callback thread)."""

    def __init__(self):
        self.records = []
        self.lock = threading.Lock()

    def on_log(self, record):
        with self.lock:
            self.records.append(record)

    def logins(self):
        with self.lock:
            return [r for r in self.records if r.message.startswith("logged in")]


class BindingsTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.url = env("CSDK_SERVER_URL")
        self.dir = tempfile.TemporaryDirectory(prefix="csdk-python-")
        self.alice = await self.client("alice", env("CSDK_TOKEN_ALICE"))
        self.bob = await self.client("bob", env("CSDK_TOKEN_BOB"))

    async def asyncTearDown(self):
        self.alice = self.bob = None
        self.dir.cleanup()

    async def client(self, user, token):
        options = sdk.ClientOptions(
            server_url=self.url, data_dir=os.path.join(self.dir.name, user), device_id=f"py-{user}"
        )
        client = await sdk.Client.create(options)
        outcome = await client.login(user, token)
        self.assertEqual(outcome, sdk.LoginOutcome.SYNCED)
        return client

    async def community_with_channel(self, name):
        community = await self.alice.create_community(
            sdk.NewCommunity(name=name, join_policy=sdk.JoinPolicy.FREE)
        )
        channel = await community.create_channel(sdk.NewChannel(name="py-chat", kind=sdk.ChannelKind.TEXT))
        outcome = await self.bob.join_community(community.id(), "")
        self.assertIsInstance(outcome, sdk.JoinOutcome.JOINED)
        return community.id(), channel.id()

    async def test_listener_sees_all_messages_and_unread_goes_to_zero(self):
        self.assertEqual(self.alice.user_id(), "alice")
        self.assertIsInstance(self.alice.connection_state(), sdk.ConnectionState.CONNECTED)
        community_id, channel_id = await self.community_with_channel("Python guild")
        bob_channel = self.bob.community(community_id).channel(channel_id)
        collector = Collector(asyncio.get_running_loop())
        handle = await bob_channel.subscribe_messages(collector)
        self.addCleanup(handle.cancel)

        alice_channel = self.alice.community(community_id).channel(channel_id)
        # The server wrote "channel created" into the channel (system messages are on).
        base = alice_channel.entry().head.last_seq
        self.assertGreaterEqual(base, 1)
        echoes = await asyncio.gather(*(alice_channel.send_text(f"message {i}") for i in range(10)))
        self.assertEqual(len({echo.local_id for echo in echoes}), 10)
        # Each send can be awaited to its end by its local id.
        seqs = await asyncio.gather(*(self.alice.wait_for_send(echo.local_id) for echo in echoes))
        self.assertEqual(sorted(seqs), list(range(base + 1, base + 11)))
        sent = await self.alice.local_message(echoes[0].local_id)
        self.assertIsInstance(sent.state, sdk.SendState.SENT)

        expected = {f"message {i}" for i in range(10)}
        await collector.wait_for(lambda: expected <= collector.texts)
        self.assertNotIn(threading.main_thread().name, collector.threads)
        handle.cancel()
        self.assertTrue(handle.is_cancelled())

        unread = await self.poll(lambda: bob_channel.unread(), lambda u: u is not None and u.unread_count == 10)
        self.assertEqual(unread.unread_count, 10)
        head = await bob_channel.mark_read(unread.last_seq)
        self.assertEqual(head.unread_count, 0)
        self.assertEqual(bob_channel.unread().unread_count, 0)

        page = await bob_channel.messages(None, 100)
        self.assertEqual({m.content.text for m in page if isinstance(m.content, sdk.MessageContent.TEXT)}, expected)
        members = await self.alice.community(community_id).members(None, None, None)
        self.assertEqual(members.total_count, 2)
        self.assertEqual({m.user_id for m in members.items}, {"alice", "bob"})

    async def test_edit_react_pin_reply_recall_and_a_typed_refusal(self):
        community_id, channel_id = await self.community_with_channel("Python life")
        alice_channel = self.alice.community(community_id).channel(channel_id)
        bob_channel = self.bob.community(community_id).channel(channel_id)
        self.assertTrue(self.alice.community(community_id).entry().info.system_messages)
        collector = Collector(asyncio.get_running_loop())
        handle = await alice_channel.subscribe_messages(collector)
        self.addCleanup(handle.cancel)

        options = sdk.SendOptions(priority=sdk.Priority.NORMAL, custom_data='{"mood":"calm"}')
        echo = await bob_channel.send(sdk.MessageContent.TEXT(text="first draft"), options)
        seq = await self.bob.wait_for_send(echo.local_id)

        # Edit: shown at once, carried out, then seen by the other member.
        edit = sdk.MessageEdit(content=sdk.MessageContent.TEXT(text="final text"))
        change = await bob_channel.edit_message(seq, edit)
        self.assertIsInstance(change.action, sdk.ChangeAction.EDIT)
        self.assertIsInstance(change.state, sdk.ChangeState.PENDING)
        self.assertGreaterEqual(await bob_channel.wait_for_change(change.key), 1)
        edited = await self.cached_until(alice_channel, seq, lambda m: m.content == edit.content)
        self.assertEqual(edited.edit_count, 1)
        self.assertIsNotNone(edited.edited_at_ms)
        self.assertEqual(edited.custom_data, '{"mood":"calm"}')

        # Reactions: two users with the same emoji; `me` is per user.
        for channel, client in ((alice_channel, self.alice), (bob_channel, self.bob)):
            reaction = await channel.add_reaction(seq, "👍")
            await client.wait_for_change(reaction.key)
        reacted = await self.cached_until(alice_channel, seq, lambda m: m.reactions and m.reactions[0].count == 2)
        self.assertEqual((reacted.reactions[0].emoji, reacted.reactions[0].me), ("👍", True))
        self.assertEqual(set(reacted.reactions[0].users), {"alice", "bob"})

        # Pin (the owner may), and the channel's pins.
        pin = await alice_channel.pin_message(seq)
        await alice_channel.wait_for_change(pin.key)
        pinned = await self.cached_until(alice_channel, seq, lambda m: m.pinned is not None)
        self.assertEqual(pinned.pinned.by, "alice")
        self.assertEqual([m.seq for m in await alice_channel.pins()], [seq])

        # Typed refusals: a plain member may not pin; nobody edits another's message.
        with self.assertRaises(sdk.SdkError.Permission) as refused:
            await bob_channel.pin_message(seq)
        self.assertEqual((refused.exception.code, refused.exception.name), (4000, "permission_denied"))
        with self.assertRaises(sdk.SdkError.Permission) as not_author:
            await alice_channel.edit_message(seq, edit)
        self.assertEqual((not_author.exception.code, not_author.exception.name), (4011, "not_author"))

        # A reply shows a preview of the original.
        options = sdk.SendOptions(priority=sdk.Priority.NORMAL, reply_to=seq)
        reply = await alice_channel.send(sdk.MessageContent.TEXT(text="agreed"), options)
        reply_seq = await self.alice.wait_for_send(reply.local_id)
        answered = await self.cached_until(alice_channel, reply_seq, lambda m: m.reply_preview is not None)
        preview = answered.reply_preview
        self.assertEqual((preview.seq, preview.text, preview.state), (seq, "final text", sdk.PreviewState.EDITED))

        # Recall: the message becomes a tombstone everywhere; reactions and pin are gone.
        recall = await bob_channel.recall_message(seq)
        await self.bob.wait_for_change(recall.key)
        def is_recalled(message):
            return isinstance(message.content, sdk.MessageContent.RECALLED)

        recalled = await self.cached_until(alice_channel, seq, is_recalled)
        self.assertEqual(recalled.content.by, "bob")
        self.assertEqual((recalled.reactions, recalled.pinned), ([], None))
        preview = await self.cached_until(
            alice_channel, reply_seq, lambda m: m.reply_preview.state == sdk.PreviewState.RECALLED
        )
        self.assertEqual(preview.reply_preview.text, "")
        # The live timeline saw the changes as `UPDATED`.
        await collector.wait_for(lambda: any(m.seq == seq and is_recalled(m) for m in collector.updated))
        with self.assertRaises(sdk.SdkError.NotFound) as gone:
            await alice_channel.add_reaction(seq, "🎉")
        self.assertEqual(gone.exception.name, "message_recalled")

    async def test_groups_overrides_bans_and_notification_levels(self):
        alice_community = await self.alice.create_community(
            sdk.NewCommunity(name="Python roles", join_policy=sdk.JoinPolicy.FREE)
        )
        community_id = alice_community.id()
        rules = await alice_community.create_channel(sdk.NewChannel(name="rules", kind=sdk.ChannelKind.TEXT))
        await self.bob.join_community(community_id, "")
        bob_community = self.bob.community(community_id)
        bob_rules = bob_community.channel(rules.id())
        flag = sdk.PermissionFlag

        # A read-only channel: @everyone may not send there (the owner still may).
        everyone = sdk.OverrideTarget.GROUP(group_id="everyone")
        info = await rules.set_override(sdk.Override(target=everyone, allow=0, deny=flag.SEND_MESSAGES.value))
        self.assertEqual(info.overrides[0].deny, flag.SEND_MESSAGES.value)
        echo = await rules.send_text("be kind")
        seq = await self.alice.wait_for_send(echo.local_id)
        seen = await self.poll(
            bob_rules.permissions, lambda p: p is not None and not sdk.has_permission(p, flag.SEND_MESSAGES)
        )
        self.assertTrue(sdk.has_permission(seen, flag.VIEW_CHANNEL))
        self.assertNotIn(flag.SEND_MESSAGES, sdk.permission_flags(seen))
        with self.assertRaises(sdk.SdkError.Permission) as read_only:
            bob_rules.check_operation("send_message")
        self.assertEqual((read_only.exception.code, read_only.exception.name), (4000, "permission_denied"))
        with self.assertRaises(sdk.SdkError.Permission):
            bob_rules.check_send(sdk.MessageContent.TEXT(text="hi"), sdk.Mentions())
        # Without manage_messages bob may not pin.
        with self.assertRaises(sdk.SdkError.Permission) as no_pin:
            await bob_rules.pin_message(seq)
        self.assertEqual(no_pin.exception.code, 4000)

        # A moderator group, given to bob: now he may pin (not send) in #rules.
        mod_flags = sdk.permissions_of(
            [flag.MANAGE_MESSAGES, flag.KICK_MEMBERS, flag.MUTE_MEMBERS, flag.MANAGE_ROLES]
        )
        mods = await alice_community.create_group(sdk.NewGroup(name="mods", permissions=mod_flags))
        self.assertEqual((mods.position, mods.permissions), (1, mod_flags))
        self.assertEqual(sdk.permission_names(mods.permissions)[0], "manage_messages")
        self.assertEqual([g.group_id for g in alice_community.groups()], ["everyone", mods.group_id])
        member = await alice_community.assign_group("bob", mods.group_id)
        self.assertEqual(member.groups, [mods.group_id])
        perms = await self.poll(
            bob_rules.permissions, lambda p: p is not None and sdk.has_permission(p, flag.MANAGE_MESSAGES)
        )
        self.assertFalse(sdk.has_permission(perms, flag.SEND_MESSAGES))
        bob_rules.check_operation("pin_message")
        bob_community.check_operation("kick_member")
        pin = await bob_rules.pin_message(seq)
        await self.bob.wait_for_change(pin.key)
        # ... but not touch his own group (it is not below his highest).
        with self.assertRaises(sdk.SdkError.Permission) as higher:
            await bob_community.update_group(mods.group_id, sdk.GroupUpdate(color=0xFF0000))
        self.assertEqual((higher.exception.code, higher.exception.name), (4014, "cannot_act_on_higher"))

        # Member fields, and the member list filtered by group.
        member = await alice_community.set_member_fields("bob", {"team": "blue"})
        self.assertEqual(member.custom_fields, {"team": "blue"})
        page = await alice_community.find_members(sdk.MembersQuery(group_id=mods.group_id))
        self.assertEqual([m.user_id for m in page.items], ["bob"])

        # Bans: bob is out and may not come back until unbanned.
        await alice_community.ban("bob", None, "spam")
        bans = await alice_community.bans()
        self.assertEqual([(b.user_id, b.reason, b.until_ms) for b in bans], [("bob", "spam", None)])
        await self.poll(bob_community.entry, lambda e: e is None)
        with self.assertRaises(sdk.SdkError.Permission) as banned:
            await self.bob.join_community(community_id, "")
        self.assertEqual((banned.exception.code, banned.exception.name), (4013, "banned"))
        await alice_community.unban("bob")
        self.assertIsInstance(await self.bob.join_community(community_id, ""), sdk.JoinOutcome.JOINED)

        # A notification level of bob's for #rules: mentions only, on all his devices.
        head = await bob_rules.set_notification_level(sdk.ChannelNotification.MENTIONS_ONLY)
        self.assertEqual(head.notification_level, sdk.ChannelNotification.MENTIONS_ONLY)
        self.assertEqual(bob_rules.entry().head.notification_level, sdk.ChannelNotification.MENTIONS_ONLY)

    async def test_threads_digests_counts_and_archiving(self):
        community_id, channel_id = await self.community_with_channel("Python threads")
        alice_channel = self.alice.community(community_id).channel(channel_id)
        bob_channel = self.bob.community(community_id).channel(channel_id)
        lists = ThreadLists(asyncio.get_running_loop())
        handle = await bob_channel.subscribe_threads(lists)
        self.addCleanup(handle.cancel)

        # Alice starts a thread from her message; bob sees it in the channel's thread list.
        parent = await self.alice.wait_for_send((await alice_channel.send_text("raid tonight?")).local_id)
        thread = await alice_channel.create_thread(sdk.NewThread(name="raid plan", parent_seq=parent))
        self.assertEqual(thread.channel_id(), channel_id)
        with self.assertRaises(sdk.SdkError.NotFound) as exists:
            await alice_channel.create_thread(sdk.NewThread(name="again", parent_seq=parent))
        self.assertEqual((exists.exception.code, exists.exception.name), (3014, "thread_exists"))
        await lists.wait_for(lambda: thread.id() in lists.threads)
        self.assertEqual(lists.threads[thread.id()].parent_seq, parent)

        # Bob joins and replies; the reply is unread for alice, in the thread and the channel.
        bob_thread = bob_channel.thread(thread.id())
        head = await bob_thread.join()
        self.assertEqual(head.channel_id, thread.id())
        reply = await bob_thread.messages().send_text("count me in")
        reply_seq = await self.bob.wait_for_send(reply.local_id)
        self.assertEqual(reply_seq, 1)
        unread = await self.poll(thread.unread, lambda u: u is not None and u.unread_count == 1)
        self.assertEqual((unread.unread_count, unread.last_seq), (1, 1))
        self.assertEqual(alice_channel.threads_unread().unread_count, 1)
        joined = self.bob.community(community_id).joined_threads()
        self.assertIn(thread.id(), [entry.info.thread_id for entry in joined])

        # The digest on the parent message: one reply, the last one bob's.
        message = await self.cached_until(
            alice_channel, parent, lambda m: m.thread is not None and m.thread.message_count == 1
        )
        digest = message.thread
        self.assertEqual((digest.thread_id, digest.name), (thread.id(), "raid plan"))
        self.assertEqual((digest.last.sender_id, digest.last.text, digest.last.seq), ("bob", "count me in", 1))
        self.assertEqual(digest.participant_count, 1)
        page = await thread.messages().messages(None, 10)
        self.assertEqual([m.content.text for m in page], ["count me in"])
        self.assertEqual((await thread.messages().mark_all_read()).unread_count, 0)

        # The channel's threads, active; then archived: posting is refused with 4015.
        active = await alice_channel.threads(False, None, None)
        self.assertEqual([t.thread_id for t in active.threads], [thread.id()])
        self.assertEqual(active.threads[0].message_count, 1)
        info = await thread.update(sdk.ThreadUpdate(archived=True))
        self.assertTrue(info.archived and sdk.thread_is_archived(info, 0))
        await self.poll(bob_thread.info, lambda t: t is not None and t.archived)
        with self.assertRaises(sdk.SdkError.Permission) as archived:
            await bob_thread.messages().send_text("too late")
        self.assertEqual((archived.exception.code, archived.exception.name), (4015, "thread_archived"))
        self.assertEqual((await alice_channel.threads(False, None, None)).threads, [])
        listed = await alice_channel.threads(True, None, None)
        self.assertEqual([t.thread_id for t in listed.threads], [thread.id()])
        await lists.wait_for(lambda: lists.threads[thread.id()].archived)

    async def test_people_conversations_profiles_presence_typing_voice(self):
        loop = asyncio.get_running_loop()
        community = await self.alice.create_community(
            sdk.NewCommunity(name="Python people", join_policy=sdk.JoinPolicy.FREE)
        )
        channel = await community.create_channel(sdk.NewChannel(name="py-people", kind=sdk.ChannelKind.TEXT))
        voice = await community.create_channel(sdk.NewChannel(name="py-voice", kind=sdk.ChannelKind.VOICE))
        self.assertIsInstance(await self.bob.join_community(community.id(), ""), sdk.JoinOutcome.JOINED)
        bob_community = self.bob.community(community.id())

        # Alice writes to bob directly; bob's list shows it with one unread; he reads it.
        dm = await self.alice.direct_conversation("bob")
        self.assertEqual((dm.community_id(), sdk.direct_community_id()), ("@me", "@me"))
        bob_dm = self.bob.conversation(dm.id())
        try:  # the pair's conversation may hold earlier runs' messages
            await bob_dm.mark_all_read()
        except sdk.SdkError:
            pass
        seq = await self.alice.wait_for_send((await dm.send_text("hi bob, from python")).local_id)
        entry = await self.poll(
            lambda: self.bob.conversation_entry(dm.id()), lambda e: e is not None and e.head.last_seq == seq
        )
        self.assertEqual(entry.info.kind, sdk.ConversationKind.DIRECT)
        self.assertEqual(entry.info.participants, ["alice", "bob"])
        self.assertEqual((entry.head.unread_count, entry.head.community_id), (1, "@me"))
        self.assertIn(dm.id(), [e.info.conversation_id for e in self.bob.conversations()])
        [last] = await bob_dm.messages(None, 1)
        self.assertEqual((last.sender_id, last.content.text), ("alice", "hi bob, from python"))
        self.assertEqual((await bob_dm.mark_all_read()).unread_count, 0)
        read = await self.poll(
            lambda: self.bob.conversation_entry(dm.id()), lambda e: e is not None and e.head.unread_count == 0
        )
        self.assertEqual(read.head.unread_count, 0)

        # Alice blocks bob: his message into their conversation is refused with 4017 blocked.
        await self.alice.block_user("bob")
        try:
            self.assertEqual(await self.alice.blocked_users(), ["bob"])
            refused = await bob_dm.send_text("are you there?")
            with self.assertRaises(sdk.SdkError.Permission) as blocked:
                await self.bob.wait_for_send(refused.local_id)
            self.assertEqual((blocked.exception.code, blocked.exception.name), (4017, "blocked"))
            await bob_dm.discard(refused.local_id)
        finally:
            await self.alice.unblock_user("bob")

        # Profiles: alice's display name reaches bob.
        profile = await self.alice.set_profile(sdk.ProfileUpdate(display_name="Alice of Python"))
        self.assertEqual((profile.user_id, profile.display_name), ("alice", "Alice of Python"))
        fetched = await self.bob.fetch_profiles(["alice"])
        self.assertEqual([p.display_name for p in fetched], ["Alice of Python"])
        self.assertEqual(self.bob.display_name("alice"), "Alice of Python")
        self.assertEqual(self.bob.profile("alice").display_name, "Alice of Python")

        # Presence: bob follows alice and sees her online.
        await self.alice.set_presence(sdk.PresenceStatus.ONLINE, "testing python")
        presence = PresenceWatcher(loop)
        handle = await self.bob.subscribe_presence(["alice"], presence)
        self.addCleanup(handle.cancel)
        seen = await presence.wait_for(
            lambda ps: any(p.user_id == "alice" and p.status == sdk.PresenceStatus.ONLINE for p in ps)
        )
        self.assertEqual([p.text for p in seen if p.user_id == "alice"], ["testing python"])
        self.assertEqual(self.bob.presence("alice").status, sdk.PresenceStatus.ONLINE)
        await self.bob.unsubscribe_presence(["alice"])

        # Typing: alice types in the channel (throttled: the next keystroke is not sent); bob sees her.
        bob_channel = bob_community.channel(channel.id())
        typing = TypingWatcher(loop)
        typing_handle = bob_channel.subscribe_typing(typing)
        self.addCleanup(typing_handle.cancel)
        self.assertTrue(await channel.typing())
        self.assertFalse(await channel.typing())
        self.assertEqual(await typing.wait_for(lambda users: "alice" in users), ["alice"])
        self.assertEqual(bob_channel.typers(), ["alice"])

        # Voice: alice sits down in the voice channel; bob's community shows her there.
        seated = VoiceWatcher(loop)
        voice_handle = bob_community.subscribe_voice(seated)
        self.addCleanup(voice_handle.cancel)
        await voice.join_voice()
        [participant] = await seated.wait_for(lambda ps: any(p.user_id == "alice" for p in ps))
        self.assertEqual(participant.channel_id, voice.id())
        self.assertEqual([p.user_id for p in bob_community.voice()], ["alice"])
        self.assertEqual([p.user_id for p in await voice.voice_participants()], ["alice"])
        await community.leave_voice()

    async def cached_until(self, channel, seq, done):
        """The cached copy of message `seq` once `done(message)` holds (bounded)."""

        async def read():
            page = await channel.messages(seq + 1, 1)
            return next((m for m in page if m.seq == seq), None)

        for _ in range(TIMEOUT * 10):
            message = await read()
            if message is not None and done(message):
                return message
            await asyncio.sleep(0.1)
        self.fail(f"message {seq} stayed {await read()!r}")

    def test_version_is_the_workspace_version(self):
        self.assertEqual((sdk.version(), sdk.__version__), (os.environ["CSDK_EXPECTED_VERSION"],) * 2)

    def test_snippet_highlights_become_str_indices(self):
        # Highlights are UTF-8 byte ranges: "👍 " is 5 bytes but 2 code points, each CJK
        # character 3 bytes but 1 code point.
        snippet = sdk.Snippet(
            text="👍 東京 ok", highlights=[sdk.Highlight(start=5, end=11), sdk.Highlight(start=12, end=14)]
        )
        self.assertEqual(sdk.highlight_spans(snippet), [(2, 4), (5, 7)])
        self.assertEqual(sdk.highlighted_texts(snippet), ["東京", "ok"])
        self.assertEqual(sdk.highlight_spans(sdk.Snippet(text="plain", highlights=[])), [])
        self.assertEqual(sdk.default_search_limit(), 20)

    async def test_search_words_cjk_malformed_merged_and_channels(self):
        community = await self.alice.create_community(
            sdk.NewCommunity(name="Python search", join_policy=sdk.JoinPolicy.FREE)
        )
        channel = await community.create_channel(sdk.NewChannel(name="py-lanterns", kind=sdk.ChannelKind.TEXT))
        self.assertIsInstance(await self.bob.join_community(community.id(), ""), sdk.JoinOutcome.JOINED)
        texts = ["the lantern parade starts at eight", "bring a Lantern and a friend", "明日東京都に行きます"]
        seqs = []
        for text in texts:
            echo = await channel.send_text(text)
            seqs.append(await self.alice.wait_for_send(echo.local_id))

        # Local (the cache, offline too): both messages with the word, each highlighted.
        scope = sdk.SearchOptions(query="lantern", community_id=community.id())
        local = await self.alice.search_local(scope)
        for _ in range(TIMEOUT * 10):
            if len(local.hits) >= 2:
                break
            await asyncio.sleep(0.1)
            local = await self.alice.search_local(scope)
        self.assertEqual({hit.message.seq for hit in local.hits}, set(seqs[:2]))
        self.assertTrue(local.server.is_not_asked(), local.server)
        self.assertTrue(all(hit.source == sdk.HitSource.LOCAL for hit in local.hits))
        for hit in local.hits:
            self.assertEqual([t.lower() for t in sdk.highlighted_texts(hit.snippet)], ["lantern"], hit.snippet)

        # A CJK substring: the highlight covers exactly 東京 (bytes 6..12, str indices 2..4).
        cjk = await self.alice.search_local(sdk.SearchOptions(query="東京", channel_id=channel.id()))
        self.assertEqual([hit.message.seq for hit in cjk.hits], [seqs[2]])
        snippet = cjk.hits[0].snippet
        self.assertEqual(snippet.text, "明日東京都に行きます")
        self.assertEqual(snippet.highlights, [sdk.Highlight(start=6, end=12)])
        self.assertEqual(sdk.highlight_spans(snippet), [(2, 4)])
        self.assertEqual(snippet.text[2:4], "東京")

        # A malformed query is the typed error invalid_search_query (5037), locally and merged.
        for search in (
            lambda: self.alice.search_local(sdk.SearchOptions(query='"unclosed')),
            lambda: channel.search(sdk.SearchOptions(query='"unclosed')),
        ):
            with self.assertRaises(sdk.SdkError.Limit) as caught:
                await search()
            self.assertEqual((caught.exception.code, caught.exception.name), (5037, "invalid_search_query"))
            self.assertEqual(caught.exception.kind(), sdk.ErrorKind.LIMIT)

        # Merged with the server: each message once (the server's copy); bob, who never
        # opened the channel, finds them through the server.
        merged = await channel.search(sdk.SearchOptions(query="lantern"))
        self.assertTrue(merged.server.is_answered(), merged.server)
        keys = [(hit.message.channel_id, hit.message.seq) for hit in merged.hits]
        self.assertEqual(len(keys), len(set(keys)), keys)
        self.assertEqual({seq for _, seq in keys}, set(seqs[:2]))
        bobs = await self.bob.community(community.id()).search(sdk.SearchOptions(query="東京"))
        self.assertTrue(bobs.server.is_answered(), bobs.server)
        self.assertEqual([hit.message.seq for hit in bobs.hits], [seqs[2]])
        self.assertEqual(bobs.hits[0].source, sdk.HitSource.SERVER)
        self.assertEqual(sdk.highlighted_texts(bobs.hits[0].snippet), ["東京"])

        # Channels, communities and members by name.
        channels = await community.search_channels("LANTERN")
        self.assertTrue(channels.server.is_answered(), channels.server)
        self.assertEqual([c.channel_id for c in channels.channels], [channel.id()])
        communities = await self.alice.search_communities("python sea")
        self.assertIn(community.id(), [c.community_id for c in communities.communities])
        members = await community.search_members("bo", None)
        self.assertEqual([m.user_id for m in members.items], ["bob"])

    async def test_a_throwing_listener_does_not_stop_delivery(self):
        community_id, channel_id = await self.community_with_channel("Python errors")
        bob_channel = self.bob.community(community_id).channel(channel_id)
        failing = Collector(asyncio.get_running_loop(), fail=True)
        handle = await bob_channel.subscribe_messages(failing)
        self.addCleanup(handle.cancel)
        alice_channel = self.alice.community(community_id).channel(channel_id)
        for i in range(3):
            await alice_channel.send_text(f"message {i}")
        expected = {f"message {i}" for i in range(3)}
        await failing.wait_for(lambda: expected <= failing.texts)
        self.assertGreaterEqual(failing.calls, 2, "called again after raising")
        handle.cancel()
        calls = failing.calls
        await alice_channel.send_text("after cancel")
        await asyncio.sleep(0.3)
        self.assertEqual(failing.calls, calls, "no call after cancel")

    async def test_name_too_long_is_a_typed_error(self):
        with self.assertRaises(sdk.SdkError.Limit) as caught:
            await self.alice.create_community(sdk.NewCommunity(name="x" * 301, join_policy=sdk.JoinPolicy.FREE))
        error = caught.exception
        self.assertEqual(error.code, 5000)
        self.assertEqual(error.name, "name_too_long")
        self.assertTrue(error.detail)
        self.assertEqual(error.kind(), sdk.ErrorKind.LIMIT)
        self.assertEqual(sdk.error_code(error), 5000)

    async def test_sync_state_and_shutdown(self):
        state = await self.poll(self.alice.sync_state, lambda s: s == sdk.SyncState.CAUGHT_UP)
        self.assertEqual(state, sdk.SyncState.CAUGHT_UP)
        await self.alice.shutdown()
        with self.assertRaises(sdk.SdkError.Closed) as caught:
            await self.alice.outbox()
        self.assertEqual(caught.exception.name, "closed")
        with self.assertRaises(sdk.SdkError.NotFound) as unknown:
            await self.bob.wait_for_send("no-such-id")
        self.assertEqual(unknown.exception.name, "message_not_found")

    async def test_the_sdk_log_reaches_the_app(self):
        collector = LogCollector()
        sdk.set_log_listener(sdk.LogLevel.INFO, collector)
        self.addCleanup(sdk.set_log_listener, sdk.LogLevel.INFO, None)
        await self.client("alice", env("CSDK_TOKEN_ALICE"))
        logins = await self.poll(collector.logins, bool)
        self.assertTrue(logins, "a login was logged")
        self.assertEqual(logins[0].level, sdk.LogLevel.INFO)
        self.assertTrue(logins[0].target.startswith("community_sdk"), logins[0].target)

    async def poll(self, read, done):
        for _ in range(TIMEOUT * 10):
            value = read()
            if done(value):
                return value
            await asyncio.sleep(0.1)
        return read()


if __name__ == "__main__":
    unittest.main()
