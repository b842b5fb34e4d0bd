//! The identities themselves: users, roles, sessions and who they act as, and the principal a
//! request's key resolves to, with the policies that govern it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::policy::{Policy, PolicyKind, PrincipalRef};
use crate::storage::{SessionRow, UserRow};

/// The SHA-256 of `data` in lowercase hex.
pub(super) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// An account's canonical user id (64 hex digits, as S3 shows in ACLs and owners).
pub fn canonical_id(account_id: &str) -> String {
    sha256_hex(format!("s3strict-account:{account_id}").as_bytes())
}

/// Whether a user's access key may sign requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Active,
    Inactive,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "Active" => Some(Status::Active),
            "Inactive" => Some(Status::Inactive),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Active => "Active",
            Status::Inactive => "Inactive",
        }
    }
}

/// An IAM user with one access key.
#[derive(Debug, Clone)]
pub struct User {
    pub account_id: String,
    pub name: String,
    pub access_key: String,
    pub secret_key: String,
    pub status: Status,
    /// `aws:userid`: a stable `AIDA…` id.
    pub user_id: String,
    pub policies: Vec<Arc<Policy>>,
    pub created_ms: i64,
}

impl User {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:user/{}", self.account_id, self.name)
    }

    /// The user as stored.
    pub fn to_row(&self) -> UserRow {
        UserRow {
            account_id: self.account_id.clone(),
            name: self.name.clone(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            status: self.status.name().to_string(),
            user_id: self.user_id.clone(),
            policies: self.policies.iter().map(|p| p.text.clone()).collect(),
            created_ms: self.created_ms,
        }
    }

    /// A stored user; `Err` names what does not parse.
    pub fn from_row(row: UserRow) -> Result<User, String> {
        let status =
            Status::parse(&row.status).ok_or_else(|| format!("user {}: bad status {:?}", row.name, row.status))?;
        let policies = parse_identity_policies(&row.name, &row.policies)?;
        Ok(User {
            account_id: row.account_id,
            name: row.name,
            access_key: row.access_key,
            secret_key: row.secret_key,
            status,
            user_id: row.user_id,
            policies,
            created_ms: row.created_ms,
        })
    }
}

/// Parses a user's or role's inline identity policies.
pub fn parse_identity_policies(owner: &str, texts: &[String]) -> Result<Vec<Arc<Policy>>, String> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Policy::parse(t, &PolicyKind::Identity, &|_| true)
                .map(Arc::new)
                .map_err(|e| format!("{owner}: policy {}: {e}", i + 1))
        })
        .collect()
}

/// A role: who may assume it (its trust policy) and what its sessions may do.
#[derive(Debug, Clone)]
pub struct Role {
    pub account_id: String,
    pub name: String,
    /// A stable `AROA…` id.
    pub role_id: String,
    pub trust: Arc<Policy>,
    pub policies: Vec<Arc<Policy>>,
    /// The longest session AssumeRole grants (1 to 12 hours; 1 hour by default).
    pub max_session_secs: i64,
}

impl Role {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:role/{}", self.account_id, self.name)
    }
}

/// Who a session acts as: an identity by its unique id, which no other identity ever has (a user
/// made again with the same name gets a new one), so a session never passes to another identity.
/// The names are kept for the logs; the ids decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Holder {
    /// An account's root user (GetSessionToken by root, `/_s3strict/sessions`).
    Root { account_id: String },
    /// An IAM user (GetSessionToken), by its `AIDA…` id.
    User { account_id: String, name: String, user_id: String },
    /// A role (AssumeRole), by its `AROA…` id, under a session name.
    Role { account_id: String, name: String, role_id: String, session_name: String },
}

impl Holder {
    /// The unique id of the identity: the account id of a root user, a user's or role's id.
    pub fn id(&self) -> &str {
        match self {
            Holder::Root { account_id } => account_id,
            Holder::User { user_id, .. } => user_id,
            Holder::Role { role_id, .. } => role_id,
        }
    }
}

