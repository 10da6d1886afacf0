//! 统一社会信用代码 (unified social credit code, GB 32100-2015) and the legacy 15-digit
//! 工商注册号 (business registration number).
//!
//! This module owns:
//! - parsing and validating the 18-character code ([`Uscc::parse`]);
//! - computing its check character, position 18 ([`Uscc::check_char`], [`Uscc::with_check`]);
//! - the advisory GB 11714 check of the embedded organisation code, positions 9–17
//!   ([`Uscc::org_code_warning`]);
//! - the ISO 7064 MOD 11,10 check of the legacy registration number ([`legacy_reg_no_ok`]).
//!
//! Invariants of a [`Uscc`] value:
//! - exactly 18 ASCII characters, upper case, every one from the code charset
//!   `0123456789ABCDEFGHJKLMNPQRTUWXY` (the letters I, O, S, V, Z are never used);
//! - position 1 (registration authority) is one of `1`–`9`, `A`, `N`, `Y`;
//! - positions 3–8 (administrative division) are digits;
//! - position 18 is the correct GB 32100 check character.
//!
//! The GB 11714 check of positions 9–17 is **not** an invariant: some issued codes fail it,
//! so it is only reported as a warning.

use std::fmt;
use std::str::FromStr;

use crate::error::Invalid;

/// The 31 characters of the code, in value order (0..=30).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1–17 (3^(i-1) mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// GB 11714 weights of the 8 body characters of the organisation code.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Registration-authority codes allowed in position 1.
const AUTHORITIES: &[u8] = b"123456789ANY";

/// A validated 统一社会信用代码. See the module docs for the invariants.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

impl Uscc {
    /// Parses and validates a code.
    ///
    /// Surrounding whitespace is trimmed, full-width digits and letters (as typed by Chinese
    /// input methods, e.g. `９１３３…`) are turned into ASCII, and ASCII letters are upper-cased.
    /// Checks, in order, each with its own error code: empty (`uscc_empty`), length 18
    /// (`uscc_length`), charset (`uscc_bad_char`, naming position and character), registration
    /// authority (`uscc_bad_registration_authority`), administrative division digits
    /// (`uscc_bad_region`), check character (`uscc_check_mismatch`, naming expected and found).
    pub fn parse(s: &str) -> Result<Uscc, Invalid> {
        let norm = normalize(s);
        let chars: Vec<char> = norm.chars().collect();
        if chars.is_empty() {
            return Err(Invalid::new(
                "uscc_empty",
                "统一社会信用代码为空",
                "credit code is empty",
            ));
        }
        if chars.len() != 18 {
            return Err(Invalid::new(
                "uscc_length",
                format!("统一社会信用代码应为18位，实为{}位", chars.len()),
                format!("credit code must have 18 characters, found {}", chars.len()),
            ));
        }
        let values = values_of(&chars)?;
        check_structure(&chars)?;
        let expected = check_char_of(&values[..17]);
        let found = chars[17];
        if expected != found {
            return Err(Invalid::new(
                "uscc_check_mismatch",
                format!("统一社会信用代码校验位错误：第18位应为{expected}，实为{found}"),
                format!(
                    "credit code check character wrong: position 18 should be {expected}, found {found}"
                ),
            ));
        }
        Ok(Uscc(norm))
    }

    /// Computes the check character (position 18) for the first 17 characters.
    ///
    /// The input is normalised like [`Uscc::parse`] does. Returns `None` unless it is exactly
    /// 17 characters from the code charset. Only the arithmetic is done here: the registration
    /// authority and region are not checked (use [`Uscc::with_check`] for a full validation).
    pub fn check_char(first17: &str) -> Option<char> {
        let chars: Vec<char> = normalize(first17).chars().collect();
        if chars.len() != 17 {
            return None;
        }
        let values = values_of(&chars).ok()?;
        Some(check_char_of(&values))
    }

    /// Builds a full code from its first 17 characters by appending the computed check character,
    /// then validates the result like [`Uscc::parse`]. Used by the demo data generator.
    ///
    /// Errors: `uscc_empty`, `uscc_length` (not 17 characters), `uscc_bad_char`,
    /// `uscc_bad_registration_authority`, `uscc_bad_region`.
    pub fn with_check(first17: &str) -> Result<Uscc, Invalid> {
        let norm = normalize(first17);
        let chars: Vec<char> = norm.chars().collect();
        if chars.is_empty() {
            return Err(Invalid::new(
                "uscc_empty",
                "统一社会信用代码为空",
                "credit code is empty",
            ));
        }
        if chars.len() != 17 {
            return Err(Invalid::new(
                "uscc_length",
                format!(
                    "统一社会信用代码前17位（不含校验位）应为17位，实为{}位",
                    chars.len()
                ),
                format!(
                    "the first 17 characters of a credit code (without check character) must be 17, found {}",
                    chars.len()
                ),
            ));
        }
        let values = values_of(&chars)?;
        check_structure(&chars)?;
        let mut full = norm;
        full.push(check_char_of(&values));
        Uscc::parse(&full)
    }

