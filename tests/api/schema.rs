//! The committed schema matches the code.

#[test]
fn the_committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .unwrap_or_default();
    let current = api::graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date: regenerate it with `cargo run -- export-schema --out schema.graphql`"
    );
}

/// Where each of `keys` (as `"key"`) first appears in `text`.
fn positions(text: &str, keys: &[&str]) -> Vec<usize> {
    keys.iter()
        .map(|k| {
            text.find(&format!("\"{k}\""))
                .unwrap_or_else(|| panic!("`{k}` is in {text}"))
        })
        .collect()
}

/// Response fields come in the order the query selected them (GraphQL spec,
/// "Serialized Map Ordering"), at the top and inside objects, although the fields are
/// resolved concurrently (vendor/README.md). The body is read as text: a JSON map type
/// could reorder keys itself.
#[tokio::test]
async fn field_order_follows_the_query() {
    use crate::helpers::{item, spawn_app};
    let app = spawn_app().await;
    app.create_function("Sales", false).await;
    app.create_function("CX", true).await;
    let mut items = Vec::new();
    for month in 1..=12 {
        let case = format!("C-{month}");
        let at = |hour: u32| format!("2025-{month:02}-10T{hour:02}:00:00Z");
        items.push(item(
            &format!("{case}-a"),
            &case,
            &at(9),
            "Sales",
            None,
            None,
        ));
        items.push(item(&format!("{case}-b"), &case, &at(10), "CX", None, None));
    }
    let recorded = app.record(serde_json::Value::Array(items)).await;
    assert_eq!(recorded["recorded"], 24, "{recorded}");

    // Twelve aliased reports, listed from the last month to the first so that the
    // order is not the alphabetical one either; inside, fields in no sorted order.
    let months: Vec<String> = (1..=12).rev().map(|m| format!("m{m:02}")).collect();
    let mut query = String::from("{");
    for (alias, month) in months.iter().zip((1..=12).rev()) {
        let (to_year, to_month) = if month == 12 {
            (2026, 1)
        } else {
            (2025, month + 1)
        };
        query.push_str(&format!(
            " {alias}: siloReport(window: {{ from: \"2025-{month:02}-01T00:00:00Z\", \
             to: \"{to_year}-{to_month:02}-01T00:00:00Z\" }}) \
             {{ totals {{ siloHandoffs cases handoffs deferralsToCx }} window {{ to from }} }}"
        ));
    }
    query.push_str(" viewer { roles organization { slug name } } }");
    let mut expected: Vec<&str> = months.iter().map(String::as_str).collect();
    expected.push("viewer");
    for _ in 0..5 {
        let text = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(app.admin())
            .json(&serde_json::json!({ "query": query }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains("\"errors\""), "{text}");
        let top = positions(&text, &expected);
        assert!(
            top.windows(2).all(|w| w[0] < w[1]),
            "top-level order: {text}"
        );
        let inner = positions(
            &text,
            &[
                "siloHandoffs",
                "cases",
                "handoffs",
                "deferralsToCx",
                "window",
                "to",
                "from",
            ],
        );
        assert!(
            inner.windows(2).all(|w| w[0] < w[1]),
            "nested order: {text}"
        );
        let viewer = &text[text.find("\"viewer\"").unwrap()..];
        let tail = positions(viewer, &["roles", "organization", "slug", "name"]);
        assert!(tail.windows(2).all(|w| w[0] < w[1]), "viewer order: {text}");
    }
}

/// Cursors are typed (a cursor of one list is refused by another), paging runs forward
/// to the end, handoffs have a `totalCount` and are reachable by `node(id:)`, and
/// interactions name their case and person.
#[tokio::test]
async fn lists_cursors_and_nodes() {
    use crate::helpers::{item, spawn_app};
    use serde_json::json;
    let app = spawn_app().await;
    for name in ["A", "B", "C"] {
        app.create_function(name, name == "C").await;
    }
    let ana = app
        .gql(
            "mutation { createPerson(input: { name: \"Ana\", email: \"ana@example.com\" }) { person { id } } }",
            json!({}),
        )
        .await["createPerson"]["person"]["id"]
        .clone();
    let mut first = item("h1", "K-1", "2026-02-01T09:00:00Z", "A", None, None);
    first["personId"] = ana.clone();
    let recorded = app
        .record(json!([
            first,
            item("h2", "K-1", "2026-02-01T10:00:00Z", "C", None, None),
            item("h3", "K-2", "2026-02-02T09:00:00Z", "B", None, None),
            item("h4", "K-2", "2026-02-02T10:00:00Z", "C", None, None),
            item("h5", "K-2", "2026-02-02T11:00:00Z", "A", None, None),
        ]))
        .await;
    assert_eq!(recorded["recorded"], 5, "{recorded}");

    // Paging forward through the functions, two at a time.
    let page = |after: serde_json::Value| {
        let app = &app;
        async move {
            app.gql(
                "query($after: String) { functions(first: 2, after: $after) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }",
                json!({ "after": after }),
            )
            .await["functions"]
                .clone()
        }
    };
    let one = page(json!(null)).await;
    assert_eq!(one["totalCount"], 3);
    assert_eq!(one["nodes"], json!([{ "name": "A" }, { "name": "B" }]));
    assert_eq!(one["pageInfo"]["hasNextPage"], true);
    let two = page(one["pageInfo"]["endCursor"].clone()).await;
    assert_eq!(two["nodes"], json!([{ "name": "C" }]));
    assert_eq!(two["pageInfo"]["hasNextPage"], false);

    // A functions cursor is not a people cursor, nor a handoffs cursor.
    for list in ["people", "handoffs"] {
        let (_, body) = app
            .post(
                Some(&app.admin()),
                &format!("query($after: String) {{ {list}(after: $after) {{ totalCount }} }}"),
                json!({ "after": one["pageInfo"]["endCursor"] }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
    }

    // Handoffs: counted, paged, and each one reachable by its id.
    let handoffs = app
        .gql(
            "{ handoffs(first: 2) { totalCount edges { cursor node { id caseRef flags } } pageInfo { hasNextPage endCursor } } }",
            json!({}),
        )
        .await["handoffs"]
        .clone();
    assert_eq!(handoffs["totalCount"], 3);
    assert_eq!(handoffs["pageInfo"]["hasNextPage"], true);
    let handoff = handoffs["edges"][0]["node"].clone();
    let node = app
        .gql(
            "query($id: ID!) { node(id: $id) { id ... on Handoff { caseRef from { name } to { name } flags } } }",
            json!({ "id": handoff["id"] }),
        )
        .await["node"]
        .clone();
    assert_eq!(node["id"], handoff["id"]);
    assert_eq!(node["caseRef"], "K-1");
    assert_eq!(node["from"]["name"], "A");
    assert_eq!(node["to"]["name"], "C");
    assert_eq!(node["flags"], handoff["flags"]);
    // The first interaction of a case is not a handoff: its id gives null.
    let chain = app
        .gql(
            "{ case(caseRef: \"K-1\") { interactions { id caseRef person { name } } } }",
            json!({}),
        )
        .await;
    let opening = &chain["case"]["interactions"][0];
    assert_eq!(opening["caseRef"], "K-1");
    assert_eq!(opening["person"]["name"], "Ana");
    let interaction_id = opening["id"].as_str().unwrap();
    // The server's codec (this process shares its key) makes the handoff id of the
    // same interaction.
    let (kind, row) = api::graphql::ids::node(interaction_id).unwrap();
    assert_eq!(kind, "Interaction");
    let handoff_id = api::graphql::ids::global_of("Handoff", row).0;
    let none = app
        .gql(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": handoff_id }),
        )
        .await;
    assert_eq!(none["node"], serde_json::Value::Null);
}

/// ARCHITECTURE.md's code map names every folder and module of the crates' sources,
/// so that the map and the rooms cannot drift apart.
#[test]
fn the_code_map_names_every_room() {
    let root = env!("CARGO_MANIFEST_DIR");
    let map = std::fs::read_to_string(format!("{root}/ARCHITECTURE.md")).unwrap_or_default();
    let mut missing = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = ["service/src", "api/src", "rules/src"]
        .iter()
        .map(|d| std::path::Path::new(root).join(d))
        .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !map.contains(&format!("`{name}/`")) && !map.contains(&format!("`{name}/")) {
                    missing.push(format!("{}/", path.display()));
                }
                stack.push(path);
            } else if let Some(module) = name.strip_suffix(".rs") {
                let named = ["mod", "lib"].contains(&module)
                    || map.contains(&format!("`{name}`"))
                    || map.contains(&format!("`{module}`"))
                    || map.contains(&format!("{name} "))
                    || map.contains(&format!("`{name}"))
                    || map.contains(&format!("/{name}`"));
                if !named {
                    missing.push(path.display().to_string());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not name: {missing:#?}"
    );
}
