//! Users and Groups as SCIM JSON, and back: the attributes siloscope stores and
//! nothing else (`discovery` publishes the same list).

use serde_json::{json, Map, Value};
use service::model::directory::functions::{DirectoryGroup, GroupRecord};
use service::model::directory::people::DirectoryUser;

use super::ScimError;

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// siloscope's extension of Groups: the parent function and the CX-team flag.
pub const FUNCTION: &str = "urn:siloscope:params:scim:schemas:extension:2.0:Function";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// How an attribute's value is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Text,
    Bool,
    /// A complex value with these sub-attributes.
    Complex(&'static [Attr]),
    /// A list of complex values with these sub-attributes.
    Many(&'static [Attr]),
}

/// An attribute a resource type stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    pub name: &'static str,
    pub shape: Shape,
}

const fn text(name: &'static str) -> Attr {
    Attr {
        name,
        shape: Shape::Text,
    }
}

const fn flag(name: &'static str) -> Attr {
    Attr {
        name,
        shape: Shape::Bool,
    }
}

/// The attributes of a resource type: the core schema's (with the common
/// `externalId`) and each extension's, by its URN.
pub struct Kind {
    pub core_urn: &'static str,
    pub core: &'static [Attr],
    pub extensions: &'static [(&'static str, &'static [Attr])],
}

pub const USER_KIND: Kind = Kind {
    core_urn: USER,
    core: &[
        text("externalId"),
        text("userName"),
        Attr {
            name: "name",
            shape: Shape::Complex(&[text("givenName"), text("familyName")]),
        },
        text("displayName"),
        text("title"),
        flag("active"),
        Attr {
            name: "emails",
            shape: Shape::Many(&[text("value")]),
        },
    ],
    extensions: &[(ENTERPRISE, &[text("department")])],
};

pub const GROUP_KIND: Kind = Kind {
    core_urn: GROUP,
    core: &[
        text("externalId"),
        text("displayName"),
        Attr {
            name: "members",
            shape: Shape::Many(&[text("value"), text("$ref")]),
        },
    ],
    extensions: &[(FUNCTION, &[text("parent"), flag("isCxTeam")])],
};

impl Kind {
    /// The attribute of the core schema (`uri` none or the core URN) or of an
    /// extension, named case-insensitively; with the URN of its extension.
    pub fn find(&self, uri: Option<&str>, name: &str) -> Option<(Option<&'static str>, Attr)> {
        let pick = |attrs: &'static [Attr]| {
            attrs
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(name))
                .copied()
        };
        match uri {
            None => pick(self.core).map(|a| (None, a)),
            Some(uri) if uri.eq_ignore_ascii_case(self.core_urn) => {
                pick(self.core).map(|a| (None, a))
            }
            Some(uri) => self
                .extensions
                .iter()
                .find(|(urn, _)| urn.eq_ignore_ascii_case(uri))
                .and_then(|(urn, attrs)| pick(attrs).map(|a| (Some(*urn), a))),
        }
    }

    /// The extension whose URN is `name`, case-insensitively.
    pub fn extension(&self, name: &str) -> Option<(&'static str, &'static [Attr])> {
        self.extensions
            .iter()
            .find(|(urn, _)| urn.eq_ignore_ascii_case(name))
            .copied()
    }
}

/// The value at `key` of an object, the key compared case-insensitively.
pub fn field<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// A text value (`null` or absent: none); anything else is refused.
fn text_of(object: &Map<String, Value>, key: &str) -> Result<Option<String>, ScimError> {
    match field(object, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ScimError::invalid_value(format!(
            "`{key}` must be a string, not {other}"
        ))),
    }
}

/// A boolean, also as the strings `"True"` and `"False"` (Entra ID sends those).
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn flag_of(object: &Map<String, Value>, key: &str) -> Result<Option<bool>, ScimError> {
    match field(object, key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => boolean(value)
            .map(Some)
            .ok_or_else(|| ScimError::invalid_value(format!("`{key}` must be a boolean"))),
    }
}

fn object_of<'a>(
    object: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, ScimError> {
    match field(object, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(_) => Err(ScimError::invalid_value(format!(
            "`{key}` must be an object"
        ))),
    }
}

fn list_of<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], ScimError> {
    match field(object, key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(ScimError::invalid_value(format!("`{key}` must be a list"))),
    }
}

/// An instant in microseconds as SCIM writes it (RFC 3339 in UTC).
fn instant(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn meta(kind: &str, created: i64, modified: i64, location: &str) -> Value {
    json!({
        "resourceType": kind,
        "created": instant(created),
        "lastModified": instant(modified),
        "location": location,
    })
}

fn put_text(object: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        object.insert(key.to_owned(), json!(value));
    }
}