    /// The code as stored: 18 upper-case ASCII characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Positions 3–8: the administrative division code (行政区划码) of the registering authority,
    /// e.g. `"330108"` (杭州市滨江区).
    pub fn region(&self) -> &str {
        self.0.get(2..8).unwrap_or("")
    }

    /// Positions 9–17: the embedded organisation code (组织机构代码, 8 body characters + its
    /// own check character), e.g. `"MA27Y5XH5"`.
    pub fn org_code(&self) -> &str {
        self.0.get(8..17).unwrap_or("")
    }

    /// Position 1: the registration-authority code (登记管理部门代码), e.g. `'9'` for 工商.
    pub fn registration_authority(&self) -> char {
        self.0.chars().next().unwrap_or('?')
    }

    /// Position 2: the entity-kind code (机构类别代码) within the registration authority.
    pub fn entity_kind_code(&self) -> char {
        self.0.chars().nth(1).unwrap_or('?')
    }

    /// Chinese name of the registration authority of position 1, e.g. `"工商"` for `'9'`.
    pub fn registration_authority_zh(&self) -> &'static str {
        match self.registration_authority() {
            '1' => "机构编制",
            '2' => "外交",
            '3' => "司法行政",
            '4' => "文化",
            '5' => "民政",
            '6' => "旅游",
            '7' => "宗教",
            '8' => "工会",
            '9' => "工商",
            'A' => "中央军委改革和编制办公室",
            'N' => "农业",
            _ => "其他",
        }
    }

    /// Chinese name of the kind of entity given by positions 1–2, per GB 32100-2015 table 1,
    /// e.g. `91` → `"企业"`, `92` → `"个体工商户"`, `51` → `"社会团体"`. Unknown → `"其他"`.
    pub fn entity_kind_zh(&self) -> &'static str {
        match (self.registration_authority(), self.entity_kind_code()) {
            ('1', '1') => "机关",
            ('1', '2') => "事业单位",
            ('1', '3') => "中央编办直接管理机构编制的群众团体",
            ('2', '1') => "外国常驻新闻机构",
            ('3', '1') => "律师执业机构",
            ('3', '2') => "公证处",
            ('3', '3') => "基层法律服务所",
            ('3', '4') => "司法鉴定机构",
            ('3', '5') => "仲裁委员会",
            ('4', '1') => "外国在华文化中心",
            ('5', '1') => "社会团体",
            ('5', '2') => "民办非企业单位",
            ('5', '3') => "基金会",
            ('6', '1') => "外国旅游部门常驻代表机构",
            ('6', '2') => "港澳台地区旅游部门常驻内地（大陆）代表机构",
            ('7', '1') => "宗教活动场所",
            ('7', '2') => "宗教院校",
            ('8', '1') => "基层工会",
            ('9', '1') => "企业",
            ('9', '2') => "个体工商户",
            ('9', '3') => "农民专业合作社",
            ('A', '1') => "军队事业单位",
            ('N', '1') => "组级集体经济组织",
            ('N', '2') => "村级集体经济组织",
            ('N', '3') => "乡镇级集体经济组织",
            _ => "其他",
        }
    }

    /// GB 11714 check of the embedded organisation code: position 17 should be the check
    /// character of positions 9–16 (values 0–9, A=10 … Z=35; weights 3,7,9,10,5,8,4,2;
    /// c = 11 − (Σ mod 11), 10 → `X`, 11 → `0`).
    ///
    /// Returns `Some(warning)` (code `uscc_org_code_mismatch`) when it does not match. This is
    /// advisory only: the credit code itself stays valid.
    pub fn org_code_warning(&self) -> Option<Invalid> {
        let bytes = self.0.as_bytes();
        let found = char::from(*bytes.get(16)?);
        let expected = org_check_char(self.0.get(8..16)?)?;
        if expected == found {
            return None;
        }
        Some(Invalid::new(
            "uscc_org_code_mismatch",
            format!(
                "提示：统一社会信用代码中的组织机构代码（第9–17位）校验不符：按GB 11714第17位应为{expected}，实为{found}；代码本身仍然有效，请核对营业执照"
            ),
            format!(
                "note: the organisation code inside the credit code (positions 9-17) fails its GB 11714 check: position 17 should be {expected}, found {found}; the credit code itself is still valid, please compare with the business licence"
            ),
        ))
    }
}

