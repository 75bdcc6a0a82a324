//! Opaque global ids (`node(id:)`) and list cursors.

use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::service::scoped::OrgScoped;

/// The global id of row `id` of type `kind`.
pub fn encode(kind: &str, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{kind}:{id}")))
}

/// The type name and row id of a global id, if it is one.
pub fn decode_any(id: &str) -> Option<(String, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.as_bytes()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, number) = text.split_once(':')?;
    let number: i64 = number.parse().ok()?;
    (number > 0).then(|| (kind.to_owned(), number))
}

/// The row id of a global id of type `kind`.
pub fn decode_kind(kind: &str, id: &str) -> Option<i64> {
    decode_any(id).filter(|(k, _)| k == kind).map(|(_, n)| n)
}

/// The row id of a global id of entity `E`.
pub fn decode<E: OrgScoped>(id: &ID) -> Option<i64> {
    decode_kind(E::TYPE, id)
}

/// The cursor after row `id`.
pub fn cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{id}"))
}

/// The row id a cursor points after.
pub fn decode_cursor(cursor: &str) -> Option<i64> {
    decode_kind("after", cursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_kinds() {
        let id = encode("Function", 42);
        assert_eq!(decode_kind("Function", &id), Some(42));
        assert_eq!(decode_kind("Person", &id), None);
        assert_eq!(decode_kind("Function", "not base64!"), None);
        assert_eq!(decode_cursor(&cursor(7)), Some(7));
    }
}
