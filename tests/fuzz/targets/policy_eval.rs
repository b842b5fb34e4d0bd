//! Bucket policies built from the input (statements with any operator, key and value, in any
//! order) and evaluated for generated requests, checking what must hold whatever the policy:
//! - adding a `Deny` never turns a denied request into an allowed one, and never changes which
//!   statement allows; adding an `Allow` never removes a deny nor weakens an allow;
//! - `is_public` does not depend on the order of statements, ignores `Deny` statements, and only
//!   grows when an `Allow` is added;
//! - a policy S3 calls non-public never lets an anonymous request in unless it carries one of the
//!   keys S3's list narrows to (`aws:SourceIp`, `aws:SourceAccount`, …);
//! - wildcard matching agrees with a plain dynamic-programming matcher;
//! - a negated operator is the exact complement of its positive form on a present single value,
//!   and `…IfExists` holds for an absent key.
//!
//! Input: unstructured bytes, read as choices from fixed vocabularies (operators, keys, values,
//! principals) mixed with strings taken from the input.

#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use s3strict::policy::condition::{ConditionKeys, Operator};
use s3strict::policy::{wildcard_match, Evaluation, Policy, PolicyKind, PrincipalMatch, PrincipalRef, RequestContext};

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericLessThan",
    "NumericGreaterThanEquals",
    "DateLessThan",
    "DateGreaterThan",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

const KEYS: &[&str] = &[
    "aws:SourceIp",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceOwner",
    "aws:PrincipalOrgID",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:userid",
    "aws:username",
    "aws:SecureTransport",
    "aws:CurrentTime",
    "aws:UserAgent",
    "s3:DataAccessPointArn",
    "s3:DataAccessPointAccount",
    "s3:signatureAge",
    "s3:authType",
];

/// The keys S3's meaning of "public" lets narrow a statement (lowercase).
const NARROWING_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:principalorgid",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
];

const VALUES: &[&str] = &[
    "*",
    "?",
    "",
    "true",
    "false",
    "0",
    "600000",
    "2026-01-01T00:00:00Z",
    "0.0.0.0/0",
    "0.0.0.0/1",
    "10.0.0.0/7",
    "10.0.0.0/8",
    "10.0.0.0/24",
    "127.0.0.1",
    "127.0.0.0/8",
    "::/0",
    "::1",
    "2001:db8::/32",
    "2001:db8::/31",
    ACCOUNT,
    OTHER,
    "11112222333?",
    "o-abc123",
    "vpc-*",
    "vpc-91237329",
    "alice",
    "AROAEXAMPLEID:*",
    "AIDAEXAMPLEID",
    "${aws:username}",
    "${aws:SourceAccount}",
    "${*}",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::*:root",
    "arn:aws:s3:us-west-2:123456789012:accesspoint/*",
    "arn:aws:s3:us-west-2:*:accesspoint/*",
    "arn:aws:s3:*:123456789012",
    "REST-HEADER",
];

const PRINCIPALS: &[&str] = &[
    r#""Principal":"*""#,
    r#""Principal":{"AWS":"*"}"#,
    r#""Principal":{"AWS":"111122223333"}"#,
    r#""Principal":{"AWS":["444455556666","*"]}"#,
    r#""Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
    r#""Principal":{"AWS":"arn:aws:iam::444455556666:root"}"#,
    r#""Principal":{"Service":"cloudtrail.amazonaws.com"}"#,
    r#""Principal":{"CanonicalUser":"*"}"#,
    r#""NotPrincipal":{"AWS":"111122223333"}"#,
    r#""NotPrincipal":{"AWS":"arn:aws:iam::444455556666:user/carol"}"#,
];

const ACTIONS: &[&str] = &["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:Get*", "s3:*", "s3:?etObject"];
const RESOURCES: &[&str] =
    &["arn:aws:s3:::b/*", "arn:aws:s3:::b", "arn:aws:s3:::b/k*", "arn:aws:s3:::b*", "arn:aws:s3:::b/?"];
const REQUEST_RESOURCES: &[&str] = &["arn:aws:s3:::b/k", "arn:aws:s3:::b", "arn:aws:s3:::b/key/x", "arn:aws:s3:::bb"];

/// A string escaped for a JSON document.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One of `vocabulary`, or now and then a short string from the input.
fn word(u: &mut Unstructured<'_>, vocabulary: &[&str]) -> Result<String> {
    if u.ratio(1, 8)? {
        let s: &str = u.arbitrary()?;
        return Ok(s.chars().take(24).collect());
    }
    Ok(u.choose(vocabulary)?.to_string())
}

