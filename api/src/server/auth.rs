//! Bearer tokens: what they claim, how they are checked and minted.

use std::collections::HashSet;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::server::config::JwtSettings;
use service::ServiceError;

/// What a token lets its bearer do.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum AccessRole {
    /// Reads everything of the organization.
    Viewer,
    /// Reads, and changes the organization's model (functions, people, journeys,
    /// touchpoints, responsibilities) and records interactions.
    Editor,
    /// For HR, ticketing and CRM syncs: reads, syncs functions and people, records
    /// interactions.
    Integration,
    /// Everything, including the organization's settings.
    Admin,
}

/// The claims of a siloscope token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Who the bearer is (a user name, an email or a service name).
    pub sub: String,
    /// The organization's slug.
    pub org: String,
    pub roles: Vec<AccessRole>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// The authenticated caller of one request.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// The token's `sub`, or the API key's name.
    pub subject: String,
    pub organization_id: i64,
    pub organization_slug: String,
    pub roles: HashSet<AccessRole>,
    /// How the caller proved who it is.
    pub credential: Credential,
    /// The request's id (`X-Request-Id`), for the audit trail.
    pub request_id: Option<String>,
}

/// What a caller presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A signed token.
    Token,
    /// An API key.
    ApiKey,
}

impl AccessRole {
    /// The role's name as tokens, keys and the schema spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessRole::Viewer => "VIEWER",
            AccessRole::Editor => "EDITOR",
            AccessRole::Integration => "INTEGRATION",
            AccessRole::Admin => "ADMIN",
        }
    }

    /// The role named `name`, case-insensitively.
    pub fn named(name: &str) -> Option<AccessRole> {
        [
            AccessRole::Viewer,
            AccessRole::Editor,
            AccessRole::Integration,
            AccessRole::Admin,
        ]
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(name))
    }
}

impl Viewer {
    /// The caller as the audit trail names them.
    pub fn actor(&self) -> service::access::audit::Actor {
        let mut roles: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        roles.sort_unstable();
        service::access::audit::Actor {
            name: self.subject.clone(),
            kind: match self.credential {
                Credential::Token => service::access::audit::ActorKind::Token,
                Credential::ApiKey => service::access::audit::ActorKind::ApiKey,
            },
            roles: roles.into_iter().map(str::to_owned).collect(),
            request_id: self.request_id.clone(),
        }
    }
}

/// Which roles may do what: the one place it is written. The README's role table is
/// [`may::markdown_table`]'s output (a test keeps the two in step).
pub mod may {
    use super::AccessRole::{self, *};

    /// Read everything of the organization.
    pub const READ: &[AccessRole] = &[Viewer, Editor, Integration, Admin];
    /// Create, update and archive functions and people.
    pub const SYNC_PEOPLE: &[AccessRole] = &[Editor, Integration, Admin];
    /// Record interactions (`recordInteractions`).
    pub const RECORD: &[AccessRole] = &[Editor, Integration, Admin];
    /// Import log files over HTTP (bulk recording).
    pub const IMPORT: &[AccessRole] = &[Editor, Integration, Admin];
    /// Provision people and functions over SCIM, or sync a directory.
    pub const PROVISION: &[AccessRole] = &[Editor, Integration, Admin];
    /// Change the rest of the organization's model (journeys, touchpoints,
    /// responsibilities, acknowledgements for anyone) and retract interactions.
    pub const EDIT: &[AccessRole] = &[Editor, Admin];
    /// Change the organization's settings, API keys and webhooks; read the audit
    /// trail; erase and redact personal data.
    pub const ADMINISTER: &[AccessRole] = &[Admin];

