//! Identities as AWS has them: accounts (each with its root user), IAM users with access keys and
//! inline identity policies, roles with trust and permission policies, and temporary sessions
//! (from STS or `/_s3strict/sessions`), each acting as its holder and limited by its session
//! policy. The registry lives in memory for the request path; the users and sessions it holds are
//! also kept in SQLite by whoever changes them ([`crate::storage`]), so they survive a restart.
//!
//! The key given by flags or environment is the root user of the default account: with no other
//! identity configured, it may do everything, as an account's root user may.
//!
//! A session belongs to its identity's unique id (an account, a user's `AIDA…` id, a role's
//! `AROA…` id), never to a name: deleting a user ends its sessions, in memory and in the store,
//! and a user made again with the same name is another identity. Sessions are bounded per
//! identity and purged on the server's clock ([`sessions`]).
//!
//! Policies that name a user or role are bound to its unique id when they are put, as IAM binds
//! them ([`Iam::principal_id`]; the evidence is in `policy/principals.rs`): a bucket policy at
//! PutBucketPolicy (the binding is stored with it), a declared role's trust policy at each start
//! (the configuration is its put). What "made again" means follows from how ids are given:
//! - a user made at run time (`/_s3strict/users`) gets a random id, so deleting it and making one
//!   of the same name makes another identity, which policies naming the first do not name;
//! - a declared identity is its declaration: a user is known by its access key and name, a role by
//!   its account and name ([`stable_id`]). Declared again — at the next start, or after a run-time
//!   deletion brought it back by a restart — it is the same identity, and policies bound to it
//!   name it again; a declared user given another access key is another user. A role cannot be
//!   deleted at run time: roles change only with the configuration.

mod identity;
pub mod sessions;
pub mod settings;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::policy::{Policy, PolicyKind};
use crate::storage::{StoredSessions, UserRow, ENDED_SESSION_RETENTION_MS};
pub use identity::{
    canonical_id, parse_identity_policies, Holder, Principal, PrincipalKind, Role, Session, Status, User,
};
use identity::{sha256_hex, user_principal};
use sessions::SessionTable;
pub use sessions::MAX_SESSIONS;
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
    /// Sessions, with their indexes. Taken before `users` when both are held (starting a
    /// session, deleting a user: so that no session starts for a user being deleted), never
    /// after.
    sessions: RwLock<SessionTable>,
}

