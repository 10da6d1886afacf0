//! Enterprise records (一企一档): the validated draft that every write path (UI form, API, import)
//! turns its input into, and the import/export column schema with Chinese headers.
//!
//! Invariants of an [`EnterpriseDraft`]: the credit code passes the GB 32100 check, the name is
//! a clean single line ([`crate::text::clean_name`]), counts and money are non-negative and
//! within [`MAX_HEADCOUNT`] and [`MAX_MONEY_FEN`], tech staff never exceed headcount, tags and
//! chain nodes hold no duplicates. References to registry entries (street, park, building, chain
//! nodes) are still names/codes here; the app resolves them against the registry.
//!
//! Provenance: the fields in [`VERIFIED_FIELDS`] decide benefits (the policy rules read them), so
//! each carries a [`FieldSource`]; only a department officer or an administrator (directly, by
//! import, or by accepting a correction) sets them. Others' changes wait as corrections.

use crate::error::Invalid;
use crate::industry::IndustryCode;
use crate::money::Money;
use crate::text::{check_line, clean_name};
use crate::uscc::Uscc;
use chrono::NaiveDate;

/// Upper bound of an enterprise's money figures (revenue, R&D, tax): 10^12 元 (一万亿元) in fen,
/// the bound of every stored amount.
pub const MAX_MONEY_FEN: i64 = Money::MAX_AMOUNT_FEN;

/// Upper bound of headcount and tech staff: ten million people.
pub const MAX_HEADCOUNT: i64 = 10_000_000;

/// The fields that decide benefits (the rules read them): each has a [`FieldSource`], and an
/// enterprise user's or a service team's change to one is a pending correction until a
/// department officer or an administrator accepts it. Keys as in [`EnterpriseInput`].
pub const VERIFIED_FIELDS: &[&str] = &[
    "industry_code",
    "registered_on",
    "ownership",
    "street",
    "park",
    "chain_nodes",
    "headcount",
    "tech_staff",
    "revenue_yuan",
    "rd_spend_yuan",
    "tax_paid_yuan",
    "tags",
];

/// Whether `field` is one of [`VERIFIED_FIELDS`].
pub fn is_verified_field(field: &str) -> bool {
    VERIFIED_FIELDS.contains(&field)
}

/// Where the value in force of a [`VERIFIED_FIELDS`] field came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldSource {
    /// Reported by the enterprise (or a service team) and not yet verified: the value of a
    /// pending correction, never a value in force.
    SelfReported,
    /// Entered or accepted by a department officer or an administrator.
    Verified,
    /// Imported from an authority's file (imports are for administrators and department
    /// officers), also the demo data and records written before provenance was kept.
    Imported,
}

impl FieldSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldSource::SelfReported => "self_reported",
            FieldSource::Verified => "verified",
            FieldSource::Imported => "imported",
        }
    }

    pub fn parse(s: &str) -> Option<FieldSource> {
        match s {
            "self_reported" => Some(FieldSource::SelfReported),
            "verified" => Some(FieldSource::Verified),
            "imported" => Some(FieldSource::Imported),
            _ => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            FieldSource::SelfReported => "企业自报（待核实）",
            FieldSource::Verified => "部门核实",
            FieldSource::Imported => "权威数据导入",
        }
    }
}

/// Tags the UI offers first; other short tags are accepted too.
pub const KNOWN_TAGS: &[&str] = &[
    "高新技术企业",
    "专精特新",
    "专精特新小巨人",
    "科技型中小企业",
    "创新型中小企业",
    "链主企业",
    "上市企业",
    "瞪羚企业",
    "独角兽企业",
    "规上企业",
];

/// Ownership types (登记注册类型, simplified).
pub const OWNERSHIP_TYPES: &[&str] = &[
    "民营企业",
    "国有企业",
    "集体企业",
    "外商投资企业",
    "港澳台投资企业",
    "混合所有制企业",
    "其他",
];