fn operator(u: &mut Unstructured<'_>) -> Result<String> {
    let base = word(u, OPERATORS)?;
    let qualifier = *u.choose(&["", "", "", "ForAnyValue:", "ForAllValues:"])?;
    let if_exists = if u.ratio(1, 4)? { "IfExists" } else { "" };
    Ok(format!("{qualifier}{base}{if_exists}"))
}

/// A statement of `effect` as JSON.
fn statement(u: &mut Unstructured<'_>, effect: &str) -> Result<String> {
    let principal = u.choose(PRINCIPALS)?;
    let action = word(u, ACTIONS)?;
    let resource = word(u, RESOURCES)?;
    let mut conditions: Vec<(String, Vec<(String, Vec<String>)>)> = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let op = operator(u)?;
        let key = word(u, KEYS)?;
        let mut values = Vec::new();
        for _ in 0..u.int_in_range(1..=3)? {
            values.push(word(u, VALUES)?);
        }
        // JSON objects keep one entry per name: keys of one operator share its block.
        match conditions.iter_mut().find(|(o, _)| *o == op) {
            Some((_, entries)) if !entries.iter().any(|(k, _)| *k == key) => entries.push((key, values)),
            Some(_) => {}
            None => conditions.push((op, vec![(key, values)])),
        }
    }
    let mut out = format!(
        r#"{{"Effect":"{effect}",{principal},"Action":{},"Resource":{}"#,
        json_string(&action),
        json_string(&resource)
    );
    if !conditions.is_empty() {
        let blocks: Vec<String> = conditions
            .iter()
            .map(|(op, entries)| {
                let entries: Vec<String> = entries
                    .iter()
                    .map(|(k, vs)| {
                        let vs: Vec<String> = vs.iter().map(|v| json_string(v)).collect();
                        format!("{}:[{}]", json_string(k), vs.join(","))
                    })
                    .collect();
                format!("{}:{{{}}}", json_string(op), entries.join(","))
            })
            .collect();
        out.push_str(&format!(r#","Condition":{{{}}}"#, blocks.join(",")));
    }
    out.push('}');
    Ok(out)
}

fn document(statements: &[String]) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
}

fn parse(statements: &[String]) -> Option<Policy> {
    let exists = |arn: &str| arn.contains(ACCOUNT) || arn.contains(OTHER);
    Policy::parse(&document(statements), &PolicyKind::Bucket("b".into()), &exists).ok()
}

