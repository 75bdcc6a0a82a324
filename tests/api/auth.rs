//! Every request is authenticated and scoped to the token's organization.

use api::auth::AccessRole;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_request_without_a_valid_token_is_unauthenticated() {
    let app = spawn_app().await;
    for token in [
        None,
        Some("not-a-jwt"),
        Some(app.token("nowhere", &[AccessRole::Admin]).as_str()),
    ] {
        let (status, body) = app
            .post(
                token,
                "{ functions { edges { node { name } } } }",
                json!({}),
            )
            .await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn health_endpoints_answer_without_a_token() {
    let app = spawn_app().await;
    for path in ["/livez", "/readyz"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
}

#[tokio::test]
async fn a_viewer_cannot_write_and_is_told_it_is_forbidden() {
    let app = spawn_app().await;
    let viewer = app.token("acme", &[AccessRole::Viewer]);
    let (_, body) = app
        .post(
            Some(&viewer),
            "mutation { createFunction(input: { name: \"Sales\" }) { function { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, body) = app
        .post(
            Some(&viewer),
            "{ viewer { subject roles organization { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["viewer"],
        json!({ "subject": "tester", "roles": ["VIEWER"], "organization": { "slug": "acme" } })
    );
}

#[tokio::test]
async fn another_organizations_token_can_neither_read_nor_change_our_rows() {
    let app = spawn_app().await;
    let sales = app.create_function("Sales", false).await;
    let other = app.token("other", &[AccessRole::Admin]);
    let (_, body) = app
        .post(
            Some(&other),
            "{ functions { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["functions"]["totalCount"], 0);
    let (_, body) = app
        .post(
            Some(&other),
            "query($id: ID!) { function(id: $id) { name } node(id: $id) { id } }",
            json!({ "id": sales }),
        )
        .await;
    assert_eq!(body["data"], json!({ "function": null, "node": null }));
    let (_, body) = app
        .post(
            Some(&other),
            "mutation($id: ID!) { updateFunction(id: $id, input: { name: \"Hijacked\" }) { function { id } userErrors { code } } archiveFunction(id: $id) { userErrors { code } } }",
            json!({ "id": sales }),
        )
        .await;
    assert_eq!(
        body["data"]["updateFunction"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
    assert_eq!(
        body["data"]["archiveFunction"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
    // Recording by name in the other org does not see our function either.
    let (_, body) = app
        .post(
            Some(&other),
            "mutation { recordInteractions(input: [{ caseRef: \"c\", occurredAt: \"2026-01-01T00:00:00Z\", function: { name: \"Sales\" } }]) { recorded userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["recordInteractions"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
    let data = app
        .gql(
            "query($id: ID!) { function(id: $id) { name archived } }",
            json!({ "id": sales }),
        )
        .await;
    assert_eq!(
        data["function"],
        json!({ "name": "Sales", "archived": false })
    );
}