/// Why a session was not started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRefused {
    /// Its identity holds [`MAX_SESSIONS`] unexpired sessions.
    TooMany,
    /// Its identity no longer exists (deleted while the request was on its way).
    Gone,
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
            sessions: RwLock::new(SessionTable::default()),
        }
    }

    /// The registry of the settings over what the store kept (users added at run time, sessions).
    /// Users the settings declare replace stored ones of the same name; the returned rows are the
    /// users to write back. Stored sessions whose identity is gone (a role no longer declared, a
    /// user replaced by a declared one) end: they are not taken, and [`StoredSessions::forget`]
    /// removes their rows, so a role declared again later does not find them. `Err` says which
    /// identity is wrong.
    pub fn load(
        settings: impl Into<IdentitySettings>,
        stored_users: Vec<UserRow>,
        stored_sessions: impl Into<StoredSessions>,
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
        let stored: StoredSessions = stored_sessions.into();
        let mut table = SessionTable::default();
        let mut ended = Vec::new();
        for row in &stored.rows {
            match Session::from_row(row.clone()) {
                Ok(s) if iam.holder_exists(&s.holder) => table.insert(s),
                Ok(s) => {
                    tracing::info!(access_key = %s.access_key, holder = ?s.holder, "session ended: its identity is gone");
                    ended.push(s.access_key);
                }
                Err(e) => {
                    tracing::warn!(access_key = %row.access_key, error = %e, "session ended: its stored row does not read");
                    ended.push(row.access_key.clone());
                }
            }
        }
        *write(&iam.sessions) = table;
        stored.forget(ended);
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
        let mut trust = Policy::parse(&r.trust_policy.text(), &PolicyKind::Trust, &|arn| self.principal_exists(arn))
            .map_err(|e| format!("{what}: trust policy: {e}"))?;
        // The configuration is the trust policy's put: its principals are bound at each start.
        trust.bind_principals(&|arn| self.principal_id(arn));
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

    /// Whether the identity a session belongs to still exists.
    fn holder_exists(&self, holder: &Holder) -> bool {
        match holder {
            Holder::Root { account_id } => self.has_account(account_id),
            Holder::User { user_id, .. } => read(&self.users).values().any(|u| &u.user_id == user_id),
            Holder::Role { role_id, .. } => self.role_by_id(role_id).is_some(),
        }
    }

    /// Whether the identity a session belongs to exists and may sign (a user's key is active).
    fn holder_usable(&self, holder: &Holder) -> bool {
        match holder {
            Holder::User { user_id, .. } => {
                read(&self.users).values().any(|u| &u.user_id == user_id && u.status == Status::Active)
            }
            _ => self.holder_exists(holder),
        }
    }

    /// Whether `access_key` belongs to a session (and so needs its token).
    pub fn is_session_key(&self, access_key: &str) -> bool {
        read(&self.sessions).get(access_key).is_some()
    }

    /// The session a token belongs to (found by its index).
    pub fn session_by_token(&self, token: &str) -> Option<Session> {
        read(&self.sessions).by_token(token).cloned()
    }

    /// Starts a session for `holder`, valid until `expires_at`, judged at `now` (the server's
    /// clock): mints its credentials and makes them known, after purging the sessions that ended
    /// longer ago than the store keeps them and making room among the holder's own. Answers the
    /// session and the access keys of the sessions that ended for it, which the caller removes
    /// from the store as it stores the new one (or hands back to [`Iam::abandon_session`]).
    /// Nobody can use the session before the caller hands its credentials out.
    pub fn start_session(
        &self,
        holder: Holder,
        policy: Option<Arc<Policy>>,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(Session, Vec<String>), SessionRefused> {
        let mut table = write(&self.sessions);
        if !self.holder_exists(&holder) {
            return Err(SessionRefused::Gone);
        }
        let mut ended = table.purge_ended_before(now - chrono::Duration::milliseconds(ENDED_SESSION_RETENTION_MS));
        ended.extend(table.make_room(holder.id(), now).ok_or(SessionRefused::TooMany)?);
        let session = Session {
            access_key: new_id("ASIA"),
            secret_key: new_secret(),
            token: random_string(SECRET_CHARS, 256),
            expires_at,
            holder,
            policy,
        };
        table.insert(session.clone());
        Ok((session, ended))
    }

    /// Forgets a session that could not be stored.
    pub fn abandon_session(&self, access_key: &str) {
        write(&self.sessions).remove(access_key);
    }

    /// The access keys of the sessions of the identity with unique id `id`.
    pub fn session_keys(&self, id: &str) -> Vec<String> {
        read(&self.sessions).keys_of(id)
    }

    /// How many sessions are held, ended ones included.
    pub fn session_count(&self) -> usize {
        read(&self.sessions).len()
    }

    /// The role with unique id `role_id`.
    pub fn role_by_id(&self, role_id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.role_id == role_id)
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

    /// The unique id of the IAM user or role `arn` names, if it exists: what a policy naming it
    /// is bound to when it is put (see [`crate::policy::Policy::principal_ids`]). `None` for any
    /// other ARN (root, assumed-role session), which policies match by its text.
    pub fn principal_id(&self, arn: &str) -> Option<String> {
        let (account, resource) = arn.strip_prefix("arn:aws:iam::")?.split_once(':')?;
        if let Some(name) = resource.strip_prefix("user/") {
            return self.user(account, name).map(|u| u.user_id);
        }
        let name = resource.strip_prefix("role/")?;
        self.role(account, name).map(|r| r.role_id.clone())
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
            Holder::User { user_id, .. } => {
                let users = read(&self.users);
                let u = users.values().find(|u| &u.user_id == user_id)?;
                user_principal(u)
            }
            Holder::Role { role_id, session_name, .. } => {
                let role = self.role_by_id(role_id)?;
                let (account_id, name) = (&role.account_id, &role.name);
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
        if self.roots.contains_key(access_key) || read(&self.users).contains_key(access_key) {
            return true;
        }
        // Apart: `users` is never held while `sessions` is taken (see the field).
        read(&self.sessions).get(access_key).is_some()
    }

    /// Adds or replaces a user (the caller persists it).
    pub fn put_user(&self, user: User) {
        let mut users = write(&self.users);
        users.retain(|_, u| !(u.account_id == user.account_id && u.name == user.name));
        users.insert(user.access_key.clone(), user);
    }

    /// Removes a user and ends its sessions (the caller has removed both from the store: see
    /// [`Iam::session_keys`]); false when there was no such user.
    pub fn remove_user(&self, account_id: &str, name: &str) -> bool {
        let mut sessions = write(&self.sessions);
        let mut users = write(&self.users);
        let gone: Vec<String> = users
            .values()
            .filter(|u| u.account_id == account_id && u.name == name)
            .map(|u| u.user_id.clone())
            .collect();
        users.retain(|_, u| !(u.account_id == account_id && u.name == name));
        for id in &gone {
            sessions.end_all(id);
        }
        !gone.is_empty()
    }
}

/// A stable id with an AWS prefix, derived from `seed`: what declared identities are known by, so
/// that the same declaration gets the same id at every start and its sessions survive a restart
/// (a user: its access key and name; a role: its account and name). A declaration missing at one
/// start loses its sessions then ([`Iam::load`]); users made at run time get random ids
/// ([`new_user`]).
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

/// A new user with a new unique id (never one another user had, whatever its name and keys) and,
/// unless given, generated keys.
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
        user_id: new_id("AIDA"),
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
        let (iam, _) = Iam::load(config(), vec![], Vec::new(), 0).unwrap();
        let role_id = iam.role(DEFAULT_ACCOUNT_ID, "reader").unwrap().role_id.clone();
        let holder = Holder::Role {
            account_id: DEFAULT_ACCOUNT_ID.into(),
            name: "reader".into(),
            role_id,
            session_name: "s1".into(),
        };
        let now = Utc::now();
        let (s, ended) = iam.start_session(holder, None, now, now).unwrap();
        assert!(ended.is_empty());
        let p = iam.principal(Some(&s.access_key)).unwrap();
        assert_eq!(p.kind, PrincipalKind::AssumedRole);
        assert_eq!(p.arn.as_deref(), Some("arn:aws:sts::123456789012:assumed-role/reader/s1"));
        assert_eq!(p.role_arn.as_deref(), Some("arn:aws:iam::123456789012:role/reader"));
        assert_eq!(iam.session_by_token(&s.token).map(|t| t.access_key), Some(s.access_key.clone()));
        let restored = Session::from_row(s.to_row()).unwrap();
        assert_eq!(restored.holder, s.holder);
        // A session of an identity that is gone is refused; one of a user is the user's by id.
        let gone =
            Holder::User { account_id: DEFAULT_ACCOUNT_ID.into(), name: "alice".into(), user_id: "AIDAX".into() };
        assert_eq!(iam.start_session(gone, None, now, now).unwrap_err(), SessionRefused::Gone);
        let alice = iam.user(DEFAULT_ACCOUNT_ID, "alice").unwrap();
        let holder =
            Holder::User { account_id: DEFAULT_ACCOUNT_ID.into(), name: "alice".into(), user_id: alice.user_id };
        let (s, _) = iam.start_session(holder, None, now, now).unwrap();
        assert_eq!(iam.principal(Some(&s.access_key)).unwrap().username.as_deref(), Some("alice"));
        assert!(iam.remove_user(DEFAULT_ACCOUNT_ID, "alice"));
        assert!(!iam.is_session_key(&s.access_key) && iam.session_by_token(&s.token).is_none());
    }

    /// Stored sessions whose identity is gone, or whose row does not read, are not taken.
    #[test]
    fn loading_drops_sessions_of_gone_identities() {
        let (iam, _) = Iam::load(config(), vec![], Vec::new(), 0).unwrap();
        let role_id = iam.role(DEFAULT_ACCOUNT_ID, "reader").unwrap().role_id.clone();
        let holder = Holder::Role {
            account_id: DEFAULT_ACCOUNT_ID.into(),
            name: "reader".into(),
            role_id,
            session_name: "s1".into(),
        };
        let now = Utc::now();
        let (s, _) = iam.start_session(holder, None, now, now).unwrap();
        let mut old_format = s.to_row();
        old_format.access_key = "ASIAOLD".into();
        old_format.token = "old".into();
        old_format.holder = r#"{"kind":"role","account_id":"123456789012","name":"reader","session_name":"s1"}"#.into();
        let rows = vec![s.to_row(), old_format];
        let (iam, _) = Iam::load(config(), vec![], rows.clone(), 0).unwrap();
        assert!(iam.is_session_key(&s.access_key));
        assert!(!iam.is_session_key("ASIAOLD"));
        let mut without_role = config();
        without_role.roles.clear();
        let (iam, _) = Iam::load(without_role, vec![], rows, 0).unwrap();
        assert_eq!(iam.session_count(), 0);
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
