//! The bounds of one request, and what a log reader may hold.

use std::time::Duration;

use super::variables::{var, Variable};

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

/// The limits, each read by `number` (the ranges bound them, so the casts are exact).
pub(super) fn limits<E>(number: impl Fn(&Variable) -> Result<u64, E>) -> Result<Limits, E> {
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
    let Ok(limits) = limits(|v| Ok::<_, std::convert::Infallible>(v.default_number()));
    limits
}