/// A validated enterprise record, before registry references are resolved.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct EnterpriseDraft {
    pub uscc: Option<Uscc>,
    pub name: String,
    pub industry_code: Option<IndustryCode>,
    pub registered_on: Option<NaiveDate>,
    pub ownership: Option<String>,
    pub street: Option<String>,
    pub park: Option<String>,
    pub building: Option<String>,
    pub address: Option<String>,
    /// Chain node references: node code (`ic.design`) or `链名/环节名`.
    pub chain_nodes: Vec<String>,
    pub headcount: Option<i64>,
    pub tech_staff: Option<i64>,
    pub revenue: Option<Money>,
    pub rd_spend: Option<Money>,
    pub tax_paid: Option<Money>,
    pub tags: Vec<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

/// One refused field: which field and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// snake_case field key, e.g. `headcount`.
    pub field: &'static str,
    pub reason: Invalid,
}

/// Raw text input for an enterprise, as typed in a form or read from a spreadsheet row.
/// `None` means "not given" (keep the old value on edit); `Some("")` means "clear".
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct EnterpriseInput {
    pub uscc: Option<String>,
    pub name: Option<String>,
    pub industry_code: Option<String>,
    pub registered_on: Option<String>,
    pub ownership: Option<String>,
    pub street: Option<String>,
    pub park: Option<String>,
    pub building: Option<String>,
    pub address: Option<String>,
    pub chain_nodes: Option<Vec<String>>,
    pub headcount: Option<String>,
    pub tech_staff: Option<String>,
    pub revenue_yuan: Option<String>,
    pub rd_spend_yuan: Option<String>,
    pub tax_paid_yuan: Option<String>,
    pub tags: Option<Vec<String>>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn text(
    field: &'static str,
    v: &Option<String>,
    max: usize,
    errs: &mut Vec<FieldError>,
) -> Option<String> {
    let t = blank(v)?;
    if let Err(reason) = check_line(t) {
        errs.push(FieldError { field, reason });
        return None;
    }
    if t.chars().count() > max {
        errs.push(FieldError {
            field,
            reason: Invalid::new(
                "text_too_long",
                format!("不能超过{max}个字符"),
                format!("must be at most {max} characters"),
            ),
        });
        return None;
    }
    Some(t.to_string())
}

/// Parse a non-negative whole count ("120", "1,200", "120人").
pub fn parse_count(s: &str) -> Result<i64, Invalid> {
    let t: String = s
        .trim()
        .trim_end_matches('人')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let n: i64 = t.trim().parse().map_err(|_| {
        Invalid::new(
            "count_format",
            format!("“{s}”不是整数"),
            format!("'{s}' is not a whole number"),
        )
    })?;
    if n < 0 {
        return Err(Invalid::new(
            "count_negative",
            format!("人数不能为负数（{n}）"),
            format!("count must not be negative ({n})"),
        ));
    }
    if n > MAX_HEADCOUNT {
        return Err(Invalid::new(
            "count_too_large",
            format!("人数超出上限（{n}，最多{MAX_HEADCOUNT}）"),
            format!("count {n} is above the limit of {MAX_HEADCOUNT}"),
        ));
    }
    Ok(n)
}

/// Parse a date as `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD` or `YYYY年M月D日`; refuse the future
/// and dates before 1949.
pub fn parse_date(s: &str, today: NaiveDate) -> Result<NaiveDate, Invalid> {
    let t = s.trim();
    let norm: String = t
        .replace(['年', '月', '/', '.'], "-")
        .trim_end_matches('日')
        .to_string();
    let d = NaiveDate::parse_from_str(&norm, "%Y-%m-%d").map_err(|_| {
        Invalid::new(
            "date_format",
            format!("日期“{t}”格式应为 YYYY-MM-DD"),
            format!("date '{t}' must look like YYYY-MM-DD"),
        )
    })?;
    if d > today {
        return Err(Invalid::new(
            "date_future",
            format!("日期 {d} 晚于今天"),
            format!("date {d} is in the future"),
        ));
    }
    if d < NaiveDate::from_ymd_opt(1949, 1, 1).unwrap_or(NaiveDate::MIN) {
        return Err(Invalid::new(
            "date_too_early",
            format!("日期 {d} 早于1949年"),
            format!("date {d} is before 1949"),
        ));
    }
    Ok(d)
}

fn money(field: &'static str, v: &Option<String>, errs: &mut Vec<FieldError>) -> Option<Money> {
    let t = blank(v)?;
    let reason = match Money::from_yuan_str(t) {
        Ok(m) if m.fen() > MAX_MONEY_FEN => too_large(t),
        Err(e) if e.code == "money_overflow" => too_large(t),
        Ok(m) if m.fen() < 0 => Invalid::new(
            "money_negative",
            format!("金额不能为负数（{t}）"),
            format!("amount must not be negative ({t})"),
        ),
        Ok(m) => return Some(m),
        Err(e) => e,
    };
    errs.push(FieldError { field, reason });
    None
}

/// An amount above [`MAX_MONEY_FEN`] (or beyond what an `i64` of fen holds).
fn too_large(t: &str) -> Invalid {
    Invalid::new(
        "amount_too_large",
        format!("金额超出上限：最多 1,000,000,000,000.00 元（一万亿元）（{t}）"),
        format!("the amount is above the limit of 1,000,000,000,000.00 yuan ({t})"),
    )
}

fn list(v: &Option<Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in v.iter().flatten() {
        for part in item.split([';', '；', '、', ',', '，', '\n']) {
            let p = part.trim();
            if !p.is_empty() && !out.iter().any(|o| o == p) {
                out.push(p.to_string());
            }
        }
    }
    out
}

impl EnterpriseInput {
    /// Set one field by its key (as in [`COLUMNS`]) to the given input text; list fields take
    /// the text as one item (split on the usual separators when validated). False for an
    /// unknown key.
    pub fn set_field(&mut self, key: &str, value: String) -> bool {
        let v = Some(value);
        match key {
            "uscc" => self.uscc = v,
            "name" => self.name = v,
            "industry_code" => self.industry_code = v,
            "registered_on" => self.registered_on = v,
            "ownership" => self.ownership = v,
            "street" => self.street = v,
            "park" => self.park = v,
            "building" => self.building = v,
            "address" => self.address = v,
            "chain_nodes" => self.chain_nodes = v.map(|s| vec![s]),
            "headcount" => self.headcount = v,
            "tech_staff" => self.tech_staff = v,
            "revenue_yuan" => self.revenue_yuan = v,
            "rd_spend_yuan" => self.rd_spend_yuan = v,
            "tax_paid_yuan" => self.tax_paid_yuan = v,
            "tags" => self.tags = v.map(|s| vec![s]),
            "contact_name" => self.contact_name = v,
            "contact_phone" => self.contact_phone = v,
            _ => return false,
        }
        true
    }

    /// Validate every field, collecting all errors (not only the first).
    ///
    /// `require_identity` is true on create and import (credit code and name required).
    pub fn validate(
        &self,
        today: NaiveDate,
        require_identity: bool,
    ) -> Result<EnterpriseDraft, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut d = EnterpriseDraft::default();
        match blank(&self.uscc) {
            Some(u) => match Uscc::parse(u) {
                Ok(u) => d.uscc = Some(u),
                Err(e) => errs.push(FieldError {
                    field: "uscc",
                    reason: e,
                }),
            },
            None if require_identity => errs.push(FieldError {
                field: "uscc",
                reason: Invalid::new(
                    "required",
                    "统一社会信用代码必填",
                    "credit code is required",
                ),
            }),
            None => {}
        }
        match self.name.as_deref().map(clean_name) {
            Some(Ok(n)) if n.chars().count() > 100 => errs.push(FieldError {
                field: "name",
                reason: Invalid::new(
                    "text_too_long",
                    "企业名称不能超过100个字符",
                    "name must be at most 100 characters",
                ),
            }),
            Some(Ok(n)) => d.name = n,
            // Only whitespace is "required" like a missing name; invisible characters, control
            // characters and bidi controls say what is wrong.
            Some(Err(e)) if blank(&self.name).is_some() => errs.push(FieldError {
                field: "name",
                reason: e,
            }),
            Some(Err(_)) | None if require_identity || self.name.is_some() => {
                errs.push(FieldError {
                    field: "name",
                    reason: Invalid::new("required", "企业名称必填", "name is required"),
                })
            }
            _ => {}
        }
        if let Some(c) = blank(&self.industry_code) {
            match IndustryCode::parse(c) {
                Ok(c) => d.industry_code = Some(c),
                Err(e) => errs.push(FieldError {
                    field: "industry_code",
                    reason: e,
                }),
            }
        }
        if let Some(s) = blank(&self.registered_on) {
            match parse_date(s, today) {
                Ok(v) => d.registered_on = Some(v),
                Err(e) => errs.push(FieldError {
                    field: "registered_on",
                    reason: e,
                }),
            }
        }
        if let Some(o) = blank(&self.ownership) {
            if OWNERSHIP_TYPES.contains(&o) {
                d.ownership = Some(o.to_string());
            } else {
                errs.push(FieldError {
                    field: "ownership",
                    reason: Invalid::new(
                        "ownership_unknown",
                        format!("未知企业类型“{o}”，可选：{}", OWNERSHIP_TYPES.join("、")),
                        format!("unknown ownership type '{o}'"),
                    ),
                });
            }
        }
        d.street = text("street", &self.street, 50, &mut errs);
        d.park = text("park", &self.park, 50, &mut errs);
        d.building = text("building", &self.building, 50, &mut errs);
        d.address = text("address", &self.address, 200, &mut errs);
        d.chain_nodes = list(&self.chain_nodes);
        if let Some(reason) = d.chain_nodes.iter().find_map(|n| check_line(n).err()) {
            errs.push(FieldError {
                field: "chain_nodes",
                reason,
            });
        }
        for (field, v, slot) in [
            ("headcount", &self.headcount, &mut d.headcount),
            ("tech_staff", &self.tech_staff, &mut d.tech_staff),
        ] {
            if let Some(s) = blank(v) {
                match parse_count(s) {
                    Ok(n) => *slot = Some(n),
                    Err(e) => errs.push(FieldError { field, reason: e }),
                }
            }
        }
        if let (Some(h), Some(t)) = (d.headcount, d.tech_staff)
            && t > h
        {
            {
                errs.push(FieldError {
                    field: "tech_staff",
                    reason: Invalid::new(
                        "tech_staff_exceeds_headcount",
                        format!("科技人员数（{t}）不能超过从业人数（{h}）"),
                        format!("tech staff ({t}) cannot exceed headcount ({h})"),
                    ),
                });
            }
        }
        d.revenue = money("revenue_yuan", &self.revenue_yuan, &mut errs);
        d.rd_spend = money("rd_spend_yuan", &self.rd_spend_yuan, &mut errs);
        d.tax_paid = money("tax_paid_yuan", &self.tax_paid_yuan, &mut errs);
        d.tags = Vec::new();
        for t in list(&self.tags) {
            match clean_name(&t) {
                Ok(c) if !d.tags.contains(&c) => d.tags.push(c),
                Ok(_) => {}
                Err(reason) => errs.push(FieldError {
                    field: "tags",
                    reason,
                }),
            }
        }
        for t in &d.tags {
            if t.chars().count() > 20 {
                errs.push(FieldError {
                    field: "tags",
                    reason: Invalid::new(
                        "tag_too_long",
                        format!("标签“{t}”超过20个字符"),
                        format!("tag '{t}' is longer than 20 characters"),
                    ),
                });
            }
        }
        d.contact_name = text("contact_name", &self.contact_name, 30, &mut errs);
        if let Some(p) = blank(&self.contact_phone) {
            let ok = p.chars().count() <= 20
                && p.chars().filter(|c| c.is_ascii_digit()).count() >= 7
                && p.chars().all(|c| c.is_ascii_digit() || "-+ ()".contains(c));
            if ok {
                d.contact_phone = Some(p.to_string());
            } else {
                errs.push(FieldError {
                    field: "contact_phone",
                    reason: Invalid::new(
                        "phone_format",
                        format!("联系电话“{p}”格式不正确"),
                        format!("phone number '{p}' is malformed"),
                    ),
                });
            }
        }
        if errs.is_empty() { Ok(d) } else { Err(errs) }
    }
}

