//! Access control lists, as S3 has them where Object Ownership lets them work: canned ACLs,
//! `x-amz-grant-*` headers, `AccessControlPolicy` documents, and the permissions each grant gives.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html>
//!
//! Grantees are accounts (by canonical id) and the groups everyone (`AllUsers`) and every signed
//! request (`AuthenticatedUsers`); a grant is public when it names one of those groups.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, S3Error, S3Result};
use crate::iam::{canonical_id, Iam, Principal, PrincipalKind};
use crate::policy::PrincipalMatch;
use crate::xml::XmlWriter;

pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// The canned ACLs S3 knows.
pub const CANNED: [&str; 8] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// A permission a grant gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    FullControl,
    Write,
    WriteAcp,
    Read,
    ReadAcp,
}

impl Permission {
    pub fn name(self) -> &'static str {
        match self {
            Permission::FullControl => "FULL_CONTROL",
            Permission::Write => "WRITE",
            Permission::WriteAcp => "WRITE_ACP",
            Permission::Read => "READ",
            Permission::ReadAcp => "READ_ACP",
        }
    }

    fn parse(s: &str) -> Option<Permission> {
        [Permission::FullControl, Permission::Write, Permission::WriteAcp, Permission::Read, Permission::ReadAcp]
            .into_iter()
            .find(|p| p.name() == s)
    }

    /// The `x-amz-grant-*` header of the permission.
    fn header(self) -> &'static str {
        match self {
            Permission::FullControl => "x-amz-grant-full-control",
            Permission::Write => "x-amz-grant-write",
            Permission::WriteAcp => "x-amz-grant-write-acp",
            Permission::Read => "x-amz-grant-read",
            Permission::ReadAcp => "x-amz-grant-read-acp",
        }
    }

    /// The permission an ACL must grant for `action`; `on_object` picks the object ACL's mapping.
    /// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#acl-access-policy-permission-mapping>
    pub fn for_action(action: &str, on_object: bool) -> Option<Permission> {
        let p = match (on_object, action) {
            (false, "s3:ListBucket" | "s3:ListBucketVersions" | "s3:ListBucketMultipartUploads") => Permission::Read,
            (false, "s3:PutObject" | "s3:DeleteObject" | "s3:AbortMultipartUpload") => Permission::Write,
            (false, "s3:GetBucketAcl") => Permission::ReadAcp,
            (false, "s3:PutBucketAcl") => Permission::WriteAcp,
            (true, "s3:GetObject" | "s3:GetObjectVersion") => Permission::Read,
            (true, "s3:GetObjectAcl" | "s3:GetObjectVersionAcl") => Permission::ReadAcp,
            (true, "s3:PutObjectAcl" | "s3:PutObjectVersionAcl") => Permission::WriteAcp,
            _ => return None,
        };
        Some(p)
    }
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// An account, by id (shown as its canonical id).
    Account(String),
    /// A predefined group, by URI.
    Group(String),
}

impl Grantee {
    /// Whether a grant to this grantee is public. S3 User Guide, "The meaning of \"public\"":
    /// "Amazon S3 considers a bucket or object ACL public if it grants any permissions to members
    /// of the predefined `AllUsers` or `AuthenticatedUsers` groups." `IgnorePublicAcls` skips
    /// exactly these grants, `BlockPublicAcls` refuses ACLs holding one.
    pub fn is_public(&self) -> bool {
        matches!(self, Grantee::Group(u) if u == ALL_USERS || u == AUTHENTICATED_USERS)
    }
}

/// One grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

/// An ACL: its grants (its owner is the owner of the bucket or object that carries it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Acl {
    pub grants: Vec<Grant>,
}

fn invalid_argument(message: &str, name: &str, value: &str) -> S3Error {
    S3Error::invalid_argument(message, name, value)
}

fn malformed_acl() -> S3Error {
    S3Error::new(ErrorCode::MalformedACLError)
}

/// The account whose canonical id is `id`, among the declared accounts.
fn account_of_canonical(iam: &Iam, id: &str) -> Option<String> {
    iam.accounts().iter().find(|a| canonical_id(a) == id).cloned()
}

