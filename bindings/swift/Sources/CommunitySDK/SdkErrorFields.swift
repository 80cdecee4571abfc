// Hand-written: the fields every SdkError variant carries, on the enum itself.
extension SdkError {
    /// The stable numeric code (the protocol's, or SDK-local >= 10000).
    public var code: UInt32 { fields.code }
    /// The code's snake_case name, e.g. "name_too_long".
    public var name: String { fields.name }
    /// Details for developers.
    public var detail: String { fields.detail }

    private var fields: (code: UInt32, name: String, detail: String) {
        switch self {
        case let .Protocol(code, name, detail), let .Auth(code, name, detail),
             let .NotFound(code, name, detail), let .Permission(code, name, detail),
             let .Limit(code, name, detail), let .Server(code, name, detail),
             let .Connection(code, name, detail), let .Store(code, name, detail),
             let .Closed(code, name, detail), let .Internal(code, name, detail),
             let .Unknown(code, name, detail):
            return (code, name, detail)
        }
    }
}
