//! Spawning the app and talking to it.

use api::server::auth::{AccessRole, TokenKeys};
use api::server::config::{JwtSettings, Settings};
use api::startup::Application;
use sea_orm::Database;
use serde_json::{json, Value};
use service::storage::db::{Db, OwnerWork};

/// The server's PostgreSQL admin URL, when the tests run on PostgreSQL.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("SILOSCOPE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub const SECRET: &str = "test-secret-that-is-long-enough-0123456789";

/// A running app with one organization `acme` (and `other` for isolation tests).
pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    keys: TokenKeys,
    settings: Settings,
    _database: std::sync::Arc<TestDatabase>,
}

/// A database that goes away with the test.
pub type TestDatabase = service::storage::scratch::Scratch;

/// A fresh, empty database (SQLite, or PostgreSQL when SILOSCOPE_TEST_POSTGRES_URL is
/// set): its URL, and the guard that drops it.
pub async fn database() -> (String, TestDatabase) {
    service::storage::scratch::Scratch::create(postgres_admin_url().as_deref())
        .await
        .expect("a scratch database")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with settings changed by `configure` first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (url, guard) = database().await;
    let mut settings = Settings {
        database_url: url,
        database_pooler: false,
        database_direct_url: None,
        listen: "127.0.0.1:0".parse().unwrap(),
        jwt: JwtSettings::hs256(SECRET),
        log: "warn".into(),
        log_json: false,
        db_max_connections: 5,
        limits: api::server::config::Limits::default(),
        shutdown_grace_seconds: 5,
        metrics_token: None,
        metrics_listen: None,
        otlp_endpoint: None,
        cors_origins: Vec::new(),
        documents: Default::default(),
        retention_interval: std::time::Duration::from_secs(3600),
    };
    configure(&mut settings);
    let db = service::upgrade::open(&settings.database(5), true)
        .await
        .unwrap();
    for (slug, name) in [("acme", "Acme"), ("other", "Other Org")] {
        service::model::organization::create(&db.owner(OwnerWork::Organizations), slug, name)
            .await
            .unwrap();
    }
    let app = Application::with_database(&settings, db).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        database_url: settings.database_url.clone(),
        client: reqwest::Client::new(),
        keys: TokenKeys::new(&settings.jwt),
        settings,
        _database: std::sync::Arc::new(guard),
    }
}

impl TestApp {
    /// Another server on the same database, as a second replica would be.
    pub async fn replica(&self) -> TestApp {
        let db = service::upgrade::open(&self.settings.database(5), false)
            .await
            .unwrap();
        let app = Application::with_database(&self.settings, db)
            .await
            .unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            database_url: self.database_url.clone(),
            client: reqwest::Client::new(),
            keys: TokenKeys::new(&self.settings.jwt),
            settings: self.settings.clone(),
            _database: self._database.clone(),
        }
    }

    /// The service's handle on the test's database, as another process would open it.
    pub async fn service_db(&self) -> Db {
        service::upgrade::open(&self.settings.database(2), false)
            .await
            .unwrap()
    }

    /// A plain connection as the database's owner, for checks that look beneath the
    /// service (row counts, raw rows).
    pub async fn raw_db(&self) -> sea_orm::DatabaseConnection {
        Database::connect(&self.database_url).await.unwrap()
    }

    /// The id of organization `slug`.
    pub async fn organization_id(&self, slug: &str) -> i64 {
        let db = self.service_db().await;
        service::model::organization::find_by_slug(&db.owner(OwnerWork::Organizations), slug)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    pub fn token(&self, org: &str, roles: &[AccessRole]) -> String {
        self.keys.mint("tester", org, roles, 3600).unwrap()
    }

    /// A token of `acme` for `subject` with one role.
    pub fn keys_mint(&self, subject: &str, role: AccessRole) -> String {
        self.keys.mint(subject, "acme", &[role], 3600).unwrap()
    }

    pub fn admin(&self) -> String {
        self.token("acme", &[AccessRole::Admin])
    }

    /// Posts a GraphQL operation with an optional token; returns status and body.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Runs an operation as admin of `acme` and returns `data`, failing on errors.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let (_, body) = self.post(Some(&self.admin()), query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Creates a function and returns its id.
    pub async fn create_function(&self, name: &str, is_cx: bool) -> String {
        let data = self
            .gql(
                "mutation($input: CreateFunctionInput!) { createFunction(input: $input) { function { id } userErrors { code } } }",
                json!({ "input": { "name": name, "isCxTeam": is_cx } }),
            )
            .await;
        data["createFunction"]["function"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a touchpoint and returns its id.
    pub async fn create_touchpoint(&self, name: &str) -> String {
        let data = self
            .gql(
                "mutation($input: CreateTouchpointInput!) { createTouchpoint(input: $input) { touchpoint { id } } }",
                json!({ "input": { "name": name, "channel": "PHONE" } }),
            )
            .await;
        data["createTouchpoint"]["touchpoint"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn assign(&self, touchpoint: &str, function: &str, role: &str) {
        let data = self
            .gql(
                "mutation($input: AssignResponsibilityInput!) { assignResponsibility(input: $input) { userErrors { message } } }",
                json!({ "input": { "touchpointId": touchpoint, "functionId": function, "role": role } }),
            )
            .await;
        assert_eq!(data["assignResponsibility"]["userErrors"], json!([]));
    }

    /// Records interactions as admin; returns the payload.
    pub async fn record(&self, items: Value) -> Value {
        let data = self
            .gql(
                "mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { recorded duplicates newSiloHandoffs userErrors { code path message } } }",
                json!({ "input": items }),
            )
            .await;
        data["recordInteractions"].clone()
    }
}

/// An interaction input by function and touchpoint name.
pub fn item(
    external_id: &str,
    case_ref: &str,
    at: &str,
    function: &str,
    touchpoint: Option<&str>,
    note: Option<&str>,
) -> Value {
    json!({
        "externalId": external_id,
        "caseRef": case_ref,
        "occurredAt": at,
        "function": { "name": function },
        "touchpoint": touchpoint.map(|t| json!({ "name": t })),
        "note": note,
    })
}
