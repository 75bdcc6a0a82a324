//! Typed configuration from `SILOSCOPE_*` environment variables.

use std::collections::HashMap;
use std::net::SocketAddr;

use secrecy::SecretString;

/// Every variable the service reads, with its default and meaning (the README's table).
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "SILOSCOPE_DATABASE_URL",
        "sqlite://siloscope.db?mode=rwc",
        "SQLite file (created and migrated on first start) or postgres://… URL",
    ),
    (
        "SILOSCOPE_LISTEN",
        "127.0.0.1:8080",
        "address and port to listen on",
    ),
    (
        "SILOSCOPE_JWT_ALGORITHM",
        "HS256",
        "the only algorithm tokens may use: HS256, RS256 or ES256",
    ),
    (
        "SILOSCOPE_JWT_SECRET",
        "(none)",
        "HS256 secret, at least 32 bytes (HS256 needs it)",
    ),
    (
        "SILOSCOPE_JWT_PUBLIC_KEY_FILE",
        "(none)",
        "RS256/ES256: the identity provider's public key, PEM",
    ),
    (
        "SILOSCOPE_JWT_JWKS_FILE",
        "(none)",
        "RS256/ES256: a JSON Web Key Set file",
    ),
    (
        "SILOSCOPE_JWT_JWKS_URL",
        "(none)",
        "RS256/ES256: a JWKS URL, fetched when needed and again on an unknown `kid`",
    ),
    (
        "SILOSCOPE_JWT_ORG_CLAIM",
        "org",
        "dotted path of the claim holding the organization's slug",
    ),
    (
        "SILOSCOPE_JWT_ROLES_CLAIM",
        "roles",
        "dotted path of the roles claim (e.g. `realm_access.roles` for Keycloak)",
    ),
    (
        "SILOSCOPE_JWT_ISSUER",
        "(none)",
        "when set, tokens must carry this `iss`",
    ),
    (
        "SILOSCOPE_JWT_AUDIENCE",
        "(none)",
        "when set, tokens must carry this `aud`",
    ),
    (
        "SILOSCOPE_LOG",
        "info",
        "log filter (tracing EnvFilter syntax)",
    ),
    ("SILOSCOPE_LOG_FORMAT", "text", "`text` or `json`"),
    ("SILOSCOPE_DB_MAX_CONNECTIONS", "10", "database pool size"),
    (
        "SILOSCOPE_MAX_BODY_BYTES",
        "1048576",
        "largest request body (1 MiB)",
    ),
    (
        "SILOSCOPE_MAX_RECORDING_BODY_BYTES",
        "16777216",
        "largest body of a request that only records interactions (16 MiB)",
    ),
    (
        "SILOSCOPE_MAX_DEPTH",
        "16",
        "deepest selection nesting (the standard introspection query needs more than 12)",
    ),
    (
        "SILOSCOPE_MAX_COMPLEXITY",
        "50000",
        "highest query cost (a field costs 1; a list multiplies by its `first`)",
    ),
    ("SILOSCOPE_MAX_ALIASES", "30", "most aliases in a query"),
    (
        "SILOSCOPE_MAX_DIRECTIVES",
        "50",
        "most directives in a query",
    ),
    (
        "SILOSCOPE_MAX_TOKENS",
        "10000",
        "most lexical tokens in a query",
    ),
    (
        "SILOSCOPE_REQUEST_TIMEOUT_SECONDS",
        "30",
        "longest a request may run; its writes are rolled back",
    ),
    (
        "SILOSCOPE_SHUTDOWN_GRACE_SECONDS",
        "30",
        "on SIGTERM, how long in-flight requests may take to finish",
    ),
    (
        "SILOSCOPE_METRICS_TOKEN",
        "(none)",
        "when set, GET /metrics needs `Authorization: Bearer <this>`",
    ),
];

/// The service's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub listen: SocketAddr,
    pub jwt: JwtSettings,
    pub log: String,
    pub log_json: bool,
    pub db_max_connections: u32,
    pub limits: crate::http::Limits,
    pub shutdown_grace_seconds: u64,
    pub metrics_token: Option<SecretString>,
}

