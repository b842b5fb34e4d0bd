//! The wildcard matching of the policy language: `*` matches any run of characters and `?` any
//! one, in actions, resources, principals and the `…Like` condition operators.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards>

/// Whether `value` matches `pattern`, where `*` matches any run of characters and `?` any one.
pub fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let eq = |a: char, b: char| if ignore_case { a.to_lowercase().eq(b.to_lowercase()) } else { a == b };
    // Iterative matching with backtracking to the last `*`: linear memory, no recursion.
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && eq(p[pi], v[vi]))) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether `text` holds a wildcard (`*`, `?`) or a policy variable (`${…}`): a value that may
/// stand for more than one fixed string.
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?']) || text.contains("${")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("s3:Get*", "s3:getobject", true));
        assert!(!wildcard_match("s3:Get*", "s3:getobject", false));
        assert!(wildcard_match("a?c*", "abcdef", false));
        assert!(wildcard_match("*", "", false));
        assert!(!wildcard_match("a*b", "acbx", false));
        assert!(wildcard_match("*a*a*a*", "xaaxa", false));
    }

    #[test]
    fn patterns() {
        assert!(is_pattern("vpc-*"));
        assert!(is_pattern("o-?bc"));
        assert!(is_pattern("${aws:username}"));
        assert!(!is_pattern("vpc-91237329"));
        assert!(!is_pattern("$ {x}"));
    }
}