    /// Every permission with what it allows, in the README's words.
    pub const TABLE: &[(&str, &[AccessRole])] = &[
        ("read everything; acknowledge their own responsibilities", READ),
        ("create, update and archive functions and people", SYNC_PEOPLE),
        ("record interactions (`recordInteractions`)", RECORD),
        ("import log files (`POST /import/interactions`)", IMPORT),
        ("provision over SCIM (`/scim/v2`); `syncDirectory`", PROVISION),
        (
            "journeys, touchpoints, responsibilities, acknowledgements for anyone; `retractInteractions`",
            EDIT,
        ),
        (
            "settings (`updateSettings`, `setRetention`), API keys, webhooks, the audit trail, `erasePerson`, `redactInteractions`",
            ADMINISTER,
        ),
    ];

    /// [`TABLE`] as the README's markdown table: a row per permission, a column per
    /// role.
    pub fn markdown_table() -> String {
        let roles = [Viewer, Editor, Integration, Admin];
        let mut table = String::from(
            "| may | `VIEWER` | `EDITOR` | `INTEGRATION` | `ADMIN` |\n|---|---|---|---|---|\n",
        );
        for (what, allowed) in TABLE {
            table.push_str(&format!("| {what} |"));
            for role in roles {
                table.push_str(if allowed.contains(&role) {
                    " ✓ |"
                } else {
                    " |"
                });
            }
            table.push('\n');
        }
        table
    }
}

impl Viewer {
    /// Passes when the viewer has one of `roles`; FORBIDDEN otherwise.
    pub fn require(&self, roles: &[AccessRole]) -> Result<(), ServiceError> {
        if roles.iter().any(|r| self.roles.contains(r)) {
            Ok(())
        } else {
            let names: Vec<String> = roles
                .iter()
                .map(|r| format!("{r:?}").to_uppercase())
                .collect();
            Err(ServiceError::forbidden(format!(
                "this needs one of the roles {}",
                names.join(", ")
            )))
        }
    }

    pub fn has(&self, role: AccessRole) -> bool {
        self.roles.contains(&role)
    }
}

/// How far `exp` and `nbf` may be off the server's clock: a token stays valid this
/// long after it expires (README, "Authentication and roles").
pub const CLOCK_SKEW_SECONDS: u64 = 30;

/// Checks bearer tokens as configured: the algorithm is fixed by configuration (never
/// taken from the token), the key is the HS256 secret, a PEM public key, or the key of
/// a JWKS (a file, or a URL fetched when needed and again when a token names an
/// unknown `kid`). `exp` is required and `nbf` honoured (30 s leeway); `iss` and `aud`
/// are required when configured. Organization and roles are read at the configured
/// claim paths. Mints HS256 tokens (for `token` and `demo`).
#[derive(Clone)]
pub struct TokenKeys {
    settings: JwtSettings,
    key: Option<DecodingKey>,
    jwks: Option<std::sync::Arc<Jwks>>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("algorithm", &self.settings.algorithm)
            .field("issuer", &self.settings.issuer)
            .field("audience", &self.settings.audience)
            .finish_non_exhaustive()
    }
}

/// A JWKS: the keys loaded so far and, for a URL, how to fetch them again.
struct Jwks {
    url: Option<String>,
    keys: tokio::sync::RwLock<JwkSet>,
    /// When the URL was last fetched; refetches are at least [`JWKS_REFETCH`] apart.
    fetched: tokio::sync::Mutex<Option<std::time::Instant>>,
}

/// The shortest time between two fetches of a JWKS URL.
const JWKS_REFETCH: std::time::Duration = std::time::Duration::from_secs(10);

