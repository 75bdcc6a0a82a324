//! CRUD of the organization's model, pagination and user errors.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

#[tokio::test]
async fn functions_are_created_updated_archived_and_listed() {
    let app = spawn_app().await;
    let parent = app.create_function("Commercial", false).await;
    let data = app
        .gql(
            "mutation($p: ID!) { createFunction(input: { name: \"Sales\", parentId: $p, externalId: \"hr-1\" }) { function { id name parent { name } externalId } userErrors { code } } }",
            json!({ "p": parent }),
        )
        .await;
    let sales = data["createFunction"]["function"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        data["createFunction"]["function"]["parent"]["name"],
        "Commercial"
    );
    // Names are unique case-insensitively; nothing is written on a user error.
    let data = app
        .gql("mutation { createFunction(input: { name: \"  sALES \" }) { function { id } userErrors { code path } } }", json!({}))
        .await;
    assert_eq!(
        data["createFunction"],
        json!({ "function": null, "userErrors": [{ "code": "DUPLICATE", "path": ["input", "name"] }] })
    );
    let data = app
        .gql(
            "mutation($id: ID!) { updateFunction(id: $id, input: { name: \"Sales EMEA\", isCxTeam: true, externalId: null }) { function { name isCxTeam externalId } } archiveFunction(id: $id) { function { archived } } }",
            json!({ "id": sales }),
        )
        .await;
    assert_eq!(
        data["updateFunction"]["function"],
        json!({ "name": "Sales EMEA", "isCxTeam": true, "externalId": null })
    );
    assert_eq!(data["archiveFunction"]["function"]["archived"], true);
    let data = app
        .gql("{ live: functions(filter: { archived: false }) { totalCount } named: functions(filter: { name: \"emea\" }) { edges { node { name } } } }", json!({}))
        .await;
    assert_eq!(data["live"]["totalCount"], 1);
    assert_eq!(data["named"]["edges"][0]["node"]["name"], "Sales EMEA");
    // A function cannot sit below itself (Sales is below Commercial already).
    let data = app
        .gql("mutation($id: ID!, $p: ID!) { updateFunction(id: $id, input: { parentId: $p }) { userErrors { code } } }", json!({ "id": parent, "p": sales }))
        .await;
    assert_eq!(data["updateFunction"]["userErrors"][0]["code"], "INVALID");
    let data = app
        .gql("mutation($id: ID!, $p: ID!) { updateFunction(id: $id, input: { parentId: $p }) { userErrors { code } } }", json!({ "id": sales, "p": parent }))
        .await;
    assert_eq!(data["updateFunction"]["userErrors"], json!([]));
}

