//! JSON-RPC 2.0 framing: classifying incoming messages and building responses and errors.
//!
//! Errors are plain JSON-RPC ([`RpcError`] with an [`ErrorCode`]); they carry no HTTP status,
//! because stdio has none and over HTTP the status depends on where the error arose (see
//! `mcp::server::http_status`).

use std::fmt;

use serde::Serialize;
use serde_json::{json, Map, Value};

/// A JSON-RPC error code. The named constants are the ones this server sends; the HTTP status an
/// error travels with is decided by the transport (`mcp::server::http_status`), never stored here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ErrorCode(pub i64);

impl ErrorCode {
    pub const PARSE_ERROR: Self = Self(-32700);
    pub const INVALID_REQUEST: Self = Self(-32600);
    pub const METHOD_NOT_FOUND: Self = Self(-32601);
    pub const INVALID_PARAMS: Self = Self(-32602);
    pub const INTERNAL_ERROR: Self = Self(-32603);
    /// Implementation-defined (server error range): a rate limit refused the request.
    pub const RATE_LIMITED: Self = Self(-32000);
    /// Legacy era: `resources/read` of a resource that does not exist.
    pub const RESOURCE_NOT_FOUND: Self = Self(-32002);
    /// Modern era: a required header is missing, malformed or disagrees with the body.
    pub const HEADER_MISMATCH: Self = Self(-32020);
    /// Modern era: the client did not declare a capability the request needs.
    pub const MISSING_CLIENT_CAPABILITY: Self = Self(-32021);
    /// Modern era: the requested protocol version is not supported.
    pub const UNSUPPORTED_PROTOCOL_VERSION: Self = Self(-32022);
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Lets tests compare a JSON `code` member with a named code.
impl PartialEq<ErrorCode> for Value {
    fn eq(&self, other: &ErrorCode) -> bool {
        self.as_i64() == Some(other.0)
    }
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("JSON-RPC error {code}: {message}")]
pub(crate) struct RpcError {
    pub code: ErrorCode,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }

    pub(crate) fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// -32700: the payload is not JSON.
    pub(crate) fn parse_error(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PARSE_ERROR, message)
    }

    /// -32600: the message (or the HTTP request carrying it) cannot be handled as sent.
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INVALID_REQUEST, message)
    }

    pub(crate) fn method_not_found(method: &str) -> Self {
        Self::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found: {}", crate::render::truncate(method, 100)),
        )
    }

    pub(crate) fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INVALID_PARAMS, message)
    }

    /// -32603: the server cannot serve the request at all.
    pub(crate) fn internal_error(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INTERNAL_ERROR, message)
    }

    /// -32000: a rate limit refused the request.
    pub(crate) fn rate_limited(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::RATE_LIMITED, message)
    }

    /// -32020: a modern-era header is missing, malformed or disagrees with the body.
    pub(crate) fn header_mismatch(what: impl fmt::Display) -> Self {
        Self::new(ErrorCode::HEADER_MISMATCH, format!("Header mismatch: {what}"))
    }

    /// -32022: the requested protocol version is not supported.
    pub(crate) fn unsupported_protocol_version(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::UNSUPPORTED_PROTOCOL_VERSION, message)
    }

    /// The error object as JSON.
    pub(crate) fn to_json(&self) -> Value {
        let mut e = json!({"code": self.code, "message": self.message});
        if let Some(d) = &self.data {
            e["data"] = d.clone();
        }
        e
    }
}

/// An incoming message, classified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    Request {
        id: Value,
        method: String,
        params: Map<String, Value>,
    },
    Notification {
        method: String,
    },
    /// A client's answer to a server request (this server sends none; accepted and ignored).
    Response,
}

/// Classify one JSON-RPC message. `Err` carries the id when one could be read.
pub(crate) fn classify(msg: &Value) -> Result<Incoming, (Value, RpcError)> {
    let Some(obj) = msg.as_object() else {
        return Err((Value::Null, invalid_request("a JSON-RPC message must be a JSON object")));
    };
    let id = obj.get("id").cloned();
    let id_for_error = id.clone().filter(valid_id).unwrap_or(Value::Null);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err((id_for_error, invalid_request("\"jsonrpc\" must be \"2.0\"")));
    }
    if let Some(id) = &id {
        if !valid_id(id) {
            return Err((
                Value::Null,
                invalid_request("\"id\" must be a string or an integer (null is not allowed)"),
            ));
        }
    }
    let Some(method) = obj.get("method") else {
        if id.is_some() && (obj.contains_key("result") || obj.contains_key("error")) {
            return Ok(Incoming::Response);
        }
        return Err((id_for_error, invalid_request("missing \"method\"")));
    };
    let Some(method) = method.as_str() else {
        return Err((id_for_error, invalid_request("\"method\" must be a string")));
    };
    let params = match obj.get("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err((id_for_error, RpcError::invalid_params("\"params\" must be an object")))
        }
    };
    Ok(match id {
        Some(id) => Incoming::Request { id, method: method.to_string(), params },
        None => Incoming::Notification { method: method.to_string() },
    })
}

fn valid_id(id: &Value) -> bool {
    id.is_string() || id.as_i64().is_some() || id.as_u64().is_some()
}

fn invalid_request(why: &str) -> RpcError {
    RpcError::invalid_request(format!("Invalid Request: {why}"))
}

/// A success response.
pub(crate) fn success(id: &Value, result: Value) -> Value {
    // Built member by member: `json!` would copy the whole result through `to_value`.
    let mut response = Map::new();
    response.insert("jsonrpc".into(), "2.0".into());
    response.insert("id".into(), id.clone());
    response.insert("result".into(), result);
    Value::Object(response)
}

/// A success response around a result that is already serialised JSON.
pub(crate) fn success_raw(id: &Value, result: &str) -> Vec<u8> {
    let id = serde_json::to_string(id).unwrap_or_else(|_| "null".into());
    let mut out = Vec::with_capacity(result.len() + id.len() + 32);
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(br#","result":"#);
    out.extend_from_slice(result.as_bytes());
    out.push(b'}');
    out
}

/// An error response. When the request's id is unknown the `id` member is left out (the current
/// schemas allow that, and reject `"id": null`).
pub(crate) fn failure(id: &Value, error: &RpcError) -> Value {
    let mut r = json!({"jsonrpc": "2.0", "error": error.to_json()});
    if !id.is_null() {
        r["id"] = id.clone();
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_messages() {
        assert!(matches!(
            classify(&json!({"jsonrpc":"2.0","id":1,"method":"ping"})),
            Ok(Incoming::Request { .. })
        ));
        assert!(matches!(
            classify(&json!({"jsonrpc":"2.0","method":"notifications/initialized"})),
            Ok(Incoming::Notification { .. })
        ));
        assert!(matches!(
            classify(&json!({"jsonrpc":"2.0","id":1,"result":{}})),
            Ok(Incoming::Response)
        ));
        let (_, e) = classify(&json!({"jsonrpc":"2.0","id":null,"method":"ping"})).unwrap_err();
        assert_eq!(e.code, ErrorCode::INVALID_REQUEST);
        let (id, e) = classify(&json!({"jsonrpc":"1.0","id":"a","method":"ping"})).unwrap_err();
        assert_eq!((id, e.code), (json!("a"), ErrorCode::INVALID_REQUEST));
        assert!(classify(&json!([1])).is_err());
        assert!(classify(&json!({"jsonrpc":"2.0","id":1.5,"method":"x"})).is_err());
    }
}
