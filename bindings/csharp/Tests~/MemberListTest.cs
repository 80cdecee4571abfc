// The member list (protocol §22.2) in C# (Mono) against the server of tests/csharp.sh
// (CSDK_SERVER_URL, CSDK_TOKEN_ALICE, CSDK_TOKEN_BOB, CSDK_TOKEN_CAROL): three members,
// carol in a group and offline; the first update is a Reset in the documented order
// (highest group first, online before offline, then name) with the total and sections;
// bob's nickname arrives as Changed operations whose application gives the snapshot;
// SetMemberListRangesAsync brings a Reset of the new window; bad ranges fail with
// SdkException 5038 (ErrorCodes.InvalidMemberListRange). Prints "N passed, N failed".

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using CommunitySdk;

internal static class MemberListTest
{
    private static int passed, failed;

    private static void Check(bool condition, string what)
    {
        if (condition)
        {
            passed++;
        }
        else
        {
            failed++;
            Console.WriteLine("FAIL " + what);
        }
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

    private static Client LogIn(string url, string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "csdk-cs-ml-" + Guid.NewGuid().ToString("N"), name);
        var client = Client.Create(new ClientOptions { ServerUrl = url, DataDir = dir, DeviceId = "cs-ml-" + name });
        client.LoginAsync(name, Env("CSDK_TOKEN_" + name.ToUpperInvariant())).Wait();
        return client;
    }

    /// <summary>The window <paramref name="items"/> (from position <paramref name="start"/>) after <paramref name="ops"/>.</summary>
    private static List<MemberListItem> Apply(List<MemberListItem> items, List<MemberListOp> ops, uint start)
    {
        var result = new List<MemberListItem>(items);
        foreach (var op in ops)
        {
            if (op is MemberListOp.Insert insert) result.Insert((int)(insert.Index - start), insert.Item);
            else if (op is MemberListOp.Delete delete) result.RemoveAt((int)(delete.Index - start));
            else if (op is MemberListOp.Update update) result[(int)(update.Index - start)] = update.Item;
        }
        return result;
    }

    private static string Ids(IEnumerable<MemberListItem> items)
    {
        return string.Join(",", items.Select(i => i.UserId));
    }

    /// <summary>The next update of type T (others skipped), waiting at most 30 s.</summary>
    private static T Next<T>(BlockingCollection<MemberListUpdate> queue) where T : MemberListUpdate
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            MemberListUpdate update;
            if (queue.TryTake(out update, 100) && update is T wanted) return wanted;
        }
        throw new TimeoutException("no " + typeof(T).Name);
    }

    private static int Main()
    {
        string url = Env("CSDK_SERVER_URL");
        try
        {
            Run(url);
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine("FAIL " + e);
        }
        Console.WriteLine(passed + " passed, " + failed + " failed");
        Console.Out.Flush();
        // Without Mono's shutdown, which waits for the SDK's callback thread (see BindingsTest.ExitNow).
        NativeExit(failed == 0 ? 0 : 1);
        return failed == 0 ? 0 : 1;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
    private static extern void NativeExit(int code);

    private static void Run(string url)
    {
        var alice = LogIn(url, "alice");
        var bob = LogIn(url, "bob");
        var carol = LogIn(url, "carol");
        var community = alice.CreateCommunityAsync(new NewCommunity { Name = "C# member list", JoinPolicy = JoinPolicy.Free }).Result;
        bob.JoinCommunityAsync(community.Id).Wait();
        carol.JoinCommunityAsync(community.Id).Wait();
        var mods = community.CreateGroupAsync(new NewGroup { Name = "Mods" }).Result;
        community.AssignGroupAsync("carol", mods.GroupId).Wait();
        carol.ShutdownAsync().Wait();

        var queue = new BlockingCollection<MemberListUpdate>();
        var subscription = community.SubscribeMemberList(new[] { new ListRange { Start = 0, End = 9 } }, queue.Add);
        var snapshot = Next<MemberListUpdate.Reset>(queue).Snapshot;
        Check(snapshot.Total == 3, "total " + snapshot.Total);
        string sections = string.Join(";", snapshot.Sections.Select(s => (s.GroupId ?? "none") + ":" + s.Count));
        Check(sections == mods.GroupId + ":1;none:2", "sections " + sections);
        var window = snapshot.Windows.Single().Items;
        Check(Ids(window) == "carol,alice,bob", "group first, then online by name: " + Ids(window));
        Check(window[1].Status == PresenceStatus.Online, "alice is online: " + window[1].Status);

        // Bob's nickname moves him before alice: operations whose application is the snapshot.
        bob.Community(community.Id).SetNicknameAsync("Aaron").Wait();
        int changes = 0;
        while (Ids(window) != "carol,bob,alice" && changes < 20)
        {
            var changed = Next<MemberListUpdate.Changed>(queue);
            Check(changed.Total == 3, "changed total " + changed.Total);
            window = Apply(window, changed.Ops, 0);
            changes++;
        }
        Check(Ids(window) == "carol,bob,alice" && window[1].DisplayName == "Aaron", "after the operations: " + Ids(window));
        var now = community.MemberListSnapshotAsync().Result.Windows.Single().Items;
        Check(Ids(now) == Ids(window) && now[1].DisplayName == "Aaron", "the snapshot has them applied: " + Ids(now));

        // Scrolling: a Reset of the new window.
        community.SetMemberListRangesAsync(new[] { new ListRange { Start = 1, End = 2 } }).Wait();
        var scrolled = Next<MemberListUpdate.Reset>(queue).Snapshot.Windows.Single();
        Check(scrolled.Range.Start == 1 && Ids(scrolled.Items) == "bob,alice", "the new window: " + Ids(scrolled.Items));

        // Bad ranges: the typed error with its code, from both calls.
        var bad = Failure(() => community.SetMemberListRangesAsync(new[] { new ListRange { Start = 5, End = 1 } }).Wait());
        Check(bad != null && bad.Code == ErrorCodes.InvalidMemberListRange && bad.Name == "invalid_member_list_range",
            "start after end: " + bad);
        bad = Failure(() => community.SubscribeMemberList(new[] { new ListRange { Start = 0, End = 100000 } }, u => { }));
        Check(bad != null && bad.Code == 5038, "a range too long: " + bad);

        subscription.Dispose();
        alice.Shutdown();
        bob.Shutdown();
    }

    private static SdkException Failure(Action call)
    {
        try
        {
            call();
            return null;
        }
        catch (AggregateException e)
        {
            return e.InnerException as SdkException;
        }
        catch (SdkException e)
        {
            return e;
        }
    }
}
