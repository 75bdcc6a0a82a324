//! The floor: the report figures computed by plain SQL written straight against the
//! interaction log, as a database engineer would without siloscope. One statement per
//! figure set, window functions for the chains, no derived tables.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// A case's chain order (docs/rules.md §2.1) over `interaction i`: by instant; at the
/// same instant external ids byte-wise, those without one after, then recording order.
fn chain_order(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "i.occurred_at, i.external_id COLLATE \"C\" NULLS LAST, i.id",
        _ => "i.occurred_at, i.external_id IS NULL, i.external_id, i.id",
    }
}

/// The interactions of one organization with each one's predecessor in its case, the
/// handoffs among them and their flags (docs/rules.md §2), as common table expressions.
/// `window` limits which handoffs and interactions count (`at >= from AND at < to`).
fn flagged(backend: DatabaseBackend, org: i64, deferral: &[String], burden: &[String]) -> String {
    let like_any = |phrases: &[String]| -> String {
        if phrases.is_empty() {
            return "1 = 0".into();
        }
        phrases
            .iter()
            .map(|p| format!("lower(i.note) LIKE '%{}%'", p.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    let order = chain_order(backend);
    let truth = |b: &str| format!("CASE WHEN {b} THEN 1 ELSE 0 END");
    format!(
        "WITH cx AS (SELECT id FROM function WHERE organization_id = {org} AND {cx}),
         owner AS (
           SELECT DISTINCT touchpoint_id, function_id FROM responsibility
           WHERE organization_id = {org} AND role IN ('ACCOUNTABLE', 'RESPONSIBLE')),
         cx_owned AS (SELECT DISTINCT touchpoint_id FROM owner WHERE function_id IN (SELECT id FROM cx)),
         ev AS (
           SELECT i.case_id, i.occurred_at AS at, i.function_id AS fn,
             ROW_NUMBER() OVER w AS pos,
             LAG(i.function_id) OVER w AS prev_fn,
             LAG(i.touchpoint_id) OVER w AS prev_tp,
             LAG({burden}) OVER w AS prev_burden,
             LAG({deferral}) OVER w AS prev_deferral,
             {last} AS is_last
           FROM interaction i WHERE i.organization_id = {org}
           WINDOW w AS (PARTITION BY i.case_id ORDER BY {order})),
         ho AS (
           SELECT case_id, at, prev_fn AS from_fn, fn AS to_fn, prev_tp AS tp,
             prev_burden, prev_deferral,
             LAG(prev_fn) OVER (PARTITION BY case_id ORDER BY pos) AS before_fn
           FROM ev WHERE prev_fn IS NOT NULL AND prev_fn <> fn),
         flagged AS (
           SELECT case_id, at, from_fn, to_fn, tp,
             {dcx} AS dcx,
             {silo} AS silo,
             {owned} AS owned,
             {pp} AS pp,
             prev_burden AS burden, prev_deferral AS deflang
           FROM ho)",
        cx = "(CASE WHEN is_cx_team THEN 1 ELSE 0 END) = 1",
        burden = truth(&format!(
            "i.customer_action_required OR {}",
            like_any(burden)
        )),
        deferral = truth(&like_any(deferral)),
        last = truth("LEAD(i.id) OVER w IS NULL"),
        dcx = truth("to_fn IN (SELECT id FROM cx) AND from_fn NOT IN (SELECT id FROM cx)"),
        silo = truth(
            "to_fn IN (SELECT id FROM cx) AND from_fn NOT IN (SELECT id FROM cx) \
             AND (tp IS NULL OR tp NOT IN (SELECT touchpoint_id FROM cx_owned))"
        ),
        owned = truth(
            "to_fn IN (SELECT id FROM cx) AND from_fn NOT IN (SELECT id FROM cx) \
             AND EXISTS (SELECT 1 FROM owner o WHERE o.touchpoint_id = tp AND o.function_id = from_fn)"
        ),
        pp = truth("before_fn IS NOT NULL AND before_fn = to_fn"),
    )
}

fn window_clause(column: &str, window: Option<(i64, i64)>) -> String {
    match window {
        Some((from, to)) => format!("{column} >= {from} AND {column} < {to}"),
        None => "1 = 1".into(),
    }
}

/// What the floor computes of a silo report: totals, then per-function and
/// per-touchpoint handoff and silo counts.
#[derive(Debug, Default, PartialEq)]
pub struct FloorReport {
    /// cases, interactions, handoffs, silo, deferrals to CX, owned, ping-pong, burden,
    /// deferral language, cases ending at CX, single-contact cases (count), sum of
    /// distinct functions per case.
    pub totals: Vec<i64>,
    /// function id → (handoffs out, silo handoffs).
    pub by_function: Vec<(i64, i64, i64)>,
    /// touchpoint id → (handoffs, silo handoffs).
    pub by_touchpoint: Vec<(i64, i64, i64)>,
}

async fn rows(db: &DatabaseConnection, sql: String) -> anyhow::Result<Vec<Vec<i64>>> {
    let backend = db.get_database_backend();
    let result = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    let mut out = Vec::with_capacity(result.len());
    for row in result {
        let mut values = Vec::new();
        let mut index = 0usize;
        // PostgreSQL types literals and CASE results as int4, counts as int8.
        loop {
            let value = match row.try_get_by_index::<Option<i64>>(index) {
                Ok(value) => value,
                Err(_) => match row.try_get_by_index::<Option<i32>>(index) {
                    Ok(value) => value.map(i64::from),
                    Err(_) => break,
                },
            };
            values.push(value.unwrap_or(0));
            index += 1;
        }
        out.push(values);
    }
    Ok(out)
}

/// The silo report, by plain SQL.
pub async fn silo_report(
    db: &DatabaseConnection,
    org: i64,
    phrases: &(Vec<String>, Vec<String>),
    window: Option<(i64, i64)>,
) -> anyhow::Result<FloorReport> {
    let backend = db.get_database_backend();
    let cte = flagged(backend, org, &phrases.0, &phrases.1);
    let in_window = window_clause("at", window);
    let sql = format!(
        "{cte},
         per_case AS (
           SELECT case_id, COUNT(*) AS n, COUNT(DISTINCT fn) AS functions,
             MAX(CASE WHEN is_last = 1 AND fn IN (SELECT id FROM cx) THEN 1 ELSE 0 END) AS ends_cx
           FROM ev WHERE {in_window} GROUP BY case_id),
         ho_totals AS (
           SELECT 0 AS kind, 0 AS id, COUNT(*) AS handoffs, SUM(silo) AS silo, SUM(dcx) AS dcx,
             SUM(owned) AS owned, SUM(pp) AS pp, SUM(burden) AS burden, SUM(deflang) AS deflang
           FROM flagged WHERE {in_window}
           UNION ALL
           SELECT 1, from_fn, COUNT(*), SUM(silo), 0, 0, 0, 0, 0
           FROM flagged WHERE {in_window} GROUP BY from_fn
           UNION ALL
           SELECT 2, tp, COUNT(*), SUM(silo), 0, 0, 0, 0, 0
           FROM flagged WHERE {in_window} AND tp IS NOT NULL GROUP BY tp)
         SELECT h.*, c.cases, c.interactions, c.ends_cx, c.single, c.functions
         FROM ho_totals h LEFT JOIN (
           SELECT 0 AS kind, COUNT(*) AS cases, CAST(SUM(n) AS BIGINT) AS interactions, SUM(ends_cx) AS ends_cx,
             SUM(CASE WHEN functions = 1 THEN 1 ELSE 0 END) AS single, CAST(SUM(functions) AS BIGINT) AS functions
           FROM per_case) c ON c.kind = h.kind"
    );
    let mut report = FloorReport::default();
    for row in rows(db, sql).await? {
        match row[0] {
            0 => {
                // cases, interactions, then the handoff figures, then the case figures.
                report.totals = vec![
                    row[9], row[10], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                    row[11], row[12], row[13],
                ]
            }
            1 => report.by_function.push((row[1], row[2], row[3])),
            _ => report.by_touchpoint.push((row[1], row[2], row[3])),
        }
    }
    report.by_function.sort();
    report.by_touchpoint.sort();
    Ok(report)
}

/// The handoff network's edges (from, to, count, silo) and handover-of-work pair
/// counts (from, to, pairs).
pub type Network = (Vec<(i64, i64, i64, i64)>, Vec<(i64, i64, i64)>);

/// The handoff network, by plain SQL.
pub async fn network(
    db: &DatabaseConnection,
    org: i64,
    phrases: &(Vec<String>, Vec<String>),
) -> anyhow::Result<Network> {
    let backend = db.get_database_backend();
    let cte = flagged(backend, org, &phrases.0, &phrases.1);
    let sql = format!(
        "{cte}
         SELECT 0, from_fn, to_fn, COUNT(*), SUM(silo) FROM flagged GROUP BY from_fn, to_fn
         UNION ALL
         SELECT 1, prev_fn, fn, COUNT(*), 0 FROM ev WHERE prev_fn IS NOT NULL GROUP BY prev_fn, fn"
    );
    let (mut edges, mut pairs) = (Vec::new(), Vec::new());
    for row in rows(db, sql).await? {
        if row[0] == 0 {
            edges.push((row[1], row[2], row[3], row[4]));
        } else {
            pairs.push((row[1], row[2], row[3]));
        }
    }
    edges.sort();
    pairs.sort();
    Ok((edges, pairs))
}

/// One case's handoffs (at, from, to), by plain SQL.
pub async fn case(
    db: &DatabaseConnection,
    org: i64,
    phrases: &(Vec<String>, Vec<String>),
    case_ref: &str,
) -> anyhow::Result<Vec<Vec<i64>>> {
    let backend = db.get_database_backend();
    let cte = flagged(backend, org, &phrases.0, &phrases.1).replace(
        &format!("FROM interaction i WHERE i.organization_id = {org}"),
        &format!(
            "FROM interaction i WHERE i.organization_id = {org} AND i.case_id = \
             (SELECT id FROM customer_case WHERE organization_id = {org} AND case_ref = '{}')",
            case_ref.replace('\'', "''")
        ),
    );
    rows(
        db,
        format!("{cte} SELECT at, from_fn, to_fn, silo, pp FROM flagged ORDER BY at"),
    )
    .await
}

/// The first `limit` silo handoffs (at, from, to) in time order, by plain SQL.
pub async fn silo_page(
    db: &DatabaseConnection,
    org: i64,
    phrases: &(Vec<String>, Vec<String>),
    limit: usize,
) -> anyhow::Result<Vec<Vec<i64>>> {
    let backend = db.get_database_backend();
    let cte = flagged(backend, org, &phrases.0, &phrases.1);
    rows(
        db,
        format!(
            "{cte} SELECT at, from_fn, to_fn FROM flagged WHERE silo = 1 ORDER BY at LIMIT {limit}"
        ),
    )
    .await
}

/// Interactions per (touchpoint, function) in the window: de facto ownership's
/// counts, by plain SQL (every function of the benchmark is live).
pub async fn ownership(
    db: &DatabaseConnection,
    org: i64,
    window: Option<(i64, i64)>,
) -> anyhow::Result<Vec<(i64, i64, i64)>> {
    let in_window = window_clause("occurred_at", window);
    let sql = format!(
        "SELECT touchpoint_id, function_id, COUNT(*) FROM interaction
         WHERE organization_id = {org} AND touchpoint_id IS NOT NULL AND {in_window}
         GROUP BY touchpoint_id, function_id"
    );
    let mut counts: Vec<(i64, i64, i64)> = rows(db, sql)
        .await?
        .into_iter()
        .map(|r| (r[0], r[1], r[2]))
        .collect();
    counts.sort();
    Ok(counts)
}

/// Per touchpoint: SINGLE_POINT_OF_CONTACT opportunities and breaches, then PROMPT's
/// (where the touchpoint sets `prompt_within`), dated by the next interaction, by
/// plain SQL.
pub async fn promises(
    db: &DatabaseConnection,
    org: i64,
    window: Option<(i64, i64)>,
) -> anyhow::Result<Vec<(i64, [i64; 4])>> {
    let order = chain_order(db.get_database_backend());
    let in_window = window_clause("next_at", window);
    let waits = "CASE WHEN waits THEN 1 ELSE 0 END";
    let sql = format!(
        "WITH ev AS (
           SELECT i.touchpoint_id AS tp, i.function_id AS fn, i.occurred_at AS at,
             i.customer_action_required AS waits,
             LEAD(i.function_id) OVER w AS next_fn, LEAD(i.occurred_at) OVER w AS next_at
           FROM interaction i WHERE i.organization_id = {org}
           WINDOW w AS (PARTITION BY i.case_id ORDER BY {order}))
         SELECT ev.tp, COUNT(*),
           SUM(CASE WHEN next_fn <> fn THEN 1 ELSE 0 END),
           SUM(CASE WHEN t.prompt_within IS NOT NULL AND {waits} = 0 THEN 1 ELSE 0 END),
           SUM(CASE WHEN t.prompt_within IS NOT NULL AND {waits} = 0
                    AND next_at - at > t.prompt_within THEN 1 ELSE 0 END)
         FROM ev JOIN touchpoint t ON t.id = ev.tp
         WHERE next_at IS NOT NULL AND {in_window}
         GROUP BY ev.tp"
    );
    let mut figures: Vec<(i64, [i64; 4])> = rows(db, sql)
        .await?
        .into_iter()
        .map(|r| (r[0], [r[1], r[2], r[3], r[4]]))
        .collect();
    figures.sort();
    Ok(figures)
}
