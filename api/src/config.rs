//! Typed configuration from `SILOSCOPE_*` environment variables.
//!
//! [`VARIABLES`] is the one place a variable's name, default, accepted range and meaning
//! are written: [`Settings::from_vars`] reads through it, `Limits::default()` and
//! `JwtSettings::default()` are its defaults, and the README's table is
//! [`markdown_table`]'s output.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::ops::RangeInclusive;

use secrecy::SecretString;
use std::time::Duration;

/// One `SILOSCOPE_*` variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    pub name: &'static str,
    /// The value used when the variable is unset or empty.
    pub default: Option<&'static str>,
    /// For a number, the values accepted.
    pub range: Option<RangeInclusive<u64>>,
    pub meaning: &'static str,
}

impl Variable {
    /// The default of a number; a malformed one (a unit test proves there is none) is
    /// replaced by the strictest value the range allows.
    fn default_number(&self) -> u64 {
        let range = self.range.clone().unwrap_or(0..=0);
        self.default
            .and_then(|d| d.parse().ok())
            .filter(|n| range.contains(n))
            .unwrap_or(*range.start())
    }
}

/// Declares each variable as a constant in [`var`] and lists them, in order, in
/// [`VARIABLES`].
macro_rules! variables {
    ($($id:ident = $name:literal, $default:expr, $range:expr, $meaning:literal;)*) => {
        /// Every variable the service reads, by name.
        pub mod var {
            use super::Variable;
            $(
                pub const $id: Variable = Variable {
                    name: $name,
                    default: $default,
                    range: $range,
                    meaning: $meaning,
                };
            )*
        }

        /// Every variable the service reads, with its default and meaning (the
        /// README's table).
        pub const VARIABLES: &[Variable] = &[$(var::$id),*];
    };
}

