//! Statements whose text does not grow with the batch: a list of values is bound as
//! one parameter, so a chunk of thousands is one statement, parsed and planned once,
//! instead of an `IN` list or a `VALUES` row per item with a parameter per value.

use sea_orm::sea_query::{ColumnType, Expr, IntoColumnRef, ValueType};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityName, EntityTrait, IdenStatic,
    Iterable, QueryTrait, Statement, Value,
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

/// Rows per PostgreSQL statement: a batch is one statement, while a whole import's
/// rollup changes (a million rows) still go in pieces of bounded memory.
pub const POSTGRES_ROWS: usize = 10_000;

/// Bound parameters per statement on SQLite, well below its limit (32,766).
const SQLITE_PARAMETERS: usize = 4_000;

/// The rows of each SQLite insert statement for `rows` rows of `columns` columns: as
/// many full statements as fit, then the rest in powers of two, largest first. The
/// connection caches each prepared statement by its text, so a table is inserted with
/// a dozen statement shapes at most, each prepared once, instead of a new one (and a
/// new cache entry of a megabyte or more) for every odd-sized remainder.
pub fn sqlite_statement_sizes(rows: usize, columns: usize) -> Vec<usize> {
    let full = (SQLITE_PARAMETERS / columns.max(1)).max(1);
    let full = if full.is_power_of_two() {
        full
    } else {
        full.next_power_of_two() / 2
    };
    let mut sizes = vec![full; rows / full];
    let mut rest = rows % full;
    while rest > 0 {
        let size = 1 << rest.ilog2();
        sizes.push(size);
        rest -= size;
    }
    sizes
}

/// The statements that insert `rows` (all setting the same columns: those set in the
/// first row), each with `tail` appended (`ON CONFLICT …`, `RETURNING …`: what both
/// databases read alike). On PostgreSQL, one statement per [`POSTGRES_ROWS`] rows
/// with one parameter: the rows travel as a JSON array that `jsonb_to_recordset`
/// unpacks. On SQLite, multi-row inserts of as many rows as keep the bound
/// parameters in bounds.
pub fn insert_statements<A>(
    backend: DbBackend,
    rows: Vec<A>,
    tail: &str,
) -> Result<Vec<Statement>, DbErr>
where
    A: ActiveModelTrait,
{
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let columns: Vec<<A::Entity as EntityTrait>::Column> =
        <<A::Entity as EntityTrait>::Column as Iterable>::iter()
            .filter(|c| first.get(*c).is_set() || first.get(*c).is_unchanged())
            .collect();
    let with_tail = |mut statement: Statement| {
        if !tail.is_empty() {
            statement.sql.push(' ');
            statement.sql.push_str(tail);
        }
        statement
    };
    if backend != DbBackend::Postgres {
        let mut statements = Vec::new();
        let mut rows = rows.into_iter();
        for size in sqlite_statement_sizes(rows.len(), columns.len()) {
            let chunk: Vec<A> = rows.by_ref().take(size).collect();
            let insert = A::Entity::insert_many(chunk).into_query();
            statements.push(with_tail(backend.build(&insert)));
        }
        return Ok(statements);
    }
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
    let names: Vec<String> = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect();
    let table = A::Entity::default().table_name().to_owned();
    let sql = format!(
        "INSERT INTO \"{table}\" ({names}) SELECT {names} FROM jsonb_to_recordset($1::jsonb) AS r({typed})",
        names = names.join(", "),
        typed = typed.join(", "),
    );
    let mut statements = Vec::with_capacity(rows.len() / POSTGRES_ROWS + 1);
    for chunk in rows.chunks(POSTGRES_ROWS) {
        let records: Vec<serde_json::Value> = chunk
            .iter()
            .map(|row| {
                let record: serde_json::Map<String, serde_json::Value> = columns
                    .iter()
                    .map(|column| {
                        let value = row.get(*column).into_value().unwrap_or(Value::Bool(None));
                        (
                            column.as_str().to_owned(),
                            sea_orm::sea_query::value::sea_value_to_json_value(&value),
                        )
                    })
                    .collect();
                serde_json::Value::Object(record)
            })
            .collect();
        statements.push(with_tail(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql.clone(),
            [Value::Json(Some(Box::new(serde_json::Value::Array(
                records,
            ))))],
        )));
    }
    Ok(statements)
}

/// Inserts `rows` (all setting the same columns) with [`insert_statements`].
pub async fn insert_all<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait,
{
    for statement in insert_statements(db.get_database_backend(), rows, "")? {
        db.execute_raw(statement).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sqlite_statement_sizes;

    #[test]
    fn sqlite_statements_come_in_few_shapes_and_cover_every_row() {
        let mut shapes = std::collections::HashSet::new();
        for rows in 0..5_000 {
            let sizes = sqlite_statement_sizes(rows, 13);
            assert_eq!(sizes.iter().sum::<usize>(), rows);
            assert!(sizes.iter().all(|s| s * 13 <= super::SQLITE_PARAMETERS));
            shapes.extend(sizes);
        }
        // 256 rows of 13 columns fit in 4,000 parameters; 1, 2, 4, … 256.
        assert_eq!(shapes.len(), 9);
    }
}
