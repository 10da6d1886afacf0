//! Text that people read: names and short single-line fields.
//!
//! One place decides what a stored name may contain, so every feature refuses the same tricks:
//! control characters (NUL, CR/LF, tabs, which split CSV rows, log lines and headers), bidi
//! embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069, which make a name like `abc` + U+202E +
//! `gpj.exe` render as `abcexe.jpg`), and names that look empty because they hold only invisible
//! characters (zero-width spaces and joiners, word joiner, BOM, soft hyphen, direction marks).
//!
//! [`clean_name`] also removes those invisible characters from inside a name, so two names that
//! render alike compare alike (`示例\u{200B}公司` is stored as `示例公司`).

use crate::error::Invalid;

/// Bidi embeddings, overrides and isolates: refused anywhere.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing: removed from names.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

/// Refuse bidi embeddings, overrides and isolates anywhere in `s` (`text_bidi_control`).
fn check_bidi(s: &str) -> Result<(), Invalid> {
    match s.chars().find(|c| is_bidi_control(*c)) {
        Some(c) => Err(Invalid::new(
            "text_bidi_control",
            format!("不能包含改变文字方向的控制字符（U+{:04X}）", c as u32),
            format!(
                "must not contain bidirectional control characters (U+{:04X})",
                c as u32
            ),
        )),
        None => Ok(()),
    }
}

/// Refuse control characters and bidi controls in a single-line text (addresses, contacts,
/// notes). Returns the text trimmed; does not decide emptiness.
pub fn check_line(s: &str) -> Result<&str, Invalid> {
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(Invalid::new(
            "text_control_char",
            format!("不能包含控制字符（U+{:04X}，如换行、制表符）", c as u32),
            format!(
                "must not contain control characters (U+{:04X}, e.g. line breaks or tabs)",
                c as u32
            ),
        ));
    }
    check_bidi(s)?;
    Ok(s.trim())
}

/// Refuse NUL and other control characters and bidi controls in a multi-line text (order
/// descriptions, visit notes), allowing line breaks and tabs: `\n`, `\r\n` and `\t`; a lone
/// `\r` is refused, since it hides text in terminals and logs. Returns the text trimmed; does not
/// decide emptiness.
///
/// Errors: `text_control_char`, `text_bidi_control`.
pub fn check_multiline(s: &str) -> Result<&str, Invalid> {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let allowed = match c {
            '\n' | '\t' => true,
            '\r' => chars.peek() == Some(&'\n'),
            c => !c.is_control(),
        };
        if !allowed {
            return Err(Invalid::new(
                "text_control_char",
                format!("不能包含控制字符（U+{:04X}）", c as u32),
                format!("must not contain control characters (U+{:04X})", c as u32),
            ));
        }
    }
    check_bidi(s)?;
    Ok(s.trim())
}

/// A name as it should be stored: single-line ([`check_line`]), invisible characters removed,
/// trimmed, and not blank. Length limits stay with the caller (they differ per field).
///
/// Errors: `text_control_char`, `text_bidi_control`, `text_blank` (nothing visible is left).
pub fn clean_name(s: &str) -> Result<String, Invalid> {
    let t = check_line(s)?;
    let cleaned: String = t.chars().filter(|c| !is_invisible(*c)).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        return Err(Invalid::new(
            "text_blank",
            "名称不能为空或只含不可见字符",
            "the name is empty or holds only invisible characters",
        ));
    }
    Ok(cleaned.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinary_chinese_name_passes_unchanged() {
        assert_eq!(
            clean_name("  杭州示例科技有限公司 ").unwrap(),
            "杭州示例科技有限公司"
        );
    }

    #[test]
    fn a_right_to_left_override_is_refused() {
        assert_eq!(
            clean_name("示例\u{202E}司公").unwrap_err().code,
            "text_bidi_control"
        );
        assert_eq!(
            clean_name("示例\u{2067}x\u{2069}").unwrap_err().code,
            "text_bidi_control"
        );
    }

    #[test]
    fn nul_cr_and_lf_are_refused() {
        for s in ["a\0b", "a\rb", "a\nb", "a\tb", "a\u{85}b"] {
            assert_eq!(
                clean_name(s).unwrap_err().code,
                "text_control_char",
                "{s:?}"
            );
        }
    }

    #[test]
    fn a_name_of_zero_width_characters_only_is_blank() {
        for s in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}\u{FEFF}",
            " \u{2060} ",
            "",
        ] {
            assert_eq!(clean_name(s).unwrap_err().code, "text_blank", "{s:?}");
        }
    }

    #[test]
    fn a_multi_line_text_keeps_its_line_breaks_and_refuses_nul_lone_cr_and_bidi_controls() {
        assert_eq!(
            check_multiline(" 第一行\n第二行\r\n\t第三行 ").unwrap(),
            "第一行\n第二行\r\n\t第三行"
        );
        for s in ["a\0b", "a\rb", "a\u{1B}[2Jb", "a\u{85}b", "a\r"] {
            assert_eq!(
                check_multiline(s).unwrap_err().code,
                "text_control_char",
                "{s:?}"
            );
        }
        assert_eq!(
            check_multiline("说明\u{202E}txt.exe").unwrap_err().code,
            "text_bidi_control"
        );
    }

    #[test]
    fn zero_width_characters_inside_a_name_are_removed() {
        assert_eq!(clean_name("示例\u{200B}公司").unwrap(), "示例公司");
    }
}
