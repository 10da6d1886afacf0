//! The "滨江样板" demo: a deterministic synthetic zone shaped like Hangzhou High-tech Zone
//! (Binjiang), a stream of synthetic enterprises, and one demo account per role.
//!
//! Everything here is invented for demonstrations and tests. Enterprise names, parks, communities
//! and a few institutions carry the marker 示例; no figure belongs to a real organisation. The eight
//! key chains are *not* Binjiang's official list (that list is not public): they are plausible
//! chains drawn from clusters known to exist there (视觉智能/数字安防, 集成电路, 网络通信, 人工智能与
//! 软件, 生物医药与医疗器械, 智能网联汽车与机器人, 新材料, 新能源装备与储能), grouped under Hangzhou's
//! five industrial ecosystems.
//!
//! Determinism: enterprise `i` depends only on `(seed, i)`, through a SplitMix64 generator and
//! floating-point operations that IEEE 754 rounds exactly (`+ - * / sqrt`), so the output is the
//! same on every run and platform, and `enterprises(seed, m)` is a prefix of `enterprises(seed, n)`
//! for `m ≤ n`. Generation streams: nothing is collected, so `n = 1_000_000` is fine.
//!
//! Guarantees of the enterprise stream: credit codes are valid GB 32100 codes (`91` + `330108` +
//! `MA` + six characters + the GB 11714 check at position 17 + the GB 32100 check) and unique for any `n` up to 31⁶; names are unique (the first
//! 43,200 carry the plain marker `（示例）`, later ones a numbered marker `（示例2）`, `（示例3）` …);
//! headcounts, money and counts are non-negative with tech staff ≤ headcount; building, park and
//! street are consistent with [`zone`]; chain node codes exist in [`zone`].

use crate::enterprise::{COLUMNS, EnterpriseDraft};
use crate::industry::IndustryCode;
use crate::money::Money;
use crate::role::Role;
use crate::uscc::Uscc;
use crate::zone::{
    ChainSeed, CodeName, EcosystemSeed, InstitutionKind, InstitutionSeed, NodeSeed, ParkSeed,
    Stage, StreetSeed, ZoneSeed,
};
use chrono::{Days, NaiveDate};
use std::fmt::Write as _;

/// The password of every demo account (demo only; printed to the user when the demo starts).
pub const DEMO_PASSWORD: &str = "Lianshi@2026";

/// Name of the demo zone.
pub const ZONE_NAME: &str = "杭州高新区（滨江）示例园区";

/// GB/T 2260 code of 滨江区.
pub const DIVISION_CODE: &str = "330108";

// ---------------------------------------------------------------------------------------------
// Static description of the zone
// ---------------------------------------------------------------------------------------------

struct NodeDef {
    code: &'static str,
    name: &'static str,
    stage: Stage,
    /// GB/T 4754-2017 classes typical for enterprises on this node.
    industries: &'static [&'static str],
}

struct ChainDef {
    /// Index into [`ECOSYSTEMS`].
    eco: usize,
    code: &'static str,
    name: &'static str,
    /// Relative share of enterprises on this chain.
    weight: u32,
    /// Industry words used in enterprise names (all distinct across chains).
    words: [&'static str; 4],
    nodes: &'static [NodeDef],
}

const fn node(
    code: &'static str,
    name: &'static str,
    stage: Stage,
    industries: &'static [&'static str],
) -> NodeDef {
    NodeDef {
        code,
        name,
        stage,
        industries,
    }
}

const U: Stage = Stage::Upstream;
const M: Stage = Stage::Midstream;
const D: Stage = Stage::Downstream;

/// Hangzhou's five industrial ecosystems (五大产业生态圈): (code, name).
const ECOSYSTEMS: [(&str, &str); 5] = [
    ("iot", "智能物联"),
    ("bio", "生物医药"),
    ("equip", "高端装备"),
    ("material", "新材料"),
    ("energy", "绿色能源"),
];

static CHAINS: [ChainDef; 8] = [
    ChainDef {
        eco: 0,
        code: "vision",
        name: "视觉智能（数字安防）",
        weight: 15,
        words: ["视觉", "安防", "影像", "感知"],
        nodes: &[
            node(
                "vision.sensor",
                "图像传感器与光学镜头",
                U,
                &["3976", "3983"],
            ),
            node("vision.chip", "视觉芯片与算法", U, &["6520", "6513"]),
            node("vision.camera", "摄像机与前端设备", M, &["3939", "3919"]),
            node("vision.storage", "视频存储与管理平台", M, &["3913", "6550"]),
            node("vision.software", "视觉分析软件", M, &["6513", "6519"]),
            node(
                "vision.solution",
                "行业解决方案与系统集成",
                D,
                &["6531", "6532"],
            ),
            node("vision.ops", "安防运营与运维服务", D, &["6540", "6531"]),
        ],
    },
    ChainDef {
        eco: 0,
        code: "ic",
        name: "集成电路",
        weight: 11,
        words: ["微电子", "半导体", "集成电路", "芯片"],
        nodes: &[
            node("ic.eda", "EDA与IP", U, &["6512", "6520"]),
            node("ic.material", "半导体材料", U, &["3985"]),
            node("ic.equipment", "半导体设备与零部件", U, &["3562", "3563"]),
            node("ic.design", "芯片设计", M, &["6520"]),
            node("ic.fab", "晶圆制造", M, &["3973"]),
            node("ic.package", "封装测试", M, &["3973", "3972"]),
            node("ic.module", "模组与终端应用", D, &["3982", "3989"]),
        ],
    },
    ChainDef {
        eco: 0,
        code: "net",
        name: "网络通信",
        weight: 13,
        words: ["通信", "网络", "光电", "物联"],
        nodes: &[
            node("net.optical", "光器件与光模块", U, &["3976"]),
            node("net.chip", "通信芯片与射频器件", U, &["6520", "3989"]),
            node("net.equipment", "网络与通信设备", M, &["3921"]),
            node("net.security", "网络信息安全", M, &["6440", "3915"]),
            node("net.iot", "物联网平台与模组", M, &["6532", "3922"]),
            node("net.terminal", "通信与智能终端", D, &["3922", "3961"]),
            node("net.service", "网络运营与增值服务", D, &["6319", "6410"]),
        ],
    },
    ChainDef {
        eco: 0,
        code: "ai",
        name: "人工智能与高端软件",
        weight: 30,
        words: ["智能", "软件", "数据", "信息"],
        nodes: &[
            node("ai.compute", "算力与数据中心", U, &["6550", "3911"]),
            node("ai.data", "数据采集与标注", U, &["6550", "6450"]),
            node("ai.model", "大模型与算法", M, &["6513", "6519"]),
            node("ai.basesoft", "基础软件与工业软件", M, &["6511", "6512"]),
            node("ai.cloud", "云计算与大数据平台", M, &["6550", "6431"]),
            node("ai.app", "行业应用软件", D, &["6513", "6560"]),
            node("ai.ecommerce", "电子商务与数字内容", D, &["6432", "6572"]),
        ],
    },
    ChainDef {
        eco: 1,
        code: "biomed",
        name: "生物医药与医疗器械",
        weight: 12,
        words: ["生物", "医疗", "医药", "健康"],
        nodes: &[
            node("biomed.rnd", "创新药研发与CRO", U, &["7340"]),
            node("biomed.material", "原料药与药用辅料", U, &["2710", "2780"]),
            node(
                "biomed.drug",
                "药品与生物制品制造",
                M,
                &["2720", "2761", "2762"],
            ),
            node("biomed.device", "医疗器械与体外诊断", M, &["3581", "3589"]),
            node(
                "biomed.testing",
                "检验检测与合同生产服务",
                M,
                &["7452", "7340"],
            ),
            node("biomed.digital", "智慧医疗与数字健康", D, &["6513", "6560"]),
            node("biomed.service", "医药流通与健康服务", D, &["5151", "5154"]),
        ],
    },
    ChainDef {
        eco: 2,
        code: "icv",
        name: "智能网联汽车与机器人",
        weight: 8,
        words: ["智驾", "机器人", "汽车电子", "智能装备"],
        nodes: &[
            node("icv.sensor", "感知传感器与激光雷达", U, &["3983", "3976"]),
            node("icv.chip", "车规级芯片", U, &["6520"]),
            node("icv.servo", "伺服电机与精密减速器", U, &["3813", "3453"]),
            node("icv.domain", "域控制器与智能座舱", M, &["3670", "3962"]),
            node(
                "icv.autonomy",
                "自动驾驶与运动控制系统",
                M,
                &["6513", "4011"],
            ),
            node("icv.robot", "工业与服务机器人整机", D, &["3491", "3964"]),
            node(
                "icv.mobility",
                "智能网联整车与出行服务",
                D,
                &["3612", "6513"],
            ),
        ],
    },
    ChainDef {
        eco: 3,
        code: "emat",
        name: "先进电子材料",
        weight: 5,
        words: ["新材料", "材料", "电子材料", "纳米"],
        nodes: &[
            node("emat.raw", "高纯原料与前驱体", U, &["2661", "3240"]),
            node("emat.substrate", "半导体衬底与外延材料", U, &["3985"]),
            node("emat.chem", "电子化学品与光刻胶", M, &["2669", "3985"]),
            node("emat.film", "功能薄膜与显示材料", M, &["2921", "3974"]),
            node("emat.composite", "高性能复合材料", M, &["3091", "2659"]),
            node("emat.service", "材料检测与技术服务", D, &["7513", "7452"]),
        ],
    },
    ChainDef {
        eco: 4,
        code: "ness",
        name: "新能源装备与储能",
        weight: 6,
        words: ["能源", "储能", "电力", "新能源"],
        nodes: &[
            node("ness.cell", "电池材料与电芯", U, &["3841", "3849"]),
            node("ness.power", "功率半导体与电力电子", U, &["3824", "3972"]),
            node("ness.pv", "光伏组件与逆变器", M, &["3825"]),
            node("ness.storage", "储能系统集成", M, &["3849", "3829"]),
            node("ness.ems", "电池与能量管理系统", M, &["3829", "6513"]),
            node("ness.charging", "充换电设施", D, &["3829", "3821"]),
            node(
                "ness.vpp",
                "智慧能源与虚拟电厂运营",
                D,
                &["4416", "7515", "7514"],
            ),
        ],
    },
];

