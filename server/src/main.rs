//! The `community-server` binary.
fn main() {}
