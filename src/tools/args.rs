//! Reading tool arguments with errors the model can fix.
//!
//! Each tool declares its arguments as one struct deriving `serde::Deserialize` (and, in tests,
//! `schemars::JsonSchema`, from which its checked-in input schema is generated). The
//! `deserialize_with` functions here keep the leniency clients rely on: numbers given as strings,
//! `"true"`/`"false"` strings, blank strings counted as absent, trimming, and a single string
//! accepted as a one-item list.
//!
//! Invalid arguments are not protocol errors: they come back as tool results with `isError: true`
//! (SEP-1303) naming the parameter and what a valid value looks like. The functions here say what
//! is wrong; [`parse`] reads the arguments object through a small `Deserializer` that prefixes the
//! parameter's name (lighter in the worker than a general path-tracking wrapper).

use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess};
use serde::de::{Error as _, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::ToolError;
use crate::sentry::ids;

/// The description of every list tool's `cursor` argument, worded once for the whole catalogue
/// (the `tools/list` budget counts each repetition).
#[cfg(test)]
pub(crate) const CURSOR: &str = "The previous result's 'Next page' cursor.";

/// The description of every `organizationSlug` argument; the tool descriptions' examples show a
/// slug, and `find_organizations` says where to get one.
#[cfg(test)]
pub(crate) const ORGANIZATION_SLUG: &str = "Organization slug.";

/// Parse a call's `arguments` object into a tool's argument struct.
pub(crate) fn parse<T: DeserializeOwned>(arguments: Map<String, Value>) -> Result<T, ToolError> {
    T::deserialize(Arguments(arguments)).map_err(|e| ToolError::InvalidInput(e.0))
}

/// Why the arguments do not parse, parameter named.
#[derive(Debug)]
struct Invalid(String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

impl serde::de::Error for Invalid {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Invalid(msg.to_string())
    }
}

/// The arguments object as a map, for the derived argument structs.
struct Arguments(Map<String, Value>);

impl<'de> Deserializer<'de> for Arguments {
    type Error = Invalid;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_map(Entries { entries: self.0.into_iter(), value: None })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

struct Entries {
    entries: serde_json::map::IntoIter,
    /// The entry whose key was just read.
    value: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = Invalid;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Invalid> {
        let Some((name, value)) = self.entries.next() else { return Ok(None) };
        let key: StrDeserializer<'_, Invalid> = name.as_str().into_deserializer();
        let key = seed.deserialize(key)?;
        self.value = Some((name, value));
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Invalid> {
        let (name, value) = self.value.take().ok_or_else(|| Invalid::custom("value before key"))?;
        seed.deserialize(value).map_err(|e| named(&name, &e))
    }
}

/// Prefix an error with the parameter's name (not generic, so it exists once in the worker).
#[inline(never)]
fn named(name: &str, error: &serde_json::Error) -> Invalid {
    let what = error.to_string();
    // The functions below say "must be..." or ": <reason>", to follow the name.
    Invalid(match what.chars().next() {
        Some(' ' | ':') => format!("'{name}'{what}"),
        _ => format!("'{name}': {what}"),
    })
}

/// A string the schema lists as required. It may still be absent here: the URL constraint can
/// supply it, and a missing value is reported by the tool with a hint (see [`require!`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Required(pub Option<String>);

impl std::ops::Deref for Required {
    type Target = Option<String>;
    fn deref(&self) -> &Option<String> {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Required {
    /// Reads through `deserialize_option`, so serde's missing-field path gives `None` (no
    /// `#[serde(default)]`, which would make the field optional in the generated schema).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
        string_value(value).map(Required).map_err(D::Error::custom)
    }
}

#[cfg(test)]
impl schemars::JsonSchema for Required {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "String".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string"})
    }
}

/// A required value, or `'<param>' is required. <hint>` (`field` in snake or camel case).
pub(crate) fn require_value<T>(value: Option<T>, field: &str, hint: &str) -> Result<T, ToolError> {
    value.ok_or_else(|| ToolError::invalid(format!("'{}' is required. {hint}", camel_case(field))))
}

/// `require!(args.field, "hint")`: the field's value, or an error naming its parameter.
macro_rules! require {
    ($args:ident . $field:ident, $hint:expr) => {
        $crate::tools::args::require_value(
            $crate::tools::args::IntoOption::into_option($args.$field.clone()),
            stringify!($field),
            $hint,
        )
    };
}
pub(crate) use require;

/// What [`require!`] accepts: a [`Required`] or an `Option<String>` field.
pub(crate) trait IntoOption {
    fn into_option(self) -> Option<String>;
}

impl IntoOption for Required {
    fn into_option(self) -> Option<String> {
        self.0
    }
}

impl IntoOption for Option<String> {
    fn into_option(self) -> Option<String> {
        self
    }
}

/// `team_slug` → `teamSlug`, as serde's `rename_all = "camelCase"` does.
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

fn string_value(value: Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_string())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(" must be a string".into()),
    }
}

/// An optional string; `null` and blank count as absent, numbers are taken as text.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    string_value(Value::deserialize(d)?).map_err(D::Error::custom)
}

