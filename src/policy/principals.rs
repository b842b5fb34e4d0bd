//! Principals bound to unique ids, as IAM binds them: when a policy naming an IAM user or role by
//! ARN is saved, the ARN is kept as the identity's unique id, so a user or role deleted and made
//! again with the same name is not the one the policy names; and once the identity is gone the
//! policy shows the id where the ARN was, since it no longer maps back to an ARN.
//!
//! Evidence: IAM User Guide, "AWS JSON policy elements: Principal" (IAM role and user
//! principals): "When you save the policy, AWS transforms the ARN to a unique principal ID. This
//! helps mitigate the risk of someone escalating their privileges by removing and recreating the
//! role or user. … if you delete the role or user, then the relationship is broken. The policy
//! no longer applies, even if you recreate the user or role … When this happens, the principal ID
//! shows up in the console because AWS can no longer map it back to an ARN." The knowledge-center
//! article "Why is there an unknown principal format in my IAM resource-based policy?" gives the
//! shown forms (`"AIDAJQABLZS4A3QDU576Q"` for a user, `"AROAKSCDLFT9R5DQP782U"` for a role) and
//! says this holds for resource-based policies; re:Post "Unable to access the S3 bucket after the
//! IAM user was recreated" shows it for a bucket policy. Only `Principal` elements are bound:
//! the same ARN as a condition value stays text.
//!
//! The binding is the caller's to look up (the registry knows the ids): [`Policy::bind_principals`]
//! when a policy is put, [`shown_with_ids`] when it is shown.

use std::collections::BTreeMap;
use std::ops::Range;

use super::document::Policy;

impl Policy {
    /// Binds each `AWS` entry of every `Principal` and `NotPrincipal` that `id_of` knows (an IAM
    /// user's or role's ARN) to the unique id it answers.
    pub fn bind_principals(&mut self, id_of: &dyn Fn(&str) -> Option<String>) {
        let mut ids = BTreeMap::new();
        for principals in self.statements.iter().filter_map(|s| s.principals.as_ref()) {
            for entry in &principals.aws {
                if let Some(id) = id_of(entry) {
                    ids.insert(entry.clone(), id);
                }
            }
        }
        self.principal_ids = ids;
    }

    /// The policy with the bindings it was stored with.
    pub fn with_principal_ids(mut self, ids: BTreeMap<String, String>) -> Policy {
        self.principal_ids = ids;
        self
    }
}

/// The document `text` as a reader sees it: each `AWS` principal entry bound in `ids` whose
/// identity is gone (`exists(arn, id)` false) replaced by its unique id; everything else, spacing
/// included, as it was given. A document that does not read is returned unchanged (stored
/// documents were valid when they were put).
pub fn shown_with_ids(text: &str, ids: &BTreeMap<String, String>, exists: &dyn Fn(&str, &str) -> bool) -> String {
    if ids.is_empty() {
        return text.to_string();
    }
    let Some(entries) = principal_literals(text) else { return text.to_string() };
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, arn) in entries {
        let Some(id) = ids.get(&arn).filter(|id| !exists(&arn, id)) else { continue };
        out.push_str(&text[at..range.start]);
        out.push('"');
        out.push_str(id);
        out.push('"');
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Where a JSON value sits, as far as principal entries are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The document itself.
    Root,
    /// The value of `Statement`: one statement or an array of them.
    Statements,
    Statement,
    /// The value of `Principal` or `NotPrincipal`.
    Principal,
    /// The value of a principal's `AWS`: an entry or an array of them.
    Aws,
    Elsewhere,
}

/// The string literals (byte ranges, quotes included) that are `AWS` entries of a statement's
/// `Principal` or `NotPrincipal`, with their decoded text, in document order.
fn principal_literals(text: &str) -> Option<Vec<(Range<usize>, String)>> {
    let mut scan = Scanner { text, at: 0, found: Vec::new() };
    scan.value(Place::Root, 0)?;
    scan.space();
    (scan.at == text.len()).then_some(scan.found)
}

/// A reader of a JSON document that notes principal entries on its way.
struct Scanner<'a> {
    text: &'a str,
    at: usize,
    found: Vec<(Range<usize>, String)>,
}