variables! {
    DATABASE_URL = "SILOSCOPE_DATABASE_URL", Some("sqlite://siloscope.db?mode=rwc"), None,
        "SQLite file (created and migrated on first start) or postgres://… URL";
    DATABASE_POOLER = "SILOSCOPE_DATABASE_POOLER", Some("none"), None,
        "`transaction`: SILOSCOPE_DATABASE_URL goes through a pooler in transaction mode (PgBouncer), so no statement stays prepared between transactions; `none`: a direct connection";
    DATABASE_DIRECT_URL = "SILOSCOPE_DATABASE_DIRECT_URL", None, None,
        "behind a pooler: a direct postgres:// URL for LISTEN, so replicas hear of each other's changes at once (unset: they poll every SILOSCOPE_LIVE_POLL_MS)";
    LISTEN = "SILOSCOPE_LISTEN", Some("127.0.0.1:8080"), None,
        "address and port to listen on";
    JWT_ALGORITHM = "SILOSCOPE_JWT_ALGORITHM", Some("HS256"), None,
        "the only algorithm tokens may use: HS256, RS256 or ES256";
    JWT_SECRET = "SILOSCOPE_JWT_SECRET", None, None,
        "HS256 secret, at least 32 bytes (HS256 needs it)";
    JWT_PUBLIC_KEY_FILE = "SILOSCOPE_JWT_PUBLIC_KEY_FILE", None, None,
        "RS256/ES256: the identity provider's public key, PEM";
    JWT_JWKS_FILE = "SILOSCOPE_JWT_JWKS_FILE", None, None,
        "RS256/ES256: a JSON Web Key Set file";
    JWT_JWKS_URL = "SILOSCOPE_JWT_JWKS_URL", None, None,
        "RS256/ES256: a JWKS URL, fetched when needed and again on an unknown `kid`";
    JWT_ORG_CLAIM = "SILOSCOPE_JWT_ORG_CLAIM", Some("org"), None,
        "dotted path of the claim holding the organization's slug";
    JWT_ROLES_CLAIM = "SILOSCOPE_JWT_ROLES_CLAIM", Some("roles"), None,
        "dotted path of the roles claim (e.g. `realm_access.roles` for Keycloak)";
    JWT_ISSUER = "SILOSCOPE_JWT_ISSUER", None, None,
        "when set, tokens must carry this `iss`";
    JWT_AUDIENCE = "SILOSCOPE_JWT_AUDIENCE", None, None,
        "when set, tokens must carry this `aud`";
    LOG = "SILOSCOPE_LOG", Some("info"), None,
        "log filter (tracing EnvFilter syntax)";
    LOG_FORMAT = "SILOSCOPE_LOG_FORMAT", Some("text"), None,
        "`text` or `json`";
    DB_MAX_CONNECTIONS = "SILOSCOPE_DB_MAX_CONNECTIONS", Some("10"), Some(1..=1000),
        "database pool size";
    MAX_BODY_BYTES = "SILOSCOPE_MAX_BODY_BYTES", Some("1048576"), Some(1024..=1 << 30),
        "largest request body (1 MiB)";
    MAX_RECORDING_BODY_BYTES = "SILOSCOPE_MAX_RECORDING_BODY_BYTES", Some("16777216"),
        Some(1024..=1 << 30),
        "largest body of a request that only records interactions (16 MiB)";
    MAX_IMPORT_BYTES = "SILOSCOPE_MAX_IMPORT_BYTES", Some("1073741824"),
        Some(1024..=1 << 40),
        "largest body of `POST /import/interactions`, as sent (1 GiB; it is streamed, never held in memory)";
    IMPORT_MAX_RECORD_BYTES = "SILOSCOPE_IMPORT_MAX_RECORD_BYTES", Some("1048576"),
        Some(1024..=1 << 30),
        "imports: the longest CSV row, XML element or text, or JSON string or value, checked as it is read (1 MiB)";
    IMPORT_MAX_HELD_BYTES = "SILOSCOPE_IMPORT_MAX_HELD_BYTES", Some("67108864"),
        Some(1 << 20..=1 << 34),
        "imports: what a reader may hold before it can hand rows over (an XES trace's events before its concept:name, OCEL events before the objects, OCEL case ids) (64 MiB)";
    IMPORT_MAX_DEPTH = "SILOSCOPE_IMPORT_MAX_DEPTH", Some("64"), Some(4..=10_000),
        "imports: the deepest nesting of XML elements or JSON values";
    IMPORT_MAX_DECOMPRESSED_BYTES = "SILOSCOPE_IMPORT_MAX_DECOMPRESSED_BYTES", Some("17179869184"),
        Some(1 << 20..=1 << 50),
        "imports: the most a gzip file may decompress to (16 GiB)";
    IMPORT_MAX_COMPRESSION_RATIO = "SILOSCOPE_IMPORT_MAX_COMPRESSION_RATIO", Some("250"),
        Some(10..=100_000),
        "imports: the highest ratio of a gzip file's decompressed to compressed size, checked past 64 MiB (a log compresses 5 to 50 times; a decompression bomb 1,000)";
    MAX_DEPTH = "SILOSCOPE_MAX_DEPTH", Some("16"), Some(2..=64),
        "deepest selection nesting (the standard introspection query needs more than 12)";
    MAX_COMPLEXITY = "SILOSCOPE_MAX_COMPLEXITY", Some("50000"), Some(10..=10_000_000),
        "highest query cost (a field costs 1; a list multiplies by its `first`; a report or network costs 2,000 per period)";
    MAX_REPORTS_PER_ORG = "SILOSCOPE_MAX_REPORTS_PER_ORG", Some("4"), Some(1..=1000),
        "reports and networks one organization may compute at once on this server (more wait up to 5 s, then get TOO_MANY_REQUESTS)";
    CACHE_MIB = "SILOSCOPE_CACHE_MIB", Some("64"), Some(0..=65_536),
        "memory for computed reports and query answers kept for the next reader, in MiB, half each (0: none); a write to an organization makes its earlier ones unreachable at once";
    MAX_ALIASES = "SILOSCOPE_MAX_ALIASES", Some("30"), Some(0..=10_000),
        "most aliases in a query";
    MAX_DIRECTIVES = "SILOSCOPE_MAX_DIRECTIVES", Some("50"), Some(0..=10_000),
        "most directives in a query";
    MAX_TOKENS = "SILOSCOPE_MAX_TOKENS", Some("10000"), Some(100..=1_000_000),
        "most lexical tokens in a query";
    REQUEST_TIMEOUT_SECONDS = "SILOSCOPE_REQUEST_TIMEOUT_SECONDS", Some("30"), Some(1..=3600),
        "longest a request may run; its writes are rolled back";
    SHUTDOWN_GRACE_SECONDS = "SILOSCOPE_SHUTDOWN_GRACE_SECONDS", Some("30"), Some(0..=3600),
        "on SIGTERM, how long in-flight requests may take to finish";
    METRICS_TOKEN = "SILOSCOPE_METRICS_TOKEN", None, None,
        "serves GET /metrics on the main listener to `Authorization: Bearer <this>` (unset: /metrics answers 404 there)";
    METRICS_LISTEN = "SILOSCOPE_METRICS_LISTEN", None, None,
        "an address (like `127.0.0.1:9464`) of a second listener that serves only GET /metrics, without a credential: bind it to loopback or a private network Prometheus reaches (unset: none)";
    WS_INIT_TIMEOUT_MS = "SILOSCOPE_WS_INIT_TIMEOUT_MS", Some("3000"), Some(100..=60_000),
        "how long a WebSocket may wait before `connection_init` (then it is closed with 4408)";
    WS_KEEPALIVE_SECONDS = "SILOSCOPE_WS_KEEPALIVE_SECONDS", Some("30"), Some(1..=3600),
        "how often a WebSocket is pinged; one silent for two intervals is closed";
    MAX_SUBSCRIPTIONS_PER_CONNECTION = "SILOSCOPE_MAX_SUBSCRIPTIONS_PER_CONNECTION", Some("20"),
        Some(1..=1000),
        "most subscriptions one WebSocket may run at once";
    MAX_SUBSCRIPTIONS_PER_ORG = "SILOSCOPE_MAX_SUBSCRIPTIONS_PER_ORG", Some("500"),
        Some(1..=100_000),
        "most subscriptions one organization may run at once on this server";
    LIVE_POLL_MS = "SILOSCOPE_LIVE_POLL_MS", Some("2000"), Some(10..=60_000),
        "how often each replica reads the change table when nothing wakes it (PostgreSQL NOTIFY and this process's writes wake it at once)";
    WEBHOOK_RETRY_BASE_MS = "SILOSCOPE_WEBHOOK_RETRY_BASE_MS", Some("5000"),
        Some(10..=3_600_000),
        "wait after a webhook message's first failed attempt; each further one doubles it, up to a day";
    WEBHOOK_MAX_ATTEMPTS = "SILOSCOPE_WEBHOOK_MAX_ATTEMPTS", Some("8"), Some(1..=50),
        "attempts of one webhook message before it is given up (FAILED)";
    WEBHOOK_DISABLE_AFTER = "SILOSCOPE_WEBHOOK_DISABLE_AFTER", Some("50"), Some(1..=100_000),
        "failed attempts in a row (across messages) after which a webhook is disabled";
    WEBHOOK_TIMEOUT_SECONDS = "SILOSCOPE_WEBHOOK_TIMEOUT_SECONDS", Some("10"), Some(1..=300),
        "how long a webhook endpoint may take to answer";
    WEBHOOK_ALLOW_PRIVATE_NETWORKS = "SILOSCOPE_WEBHOOK_ALLOW_PRIVATE_NETWORKS", Some("0"),
        Some(0..=1),
        "1: webhooks may post to this machine and private networks (loopback, 10/8, 192.168/16, link-local…); 0: refused";
    OTLP_ENDPOINT = "SILOSCOPE_OTLP_ENDPOINT", None, None,
        "an OpenTelemetry collector's OTLP/HTTP address, like `http://127.0.0.1:4318`: traces go to its `/v1/traces` (unset: no traces)";
    CORS_ORIGINS = "SILOSCOPE_CORS_ORIGINS", None, None,
        "comma-separated origins (`https://dash.example.com`) whose pages may call the API from a browser, or `*` for any; credentials (cookies) are never allowed (unset: none)";
    TRUSTED_DOCUMENTS = "SILOSCOPE_TRUSTED_DOCUMENTS", Some("off"), None,
        "`enforce`: only documents registered with `siloscope documents add` run, except for the roles of SILOSCOPE_ADHOC_DOCUMENT_ROLES; `off`: any document runs";
    ADHOC_DOCUMENT_ROLES = "SILOSCOPE_ADHOC_DOCUMENT_ROLES", Some("ADMIN"), None,
        "with trusted documents enforced, the roles that may still send any document (comma-separated, or `none`)";
    RETENTION_INTERVAL_SECONDS = "SILOSCOPE_RETENTION_INTERVAL_SECONDS", Some("3600"),
        Some(10..=604_800),
        "how often each replica deletes the interactions past their organization's retention period";
}