/// Trims what S3 trims around the parts of a grant header: ASCII blanks and control characters
/// (Java's `String.trim`), not Unicode white space — a grantee ending in a no-break space is not
/// a known grantee.
fn trim_blanks(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

impl Acl {
    /// The default: the owner's FULL_CONTROL.
    pub fn private(owner: &str) -> Acl {
        Acl { grants: vec![Grant { grantee: Grantee::Account(owner.into()), permission: Permission::FullControl }] }
    }

    /// A canned ACL for a resource owned by `owner` in a bucket owned by `bucket_owner`;
    /// `InvalidArgument` (which S3 sends without a message) for an unknown name.
    pub fn canned(name: &str, owner: &str, bucket_owner: &str) -> S3Result<Acl> {
        let mut acl = Acl::private(owner);
        let mut add = |grantee: Grantee, permission| acl.grants.push(Grant { grantee, permission });
        match name {
            "private" | "aws-exec-read" => {}
            "public-read" => add(Grantee::Group(ALL_USERS.into()), Permission::Read),
            "public-read-write" => {
                add(Grantee::Group(ALL_USERS.into()), Permission::Read);
                add(Grantee::Group(ALL_USERS.into()), Permission::Write);
            }
            "authenticated-read" => add(Grantee::Group(AUTHENTICATED_USERS.into()), Permission::Read),
            "bucket-owner-read" if bucket_owner != owner => {
                add(Grantee::Account(bucket_owner.into()), Permission::Read)
            }
            "bucket-owner-full-control" if bucket_owner != owner => {
                add(Grantee::Account(bucket_owner.into()), Permission::FullControl)
            }
            "bucket-owner-read" | "bucket-owner-full-control" => {}
            "log-delivery-write" => {
                add(Grantee::Group(LOG_DELIVERY.into()), Permission::Write);
                add(Grantee::Group(LOG_DELIVERY.into()), Permission::ReadAcp);
            }
            _ => return Err(invalid_argument("", "x-amz-acl", name)),
        }
        Ok(acl)
    }

    /// Grants from `x-amz-grant-*` headers (`id="…"`, `uri="…"`, comma-separated); `None` when the
    /// request has none.
    fn from_grant_headers(header: &dyn Fn(&str) -> Option<String>, iam: &Iam) -> S3Result<Option<Acl>> {
        let mut grants = Vec::new();
        let mut any = false;
        for permission in
            [Permission::Read, Permission::Write, Permission::ReadAcp, Permission::WriteAcp, Permission::FullControl]
        {
            let Some(value) = header(permission.header()) else { continue };
            any = true;
            for entry in value.split(',').map(trim_blanks).filter(|e| !e.is_empty()) {
                let unrecognized = || invalid_argument("Argument format not recognized", permission.header(), entry);
                let (kind, raw) = entry.split_once('=').ok_or_else(unrecognized)?;
                let id = trim_blanks(raw).trim_matches('"');
                let grantee = match trim_blanks(kind) {
                    "id" => Grantee::Account(
                        account_of_canonical(iam, id).ok_or_else(|| invalid_argument("Invalid id", "id", id))?,
                    ),
                    "uri" => {
                        if ![ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].contains(&id) {
                            return Err(invalid_argument("Invalid group uri", "uri", id));
                        }
                        Grantee::Group(id.into())
                    }
                    // Grants by e-mail address ended in 2025; no account here has one.
                    "emailAddress" => {
                        return Err(S3Error::with_message(
                            ErrorCode::UnresolvableGrantByEmailAddress,
                            "The e-mail address you provided does not match any account on record.",
                        ))
                    }
                    _ => return Err(unrecognized()),
                };
                grants.push(Grant { grantee, permission });
            }
        }
        Ok(any.then_some(Acl { grants }))
    }

    /// The ACL a request's headers ask for (`x-amz-acl` or `x-amz-grant-*`), for a resource owned
    /// by `owner` in a bucket owned by `bucket_owner`; `None` when it asks for none.
    pub fn from_request(
        header: &dyn Fn(&str) -> Option<String>,
        owner: &str,
        bucket_owner: &str,
        iam: &Iam,
    ) -> S3Result<Option<Acl>> {
        let canned = header("x-amz-acl");
        let grants = Acl::from_grant_headers(header, iam)?;
        match (canned, grants) {
            (Some(_), Some(_)) => Err(S3Error::with_message(
                ErrorCode::InvalidRequest,
                "Specifying both Canned ACLs and Header Grants is not allowed",
            )),
            (Some(name), None) => Acl::canned(&name, owner, bucket_owner).map(Some),
            (None, grants) => Ok(grants),
        }
    }

    /// Parses an `AccessControlPolicy` document; returns the owner's account and the ACL.
    pub fn from_xml(doc: &[u8], iam: &Iam) -> S3Result<(String, Acl)> {
        let flat = crate::xml::read_flat(doc).map_err(|_| malformed_acl())?;
        if flat.last().is_none_or(|(p, _)| p != "AccessControlPolicy") {
            return Err(malformed_acl());
        }
        let owner_id = flat
            .iter()
            .find(|(p, _)| *p == "AccessControlPolicy/Owner/ID")
            .map(|(_, v)| v.trim().to_string())
            .ok_or_else(malformed_acl)?;
        if !flat.iter().any(|(p, _)| p == "AccessControlPolicy/AccessControlList") {
            return Err(malformed_acl());
        }
        let owner = account_of_canonical(iam, &owner_id)
            .ok_or_else(|| invalid_argument("Invalid id", "CanonicalUser/ID", &owner_id))?;
        let mut grants = Vec::new();
        let (mut id, mut uri, mut permission, mut kind): (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ) = (None, None, None, None);
        for (path, value) in flat.iter() {
            let Some(field) = path.strip_prefix("AccessControlPolicy/AccessControlList/Grant") else { continue };
            let value = value.trim().to_string();
            match field {
                "/Grantee/ID" => id = Some(value),
                "/Grantee/URI" => uri = Some(value),
                "/Grantee/@type" => kind = Some(value),
                "/Permission" => permission = Some(value),
                "" => {
                    let permission = permission.take().and_then(|p| Permission::parse(&p)).ok_or_else(malformed_acl)?;
                    let grantee = match (id.take(), uri.take(), kind.take().as_deref()) {
                        (Some(id), None, None | Some("CanonicalUser")) => Grantee::Account(
                            account_of_canonical(iam, &id)
                                .ok_or_else(|| invalid_argument("Invalid id", "CanonicalUser/ID", &id))?,
                        ),
                        (None, Some(uri), None | Some("Group")) => {
                            if ![ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].contains(&uri.as_str()) {
                                return Err(invalid_argument("Invalid group uri", "Group/URI", &uri));
                            }
                            Grantee::Group(uri)
                        }
                        _ => return Err(malformed_acl()),
                    };
                    grants.push(Grant { grantee, permission });
                }
                _ => {}
            }
        }
        Ok((owner, Acl { grants }))
    }

    /// Writes the `AccessControlPolicy` document of a resource owned by `owner`.
    pub fn write_xml(&self, w: &mut XmlWriter, owner: &str) {
        w.open_root("AccessControlPolicy");
        write_owner(w, owner);
        w.open("AccessControlList");
        for g in &self.grants {
            w.open("Grant");
            let xsi = ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
            match &g.grantee {
                Grantee::Account(account) => {
                    w.open_with("Grantee", &[xsi, ("xsi:type", "CanonicalUser")]);
                    w.elem("ID", &canonical_id(account));
                    w.elem("DisplayName", "s3strict");
                }
                Grantee::Group(uri) => {
                    w.open_with("Grantee", &[xsi, ("xsi:type", "Group")]);
                    w.elem("URI", uri);
                }
            }
            w.close("Grantee");
            w.elem("Permission", g.permission.name());
            w.close("Grant");
        }
        w.close("AccessControlList");
        w.close("AccessControlPolicy");
    }

    /// Whether the ACL is public in S3's meaning: a grant of any permission to a public group
    /// (see [`Grantee::is_public`]).
    pub fn is_public(&self) -> bool {
        self.grants.iter().any(|g| g.grantee.is_public())
    }

    /// Whether the ACL is the owner's FULL_CONTROL and nothing else (the only ACL a bucket with
    /// ACLs disabled may have).
    pub fn is_private(&self, owner: &str) -> bool {
        self.grants
            .iter()
            .all(|g| g.grantee == Grantee::Account(owner.into()) && g.permission == Permission::FullControl)
    }

    /// How the ACL grants `permission` to `p` (public grants skipped when `ignore_public`).
    pub fn grants_to(&self, p: &Principal, permission: Permission, ignore_public: bool) -> PrincipalMatch {
        let mut best = PrincipalMatch::None;
        let grants = self.grants.iter().filter(|g| !(ignore_public && g.grantee.is_public()));
        for g in grants.filter(|g| g.permission == permission || g.permission == Permission::FullControl) {
            let m = match &g.grantee {
                Grantee::Group(u) if u == ALL_USERS => PrincipalMatch::Direct,
                Grantee::Group(u) if u == AUTHENTICATED_USERS && p.kind != PrincipalKind::Anonymous => {
                    PrincipalMatch::Direct
                }
                Grantee::Account(a) if p.account_id.as_deref() == Some(a.as_str()) => match p.kind {
                    PrincipalKind::Root => PrincipalMatch::Direct,
                    _ => PrincipalMatch::Account,
                },
                _ => PrincipalMatch::None,
            };
            best = best.max(m);
        }
        best
    }

    /// The ACL as stored.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored ACL; the owner's FULL_CONTROL when there is none.
    pub fn from_stored(stored: Option<&str>, owner: &str) -> S3Result<Acl> {
        match stored {
            Some(text) => serde_json::from_str(text).map_err(S3Error::internal),
            None => Ok(Acl::private(owner)),
        }
    }
}

/// Writes `<Owner><ID/><DisplayName/></Owner>` for the account `account_id`.
pub fn write_owner(w: &mut XmlWriter, account_id: &str) {
    write_principal(w, "Owner", account_id);
}

/// Writes a principal element (`Owner`, `Initiator`) of an account: its canonical `ID` and a
/// `DisplayName`.
pub fn write_principal(w: &mut XmlWriter, element: &str, account_id: &str) {
    w.open(element);
    w.elem("ID", &crate::iam::canonical_id(account_id));
    w.elem("DisplayName", "s3strict");
    w.close(element);
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "123456789012";
    const B: &str = "444455556666";

    #[test]
    fn canned_acls() {
        assert!(Acl::canned("private", A, A).unwrap().is_private(A));
        assert!(Acl::canned("public-read", A, A).unwrap().is_public());
        assert!(!Acl::canned("bucket-owner-full-control", B, A).unwrap().is_private(B));
        assert!(Acl::canned("bucket-owner-full-control", A, A).unwrap().is_private(A));
        let e = Acl::canned("fake-acl", A, A).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::InvalidArgument, ""));
    }

    #[test]
    fn grants() {
        let iam = Iam::single("AK", "SK");
        let headers = |name: &str| -> Option<String> {
            match name {
                "x-amz-grant-read" => Some(format!("uri=\"{ALL_USERS}\", id=\"{}\"", canonical_id(A))),
                _ => None,
            }
        };
        let acl = Acl::from_grant_headers(&headers, &iam).unwrap().unwrap();
        assert_eq!(acl.grants.len(), 2);
        assert!(acl.is_public());
        let anonymous = Principal::anonymous();
        assert_eq!(acl.grants_to(&anonymous, Permission::Read, false), PrincipalMatch::Direct);
        assert_eq!(acl.grants_to(&anonymous, Permission::Read, true), PrincipalMatch::None);
        let bad = |name: &str| (name == "x-amz-grant-write").then(|| "fakekey=\"1234\"".to_string());
        let e = Acl::from_grant_headers(&bad, &iam).unwrap_err();
        assert_eq!(e.message, "Argument format not recognized");
        let wrong = |name: &str| (name == "x-amz-grant-write").then(|| "id=\"wrong-id\"".to_string());
        assert_eq!(Acl::from_grant_headers(&wrong, &iam).unwrap_err().message, "Invalid id");
    }

    #[test]
    fn documents_round_trip() {
        let iam = Iam::single("AK", "SK");
        let acl = Acl::canned("public-read", A, A).unwrap();
        let mut w = XmlWriter::new();
        acl.write_xml(&mut w, A);
        let doc = w.finish();
        let (owner, parsed) = Acl::from_xml(&doc, &iam).unwrap();
        assert_eq!((owner.as_str(), parsed), (A, acl));
        assert_eq!(Acl::from_xml(b"<AccessControlPolicy/>", &iam).unwrap_err().code, ErrorCode::MalformedACLError);
    }
}
