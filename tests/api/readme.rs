//! The README's example requests, run as written against a fresh demo organization.

use api::server::auth::AccessRole;
use serde_json::Value;

use crate::helpers::spawn_app;

/// The bodies (`-d '…'`) of the curl commands of the README's "Example requests".
fn example_bodies() -> Vec<(String, Value)> {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("## Example requests")
        .expect("the README has example requests");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut bodies = Vec::new();
    let mut label = String::new();
    let mut rest = section;
    while let Some(at) = rest.find(['#', '-']) {
        let tail = &rest[at..];
        if let Some(comment) = tail.strip_prefix("# ") {
            label = comment.lines().next().unwrap_or_default().to_owned();
            rest = &comment[label.len()..];
        } else if let Some(body) = tail.strip_prefix("-d '") {
            let end = body.find('\'').expect("a body ends with a quote");
            let json: Value = serde_json::from_str(&body[..end])
                .unwrap_or_else(|e| panic!("example `{label}` is not JSON: {e}"));
            bodies.push((label.clone(), json));
            rest = &body[end..];
        } else {
            rest = &tail[1..];
        }
    }
    bodies
}

/// Every `userErrors` list in `value`, wherever it is.
fn user_errors(value: &Value, found: &mut Vec<Value>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "userErrors" {
                    found.extend(inner.as_array().cloned().unwrap_or_default());
                } else {
                    user_errors(inner, found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| user_errors(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn readme_examples() {
    let app = spawn_app().await;
    api::demo::create(&app.service_db().await, "demo", 2026, 300)
        .await
        .unwrap();
    let token = app.token("demo", &[AccessRole::Admin]);

    let bodies = example_bodies();
    assert_eq!(bodies.len(), 11, "the README's eleven examples are found");
    let mut results = Vec::new();
    for (label, body) in &bodies {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&token)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "example `{label}`");
        let json: Value = response.json().await.unwrap();
        assert!(json.get("errors").is_none(), "example `{label}`: {json}");
        let mut errors = Vec::new();
        user_errors(&json, &mut errors);
        assert!(errors.is_empty(), "example `{label}`: {json}");
        results.push(json["data"].clone());
    }
    // What the examples say they show: the new case is a silo handoff, it is in the
    // list of silo handoffs and its chain shows the flag.
    assert_eq!(
        results[0]["createFunction"]["function"]["name"],
        "Field Service"
    );
    assert_eq!(results[1]["recordInteractions"]["recorded"], 2);
    assert_eq!(results[1]["recordInteractions"]["newSiloHandoffs"], 1);
    // The README's customer said so, and March's voice report counts it in its bucket.
    assert_eq!(results[9]["recordFeedback"]["recorded"], 2);
    let csat = &results[10]["voiceReport"]["figures"]["surveys"][0];
    assert!(csat["overall"]["answered"].as_i64().unwrap() >= 1, "{csat}");
    assert!(
        csat["buckets"][1]["figures"]["answered"].as_i64().unwrap() >= 1,
        "README-1 has one SILO handoff: {csat}"
    );
    assert!(results[3]["handoffs"]["totalCount"].as_u64().unwrap() >= 1);
    let chain = &results[4]["case"];
    assert_eq!(chain["interactions"].as_array().unwrap().len(), 2);
    let flags = chain["handoffs"][0]["flags"].as_array().unwrap();
    assert!(flags.contains(&Value::from("SILO")), "{chain}");
    // March's map holds the README's case: a SILO edge from Field Service to CX.
    let map = &results[5]["handoffNetwork"];
    let mermaid = map["mermaid"].as_str().unwrap();
    assert!(mermaid.starts_with("flowchart LR"), "{mermaid}");
    assert!(mermaid.contains("[\"Field Service\"]"), "{mermaid}");
    assert!(mermaid.contains("==>|"), "a SILO edge: {mermaid}");
    assert!(map["dot"].as_str().unwrap().contains("#c62828"));
    // The organization moves to Berlin; 2026 by month has twelve points, March's
    // starting at midnight in Berlin and compared with February and with March 2025.
    assert_eq!(
        results[6]["updateSettings"]["organization"]["timeZone"],
        "Europe/Berlin"
    );
    let points = results[7]["siloTrend"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 12);
    assert_eq!(points[2]["window"]["from"], "2026-02-28T23:00:00+00:00");
    assert_eq!(
        points[2]["comparisons"][1]["period"],
        "SAME_PERIOD_LAST_YEAR"
    );
    // Delivery update in March: shares summing to one, Logistics on paper, and its
    // promises measured against two days.
    let ownership = &results[8]["touchpointOwnership"];
    let delivery = ownership["touchpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["touchpoint"]["name"] == "Delivery update")
        .expect("Delivery update is reported");
    assert!(delivery["interactions"].as_i64().unwrap() > 0, "{delivery}");
    assert_eq!(delivery["accountable"][0]["function"]["name"], "Logistics");
    assert!(delivery["deFactoOwner"]["share"].as_f64().unwrap() > 0.0);
    let promises = results[8]["promiseReport"]["promises"].as_array().unwrap();
    let prompt = promises
        .iter()
        .find(|p| p["touchpoint"]["name"] == "Delivery update" && p["element"] == "PROMPT")
        .expect("Delivery update promises PROMPT");
    assert_eq!(prompt["touchpoint"]["promptWithin"], "P2D");
    assert_eq!(prompt["measured"], true);
    assert!(prompt["opportunities"].as_i64().unwrap() > 0, "{prompt}");
}

/// The "Example requests" block, run as a reader would paste it: bash, curl and the
/// built binary, in a directory holding the demo's env file, with `PORT` and
/// `SILOSCOPE` as the reader's shell would have them. Every request answers without an
/// error.
#[tokio::test]
async fn the_readme_script_runs_as_written() {
    let app = spawn_app().await;
    api::demo::create(&app.service_db().await, "demo", 2026, 300)
        .await
        .unwrap();
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("## Example requests").unwrap()..];
    let start = section.find("```sh\n").unwrap() + "```sh\n".len();
    let block = &section[start..start + section[start..].find("\n```").unwrap()];
    let dir = std::env::temp_dir().join(format!("siloscope-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("siloscope-demo.db.env"),
        format!(
            "SILOSCOPE_DATABASE_URL={}\nSILOSCOPE_JWT_SECRET={}\n",
            app.database_url,
            crate::helpers::SECRET
        ),
    )
    .unwrap();
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let mut command = std::process::Command::new("bash");
    command
        .arg("-c")
        .arg(format!("set -euo pipefail\n{block}"))
        .current_dir(&dir)
        .env("PORT", port)
        .env("SILOSCOPE", env!("CARGO_BIN_EXE_siloscope"));
    for (name, _) in std::env::vars() {
        if name.starts_with("SILOSCOPE_") {
            command.env_remove(name);
        }
    }
    // Off the runtime: the server answering the script runs on this test's runtime.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Value> = serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter::<Value>()
        .map(|v| v.unwrap())
        .collect();
    assert_eq!(
        answers.len(),
        11,
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    for answer in &answers {
        assert!(answer.get("errors").is_none(), "{answer}");
        assert!(answer.get("data").is_some(), "{answer}");
    }
}
