//! Identities as AWS has them: accounts (each with its root user), IAM users with access keys and
//! inline identity policies, roles with trust and permission policies, and temporary sessions
//! (from STS or `/_s3strict/sessions`), each acting as its holder and limited by its session
//! policy. The registry lives in memory for the request path; the users and sessions it holds are
//! also kept in SQLite by whoever changes them ([`crate::storage`]), so they survive a restart.
//!
//! The key given by flags or environment is the root user of the default account: with no other
//! identity configured, it may do everything, as an account's root user may.

mod identity;
pub mod settings;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::policy::{Policy, PolicyKind};
use crate::storage::{SessionRow, UserRow};
pub use identity::{
    canonical_id, parse_identity_policies, Holder, Principal, PrincipalKind, Role, Session, Status, User,
};
use identity::{sha256_hex, user_principal};
pub use settings::{is_account_id, IdentitySettings, DEFAULT_ACCOUNT_ID};
use settings::{RoleSettings, UserSettings};

/// The longest session STS grants: 36 hours.
pub const MAX_SESSION_SECS: i64 = 129_600;

/// `n` random characters from `alphabet`.
fn random_string(alphabet: &[u8], n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in uuid::Uuid::new_v4().into_bytes() {
            if out.len() < n {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A new identifier with an AWS prefix (`AKIA`, `ASIA`, `AIDA`, `AROA`): 20 characters in all.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", random_string(ID_CHARS, 20 - prefix.len().min(20)))
}

/// A new 40-character secret access key.
pub fn new_secret() -> String {
    random_string(SECRET_CHARS, 40)
}

/// The identity registry.
#[derive(Debug)]
pub struct Iam {
    default_account: String,
    accounts: Vec<String>,
    /// Root keys: access key → (account id, secret).
    roots: HashMap<String, (String, String)>,
    roles: Vec<Role>,
    /// Users by access key.
    users: RwLock<HashMap<String, User>>,
    /// Sessions by access key.
    sessions: RwLock<HashMap<String, Session>>,
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    match l.read() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    match l.write() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Iam {
    /// One account whose root holds `access_key` (what `check-url` judges with).
    pub fn single(access_key: &str, secret_key: &str) -> Iam {
        let mut roots = HashMap::new();
        roots.insert(access_key.to_string(), (DEFAULT_ACCOUNT_ID.to_string(), secret_key.to_string()));
        Iam {
            default_account: DEFAULT_ACCOUNT_ID.to_string(),
            accounts: vec![DEFAULT_ACCOUNT_ID.to_string()],
            roots,
            roles: Vec::new(),
            users: RwLock::new(HashMap::new()),
            sessions: RwLock::new(HashMap::new()),
        }
    }

    /// The registry of the settings over what the store kept (users added at run time, live
    /// sessions). Users the settings declare replace stored ones of the same name; the returned
    /// rows are the users to write back. `Err` says which identity is wrong.
    pub fn load(
        settings: impl Into<IdentitySettings>,
        stored_users: Vec<UserRow>,
        stored_sessions: Vec<SessionRow>,
        now_ms: i64,
    ) -> Result<(Iam, Vec<UserRow>), String> {
        let settings: IdentitySettings = settings.into();
        let mut iam = Iam::single(&settings.access_key, &settings.secret_key);
        iam.roots.clear();
        iam.default_account = settings.account_id.clone();
        iam.accounts = vec![settings.account_id.clone()];
        iam.roots.insert(settings.access_key.clone(), (settings.account_id.clone(), settings.secret_key.clone()));
        for a in &settings.accounts {
            if !is_account_id(&a.id) {
                return Err(format!("account {:?}: an account id is 12 digits", a.id));
            }
            if iam.accounts.contains(&a.id) {
                return Err(format!("account {} is declared twice", a.id));
            }
            iam.accounts.push(a.id.clone());
            match (&a.access_key, &a.secret_key) {
                (Some(ak), Some(sk)) => {
                    if iam.roots.insert(ak.clone(), (a.id.clone(), sk.clone())).is_some() {
                        return Err(format!("access key {ak} is used twice"));
                    }
                }
                (None, None) => {}
                _ => return Err(format!("account {}: give both access_key and secret_key, or neither", a.id)),
            }
        }
        let mut users = HashMap::new();
        for row in stored_users {
            let user = User::from_row(row)?;
            users.insert(user.access_key.clone(), user);
        }
        let mut declared = Vec::new();
        for u in &settings.users {
            let user = iam.user_from_settings(u, now_ms)?;
            users.retain(|_, v: &mut User| !(v.account_id == user.account_id && v.name == user.name));
            declared.push(user.to_row());
            users.insert(user.access_key.clone(), user);
        }
        for ak in users.keys() {
            if iam.roots.contains_key(ak) {
                return Err(format!("access key {ak} is used twice"));
            }
        }
        *write(&iam.users) = users;
        for r in &settings.roles {
            let role = iam.role_from_settings(r)?;
            iam.roles.push(role);
        }
        let mut sessions = HashMap::new();
        for row in stored_sessions {
            if let Some(s) = Session::from_row(row) {
                sessions.insert(s.access_key.clone(), s);
            }
        }
        *write(&iam.sessions) = sessions;
        Ok((iam, declared))
    }

    fn account_of(&self, given: Option<&str>, what: &str) -> Result<String, String> {
        match given {
            None => Ok(self.default_account.clone()),
            Some(a) if self.accounts.iter().any(|x| x == a) => Ok(a.to_string()),
            Some(a) => Err(format!("{what}: account {a} is not declared")),
        }
    }

    fn user_from_settings(&self, u: &UserSettings, now_ms: i64) -> Result<User, String> {
        let what = format!("user {}", u.name);
        validate_name(&u.name).map_err(|e| format!("{what}: {e}"))?;
        let account_id = self.account_of(u.account.as_deref(), &what)?;
        let status = match u.status.as_deref() {
            None => Status::Active,
            Some(s) => Status::parse(s).ok_or_else(|| format!("{what}: status is Active or Inactive, not {s:?}"))?,
        };
        if u.access_key.is_empty() || u.access_key.contains('/') || u.secret_key.is_empty() {
            return Err(format!("{what}: the access key must be non-empty without '/', and the secret non-empty"));
        }
        let texts: Vec<String> = u.policies.iter().map(|p| p.text()).collect();
        let policies = parse_identity_policies(&what, &texts)?;
        Ok(User {
            account_id,
            name: u.name.clone(),
            access_key: u.access_key.clone(),
            secret_key: u.secret_key.clone(),
            status,
            user_id: stable_id("AIDA", &format!("{}/{}", u.access_key, u.name)),
            policies,
            created_ms: now_ms,
        })
    }

    fn role_from_settings(&self, r: &RoleSettings) -> Result<Role, String> {
        let what = format!("role {}", r.name);
        validate_name(&r.name).map_err(|e| format!("{what}: {e}"))?;
        let account_id = self.account_of(r.account.as_deref(), &what)?;
        let trust = Policy::parse(&r.trust_policy.text(), &PolicyKind::Trust, &|arn| self.principal_exists(arn))
            .map_err(|e| format!("{what}: trust policy: {e}"))?;
        let texts: Vec<String> = r.policies.iter().map(|p| p.text()).collect();
        let policies = parse_identity_policies(&what, &texts)?;
        let max = r.max_session_duration.unwrap_or(3600);
        if !(900..=43_200).contains(&max) {
            return Err(format!("{what}: max_session_duration is 900 to 43200 seconds"));
        }
        Ok(Role {
            role_id: stable_id("AROA", &format!("{account_id}/{}", r.name)),
            account_id,
            name: r.name.clone(),
            trust: Arc::new(trust),
            policies,
            max_session_secs: max,
        })
    }

    /// The default account (the flag/env key's).
    pub fn default_account(&self) -> &str {
        &self.default_account
    }

    /// Every declared account's id.
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }

    /// Whether `id` is a declared account.
    pub fn has_account(&self, id: &str) -> bool {
        self.accounts.iter().any(|a| a == id)
    }

    /// The secret of an access key that may sign requests now: a root key, an active user's key
    /// or a session's whose holder still exists and is active.
    pub fn secret(&self, access_key: &str) -> Option<String> {
        if let Some((_, secret)) = self.roots.get(access_key) {
            return Some(secret.clone());
        }
        if let Some(u) = read(&self.users).get(access_key) {
            return (u.status == Status::Active).then(|| u.secret_key.clone());
        }
        let session = read(&self.sessions).get(access_key).cloned()?;
        self.holder_usable(&session.holder).then_some(session.secret_key)
    }

    fn holder_usable(&self, holder: &Holder) -> bool {
        match holder {
            Holder::Root { account_id } => self.has_account(account_id),
            Holder::User { account_id, name } => read(&self.users)
                .values()
                .any(|u| &u.account_id == account_id && &u.name == name && u.status == Status::Active),
            Holder::Role { account_id, name, .. } => self.role(account_id, name).is_some(),
        }
    }

    /// Whether `access_key` belongs to a session (and so needs its token).
    pub fn is_session_key(&self, access_key: &str) -> bool {
        read(&self.sessions).contains_key(access_key)
    }

    /// The session a token belongs to.
    pub fn session_by_token(&self, token: &str) -> Option<Session> {
        read(&self.sessions).values().find(|s| s.token == token).cloned()
    }

    /// Registers a session (the caller persists it).
    pub fn add_session(&self, session: Session) {
        write(&self.sessions).insert(session.access_key.clone(), session);
    }

    /// Mints a session for `holder` valid until `expires_at`.
    pub fn new_session(&self, holder: Holder, policy: Option<Arc<Policy>>, expires_at: DateTime<Utc>) -> Session {
        Session {
            access_key: new_id("ASIA"),
            secret_key: new_secret(),
            token: random_string(SECRET_CHARS, 256),
            expires_at,
            holder,
            policy,
        }
    }

    /// The role `name` of `account_id`.
    pub fn role(&self, account_id: &str, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.account_id == account_id && r.name == name)
    }

    /// The role an ARN names.
    pub fn role_by_arn(&self, arn: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.arn() == arn)
    }

    /// Whether an IAM or STS ARN names an identity that exists (for `Principal` elements).
    pub fn principal_exists(&self, arn: &str) -> bool {
        let rest = arn.strip_prefix("arn:aws:iam::").or_else(|| arn.strip_prefix("arn:aws:sts::"));
        let Some((account, resource)) = rest.and_then(|r| r.split_once(':')) else { return false };
        if resource == "root" {
            return true;
        }
        if let Some(name) = resource.strip_prefix("user/") {
            return read(&self.users).values().any(|u| u.account_id == account && u.name == name);
        }
        if let Some(name) = resource.strip_prefix("role/") {
            return self.role(account, name).is_some();
        }
        if let Some(rest) = resource.strip_prefix("assumed-role/") {
            return rest.split_once('/').is_some_and(|(role, _)| self.role(account, role).is_some());
        }
        false
    }

    /// The principal an access key that authenticated belongs to; `None` when it no longer
    /// exists. `None` as the key is the anonymous principal.
    pub fn principal(&self, access_key: Option<&str>) -> Option<Principal> {
        let Some(access_key) = access_key else { return Some(Principal::anonymous()) };
        if let Some((account, _)) = self.roots.get(access_key) {
            return Some(Principal::root(account));
        }
        if let Some(u) = read(&self.users).get(access_key) {
            return Some(user_principal(u));
        }
        let session = read(&self.sessions).get(access_key).cloned()?;
        let mut p = match &session.holder {
            Holder::Root { account_id } => Principal::root(account_id),
            Holder::User { account_id, name } => {
                let users = read(&self.users);
                let u = users.values().find(|u| &u.account_id == account_id && &u.name == name)?;
                user_principal(u)
            }
            Holder::Role { account_id, name, session_name } => {
                let role = self.role(account_id, name)?;
                Principal {
                    kind: PrincipalKind::AssumedRole,
                    account_id: Some(account_id.clone()),
                    arn: Some(format!("arn:aws:sts::{account_id}:assumed-role/{name}/{session_name}")),
                    role_arn: Some(role.arn()),
                    user_id: Some(format!("{}:{session_name}", role.role_id)),
                    username: None,
                    identity_policies: role.policies.clone(),
                    session_policy: None,
                }
            }
        };
        p.session_policy = session.policy.clone();
        Some(p)
    }

    /// Every (access key, secret) pair of the roots and users, for explaining a signature made with
    /// another identity's secret.
    pub fn key_pairs(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self.roots.iter().map(|(ak, (_, sk))| (ak.clone(), sk.clone())).collect();
        out.extend(read(&self.users).values().map(|u| (u.access_key.clone(), u.secret_key.clone())));
        out.sort();
        out
    }

    /// Every user, by account and name.
    pub fn users(&self) -> Vec<User> {
        let mut all: Vec<User> = read(&self.users).values().cloned().collect();
        all.sort_by(|a, b| (&a.account_id, &a.name).cmp(&(&b.account_id, &b.name)));
        all
    }

    /// The user `name` of `account_id`.
    pub fn user(&self, account_id: &str, name: &str) -> Option<User> {
        read(&self.users).values().find(|u| u.account_id == account_id && u.name == name).cloned()
    }

    /// Whether an access key is taken by any identity.
    pub fn key_in_use(&self, access_key: &str) -> bool {
        self.roots.contains_key(access_key)
            || read(&self.users).contains_key(access_key)
            || read(&self.sessions).contains_key(access_key)
    }

    /// Adds or replaces a user (the caller persists it).
    pub fn put_user(&self, user: User) {
        let mut users = write(&self.users);
        users.retain(|_, u| !(u.account_id == user.account_id && u.name == user.name));
        users.insert(user.access_key.clone(), user);
    }

    /// Removes a user; its sessions stop working with it.
    pub fn remove_user(&self, account_id: &str, name: &str) -> bool {
        let mut users = write(&self.users);
        let before = users.len();
        users.retain(|_, u| !(u.account_id == account_id && u.name == name));
        users.len() != before
    }
}