/// Like [`string`], but a blank string is kept (as `""`): for parameters where `''` means
/// "no filter" and absent means the default.
pub(crate) fn string_or_blank<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(Some(s.trim().to_string())),
        other => string_value(other).map_err(D::Error::custom),
    }
}

/// An optional boolean (accepts `"true"`/`"false"` strings, which some clients send).
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        _ => Err(D::Error::custom(" must be true or false")),
    }
}

/// An optional whole number within `MIN..=MAX` (`deserialize_with = "args::int::<_, 1, 100>"`).
pub(crate) fn int<'de, D: Deserializer<'de>, const MIN: i64, const MAX: i64>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    int_in(Value::deserialize(d)?, MIN, MAX).map_err(D::Error::custom)
}

fn int_in(value: Value, min: i64, max: i64) -> Result<Option<i64>, String> {
    let v = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        }
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match v {
        Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
        _ => Err(format!(" must be a whole number from {min} to {max}")),
    }
}

/// An optional list of at most `MAX` strings (a single string is accepted as a one-item list;
/// items are trimmed, blank ones dropped, and an empty list counts as absent).
pub(crate) fn strings<'de, D: Deserializer<'de>, const MAX: usize>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    let not_strings = || D::Error::custom(" must be a list of strings");
    let list = match Value::deserialize(d)? {
        Value::Null => return Ok(None),
        Value::String(s) => vec![s],
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                _ => Err(not_strings()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(not_strings()),
    };
    let list: Vec<String> =
        list.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    if list.len() > MAX {
        return Err(D::Error::custom(format!(" takes at most {MAX} items")));
    }
    Ok(if list.is_empty() { None } else { Some(list) })
}

/// A parameter with a fixed set of values; declare one with [`choices!`].
pub(crate) trait Choice: Sized + Copy + 'static {
    /// Every value, as the schema lists them.
    const ALL: &'static [(&'static str, Self)];
}

/// An optional value from a fixed set (case-insensitive).
pub(crate) fn choice<'de, D: Deserializer<'de>, C: Choice>(d: D) -> Result<Option<C>, D::Error> {
    let names: Vec<&str> = C::ALL.iter().map(|(name, _)| *name).collect();
    Ok(choice_index(Value::deserialize(d)?, &names).map_err(D::Error::custom)?.map(|i| C::ALL[i].1))
}

fn choice_index(value: Value, names: &[&str]) -> Result<Option<usize>, String> {
    let Some(v) = string_value(value)? else { return Ok(None) };
    match names.iter().position(|name| name.eq_ignore_ascii_case(&v)) {
        Some(i) => Ok(Some(i)),
        None => Err(format!(" must be one of: {}", names.join(", "))),
    }
}

/// A value from a fixed set that the schema lists as required. Absent here it is `None`, so the
/// tool answers with a hint of its own rather than serde's bare "missing field" (as [`Required`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequiredChoice<C>(pub Option<C>);

impl<'de, C: Choice> Deserialize<'de> for RequiredChoice<C> {
    /// Reads through `deserialize_option`, so serde's missing-field path gives `None`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
        let names: Vec<&str> = C::ALL.iter().map(|(name, _)| *name).collect();
        let index = choice_index(value, &names).map_err(D::Error::custom)?;
        Ok(RequiredChoice(index.map(|i| C::ALL[i].1)))
    }
}