/// One column of the import/export template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// snake_case key, the same as the JSON field.
    pub key: &'static str,
    /// Chinese header in the spreadsheet.
    pub zh: &'static str,
    /// English name, accepted as a header too.
    pub en: &'static str,
    pub required: bool,
}

/// The enterprise template, in column order.
pub const COLUMNS: &[Column] = &[
    Column {
        key: "uscc",
        zh: "统一社会信用代码",
        en: "Credit code",
        required: true,
    },
    Column {
        key: "name",
        zh: "企业名称",
        en: "Name",
        required: true,
    },
    Column {
        key: "industry_code",
        zh: "行业代码",
        en: "Industry code",
        required: false,
    },
    Column {
        key: "registered_on",
        zh: "成立日期",
        en: "Registration date",
        required: false,
    },
    Column {
        key: "ownership",
        zh: "企业类型",
        en: "Ownership",
        required: false,
    },
    Column {
        key: "street",
        zh: "所属街道",
        en: "Street",
        required: false,
    },
    Column {
        key: "park",
        zh: "所属园区",
        en: "Park",
        required: false,
    },
    Column {
        key: "building",
        zh: "所在楼宇",
        en: "Building",
        required: false,
    },
    Column {
        key: "address",
        zh: "详细地址",
        en: "Address",
        required: false,
    },
    Column {
        key: "chain_nodes",
        zh: "产业链环节",
        en: "Chain nodes",
        required: false,
    },
    Column {
        key: "headcount",
        zh: "从业人数",
        en: "Headcount",
        required: false,
    },
    Column {
        key: "tech_staff",
        zh: "科技人员数",
        en: "Tech staff",
        required: false,
    },
    Column {
        key: "revenue_yuan",
        zh: "营业收入（元）",
        en: "Revenue (yuan)",
        required: false,
    },
    Column {
        key: "rd_spend_yuan",
        zh: "研发投入（元）",
        en: "R&D spend (yuan)",
        required: false,
    },
    Column {
        key: "tax_paid_yuan",
        zh: "纳税额（元）",
        en: "Tax paid (yuan)",
        required: false,
    },
    Column {
        key: "tags",
        zh: "企业标签",
        en: "Tags",
        required: false,
    },
    Column {
        key: "contact_name",
        zh: "联系人",
        en: "Contact",
        required: false,
    },
    Column {
        key: "contact_phone",
        zh: "联系电话",
        en: "Phone",
        required: false,
    },
];

