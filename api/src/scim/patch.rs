//! PATCH (RFC 7644 §3.5.2) applied to a resource's JSON, as identity providers send
//! it: operation names in any case, paths with sub-attributes, extension URNs and
//! value filters (`members[value eq "17"]`, `emails[type eq "work"].value`), Entra
//! ID's `replace` without a path whose keys are paths themselves
//! (`name.givenName`), booleans as `"True"`/`"False"`, and Okta's deactivation
//! (`replace` with `{"active": false}`). Attributes siloscope does not store are
//! ignored, as RFC 7644 lets a service provider do. Paths are parsed by `scim_v2`.

use std::str::FromStr;

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value};

use super::json::{boolean, field, Attr, Kind, Shape};
use super::ScimError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

fn no_target(detail: impl Into<String>) -> ScimError {
    ScimError::new(
        actix_web::http::StatusCode::BAD_REQUEST,
        Some("noTarget"),
        detail,
    )
}

fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::new(
        actix_web::http::StatusCode::BAD_REQUEST,
        Some("invalidPath"),
        detail,
    )
}

/// Applies a PatchOp body to `resource` (the resource's JSON object).
pub fn apply(
    kind: &Kind,
    resource: &mut Map<String, Value>,
    body: &Value,
) -> Result<(), ScimError> {
    let operations = body
        .as_object()
        .and_then(|b| field(b, "Operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_value("a PatchOp body has `Operations`"))?;
    for operation in operations {
        let operation = operation
            .as_object()
            .ok_or_else(|| ScimError::invalid_value("an operation is an object"))?;
        let op = match field(operation, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(op) if op == "add" => Op::Add,
            Some(op) if op == "replace" => Op::Replace,
            Some(op) if op == "remove" => Op::Remove,
            other => {
                return Err(ScimError::invalid_value(format!(
                    "`op` must be add, replace or remove, not {other:?}"
                )))
            }
        };
        let value = field(operation, "value").cloned().unwrap_or(Value::Null);
        match field(operation, "path").and_then(Value::as_str) {
            Some(path) => apply_path(kind, resource, op, path, value)?,
            None if op == Op::Remove => return Err(no_target("a remove operation needs a `path`")),
            None => {
                let Value::Object(values) = value else {
                    return Err(ScimError::invalid_value(
                        "without a `path`, `value` is an object of attributes",
                    ));
                };
                for (key, value) in values {
                    apply_path(kind, resource, op, &key, value)?;
                }
            }
        }
    }
    Ok(())
}

/// Applies one operation at `path` (a path, or an extension's URN).
fn apply_path(
    kind: &Kind,
    resource: &mut Map<String, Value>,
    op: Op,
    path: &str,
    value: Value,
) -> Result<(), ScimError> {
    // A whole extension: apply each of its attributes.
    if let Some((urn, attrs)) = kind.extension(path.trim()) {
        return match (op, value) {
            (Op::Remove, _) => {
                resource.remove(urn);
                Ok(())
            }
            (_, Value::Object(values)) => {
                let target = object_at(resource, urn);
                for (key, value) in values {
                    if let Some(attr) = attrs.iter().find(|a| a.name.eq_ignore_ascii_case(&key)) {
                        set(target, attr, op, value)?;
                    }
                }
                Ok(())
            }
            _ => Err(ScimError::invalid_value(format!("`{urn}` takes an object"))),
        };
    }
    let parsed = PatchPath::from_str(path.trim())
        .map_err(|e| invalid_path(format!("`{path}` is not a SCIM path: {e}")))?;
    match parsed {
        PatchPath::Attr(attr_path) => apply_attr(kind, resource, op, &attr_path, path, value),
        PatchPath::Value(value_path) => {
            apply_filtered(kind, resource, op, &value_path, path, value)
        }
    }
}

/// An operation on a plain attribute path (`userName`, `name.familyName`,
/// `emails.value`).
fn apply_attr(
    kind: &Kind,
    resource: &mut Map<String, Value>,
    op: Op,
    attr_path: &AttrPath,
    path: &str,
    value: Value,
) -> Result<(), ScimError> {
    let Some((urn, attr)) = kind.find(attr_path.uri.as_deref(), &attr_path.name) else {
        return Ok(()); // not an attribute siloscope stores
    };
    let target = match urn {
        Some(urn) => object_at(resource, urn),
        None => resource,
    };
    match (&attr_path.sub_attr, attr.shape) {
        // Entra ID removes members by listing them as the value.
        (None, Shape::Many(_)) if op == Op::Remove && value.is_array() => {
            let gone: Vec<Value> = value
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i.get("value").cloned())
                        .collect()
                })
                .unwrap_or_default();
            let elements = list_at(target, attr.name);
            elements.retain(|e| !e.get("value").is_some_and(|v| gone.contains(v)));
            if elements.is_empty() {
                target.remove(attr.name);
            }
            Ok(())
        }
        (None, _) => set(target, &attr, op, value),
        (Some(sub), Shape::Complex(subs)) => {
            let Some(sub_attr) = subs.iter().find(|a| a.name.eq_ignore_ascii_case(sub)) else {
                return Ok(());
            };
            let inner = object_at(target, attr.name);
            set(inner, sub_attr, op, value)?;
            if inner.is_empty() {
                target.remove(attr.name);
            }
            Ok(())
        }
        (Some(sub), Shape::Many(subs)) => {
            // `emails.value`: the sub-attribute of every element.
            let Some(sub_attr) = subs.iter().find(|a| a.name.eq_ignore_ascii_case(sub)) else {
                return Ok(());
            };
            let elements = list_at(target, attr.name);
            if elements.is_empty() && op != Op::Remove {
                elements.push(Value::Object(Map::new()));
            }
            for element in elements.iter_mut() {
                if let Value::Object(element) = element {
                    set(element, sub_attr, op, value.clone())?;
                }
            }
            Ok(())
        }
        (Some(_), _) => Err(invalid_path(format!("`{path}` has no sub-attributes"))),
    }
}