/// GB 11714 check character of an 8-character organisation-code body (values 0–9, A=10 … Z=35;
/// weights 3,7,9,10,5,8,4,2; c = 11 − (Σ mod 11), 10 → `X`, 11 → `0`). `None` for other input.
pub fn org_check_char(body: &str) -> Option<char> {
    if body.len() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (b, w) in body.bytes().zip(ORG_WEIGHTS) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        n => char::from_digit(n, 10),
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Uscc {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

impl TryFrom<String> for Uscc {
    type Error = Invalid;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Uscc::parse(&s)
    }
}

impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.0
    }
}

/// Checks a legacy 15-digit 工商注册号 (registration number used before the credit code):
/// 15 ASCII digits whose last digit is the ISO 7064 MOD 11,10 check of the first 14
/// (p = 10; for each digit d: s = (p + d) mod 10, s = 10 if s = 0; p = 2s mod 11;
/// check = (11 − p) mod 10). Surrounding whitespace is ignored; the region part is not checked.
pub fn legacy_reg_no_ok(s: &str) -> bool {
    let s = s.trim();
    let bytes = s.as_bytes();
    if bytes.len() != 15 || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut p: u32 = 10;
    for b in &bytes[..14] {
        let mut sum = (p + u32::from(b - b'0')) % 10;
        if sum == 0 {
            sum = 10;
        }
        p = (2 * sum) % 11;
    }
    let check = (11 - p) % 10;
    u32::from(bytes[14] - b'0') == check
}

/// Trims, turns full-width ASCII letters and digits into ASCII, and upper-cases ASCII letters.
fn normalize(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        })
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Value (0..=30) of each character, or `uscc_bad_char` naming the first bad position.
fn values_of(chars: &[char]) -> Result<Vec<u32>, Invalid> {
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| char_value(c).ok_or_else(|| bad_char(i + 1, c)))
        .collect()
}

fn char_value(c: char) -> Option<u32> {
    if !c.is_ascii() {
        return None;
    }
    let b = c as u8;
    CHARSET.iter().position(|&x| x == b).map(|i| i as u32)
}

/// Check character for the values of positions 1–17.
fn check_char_of(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let idx = ((31 - sum % 31) % 31) as usize;
    char::from(CHARSET[idx])
}

/// Registration authority (position 1) and administrative division (positions 3–8).
fn check_structure(chars: &[char]) -> Result<(), Invalid> {
    let first = chars.first().copied().unwrap_or(' ');
    if !(first.is_ascii() && AUTHORITIES.contains(&(first as u8))) {
        return Err(Invalid::new(
            "uscc_bad_registration_authority",
            format!("统一社会信用代码第1位（登记管理部门代码）不能为{first}，应为1–9、A、N或Y"),
            format!(
                "credit code position 1 (registration authority) cannot be {first}; it must be 1-9, A, N or Y"
            ),
        ));
    }
    for (i, &c) in chars.iter().enumerate().take(8).skip(2) {
        if !c.is_ascii_digit() {
            let pos = i + 1;
            return Err(Invalid::new(
                "uscc_bad_region",
                format!("统一社会信用代码第3–8位应为行政区划代码（6位数字），第{pos}位却是{c}"),
                format!(
                    "credit code positions 3-8 must be the administrative division code (6 digits), but position {pos} is {c}"
                ),
            ));
        }
    }
    Ok(())
}

