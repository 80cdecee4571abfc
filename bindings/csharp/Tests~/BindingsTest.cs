// The bindings scenario in C# (Mono) against a real community-server started by
// tests/csharp.sh (CSDK_SERVER_URL, CSDK_TOKEN_ALICE, CSDK_TOKEN_BOB): the same scenario
// as the C, Python and Kotlin tests — two users log in, a community and a channel, a
// subscription on a "main thread" (a SynchronizationContext) receiving 10 messages, unread
// 10 -> mark_read -> 0, the life of a message with typed refusals, a thread, a direct
// conversation through a block, search (a word and a CJK substring highlighted, 5037 for a
// malformed query, merged hits once, channels by name), typed errors (5000
// name_too_long), close — then a callback
// storm (10,000 events through 10,000 subscriptions, disposal races, throwing handlers,
// garbage collections) that must end with no crash and no GCHandle left. Also checks every
// [DllImport] against the native library and the JSON reader/writer. Prints
// "N passed, N failed" and exits non-zero on a failure.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using CommunitySdk;
using CommunitySdk.Native;

internal static class BindingsTest
{
    private static int passed, failed;

    private static void Check(bool condition, string what)
    {
        if (condition)
        {
            Interlocked.Increment(ref passed);
        }
        else
        {
            Interlocked.Increment(ref failed);
            Console.WriteLine("FAIL " + what);
        }
    }