/// A person's attributes as a SCIM User holds them (what PATCH operates on).
pub fn user_fields(user: &DirectoryUser) -> Map<String, Value> {
    let mut object = Map::new();
    put_text(&mut object, "externalId", &user.external_id);
    object.insert("userName".into(), json!(user.user_name));
    let mut name = Map::new();
    put_text(&mut name, "givenName", &user.given_name);
    put_text(&mut name, "familyName", &user.family_name);
    if !name.is_empty() {
        object.insert("name".into(), Value::Object(name));
    }
    put_text(&mut object, "displayName", &user.display_name);
    put_text(&mut object, "title", &user.title);
    object.insert("active".into(), json!(user.active));
    if let Some(email) = &user.email {
        object.insert("emails".into(), json!([{ "value": email }]));
    }
    if let Some(department) = &user.department {
        object.insert(ENTERPRISE.into(), json!({ "department": department }));
    }
    object
}

/// A person as a SCIM User.
pub fn user_json(person: &entity::person::Model, base: &str) -> Value {
    let fields = user_fields(&DirectoryUser::of(person));
    let schemas = if fields.contains_key(ENTERPRISE) {
        json!([USER, ENTERPRISE])
    } else {
        json!([USER])
    };
    let mut object = Map::new();
    object.insert("schemas".into(), schemas);
    let id = scim_id("Person", person.id);
    object.insert("id".into(), json!(id));
    object.extend(fields);
    let location = format!("{base}/Users/{id}");
    object.insert(
        "meta".into(),
        meta("User", person.created_at, person.updated_at, &location),
    );
    Value::Object(object)
}

/// A SCIM User (a creation's or replacement's body, or a patched one) as a person.
pub fn user_from_json(value: &Value) -> Result<DirectoryUser, ScimError> {
    let Value::Object(object) = value else {
        return Err(ScimError::invalid_value("a User is a JSON object"));
    };
    let user_name = text_of(object, "userName")?
        .ok_or_else(|| ScimError::invalid_value("`userName` is required"))?;
    let name = object_of(object, "name")?;
    let given_name = name.map(|n| text_of(n, "givenName")).transpose()?.flatten();
    let family_name = name
        .map(|n| text_of(n, "familyName"))
        .transpose()?
        .flatten();
    // The primary email, else the first.
    let emails = list_of(object, "emails")?;
    let primary = emails
        .iter()
        .filter_map(Value::as_object)
        .find(|e| field(e, "primary").and_then(boolean) == Some(true))
        .or_else(|| emails.iter().filter_map(Value::as_object).next());
    let mut email = primary.map(|e| text_of(e, "value")).transpose()?.flatten();
    if email.is_none() && user_name.contains('@') {
        // A provider that sends no email usually names people by their address.
        email = Some(user_name.clone());
    }
    let department = object_of(object, ENTERPRISE)?
        .map(|e| text_of(e, "department"))
        .transpose()?
        .flatten();
    Ok(DirectoryUser {
        user_name,
        display_name: text_of(object, "displayName")?,
        given_name,
        family_name,
        email,
        title: text_of(object, "title")?,
        department,
        external_id: text_of(object, "externalId")?,
        active: flag_of(object, "active")?.unwrap_or(true),
    })
}

/// A function's attributes as a SCIM Group holds them (what PATCH operates on).
pub fn group_fields(group: &DirectoryGroup, base: &str) -> Map<String, Value> {
    let mut object = Map::new();
    put_text(&mut object, "externalId", &group.external_id);
    object.insert("displayName".into(), json!(group.display_name));
    let members: Vec<Value> = group
        .members
        .iter()
        .map(|id| {
            let id = scim_id("Person", *id);
            json!({ "value": id, "$ref": format!("{base}/Users/{id}") })
        })
        .collect();
    if !members.is_empty() {
        object.insert("members".into(), Value::Array(members));
    }
    let mut extension = Map::new();
    if let Some(parent) = group.parent_id {
        extension.insert(
            "parent".into(),
            json!(format!("{base}/Groups/{}", scim_id("Function", parent))),
        );
    }
    extension.insert("isCxTeam".into(), json!(group.is_cx_team));
    object.insert(FUNCTION.into(), Value::Object(extension));
    object
}

/// A function as a SCIM Group.
pub fn group_json(record: &GroupRecord, base: &str) -> Value {
    let function = &record.function;
    let mut object = Map::new();
    object.insert("schemas".into(), json!([GROUP, FUNCTION]));
    let id = scim_id("Function", function.id);
    object.insert("id".into(), json!(id));
    object.extend(group_fields(&record.group(), base));
    let location = format!("{base}/Groups/{id}");
    object.insert(
        "meta".into(),
        meta("Group", function.created_at, function.updated_at, &location),
    );
    Value::Object(object)
}