/// Temporary credentials.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_key: String,
    pub secret_key: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub holder: Holder,
    /// The session policy given to AssumeRole, which narrows the role's permissions.
    pub policy: Option<Arc<Policy>>,
}

impl Session {
    /// The session as stored.
    pub fn to_row(&self) -> SessionRow {
        SessionRow {
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            token: self.token.clone(),
            expires_ms: self.expires_at.timestamp_millis(),
            holder: serde_json::to_string(&self.holder).unwrap_or_default(),
            policy: self.policy.as_ref().map(|p| p.text.clone()),
        }
    }

    /// A stored session; `Err` says why its row does not read (rows from before sessions named
    /// their identity by id do not).
    pub(super) fn from_row(row: SessionRow) -> Result<Session, String> {
        let holder = serde_json::from_str(&row.holder).map_err(|e| format!("holder {:?}: {e}", row.holder))?;
        let policy = match &row.policy {
            Some(t) => Some(Arc::new(
                Policy::parse(t, &PolicyKind::Identity, &|_| true).map_err(|e| format!("session policy: {}", e.0))?,
            )),
            None => None,
        };
        let expires_at = DateTime::from_timestamp_millis(row.expires_ms).ok_or("expiry out of range")?;
        Ok(Session {
            access_key: row.access_key,
            secret_key: row.secret_key,
            token: row.token,
            expires_at,
            holder,
            policy,
        })
    }
}

/// What kind of principal signed a request (`aws:PrincipalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Anonymous,
    Root,
    User,
    AssumedRole,
}

/// Who sent a request, with the policies that govern what it may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// `None` for anonymous requests.
    pub account_id: Option<String>,
    /// `arn:aws:iam::…:root`, `…:user/alice`, `arn:aws:sts::…:assumed-role/role/session`.
    pub arn: Option<String>,
    /// The role of an assumed-role session.
    pub role_arn: Option<String>,
    /// `aws:userid`.
    pub user_id: Option<String>,
    /// `aws:username` (IAM users only).
    pub username: Option<String>,
    /// The user's or role's inline policies (none for root, who needs none in its account).
    pub identity_policies: Vec<Arc<Policy>>,
    /// The session policy that narrows an assumed role.
    pub session_policy: Option<Arc<Policy>>,
}

impl Principal {
    pub fn anonymous() -> Principal {
        Principal {
            kind: PrincipalKind::Anonymous,
            account_id: None,
            arn: None,
            role_arn: None,
            user_id: None,
            username: None,
            identity_policies: Vec::new(),
            session_policy: None,
        }
    }

    pub(super) fn root(account_id: &str) -> Principal {
        Principal {
            kind: PrincipalKind::Root,
            account_id: Some(account_id.to_string()),
            arn: Some(format!("arn:aws:iam::{account_id}:root")),
            user_id: Some(account_id.to_string()),
            ..Principal::anonymous()
        }
    }

    /// The canonical id of the principal's account.
    pub fn canonical_id(&self) -> Option<String> {
        self.account_id.as_deref().map(canonical_id)
    }

    /// The principal as policy statements name it; `canonical_id` is [`Principal::canonical_id`]'s.
    pub fn policy_ref<'a>(&'a self, canonical_id: Option<&'a str>) -> PrincipalRef<'a> {
        PrincipalRef {
            account: self.account_id.as_deref(),
            canonical_id,
            arn: self.arn.as_deref(),
            role_arn: self.role_arn.as_deref(),
            user_id: self.user_id.as_deref(),
        }
    }

    /// The value of `aws:PrincipalType`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            PrincipalKind::Anonymous => "Anonymous",
            PrincipalKind::Root => "Account",
            PrincipalKind::User => "User",
            PrincipalKind::AssumedRole => "AssumedRole",
        }
    }
}

pub(super) fn user_principal(u: &User) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        account_id: Some(u.account_id.clone()),
        arn: Some(u.arn()),
        role_arn: None,
        user_id: Some(u.user_id.clone()),
        username: Some(u.name.clone()),
        identity_policies: u.policies.clone(),
        session_policy: None,
    }
}
