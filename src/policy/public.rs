//! Whether a bucket policy is public, in S3's meaning: what `BlockPublicPolicy` refuses at
//! PutBucketPolicy, what `RestrictPublicBuckets` keeps to the owner's account, and what
//! GetBucketPolicyStatus reports as `IsPublic`.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status>
//!
//! The S3 User Guide, "The meaning of \"public\"" (Block Public Access page), says: "When
//! evaluating a bucket policy, Amazon S3 begins by assuming that the policy is public. It then
//! evaluates the policy to determine whether it qualifies as non-public. To be considered
//! non-public, a bucket policy must grant access only to fixed values (values that don't contain
//! a wildcard or an AWS Identity and Access Management Policy Variable) for one or more of the
//! following:
//! - An AWS principal, user, role, or service principal (e.g. `aws:PrincipalOrgID`)
//! - A set of Classless Inter-Domain Routings (CIDR) blocks, using `aws:SourceIp`. [Note:]
//!   Bucket policies that grant access conditioned on the `aws:SourceIp` condition key with very
//!   broad IP ranges (for example, 0.0.0.0/1) are evaluated as "public." This includes values
//!   broader than `/8` for IPv4 and `/32` for IPv6 (excluding RFC1918 private ranges).
//! - `aws:SourceArn`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:SourceOwner`, `aws:SourceAccount`
//! - `aws:userid`, outside the pattern "`AROLEID:*`"
//! - `s3:DataAccessPointArn` [Note:] When used in a bucket policy, this value can contain a
//!   wildcard for the access point name without rendering the policy public, as long as the
//!   account ID is fixed.
//! - `s3:DataAccessPointAccount`"
//!
//! How s3strict reads it, statement by statement (a policy is public when one `Allow` is):
//! - `Deny` statements never make a policy public.
//! - An `Allow` whose `Principal` names only fixed principals (accounts, ARNs, canonical ids,
//!   services, none with a wildcard) is not public. `Principal: "*"`, `{"AWS": "*"}`, any
//!   wildcard entry, and `NotPrincipal` (it allows everyone it does not name) are open.
//! - An open statement is not public when one of its conditions (they are ANDed, so one
//!   suffices) grants only to fixed values of a key in the list above. Such a condition must be
//!   one an anonymous request, which carries none of those keys, cannot satisfy: a positive
//!   equality or match operator (`StringEquals`, `StringEqualsIgnoreCase`, `StringLike`,
//!   `ArnEquals`, `ArnLike`, and `IpAddress` for `aws:SourceIp`), alone or under `ForAnyValue:`.
//!   `…IfExists` and `ForAllValues:` hold when the key is absent, `Null` asks only whether it
//!   is, negated operators (`StringNotEquals`, `NotIpAddress`, …) hold for everything but the
//!   values named, and numeric, date and boolean operators fix no principal or network: with
//!   any of those the condition narrows nothing and the statement stays public.
//! - "An AWS principal, user, role, or service principal (e.g. `aws:PrincipalOrgID`)" is a
//!   category with one example; its keys here are `aws:PrincipalOrgID`, `aws:PrincipalArn` and
//!   `aws:PrincipalAccount`, whose fixed values name an organization, a principal or an account
//!   as a `Principal` element would. Keys outside the list (`aws:username`, which any account
//!   can have a user called; `aws:SecureTransport`; `aws:PrincipalTag/…`) narrow nothing.
//!   `s3:x-amz-server-side-encryption-aws-kms-key-id`, listed in older versions of the page and
//!   of the API reference's `PublicAccessBlockConfiguration`, is no longer listed: public.
//! - `aws:SourceIp`: every value a CIDR block no broader than /8 (IPv4) or /32 (IPv6); a single
//!   address is a /32 or /128. The RFC 1918 exclusion changes nothing here: the private ranges
//!   are /8 and narrower, so a block broader than /8 is never inside them.
//! - `aws:userid` outside "`AROLEID:*`": such a value holds a wildcard, so the fixed-value rule
//!   already makes it public.
//! - A value with `*`, `?` or `${` is not fixed (in `StringEquals` a `*` is literal, but the page
//!   counts any wildcard; we do not try to be cleverer than S3 in the permissive direction).
//!   For `s3:DataAccessPointArn` the access point part may hold wildcards when the account is a
//!   fixed 12-digit id: `arn:<partition>:s3:<region>:<account>:accesspoint/<name>`, the value with
//!   exactly the five colons an access point ARN has (so no wildcard can stand for a colon and
//!   reach another account).
//! - A condition with no values grants to nothing fixed: public (S3 refuses empty value lists
//!   at parse; we do not, so we stay on the safe side).

