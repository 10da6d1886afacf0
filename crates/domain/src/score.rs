//! Innovation points for loans (积分贷): the indicator model shaped on Binjiang's 企业创新积分 and
//! the pure scoring of a population of enterprises.
//!
//! The model is configuration (JSON text, versioned by the store): four dimensions (创新投入,
//! 创新产出, 成长性, 辅助指标) holding weighted indicators from [`CATALOG`], and stages by revenue
//! band (种子期 <50万, 苗木期 50万–<500万, 成长期 500万–<2000万, 壮大期 2000万–<1亿, 成熟期 ≥1亿).
//! [`ScoreModel::parse`] refuses unknown indicators, negative weights, weights not summing to 100
//! and stage bands that are not contiguous, each with its own code.
//!
//! Scoring compares companies within the same stage only: a *rank* indicator scores the
//! enterprise's mid-rank percentile among the stage's enterprises that have a value (ties share
//! the average rank; a zero in an indicator where more is better scores 0; a stage of one scores
//! 50 %); a *flag* or *level* indicator scores its own value (0–1) whatever the peers do. An
//! indicator contributes `weight × share`, the score is their sum (0–100), and every contribution
//! is kept as the explanation. A missing value contributes 0 and says so.
//!
//! Not the official formula: the zone's exact 24 indicators and their scoring are not public
//! (domain reference §6.4). What the enterprise records hold is used; the gaps are listed in
//! [`UNAVAILABLE_ZH`] and `docs/ARCHITECTURE.md`.

use crate::error::Invalid;
use std::collections::{BTreeMap, HashSet};

/// How an indicator turns a value into a share of its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ScoreKind))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Percentile rank within the stage (more is better).
    Rank,
    /// 0 or 1 from a tag.
    Flag,
    /// A tier between 0 and 1 from the strongest tag held.
    Level,
}

/// One indicator the scoring can read from the enterprise records.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct IndicatorDef {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// Dimension it belongs to in the default model.
    pub dimension: &'static str,
    pub kind: Kind,
    /// Where the value comes from (shown on the model page).
    pub source_zh: &'static str,
    pub source_en: &'static str,
    /// For rank indicators: a value ≤ 0 scores nothing (spending, staff, tax).
    pub positive_only: bool,
}

#[allow(clippy::too_many_arguments)] // a table row, read positionally
const fn ind(
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    dimension: &'static str,
    kind: Kind,
    source_zh: &'static str,
    source_en: &'static str,
    positive_only: bool,
) -> IndicatorDef {
    IndicatorDef {
        code,
        name_zh,
        name_en,
        dimension,
        kind,
        source_zh,
        source_en,
        positive_only,
    }
}

