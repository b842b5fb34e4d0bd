//! What authorization needs to know of the resources a request addresses: the bucket (owner,
//! policy, Object Ownership, Block Public Access, ACL) and, where ACLs are in force, the object
//! or the version the request names (owner and ACL), and how they form the resource's side of a
//! decision.

use std::sync::Arc;

use super::acl::{Acl, Permission};
use super::decide::ResourceSide;
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::policy::{Policy, PolicyKind};
use crate::router::VersionId;
use crate::state::AppState;
use crate::storage::{PublicAccessBlock, Version};

/// The Object Ownership setting that disables ACLs.
pub const BUCKET_OWNER_ENFORCED: &str = "BucketOwnerEnforced";
/// The Object Ownership settings S3 knows.
pub const OWNERSHIPS: [&str; 3] = ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"];

/// What authorization needs of a bucket: its owner, policy, Object Ownership, Block Public
/// Access and ACL.
#[derive(Debug, Clone)]
pub struct BucketAccess {
    pub name: String,
    pub owner: String,
    pub policy: Option<Arc<Policy>>,
    /// `None`: no ownership controls, which S3 treats as `ObjectWriter`.
    pub ownership: Option<String>,
    /// No configuration blocks nothing.
    pub public_access_block: PublicAccessBlock,
    pub acl: Acl,
    /// Whether the bucket takes SigV2 requests (created "before 24 June 2020").
    pub accepts_sigv2: bool,
}

impl BucketAccess {
    /// The bucket `name`, if it exists.
    pub async fn load(state: &AppState, name: &str) -> S3Result<Option<BucketAccess>> {
        let Some(row) = state.store.bucket(name).await? else { return Ok(None) };
        let policy = match &row.policy {
            // A stored policy was valid when it was put; principals deleted since still parse, and
            // name only the identities they were bound to then.
            Some(stored) => Some(Arc::new(
                Policy::parse(&stored.text, &PolicyKind::Bucket(row.name.clone()), &|_| true)
                    .map_err(S3Error::internal)?
                    .with_principal_ids(stored.principal_ids.clone()),
            )),
            None => None,
        };
        let acl = Acl::from_stored(row.acl.as_deref(), &row.owner_account)?;
        let accepts_sigv2 = row.accepts_sigv2 || state.config.sigv2_buckets.contains(&row.name);
        Ok(Some(BucketAccess {
            name: row.name,
            owner: row.owner_account,
            policy,
            ownership: row.ownership,
            public_access_block: row.public_access_block.unwrap_or_default(),
            acl,
            accepts_sigv2,
        }))
    }

    /// Whether Object Ownership leaves ACLs in force.
    pub fn acls_enabled(&self) -> bool {
        self.ownership.as_deref() != Some(BUCKET_OWNER_ENFORCED)
    }
}

/// What authorization needs of an object (or of the version a request names) when ACLs are in
/// force: its owner and ACL.
#[derive(Debug, Clone)]
pub struct ObjectAccess {
    pub owner: String,
    pub acl: Acl,
}

impl BucketAccess {
    /// The side of a decision about `action` on this bucket or, with `object`, on one of its
    /// objects.
    pub fn side<'a>(&'a self, action: &str, object: Option<&'a ObjectAccess>) -> ResourceSide<'a> {
        let acls = self.acls_enabled();
        // Object reads and ACL operations are the object ACL's; the rest the bucket ACL's. Setting
        // the ACL of an object a write creates is part of the write: the bucket's WRITE grant.
        let acl = match (acls, object, Permission::for_action(action, true)) {
            (false, _, _) => None,
            (true, Some(o), Some(perm)) => Some((&o.acl, perm)),
            (true, None, Some(Permission::WriteAcp)) => Some((&self.acl, Permission::Write)),
            (true, _, _) => Permission::for_action(action, false).map(|perm| (&self.acl, perm)),
        };
        ResourceSide {
            owner: object.map_or(&self.owner, |o| &o.owner),
            policy: self.policy.as_deref(),
            policy_owner: &self.owner,
            policy_name: "bucket",
            acl,
            public_access_block: self.public_access_block,
        }
    }
}

impl ObjectAccess {
    /// The owner and ACL of the object — or of the version `version` names — when they matter:
    /// ACLs in force and `action` one the object ACL governs. `None` when it does not exist (or
    /// is a delete marker, which has no ACL).
    pub async fn load(
        state: &AppState,
        bucket: &BucketAccess,
        key: &str,
        action: &str,
        version: Option<&VersionId>,
    ) -> S3Result<Option<ObjectAccess>> {
        if !bucket.acls_enabled() || Permission::for_action(action, true).is_none() {
            return Ok(None);
        }
        let meta = match version {
            None => match state.store.head_object(&bucket.name, key).await {
                Ok(meta) => meta,
                Err(e) if e.code == ErrorCode::NoSuchKey => return Ok(None),
                Err(e) => return Err(e),
            },
            Some(v) => match state.store.version(&bucket.name, key, v.stored()).await {
                Ok(Version::Object(meta)) => *meta,
                Ok(Version::Marker { .. }) => return Ok(None),
                Err(e) if e.code == ErrorCode::NoSuchVersion => return Ok(None),
                Err(e) => return Err(e),
            },
        };
        let owner = meta.owner.unwrap_or_else(|| bucket.owner.clone());
        let acl = Acl::from_stored(meta.acl.as_deref(), &owner)?;
        Ok(Some(ObjectAccess { owner, acl }))
    }
}

/// Whether the object a request names (the current one, or the version it names) exists; a
/// delete marker is not an object.
pub async fn object_exists(state: &AppState, bucket: &str, key: &str, version: Option<&VersionId>) -> S3Result<bool> {
    match version {
        None => match state.store.head_object(bucket, key).await {
            Ok(_) => Ok(true),
            Err(e) if e.code == ErrorCode::NoSuchKey => Ok(false),
            Err(e) => Err(e),
        },
        Some(v) => match state.store.version(bucket, key, v.stored()).await {
            Ok(version) => Ok(!version.is_marker()),
            Err(e) if e.code == ErrorCode::NoSuchVersion => Ok(false),
            Err(e) => Err(e),
        },
    }
}