use super::condition::{Comparison, Operator, SetQualifier};
use super::document::{Condition, Effect, Policy, Principals, Statement};
use super::wildcard::is_pattern;

/// Condition keys (lowercase) whose fixed values make an open statement non-public.
const FIXED_VALUE_KEYS: [&str; 11] = [
    "aws:principalorgid",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
];

/// The broadest `aws:SourceIp` blocks that are not public: /8 for IPv4, /32 for IPv6.
const MIN_IPV4_PREFIX: u8 = 8;
const MIN_IPV6_PREFIX: u8 = 32;

impl Policy {
    /// Whether the policy is public in S3's meaning: one of its statements is.
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(Statement::is_public)
    }
}

impl Statement {
    /// Whether this statement makes its policy public: an `Allow` to an open set of principals
    /// that no condition narrows to fixed values of S3's list.
    pub fn is_public(&self) -> bool {
        if self.effect != Effect::Allow {
            return false;
        }
        // Identity policies name nobody: they apply to their holder, never to the public.
        let Some(principals) = &self.principals else { return false };
        if !self.not_principal && principals.are_fixed() {
            return false;
        }
        !self.conditions.iter().any(Condition::narrows_to_fixed_values)
    }
}

impl Principals {
    /// Whether only fixed principals are named: not everyone, no wildcard in any entry.
    fn are_fixed(&self) -> bool {
        !self.everyone && self.aws.iter().chain(&self.canonical).chain(&self.other).all(|e| !is_pattern(e))
    }
}

impl Condition {
    /// Whether this condition grants only to fixed values of a key in S3's list, so that a
    /// request without such a value (anonymous, or from anywhere) never satisfies it.
    pub fn narrows_to_fixed_values(&self) -> bool {
        let key = self.key.to_ascii_lowercase();
        if self.values.is_empty() || !self.operator.requires_a_match() {
            return false;
        }
        match (self.operator.comparison, key.as_str()) {
            (Comparison::IpAddress, "aws:sourceip") => self.values.iter().all(|v| is_narrow_cidr(v)),
            (
                Comparison::StringEquals
                | Comparison::StringEqualsIgnoreCase
                | Comparison::StringLike
                | Comparison::ArnLike,
                "s3:dataaccesspointarn",
            ) => self.values.iter().all(|v| is_fixed_account_access_point(v)),
            (
                Comparison::StringEquals
                | Comparison::StringEqualsIgnoreCase
                | Comparison::StringLike
                | Comparison::ArnLike,
                k,
            ) if FIXED_VALUE_KEYS.contains(&k) => self.values.iter().all(|v| !is_pattern(v)),
            _ => false,
        }
    }
}

impl Operator {
    /// Whether the operator holds only when the request carries the key with a matching value:
    /// not negated, not `…IfExists`, not `ForAllValues:` (true for an absent key), not `Null`.
    fn requires_a_match(&self) -> bool {
        !self.negated
            && !self.if_exists
            && self.qualifier != Some(SetQualifier::ForAllValues)
            && self.comparison != Comparison::Null
    }
}

/// Whether an `aws:SourceIp` value is a block S3 does not call public: no broader than /8
/// (IPv4) or /32 (IPv6).
fn is_narrow_cidr(value: &str) -> bool {
    let value = value.trim();
    let net = match value.parse::<ipnet::IpNet>() {
        Ok(net) => net,
        // A single address is its own /32 or /128.
        Err(_) => match value.parse::<std::net::IpAddr>() {
            Ok(ip) => ipnet::IpNet::from(ip),
            Err(_) => return false,
        },
    };
    match net {
        ipnet::IpNet::V4(n) => n.prefix_len() >= MIN_IPV4_PREFIX,
        ipnet::IpNet::V6(n) => n.prefix_len() >= MIN_IPV6_PREFIX,
    }
}

