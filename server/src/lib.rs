//! `community-server`: the self-hostable server of the Community SDK.
//!
//! It speaks protocol v1 (`community-protocol`) over WebSocket at `/ws`, stores everything
//! in an embedded SQLite database in its data directory, and enforces every permission and
//! limit of PRODUCT.md. It is a library too, so tests, benchmarks and the demo can embed a
//! real server in-process.
//!
//! Layers, from the wire inwards:
//! - `http` / `session`: the axum router (`/healthz`, `/ws`) and one task per connection.
//! - `hub`: who is online, in which communities; fan-out of encoded events.
//! - `routing`: the seam between domain and transport ([`routing::Handled`]).
//! - `domain`: every operation with its permission and limit checks (blocking code, run
//!   off the async threads).
//! - `store`: the storage trait and its SQLite implementation.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod routing;
