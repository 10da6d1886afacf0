//! 国民经济行业分类 (GB/T 4754-2017, including its 2019 amendment which changed no division):
//! the 20 门类 (sections A–T), the 97 大类 (divisions 01–97), and a small table of 中类/小类
//! (3- and 4-digit groups and classes) that matter in a high-tech zone.
//!
//! This module owns the static tables and [`IndustryCode`], a validated code of 2–4 digits.
//!
//! Invariants of an [`IndustryCode`]: the stored code is 2, 3 or 4 ASCII digits and its first two
//! digits are one of the 97 divisions in [`divisions`]. A 3- or 4-digit code is **not** checked
//! against the full list of 473 groups / 1382 classes, because only the small [`common_classes`]
//! and [`common_groups`] tables are built in.
//!
//! TODO: load the full 1382-class list from the official table (国家统计局 GB/T 4754-2017 代码表)
//! and validate 3- and 4-digit codes against it.
//!
//! Note: the 4-digit codes changed between GB/T 4754-2011 and 2017 in division 65. In 2017,
//! 6520 is 集成电路设计, 6540 运行维护服务 and 6550 信息处理和存储支持服务; 软件开发 is the
//! group 651 (classes 6511–6519), so the 2011 code 6510 is displayed with the group name.

use std::fmt;
use std::str::FromStr;

use crate::error::Invalid;

/// The 20 sections: (letter, Chinese name, first division, last division).
static SECTIONS: [(char, &str, u8, u8); 20] = [
    ('A', "农、林、牧、渔业", 1, 5),
    ('B', "采矿业", 6, 12),
    ('C', "制造业", 13, 43),
    ('D', "电力、热力、燃气及水生产和供应业", 44, 46),
    ('E', "建筑业", 47, 50),
    ('F', "批发和零售业", 51, 52),
    ('G', "交通运输、仓储和邮政业", 53, 60),
    ('H', "住宿和餐饮业", 61, 62),
    ('I', "信息传输、软件和信息技术服务业", 63, 65),
    ('J', "金融业", 66, 69),
    ('K', "房地产业", 70, 70),
    ('L', "租赁和商务服务业", 71, 72),
    ('M', "科学研究和技术服务业", 73, 75),
    ('N', "水利、环境和公共设施管理业", 76, 79),
    ('O', "居民服务、修理和其他服务业", 80, 82),
    ('P', "教育", 83, 83),
    ('Q', "卫生和社会工作", 84, 85),
    ('R', "文化、体育和娱乐业", 86, 90),
    ('S', "公共管理、社会保障和社会组织", 91, 96),
    ('T', "国际组织", 97, 97),
];

