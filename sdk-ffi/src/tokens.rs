//! [`BlockingTokens`]: a token provider of the host (a foreign `TokenProvider`, a C
//! callback) as the SDK's `TokenProvider`. The host's call may block (it may ask the app's
//! backend), so it runs on tokio's blocking pool, never on a runtime worker; a panic or a
//! foreign exception inside it counts as "no token".

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// A blocking `user_id -> token` function, as the SDK's token provider.
pub(crate) struct BlockingTokens<F>(Arc<F>);

impl<F> BlockingTokens<F>
where
    F: Fn(String) -> Option<String> + Send + Sync + 'static,
{
    /// The provider calling `fetch` for each token.
    pub(crate) fn new(fetch: F) -> Self {
        Self(Arc::new(fetch))
    }
}

impl<F> community_sdk::TokenProvider for BlockingTokens<F>
where
    F: Fn(String) -> Option<String> + Send + Sync + 'static,
{
    fn fetch_token<'a>(&'a self, user_id: &'a str) -> community_sdk::TokenFuture<'a> {
        let fetch = Arc::clone(&self.0);
        let user_id = user_id.to_owned();
        Box::pin(async move {
            let call = move || {
                catch_unwind(AssertUnwindSafe(|| fetch(user_id)))
                    .ok()
                    .flatten()
            };
            tokio::task::spawn_blocking(call).await.ok().flatten()
        })
    }
}
