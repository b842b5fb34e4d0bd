//! The S3 actions a policy may name, what kind of resource each applies to, and which
//! action-specific condition keys each supports.
//! <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>

/// What an action's resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// No resource: the service itself (`s3:ListAllMyBuckets`, resource `*`).
    Service,
    /// A bucket ARN, `arn:aws:s3:::bucket`.
    Bucket,
    /// An object ARN, `arn:aws:s3:::bucket/key`.
    Object,
}

use ResourceKind::{Bucket, Object, Service};

/// Every S3 action policies may name, with its resource kind.
pub const S3_ACTIONS: &[(&str, ResourceKind)] = &[
    ("s3:AbortMultipartUpload", Object),
    ("s3:BypassGovernanceRetention", Object),
    ("s3:CreateBucket", Bucket),
    ("s3:DeleteBucket", Bucket),
    ("s3:DeleteBucketOwnershipControls", Bucket),
    ("s3:DeleteBucketPolicy", Bucket),
    ("s3:DeleteBucketWebsite", Bucket),
    ("s3:DeleteObject", Object),
    ("s3:DeleteObjectTagging", Object),
    ("s3:DeleteObjectVersion", Object),
    ("s3:DeleteObjectVersionTagging", Object),
    ("s3:GetAccelerateConfiguration", Bucket),
    ("s3:GetAnalyticsConfiguration", Bucket),
    ("s3:GetBucketAcl", Bucket),
    ("s3:GetBucketCORS", Bucket),
    ("s3:GetBucketLocation", Bucket),
    ("s3:GetBucketLogging", Bucket),
    ("s3:GetBucketNotification", Bucket),
    ("s3:GetBucketObjectLockConfiguration", Bucket),
    ("s3:GetBucketOwnershipControls", Bucket),
    ("s3:GetBucketPolicy", Bucket),
    ("s3:GetBucketPolicyStatus", Bucket),
    ("s3:GetBucketPublicAccessBlock", Bucket),
    ("s3:GetBucketRequestPayment", Bucket),
    ("s3:GetBucketTagging", Bucket),
    ("s3:GetBucketVersioning", Bucket),
    ("s3:GetBucketWebsite", Bucket),
    ("s3:GetEncryptionConfiguration", Bucket),
    ("s3:GetIntelligentTieringConfiguration", Bucket),
    ("s3:GetInventoryConfiguration", Bucket),
    ("s3:GetLifecycleConfiguration", Bucket),
    ("s3:GetMetricsConfiguration", Bucket),
    ("s3:GetObject", Object),
    ("s3:GetObjectAcl", Object),
    ("s3:GetObjectAttributes", Object),
    ("s3:GetObjectLegalHold", Object),
    ("s3:GetObjectRetention", Object),
    ("s3:GetObjectTagging", Object),
    ("s3:GetObjectVersion", Object),
    ("s3:GetObjectVersionAcl", Object),
    ("s3:GetObjectVersionAttributes", Object),
    ("s3:GetObjectVersionTagging", Object),
    ("s3:GetReplicationConfiguration", Bucket),
    ("s3:ListAllMyBuckets", Service),
    ("s3:ListBucket", Bucket),
    ("s3:ListBucketMultipartUploads", Bucket),
    ("s3:ListBucketVersions", Bucket),
    ("s3:ListMultipartUploadParts", Object),
    ("s3:PutAccelerateConfiguration", Bucket),
    ("s3:PutAnalyticsConfiguration", Bucket),
    ("s3:PutBucketAcl", Bucket),
    ("s3:PutBucketCORS", Bucket),
    ("s3:PutBucketLogging", Bucket),
    ("s3:PutBucketNotification", Bucket),
    ("s3:PutBucketObjectLockConfiguration", Bucket),
    ("s3:PutBucketOwnershipControls", Bucket),
    ("s3:PutBucketPolicy", Bucket),
    ("s3:PutBucketPublicAccessBlock", Bucket),
    ("s3:PutBucketRequestPayment", Bucket),
    ("s3:PutBucketTagging", Bucket),
    ("s3:PutBucketVersioning", Bucket),
    ("s3:PutBucketWebsite", Bucket),
    ("s3:PutEncryptionConfiguration", Bucket),
    ("s3:PutIntelligentTieringConfiguration", Bucket),
    ("s3:PutInventoryConfiguration", Bucket),
    ("s3:PutLifecycleConfiguration", Bucket),
    ("s3:PutMetricsConfiguration", Bucket),
    ("s3:PutObject", Object),
    ("s3:PutObjectAcl", Object),
    ("s3:PutObjectLegalHold", Object),
    ("s3:PutObjectRetention", Object),
    ("s3:PutObjectTagging", Object),
    ("s3:PutObjectVersionAcl", Object),
    ("s3:PutObjectVersionTagging", Object),
    ("s3:PutReplicationConfiguration", Bucket),
    ("s3:RestoreObject", Object),
];