/// The 97 divisions: (number, section letter, Chinese name), sorted by number, contiguous 01–97.
static DIVISIONS: [(u8, char, &str); 97] = [
    (1, 'A', "农业"),
    (2, 'A', "林业"),
    (3, 'A', "畜牧业"),
    (4, 'A', "渔业"),
    (5, 'A', "农、林、牧、渔专业及辅助性活动"),
    (6, 'B', "煤炭开采和洗选业"),
    (7, 'B', "石油和天然气开采业"),
    (8, 'B', "黑色金属矿采选业"),
    (9, 'B', "有色金属矿采选业"),
    (10, 'B', "非金属矿采选业"),
    (11, 'B', "开采专业及辅助性活动"),
    (12, 'B', "其他采矿业"),
    (13, 'C', "农副食品加工业"),
    (14, 'C', "食品制造业"),
    (15, 'C', "酒、饮料和精制茶制造业"),
    (16, 'C', "烟草制品业"),
    (17, 'C', "纺织业"),
    (18, 'C', "纺织服装、服饰业"),
    (19, 'C', "皮革、毛皮、羽毛及其制品和制鞋业"),
    (20, 'C', "木材加工和木、竹、藤、棕、草制品业"),
    (21, 'C', "家具制造业"),
    (22, 'C', "造纸和纸制品业"),
    (23, 'C', "印刷和记录媒介复制业"),
    (24, 'C', "文教、工美、体育和娱乐用品制造业"),
    (25, 'C', "石油、煤炭及其他燃料加工业"),
    (26, 'C', "化学原料和化学制品制造业"),
    (27, 'C', "医药制造业"),
    (28, 'C', "化学纤维制造业"),
    (29, 'C', "橡胶和塑料制品业"),
    (30, 'C', "非金属矿物制品业"),
    (31, 'C', "黑色金属冶炼和压延加工业"),
    (32, 'C', "有色金属冶炼和压延加工业"),
    (33, 'C', "金属制品业"),
    (34, 'C', "通用设备制造业"),
    (35, 'C', "专用设备制造业"),
    (36, 'C', "汽车制造业"),
    (37, 'C', "铁路、船舶、航空航天和其他运输设备制造业"),
    (38, 'C', "电气机械和器材制造业"),
    (39, 'C', "计算机、通信和其他电子设备制造业"),
    (40, 'C', "仪器仪表制造业"),
    (41, 'C', "其他制造业"),
    (42, 'C', "废弃资源综合利用业"),
    (43, 'C', "金属制品、机械和设备修理业"),
    (44, 'D', "电力、热力生产和供应业"),
    (45, 'D', "燃气生产和供应业"),
    (46, 'D', "水的生产和供应业"),
    (47, 'E', "房屋建筑业"),
    (48, 'E', "土木工程建筑业"),
    (49, 'E', "建筑安装业"),
    (50, 'E', "建筑装饰、装修和其他建筑业"),
    (51, 'F', "批发业"),
    (52, 'F', "零售业"),
    (53, 'G', "铁路运输业"),
    (54, 'G', "道路运输业"),
    (55, 'G', "水上运输业"),
    (56, 'G', "航空运输业"),
    (57, 'G', "管道运输业"),
    (58, 'G', "多式联运和运输代理业"),
    (59, 'G', "装卸搬运和仓储业"),
    (60, 'G', "邮政业"),
    (61, 'H', "住宿业"),
    (62, 'H', "餐饮业"),
    (63, 'I', "电信、广播电视和卫星传输服务"),
    (64, 'I', "互联网和相关服务"),
    (65, 'I', "软件和信息技术服务业"),
    (66, 'J', "货币金融服务"),
    (67, 'J', "资本市场服务"),
    (68, 'J', "保险业"),
    (69, 'J', "其他金融业"),
    (70, 'K', "房地产业"),
    (71, 'L', "租赁业"),
    (72, 'L', "商务服务业"),
    (73, 'M', "研究和试验发展"),
    (74, 'M', "专业技术服务业"),
    (75, 'M', "科技推广和应用服务业"),
    (76, 'N', "水利管理业"),
    (77, 'N', "生态保护和环境治理业"),
    (78, 'N', "公共设施管理业"),
    (79, 'N', "土地管理业"),
    (80, 'O', "居民服务业"),
    (81, 'O', "机动车、电子产品和日用产品修理业"),
    (82, 'O', "其他服务业"),
    (83, 'P', "教育"),
    (84, 'Q', "卫生"),
    (85, 'Q', "社会工作"),
    (86, 'R', "新闻和出版业"),
    (87, 'R', "广播、电视、电影和录音制作业"),
    (88, 'R', "文化艺术业"),
    (89, 'R', "体育"),
    (90, 'R', "娱乐业"),
    (91, 'S', "中国共产党机关"),
    (92, 'S', "国家机构"),
    (93, 'S', "人民政协、民主党派"),
    (94, 'S', "社会保障"),
    (95, 'S', "群众团体、社会团体和其他成员组织"),
    (96, 'S', "基层群众自治组织及其他组织"),
    (97, 'T', "国际组织"),
];

/// Selected 3-digit groups (中类) that contain several classes, sorted by code.
static COMMON_GROUPS: [(&str, &str); 25] = [
    ("276", "生物药品制品制造"),
    ("356", "电子和电工机械专用设备制造"),
    ("358", "医疗仪器设备及器械制造"),
    ("361", "汽车整车制造"),
    ("382", "输配电及控制设备制造"),
    ("384", "电池制造"),
    ("391", "计算机制造"),
    ("392", "通信设备制造"),
    ("393", "广播电视设备制造"),
    ("396", "智能消费设备制造"),
    ("397", "电子器件制造"),
    ("398", "电子元件及电子专用材料制造"),
    ("401", "通用仪器仪表制造"),
    ("402", "专用仪器仪表制造"),
    ("631", "电信"),
    ("642", "互联网信息服务"),
    ("643", "互联网平台"),
    ("651", "软件开发"),
    ("653", "信息系统集成和物联网技术服务"),
    ("657", "数字内容服务"),
    ("659", "其他信息技术服务业"),
    ("745", "质检技术服务"),
    ("748", "工程技术与设计服务"),
    ("749", "工业与专业设计及其他专业技术服务"),
    ("751", "技术推广服务"),
];

