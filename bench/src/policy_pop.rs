//! The policy benchmark's population: one deterministic set of enterprises written once as
//! columnar `.npy` files (read by both the Rust side and the OpenFisca side) plus `meta.json`
//! with the vocabularies of the string and list columns.
//!
//! Enterprises are the demo stream (`lianshi_domain::demo::enterprises(SEED, n)`), turned into
//! rule attributes the way the app does for stored enterprises: ecosystems and chains from the
//! chain nodes, size band from `lianshi_domain::size::classify`, age in full years at the
//! evaluation date, ratios as f64 quotients. One bench-only addition: 0.5 % of enterprises carry
//! the tag `失信` (chosen by a hash of the index) so that the credit exceptions fire.

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

/// Numeric columns (f64).
pub const NUM: [&str; 8] = [
    "headcount",
    "tech_staff",
    "tech_ratio",
    "revenue_yuan",
    "rd_spend_yuan",
    "rd_ratio",
    "tax_yuan",
    "age_years",
];
/// String columns (i16 codes into a vocabulary, -1 = missing).
pub const STR: [&str; 6] = [
    "industry",
    "industry_division",
    "street",
    "park",
    "size",
    "ownership",
];
/// List columns (u64 bit masks over a vocabulary of at most 64 values).
pub const LIST: [&str; 4] = ["ecosystems", "chains", "nodes", "tags"];

/// The population in memory, column by column.
pub struct Pop {
    pub n: usize,
    pub num: Vec<Vec<f64>>,
    pub str_codes: Vec<Vec<i16>>,
    pub str_vocab: Vec<Vec<String>>,
    pub list_masks: Vec<Vec<u64>>,
    pub list_vocab: Vec<Vec<String>>,
}

/// SplitMix64 finaliser of the row index (chooses the `失信` rows).
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn full_years(from: NaiveDate, on: NaiveDate) -> i64 {
    let mut y = i64::from(on.year() - from.year());
    if (on.month(), on.day()) < (from.month(), from.day()) {
        y -= 1;
    }
    y.max(0)
}

struct Vocab {
    values: Vec<String>,
    index: HashMap<String, usize>,
}

impl Vocab {
    fn new() -> Vocab {
        Vocab {
            values: Vec::new(),
            index: HashMap::new(),
        }
    }
    fn code(&mut self, v: &str) -> usize {
        if let Some(i) = self.index.get(v) {
            return *i;
        }
        self.values.push(v.to_string());
        self.index.insert(v.to_string(), self.values.len() - 1);
        self.values.len() - 1
    }
}

