//! The store's tests: real SQLite files in temporary directories, one file per area.
//! Fixtures live in `super::test_support`.

mod changes;
mod communities;
mod concurrency;
mod messages;
mod open;
mod outbox;
mod people;
mod search;
mod search_queue;