/// Selected 4-digit classes (小类) common in a high-tech zone, sorted by code.
static COMMON_CLASSES: [(&str, &str); 94] = [
    ("2710", "化学药品原料药制造"),
    ("2720", "化学药品制剂制造"),
    ("2761", "生物药品制造"),
    ("2762", "基因工程药物和疫苗制造"),
    ("2770", "卫生材料及医药用品制造"),
    ("3491", "工业机器人制造"),
    ("3492", "特殊作业机器人制造"),
    ("3493", "增材制造装备制造"),
    ("3562", "半导体器件专用设备制造"),
    ("3563", "电子元器件与机电组件设备制造"),
    ("3581", "医疗诊断、监护及治疗设备制造"),
    ("3584", "医疗、外科及兽医用器械制造"),
    ("3586", "康复辅具制造"),
    ("3591", "环境保护专用设备制造"),
    ("3611", "汽柴油车整车制造"),
    ("3612", "新能源车整车制造"),
    ("3670", "汽车零部件及配件制造"),
    ("3824", "电力电子元器件制造"),
    ("3825", "光伏设备及元器件制造"),
    ("3841", "锂离子电池制造"),
    ("3911", "计算机整机制造"),
    ("3912", "计算机零部件制造"),
    ("3913", "计算机外围设备制造"),
    ("3914", "工业控制计算机及系统制造"),
    ("3915", "信息安全设备制造"),
    ("3919", "其他计算机制造"),
    ("3921", "通信系统设备制造"),
    ("3922", "通信终端设备制造"),
    ("3940", "雷达及配套设备制造"),
    ("3961", "可穿戴智能设备制造"),
    ("3962", "智能车载设备制造"),
    ("3963", "智能无人飞行器制造"),
    ("3964", "服务消费机器人制造"),
    ("3969", "其他智能消费设备制造"),
    ("3971", "电子真空器件制造"),
    ("3972", "半导体分立器件制造"),
    ("3973", "集成电路制造"),
    ("3974", "显示器件制造"),
    ("3975", "半导体照明器件制造"),
    ("3976", "光电子器件制造"),
    ("3979", "其他电子器件制造"),
    ("3981", "电阻电容电感元件制造"),
    ("3982", "电子电路制造"),
    ("3983", "敏感元件及传感器制造"),
    ("3984", "电声器件及零件制造"),
    ("3985", "电子专用材料制造"),
    ("3989", "其他电子元件制造"),
    ("3990", "其他电子设备制造"),
    ("4011", "工业自动控制系统装置制造"),
    ("4014", "实验分析仪器制造"),
    ("4028", "电子测量仪器制造"),
    ("4040", "光学仪器制造"),
    ("6311", "固定电信服务"),
    ("6312", "移动电信服务"),
    ("6319", "其他电信服务"),
    ("6410", "互联网接入及相关服务"),
    ("6421", "互联网搜索服务"),
    ("6422", "互联网游戏服务"),
    ("6429", "互联网其他信息服务"),
    ("6431", "互联网生产服务平台"),
    ("6432", "互联网生活服务平台"),
    ("6433", "互联网科技创新平台"),
    ("6434", "互联网公共服务平台"),
    ("6439", "其他互联网平台"),
    ("6440", "互联网安全服务"),
    ("6450", "互联网数据服务"),
    ("6490", "其他互联网服务"),
    ("6511", "基础软件开发"),
    ("6512", "支撑软件开发"),
    ("6513", "应用软件开发"),
    ("6519", "其他软件开发"),
    ("6520", "集成电路设计"),
    ("6531", "信息系统集成服务"),
    ("6532", "物联网技术服务"),
    ("6540", "运行维护服务"),
    ("6550", "信息处理和存储支持服务"),
    ("6560", "信息技术咨询服务"),
    ("6571", "地理遥感信息服务"),
    ("6572", "动漫、游戏数字内容服务"),
    ("6579", "其他数字内容服务"),
    ("6591", "呼叫中心"),
    ("6599", "其他未列明信息技术服务业"),
    ("7264", "创业指导服务"),
    ("7281", "科技会展服务"),
    ("7310", "自然科学研究和试验发展"),
    ("7320", "工程和技术研究和试验发展"),
    ("7340", "医学研究和试验发展"),
    ("7452", "检测服务"),
    ("7491", "工业设计服务"),
    ("7492", "专业设计服务"),
    ("7520", "知识产权服务"),
    ("7530", "科技中介服务"),
    ("7540", "创业空间服务"),
    ("7590", "其他科技推广服务业"),
];

