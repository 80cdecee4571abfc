using System.Collections.Generic;

namespace CommunitySdk
{
    /// <summary>A range of a C# string: <c>Length</c> UTF-16 units from <c>Start</c>.</summary>
    public struct TextRange
    {
        /// <summary>The first UTF-16 index.</summary>
        public int Start;

        /// <summary>How many UTF-16 units.</summary>
        public int Length;

        /// <summary>A range.</summary>
        public TextRange(int start, int length)
        {
            Start = start;
            Length = length;
        }

        /// <inheritdoc/>
        public override string ToString() { return Start + "+" + Length; }
    }

    public sealed partial class Snippet
    {
        /// <summary>
        /// The highlights as ranges of <see cref="Text"/> (a C# string, UTF-16), for
        /// <c>Text.Substring(r.Start, r.Length)</c> or rich text. The SDK gives them as byte
        /// ranges of the UTF-8 text (<see cref="Highlight.Start"/>, <see cref="Highlight.End"/>):
        /// a CJK character is 3 bytes but 1 UTF-16 unit, an emoji 4 bytes but 2.
        /// </summary>
        public List<TextRange> HighlightRanges()
        {
            var ranges = new List<TextRange>();
            if (Highlights == null || Highlights.Count == 0) return ranges;
            string text = Text ?? "";
            // utf16At[b]: the UTF-16 index of the character holding UTF-8 byte b (the end at the end).
            var utf16At = new List<int>(text.Length * 3 + 1);
            for (int i = 0; i < text.Length; i++)
            {
                int bytes;
                char c = text[i];
                if (c < 0x80) bytes = 1;
                else if (c < 0x800) bytes = 2;
                else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) bytes = 4;
                else bytes = 3;
                for (int b = 0; b < bytes; b++) utf16At.Add(i);
                if (bytes == 4) i++;
            }
            int total = utf16At.Count;
            utf16At.Add(text.Length);
            foreach (var h in Highlights)
            {
                int start = utf16At[(int)System.Math.Min(h.Start, (uint)total)];
                int end = utf16At[(int)System.Math.Min(h.End, (uint)total)];
                ranges.Add(new TextRange(start, System.Math.Max(0, end - start)));
            }
            return ranges;
        }

        /// <summary>The highlighted parts of <see cref="Text"/>, in order (e.g. "東京" for a search of "東京").</summary>
        public List<string> HighlightedTexts()
        {
            var texts = new List<string>();
            foreach (var r in HighlightRanges()) texts.Add(Text.Substring(r.Start, r.Length));
            return texts;
        }
    }
}
