//! The parsed shape of a policy document: statements with their effect, principals, actions,
//! resources and conditions, what a document is for, and the unique ids its principals were bound
//! to. Parsing is [`super::parse`]'s, evaluation [`super`]'s, the public-or-not question
//! [`super::public`]'s, binding principals [`super::principals`]'.

use std::collections::BTreeMap;

use super::condition::Operator;

/// What a policy document is for; decides which elements it must and must not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user or role: no `Principal`; any service's actions.
    Identity,
    /// A bucket policy: `Principal` required, S3 actions only, resources in this bucket.
    Bucket(String),
    /// A role's trust policy: `Principal` required, STS actions.
    Trust,
}

/// Why a policy document is refused: the message S3 (or IAM) gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// The principals a statement names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous requests included.
    pub everyone: bool,
    /// `AWS` entries: account ids, account root ARNs, user, role and assumed-role ARNs.
    pub aws: Vec<String>,
    /// `CanonicalUser` entries: account canonical ids.
    pub canonical: Vec<String>,
    /// `Service` and `Federated` entries (never the requester of an S3 call here).
    pub other: Vec<String>,
}

/// One condition: an operator, a key and the values it compares against.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written in the policy.
    pub key: String,
    pub values: Vec<String>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal` or, with `not_principal`, `NotPrincipal`; `None` in identity policies.
    pub principals: Option<Principals>,
    pub not_principal: bool,
    pub actions: Vec<String>,
    pub not_action: bool,
    pub resources: Vec<String>,
    pub not_resource: bool,
    pub conditions: Vec<Condition>,
}

/// A parsed, validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The document as it was given (GetBucketPolicy returns it unchanged while the principals
    /// it names exist).
    pub text: String,
    pub version: String,
    pub statements: Vec<Statement>,
    /// The unique id (`AIDA…`, `AROA…`) of each IAM user and role a `Principal` or `NotPrincipal`
    /// names, by ARN, as it was when the policy was put: such an entry names only the identity
    /// with that id, never a later one of the same name. Entries without one (account ids, root
    /// and session ARNs, policies put before principals were bound) are matched by their text.
    pub principal_ids: BTreeMap<String, String>,
}