/// The 20 sections of GB/T 4754-2017: (letter, Chinese name, first division, last division).
pub fn sections() -> &'static [(char, &'static str, u8, u8)] {
    &SECTIONS
}

/// The 97 divisions of GB/T 4754-2017: (number 1–97, section letter, Chinese name).
pub fn divisions() -> &'static [(u8, char, &'static str)] {
    &DIVISIONS
}

/// Selected 4-digit classes (code, Chinese name) used for display and by the demo generator.
/// Not the full list of 1382 classes: see the module docs.
pub fn common_classes() -> &'static [(&'static str, &'static str)] {
    &COMMON_CLASSES
}

/// Selected 3-digit groups (code, Chinese name) that have several classes.
pub fn common_groups() -> &'static [(&'static str, &'static str)] {
    &COMMON_GROUPS
}

/// Section letter and name of a division, e.g. 65 → `('I', "软件和信息技术服务业")`.
pub fn division_info(division: u8) -> Option<(char, &'static str)> {
    DIVISIONS
        .binary_search_by_key(&division, |d| d.0)
        .ok()
        .map(|i| (DIVISIONS[i].1, DIVISIONS[i].2))
}

/// Chinese name of a section letter (upper case), e.g. `'I'` → `"信息传输、软件和信息技术服务业"`.
pub fn section_name_zh(section: char) -> Option<&'static str> {
    SECTIONS.iter().find(|s| s.0 == section).map(|s| s.1)
}

fn lookup(table: &'static [(&'static str, &'static str)], code: &str) -> Option<&'static str> {
    table
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(|i| table[i].1)
}

/// A validated industry code: a division (2 digits), group (3) or class (4) of GB/T 4754-2017.
/// See the module docs for the invariants. Serialised as the bare digits, e.g. `"6513"`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct IndustryCode {
    code: String,
}

impl IndustryCode {
    /// Parses `"6513"`, `"651"`, `"65"`, or the same with its section letter in front (`"I6513"`,
    /// case-insensitive). Surrounding whitespace is trimmed and full-width characters are accepted.
    ///
    /// Errors: `industry_format` (empty, a non-digit after the optional letter, an unknown section
    /// letter, or not 2–4 digits), `industry_unknown_division` (first two digits not a division),
    /// `industry_section_mismatch` (the letter is not the section of the division).
    pub fn parse(s: &str) -> Result<IndustryCode, Invalid> {
        let norm = normalize(s);
        if norm.is_empty() {
            return Err(Invalid::new(
                "industry_format",
                "行业代码为空",
                "industry code is empty",
            ));
        }
        let mut chars = norm.chars().peekable();
        let letter = match chars.peek() {
            Some(c) if c.is_ascii_alphabetic() => {
                let l = c.to_ascii_uppercase();
                chars.next();
                if section_name_zh(l).is_none() {
                    return Err(Invalid::new(
                        "industry_format",
                        format!("行业代码“{norm}”的门类字母{l}不存在（应为A–T）"),
                        format!("industry code '{norm}': section letter {l} does not exist (A-T)"),
                    ));
                }
                Some(l)
            }
            _ => None,
        };
        let offset = usize::from(letter.is_some());
        let mut digits = String::new();
        for (i, c) in chars.enumerate() {
            if !c.is_ascii_digit() {
                let pos = i + 1 + offset;
                return Err(Invalid::new(
                    "industry_format",
                    format!(
                        "行业代码“{norm}”格式错误：第{pos}位“{c}”不是数字（代码为2–4位数字，可带门类字母前缀，如I6513）"
                    ),
                    format!(
                        "industry code '{norm}' is malformed: character {pos} '{c}' is not a digit (2-4 digits, optionally after the section letter, e.g. I6513)"
                    ),
                ));
            }
            digits.push(c);
        }
        if !(2..=4).contains(&digits.len()) {
            return Err(Invalid::new(
                "industry_format",
                format!(
                    "行业代码“{norm}”格式错误：应为2–4位数字（大类、中类或小类），实为{}位",
                    digits.len()
                ),
                format!(
                    "industry code '{norm}' is malformed: it must have 2-4 digits (division, group or class), found {}",
                    digits.len()
                ),
            ));
        }
        let division: u8 = digits.get(..2).and_then(|d| d.parse().ok()).unwrap_or(0);
        let Some((section, section_division_name)) = division_info(division) else {
            return Err(Invalid::new(
                "industry_unknown_division",
                format!(
                    "国民经济行业分类（GB/T 4754-2017）中不存在大类{:02}（有效范围01–97）",
                    division
                ),
                format!(
                    "GB/T 4754-2017 has no division {:02} (valid: 01-97)",
                    division
                ),
            ));
        };
        if let Some(l) = letter
            && l != section
        {
            let section_name = section_name_zh(section).unwrap_or("");
            return Err(Invalid::new(
                "industry_section_mismatch",
                format!(
                    "行业代码门类字母与大类不符：大类{division:02}（{section_division_name}）属于门类{section}（{section_name}），实为{l}"
                ),
                format!(
                    "industry section letter does not match the division: division {division:02} belongs to section {section}, found {l}"
                ),
            ));
        }
        Ok(IndustryCode { code: digits })
    }