impl Jwks {
    async fn fetch(url: &str) -> anyhow::Result<JwkSet> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json::<JwkSet>()
            .await?)
    }

    /// The key `kid` names (or the only key, for a token without `kid`).
    async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, ServiceError> {
        if let Some(key) = Self::pick(&*self.keys.read().await, kid)? {
            return Ok(key);
        }
        if let Some(url) = &self.url {
            let mut fetched = self.fetched.lock().await;
            if fetched.is_none_or(|at| at.elapsed() >= JWKS_REFETCH) {
                *fetched = Some(std::time::Instant::now());
                match Jwks::fetch(url).await {
                    Ok(set) => *self.keys.write().await = set,
                    Err(error) => tracing::warn!(error = %error, "the JWKS could not be fetched"),
                }
            }
            if let Some(key) = Self::pick(&*self.keys.read().await, kid)? {
                return Ok(key);
            }
        }
        Err(ServiceError::Unauthenticated(
            "the token's key id is not known".into(),
        ))
    }

    fn pick(set: &JwkSet, kid: Option<&str>) -> Result<Option<DecodingKey>, ServiceError> {
        let jwk = match kid {
            Some(kid) => set.find(kid),
            None if set.keys.len() == 1 => set.keys.first(),
            None => None,
        };
        jwk.map(|jwk| {
            DecodingKey::from_jwk(jwk)
                .map_err(|_| ServiceError::Unauthenticated("the token's key is not usable".into()))
        })
        .transpose()
    }
}

/// The value at a dotted path (`realm_access.roles`) of a JSON object.
fn claim_at<'a>(claims: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.')
        .try_fold(claims, |value, segment| value.get(segment))
}

/// Role names (case-insensitive) found at the roles claim: an array of strings or one
/// space-separated string. Names that are not siloscope roles are ignored.
fn roles_of(value: Option<&serde_json::Value>) -> Vec<AccessRole> {
    let names: Vec<String> = match value {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(text)) => {
            text.split_whitespace().map(str::to_owned).collect()
        }
        _ => Vec::new(),
    };
    names
        .iter()
        .filter_map(|name| {
            serde_json::from_value(serde_json::Value::String(name.to_ascii_uppercase())).ok()
        })
        .collect()
}

impl TokenKeys {
    /// Loads the configured key; a PEM or JWKS file that cannot be used is an error.
    pub fn load(settings: &JwtSettings) -> anyhow::Result<Self> {
        use anyhow::Context;
        let algorithm = settings.algorithm;
        let key = match (&settings.public_key_pem, algorithm) {
            (_, Algorithm::HS256) => settings
                .secret
                .as_ref()
                .map(|s| DecodingKey::from_secret(s.expose_secret().as_bytes())),
            (Some(pem), Algorithm::RS256) => Some(
                DecodingKey::from_rsa_pem(pem.as_bytes())
                    .context("SILOSCOPE_JWT_PUBLIC_KEY_FILE is not an RSA public key in PEM")?,
            ),
            (Some(pem), _) => Some(
                DecodingKey::from_ec_pem(pem.as_bytes())
                    .context("SILOSCOPE_JWT_PUBLIC_KEY_FILE is not an EC public key in PEM")?,
            ),
            (None, _) => None,
        };
        let jwks = if let Some(text) = &settings.jwks_json {
            let set: JwkSet = serde_json::from_str(text)
                .context("SILOSCOPE_JWT_JWKS_FILE is not a JSON Web Key Set")?;
            Some(Jwks {
                url: None,
                keys: tokio::sync::RwLock::new(set),
                fetched: tokio::sync::Mutex::new(None),
            })
        } else {
            settings.jwks_url.as_ref().map(|url| Jwks {
                url: Some(url.clone()),
                keys: tokio::sync::RwLock::new(JwkSet { keys: Vec::new() }),
                fetched: tokio::sync::Mutex::new(None),
            })
        };
        Ok(TokenKeys {
            settings: settings.clone(),
            key,
            jwks: jwks.map(std::sync::Arc::new),
        })
    }

    /// HS256 keys from a secret (tests, benchmarks, `demo`).
    pub fn new(settings: &JwtSettings) -> Self {
        TokenKeys {
            settings: settings.clone(),
            key: settings
                .secret
                .as_ref()
                .map(|s| DecodingKey::from_secret(s.expose_secret().as_bytes())),
            jwks: None,
        }
    }

    /// The claim path roles are read at.
    pub fn roles_claim(&self) -> &str {
        &self.settings.roles_claim
    }