/// Whether an `s3:DataAccessPointArn` value names access points of one fixed account:
/// `arn:<partition>:s3:<region>:<12 digits>:<resource>`, wildcards allowed outside the account.
fn is_fixed_account_access_point(value: &str) -> bool {
    let parts: Vec<&str> = value.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "s3", _, account, _] => account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::{Policy, PolicyKind};

    fn policy(statement: &str) -> Policy {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        Policy::parse(&text, &PolicyKind::Bucket("b".into()), &|arn| arn.ends_with(":user/alice"))
            .unwrap_or_else(|e| panic!("{statement}: {e}"))
    }

    /// An `Allow` of `s3:GetObject` to `principal` with `condition` (a JSON object, or empty).
    fn allow(principal: &str, condition: &str) -> String {
        let condition = if condition.is_empty() { String::new() } else { format!(r#","Condition":{condition}"#) };
        format!(r#"{{"Effect":"Allow",{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"{condition}}}"#)
    }

    const EVERYONE: &str = r#""Principal":"*""#;

    /// Statements S3 calls public, each with why.
    const PUBLIC: &[(&str, &str, &str)] = &[
        ("no condition", EVERYONE, ""),
        ("AWS star", r#""Principal":{"AWS":"*"}"#, ""),
        ("star among fixed principals", r#""Principal":{"AWS":["111122223333","*"]}"#, ""),
        ("NotPrincipal allows everyone else", r#""NotPrincipal":{"AWS":"111122223333"}"#, ""),
        (
            "IfExists holds for anonymous",
            EVERYONE,
            r#"{"StringEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}"#,
        ),
        ("Null true: the key is absent", EVERYONE, r#"{"Null":{"aws:PrincipalAccount":"true"}}"#),
        ("Null false: any principal", EVERYONE, r#"{"Null":{"aws:PrincipalAccount":"false"}}"#),
        ("whole IPv4 space", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#),
        ("whole IPv6 space", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"::/0"}}"#),
        ("half the internet", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}"#),
        ("broader than /8", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/7"}}"#),
        ("broader than /32 (IPv6)", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/31"}}"#),
        ("one broad block among narrow", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/24","0.0.0.0/0"]}}"#),
        ("IfExists on the network", EVERYONE, r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/24"}}"#),
        ("negated network", EVERYONE, r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
        ("wildcard ARN", EVERYONE, r#"{"StringLike":{"aws:PrincipalArn":"*"}}"#),
        ("wildcard ARN (ArnLike)", EVERYONE, r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}"#),
        ("wildcard VPC (S3's example)", EVERYONE, r#"{"StringLike":{"aws:SourceVpc":"vpc-*"}}"#),
        ("single-character wildcard", EVERYONE, r#"{"StringEquals":{"aws:SourceAccount":"11112222333?"}}"#),
        ("literal star still counts", EVERYONE, r#"{"StringEquals":{"aws:SourceAccount":"*"}}"#),
        ("policy variable", EVERYONE, r#"{"StringEquals":{"aws:SourceArn":"${aws:SourceAccount}"}}"#),
        ("negated account", EVERYONE, r#"{"StringNotEquals":{"aws:SourceAccount":"111122223333"}}"#),
        ("negated org", EVERYONE, r#"{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc"}}"#),
        (
            "ForAllValues holds for an absent key",
            EVERYONE,
            r#"{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abc"}}"#,
        ),
        ("not S3's key: username", EVERYONE, r#"{"StringEquals":{"aws:username":"alice"}}"#),
        ("not S3's key: transport", EVERYONE, r#"{"Bool":{"aws:SecureTransport":"true"}}"#),
        (
            "not S3's key: KMS key (dropped from the page)",
            EVERYONE,
            r#"{"StringEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"k"}}"#,
        ),
        ("numeric comparison fixes nothing", EVERYONE, r#"{"NumericEquals":{"aws:SourceAccount":"111122223333"}}"#),
        ("role id wildcard", EVERYONE, r#"{"StringLike":{"aws:userid":"AROAEXAMPLEID:*"}}"#),
        (
            "access point of any account",
            EVERYONE,
            r#"{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:*:accesspoint/*"}}"#,
        ),
        (
            "access point ARN that can span colons",
            EVERYONE,
            r#"{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:*:123456789012"}}"#,
        ),
        ("access point account wildcard", EVERYONE, r#"{"StringLike":{"s3:DataAccessPointAccount":"1234*"}}"#),
        (
            "narrowing only what is public anyway",
            EVERYONE,
            r#"{"StringLike":{"aws:PrincipalArn":"*"},"Bool":{"aws:SecureTransport":"true"}}"#,
        ),
    ];

    /// Statements S3 does not call public.
    const NOT_PUBLIC: &[(&str, &str, &str)] = &[
        ("fixed account", r#""Principal":{"AWS":"111122223333"}"#, ""),
        ("fixed user", r#""Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"}"#, ""),
        ("service", r#""Principal":{"Service":"cloudtrail.amazonaws.com"}"#, ""),
        (
            "canonical id",
            r#""Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#,
            "",
        ),
        ("narrow network", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/24"}}"#),
        ("a /8 is not broader than /8", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}"#),
        ("one address", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#),
        ("IPv6 /32", EVERYONE, r#"{"IpAddress":{"aws:SourceIp":["2001:db8::/32","10.0.0.0/24"]}}"#),
        ("fixed source account", EVERYONE, r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#),
        ("fixed organization", r#""Principal":{"AWS":"*"}"#, r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#),
        ("fixed principal account", EVERYONE, r#"{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#),
        ("fixed principal ARN", EVERYONE, r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/r"}}"#),
        ("fixed VPC (S3's example)", EVERYONE, r#"{"StringEquals":{"aws:SourceVpc":"vpc-91237329"}}"#),
        ("fixed endpoint, any case", EVERYONE, r#"{"StringEqualsIgnoreCase":{"aws:sourcevpce":"vpce-1a2b3c4d"}}"#),
        (
            "fixed source ARN",
            EVERYONE,
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/t"}}"#,
        ),
        ("fixed source owner", EVERYONE, r#"{"StringEquals":{"aws:SourceOwner":"111122223333"}}"#),
        ("fixed user id", EVERYONE, r#"{"StringEquals":{"aws:userid":"AIDAEXAMPLEID"}}"#),
        (
            "access points of one account",
            EVERYONE,
            r#"{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:123456789012:accesspoint/*"}}"#,
        ),
        ("access point account", EVERYONE, r#"{"StringEquals":{"s3:DataAccessPointAccount":"123456789012"}}"#),
        (
            "ForAnyValue needs a present value",
            EVERYONE,
            r#"{"ForAnyValue:StringEquals":{"aws:PrincipalOrgID":"o-abc"}}"#,
        ),
        (
            "one fixed condition among open ones",
            EVERYONE,
            r#"{"StringLike":{"aws:PrincipalArn":"*"},"IpAddress":{"aws:SourceIp":"10.0.0.0/24"}}"#,
        ),
        (
            "NotPrincipal narrowed by a fixed org",
            r#""NotPrincipal":{"AWS":"111122223333"}"#,
            r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}"#,
        ),
    ];

    #[test]
    fn public_statements() {
        for (why, principal, condition) in PUBLIC {
            assert!(policy(&allow(principal, condition)).is_public(), "{why}: should be public");
        }
    }

    #[test]
    fn non_public_statements() {
        for (why, principal, condition) in NOT_PUBLIC {
            assert!(!policy(&allow(principal, condition)).is_public(), "{why}: should not be public");
        }
    }

    #[test]
    fn one_public_statement_makes_the_policy_public() {
        let (_, p, c) = NOT_PUBLIC[0];
        let (_, q, d) = PUBLIC[4];
        let both = format!("{},{}", allow(p, c), allow(q, d));
        assert!(policy(&both).is_public());
        // Deny statements never make a policy public, whatever they name.
        let deny = r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#;
        assert!(!policy(&format!("{},{deny}", allow(p, c))).is_public());
    }
}