/// [`VARIABLES`] as the README's markdown table (variable | default | meaning).
pub fn markdown_table() -> String {
    let mut table = String::from("| variable | default | meaning |\n|---|---|---|\n");
    for v in VARIABLES {
        let default = v.default.map_or("(none)".to_owned(), |d| format!("`{d}`"));
        table.push_str(&format!("| `{}` | {default} | {} |\n", v.name, v.meaning));
    }
    table
}

/// The bounds of one request (see the README's "Running in production").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest body of a request (default 1 MiB).
    pub max_body_bytes: usize,
    /// Largest body of a request whose only operation is `recordInteractions`.
    pub max_recording_body_bytes: usize,
    /// Largest body of `POST /import/interactions`, as sent (compressed or not).
    pub max_import_bytes: u64,
    /// What a log reader may read and hold.
    pub import: ReadLimits,
    /// Most lexical tokens in a query document.
    pub max_tokens: usize,
    /// Most aliased fields in a query document.
    pub max_aliases: usize,
    /// Most directives in a query document.
    pub max_directives: usize,
    /// Deepest nesting of selection sets.
    pub max_depth: usize,
    /// Highest complexity (each field 1; lists multiply by their `first`; a report or
    /// network 2,000 per period).
    pub max_complexity: usize,
    /// Reports and networks one organization may compute at once on this server.
    pub max_reports_per_org: usize,
    /// Memory for computed reports and query answers kept for the next reader, in
    /// bytes, half each (0: none).
    pub cache_bytes: u64,
    /// Longest a request may run before it is abandoned (its writes rolled back).
    pub request_timeout: Duration,
    /// How long a WebSocket may wait before `connection_init`.
    pub ws_init_timeout: Duration,
    /// How often a WebSocket is pinged.
    pub ws_keepalive: Duration,
    pub max_subscriptions_per_connection: usize,
    /// Per organization, on this server.
    pub max_subscriptions_per_org: usize,
    /// How often the change table is read when nothing wakes the relay.
    pub live_poll: Duration,
    pub webhook_retry_base: Duration,
    pub webhook_max_attempts: i32,
    pub webhook_disable_after: i32,
    pub webhook_timeout: Duration,
    /// Whether webhooks may post to loopback and private addresses.
    pub webhook_allow_private_networks: bool,
}

