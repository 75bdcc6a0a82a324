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
        "SILOSCOPE_JWT_SECRET",
        "(none; required by serve)",
        "HS256 secret for bearer tokens, at least 32 bytes",
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
}

/// How bearer tokens are verified.
#[derive(Clone, Debug)]
pub struct JwtSettings {
    pub secret: Option<SecretString>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
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
        Ok(Settings {
            database_url,
            listen,
            jwt: JwtSettings {
                secret,
                issuer: get("SILOSCOPE_JWT_ISSUER").map(str::to_owned),
                audience: get("SILOSCOPE_JWT_AUDIENCE").map(str::to_owned),
            },
            log,
            log_json,
            db_max_connections,
        })
    }
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
        let settings = Settings::from_vars(vars(&[("PATH", "/bin")])).unwrap();
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
        ] {
            let error = Settings::from_vars(vars(&pairs)).unwrap_err();
            assert_eq!(error.variable, name);
        }
    }
}
