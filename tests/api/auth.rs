//! Every request is authenticated and scoped to the token's organization.

use api::server::auth::AccessRole;
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

/// The front page leads to the dashboard.
#[tokio::test]
async fn the_root_leads_to_the_dashboard() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    assert_eq!(response.headers()["location"], "/dashboard");
}

/// Metrics name organizations: by default they are not served at all, and with a
/// metrics token only to its bearer.
#[tokio::test]
async fn metrics_are_closed_without_configuration() {
    let app = spawn_app().await;
    app.create_function("Sales", false).await;
    let metrics = format!("{}/metrics", app.address);
    for token in [None, Some(app.admin())] {
        let mut request = app.client.get(&metrics);
        if let Some(token) = &token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 404);
        let text = response.text().await.unwrap();
        assert!(text.contains("SILOSCOPE_METRICS_TOKEN"), "{text}");
        assert!(!text.contains("acme"), "{text}");
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

/// An identity provider's JWKS endpoint: serves `keys`, counts its fetches.
struct Jwks {
    keys: std::sync::Arc<std::sync::Mutex<jsonwebtoken::jwk::JwkSet>>,
    fetches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    url: String,
}

async fn jwks_server() -> Jwks {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let keys = std::sync::Arc::new(std::sync::Mutex::new(jsonwebtoken::jwk::JwkSet {
        keys: Vec::new(),
    }));
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (served, counted) = (keys.clone(), fetches.clone());
    let server = HttpServer::new(move || {
        let (served, counted) = (served.clone(), counted.clone());
        App::new().route(
            "/jwks",
            web::get().to(move || {
                let (served, counted) = (served.clone(), counted.clone());
                async move {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let body = serde_json::to_string(&*served.lock().unwrap()).unwrap();
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/jwks", server.addrs()[0]);
    tokio::spawn(server.run());
    Jwks { keys, fetches, url }
}

#[tokio::test]
async fn jwks_urls_are_fetched_when_needed_and_again_for_a_new_kid() {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    use std::sync::atomic::Ordering;

    let provider = jwks_server().await;
    let key = |pem: &str| EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let first = key(include_str!("../../api/testdata/jwt/rsa-private.pem"));
    let second = key(include_str!("../../api/testdata/jwt/other-rsa-private.pem"));
    let publish = |kids: &[(&str, &EncodingKey)]| {
        let keys = kids
            .iter()
            .map(|(kid, k)| {
                let mut jwk = Jwk::from_encoding_key(k, Algorithm::RS256).unwrap();
                jwk.common.key_id = Some((*kid).to_owned());
                jwk
            })
            .collect();
        *provider.keys.lock().unwrap() = jsonwebtoken::jwk::JwkSet { keys };
    };
    publish(&[("k1", &first)]);
    let url = provider.url.clone();
    let app = crate::helpers::spawn_app_with(move |settings| {
        settings.jwt = api::server::config::JwtSettings {
            algorithm: Algorithm::RS256,
            jwks_url: Some(url),
            roles_claim: "realm_access.roles".into(),
            ..api::server::config::JwtSettings::default()
        };
    })
    .await;
    let sign = |kid: &str, k: &EncodingKey| {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        let claims = json!({
            "sub": "idp-user", "org": "acme", "exp": chrono::Utc::now().timestamp() + 600,
            "realm_access": { "roles": ["viewer"] }
        });
        encode(&header, &claims, k).unwrap()
    };
    let ask = |token: String| {
        let app = &app;
        async move {
            app.post(Some(&token), "{ viewer { subject roles } }", json!({}))
                .await
        }
    };
    let (status, body) = ask(sign("k1", &first)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["roles"], json!(["VIEWER"]));
    let (status, _) = ask(sign("k1", &first)).await;
    assert_eq!(status, 200);
    assert_eq!(
        provider.fetches.load(Ordering::SeqCst),
        1,
        "the keys are cached"
    );

    // The provider rotates to k2: a token naming it triggers a refetch, but not
    // before the minimum interval since the last fetch has passed.
    publish(&[("k1", &first), ("k2", &second)]);
    let (status, body) = ask(sign("k2", &second)).await;
    assert_eq!(status, 401, "refetching at most every 10 s: {body}");
    tokio::time::sleep(std::time::Duration::from_millis(10_100)).await;
    let (status, body) = ask(sign("k2", &second)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);

    // A token naming an unknown key, or signed with the wrong one, is refused.
    let (status, body) = ask(sign("k9", &first)).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (status, _) = ask(sign("k2", &first)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn every_query_and_mutation_refuses_another_organizations_ids() {
    let app = spawn_app().await;
    let f = app.create_function("Sales", false).await;
    let data = app
        .gql(
            &format!("mutation {{ createPerson(input: {{name: \"Ana\", email: \"ana@acme.example\", functionId: \"{f}\"}}) {{ person {{ id }} }} createJourney(input: {{name: \"Buying\", stages: [\"Start\"]}}) {{ journey {{ id stages {{ id }} }} }} }}"),
            json!({}),
        )
        .await;
    let p = data["createPerson"]["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let j = data["createJourney"]["journey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let s = data["createJourney"]["journey"]["stages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = app.create_touchpoint("Sales call").await;
    let data = app
        .gql(
            &format!("mutation {{ assignResponsibility(input: {{touchpointId: \"{t}\", functionId: \"{f}\", role: ACCOUNTABLE, personId: \"{p}\"}}) {{ responsibility {{ id }} }} }}"),
            json!({}),
        )
        .await;
    let r = data["assignResponsibility"]["responsibility"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let recorded = app
        .record(
            json!([{ "externalId": "a-1", "caseRef": "CASE-A", "occurredAt": "2026-01-01T10:00:00Z",
            "function": { "id": f }, "touchpoint": { "id": t }, "personId": p }]),
        )
        .await;
    assert_eq!(recorded["recorded"], 1);

    let other = app.token("other", &[AccessRole::Admin]);
    let ask = |query: String| {
        let (app, other) = (&app, other.clone());
        async move {
            let (status, body) = app.post(Some(&other), &query, json!({})).await;
            assert_eq!(status, 200, "{query}: {body}");
            body
        }
    };

    // Reads by id, by node, by case reference, and lists: nothing of acme's.
    let body = ask(format!(
        "{{ function(id: \"{f}\") {{ id }} person(id: \"{p}\") {{ id }} journey(id: \"{j}\") {{ id }} \
         touchpoint(id: \"{t}\") {{ id }} responsibility(id: \"{r}\") {{ id }} \
         nf: node(id: \"{f}\") {{ id }} np: node(id: \"{p}\") {{ id }} nj: node(id: \"{j}\") {{ id }} \
         ns: node(id: \"{s}\") {{ id }} nt: node(id: \"{t}\") {{ id }} nr: node(id: \"{r}\") {{ id }} \
         case(caseRef: \"CASE-A\") {{ caseRef }} }}"
    ))
    .await;
    for (field, value) in body["data"].as_object().unwrap() {
        assert!(value.is_null(), "{field} leaked: {value}");
    }
    let body = ask(
        "{ functions { totalCount } people { totalCount } journeys { totalCount } touchpoints { totalCount } \
         responsibilities { totalCount } handoffs { edges { cursor } } siloReport { totals { interactions cases } } \
         handoffNetwork { edges { count } } ownershipFindings { kind } }"
            .into(),
    )
    .await;
    for list in [
        "functions",
        "people",
        "journeys",
        "touchpoints",
        "responsibilities",
    ] {
        assert_eq!(body["data"][list]["totalCount"], 0, "{list}: {body}");
    }
    assert_eq!(body["data"]["handoffs"]["edges"], json!([]));
    assert_eq!(body["data"]["siloReport"]["totals"]["interactions"], 0);
    assert_eq!(body["data"]["handoffNetwork"]["edges"], json!([]));
    assert_eq!(body["data"]["ownershipFindings"], json!([]));

    // Every mutation that takes an id, given one of acme's: refused, nothing written.
    let mutations = [
        format!("updateFunction(id: \"{f}\", input: {{name: \"Hijacked\"}})"),
        format!("archiveFunction(id: \"{f}\")"),
        format!("createFunction(input: {{name: \"Child\", isCxTeam: false, parentId: \"{f}\"}})"),
        format!("createPerson(input: {{name: \"Spy\", email: \"spy@other.example\", functionId: \"{f}\"}})"),
        format!("updatePerson(id: \"{p}\", input: {{name: \"Hijacked\"}})"),
        format!("archivePerson(id: \"{p}\")"),
        format!("updateJourney(id: \"{j}\", input: {{name: \"Hijacked\"}})"),
        format!("archiveJourney(id: \"{j}\")"),
        format!("addStage(input: {{journeyId: \"{j}\", name: \"Planted\"}})"),
        format!("updateStage(id: \"{s}\", input: {{name: \"Hijacked\"}})"),
        format!("removeStage(id: \"{s}\")"),
        format!("createTouchpoint(input: {{name: \"Planted\", channel: PHONE, stageId: \"{s}\"}})"),
        format!("updateTouchpoint(id: \"{t}\", input: {{name: \"Hijacked\"}})"),
        format!("archiveTouchpoint(id: \"{t}\")"),
        format!("assignResponsibility(input: {{touchpointId: \"{t}\", functionId: \"{f}\", role: RESPONSIBLE}})"),
        format!("updateResponsibility(id: \"{r}\", input: {{personId: null}})"),
        format!("removeResponsibility(id: \"{r}\")"),
        format!("acknowledgeResponsibility(responsibilityId: \"{r}\", personId: \"{p}\")"),
        format!("recordInteractions(input: [{{caseRef: \"CASE-A\", occurredAt: \"2026-01-02T10:00:00Z\", function: {{id: \"{f}\"}}}}])"),
        format!("recordInteractions(input: [{{caseRef: \"X\", occurredAt: \"2026-01-02T10:00:00Z\", function: {{name: \"Sales\"}}, touchpoint: {{id: \"{t}\"}}, personId: \"{p}\"}}])"),
    ];
    for mutation in mutations {
        let body = ask(format!(
            "mutation {{ m: {mutation} {{ userErrors {{ code }} }} }}"
        ))
        .await;
        let errors = body["data"]["m"]["userErrors"].as_array();
        assert!(
            errors.is_some_and(|e| !e.is_empty()),
            "{mutation} was not refused: {body}"
        );
    }

    // acme's rows are as they were.
    let data = app
        .gql(
            &format!("{{ function(id: \"{f}\") {{ name archived }} person(id: \"{p}\") {{ name archived }} \
             journey(id: \"{j}\") {{ name archived stages {{ name }} }} touchpoint(id: \"{t}\") {{ name archived }} \
             responsibility(id: \"{r}\") {{ person {{ name }} acknowledgements {{ acknowledgedAt }} }} \
             siloReport {{ totals {{ interactions }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({
            "function": { "name": "Sales", "archived": false },
            "person": { "name": "Ana", "archived": false },
            "journey": { "name": "Buying", "archived": false, "stages": [{ "name": "Start" }] },
            "touchpoint": { "name": "Sales call", "archived": false },
            "responsibility": { "person": { "name": "Ana" }, "acknowledgements": [] },
            "siloReport": { "totals": { "interactions": 1 } },
        })
    );
}

/// A token whose roles claim holds no siloscope role (none at all, or only names
/// siloscope does not know, as an identity provider's tokens often do) opens no door.
#[tokio::test]
async fn a_token_without_a_known_role_is_refused_on_every_door() {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let app = spawn_app().await;
    let sign = |roles: serde_json::Value| {
        let claims = json!({
            "sub": "someone@example.com", "org": "acme", "roles": roles,
            "exp": chrono::Utc::now().timestamp() + 600,
        });
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(crate::helpers::SECRET.as_bytes()),
        )
        .unwrap()
    };
    for roles in [
        json!([]),
        json!(["offline_access", "uma_authorization"]),
        json!("reader"),
    ] {
        let token = sign(roles.clone());
        let (status, body) = app
            .post(Some(&token), "{ viewer { subject } }", json!({}))
            .await;
        assert_eq!(status, 403, "{roles}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("no role"), "{message}");
        assert!(body.get("data").is_none(), "{body}");
        for (method, path) in [
            ("GET", "/graphql?query=%7Bviewer%7Bsubject%7D%7D"),
            ("GET", "/export/interactions?format=csv"),
            ("POST", "/import/interactions?format=csv"),
            ("GET", "/scim/v2/Users"),
        ] {
            let request = match method {
                "GET" => app.client.get(format!("{}{path}", app.address)),
                _ => app
                    .client
                    .post(format!("{}{path}", app.address))
                    .body("case_ref,occurred_at,function\n"),
            };
            let response = request
                .bearer_auth(&token)
                .header("Accept", "application/json")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 403, "{roles} {method} {path}");
            let text = response.text().await.unwrap();
            assert!(!text.contains("case_ref,"), "{path} answered {text}");
        }
    }
    // The same token with a role known to siloscope is let in.
    let (status, _) = app
        .post(
            Some(&sign(json!(["viewer"]))),
            "{ viewer { subject } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
}
