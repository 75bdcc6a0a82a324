//! Logs as files: CSV and XES import over HTTP, bad rows by line, re-import, retraction
//! and the export round trip, all against the fixture's expected figures.

use api::server::auth::AccessRole;
use serde_json::{json, Value};

use crate::fixture::{assert_matches_expected, load_org};
use crate::helpers::{spawn_app, spawn_app_with, TestApp};

const FIXTURE_CSV: &str = include_str!("../data/small/interactions.csv");

/// POSTs `body` to /import/interactions with `query` as admin (or `token`).
async fn import(app: &TestApp, query: &str, body: Vec<u8>, token: Option<String>) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/import/interactions?{query}", app.address))
        .bearer_auth(token.unwrap_or_else(|| app.admin()))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn export(app: &TestApp, query: &str) -> String {
    let response = app
        .client
        .get(format!("{}/export/interactions?{query}", app.address))
        .bearer_auth(app.admin())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.unwrap()
}

/// The CSV line with another function (the fourth column).
fn with_function(line: &str, function: &str) -> String {
    let mut fields: Vec<&str> = line.split(',').collect();
    fields[3] = function;
    fields.join(",")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn a_csv_import_gives_every_expected_figure_and_a_second_changes_nothing() {
    let app = spawn_app().await;
    load_org(&app).await;
    // A dry run checks everything and writes nothing.
    let (status, dry) = import(&app, "format=csv&dry_run=true", FIXTURE_CSV.into(), None).await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(
        (dry["committed"].as_bool(), dry["read"].as_u64()),
        (Some(false), Some(423))
    );
    let (status, summary) = import(&app, "format=csv", gzip(FIXTURE_CSV.as_bytes()), None).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["recorded"], 423, "{summary}");
    assert_eq!(summary["newSiloHandoffs"], 55, "{summary}");
    assert_eq!(summary["committed"], true);
    assert_matches_expected(&app).await;

    let (_, again) = import(&app, "format=csv", FIXTURE_CSV.into(), None).await;
    assert_eq!(
        (again["recorded"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(423))
    );
    assert_eq!(again["newHandoffs"], 0);
    assert_matches_expected(&app).await;
}

#[tokio::test]
async fn bad_rows_are_reported_by_line_and_nothing_is_written_unless_skipped() {
    let app = spawn_app().await;
    load_org(&app).await;
    let mut lines: Vec<String> = FIXTURE_CSV.lines().map(str::to_owned).collect();
    // Line numbers count the header as line 1.
    lines[3] = with_function(&lines[3], "Nobody");
    lines[5] = lines[5].replacen("2026-", "20x6-", 1);
    let fields: Vec<&str> = lines[7].split(',').collect();
    lines[7] = format!("{},,{}", fields[0], fields[2..].join(","));
    let first_id = lines[1].split(',').next().unwrap().to_owned();
    lines.push(format!(
        "{first_id},other-case,2026-01-01T00:00:00Z,Sales,,,false"
    ));
    let conflicting_line = lines.len();
    let body = lines.join("\n").into_bytes();

    let (status, refused) = import(&app, "format=csv", body.clone(), None).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "IMPORT_REJECTED"
    );
    let found: Vec<(u64, String)> = refused["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (4, "function".to_owned()),
            (6, "occurred_at".to_owned()),
            (8, "case_ref".to_owned()),
            (conflicting_line as u64, "external_id".to_owned()),
        ],
        "{refused}"
    );
    assert_eq!(refused["recorded"], 0);
    let totals = app
        .gql("{ siloReport { totals { interactions } } }", json!({}))
        .await;
    assert_eq!(totals["siloReport"]["totals"]["interactions"], 0);

    let (status, skipped) = import(&app, "format=csv&skip_invalid=true", body, None).await;
    assert_eq!(status, 200, "{skipped}");
    assert_eq!(skipped["recorded"], 420, "{skipped}");
    assert_eq!(skipped["rejected"], 4);

    // A malformed XES file is refused as a whole, with where it broke.
    let (status, broken) = import(
        &app,
        "format=xes",
        b"<log><trace><string key=\"concept:name\" value=\"x\"/><event></trace></log>".to_vec(),
        None,
    )
    .await;
    assert_eq!(status, 422, "{broken}");
    assert!(broken["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("XES"));
}

#[tokio::test]
async fn the_export_round_trips_through_xes_and_csv() {
    let app = spawn_app().await;
    load_org(&app).await;
    let (_, summary) = import(&app, "format=csv", FIXTURE_CSV.into(), None).await;
    assert_eq!(summary["recorded"], 423);
    let xes = export(&app, "format=xes").await;
    assert!(xes.contains("org:group") && xes.matches("<trace>").count() > 100);
    let csv = export(&app, "format=csv").await;
    assert_eq!(csv.lines().count(), 424);

    for (format, file) in [("xes", xes), ("csv", csv)] {
        let fresh = spawn_app().await;
        load_org(&fresh).await;
        let (status, summary) =
            import(&fresh, &format!("format={format}"), file.into(), None).await;
        assert_eq!(status, 200, "{format}: {summary}");
        assert_eq!(summary["recorded"], 423, "{format}: {summary}");
        assert_matches_expected(&fresh).await;
    }
}

#[tokio::test]
async fn imports_need_their_role_and_stay_under_the_limit() {
    let app = spawn_app_with(|settings| settings.limits.max_import_bytes = 4096).await;
    load_org(&app).await;
    // Importing is recording: the roles that record may (auth::may::IMPORT).
    let viewer = app.token("acme", &[AccessRole::Viewer]);
    let (status, body) = import(&app, "format=csv", FIXTURE_CSV.into(), Some(viewer)).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = import(&app, "format=csv", FIXTURE_CSV.into(), None).await;
    assert_eq!(status, 413, "{body}");
    let totals = app
        .gql("{ siloReport { totals { interactions } } }", json!({}))
        .await;
    assert_eq!(totals["siloReport"]["totals"]["interactions"], 0);
    let anonymous = app
        .client
        .post(format!("{}/import/interactions?format=csv", app.address))
        .body(FIXTURE_CSV)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[tokio::test]
async fn retracting_interactions_takes_them_out_of_every_figure() {
    let app = spawn_app().await;
    load_org(&app).await;
    let (_, summary) = import(&app, "format=csv", FIXTURE_CSV.into(), None).await;
    assert_eq!(summary["recorded"], 423);
    let before = app
        .gql(
            "{ siloReport { totals { interactions handoffs siloHandoffs cases } } }",
            json!({}),
        )
        .await["siloReport"]["totals"]
        .clone();
    // Every interaction of one case goes: the case goes too.
    let case = FIXTURE_CSV
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .to_owned();
    let ids: Vec<String> = FIXTURE_CSV
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1) == Some(case.as_str()))
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    let mut asked = ids.clone();
    asked.push("never-recorded".into());
    let data = app
        .gql(
            "mutation($ids: [String!]!) { retractInteractions(externalIds: $ids) { retracted notFound newHandoffs newSiloHandoffs userErrors { code } } }",
            json!({ "ids": asked }),
        )
        .await;
    let payload = &data["retractInteractions"];
    assert_eq!(payload["retracted"], ids.len(), "{payload}");
    assert_eq!(payload["notFound"], json!(["never-recorded"]));
    let after = app
        .gql(
            "{ siloReport { totals { interactions handoffs siloHandoffs cases } } }",
            json!({}),
        )
        .await["siloReport"]["totals"]
        .clone();
    let minus = |key: &str| before[key].as_i64().unwrap() - after[key].as_i64().unwrap();
    assert_eq!(minus("interactions"), ids.len() as i64);
    assert_eq!(minus("cases"), 1);
    assert_eq!(-minus("handoffs"), payload["newHandoffs"].as_i64().unwrap());
    assert_eq!(
        -minus("siloHandoffs"),
        payload["newSiloHandoffs"].as_i64().unwrap()
    );
    let chain = app
        .gql(
            "query($c: String!) { case(caseRef: $c) { caseRef } }",
            json!({ "c": case }),
        )
        .await;
    assert_eq!(chain["case"], Value::Null);

    // Importing the file again puts them back: every figure as expected again.
    let (_, again) = import(&app, "format=csv", FIXTURE_CSV.into(), None).await;
    assert_eq!(again["recorded"], ids.len());
    assert_matches_expected(&app).await;

    // Retraction is for EDITOR and ADMIN only.
    let token = app.token("acme", &[AccessRole::Integration]);
    let (_, body) = app
        .post(
            Some(&token),
            "mutation { retractInteractions(externalIds: [\"x\"]) { retracted } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

/// The command line imports a file against the configured database, reports bad rows
/// by line and column, and exports what an import reads back.
#[tokio::test]
async fn the_command_line_imports_and_exports() {
    use crate::cli::{siloscope, stderr, stdout};
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!(
        "siloscope_logs_{}_{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let vars = [("SILOSCOPE_DATABASE_URL", app.database_url.as_str())];

    // The chart first: a bad one loads nothing, the fixture's loads once.
    let org_json = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/small/org.json");
    let bad_chart = dir.join("bad-org.json");
    let mut chart: Value =
        serde_json::from_str(&std::fs::read_to_string(org_json).unwrap()).unwrap();
    chart["responsibilities"][0]["function"] = json!("Nobody");
    std::fs::write(&bad_chart, chart.to_string()).unwrap();
    let path = bad_chart.to_string_lossy().into_owned();
    let output = siloscope(&["import", "org", &path, "--org", "acme"], &vars);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("responsibilities[0].function: no function named `Nobody`"),
        "{}",
        stderr(&output)
    );
    let functions = app.gql("{ functions { totalCount } }", json!({})).await;
    assert_eq!(functions["functions"]["totalCount"], 0);
    // A promise the log cannot measure is refused, naming the touchpoint's entry.
    let mut chart: Value =
        serde_json::from_str(&std::fs::read_to_string(org_json).unwrap()).unwrap();
    chart["touchpoints"][2]["promptWithin"] = json!("P1M");
    std::fs::write(&bad_chart, chart.to_string()).unwrap();
    let output = siloscope(&["import", "org", &path, "--org", "acme"], &vars);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("touchpoints[2].promptWithin: `P1M`: years and months"),
        "{}",
        stderr(&output)
    );
    chart["touchpoints"][2]["promptWithin"] = json!("P2D");
    chart["touchpoints"][0]["experience"] = json!(["FAST"]);
    std::fs::write(&bad_chart, chart.to_string()).unwrap();
    let output = siloscope(&["import", "org", &path, "--org", "acme"], &vars);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("touchpoints[0].experience: `FAST` is not one of PERSONALIZED"),
        "{}",
        stderr(&output)
    );
    let functions = app.gql("{ functions { totalCount } }", json!({})).await;
    assert_eq!(functions["functions"]["totalCount"], 0, "nothing loaded");
    let output = siloscope(&["import", "org", org_json, "--org", "acme"], &vars);
    assert!(output.status.success(), "{}", stderr(&output));
    let touchpoints = app
        .gql(
            "{ touchpoints(first: 20) { nodes { name experience promptWithin } } }",
            json!({}),
        )
        .await;
    let checkout = &touchpoints["touchpoints"]["nodes"][0];
    assert_eq!(
        checkout,
        &json!({ "name": "Checkout", "experience": ["PROMPT", "SINGLE_POINT_OF_CONTACT"], "promptWithin": "P1D" })
    );
    let output = siloscope(&["import", "org", org_json, "--org", "acme"], &vars);
    assert!(
        stdout(&output).starts_with("functions: 0 created, 0 updated; touchpoints: 0 created, 0 updated; responsibilities: 0 assigned"),
        "{}",
        stdout(&output)
    );

    // A bad row: nothing written, the line and column named, a failing exit.
    let bad = dir.join("bad.csv");
    let mut lines: Vec<String> = FIXTURE_CSV.lines().map(str::to_owned).collect();
    lines[3] = with_function(&lines[3], "Nobody");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let path = bad.to_string_lossy().into_owned();
    let output = siloscope(&["import", "interactions", &path, "--org", "acme"], &vars);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("line 4, function: no function named `Nobody`"),
        "{}",
        stderr(&output)
    );

    // The good file, gzipped: everything recorded, the summary on standard output.
    let good = dir.join("log.csv.gz");
    std::fs::write(&good, gzip(FIXTURE_CSV.as_bytes())).unwrap();
    let path = good.to_string_lossy().into_owned();
    let output = siloscope(&["import", "interactions", &path, "--org", "acme"], &vars);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("recorded 423"),
        "{}",
        stdout(&output)
    );
    assert_matches_expected(&app).await;

    // Exported as XES, it imports as nothing new.
    let xes = dir.join("log.xes");
    let path = xes.to_string_lossy().into_owned();
    let output = siloscope(
        &[
            "export",
            "interactions",
            "--org",
            "acme",
            "--format",
            "xes",
            "--out",
            &path,
        ],
        &vars,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = siloscope(&["import", "interactions", &path, "--org", "acme"], &vars);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("recorded 0, duplicates 423"),
        "{}",
        stdout(&output)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The fixture as OCEL 2.0 JSON: a `ticket` object per case, one `customer` object
/// every event also relates to (not a case), the touchpoint as the event's type.
fn fixture_as_ocel() -> Value {
    let mut reader = csv::Reader::from_reader(FIXTURE_CSV.as_bytes());
    let mut cases = std::collections::BTreeSet::new();
    let mut events = Vec::new();
    for record in reader.records() {
        let r = record.unwrap();
        cases.insert(r[1].to_owned());
        events.push(json!({
            "id": &r[0],
            "type": &r[4],
            "time": &r[2],
            "attributes": [
                { "name": "org:group", "value": &r[3] },
                { "name": "note", "value": &r[5] },
                { "name": "customer_action_required", "value": &r[6] == "true" },
            ],
            "relationships": [
                { "objectId": "customer-1", "qualifier": "for" },
                { "objectId": &r[1], "qualifier": "about" },
            ],
        }));
    }
    let mut objects: Vec<Value> = cases
        .iter()
        .map(|c| json!({ "id": c, "type": "ticket", "attributes": [] }))
        .collect();
    objects.push(json!({ "id": "customer-1", "type": "customer" }));
    json!({
        "objectTypes": [{ "name": "ticket", "attributes": [] }, { "name": "customer", "attributes": [] }],
        "eventTypes": [],
        "objects": objects,
        "events": events,
    })
}

#[tokio::test]
async fn an_ocel_import_gives_every_expected_figure() {
    let app = spawn_app().await;
    load_org(&app).await;
    let ocel = serde_json::to_vec(&fixture_as_ocel()).unwrap();
    // Without the case type the log cannot be read.
    let (status, body) = import(&app, "format=ocel", ocel.clone(), None).await;
    assert_eq!(status, 400, "{body}");
    let (status, summary) = import(&app, "format=ocel&case_type=ticket", ocel.clone(), None).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["recorded"], 423, "{summary}");
    assert_matches_expected(&app).await;
    // Twice: nothing new.
    let (_, again) = import(&app, "format=ocel&case_type=ticket", ocel.clone(), None).await;
    assert_eq!(
        (again["recorded"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(423))
    );

    // Cut short, the file is malformed: refused as a whole, nothing more written.
    let fresh = spawn_app().await;
    load_org(&fresh).await;
    let (status, broken) = import(
        &fresh,
        "format=ocel&case_type=ticket",
        ocel[..ocel.len() / 2].to_vec(),
        None,
    )
    .await;
    assert_eq!(status, 422, "{broken}");
    assert!(broken["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("OCEL"));
    assert_eq!(broken["recorded"], 0);
}

/// CSV as real exports get it wrong: a row with more or fewer fields than the header,
/// a quote left open, Windows line endings. Each is refused by its row and line (a
/// quote left open at the line where it opened); `rejected` counts rows, `errors`
/// the problems; HTTP names its own parameters; XES counts events.
#[tokio::test]
async fn careless_csv_is_refused_row_by_row_at_the_right_lines() {
    let app = spawn_app().await;
    load_org(&app).await;
    let lines: Vec<&str> = FIXTURE_CSV.lines().collect();
    let header = lines[0];
    // Line 3 has an extra field; line 4 two problems (no case, an unknown function).
    let body = [
        header.to_owned(),
        lines[1].to_owned(),
        format!("{},surplus", lines[2]),
        {
            let fields: Vec<&str> = lines[3].split(',').collect();
            format!(
                "{},,{},Nobody,{}",
                fields[0],
                fields[2],
                fields[4..].join(",")
            )
        },
        lines[4].to_owned(),
    ]
    .join("\r\n");
    let (status, refused) = import(&app, "format=csv", body.clone().into_bytes(), None).await;
    assert_eq!(status, 422, "{refused}");
    let found: Vec<(u64, &str)> = refused["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        vec![(3, ""), (4, "case_ref"), (4, "function")],
        "CRLF line numbers are the editor's: {refused}"
    );
    assert!(refused["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("8 field(s) where the header has 7"));
    assert_eq!(
        (refused["rejected"].as_u64(), refused["problems"].as_u64()),
        (Some(2), Some(3))
    );
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("2 row(s)"), "{message}");

    // A quote opened on line 3 and never closed swallows the rest: refused where it
    // opened, saying so.
    let open = format!(
        "{header}\n{}\n{},\"unclosed note\n{}\n{}\n",
        lines[1], lines[2], lines[3], lines[4]
    );
    let (status, refused) = import(&app, "format=csv", open.into_bytes(), None).await;
    assert_eq!(status, 422, "{refused}");
    let rejection = &refused["rejections"][0];
    assert_eq!(rejection["line"], 3, "{refused}");
    assert!(
        rejection["reason"]
            .as_str()
            .unwrap()
            .contains("quote opened on line 3"),
        "{refused}"
    );
    let totals = app
        .gql("{ siloReport { totals { interactions } } }", json!({}))
        .await;
    assert_eq!(
        totals["siloReport"]["totals"]["interactions"], 0,
        "nothing was written"
    );

    // Over HTTP, a missing column names the query parameter, not the command line's option.
    let (status, refused) =
        import(&app, "format=csv", b"id,when,who\n1,2,3\n".to_vec(), None).await;
    assert_eq!(status, 422);
    let reason = refused["rejections"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("the query parameter map=case_ref=COLUMN"),
        "{reason}"
    );
    assert!(!reason.contains("--map"), "{reason}");

    // XES positions are events, and say so.
    let xes = "<log><trace><string key=\"concept:name\" value=\"c1\"/>\
        <event><string key=\"org:group\" value=\"Nobody\"/><date key=\"time:timestamp\" value=\"2026-01-01T00:00:00Z\"/></event>\
        </trace></log>";
    let (status, refused) = import(&app, "format=xes", xes.into(), None).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["rejections"][0]["event"], 1, "{refused}");
    assert!(refused["rejections"][0].get("line").is_none(), "{refused}");
}
