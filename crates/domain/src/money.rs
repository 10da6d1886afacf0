//! Money in fen (分, 0.01 元) and its Chinese input and display forms, plus phone-number masking
//! for display.
//!
//! This module owns:
//! - [`Money`], an exact integer amount of fen (never floating point);
//! - parsing of the amounts people type (`"1,234.56"`, `"12.3元"`, `"120万元"`, `"1.5亿"`);
//! - display in 元 / 万元 / 亿元 with thousands separators;
//! - [`mask_phone`] for showing phone numbers to people who must not see them in full;
//! - the input bound of every stored amount ([`Money::MAX_AMOUNT_FEN`], [`check_bound`],
//!   [`parse_bounded`]).
//!
//! Invariants: a [`Money`] is any `i64` of fen; arithmetic is checked (no silent overflow);
//! parsing is exact (an amount finer than one fen is refused, never rounded). Amounts that are
//! stored are bounded at input to ±10^12 元, so sums of up to 92,233 of them fit an `i64` and a
//! sum of any number of them fits the widened sums the store computes.

use std::fmt;

use crate::error::Invalid;

/// Fen in one 元.
const FEN_PER_YUAN: i64 = 100;
/// Fen in one 万元.
const FEN_PER_WAN: i64 = 1_000_000;

/// An amount of money in fen (1 元 = 100 fen). Serialised as the bare integer of fen.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    /// Zero fen.
    pub const ZERO: Money = Money(0);

    /// The largest magnitude any stored amount may have: 10^12 元 (一万亿元) in fen. Applies to
    /// every money input (pools, budgets, quotas, invoices, caps, loans, enterprise figures):
    /// far above any real zone budget, far below `i64::MAX` (≈ 9.2 × 10^16 元).
    pub const MAX_AMOUNT_FEN: i64 = 100_000_000_000_000;

    /// The largest amount as [`Money`] (same bound as [`Money::MAX_AMOUNT_FEN`]).
    pub const MAX_AMOUNT: Money = Money(Self::MAX_AMOUNT_FEN);

    /// The largest pool or budget (a voucher round's pool, a subsidy budget): 10^12 元.
    pub const MAX_POOL: Money = Money(Self::MAX_AMOUNT_FEN);

    /// True when the magnitude is within [`Money::MAX_AMOUNT_FEN`].
    pub const fn within_bound(self) -> bool {
        self.0 >= -Self::MAX_AMOUNT_FEN && self.0 <= Self::MAX_AMOUNT_FEN
    }

    /// An amount of fen.
    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    /// A whole number of 元; `None` on overflow.
    pub fn from_yuan(yuan: i64) -> Option<Money> {
        yuan.checked_mul(FEN_PER_YUAN).map(Money)
    }

    /// A whole number of 万元; `None` on overflow.
    pub fn from_wan(wan: i64) -> Option<Money> {
        wan.checked_mul(FEN_PER_WAN).map(Money)
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// True below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Sum, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Difference, or `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// Parses an amount of 元 as people type it.
    ///
    /// Accepted: an optional sign (`-`/`+`), an optional `¥`/`￥`, digits with optional
    /// thousands separators (`1,234`; groups of three), an optional decimal part, then optional
    /// units `元`, `万`/`万元` (×10,000 元) or `亿`/`亿元` (×100,000,000 元). Surrounding
    /// whitespace, whitespace before the unit and full-width digits/punctuation are accepted.
    /// Examples: `"1234"`, `"1,234.56"`, `"-12.3"`, `"12.3元"`, `"120万元"`, `"1.5亿"`.
    ///
    /// Errors: `money_format` (empty, unexpected characters, misplaced separators),
    /// `money_precision` (finer than one fen after applying the unit, e.g. `"1.234"` or
    /// `"1.2345678万"`; trailing zeros like `"1.230"` are fine), `money_overflow` (beyond `i64` fen).
    pub fn from_yuan_str(s: &str) -> Result<Money, Invalid> {
        let original = s.trim();
        let norm = normalize(original);
        let mut rest = norm.trim();
        if rest.is_empty() {
            return Err(format_error(original, "金额为空", "the amount is empty"));
        }

        let mut negative = false;
        let mut signed = false;
        let mut take_sign = |rest: &mut &str| {
            if !signed {
                if let Some(r) = rest.strip_prefix('-') {
                    negative = true;
                    signed = true;
                    *rest = r.trim_start();
                } else if let Some(r) = rest.strip_prefix('+') {
                    signed = true;
                    *rest = r.trim_start();
                }
            }
        };
        take_sign(&mut rest);
        if let Some(r) = rest.strip_prefix('¥') {
            rest = r.trim_start();
        }
        take_sign(&mut rest);

        if let Some(r) = rest.strip_suffix('元') {
            rest = r.trim_end();
        }
        let mut unit_exp: u32 = 0;
        if let Some(r) = rest.strip_suffix('万') {
            unit_exp = 4;
            rest = r.trim_end();
        } else if let Some(r) = rest.strip_suffix('亿') {
            unit_exp = 8;
            rest = r.trim_end();
        }
        if rest.is_empty() {
            return Err(format_error(original, "缺少数字", "no digits"));
        }

        let (int_part, frac_part) = match rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (rest, None),
        };
        if let Some(c) = rest
            .chars()
            .find(|c| !(c.is_ascii_digit() || *c == ',' || *c == '.'))
        {
            let (zh, en) = if c.is_whitespace() {
                ("空格".to_string(), "a space".to_string())
            } else {
                (format!("“{c}”"), format!("'{c}'"))
            };
            return Err(format_error(
                original,
                &format!("含有无法识别的字符{zh}"),
                &format!("unexpected character {en}"),
            ));
        }
        if int_part.is_empty() {
            return Err(format_error(
                original,
                "小数点前缺少数字",
                "digits are missing before the decimal point",
            ));
        }
        if let Some(f) = frac_part {
            if f.contains('.') {
                return Err(format_error(
                    original,
                    "含有多个小数点",
                    "more than one decimal point",
                ));
            }
            if f.contains(',') {
                return Err(format_error(
                    original,
                    "小数部分不能有千位分隔符",
                    "thousands separators are not allowed after the decimal point",
                ));
            }
            if f.is_empty() {
                return Err(format_error(
                    original,
                    "小数点后缺少数字",
                    "digits are missing after the decimal point",
                ));
            }
        }
        if int_part.contains(',') {
            let groups: Vec<&str> = int_part.split(',').collect();
            let first_ok = (1..=3).contains(&groups[0].len());
            let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
            if !(first_ok && rest_ok) {
                return Err(format_error(
                    original,
                    "千位分隔符位置不正确（应每三位一个逗号，如1,234,567.89）",
                    "thousands separators are misplaced (one comma every three digits, e.g. 1,234,567.89)",
                ));
            }
        }

        let int_digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
        let int_digits = int_digits.trim_start_matches('0');
        let frac_digits = frac_part.unwrap_or("").trim_end_matches('0');

        // fen = (int + frac / 10^k) × 100 × 10^unit_exp, exactly.
        let scale_exp = 2 + unit_exp;
        let k = frac_digits.len() as u32;
        if k > scale_exp {
            return Err(Invalid::new(
                "money_precision",
                format!("金额“{original}”精确到了分以下，最多精确到0.01元"),
                format!("amount '{original}' is more precise than one fen (0.01 yuan)"),
            ));
        }
        let overflow = || {
            Invalid::new(
                "money_overflow",
                format!("金额“{original}”超出可处理范围"),
                format!("amount '{original}' is too large"),
            )
        };
        if int_digits.len() > 20 {
            return Err(overflow());
        }
        let int_value: i128 = if int_digits.is_empty() {
            0
        } else {
            int_digits.parse().map_err(|_| overflow())?
        };
        let frac_value: i128 = if frac_digits.is_empty() {
            0
        } else {
            frac_digits.parse().map_err(|_| overflow())?
        };
        let scale = 10i128.pow(scale_exp);
        let magnitude = int_value * scale + frac_value * 10i128.pow(scale_exp - k);
        let fen = if negative { -magnitude } else { magnitude };
        i64::try_from(fen).map(Money).map_err(|_| overflow())
    }

    /// Plain 元 with two decimals and no separators, e.g. `"-1234.56"`; round-trips through
    /// [`Money::from_yuan_str`]. For form fields and CSV.
    pub fn yuan_string(self) -> String {
        let v = i128::from(self.0);
        let sign = if v < 0 { "-" } else { "" };
        let a = v.abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }

    /// 元 with thousands separators, e.g. `"1,234.56 元"`, `"-0.05 元"`.
    pub fn format_yuan(self) -> String {
        format!("{} 元", group_hundredths(i128::from(self.0)))
    }

    /// 万元 with two decimals, rounded half away from zero, e.g. `"123.46 万元"`.
    pub fn format_wan(self) -> String {
        format!(
            "{} 万元",
            group_hundredths(round_div(i128::from(self.0), 10_000))
        )
    }

    /// 亿元 with two decimals, rounded half away from zero, e.g. `"1.50 亿元"`.
    pub fn format_yi(self) -> String {
        format!(
            "{} 亿元",
            group_hundredths(round_div(i128::from(self.0), 100_000_000))
        )
    }

    /// The natural unit for the magnitude: below 1 万元 in 元, below 1 亿元 in 万元, else 亿元.
    /// The switch to 亿元 happens on the rounded value, so 9,999.999… 万元 shows as
    /// `"1.00 亿元"` rather than `"10,000.00 万元"`.
    pub fn format_auto(self) -> String {
        let fen = i128::from(self.0);
        if fen.abs() < i128::from(FEN_PER_WAN) {
            return self.format_yuan();
        }
        let wan_hundredths = round_div(fen, 10_000);
        if wan_hundredths.abs() < 1_000_000 {
            return format!("{} 万元", group_hundredths(wan_hundredths));
        }
        self.format_yi()
    }
}