/// Map spreadsheet headers to template columns. Returns, for each header position, the column
/// index in [`COLUMNS`] (or `None` for an ignored extra column), or an error naming unknown,
/// duplicate or missing required headers.
pub fn map_headers(headers: &[String]) -> Result<Vec<Option<usize>>, Invalid> {
    let norm = |s: &str| -> String {
        s.trim()
            .replace(['(', ')'], "")
            .replace(['（', '）'], "")
            .replace('*', "")
            .to_lowercase()
    };
    let mut out = Vec::with_capacity(headers.len());
    let mut seen = vec![false; COLUMNS.len()];
    let mut unknown = Vec::new();
    for h in headers {
        let n = norm(h);
        if n.is_empty() {
            out.push(None);
            continue;
        }
        let idx = COLUMNS
            .iter()
            .position(|c| norm(c.zh) == n || norm(c.en) == n || c.key == n);
        match idx {
            Some(i) if seen[i] => {
                return Err(Invalid::new(
                    "header_duplicate",
                    format!("表头“{h}”重复"),
                    format!("header '{h}' appears twice"),
                ));
            }
            Some(i) => {
                seen[i] = true;
                out.push(Some(i));
            }
            None => {
                unknown.push(h.clone());
                out.push(None);
            }
        }
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&seen)
        .filter(|(c, s)| c.required && !**s)
        .map(|(c, _)| c.zh)
        .collect();
    if !missing.is_empty() {
        let extra = if unknown.is_empty() {
            String::new()
        } else {
            format!("；无法识别的表头：{}", unknown.join("、"))
        };
        let extra_en = if unknown.is_empty() {
            String::new()
        } else {
            format!("; unrecognised headers: {}", unknown.join(", "))
        };
        return Err(Invalid::new(
            "header_missing",
            format!(
                "缺少必需的表头：{}{extra}（请使用导入模板）",
                missing.join("、")
            ),
            format!(
                "missing required headers: {}{extra_en} (use the import template)",
                missing.join(", ")
            ),
        ));
    }
    Ok(out)
}