impl Default for Limits {
    /// The defaults of the configuration table ([`VARIABLES`]).
    fn default() -> Self {
        default_limits()
    }
}

/// What a log reader may hold or read (`SILOSCOPE_IMPORT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// The longest CSV row, XML element or text, JSON string or number, in bytes.
    pub max_record_bytes: usize,
    /// What a reader may hold while it cannot hand rows over yet (an XES trace's events
    /// before its case name, OCEL events before its objects, OCEL case ids), in bytes.
    pub max_held_bytes: usize,
    /// The deepest nesting of XML elements or JSON values.
    pub max_depth: usize,
    /// The most bytes a compressed file may decompress to.
    pub max_decompressed_bytes: u64,
    /// The highest ratio of decompressed to compressed bytes (checked once 64 MiB have
    /// been decompressed): a file above it is a decompression bomb, not a log.
    pub max_compression_ratio: u64,
}

impl Default for ReadLimits {
    /// The configuration table's defaults.
    fn default() -> Self {
        Limits::default().import
    }
}

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

/// Which documents may run (trusted documents).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentPolicy {
    /// Only registered documents run, except for `adhoc_roles`.
    pub enforce: bool,
    /// The roles (by name, as [`ROLE_NAMES`] spells them) that may send any
    /// document when `enforce` is on.
    pub adhoc_roles: Vec<String>,
}

