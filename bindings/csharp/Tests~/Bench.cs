// The C# binding's numbers (run by `bash tests/csharp.sh --bench`, release library, against
// a real server on 127.0.0.1): the round trip of a cached read from C# through the C ABI
// (Channel.Unread(): call, JSON out, parse, free) and the time for 10,000 events to reach a
// C# handler (on the SDK's callback thread, and posted to a main-thread pump). Prints
// figures only; nothing is asserted.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using CommunitySdk;
using CommunitySdk.Native;

internal static class Bench
{
    private static Client NewClient(string url, string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "csdk-cs-bench-" + Guid.NewGuid().ToString("N"), name);
        return Client.Create(new ClientOptions { ServerUrl = url, DataDir = dir, DeviceId = "bench-" + name });
    }

    private static double Us(long ticks) { return ticks * 1e6 / Stopwatch.Frequency; }

    private static string Percentiles(long[] samples)
    {
        Array.Sort(samples);
        Func<double, double> p = q => Us(samples[Math.Min(samples.Length - 1, (int)(q * samples.Length))]);
        return $"p50 {p(0.50):F2} µs, p99 {p(0.99):F2} µs, p99.9 {p(0.999):F2} µs, max {Us(samples[samples.Length - 1]):F0} µs";
    }

    private sealed class Pump : SynchronizationContext
    {
        private readonly Queue<KeyValuePair<SendOrPostCallback, object>> queue = new Queue<KeyValuePair<SendOrPostCallback, object>>();
        public override void Post(SendOrPostCallback d, object state)
        {
            lock (queue)
            {
                queue.Enqueue(new KeyValuePair<SendOrPostCallback, object>(d, state));
                Monitor.Pulse(queue);
            }
        }

        public void RunUntil(Func<bool> done)
        {
            while (!done())
            {
                KeyValuePair<SendOrPostCallback, object> item;
                lock (queue)
                {
                    if (queue.Count == 0) Monitor.Wait(queue, 10);
                    if (queue.Count == 0) continue;
                    item = queue.Dequeue();
                }
                item.Key(item.Value);
            }
        }
    }

    private static int Main()
    {
        string url = Environment.GetEnvironmentVariable("CSDK_SERVER_URL");
        using (var alice = NewClient(url, "alice"))
        using (var bob = NewClient(url, "bob"))
        {
            alice.LoginAsync("alice", Environment.GetEnvironmentVariable("CSDK_TOKEN_ALICE")).Wait();
            bob.LoginAsync("bob", Environment.GetEnvironmentVariable("CSDK_TOKEN_BOB")).Wait();
            var community = alice.CreateCommunityAsync(new NewCommunity { Name = "bench" }).Result;
            var channel = community.CreateChannelAsync(new NewChannel { Name = "bench" }).Result;
            bob.JoinCommunityAsync(community.Id).Wait();
            LocalMessage echo = null;
            for (int i = 0; i < 20; i++) echo = channel.SendTextAsync("m" + i).Result;
            alice.WaitForSendAsync(echo.LocalId).Wait();
            var bobChannel = bob.Community(community.Id).Channel(channel.Id);
            while (bobChannel.Unread() == null || bobChannel.Unread().UnreadCount < 20) Thread.Sleep(20);
            Console.WriteLine($"Mono {Type.GetType("Mono.Runtime").GetMethod("GetDisplayName", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static).Invoke(null, null)}, SDK {Sdk.Version}");
            Console.WriteLine("cached read: " + bobChannel.Unread());

            // 1. Channel.Unread(): the whole round trip, in 3 rounds of 200,000 after a warm-up.
            int N = Environment.GetEnvironmentVariable("CSDK_BENCH_QUICK") == null ? 200000 : 2000;
            var samples = new long[N];
            for (int i = 0; i < 20000; i++) bobChannel.Unread();
            for (int round = 1; round <= 3; round++)
            {
                GC.Collect();
                for (int i = 0; i < N; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    bobChannel.Unread();
                    samples[i] = Stopwatch.GetTimestamp() - t0;
                }
                Console.WriteLine($"Channel.Unread() round {round}: {Percentiles(samples)}");
            }
            // The same call without the C# side's work (no parse): the native part alone.
            byte[] c = System.Text.Encoding.UTF8.GetBytes(community.Id + "\0"), h = System.Text.Encoding.UTF8.GetBytes(channel.Id + "\0");
            bool added = false;
            bob.Handle.DangerousAddRef(ref added);
            IntPtr handle = bob.Handle.DangerousGetHandle();
            for (int i = 0; i < N; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                IntPtr json;
                NativeMethods.csdk_channel_unread(handle, c, h, out json);
                NativeMethods.csdk_string_free(json);
                samples[i] = Stopwatch.GetTimestamp() - t0;
            }
            bob.Handle.DangerousRelease();
            Console.WriteLine($"csdk_channel_unread + csdk_string_free alone: {Percentiles(samples)}");

            // 2. 10,000 events to one C# handler: 10,000 subscriptions, each delivering the
            //    whole UnreadUpdate first (subscribe + native dispatch + JSON parse + handler).
            for (int round = 1; round <= 3; round++)
            {
                foreach (var onPump in new[] { false, true })
                {
                    var pump = new Pump();
                    bob.EventContext = onPump ? pump : null;
                    int events = 0;
                    var subs = new List<SubscriptionBase>(10000);
                    var watch = Stopwatch.StartNew();
                    for (int i = 0; i < 10000; i++) subs.Add(bob.SubscribeUnread(u => Interlocked.Increment(ref events)));
                    long subscribed = watch.ElapsedMilliseconds;
                    if (onPump) pump.RunUntil(() => Volatile.Read(ref events) >= 10000);
                    else while (Volatile.Read(ref events) < 10000) Thread.Sleep(0);
                    long total = watch.ElapsedMilliseconds;
                    foreach (var s in subs) s.Dispose();
                    Console.WriteLine($"10,000 events to a handler {(onPump ? "posted to a main-thread pump" : "on the SDK's callback thread")}, round {round}: {total} ms (subscribing took {subscribed} ms); disposing 10,000: {watch.ElapsedMilliseconds - total} ms");
                }
            }
            bob.EventContext = null;
        }
        Console.WriteLine($"handles left: {SubscriptionBase.LiveHandles}");
        Console.Out.Flush();
        NativeExit(0); // see BindingsTest.ExitNow
        return 0;
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void NativeExit(int code);
}