impl fmt::Display for Money {
    /// Same as [`Money::format_yuan`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_yuan())
    }
}

/// Refuses an amount of fen whose magnitude is above [`Money::MAX_AMOUNT_FEN`], naming the
/// field (`amount_too_large`); returns the amount otherwise. `field` is the input's name as
/// the caller shows it (a JSON key such as `pool_yuan`, or a form label).
pub fn check_bound(field: &str, fen: i64) -> Result<i64, Invalid> {
    if Money(fen).within_bound() {
        Ok(fen)
    } else {
        Err(too_large(field))
    }
}

/// Parses an amount of 元 ([`Money::from_yuan_str`]) and applies [`check_bound`]; an amount too
/// large even for `i64` is the same `amount_too_large` refusal naming the field.
pub fn parse_bounded(field: &str, s: &str) -> Result<Money, Invalid> {
    match Money::from_yuan_str(s) {
        Ok(m) => check_bound(field, m.0).map(Money),
        Err(e) if e.code == "money_overflow" => Err(too_large(field)),
        Err(e) => Err(e),
    }
}

fn too_large(field: &str) -> Invalid {
    Invalid::new(
        "amount_too_large",
        format!("{field} 金额超出上限：最多 1,000,000,000,000.00 元（一万亿元）"),
        format!("{field}: the amount is above the limit of 1,000,000,000,000.00 yuan"),
    )
}