/// Deeper than any document S3 or IAM accepts (serde_json itself stops at 128).
const MAX_DEPTH: usize = 128;

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.space();
        (self.peek() == Some(b)).then(|| self.at += 1)
    }

    /// A string literal: its range and decoded text.
    fn string(&mut self) -> Option<(Range<usize>, String)> {
        self.space();
        let start = self.at;
        if self.peek() != Some(b'"') {
            return None;
        }
        self.at += 1;
        loop {
            match self.peek()? {
                b'\\' => self.at += 2,
                b'"' => break,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        let range = start..self.at;
        let decoded = serde_json::from_str(self.text.get(range.clone())?).ok()?;
        Some((range, decoded))
    }

    fn value(&mut self, place: Place, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.space();
        match self.peek()? {
            b'{' => self.object(place, depth),
            b'[' => {
                // An array of statements, or of entries: each item is in the same place.
                let item = match place {
                    Place::Statements | Place::Aws => place,
                    _ => Place::Elsewhere,
                };
                self.at += 1;
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.value(item, depth + 1)?;
                    if self.eat(b']').is_some() {
                        return Some(());
                    }
                    self.eat(b',')?;
                }
            }
            b'"' => {
                let (range, text) = self.string()?;
                if place == Place::Aws {
                    self.found.push((range, text));
                }
                Some(())
            }
            _ => {
                // A number, true, false or null: up to the next delimiter.
                let start = self.at;
                while self.peek().is_some_and(|b| !b",]} \t\r\n".contains(&b)) {
                    self.at += 1;
                }
                (self.at > start).then_some(())
            }
        }
    }

    fn object(&mut self, place: Place, depth: usize) -> Option<()> {
        self.at += 1;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        // One statement given without an array is a statement.
        let place = if place == Place::Statements { Place::Statement } else { place };
        loop {
            let (_, key) = self.string()?;
            self.eat(b':')?;
            let inner = match (place, key.as_str()) {
                (Place::Root, "Statement") => Place::Statements,
                (Place::Statement, "Principal" | "NotPrincipal") => Place::Principal,
                (Place::Principal, "AWS") => Place::Aws,
                _ => Place::Elsewhere,
            };
            self.value(inner, depth + 1)?;
            if self.eat(b'}').is_some() {
                return Some(());
            }
            self.eat(b',')?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyKind;

    const DOC: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:user/dave", "111122223333"]},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
     "Condition": {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/dave"}}},
    {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/r", "CanonicalUser": "x"},
     "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}
  ]
}"#;

    fn ids() -> BTreeMap<String, String> {
        let mut ids = BTreeMap::new();
        ids.insert("arn:aws:iam::111122223333:user/dave".to_string(), "AIDAOLDDAVE".to_string());
        ids.insert("arn:aws:iam::111122223333:role/r".to_string(), "AROAOLDROLE".to_string());
        ids
    }

    #[test]
    fn binding_takes_only_principal_entries_the_registry_knows() {
        let mut p = Policy::parse(DOC, &PolicyKind::Bucket("b".into()), &|_| true).unwrap();
        p.bind_principals(&|arn| ids().get(arn).cloned());
        assert_eq!(p.principal_ids, ids());
        p.bind_principals(&|arn| arn.ends_with("user/dave").then(|| "AIDANEW".to_string()));
        assert_eq!(p.principal_ids.len(), 1);
    }

    #[test]
    fn a_gone_principal_is_shown_as_its_id_and_nothing_else_changes() {
        // While both exist: the document as given.
        assert_eq!(shown_with_ids(DOC, &ids(), &|_, _| true), DOC);
        // dave is gone (or another dave has another id): his Principal entry becomes his old id;
        // the condition value naming the same ARN stays.
        let shown = shown_with_ids(DOC, &ids(), &|arn, _| !arn.ends_with("user/dave"));
        let expected = DOC.replacen(r#"["arn:aws:iam::111122223333:user/dave", "#, r#"["AIDAOLDDAVE", "#, 1);
        assert_eq!(shown, expected);
        assert!(shown.contains(r#""aws:PrincipalArn": "arn:aws:iam::111122223333:user/dave""#));
        let both = shown_with_ids(DOC, &ids(), &|_, _| false);
        assert!(both.contains(r#""NotPrincipal": {"AWS": "AROAOLDROLE", "CanonicalUser": "x"}"#), "{both}");
        // Escaped forms are found by what they say; a lone statement object is a statement.
        let escaped = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user\/dave"},"Action":"s3:*","Resource":"*"}}"#;
        assert_eq!(
            shown_with_ids(escaped, &ids(), &|_, _| false),
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"AIDAOLDDAVE"},"Action":"s3:*","Resource":"*"}}"#
        );
        // Unreadable text is left alone.
        assert_eq!(shown_with_ids("{\"Statement\":[", &ids(), &|_, _| false), "{\"Statement\":[");
    }
}