/// Build an [`EnterpriseInput`] from one row's cells, given the header mapping.
pub fn input_from_cells(mapping: &[Option<usize>], cells: &[String]) -> EnterpriseInput {
    let mut inp = EnterpriseInput::default();
    for (pos, col) in mapping.iter().enumerate() {
        let Some(ci) = col else { continue };
        let v = cells.get(pos).cloned().unwrap_or_default();
        let slot = |s: String| Some(s);
        match COLUMNS[*ci].key {
            "uscc" => inp.uscc = slot(v),
            "name" => inp.name = slot(v),
            "industry_code" => inp.industry_code = slot(v),
            "registered_on" => inp.registered_on = slot(v),
            "ownership" => inp.ownership = slot(v),
            "street" => inp.street = slot(v),
            "park" => inp.park = slot(v),
            "building" => inp.building = slot(v),
            "address" => inp.address = slot(v),
            "chain_nodes" => inp.chain_nodes = Some(vec![v]),
            "headcount" => inp.headcount = slot(v),
            "tech_staff" => inp.tech_staff = slot(v),
            "revenue_yuan" => inp.revenue_yuan = slot(v),
            "rd_spend_yuan" => inp.rd_spend_yuan = slot(v),
            "tax_paid_yuan" => inp.tax_paid_yuan = slot(v),
            "tags" => inp.tags = Some(vec![v]),
            "contact_name" => inp.contact_name = slot(v),
            "contact_phone" => inp.contact_phone = slot(v),
            _ => {}
        }
    }
    inp
}