/// `n / d` rounded half away from zero (`d > 0`).
fn round_div(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

/// Formats a signed count of hundredths as `1,234.56`; never prints `-0.00`.
fn group_hundredths(h: i128) -> String {
    let a = h.abs();
    let int = (a / 100).to_string();
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if h < 0 { "-" } else { "" };
    format!("{sign}{grouped}.{:02}", a % 100)
}

fn format_error(original: &str, zh: &str, en: &str) -> Invalid {
    Invalid::new(
        "money_format",
        format!("金额“{original}”格式错误：{zh}"),
        format!("amount '{original}' is malformed: {en}"),
    )
}

/// Turns full-width digits and `．。，－＋` into ASCII, `￥` into `¥` and `圆` into `元`.
fn normalize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '．' | '。' => '.',
            '，' => ',',
            '－' | '−' => '-',
            '＋' => '+',
            '￥' => '¥',
            '圆' => '元',
            _ => c,
        })
        .collect()
}

/// Masks a phone number for display.
///
/// - Mobile (11 digits starting with 1, optionally with `+86`/`86`/`0086` and spaces or dashes):
///   digits 4–7 of the mobile number become `*`, e.g. `"13812345678"` → `"138****5678"`,
///   `"+86 138 1234 5678"` → `"+86 138 **** 5678"`.
/// - Landline with area code (`0571-88881234`, `(0571)88881234`, `057188881234`, optionally with
///   an extension after `-`, `转` or `#`): the local number keeps only its last 4 digits,
///   e.g. `"0571-88881234"` → `"0571-****1234"`; the area code and extension stay visible.
/// - Anything else shorter than 7 characters: all but the last 2 characters become `*`.
/// - Anything else: all but the last 4 characters become `*`, keeping separators
///   (space, `-`, `(`, `)`, `+`) so the shape stays recognisable.
pub fn mask_phone(s: &str) -> String {
    let t = s.trim();
    let chars: Vec<char> = t.chars().collect();
    if let Some(mask) = mobile_mask(&chars).or_else(|| landline_mask(&chars)) {
        let mut digit_idx = 0;
        return chars
            .iter()
            .map(|&c| {
                if c.is_ascii_digit() {
                    let hide = mask.contains(&digit_idx);
                    digit_idx += 1;
                    if hide { '*' } else { c }
                } else {
                    c
                }
            })
            .collect();
    }
    let n = chars.len();
    if n < 7 {
        return chars
            .iter()
            .enumerate()
            .map(|(i, &c)| if i + 2 < n { '*' } else { c })
            .collect();
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if i + 4 >= n || matches!(c, ' ' | '-' | '(' | ')' | '+') {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Digit indices to hide if `chars` is a mobile number.
fn mobile_mask(chars: &[char]) -> Option<std::ops::Range<usize>> {
    let mut rest = chars;
    let plus = rest.first() == Some(&'+');
    if plus {
        rest = &rest[1..];
    }
    if !rest
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-'))
    {
        return None;
    }
    let digits: String = rest.iter().filter(|c| c.is_ascii_digit()).collect();
    let prefix = if digits.len() == 11 && !plus {
        0
    } else if digits.len() == 13 && digits.starts_with("86") {
        2
    } else if digits.len() == 15 && digits.starts_with("0086") && !plus {
        4
    } else {
        return None;
    };
    if digits.as_bytes().get(prefix) != Some(&b'1') {
        return None;
    }
    Some(prefix + 3..prefix + 7)
}

/// Digit indices to hide if `chars` is a landline number with area code.
fn landline_mask(chars: &[char]) -> Option<std::ops::Range<usize>> {
    if !chars
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '转' | '#'))
    {
        return None;
    }
    // Maximal runs of digits.
    let mut runs: Vec<usize> = Vec::new();
    let mut in_run = false;
    for c in chars {
        if c.is_ascii_digit() {
            if in_run {
                if let Some(last) = runs.last_mut() {
                    *last += 1;
                }
            } else {
                runs.push(1);
                in_run = true;
            }
        } else {
            in_run = false;
        }
    }
    let digits: String = chars.iter().filter(|c| c.is_ascii_digit()).collect();
    if !digits.starts_with('0') {
        return None;
    }
    let (area, local) = match runs.as_slice() {
        // Area code and local number in one run: 010 and 02x have 3 digits, others 4.
        [n, ..] if (10..=12).contains(n) => {
            let area = if matches!(digits.as_bytes().get(1), Some(b'1' | b'2')) {
                3
            } else {
                4
            };
            (area, n - area)
        }
        [a, l, ..] if (3..=4).contains(a) => (*a, *l),
        _ => return None,
    };
    if !(7..=8).contains(&local) {
        return None;
    }
    Some(area..area + local - 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fen(s: &str) -> i64 {
        Money::from_yuan_str(s).unwrap().fen()
    }

    fn err(s: &str) -> &'static str {
        Money::from_yuan_str(s).unwrap_err().code
    }

    #[test]
    fn plain_amounts_in_yuan_parse_to_fen() {
        assert_eq!(fen("1234"), 123_400);
        assert_eq!(fen("1234.5"), 123_450);
        assert_eq!(fen("1234.56"), 123_456);
        assert_eq!(fen("0.01"), 1);
        assert_eq!(fen("0"), 0);
        assert_eq!(fen("-0"), 0);
    }

    #[test]
    fn thousands_separators_signs_and_currency_marks_are_accepted() {
        assert_eq!(fen("1,234.56"), 123_456);
        assert_eq!(fen("1,234,567"), 123_456_700);
        assert_eq!(fen("-12.3"), -1_230);
        assert_eq!(fen("+5"), 500);
        assert_eq!(fen("¥1,234.50"), 123_450);
        assert_eq!(fen("-￥8"), -800);
        assert_eq!(fen("１２３．４５"), 12_345);
        assert_eq!(fen("  12.30  "), 1_230);
    }

    #[test]
    fn units_yuan_wan_and_yi_are_applied() {
        assert_eq!(fen("12.3元"), 1_230);
        assert_eq!(fen("120万"), 120_000_000);
        assert_eq!(fen("120万元"), 120_000_000);
        assert_eq!(fen("120 万元"), 120_000_000);
        assert_eq!(fen("1.5亿"), 15_000_000_000);
        assert_eq!(fen("1.5亿元"), 15_000_000_000);
        assert_eq!(fen("1.234567万"), 1_234_567);
        assert_eq!(fen("-3.5万"), -3_500_000);
    }

    #[test]
    fn more_precision_than_a_fen_is_refused_but_trailing_zeros_are_fine() {
        assert_eq!(err("1234.567"), "money_precision");
        assert_eq!(err("1.2345678万"), "money_precision");
        assert_eq!(err("0.00000000001亿"), "money_precision");
        assert_eq!(fen("0.0000000001亿"), 1);
        assert_eq!(fen("1234.5600"), 123_456);
        assert!(
            Money::from_yuan_str("0.001")
                .unwrap_err()
                .zh
                .contains("0.01元")
        );
    }

    #[test]
    fn garbage_is_a_format_error_naming_the_character() {
        assert_eq!(err(""), "money_format");
        assert_eq!(err("abc"), "money_format");
        assert_eq!(err("12a"), "money_format");
        assert_eq!(err("1.2.3"), "money_format");
        assert_eq!(err("1,23.4"), "money_format");
        assert_eq!(err("12,34"), "money_format");
        assert_eq!(err(".5"), "money_format");
        assert_eq!(err("5."), "money_format");
        assert_eq!(err("万"), "money_format");
        assert_eq!(err("--5"), "money_format");
        assert_eq!(err("1 000"), "money_format");
        let e = Money::from_yuan_str("12x.5").unwrap_err();
        assert!(e.zh.contains("“x”"), "{}", e.zh);
    }

    #[test]
    fn amounts_beyond_i64_fen_overflow() {
        assert_eq!(err("100000000000000000"), "money_overflow");
        assert_eq!(err("1000000000亿"), "money_overflow");
        assert_eq!(err("123456789012345678901234567890"), "money_overflow");
        assert_eq!(fen("92233720368547758.07"), i64::MAX);
        assert_eq!(fen("-92233720368547758.08"), i64::MIN);
    }

    #[test]
    fn the_bound_is_one_trillion_yuan_either_way_and_names_the_field() {
        assert_eq!(Money::MAX_AMOUNT.yuan_string(), "1000000000000.00");
        assert_eq!(
            check_bound("pool_yuan", Money::MAX_AMOUNT_FEN),
            Ok(Money::MAX_AMOUNT_FEN)
        );
        assert_eq!(
            check_bound("x", -Money::MAX_AMOUNT_FEN),
            Ok(-Money::MAX_AMOUNT_FEN)
        );
        let e = check_bound("pool_yuan", Money::MAX_AMOUNT_FEN + 1).unwrap_err();
        assert_eq!(e.code, "amount_too_large");
        assert!(
            e.zh.contains("pool_yuan") && e.en.contains("pool_yuan"),
            "{e}"
        );
        assert_eq!(
            check_bound("x", i64::MIN).unwrap_err().code,
            "amount_too_large"
        );
        assert_eq!(
            parse_bounded("x", "1万亿").unwrap_err().code,
            "money_format"
        );
        assert_eq!(parse_bounded("x", "10000亿").unwrap(), Money::MAX_AMOUNT);
        assert_eq!(
            parse_bounded("x", "50000000000000000").unwrap_err().code,
            "amount_too_large"
        );
        assert_eq!(
            parse_bounded("x", "92233720368547758.07").unwrap_err().code,
            "amount_too_large"
        );
        assert_eq!(
            parse_bounded("x", "1e99999").unwrap_err().code,
            "money_format"
        );
        assert_eq!(
            parse_bounded("budget", "123456789012345678901234567890")
                .unwrap_err()
                .code,
            "amount_too_large"
        );
        // 92,233 amounts at the bound still sum within i64.
        assert!(Money::MAX_AMOUNT_FEN.checked_mul(92_233).is_some());
    }

    #[test]
    fn format_yuan_groups_thousands() {
        assert_eq!(Money(123_456).format_yuan(), "1,234.56 元");
        assert_eq!(Money(5).format_yuan(), "0.05 元");
        assert_eq!(Money(-123_456_789).format_yuan(), "-1,234,567.89 元");
        assert_eq!(Money(100_000).format_yuan(), "1,000.00 元");
        assert_eq!(
            Money(i64::MIN).format_yuan(),
            "-92,233,720,368,547,758.08 元"
        );
        assert_eq!(Money(123_456).to_string(), "1,234.56 元");
    }

    #[test]
    fn yuan_string_round_trips() {
        for v in [0, 1, -1, 123_456, -99, i64::MAX, i64::MIN] {
            let s = Money(v).yuan_string();
            assert_eq!(Money::from_yuan_str(&s).unwrap(), Money(v), "{s}");
        }
        assert_eq!(Money(-5).yuan_string(), "-0.05");
    }

    #[test]
    fn format_wan_rounds_half_away_from_zero() {
        assert_eq!(Money(123_455_000).format_wan(), "123.46 万元");
        assert_eq!(Money(123_454_999).format_wan(), "123.45 万元");
        assert_eq!(Money(-123_455_000).format_wan(), "-123.46 万元");
        assert_eq!(Money(12_345_678_000_000).format_wan(), "12,345,678.00 万元");
        assert_eq!(Money(-4_999).format_wan(), "0.00 万元");
    }

    #[test]
    fn format_auto_picks_yuan_wan_or_yi() {
        assert_eq!(Money(999_999).format_auto(), "9,999.99 元");
        assert_eq!(Money(1_000_000).format_auto(), "1.00 万元");
        assert_eq!(Money(-1_000_000).format_auto(), "-1.00 万元");
        assert_eq!(Money(9_999_990_000).format_auto(), "9,999.99 万元");
        assert_eq!(Money(9_999_995_000).format_auto(), "1.00 亿元");
        assert_eq!(Money(10_000_000_000).format_auto(), "1.00 亿元");
        assert_eq!(Money(1_234_500_000_000).format_auto(), "123.45 亿元");
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Money(5).checked_add(Money(7)), Some(Money(12)));
        assert_eq!(Money(5).checked_sub(Money(7)), Some(Money(-2)));
        assert_eq!(Money(i64::MAX).checked_add(Money(1)), None);
        assert_eq!(Money(i64::MIN).checked_sub(Money(1)), None);
        assert_eq!(Money::from_yuan(12), Some(Money(1_200)));
        assert_eq!(Money::from_wan(3), Some(Money(3_000_000)));
        assert_eq!(Money::from_yuan(i64::MAX), None);
    }

    #[test]
    fn mobile_numbers_keep_the_first_three_and_last_four_digits() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone(" 13812345678 "), "138****5678");
        assert_eq!(mask_phone("138-1234-5678"), "138-****-5678");
        assert_eq!(mask_phone("+86 138 1234 5678"), "+86 138 **** 5678");
        assert_eq!(mask_phone("+8613812345678"), "+86138****5678");
    }

    #[test]
    fn landlines_keep_area_code_and_last_four_digits() {
        assert_eq!(mask_phone("0571-88881234"), "0571-****1234");
        assert_eq!(mask_phone("010-12345678"), "010-****5678");
        assert_eq!(mask_phone("(0571)88881234"), "(0571)****1234");
        assert_eq!(mask_phone("057188881234"), "0571****1234");
        assert_eq!(mask_phone("01012345678"), "010****5678");
        assert_eq!(mask_phone("0571-8888123"), "0571-***8123");
        assert_eq!(mask_phone("0571-88881234-801"), "0571-****1234-801");
        assert_eq!(mask_phone("0571-88881234转801"), "0571-****1234转801");
    }

    #[test]
    fn short_strings_keep_only_their_last_two_characters() {
        assert_eq!(mask_phone("123456"), "****56");
        assert_eq!(mask_phone("12"), "12");
        assert_eq!(mask_phone("1"), "1");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn other_strings_keep_their_last_four_characters_and_separators() {
        assert_eq!(mask_phone("1234567"), "***4567");
        assert_eq!(mask_phone("400-123-4567"), "***-***-4567");
        assert_eq!(mask_phone("电话12345678"), "******5678");
    }
}