#[cfg(test)]
impl<C: schemars::JsonSchema> schemars::JsonSchema for RequiredChoice<C> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        C::schema_name()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        C::json_schema(generator)
    }
}

/// An enum of the values a parameter takes, with `as_str`, [`Choice`] and (in tests) a JSON
/// Schema `enum`: `choices! { pub enum Sort { Date = "date", New = "new" } }`.
macro_rules! choices {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name { $($variant),+ }

        impl $name {
            /// The value as Sentry and the schema spell it.
            #[allow(dead_code)]
            pub(crate) fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl $crate::tools::args::Choice for $name {
            const ALL: &'static [(&'static str, Self)] = &[$(($text, Self::$variant)),+];
        }

        #[cfg(test)]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string", "enum": [$($text),+]})
            }
        }
    };
}
pub(crate) use choices;

/// An optional stats period (`24h`, `14d`...).
pub(crate) fn period<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    string_value(Value::deserialize(d)?)
        .map_err(D::Error::custom)?
        .map(|p| ids::period(&p).map_err(|e| D::Error::custom(format!(": {e}"))))
        .transpose()
}

/// An optional pagination cursor, exactly as a previous result gave it.
pub(crate) fn cursor<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match string_value(Value::deserialize(d)?).map_err(D::Error::custom)? {
        Some(c) if !crate::sentry::pagination::is_valid_cursor(&c) => Err(D::Error::custom(
            " must be the exact cursor value from a previous result (e.g. 0:25:0)",
        )),
        other => Ok(other),
    }
}

/// Generating the checked-in input schemas (tests only: the worker carries no generator).
#[cfg(test)]
pub(crate) mod schema {
    use serde_json::{Map, Value};

    /// The input schema of an argument struct, in the shape clients get today: no `$schema`,
    /// `title`, numeric `format`, or `null` in types made optional by `Option`; every schema is
    /// a closed object.
    pub(crate) fn generate<T: schemars::JsonSchema>() -> Value {
        let generator = schemars::generate::SchemaSettings::draft2020_12()
            .with(|s| {
                s.inline_subschemas = true;
                s.meta_schema = None;
            })
            .into_generator();
        let mut schema = generator.into_root_schema_for::<T>().to_value();
        let root = schema.as_object_mut().expect("an object schema");
        for key in ["$schema", "title", "description", "$defs"] {
            root.remove(key);
        }
        root.insert("additionalProperties".into(), Value::Bool(false));
        root.entry("properties").or_insert_with(|| Value::Object(Map::new()));
        if let Some(Value::Object(props)) = root.get_mut("properties") {
            for prop in props.values_mut() {
                tidy(prop);
            }
        }
        if root.get("required").and_then(Value::as_array).is_some_and(Vec::is_empty) {
            root.remove("required");
        }
        schema
    }

    /// The text of a checked-in schema: one line per property (so a change shows as one line in
    /// the diff), each compact (the worker embeds these files).
    pub(crate) fn file_text(schema: &Value) -> String {
        let compact = |v: &Value| serde_json::to_string(v).expect("JSON");
        let mut lines = Vec::new();
        for (key, value) in schema.as_object().expect("an object schema") {
            match value {
                Value::Object(props) if key == "properties" && !props.is_empty() => {
                    let props: Vec<String> = props
                        .iter()
                        .map(|(name, p)| {
                            format!("    {}: {}", compact(&name.as_str().into()), compact(p))
                        })
                        .collect();
                    lines.push(format!("  \"properties\": {{\n{}\n  }}", props.join(",\n")));
                }
                _ => lines.push(format!("  {}: {}", compact(&key.as_str().into()), compact(value))),
            }
        }
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }

