// Subscriptions: the SDK calls ONE static callback on its `community-sdk-callbacks` thread;
// `user_data` is a GCHandle of the Subscription object, which parses the JSON there and
// raises its event on that thread or posts it to a SynchronizationContext (Unity's main
// thread). Disposing it frees the native subscription first (after csdk_subscription_free
// returns the callback never runs again), then the GCHandle.

using System;
using System.Runtime.InteropServices;
using System.Threading;
using CommunitySdk.Json;
using CommunitySdk.Native;

#if !UNITY_5_3_OR_NEWER
namespace AOT
{
    /// <summary>
    /// Marks a static method that native code calls through a function pointer (IL2CPP needs
    /// it to generate the reverse P/Invoke wrapper). Unity defines it in UnityEngine; outside
    /// Unity (Mono, .NET) this stand-in keeps the same source compiling.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        /// <summary>The delegate type of the callback.</summary>
        public MonoPInvokeCallbackAttribute(Type type) { }
    }
}
#endif

namespace CommunitySdk
{
    /// <summary>The part of every subscription that the native callback sees.</summary>
    public abstract class SubscriptionBase : IDisposable
    {
        // The one function pointer the SDK gets for every subscription: a static delegate,
        // kept alive for the life of the process (a collected delegate would crash the SDK's
        // callback thread).
        internal static readonly NativeMethods.CsdkJsonCallback Callback = OnJson;

        private static int liveHandles;

        private readonly object gate = new object();
        private GCHandle self;
        private IntPtr native;
        private int state; // 0 starting, 1 running, 2 disposed
        internal readonly Client Client;

        /// <summary>
        /// GCHandles this binding holds now (subscriptions not yet disposed, token providers
        /// of clients not yet freed). 0 when everything was disposed: a leak check.
        /// </summary>
        public static int LiveHandles { get { return Volatile.Read(ref liveHandles); } }

        internal static void HandleAllocated() { Interlocked.Increment(ref liveHandles); }

        internal static void HandleFreed() { Interlocked.Decrement(ref liveHandles); }

        internal SubscriptionBase(Client client)
        {
            Client = client;
            self = GCHandle.Alloc(this, GCHandleType.Normal);
            HandleAllocated();
        }

        internal IntPtr UserData { get { return GCHandle.ToIntPtr(self); } }

        /// <summary>True once disposed (no event is raised after Dispose returned).</summary>
        public bool IsDisposed { get { return Volatile.Read(ref state) == 2; } }

        /// <summary>Called right after the native subscribe call, on its thread.</summary>
        internal void Started(int code, IntPtr subscription)
        {
            if (code != 0)
            {
                var error = Interop.Error(code);
                lock (gate)
                {
                    state = 2;
                    FreeSelf();
                }
                throw error;
            }
            bool disposeNow;
            lock (gate)
            {
                native = subscription;
                disposeNow = state == 2;
                if (!disposeNow) state = 1;
            }
            if (disposeNow)
            {
                NativeMethods.csdk_subscription_free(subscription);
                lock (gate) FreeSelf();
                return;
            }
            Client.Track(this);
        }

        private void FreeSelf()
        {
            if (self.IsAllocated)
            {
                self.Free();
                HandleFreed();
            }
        }

        /// <summary>
        /// Ends the subscription. When it returns, the handler is not running on the SDK's
        /// thread and is never called again (events already posted to a context are dropped).
        /// Safe from any thread, from inside the handler, and more than once.
        /// </summary>
        public void Dispose()
        {
            IntPtr toFree;
            lock (gate)
            {
                if (state == 2) return;
                bool started = state == 1;
                state = 2;
                toFree = started ? native : IntPtr.Zero;
                native = IntPtr.Zero;
                if (!started) return; // Started() frees it
            }
            NativeMethods.csdk_subscription_free(toFree);
            lock (gate) FreeSelf();
            Client.Untrack(this);
        }

        internal abstract void Deliver(IntPtr json);

        [AOT.MonoPInvokeCallback(typeof(NativeMethods.CsdkJsonCallback))]
        private static void OnJson(IntPtr userData, IntPtr json)
        {
            // Nothing may propagate into the SDK's thread.
            try
            {
                Sdk.EnteredFromSdkThread();
                var target = GCHandle.FromIntPtr(userData).Target as SubscriptionBase;
                if (target != null && !target.IsDisposed) target.Deliver(json);
            }
            catch (Exception e)
            {
                Sdk.ReportCallbackException(e);
            }
        }
    }

    /// <summary>
    /// A live subscription delivering values of type <typeparamref name="T"/>: the current value
    /// first, then every change. Keep it and <see cref="SubscriptionBase.Dispose"/> it (a
    /// <c>using</c> block, or OnDestroy); <see cref="Client.Dispose"/> ends those still open.
    /// </summary>
    public sealed class Subscription<T> : SubscriptionBase
    {
        private readonly Func<JsonReader, T> read;
        private readonly SynchronizationContext context;
        private readonly SendOrPostCallback post;
        private Action<T> handlers;

        internal Subscription(Client client, Func<JsonReader, T> read, Action<T> handler)
            : base(client)
        {
            this.read = read;
            handlers = handler;
            context = client.EventContext;
            post = Raise;
        }

        /// <summary>
        /// Raised for every value: on the SDK's callback thread, or on the
        /// <see cref="Client.EventContext"/> that was set when the subscription was made.
        /// An exception thrown by a handler goes to <see cref="Sdk.CallbackException"/>.
        /// </summary>
        public event Action<T> Received
        {
            add { lock (this) handlers += value; }
            remove { lock (this) handlers -= value; }
        }

        /// <summary>Where the events are raised (null: on the SDK's callback thread).</summary>
        public SynchronizationContext Context { get { return context; } }

        internal override void Deliver(IntPtr json)
        {
            T value = JsonReader.Parse(Interop.PtrToString(json), read);
            if (context == null) Raise(value);
            else context.Post(post, value);
        }

        private void Raise(object boxed)
        {
            if (IsDisposed) return;
            Action<T> h = handlers;
            if (h == null) return;
            try
            {
                h((T)boxed);
            }
            catch (Exception e)
            {
                Sdk.ReportCallbackException(e);
            }
        }
    }
}
