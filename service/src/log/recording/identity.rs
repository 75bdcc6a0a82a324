//! Identity without external ids (docs/rules.md §1, "Identity"). An interaction sent
//! with an externalId is recognised by it; one sent without gets a key derived from
//! its content (case, instant, function, touchpoint, person, note, whether the customer
//! must act), used only to recognise it when it is sent again: the same row imported
//! twice is recorded once, through every door. Two rows with the same content are the
//! same interaction.

use std::collections::{HashMap, HashSet};

use entity::{customer_case, interaction};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::error::ServiceResult;

/// What every content key begins with; the digit is the version of its recipe.
pub const PREFIX: &str = "ck1:";

/// The layout of content keys this service writes (`organization.content_keys_version`).
pub(crate) const VERSION: i32 = 1;

/// The content that identifies an interaction without an externalId.
pub(crate) struct Content<'a> {
    pub case_ref: &'a str,
    pub at: i64,
    pub function_id: i64,
    pub touchpoint_id: Option<i64>,
    pub person_id: Option<i64>,
    pub note: Option<&'a str>,
    pub customer_action_required: bool,
}

impl Content<'_> {
    /// The 128 bits of the content's SHA-256 the key shows.
    fn digest(&self) -> u128 {
        let mut hash = Sha256::new();
        // Each field with its length first, so that no two contents read alike.
        let mut field = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_be_bytes());
            hash.update(bytes);
        };
        field(self.case_ref.as_bytes());
        field(&self.at.to_be_bytes());
        field(&self.function_id.to_be_bytes());
        field(
            &self
                .touchpoint_id
                .map_or(Vec::new(), |t| t.to_be_bytes().to_vec()),
        );
        field(
            &self
                .person_id
                .map_or(Vec::new(), |p| p.to_be_bytes().to_vec()),
        );
        match self.note {
            Some(note) => {
                field(b"1");
                field(note.as_bytes());
            }
            None => field(b"0"),
        }
        field(&[u8::from(self.customer_action_required)]);
        let digest = hash.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        u128::from_be_bytes(first)
    }

    /// The content's key: [`PREFIX`] and 32 hexadecimal digits.
    pub fn key(&self) -> String {
        format!("{PREFIX}{:032x}", self.digest())
    }
}

/// The keys among `keys` the organization has recorded already.
pub(crate) async fn recorded(
    txn: &DatabaseTransaction,
    organization_id: i64,
    keys: Vec<String>,
) -> ServiceResult<HashSet<String>> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let query = Query::select()
        .column(interaction::Column::ContentKey)
        .from(interaction::Entity)
        .and_where(Expr::col(interaction::Column::OrganizationId).eq(organization_id))
        .and_where(crate::storage::bulk::one_of(
            txn.get_database_backend(),
            interaction::Column::ContentKey,
            keys,
        ))
        .to_owned();
    let rows = txn.query_all(&query).await?;
    let mut found = HashSet::with_capacity(rows.len());
    for row in rows {
        if let Some(key) = row.try_get_by_index::<Option<String>>(0)? {
            found.insert(key);
        }
    }
    Ok(found)
}

/// Keys one organization's unkeyed interactions, a page at a time; returns how many.
pub(crate) async fn key_organization(
    txn: &DatabaseTransaction,
    organization_id: i64,
) -> ServiceResult<u64> {
    const PAGE: u64 = 5_000;
    let mut seen: HashSet<u128> = HashSet::new();
    let mut copies: HashMap<u128, u32> = HashMap::new();
    let (mut after, mut keyed) = (0i64, 0u64);
    loop {
        type Row = (
            i64,
            i64,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
            bool,
        );
        let rows: Vec<Row> = interaction::Entity::find()
            .filter(interaction::Column::OrganizationId.eq(organization_id))
            .filter(interaction::Column::ExternalId.is_null())
            .filter(interaction::Column::ContentKey.is_null())
            .filter(interaction::Column::Id.gt(after))
            .select_only()
            .columns([
                interaction::Column::Id,
                interaction::Column::CaseId,
                interaction::Column::OccurredAt,
                interaction::Column::FunctionId,
                interaction::Column::TouchpointId,
                interaction::Column::PersonId,
                interaction::Column::Note,
                interaction::Column::CustomerActionRequired,
            ])
            .order_by_asc(interaction::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(txn)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(keyed);
        };
        after = last.0;
        let case_ids: Vec<i64> = rows
            .iter()
            .map(|r| r.1)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let case_refs: HashMap<i64, String> = customer_case::Entity::find()
            .filter(customer_case::Column::Id.is_in(case_ids))
            .select_only()
            .columns([customer_case::Column::Id, customer_case::Column::CaseRef])
            .into_tuple()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        for (id, case_id, at, function_id, touchpoint_id, person_id, note, action) in &rows {
            let case_ref = case_refs.get(case_id).map_or("", String::as_str);
            let content = Content {
                case_ref,
                at: *at,
                function_id: *function_id,
                touchpoint_id: *touchpoint_id,
                person_id: *person_id,
                note: note.as_deref(),
                customer_action_required: *action,
            };
            let digest = content.digest();
            let key = if seen.insert(digest) {
                content.key()
            } else {
                let copy = copies.entry(digest).or_default();
                *copy += 1;
                format!("{}:dup{copy}", content.key())
            };
            interaction::Entity::update_many()
                .col_expr(interaction::Column::ContentKey, Expr::value(key))
                .filter(interaction::Column::Id.eq(*id))
                .exec(txn)
                .await?;
            keyed += 1;
        }
    }
}

