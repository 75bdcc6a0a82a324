//! Opaque ids and cursors: one codec for global ids (`node(id:)`, SCIM ids), list
//! cursors and handoff cursors. Each part of an id is one AES-128 block of its kind's
//! tag, its number and a check, under a key the database keeps (one per database, so
//! every replica hands out the same ids): an id reveals nothing, not even how many
//! rows there are, and a made-up or altered one names no row. Ids of the earlier
//! format (base64url of `kind:n`) are still read. The service layer sees row ids
//! only; this is where the API turns one into the other.

use std::sync::OnceLock;

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes128;
use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use service::storage::scoped::OrgScoped;

/// A row id no row has (rows are numbered from 1): what an id of the wrong type or a
/// malformed id stands for, so that the service reports it as not found.
pub const NO_ROW: i64 = 0;

/// The kinds `node(id:)` resolves, and so the ones an id's kind is looked up among.
const NODE_KINDS: &[&str] = &[
    "Function",
    "Person",
    "Journey",
    "Stage",
    "Touchpoint",
    "Responsibility",
    "Interaction",
    "Handoff",
    "Membership",
    "ApiKey",
    "Webhook",
    "AuditEvent",
];

static CIPHER: OnceLock<Aes128> = OnceLock::new();

/// Sets the key ids are made with (the database's, read when the server starts). The
/// first key set in a process stays.
pub fn init(key: [u8; 16]) {
    let _ = CIPHER.set(Aes128::new(&key.into()));
}

fn cipher() -> &'static Aes128 {
    CIPHER.get_or_init(|| {
        // Only a process that never started a server (a unit test) gets here.
        let key: [u8; 16] = rand::random();
        Aes128::new(&key.into())
    })
}

/// The tag of part `index` of an id of `kind`.
fn tag(kind: &str, index: usize) -> [u8; 4] {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(kind.as_bytes());
    [digest[0], digest[1], digest[2], digest[3] ^ index as u8]
}

/// The opaque text of `kind` with `parts`.
fn encode(kind: &str, parts: &[i64]) -> String {
    let mut bytes = Vec::with_capacity(16 * parts.len());
    for (index, part) in parts.iter().enumerate() {
        let mut block = [0u8; 16];
        block[..4].copy_from_slice(&tag(kind, index));
        block[4..12].copy_from_slice(&part.to_be_bytes());
        let mut block = block.into();
        cipher().encrypt_block(&mut block);
        bytes.extend_from_slice(&block);
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The blocks of an opaque text, decrypted: (tag, number) each, when every check holds.
fn blocks(text: &str) -> Option<Vec<([u8; 4], i64)>> {
    let bytes = URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()?;
    if bytes.is_empty() || bytes.len() % 16 != 0 {
        return None;
    }
    bytes
        .chunks(16)
        .map(|chunk| {
            let bytes: [u8; 16] = chunk.try_into().ok()?;
            let mut block = aes::Block::from(bytes);
            cipher().decrypt_block(&mut block);
            if block[12..] != [0, 0, 0, 0] {
                return None;
            }
            let tag: [u8; 4] = block[..4].try_into().ok()?;
            let number = i64::from_be_bytes(block[4..12].try_into().ok()?);
            Some((tag, number))
        })
        .collect()
}

/// The kind and parts of an id in the earlier format (base64url of `kind:n[:n…]`).
fn legacy(text: &str) -> Option<(String, Vec<i64>)> {
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
    if let Some(blocks) = blocks(text) {
        let ours = blocks.len() == count
            && blocks
                .iter()
                .enumerate()
                .all(|(index, (t, _))| *t == tag(kind, index));
        if ours {
            return Some(blocks.into_iter().map(|(_, n)| n).collect());
        }
    }
    legacy(text)
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

/// The type name and row id a global id names (of the kinds `node(id:)` resolves).
pub fn node(id: &str) -> Option<(String, i64)> {
    NODE_KINDS.iter().find_map(|kind| {
        decode(kind, 1, id)
            .filter(|parts| parts[0] > 0)
            .map(|parts| ((*kind).to_owned(), parts[0]))
    })
}

/// The row id a global id of the type named `kind` names; SCIM ids are these too, and
/// a bare number (the SCIM ids of earlier versions) is read as the row id.
pub fn row_of(kind: &str, id: &str) -> Option<i64> {
    if let Ok(number) = id.parse::<i64>() {
        return (number > 0).then_some(number);
    }
    decode(kind, 1, id)
        .map(|parts| parts[0])
        .filter(|row| *row > 0)
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
    fn ids_reveal_nothing_and_ids_of_the_earlier_format_still_resolve() {
        let one = global_of("Function", 1).0;
        let two = global_of("Function", 2).0;
        assert_eq!(one.len(), 22);
        assert!(!URL_SAFE_NO_PAD
            .decode(&one)
            .unwrap()
            .windows(8)
            .any(|w| w == 1i64.to_be_bytes()));
        // Neighbouring rows share no visible prefix.
        assert_ne!(one[..4], two[..4]);
        // An altered id names nothing.
        let mut altered = URL_SAFE_NO_PAD.decode(&one).unwrap();
        altered[5] ^= 1;
        assert_eq!(node(&URL_SAFE_NO_PAD.encode(altered)), None);
        // Ids handed out before are still read.
        let old = ID(URL_SAFE_NO_PAD.encode("Function:1"));
        assert_eq!(row::<entity::function::Entity>(&old), 1);
        assert_eq!(node(&old), Some(("Function".into(), 1)));
        assert_eq!(
            decode_handoff_cursor(&URL_SAFE_NO_PAD.encode("HandoffCursor:10:3")),
            Some((10, 3))
        );
        assert_eq!(row_of("Person", "17"), Some(17));
        assert_eq!(row_of("Person", &global_of("Person", 17).0), Some(17));
        assert_eq!(row_of("Person", &global_of("Function", 17).0), None);
    }
}