/// Industry classes of enterprises on no chain (general tech services).
const GENERAL_INDUSTRIES: &[&str] = &[
    "6513", "6531", "6560", "6579", "7320", "7491", "7519", "7520", "7530", "7540",
];
/// Name words of enterprises on no chain.
const GENERAL_WORDS: [&str; 4] = ["数字", "创新", "互联", "企业服务"];
/// Classes whose enterprises are not technology firms (little R&D, no 高企 tags).
const NON_TECH_INDUSTRIES: &[&str] = &["5151", "5154", "7520", "7530", "7540"];

/// Twelve district government departments: (code, name).
const DEPARTMENTS: [(&str, &str); 12] = [
    ("fgj", "区发展和改革局"),
    ("jxj", "区经济和信息化局"),
    ("kjj", "区科学技术局"),
    ("swj", "区商务局"),
    ("czj", "区财政局"),
    ("rsj", "区人力资源和社会保障局"),
    ("scjgj", "区市场监督管理局"),
    ("ghzyj", "区规划和自然资源分局"),
    ("zjj", "区住房和城乡建设局"),
    ("sjzyj", "区数据资源管理局"),
    ("jrb", "区金融工作办公室"),
    ("sswj", "区税务局"),
];

/// Code of the department the demo department officer belongs to (区经信局).
pub const DEMO_DEPARTMENT_CODE: &str = "jxj";

/// Eight coalition institutions: (code, name, kind). Invented names carry 示例.
const INSTITUTIONS: [(&str, &str, InstitutionKind); 8] = [
    ("zju", "浙江大学", InstitutionKind::University),
    ("hdu", "杭州电子科技大学", InstitutionKind::University),
    ("zjlab", "之江实验室", InstitutionKind::Platform),
    (
        "bj_iri",
        "滨江示例产业创新研究院（示例）",
        InstitutionKind::Platform,
    ),
    ("hzbank_tech", "杭州银行科技支行", InstitutionKind::Bank),
    (
        "demo_bank",
        "示例农商银行高新支行（示例）",
        InstitutionKind::Bank,
    ),
    (
        "guide_fund",
        "滨江示例产业引导基金（示例）",
        InstitutionKind::Fund,
    ),
    (
        "demo_vc",
        "示例创新创业投资基金（示例）",
        InstitutionKind::Fund,
    ),
];

struct StreetDef {
    code: &'static str,
    name: &'static str,
    /// Share of enterprises outside parks.
    weight: u32,
    roads: &'static [&'static str],
    communities: &'static [&'static str],
}

static STREETS: [StreetDef; 3] = [
    StreetDef {
        code: "xixing",
        name: "西兴街道",
        weight: 38,
        roads: &["江南大道", "滨安路", "物联网街", "西兴路"],
        communities: &[
            "示例江汇社区",
            "示例星桥社区",
            "示例闻潮社区",
            "示例物联社区",
            "示例缤纷社区",
        ],
    },
    StreetDef {
        code: "changhe",
        name: "长河街道",
        weight: 32,
        roads: &["长河路", "江虹路", "滨文路", "滨盛路"],
        communities: &[
            "示例长河社区",
            "示例江虹社区",
            "示例山畔社区",
            "示例滨文社区",
        ],
    },
    StreetDef {
        code: "puyan",
        name: "浦沿街道",
        weight: 30,
        roads: &["浦沿路", "东信大道", "六和路", "信诚路"],
        communities: &[
            "示例浦沿社区",
            "示例冠山社区",
            "示例东信社区",
            "示例六和社区",
            "示例新生社区",
        ],
    },
];

struct ParkDef {
    /// Index into [`STREETS`].
    street: usize,
    name: &'static str,
    road: &'static str,
    /// House number of the first building; building `k` is at `first_no + 2k`.
    first_no: u32,
    /// Chain codes the park specialises in.
    focus: &'static [&'static str],
    buildings: &'static [&'static str],
}

