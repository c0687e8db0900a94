//! Reading tool arguments with errors the model can fix.
//!
//! Invalid arguments are not protocol errors: they come back as tool results with `isError: true`
//! (SEP-1303) naming the parameter and what a valid value looks like.

use serde_json::{Map, Value};

use super::ToolError;
use crate::sentry::ids;

/// A tool call's `arguments` object (missing arguments are treated as `{}`).
pub struct Args(pub Map<String, Value>);

impl Args {
    /// An optional string; `null` and blank count as absent.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, ToolError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(ToolError::invalid(format!("'{name}' must be a string"))),
        }
    }

    /// A required string.
    pub fn req_str(&self, name: &str, hint: &str) -> Result<String, ToolError> {
        self.opt_str(name)?
            .ok_or_else(|| ToolError::invalid(format!("'{name}' is required. {hint}")))
    }

    /// An optional boolean (accepts `"true"`/`"false"` strings, which some clients send).
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ToolError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ToolError::invalid(format!("'{name}' must be true or false"))),
        }
    }

    /// An optional integer within `min..=max`.
    pub fn opt_int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ToolError> {
        let v = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(n)) => {
                n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            }
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(_) => None,
        };
        match v {
            Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
            _ => Err(ToolError::invalid(format!(
                "'{name}' must be a whole number from {min} to {max}"
            ))),
        }
    }

    /// An optional list of strings (a single string is accepted as a one-item list).
    pub fn opt_str_list(
        &self,
        name: &str,
        max_items: usize,
    ) -> Result<Option<Vec<String>>, ToolError> {
        let list = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str().map(str::to_string).ok_or_else(|| {
                        ToolError::invalid(format!("'{name}' must be a list of strings"))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(ToolError::invalid(format!("'{name}' must be a list of strings")))
            }
        };
        let list: Vec<String> =
            list.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if list.len() > max_items {
            return Err(ToolError::invalid(format!("'{name}' takes at most {max_items} items")));
        }
        Ok(if list.is_empty() { None } else { Some(list) })
    }

    /// An optional value from a fixed set (case-insensitive).
    pub fn opt_choice(
        &self,
        name: &str,
        choices: &[&'static str],
    ) -> Result<Option<&'static str>, ToolError> {
        match self.opt_str(name)? {
            None => Ok(None),
            Some(v) => choices
                .iter()
                .find(|c| c.eq_ignore_ascii_case(&v))
                .copied()
                .map(Some)
                .ok_or_else(|| {
                    ToolError::invalid(format!("'{name}' must be one of: {}", choices.join(", ")))
                }),
        }
    }

    /// An optional stats period (`24h`, `14d`...).
    pub fn opt_period(&self, name: &str) -> Result<Option<String>, ToolError> {
        self.opt_str(name)?
            .map(|p| ids::period(&p).map_err(|e| ToolError::invalid(format!("'{name}': {e}"))))
            .transpose()
    }

    /// An optional pagination cursor.
    pub fn opt_cursor(&self) -> Result<Option<String>, ToolError> {
        match self.opt_str("cursor")? {
            Some(c) if !crate::sentry::pagination::is_valid_cursor(&c) => Err(ToolError::invalid(
                "'cursor' must be the exact cursor value from a previous result (e.g. 0:25:0)",
            )),
            other => Ok(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Args {
        Args(v.as_object().unwrap().clone())
    }

    #[test]
    fn lenient_where_clients_differ_strict_where_it_matters() {
        let a = args(
            json!({"s": " x ", "blank": "", "n": "5", "b": "true", "list": "one", "bad": 3.5}),
        );
        assert_eq!(a.opt_str("s").unwrap().as_deref(), Some("x"));
        assert_eq!(a.opt_str("blank").unwrap(), None);
        assert_eq!(a.opt_int("n", 1, 10).unwrap(), Some(5));
        assert!(a.opt_int("n", 6, 10).is_err());
        assert!(a.opt_int("bad", 1, 10).is_err());
        assert_eq!(a.opt_bool("b").unwrap(), Some(true));
        assert_eq!(a.opt_str_list("list", 3).unwrap(), Some(vec!["one".to_string()]));
        assert!(a
            .req_str("missing", "Pass it.")
            .unwrap_err()
            .to_string()
            .contains("'missing' is required"));
    }
}
