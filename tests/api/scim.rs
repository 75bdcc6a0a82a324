//! SCIM 2.0 as identity providers use it: the request sequences Entra ID and Okta
//! document for provisioning, replayed; filters, paging, membership and isolation.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

/// A SCIM client of one organization, with an API key.
struct Scim<'a> {
    app: &'a TestApp,
    key: String,
}

impl<'a> Scim<'a> {
    async fn new(app: &'a TestApp, org_token: &str, roles: &[&str]) -> Scim<'a> {
        let (_, body) = app
            .post(
                Some(org_token),
                "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { message } } }",
                json!({ "input": { "name": format!("scim-{}", roles.join("-")), "roles": roles } }),
            )
            .await;
        let key = body["data"]["createApiKey"]["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        Scim { app, key }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/scim/v2{path}", self.app.address);
        let mut request = self
            .app
            .client
            .request(method.parse().unwrap(), url)
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        if status != 204 {
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                kind.starts_with("application/scim+json"),
                "{method} {path}: {kind}"
            );
        }
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None).await
    }
}

fn filter(expression: &str) -> String {
    url_encode(expression)
}

fn url_encode(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)]).unwrap()[2..].to_owned()
}

fn patch(operations: Value) -> Value {
    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations })
}

/// What GraphQL says of a person (by email).
async fn person(app: &TestApp, email: &str) -> Value {
    let data = app
        .gql(
            "query($n: String) { people(first: 5, filter: { name: $n }) { nodes { name email title archived externalId function { name } } } }",
            json!({ "n": email }),
        )
        .await;
    data["people"]["nodes"][0].clone()
}

