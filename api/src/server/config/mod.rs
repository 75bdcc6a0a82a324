//! Typed configuration from `SILOSCOPE_*` environment variables.
//!
//! [`VARIABLES`] is the one place a variable's name, default, accepted range and meaning
//! are written: [`Settings::from_vars`] reads through it, `Limits::default()` and
//! `JwtSettings::default()` are its defaults, and the README's table is
//! [`markdown_table`]'s output.//!
//! Its rooms: [`variables`] (the table), [`limits`] (the bounds of a request and of
//! a log reader) and [`access`] (tokens, trusted documents, browsers' origins).

mod access;
mod limits;
mod variables;

use access::{cors_origins, document_policy, jwt_settings};
pub use access::{DocumentPolicy, JwtSettings, ROLE_NAMES};
use limits::limits;
pub use limits::{Limits, ReadLimits};
pub use variables::{markdown_table, var, Variable, VARIABLES};

use std::collections::HashMap;
use std::net::SocketAddr;

use secrecy::SecretString;
use std::time::Duration;

/// The service's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    /// The URL goes through a pooler in transaction mode.
    pub database_pooler: bool,
    /// A direct URL for LISTEN behind a pooler.
    pub database_direct_url: Option<String>,
    pub listen: SocketAddr,
    pub jwt: JwtSettings,
    pub log: String,
    pub log_json: bool,
    pub db_max_connections: u32,
    pub limits: Limits,
    pub shutdown_grace_seconds: u64,
    pub metrics_token: Option<SecretString>,
    /// The address of the listener that serves only `/metrics`.
    pub metrics_listen: Option<SocketAddr>,
    /// Where traces go (OTLP over HTTP); `None`: no traces.
    pub otlp_endpoint: Option<String>,
    /// The origins browsers may call the API from (`*`: any).
    pub cors_origins: Vec<String>,
    pub documents: DocumentPolicy,
    /// How often retention runs.
    pub retention_interval: Duration,
}

/// A variable that could not be used, named.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: String,
    pub problem: String,
}

pub(super) fn problem(variable: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable.to_owned(),
        problem: problem.into(),
    }
}

/// Variables of the tooling around the service, not of the service.
pub(super) const TOOLING_PREFIXES: &[&str] =
    &["SILOSCOPE_TEST_", "SILOSCOPE_BENCH_", "SILOSCOPE_CI_"];

/// The minimum length of an HS256 secret.
pub const MIN_SECRET_BYTES: usize = 32;

/// The variables given, read through the table.
pub(super) struct Lookup<'a>(&'a HashMap<String, String>);

impl<'a> Lookup<'a> {
    /// The value given, if not empty.
    fn given(&self, v: &Variable) -> Option<&'a str> {
        self.0
            .get(v.name)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The value given, else the table's default.
    fn get(&self, v: &Variable) -> Option<&'a str> {
        self.given(v).or(v.default)
    }

    /// The value of a variable that has a default.
    fn text(&self, v: &Variable) -> &'a str {
        self.get(v).unwrap_or_default()
    }

    /// The value of one of `choices` (by its name), else an error listing them.
    fn choice<T: Copy>(&self, v: &Variable, choices: &[(&str, T)]) -> Result<T, ConfigError> {
        let given = self.text(v);
        choices
            .iter()
            .find(|(name, _)| *name == given)
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let names: Vec<String> = choices.iter().map(|(n, _)| format!("`{n}`")).collect();
                problem(v.name, format!("`{given}` is none of {}", names.join(", ")))
            })
    }

    /// A socket address, if given or defaulted.
    fn address(&self, v: &Variable) -> Result<Option<SocketAddr>, ConfigError> {
        self.get(v)
            .map(|address| {
                address.parse().map_err(|_| {
                    problem(
                        v.name,
                        format!("`{address}` is not an address like 127.0.0.1:8080"),
                    )
                })
            })
            .transpose()
    }

    /// A number within the variable's range, else its default.
    fn number(&self, v: &Variable) -> Result<u64, ConfigError> {
        let Some(given) = self.given(v) else {
            return Ok(v.default_number());
        };
        let range = v.range.clone().unwrap_or(0..=u64::MAX);
        given
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                problem(
                    v.name,
                    format!(
                        "`{given}` is not a number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                )
            })
    }
}