static PARKS: [ParkDef; 10] = [
    ParkDef {
        street: 0,
        name: "示例物联网产业园",
        road: "物联网街",
        first_no: 100,
        focus: &["vision", "net", "ai"],
        buildings: &["物联园A座", "物联园B座", "物联园C座", "物联园D座"],
    },
    ParkDef {
        street: 0,
        name: "示例智慧e谷园",
        road: "江南大道",
        first_no: 300,
        focus: &["ai", "net"],
        buildings: &["e谷园1号楼", "e谷园2号楼", "e谷园3号楼"],
    },
    ParkDef {
        street: 0,
        name: "示例数字安防产业园",
        road: "滨安路",
        first_no: 1100,
        focus: &["vision"],
        buildings: &["安防园1号楼", "安防园2号楼", "安防园3号楼"],
    },
    ParkDef {
        street: 1,
        name: "示例软件与人工智能产业园",
        road: "长河路",
        first_no: 400,
        focus: &["ai"],
        buildings: &[
            "软件园1号楼",
            "软件园2号楼",
            "软件园3号楼",
            "软件园4号楼",
            "软件园5号楼",
        ],
    },
    ParkDef {
        street: 1,
        name: "示例智慧医疗产业园",
        road: "江虹路",
        first_no: 600,
        focus: &["biomed"],
        buildings: &["医疗园A座", "医疗园B座", "医疗园C座"],
    },
    ParkDef {
        street: 1,
        name: "示例芯片设计产业园",
        road: "滨文路",
        first_no: 200,
        focus: &["ic", "emat"],
        buildings: &["芯谷园1号楼", "芯谷园2号楼", "芯谷园3号楼"],
    },
    ParkDef {
        street: 2,
        name: "示例高端装备产业园",
        road: "六和路",
        first_no: 800,
        focus: &["icv"],
        buildings: &[
            "装备园1号厂房",
            "装备园2号厂房",
            "装备园3号厂房",
            "装备园研发楼",
        ],
    },
    ParkDef {
        street: 2,
        name: "示例新材料产业园",
        road: "浦沿路",
        first_no: 1500,
        focus: &["emat", "ic"],
        buildings: &["材料园A座", "材料园B座"],
    },
    ParkDef {
        street: 2,
        name: "示例新能源科创园",
        road: "东信大道",
        first_no: 50,
        focus: &["ness"],
        buildings: &["能源园1号楼", "能源园2号楼", "能源园3号楼"],
    },
    ParkDef {
        street: 2,
        name: "示例网络通信产业园",
        road: "信诚路",
        first_no: 60,
        focus: &["net"],
        buildings: &["通信园A座", "通信园B座", "通信园C座"],
    },
];