/// An operation on a filtered list (`emails[type eq "work"]`, with or without a
/// sub-attribute after it).
fn apply_filtered(
    kind: &Kind,
    resource: &mut Map<String, Value>,
    op: Op,
    value_path: &scim_v2::filter::PatchValuePath,
    path: &str,
    value: Value,
) -> Result<(), ScimError> {
    let Some((urn, attr)) = kind.find(value_path.attr.uri.as_deref(), &value_path.attr.name) else {
        return Ok(());
    };
    let Shape::Many(subs) = attr.shape else {
        return Err(invalid_path(format!("`{path}`: only lists take a filter")));
    };
    let target = match urn {
        Some(urn) => object_at(resource, urn),
        None => resource,
    };
    let elements = list_at(target, attr.name);
    let mut matching: Vec<usize> = elements
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.as_object()
                .is_some_and(|e| matches(attr.name, e, &value_path.filter))
        })
        .map(|(i, _)| i)
        .collect();
    if op == Op::Remove {
        match &value_path.sub_attr {
            None => {
                let mut index = 0;
                elements.retain(|_| {
                    let keep = !matching.contains(&index);
                    index += 1;
                    keep
                });
            }
            Some(sub) => {
                for i in matching {
                    if let Some(Value::Object(e)) = elements.get_mut(i) {
                        e.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                    }
                }
            }
        }
        if elements.is_empty() {
            target.remove(attr.name);
        }
        return Ok(());
    }
    if matching.is_empty() {
        // An email filtered by a type siloscope does not keep is its one
        // email; any other unmatched filter targets nothing.
        if attr.name != "emails" {
            return Err(no_target(format!("nothing matches `{path}`")));
        }
        if elements.is_empty() {
            elements.push(Value::Object(Map::new()));
        }
        matching = vec![0];
    }
    for i in matching {
        let Some(Value::Object(element)) = elements.get_mut(i) else {
            continue;
        };
        match &value_path.sub_attr {
            Some(sub) => {
                if let Some(sub_attr) = subs.iter().find(|a| a.name.eq_ignore_ascii_case(sub)) {
                    set(element, sub_attr, op, value.clone())?;
                }
            }
            None => {
                let Value::Object(values) = &value else {
                    return Err(ScimError::invalid_value(format!(
                        "`{path}` takes an object"
                    )));
                };
                for (key, v) in values {
                    if let Some(sub_attr) = subs.iter().find(|a| a.name.eq_ignore_ascii_case(key)) {
                        set(element, sub_attr, op, v.clone())?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The object at `key` of `object`, made when missing (or not an object).
fn object_at<'a>(object: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let existing = object.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned();
    let slot = object
        .entry(existing.unwrap_or_else(|| key.to_owned()))
        .or_insert_with(|| Value::Object(Map::new()));
    match slot {
        Value::Object(inner) => inner,
        other => {
            *other = Value::Object(Map::new());
            match other {
                Value::Object(inner) => inner,
                _ => unreachable!("just made an object"),
            }
        }
    }
}

/// The list at `key` of `object`, made when missing (or not a list).
fn list_at<'a>(object: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
    let existing = object.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned();
    let slot = object
        .entry(existing.unwrap_or_else(|| key.to_owned()))
        .or_insert_with(|| Value::Array(Vec::new()));
    match slot {
        Value::Array(items) => items,
        other => {
            *other = Value::Array(Vec::new());
            match other {
                Value::Array(items) => items,
                _ => unreachable!("just made a list"),
            }
        }
    }
}

/// Sets, adds to or removes the attribute `attr` of `object` (its key found
/// case-insensitively, kept in its canonical spelling).
fn set(
    object: &mut Map<String, Value>,
    attr: &Attr,
    op: Op,
    value: Value,
) -> Result<(), ScimError> {
    let key = object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(attr.name))
        .cloned();
    let old = key.and_then(|k| object.remove(&k));
    if op == Op::Remove {
        return Ok(());
    }
    let new = match attr.shape {
        Shape::Bool => match value {
            Value::Null => Value::Null,
            other => Value::Bool(boolean(&other).ok_or_else(|| {
                ScimError::invalid_value(format!("`{}` must be a boolean", attr.name))
            })?),
        },
        Shape::Text => match value {
            Value::Null | Value::String(_) => value,
            Value::Number(n) => Value::String(n.to_string()),
            other => {
                return Err(ScimError::invalid_value(format!(
                    "`{}` must be a string, not {other}",
                    attr.name
                )))
            }
        },
        Shape::Complex(_) => match (op, value, old) {
            (Op::Add, Value::Object(new), Some(Value::Object(mut old))) => {
                old.extend(new);
                Value::Object(old)
            }
            (_, value @ (Value::Object(_) | Value::Null), _) => value,
            (_, other, _) => {
                return Err(ScimError::invalid_value(format!(
                    "`{}` takes an object, not {other}",
                    attr.name
                )))
            }
        },
        Shape::Many(_) => {
            let items = match value {
                Value::Array(items) => items,
                Value::Null => Vec::new(),
                single @ Value::Object(_) => vec![single],
                other => {
                    return Err(ScimError::invalid_value(format!(
                        "`{}` takes a list, not {other}",
                        attr.name
                    )))
                }
            };
            match (op, old) {
                (Op::Add, Some(Value::Array(mut old))) => {
                    // Adding a value that is there already replaces it.
                    for item in items {
                        let same = |e: &Value| {
                            e.get("value").is_some() && e.get("value") == item.get("value")
                        };
                        match old.iter().position(same) {
                            Some(i) => old[i] = item,
                            None => old.push(item),
                        }
                    }
                    Value::Array(old)
                }
                _ => Value::Array(items),
            }
        }
    };
    let empty = match &new {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(inner) => inner.is_empty(),
        _ => false,
    };
    if !empty {
        object.insert(attr.name.to_owned(), new);
    }
    Ok(())
}

/// Whether an element of the list `list` matches a value filter. Compared as text,
/// case-insensitively; an email without a `type` is a work email.
fn matches(list: &str, element: &Map<String, Value>, filter: &ValFilter) -> bool {
    match filter {
        ValFilter::Not(inner) => !matches(list, element, inner),
        ValFilter::And(a, b) => matches(list, element, a) && matches(list, element, b),
        ValFilter::Or(a, b) => matches(list, element, a) || matches(list, element, b),
        ValFilter::Attr(AttrExp::Present(path)) => value_of(list, element, path).is_some(),
        ValFilter::Attr(AttrExp::Comparison(path, op, expected)) => {
            let Some(actual) = value_of(list, element, path) else {
                return matches!(op, CompareOp::Ne);
            };
            let expected = match expected {
                CompValue::Str(s) => s.to_lowercase(),
                CompValue::True => "true".into(),
                CompValue::False => "false".into(),
                CompValue::Null => return false,
                CompValue::Number(n) => n.to_string(),
            };
            let actual = actual.to_lowercase();
            match op {
                CompareOp::Eq => actual == expected,
                CompareOp::Ne => actual != expected,
                CompareOp::Co => actual.contains(&expected),
                CompareOp::Sw => actual.starts_with(&expected),
                CompareOp::Ew => actual.ends_with(&expected),
                CompareOp::Gt => actual > expected,
                CompareOp::Ge => actual >= expected,
                CompareOp::Lt => actual < expected,
                CompareOp::Le => actual <= expected,
            }
        }
    }
}

fn value_of(list: &str, element: &Map<String, Value>, path: &AttrPath) -> Option<String> {
    match field(element, &path.name) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ if list == "emails" && path.name.eq_ignore_ascii_case("type") => Some("work".into()),
        _ => None,
    }
}