/// Every indicator a model may use.
pub const CATALOG: &[IndicatorDef] = &[
    ind(
        "rd_spend",
        "研发费用",
        "R&D spending",
        "input",
        Kind::Rank,
        "企业档案：研发费用",
        "enterprise record: R&D spending",
        true,
    ),
    ind(
        "rd_ratio",
        "研发投入强度",
        "R&D intensity",
        "input",
        Kind::Rank,
        "研发费用 ÷ 营业收入",
        "R&D spending ÷ revenue",
        true,
    ),
    ind(
        "tech_staff",
        "科技人员数",
        "Tech staff",
        "input",
        Kind::Rank,
        "企业档案：科技人员",
        "enterprise record: tech staff",
        true,
    ),
    ind(
        "tech_ratio",
        "科技人员占比",
        "Tech-staff share",
        "input",
        Kind::Rank,
        "科技人员 ÷ 从业人员",
        "tech staff ÷ headcount",
        true,
    ),
    ind(
        "hi_tech",
        "高新技术企业",
        "High-tech enterprise",
        "output",
        Kind::Flag,
        "标签：高新技术企业",
        "tag 高新技术企业",
        false,
    ),
    ind(
        "srdi",
        "专精特新梯度",
        "SRDI tier",
        "output",
        Kind::Level,
        "标签：专精特新小巨人 = 1，专精特新 = 0.6",
        "tags: 专精特新小巨人 = 1, 专精特新 = 0.6",
        false,
    ),
    ind(
        "tech_sme",
        "科技型/创新型中小企业",
        "Tech-based or innovative SME",
        "output",
        Kind::Flag,
        "标签：科技型中小企业或创新型中小企业",
        "tag 科技型中小企业 or 创新型中小企业",
        false,
    ),
    ind(
        "gazelle",
        "瞪羚/独角兽企业",
        "Gazelle or unicorn",
        "output",
        Kind::Flag,
        "标签：瞪羚企业或独角兽企业",
        "tag 瞪羚企业 or 独角兽企业",
        false,
    ),
    ind(
        "revenue_growth",
        "营业收入增长率",
        "Revenue growth",
        "growth",
        Kind::Rank,
        "年度指标：最近两期营业收入",
        "yearly indicators: the last two periods' revenue",
        false,
    ),
    ind(
        "headcount_growth",
        "从业人员增长率",
        "Headcount growth",
        "growth",
        Kind::Rank,
        "年度指标：最近两期从业人员",
        "yearly indicators: the last two periods' headcount",
        false,
    ),
    ind(
        "tax",
        "纳税额",
        "Tax paid",
        "growth",
        Kind::Rank,
        "企业档案：纳税额",
        "enterprise record: tax paid",
        true,
    ),
    ind(
        "revenue",
        "营业收入",
        "Revenue",
        "growth",
        Kind::Rank,
        "企业档案：营业收入",
        "enterprise record: revenue",
        true,
    ),
    ind(
        "age_years",
        "成立年限",
        "Years since registration",
        "aux",
        Kind::Rank,
        "企业档案：成立日期",
        "enterprise record: registration date",
        true,
    ),
    ind(
        "headcount",
        "从业人员",
        "Headcount",
        "aux",
        Kind::Rank,
        "企业档案：从业人员",
        "enterprise record: headcount",
        true,
    ),
    ind(
        "chain_leader",
        "链主企业",
        "Chain leader",
        "aux",
        Kind::Flag,
        "标签：链主企业",
        "tag 链主企业",
        false,
    ),
    ind(
        "listed",
        "上市企业",
        "Listed company",
        "aux",
        Kind::Flag,
        "标签：上市企业",
        "tag 上市企业",
        false,
    ),
    ind(
        "above_scale",
        "规上企业",
        "Above designated size",
        "aux",
        Kind::Flag,
        "标签：规上企业",
        "tag 规上企业",
        false,
    ),
];

/// Indicators that innovation-score schemes typically use but the enterprise records do not
/// hold, so no model can use them yet. The official list of 24 is not public; this is not it.
pub const UNAVAILABLE_ZH: &[&str] = &[
    "发明专利授权与申请量",
    "其他知识产权（软件著作权、实用新型、集成电路布图）",
    "主导或参与制定的标准",
    "科技奖励",
    "省级及以上研发机构",
    "高层次人才与研发人员学历",
    "技术合同成交额",
    "新产品（高新技术产品）收入",
    "股权融资额",
    "研发费用加计扣除额",
];

/// The English names of [`UNAVAILABLE_ZH`], in the same order.
pub const UNAVAILABLE_EN: &[&str] = &[
    "invention patents granted and applied for",
    "other IP (software copyrights, utility models, IC layouts)",
    "standards led or co-drafted",
    "science and technology awards",
    "provincial-or-higher R&D institutions",
    "high-level talent and R&D staff qualifications",
    "technology-contract turnover",
    "new-product (high-tech product) revenue",
    "equity financing raised",
    "R&D super-deduction amount",
];

/// The catalogue entry of an indicator code.
pub fn indicator(code: &str) -> Option<&'static IndicatorDef> {
    CATALOG.iter().find(|d| d.code == code)
}

/// One weighted indicator of a dimension.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Weighted {
    pub code: String,
    /// Points (all weights of a model sum to 100).
    pub weight: f64,
}

/// A dimension (维度) and its indicators.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub code: String,
    pub name: String,
    pub indicators: Vec<Weighted>,
}

