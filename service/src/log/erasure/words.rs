//! Finding what identified a person: whole words in text, strings in JSON, and the
//! SQL that narrows the rows to look at.

use std::collections::BTreeSet;

use sea_orm::sea_query::{Expr, ExprTrait as _, SimpleExpr};
use sea_orm::Condition;
use serde_json::Value;

/// Every string of `value` that is one of `ids` (case-insensitively) becomes the
/// pseudonym; in the others, `texts` quoted as whole words do.
pub(super) fn scrub_strings(
    value: &mut Value,
    texts: &[String],
    ids: &BTreeSet<String>,
    pseudonym: &str,
) {
    match value {
        Value::String(text) => {
            let lower = text.to_lowercase();
            if ids.iter().any(|id| id.to_lowercase() == lower) {
                *text = pseudonym.to_owned();
            } else {
                *text = texts.iter().fold(text.clone(), |t, quoted| {
                    replace_words(&t, quoted, pseudonym)
                });
            }
        }
        Value::Array(items) => {
            for item in items {
                scrub_strings(item, texts, ids, pseudonym);
            }
        }
        Value::Object(fields) => {
            for field in fields.values_mut() {
                scrub_strings(field, texts, ids, pseudonym);
            }
        }
        _ => {}
    }
}

/// `LOWER(column) LIKE LOWER('%text%')`: true wherever `text` occurs with its letters
/// in any case the database folds, and on a few more rows (the text's `%`, `_` and
/// backslashes are left to match any character, so that no escape character is needed
/// on either database); callers test the rows they get exactly.
pub(super) fn lower_like(column: impl sea_orm::sea_query::IntoColumnRef, text: &str) -> SimpleExpr {
    use sea_orm::sea_query::{BinOper, Func};
    let pattern: String = text
        .chars()
        .map(|c| {
            if matches!(c, '%' | '_' | '\\') {
                '_'
            } else {
                c
            }
        })
        .collect();
    Expr::expr(Func::lower(Expr::col(column))).binary(
        BinOper::Like,
        Func::lower(Expr::val(format!("%{pattern}%"))),
    )
}

/// `LOWER(column)` equals `LOWER(v)` for one of the values.
pub(super) fn lower_equals_any(
    column: impl sea_orm::sea_query::IntoColumnRef + Clone,
    values: &BTreeSet<String>,
) -> Condition {
    use sea_orm::sea_query::Func;
    values.iter().fold(Condition::any(), |any, value| {
        any.add(
            Expr::expr(Func::lower(Expr::col(column.clone())))
                .eq(Func::lower(Expr::val(value.as_str()))),
        )
    })
}

/// A text as it appears inside JSON (escaped, without the quotes).
pub(super) fn json_text(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(text)
        .to_owned()
}

/// Whether the byte at `at` of `text` continues a word: ASCII letters and digits,
/// every byte of a character beyond ASCII, `-` and `_`; around an email also `+`, `%`,
/// `@`, and a `.` followed by a word character (a `.` that ends a sentence does not).
fn continues_word(text: &[u8], at: usize, email: bool) -> bool {
    let byte = text[at];
    if byte.is_ascii_alphanumeric() || byte >= 0x80 || matches!(byte, b'-' | b'_') {
        return true;
    }
    email
        && (matches!(byte, b'+' | b'%' | b'@')
            || (byte == b'.'
                && text
                    .get(at + 1)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b >= 0x80)))
}

/// `text` with every whole-word occurrence of `word` (ASCII letters compared
/// case-insensitively) replaced by `by`.
pub(super) fn replace_words(text: &str, word: &str, by: &str) -> String {
    let (haystack, needle) = (text.as_bytes(), word.as_bytes());
    if needle.is_empty() || haystack.len() < needle.len() {
        return text.to_owned();
    }
    let email = word.contains('@');
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut at) = (0, 0);
    while at + needle.len() <= haystack.len() {
        let end = at + needle.len();
        let matches = haystack[at..end].eq_ignore_ascii_case(needle)
            && (at == 0 || !continues_word(haystack, at - 1, email))
            && (end == haystack.len() || !continues_word(haystack, end, email));
        if matches {
            // A match starts and ends on character boundaries: the needle is UTF-8
            // and its bytes beyond ASCII matched exactly.
            out.push_str(&text[copied..at]);
            out.push_str(by);
            copied = end;
            at = end;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::erasure::pseudonymize_record;

    #[test]
    fn whole_words_are_replaced_and_nothing_else() {
        let by = "p-1";
        assert_eq!(
            replace_words("Passed on by ann lee; ANN LEE agreed.", "Ann Lee", by),
            "Passed on by p-1; p-1 agreed."
        );
        assert_eq!(
            replace_words("Joann Leeds called", "Ann Lee", by),
            "Joann Leeds called"
        );
        assert_eq!(
            replace_words("mail ann@x.org, not joann@x.org", "ann@x.org", by),
            "mail p-1, not joann@x.org"
        );
        assert_eq!(replace_words("Zoë Ann", "Ann", by), "Zoë p-1");
        assert_eq!(replace_words("Ännchen", "nnchen", by), "Ännchen");
        assert_eq!(replace_words("", "Ann", by), "");
        // Other people's emails and hyphenated names are other words.
        assert_eq!(
            replace_words("mary.ann@x.org, ann@x.org.uk, ann+1@x.org", "ann@x.org", by),
            "mary.ann@x.org, ann@x.org.uk, ann+1@x.org"
        );
        assert_eq!(
            replace_words("Write to ann@x.org.", "ann@x.org", by),
            "Write to p-1."
        );
        assert_eq!(
            replace_words("Ann Lee-Smith", "Ann Lee", by),
            "Ann Lee-Smith"
        );
    }

    #[test]
    fn json_strings_are_scrubbed_whole_and_stay_json() {
        let ids: BTreeSet<String> = ["Ann@X.org".to_owned()].into();
        let texts = vec!["Ann Lee".to_owned(), "Ann@X.org".to_owned()];
        let mut value: Value = serde_json::from_str(
            r#"{"created_by":"ann@x.org","note":"line\nAnn Lee said \"hi\"","n":["x Ann Lee"]}"#,
        )
        .unwrap();
        scrub_strings(&mut value, &texts, &ids, "p-1");
        assert_eq!(value["created_by"], "p-1");
        assert_eq!(value["note"], "line\np-1 said \"hi\"");
        assert_eq!(value["n"][0], "x p-1");
    }

    #[test]
    fn a_record_keeps_everything_but_what_identifies_the_person() {
        let json = r#"{"id":7,"name":"Ann Lee","email":"ann@x.org","title":"Lead","function_id":3,"external_id":null}"#;
        let out: Value =
            serde_json::from_str(&pseudonymize_record(json, "Erased", "e@erased.invalid")).unwrap();
        assert_eq!(out["id"], 7);
        assert_eq!(out["function_id"], 3);
        assert_eq!(out["name"], "Erased");
        assert_eq!(out["email"], "e@erased.invalid");
        assert_eq!(out["title"], Value::Null);
        assert_eq!(out["external_id"], Value::Null);
    }
}
