//! Policy conditions: the operators of the IAM policy language, evaluated against the request's
//! condition keys as AWS documents them.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>

use std::collections::HashMap;

use chrono::{DateTime, Utc};

/// The request's condition keys: lowercase names to their values (several for multi-valued keys).
pub type ConditionKeys = HashMap<String, Vec<String>>;

/// How the request value is compared with the policy's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    /// `Null`: whether the key is absent.
    Null,
}

/// `ForAnyValue:` / `ForAllValues:`, for multi-valued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// A parsed condition operator such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub comparison: Comparison,
    /// `StringNotEquals`, `NotIpAddress`, …: true when no policy value matches.
    pub negated: bool,
    pub if_exists: bool,
    pub qualifier: Option<SetQualifier>,
}

impl Operator {
    /// Parses an operator name (case-sensitive, as AWS).
    pub fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = match name.split_once(':') {
            Some(("ForAnyValue", r)) => (Some(SetQualifier::ForAnyValue), r),
            Some(("ForAllValues", r)) => (Some(SetQualifier::ForAllValues), r),
            Some(_) => return None,
            None => (None, name),
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) if b != "Null" => (b, true),
            _ => (rest, false),
        };
        use Comparison::*;
        let (comparison, negated) = match base {
            "StringEquals" => (StringEquals, false),
            "StringNotEquals" => (StringEquals, true),
            "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
            "StringLike" => (StringLike, false),
            "StringNotLike" => (StringLike, true),
            "NumericEquals" => (NumericEquals, false),
            "NumericNotEquals" => (NumericEquals, true),
            "NumericLessThan" => (NumericLessThan, false),
            "NumericLessThanEquals" => (NumericLessThanEquals, false),
            "NumericGreaterThan" => (NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (NumericGreaterThanEquals, false),
            "DateEquals" => (DateEquals, false),
            "DateNotEquals" => (DateEquals, true),
            "DateLessThan" => (DateLessThan, false),
            "DateLessThanEquals" => (DateLessThanEquals, false),
            "DateGreaterThan" => (DateGreaterThan, false),
            "DateGreaterThanEquals" => (DateGreaterThanEquals, false),
            "Bool" => (Bool, false),
            "BinaryEquals" => (BinaryEquals, false),
            "IpAddress" => (IpAddress, false),
            "NotIpAddress" => (IpAddress, true),
            "ArnEquals" | "ArnLike" => (ArnLike, false),
            "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
            "Null" => (Null, false),
            _ => return None,
        };
        Some(Operator { comparison, negated, if_exists, qualifier })
    }

    /// Whether a policy value is acceptable for this operator; `Err` names what is wrong.
    pub fn check_value(&self, value: &str) -> Result<(), ValueError> {
        use Comparison::*;
        let ok = match self.comparison {
            NumericEquals | NumericLessThan | NumericLessThanEquals | NumericGreaterThan | NumericGreaterThanEquals => {
                value.trim().parse::<f64>().is_ok()
            }
            DateEquals | DateLessThan | DateLessThanEquals | DateGreaterThan | DateGreaterThanEquals => {
                parse_date(value).is_some()
            }
            Bool | Null => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
            IpAddress => return parse_net(value).map(|_| ()).ok_or(ValueError::IpAddress),
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(ValueError::Other)
        }
    }
}

/// Why a policy value does not fit its operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueError {
    IpAddress,
    Other,
}

/// A date as policies and `aws:CurrentTime` write it: ISO 8601, or seconds since the epoch.
fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    s.parse::<i64>().ok().and_then(|secs| DateTime::from_timestamp(secs, 0))
}

/// An address or CIDR block (`203.0.113.0/24`, `2001:db8::/32`, or a single address).
fn parse_net(s: &str) -> Option<ipnet::IpNet> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>().ok().or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

/// Whether one request value matches one policy value, in the operator's positive sense.
fn compare(c: Comparison, request: &str, policy: &str) -> bool {
    use Comparison::*;
    let num = |s: &str| s.trim().parse::<f64>().ok();
    let nums = || num(request).zip(num(policy));
    let dates = || parse_date(request).zip(parse_date(policy));
    match c {
        StringEquals | BinaryEquals => request == policy,
        StringEqualsIgnoreCase => request.to_lowercase() == policy.to_lowercase(),
        StringLike | ArnLike => super::wildcard::wildcard_match(policy, request, false),
        NumericEquals => nums().is_some_and(|(r, p)| r == p),
        NumericLessThan => nums().is_some_and(|(r, p)| r < p),
        NumericLessThanEquals => nums().is_some_and(|(r, p)| r <= p),
        NumericGreaterThan => nums().is_some_and(|(r, p)| r > p),
        NumericGreaterThanEquals => nums().is_some_and(|(r, p)| r >= p),
        DateEquals => dates().is_some_and(|(r, p)| r == p),
        DateLessThan => dates().is_some_and(|(r, p)| r < p),
        DateLessThanEquals => dates().is_some_and(|(r, p)| r <= p),
        DateGreaterThan => dates().is_some_and(|(r, p)| r > p),
        DateGreaterThanEquals => dates().is_some_and(|(r, p)| r >= p),
        Bool => request.eq_ignore_ascii_case(policy),
        IpAddress => match (request.trim().parse::<std::net::IpAddr>(), parse_net(policy)) {
            (Ok(ip), Some(net)) => net.contains(&ip),
            _ => false,
        },
        Null => false,
    }
}