    /// Undo what `Option` and integer types add to a property schema.
    fn tidy(prop: &mut Value) {
        let Some(obj) = prop.as_object_mut() else { return };
        // `Option<Vec<_>>` comes as `anyOf: [<schema>, {"type": "null"}]`.
        if let Some(Value::Array(any)) = obj.remove("anyOf") {
            let mut rest: Vec<Value> = any.into_iter().filter(|s| s["type"] != "null").collect();
            assert_eq!(rest.len(), 1, "only nullable unions are expected");
            if let Value::Object(inner) = rest.remove(0) {
                let outer: Map<String, Value> = std::mem::take(obj);
                obj.extend(inner);
                obj.extend(outer);
            }
        }
        if let Some(Value::Array(types)) = obj.get("type") {
            let types: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            if types.len() == 1 {
                obj.insert("type".into(), types[0].clone());
            }
        }
        if let Some(Value::Array(values)) = obj.get_mut("enum") {
            values.retain(|v| !v.is_null());
        }
        obj.remove("format");
        obj.remove("default");
        // A free-form object (`Map<String, Value>`) or item says so by its type alone; `true`
        // is JSON Schema's default, and each repetition costs `tools/list` tokens.
        if obj.get("additionalProperties") == Some(&Value::Bool(true)) {
            obj.remove("additionalProperties");
        }
        if let Some(Value::Object(items)) = obj.get_mut("items") {
            if items.get("additionalProperties") == Some(&Value::Bool(true)) {
                items.remove("additionalProperties");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    choices! {
        enum Colour { Red = "red", Blue = "blue" }
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        #[serde(default, deserialize_with = "string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "string")]
        blank: Option<String>,
        #[serde(default, deserialize_with = "int::<_, 1, 10>")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "flag")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "strings::<_, 3>")]
        list: Option<Vec<String>>,
        #[serde(default, deserialize_with = "choice")]
        colour: Option<Colour>,
        team_slug: Required,
    }

    fn sample(v: Value) -> Result<Sample, ToolError> {
        parse(v.as_object().unwrap().clone())
    }

    fn error(v: Value) -> String {
        match sample(v) {
            Err(ToolError::InvalidInput(m)) => m,
            _ => panic!("expected an error"),
        }
    }

    #[test]
    fn schema_files_read_back_as_the_schema() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"enum": ["x"]}}, "required": ["a"]});
        let text = schema::file_text(&schema);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), schema);
        assert!(text.contains("\n    \"a\": {\"type\":\"string\"},\n"), "{text}");
        let empty = json!({"type": "object", "properties": {}});
        assert_eq!(serde_json::from_str::<Value>(&schema::file_text(&empty)).unwrap(), empty);
    }

    #[test]
    fn lenient_where_clients_differ_strict_where_it_matters() {
        let a = sample(
            json!({"s": " x ", "blank": "", "n": "5", "b": "true", "list": "one", "colour": "RED"}),
        )
        .unwrap();
        assert_eq!(a.s.as_deref(), Some("x"));
        assert_eq!(a.blank, None);
        assert_eq!(a.n, Some(5));
        assert_eq!(a.b, Some(true));
        assert_eq!(a.list, Some(vec!["one".to_string()]));
        assert_eq!(a.colour, Some(Colour::Red));
        assert_eq!(a.team_slug, Required(None));
        assert_eq!(error(json!({"n": 11})), "'n' must be a whole number from 1 to 10");
        assert_eq!(error(json!({"n": 3.5})), "'n' must be a whole number from 1 to 10");
        assert_eq!(error(json!({"s": {}})), "'s' must be a string");
        assert_eq!(error(json!({"b": "yes"})), "'b' must be true or false");
        assert_eq!(error(json!({"list": ["a", 1]})), "'list' must be a list of strings");
        assert_eq!(error(json!({"list": ["a", "b", "c", "d"]})), "'list' takes at most 3 items");
        assert_eq!(error(json!({"colour": "green"})), "'colour' must be one of: red, blue");
        assert_eq!(error(json!({"teamSlug": true})), "'teamSlug' must be a string");
        assert_eq!(sample(json!({"teamSlug": 7})).unwrap().team_slug, Required(Some("7".into())));
        let missing = require_value(None::<String>, "team_slug", "Pass it.").unwrap_err();
        assert_eq!(missing.to_string(), "**Invalid input**: 'teamSlug' is required. Pass it.");
    }
}