    /// Verifies a token and returns who it names.
    pub async fn verify(&self, token: &str) -> Result<Claims, ServiceError> {
        let refuse = |why: &str| ServiceError::Unauthenticated(why.into());
        let header = decode_header(token).map_err(|_| refuse("the token is malformed"))?;
        let algorithm = self.settings.algorithm;
        if header.alg != algorithm {
            return Err(refuse("the token's algorithm is not accepted"));
        }
        let key = match (&self.key, &self.jwks) {
            (Some(key), _) => key.clone(),
            (None, Some(jwks)) => jwks.key(header.kid.as_deref()).await?,
            (None, None) => return Err(refuse("no token key is configured")),
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = CLOCK_SKEW_SECONDS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        if let Some(issuer) = &self.settings.issuer {
            validation.set_issuer(&[issuer]);
            validation.required_spec_claims.insert("iss".into());
        }
        match &self.settings.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                validation.required_spec_claims.insert("aud".into());
            }
            None => validation.validate_aud = false,
        }
        let claims = decode::<serde_json::Value>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                refuse(match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::ImmatureSignature => "the token is not valid yet",
                    ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                    ErrorKind::InvalidAudience => "the token's audience is not accepted",
                    ErrorKind::InvalidSignature => "the token's signature is invalid",
                    ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted",
                    ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                    _ => "the token is malformed",
                })
            })?;
        let text = |path: &str| {
            claim_at(&claims, path)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        Ok(Claims {
            sub: text("sub").ok_or_else(|| refuse("the token's `sub` is not a string"))?,
            org: text(&self.settings.org_claim).ok_or_else(|| {
                ServiceError::Unauthenticated(format!(
                    "the token has no organization at `{}`",
                    self.settings.org_claim
                ))
            })?,
            roles: roles_of(claim_at(&claims, &self.settings.roles_claim)),
            exp: claims
                .get("exp")
                .and_then(|v| v.as_i64())
                .unwrap_or_default(),
            iat: claims.get("iat").and_then(|v| v.as_i64()),
            iss: text("iss"),
            aud: text("aud"),
        })
    }

    /// Mints an HS256 token for `subject` in organization `org` with `roles`, valid for
    /// `lifetime_seconds`.
    pub fn mint(
        &self,
        subject: &str,
        org: &str,
        roles: &[AccessRole],
        lifetime_seconds: i64,
    ) -> Result<String, ServiceError> {
        let secret = self
            .settings
            .secret
            .as_ref()
            .filter(|_| self.settings.algorithm == Algorithm::HS256)
            .ok_or_else(|| {
                ServiceError::Unauthenticated(
                    "minting needs SILOSCOPE_JWT_SECRET with the HS256 algorithm".into(),
                )
            })?;
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            org: org.to_owned(),
            roles: roles.to_vec(),
            exp: now + lifetime_seconds,
            iat: Some(now),
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
        };
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
        )
        .map_err(ServiceError::internal)
    }
}

