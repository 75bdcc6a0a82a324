//! Statements whose text does not grow with the batch: a list of values is bound as
//! one parameter, so a chunk of thousands is one statement, parsed and planned once,
//! instead of an `IN` list or a `VALUES` row per item with a parameter per value.

use sea_orm::sea_query::{ColumnType, Expr, IntoColumnRef, ValueType};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityName, EntityTrait, IdenStatic,
    Iterable, Statement, Value,
};

/// `column` is one of `values`, however many: `column = ANY($1)` with an array on
/// PostgreSQL, `column IN (SELECT value FROM json_each(?))` on SQLite. Both use the
/// column's index for each value.
pub fn one_of<V>(backend: DbBackend, column: impl IntoColumnRef, values: Vec<V>) -> Expr
where
    V: Into<serde_json::Value> + ValueType + Into<Value> + Clone,
    Vec<V>: Into<Value>,
{
    let column = Expr::col(column);
    match backend {
        DbBackend::Postgres => Expr::cust_with_exprs("$1 = ANY($2)", [column, Expr::val(values)]),
        _ => {
            let list: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
            let list = serde_json::Value::Array(list).to_string();
            Expr::cust_with_exprs(
                "? IN (SELECT value FROM json_each(?))",
                [column, Expr::val(list)],
            )
        }
    }
}

/// An `INSERT` of all `rows` of entity `E` as one statement with one parameter, for
/// PostgreSQL: the rows travel as a JSON array that `jsonb_to_recordset` unpacks. The
/// columns are those set in the first row (every row must set the same columns); `tail` (`ON CONFLICT …`, `RETURNING …`) is
/// appended as given.
pub fn postgres_insert<A>(rows: &[A], tail: &str) -> Result<Statement, DbErr>
where
    A: ActiveModelTrait,
{
    let Some(first) = rows.first() else {
        return Err(DbErr::Custom("nothing to insert".into()));
    };
    let columns: Vec<<A::Entity as EntityTrait>::Column> =
        <<A::Entity as EntityTrait>::Column as Iterable>::iter()
            .filter(|c| first.get(*c).is_set() || first.get(*c).is_unchanged())
            .collect();
    let mut typed = Vec::with_capacity(columns.len());
    for column in &columns {
        let name = column.as_str();
        let def = sea_orm::ColumnTrait::def(column);
        let sql_type = match def.get_column_type() {
            ColumnType::BigInteger => "bigint",
            ColumnType::Integer => "integer",
            ColumnType::SmallInteger => "smallint",
            ColumnType::Boolean => "boolean",
            ColumnType::Text | ColumnType::String(_) | ColumnType::Char(_) => "text",
            other => {
                return Err(DbErr::Custom(format!(
                    "column {name}: type {other:?} is not handled by a bulk insert"
                )))
            }
        };
        typed.push(format!("\"{name}\" {sql_type}"));
    }
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let mut record = serde_json::Map::with_capacity(columns.len());
        for column in &columns {
            let value = row.get(*column).into_value().unwrap_or(Value::Bool(None));
            record.insert(
                column.as_str().to_owned(),
                sea_orm::sea_query::value::sea_value_to_json_value(&value),
            );
        }
        records.push(serde_json::Value::Object(record));
    }
    let names: Vec<String> = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect();
    let table = A::Entity::default().table_name().to_owned();
    let mut sql = format!(
        "INSERT INTO \"{table}\" ({names}) SELECT {names} FROM jsonb_to_recordset($1::jsonb) AS r({typed})",
        names = names.join(", "),
        typed = typed.join(", "),
    );
    if !tail.is_empty() {
        sql.push(' ');
        sql.push_str(tail);
    }
    Ok(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [Value::Json(Some(Box::new(serde_json::Value::Array(
            records,
        ))))],
    ))
}

/// Rows per PostgreSQL statement: a batch is one statement, while a whole import's
/// rollup changes (a million rows) still go in pieces of bounded memory.
pub const POSTGRES_ROWS: usize = 10_000;

/// Bound parameters per statement on SQLite, well below its limit (32,766).
const SQLITE_PARAMETERS: usize = 16_000;

/// Inserts `rows` (all setting the same columns): on PostgreSQL in one statement, on
/// SQLite in multi-row inserts of as many rows as keep the parameters in bounds.
pub async fn insert_all<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait,
{
    if rows.is_empty() {
        return Ok(());
    }
    if db.get_database_backend() == DbBackend::Postgres {
        for chunk in rows.chunks(POSTGRES_ROWS) {
            db.execute_raw(postgres_insert(chunk, "")?).await?;
        }
        return Ok(());
    }
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter().count();
    let per_statement = (SQLITE_PARAMETERS / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
