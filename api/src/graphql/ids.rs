//! Opaque ids and cursors: one codec for global ids (`node(id:)`), list cursors and
//! handoff cursors. Each is base64url, without padding, of `kind:n[:n…]`. The service
//! layer sees row ids only; this is where the API turns one into the other.

use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use service::scoped::OrgScoped;

/// A row id no row has (rows are numbered from 1): what an id of the wrong type or a
/// malformed id stands for, so that the service reports it as not found.
pub const NO_ROW: i64 = 0;

/// The opaque text of `kind` with `parts`.
fn encode(kind: &str, parts: &[i64]) -> String {
    let mut text = kind.to_owned();
    for part in parts {
        text.push(':');
        text.push_str(&part.to_string());
    }
    URL_SAFE_NO_PAD.encode(text)
}

/// The kind and the parts of an opaque text, if it is one.
fn decode_any(text: &str) -> Option<(String, Vec<i64>)> {
    let bytes = URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split(':');
    let kind = parts.next()?.to_owned();
    let numbers = parts
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<i64>>>()?;
    (!numbers.is_empty()).then_some((kind, numbers))
}

/// The parts of an opaque text of `kind` with exactly `count` parts.
fn decode(kind: &str, count: usize, text: &str) -> Option<Vec<i64>> {
    decode_any(text)
        .filter(|(k, parts)| k == kind && parts.len() == count)
        .map(|(_, parts)| parts)
}

/// The global id of row `id` of the type named `kind`.
pub fn global_of(kind: &str, id: i64) -> ID {
    ID(encode(kind, &[id]))
}

/// The global id of row `id` of entity `E`.
pub fn global<E: OrgScoped>(id: i64) -> ID {
    global_of(E::TYPE, id)
}

/// The type name and row id a global id names.
pub fn node(id: &str) -> Option<(String, i64)> {
    match decode_any(id)? {
        (kind, parts) if parts.len() == 1 && parts[0] > 0 => Some((kind, parts[0])),
        _ => None,
    }
}

/// The row id of a global id of entity `E`; [`NO_ROW`] when it is not one.
pub fn row<E: OrgScoped>(id: &ID) -> i64 {
    node(id)
        .filter(|(kind, _)| kind == E::TYPE)
        .map_or(NO_ROW, |(_, row)| row)
}

/// The kind of the cursors of the list of `E`: a cursor of one list is refused by
/// every other.
fn cursor_kind<E: OrgScoped>() -> String {
    format!("{}Cursor", E::TYPE)
}

/// The cursor after row `id` of the list of `E` (ordered by id).
pub fn cursor<E: OrgScoped>(id: i64) -> String {
    encode(&cursor_kind::<E>(), &[id])
}

/// The row id a cursor of the list of `E` points after.
pub fn decode_cursor<E: OrgScoped>(cursor: &str) -> Option<i64> {
    decode(&cursor_kind::<E>(), 1, cursor).map(|parts| parts[0])
}

/// The lists paged by a step's position `(at, interaction id)`; each accepts only its
/// own cursors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepList {
    Handoffs,
    PromiseBreaches,
    TouchpointInteractions,
}

impl StepList {
    fn kind(self) -> &'static str {
        match self {
            StepList::Handoffs => "HandoffCursor",
            StepList::PromiseBreaches => "PromiseBreachCursor",
            StepList::TouchpointInteractions => "TouchpointInteractionCursor",
        }
    }
}

/// The cursor of `list` after the item at `(at, interaction id)`.
pub fn step_cursor(list: StepList, (at, id): (i64, i64)) -> String {
    encode(list.kind(), &[at, id])
}

/// The `(at, interaction id)` a cursor of `list` points after.
pub fn decode_step_cursor(list: StepList, cursor: &str) -> Option<(i64, i64)> {
    decode(list.kind(), 2, cursor).map(|parts| (parts[0], parts[1]))
}

/// The cursor after the handoff at `(at, interaction id)`.
pub fn handoff_cursor(position: (i64, i64)) -> String {
    step_cursor(StepList::Handoffs, position)
}

/// The `(at, interaction id)` a handoff cursor points after.
pub fn decode_handoff_cursor(cursor: &str) -> Option<(i64, i64)> {
    decode_step_cursor(StepList::Handoffs, cursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_kinds() {
        let id = global::<entity::function::Entity>(42);
        assert_eq!(row::<entity::function::Entity>(&id), 42);
        assert_eq!(row::<entity::person::Entity>(&id), NO_ROW);
        assert_eq!(
            row::<entity::function::Entity>(&ID("not base64!".into())),
            NO_ROW
        );
        assert_eq!(node(&id), Some(("Function".into(), 42)));
        let functions = cursor::<entity::function::Entity>(7);
        assert_eq!(
            decode_cursor::<entity::function::Entity>(&functions),
            Some(7)
        );
        // A cursor of one list is refused by every other.
        assert_eq!(decode_cursor::<entity::person::Entity>(&functions), None);
        assert_eq!(decode_handoff_cursor(&functions), None);
        assert_eq!(
            decode_cursor::<entity::function::Entity>(&handoff_cursor((5, 7))),
            None
        );
        // A global id is not a cursor.
        assert_eq!(decode_cursor::<entity::function::Entity>(&id), None);
        assert_eq!(
            decode_handoff_cursor(&handoff_cursor((-5, 7))),
            Some((-5, 7))
        );
        // Lists paged by a step's position take only their own cursors.
        let breach = step_cursor(StepList::PromiseBreaches, (5, 7));
        assert_eq!(decode_handoff_cursor(&breach), None);
        assert_eq!(
            decode_step_cursor(StepList::TouchpointInteractions, &breach),
            None
        );
        assert_eq!(
            decode_step_cursor(StepList::PromiseBreaches, &breach),
            Some((5, 7))
        );
    }

    #[test]
    fn the_wire_format_is_unchanged() {
        // Ids handed out before stay valid (cursors are short-lived and changed kind
        // with the 2026-11 schema; see CHANGELOG.md).
        assert_eq!(
            global_of("Function", 1).0,
            URL_SAFE_NO_PAD.encode("Function:1")
        );
        assert_eq!(
            cursor::<entity::person::Entity>(3),
            URL_SAFE_NO_PAD.encode("PersonCursor:3")
        );
        assert_eq!(
            handoff_cursor((10, 3)),
            URL_SAFE_NO_PAD.encode("HandoffCursor:10:3")
        );
    }
}
