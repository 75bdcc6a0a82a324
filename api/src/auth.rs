//! Bearer tokens: what they claim, how they are checked and minted.

use std::collections::HashSet;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::config::JwtSettings;
use crate::error::ApiError;

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
    pub subject: String,
    pub organization_id: i64,
    pub organization_slug: String,
    pub roles: HashSet<AccessRole>,
}

/// Which roles may do what.
pub mod may {
    use super::AccessRole::{self, *};

    /// Change the organization's model.
    pub const EDIT: &[AccessRole] = &[Editor, Admin];
    /// Sync functions and people.
    pub const SYNC_PEOPLE: &[AccessRole] = &[Editor, Integration, Admin];
    /// Record interactions.
    pub const RECORD: &[AccessRole] = &[Editor, Integration, Admin];
    /// Change the organization's settings.
    pub const ADMINISTER: &[AccessRole] = &[Admin];
}

impl Viewer {
    /// Passes when the viewer has one of `roles`; FORBIDDEN otherwise.
    pub fn require(&self, roles: &[AccessRole]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.roles.contains(r)) {
            Ok(())
        } else {
            let names: Vec<String> = roles
                .iter()
                .map(|r| format!("{r:?}").to_uppercase())
                .collect();
            Err(ApiError::forbidden(format!(
                "this needs one of the roles {}",
                names.join(", ")
            )))
        }
    }

    pub fn has(&self, role: AccessRole) -> bool {
        self.roles.contains(&role)
    }
}

/// Checks and mints HS256 tokens with the configured secret.
#[derive(Clone)]
pub struct TokenKeys {
    secret: Option<SecretString>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(settings: &JwtSettings) -> Self {
        TokenKeys {
            secret: settings.secret.clone(),
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        }
    }

    fn secret(&self) -> Result<&[u8], ApiError> {
        self.secret
            .as_ref()
            .map(|s| s.expose_secret().as_bytes())
            .ok_or_else(|| ApiError::Unauthenticated("no token secret is configured".into()))
    }

    /// Verifies a token: signature (HS256 only), `exp`, and `iss`/`aud` when configured.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub"]);
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            validation.required_spec_claims.insert("iss".into());
        }
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                validation.required_spec_claims.insert("aud".into());
            }
            None => validation.validate_aud = false,
        }
        let key = DecodingKey::from_secret(self.secret()?);
        decode::<Claims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                    ErrorKind::InvalidAudience => "the token's audience is not accepted",
                    ErrorKind::InvalidSignature => "the token's signature is invalid",
                    ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted",
                    ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                    _ => "the token is malformed",
                };
                ApiError::Unauthenticated(why.into())
            })
    }

    /// Mints a token for `subject` in organization `org` with `roles`, valid for
    /// `lifetime_seconds`.
    pub fn mint(
        &self,
        subject: &str,
        org: &str,
        roles: &[AccessRole],
        lifetime_seconds: i64,
    ) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            org: org.to_owned(),
            roles: roles.to_vec(),
            exp: now + lifetime_seconds,
            iat: Some(now),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(self.secret()?),
        )
        .map_err(ApiError::internal)
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

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::new(&JwtSettings {
            secret: Some(SecretString::from(secret.to_owned())),
            issuer: None,
            audience: None,
        })
    }

    #[test]
    fn a_minted_token_verifies_and_a_foreign_one_does_not() {
        let ours = keys("0123456789abcdef0123456789abcdef");
        let token = ours.mint("ana", "acme", &[AccessRole::Admin], 60).unwrap();
        let claims = ours.verify(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.org.as_str()), ("ana", "acme"));
        let theirs = keys("fedcba9876543210fedcba9876543210");
        assert!(matches!(
            theirs.verify(&token),
            Err(ApiError::Unauthenticated(_))
        ));
        let expired = ours
            .mint("ana", "acme", &[AccessRole::Admin], -3600)
            .unwrap();
        assert!(
            matches!(ours.verify(&expired), Err(ApiError::Unauthenticated(m)) if m.contains("expired"))
        );
    }
}