    /// The digits only, e.g. `"6513"`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The division (大类) number, 1–97.
    pub fn division(&self) -> u8 {
        self.code.get(..2).and_then(|d| d.parse().ok()).unwrap_or(0)
    }

    /// The section (门类) letter, `'A'`–`'T'`.
    pub fn section(&self) -> char {
        division_info(self.division()).map_or('?', |d| d.0)
    }

    /// Chinese name of the section, e.g. `"信息传输、软件和信息技术服务业"`.
    pub fn section_name_zh(&self) -> &'static str {
        section_name_zh(self.section()).unwrap_or("")
    }

    /// Chinese name of the division, e.g. `"软件和信息技术服务业"`.
    pub fn division_name_zh(&self) -> &'static str {
        division_info(self.division()).map_or("", |d| d.1)
    }

    /// The most specific name known: the class name if the 4-digit code is in
    /// [`common_classes`], else the group name (from [`common_groups`], or a one-class group's
    /// class), else the division name. With the division invariant this is always `Some`.
    pub fn name_zh(&self) -> Option<&'static str> {
        let code = self.code.as_str();
        if code.len() == 4
            && let Some(name) = lookup(&COMMON_CLASSES, code)
        {
            return Some(name);
        }
        if code.len() >= 3 {
            let group = code.get(..3).unwrap_or("");
            if let Some(name) = lookup(&COMMON_GROUPS, group) {
                return Some(name);
            }
            // A group with a single class (e.g. 652 → 6520) shares its class's name.
            if code.len() == 3
                && let Some(name) = lookup(&COMMON_CLASSES, &format!("{group}0"))
            {
                return Some(name);
            }
        }
        division_info(self.division()).map(|d| d.1)
    }

    /// Section letter, code and name, e.g. `"I6513 应用软件开发"`.
    pub fn display(&self) -> String {
        format!(
            "{}{} {}",
            self.section(),
            self.code,
            self.name_zh().unwrap_or("")
        )
    }
}

impl fmt::Display for IndustryCode {
    /// The bare digits, as stored.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl FromStr for IndustryCode {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IndustryCode::parse(s)
    }
}

impl TryFrom<String> for IndustryCode {
    type Error = Invalid;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        IndustryCode::parse(&s)
    }
}

impl From<IndustryCode> for String {
    fn from(c: IndustryCode) -> String {
        c.code
    }
}