#[tokio::test]
async fn lists_page_by_cursor_and_refuse_pages_over_a_hundred() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.create_function(&format!("F{i}"), false).await;
    }
    let data = app.gql("{ functions(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }", json!({})).await;
    assert_eq!(data["functions"]["totalCount"], 5);
    assert_eq!(data["functions"]["pageInfo"]["hasNextPage"], true);
    let after = data["functions"]["pageInfo"]["endCursor"].clone();
    let data = app
        .gql("query($a: String) { functions(first: 10, after: $a) { pageInfo { hasNextPage } edges { node { name } } } }", json!({ "a": after }))
        .await;
    let names: Vec<&str> = data["functions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["F2", "F3", "F4"]);
    assert_eq!(data["functions"]["pageInfo"]["hasNextPage"], false);
    for first in [0, -1, 101] {
        let (_, body) = app
            .post(
                Some(&app.admin()),
                "query($f: Int) { functions(first: $f) { totalCount } }",
                json!({ "f": first }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "first = {first}"
        );
    }
}

#[tokio::test]
async fn people_journeys_touchpoints_and_responsibilities_round_trip() {
    let app = spawn_app().await;
    let sales = app.create_function("Sales", false).await;
    let data = app
        .gql(
            "mutation($f: ID!) { createPerson(input: { name: \"Ana\", email: \"Ana@Example.com\", functionId: $f }) { person { id email function { name } } } bad: createPerson(input: { name: \"X\", email: \"nope\" }) { userErrors { code path } } dup: createPerson(input: { name: \"Y\", email: \"ana@example.com\" }) { userErrors { code } } }",
            json!({ "f": sales }),
        )
        .await;
    let ana = data["createPerson"]["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(data["createPerson"]["person"]["function"]["name"], "Sales");
    assert_eq!(
        data["bad"]["userErrors"],
        json!([{ "code": "INVALID", "path": ["input", "email"] }])
    );
    assert_eq!(data["dup"]["userErrors"][0]["code"], "DUPLICATE");

    let data = app
        .gql("mutation { createJourney(input: { name: \"Buy\", stages: [\"Discover\", \"Purchase\"] }) { journey { id stages { id name position } } } }", json!({}))
        .await;
    let journey = &data["createJourney"]["journey"];
    let purchase = journey["stages"][1]["id"].as_str().unwrap().to_owned();
    let data = app
        .gql(
            "mutation($j: ID!, $s: ID!) { addStage(input: { journeyId: $j, name: \"Pay\", position: 0 }) { stage { position } } updateStage(id: $s, input: { name: \"Checkout stage\" }) { stage { name position } } }",
            json!({ "j": journey["id"], "s": purchase }),
        )
        .await;
    assert_eq!(data["addStage"]["stage"]["position"], 0);
    assert_eq!(
        data["updateStage"]["stage"],
        json!({ "name": "Checkout stage", "position": 2 })
    );

    let data = app
        .gql(
            "mutation($s: ID!) { createTouchpoint(input: { name: \"Checkout\", channel: WEB, stageId: $s, experience: [PROMPT, ACCURATE] }) { touchpoint { id channel experience stage { name } } } }",
            json!({ "s": purchase }),
        )
        .await;
    let checkout = data["createTouchpoint"]["touchpoint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        data["createTouchpoint"]["touchpoint"]["experience"],
        json!(["PROMPT", "ACCURATE"])
    );
    let data = app
        .gql(
            "mutation($t: ID!, $f: ID!, $p: ID!) { a: assignResponsibility(input: { touchpointId: $t, functionId: $f, role: ACCOUNTABLE, personId: $p }) { responsibility { id role person { name } } } again: assignResponsibility(input: { touchpointId: $t, functionId: $f, role: ACCOUNTABLE }) { userErrors { code } } }",
            json!({ "t": checkout, "f": sales, "p": ana }),
        )
        .await;
    let responsibility = data["a"]["responsibility"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(data["again"]["userErrors"][0]["code"], "DUPLICATE");
    let data = app
        .gql(
            "mutation($r: ID!, $p: ID!) { acknowledgeResponsibility(responsibilityId: $r, personId: $p) { acknowledgement { person { name } } userErrors { code } } }",
            json!({ "r": responsibility, "p": ana }),
        )
        .await;
    assert_eq!(
        data["acknowledgeResponsibility"]["acknowledgement"]["person"]["name"],
        "Ana"
    );
    let data = app
        .gql(
            "query($f: ID!) { responsibilities(filter: { functionId: $f, role: ACCOUNTABLE }) { totalCount edges { node { touchpoint { name } acknowledgements { person { email } } } } } ownershipFindings { kind } }",
            json!({ "f": sales }),
        )
        .await;
    assert_eq!(data["responsibilities"]["totalCount"], 1);
    assert_eq!(
        data["responsibilities"]["edges"][0]["node"]["acknowledgements"][0]["person"]["email"],
        "Ana@Example.com"
    );
    assert_eq!(
        data["ownershipFindings"],
        json!([{ "kind": "NO_RESPONSIBLE" }])
    );
    let data = app
        .gql(
            "mutation($r: ID!) { removeResponsibility(id: $r) { responsibility { role } } }",
            json!({ "r": responsibility }),
        )
        .await;
    assert_eq!(
        data["removeResponsibility"]["responsibility"]["role"],
        "ACCOUNTABLE"
    );
}

/// A function both ACCOUNTABLE and RESPONSIBLE whose person acknowledged neither gets
/// one UNACKNOWLEDGED finding per role, and every message names the touchpoint and the
/// functions.
#[tokio::test]
async fn findings_name_the_touchpoint_the_functions_and_the_role() {
    let app = spawn_app().await;
    let billing = app.create_function("Billing", false).await;
    let invoice = app.create_touchpoint("Invoice").await;
    app.create_touchpoint("Refund").await;
    app.assign(&invoice, &billing, "ACCOUNTABLE").await;
    app.assign(&invoice, &billing, "RESPONSIBLE").await;
    app.gql(
        "mutation($f: ID!) { createPerson(input: { name: \"Bo\", email: \"bo@example.com\", functionId: $f }) { person { id } } }",
        json!({ "f": billing }),
    )
    .await;
    let findings = app
        .gql(
            "{ ownershipFindings { kind role touchpoint { name } functions { name } message } }",
            json!({}),
        )
        .await["ownershipFindings"]
        .clone();
    let invoice_findings: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["touchpoint"]["name"] == "Invoice")
        .collect();
    assert_eq!(invoice_findings.len(), 2, "{findings}");
    let roles: Vec<&Value> = invoice_findings.iter().map(|f| &f["role"]).collect();
    assert_eq!(roles, [&json!("RESPONSIBLE"), &json!("ACCOUNTABLE")]);
    for finding in &invoice_findings {
        assert_eq!(finding["kind"], "UNACKNOWLEDGED");
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.contains("`Billing`") && message.contains("`Invoice`"),
            "{message}"
        );
        assert!(
            message.contains(finding["role"].as_str().unwrap()),
            "{message}"
        );
    }
    let refund: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["touchpoint"]["name"] == "Refund")
        .collect();
    assert!(!refund.is_empty());
    for finding in refund {
        assert_eq!(finding["role"], Value::Null);
        assert!(finding["message"].as_str().unwrap().contains("`Refund`"));
    }
}
