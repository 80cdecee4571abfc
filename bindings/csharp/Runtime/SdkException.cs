using System;
using CommunitySdk.Json;

namespace CommunitySdk
{
    /// <summary>
    /// An error of the SDK: its <see cref="Code"/> (the protocol's or the SDK's number, one of
    /// <see cref="ErrorCodes"/>), <see cref="Name"/> (snake_case, e.g. <c>name_too_long</c>),
    /// <see cref="Kind"/> and <see cref="Detail"/> (developer text). The nested class is the kind:
    /// <c>catch (SdkException.Limit e)</c>, as Kotlin's <c>SdkException.Limit</c>.
    /// </summary>
    public class SdkException : Exception
    {
        /// <summary>The error code (e.g. 5000).</summary>
        public int Code { get; }

        /// <summary>The code's name (e.g. <c>name_too_long</c>).</summary>
        public string Name { get; }

        /// <summary>What kind of failure this is.</summary>
        public ErrorKind Kind { get; }

        /// <summary>What happened, for developers.</summary>
        public string Detail { get; }

        private SdkException(int code, string name, ErrorKind kind, string detail)
            : base($"{name} ({code}): {detail}")
        {
            Code = code;
            Name = name;
            Kind = kind;
            Detail = detail;
        }

        /// <summary>The exception of this kind.</summary>
        public static SdkException Create(int code, string name, ErrorKind kind, string detail)
        {
            switch (kind)
            {
                case ErrorKind.Protocol: return new Protocol(code, name, detail);
                case ErrorKind.Auth: return new Auth(code, name, detail);
                case ErrorKind.NotFound: return new NotFound(code, name, detail);
                case ErrorKind.Permission: return new Permission(code, name, detail);
                case ErrorKind.Limit: return new Limit(code, name, detail);
                case ErrorKind.Server: return new Server(code, name, detail);
                case ErrorKind.Connection: return new Connection(code, name, detail);
                case ErrorKind.Store: return new Store(code, name, detail);
                case ErrorKind.Closed: return new Closed(code, name, detail);
                case ErrorKind.Internal: return new Internal(code, name, detail);
                default: return new Unknown(code, name, detail);
            }
        }

        /// <summary>From the JSON of <c>csdk_last_error</c> (<c>{"code","name","kind","detail"}</c>).</summary>
        internal static SdkException FromErrorJson(string json, int code)
        {
            if (json == null) return new Unknown(code, "unknown", "the SDK gave no detail");
            try
            {
                string name = "unknown", detail = "";
                var kind = ErrorKind.Unknown;
                var r = new JsonReader(json);
                r.BeginObject();
                string key;
                while ((key = r.NextKey()) != null)
                {
                    switch (key)
                    {
                        case "code": code = r.ReadInt32(); break;
                        case "name": name = r.ReadString(); break;
                        case "kind": kind = Codec.ParseErrorKind(r.ReadString()); break;
                        case "detail": detail = r.ReadString(); break;
                        default: r.SkipValue(); break;
                    }
                }
                return Create(code, name, kind, detail);
            }
            catch (FormatException)
            {
                return new Unknown(code, "unknown", json);
            }
        }

        /// <summary>1000–1999, 10004: the frame or response was wrong.</summary>
        public sealed class Protocol : SdkException { internal Protocol(int c, string n, string d) : base(c, n, ErrorKind.Protocol, d) { } }

        /// <summary>2000–2999: login, tokens, sessions.</summary>
        public sealed class Auth : SdkException { internal Auth(int c, string n, string d) : base(c, n, ErrorKind.Auth, d) { } }

        /// <summary>3000–3999: missing or already existing.</summary>
        public sealed class NotFound : SdkException { internal NotFound(int c, string n, string d) : base(c, n, ErrorKind.NotFound, d) { } }

        /// <summary>4000–4999: not allowed.</summary>
        public sealed class Permission : SdkException { internal Permission(int c, string n, string d) : base(c, n, ErrorKind.Permission, d) { } }

        /// <summary>5000–5999: a limit or an invalid argument.</summary>
        public sealed class Limit : SdkException { internal Limit(int c, string n, string d) : base(c, n, ErrorKind.Limit, d) { } }

        /// <summary>9000–9999: the server failed or is shutting down.</summary>
        public sealed class Server : SdkException { internal Server(int c, string n, string d) : base(c, n, ErrorKind.Server, d) { } }

        /// <summary>10001, 10005–10007: not connected, lost, timed out, transport.</summary>
        public sealed class Connection : SdkException { internal Connection(int c, string n, string d) : base(c, n, ErrorKind.Connection, d) { } }

        /// <summary>10002: the local cache failed.</summary>
        public sealed class Store : SdkException { internal Store(int c, string n, string d) : base(c, n, ErrorKind.Store, d) { } }

        /// <summary>10003: the client was closed.</summary>
        public sealed class Closed : SdkException { internal Closed(int c, string n, string d) : base(c, n, ErrorKind.Closed, d) { } }

        /// <summary>10100–10199: a failure of the bindings.</summary>
        public sealed class Internal : SdkException { internal Internal(int c, string n, string d) : base(c, n, ErrorKind.Internal, d) { } }

        /// <summary>A code this version does not know.</summary>
        public sealed class Unknown : SdkException { internal Unknown(int c, string n, string d) : base(c, n, ErrorKind.Unknown, d) { } }
    }

    public sealed partial class ErrorInfo
    {
        /// <summary>This error (e.g. a failed send's) as the exception a call would have thrown.</summary>
        public SdkException ToException()
        {
            return SdkException.Create((int)Code, Name, Kind, Detail);
        }
    }
}
