// Hand-written: permission sets (UInt64, as records and `permissions()` carry them) tested
// and built with the generated `PermissionFlag`, whose raw value is its bit.
extension UInt64 {
    /// Whether this permission set holds `flag`, e.g. `channel.permissions()?.has(.manageMessages)`.
    public func has(_ flag: PermissionFlag) -> Bool {
        self & flag.rawValue == flag.rawValue
    }
}

/// The permission set of `flags`, e.g. `permissionsOf(.manageMessages, .kickMembers)`.
public func permissionsOf(_ flags: PermissionFlag...) -> UInt64 {
    flags.reduce(0) { $0 | $1.rawValue }
}
