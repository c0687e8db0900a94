//! What every list-type tool shares: the "next page" line, the `hasMore`/`nextCursor` fields of
//! structured output, and the output schema that describes them.

use serde_json::{json, Map, Value};

/// Query parameters of a list call: page size, the optional `query` filter and `cursor`.
pub(crate) fn list_query(
    per_page: i64,
    query: Option<&str>,
    cursor: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut out = vec![("per_page", per_page.to_string())];
    if let Some(q) = query {
        out.push(("query", q.to_string()));
    }
    if let Some(c) = cursor {
        out.push(("cursor", c.to_string()));
    }
    out
}

/// The closing line of a list: how to get the next page, or that there is none.
pub(crate) fn footer(next_cursor: Option<&str>, count: usize, noun: &str) -> String {
    match next_cursor {
        Some(c) => {
            format!("\n**Next page**: call again with cursor \"{c}\" (more {noun} exist).\n")
        }
        None => format!("\n{count} {noun} on this page; no more pages.\n"),
    }
}

/// Structured content of one page: `{<key>: items, hasMore, nextCursor?}` plus extra fields.
pub(crate) fn page(key: &str, items: Vec<Value>, next_cursor: Option<&str>, extra: Value) -> Value {
    let mut out = Map::new();
    if let Value::Object(extra) = extra {
        out.extend(extra);
    }
    out.insert(key.to_string(), Value::Array(items));
    out.insert("hasMore".into(), json!(next_cursor.is_some()));
    if let Some(c) = next_cursor {
        out.insert("nextCursor".into(), json!(c));
    }
    Value::Object(out)
}

/// The output schema of [`page`], given the item's properties.
pub(crate) fn page_schema(key: &str, item_properties: Value, extra_properties: Value) -> Value {
    let mut props = Map::new();
    if let Value::Object(extra) = extra_properties {
        props.extend(extra);
    }
    props.insert(
        key.into(),
        json!({"type": "array", "items": {"type": "object", "properties": item_properties}}),
    );
    props.insert("hasMore".into(), json!({"type": "boolean"}));
    props.insert("nextCursor".into(), json!({"type": "string"}));
    json!({"type": "object", "properties": props, "required": [key, "hasMore"]})
}

/// JSON Schema for a nullable string (flat type list, accepted by strict clients).
pub(crate) fn opt_string() -> Value {
    json!({"type": ["string", "null"]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_say_whether_more_exist() {
        let p = page("items", vec![json!({"a": 1})], Some("0:10:0"), json!({"query": "x"}));
        assert_eq!(
            p,
            json!({"items": [{"a": 1}], "hasMore": true, "nextCursor": "0:10:0", "query": "x"})
        );
        assert_eq!(page("items", vec![], None, Value::Null)["hasMore"], false);
        assert!(footer(None, 3, "issues").contains("3 issues on this page; no more pages"));
        assert!(footer(Some("c"), 3, "issues").contains("cursor \"c\""));
    }
}