/// How bearer tokens are verified.
#[derive(Clone, Debug)]
pub struct JwtSettings {
    pub algorithm: jsonwebtoken::Algorithm,
    pub secret: Option<SecretString>,
    /// The PEM text of SILOSCOPE_JWT_PUBLIC_KEY_FILE.
    pub public_key_pem: Option<String>,
    /// The JSON text of SILOSCOPE_JWT_JWKS_FILE.
    pub jwks_json: Option<String>,
    pub jwks_url: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub org_claim: String,
    pub roles_claim: String,
}

impl Default for JwtSettings {
    fn default() -> Self {
        JwtSettings {
            algorithm: jsonwebtoken::Algorithm::HS256,
            secret: None,
            public_key_pem: None,
            jwks_json: None,
            jwks_url: None,
            issuer: None,
            audience: None,
            org_claim: "org".into(),
            roles_claim: "roles".into(),
        }
    }
}

impl JwtSettings {
    /// HS256 with `secret`, the default claims and no issuer or audience.
    pub fn hs256(secret: &str) -> Self {
        JwtSettings {
            secret: Some(SecretString::from(secret.to_owned())),
            ..JwtSettings::default()
        }
    }
}

/// A variable that could not be used, named.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: String,
    pub problem: String,
}

fn problem(variable: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable.to_owned(),
        problem: problem.into(),
    }
}

/// Variables of the tooling around the service, not of the service.
const TOOLING_PREFIXES: &[&str] = &["SILOSCOPE_TEST_", "SILOSCOPE_BENCH_", "SILOSCOPE_CI_"];

/// The minimum length of an HS256 secret.
pub const MIN_SECRET_BYTES: usize = 32;

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_vars(std::env::vars().collect())
    }

    /// Reads the settings from the given variables; unknown `SILOSCOPE_*` names and
    /// malformed values are errors naming the variable.
    pub fn from_vars(vars: HashMap<String, String>) -> Result<Settings, ConfigError> {
        if let Some(unknown) = vars
            .keys()
            .filter(|k| k.starts_with("SILOSCOPE_"))
            // The test suite's, the benchmark's and CI's own variables.
            .filter(|k| !TOOLING_PREFIXES.iter().any(|p| k.starts_with(p)))
            .find(|k| !VARIABLES.iter().any(|(name, _, _)| name == k))
        {
            return Err(problem(
                unknown,
                "unknown variable (see the README's configuration table)",
            ));
        }
        let get = |name: &str| vars.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let listen = get("SILOSCOPE_LISTEN").unwrap_or("127.0.0.1:8080");
        let listen = listen.parse().map_err(|_| {
            problem(
                "SILOSCOPE_LISTEN",
                format!("`{listen}` is not an address like 127.0.0.1:8080"),
            )
        })?;
        let secret = match get("SILOSCOPE_JWT_SECRET") {
            Some(s) if s.len() < MIN_SECRET_BYTES => {
                return Err(problem(
                    "SILOSCOPE_JWT_SECRET",
                    format!("must be at least {MIN_SECRET_BYTES} bytes"),
                ))
            }
            Some(s) => Some(SecretString::from(s.to_owned())),
            None => None,
        };
        let log_json = match get("SILOSCOPE_LOG_FORMAT").unwrap_or("text") {
            "text" => false,
            "json" => true,
            other => {
                return Err(problem(
                    "SILOSCOPE_LOG_FORMAT",
                    format!("`{other}` is neither `text` nor `json`"),
                ))
            }
        };
        let db_max_connections = match get("SILOSCOPE_DB_MAX_CONNECTIONS") {
            None => 10,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    problem(
                        "SILOSCOPE_DB_MAX_CONNECTIONS",
                        format!("`{v}` is not a number from 1 to 1000"),
                    )
                })?,
        };
        let database_url = get("SILOSCOPE_DATABASE_URL")
            .unwrap_or("sqlite://siloscope.db?mode=rwc")
            .to_owned();
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(problem(
                "SILOSCOPE_DATABASE_URL",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        let log = get("SILOSCOPE_LOG").unwrap_or("info").to_owned();
        tracing_subscriber::EnvFilter::try_new(&log)
            .map_err(|e| problem("SILOSCOPE_LOG", format!("not a log filter: {e}")))?;
        let number =
            |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| match get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| {
                        problem(
                            name,
                            format!(
                                "`{v}` is not a number from {} to {}",
                                range.start(),
                                range.end()
                            ),
                        )
                    }),
            };
        // Defaults come from `Limits::default()`; each variable overrides one.
        let d = crate::http::Limits::default();
        let size = |name: &str, default: usize, range| -> Result<usize, ConfigError> {
            Ok(number(name, default as u64, range)? as usize)
        };
        let limits = crate::http::Limits {
            max_body_bytes: size("SILOSCOPE_MAX_BODY_BYTES", d.max_body_bytes, 1024..=1 << 30)?,
            max_recording_body_bytes: size(
                "SILOSCOPE_MAX_RECORDING_BODY_BYTES",
                d.max_recording_body_bytes,
                1024..=1 << 30,
            )?,
            max_depth: size("SILOSCOPE_MAX_DEPTH", d.max_depth, 2..=64)?,
            max_complexity: size(
                "SILOSCOPE_MAX_COMPLEXITY",
                d.max_complexity,
                10..=10_000_000,
            )?,
            max_aliases: size("SILOSCOPE_MAX_ALIASES", d.max_aliases, 0..=10_000)?,
            max_directives: size("SILOSCOPE_MAX_DIRECTIVES", d.max_directives, 0..=10_000)?,
            max_tokens: size("SILOSCOPE_MAX_TOKENS", d.max_tokens, 100..=1_000_000)?,
            request_timeout: std::time::Duration::from_secs(number(
                "SILOSCOPE_REQUEST_TIMEOUT_SECONDS",
                d.request_timeout.as_secs(),
                1..=3600,
            )?),
        };
        Ok(Settings {
            database_url,
            listen,
            jwt: jwt_settings(&get, secret)?,
            log,
            log_json,
            db_max_connections,
            limits,
            shutdown_grace_seconds: number("SILOSCOPE_SHUTDOWN_GRACE_SECONDS", 30, 0..=3600)?,
            metrics_token: get("SILOSCOPE_METRICS_TOKEN").map(|t| SecretString::from(t.to_owned())),
        })
    }
}

