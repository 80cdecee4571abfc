// Strings across the C ABI: UTF-8 in (NUL-terminated byte arrays), UTF-8 out (pointers the
// SDK allocated, read then freed with csdk_string_free), and the thread's last error.

using System;
using System.Text;
using CommunitySdk.Json;
using CommunitySdk.Native;

namespace CommunitySdk
{
    internal static class Interop
    {
        private static readonly UTF8Encoding Utf8Strict = new UTF8Encoding(false, false);

        /// <summary>NUL-terminated UTF-8 of <paramref name="text"/>; null stays null (NULL).</summary>
        internal static byte[] Utf8(string text)
        {
            if (text == null) return null;
            var bytes = new byte[Utf8Strict.GetByteCount(text) + 1];
            Utf8Strict.GetBytes(text, 0, text.Length, bytes, 0);
            return bytes;
        }

        /// <summary>The UTF-8 string at <paramref name="ptr"/> (NULL gives null); not freed.</summary>
        internal static unsafe string PtrToString(IntPtr ptr)
        {
            if (ptr == IntPtr.Zero) return null;
            byte* start = (byte*)ptr;
            byte* end = start;
            while (*end != 0) end++;
            return Utf8Strict.GetString(start, (int)(end - start));
        }

        /// <summary>Reads and frees a string the SDK returned.</summary>
        internal static string TakeString(IntPtr ptr)
        {
            if (ptr == IntPtr.Zero) return null;
            try
            {
                return PtrToString(ptr);
            }
            finally
            {
                NativeMethods.csdk_string_free(ptr);
            }
        }

        /// <summary>Parses and frees a JSON string the SDK returned.</summary>
        internal static T TakeJson<T>(IntPtr ptr, Func<JsonReader, T> read)
        {
            if (ptr == IntPtr.Zero) return default(T);
            try
            {
                return JsonReader.Parse(PtrToString(ptr), read);
            }
            finally
            {
                NativeMethods.csdk_string_free(ptr);
            }
        }

        /// <summary>The typed exception of a failed call: must run on the thread that made it (the last error is per thread).</summary>
        internal static SdkException Error(int code)
        {
            string json = TakeString(NativeMethods.csdk_last_error());
            return SdkException.FromErrorJson(json, code);
        }
    }
}
