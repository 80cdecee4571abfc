//! `community-server`: the self-hostable server of the Community SDK.
//!
//! It speaks protocol v1 (`community-protocol`) over WebSocket at `/ws`, stores everything
//! in an embedded SQLite database in its data directory (through
//! `community-server-domain`), and enforces every permission and limit of PRODUCT.md. It is
//! a library too, so tests, benchmarks and the demo can embed a real server in-process.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