/// Generate the population of `n` demo enterprises for evaluation date `on`.
pub fn generate(n: usize, on: NaiveDate) -> anyhow::Result<Pop> {
    let zone = lianshi_domain::demo::zone();
    let mut node_chain: HashMap<String, (String, String)> = HashMap::new();
    let mut street_code: HashMap<String, String> = HashMap::new();
    for e in &zone.ecosystems {
        for c in &e.chains {
            for nd in &c.nodes {
                node_chain.insert(nd.code.clone(), (c.code.clone(), e.code.clone()));
            }
        }
    }
    for s in &zone.streets {
        street_code.insert(s.name.clone(), s.code.clone());
    }
    let mut num: Vec<Vec<f64>> = (0..NUM.len()).map(|_| Vec::with_capacity(n)).collect();
    let mut codes: Vec<Vec<i16>> = (0..STR.len()).map(|_| Vec::with_capacity(n)).collect();
    let mut masks: Vec<Vec<u64>> = (0..LIST.len()).map(|_| Vec::with_capacity(n)).collect();
    let mut sv: Vec<Vocab> = (0..STR.len()).map(|_| Vocab::new()).collect();
    let mut lv: Vec<Vocab> = (0..LIST.len()).map(|_| Vocab::new()).collect();
    for (i, d) in lianshi_domain::demo::enterprises(crate::SEED, n).enumerate() {
        let yuan = |m: Option<lianshi_domain::money::Money>| m.map_or(0.0, |m| m.0 as f64 / 100.0);
        let heads = d.headcount.unwrap_or(0) as f64;
        let tech = d.tech_staff.unwrap_or(0) as f64;
        let revenue = yuan(d.revenue);
        let rd = yuan(d.rd_spend);
        let age = d.registered_on.map_or(0, |r| full_years(r, on)) as f64;
        let vals = [
            heads,
            tech,
            if heads > 0.0 { tech / heads } else { 0.0 },
            revenue,
            rd,
            if revenue > 0.0 { rd / revenue } else { 0.0 },
            yuan(d.tax_paid),
            age,
        ];
        for (c, v) in vals.iter().enumerate() {
            num[c].push(*v);
        }
        let industry = d.industry_code.as_ref().map(|c| c.code().to_string());
        let division = industry
            .as_ref()
            .and_then(|c| c.get(..2))
            .map(str::to_string);
        let div_num: Option<u8> = division.as_ref().and_then(|d| d.parse().ok());
        let size = lianshi_domain::size::classify(div_num, d.headcount, d.revenue.map(|m| m.0))
            .map(|s| s.as_str().to_string());
        let street = d
            .street
            .as_ref()
            .map(|s| street_code.get(s).cloned().unwrap_or_else(|| s.clone()));
        let svals = [
            industry,
            division,
            street,
            d.park.clone(),
            size,
            d.ownership.clone(),
        ];
        for (c, v) in svals.iter().enumerate() {
            codes[c].push(match v {
                Some(v) => sv[c].code(v) as i16,
                None => -1,
            });
        }
        let mut eco = Vec::new();
        let mut chains = Vec::new();
        for nd in &d.chain_nodes {
            if let Some((c, e)) = node_chain.get(nd) {
                chains.push(c.clone());
                eco.push(e.clone());
            }
        }
        let mut tags = d.tags.clone();
        if mix(i as u64).is_multiple_of(200) {
            tags.push("失信".to_string());
        }
        let lvals = [eco, chains, d.chain_nodes.clone(), tags];
        for (c, vs) in lvals.iter().enumerate() {
            let mut m = 0u64;
            for v in vs {
                let k = lv[c].code(v);
                anyhow::ensure!(k < 64, "list column {} has more than 64 values", LIST[c]);
                m |= 1 << k;
            }
            masks[c].push(m);
        }
    }
    Ok(Pop {
        n: num[0].len(),
        num,
        str_codes: codes,
        str_vocab: sv.into_iter().map(|v| v.values).collect(),
        list_masks: masks,
        list_vocab: lv.into_iter().map(|v| v.values).collect(),
    })
}

fn npy_header(descr: &str, n: usize) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({n},), }}");
    let mut h = dict.into_bytes();
    let total = 10 + h.len() + 1;
    let pad = (64 - total % 64) % 64;
    h.extend(std::iter::repeat_n(b' ', pad));
    h.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((h.len() as u16).to_le_bytes());
    out.extend(h);
    out
}

fn write_npy(path: &Path, descr: &str, n: usize, bytes: &[u8]) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    f.write_all(&npy_header(descr, n))?;
    f.write_all(bytes)?;
    f.flush()?;
    Ok(())
}

/// Raw little-endian body of a 1-D `.npy` file with the given `descr`.
pub fn read_npy(path: &Path, descr: &str) -> anyhow::Result<Vec<u8>> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    anyhow::ensure!(
        buf.len() >= 10 && &buf[..6] == b"\x93NUMPY",
        "{} is not .npy",
        path.display()
    );
    let hl = u16::from_le_bytes([buf[8], buf[9]]) as usize;
    let header = String::from_utf8_lossy(&buf[10..10 + hl]);
    anyhow::ensure!(
        header.contains(&format!("'descr': '{descr}'")),
        "{}: expected {descr}, header {header}",
        path.display()
    );
    Ok(buf[10 + hl..].to_vec())
}

