//! The Community SDK core (in progress).