#[tokio::test]
async fn entra_id_provisions_people_and_groups_as_it_documents() {
    let app = spawn_app().await;
    let scim = Scim::new(&app, &app.admin(), &["INTEGRATION"]).await;

    // Test connection: a filter on a random userName finds nothing.
    let (status, body) = scim
        .get(&format!(
            "/Users?filter={}",
            filter("userName eq \"1b7a7b9e-2c5b-43c4-a1ef-7cb3d7e4c44f\"")
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalResults"], 0);
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );

    // Create a user (Entra's own payload, `roles` and `formatted` included).
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee@testuser.com",
        "active": true,
        "displayName": "Test User",
        "emails": [{ "primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com" }],
        "meta": { "resourceType": "User" },
        "name": { "formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName" },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "Billing" },
        "roles": []
    });
    let (status, created) = scim.call("POST", "/Users", Some(user.clone())).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["userName"], "Test_User_ab6490ee@testuser.com");
    assert_eq!(created["name"]["givenName"], "givenName");
    assert!(created["meta"]["location"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/scim/v2/Users/{id}")));
    // The same userName again is a uniqueness conflict.
    let (status, conflict) = scim.call("POST", "/Users", Some(user)).await;
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(conflict["scimType"], "uniqueness");
    assert_eq!(conflict["status"], "409");

    // Get it by userName (case-insensitively) and by externalId.
    for expression in [
        "userName eq \"test_user_AB6490EE@testuser.com\"",
        "externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"",
    ] {
        let (_, found) = scim
            .get(&format!("/Users?filter={}", filter(expression)))
            .await;
        assert_eq!(found["totalResults"], 1, "{expression}: {found}");
        assert_eq!(found["Resources"][0]["id"], id.as_str());
    }

    // Update the multi-valued and single-valued attributes as Entra sends them.
    let (status, updated) = scim
        .call(
            "PATCH",
            &format!("/Users/{id}"),
            Some(patch(json!([
                { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@testuser.com" },
                { "op": "Replace", "path": "name.familyName", "value": "updatedFamilyName" },
                { "op": "Replace", "path": "userName", "value": "5b50642d@testuser.com" },
            ]))),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["emails"][0]["value"], "updatedEmail@testuser.com");
    assert_eq!(updated["name"]["familyName"], "updatedFamilyName");
    assert_eq!(updated["userName"], "5b50642d@testuser.com");
    // A replace without a path whose keys are paths, booleans as strings.
    let (status, updated) = scim
        .call(
            "PATCH",
            &format!("/Users/{id}"),
            Some(patch(json!([{ "op": "replace", "value": {
                "displayName": "Ana Lima",
                "name.givenName": "Ana",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Support",
                "title": "Agent",
                "active": "False"
            } }]))),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["active"], false);
    assert_eq!(updated["name"]["givenName"], "Ana");
    assert_eq!(
        updated["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Support"
    );
    let ana = person(&app, "updatedEmail@testuser.com").await;
    assert_eq!(ana["name"], "Ana Lima");
    assert_eq!(ana["title"], "Agent");
    assert_eq!(ana["archived"], true, "active=false archives");
    // Enable again.
    let (_, updated) = scim
        .call(
            "PATCH",
            &format!("/Users/{id}"),
            Some(patch(
                json!([{ "op": "Replace", "path": "active", "value": true }]),
            )),
        )
        .await;
    assert_eq!(updated["active"], true);

    // Groups: create, read without members, find by displayName, rename.
    let (status, group) = scim
        .call(
            "POST",
            "/Groups",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "Billing Team",
                "meta": { "resourceType": "Group" }
            })),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group_id = group["id"].as_str().unwrap().to_owned();
    assert_eq!(
        group["urn:siloscope:params:scim:schemas:extension:2.0:Function"]["isCxTeam"],
        false
    );
    let (_, read) = scim
        .get(&format!("/Groups/{group_id}?excludedAttributes=members"))
        .await;
    assert_eq!(read["displayName"], "Billing Team");
    assert!(read.get("members").is_none());
    let (_, found) = scim
        .get(&format!(
            "/Groups?excludedAttributes=members&filter={}",
            filter("displayName eq \"billing team\"")
        ))
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let (status, _) = scim
        .call(
            "PATCH",
            &format!("/Groups/{group_id}"),
            Some(patch(
                json!([{ "op": "Replace", "path": "displayName", "value": "Billing" }]),
            )),
        )
        .await;
    assert_eq!(status, 200);

    // Add the member, then remove it with a value filter.
    let (status, with_member) = scim
        .call(
            "PATCH",
            &format!("/Groups/{group_id}"),
            Some(patch(json!([{ "op": "Add", "path": "members", "value": [{ "$ref": null, "value": id }] }]))),
        )
        .await;
    assert_eq!(status, 200, "{with_member}");
    assert_eq!(with_member["members"][0]["value"], id.as_str());
    assert_eq!(
        person(&app, "updatedEmail@testuser.com").await["function"]["name"],
        "Billing"
    );
    let (_, without) = scim
        .call(
            "PATCH",
            &format!("/Groups/{group_id}"),
            Some(patch(
                json!([{ "op": "Remove", "path": format!("members[value eq \"{id}\"]") }]),
            )),
        )
        .await;
    assert!(without.get("members").is_none(), "{without}");
    assert!(person(&app, "updatedEmail@testuser.com").await["function"].is_null());

    // Delete the user: gone from the directory, kept in history as archived.
    let (status, _) = scim.call("DELETE", &format!("/Users/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, gone) = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(
        gone["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(
        person(&app, "updatedEmail@testuser.com").await["archived"],
        true
    );
    // ... and provisioned again, the same person comes back.
    let (status, back) = scim
        .call(
            "POST",
            "/Users",
            Some(
                json!({ "userName": "5b50642d@testuser.com", "displayName": "Ana Lima",
                         "emails": [{ "value": "updatedEmail@testuser.com" }], "active": true }),
            ),
        )
        .await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(back["id"], id.as_str());
    assert_eq!(
        person(&app, "updatedEmail@testuser.com").await["archived"],
        false
    );

    // Delete the group: archived, kept in history.
    let (status, _) = scim
        .call("DELETE", &format!("/Groups/{group_id}"), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(scim.get(&format!("/Groups/{group_id}")).await.0, 404);

    // Every change is in the audit trail under the key's name.
    let events = app
        .gql("{ auditEvents(first: 100, filter: { actor: \"scim-INTEGRATION\" }) { edges { node { action actorKind } } } }", json!({}))
        .await;
    let actions: Vec<&str> = events["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    for action in [
        "person.create",
        "person.update",
        "person.delete",
        "function.create",
        "membership.add",
        "membership.remove",
        "function.delete",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn okta_provisions_deactivates_and_reactivates_as_it_documents() {
    let app = spawn_app().await;
    let scim = Scim::new(&app, &app.admin(), &["INTEGRATION"]).await;
    let (status, found) = scim
        .get(&format!(
            "/Users?filter={}&startIndex=1&count=100",
            filter("userName eq \"test.user@okta.local\"")
        ))
        .await;
    assert_eq!((status, found["totalResults"].as_i64()), (200, Some(0)));
    // Okta's create, with attributes siloscope does not keep (they are ignored).
    let okta_user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "test.user@okta.local",
        "name": { "givenName": "Test", "familyName": "User" },
        "emails": [{ "primary": true, "value": "test.user@okta.local", "type": "work" }],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    });
    let (status, created) = scim.call("POST", "/Users", Some(okta_user.clone())).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created.get("password").is_none());
    let (status, read) = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(
        (status, read["displayName"].as_str()),
        (200, Some("Test User"))
    );
    // A profile update is a PUT of the whole user.
    let mut replaced = okta_user.clone();
    replaced["name"]["familyName"] = json!("Userson");
    replaced["displayName"] = json!("Test Userson");
    replaced["title"] = json!("Analyst");
    let (status, updated) = scim
        .call("PUT", &format!("/Users/{id}"), Some(replaced))
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"]["familyName"], "Userson");
    assert_eq!(updated["title"], "Analyst");
    // Deactivate, then reactivate: replace with a value object and no path.
    for active in [false, true] {
        let (status, changed) = scim
            .call(
                "PATCH",
                &format!("/Users/{id}"),
                Some(patch(
                    json!([{ "op": "replace", "value": { "active": active } }]),
                )),
            )
            .await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(changed["active"], active);
        assert_eq!(
            person(&app, "test.user@okta.local").await["archived"],
            !active
        );
    }

    // Groups as Okta pushes them; a person in two groups stays in both.
    let mut groups = Vec::new();
    for name in ["Sales", "Support"] {
        let (status, group) = scim
            .call("POST", "/Groups", Some(json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name, "members": [] })))
            .await;
        assert_eq!(status, 201, "{group}");
        groups.push(group["id"].as_str().unwrap().to_owned());
    }
    for group in &groups {
        let (status, _) = scim
            .call(
                "PATCH",
                &format!("/Groups/{group}"),
                Some(patch(json!([{ "op": "add", "path": "members", "value": [{ "value": id, "display": "test.user@okta.local" }] }]))),
            )
            .await;
        assert_eq!(status, 200);
    }
    for group in &groups {
        let (_, read) = scim.get(&format!("/Groups/{group}")).await;
        assert_eq!(
            read["members"][0]["value"],
            id.as_str(),
            "member of both: {read}"
        );
    }
    // Their function is the first they joined; leaving it hands them the next.
    assert_eq!(
        person(&app, "test.user@okta.local").await["function"]["name"],
        "Sales"
    );
    let (status, _) = scim
        .call(
            "PATCH",
            &format!("/Groups/{}", groups[0]),
            Some(patch(
                json!([{ "op": "remove", "path": format!("members[value eq \"{id}\"]") }]),
            )),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        person(&app, "test.user@okta.local").await["function"]["name"],
        "Support"
    );
    // Okta renames a group with a replace whose value holds the id.
    let (status, renamed) = scim
        .call(
            "PATCH",
            &format!("/Groups/{}", groups[1]),
            Some(patch(json!([{ "op": "replace", "value": { "id": groups[1], "displayName": "Customer Support" } }]))),
        )
        .await;
    assert_eq!(
        (status, renamed["displayName"].as_str()),
        (200, Some("Customer Support"))
    );
    // A group name taken is a uniqueness conflict.
    let (status, conflict) = scim
        .call(
            "POST",
            "/Groups",
            Some(json!({ "displayName": "customer support" })),
        )
        .await;
    assert_eq!(
        (status, conflict["scimType"].as_str()),
        (409, Some("uniqueness"))
    );
}

#[tokio::test]
async fn filters_paging_projections_and_errors_follow_rfc_7644() {
    let app = spawn_app().await;
    let scim = Scim::new(&app, &app.admin(), &["INTEGRATION"]).await;
    for i in 0..5 {
        let (status, _) = scim
            .call(
                "POST",
                "/Users",
                Some(json!({ "userName": format!("user{i}@x.test"), "displayName": format!("User {i}"),
                             "externalId": format!("ext-{i}"), "emails": [{ "value": format!("user{i}@x.test") }], "active": true })),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (_, page) = scim.get("/Users?startIndex=2&count=2").await;
    assert_eq!(page["totalResults"], 5);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 2);
    assert_eq!(page["Resources"][0]["userName"], "user1@x.test");
    let (_, both) = scim
        .get(&format!(
            "/Users?filter={}",
            filter("userName eq \"user3@x.test\" and externalId eq \"ext-3\"")
        ))
        .await;
    assert_eq!(both["totalResults"], 1);
    let (_, neither) = scim
        .get(&format!(
            "/Users?filter={}",
            filter("userName eq \"user3@x.test\" and externalId eq \"ext-4\"")
        ))
        .await;
    assert_eq!(neither["totalResults"], 0);
    let (status, refused) = scim
        .get(&format!("/Users?filter={}", filter("title co \"x\"")))
        .await;
    assert_eq!(
        (status, refused["scimType"].as_str()),
        (400, Some("invalidFilter"))
    );
    let (status, refused) = scim
        .get(&format!("/Users?filter={}", filter("userName eq")))
        .await;
    assert_eq!(
        (status, refused["scimType"].as_str()),
        (400, Some("invalidFilter"))
    );
    let (_, slim) = scim.get("/Users?attributes=userName&count=1").await;
    let keys: Vec<&String> = slim["Resources"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["id", "schemas", "userName"], "{slim}");
    let (_, searched) = scim
        .call(
            "POST",
            "/Users/.search",
            Some(
                json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                         "filter": "externalId eq \"ext-2\"", "excludedAttributes": ["emails"] }),
            ),
        )
        .await;
    assert_eq!(searched["totalResults"], 1);
    assert!(searched["Resources"][0].get("emails").is_none());
    // Bad bodies and bad patches are refused with SCIM errors, changing nothing.
    let (status, bad) = scim
        .call(
            "POST",
            "/Users",
            Some(json!({ "displayName": "no user name" })),
        )
        .await;
    assert_eq!(
        (status, bad["scimType"].as_str()),
        (400, Some("invalidValue"))
    );
    let (status, bad) = scim
        .call(
            "PATCH",
            "/Users/1",
            Some(patch(
                json!([{ "op": "frobnicate", "path": "title", "value": "x" }]),
            )),
        )
        .await;
    assert_eq!(
        (status, bad["scimType"].as_str()),
        (400, Some("invalidValue"))
    );
    let (status, _) = scim.get("/Users/999999").await;
    assert_eq!(status, 404);
    let (status, bad) = scim
        .call(
            "POST",
            "/Groups",
            Some(json!({ "displayName": "Ghosts", "members": [{ "value": "999999" }] })),
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(
        scim.get(&format!(
            "/Groups?filter={}",
            filter("displayName eq \"Ghosts\"")
        ))
        .await
        .1["totalResults"],
        0
    );
}

#[tokio::test]
async fn scim_needs_a_provisioning_role_and_sees_one_organization() {
    let app = spawn_app().await;
    let acme = Scim::new(&app, &app.admin(), &["INTEGRATION"]).await;
    let (status, _) = acme
        .call("POST", "/Users", Some(json!({ "userName": "ana@acme.test", "displayName": "Ana", "emails": [{ "value": "ana@acme.test" }], "active": true })))
        .await;
    assert_eq!(status, 201);
    let other_admin = app.token("other", &[api::server::auth::AccessRole::Admin]);
    let other = Scim::new(&app, &other_admin, &["ADMIN"]).await;
    let (_, found) = other.get("/Users").await;
    assert_eq!(
        found["totalResults"], 0,
        "another organization sees nothing"
    );
    let (status, _) = other.get("/Users/1").await;
    assert_eq!(status, 404);
    let viewer = Scim::new(&app, &app.admin(), &["VIEWER"]).await;
    let (status, refused) = viewer.get("/Users").await;
    assert_eq!((status, refused["status"].as_str()), (403, Some("403")));
    let response = app
        .client
        .get(format!("{}/scim/v2/Users", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

/// RFC 7644 §3.12: a resource that does not exist, was deleted, or is another
/// organization's is 404 on every verb, so an identity provider treats a DELETE as
/// done instead of retrying it. Deleting a Group ends its memberships, recorded.
#[tokio::test]
async fn missing_deleted_and_foreign_ids_are_404_and_a_deleted_group_keeps_no_members() {
    let app = spawn_app().await;
    let acme = Scim::new(&app, &app.admin(), &["INTEGRATION"]).await;
    let (_, user) = acme
        .call("POST", "/Users", Some(json!({ "userName": "ana@acme.test", "displayName": "Ana", "emails": [{ "value": "ana@acme.test" }], "active": true })))
        .await;
    let user_id = user["id"].as_str().unwrap().to_owned();
    let (_, group) = acme
        .call("POST", "/Groups", Some(json!({ "displayName": "Billing", "externalId": "g-bil", "members": [{ "value": user_id }] })))
        .await;
    let group_id = group["id"].as_str().unwrap().to_owned();
    let shown = |data: &Value| data["people"]["nodes"][0].clone();
    let ana = app
        .gql(
            "{ people(first: 5) { nodes { functions { name } function { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(shown(&ana)["functions"], json!([{ "name": "Billing" }]));

    // Another organization's ids, and ids that never were: 404 for every verb.
    let other_admin = app.token("other", &[api::server::auth::AccessRole::Admin]);
    let other = Scim::new(&app, &other_admin, &["ADMIN"]).await;
    let put_user =
        json!({ "userName": "x@y.test", "emails": [{ "value": "x@y.test" }], "active": true });
    let put_group = json!({ "displayName": "X" });
    let replace = patch(json!([{ "op": "replace", "path": "displayName", "value": "Y" }]));
    for (client, id) in [
        (&other, user_id.as_str()),
        (&acme, "999999"),
        (&acme, "not-an-id"),
    ] {
        for (method, body) in [
            ("GET", None),
            ("PUT", Some(put_user.clone())),
            ("PATCH", Some(replace.clone())),
            ("DELETE", None),
        ] {
            let (status, answer) = client.call(method, &format!("/Users/{id}"), body).await;
            assert_eq!(status, 404, "{method} /Users/{id}: {answer}");
        }
    }
    for (method, body) in [
        ("PUT", Some(put_group.clone())),
        ("PATCH", Some(replace.clone())),
        ("DELETE", None),
    ] {
        let (status, answer) = other
            .call(method, &format!("/Groups/{group_id}"), body)
            .await;
        assert_eq!(
            status, 404,
            "{method} another organization's group: {answer}"
        );
    }

    // Deleting the group ends its memberships, each recorded.
    let (status, _) = acme
        .call("DELETE", &format!("/Groups/{group_id}"), None)
        .await;
    assert_eq!(status, 204);
    let ana = app
        .gql(
            "{ people(first: 5) { nodes { functions { name } function { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(shown(&ana)["functions"], json!([]));
    assert_eq!(
        shown(&ana)["function"],
        Value::Null,
        "the archived group is nobody's function"
    );
    let removed = app
        .gql(
            "{ auditEvents(first: 10, filter: { action: \"membership.remove\" }) { edges { node { entityId before } } } }",
            json!({}),
        )
        .await;
    let events = removed["auditEvents"]["edges"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{removed}");
    let before: Value =
        serde_json::from_str(events[0]["node"]["before"].as_str().unwrap()).unwrap();
    assert_eq!(
        (before["function"].as_str(), before["person"].as_str()),
        (Some("Billing"), Some("Ana")),
        "{before}"
    );
    assert!(before.get("organization_id").is_none(), "{before}");
    // Every id in the audit trail of what still exists resolves (the membership
    // itself is gone; the deleted group stays, archived, for history).
    let deleted = app
        .gql(
            "{ auditEvents(first: 1, filter: { action: \"function.delete\" }) { edges { node { entityId } } } }",
            json!({}),
        )
        .await;
    let group_event = deleted["auditEvents"]["edges"][0]["node"]["entityId"].clone();
    for id in [
        group_event.as_str().unwrap(),
        before["function_id"].as_str().unwrap(),
        before["person_id"].as_str().unwrap(),
    ] {
        let node = app
            .gql(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(node["node"]["id"], id, "{node}");
    }

    // Deleted now: 404 for every verb, DELETE included.
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(put_group)),
        ("PATCH", Some(replace)),
        ("DELETE", None),
    ] {
        let (status, answer) = acme
            .call(method, &format!("/Groups/{group_id}"), body)
            .await;
        assert_eq!(status, 404, "{method} a deleted group: {answer}");
    }
}
