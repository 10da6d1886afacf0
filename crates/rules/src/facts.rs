//! Enterprise facts: one enterprise ([`Facts`], for explanations) and many in columns
//! ([`Population`], for the batch evaluator).
//!
//! Invariants of a `Population`: every column has one entry per row; a missing number is NaN
//! (never ±inf); a missing string is [`MISSING`]; list attributes are never missing (absent =
//! empty) and are stored as offsets + interned ids (CSR). Strings are interned in one dictionary.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::check::{AttrType, Schema};

/// The interned id of a missing string.
pub const MISSING: u32 = u32::MAX;

/// One attribute value of one enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Value {
    Num(Option<f64>),
    Str(Option<String>),
    List(Vec<String>),
}

/// One enterprise's attribute values, indexed like [`Schema::enterprise`]. Everything starts
/// missing (lists empty).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facts {
    pub id: i64,
    values: Vec<Value>,
}

impl Default for Facts {
    fn default() -> Self {
        Facts::new()
    }
}

impl Facts {
    pub fn new() -> Facts {
        let values = Schema::enterprise()
            .attrs()
            .iter()
            .map(|a| match a.ty {
                AttrType::Number => Value::Num(None),
                AttrType::String => Value::Str(None),
                AttrType::List => Value::List(Vec::new()),
            })
            .collect();
        Facts { id: 0, values }
    }

    pub fn with_id(mut self, id: i64) -> Facts {
        self.id = id;
        self
    }

    /// Sets a value, checking the name and the type.
    pub fn set(&mut self, name: &str, value: Value) -> Result<(), String> {
        let schema = Schema::enterprise();
        let Some(i) = schema.index(name) else {
            return Err(format!("unknown attribute `{name}`"));
        };
        let value = match (schema.attr(i).ty, value) {
            (AttrType::Number, Value::Num(v)) => Value::Num(v.filter(|x| x.is_finite())),
            (AttrType::String, v @ Value::Str(_)) => v,
            (AttrType::List, v @ Value::List(_)) => v,
            (ty, _) => return Err(format!("attribute `{name}` is a {}", ty.name())),
        };
        self.values[i] = value;
        Ok(())
    }

    /// Builder form of [`Facts::set`] for a number; a wrong name is a bug in the caller
    /// (debug builds panic, release builds ignore it).
    pub fn num(mut self, name: &str, v: Option<f64>) -> Facts {
        let r = self.set(name, Value::Num(v));
        debug_assert!(r.is_ok(), "{r:?}");
        self
    }

    pub fn str(mut self, name: &str, v: Option<&str>) -> Facts {
        let r = self.set(name, Value::Str(v.map(str::to_string)));
        debug_assert!(r.is_ok(), "{r:?}");
        self
    }

    pub fn list<I, S>(mut self, name: &str, v: I) -> Facts
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let r = self.set(name, Value::List(v.into_iter().map(Into::into).collect()));
        debug_assert!(r.is_ok(), "{r:?}");
        self
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        Schema::enterprise().index(name).map(|i| &self.values[i])
    }

    pub(crate) fn at(&self, idx: usize) -> Option<&Value> {
        self.values.get(idx)
    }
}

/// A fixed-length bit set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bitmap {
    pub(crate) words: Vec<u64>,
    len: usize,
}

impl Bitmap {
    pub fn new(len: usize) -> Bitmap {
        Bitmap {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn get(&self, i: usize) -> bool {
        i < self.len && self.words[i / 64] >> (i % 64) & 1 == 1
    }
    pub fn set(&mut self, i: usize, v: bool) {
        if i >= self.len {
            return;
        }
        let m = 1u64 << (i % 64);
        if v {
            self.words[i / 64] |= m;
        } else {
            self.words[i / 64] &= !m;
        }
    }
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
    /// Indices of set bits, ascending.
    pub fn iter_ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(wi * 64 + b)
            })
        })
    }
    pub fn words(&self) -> &[u64] {
        &self.words
    }
}

/// A list attribute in CSR form: row `r` holds `values[offsets[r]..offsets[r + 1]]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListCol {
    pub offsets: Vec<u32>,
    pub values: Vec<u32>,
}

/// Many enterprises' facts in columns, for [`crate::RuleSet::evaluate`].
#[derive(Debug, Default)]
pub struct Population {
    ids: Vec<i64>,
    /// Per schema attribute; empty for non-number attributes.
    pub(crate) nums: Vec<Vec<f64>>,
    pub(crate) strs: Vec<Vec<u32>>,
    pub(crate) lists: Vec<ListCol>,
    pub(crate) dict: Vec<String>,
    dict_index: HashMap<String, u32>,
    /// `'literal' in list_attr` bitmaps, built on first use and kept for later evaluations.
    members: Mutex<HashMap<(usize, u32), Arc<Bitmap>>>,
}