/// The SCIM id of row `row` of `kind` (`Person` for Users, `Function` for Groups): the
/// global id GraphQL gives it, which reveals nothing of how many rows there are.
pub fn scim_id(kind: &str, row: i64) -> String {
    crate::graphql::ids::global_of(kind, row).0
}

/// The row of `kind` an id or a location names (`…/Users/<id>` or `<id>`; the bare
/// numbers of earlier versions too).
pub fn id_in(kind: &str, reference: &str) -> Option<i64> {
    reference
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .and_then(|id| crate::graphql::ids::row_of(kind, id))
}

/// A SCIM Group as a function.
pub fn group_from_json(value: &Value) -> Result<DirectoryGroup, ScimError> {
    let Value::Object(object) = value else {
        return Err(ScimError::invalid_value("a Group is a JSON object"));
    };
    let display_name = text_of(object, "displayName")?
        .ok_or_else(|| ScimError::invalid_value("`displayName` is required"))?;
    let mut members = Vec::new();
    for member in list_of(object, "members")? {
        let Some(member) = member.as_object() else {
            return Err(ScimError::invalid_value(
                "a member is an object with a `value`",
            ));
        };
        let id = text_of(member, "value")?
            .or(text_of(member, "$ref")?)
            .and_then(|v| id_in("Person", &v))
            .ok_or_else(|| ScimError::invalid_value("a member's `value` is a User id"))?;
        members.push(id);
    }
    let extension = object_of(object, FUNCTION)?;
    let parent_id = match extension
        .map(|e| text_of(e, "parent"))
        .transpose()?
        .flatten()
    {
        Some(parent) => Some(
            id_in("Function", &parent)
                .ok_or_else(|| ScimError::invalid_value("`parent` is a Group's id or location"))?,
        ),
        None => None,
    };
    let is_cx_team = extension
        .map(|e| flag_of(e, "isCxTeam"))
        .transpose()?
        .flatten()
        .unwrap_or(false);
    Ok(DirectoryGroup {
        display_name,
        external_id: text_of(object, "externalId")?,
        members,
        parent_id,
        is_cx_team,
    })
}

/// Keeps or drops attributes as `attributes` / `excludedAttributes` ask (RFC 7644
/// §3.4.2.5): `schemas` and `id` are always returned; names are case-insensitive and
/// may be `name.givenName` or URN-prefixed.
pub fn project(resource: &mut Value, attributes: &[String], excluded: &[String]) {
    let Value::Object(object) = resource else {
        return;
    };
    let always = |key: &str| key == "schemas" || key == "id";
    // (top-level key, sub-attribute) pairs a list names.
    let named = |list: &[String], key: &str| -> Option<Vec<Option<String>>> {
        let picks: Vec<Option<String>> = list
            .iter()
            .filter_map(|path| {
                let (top, sub) = split_path(path);
                top.eq_ignore_ascii_case(key).then_some(sub)
            })
            .collect();
        (!picks.is_empty()).then_some(picks)
    };
    if !attributes.is_empty() {
        let keys: Vec<String> = object.keys().cloned().collect();
        for key in keys {
            if always(&key) {
                continue;
            }
            match named(attributes, &key) {
                None => {
                    object.remove(&key);
                }
                Some(subs) if subs.iter().all(Option::is_some) => {
                    if let Some(Value::Object(inner)) = object.get_mut(&key) {
                        inner.retain(|k, _| {
                            subs.iter().flatten().any(|s| s.eq_ignore_ascii_case(k))
                        });
                    }
                }
                Some(_) => {}
            }
        }
    }
    for path in excluded {
        let (top, sub) = split_path(path);
        if always(&top) {
            continue;
        }
        let key = object
            .keys()
            .find(|k| k.eq_ignore_ascii_case(&top))
            .cloned();
        if let Some(key) = key {
            match sub {
                None => {
                    object.remove(&key);
                }
                Some(sub) => {
                    if let Some(Value::Object(inner)) = object.get_mut(&key) {
                        inner.retain(|k, _| !k.eq_ignore_ascii_case(&sub));
                    }
                }
            }
        }
    }
}

/// `urn:…:User:department` → (`urn:…:User`, `department`); `name.givenName` →
/// (`name`, `givenName`); `userName` → (`userName`, none).
fn split_path(path: &str) -> (String, Option<String>) {
    let path = path.trim();
    for urn in [ENTERPRISE, FUNCTION, USER, GROUP] {
        if let Some(rest) = path.strip_prefix(urn).and_then(|r| r.strip_prefix(':')) {
            return if urn == USER || urn == GROUP {
                split_path(rest)
            } else {
                (urn.to_owned(), Some(rest.to_owned()))
            };
        }
    }
    match path.split_once('.') {
        Some((top, sub)) => (top.to_owned(), Some(sub.to_owned())),
        None => (path.to_owned(), None),
    }
}