/// The zone structure: 5 ecosystems, 8 chains, 12 departments, 8 institutions, 3 streets.
pub fn zone() -> ZoneSeed {
    let ecosystems = ECOSYSTEMS
        .iter()
        .enumerate()
        .map(|(e, (code, name))| EcosystemSeed {
            code: (*code).to_string(),
            name: (*name).to_string(),
            chains: CHAINS
                .iter()
                .filter(|c| c.eco == e)
                .map(|c| ChainSeed {
                    code: c.code.to_string(),
                    name: c.name.to_string(),
                    nodes: c
                        .nodes
                        .iter()
                        .map(|n| NodeSeed {
                            code: n.code.to_string(),
                            name: n.name.to_string(),
                            stage: n.stage,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let departments = DEPARTMENTS
        .iter()
        .map(|(code, name)| CodeName {
            code: (*code).to_string(),
            name: (*name).to_string(),
        })
        .collect();
    let institutions = INSTITUTIONS
        .iter()
        .map(|(code, name, kind)| InstitutionSeed {
            code: (*code).to_string(),
            name: (*name).to_string(),
            kind: *kind,
        })
        .collect();
    let streets = STREETS
        .iter()
        .enumerate()
        .map(|(s, st)| StreetSeed {
            code: st.code.to_string(),
            name: st.name.to_string(),
            parks: PARKS
                .iter()
                .filter(|p| p.street == s)
                .map(|p| ParkSeed {
                    name: p.name.to_string(),
                    buildings: p.buildings.iter().map(|b| (*b).to_string()).collect(),
                })
                .collect(),
            communities: st.communities.iter().map(|c| (*c).to_string()).collect(),
        })
        .collect();
    ZoneSeed {
        name: ZONE_NAME.to_string(),
        division_code: DIVISION_CODE.to_string(),
        ecosystems,
        departments,
        institutions,
        streets,
    }
}

// ---------------------------------------------------------------------------------------------
// Demo accounts
// ---------------------------------------------------------------------------------------------

/// One demo account per role.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAccount {
    pub username: &'static str,
    pub password: &'static str,
    pub role: Role,
    pub display_name: &'static str,
    /// Index into the enterprise sequence for the enterprise user (0).
    pub enterprise_index: Option<usize>,
    /// Department code for the department officer (区经信局).
    pub department_code: Option<&'static str>,
}

/// One demo account per role, all with [`DEMO_PASSWORD`].
pub fn accounts() -> Vec<DemoAccount> {
    let a = |username, role, display_name| DemoAccount {
        username,
        password: DEMO_PASSWORD,
        role,
        display_name,
        enterprise_index: None,
        department_code: None,
    };
    vec![
        a("admin", Role::Admin, "区委组织部管理员（示例）"),
        DemoAccount {
            department_code: Some(DEMO_DEPARTMENT_CODE),
            ..a("dept", Role::Department, "区经信局工作人员（示例）")
        },
        a("team", Role::Team, "红色店小二服务队员（示例）"),
        a("secretary", Role::PartySecretary, "企业党支部书记（示例）"),
        DemoAccount {
            enterprise_index: Some(0),
            ..a("ent", Role::Enterprise, "企业联络员（示例）")
        },
        DemoAccount {
            department_code: Some("hzbank_tech"),
            ..a("bank", Role::Finance, "科技支行客户经理（示例）")
        },
        a("provider", Role::Provider, "惠企服务商（示例）"),
    ]
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------------

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn for_item(seed_mix: u64, index: u64) -> Rng {
        Rng(mix64(seed_mix ^ index.wrapping_mul(GOLDEN)))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as usize) as i64
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Index drawn with the given relative weights (at least one positive).
    fn weighted(&mut self, weights: impl Iterator<Item = u32> + Clone) -> usize {
        let total: u64 = weights.clone().map(u64::from).sum();
        let mut x = self.below(total.max(1) as usize) as u64;
        let mut last = 0;
        for (i, w) in weights.enumerate() {
            let w = u64::from(w);
            if x < w {
                return i;
            }
            x -= w;
            last = i;
        }
        last
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// `ratio^u` for `u` in `[0, 1]`, using only square roots and products (exactly rounded in IEEE
/// 754, so identical on every platform), with `u` quantised to 1/65536.
fn pow_frac(ratio: f64, u: f64) -> f64 {
    if u >= 1.0 {
        return ratio;
    }
    let q = (u.max(0.0) * 65536.0) as u32;
    let mut r = ratio;
    let mut acc = 1.0;
    for bit in (0..16).rev() {
        r = r.sqrt();
        if q & (1 << bit) != 0 {
            acc *= r;
        }
    }
    acc
}

/// Log-uniform value in `[lo, hi)` at position `u` in `[0, 1)`.
fn log_between(lo: f64, hi: f64, u: f64) -> f64 {
    lo * pow_frac(hi / lo, u)
}

// ---------------------------------------------------------------------------------------------
// Size bands (国统字〔2017〕213号 thresholds by sector), used to draw coherent figures
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sector {
    Industrial,
    Wholesale,
    InfoTransmission,
    Software,
    Other,
}

fn sector_of(division: u8) -> Sector {
    match division {
        6..=46 => Sector::Industrial,
        51 => Sector::Wholesale,
        63 | 64 => Sector::InfoTransmission,
        65 => Sector::Software,
        _ => Sector::Other,
    }
}

/// Lower bounds (small, medium, large): headcount, and revenue in 万元 where the sector uses it.
struct Thresholds {
    heads: [i64; 3],
    revenue_wan: Option<[i64; 3]>,
}

fn thresholds(sector: Sector) -> Thresholds {
    match sector {
        Sector::Industrial => Thresholds {
            heads: [20, 300, 1000],
            revenue_wan: Some([300, 2000, 40000]),
        },
        Sector::Wholesale => Thresholds {
            heads: [5, 20, 200],
            revenue_wan: Some([1000, 5000, 40000]),
        },
        Sector::InfoTransmission => Thresholds {
            heads: [10, 100, 2000],
            revenue_wan: Some([100, 1000, 100000]),
        },
        Sector::Software => Thresholds {
            heads: [10, 100, 300],
            revenue_wan: Some([50, 1000, 10000]),
        },
        Sector::Other => Thresholds {
            heads: [10, 100, 300],
            revenue_wan: None,
        },
    }
}

/// Target band: 0 micro, 1 small, 2 medium, 3 large (per mille: 360, 360, 255, 25).
const BAND_WEIGHTS: [u32; 4] = [360, 360, 255, 25];

// ---------------------------------------------------------------------------------------------
// Name parts
// ---------------------------------------------------------------------------------------------

/// First character of the trade name (字号).
const CORE1: [&str; 60] = [
    "智", "芯", "云", "数", "睿", "联", "启", "星", "博", "鼎", "恒", "微", "极", "光", "和", "信",
    "达", "源", "锐", "捷", "思", "明", "卓", "正", "远", "瑞", "英", "泰", "嘉", "晨", "峰", "润",
    "凯", "沛", "域", "格", "德", "景", "优", "迅", "诺", "致", "耀", "聚", "翼", "逸", "弘", "湛",
    "麟", "澄", "钛", "量", "凌", "昊", "炬", "舜", "奕", "霖", "清", "安",
];

/// Second character of the trade name; disjoint from [`CORE1`].
const CORE2: [&str; 60] = [
    "图", "元", "链", "擎", "途", "泽", "澜", "川", "禾", "屹", "驰", "航", "拓", "朗", "盛", "衡",
    "辰", "岳", "沐", "湃", "瀚", "越", "麒", "锋", "帆", "钧", "璟", "昇", "邦", "策", "研", "创",
    "行", "慧", "迈", "象", "序", "纬", "维", "瓴", "晟", "熠", "溯", "桥", "墨", "舟", "翎", "岚",
    "羽", "杉", "宸", "铭", "轩", "琪", "琨", "峻", "涵", "遥", "晖", "霆",
];

/// Legal-form endings for most enterprises.
const FORMS_PLAIN: [&str; 3] = ["科技有限公司", "技术有限公司", "有限公司"];
/// Legal-form endings for large or listed enterprises.
const FORMS_SHARE: [&str; 3] = ["科技股份有限公司", "技术股份有限公司", "股份有限公司"];

/// Size of the name space before a numbered marker is needed: 60 × 60 × 4 words × 3 forms.
const NAME_SPACE: u64 = 60 * 60 * 4 * 3;
/// Multiplier of the name permutation (coprime to [`NAME_SPACE`] = 2⁶·3³·5²).
const NAME_MUL: u64 = 7919;

/// 31⁶: size of the credit-code body space after `MA` (position 17 is the GB 11714 check).
const USCC_SPACE: u64 = 887_503_681;
/// Multiplier of the credit-code permutation (coprime to 31).
const USCC_MUL: u64 = 9_876_543_211;
const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

const SURNAMES: [&str; 40] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "沈", "叶", "蒋", "蔡", "余", "潘", "杜", "钱",
];

const GIVEN: [&str; 40] = [
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "杰", "婷", "强", "军", "平", "刚", "桂", "丽",
    "浩", "宇", "欣", "怡", "晨", "涛", "斌", "辉", "鹏", "华", "琳", "颖", "雪", "佳", "俊", "峰",
    "倩", "明", "超", "萍", "阳", "帆", "楠", "瑶",
];

const MOBILE_PREFIXES: [&str; 24] = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "180", "181", "186", "187", "188", "189",
];

/// Ownership types with weights per mille (names from `OWNERSHIP_TYPES`).
const OWNERSHIP_WEIGHTS: [(&str, u32); 7] = [
    ("民营企业", 870),
    ("外商投资企业", 45),
    ("港澳台投资企业", 30),
    ("混合所有制企业", 25),
    ("国有企业", 18),
    ("集体企业", 3),
    ("其他", 9),
];

// ---------------------------------------------------------------------------------------------
// Enterprise generator
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Coded {
    code: IndustryCode,
    sector: Sector,
    tech: bool,
}

fn coded(list: &[&str]) -> Vec<Coded> {
    list.iter()
        .filter_map(|s| {
            let code = IndustryCode::parse(s).ok()?;
            let division: u8 = s.get(..2)?.parse().ok()?;
            Some(Coded {
                code,
                sector: sector_of(division),
                tech: !NON_TECH_INDUSTRIES.contains(s),
            })
        })
        .collect()
}

struct Generator {
    seed_mix: u64,
    name_offset: u64,
    uscc_offset: u64,
    /// Parsed industry classes per chain, per node.
    node_codes: Vec<Vec<Vec<Coded>>>,
    general_codes: Vec<Coded>,
    first_day: NaiveDate,
    span_days: i64,
}

/// Registration dates fall in this window.
fn date_window() -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(1995, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or(first);
    (first, last)
}

const WAN: f64 = 10_000.0;

impl Generator {
    fn new(seed: u64) -> Generator {
        let (first_day, last_day) = date_window();
        Generator {
            seed_mix: mix64(seed ^ 0x6C69_616E_7368_6921),
            name_offset: mix64(seed.wrapping_add(1)) % NAME_SPACE,
            uscc_offset: mix64(seed.wrapping_add(2)) % USCC_SPACE,
            node_codes: CHAINS
                .iter()
                .map(|c| c.nodes.iter().map(|n| coded(n.industries)).collect())
                .collect(),
            general_codes: coded(GENERAL_INDUSTRIES),
            first_day,
            span_days: (last_day - first_day).num_days(),
        }
    }

    fn uscc(&self, index: u64) -> Option<Uscc> {
        let mut x = ((u128::from(index) * u128::from(USCC_MUL) + u128::from(self.uscc_offset))
            % u128::from(USCC_SPACE)) as u64;
        let mut body = [b'0'; 6];
        for slot in body.iter_mut().rev() {
            *slot = USCC_CHARS[(x % 31) as usize];
            x /= 31;
        }
        let mut first17 = String::with_capacity(17);
        first17.push_str("91");
        first17.push_str(DIVISION_CODE);
        first17.push_str("MA");
        first17.extend(body.iter().map(|b| char::from(*b)));
        // Position 17 carries the organisation-code check, as on real licences.
        first17.push(crate::uscc::org_check_char(&first17[8..16])?);
        Uscc::with_check(&first17).ok()
    }

    fn make(&self, index: usize) -> EnterpriseDraft {
        let i = index as u64;
        let mut rng = Rng::for_item(self.seed_mix, i);

        // Chains and nodes: ~10% none, ~75% one chain, ~15% two chains; 1–3 nodes in all.
        let mut chain_nodes: Vec<String> = Vec::with_capacity(3);
        let r = rng.unit();
        let primary = if r < 0.10 {
            None
        } else {
            let c = rng.weighted(CHAINS.iter().map(|c| c.weight));
            let nodes = CHAINS[c].nodes;
            let n = rng.below(nodes.len());
            chain_nodes.push(nodes[n].code.to_string());
            if rng.chance(0.25) {
                let m = if n + 1 < nodes.len() && (n == 0 || rng.chance(0.5)) {
                    n + 1
                } else {
                    n - 1
                };
                chain_nodes.push(nodes[m].code.to_string());
            }
            if r >= 0.85 {
                let other = rng.weighted(
                    CHAINS
                        .iter()
                        .enumerate()
                        .map(|(k, ch)| if k == c { 0 } else { ch.weight }),
                );
                chain_nodes.push(rng.pick(CHAINS[other].nodes).code.to_string());
            }
            Some((c, n))
        };

        // Industry class follows the primary node.
        let codes = match primary {
            Some((c, n)) => &self.node_codes[c][n],
            None => &self.general_codes,
        };
        let industry = if codes.is_empty() {
            None
        } else {
            Some(rng.pick(codes))
        };
        let sector = industry.map_or(Sector::Software, |c| c.sector);
        let tech = industry.is_none_or(|c| c.tech);

        // Size band, then headcount and revenue inside the band's thresholds.
        let band = rng.weighted(BAND_WEIGHTS.iter().copied());
        let th = thresholds(sector);
        let (h_lo, h_hi) = match band {
            0 => (1, th.heads[0] - 1),
            1 => (th.heads[0], th.heads[1] - 1),
            2 => (th.heads[1], th.heads[2] - 1),
            _ => (th.heads[2], th.heads[2] * 12),
        };
        let r1 = rng.unit();
        let u_heads = r1 * r1.sqrt();
        let headcount =
            (log_between(h_lo as f64, (h_hi + 1) as f64, u_heads) as i64).clamp(h_lo, h_hi);
        let u_rev = (u_heads + (rng.unit() - 0.5) * 0.6).clamp(0.0, 0.999_9);
        let revenue_yuan = match th.revenue_wan {
            Some(rw) => {
                let (lo, hi) = match band {
                    0 => (5.0, rw[0] as f64),
                    1 => (rw[0] as f64, rw[1] as f64),
                    2 => (rw[1] as f64, rw[2] as f64),
                    _ => (rw[2] as f64, rw[2] as f64 * 15.0),
                };
                (log_between(lo, hi, u_rev) * WAN) as i64
            }
            None => (headcount as f64 * log_between(12.0, 60.0, u_rev) * WAN) as i64,
        };
        let revenue_wan = revenue_yuan / 10_000;

        // Registration date: skewed recent; larger firms are older.
        let u = rng.unit();
        let (min_age, shape) = match band {
            0 => (0, u * u * u.sqrt()),
            1 => (0, u * u),
            2 => (730, u * u.sqrt()),
            _ => (1826, u),
        };
        let age_days = min_age + ((self.span_days - min_age) as f64 * shape) as i64;
        let registered_on = self
            .first_day
            .checked_add_days(Days::new((self.span_days - age_days).max(0) as u64));
        let age_years = age_days / 365;

        // Tags.
        let sme = band < 3 && headcount <= 500 && revenue_wan <= 20_000;
        let hnte = tech
            && age_days >= 365
            && rng.chance(match band {
                0 => 0.20,
                1 => 0.42,
                2 => 0.62,
                _ => 0.78,
            });
        let tsme = tech && sme && rng.chance(if hnte { 0.65 } else { 0.33 });
        let innovative = tech && sme && rng.chance(if hnte { 0.30 } else { 0.10 });
        let specialised = tech
            && sme
            && band >= 1
            && revenue_wan >= 1000
            && age_years >= 2
            && rng.chance(if band == 2 { 0.34 } else { 0.38 });
        let little_giant = specialised && band == 2 && rng.chance(0.06);
        let chain_leader = band == 3 && primary.is_some() && rng.chance(0.20);
        let listed = rng.chance(match band {
            3 => 0.30,
            2 => 0.016,
            1 => 0.0005,
            _ => 0.0,
        });
        let gazelle = tech && (1..=2).contains(&band) && age_years <= 10 && rng.chance(0.07);
        let unicorn = tech && band >= 2 && age_years <= 10 && !listed && rng.chance(0.004);
        let above_scale = revenue_wan >= 2000;
        let mut tags: Vec<String> = Vec::with_capacity(4);
        for (on, tag) in [
            (hnte, "高新技术企业"),
            (specialised, "专精特新"),
            (little_giant, "专精特新小巨人"),
            (tsme, "科技型中小企业"),
            (innovative, "创新型中小企业"),
            (chain_leader, "链主企业"),
            (listed, "上市企业"),
            (gazelle, "瞪羚企业"),
            (unicorn, "独角兽企业"),
            (above_scale, "规上企业"),
        ] {
            if on {
                tags.push(tag.to_string());
            }
        }

        // Tech staff, R&D and tax, consistent with the tags.
        let share = if tech {
            match sector {
                Sector::Industrial => 0.10 + 0.35 * rng.unit(),
                Sector::Wholesale => 0.02 + 0.10 * rng.unit(),
                _ => 0.25 + 0.55 * rng.unit(),
            }
        } else {
            0.10 * rng.unit()
        };
        let share = if hnte || tsme { share.max(0.15) } else { share };
        let tech_staff = ((headcount as f64 * share) as i64).clamp(0, headcount);
        let r = rng.unit();
        let mut rd_ratio = if tech { 0.02 + 0.13 * r * r } else { 0.02 * r };
        if hnte {
            let floor = if revenue_wan <= 5000 {
                0.05
            } else if revenue_wan <= 20_000 {
                0.04
            } else {
                0.03
            };
            rd_ratio = rd_ratio.max(floor + 0.01 * rng.unit());
        }
        if specialised {
            rd_ratio = rd_ratio.max(0.03);
        }
        let mut rd_yuan = (revenue_yuan as f64 * rd_ratio) as i64;
        if specialised {
            rd_yuan = rd_yuan.max(1_000_000);
        }
        let tax_yuan = (revenue_yuan as f64 * (0.01 + 0.07 * rng.unit())) as i64;

        // Name: unique through a permutation of the index over the name space.
        let j = (i % NAME_SPACE * NAME_MUL + self.name_offset) % NAME_SPACE;
        let generation = i / NAME_SPACE;
        let words = match primary {
            Some((c, _)) => &CHAINS[c].words,
            None => &GENERAL_WORDS,
        };
        let region = if rng.chance(0.88) { "杭州" } else { "浙江" };
        let forms = if band == 3 || listed {
            &FORMS_SHARE
        } else {
            &FORMS_PLAIN
        };
        let mut name = String::with_capacity(64);
        name.push_str(region);
        name.push_str(CORE1[(j % 60) as usize]);
        name.push_str(CORE2[(j / 60 % 60) as usize]);
        name.push_str(words[(j / 3600 % 4) as usize]);
        name.push_str(forms[(j / 14400 % 3) as usize]);
        if generation == 0 {
            name.push_str("（示例）");
        } else {
            let _ = write!(name, "（示例{}）", generation + 1);
        }

        // Location: ~82% in a park (preferring parks focused on the chain), else a street address.
        let in_park = rng.chance(0.82);
        let (street, park, building, address) = if in_park {
            let focused = primary.is_some_and(|_| rng.chance(0.6));
            let chain_code = primary.map(|(c, _)| CHAINS[c].code);
            let p = rng.weighted(PARKS.iter().map(|p| {
                let fits = chain_code.is_some_and(|cc| p.focus.contains(&cc));
                if focused && !fits {
                    0
                } else {
                    p.buildings.len() as u32
                }
            }));
            let park = &PARKS[p];
            let b = rng.below(park.buildings.len());
            let floor = rng.range(1, 22);
            let room = rng.range(1, 20);
            let mut address = String::with_capacity(80);
            let _ = write!(
                address,
                "浙江省杭州市滨江区{}{}号{}{}{:02}室",
                park.road,
                park.first_no + 2 * b as u32,
                park.buildings[b],
                floor,
                room
            );
            (
                STREETS[park.street].name,
                Some(park.name.to_string()),
                Some(park.buildings[b].to_string()),
                address,
            )
        } else {
            let s = rng.weighted(STREETS.iter().map(|s| s.weight));
            let road = rng.pick(STREETS[s].roads);
            let no = rng.range(1, 1999);
            (
                STREETS[s].name,
                None,
                None,
                format!("浙江省杭州市滨江区{road}{no}号"),
            )
        };

        // Ownership, contact.
        let ownership = OWNERSHIP_WEIGHTS[rng.weighted(OWNERSHIP_WEIGHTS.iter().map(|o| o.1))].0;
        let surname = rng.pick(&SURNAMES);
        let mut contact = String::with_capacity(12);
        contact.push_str(surname);
        if rng.chance(0.35) {
            contact.push_str(if rng.chance(0.55) { "先生" } else { "女士" });
        } else {
            contact.push_str(rng.pick::<&str>(&GIVEN));
            if rng.chance(0.6) {
                contact.push_str(rng.pick::<&str>(&GIVEN));
            }
        }
        let mut phone = String::with_capacity(11);
        phone.push_str(rng.pick::<&str>(&MOBILE_PREFIXES));
        let _ = write!(phone, "{:08}", rng.below(100_000_000));

        EnterpriseDraft {
            uscc: self.uscc(i),
            name,
            industry_code: industry.map(|c| c.code.clone()),
            registered_on,
            ownership: Some(ownership.to_string()),
            street: Some(street.to_string()),
            park,
            building,
            address: Some(address),
            chain_nodes,
            headcount: Some(headcount),
            tech_staff: Some(tech_staff),
            revenue: Some(Money(revenue_yuan * 100)),
            rd_spend: Some(Money(rd_yuan * 100)),
            tax_paid: Some(Money(tax_yuan * 100)),
            tags,
            contact_name: Some(contact),
            contact_phone: Some(phone),
        }
    }
}

/// `n` synthetic enterprises, deterministic for `(seed, n)`; enterprise `i` depends only on
/// `(seed, i)`. Streams: nothing is collected.
pub fn enterprises(seed: u64, n: usize) -> impl ExactSizeIterator<Item = EnterpriseDraft> {
    let generator = Generator::new(seed);
    (0..n).map(move |i| generator.make(i))
}

/// One import-template row of a draft: the columns of [`COLUMNS`] in order, chain nodes as node
/// codes joined by "；", money in 元 — what an operator's spreadsheet of these enterprises holds.
/// Tests and benchmarks write import files with it.
pub fn template_row(d: &EnterpriseDraft) -> Vec<String> {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let m = |v: Option<Money>| v.map(|x| x.yuan_string()).unwrap_or_default();
    COLUMNS
        .iter()
        .map(|c| match c.key {
            "uscc" => d
                .uscc
                .as_ref()
                .map(|u| u.as_str().to_string())
                .unwrap_or_default(),
            "name" => d.name.clone(),
            "industry_code" => d
                .industry_code
                .as_ref()
                .map(|c| c.code().to_string())
                .unwrap_or_default(),
            "registered_on" => d.registered_on.map(|r| r.to_string()).unwrap_or_default(),
            "ownership" => s(&d.ownership),
            "street" => s(&d.street),
            "park" => s(&d.park),
            "building" => s(&d.building),
            "address" => s(&d.address),
            "chain_nodes" => d.chain_nodes.join("；"),
            "headcount" => n(d.headcount),
            "tech_staff" => n(d.tech_staff),
            "revenue_yuan" => m(d.revenue),
            "rd_spend_yuan" => m(d.rd_spend),
            "tax_paid_yuan" => m(d.tax_paid),
            "tags" => d.tags.join("；"),
            "contact_name" => s(&d.contact_name),
            "contact_phone" => s(&d.contact_phone),
            _ => String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enterprise::{EnterpriseInput, KNOWN_TAGS, OWNERSHIP_TYPES};
    use crate::size::{SizeBand, classify};
    use std::collections::{HashMap, HashSet};

    fn all_node_codes(z: &ZoneSeed) -> HashSet<String> {
        z.ecosystems
            .iter()
            .flat_map(|e| &e.chains)
            .flat_map(|c| &c.nodes)
            .map(|n| n.code.clone())
            .collect()
    }

    #[test]
    fn a_template_row_validates_back_to_the_same_draft() {
        let today = NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
        for d in enterprises(5, 200) {
            let row = template_row(&d);
            assert_eq!(row.len(), COLUMNS.len());
            let mut input = crate::enterprise::EnterpriseInput::default();
            for (c, v) in COLUMNS.iter().zip(row) {
                if !v.is_empty() {
                    assert!(input.set_field(c.key, v), "{}", c.key);
                }
            }
            let back = input.validate(today, true).unwrap();
            assert_eq!(back.uscc, d.uscc);
            assert_eq!(back.name, d.name);
            assert_eq!(back.revenue, d.revenue);
            assert_eq!(back.tax_paid, d.tax_paid);
            assert_eq!(back.headcount, d.headcount);
            assert_eq!(back.tags, d.tags);
            assert_eq!(back.chain_nodes, d.chain_nodes);
        }
    }

    #[test]
    fn the_zone_has_five_ecosystems_eight_chains_and_every_ecosystem_has_a_chain() {
        let z = zone();
        assert_eq!(z.division_code, "330108");
        assert!(z.name.contains("示例"));
        assert_eq!(z.ecosystems.len(), 5);
        let codes: Vec<_> = z.ecosystems.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["iot", "bio", "equip", "material", "energy"]);
        assert!(z.ecosystems.iter().all(|e| !e.chains.is_empty()));
        assert_eq!(
            z.ecosystems.iter().map(|e| e.chains.len()).sum::<usize>(),
            8
        );
    }

    #[test]
    fn the_zone_has_twelve_departments_and_eight_institutions_covering_all_kinds() {
        let z = zone();
        assert_eq!(z.departments.len(), 12);
        let dept_codes: HashSet<_> = z.departments.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(dept_codes.len(), 12);
        assert!(dept_codes.contains(DEMO_DEPARTMENT_CODE));
        assert_eq!(z.institutions.len(), 8);
        for kind in InstitutionKind::ALL {
            assert!(z.institutions.iter().any(|i| i.kind == kind), "no {kind:?}");
        }
    }

    #[test]
    fn the_zone_has_three_streets_with_parks_buildings_and_communities() {
        let z = zone();
        let codes: Vec<_> = z.streets.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["xixing", "changhe", "puyan"]);
        let mut buildings = HashSet::new();
        for s in &z.streets {
            assert!((2..=4).contains(&s.parks.len()), "{}", s.name);
            assert!((3..=6).contains(&s.communities.len()), "{}", s.name);
            for p in &s.parks {
                assert!((2..=5).contains(&p.buildings.len()), "{}", p.name);
                assert!(p.name.contains("示例"));
                for b in &p.buildings {
                    assert!(buildings.insert(b.clone()), "building {b} twice");
                }
            }
        }
    }

    #[test]
    fn every_chain_has_five_to_eight_nodes_in_non_decreasing_stage_order() {
        for c in zone().ecosystems.iter().flat_map(|e| &e.chains) {
            assert!((5..=8).contains(&c.nodes.len()), "{}", c.code);
            assert!(
                c.nodes.windows(2).all(|w| w[0].stage <= w[1].stage),
                "{}",
                c.code
            );
            assert_eq!(c.nodes[0].stage, Stage::Upstream, "{}", c.code);
            assert_eq!(
                c.nodes[c.nodes.len() - 1].stage,
                Stage::Downstream,
                "{}",
                c.code
            );
        }
    }

    #[test]
    fn node_codes_are_unique_ascii_and_prefixed_by_their_chain() {
        let z = zone();
        let mut seen = HashSet::new();
        for c in z.ecosystems.iter().flat_map(|e| &e.chains) {
            assert!(c.code.is_ascii());
            for n in &c.nodes {
                assert!(n.code.is_ascii());
                assert!(n.code.starts_with(&format!("{}.", c.code)), "{}", n.code);
                assert!(seen.insert(n.code.clone()), "{} twice", n.code);
            }
        }
    }

    #[test]
    fn every_industry_code_in_the_tables_parses() {
        let all = CHAINS
            .iter()
            .flat_map(|c| c.nodes)
            .flat_map(|n| n.industries)
            .chain(GENERAL_INDUSTRIES);
        for code in all {
            assert!(
                IndustryCode::parse(code).is_ok(),
                "industry code {code} refused"
            );
        }
    }

    #[test]
    fn name_parts_are_distinct_so_names_can_be_unique() {
        let c1: HashSet<_> = CORE1.iter().collect();
        let c2: HashSet<_> = CORE2.iter().collect();
        assert_eq!(c1.len(), 60);
        assert_eq!(c2.len(), 60);
        assert!(c1.is_disjoint(&c2));
        let words: Vec<_> = CHAINS
            .iter()
            .flat_map(|c| c.words)
            .chain(GENERAL_WORDS)
            .collect();
        assert_eq!(words.iter().collect::<HashSet<_>>().len(), words.len());
    }

    #[test]
    fn generation_is_deterministic_for_a_seed_and_differs_for_another_seed() {
        let a: Vec<_> = enterprises(42, 300).collect();
        let b: Vec<_> = enterprises(42, 300).collect();
        let c: Vec<_> = enterprises(43, 300).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let prefix: Vec<_> = enterprises(42, 100).collect();
        assert_eq!(prefix[..], a[..100]);
    }

    #[test]
    fn a_fixed_seed_yields_pinned_enterprises_on_every_platform() {
        // Golden values: only exactly rounded float operations are used, so these hold on every
        // platform and in debug and release alike. Changing the tables or the draw order changes
        // them on purpose; update the values then.
        let got: Vec<_> = enterprises(2026, 3)
            .map(|e| {
                (
                    e.uscc.map(|u| u.as_str().to_string()),
                    e.name,
                    e.headcount,
                    e.revenue.map(|m| m.0),
                    e.registered_on.map(|d| d.to_string()),
                    e.chain_nodes,
                )
            })
            .collect();
        let expect = |u: &str, n: &str, h, r, d: &str, c: &str| {
            (
                Some(u.to_string()),
                n.to_string(),
                Some(h),
                Some(r),
                Some(d.to_string()),
                vec![c.to_string()],
            )
        };
        assert_eq!(
            got[0],
            expect(
                "91330108MARCXGUJ7F",
                "杭州泰瓴影像技术有限公司（示例）",
                196,
                1_467_401_300,
                "2025-07-13",
                "vision.sensor"
            )
        );
        assert_eq!(
            got[2],
            expect(
                "91330108MA2BT1CQ06",
                "杭州瑞擎健康有限公司（示例）",
                20,
                479_107_700,
                "2022-11-09",
                "biomed.material"
            )
        );
    }

    #[test]
    fn every_uscc_parses_and_is_unique_over_200_000() {
        let mut seen = HashSet::with_capacity(200_000);
        for e in enterprises(7, 200_000) {
            let u = e.uscc.expect("credit code");
            assert!(Uscc::parse(u.as_str()).is_ok(), "{}", u.as_str());
            assert!(u.as_str().starts_with("91330108MA"));
            assert!(seen.insert(u.as_str().to_string()), "{} twice", u.as_str());
        }
    }

    #[test]
    fn names_are_unique_over_200_000_and_marked_as_examples() {
        let mut seen = HashSet::with_capacity(200_000);
        for e in enterprises(11, 200_000) {
            assert!(e.name.contains("（示例"), "{}", e.name);
            assert!(e.name.chars().count() <= 100);
            assert!(seen.insert(e.name.clone()), "{} twice", e.name);
        }
    }

    #[test]
    fn every_enterprise_chain_node_exists_in_the_zone() {
        let codes = all_node_codes(&zone());
        for e in enterprises(3, 20_000) {
            assert!(e.chain_nodes.len() <= 3);
            let distinct: HashSet<_> = e.chain_nodes.iter().collect();
            assert_eq!(distinct.len(), e.chain_nodes.len(), "{:?}", e.chain_nodes);
            for n in &e.chain_nodes {
                assert!(codes.contains(n), "unknown node {n}");
            }
        }
    }

    #[test]
    fn chain_membership_shares_are_realistic() {
        let n = 20_000;
        let (mut none, mut two) = (0, 0);
        for e in enterprises(5, n) {
            let chains: HashSet<_> = e
                .chain_nodes
                .iter()
                .filter_map(|c| c.split('.').next())
                .collect();
            match chains.len() {
                0 => none += 1,
                2 => two += 1,
                _ => {}
            }
        }
        let (none, two) = (none as f64 / n as f64, two as f64 / n as f64);
        assert!((0.08..0.12).contains(&none), "no chain: {none}");
        assert!((0.12..0.18).contains(&two), "two chains: {two}");
    }

    #[test]
    fn large_enterprises_are_between_one_and_five_percent_of_20_000() {
        let n = 20_000;
        let mut bands: HashMap<SizeBand, usize> = HashMap::new();
        for e in enterprises(9, n) {
            let division = e.industry_code.as_ref().map(|c| c.division());
            let band = classify(division, e.headcount, e.revenue.map(|m| m.0)).expect("size band");
            *bands.entry(band).or_default() += 1;
        }
        let large = bands.get(&SizeBand::Large).copied().unwrap_or(0) as f64 / n as f64;
        assert!(
            (0.01..=0.05).contains(&large),
            "large share {large}: {bands:?}"
        );
        let small = (bands.get(&SizeBand::Micro).copied().unwrap_or(0)
            + bands.get(&SizeBand::Small).copied().unwrap_or(0)) as f64
            / n as f64;
        assert!(
            (0.6..0.8).contains(&small),
            "micro+small share {small}: {bands:?}"
        );
    }

    #[test]
    fn tag_frequencies_are_realistic() {
        let n = 20_000;
        let mut counts: HashMap<String, usize> = HashMap::new();
        for e in enterprises(13, n) {
            for t in &e.tags {
                assert!(KNOWN_TAGS.contains(&t.as_str()), "{t}");
                *counts.entry(t.clone()).or_default() += 1;
            }
            let leader = e.tags.iter().any(|t| t == "链主企业");
            if leader {
                assert!(!e.chain_nodes.is_empty());
            }
            let above = e.revenue.is_some_and(|m| m.0 >= 2_000 * 10_000 * 100);
            assert_eq!(above, e.tags.iter().any(|t| t == "规上企业"), "{}", e.name);
        }
        let share = |t: &str| counts.get(t).copied().unwrap_or(0) as f64 / n as f64;
        assert!((0.25..=0.45).contains(&share("高新技术企业")), "{counts:?}");
        assert!(
            (0.30..=0.50).contains(&share("科技型中小企业")),
            "{counts:?}"
        );
        assert!((0.04..=0.12).contains(&share("专精特新")), "{counts:?}");
        assert!((0.002..=0.01).contains(&share("链主企业")), "{counts:?}");
        assert!((0.005..=0.02).contains(&share("上市企业")), "{counts:?}");
    }

    #[test]
    fn chain_leaders_are_large_enterprises() {
        for e in enterprises(17, 20_000).filter(|e| e.tags.iter().any(|t| t == "链主企业")) {
            let division = e.industry_code.as_ref().map(|c| c.division());
            assert_eq!(
                classify(division, e.headcount, e.revenue.map(|m| m.0)),
                Some(SizeBand::Large),
                "{}",
                e.name
            );
        }
    }

    #[test]
    fn locations_are_consistent_with_the_zone() {
        let z = zone();
        for e in enterprises(19, 5_000) {
            let street = z
                .streets
                .iter()
                .find(|s| Some(&s.name) == e.street.as_ref())
                .expect("known street");
            if let Some(park) = &e.park {
                let p = street
                    .parks
                    .iter()
                    .find(|p| &p.name == park)
                    .expect("park in street");
                let b = e.building.as_ref().expect("building");
                assert!(p.buildings.contains(b), "{b} not in {park}");
                assert!(e.address.as_ref().is_some_and(|a| a.contains(b.as_str())));
            } else {
                assert!(e.building.is_none());
            }
            assert!(
                e.address
                    .as_ref()
                    .is_some_and(|a| a.starts_with("浙江省杭州市滨江区"))
            );
        }
    }

    #[test]
    fn every_draft_passes_enterprise_input_validation_unchanged() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let (first, last) = date_window();
        let yuan = |m: Option<Money>| m.map(|m| format!("{}.{:02}", m.0 / 100, m.0 % 100));
        for e in enterprises(23, 3_000) {
            let h = e.headcount.expect("headcount");
            let t = e.tech_staff.expect("tech staff");
            assert!(0 <= t && t <= h && h >= 1);
            for m in [e.revenue, e.rd_spend, e.tax_paid] {
                assert!(m.expect("money").0 >= 0);
            }
            let d = e.registered_on.expect("date");
            assert!(first <= d && d <= last);
            assert!(OWNERSHIP_TYPES.contains(&e.ownership.as_deref().expect("ownership")));
            let phone = e.contact_phone.as_deref().expect("phone");
            assert!(phone.len() == 11 && phone.starts_with('1'));
            let input = EnterpriseInput {
                uscc: e.uscc.as_ref().map(|u| u.as_str().to_string()),
                name: Some(e.name.clone()),
                industry_code: e.industry_code.as_ref().map(|c| c.code().to_string()),
                registered_on: e.registered_on.map(|d| d.to_string()),
                ownership: e.ownership.clone(),
                street: e.street.clone(),
                park: e.park.clone(),
                building: e.building.clone(),
                address: e.address.clone(),
                chain_nodes: Some(e.chain_nodes.clone()),
                headcount: e.headcount.map(|v| v.to_string()),
                tech_staff: e.tech_staff.map(|v| v.to_string()),
                revenue_yuan: yuan(e.revenue),
                rd_spend_yuan: yuan(e.rd_spend),
                tax_paid_yuan: yuan(e.tax_paid),
                tags: Some(e.tags.clone()),
                contact_name: e.contact_name.clone(),
                contact_phone: e.contact_phone.clone(),
            };
            match input.validate(today, true) {
                Ok(v) => assert_eq!(v, e),
                Err(errs) => panic!("{} refused: {errs:?}", e.name),
            }
        }
    }

    #[test]
    fn there_is_one_demo_account_per_role() {
        let accounts = accounts();
        assert_eq!(accounts.len(), Role::ALL.len());
        for role in Role::ALL {
            assert_eq!(
                accounts.iter().filter(|a| a.role == role).count(),
                1,
                "{role}"
            );
        }
        let names: HashSet<_> = accounts.iter().map(|a| a.username).collect();
        assert_eq!(names.len(), accounts.len());
        let ent = accounts
            .iter()
            .find(|a| a.role == Role::Enterprise)
            .expect("enterprise");
        assert_eq!(ent.enterprise_index, Some(0));
        let dept = accounts
            .iter()
            .find(|a| a.role == Role::Department)
            .expect("department");
        let z = zone();
        assert!(
            z.departments
                .iter()
                .any(|d| Some(d.code.as_str()) == dept.department_code)
        );
        assert!(accounts.iter().all(|a| a.password == DEMO_PASSWORD));
    }

    #[test]
    fn demo_credit_codes_carry_a_valid_organisation_code_check() {
        for e in enterprises(5, 2_000) {
            let u = e.uscc.expect("code");
            assert_eq!(u.org_code_warning(), None, "{u}");
        }
    }
}
