//! Who may call: how bearer tokens are verified, which documents may run, and the
//! origins browsers may call from.

use secrecy::SecretString;

use super::variables::var;
use super::{problem, ConfigError, Lookup, Variable};

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

/// The origins of SILOSCOPE_CORS_ORIGINS: each `scheme://host[:port]` as a browser
/// sends it in `Origin` (no path, no trailing slash), or `*` alone.
pub(super) fn cors_origins(given: Option<&str>) -> Result<Vec<String>, ConfigError> {
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

pub(super) fn document_policy(vars: &Lookup) -> Result<DocumentPolicy, ConfigError> {
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

pub(super) fn read_file(variable: &str, path: &str) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map_err(|e| problem(variable, format!("cannot read `{path}`: {e}")))
}

/// The algorithm a SILOSCOPE_JWT_ALGORITHM value names.
pub(super) fn algorithm(name: &str) -> Option<jsonwebtoken::Algorithm> {
    use jsonwebtoken::Algorithm;
    match name {
        "HS256" => Some(Algorithm::HS256),
        "RS256" => Some(Algorithm::RS256),
        "ES256" => Some(Algorithm::ES256),
        _ => None,
    }
}

pub(super) fn jwt_settings(
    vars: &Lookup,
    secret: Option<SecretString>,
) -> Result<JwtSettings, ConfigError> {
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
