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
/// with one typed array per column, which `unnest` unpacks ([`unnest_insert`]; the
/// rows travelled as one JSON parameter before, whose parsing took as long as the
/// insert of the steps it carried). On SQLite, multi-row inserts of as many rows as
/// keep the bound parameters in bounds.
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
    let mut kinds = Vec::with_capacity(columns.len());
    for column in &columns {
        let def = sea_orm::ColumnTrait::def(column);
        kinds.push(match def.get_column_type() {
            ColumnType::BigInteger => ArrayKind::BigInt,
            ColumnType::Integer => ArrayKind::Int,
            ColumnType::SmallInteger => ArrayKind::SmallInt,
            ColumnType::Boolean => ArrayKind::Bool,
            ColumnType::Text | ColumnType::String(_) | ColumnType::Char(_) => ArrayKind::Text,
            other => {
                return Err(DbErr::Custom(format!(
                    "column {}: type {other:?} is not handled by a bulk insert",
                    column.as_str()
                )))
            }
        });
    }
    let table = A::Entity::default().table_name().to_owned();
    let mut statements = Vec::with_capacity(rows.len() / POSTGRES_ROWS + 1);
    for chunk in rows.chunks(POSTGRES_ROWS) {
        let mut arrays: Vec<Array> = kinds.iter().map(|k| Array::new(*k, chunk.len())).collect();
        for row in chunk {
            for (column, array) in columns.iter().zip(arrays.iter_mut()) {
                array.push(row.get(*column).into_value())?;
            }
        }
        statements.push(with_tail(unnest_insert(&table, &columns, arrays)));
    }
    Ok(statements)
}

/// The element type of a column's array.
#[derive(Clone, Copy, Debug)]
enum ArrayKind {
    BigInt,
    Int,
    SmallInt,
    Bool,
    Text,
}

/// One column of a chunk, as a typed array (a PostgreSQL array parameter holds no
/// NULL here, so the NULLs travel as a mask beside it).
struct Array {
    values: ArrayValues,
    nulls: Vec<bool>,
}

enum ArrayValues {
    BigInt(Vec<i64>),
    Int(Vec<i32>),
    SmallInt(Vec<i16>),
    Bool(Vec<bool>),
    Text(Vec<String>),
}

impl Array {
    fn new(kind: ArrayKind, capacity: usize) -> Array {
        let values = match kind {
            ArrayKind::BigInt => ArrayValues::BigInt(Vec::with_capacity(capacity)),
            ArrayKind::Int => ArrayValues::Int(Vec::with_capacity(capacity)),
            ArrayKind::SmallInt => ArrayValues::SmallInt(Vec::with_capacity(capacity)),
            ArrayKind::Bool => ArrayValues::Bool(Vec::with_capacity(capacity)),
            ArrayKind::Text => ArrayValues::Text(Vec::with_capacity(capacity)),
        };
        Array {
            values,
            nulls: Vec::with_capacity(capacity),
        }
    }

    fn push(&mut self, value: Option<Value>) -> Result<(), DbErr> {
        let value = value.unwrap_or(Value::Bool(None));
        let null = match (&mut self.values, value) {
            (ArrayValues::BigInt(v), Value::BigInt(x)) => push_or_default(v, x),
            (ArrayValues::Int(v), Value::Int(x)) => push_or_default(v, x),
            (ArrayValues::SmallInt(v), Value::SmallInt(x)) => push_or_default(v, x),
            (ArrayValues::Bool(v), Value::Bool(x)) => push_or_default(v, x),
            (ArrayValues::Text(v), Value::String(x)) => push_or_default(v, x),
            (ArrayValues::BigInt(v), Value::Bool(None)) => push_or_default(v, None),
            (ArrayValues::Int(v), Value::Bool(None)) => push_or_default(v, None),
            (ArrayValues::SmallInt(v), Value::Bool(None)) => push_or_default(v, None),
            (ArrayValues::Text(v), Value::Bool(None)) => push_or_default::<String>(v, None),
            (_, other) => {
                return Err(DbErr::Custom(format!(
                    "a bulk insert cannot put {other:?} in this column"
                )))
            }
        };
        self.nulls.push(null);
        Ok(())
    }

    /// The SQL type of the array, and the array as a parameter.
    fn into_parameter(self) -> (&'static str, Value) {
        match self.values {
            ArrayValues::BigInt(v) => ("bigint[]", v.into()),
            ArrayValues::Int(v) => ("integer[]", v.into()),
            ArrayValues::SmallInt(v) => ("smallint[]", v.into()),
            ArrayValues::Bool(v) => ("boolean[]", v.into()),
            ArrayValues::Text(v) => ("text[]", v.into()),
        }
    }
}

/// Pushes `value`, or the type's default for a NULL; returns whether it was NULL.
fn push_or_default<T: Default>(values: &mut Vec<T>, value: Option<T>) -> bool {
    match value {
        Some(value) => {
            values.push(value);
            false
        }
        None => {
            values.push(T::default());
            true
        }
    }
}

/// `INSERT INTO table (columns) SELECT … FROM unnest($1::bigint[], …)`: the rows as
/// one typed array per column, with a mask beside each column that holds a NULL.
/// Arrays travel in PostgreSQL's binary format, with no text to parse.
fn unnest_insert<C: IdenStatic>(table: &str, columns: &[C], arrays: Vec<Array>) -> Statement {
    let mut selected = Vec::with_capacity(columns.len());
    let mut unpacked = Vec::with_capacity(columns.len() * 2);
    let mut aliases = Vec::with_capacity(columns.len() * 2);
    let mut values = Vec::with_capacity(columns.len() * 2);
    for (i, mut array) in arrays.into_iter().enumerate() {
        let nulls = std::mem::take(&mut array.nulls);
        let has_null = nulls.iter().any(|n| *n);
        let (sql_type, parameter) = array.into_parameter();
        values.push(parameter);
        unpacked.push(format!("${}::{sql_type}", values.len()));
        aliases.push(format!("v{i}"));
        if has_null {
            values.push(nulls.into());
            unpacked.push(format!("${}::boolean[]", values.len()));
            aliases.push(format!("n{i}"));
            selected.push(format!("CASE WHEN n{i} THEN NULL ELSE v{i} END"));
        } else {
            selected.push(format!("v{i}"));
        }
    }
    let names: Vec<String> = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect();
    let sql = format!(
        "INSERT INTO \"{table}\" ({}) SELECT {} FROM unnest({}) AS r({})",
        names.join(", "),
        selected.join(", "),
        unpacked.join(", "),
        aliases.join(", "),
    );
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
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