/// A stage (发展阶段) by revenue band, `min_yuan` inclusive, `max_yuan` exclusive (none: open).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StageBand {
    pub code: String,
    pub name: String,
    pub min_yuan: i64,
    #[serde(default)]
    pub max_yuan: Option<i64>,
}

/// The indicator model: stages and dimensions with weighted indicators.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScoreModel {
    pub name: String,
    pub stages: Vec<StageBand>,
    pub dimensions: Vec<Dimension>,
}

fn bad(code: &'static str, zh: String, en: String) -> Invalid {
    Invalid::new(code, zh, en)
}

impl ScoreModel {
    /// The shipped model: 企业创新积分's four dimensions and five stages, with weights chosen by
    /// us (the official weights are not public).
    pub fn default_model() -> ScoreModel {
        let w = |code: &str, weight: f64| Weighted {
            code: code.into(),
            weight,
        };
        let st = |code: &str, name: &str, min: i64, max: Option<i64>| StageBand {
            code: code.into(),
            name: name.into(),
            min_yuan: min,
            max_yuan: max,
        };
        ScoreModel {
            name: "企业创新积分（示例权重）".into(),
            stages: vec![
                st("seed", "种子期", 0, Some(500_000)),
                st("sapling", "苗木期", 500_000, Some(5_000_000)),
                st("growth", "成长期", 5_000_000, Some(20_000_000)),
                st("expansion", "壮大期", 20_000_000, Some(100_000_000)),
                st("mature", "成熟期", 100_000_000, None),
            ],
            dimensions: vec![
                Dimension {
                    code: "input".into(),
                    name: "创新投入".into(),
                    indicators: vec![
                        w("rd_spend", 12.0),
                        w("rd_ratio", 14.0),
                        w("tech_staff", 6.0),
                        w("tech_ratio", 8.0),
                    ],
                },
                Dimension {
                    code: "output".into(),
                    name: "创新产出".into(),
                    indicators: vec![
                        w("hi_tech", 10.0),
                        w("srdi", 8.0),
                        w("tech_sme", 6.0),
                        w("gazelle", 6.0),
                    ],
                },
                Dimension {
                    code: "growth".into(),
                    name: "成长性".into(),
                    indicators: vec![
                        w("revenue_growth", 8.0),
                        w("headcount_growth", 4.0),
                        w("tax", 5.0),
                        w("revenue", 3.0),
                    ],
                },
                Dimension {
                    code: "aux".into(),
                    name: "辅助指标".into(),
                    indicators: vec![
                        w("age_years", 3.0),
                        w("headcount", 2.0),
                        w("chain_leader", 2.0),
                        w("listed", 2.0),
                        w("above_scale", 1.0),
                    ],
                },
            ],
        }
    }

