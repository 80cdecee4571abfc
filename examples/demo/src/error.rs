//! [`DemoError`]: every way setting up or running the demo can fail, typed so that the
//! binary can say what went wrong (and the headless run can exit with a clear message).

use community_sdk::SdkError;

/// A failure of the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// An SDK call failed (the step says which).
    #[error("{step}: {source}")]
    Sdk {
        /// What the demo was doing.
        step: String,
        /// The SDK's error.
        #[source]
        source: SdkError,
    },
    /// The embedded server could not start, restart or issue a token.
    #[error("embedded server: {0}")]
    Server(#[from] community_server::ServerError),
    /// A local file or terminal operation failed.
    #[error("{step}: {source}")]
    Io {
        /// What the demo was doing.
        step: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The command line or the server's state makes the requested flow impossible.
    #[error("{0}")]
    Setup(String),
}

impl DemoError {
    /// Wraps an SDK error with the step that failed.
    pub fn sdk(step: impl Into<String>) -> impl FnOnce(SdkError) -> DemoError {
        let step = step.into();
        move |source| DemoError::Sdk { step, source }
    }

    /// Wraps an I/O error with the step that failed.
    pub fn io(step: impl Into<String>) -> impl FnOnce(std::io::Error) -> DemoError {
        let step = step.into();
        move |source| DemoError::Io { step, source }
    }
}