/// A stable id with an AWS prefix, derived from `seed` (the same user gets the same id after a
/// restart).
fn stable_id(prefix: &str, seed: &str) -> String {
    let digest = sha256_hex(seed.as_bytes());
    let chars: String =
        digest.bytes().map(|b| ID_CHARS[(b as usize) % ID_CHARS.len()] as char).take(20 - prefix.len()).collect();
    format!("{prefix}{chars}")
}

/// IAM's rule for user and role names: 1 to 64 of letters, digits and `+=,.@_-`.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("{name:?} is not a valid name (1 to 64 letters, digits and +=,.@_-)"))
    }
}

/// A new user with generated ids and, unless given, generated keys.
pub fn new_user(
    account_id: &str,
    name: &str,
    keys: Option<(String, String)>,
    policies: Vec<Arc<Policy>>,
    now_ms: i64,
) -> User {
    let (access_key, secret_key) = keys.unwrap_or_else(|| (new_id("AKIA"), new_secret()));
    User {
        account_id: account_id.to_string(),
        name: name.to_string(),
        user_id: stable_id("AIDA", &format!("{access_key}/{name}")),
        access_key,
        secret_key,
        status: Status::Active,
        policies,
        created_ms: now_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use settings::PolicyText;

    fn config() -> IdentitySettings {
        let allow_get = PolicyText::Json(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
                .into(),
        );
        IdentitySettings {
            users: vec![UserSettings {
                name: "alice".into(),
                account: None,
                access_key: "AKIAALICE".into(),
                secret_key: "alice-secret".into(),
                status: None,
                policies: vec![allow_get],
            }],
            roles: vec![RoleSettings {
                name: "reader".into(),
                account: None,
                trust_policy: PolicyText::Json(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}"#.into(),
                ),
                policies: vec![],
                max_session_duration: None,
            }],
            ..IdentitySettings::default()
        }
    }

    #[test]
    fn principals_of_keys() {
        let (iam, declared) = Iam::load(config(), vec![], vec![], 0).unwrap();
        assert_eq!(declared.len(), 1);
        let root = iam.principal(Some(settings::DEFAULT_ACCESS_KEY)).unwrap();
        assert_eq!(root.arn.as_deref(), Some("arn:aws:iam::123456789012:root"));
        let alice = iam.principal(Some("AKIAALICE")).unwrap();
        assert_eq!(alice.arn.as_deref(), Some("arn:aws:iam::123456789012:user/alice"));
        assert_eq!(alice.identity_policies.len(), 1);
        assert!(iam.principal_exists("arn:aws:iam::123456789012:role/reader"));
        assert!(!iam.principal_exists("arn:aws:iam::123456789012:user/bob"));
        assert_eq!(iam.principal(None).unwrap().kind, PrincipalKind::Anonymous);
        assert_eq!(iam.secret("AKIAALICE").as_deref(), Some("alice-secret"));
        let mut off = iam.user("123456789012", "alice").unwrap();
        off.status = Status::Inactive;
        iam.put_user(off);
        assert_eq!(iam.secret("AKIAALICE"), None);
    }

    #[test]
    fn sessions_act_as_their_holder() {
        let (iam, _) = Iam::load(config(), vec![], vec![], 0).unwrap();
        let holder =
            Holder::Role { account_id: DEFAULT_ACCOUNT_ID.into(), name: "reader".into(), session_name: "s1".into() };
        let s = iam.new_session(holder, None, Utc::now());
        iam.add_session(s.clone());
        let p = iam.principal(Some(&s.access_key)).unwrap();
        assert_eq!(p.kind, PrincipalKind::AssumedRole);
        assert_eq!(p.arn.as_deref(), Some("arn:aws:sts::123456789012:assumed-role/reader/s1"));
        assert_eq!(p.role_arn.as_deref(), Some("arn:aws:iam::123456789012:role/reader"));
        let restored = Session::from_row(s.to_row()).unwrap();
        assert_eq!(restored.holder, s.holder);
    }

    #[test]
    fn bad_identities_are_named() {
        let mut c = config();
        c.users[0].policies = vec![PolicyText::Json("{".into())];
        assert_eq!(
            Iam::load(c.clone(), vec![], vec![], 0).unwrap_err(),
            "user alice: policy 1: This policy contains invalid Json"
        );
        let mut c = config();
        c.users[0].access_key = settings::DEFAULT_ACCESS_KEY.into();
        assert!(Iam::load(c.clone(), vec![], vec![], 0).unwrap_err().contains("is used twice"));
    }
}
