//! The SQL that (re)builds the daily rollups from the steps. Day numbers use floor
//! division, so instants before 1970 fall on the right day; a missing day is i64::MIN.
//! The service adds to the rollups incrementally (`analysis::rollup`) with the same
//! bucketing; this is for the first migration and for phrase-list changes.

const DAY: &str = "86400000000";
const NONE: &str = "(-9223372036854775807 - 1)";

fn day(column: &str) -> String {
    format!("(({column}) - ((({column}) % {DAY}) + {DAY}) % {DAY}) / {DAY}")
}

/// Deletes and rebuilds the rollups of one organization (or of all).
pub fn rebuild(organization_id: Option<i64>) -> Vec<String> {
    let only = |prefix: &str| match organization_id {
        Some(id) => format!("{prefix} organization_id = {id}"),
        None => String::new(),
    };
    let at = day("at");
    let prev_at = day("prev_at");
    let prev_same = day("prev_same_function_at");
    let prev_handoff = day("prev_handoff_from_at");
    vec![
        format!("DELETE FROM step_daily {}", only("WHERE")),
        format!("DELETE FROM step_daily_entry {}", only("WHERE")),
        format!(
            "INSERT INTO step_daily (organization_id, day, prev_function_id, function_id, prev_touchpoint_id, \
             ping_pong, customer_burden, deferral_language, count, case_ends) \
             SELECT organization_id, {at}, COALESCE(prev_function_id, 0), function_id, COALESCE(prev_touchpoint_id, 0), \
             ping_pong, customer_burden, deferral_language, COUNT(*), SUM(CASE WHEN is_last THEN 1 ELSE 0 END) \
             FROM step {} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
            only("WHERE")
        ),
        format!(
            "INSERT INTO step_daily_entry (organization_id, day, kind, function_id, prev_day, prev_day2, count) \
             SELECT organization_id, {at}, 0, 0, COALESCE({prev_at}, {NONE}), {NONE}, COUNT(*) \
             FROM step {} GROUP BY 1, 2, 3, 4, 5, 6",
            only("WHERE")
        ),
        format!(
            "INSERT INTO step_daily_entry (organization_id, day, kind, function_id, prev_day, prev_day2, count) \
             SELECT organization_id, {at}, 1, function_id, COALESCE({prev_same}, {NONE}), {NONE}, COUNT(*) \
             FROM step {} GROUP BY 1, 2, 3, 4, 5, 6",
            only("WHERE")
        ),
        format!(
            "INSERT INTO step_daily_entry (organization_id, day, kind, function_id, prev_day, prev_day2, count) \
             SELECT organization_id, {at}, 2, 0, {prev_at}, COALESCE({prev_handoff}, {NONE}), COUNT(*) \
             FROM step WHERE prev_function_id IS NOT NULL AND prev_function_id <> function_id {} \
             GROUP BY 1, 2, 3, 4, 5, 6",
            only("AND")
        ),
    ]
}
