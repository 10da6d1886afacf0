//! The zone registry: the zone itself, its industrial ecosystems and chains with ordered nodes,
//! departments, coalition institutions, streets, parks, buildings and communities.
//!
//! These are plain descriptions used to seed and edit the registry; ids are assigned by the store.

use crate::error::Invalid;

/// Position of a chain node along its industrial chain (上游 → 中游 → 下游).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Upstream,
    Midstream,
    Downstream,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Upstream, Stage::Midstream, Stage::Downstream];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Upstream => "upstream",
            Stage::Midstream => "midstream",
            Stage::Downstream => "downstream",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Upstream => "上游",
            Stage::Midstream => "中游",
            Stage::Downstream => "下游",
        }
    }

    pub fn parse(s: &str) -> Result<Stage, Invalid> {
        match s.trim() {
            "upstream" | "上游" => Ok(Stage::Upstream),
            "midstream" | "中游" => Ok(Stage::Midstream),
            "downstream" | "下游" => Ok(Stage::Downstream),
            other => Err(Invalid::new(
                "stage_unknown",
                format!("未知产业链环节位置“{other}”（上游/中游/下游）"),
                format!("unknown chain stage '{other}' (upstream/midstream/downstream)"),
            )),
        }
    }
}

/// Kind of a coalition institution (联盟单位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    University,
    Platform,
    Bank,
    Fund,
}

impl InstitutionKind {
    pub const ALL: [InstitutionKind; 4] = [
        InstitutionKind::University,
        InstitutionKind::Platform,
        InstitutionKind::Bank,
        InstitutionKind::Fund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InstitutionKind::University => "university",
            InstitutionKind::Platform => "platform",
            InstitutionKind::Bank => "bank",
            InstitutionKind::Fund => "fund",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            InstitutionKind::University => "高校",
            InstitutionKind::Platform => "科研平台",
            InstitutionKind::Bank => "银行",
            InstitutionKind::Fund => "基金",
        }
    }

    pub fn parse(s: &str) -> Result<InstitutionKind, Invalid> {
        InstitutionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim() || k.label_zh() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "institution_kind_unknown",
                    format!("未知机构类型“{s}”（高校/科研平台/银行/基金）"),
                    format!("unknown institution kind '{s}' (university/platform/bank/fund)"),
                )
            })
    }
}

/// A registry name: trimmed, non-empty, at most `max` characters.
pub fn registry_name(s: &str, max: usize) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Invalid::new(
            "name_empty",
            "名称不能为空",
            "name must not be empty",
        ));
    }
    if t.chars().count() > max {
        return Err(Invalid::new(
            "name_too_long",
            format!("名称不能超过{max}个字符"),
            format!("name must be at most {max} characters"),
        ));
    }
    Ok(t.to_string())
}

/// The kinds of registry entries, each with its parent kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegistryKind {
    Ecosystem,
    Chain,
    ChainNode,
    Department,
    Institution,
    Street,
    Park,
    Building,
    Community,
}

impl RegistryKind {
    pub const ALL: [RegistryKind; 9] = [
        RegistryKind::Ecosystem,
        RegistryKind::Chain,
        RegistryKind::ChainNode,
        RegistryKind::Department,
        RegistryKind::Institution,
        RegistryKind::Street,
        RegistryKind::Park,
        RegistryKind::Building,
        RegistryKind::Community,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistryKind::Ecosystem => "ecosystem",
            RegistryKind::Chain => "chain",
            RegistryKind::ChainNode => "chain_node",
            RegistryKind::Department => "department",
            RegistryKind::Institution => "institution",
            RegistryKind::Street => "street",
            RegistryKind::Park => "park",
            RegistryKind::Building => "building",
            RegistryKind::Community => "community",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RegistryKind::Ecosystem => "产业生态圈",
            RegistryKind::Chain => "重点产业链",
            RegistryKind::ChainNode => "产业链环节",
            RegistryKind::Department => "政府部门",
            RegistryKind::Institution => "联盟单位",
            RegistryKind::Street => "街道",
            RegistryKind::Park => "园区",
            RegistryKind::Building => "楼宇",
            RegistryKind::Community => "社区",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RegistryKind::Ecosystem => "Ecosystems",
            RegistryKind::Chain => "Industrial chains",
            RegistryKind::ChainNode => "Chain nodes",
            RegistryKind::Department => "Departments",
            RegistryKind::Institution => "Coalition institutions",
            RegistryKind::Street => "Streets",
            RegistryKind::Park => "Parks",
            RegistryKind::Building => "Buildings",
            RegistryKind::Community => "Communities",
        }
    }

    /// The kind an entry of this kind must hang under, if any.
    pub fn parent(self) -> Option<RegistryKind> {
        match self {
            RegistryKind::Chain => Some(RegistryKind::Ecosystem),
            RegistryKind::ChainNode => Some(RegistryKind::Chain),
            RegistryKind::Park | RegistryKind::Community => Some(RegistryKind::Street),
            RegistryKind::Building => Some(RegistryKind::Park),
            _ => None,
        }
    }

    /// Whether entries carry a stable code (used by API clients and imports).
    pub fn has_code(self) -> bool {
        !matches!(
            self,
            RegistryKind::Park | RegistryKind::Building | RegistryKind::Community
        )
    }

    pub fn parse(s: &str) -> Result<RegistryKind, Invalid> {
        RegistryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "registry_kind_unknown",
                    format!("未知登记类别“{s}”"),
                    format!("unknown registry kind '{s}'"),
                )
            })
    }
}

/// A registry code: 1–40 characters of ASCII letters, digits, `.`, `_` or `-`.
pub fn registry_code(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty()
        || t.len() > 40
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(Invalid::new(
            "code_format",
            format!("编码“{t}”应为1–40位字母、数字或 . _ -"),
            format!("code '{t}' must be 1-40 ASCII letters, digits or . _ -"),
        ));
    }
    Ok(t.to_string())
}

/// Seed description of a whole zone, as the demo generator produces it.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneSeed {
    pub name: String,
    /// GB/T 2260 administrative division code, e.g. `330108`.
    pub division_code: String,
    pub ecosystems: Vec<EcosystemSeed>,
    pub departments: Vec<CodeName>,
    pub institutions: Vec<InstitutionSeed>,
    pub streets: Vec<StreetSeed>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CodeName {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EcosystemSeed {
    pub code: String,
    pub name: String,
    pub chains: Vec<ChainSeed>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChainSeed {
    pub code: String,
    pub name: String,
    /// Nodes in upstream → downstream order.
    pub nodes: Vec<NodeSeed>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeSeed {
    pub code: String,
    pub name: String,
    pub stage: Stage,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InstitutionSeed {
    pub code: String,
    pub name: String,
    pub kind: InstitutionKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreetSeed {
    pub code: String,
    pub name: String,
    pub parks: Vec<ParkSeed>,
    pub communities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParkSeed {
    pub name: String,
    pub buildings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_parse_in_chinese_and_english() {
        assert_eq!(Stage::parse("上游"), Ok(Stage::Upstream));
        assert_eq!(Stage::parse("downstream"), Ok(Stage::Downstream));
        assert!(Stage::parse("侧游").is_err());
    }

    #[test]
    fn registry_names_are_trimmed_and_bounded() {
        assert_eq!(registry_name("  西兴街道 ", 20), Ok("西兴街道".to_string()));
        assert_eq!(registry_name("  ", 20).unwrap_err().code, "name_empty");
        assert_eq!(
            registry_name("一二三", 2).unwrap_err().code,
            "name_too_long"
        );
    }
}