fn read_file(variable: &str, path: &str) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map_err(|e| problem(variable, format!("cannot read `{path}`: {e}")))
}

fn jwt_settings<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
    secret: Option<SecretString>,
) -> Result<JwtSettings, ConfigError> {
    use jsonwebtoken::Algorithm;
    let algorithm = match get("SILOSCOPE_JWT_ALGORITHM").unwrap_or("HS256") {
        "HS256" => Algorithm::HS256,
        "RS256" => Algorithm::RS256,
        "ES256" => Algorithm::ES256,
        other => {
            return Err(problem(
                "SILOSCOPE_JWT_ALGORITHM",
                format!("`{other}` is not HS256, RS256 or ES256"),
            ))
        }
    };
    let public_key_pem = get("SILOSCOPE_JWT_PUBLIC_KEY_FILE")
        .map(|path| read_file("SILOSCOPE_JWT_PUBLIC_KEY_FILE", path))
        .transpose()?;
    let jwks_json = get("SILOSCOPE_JWT_JWKS_FILE")
        .map(|path| read_file("SILOSCOPE_JWT_JWKS_FILE", path))
        .transpose()?;
    let jwks_url = get("SILOSCOPE_JWT_JWKS_URL").map(str::to_owned);
    if let Some(url) = &jwks_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(problem("SILOSCOPE_JWT_JWKS_URL", "must be an http(s) URL"));
        }
    }
    let public_sources = [
        public_key_pem.is_some(),
        jwks_json.is_some(),
        jwks_url.is_some(),
    ]
    .iter()
    .filter(|s| **s)
    .count();
    match algorithm {
        Algorithm::HS256 if public_sources > 0 => {
            return Err(problem(
                "SILOSCOPE_JWT_ALGORITHM",
                "HS256 uses SILOSCOPE_JWT_SECRET; set RS256 or ES256 to use a public key or JWKS",
            ))
        }
        Algorithm::HS256 => {}
        _ if public_sources != 1 => {
            return Err(problem(
                "SILOSCOPE_JWT_ALGORITHM",
                "RS256 and ES256 need exactly one of SILOSCOPE_JWT_PUBLIC_KEY_FILE, \
                 SILOSCOPE_JWT_JWKS_FILE and SILOSCOPE_JWT_JWKS_URL",
            ))
        }
        _ => {}
    }
    Ok(JwtSettings {
        algorithm,
        secret,
        public_key_pem,
        jwks_json,
        jwks_url,
        issuer: get("SILOSCOPE_JWT_ISSUER").map(str::to_owned),
        audience: get("SILOSCOPE_JWT_AUDIENCE").map(str::to_owned),
        org_claim: get("SILOSCOPE_JWT_ORG_CLAIM").unwrap_or("org").to_owned(),
        roles_claim: get("SILOSCOPE_JWT_ROLES_CLAIM")
            .unwrap_or("roles")
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let settings = Settings::from_vars(vars(&[
            ("PATH", "/bin"),
            ("SILOSCOPE_TEST_POSTGRES_URL", "postgres://x"),
            ("SILOSCOPE_CI_POSTGRES_URL", "postgres://x"),
        ]))
        .unwrap();
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.database_url, "sqlite://siloscope.db?mode=rwc");
        assert!(settings.jwt.secret.is_none());
    }

    #[test]
    fn a_bad_value_or_unknown_variable_names_the_variable() {
        for (pairs, name) in [
            (vec![("SILOSCOPE_LISTEN", "nowhere")], "SILOSCOPE_LISTEN"),
            (
                vec![("SILOSCOPE_JWT_SECRET", "short")],
                "SILOSCOPE_JWT_SECRET",
            ),
            (
                vec![("SILOSCOPE_DB_MAX_CONNECTIONS", "0")],
                "SILOSCOPE_DB_MAX_CONNECTIONS",
            ),
            (
                vec![("SILOSCOPE_DATABASE_URL", "mysql://x")],
                "SILOSCOPE_DATABASE_URL",
            ),
            (
                vec![("SILOSCOPE_LOG_FORMAT", "xml")],
                "SILOSCOPE_LOG_FORMAT",
            ),
            (vec![("SILOSCOPE_LISTN", "x")], "SILOSCOPE_LISTN"),
            (vec![("SILOSCOPE_TESTING", "x")], "SILOSCOPE_TESTING"),
        ] {
            let error = Settings::from_vars(vars(&pairs)).unwrap_err();
            assert_eq!(error.variable, name);
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let settings = Settings::from_vars(vars(&[
            (
                "SILOSCOPE_JWT_SECRET",
                "a-very-secret-value-of-enough-length-123",
            ),
            ("SILOSCOPE_METRICS_TOKEN", "metrics-secret-value"),
            (
                "SILOSCOPE_DATABASE_URL",
                "postgres://app:db-password@db/siloscope",
            ),
        ]))
        .unwrap();
        let shown = format!("{settings:?}");
        assert!(!shown.contains("a-very-secret-value"));
        assert!(!shown.contains("metrics-secret-value"));
        assert!(!service::db::redact(&settings.database_url).contains("db-password"));
    }

    #[test]
    fn the_documented_limit_defaults_are_the_ones_applied() {
        let settings = Settings::from_vars(vars(&[])).unwrap();
        let documented = |name: &str| -> u64 {
            VARIABLES
                .iter()
                .find(|(n, _, _)| *n == name)
                .and_then(|(_, default, _)| default.parse().ok())
                .unwrap()
        };
        let l = &settings.limits;
        for (name, applied) in [
            ("SILOSCOPE_MAX_BODY_BYTES", l.max_body_bytes as u64),
            (
                "SILOSCOPE_MAX_RECORDING_BODY_BYTES",
                l.max_recording_body_bytes as u64,
            ),
            ("SILOSCOPE_MAX_DEPTH", l.max_depth as u64),
            ("SILOSCOPE_MAX_COMPLEXITY", l.max_complexity as u64),
            ("SILOSCOPE_MAX_ALIASES", l.max_aliases as u64),
            ("SILOSCOPE_MAX_DIRECTIVES", l.max_directives as u64),
            ("SILOSCOPE_MAX_TOKENS", l.max_tokens as u64),
            (
                "SILOSCOPE_REQUEST_TIMEOUT_SECONDS",
                l.request_timeout.as_secs(),
            ),
        ] {
            assert_eq!(documented(name), applied, "{name}");
        }
    }
}
