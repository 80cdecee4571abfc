// A stand-in for the few UnityEngine types the sample uses, and a player loop: one main
// thread with its SynchronizationContext (as Unity's), which runs Start, pumps posted
// work, then OnDestroy. Fails when the sample logs an error, logs off the main thread or
// does not send its message within 60 s.

using System;
using System.Collections.Generic;
using System.Reflection;
using System.Threading;

namespace UnityEngine
{
    public class MonoBehaviour { }

    public static class Application
    {
        public static string persistentDataPath = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "csdk-unity-" + Guid.NewGuid().ToString("N"));
    }

    public static class SystemInfo
    {
        public static string deviceUniqueIdentifier = "unity-standin";
    }

    public static class Debug
    {
        public static readonly List<string> Lines = new List<string>();
        public static int MainThreadId;
        public static int OffMainThread;
        public static int Errors;

        public static void Log(object message) { Write("log", message); }

        public static void LogError(object message)
        {
            Errors++;
            Write("error", message);
        }

        private static void Write(string level, object message)
        {
            if (Thread.CurrentThread.ManagedThreadId != MainThreadId) OffMainThread++;
            lock (Lines) Lines.Add(message.ToString());
            Console.WriteLine("[" + level + "] " + message);
        }
    }
}

internal sealed class PlayerLoop : SynchronizationContext
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

    public void RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = DateTime.UtcNow + limit;
        while (!done() && DateTime.UtcNow < end)
        {
            KeyValuePair<SendOrPostCallback, object> item;
            lock (queue)
            {
                if (queue.Count == 0) Monitor.Wait(queue, 50);
                if (queue.Count == 0) continue;
                item = queue.Dequeue();
            }
            item.Key(item.Value);
        }
    }

    private static int Main()
    {
        var loop = new PlayerLoop();
        SetSynchronizationContext(loop);
        UnityEngine.Debug.MainThreadId = Thread.CurrentThread.ManagedThreadId;
        var sample = new CommunityQuickstart
        {
            serverUrl = Environment.GetEnvironmentVariable("CSDK_SERVER_URL"),
            userId = "alice",
            token = Environment.GetEnvironmentVariable("CSDK_TOKEN_ALICE"),
        };
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.NonPublic;
        typeof(CommunityQuickstart).GetMethod("Start", flags).Invoke(sample, null);
        Func<bool> sent = () => { lock (UnityEngine.Debug.Lines) return UnityEngine.Debug.Lines.Exists(l => l.StartsWith("sent ")); };
        loop.RunUntil(() => sent() || UnityEngine.Debug.Errors > 0, TimeSpan.FromSeconds(60));
        loop.RunUntil(() => false, TimeSpan.FromMilliseconds(300)); // the badges after the send
        typeof(CommunityQuickstart).GetMethod("OnDestroy", flags).Invoke(sample, null);
        bool badges;
        lock (UnityEngine.Debug.Lines) badges = UnityEngine.Debug.Lines.Exists(l => l.StartsWith("communities:\n  "));
        bool ok = sent() && badges && UnityEngine.Debug.Errors == 0 && UnityEngine.Debug.OffMainThread == 0 &&
                  CommunitySdk.SubscriptionBase.LiveHandles == 0;
        Console.WriteLine(ok ? "the sample logged in, listed its communities with badges and sent, all on the main thread"
                             : $"the sample failed (sent {sent()}, badges {badges}, errors {UnityEngine.Debug.Errors}, off the main thread {UnityEngine.Debug.OffMainThread}, handles {CommunitySdk.SubscriptionBase.LiveHandles})");
        Console.Out.Flush();
        NativeExit(ok ? 0 : 1); // Mono's own shutdown would wait for the SDK's callback thread
        return ok ? 0 : 1;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
    private static extern void NativeExit(int code);
}