/// The access roles' names, as tokens, keys and the schema spell them.
pub const ROLE_NAMES: [&str; 4] = ["VIEWER", "EDITOR", "INTEGRATION", "ADMIN"];

impl DocumentPolicy {
    /// Whether a caller with the roles named may send a document that is not
    /// registered.
    pub fn allows_adhoc<'a>(&self, mut roles: impl Iterator<Item = &'a str>) -> bool {
        !self.enforce || roles.any(|r| self.adhoc_roles.iter().any(|a| a == r))
    }
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
    /// The table's defaults.
    fn default() -> Self {
        JwtSettings {
            algorithm: var::JWT_ALGORITHM
                .default
                .and_then(algorithm)
                .unwrap_or_default(),
            secret: None,
            public_key_pem: None,
            jwks_json: None,
            jwks_url: None,
            issuer: None,
            audience: None,
            org_claim: var::JWT_ORG_CLAIM.default.unwrap_or_default().into(),
            roles_claim: var::JWT_ROLES_CLAIM.default.unwrap_or_default().into(),
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

/// The variables given, read through the table.
struct Lookup<'a>(&'a HashMap<String, String>);

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

/// The limits, each read by `number` (the ranges bound them, so the casts are exact).
fn limits<E>(number: impl Fn(&Variable) -> Result<u64, E>) -> Result<Limits, E> {
    let size = |v: &Variable| number(v).map(|n| n as usize);
    Ok(Limits {
        max_body_bytes: size(&var::MAX_BODY_BYTES)?,
        max_recording_body_bytes: size(&var::MAX_RECORDING_BODY_BYTES)?,
        max_import_bytes: number(&var::MAX_IMPORT_BYTES)?,
        import: ReadLimits {
            max_record_bytes: size(&var::IMPORT_MAX_RECORD_BYTES)?,
            max_held_bytes: size(&var::IMPORT_MAX_HELD_BYTES)?,
            max_depth: size(&var::IMPORT_MAX_DEPTH)?,
            max_decompressed_bytes: number(&var::IMPORT_MAX_DECOMPRESSED_BYTES)?,
            max_compression_ratio: number(&var::IMPORT_MAX_COMPRESSION_RATIO)?,
        },
        max_depth: size(&var::MAX_DEPTH)?,
        max_complexity: size(&var::MAX_COMPLEXITY)?,
        max_reports_per_org: size(&var::MAX_REPORTS_PER_ORG)?,
        cache_bytes: number(&var::CACHE_MIB)? << 20,
        max_aliases: size(&var::MAX_ALIASES)?,
        max_directives: size(&var::MAX_DIRECTIVES)?,
        max_tokens: size(&var::MAX_TOKENS)?,
        request_timeout: std::time::Duration::from_secs(number(&var::REQUEST_TIMEOUT_SECONDS)?),
        ws_init_timeout: std::time::Duration::from_millis(number(&var::WS_INIT_TIMEOUT_MS)?),
        ws_keepalive: std::time::Duration::from_secs(number(&var::WS_KEEPALIVE_SECONDS)?),
        max_subscriptions_per_connection: size(&var::MAX_SUBSCRIPTIONS_PER_CONNECTION)?,
        max_subscriptions_per_org: size(&var::MAX_SUBSCRIPTIONS_PER_ORG)?,
        live_poll: std::time::Duration::from_millis(number(&var::LIVE_POLL_MS)?),
        webhook_retry_base: std::time::Duration::from_millis(number(&var::WEBHOOK_RETRY_BASE_MS)?),
        webhook_max_attempts: number(&var::WEBHOOK_MAX_ATTEMPTS)? as i32,
        webhook_disable_after: number(&var::WEBHOOK_DISABLE_AFTER)? as i32,
        webhook_timeout: std::time::Duration::from_secs(number(&var::WEBHOOK_TIMEOUT_SECONDS)?),
        webhook_allow_private_networks: number(&var::WEBHOOK_ALLOW_PRIVATE_NETWORKS)? == 1,
    })
}

/// `Limits::default()`: the table's defaults.
pub(crate) fn default_limits() -> Limits {
    let Ok(limits) = limits(|v| Ok::<_, Infallible>(v.default_number()));
    limits
}

impl Settings {
    /// How the service reaches its database, with a pool of `max_connections`.
    pub fn database(&self, max_connections: u32) -> service::db::DbOptions {
        service::db::DbOptions {
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
        let listen = vars.text(&var::LISTEN);
        let listen = listen.parse().map_err(|_| {
            problem(
                var::LISTEN.name,
                format!(
                    "`{listen}` is not an address like {}",
                    var::LISTEN.default.unwrap_or_default()
                ),
            )
        })?;
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
        let log_json = match vars.text(&var::LOG_FORMAT) {
            "text" => false,
            "json" => true,
            other => {
                return Err(problem(
                    var::LOG_FORMAT.name,
                    format!("`{other}` is neither `text` nor `json`"),
                ))
            }
        };
        // The range is 1 to 1000, so the cast is exact.
        let db_max_connections = vars.number(&var::DB_MAX_CONNECTIONS)? as u32;
        let database_url = vars.text(&var::DATABASE_URL).to_owned();
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(problem(
                var::DATABASE_URL.name,
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        let database_pooler = match vars.text(&var::DATABASE_POOLER) {
            "none" => false,
            "transaction" => true,
            other => {
                return Err(problem(
                    var::DATABASE_POOLER.name,
                    format!("`{other}` is neither `none` nor `transaction`"),
                ))
            }
        };
        let database_direct_url = vars.get(&var::DATABASE_DIRECT_URL).map(str::to_owned);
        if database_direct_url
            .as_deref()
            .is_some_and(|u| !(u.starts_with("postgres://") || u.starts_with("postgresql://")))
        {
            return Err(problem(
                var::DATABASE_DIRECT_URL.name,
                "must start with postgres:// or postgresql://",
            ));
        }
        let log = vars.text(&var::LOG).to_owned();
        tracing_subscriber::EnvFilter::try_new(&log)
            .map_err(|e| problem(var::LOG.name, format!("not a log filter: {e}")))?;
        let limits = limits(|v| vars.number(v))?;
        let otlp_endpoint = match vars.get(&var::OTLP_ENDPOINT) {
            Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
                return Err(problem(
                    var::OTLP_ENDPOINT.name,
                    format!("`{url}` is not an http:// or https:// address"),
                ))
            }
            url => url.map(|u| u.trim_end_matches('/').to_owned()),
        };
        Ok(Settings {
            otlp_endpoint,
            cors_origins: cors_origins(vars.get(&var::CORS_ORIGINS))?,
            documents: document_policy(&vars)?,
            retention_interval: Duration::from_secs(vars.number(&var::RETENTION_INTERVAL_SECONDS)?),
            database_url,
            database_pooler,
            database_direct_url,
            listen,
            jwt: jwt_settings(&vars, secret)?,
            log,
            log_json,
            db_max_connections,
            limits,
            shutdown_grace_seconds: vars.number(&var::SHUTDOWN_GRACE_SECONDS)?,
            metrics_token: vars
                .get(&var::METRICS_TOKEN)
                .map(|t| SecretString::from(t.to_owned())),
            metrics_listen: vars
                .get(&var::METRICS_LISTEN)
                .map(|address| {
                    address.parse().map_err(|_| {
                        problem(
                            var::METRICS_LISTEN.name,
                            format!("`{address}` is not an address like 127.0.0.1:9464"),
                        )
                    })
                })
                .transpose()?,
        })
    }
}

/// The origins of SILOSCOPE_CORS_ORIGINS: each `scheme://host[:port]` as a browser
/// sends it in `Origin` (no path, no trailing slash), or `*` alone.
fn cors_origins(given: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let Some(given) = given else {
        return Ok(Vec::new());
    };
    let origins: Vec<String> = given
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    if origins.iter().any(|o| o == "*") {
        if origins.len() > 1 {
            return Err(problem(
                var::CORS_ORIGINS.name,
                "`*` allows every origin: give it alone or list origins",
            ));
        }
        return Ok(origins);
    }
    for origin in &origins {
        let parsed = url::Url::parse(origin).ok();
        let canonical = parsed
            .as_ref()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .map(|u| u.origin().ascii_serialization());
        if canonical.as_deref() != Some(origin.as_str()) {
            return Err(problem(
                var::CORS_ORIGINS.name,
                format!(
                    "`{origin}` is not an origin like https://dash.example.com (scheme, host and port only)"
                ),
            ));
        }
    }
    Ok(origins)
}

fn document_policy(vars: &Lookup) -> Result<DocumentPolicy, ConfigError> {
    let enforce = match vars.text(&var::TRUSTED_DOCUMENTS) {
        "off" => false,
        "enforce" => true,
        other => {
            return Err(problem(
                var::TRUSTED_DOCUMENTS.name,
                format!("`{other}` is neither `off` nor `enforce`"),
            ))
        }
    };
    let roles = vars.text(&var::ADHOC_DOCUMENT_ROLES);
    let adhoc_roles = if roles.trim().eq_ignore_ascii_case("none") {
        Vec::new()
    } else {
        roles
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| {
                let name = r.to_ascii_uppercase();
                if ROLE_NAMES.contains(&name.as_str()) {
                    Ok(name)
                } else {
                    Err(problem(
                        var::ADHOC_DOCUMENT_ROLES.name,
                        format!("`{r}` is not one of {}", ROLE_NAMES.join(", ")),
                    ))
                }
            })
            .collect::<Result<_, _>>()?
    };
    Ok(DocumentPolicy {
        enforce,
        adhoc_roles,
    })
}

fn read_file(variable: &str, path: &str) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map_err(|e| problem(variable, format!("cannot read `{path}`: {e}")))
}

/// The algorithm a SILOSCOPE_JWT_ALGORITHM value names.
fn algorithm(name: &str) -> Option<jsonwebtoken::Algorithm> {
    use jsonwebtoken::Algorithm;
    match name {
        "HS256" => Some(Algorithm::HS256),
        "RS256" => Some(Algorithm::RS256),
        "ES256" => Some(Algorithm::ES256),
        _ => None,
    }
}

fn jwt_settings(vars: &Lookup, secret: Option<SecretString>) -> Result<JwtSettings, ConfigError> {
    use jsonwebtoken::Algorithm;
    let name = vars.text(&var::JWT_ALGORITHM);
    let algorithm = algorithm(name).ok_or_else(|| {
        problem(
            var::JWT_ALGORITHM.name,
            format!("`{name}` is not HS256, RS256 or ES256"),
        )
    })?;
    let file = |v: &Variable| vars.get(v).map(|path| read_file(v.name, path)).transpose();
    let public_key_pem = file(&var::JWT_PUBLIC_KEY_FILE)?;
    let jwks_json = file(&var::JWT_JWKS_FILE)?;
    let jwks_url = vars.get(&var::JWT_JWKS_URL).map(str::to_owned);
    if let Some(url) = &jwks_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(problem(var::JWT_JWKS_URL.name, "must be an http(s) URL"));
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
                var::JWT_ALGORITHM.name,
                "HS256 uses SILOSCOPE_JWT_SECRET; set RS256 or ES256 to use a public key or JWKS",
            ))
        }
        Algorithm::HS256 => {}
        _ if public_sources != 1 => {
            return Err(problem(
                var::JWT_ALGORITHM.name,
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
        issuer: vars.get(&var::JWT_ISSUER).map(str::to_owned),
        audience: vars.get(&var::JWT_AUDIENCE).map(str::to_owned),
        org_claim: vars.text(&var::JWT_ORG_CLAIM).to_owned(),
        roles_claim: vars.text(&var::JWT_ROLES_CLAIM).to_owned(),
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
