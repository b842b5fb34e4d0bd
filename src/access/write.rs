//! What a request may set about who can reach a resource, as Object Ownership and Block Public
//! Access decide it: the owner and ACL of an object a write creates (from its ACL headers or POST
//! fields, parsed once here), the ACL a new bucket may start with, and whether a public ACL or a
//! public bucket policy may be put.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html>

use super::acl::Acl;
use super::resources::{BucketAccess, BUCKET_OWNER_ENFORCED};
use crate::error::{ErrorCode, S3Error, S3Result};
use crate::iam::Iam;
use crate::request::RequestView;
use crate::storage::PublicAccessBlock;

/// The owner and stored ACL of an object a write creates.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteAcl {
    /// The owning account, when it is not the bucket's.
    pub owner: Option<String>,
    /// The ACL to store, when it is not the owner's FULL_CONTROL.
    pub acl: Option<String>,
}

/// Why a write's ACL is refused: S3's error, or a Block Public Access refusal whose message
/// depends on who asks (the caller builds it).
#[derive(Debug)]
pub enum AclRefusal {
    Error(S3Error),
    BlockedPublicAcl,
}

impl From<S3Error> for AclRefusal {
    fn from(e: S3Error) -> Self {
        AclRefusal::Error(e)
    }
}

/// The ACL the request's view asks for (`x-amz-acl` — a POST form's `acl` field — or
/// `x-amz-grant-*`), for a resource owned by `owner` in a bucket owned by `bucket_owner`.
pub fn requested_acl(view: &RequestView<'_>, owner: &str, bucket_owner: &str, iam: &Iam) -> S3Result<Option<Acl>> {
    Acl::from_request(&|name: &str| view.header(name).map(str::to_string), owner, bucket_owner, iam)
}

/// The owner and ACL of an object written by `writer` (an account; the bucket owner's for
/// anonymous writes) into `bucket` with the ACL the view asks for.
pub fn object_write_acl(
    view: &RequestView<'_>,
    bucket: &BucketAccess,
    writer: Option<&str>,
    iam: &Iam,
) -> Result<WriteAcl, AclRefusal> {
    let writer = writer.unwrap_or(&bucket.owner).to_string();
    let full_control = view.header("x-amz-acl") == Some("bucket-owner-full-control");
    let owner = match bucket.ownership.as_deref() {
        Some(BUCKET_OWNER_ENFORCED) => bucket.owner.clone(),
        Some("BucketOwnerPreferred") if full_control => bucket.owner.clone(),
        _ => writer,
    };
    let keep_owner = |owner: String| (owner != bucket.owner).then_some(owner);
    let Some(acl) = requested_acl(view, &owner, &bucket.owner, iam)? else {
        return Ok(WriteAcl { owner: keep_owner(owner), acl: None });
    };
    // With ACLs disabled only bucket-owner-full-control, or its equivalent, is accepted.
    if !bucket.acls_enabled() && !acl.is_private(&bucket.owner) {
        return Err(AclRefusal::Error(S3Error::new(ErrorCode::AccessControlListNotSupported)));
    }
    if acl.is_public() && bucket.public_access_block.block_public_acls {
        return Err(AclRefusal::BlockedPublicAcl);
    }
    let stored = (!acl.is_private(&owner)).then(|| acl.to_stored());
    Ok(WriteAcl { owner: keep_owner(owner), acl: stored })
}

/// The refusal of the ACL a CreateBucket asks for, given the Object Ownership and Block Public
/// Access the new bucket gets.
pub fn check_new_bucket_acl(
    acl: &Acl,
    owner: &str,
    ownership: Option<&str>,
    public_access_block: Option<PublicAccessBlock>,
) -> S3Result<()> {
    if ownership == Some(BUCKET_OWNER_ENFORCED) && !acl.is_private(owner) {
        return Err(S3Error::new(ErrorCode::InvalidBucketAclWithObjectOwnership));
    }
    if acl.is_public() && public_access_block.is_some_and(|p| p.block_public_acls) {
        return Err(S3Error::new(ErrorCode::InvalidBucketAclWithBlockPublicAccessError));
    }
    Ok(())
}
