//! The one table of `SILOSCOPE_*` variables: name, default, range, meaning.

use std::ops::RangeInclusive;

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
    pub(super) fn default_number(&self) -> u64 {
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
        "imports: what a reader may hold before it can hand rows over (an XES trace's events before its concept:name, OCEL events before the objects, OCEL case ids, a preset's side files and each ticket's group) (64 MiB)";
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