impl Operator {
    /// Evaluates the operator for a key with `request` values (`None`: absent from the request)
    /// against the policy's `values` (already with policy variables substituted).
    pub fn evaluate(&self, request: Option<&[String]>, values: &[String]) -> bool {
        if self.comparison == Comparison::Null {
            let absent = request.is_none_or(|r| r.is_empty());
            return values.iter().any(|v| v.eq_ignore_ascii_case("true") == absent);
        }
        // One request value against the policy's values, negation included.
        let one = |r: &str| {
            let any = values.iter().any(|p| compare(self.comparison, r, p));
            any != self.negated
        };
        let present = request.filter(|r| !r.is_empty());
        match (self.qualifier, present) {
            (_, None) if self.if_exists => true,
            (Some(SetQualifier::ForAllValues), None) => true,
            (Some(SetQualifier::ForAnyValue), None) => false,
            // A negated operator is true for a key the request does not carry.
            (None, None) => self.negated,
            (Some(SetQualifier::ForAllValues), Some(r)) => r.iter().all(|v| one(v)),
            (Some(SetQualifier::ForAnyValue), Some(r)) => r.iter().any(|v| one(v)),
            (None, Some(r)) => {
                if self.negated {
                    r.iter().all(|v| one(v))
                } else {
                    r.iter().any(|v| one(v))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str) -> Operator {
        Operator::parse(name).unwrap()
    }

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_operator_names() {
        let o = op("ForAnyValue:StringNotLikeIfExists");
        assert_eq!(
            o,
            Operator {
                comparison: Comparison::StringLike,
                negated: true,
                if_exists: true,
                qualifier: Some(SetQualifier::ForAnyValue)
            }
        );
        assert!(Operator::parse("StringEqualz").is_none());
        assert!(Operator::parse("Sometimes:StringEquals").is_none());
        assert_eq!(op("Null").comparison, Comparison::Null);
    }

    #[test]
    fn single_valued_keys() {
        assert!(
            op("StringEquals").evaluate(Some(&v(&["REST-QUERY-STRING"])), &v(&["REST-HEADER", "REST-QUERY-STRING"]))
        );
        assert!(!op("StringEquals").evaluate(None, &v(&["x"])));
        assert!(op("StringNotEquals").evaluate(None, &v(&["x"])));
        assert!(op("StringEqualsIfExists").evaluate(None, &v(&["x"])));
        assert!(op("StringLike").evaluate(Some(&v(&["home/alice/a.txt"])), &v(&["home/alice/*"])));
        assert!(op("NumericGreaterThan").evaluate(Some(&v(&["600001"])), &v(&["600000"])));
        assert!(!op("NumericGreaterThan").evaluate(Some(&v(&["600000"])), &v(&["600000"])));
        assert!(op("DateLessThan").evaluate(Some(&v(&["2026-01-01T00:00:00Z"])), &v(&["2026-06-01T00:00:00Z"])));
        assert!(op("DateGreaterThan").evaluate(Some(&v(&["1767225600"])), &v(&["2025-01-01"])));
        assert!(op("Bool").evaluate(Some(&v(&["false"])), &v(&["False"])));
        assert!(op("IpAddress").evaluate(Some(&v(&["192.0.2.7"])), &v(&["192.0.2.0/24"])));
        assert!(op("NotIpAddress").evaluate(Some(&v(&["127.0.0.1"])), &v(&["192.0.2.0/24"])));
        assert!(op("IpAddress").evaluate(Some(&v(&["::1"])), &v(&["::1/128"])));
        assert!(op("Null").evaluate(None, &v(&["true"])));
        assert!(!op("Null").evaluate(Some(&v(&["x"])), &v(&["true"])));
    }

    #[test]
    fn multi_valued_keys() {
        let allowed = v(&["a", "b"]);
        assert!(op("ForAllValues:StringEquals").evaluate(Some(&v(&["a", "b"])), &allowed));
        assert!(!op("ForAllValues:StringEquals").evaluate(Some(&v(&["a", "c"])), &allowed));
        assert!(op("ForAllValues:StringEquals").evaluate(None, &allowed));
        assert!(op("ForAnyValue:StringEquals").evaluate(Some(&v(&["c", "b"])), &allowed));
        assert!(!op("ForAnyValue:StringEquals").evaluate(None, &allowed));
    }

    #[test]
    fn value_checks() {
        assert_eq!(op("IpAddress").check_value("10.0.0.0/33"), Err(ValueError::IpAddress));
        assert_eq!(op("NumericLessThan").check_value("ten"), Err(ValueError::Other));
        assert!(op("DateLessThan").check_value("2026-01-01T00:00:00Z").is_ok());
        assert!(op("StringEquals").check_value("anything").is_ok());
    }
}
