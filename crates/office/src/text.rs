//! Small text rules shared by readers and writers: trimming, formula
//! detection, formula-injection neutralising and display width.

use std::borrow::Cow;

/// Trims whitespace around a cell: Unicode white space (which includes the
/// full-width space U+3000 and NBSP) plus the invisible characters that
/// copy-paste leaves behind (zero-width space, BOM).
pub fn trim_cell(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}'))
}

/// Whether a cell's text would be taken as a formula by a spreadsheet
/// program, i.e. is a formula or a formula-injection (DDE) payload.
///
/// Rules, applied to the trimmed text:
/// - `=` followed by something other than another `=` (`=SUM(A1)`, `=1+1`,
///   `=HYPERLINK(...)`, `=-5`);
/// - `+`, `-` or `@` followed by text that calls something: it contains a
///   `|` (DDE, `+cmd|' /C calc'!A0`) or an ASCII letter directly followed by
///   `(` (`@SUM(1+1)`, `-2+HYPERLINK("x")`).
///
/// Plain numbers (`-5`, `+1.5`), phone numbers (`+86 138 0000 0000`), and
/// text such as `-无-` or `@张三` are not formulas.
pub fn looks_like_formula(text: &str) -> bool {
    let text = trim_cell(text);
    let mut chars = text.chars();
    match chars.next() {
        Some('=') => {
            let rest = trim_cell(chars.as_str());
            !rest.is_empty() && !rest.starts_with('=')
        }
        Some('+' | '-' | '@') => calls_something(chars.as_str()),
        _ => false,
    }
}

fn calls_something(rest: &str) -> bool {
    if rest.contains('|') {
        return true;
    }
    let bytes = rest.as_bytes();
    bytes
        .windows(2)
        .any(|pair| pair[0].is_ascii_alphabetic() && pair[1] == b'(')
}

/// Whether `text` is a plain decimal number such as `-5`, `+1.5`, `-1,234.50`
/// or `1e-3` (no spaces, no letters other than an exponent).
pub fn is_plain_number(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    if body.is_empty()
        || !body.bytes().any(|b| b.is_ascii_digit())
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || b".,eE+-".contains(&b))
    {
        return false;
    }
    body.replace(',', "").parse::<f64>().is_ok()
}

/// Defuses formula injection for CSV output: a cell that starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return and is not a plain number
/// gets a leading single quote, so a spreadsheet shows it as text instead of
/// running it. Everything else is returned unchanged.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    let risky = matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if risky && !is_plain_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Columns a character takes in a spreadsheet cell: 2 for East Asian wide and
/// full-width characters (汉字, 全角标点, kana, hangul), 1 otherwise.
pub fn char_width(c: char) -> usize {
    let wide = matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

/// Display width of the widest line of `text`, counting at most up to `cap`.
pub fn display_width(text: &str, cap: usize) -> usize {
    let mut widest = 0;
    for line in text.lines() {
        let mut width = 0;
        for c in line.chars() {
            width += char_width(c);
            if width >= cap {
                return cap;
            }
        }
        widest = widest.max(width);
    }
    widest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_removes_full_width_spaces_and_zero_width_marks() {
        assert_eq!(trim_cell("\u{3000} 企业 \u{3000}\u{200b}"), "企业");
        assert_eq!(trim_cell("\u{feff}名称"), "名称");
    }

    #[test]
    fn equals_sign_followed_by_content_is_a_formula() {
        assert!(looks_like_formula("=SUM(A1)"));
        assert!(looks_like_formula("=1+1"));
        assert!(looks_like_formula(" =HYPERLINK(\"http://x\",\"点我\")"));
        assert!(looks_like_formula("=-5"));
    }

    #[test]
    fn lone_or_repeated_equals_signs_are_not_formulas() {
        assert!(!looks_like_formula("="));
        assert!(!looks_like_formula("======"));
    }

    #[test]
    fn dde_payloads_starting_with_plus_minus_or_at_are_formulas() {
        assert!(looks_like_formula("+cmd|' /C calc'!A0"));
        assert!(looks_like_formula("-2+3+cmd|' /C calc'!A0"));
        assert!(looks_like_formula("@SUM(1+1)*cmd|' /C calc'!A0"));
    }

    #[test]
    fn numbers_phone_numbers_and_dashes_are_not_formulas() {
        for text in [
            "-5",
            "+1.5",
            "+86 138 0000 0000",
            "-无-",
            "@张三",
            "--",
            "-",
            "138****5678",
        ] {
            assert!(!looks_like_formula(text), "{text}");
        }
    }

    #[test]
    fn plain_numbers_are_recognised_and_text_is_not() {
        for text in ["-5", "+1.5", "-1,234.50", "1e-3", "0"] {
            assert!(is_plain_number(text), "{text}");
        }
        for text in ["-", "+86 138", "-inf", "-NaN", "=1", "-5a", ""] {
            assert!(!is_plain_number(text), "{text}");
        }
    }

    #[test]
    fn neutralising_prefixes_risky_cells_with_a_quote_only() {
        assert_eq!(neutralise("=cmd"), "'=cmd");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("+86 138 0000 0000"), "'+86 138 0000 0000");
        assert_eq!(neutralise("-5"), "-5");
        assert_eq!(neutralise("138****5678"), "138****5678");
        assert_eq!(neutralise("企业"), "企业");
    }

    #[test]
    fn chinese_characters_count_double_in_display_width() {
        assert_eq!(display_width("企业名称", 100), 8);
        assert_eq!(display_width("abc", 100), 3);
        assert_eq!(display_width("短\n很长的一行", 100), 10);
        assert_eq!(display_width("企业名称", 5), 5);
    }
}