/// A request's principal: anonymous, alice and the root of the bucket's account, carol of
/// another account, a role session.
fn principal(u: &mut Unstructured<'_>) -> Result<PrincipalRef<'static>> {
    Ok(match u.int_in_range(0..=4)? {
        0 => PrincipalRef::default(),
        1 => PrincipalRef {
            account: Some(ACCOUNT),
            arn: Some("arn:aws:iam::111122223333:user/alice"),
            ..Default::default()
        },
        2 => PrincipalRef { account: Some(ACCOUNT), arn: Some("arn:aws:iam::111122223333:root"), ..Default::default() },
        3 => PrincipalRef {
            account: Some(OTHER),
            arn: Some("arn:aws:iam::444455556666:user/carol"),
            ..Default::default()
        },
        _ => PrincipalRef {
            account: Some(ACCOUNT),
            arn: Some("arn:aws:sts::111122223333:assumed-role/r/s"),
            role_arn: Some("arn:aws:iam::111122223333:role/r"),
            ..Default::default()
        },
    })
}

fn keys(u: &mut Unstructured<'_>) -> Result<ConditionKeys> {
    let mut keys = ConditionKeys::new();
    for _ in 0..u.int_in_range(0..=5)? {
        let k = word(u, KEYS)?.to_ascii_lowercase();
        let v = word(u, VALUES)?;
        keys.entry(k).or_default().push(v);
    }
    Ok(keys)
}

/// Whether `value` matches `pattern` (`*` any run, `?` any one character): the textbook
/// dynamic program, to check the production matcher against.
fn reference_match(pattern: &[char], value: &[char], ignore_case: bool) -> bool {
    let eq = |a: char, b: char| if ignore_case { a.to_lowercase().eq(b.to_lowercase()) } else { a == b };
    // m[j]: whether pattern[..i] matches value[..j], row by row.
    let mut m = vec![false; value.len() + 1];
    m[0] = true;
    for &p in pattern {
        let mut next = vec![false; value.len() + 1];
        next[0] = m[0] && p == '*';
        for j in 1..=value.len() {
            next[j] = match p {
                '*' => next[j - 1] || m[j],
                '?' => m[j - 1],
                c => m[j - 1] && eq(c, value[j - 1]),
            };
        }
        m = next;
    }
    m[value.len()]
}

fn wildcards(u: &mut Unstructured<'_>) -> Result<()> {
    let alphabet = ['a', 'b', 'A', '*', '?', 'é', 'É'];
    let mut text = |max: usize| -> Result<Vec<char>> {
        let n = u.int_in_range(0..=max)?;
        (0..n).map(|_| u.choose(&alphabet).copied()).collect()
    };
    let pattern = text(12)?;
    let value: Vec<char> = text(16)?.into_iter().filter(|c| *c != '*' && *c != '?').collect();
    let (p, v): (String, String) = (pattern.iter().collect(), value.iter().collect());
    for ignore_case in [false, true] {
        assert_eq!(
            wildcard_match(&p, &v, ignore_case),
            reference_match(&pattern, &value, ignore_case),
            "{p:?} against {v:?}, ignore_case {ignore_case}"
        );
    }
    Ok(())
}

fn operators(u: &mut Unstructured<'_>) -> Result<()> {
    let Some(op) = Operator::parse(&operator(u)?) else { return Ok(()) };
    let values = vec![word(u, VALUES)?, word(u, VALUES)?];
    let request = vec![word(u, VALUES)?];
    let got = op.evaluate(Some(&request), &values);
    let _ = op.evaluate(None, &values);
    let _ = op.evaluate(Some(&[]), &values);
    if op.if_exists {
        assert!(op.evaluate(None, &values), "{op:?} holds for an absent key");
    }
    let null = op.comparison == s3strict::policy::condition::Comparison::Null;
    if op.qualifier.is_none() && !null {
        let flipped = Operator { negated: !op.negated, ..op };
        assert_eq!(flipped.evaluate(Some(&request), &values), !got, "{op:?} on {request:?} against {values:?}");
    }
    Ok(())
}

fn policies(u: &mut Unstructured<'_>) -> Result<()> {
    let mut statements = Vec::new();
    for _ in 0..u.int_in_range(1..=5)? {
        let effect = if u.ratio(1, 3)? { "Deny" } else { "Allow" };
        statements.push(statement(u, effect)?);
    }
    let Some(policy) = parse(&statements) else { return Ok(()) };
    let public = policy.is_public();

    let mut reversed = statements.clone();
    reversed.reverse();
    let reordered = parse(&reversed).map(|p| p.is_public());
    assert_eq!(reordered, Some(public), "is_public depends on the order of statements");

    let mut with_deny = statements.clone();
    with_deny.push(statement(u, "Deny")?);
    let denying = parse(&with_deny);
    let mut with_allow = statements.clone();
    with_allow.push(statement(u, "Allow")?);
    let allowing = parse(&with_allow);
    if let Some(d) = &denying {
        assert_eq!(d.is_public(), public, "a Deny changed is_public");
    }
    if let Some(a) = &allowing {
        assert!(a.is_public() || !public, "an Allow made a public policy non-public");
    }

    for _ in 0..u.int_in_range(1..=4)? {
        let keys = keys(u)?;
        let req = RequestContext {
            action: u.choose(&["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetObjectAcl"])?,
            resource: u.choose(REQUEST_RESOURCES)?,
            principal: principal(u)?,
            keys: &keys,
            resource_account: Some(ACCOUNT),
        };
        let e = policy.evaluate(&req);
        if let Some(d) = &denying {
            let ed = d.evaluate(&req);
            assert_eq!(ed.allowed_by, e.allowed_by, "a Deny changed which statement allows");
            if e.denied_by.is_some() {
                assert_eq!(ed.denied_by, e.denied_by, "a Deny lifted a deny");
            }
        }
        if let Some(a) = &allowing {
            let ea: Evaluation = a.evaluate(&req);
            assert_eq!(ea.denied_by, e.denied_by, "an Allow changed the deny");
            let strength = |m: Option<(usize, PrincipalMatch)>| m.map_or(PrincipalMatch::None, |(_, m)| m);
            assert!(strength(ea.allowed_by) >= strength(e.allowed_by), "an Allow weakened an allow");
        }
        // Non-public: an anonymous request without any key S3's list narrows to gets nothing.
        if !public && req.principal.account.is_none() {
            let mut bare = keys.clone();
            bare.retain(|k, _| !NARROWING_KEYS.contains(&k.as_str()));
            let anonymous = RequestContext { keys: &bare, ..req };
            assert_eq!(
                policy.evaluate(&anonymous).allowed_by,
                None,
                "a policy called non-public allows an anonymous request: {}",
                policy.text
            );
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = wildcards(&mut u);
    let _ = operators(&mut u);
    let _ = policies(&mut u);
});
