// Hand-written: a search snippet's highlights as ranges of the Swift string. The SDK gives
// them as byte ranges of the UTF-8 text (`Highlight.start`, `Highlight.end`); a Swift
// String indexes by its UTF-8 view directly, so each becomes a `Range<String.Index>`.
extension Snippet {
    /// The highlights as ranges of `text`, e.g. `text[range]`, or for an `AttributedString`.
    public var highlightRanges: [Range<String.Index>] {
        let utf8 = text.utf8
        let count = utf8.count
        return highlights.map { highlight in
            let start = utf8.index(utf8.startIndex, offsetBy: min(Int(highlight.start), count))
            let end = utf8.index(utf8.startIndex, offsetBy: min(max(Int(highlight.end), Int(highlight.start)), count))
            return start..<end
        }
    }

    /// The highlighted parts of `text`, in order (e.g. `["東京"]` for a search of "東京").
    public var highlightedTexts: [String] {
        highlightRanges.map { String(text[$0]) }
    }
}
