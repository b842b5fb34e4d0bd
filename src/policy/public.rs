//! Whether a bucket policy is public, in S3's meaning (Block Public Access).

use super::document::{Effect, Policy};

impl Policy {
    /// Whether any statement grants `Allow` to everyone (the bucket policy is public). A statement
    /// narrowed by conditions on the requester's account or network is not public.
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(|s| {
            s.effect == Effect::Allow
                && !s.not_principal
                && s.principals.as_ref().is_some_and(|p| p.everyone)
                && !s.conditions.iter().any(|c| {
                    let key = c.key.to_ascii_lowercase();
                    matches!(
                        key.as_str(),
                        "aws:sourceip"
                            | "aws:sourcevpc"
                            | "aws:sourcevpce"
                            | "aws:sourceaccount"
                            | "aws:sourcearn"
                            | "aws:principalaccount"
                            | "aws:principalarn"
                            | "aws:principalorgid"
                            | "aws:userid"
                            | "aws:username"
                            | "s3:dataaccesspointaccount"
                            | "s3:dataaccesspointarn"
                    ) && !c.operator.negated
                })
        })
    }
}
