//! A small OpenAPI 3.0 checker for the admin API tests: finds the response schema of a
//! route and status in `server/admin-openapi.json` and checks a JSON value against it
//! (`$ref`, `type`, `nullable`, `properties`, `required`, `additionalProperties: false`,
//! `items`, `enum`). Enough for the schemas that file uses; anything else is ignored.

use serde_json::Value;

/// The admin API's OpenAPI document.
pub fn document() -> Value {
    let text = include_str!("../../admin-openapi.json");
    serde_json::from_str(text).expect("admin-openapi.json is JSON")
}

/// Every `(METHOD, path)` the document describes, sorted.
pub fn routes(doc: &Value) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            routes.push((method.to_uppercase(), path.clone()));
        }
    }
    routes.sort();
    routes
}

/// The schema of the answer of `method template` with `status` (its own or `default`).
pub fn response_schema<'d>(doc: &'d Value, method: &str, template: &str, status: u16) -> &'d Value {
    let responses = &doc["paths"][template][method.to_lowercase()]["responses"];
    assert!(
        responses.is_object(),
        "{method} {template} is not in admin-openapi.json"
    );
    let response = match &responses[status.to_string()] {
        Value::Null => &responses["default"],
        found => found,
    };
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "{method} {template} documents no JSON answer for {status}"
    );
    schema
}

/// Checks `value` against `schema`; the problems found, with their JSON paths.
pub fn check(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    walk(doc, schema, value, "$", &mut problems, 0);
    problems
}

fn resolve<'d>(doc: &'d Value, mut schema: &'d Value) -> &'d Value {
    for _ in 0..32 {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return schema;
        };
        let pointer = reference.strip_prefix('#').expect("local $ref");
        schema = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{reference} not found"));
    }
    panic!("$ref chain too long");
}

fn walk(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>, depth: usize) {
    assert!(depth < 64, "schema too deep at {at}");
    let schema = resolve(doc, schema);
    if value.is_null() {
        if schema.get("nullable") != Some(&Value::Bool(true)) && schema.get("type").is_some() {
            out.push(format!("{at}: null but not nullable"));
        }
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        out.push(format!("{at}: {value} not in {allowed:?}"));
    }
    let type_ok = match schema.get("type").and_then(Value::as_str) {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some(other) => panic!("unknown type {other} at {at}"),
    };
    if !type_ok {
        out.push(format!("{at}: {value} is not of type {}", schema["type"]));
        return;
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name.as_str().expect("required names are strings");
            if !object.contains_key(name) {
                out.push(format!("{at}: missing required {name}"));
            }
        }
        for (name, field) in object {
            let here = format!("{at}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(field_schema) => walk(doc, field_schema, field, &here, out, depth + 1),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(format!("{here}: not allowed")),
                    Some(extra @ Value::Object(_)) => {
                        walk(doc, extra, field, &here, out, depth + 1)
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            walk(doc, items, item, &format!("{at}[{i}]"), out, depth + 1);
        }
    }
}
