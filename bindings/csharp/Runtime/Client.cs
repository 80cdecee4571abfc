// The objects of the API: Client (a handle of the C ABI), and Community, Channel and
// ChannelThread (ids on the client; no native resource). Their operations are generated
// (Generated/Api.g.cs); the session calls, creation and the object graph are here.

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using CommunitySdk.Native;

namespace CommunitySdk
{
    /// <summary>The native client; freed (csdk_client_free) once no call is using it.</summary>
    internal sealed class ClientHandle : SafeHandle
    {
        internal TokenSource Token;

        internal ClientHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        internal void Set(IntPtr client) { SetHandle(client); }

        protected override bool ReleaseHandle()
        {
            NativeMethods.csdk_client_free(handle);
            // The token callback is not called after csdk_client_free returned.
            if (Token != null) Token.Free();
            return true;
        }
    }

    /// <summary>The app's token provider, reached from the SDK's thread through a GCHandle.</summary>
    internal sealed class TokenSource
    {
        internal static readonly NativeMethods.CsdkTokenCallback Callback = OnToken;

        private readonly Func<string, string> provider;
        private GCHandle self;
        private IntPtr buffer; // the last token, as NUL-terminated UTF-8 (the SDK copies it)

        internal TokenSource(Func<string, string> provider)
        {
            this.provider = provider;
            self = GCHandle.Alloc(this);
            SubscriptionBase.HandleAllocated();
        }

        internal IntPtr UserData { get { return GCHandle.ToIntPtr(self); } }

        internal void Free()
        {
            if (self.IsAllocated)
            {
                self.Free();
                SubscriptionBase.HandleFreed();
            }
            if (buffer != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(buffer);
                buffer = IntPtr.Zero;
            }
        }

        [AOT.MonoPInvokeCallback(typeof(NativeMethods.CsdkTokenCallback))]
        private static IntPtr OnToken(IntPtr userData, IntPtr userId)
        {
            try
            {
                Sdk.EnteredFromSdkThread();
                var source = (TokenSource)GCHandle.FromIntPtr(userData).Target;
                string token = source.provider(Interop.PtrToString(userId));
                if (token == null) return IntPtr.Zero;
                byte[] bytes = Interop.Utf8(token);
                if (source.buffer != IntPtr.Zero) Marshal.FreeHGlobal(source.buffer);
                source.buffer = Marshal.AllocHGlobal(bytes.Length);
                Marshal.Copy(bytes, 0, source.buffer, bytes.Length);
                return source.buffer;
            }
            catch (Exception e)
            {
                Sdk.ReportCallbackException(e);
                return IntPtr.Zero;
            }
        }
    }

    /// <summary>
    /// A client of the community server: one user's session, its local cache and its
    /// subscriptions. Create it with <see cref="CreateAsync"/>, <see cref="LoginAsync"/>, use it,
    /// and <see cref="Dispose"/> it (after <see cref="ShutdownAsync"/> when the same data
    /// directory is opened again soon).
    /// </summary>
    public sealed partial class Client : IDisposable
    {
        internal readonly ClientHandle Handle;
        private readonly HashSet<SubscriptionBase> subscriptions = new HashSet<SubscriptionBase>();

        /// <summary>
        /// Where subscription events are raised: a <see cref="SynchronizationContext"/> (in Unity,
        /// the main thread's) or null for the SDK's callback thread. Set to the creating thread's
        /// <see cref="SynchronizationContext.Current"/> by <see cref="Create"/>; applies to
        /// subscriptions made after it is set.
        /// </summary>
        public SynchronizationContext EventContext { get; set; }

        private Client(ClientHandle handle, SynchronizationContext context)
        {
            Handle = handle;
            EventContext = context;
        }

        /// <summary>
        /// Creates a client (opens the cache of the last logged-in user; no network). Blocking;
        /// <paramref name="tokenProvider"/>, when given, is called on an SDK thread with the user id
        /// ahead of the token's expiry and returns a fresh token (or null).
        /// </summary>
        public static Client Create(ClientOptions options, Func<string, string> tokenProvider = null)
        {
            return CreateOn(options, tokenProvider, SynchronizationContext.Current);
        }