fn bad_char(pos: usize, c: char) -> Invalid {
    let (shown_zh, shown_en) = if c.is_whitespace() {
        ("空格".to_string(), "a space".to_string())
    } else {
        (format!("“{c}”"), format!("'{c}'"))
    };
    let hint = match c {
        'I' => Some('1'),
        'O' => Some('0'),
        'Z' => Some('2'),
        'S' => Some('5'),
        _ => None,
    };
    let (hint_zh, hint_en) = match hint {
        Some(d) => (
            format!("（代码不使用字母I、O、S、V、Z，此处可能应为数字{d}）"),
            format!(" (the letters I, O, S, V, Z are never used; did you mean the digit {d}?)"),
        ),
        None if c == 'V' => (
            "（代码不使用字母I、O、S、V、Z）".to_string(),
            " (the letters I, O, S, V, Z are never used)".to_string(),
        ),
        None => (String::new(), String::new()),
    };
    Invalid::new(
        "uscc_bad_char",
        format!("统一社会信用代码第{pos}位字符{shown_zh}不合法{hint_zh}"),
        format!("credit code position {pos}: character {shown_en} is not allowed{hint_en}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StringDeserializer};

    const REAL_CODES: [&str; 8] = [
        "91330108MA27Y5XH5G",
        "91110108551385082Q",
        "91370000728611939A",
        "531000005000160090",
        "52410000663412719U",
        "913301086706280599",
        "9133010832821677XM",
        "913301087458306077",
    ];

    #[test]
    fn the_worked_example_passes_and_exposes_its_parts() {
        let u = Uscc::parse("91330108MA27Y5XH5G").unwrap();
        assert_eq!(u.as_str(), "91330108MA27Y5XH5G");
        assert_eq!(u.region(), "330108");
        assert_eq!(u.org_code(), "MA27Y5XH5");
        assert_eq!(u.registration_authority(), '9');
        assert_eq!(u.registration_authority_zh(), "工商");
        assert_eq!(u.entity_kind_zh(), "企业");
        assert_eq!(u.to_string(), "91330108MA27Y5XH5G");
    }

    #[test]
    fn real_codes_of_several_kinds_pass() {
        for code in REAL_CODES {
            assert!(Uscc::parse(code).is_ok(), "{code} should be valid");
        }
    }

    #[test]
    fn entity_kind_is_derived_from_the_first_two_positions() {
        assert_eq!(
            Uscc::parse("531000005000160090").unwrap().entity_kind_zh(),
            "基金会"
        );
        assert_eq!(
            Uscc::with_check("51100000500016009")
                .unwrap()
                .entity_kind_zh(),
            "社会团体"
        );
        assert_eq!(
            Uscc::parse("52410000663412719U").unwrap().entity_kind_zh(),
            "民办非企业单位"
        );
        let individual = Uscc::with_check("92330108MA27Y5XH5").unwrap();
        assert_eq!(individual.entity_kind_zh(), "个体工商户");
        let unknown = Uscc::with_check("Y9330108MA27Y5XH5").unwrap();
        assert_eq!(unknown.entity_kind_zh(), "其他");
    }

    #[test]
    fn a_wrong_check_character_is_rejected_naming_the_expected_one() {
        let e = Uscc::parse("91110108551385082F").unwrap_err();
        assert_eq!(e.code, "uscc_check_mismatch");
        assert!(e.zh.contains("第18位应为Q，实为F"), "{}", e.zh);
        assert!(e.en.contains("should be Q, found F"), "{}", e.en);
    }

    #[test]
    fn the_message_matches_the_house_style() {
        let e = Uscc::parse("91330108MA27Y5XH5F").unwrap_err();
        assert_eq!(e.zh, "统一社会信用代码校验位错误：第18位应为G，实为F");
        assert_eq!(
            e.en,
            "credit code check character wrong: position 18 should be G, found F"
        );
    }

    #[test]
    fn lowercase_and_surrounding_space_are_accepted_and_normalised() {
        let u = Uscc::parse("  91330108ma27y5xh5g\n").unwrap();
        assert_eq!(u.as_str(), "91330108MA27Y5XH5G");
    }

    #[test]
    fn full_width_characters_are_accepted() {
        let u = Uscc::parse("９１３３０１０８ＭＡ２７Ｙ５ＸＨ５Ｇ").unwrap();
        assert_eq!(u.as_str(), "91330108MA27Y5XH5G");
    }

    #[test]
    fn an_empty_input_is_reported_as_empty() {
        assert_eq!(Uscc::parse("   ").unwrap_err().code, "uscc_empty");
    }

    #[test]
    fn seventeen_characters_is_a_length_error() {
        let e = Uscc::parse("91330108MA27Y5XH5").unwrap_err();
        assert_eq!(e.code, "uscc_length");
        assert!(e.zh.contains("实为17位"), "{}", e.zh);
    }

    #[test]
    fn a_letter_o_is_a_bad_char_naming_its_position() {
        let e = Uscc::parse("91330108MA27YOXH5G").unwrap_err();
        assert_eq!(e.code, "uscc_bad_char");
        assert!(e.zh.contains("第14位字符“O”不合法"), "{}", e.zh);
        assert!(e.zh.contains("数字0"), "{}", e.zh);
        assert!(e.en.contains("position 14"), "{}", e.en);
    }

    #[test]
    fn a_chinese_character_is_a_bad_char() {
        let e = Uscc::parse("91330108MA27Y5XH5码").unwrap_err();
        assert_eq!(e.code, "uscc_bad_char");
        assert!(e.zh.contains("第18位字符“码”"), "{}", e.zh);
    }

    #[test]
    fn an_inner_space_is_named_as_a_space() {
        let e = Uscc::parse("9133 0108MA27Y5XH5").unwrap_err();
        assert_eq!(e.code, "uscc_bad_char");
        assert!(e.zh.contains("第5位字符空格"), "{}", e.zh);
    }

    #[test]
    fn an_unknown_registration_authority_is_rejected() {
        let e = Uscc::parse("01330108MA27Y5XH5G").unwrap_err();
        assert_eq!(e.code, "uscc_bad_registration_authority");
        let e = Uscc::parse("B1330108MA27Y5XH5G").unwrap_err();
        assert_eq!(e.code, "uscc_bad_registration_authority");
    }

    #[test]
    fn a_letter_in_the_region_is_rejected_naming_its_position() {
        let e = Uscc::parse("9133A108MA27Y5XH5G").unwrap_err();
        assert_eq!(e.code, "uscc_bad_region");
        assert!(e.zh.contains("第5位"), "{}", e.zh);
    }

    #[test]
    fn with_check_round_trips_every_real_code() {
        for code in REAL_CODES {
            let rebuilt = Uscc::with_check(&code[..17]).unwrap();
            assert_eq!(rebuilt.as_str(), code);
            assert_eq!(Uscc::check_char(&code[..17]), code.chars().last(), "{code}");
        }
    }

    #[test]
    fn with_check_rejects_wrong_lengths_and_bad_structure() {
        assert_eq!(
            Uscc::with_check("91330108MA27Y5XH5G").unwrap_err().code,
            "uscc_length"
        );
        assert_eq!(
            Uscc::with_check("01330108MA27Y5XH5").unwrap_err().code,
            "uscc_bad_registration_authority"
        );
        assert_eq!(Uscc::check_char("9133010"), None);
        assert_eq!(Uscc::check_char("91330108MA27Y5XHO"), None);
    }

    #[test]
    fn the_org_code_warning_is_none_for_real_codes() {
        for code in REAL_CODES {
            let u = Uscc::parse(code).unwrap();
            assert!(u.org_code_warning().is_none(), "{code}");
        }
    }

    #[test]
    fn the_org_code_warning_fires_when_position_17_is_altered() {
        // 91110108551385082Q: organisation code 55138508-2; alter its check digit to 3.
        let u = Uscc::with_check("91110108551385083").unwrap();
        let w = u.org_code_warning().unwrap();
        assert_eq!(w.code, "uscc_org_code_mismatch");
        assert!(w.zh.contains("应为2，实为3"), "{}", w.zh);
    }

    #[test]
    fn serde_accepts_valid_codes_and_refuses_invalid_ones() {
        let ok: StringDeserializer<DeError> = "91330108ma27y5xh5g".to_string().into_deserializer();
        assert_eq!(
            Uscc::deserialize(ok).unwrap().as_str(),
            "91330108MA27Y5XH5G"
        );
        let bad: StringDeserializer<DeError> = "91330108MA27Y5XH5F".to_string().into_deserializer();
        assert!(Uscc::deserialize(bad).is_err());
        let s: String = Uscc::parse("91330108MA27Y5XH5G").unwrap().into();
        assert_eq!(s, "91330108MA27Y5XH5G");
    }

    #[test]
    fn from_str_and_try_from_agree_with_parse() {
        let a: Uscc = "91330108MA27Y5XH5G".parse().unwrap();
        let b = Uscc::try_from("91330108MA27Y5XH5G".to_string()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn legacy_registration_numbers_pass_their_check() {
        assert!(legacy_reg_no_ok("330108000063652"));
        assert!(legacy_reg_no_ok("330108000146751"));
        assert!(legacy_reg_no_ok(" 330108000146751 "));
    }

    #[test]
    fn legacy_registration_numbers_with_a_wrong_digit_or_length_fail() {
        assert!(!legacy_reg_no_ok("330108000063653"));
        assert!(!legacy_reg_no_ok("33010800006365"));
        assert!(!legacy_reg_no_ok("33010800006365X"));
        assert!(!legacy_reg_no_ok(""));
    }
}