/// The identities (external ids and content keys) an import has written, kept while the
/// organization held no interaction before the import began: then whatever is not
/// among them is not recorded, and needs no look-up. The organization is locked for
/// the import, so nothing else writes meanwhile. Each identity is kept as 32 bits of
/// its hash (a million of them take some 10 MiB), so a few look-ups happen for nothing
/// (a collision: about one in four thousand at a million), never one too few; past
/// [`ImportedIdentities::MAX`] identities every identity is looked up again.
#[derive(Debug)]
pub(crate) struct ImportedIdentities {
    hashes: HashSet<u32>,
    hasher: std::collections::hash_map::RandomState,
    complete: bool,
}

impl ImportedIdentities {
    /// Identities kept at most (some 20 MiB of hash table).
    pub const MAX: usize = if cfg!(debug_assertions) {
        200
    } else {
        1_500_000
    };

    /// Starts keeping identities when the organization has no interaction yet;
    /// otherwise every identity is looked up.
    pub async fn start(
        txn: &DatabaseTransaction,
        organization_id: i64,
    ) -> ServiceResult<ImportedIdentities> {
        let any: Option<i64> = interaction::Entity::find()
            .filter(interaction::Column::OrganizationId.eq(organization_id))
            .select_only()
            .column(interaction::Column::Id)
            .limit(1)
            .into_tuple()
            .one(txn)
            .await?;
        Ok(ImportedIdentities {
            complete: any.is_none(),
            ..ImportedIdentities::none()
        })
    }

    /// Keeps nothing: every identity is looked up.
    pub fn none() -> ImportedIdentities {
        ImportedIdentities {
            hashes: HashSet::new(),
            hasher: Default::default(),
            complete: false,
        }
    }

    fn hash(&self, identity: &str) -> u32 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(identity) as u32
    }

    /// Whether `identity` may be recorded already (and must be looked up).
    pub fn may_be_recorded(&self, identity: &str) -> bool {
        !self.complete || self.hashes.contains(&self.hash(identity))
    }

    /// Keeps `identity`, just written.
    pub fn add(&mut self, identity: &str) {
        if !self.complete {
            return;
        }
        if self.hashes.len() >= Self::MAX {
            self.complete = false;
            self.hashes = HashSet::new();
            return;
        }
        let hash = self.hash(identity);
        self.hashes.insert(hash);
    }
}

#[cfg(test)]
mod tests {
    use super::ImportedIdentities;

    #[test]
    fn what_was_written_may_be_recorded_the_rest_not_until_the_bound() {
        let mut written = ImportedIdentities {
            complete: true,
            ..ImportedIdentities::none()
        };
        assert!(!written.may_be_recorded("a"));
        written.add("a");
        assert!(written.may_be_recorded("a"));
        assert!(!written.may_be_recorded("b"));
        for i in 1..ImportedIdentities::MAX {
            written.add(&format!("k{i}"));
        }
        assert!(!written.may_be_recorded("b"));
        written.add("one too many");
        assert!(
            written.may_be_recorded("b"),
            "past the bound, all are looked up"
        );
        assert!(ImportedIdentities::none().may_be_recorded("a"));
    }
}
