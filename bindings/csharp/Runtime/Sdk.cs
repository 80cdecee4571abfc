using System;
using System.Threading;
using CommunitySdk.Json;
using CommunitySdk.Native;

namespace CommunitySdk
{
    /// <summary>Process-wide parts of the SDK: its version, its log, failures in handlers.</summary>
    public static class Sdk
    {
        private static readonly NativeMethods.CsdkJsonCallback LogCallback = OnLog;
        private static readonly object LogGate = new object();
        private static Action<LogRecord> logHandler;
        private static SynchronizationContext logContext;
        private static string directCommunityId;

        /// <summary>The native library's version, e.g. "0.1.0".</summary>
        public static string Version { get { return Interop.PtrToString(NativeMethods.csdk_version()); } }

        /// <summary>"@me": the community id of direct and group conversations.</summary>
        public static string DirectCommunityId
        {
            get
            {
                return directCommunityId ?? (directCommunityId = Interop.PtrToString(NativeMethods.csdk_direct_community_id()));
            }
        }

        /// <summary>
        /// Raised when a subscription handler or the token provider threw (the exception is
        /// caught: it never reaches the SDK's thread, and later events are still delivered).
        /// Without a handler the exception is logged (Unity's console, else standard error).
        /// </summary>
        public static event Action<Exception> CallbackException;

        [ThreadStatic] private static bool sdkThreadSeen;

        /// <summary>
        /// Called first in every callback from an SDK thread: Mono attaches such a thread to the
        /// runtime on its first call into managed code, as a foreground thread, which would keep
        /// the process from exiting. The SDK's threads must not: they are made background.
        /// </summary>
        internal static void EnteredFromSdkThread()
        {
            if (sdkThreadSeen) return;
            sdkThreadSeen = true;
            Thread.CurrentThread.IsBackground = true;
        }

        internal static void ReportCallbackException(Exception e)
        {
            var handler = CallbackException;
            if (handler != null)
            {
                try
                {
                    handler(e);
                    return;
                }
                catch (Exception)
                {
                    // fall through to the default report
                }
            }
#if UNITY_5_3_OR_NEWER
            UnityEngine.Debug.LogException(e);
#else
            Console.Error.WriteLine("CommunitySdk: a callback threw: " + e);
#endif
        }

        /// <summary>
        /// Routes the SDK's log records at <paramref name="level"/> and above to
        /// <paramref name="handler"/> (null stops them), raised on the SDK's callback thread or
        /// posted to <paramref name="context"/>.
        /// </summary>
        public static void SetLogHandler(LogLevel level, Action<LogRecord> handler, SynchronizationContext context = null)
        {
            lock (LogGate)
            {
                logContext = context;
                logHandler = handler;
                int code = NativeMethods.csdk_set_log_callback(Interop.Utf8(Codec.Name(level)), handler == null ? null : LogCallback, IntPtr.Zero);
                if (code != 0) throw Interop.Error(code);
            }
        }

        [AOT.MonoPInvokeCallback(typeof(NativeMethods.CsdkJsonCallback))]
        private static void OnLog(IntPtr userData, IntPtr json)
        {
            try
            {
                EnteredFromSdkThread();
                var handler = logHandler;
                if (handler == null) return;
                var record = JsonReader.Parse(Interop.PtrToString(json), LogRecord.ReadJson);
                var context = logContext;
                if (context == null) handler(record);
                else context.Post(_ => handler(record), null);
            }
            catch (Exception e)
            {
                ReportCallbackException(e);
            }
        }
    }
}