/// S3 condition keys that only some actions support, with those actions. Keys not listed here
/// (and every `aws:` key) apply to every action.
const ACTION_SPECIFIC_KEYS: &[(&str, &[&str])] = &[
    ("s3:prefix", &["s3:ListBucket", "s3:ListBucketVersions"]),
    ("s3:delimiter", &["s3:ListBucket", "s3:ListBucketVersions"]),
    ("s3:max-keys", &["s3:ListBucket", "s3:ListBucketVersions"]),
    (
        "s3:x-amz-acl",
        &["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:CreateBucket", "s3:PutBucketAcl"],
    ),
    ("s3:x-amz-copy-source", &["s3:PutObject"]),
    ("s3:x-amz-metadata-directive", &["s3:PutObject"]),
    ("s3:x-amz-server-side-encryption", &["s3:PutObject"]),
    ("s3:x-amz-storage-class", &["s3:PutObject"]),
    ("s3:locationconstraint", &["s3:CreateBucket"]),
    ("s3:x-amz-object-ownership", &["s3:CreateBucket", "s3:PutBucketOwnershipControls"]),
    (
        "s3:existingobjecttag/",
        &[
            "s3:GetObject",
            "s3:GetObjectAcl",
            "s3:GetObjectTagging",
            "s3:DeleteObjectTagging",
            "s3:PutObjectAcl",
            "s3:PutObjectTagging",
        ],
    ),
];

/// Condition keys of the `s3:` namespace that apply to every S3 action.
const GENERAL_S3_KEYS: &[&str] = &[
    "s3:authtype",
    "s3:signatureage",
    "s3:signatureversion",
    "s3:x-amz-content-sha256",
    "s3:tlsversion",
    "s3:resourceaccount",
];

/// Condition keys of the `s3:` namespace that s3strict knows but that only some actions carry;
/// accepted in policies (S3 accepts them) but often absent from a request here.
const OTHER_S3_KEYS: &[&str] = &[
    "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-website-redirect-location",
    "s3:versionid",
    "s3:object-lock-mode",
    "s3:object-lock-retain-until-date",
    "s3:object-lock-legal-hold",
    "s3:object-lock-remaining-retention-days",
    "s3:requestobjecttagkeys",
    "s3:accesspointnetworkorigin",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
    "s3:if-match",
    "s3:if-none-match",
];

/// The resource kind of an exact S3 action name (case-insensitive), if it is one.
pub fn resource_kind(action: &str) -> Option<ResourceKind> {
    S3_ACTIONS.iter().find(|(a, _)| a.eq_ignore_ascii_case(action)).map(|(_, k)| *k)
}

/// The S3 actions a pattern such as `s3:Get*` names (case-insensitive wildcards).
pub fn expand(pattern: &str) -> impl Iterator<Item = (&'static str, ResourceKind)> + '_ {
    S3_ACTIONS.iter().copied().filter(move |(a, _)| super::wildcard::wildcard_match(pattern, a, true))
}

/// Whether `key` (any case) is a condition key S3 accepts in a policy. Unknown `aws:` keys are
/// accepted, as AWS does; unknown `s3:` keys are not.
pub fn is_known_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    if !lower.starts_with("s3:") {
        return true;
    }
    GENERAL_S3_KEYS.contains(&lower.as_str())
        || OTHER_S3_KEYS.contains(&lower.as_str())
        || lower.starts_with("s3:x-amz-grant-")
        || ACTION_SPECIFIC_KEYS.iter().any(|(k, _)| match k.strip_suffix('/') {
            Some(prefix) => lower.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')).is_some_and(|t| !t.is_empty()),
            None => lower == *k,
        })
}

/// Whether condition `key` applies to `action` (an exact action name).
pub fn key_applies(key: &str, action: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let specific = ACTION_SPECIFIC_KEYS.iter().find(|(k, _)| match k.strip_suffix('/') {
        Some(prefix) => lower.starts_with(prefix),
        None => lower == *k,
    });
    match specific {
        Some((_, actions)) => actions.iter().any(|a| a.eq_ignore_ascii_case(action)),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_patterns() {
        assert_eq!(resource_kind("s3:getobject"), Some(Object));
        assert_eq!(resource_kind("s3:ListBucket"), Some(Bucket));
        assert_eq!(resource_kind("s3:Nope"), None);
        let gets: Vec<_> = expand("s3:GetObject*").map(|(a, _)| a).collect();
        assert!(gets.contains(&"s3:GetObjectAcl") && gets.contains(&"s3:GetObject"));
        assert!(expand("s3:*").count() == S3_ACTIONS.len());
    }

    #[test]
    fn condition_keys() {
        assert!(is_known_key("s3:signatureAge"));
        assert!(is_known_key("aws:SourceIp"));
        assert!(is_known_key("aws:WhateverAwsAdds"));
        assert!(is_known_key("s3:ExistingObjectTag/team"));
        assert!(!is_known_key("s3:x-acl"));
        assert!(!is_known_key("s3:ExistingObjectTag/"));
        assert!(key_applies("s3:prefix", "s3:ListBucket"));
        assert!(!key_applies("s3:prefix", "s3:GetObject"));
        assert!(key_applies("s3:signatureAge", "s3:GetObject"));
    }
}