impl Population {
    /// Builds columns from one [`Facts`] per enterprise; ids come from `Facts::id`.
    pub fn from_facts(facts: &[Facts]) -> Population {
        let mut b = PopulationBuilder::with_capacity(facts.len());
        for f in facts {
            b.push(f);
        }
        b.finish()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// Enterprise id of each row.
    pub fn ids(&self) -> &[i64] {
        &self.ids
    }

    /// The interned id of a string, if any row holds it.
    pub(crate) fn intern_id(&self, s: &str) -> Option<u32> {
        self.dict_index.get(s).copied()
    }

    /// The facts of one row (for explaining a row of a population); `None` past the end.
    pub fn facts(&self, row: usize) -> Option<Facts> {
        let mut f = Facts::new().with_id(*self.ids.get(row)?);
        for (i, a) in Schema::enterprise().attrs().iter().enumerate() {
            let v = match a.ty {
                AttrType::Number => {
                    let x = self.nums[i][row];
                    Value::Num((!x.is_nan()).then_some(x))
                }
                AttrType::String => {
                    let id = self.strs[i][row];
                    Value::Str((id != MISSING).then(|| self.dict[id as usize].clone()))
                }
                AttrType::List => {
                    let l = &self.lists[i];
                    let (s, e) = (l.offsets[row] as usize, l.offsets[row + 1] as usize);
                    Value::List(
                        l.values[s..e]
                            .iter()
                            .map(|&v| self.dict[v as usize].clone())
                            .collect(),
                    )
                }
            };
            f.values[i] = v;
        }
        Some(f)
    }

    /// Rows whose list attribute `attr` contains the interned string `id`; cached.
    pub(crate) fn members(&self, attr: usize, id: u32) -> Arc<Bitmap> {
        let mut cache = match self.members.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        cache
            .entry((attr, id))
            .or_insert_with(|| {
                let l = &self.lists[attr];
                let mut bm = Bitmap::new(self.len());
                for row in 0..self.len() {
                    let (s, e) = (l.offsets[row] as usize, l.offsets[row + 1] as usize);
                    if l.values[s..e].contains(&id) {
                        bm.words[row / 64] |= 1 << (row % 64);
                    }
                }
                Arc::new(bm)
            })
            .clone()
    }
}

/// Appends enterprises row by row, then [`PopulationBuilder::finish`].
#[derive(Debug)]
pub struct PopulationBuilder {
    pop: Population,
}

impl Default for PopulationBuilder {
    fn default() -> Self {
        PopulationBuilder::with_capacity(0)
    }
}

impl PopulationBuilder {
    pub fn with_capacity(n: usize) -> PopulationBuilder {
        let schema = Schema::enterprise();
        let attrs = schema.attrs();
        let mut pop = Population {
            ids: Vec::with_capacity(n),
            ..Population::default()
        };
        for a in attrs {
            let want = |t: AttrType| if a.ty == t { n } else { 0 };
            pop.nums.push(Vec::with_capacity(want(AttrType::Number)));
            pop.strs.push(Vec::with_capacity(want(AttrType::String)));
            let mut l = ListCol::default();
            if a.ty == AttrType::List {
                l.offsets.reserve(n + 1);
                l.offsets.push(0);
            }
            pop.lists.push(l);
        }
        PopulationBuilder { pop }
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.pop.dict_index.get(s) {
            return id;
        }
        let id = self.pop.dict.len() as u32;
        self.pop.dict.push(s.to_string());
        self.pop.dict_index.insert(s.to_string(), id);
        id
    }

    pub fn push(&mut self, f: &Facts) {
        self.pop.ids.push(f.id);
        for (i, a) in Schema::enterprise().attrs().iter().enumerate() {
            let v = f.values.get(i);
            match a.ty {
                AttrType::Number => {
                    let x = match v {
                        Some(Value::Num(Some(x))) if x.is_finite() => *x,
                        _ => f64::NAN,
                    };
                    self.pop.nums[i].push(x);
                }
                AttrType::String => {
                    let id = match v {
                        Some(Value::Str(Some(s))) => self.intern(s),
                        _ => MISSING,
                    };
                    self.pop.strs[i].push(id);
                }
                AttrType::List => {
                    if let Some(Value::List(items)) = v {
                        for s in items {
                            let id = self.intern(s);
                            self.pop.lists[i].values.push(id);
                        }
                    }
                    let end = self.pop.lists[i].values.len() as u32;
                    self.pop.lists[i].offsets.push(end);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.pop.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.pop.ids.is_empty()
    }

    pub fn finish(self) -> Population {
        self.pop
    }
}