        /// <summary>As <see cref="Create"/>, on the thread pool (events still go to the caller's context).</summary>
        public static Task<Client> CreateAsync(ClientOptions options, Func<string, string> tokenProvider = null)
        {
            var context = SynchronizationContext.Current;
            return Task.Run(() => CreateOn(options, tokenProvider, context));
        }

        private static Client CreateOn(ClientOptions options, Func<string, string> tokenProvider, SynchronizationContext context)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            var handle = new ClientHandle();
            TokenSource token = tokenProvider == null ? null : new TokenSource(tokenProvider);
            IntPtr raw;
            int code = token == null
                ? NativeMethods.csdk_client_new(Interop.Utf8(options.ToJson()), out raw)
                : NativeMethods.csdk_client_new_with_token_provider(Interop.Utf8(options.ToJson()), TokenSource.Callback, token.UserData, out raw);
            if (code != 0)
            {
                var error = Interop.Error(code);
                if (token != null) token.Free();
                throw error;
            }
            handle.Token = token;
            handle.Set(raw);
            return new Client(handle, context);
        }

        /// <summary>
        /// Logs in as <paramref name="userId"/> (resuming the saved session when there is one):
        /// <see cref="LoginOutcome.Synced"/> once synced, or <see cref="LoginOutcome.Offline"/> at
        /// once when the server cannot be reached and this device was synced before.
        /// </summary>
        public Task<LoginOutcome> LoginAsync(string userId, string token)
        {
            return Task.Run(() => Login(userId, token));
        }

        internal LoginOutcome Login(string userId, string token)
        {
            bool added = false;
            Handle.DangerousAddRef(ref added);
            try
            {
                byte offline;
                int code = NativeMethods.csdk_client_login(Handle.DangerousGetHandle(), Interop.Utf8(userId), Interop.Utf8(token), out offline);
                if (code != 0) throw Interop.Error(code);
                return offline != 0 ? LoginOutcome.Offline : LoginOutcome.Synced;
            }
            finally
            {
                if (added) Handle.DangerousRelease();
            }
        }

        /// <summary>
        /// Shuts the client down; completes once its connection, tasks and cache file are closed
        /// (the data directory can be opened again at once). Later calls fail with
        /// <see cref="SdkException.Closed"/>.
        /// </summary>
        public Task ShutdownAsync()
        {
            return Task.Run(() => Shutdown());
        }

        /// <summary>As <see cref="ShutdownAsync"/>, blocking.</summary>
        public void Shutdown()
        {
            bool added = false;
            Handle.DangerousAddRef(ref added);
            try
            {
                int code = NativeMethods.csdk_client_close(Handle.DangerousGetHandle());
                if (code != 0) throw Interop.Error(code);
            }
            finally
            {
                if (added) Handle.DangerousRelease();
            }
        }

        /// <summary>
        /// Ends every subscription still open and frees the client (when it was not shut down,
        /// it shuts down in the background). Calls in flight on other threads finish first.
        /// </summary>
        public void Dispose()
        {
            SubscriptionBase[] open;
            lock (subscriptions)
            {
                open = new SubscriptionBase[subscriptions.Count];
                subscriptions.CopyTo(open);
            }
            foreach (var s in open) s.Dispose();
            Handle.Dispose();
        }

        internal void Track(SubscriptionBase s)
        {
            lock (subscriptions) subscriptions.Add(s);
        }

        internal void Untrack(SubscriptionBase s)
        {
            lock (subscriptions) subscriptions.Remove(s);
        }

        /// <summary>Subscriptions of this client not disposed yet.</summary>
        public int OpenSubscriptions
        {
            get { lock (subscriptions) return subscriptions.Count; }
        }

        /// <summary>A community by id (no I/O).</summary>
        public Community Community(string communityId)
        {
            return new Community(this, communityId);
        }