/// A fresh random secret (for `demo`), 48 url-safe characters.
pub fn random_secret() -> SecretString {
    use rand::distr::{Alphanumeric, SampleString};
    SecretString::from(Alphanumeric.sample_string(&mut rand::rng(), 48))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::{Jwk, JwkSet};
    use serde_json::json;

    #[test]
    fn the_readme_role_table_is_the_codes() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
        assert!(
            readme.contains(&may::markdown_table()),
            "README.md's role table differs from auth::may; replace it with:\n\n{}",
            may::markdown_table()
        );
    }

    #[test]
    fn the_configuration_names_every_role() {
        for name in crate::server::config::ROLE_NAMES {
            assert_eq!(AccessRole::named(name).map(AccessRole::as_str), Some(name));
        }
        let named: Vec<&str> = [
            AccessRole::Viewer,
            AccessRole::Editor,
            AccessRole::Integration,
            AccessRole::Admin,
        ]
        .iter()
        .map(|r| r.as_str())
        .collect();
        assert_eq!(named, crate::server::config::ROLE_NAMES);
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const RSA_PRIVATE: &str = include_str!("../../testdata/jwt/rsa-private.pem");
    const RSA_PUBLIC: &str = include_str!("../../testdata/jwt/rsa-public.pem");
    const OTHER_RSA_PRIVATE: &str = include_str!("../../testdata/jwt/other-rsa-private.pem");
    const EC_PRIVATE: &str = include_str!("../../testdata/jwt/ec-private.pem");
    const EC_PUBLIC: &str = include_str!("../../testdata/jwt/ec-public.pem");

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn claims() -> serde_json::Value {
        json!({ "sub": "ana", "org": "acme", "roles": ["ADMIN"], "exp": now() + 600 })
    }

    fn sign(
        alg: Algorithm,
        kid: Option<&str>,
        key: &EncodingKey,
        claims: &serde_json::Value,
    ) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        encode(&header, claims, key).unwrap()
    }

    fn rsa() -> EncodingKey {
        EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap()
    }

    fn ec() -> EncodingKey {
        EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap()
    }

    fn rs256_pem() -> TokenKeys {
        TokenKeys::load(&JwtSettings {
            algorithm: Algorithm::RS256,
            public_key_pem: Some(RSA_PUBLIC.into()),
            issuer: Some("https://idp.example".into()),
            audience: Some("siloscope".into()),
            ..JwtSettings::default()
        })
        .unwrap()
    }

    fn rs_claims() -> serde_json::Value {
        let mut c = claims();
        c["iss"] = json!("https://idp.example");
        c["aud"] = json!("siloscope");
        c
    }

    async fn refusal(keys: &TokenKeys, token: &str) -> String {
        match keys.verify(token).await {
            Err(ServiceError::Unauthenticated(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_expired_token_is_accepted_only_within_the_documented_clock_skew() {
        let keys = TokenKeys::new(&JwtSettings::hs256(SECRET));
        let hs = EncodingKey::from_secret(SECRET.as_bytes());
        let skew = CLOCK_SKEW_SECONDS as i64;
        let mut within = claims();
        within["exp"] = json!(now() - skew / 2);
        assert!(keys
            .verify(&sign(Algorithm::HS256, None, &hs, &within))
            .await
            .is_ok());
        let mut beyond = claims();
        beyond["exp"] = json!(now() - skew - 5);
        assert!(refusal(&keys, &sign(Algorithm::HS256, None, &hs, &beyond))
            .await
            .contains("expired"));
    }

    #[tokio::test]
    async fn a_minted_token_verifies_and_a_foreign_one_does_not() {
        let ours = TokenKeys::new(&JwtSettings::hs256(SECRET));
        let token = ours.mint("ana", "acme", &[AccessRole::Admin], 60).unwrap();
        let claims = ours.verify(&token).await.unwrap();
        assert_eq!((claims.sub.as_str(), claims.org.as_str()), ("ana", "acme"));
        assert_eq!(claims.roles, vec![AccessRole::Admin]);
        let theirs = TokenKeys::new(&JwtSettings::hs256("fedcba9876543210fedcba9876543210"));
        assert!(refusal(&theirs, &token).await.contains("signature"));
    }

    #[tokio::test]
    async fn rs256_with_a_pem_key_accepts_good_tokens_and_refuses_every_bad_class() {
        let keys = rs256_pem();
        let good = sign(Algorithm::RS256, None, &rsa(), &rs_claims());
        assert_eq!(keys.verify(&good).await.unwrap().org, "acme");

        let with = |field: &str, value: serde_json::Value| {
            let mut c = rs_claims();
            c[field] = value;
            sign(Algorithm::RS256, None, &rsa(), &c)
        };
        let without = |field: &str| {
            let mut c = rs_claims();
            c.as_object_mut().unwrap().remove(field);
            sign(Algorithm::RS256, None, &rsa(), &c)
        };
        let cases: Vec<(&str, String, &str)> = vec![
            ("expired", with("exp", json!(now() - 3600)), "expired"),
            ("without exp", without("exp"), "required claim"),
            (
                "not yet valid",
                with("nbf", json!(now() + 3600)),
                "not valid yet",
            ),
            (
                "wrong issuer",
                with("iss", json!("https://evil.example")),
                "issuer",
            ),
            ("without issuer", without("iss"), "required claim"),
            (
                "wrong audience",
                with("aud", json!("someone-else")),
                "audience",
            ),
            (
                "wrong algorithm (ES256)",
                sign(Algorithm::ES256, None, &ec(), &rs_claims()),
                "algorithm",
            ),
            (
                "HS256 signed with the public key (key confusion)",
                sign(
                    Algorithm::HS256,
                    None,
                    &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
                    &rs_claims(),
                ),
                "algorithm",
            ),
            (
                "another key",
                sign(
                    Algorithm::RS256,
                    None,
                    &EncodingKey::from_rsa_pem(OTHER_RSA_PRIVATE.as_bytes()).unwrap(),
                    &rs_claims(),
                ),
                "signature",
            ),
            ("no organization", without("org"), "organization"),
        ];
        for (name, token, why) in cases {
            let got = refusal(&keys, &token).await;
            assert!(got.contains(why), "{name}: {got}");
        }

        // alg: none, and a signature tampered with.
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let none = format!(
            "{}.{}.",
            b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(rs_claims().to_string())
        );
        assert!(refusal(&keys, &none).await.contains("malformed"));
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut signature = b64.decode(&parts[2]).unwrap();
        signature[0] ^= 1;
        parts[2] = b64.encode(signature);
        assert!(refusal(&keys, &parts.join(".")).await.contains("signature"));
        // A payload changed under the original signature.
        let mut forged: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut c = rs_claims();
        c["org"] = json!("other");
        forged[1] = b64.encode(c.to_string());
        assert!(refusal(&keys, &forged.join("."))
            .await
            .contains("signature"));
    }

    #[tokio::test]
    async fn es256_with_a_jwks_file_picks_the_key_by_kid_and_refuses_unknown_kids() {
        let mut jwk = Jwk::from_encoding_key(&ec(), Algorithm::ES256).unwrap();
        jwk.common.key_id = Some("ec-1".into());
        let set = JwkSet { keys: vec![jwk] };
        let keys = TokenKeys::load(&JwtSettings {
            algorithm: Algorithm::ES256,
            jwks_json: Some(serde_json::to_string(&set).unwrap()),
            ..JwtSettings::default()
        })
        .unwrap();
        let _ = EC_PUBLIC;
        let good = sign(Algorithm::ES256, Some("ec-1"), &ec(), &claims());
        assert_eq!(keys.verify(&good).await.unwrap().sub, "ana");
        let unknown = sign(Algorithm::ES256, Some("ec-2"), &ec(), &claims());
        assert!(refusal(&keys, &unknown).await.contains("key id"));
        let rs = sign(Algorithm::RS256, Some("ec-1"), &rsa(), &claims());
        assert!(refusal(&keys, &rs).await.contains("algorithm"));
    }

    #[tokio::test]
    async fn claim_paths_read_keycloak_style_tokens() {
        let keys = TokenKeys::load(&JwtSettings {
            algorithm: Algorithm::RS256,
            public_key_pem: Some(RSA_PUBLIC.into()),
            org_claim: "tenant.slug".into(),
            roles_claim: "realm_access.roles".into(),
            ..JwtSettings::default()
        })
        .unwrap();
        let token = sign(
            Algorithm::RS256,
            None,
            &rsa(),
            &json!({
                "sub": "kc-user", "exp": now() + 600,
                "tenant": { "slug": "acme" },
                "realm_access": { "roles": ["offline_access", "viewer", "Editor"] }
            }),
        );
        let claims = keys.verify(&token).await.unwrap();
        assert_eq!(claims.org, "acme");
        assert_eq!(claims.roles, vec![AccessRole::Viewer, AccessRole::Editor]);
    }

    #[test]
    fn minting_needs_hs256() {
        let keys = rs256_pem();
        assert!(keys.mint("a", "acme", &[AccessRole::Viewer], 60).is_err());
    }
}
