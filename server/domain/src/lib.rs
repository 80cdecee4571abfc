//! The domain of `community-server`: every operation of protocol v1 with its permission
//! and limit checks, over the [`store`] trait and its SQLite implementation.
//!
//! It is sans-network: the transport (crate `community-server`) hands it a caller and a
//! request, and gets back a [`routing::Handled`] — the response, the events and who should
//! receive them. Calls block on SQLite, so the transport runs them off its async threads.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod routing;
