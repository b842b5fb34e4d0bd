//! What the identities are made of in the settings: the built-in key pair and account, and the
//! `[[accounts]]`, `[[users]]` and `[[roles]]` tables of the config file. [`crate::config`] reads
//! them (and re-exports these types); [`super::Iam::load`] builds the registry from
//! [`IdentitySettings`]. They live here, below both, so that the registry never imports the
//! configuration back.

use serde::Deserialize;

/// The AWS documentation example access key, the default.
pub const DEFAULT_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
/// The AWS documentation example secret key, the default.
pub const DEFAULT_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// The account the flag/env key belongs to unless `account_id` says otherwise (the AWS
/// documentation's example account).
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// Whether `id` has the form of an AWS account id: 12 digits.
pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// A policy document in the config file: the JSON text AWS users write, or the same document as
/// a TOML table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum PolicyText {
    Json(String),
    Table(serde_json::Value),
}

impl PolicyText {
    /// The document as JSON text.
    pub fn text(&self) -> String {
        match self {
            PolicyText::Json(s) => s.clone(),
            PolicyText::Table(v) => v.to_string(),
        }
    }
}

/// `[[accounts]]`: another account, optionally with its root user's key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    pub id: String,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
}

/// `[[users]]`: an IAM user with one access key and inline policies.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSettings {
    pub name: String,
    /// The account id; the default account when absent.
    pub account: Option<String>,
    pub access_key: String,
    pub secret_key: String,
    /// `Active` (default) or `Inactive`.
    pub status: Option<String>,
    #[serde(default)]
    pub policies: Vec<PolicyText>,
}

/// `[[roles]]`: a role users may assume through STS.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSettings {
    pub name: String,
    pub account: Option<String>,
    pub trust_policy: PolicyText,
    #[serde(default)]
    pub policies: Vec<PolicyText>,
    /// Seconds, 900 to 43200; 3600 by default.
    pub max_session_duration: Option<i64>,
}

/// Everything the registry is built from: the root key of the default account and the declared
/// accounts, users and roles.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySettings {
    /// The root user's key of the default account.
    pub access_key: String,
    pub secret_key: String,
    /// The default account.
    pub account_id: String,
    pub accounts: Vec<AccountSettings>,
    pub users: Vec<UserSettings>,
    pub roles: Vec<RoleSettings>,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        IdentitySettings {
            access_key: DEFAULT_ACCESS_KEY.into(),
            secret_key: DEFAULT_SECRET_KEY.into(),
            account_id: DEFAULT_ACCOUNT_ID.into(),
            accounts: Vec::new(),
            users: Vec::new(),
            roles: Vec::new(),
        }
    }
}