/// Trims and turns full-width ASCII letters and digits into ASCII.
fn normalize(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section_of(code: &str) -> char {
        IndustryCode::parse(code).unwrap().section()
    }

    #[test]
    fn sections_are_derived_from_divisions_at_the_range_edges() {
        assert_eq!(section_of("01"), 'A');
        assert_eq!(section_of("13"), 'C');
        assert_eq!(section_of("43"), 'C');
        assert_eq!(section_of("44"), 'D');
        assert_eq!(section_of("65"), 'I');
        assert_eq!(section_of("97"), 'T');
    }

    #[test]
    fn there_are_twenty_sections_and_ninety_seven_contiguous_divisions() {
        assert_eq!(sections().len(), 20);
        assert_eq!(divisions().len(), 97);
        for (i, d) in divisions().iter().enumerate() {
            assert_eq!(usize::from(d.0), i + 1);
        }
    }

    #[test]
    fn every_division_lies_in_the_range_of_its_section() {
        for (n, letter, _) in divisions() {
            let (_, _, lo, hi) = sections().iter().find(|s| s.0 == *letter).unwrap();
            assert!((*lo..=*hi).contains(n), "division {n} in {letter}");
        }
        let covered: u32 = sections().iter().map(|s| u32::from(s.3 - s.2 + 1)).sum();
        assert_eq!(covered, 97);
    }

    #[test]
    fn class_and_group_tables_are_sorted_and_name_known_divisions() {
        for table in [common_classes(), common_groups()] {
            for w in table.windows(2) {
                assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
            }
            for (code, _) in table {
                assert!(IndustryCode::parse(code).is_ok(), "{code}");
            }
        }
    }

    #[test]
    fn a_section_prefixed_code_is_accepted_and_stored_as_digits() {
        let c = IndustryCode::parse("I6510").unwrap();
        assert_eq!(c.code(), "6510");
        assert_eq!(c.division(), 65);
        assert_eq!(c.section(), 'I');
        let lower = IndustryCode::parse(" i6513 ").unwrap();
        assert_eq!(lower.code(), "6513");
    }

    #[test]
    fn a_prefix_from_the_wrong_section_is_a_mismatch() {
        let e = IndustryCode::parse("C6510").unwrap_err();
        assert_eq!(e.code, "industry_section_mismatch");
        assert!(e.zh.contains("属于门类I"), "{}", e.zh);
        assert!(e.zh.contains("实为C"), "{}", e.zh);
    }

    #[test]
    fn a_letter_among_the_digits_is_a_format_error_naming_it() {
        let e = IndustryCode::parse("65A0").unwrap_err();
        assert_eq!(e.code, "industry_format");
        assert!(e.zh.contains("第3位“A”"), "{}", e.zh);
    }

    #[test]
    fn one_digit_or_five_digits_is_a_format_error() {
        assert_eq!(
            IndustryCode::parse("6").unwrap_err().code,
            "industry_format"
        );
        assert_eq!(
            IndustryCode::parse("65130").unwrap_err().code,
            "industry_format"
        );
        assert_eq!(IndustryCode::parse("").unwrap_err().code, "industry_format");
        assert_eq!(
            IndustryCode::parse("Z65").unwrap_err().code,
            "industry_format"
        );
    }

    #[test]
    fn division_98_and_00_are_unknown() {
        let e = IndustryCode::parse("98").unwrap_err();
        assert_eq!(e.code, "industry_unknown_division");
        assert!(e.zh.contains("大类98"), "{}", e.zh);
        assert_eq!(
            IndustryCode::parse("0011").unwrap_err().code,
            "industry_unknown_division"
        );
    }

    #[test]
    fn names_fall_back_from_class_to_group_to_division() {
        let class = IndustryCode::parse("6513").unwrap();
        assert_eq!(class.name_zh(), Some("应用软件开发"));
        assert_eq!(class.display(), "I6513 应用软件开发");
        // 6510 was the 2011 class; in 2017 it falls back to its group 651.
        assert_eq!(
            IndustryCode::parse("I6510").unwrap().display(),
            "I6510 软件开发"
        );
        assert_eq!(
            IndustryCode::parse("652").unwrap().name_zh(),
            Some("集成电路设计")
        );
        let division = IndustryCode::parse("27").unwrap();
        assert_eq!(division.name_zh(), Some("医药制造业"));
        assert_eq!(division.display(), "C27 医药制造业");
        let unknown_class = IndustryCode::parse("7399").unwrap();
        assert_eq!(unknown_class.name_zh(), Some("研究和试验发展"));
    }

    #[test]
    fn names_of_sections_and_divisions_are_exposed() {
        let c = IndustryCode::parse("3973").unwrap();
        assert_eq!(c.section_name_zh(), "制造业");
        assert_eq!(c.division_name_zh(), "计算机、通信和其他电子设备制造业");
        assert_eq!(c.name_zh(), Some("集成电路制造"));
        assert_eq!(division_info(73), Some(('M', "研究和试验发展")));
        assert_eq!(division_info(0), None);
    }

    #[test]
    fn string_conversions_use_the_bare_digits() {
        let c: IndustryCode = "I6513".parse().unwrap();
        assert_eq!(c.to_string(), "6513");
        let s: String = c.clone().into();
        assert_eq!(s, "6513");
        assert_eq!(IndustryCode::try_from(s).unwrap(), c);
    }
}