impl Settings {
    /// How the service reaches its database, with a pool of `max_connections`.
    pub fn database(&self, max_connections: u32) -> service::storage::db::DbOptions {
        service::storage::db::DbOptions {
            url: self.database_url.clone(),
            max_connections,
            transaction_pooler: self.database_pooler,
            direct_url: self.database_direct_url.clone(),
        }
    }

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
            .find(|k| !VARIABLES.iter().any(|v| v.name == k.as_str()))
        {
            return Err(problem(
                unknown,
                "unknown variable (see the README's configuration table)",
            ));
        }
        let vars = Lookup(&vars);
        let secret = match vars.get(&var::JWT_SECRET) {
            Some(s) if s.len() < MIN_SECRET_BYTES => {
                return Err(problem(
                    var::JWT_SECRET.name,
                    format!("must be at least {MIN_SECRET_BYTES} bytes"),
                ))
            }
            Some(s) => Some(SecretString::from(s.to_owned())),
            None => None,
        };
        let log = vars.text(&var::LOG).to_owned();
        tracing_subscriber::EnvFilter::try_new(&log)
            .map_err(|e| problem(var::LOG.name, format!("not a log filter: {e}")))?;
        let otlp_endpoint = match vars.get(&var::OTLP_ENDPOINT) {
            Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
                return Err(problem(
                    var::OTLP_ENDPOINT.name,
                    format!("`{url}` is not an http:// or https:// address"),
                ))
            }
            url => url.map(|u| u.trim_end_matches('/').to_owned()),
        };
        let (database_url, database_pooler, database_direct_url) = database(&vars)?;
        Ok(Settings {
            otlp_endpoint,
            cors_origins: cors_origins(vars.get(&var::CORS_ORIGINS))?,
            documents: document_policy(&vars)?,
            retention_interval: Duration::from_secs(vars.number(&var::RETENTION_INTERVAL_SECONDS)?),
            database_url,
            database_pooler,
            database_direct_url,
            listen: vars
                .address(&var::LISTEN)?
                .ok_or_else(|| problem(var::LISTEN.name, "must be set"))?,
            jwt: jwt_settings(&vars, secret)?,
            log,
            log_json: vars.choice(&var::LOG_FORMAT, &[("text", false), ("json", true)])?,
            // The range is 1 to 1000, so the cast is exact.
            db_max_connections: vars.number(&var::DB_MAX_CONNECTIONS)? as u32,
            limits: limits(|v| vars.number(v))?,
            shutdown_grace_seconds: vars.number(&var::SHUTDOWN_GRACE_SECONDS)?,
            metrics_token: vars
                .get(&var::METRICS_TOKEN)
                .map(|t| SecretString::from(t.to_owned())),
            metrics_listen: vars.address(&var::METRICS_LISTEN)?,
        })
    }
}

/// The database's URL, whether it goes through a transaction pooler, and the direct
/// URL beside the pooler.
fn database(vars: &Lookup) -> Result<(String, bool, Option<String>), ConfigError> {
    let url = vars.text(&var::DATABASE_URL).to_owned();
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        return Err(problem(
            var::DATABASE_URL.name,
            "must start with sqlite:, postgres:// or postgresql://",
        ));
    }
    let pooler = vars.choice(
        &var::DATABASE_POOLER,
        &[("none", false), ("transaction", true)],
    )?;
    let direct_url = vars.get(&var::DATABASE_DIRECT_URL).map(str::to_owned);
    if direct_url
        .as_deref()
        .is_some_and(|u| !(u.starts_with("postgres://") || u.starts_with("postgresql://")))
    {
        return Err(problem(
            var::DATABASE_DIRECT_URL.name,
            "must start with postgres:// or postgresql://",
        ));
    }
    Ok((url, pooler, direct_url))
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
        assert!(!service::storage::db::redact(&settings.database_url).contains("db-password"));
    }

    #[test]
    fn the_documented_limit_defaults_are_the_ones_applied() {
        let settings = Settings::from_vars(vars(&[])).unwrap();
        let documented = |name: &str| -> u64 {
            VARIABLES
                .iter()
                .find(|v| v.name == name)
                .and_then(|v| v.default?.parse().ok())
                .unwrap()
        };
        let l = &settings.limits;
        for (name, applied) in [
            ("SILOSCOPE_MAX_BODY_BYTES", l.max_body_bytes as u64),
            (
                "SILOSCOPE_MAX_RECORDING_BODY_BYTES",
                l.max_recording_body_bytes as u64,
            ),
            ("SILOSCOPE_MAX_IMPORT_BYTES", l.max_import_bytes),
            ("SILOSCOPE_MAX_DEPTH", l.max_depth as u64),
            ("SILOSCOPE_MAX_COMPLEXITY", l.max_complexity as u64),
            (
                "SILOSCOPE_MAX_REPORTS_PER_ORG",
                l.max_reports_per_org as u64,
            ),
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

    #[test]
    fn every_default_in_the_table_is_accepted() {
        for v in VARIABLES {
            if let Some(range) = &v.range {
                let default = v.default.and_then(|d| d.parse::<u64>().ok());
                assert!(
                    default.is_some_and(|d| range.contains(&d)),
                    "{}: the default is not a number in its range",
                    v.name
                );
            }
            // Giving every default explicitly changes nothing.
            if let Some(default) = v.default {
                let given = Settings::from_vars(vars(&[(v.name, default)])).unwrap();
                let implied = Settings::from_vars(vars(&[])).unwrap();
                assert_eq!(format!("{given:?}"), format!("{implied:?}"), "{}", v.name);
            }
        }
    }

    #[test]
    fn the_defaults_of_limits_and_jwt_settings_are_the_tables() {
        let settings = Settings::from_vars(vars(&[])).unwrap();
        assert_eq!(settings.limits, Limits::default());
        assert_eq!(
            format!("{:?}", settings.jwt),
            format!("{:?}", JwtSettings::default())
        );
    }

    #[test]
    fn the_readme_table_is_the_one_rendered_from_the_table() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
        assert!(
            readme.contains(&markdown_table()),
            "README.md's configuration table differs from config::VARIABLES; replace it with \
             the output of api::config::markdown_table():\n\n{}",
            markdown_table()
        );
    }
}
