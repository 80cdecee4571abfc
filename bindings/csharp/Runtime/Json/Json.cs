// A small JSON reader and writer for the SDK's own records (no System.Text.Json: Mono on
// Debian 12 does not ship it, and Unity's .NET Standard 2.1 profile does not include it).
// It reads exactly what the C ABI writes (serde_json: UTF-8, no comments, integers up to
// u64, tagged enums with "type" first) and tolerates the rest of RFC 8259 (whitespace,
// escapes, surrogate pairs, fields in any order, unknown fields skipped).

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace CommunitySdk.Json
{
    /// <summary>A forward reader over one JSON text.</summary>
    public sealed class JsonReader
    {
        private readonly string text;
        private int pos;

        /// <summary>A reader at the start of <paramref name="json"/>.</summary>
        public JsonReader(string json)
        {
            text = json ?? throw new ArgumentNullException(nameof(json));
        }

        /// <summary>Reads one whole value with <paramref name="read"/>; only whitespace may follow.</summary>
        public static T Parse<T>(string json, Func<JsonReader, T> read)
        {
            var r = new JsonReader(json);
            T value = read(r);
            r.SkipWhitespace();
            if (r.pos != r.text.Length) throw r.Error("trailing characters");
            return value;
        }

        private FormatException Error(string what)
        {
            int from = Math.Max(0, pos - 20);
            int len = Math.Min(text.Length - from, 40);
            return new FormatException($"JSON: {what} at {pos} (…{text.Substring(from, len)}…)");
        }

        private void SkipWhitespace()
        {
            while (pos < text.Length)
            {
                char c = text[pos];
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') pos++;
                else break;
            }
        }

        private char Peek()
        {
            SkipWhitespace();
            if (pos >= text.Length) throw Error("unexpected end");
            return text[pos];
        }

        private void Expect(char c)
        {
            if (Peek() != c) throw Error($"expected '{c}'");
            pos++;
        }

        private bool Literal(string word)
        {
            if (string.CompareOrdinal(text, pos, word, 0, word.Length) == 0)
            {
                pos += word.Length;
                return true;
            }
            return false;
        }

        /// <summary>Consumes a <c>null</c> and returns true, or returns false and consumes nothing.</summary>
        public bool TryReadNull()
        {
            return Peek() == 'n' && Literal("null");
        }

        /// <summary>Consumes <c>{</c>; then call <see cref="NextKey"/> until it returns null.</summary>
        public void BeginObject()
        {
            Expect('{');
        }

        /// <summary>The next property name of the current object (its value is next), or null at its end.</summary>
        public string NextKey()
        {
            char c = Peek();
            if (c == '}')
            {
                pos++;
                return null;
            }
            if (c == ',')
            {
                pos++;
                c = Peek();
            }
            if (c != '"') throw Error("expected a property name");
            string key = ReadString();
            Expect(':');
            return key;
        }

        /// <summary>The value of "type" of the object that comes next, without consuming anything (null when absent).</summary>
        public string PeekTag()
        {
            int start = pos;
            string tag = null;
            BeginObject();
            string key;
            while ((key = NextKey()) != null)
            {
                if (key == "type")
                {
                    tag = Peek() == '"' ? ReadString() : null;
                    break;
                }
                SkipValue();
            }
            pos = start;
            return tag;
        }

        /// <summary>Reads an array, each item with <paramref name="item"/>.</summary>
        public List<T> ReadList<T>(Func<JsonReader, T> item)
        {
            var list = new List<T>();
            Expect('[');
            while (true)
            {
                char c = Peek();
                if (c == ']')
                {
                    pos++;
                    return list;
                }
                if (c == ',') pos++;
                list.Add(item(this));
            }
        }

        /// <summary>Reads an object as a map of its property values.</summary>
        public Dictionary<string, T> ReadMap<T>(Func<JsonReader, T> value)
        {
            var map = new Dictionary<string, T>();
            BeginObject();
            string key;
            while ((key = NextKey()) != null) map[key] = value(this);
            return map;
        }

        /// <summary>Reads a string (or null).</summary>
        public string ReadString()
        {
            char c = Peek();
            if (c == 'n' && Literal("null")) return null;
            if (c != '"') throw Error("expected a string");
            int start = ++pos;
            while (pos < text.Length)
            {
                char d = text[pos];
                if (d == '"')
                {
                    string s = text.Substring(start, pos - start);
                    pos++;
                    return s;
                }
                if (d == '\\') break;
                pos++;
            }
            var sb = new StringBuilder();
            sb.Append(text, start, pos - start);
            while (true)
            {
                if (pos >= text.Length) throw Error("unterminated string");
                char d = text[pos++];
                if (d == '"') return sb.ToString();
                if (d != '\\')
                {
                    sb.Append(d);
                    continue;
                }
                if (pos >= text.Length) throw Error("unterminated escape");
                char e = text[pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (pos + 4 > text.Length) throw Error("short \\u escape");
                        sb.Append((char)int.Parse(text.Substring(pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        pos += 4;
                        break;
                    default: throw Error("unknown escape");
                }
            }
        }

        /// <summary>Reads true or false.</summary>
        public bool ReadBool()
        {
            char c = Peek();
            if (c == 't' && Literal("true")) return true;
            if (c == 'f' && Literal("false")) return false;
            throw Error("expected true or false");
        }

        /// <summary>Reads a non-negative integer exactly (all of u64).</summary>
        public ulong ReadUInt64()
        {
            Peek();
            int start = pos;
            ulong value = 0;
            while (pos < text.Length)
            {
                char c = text[pos];
                if (c < '0' || c > '9') break;
                value = checked(value * 10 + (ulong)(c - '0'));
                pos++;
            }
            if (pos == start) throw Error("expected an unsigned integer");
            if (pos < text.Length && (text[pos] == '.' || text[pos] == 'e' || text[pos] == 'E')) throw Error("expected an integer");
            return value;
        }

        /// <summary>Reads an integer exactly (all of i64).</summary>
        public long ReadInt64()
        {
            bool negative = Peek() == '-';
            if (negative) pos++;
            ulong magnitude = ReadUInt64();
            if (negative)
            {
                if (magnitude > 9223372036854775808UL) throw Error("integer out of range");
                return magnitude == 9223372036854775808UL ? long.MinValue : -(long)magnitude;
            }
            return checked((long)magnitude);
        }

        /// <summary>Reads a u32.</summary>
        public uint ReadUInt32() { return checked((uint)ReadUInt64()); }

        /// <summary>Reads an i32.</summary>
        public int ReadInt32() { return checked((int)ReadInt64()); }

        /// <summary>Reads any number as a double.</summary>
        public double ReadDouble()
        {
            Peek();
            int start = pos;
            while (pos < text.Length && "+-0123456789.eE".IndexOf(text[pos]) >= 0) pos++;
            if (pos == start) throw Error("expected a number");
            return double.Parse(text.Substring(start, pos - start), NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        /// <summary>Skips the next value, whatever it is.</summary>
        public void SkipValue()
        {
            char c = Peek();
            switch (c)
            {
                case '"':
                    ReadString();
                    return;
                case '{':
                    BeginObject();
                    while (NextKey() != null) SkipValue();
                    return;
                case '[':
                    pos++;
                    while (true)
                    {
                        char d = Peek();
                        if (d == ']')
                        {
                            pos++;
                            return;
                        }
                        if (d == ',') pos++;
                        SkipValue();
                    }
                case 't':
                case 'f':
                    ReadBool();
                    return;
                case 'n':
                    if (!Literal("null")) throw Error("expected null");
                    return;
                default:
                    ReadDouble();
                    return;
            }
        }

        /// <summary>The text of the next value, unparsed (for a value this binding has no type for).</summary>
        public string ReadRaw()
        {
            Peek();
            int start = pos;
            SkipValue();
            return text.Substring(start, pos - start);
        }
    }

    /// <summary>Writes compact JSON.</summary>
    public sealed class JsonWriter
    {
        private readonly StringBuilder sb = new StringBuilder(128);
        private bool comma;

        private void Separate()
        {
            if (comma) sb.Append(',');
        }

        /// <summary>Starts an object.</summary>
        public void BeginObject()
        {
            Separate();
            sb.Append('{');
            comma = false;
        }

        /// <summary>Ends an object.</summary>
        public void EndObject()
        {
            sb.Append('}');
            comma = true;
        }

        /// <summary>Starts an array.</summary>
        public void BeginArray()
        {
            Separate();
            sb.Append('[');
            comma = false;
        }

        /// <summary>Ends an array.</summary>
        public void EndArray()
        {
            sb.Append(']');
            comma = true;
        }

        /// <summary>A property name; its value follows.</summary>
        public void Key(string key)
        {
            Separate();
            Quote(key);
            sb.Append(':');
            comma = false;
        }

        /// <summary>A string value (null writes null).</summary>
        public void String(string value)
        {
            Separate();
            if (value == null) sb.Append("null");
            else Quote(value);
            comma = true;
        }

        /// <summary>null.</summary>
        public void Null()
        {
            Separate();
            sb.Append("null");
            comma = true;
        }

        /// <summary>true or false.</summary>
        public void Bool(bool value)
        {
            Separate();
            sb.Append(value ? "true" : "false");
            comma = true;
        }

        /// <summary>A number.</summary>
        public void Number(ulong value)
        {
            Separate();
            sb.Append(value.ToString(CultureInfo.InvariantCulture));
            comma = true;
        }

        /// <summary>A number.</summary>
        public void Number(long value)
        {
            Separate();
            sb.Append(value.ToString(CultureInfo.InvariantCulture));
            comma = true;
        }

        /// <summary>A number.</summary>
        public void Number(uint value) { Number((ulong)value); }

        /// <summary>A number.</summary>
        public void Number(int value) { Number((long)value); }

        /// <summary>A number (finite).</summary>
        public void Number(double value)
        {
            Separate();
            sb.Append(value.ToString("R", CultureInfo.InvariantCulture));
            comma = true;
        }

        private void Quote(string s)
        {
            sb.Append('"');
            int run = 0;
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (c >= ' ' && c != '"' && c != '\\')
                {
                    run++;
                    continue;
                }
                sb.Append(s, i - run, run);
                run = 0;
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        break;
                }
            }
            sb.Append(s, s.Length - run, run);
            sb.Append('"');
        }

        /// <summary>The text written so far.</summary>
        public override string ToString() { return sb.ToString(); }

        /// <summary>A JSON array of strings.</summary>
        public static string StringArray(IEnumerable<string> values)
        {
            var w = new JsonWriter();
            w.BeginArray();
            foreach (var v in values) w.String(v);
            w.EndArray();
            return w.ToString();
        }

        /// <summary>A JSON object of string values.</summary>
        public static string StringMap(IDictionary<string, string> values)
        {
            var w = new JsonWriter();
            w.BeginObject();
            foreach (var kv in values)
            {
                w.Key(kv.Key);
                w.String(kv.Value);
            }
            w.EndObject();
            return w.ToString();
        }
    }
}
