//! Owner operations as REST routes: each route names one operation of the WebSocket API
//! (`op`), its body (or, for `GET`, its query string) carries that operation's
//! parameters, and the path's ids (`community_id`, `channel_id`, `user_id`, `group_id`)
//! are added to them. The request then runs as the app admin (`@admin`, an owner in
//! every community) through [`Shared::handle_as`], so every rule, limit, error code and
//! event is the WebSocket API's; the answer is the operation's response object (with its
//! `kind`). `POST /admin/v1/requests` takes any operation as `{op, params}`.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use community_protocol::{ApiError, ErrorCode, Request, UserId};
use serde_json::{Map, Value};

use super::AdminState;
use super::error::{AdminError, AdminResult};

/// Query parameters that are numbers in the operations' parameters.
const NUMERIC_QUERY: &[&str] = &["limit", "before_seq", "after_seq"];

/// Runs `op` with the path's ids and the body's (or query's) parameters as the app admin.
pub(crate) async fn run_op(
    op: &'static str,
    state: AdminState,
    path: HashMap<String, String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    body: Bytes,
) -> AdminResult<Json<Value>> {
    let mut params = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(invalid("the body must be a JSON object")),
            Err(error) => return Err(invalid(&format!("the body is not JSON: {error}"))),
        }
    };
    let Query(query) = query?;
    for (key, value) in query {
        let value = match NUMERIC_QUERY.contains(&key.as_str()) {
            true => value
                .parse::<u64>()
                .map(Value::from)
                .map_err(|_| invalid(&format!("{key} must be a number")))?,
            false => Value::String(value),
        };
        params.insert(key, value);
    }
    for (key, value) in path {
        params.insert(key, Value::String(value));
    }
    let request = parse_request(op, Value::Object(params))?;
    let response = state.shared.handle_as(UserId::app_admin(), request).await?;
    Ok(Json(to_json(&response)?))
}

/// `POST /admin/v1/requests`: any operation of the WebSocket API as the app admin.
pub(crate) async fn any_request(
    State(state): State<AdminState>,
    body: Bytes,
) -> AdminResult<Json<Value>> {
    let request: Request = serde_json::from_slice(&body)
        .map_err(|error| invalid(&format!("expected {{\"op\":…,\"params\":{{…}}}}: {error}")))?;
    let response = state.shared.handle_as(UserId::app_admin(), request).await?;
    Ok(Json(to_json(&response)?))
}

/// The protocol request `op` with `params`, or `invalid_params`.
pub(crate) fn parse_request(op: &str, params: Value) -> Result<Request, AdminError> {
    let mut frame = Map::new();
    frame.insert("op".into(), Value::String(op.to_owned()));
    frame.insert("params".into(), params);
    serde_json::from_value(Value::Object(frame))
        .map_err(|error| invalid(&format!("invalid parameters for {op}: {error}")))
}

/// A value as JSON (`internal` if it cannot be: never for the protocol's types).
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, AdminError> {
    serde_json::to_value(value).map_err(|error| {
        AdminError(ApiError::new(
            ErrorCode::INTERNAL,
            format!("answer not encodable: {error}"),
        ))
    })
}

/// `invalid_params` with `message`.
pub(crate) fn invalid(message: &str) -> AdminError {
    AdminError(ApiError::new(ErrorCode::INVALID_PARAMS, message))
}

/// A route handler running `$op` (see the module documentation).
macro_rules! op {
    ($op:literal) => {
        |axum::extract::State(state): axum::extract::State<$crate::admin::AdminState>,
         axum::extract::Path(path): axum::extract::Path<
            std::collections::HashMap<String, String>,
        >,
         query: Result<
            axum::extract::Query<std::collections::HashMap<String, String>>,
            axum::extract::rejection::QueryRejection,
        >,
         body: axum::body::Bytes| async move {
            $crate::admin::ops::run_op($op, state, path, query, body).await
        }
    };
}
pub(crate) use op;
