//! `community-demo`: a terminal community client built on the Community SDK's public API,
//! as an app developer would build one, with a real `community-server` embedded in the
//! process so that `cargo run --release -p community-demo` shows the product working with
//! no set-up.
//!
//! The flow (server, demo user, seeding, bots) is shared by the terminal UI and the
//! headless check. One concern per module:
//! - [`cli`]: the command line and the mode it selects.
//! - [`flow`]: setting up and tearing down the demo; [`flow::ReadMarker`].
//! - [`embedded`]: the in-process server (kill / restart for the reconnect demo).
//! - [`seed`]: the demo communities, categories and channels.
//! - [`bots`] and [`ledger`]: the chatting bots (who also start threads and reply in
//!   them, set their profiles and presence, type before they post, write to the demo user
//!   directly, sit in a voice channel and now and then write in Japanese or Chinese) and
//!   what they got stored.
//! - [`roles`]: the moderator group, the read-only channel, and what the user may do.
//! - [`headless`]: the run without a terminal and its summary.
//! - [`app`]: the UI's state (the thread pane included); [`input`]: keys; [`ui`]: drawing;
//!   [`tui`]: the terminal and the event loop that feeds SDK subscriptions to the state.
//! - [`people`]: display names, presence dots, who is typing, the DM list's rows and who
//!   sits in voice, as the UI and the headless check draw them.
//! - [`search`]: search hits as the UI and the headless check draw them (snippets with
//!   their matches highlighted, where each hit came from, a refused query).
//! - [`scrollback`], [`message_view`], [`wrap`], [`format`](mod@format): pure helpers
//!   (paging, how a message looks, wrapping, badges).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod bots;
pub mod cli;
pub mod embedded;
pub mod error;
pub mod flow;
pub mod format;
pub mod headless;
pub mod input;
pub mod ledger;
pub mod members;
pub mod message_view;
pub mod people;
pub mod roles;
pub mod scrollback;
pub mod search;
pub mod seed;
pub mod tui;
pub mod ui;
pub mod wrap;

pub use error::DemoError;