/// Chinese label of a field key, for error messages ("第5行【从业人数】…").
pub fn field_label_zh(key: &str) -> &'static str {
    COLUMNS
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.zh)
        .unwrap_or("字段")
}

/// English label of a field key.
pub fn field_label_en(key: &str) -> &'static str {
    COLUMNS
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.en)
        .unwrap_or("field")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn input() -> EnterpriseInput {
        EnterpriseInput {
            uscc: Some("91330108MA27Y5XH5G".into()),
            name: Some("示例科技有限公司".into()),
            headcount: Some("120".into()),
            tech_staff: Some("80".into()),
            revenue_yuan: Some("1200万".into()),
            tags: Some(vec!["高新技术企业；专精特新".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_input_validates_into_a_draft() {
        let d = input().validate(today(), true).unwrap();
        assert_eq!(d.uscc.unwrap().as_str(), "91330108MA27Y5XH5G");
        assert_eq!(d.revenue.unwrap().fen(), 1_200_000_000);
        assert_eq!(d.tags, vec!["高新技术企业", "专精特新"]);
    }

    #[test]
    fn all_field_errors_are_reported_together() {
        let mut i = input();
        i.uscc = Some("91330108MA27Y5XH5F".into());
        i.headcount = Some("-3".into());
        i.registered_on = Some("2099-01-01".into());
        let errs = i.validate(today(), true).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert!(fields.contains(&"uscc"));
        assert!(fields.contains(&"headcount"));
        assert!(fields.contains(&"registered_on"));
    }

    #[test]
    fn tech_staff_above_headcount_is_refused() {
        let mut i = input();
        i.tech_staff = Some("200".into());
        let errs = i.validate(today(), true).unwrap_err();
        assert_eq!(errs[0].reason.code, "tech_staff_exceeds_headcount");
    }

    #[test]
    fn identity_is_required_on_create_but_not_on_edit() {
        let i = EnterpriseInput {
            headcount: Some("5".into()),
            ..Default::default()
        };
        assert!(i.validate(today(), true).is_err());
        assert_eq!(i.validate(today(), false).unwrap().headcount, Some(5));
    }

    #[test]
    fn dates_accept_chinese_forms() {
        assert_eq!(
            parse_date("2019年3月5日", today()).unwrap(),
            NaiveDate::from_ymd_opt(2019, 3, 5).unwrap()
        );
        assert_eq!(
            parse_date("2019/03/05", today()).unwrap().to_string(),
            "2019-03-05"
        );
        assert_eq!(
            parse_date("05-03-2019", today()).unwrap_err().code,
            "date_format"
        );
    }

    #[test]
    fn headers_map_in_chinese_or_english_and_name_the_missing_ones() {
        let h: Vec<String> = vec!["企业名称".into(), "Credit code".into(), "备注".into()];
        let m = map_headers(&h).unwrap();
        assert_eq!(m, vec![Some(1), Some(0), None]);
        let bad: Vec<String> = vec!["名称".into(), "代码".into()];
        let e = map_headers(&bad).unwrap_err();
        assert_eq!(e.code, "header_missing");
        assert!(e.zh.contains("统一社会信用代码"));
        assert!(e.zh.contains("名称"));
    }

    #[test]
    fn a_duplicated_header_is_refused() {
        let h: Vec<String> = vec![
            "企业名称".into(),
            "企业名称".into(),
            "统一社会信用代码".into(),
        ];
        assert_eq!(map_headers(&h).unwrap_err().code, "header_duplicate");
    }

    #[test]
    fn names_with_bidi_overrides_control_characters_or_only_zero_width_characters_are_refused() {
        for (name, code) in [
            ("示例\u{202E}司公限有", "text_bidi_control"),
            ("示例\0公司", "text_control_char"),
            ("示例\r\n公司", "text_control_char"),
            ("\u{200B}\u{200D}", "text_blank"),
        ] {
            let mut i = input();
            i.name = Some(name.into());
            let errs = i.validate(today(), true).unwrap_err();
            assert_eq!(
                (errs[0].field, errs[0].reason.code),
                ("name", code),
                "{name:?}"
            );
        }
        let mut i = input();
        i.name = Some("示例\u{200B}公司".into());
        assert_eq!(i.validate(today(), true).unwrap().name, "示例公司");
    }

    #[test]
    fn money_and_headcount_above_their_bounds_are_refused_naming_the_field() {
        let mut i = input();
        i.revenue_yuan = Some("92233720368547758.07".into());
        i.rd_spend_yuan = Some("10000亿".into());
        i.tax_paid_yuan = Some("1000000000000.01".into());
        i.headcount = Some("10000001".into());
        i.tech_staff = None;
        let errs = i.validate(today(), true).unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.field, e.reason.code)).collect();
        assert_eq!(
            got,
            vec![
                ("headcount", "count_too_large"),
                ("revenue_yuan", "amount_too_large"),
                ("tax_paid_yuan", "amount_too_large"),
            ]
        );
        i.revenue_yuan = Some("9223372036854775807".into());
        let errs = i.validate(today(), true).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| (e.field, e.reason.code) == ("revenue_yuan", "amount_too_large"))
        );
    }

    #[test]
    fn a_tag_with_a_control_character_is_refused() {
        let mut i = input();
        i.tags = Some(vec!["高新\u{202E}技术".into()]);
        assert_eq!(i.validate(today(), true).unwrap_err()[0].field, "tags");
    }

    #[test]
    fn an_address_with_a_line_break_is_refused() {
        let mut i = input();
        i.address = Some("滨江区\r\n江南大道".into());
        let errs = i.validate(today(), true).unwrap_err();
        assert_eq!(
            (errs[0].field, errs[0].reason.code),
            ("address", "text_control_char")
        );
    }

    #[test]
    fn a_bad_phone_is_refused() {
        let mut i = input();
        i.contact_phone = Some("call me".into());
        assert_eq!(
            i.validate(today(), true).unwrap_err()[0].field,
            "contact_phone"
        );
    }
}