fn le<T, const W: usize>(bytes: &[u8], f: fn([u8; W]) -> T) -> Vec<T> {
    bytes
        .chunks_exact(W)
        .map(|c| {
            let mut a = [0u8; W];
            a.copy_from_slice(c);
            f(a)
        })
        .collect()
}

impl Pop {
    /// Write the population to `dir` (created): one `.npy` per column and `meta.json`.
    pub fn write(&self, dir: &Path, on: NaiveDate) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (c, name) in NUM.iter().enumerate() {
            let b: Vec<u8> = self.num[c].iter().flat_map(|v| v.to_le_bytes()).collect();
            write_npy(&dir.join(format!("{name}.npy")), "<f8", self.n, &b)?;
        }
        for (c, name) in STR.iter().enumerate() {
            let b: Vec<u8> = self.str_codes[c]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            write_npy(&dir.join(format!("{name}.npy")), "<i2", self.n, &b)?;
        }
        for (c, name) in LIST.iter().enumerate() {
            let b: Vec<u8> = self.list_masks[c]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            write_npy(&dir.join(format!("{name}.npy")), "<u8", self.n, &b)?;
        }
        let meta = serde_json::json!({
            "n": self.n,
            "seed": crate::SEED,
            "date": on.to_string(),
            "num": NUM,
            "str": STR.iter().zip(&self.str_vocab).map(|(k, v)| (k.to_string(), v.clone())).collect::<HashMap<_, _>>(),
            "list": LIST.iter().zip(&self.list_vocab).map(|(k, v)| (k.to_string(), v.clone())).collect::<HashMap<_, _>>(),
        });
        std::fs::write(dir.join("meta.json"), serde_json::to_vec_pretty(&meta)?)?;
        Ok(())
    }

    /// Read a population written by [`Pop::write`].
    pub fn read(dir: &Path) -> anyhow::Result<Pop> {
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("meta.json"))?)?;
        let n = meta["n"].as_u64().context("meta.json: n")? as usize;
        let vocab = |kind: &str, name: &str| -> Vec<String> {
            meta[kind][name]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut num = Vec::new();
        for name in NUM {
            num.push(le(
                &read_npy(&dir.join(format!("{name}.npy")), "<f8")?,
                f64::from_le_bytes,
            ));
        }
        let mut str_codes = Vec::new();
        let mut str_vocab = Vec::new();
        for name in STR {
            str_codes.push(le(
                &read_npy(&dir.join(format!("{name}.npy")), "<i2")?,
                i16::from_le_bytes,
            ));
            str_vocab.push(vocab("str", name));
        }
        let mut list_masks = Vec::new();
        let mut list_vocab = Vec::new();
        for name in LIST {
            list_masks.push(le(
                &read_npy(&dir.join(format!("{name}.npy")), "<u8")?,
                u64::from_le_bytes,
            ));
            list_vocab.push(vocab("list", name));
        }
        for c in num
            .iter()
            .map(Vec::len)
            .chain(str_codes.iter().map(Vec::len))
            .chain(list_masks.iter().map(Vec::len))
        {
            anyhow::ensure!(c == n, "column length {c} != {n}");
        }
        Ok(Pop {
            n,
            num,
            str_codes,
            str_vocab,
            list_masks,
            list_vocab,
        })
    }

    /// String value of column `c` for row `i`.
    pub fn str_at(&self, c: usize, i: usize) -> Option<&str> {
        let k = self.str_codes[c][i];
        if k < 0 {
            None
        } else {
            self.str_vocab[c].get(k as usize).map(String::as_str)
        }
    }

    /// List value of column `c` for row `i`.
    pub fn list_at(&self, c: usize, i: usize) -> Vec<String> {
        let m = self.list_masks[c][i];
        self.list_vocab[c]
            .iter()
            .enumerate()
            .filter(|(k, _)| m & (1 << k) != 0)
            .map(|(_, v)| v.clone())
            .collect()
    }
}