    /// Parse and validate the JSON text of a model.
    pub fn parse(text: &str) -> Result<ScoreModel, Invalid> {
        let m: ScoreModel = serde_json::from_str(text).map_err(|e| {
            bad(
                "score_model_syntax",
                format!(
                    "模型 JSON 无效（第 {} 行第 {} 列）：{e}",
                    e.line(),
                    e.column()
                ),
                format!(
                    "invalid model JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        m.validate()?;
        Ok(m)
    }

    /// The model as pretty JSON (what the store keeps and the edit page shows).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Check indicators, weights and stage bands.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.name.trim().is_empty() {
            return Err(bad(
                "score_model_name_missing",
                "模型名称不能为空".into(),
                "the model needs a name".into(),
            ));
        }
        if self.dimensions.is_empty() {
            return Err(bad(
                "score_model_empty",
                "模型至少需要一个维度".into(),
                "the model needs at least one dimension".into(),
            ));
        }
        let mut seen = HashSet::new();
        let mut dims = HashSet::new();
        let mut total = 0.0;
        for d in &self.dimensions {
            if d.code.trim().is_empty() || !dims.insert(d.code.as_str()) {
                return Err(bad(
                    "score_model_dimension_code",
                    format!("维度代码“{}”为空或重复", d.code),
                    format!("dimension code '{}' is empty or repeated", d.code),
                ));
            }
            for w in &d.indicators {
                if indicator(&w.code).is_none() {
                    let known: Vec<&str> = CATALOG.iter().map(|c| c.code).collect();
                    return Err(bad(
                        "score_model_unknown_indicator",
                        format!(
                            "未知指标“{}”（维度 {}）；可用指标：{}",
                            w.code,
                            d.code,
                            known.join(", ")
                        ),
                        format!(
                            "unknown indicator '{}' (dimension {}); known: {}",
                            w.code,
                            d.code,
                            known.join(", ")
                        ),
                    ));
                }
                if !seen.insert(w.code.as_str()) {
                    return Err(bad(
                        "score_model_duplicate_indicator",
                        format!("指标“{}”出现了不止一次", w.code),
                        format!("indicator '{}' appears more than once", w.code),
                    ));
                }
                if !w.weight.is_finite() || w.weight < 0.0 {
                    return Err(bad(
                        "score_model_negative_weight",
                        format!("指标“{}”的权重 {} 不能为负数", w.code, w.weight),
                        format!("indicator '{}' has a negative weight {}", w.code, w.weight),
                    ));
                }
                total += w.weight;
            }
        }
        if (total - 100.0).abs() > 1e-6 {
            return Err(bad(
                "score_model_weight_sum",
                format!("全部指标权重之和须为 100，当前为 {}", round2(total)),
                format!(
                    "the weights of all indicators must sum to 100, not {}",
                    round2(total)
                ),
            ));
        }
        self.validate_stages()
    }

    fn validate_stages(&self) -> Result<(), Invalid> {
        let err = |zh: String, en: String| bad("score_model_stages", zh, en);
        let Some(first) = self.stages.first() else {
            return Err(err(
                "至少需要一个发展阶段".into(),
                "at least one stage is needed".into(),
            ));
        };
        if first.min_yuan != 0 {
            return Err(err(
                "第一个阶段须从营业收入 0 元开始".into(),
                "the first stage must start at revenue 0".into(),
            ));
        }
        let mut codes = HashSet::new();
        for (i, s) in self.stages.iter().enumerate() {
            if s.code.trim().is_empty() || !codes.insert(s.code.as_str()) {
                return Err(err(
                    format!("阶段代码“{}”为空或重复", s.code),
                    format!("stage code '{}' is empty or repeated", s.code),
                ));
            }
            let last = i + 1 == self.stages.len();
            match (s.max_yuan, last) {
                (None, true) => {}
                (None, false) => {
                    return Err(err(
                        format!("只有最后一个阶段可以不设上限（{}）", s.name),
                        format!("only the last stage may be open-ended ({})", s.name),
                    ));
                }
                (Some(_), true) => {
                    return Err(err(
                        format!("最后一个阶段（{}）不能设上限", s.name),
                        format!("the last stage ({}) must be open-ended", s.name),
                    ));
                }
                (Some(max), false) => {
                    let next = &self.stages[i + 1];
                    if max <= s.min_yuan || next.min_yuan != max {
                        return Err(err(
                            format!(
                                "阶段“{}”与“{}”的营业收入区间须首尾相接且递增",
                                s.name, next.name
                            ),
                            format!(
                                "the revenue bands of '{}' and '{}' must be ascending and contiguous",
                                s.name, next.name
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The stage of a revenue in fen (missing revenue counts as 0: 种子期).
    pub fn stage_of(&self, revenue_fen: Option<i64>) -> &StageBand {
        let yuan = revenue_fen.unwrap_or(0).max(0) / 100;
        self.stages
            .iter()
            .rev()
            .find(|s| yuan >= s.min_yuan)
            .or(self.stages.first())
            .unwrap_or(&FALLBACK_STAGE)
    }
}

static FALLBACK_STAGE: StageBand = StageBand {
    code: String::new(),
    name: String::new(),
    min_yuan: 0,
    max_yuan: None,
};

/// The facts of one enterprise that the catalogue reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoreFacts {
    pub enterprise_id: i64,
    pub revenue_fen: Option<i64>,
    pub rd_fen: Option<i64>,
    pub tax_fen: Option<i64>,
    pub headcount: Option<i64>,
    pub tech_staff: Option<i64>,
    pub tags: Vec<String>,
    pub age_years: Option<f64>,
    /// Revenue and headcount of the last two yearly periods (older, newer).
    pub revenue_periods: Option<(i64, i64)>,
    pub headcount_periods: Option<(i64, i64)>,
}

fn ratio(a: Option<i64>, b: Option<i64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
        _ => None,
    }
}

fn growth(p: Option<(i64, i64)>) -> Option<f64> {
    match p {
        Some((old, new)) if old > 0 => Some((new - old) as f64 / old as f64),
        _ => None,
    }
}

impl ScoreFacts {
    fn has(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// The raw value of an indicator (`None`: missing).
    pub fn value(&self, code: &str) -> Option<f64> {
        let flag = |b: bool| Some(if b { 1.0 } else { 0.0 });
        match code {
            "rd_spend" => self.rd_fen.map(|v| v as f64 / 100.0),
            "rd_ratio" => ratio(self.rd_fen, self.revenue_fen),
            "tech_staff" => self.tech_staff.map(|v| v as f64),
            "tech_ratio" => ratio(self.tech_staff, self.headcount),
            "hi_tech" => flag(self.has("高新技术企业")),
            "srdi" => Some(if self.has("专精特新小巨人") {
                1.0
            } else if self.has("专精特新") {
                0.6
            } else {
                0.0
            }),
            "tech_sme" => flag(self.has("科技型中小企业") || self.has("创新型中小企业")),
            "gazelle" => flag(self.has("瞪羚企业") || self.has("独角兽企业")),
            "revenue_growth" => growth(self.revenue_periods),
            "headcount_growth" => growth(self.headcount_periods),
            "tax" => self.tax_fen.map(|v| v as f64 / 100.0),
            "revenue" => self.revenue_fen.map(|v| v as f64 / 100.0),
            "age_years" => self.age_years,
            "headcount" => self.headcount.map(|v| v as f64),
            "chain_leader" => flag(self.has("链主企业")),
            "listed" => flag(self.has("上市企业")),
            "above_scale" => flag(self.has("规上企业")),
            _ => None,
        }
    }
}

/// One indicator's part of a score: the explanation shown to banks and enterprises.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contribution {
    pub dimension: String,
    pub indicator: String,
    pub weight: f64,
    /// The raw value (`None`: missing in the records).
    pub value: Option<f64>,
    /// Share of the weight earned, 0–1 (percentile within the stage for rank indicators).
    pub share: f64,
    /// `weight × share`, rounded to 0.01.
    pub points: f64,
    /// Enterprises of the stage with a value (the peers of a rank indicator).
    pub peers: usize,
}

/// The score of one enterprise.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scored {
    pub enterprise_id: i64,
    pub stage: String,
    /// 0–100, rounded to 0.01.
    pub score: f64,
    /// 1 = best of its stage.
    pub rank_in_stage: usize,
    pub stage_size: usize,
    pub contributions: Vec<Contribution>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Mid-rank percentile of `v` among the sorted `vals` (which contain `v`): the share of peers
/// below plus half of the other ties.
fn percentile(sorted: &[f64], v: f64) -> f64 {
    let n = sorted.len();
    if n <= 1 {
        return 0.5;
    }
    let below = sorted.partition_point(|x| *x < v);
    let upto = sorted.partition_point(|x| *x <= v);
    let ties = upto - below;
    (below as f64 + (ties.saturating_sub(1)) as f64 / 2.0) / (n - 1) as f64
}

/// Score every enterprise with `model`, comparing within stages. Output in input order.
pub fn score_all(model: &ScoreModel, facts: &[ScoreFacts]) -> Vec<Scored> {
    let stages: Vec<&str> = facts
        .iter()
        .map(|f| model.stage_of(f.revenue_fen).code.as_str())
        .collect();
    let weighted: Vec<(&str, &Weighted, &IndicatorDef)> = model
        .dimensions
        .iter()
        .flat_map(|d| {
            d.indicators
                .iter()
                .filter_map(move |w| indicator(&w.code).map(|def| (d.code.as_str(), w, def)))
        })
        .collect();
    // Per stage and rank indicator: the sorted values of the stage's enterprises.
    let mut by_stage: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in stages.iter().enumerate() {
        by_stage.entry(s).or_default().push(i);
    }
    let mut sorted: BTreeMap<(&str, &str), Vec<f64>> = BTreeMap::new();
    for (stage, members) in &by_stage {
        for (_, w, def) in &weighted {
            if def.kind != Kind::Rank {
                continue;
            }
            let mut v: Vec<f64> = members
                .iter()
                .filter_map(|&i| facts[i].value(&w.code))
                .filter(|x| x.is_finite())
                .collect();
            v.sort_by(f64::total_cmp);
            sorted.insert((stage, def.code), v);
        }
    }
    let mut out: Vec<Scored> = facts
        .iter()
        .zip(&stages)
        .map(|(f, stage)| {
            let mut total = 0.0;
            let contributions = weighted
                .iter()
                .map(|(dim, w, def)| {
                    let value = f.value(&w.code).filter(|x| x.is_finite());
                    let (share, peers) = match def.kind {
                        Kind::Rank => {
                            let vals = sorted
                                .get(&(*stage, def.code))
                                .map(Vec::as_slice)
                                .unwrap_or(&[]);
                            let share = match value {
                                None => 0.0,
                                Some(v) if def.positive_only && v <= 0.0 => 0.0,
                                Some(v) => percentile(vals, v),
                            };
                            (share, vals.len())
                        }
                        Kind::Flag | Kind::Level => (value.unwrap_or(0.0).clamp(0.0, 1.0), 0),
                    };
                    let points = w.weight * share;
                    total += points;
                    Contribution {
                        dimension: (*dim).to_string(),
                        indicator: w.code.clone(),
                        weight: w.weight,
                        value,
                        share: (share * 10_000.0).round() / 10_000.0,
                        points: round2(points),
                        peers,
                    }
                })
                .collect();
            Scored {
                enterprise_id: f.enterprise_id,
                stage: (*stage).to_string(),
                score: round2(total.clamp(0.0, 100.0)),
                rank_in_stage: 0,
                stage_size: 0,
                contributions,
            }
        })
        .collect();
    // Ranks within each stage (1 = best; ties share the better rank).
    for members in by_stage.values() {
        let mut scores: Vec<f64> = members.iter().map(|&i| out[i].score).collect();
        scores.sort_by(|a, b| b.total_cmp(a));
        for &i in members {
            let s = out[i].score;
            out[i].rank_in_stage = scores.partition_point(|x| *x > s) + 1;
            out[i].stage_size = members.len();
        }
    }
    out
}

/// Annual interest rate text (e.g. `3.45`) to basis points of a percent (345), at most two
/// decimals, between 0 and 36 % (the judicial protection ceiling for private lending is lower;
/// 36 % is only a sanity bound).
pub fn parse_rate_bp(s: &str) -> Result<i64, Invalid> {
    let t = s.trim().trim_end_matches('%').trim();
    let refuse = || {
        bad(
            "score_loan_rate_invalid",
            format!("年利率“{s}”无效：请填写 0–36 之间、最多两位小数的百分数，如 3.45"),
            format!(
                "annual rate '{s}' is invalid: a percentage 0–36 with at most two decimals, e.g. 3.45"
            ),
        )
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || (t.contains('.') && frac.is_empty())
        || int.len() > 3
    {
        return Err(refuse());
    }
    let i: i64 = int.parse().map_err(|_| refuse())?;
    let f: i64 = format!("{frac:0<2}").parse().map_err(|_| refuse())?;
    let bp = i * 100 + f;
    if bp > 3600 {
        return Err(refuse());
    }
    Ok(bp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: i64, revenue_wan: i64, rd_wan: i64, tags: &[&str]) -> ScoreFacts {
        ScoreFacts {
            enterprise_id: id,
            revenue_fen: Some(revenue_wan * 1_000_000),
            rd_fen: Some(rd_wan * 1_000_000),
            tax_fen: Some(revenue_wan * 30_000),
            headcount: Some(50),
            tech_staff: Some(10 + id),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            age_years: Some(3.0),
            revenue_periods: Some((80, 100)),
            headcount_periods: None,
        }
    }

    #[test]
    fn the_default_model_is_valid_and_round_trips_through_json() {
        let m = ScoreModel::default_model();
        assert_eq!(m.validate(), Ok(()));
        assert_eq!(ScoreModel::parse(&m.to_json()), Ok(m.clone()));
        assert_eq!(m.dimensions.len(), 4);
        assert_eq!(m.stages.len(), 5);
    }

    #[test]
    fn stages_follow_the_revenue_bands_of_the_innovation_score() {
        let m = ScoreModel::default_model();
        let st = |yuan: i64| m.stage_of(Some(yuan * 100)).name.clone();
        assert_eq!(st(0), "种子期");
        assert_eq!(st(499_999), "种子期");
        assert_eq!(st(500_000), "苗木期");
        assert_eq!(st(4_999_999), "苗木期");
        assert_eq!(st(5_000_000), "成长期");
        assert_eq!(st(20_000_000), "壮大期");
        assert_eq!(st(99_999_999), "壮大期");
        assert_eq!(st(100_000_000), "成熟期");
        assert_eq!(m.stage_of(None).name, "种子期");
    }

    #[test]
    fn an_unknown_indicator_is_refused_with_the_list_of_known_ones() {
        let mut m = ScoreModel::default_model();
        m.dimensions[0].indicators[0].code = "patents".into();
        let e = ScoreModel::parse(&m.to_json()).unwrap_err();
        assert_eq!(e.code, "score_model_unknown_indicator");
        assert!(
            e.en.contains("patents") && e.en.contains("rd_ratio"),
            "{}",
            e.en
        );
    }

    #[test]
    fn weights_must_sum_to_100_and_none_may_be_negative() {
        let mut m = ScoreModel::default_model();
        m.dimensions[0].indicators[0].weight = 13.0;
        assert_eq!(m.validate().unwrap_err().code, "score_model_weight_sum");
        assert!(m.validate().unwrap_err().zh.contains("101"));
        let mut m = ScoreModel::default_model();
        m.dimensions[0].indicators[0].weight = -12.0;
        m.dimensions[0].indicators[1].weight = 38.0;
        assert_eq!(
            m.validate().unwrap_err().code,
            "score_model_negative_weight"
        );
    }

    #[test]
    fn duplicates_gaps_between_stages_and_bad_json_are_refused() {
        let mut m = ScoreModel::default_model();
        m.dimensions[1].indicators[0].code = "rd_spend".into();
        assert_eq!(
            m.validate().unwrap_err().code,
            "score_model_duplicate_indicator"
        );
        let mut m = ScoreModel::default_model();
        m.stages[1].min_yuan = 600_000;
        assert_eq!(m.validate().unwrap_err().code, "score_model_stages");
        let mut m = ScoreModel::default_model();
        m.stages[4].max_yuan = Some(1_000_000_000);
        assert_eq!(m.validate().unwrap_err().code, "score_model_stages");
        let e = ScoreModel::parse("{\"name\": \"x\",\n \"stages\": [}").unwrap_err();
        assert_eq!(e.code, "score_model_syntax");
        assert!(e.zh.contains("第 2 行"), "{}", e.zh);
        let e =
            ScoreModel::parse(r#"{"name":"x","stages":[],"dimensions":[],"extra":1}"#).unwrap_err();
        assert_eq!(e.code, "score_model_syntax");
    }

    #[test]
    fn companies_are_compared_only_within_their_stage() {
        let m = ScoreModel::default_model();
        // Two seed companies, two mature ones; the mature ones spend far more on R&D.
        let f = vec![
            facts(1, 10, 2, &[]),
            facts(2, 20, 1, &[]),
            facts(3, 20_000, 2_000, &[]),
            facts(4, 30_000, 1_000, &[]),
        ];
        let s = score_all(&m, &f);
        assert_eq!(s[0].stage, "seed");
        assert_eq!(s[2].stage, "mature");
        let rd = |x: &Scored| {
            x.contributions
                .iter()
                .find(|c| c.indicator == "rd_spend")
                .cloned()
                .unwrap()
        };
        // The best R&D spender of each stage gets the full weight, whatever the other stage does.
        assert_eq!(rd(&s[0]).share, 1.0);
        assert_eq!(rd(&s[0]).points, 12.0);
        assert_eq!(rd(&s[2]).share, 1.0);
        assert_eq!(rd(&s[1]).share, 0.0);
        assert_eq!(rd(&s[0]).peers, 2);
        assert_eq!((s[0].rank_in_stage, s[0].stage_size), (1, 2));
        assert_eq!((s[1].rank_in_stage, s[1].stage_size), (2, 2));
    }

    #[test]
    fn a_score_is_the_sum_of_its_contributions_and_flags_count_in_full() {
        let m = ScoreModel::default_model();
        let f = vec![
            facts(1, 1_000, 80, &["高新技术企业", "专精特新"]),
            facts(2, 1_200, 40, &[]),
            facts(3, 900, 20, &["专精特新小巨人"]),
        ];
        for s in score_all(&m, &f) {
            let sum: f64 = s.contributions.iter().map(|c| c.points).sum();
            assert!((sum - s.score).abs() < 0.05, "{sum} vs {}", s.score);
            assert!((0.0..=100.0).contains(&s.score));
            let c = |code: &str| {
                s.contributions
                    .iter()
                    .find(|c| c.indicator == code)
                    .unwrap()
                    .points
            };
            match s.enterprise_id {
                1 => assert_eq!((c("hi_tech"), c("srdi")), (10.0, 4.8)),
                2 => assert_eq!((c("hi_tech"), c("srdi")), (0.0, 0.0)),
                _ => assert_eq!(c("srdi"), 8.0),
            }
        }
    }

    #[test]
    fn missing_values_and_zero_spending_score_nothing_and_ties_share_the_rank() {
        let m = ScoreModel::default_model();
        let mut a = facts(1, 100, 0, &[]);
        a.tech_staff = None;
        let b = facts(2, 100, 5, &[]);
        let c = ScoreFacts {
            enterprise_id: 3,
            ..b.clone()
        };
        let s = score_all(&m, &[a, b, c]);
        let get = |x: &Scored, code: &str| {
            x.contributions
                .iter()
                .find(|c| c.indicator == code)
                .cloned()
                .unwrap()
        };
        assert_eq!(get(&s[0], "rd_spend").share, 0.0);
        assert_eq!(get(&s[0], "tech_staff").value, None);
        assert_eq!(get(&s[0], "tech_staff").points, 0.0);
        // b and c tie above a: (1 below + 0.5 of one tie) / 2 peers.
        assert_eq!(get(&s[1], "rd_spend").share, 0.75);
        assert_eq!(get(&s[1], "rd_spend").share, get(&s[2], "rd_spend").share);
        assert_eq!(s[1].rank_in_stage, s[2].rank_in_stage);
    }

    #[test]
    fn growth_needs_two_periods_and_a_positive_base() {
        let mut f = facts(1, 100, 5, &[]);
        assert_eq!(f.value("revenue_growth"), Some(0.25));
        f.revenue_periods = Some((0, 10));
        assert_eq!(f.value("revenue_growth"), None);
        assert_eq!(f.value("headcount_growth"), None);
    }

    #[test]
    fn a_rate_has_at_most_two_decimals_and_stays_below_36_percent() {
        assert_eq!(parse_rate_bp("3.45"), Ok(345));
        assert_eq!(parse_rate_bp("4"), Ok(400));
        assert_eq!(parse_rate_bp("3.5%"), Ok(350));
        for bad in ["3.456", "-1", "abc", "", "40", "3.", ".5"] {
            assert_eq!(
                parse_rate_bp(bad).unwrap_err().code,
                "score_loan_rate_invalid",
                "{bad}"
            );
        }
    }
}