        /// <summary>A conversation's message stream: a channel of the reserved community "@me" (no I/O).</summary>
        public Channel Conversation(string conversationId)
        {
            return new Channel(this, Sdk.DirectCommunityId, conversationId);
        }
    }

    /// <summary>A community of a client, by id. Its operations read the cache or call the server.</summary>
    public sealed partial class Community
    {
        /// <summary>The client.</summary>
        public Client Client { get; }

        /// <summary>The community's id.</summary>
        public string Id { get; }

        internal readonly byte[] CommunityIdUtf8;

        internal Community(Client client, string id)
        {
            Client = client ?? throw new ArgumentNullException(nameof(client));
            Id = id ?? throw new ArgumentNullException(nameof(id));
            CommunityIdUtf8 = Interop.Utf8(id);
        }

        /// <summary>A channel of this community, by id (no I/O).</summary>
        public Channel Channel(string channelId)
        {
            return new Channel(Client, Id, channelId);
        }

        /// <summary>A thread of a channel of this community (no I/O).</summary>
        public ChannelThread Thread(string threadId, string channelId)
        {
            return new ChannelThread(Client, Id, channelId, threadId);
        }

        /// <inheritdoc/>
        public override string ToString() { return "Community(" + Id + ")"; }
    }

    /// <summary>A channel (or a conversation, in "@me") of a client, by id.</summary>
    public sealed partial class Channel
    {
        /// <summary>The client.</summary>
        public Client Client { get; }

        /// <summary>Its community's id ("@me" for a conversation).</summary>
        public string CommunityId { get; }

        /// <summary>The channel's (or conversation's) id.</summary>
        public string Id { get; }

        internal readonly byte[] CommunityIdUtf8;
        internal readonly byte[] ChannelIdUtf8;

        internal Channel(Client client, string communityId, string id)
        {
            Client = client ?? throw new ArgumentNullException(nameof(client));
            CommunityId = communityId ?? throw new ArgumentNullException(nameof(communityId));
            Id = id ?? throw new ArgumentNullException(nameof(id));
            CommunityIdUtf8 = Interop.Utf8(communityId);
            ChannelIdUtf8 = Interop.Utf8(id);
        }

        /// <summary>Its community (no I/O).</summary>
        public Community Community { get { return new Community(Client, CommunityId); } }

        /// <summary>A thread of this channel, by id (no I/O).</summary>
        public ChannelThread Thread(string threadId)
        {
            return new ChannelThread(Client, CommunityId, Id, threadId);
        }

        /// <inheritdoc/>
        public override string ToString() { return "Channel(" + CommunityId + "/" + Id + ")"; }
    }

    /// <summary>
    /// A thread of a channel, by id. It has the channel's message calls (send, history,
    /// timeline, read marker, edits…) for its own messages, plus its own (join, update…).
    /// </summary>
    public sealed partial class ChannelThread
    {
        /// <summary>The client.</summary>
        public Client Client { get; }

        /// <summary>Its community's id.</summary>
        public string CommunityId { get; }

        /// <summary>Its channel's id.</summary>
        public string ChannelId { get; }

        /// <summary>The thread's id.</summary>
        public string Id { get; }

        internal readonly byte[] CommunityIdUtf8;
        internal readonly byte[] ChannelIdUtf8;
        internal readonly byte[] ThreadIdUtf8;

        internal ChannelThread(Client client, string communityId, string channelId, string id)
        {
            Client = client ?? throw new ArgumentNullException(nameof(client));
            CommunityId = communityId ?? throw new ArgumentNullException(nameof(communityId));
            ChannelId = channelId ?? throw new ArgumentNullException(nameof(channelId));
            Id = id ?? throw new ArgumentNullException(nameof(id));
            CommunityIdUtf8 = Interop.Utf8(communityId);
            ChannelIdUtf8 = Interop.Utf8(channelId);
            ThreadIdUtf8 = Interop.Utf8(id);
        }

        /// <summary>Its channel (no I/O).</summary>
        public Channel Channel { get { return new Channel(Client, CommunityId, ChannelId); } }

        /// <inheritdoc/>
        public override string ToString() { return "ChannelThread(" + CommunityId + "/" + ChannelId + "/" + Id + ")"; }
    }
}
