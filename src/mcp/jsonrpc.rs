//! JSON-RPC 2.0 framing: classifying incoming messages and building responses and errors.

use serde_json::{json, Map, Value};

/// Error codes used by this server.
pub mod code {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
    /// Modern era: a required header is missing, malformed or disagrees with the body.
    pub const HEADER_MISMATCH: i64 = -32020;
    /// Modern era: the client did not declare a capability the request needs.
    pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
    /// Modern era: the requested protocol version is not supported.
    pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;
}

/// A JSON-RPC error object, plus the HTTP status it travels with.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
    pub http_status: u16,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None, http_status: 200 }
    }

    pub fn status(mut self, http_status: u16) -> Self {
        self.http_status = http_status;
        self
    }

    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            code::METHOD_NOT_FOUND,
            format!("Method not found: {}", crate::render::truncate(method, 100)),
        )
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_PARAMS, message)
    }

    /// The error object as JSON.
    pub fn to_json(&self) -> Value {
        let mut e = json!({"code": self.code, "message": self.message});
        if let Some(d) = &self.data {
            e["data"] = d.clone();
        }
        e
    }
}

/// An incoming message, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
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
pub fn classify(msg: &Value) -> Result<Incoming, (Value, RpcError)> {
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
            return Err((
                id_for_error,
                RpcError::invalid_params("\"params\" must be an object").status(400),
            ))
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
    RpcError::new(code::INVALID_REQUEST, format!("Invalid Request: {why}")).status(400)
}

/// A success response.
pub fn success(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// An error response. When the request's id is unknown the `id` member is left out (the current
/// schemas allow that, and reject `"id": null`).
pub fn failure(id: &Value, error: &RpcError) -> Value {
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
        assert_eq!((e.code, e.http_status), (code::INVALID_REQUEST, 400));
        let (id, e) = classify(&json!({"jsonrpc":"1.0","id":"a","method":"ping"})).unwrap_err();
        assert_eq!((id, e.code), (json!("a"), code::INVALID_REQUEST));
        assert!(classify(&json!([1])).is_err());
        assert!(classify(&json!({"jsonrpc":"2.0","id":1.5,"method":"x"})).is_err());
    }
}
