//! Functions as a directory holds them (SCIM Groups): a name, the directory's id,
//! the members, the parent function and whether it is a CX team.

use entity::{function, person};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::error::{
    check, no_such, Field, Place, ServiceResult, UserError, UserErrorCode, Write, WriteError,
};
use crate::fields::name_key;
use crate::model::function::{FunctionFields, Parents, Removal};
use crate::storage::db::begin_change;

/// A function as a directory holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryGroup {
    /// Unique in the organization, compared case-insensitively.
    pub display_name: String,
    pub external_id: Option<String>,
    /// Its members (person ids), in the order given.
    pub members: Vec<i64>,
    /// The function it belongs to.
    pub parent_id: Option<i64>,
    pub is_cx_team: bool,
}

/// A function with its members.
#[derive(Clone, Debug)]
pub struct GroupRecord {
    pub function: function::Model,
    /// Person ids, oldest membership first (people a directory deleted left out).
    pub members: Vec<i64>,
}

impl GroupRecord {
    /// The function as a directory sees it.
    pub fn group(&self) -> DirectoryGroup {
        DirectoryGroup {
            display_name: self.function.name.clone(),
            external_id: self.function.external_id.clone(),
            members: self.members.clone(),
            parent_id: self.function.parent_id,
            is_cx_team: self.function.is_cx_team,
        }
    }
}

/// Which functions a directory asks for; every condition given must hold (the name
/// compared case-insensitively).
#[derive(Clone, Debug, Default)]
pub struct GroupQuery {
    pub display_name: Option<String>,
    pub external_id: Option<String>,
}

fn live(organization_id: i64) -> sea_orm::Select<function::Entity> {
    function::Entity::find()
        .filter(function::Column::OrganizationId.eq(organization_id))
        .filter(function::Column::DeletedAt.is_null())
}

async fn record(
    db: &impl ConnectionTrait,
    function: function::Model,
) -> ServiceResult<GroupRecord> {
    let members = super::members_of(db, function.id).await?;
    Ok(GroupRecord { function, members })
}

/// The function `id` unless a directory deleted it.
pub async fn get(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
) -> ServiceResult<Option<GroupRecord>> {
    match live(organization_id)
        .filter(function::Column::Id.eq(id))
        .one(db)
        .await?
    {
        Some(function) => Ok(Some(record(db, function).await?)),
        None => Ok(None),
    }
}

/// A page of the functions a query matches (`offset` from 0), by creation, and how
/// many match in all; members are read only `with_members`.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
    query: &GroupQuery,
    offset: u64,
    count: u64,
    with_members: bool,
) -> ServiceResult<(u64, Vec<GroupRecord>)> {
    let mut select = live(organization_id);
    if let Some(name) = &query.display_name {
        select = select.filter(function::Column::NameKey.eq(name_key(name)));
    }
    if let Some(external_id) = &query.external_id {
        select = select.filter(function::Column::ExternalId.eq(external_id.as_str()));
    }
    let total = select.clone().count(db).await?;
    let functions = select
        .order_by_asc(function::Column::Id)
        .offset(offset)
        .limit(count)
        .all(db)
        .await?;
    let mut records = Vec::with_capacity(functions.len());
    for function in functions {
        records.push(if with_members {
            record(db, function).await?
        } else {
            GroupRecord {
                function,
                members: Vec::new(),
            }
        });
    }
    Ok((total, records))
}

/// Creates a function (or brings a deleted one of the same name or external id back).
pub async fn create(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    group: DirectoryGroup,
) -> Write<GroupRecord> {
    let txn = begin_change(db, organization_id).await?;
    let mut any =
        sea_orm::Condition::any().add(function::Column::NameKey.eq(name_key(&group.display_name)));
    if let Some(external_id) = &group.external_id {
        any = any.add(function::Column::ExternalId.eq(external_id.as_str()));
    }
    let deleted = function::Entity::find()
        .filter(function::Column::OrganizationId.eq(organization_id))
        .filter(function::Column::DeletedAt.is_not_null())
        .filter(any)
        .one(&txn)
        .await?;
    let saved = save(&txn, organization_id, deleted, group).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Changes the function `id` by `f`, which sees it as it is, in one transaction.
/// `f` fails with the door's own error.
pub async fn change<E: From<WriteError>>(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    f: impl FnOnce(DirectoryGroup) -> Result<DirectoryGroup, E>,
) -> Result<GroupRecord, E> {
    let txn = begin_change(db, organization_id)
        .await
        .map_err(WriteError::from)?;
    let current = get(&txn, organization_id, id)
        .await
        .map_err(WriteError::from)?
        .ok_or_else(|| no_such("group"))?;
    let group = f(current.group())?;
    let saved = save(&txn, organization_id, Some(current.function), group).await?;
    txn.commit().await.map_err(WriteError::from)?;
    Ok(saved)
}

/// Deletes the function `id` from the directory: archived, kept in history and
/// reports; its members leave it (each recorded), so no one keeps it as their
/// function.
pub async fn delete(db: &crate::storage::db::Tenant, organization_id: i64, id: i64) -> Write<()> {
    crate::storage::db::atomically(db, organization_id, async |txn| {
        let current = live(organization_id)
            .filter(function::Column::Id.eq(id))
            .one(txn)
            .await?
            .ok_or_else(|| no_such("group"))?;
        crate::model::function::remove(txn, organization_id, current, Removal::Delete).await?;
        Ok(())
    })
    .await
}

/// Checks `group` and writes it over `existing` (a new row when `None`) through the
/// functions' one write, members included; the function is then SCIM's.
async fn save(
    txn: &DatabaseTransaction,
    organization_id: i64,
    existing: Option<function::Model>,
    group: DirectoryGroup,
) -> Write<GroupRecord> {
    let mut seen = std::collections::HashSet::new();
    let members: Vec<i64> = group
        .members
        .iter()
        .copied()
        .filter(|m| seen.insert(*m))
        .collect();
    let known: Vec<i64> = person::Entity::find()
        .filter(person::Column::OrganizationId.eq(organization_id))
        .filter(person::Column::DeletedAt.is_null())
        .filter(person::Column::Id.is_in(members.clone()))
        .select_only()
        .column(person::Column::Id)
        .into_tuple()
        .all(txn)
        .await?;
    let unknown: Vec<UserError> = members
        .iter()
        .filter(|m| !known.contains(m))
        .map(|member| {
            UserError::new(
                UserErrorCode::NotFound,
                Field::of("members"),
                format!("no user `{member}`"),
            )
        })
        .collect();
    check(unknown)?;
    // A group provisioned again brings a deleted function back; otherwise a directory
    // leaves its archiving alone.
    let archived = existing
        .as_ref()
        .is_some_and(|f| f.archived && f.deleted_at.is_none());
    let fields = FunctionFields {
        name: group.display_name,
        is_cx_team: group.is_cx_team,
        parent_id: group.parent_id,
        external_id: group.external_id,
        archived,
    };
    let mut parents = Parents::load(txn, organization_id).await?;
    let saved = crate::model::function::save(
        txn,
        organization_id,
        existing,
        fields,
        Some(Some(super::SCIM)),
        Place::input(),
        &mut parents,
    )
    .await?;
    super::set_members(txn, organization_id, saved.row.id, &members).await?;
    record(txn, saved.row).await.map_err(Into::into)
}