    private static T Expect<T>(Func<T> call, string what)
    {
        try
        {
            T value = call();
            Interlocked.Increment(ref passed);
            return value;
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref failed);
            Console.WriteLine("FAIL " + what + ": " + e);
            return default(T);
        }
    }

    /// <summary>The exception a task fails with (null when it succeeds).</summary>
    private static Exception Failure(Func<Task> call)
    {
        try
        {
            call().GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static bool Until(Func<bool> condition, int timeoutMs = 30000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            Thread.Sleep(20);
        }
        return condition();
    }

    private static string Env(string name)
    {
        string value = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(value))
        {
            Console.Error.WriteLine("missing environment variable " + name);
            Environment.Exit(2);
        }
        return value;
    }

    private static Client NewClient(string url, string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "csdk-cs-" + Guid.NewGuid().ToString("N"), name);
        return Client.Create(new ClientOptions { ServerUrl = url, DataDir = dir, DeviceId = "cs-" + name });
    }

    private static int Main()
    {
        Sdk.CallbackException += e => { }; // replaced per test where it matters
        try
        {
            Run("native_entry_points", NativeEntryPoints);
            Run("json", JsonRoundTrips);
            string url = Env("CSDK_SERVER_URL");
            Run("scenario", () => Scenario(url));
            Run("callback_storm", () => CallbackStorm(url));
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine("FAIL unexpected: " + e);
        }
        Console.WriteLine($"{passed} passed, {failed} failed");
        return ExitNow(failed == 0 ? 0 : 1);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void NativeExit(int code);

    /// <summary>
    /// Ends the process without Mono's shutdown, which waits for every thread attached to it —
    /// the SDK's callback thread too, parked in native code for good (a console-host issue; see
    /// docs/BINDINGS.md, C#).
    /// </summary>
    internal static int ExitNow(int code)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        NativeExit(code);
        return code;
    }

    private static void Run(string name, Action test)
    {
        int before = failed;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            test();
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"FAIL {name}: {e}");
        }
        Console.WriteLine($"{(failed == before ? "ok" : "FAILED")} {name} ({watch.ElapsedMilliseconds} ms)");
    }

    // ------------------------------------------------------------------------------------

    /// <summary>Every [DllImport] resolves in the library (a function renamed or removed in Rust fails here).</summary>
    private static void NativeEntryPoints()
    {
        var methods = typeof(NativeMethods).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.GetCustomAttributes(typeof(DllImportAttribute), false).Length > 0).ToList();
        int missing = 0;
        foreach (var m in methods)
        {
            try
            {
                Marshal.Prelink(m);
            }
            catch (Exception e)
            {
                missing++;
                Console.WriteLine("missing entry point " + m.Name + ": " + e.GetType().Name);
            }
        }
        Check(methods.Count >= 150 && missing == 0, $"{methods.Count} entry points, {missing} missing");
        Check(Sdk.Version == Env("CSDK_EXPECTED_VERSION"), "csdk_version is the workspace version: " + Sdk.Version);
        Check(Sdk.DirectCommunityId == "@me", "csdk_direct_community_id");
    }

    private static void JsonRoundTrips()
    {
        var text = new MessageContent.Text("héllo \"quoted\" \\ \n tab\t 👍 \u0001");
        var back = MessageContent.FromJson(text.ToJson()) as MessageContent.Text;
        Check(back != null && back.TextValue == text.TextValue, "text content round trip: " + text.ToJson());
        Check(text.ToJson().StartsWith("{\"type\":\"text\",\"text\":"), "tag first: " + text.ToJson());

        var escaped = MessageContent.FromJson("{\"text\":\"\\ud83d\\udc4d \\u00e9\\/\",\"type\":\"text\"}") as MessageContent.Text;
        Check(escaped != null && escaped.TextValue == "👍 é/", "escapes, surrogate pairs, tag not first");

        var unknown = MessageContent.FromJson("{\"type\":\"hologram\",\"depth\":{\"a\":[1,2,{}]}}");
        Check(unknown is MessageContent.Unsupported, "an unknown content type is Unsupported");
        Check(MessageUpdate.FromJson("{\"type\":\"teleported\"}") is MessageUpdate.Unknown, "an unknown timeline update is Unknown");

        var head = ChannelUnread.FromJson("{\"community_id\":\"c\",\"channel_id\":\"h\",\"unread_count\":18446744073709551615," +
                                          "\"mention_count\":0,\"future\":[true,null,-1.5e3],\"last_seq\":7}");
        Check(head != null && head.UnreadCount == ulong.MaxValue && head.LastSeq == 7, "u64 exact, unknown fields skipped");

        var kind = ChannelInfo.FromJson("{\"kind\":\"hologram\"}");
        Check(kind.Kind == ChannelKind.Unknown, "an unknown enum value is Unknown");

        var options = new SendOptions { CustomData = "x" };
        Check(SendOptions.FromJson(options.ToJson()).CustomData == "x", "SendOptions round trip: " + options.ToJson());

        var rule = new Override { Target = new OverrideTarget.Group("everyone"), Deny = (ulong)PermissionFlags.SendMessages };
        Check(rule.ToJson() == "{\"target\":{\"type\":\"group\",\"group_id\":\"everyone\"},\"allow\":0,\"deny\":4}", "Override JSON: " + rule.ToJson());

        bool threw = false;
        try
        {
            ChannelUnread.FromJson("{\"unread_count\":1");
        }
        catch (FormatException)
        {
            threw = true;
        }
        Check(threw, "truncated JSON is a FormatException");
    }

    // ------------------------------------------------------------------------------------

    /// <summary>A single-threaded SynchronizationContext: what Unity's main thread is to the app.</summary>
    private sealed class MainThread : SynchronizationContext, IDisposable
    {
        private readonly Queue<KeyValuePair<SendOrPostCallback, object>> queue = new Queue<KeyValuePair<SendOrPostCallback, object>>();
        private readonly Thread thread;
        private bool stopping;
        public int ThreadId;

        public MainThread()
        {
            thread = new Thread(Loop) { IsBackground = true, Name = "test-main-thread" };
            thread.Start();
            Until(() => ThreadId != 0);
        }

        public override void Post(SendOrPostCallback d, object state)
        {
            lock (queue)
            {
                queue.Enqueue(new KeyValuePair<SendOrPostCallback, object>(d, state));
                Monitor.Pulse(queue);
            }
        }

        private void Loop()
        {
            SetSynchronizationContext(this);
            ThreadId = Thread.CurrentThread.ManagedThreadId;
            while (true)
            {
                KeyValuePair<SendOrPostCallback, object> item;
                lock (queue)
                {
                    while (queue.Count == 0 && !stopping) Monitor.Wait(queue);
                    if (queue.Count == 0) return;
                    item = queue.Dequeue();
                }
                item.Key(item.Value);
            }
        }

        public void Dispose()
        {
            lock (queue)
            {
                stopping = true;
                Monitor.Pulse(queue);
            }
            thread.Join();
        }
    }

    private static void Scenario(string url)
    {
        int handlesBefore = SubscriptionBase.LiveHandles;
        using (var main = new MainThread())
        using (var alice = NewClient(url, "alice"))
        using (var bob = NewClient(url, "bob"))
        {
            // A typed error before anything else: a NULL user id is invalid_argument (kind limit).
            var bad = Failure(() => alice.LoginAsync(null, "x")) as SdkException.Limit;
            Check(bad != null && bad.Code == ErrorCodes.InvalidArgument && bad.Name == "invalid_argument", "null user id: " + bad);

            // The SDK's log reaches a C# handler.
            int loginsLogged = 0;
            Sdk.SetLogHandler(LogLevel.Info, record =>
            {
                if (record.Message.StartsWith("logged in") && record.Target.StartsWith("community_sdk")) Interlocked.Increment(ref loginsLogged);
            });
            var outcome = Expect(() => alice.LoginAsync("alice", Env("CSDK_TOKEN_ALICE")).Result, "alice logs in");
            Check(outcome == LoginOutcome.Synced, "alice is synced: " + outcome);
            Check(Until(() => Volatile.Read(ref loginsLogged) >= 1, 3000), "the login was logged through the bridge");
            Sdk.SetLogHandler(LogLevel.Info, null);
            Expect(() => bob.LoginAsync("bob", Env("CSDK_TOKEN_BOB")).Result, "bob logs in");
            Check(alice.UserId() == "alice", "user id");
            Check(alice.ConnectionState() is ConnectionState.Connected, "alice is connected: " + alice.ConnectionState());
            Check(Until(() => alice.SyncState() == SyncState.CaughtUp), "alice caught up: " + alice.SyncState());

            // A community and a channel; bob joins.
            var community = Expect(() => alice.CreateCommunityAsync(new NewCommunity { Name = "C# guild" }).Result, "create community");
            var channel = Expect(() => community.CreateChannelAsync(new NewChannel { Name = "cs-chat" }).Result, "create channel");
            var joined = Expect(() => bob.JoinCommunityAsync(community.Id).Result, "bob joins");
            Check(joined is JoinOutcome.Joined, "join outcome: " + joined);
            var entry = channel.Entry();
            ulong baseSeq = entry == null ? 0 : entry.Head.LastSeq;
            Check(baseSeq >= 1, "the channel starts with a system message: " + entry);

            // bob's timeline on the "main thread": every event there, all 10 messages seen.
            var bobChannel = bob.Community(community.Id).Channel(channel.Id);
            bob.EventContext = main;
            var seen = new HashSet<string>();
            int offThread = 0;
            var timeline = bobChannel.SubscribeMessages(updates =>
            {
                if (Thread.CurrentThread.ManagedThreadId != main.ThreadId) offThread++;
                foreach (var u in updates)
                {
                    var inserted = u as MessageUpdate.Inserted;
                    var text = inserted == null ? null : inserted.Message.Content as MessageContent.Text;
                    if (text != null && text.TextValue.StartsWith("message ")) lock (seen) seen.Add(text.TextValue);
                }
            });
            UnreadUpdate lastUnread = null;
            var unreadSub = bob.SubscribeUnread(u => Volatile.Write(ref lastUnread, u));
            bob.EventContext = null;
            Check(timeline.Context == main, "the subscription posts to the main thread");

            LocalMessage echo = null;
            for (int i = 0; i < 10; i++) echo = Expect(() => channel.SendTextAsync("message " + i).Result, "send");
            Check(echo != null && echo.State is SendState.Sending, "the local echo is sending: " + echo);
            ulong seq = Expect(() => alice.WaitForSendAsync(echo.LocalId).Result, "wait_for_send");
            Check(seq == baseSeq + 10, $"the tenth message is sent as #{baseSeq + 10} (got {seq})");
            var notFound = Failure(() => alice.WaitForSendAsync("no-such-id")) as SdkException.NotFound;
            Check(notFound != null && notFound.Code == ErrorCodes.MessageNotFound, "an unknown local id is message_not_found: " + notFound);
            Check(Until(() => { lock (seen) return seen.Count == 10; }), "the handler saw all 10 messages");
            Check(offThread == 0, "every timeline event ran on the main thread");
            timeline.Dispose();
            Check(timeline.IsDisposed, "disposed");

            // Unread: 10 on bob's side (cache and subscription), then 0 after mark_read.
            Check(Until(() => { var u = bobChannel.Unread(); return u != null && u.UnreadCount == 10; }), "bob has 10 unread: " + bobChannel.Unread());
            Check(Until(() =>
            {
                var u = Volatile.Read(ref lastUnread);
                return u != null && u.Channels.Any(c => c.ChannelId == channel.Id && c.UnreadCount == 10);
            }), "the unread subscription shows 10");
            Check(bob.Communities().Any(c => c.Info.CommunityId == community.Id), "bob's community list has the guild");
            var badge = bob.Community(community.Id).Unread();
            Check(badge != null && badge.UnreadCount >= 10, "the community's badge: " + badge);
            var lastSeq = bobChannel.Unread().LastSeq;
            var head = Expect(() => bobChannel.MarkReadAsync(lastSeq).Result, "mark_read");
            Check(head != null && head.UnreadCount == 0 && head.ReadSeq == lastSeq, "head after mark_read: " + head);
            Check(bobChannel.Unread().UnreadCount == 0, "unread is 0");
            unreadSub.Dispose();

            var page = Expect(() => bobChannel.MessagesAsync(0, 100).Result, "messages page");
            Check(page != null && page.Count(m => (m.Content as MessageContent.Text)?.TextValue.StartsWith("message ") == true) == 10,
                  "the history page holds the 10 messages");

            MessageLife(alice, bob, community, channel);
            Threads(alice, bob, channel);
            People(alice, bob);
            Search(alice, bob);

            // A 301-character name is a typed limit error: 5000 name_too_long.
            var tooLong = Failure(() => alice.CreateCommunityAsync(new NewCommunity { Name = new string('x', 301) })) as SdkException.Limit;
            Check(tooLong != null && tooLong.Code == 5000 && tooLong.Name == "name_too_long" && tooLong.Kind == ErrorKind.Limit,
                  "name too long: " + tooLong);

            var members = Expect(() => community.MembersAsync(null, null, 0).Result, "members");
            Check(members != null && members.TotalCount == 2, "two members: " + members);

            // Shutdown: later calls fail with closed (10003).
            Expect(() => { alice.ShutdownAsync().Wait(); return true; }, "shutdown");
            var closed = Failure(() => alice.OutboxAsync()) as SdkException.Closed;
            Check(closed != null && closed.Code == ErrorCodes.Closed, "calls after shutdown fail: " + closed);
            Check(bob.OpenSubscriptions == 0, "no subscription left open");
        }
        Check(SubscriptionBase.LiveHandles == handlesBefore, $"no GCHandle left ({SubscriptionBase.LiveHandles})");
    }

    private static void MessageLife(Client alice, Client bob, Community community, Channel channel)
    {
        var bobChannel = bob.Community(community.Id).Channel(channel.Id);
        var echo = Expect(() => bobChannel.SendAsync(new MessageContent.Text("first draft"), new SendOptions { CustomData = "mood=calm" }).Result, "send with custom data");
        ulong seq = Expect(() => bob.WaitForSendAsync(echo.LocalId).Result, "bob's message is sent");
        var edit = Expect(() => bobChannel.EditMessageAsync(seq, new MessageEdit { Content = new MessageContent.Text("final text") }).Result, "edit");
        Check(edit != null && edit.Action is ChangeAction.Edit && edit.State is ChangeState.Pending, "the edit is pending: " + edit);
        Check(Expect(() => bob.WaitForChangeAsync(edit.Key).Result, "wait for the edit") >= 1, "the edit has a change sequence");
        var react = Expect(() => channel.AddReactionAsync(seq, "👍").Result, "react");
        Expect(() => alice.WaitForChangeAsync(react.Key).Result, "wait for the reaction");
        Check(Until(() =>
        {
            var m = channel.MessagesAsync(seq + 1, 1).Result.FirstOrDefault();
            return m != null && (m.Content as MessageContent.Text)?.TextValue == "final text" && m.EditCount == 1 &&
                   m.CustomData == "mood=calm" && m.Reactions.Any(r => r.Emoji == "👍" && r.Me);
        }), "alice sees the edit and her reaction");
        var pinRefused = Failure(() => bobChannel.PinMessageAsync(seq)) as SdkException.Permission;
        Check(pinRefused != null && pinRefused.Code == ErrorCodes.PermissionDenied && pinRefused.Name == "permission_denied", "bob's pin: " + pinRefused);
        var notAuthor = Failure(() => channel.EditMessageAsync(seq, new MessageEdit { Content = new MessageContent.Text("x") })) as SdkException.Permission;
        Check(notAuthor != null && notAuthor.Code == ErrorCodes.NotAuthor, "alice editing bob's message: " + notAuthor);
        var pin = Expect(() => channel.PinMessageAsync(seq).Result, "the owner pins");
        Expect(() => alice.WaitForChangeAsync(pin.Key).Result, "wait for the pin");
        var pins = Expect(() => channel.PinsAsync().Result, "pins");
        Check(pins != null && pins.Any(m => m.Seq == seq), "the pinned message is listed");
        Check((channel.Permissions() & PermissionFlags.ManageMessages) != 0, "the owner may manage messages");
        Check((bobChannel.Permissions() & PermissionFlags.ManageMessages) == 0, "bob may not");
    }

    private static void Threads(Client alice, Client bob, Channel channel)
    {
        var echo = Expect(() => channel.SendTextAsync("raid tonight?").Result, "the parent message");
        ulong parent = Expect(() => alice.WaitForSendAsync(echo.LocalId).Result, "the parent message is sent");
        var thread = Expect(() => channel.CreateThreadAsync(new NewThread { Name = "raid plan", ParentSeq = parent }).Result, "create_thread");
        var exists = Failure(() => channel.CreateThreadAsync(new NewThread { Name = "again", ParentSeq = parent })) as SdkException.NotFound;
        Check(exists != null && exists.Code == ErrorCodes.ThreadExists, "a second thread on one message: " + exists);
        if (thread == null) return;
        var bobThread = bob.Community(channel.CommunityId).Channel(channel.Id).Thread(thread.Id);
        Expect(() => bobThread.JoinAsync().Result, "bob joins the thread");
        var reply = Expect(() => bobThread.SendTextAsync("count me in").Result, "bob replies in the thread");
        Expect(() => bob.WaitForSendAsync(reply.LocalId).Result, "the reply is sent");
        Check(Until(() => { var u = thread.Unread(); return u != null && u.UnreadCount == 1; }), "alice has one unread in the thread: " + thread.Unread());
        Check(Until(() =>
        {
            var m = channel.MessagesAsync(parent + 1, 1).Result.FirstOrDefault();
            return m != null && m.Thread != null && m.Thread.MessageCount == 1 && m.Thread.Last != null && m.Thread.Last.SenderId == "bob";
        }), "the digest on the parent message");
    }

    private static void People(Client alice, Client bob)
    {
        var dm = Expect(() => alice.DirectConversationAsync("bob").Result, "direct conversation");
        if (dm == null) return;
        Check(dm.CommunityId == Sdk.DirectCommunityId, "a conversation is a channel of @me");
        var echo = Expect(() => dm.SendTextAsync("hi bob, from c#").Result, "send into the conversation");
        Check(Expect(() => alice.WaitForSendAsync(echo.LocalId).Result, "sent") >= 1, "the conversation has a message");
        Check(Until(() => { var e = bob.ConversationEntry(dm.Id); return e != null && e.Head.UnreadCount == 1; }), "bob's entry has one unread");
        var bobDm = bob.Conversation(dm.Id);
        Expect(() => bobDm.MarkAllReadAsync().Result, "bob reads it");
        Expect(() => { alice.BlockUserAsync("bob").Wait(); return true; }, "block_user");
        var blockedEcho = Expect(() => bobDm.SendTextAsync("are you there?").Result, "bob's message is queued");
        var blocked = Failure(() => bob.WaitForSendAsync(blockedEcho.LocalId)) as SdkException.Permission;
        Check(blocked != null && blocked.Code == ErrorCodes.Blocked && blocked.Name == "blocked", "a message through a block: " + blocked);
        Expect(() => bobDm.DiscardAsync(blockedEcho.LocalId).Result, "discard the refused message");
        Expect(() => { alice.UnblockUserAsync("bob").Wait(); return true; }, "unblock_user");
        Expect(() => alice.SetProfileAsync(new ProfileUpdate { DisplayName = "Alice of C#" }).Result, "set_profile");
        Expect(() => bob.FetchProfilesAsync(new[] { "alice" }).Result, "fetch_profiles");
        Check(bob.DisplayName("alice") == "Alice of C#", "display name: " + bob.DisplayName("alice"));
    }

    private static void Search(Client alice, Client bob)
    {
        // Highlights are UTF-8 byte ranges; HighlightRanges gives UTF-16 ones ("👍 " is 5
        // bytes but 3 UTF-16 units, each CJK character 3 bytes but 1 unit).
        var sample = new Snippet { Text = "👍 東京 ok", Highlights = new List<Highlight> { new Highlight { Start = 5, End = 11 }, new Highlight { Start = 12, End = 14 } } };
        var sampleRanges = sample.HighlightRanges();
        Check(sampleRanges.Count == 2 && sampleRanges[0].Start == 3 && sampleRanges[0].Length == 2 && sampleRanges[1].Start == 6 && sampleRanges[1].Length == 2,
              "UTF-16 ranges: " + string.Join(", ", sampleRanges));
        Check(string.Join("|", sample.HighlightedTexts()) == "東京|ok", "highlighted texts: " + string.Join("|", sample.HighlightedTexts()));
        Check(Constants.DefaultSearchLimit == 20, "CSDK_DEFAULT_SEARCH_LIMIT");

        var community = Expect(() => alice.CreateCommunityAsync(new NewCommunity { Name = "C# search" }).Result, "search community");
        var channel = Expect(() => community.CreateChannelAsync(new NewChannel { Name = "cs-lanterns" }).Result, "#cs-lanterns");
        Expect(() => bob.JoinCommunityAsync(community.Id).Result, "bob joins the search community");
        if (community == null || channel == null) return;
        var texts = new[] { "the lantern parade starts at eight", "bring a Lantern and a friend", "明日東京都に行きます" };
        var seqs = texts.Select(t => Expect(() => alice.WaitForSendAsync(channel.SendTextAsync(t).Result.LocalId).Result, "send " + t)).ToList();

        // Local (the cache, offline too): both messages with the word, each highlighted.
        SearchResults local = null;
        Check(Until(() =>
        {
            local = alice.SearchLocalAsync(new SearchOptions { Query = "lantern", CommunityId = community.Id }).Result;
            return local.Hits.Count >= 2;
        }), "the local search finds both messages");
        Check(local != null && new HashSet<ulong>(local.Hits.Select(h => h.Message.Seq)).SetEquals(seqs.Take(2)), "local hits");
        Check(local != null && local.Server is ServerSearch.NotAsked && local.Hits.All(h => h.Source == HitSource.Local), "local: no server asked");
        Check(local != null && local.Hits.All(h => string.Join("|", h.Snippet.HighlightedTexts()).ToLowerInvariant() == "lantern"), "the word is highlighted");

        // A CJK substring: the highlight covers exactly 東京 (bytes 6..12, UTF-16 2..4).
        var cjk = Expect(() => alice.SearchLocalAsync(new SearchOptions { Query = "東京", ChannelId = channel.Id }).Result, "CJK search");
        var hit = cjk == null ? null : cjk.Hits.SingleOrDefault();
        Check(hit != null && hit.Message.Seq == seqs[2] && hit.Snippet.Text == texts[2], "the CJK message is found");
        Check(hit != null && hit.Snippet.Highlights.Count == 1 && hit.Snippet.Highlights[0].Start == 6 && hit.Snippet.Highlights[0].End == 12, "byte range 6..12");
        var range = hit == null ? default(TextRange) : hit.Snippet.HighlightRanges().Single();
        Check(range.Start == 2 && range.Length == 2 && hit.Snippet.Text.Substring(range.Start, range.Length) == "東京", "UTF-16 range 2+2: " + range);

        // A malformed query is the typed error invalid_search_query (5037), locally and merged.
        var malformed = Failure(() => alice.SearchLocalAsync(new SearchOptions { Query = "\"unclosed" })) as SdkException.Limit;
        Check(malformed != null && malformed.Code == ErrorCodes.InvalidSearchQuery && malformed.Code == 5037 && malformed.Name == "invalid_search_query",
              "a malformed query: " + malformed);
        var mergedMalformed = Failure(() => channel.SearchAsync(new SearchOptions { Query = "\"unclosed" })) as SdkException.Limit;
        Check(mergedMalformed != null && mergedMalformed.Code == 5037, "merged, a malformed query: " + mergedMalformed);

        // Merged with the server: each message once (the server's copy); bob finds the CJK one through the server.
        var merged = Expect(() => channel.SearchAsync(new SearchOptions { Query = "lantern" }).Result, "merged search");
        Check(merged != null && merged.Server is ServerSearch.Answered, "the server answered: " + (merged == null ? null : merged.Server));
        var keys = merged == null ? new List<string>() : merged.Hits.Select(h => h.Message.ChannelId + "#" + h.Message.Seq).ToList();
        Check(keys.Count == 2 && keys.Distinct().Count() == 2 && merged.Hits.All(h => seqs.Take(2).Contains(h.Message.Seq)), "each message once: " + string.Join(", ", keys));
        var bobs = Expect(() => bob.Community(community.Id).SearchAsync(new SearchOptions { Query = "東京" }).Result, "bob's merged search");
        Check(bobs != null && bobs.Server is ServerSearch.Answered && bobs.Hits.Count == 1 && bobs.Hits[0].Message.Seq == seqs[2]
              && bobs.Hits[0].Source == HitSource.Server && bobs.Hits[0].Snippet.HighlightedTexts().Single() == "東京", "bob finds it through the server");

        // Channels, communities and members by name.
        var channels = Expect(() => community.SearchChannelsAsync("LANTERN").Result, "channel search");
        Check(channels != null && channels.Server is ServerSearch.Answered && channels.Channels.Select(c => c.ChannelId).SequenceEqual(new[] { channel.Id }),
              "the channel is found by name");
        var communities = Expect(() => alice.SearchCommunitiesAsync("c# sea").Result, "community search");
        Check(communities != null && communities.Communities.Any(c => c.CommunityId == community.Id), "the community is found by name");
        var members = Expect(() => community.SearchMembersAsync("bo", 0).Result, "member search");
        Check(members != null && members.Items.Select(m => m.UserId).SequenceEqual(new[] { "bob" }), "bob is found");
    }

    // ------------------------------------------------------------------------------------

    private static void CallbackStorm(string url)
    {
        int handlesBefore = SubscriptionBase.LiveHandles;
        int thrown = 0;
        Sdk.CallbackException += e => { if (e is InvalidOperationException) Interlocked.Increment(ref thrown); };
        using (var client = NewClient(url, "storm"))
        {
            Expect(() => client.LoginAsync("alice", Env("CSDK_TOKEN_ALICE")).Result, "the storm's client logs in");

            // 10,000 subscriptions, each delivering its current value to one handler, while
            // the garbage collector runs: every event arrives, none twice.
            const int N = 10000;
            int events = 0;
            var subs = new List<Subscription<UnreadUpdate>>(N);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < N; i++)
            {
                subs.Add(client.SubscribeUnread(u => Interlocked.Increment(ref events)));
                if (i % 2000 == 0) GC.Collect();
            }
            Check(Until(() => Volatile.Read(ref events) >= N), $"10,000 events delivered (got {events})");
            Console.WriteLine($"  storm: {N} events in {watch.ElapsedMilliseconds} ms (subscribe + deliver)");
            Thread.Sleep(100);
            Check(Volatile.Read(ref events) == N, $"each exactly once (got {events})");
            Check(SubscriptionBase.LiveHandles == handlesBefore + N, "one GCHandle per live subscription");

            // Disposed from two threads at once.
            var half = subs.Count / 2;
            var a = Task.Run(() => { for (int i = 0; i < half; i++) subs[i].Dispose(); });
            var b = Task.Run(() => { for (int i = subs.Count - 1; i >= half; i--) subs[i].Dispose(); });
            Task.WaitAll(a, b);
            Check(client.OpenSubscriptions == 0 && SubscriptionBase.LiveHandles == handlesBefore, "all 10,000 disposed, no handle left");

            // Races: disposed at once (often before the first event), from inside the handler,
            // and handlers that throw; nothing runs after Dispose returned.
            int afterDispose = 0, insideDisposed = 0;
            var racers = new List<SubscriptionBase>();
            for (int i = 0; i < 2000; i++)
            {
                switch (i % 4)
                {
                    case 0:
                    {
                        Subscription<ConnectionState> s = null;
                        bool done = false;
                        s = client.SubscribeConnection(_ => { if (Volatile.Read(ref done)) Interlocked.Increment(ref afterDispose); });
                        s.Dispose();
                        Volatile.Write(ref done, true);
                        break;
                    }
                    case 1:
                    {
                        var box = new Subscription<SyncState>[1];
                        box[0] = client.SubscribeSyncState(_ =>
                        {
                            var self = Volatile.Read(ref box[0]);
                            if (self != null && !self.IsDisposed)
                            {
                                self.Dispose();
                                Interlocked.Increment(ref insideDisposed);
                            }
                        });
                        Volatile.Write(ref box[0], box[0]);
                        racers.Add(box[0]);
                        break;
                    }
                    case 2:
                        racers.Add(client.SubscribeUnread(_ => { throw new InvalidOperationException("a handler that throws"); }));
                        break;
                    default:
                        racers.Add(client.SubscribeCommunities(_ => { }));
                        break;
                }
            }
            Check(Until(() => Volatile.Read(ref thrown) >= 500), $"throwing handlers reported, deliveries went on ({thrown})");
            Check(Until(() => Volatile.Read(ref insideDisposed) >= 1), $"disposed from inside handlers ({insideDisposed})");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            foreach (var s in racers) s.Dispose();
            Thread.Sleep(100);
            Check(afterDispose == 0, $"no event after Dispose returned ({afterDispose})");
            // Open ones left to the client's Dispose: it ends them.
            for (int i = 0; i < 100; i++) client.SubscribeUnread(_ => { });
        }
        Check(SubscriptionBase.LiveHandles == handlesBefore, $"the client's Dispose ended the rest, no handle left ({SubscriptionBase.LiveHandles})");
    }
}
