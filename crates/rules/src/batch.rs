//! The columnar batch evaluator: every expression is evaluated a column chunk at a time
//! (4,096 rows) over a [`Population`], with buffers reused from a per-thread pool, chunks
//! spread over threads (`std::thread::scope`). Dispatch happens once per node and chunk, the
//! inner loops are plain slice loops the compiler vectorises.
//!
//! Before the chunks run, string literals are mapped to the population's interned ids (a
//! literal no row holds gets a fresh id above the dictionary, so it equals only itself),
//! `'lit' in list_attr` gets its cached membership bitmap and `startsWith` a per-id table.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

use crate::check::{CmpOp, T, TK, walk};
use crate::compile::{Compiled, RuleSet};
use crate::facts::{Bitmap, MISSING, Population};
use crate::{arith, cmp_num, nmax, nmin, yuan_to_fen};

/// Rows per chunk; a multiple of 64 so chunks own whole bitmap words.
pub const CHUNK: usize = 4096;

/// One policy's result over a population, after exceptions and groups.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyOutcome {
    pub code: String,
    /// Final eligibility per row.
    pub eligible: Bitmap,
    /// Rows that were eligible but lost to a better policy of the same group.
    pub superseded: Bitmap,
    /// Amount per row in fen (0 when not eligible or superseded); empty when the policy has no
    /// benefit formula.
    pub amount_fen: Vec<i64>,
}

impl PolicyOutcome {
    pub fn amount(&self, row: usize) -> i64 {
        self.amount_fen.get(row).copied().unwrap_or(0)
    }
    pub fn eligible_count(&self) -> usize {
        self.eligible.count_ones()
    }
    /// Sum of amounts in fen (saturating).
    pub fn total_fen(&self) -> i64 {
        let t: i128 = self.amount_fen.iter().map(|&a| i128::from(a)).sum();
        i64::try_from(t).unwrap_or(i64::MAX)
    }
}

/// Results of [`RuleSet::evaluate`] for every (or some) policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub policies: Vec<PolicyOutcome>,
    /// Exclusive groups as positions in `policies`, each sorted by code.
    groups: Vec<Vec<usize>>,
    rows: usize,
}

impl Outcome {
    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn get(&self, code: &str) -> Option<&PolicyOutcome> {
        self.policies.iter().find(|p| p.code == code)
    }
    /// The policy that superseded `code` in `row`, if it did.
    pub fn superseded_by(&self, code: &str, row: usize) -> Option<&str> {
        let i = self.policies.iter().position(|p| p.code == code)?;
        if !self.policies[i].superseded.get(row) {
            return None;
        }
        let g = self.groups.iter().find(|g| g.contains(&i))?;
        g.iter()
            .map(|&m| &self.policies[m])
            .find(|p| p.eligible.get(row))
            .map(|p| p.code.as_str())
    }
}

/// The change in one policy's result between two evaluations (what-if).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDiff {
    pub eligible_before: usize,
    pub eligible_after: usize,
    /// Rows newly eligible.
    pub gained: Vec<usize>,
    /// Rows no longer eligible.
    pub lost: Vec<usize>,
    /// Rows eligible in both with a different amount.
    pub changed: Vec<usize>,
    pub total_before_fen: i64,
    pub total_after_fen: i64,
}

/// Compares two results of the same policy over the same population.
pub fn diff(before: &PolicyOutcome, after: &PolicyOutcome) -> PolicyDiff {
    let mut gained = Vec::new();
    let mut lost = Vec::new();
    let mut changed = Vec::new();
    let (wa, wb) = (before.eligible.words(), after.eligible.words());
    for w in 0..wa.len().max(wb.len()) {
        let a = wa.get(w).copied().unwrap_or(0);
        let b = wb.get(w).copied().unwrap_or(0);
        let push = |mut bits: u64, out: &mut Vec<usize>| {
            while bits != 0 {
                out.push(w * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        };
        push(b & !a, &mut gained);
        push(a & !b, &mut lost);
        let mut both = a & b;
        while both != 0 {
            let r = w * 64 + both.trailing_zeros() as usize;
            if before.amount(r) != after.amount(r) {
                changed.push(r);
            }
            both &= both - 1;
        }
    }
    PolicyDiff {
        eligible_before: before.eligible_count(),
        eligible_after: after.eligible_count(),
        gained,
        lost,
        changed,
        total_before_fen: before.total_fen(),
        total_after_fen: after.total_fen(),
    }
}

/// Literal ids and lookup tables for one population.
struct Prep<'p> {
    pop: &'p Population,
    lit: HashMap<String, u32>,
    virtual_lits: Vec<String>,
    members: HashMap<(usize, u32), Arc<Bitmap>>,
    prefix: HashMap<String, Vec<bool>>,
}

impl<'p> Prep<'p> {
    fn new(pop: &'p Population) -> Prep<'p> {
        Prep {
            pop,
            lit: HashMap::new(),
            virtual_lits: Vec::new(),
            members: HashMap::new(),
            prefix: HashMap::new(),
        }
    }

    fn lit_id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.lit.get(s) {
            return id;
        }
        let id = self.pop.intern_id(s).unwrap_or_else(|| {
            self.virtual_lits.push(s.to_string());
            (self.pop.dict.len() + self.virtual_lits.len() - 1) as u32
        });
        self.lit.insert(s.to_string(), id);
        id
    }

    fn add(&mut self, t: &T) {
        let mut prefixes = Vec::new();
        walk(t, &mut |n| match &n.kind {
            TK::Str(s) => {
                self.lit_id(s);
            }
            TK::List(items) => items.iter().for_each(|s| {
                self.lit_id(s);
            }),
            TK::In(a, b) => {
                if let (TK::Str(s), TK::ListAttr(i)) = (&a.kind, &b.kind)
                    && let Some(id) = self.pop.intern_id(s)
                {
                    let pop = self.pop;
                    self.members
                        .entry((*i, id))
                        .or_insert_with(|| pop.members(*i, id));
                }
            }
            TK::StartsWith(_, p) => prefixes.push(p.clone()),
            _ => {}
        });
        for p in prefixes {
            self.prefix.entry(p).or_default();
        }
    }

    /// Builds the startsWith tables once every literal is known.
    fn finish(&mut self) {
        let keys: Vec<String> = self.prefix.keys().cloned().collect();
        for p in keys {
            let table: Vec<bool> = self
                .pop
                .dict
                .iter()
                .chain(self.virtual_lits.iter())
                .map(|s| s.starts_with(p.as_str()))
                .collect();
            self.prefix.insert(p, table);
        }
    }
}

#[derive(Default)]
struct Scratch {
    f: Vec<Vec<f64>>,
    b: Vec<Vec<bool>>,
    s: Vec<Vec<u32>>,
}

enum NV<'p> {
    C(f64),
    S(&'p [f64]),
    B(Vec<f64>),
}

enum BV {
    C(bool),
    B(Vec<bool>),
}

enum SV<'p> {
    C(u32),
    S(&'p [u32]),
    B(Vec<u32>),
}

impl NV<'_> {
    fn slice(&self) -> &[f64] {
        match self {
            NV::S(s) => s,
            NV::B(b) => b,
            NV::C(_) => &[],
        }
    }
}

impl SV<'_> {
    fn slice(&self) -> &[u32] {
        match self {
            SV::S(s) => s,
            SV::B(b) => b,
            SV::C(_) => &[],
        }
    }
}

impl Scratch {
    fn f(&mut self) -> Vec<f64> {
        let mut v = self.f.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK));
        v.clear();
        v
    }
    fn b(&mut self) -> Vec<bool> {
        let mut v = self.b.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK));
        v.clear();
        v
    }
    fn s(&mut self) -> Vec<u32> {
        let mut v = self.s.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK));
        v.clear();
        v
    }
    fn give_n(&mut self, v: NV) {
        if let NV::B(b) = v {
            self.f.push(b);
        }
    }
    fn give_b(&mut self, v: BV) {
        if let BV::B(b) = v {
            self.b.push(b);
        }
    }
    fn give_s(&mut self, v: SV) {
        if let SV::B(b) = v {
            self.s.push(b);
        }
    }
}

struct Eval<'p, 'r> {
    prep: &'r Prep<'p>,
    rows: Range<usize>,
}

impl<'p> Eval<'p, '_> {
    fn n(&self) -> usize {
        self.rows.len()
    }

    fn num_map(&self, a: NV<'p>, sc: &mut Scratch, f: impl Fn(f64) -> f64) -> NV<'p> {
        if let NV::C(x) = a {
            return NV::C(f(x));
        }
        let mut out = sc.f();
        out.extend(a.slice().iter().map(|&x| f(x)));
        sc.give_n(a);
        NV::B(out)
    }

    fn num_zip(
        &self,
        a: NV<'p>,
        b: NV<'p>,
        sc: &mut Scratch,
        f: impl Fn(f64, f64) -> f64,
    ) -> NV<'p> {
        let mut out = match (&a, &b) {
            (NV::C(x), NV::C(y)) => return NV::C(f(*x, *y)),
            _ => sc.f(),
        };
        match (&a, &b) {
            (NV::C(x), _) => out.extend(b.slice().iter().map(|&y| f(*x, y))),
            (_, NV::C(y)) => out.extend(a.slice().iter().map(|&x| f(x, *y))),
            _ => out.extend(a.slice().iter().zip(b.slice()).map(|(&x, &y)| f(x, y))),
        }
        sc.give_n(a);
        sc.give_n(b);
        NV::B(out)
    }

    fn cmp(&self, a: NV<'p>, b: NV<'p>, sc: &mut Scratch, f: impl Fn(f64, f64) -> bool) -> BV {
        let mut out = match (&a, &b) {
            (NV::C(x), NV::C(y)) => return BV::C(f(*x, *y)),
            _ => sc.b(),
        };
        match (&a, &b) {
            (NV::C(x), _) => out.extend(b.slice().iter().map(|&y| f(*x, y))),
            (_, NV::C(y)) => out.extend(a.slice().iter().map(|&x| f(x, *y))),
            _ => out.extend(a.slice().iter().zip(b.slice()).map(|(&x, &y)| f(x, y))),
        }
        sc.give_n(a);
        sc.give_n(b);
        BV::B(out)
    }

    fn str_cmp(&self, a: SV<'p>, b: SV<'p>, ne: bool, sc: &mut Scratch) -> BV {
        let f = |x: u32, y: u32| x != MISSING && y != MISSING && ((x == y) != ne);
        let mut out = match (&a, &b) {
            (SV::C(x), SV::C(y)) => return BV::C(f(*x, *y)),
            _ => sc.b(),
        };
        match (&a, &b) {
            (SV::C(x), _) => out.extend(b.slice().iter().map(|&y| f(*x, y))),
            (_, SV::C(y)) => out.extend(a.slice().iter().map(|&x| f(x, *y))),
            _ => out.extend(a.slice().iter().zip(b.slice()).map(|(&x, &y)| f(x, y))),
        }
        sc.give_s(a);
        sc.give_s(b);
        BV::B(out)
    }

    /// Combines two bool columns with a symmetric `f` (and, or, eq, ne).
    fn bool_zip(&self, a: BV, b: BV, sc: &mut Scratch, f: impl Fn(bool, bool) -> bool) -> BV {
        match (a, b) {
            (BV::C(x), BV::C(y)) => BV::C(f(x, y)),
            (BV::C(x), BV::B(mut v)) | (BV::B(mut v), BV::C(x)) => {
                v.iter_mut().for_each(|y| *y = f(x, *y));
                BV::B(v)
            }
            (BV::B(mut v), BV::B(w)) => {
                v.iter_mut().zip(&w).for_each(|(x, &y)| *x = f(*x, y));
                sc.b.push(w);
                BV::B(v)
            }
        }
    }

    fn num(&self, t: &T, sc: &mut Scratch) -> NV<'p> {
        let pop = self.prep.pop;
        match &t.kind {
            TK::Num(x) => NV::C(*x),
            TK::Param { value, .. } => NV::C(*value),
            TK::NumAttr(i) => NV::S(&pop.nums[*i][self.rows.clone()]),
            TK::Neg(a) => {
                let a = self.num(a, sc);
                self.num_map(a, sc, |x| -x)
            }
            TK::Abs(a) => {
                let a = self.num(a, sc);
                self.num_map(a, sc, f64::abs)
            }
            TK::Arith(op, a, b) => {
                let (a, b) = (self.num(a, sc), self.num(b, sc));
                let op = *op;
                self.num_zip(a, b, sc, move |x, y| arith(op, x, y))
            }
            TK::Min(v) | TK::Max(v) => {
                let is_min = matches!(t.kind, TK::Min(_));
                let mut acc = self.num(&v[0], sc);
                for x in &v[1..] {
                    let y = self.num(x, sc);
                    acc = if is_min {
                        self.num_zip(acc, y, sc, nmin)
                    } else {
                        self.num_zip(acc, y, sc, nmax)
                    };
                }
                acc
            }
            TK::Size(a) => match &a.kind {
                TK::ListAttr(i) => {
                    let off = &pop.lists[*i].offsets[self.rows.start..=self.rows.end];
                    let mut out = sc.f();
                    out.extend(off.windows(2).map(|w| f64::from(w[1] - w[0])));
                    NV::B(out)
                }
                TK::List(l) => NV::C(l.len() as f64),
                _ => NV::C(f64::NAN),
            },
            TK::Cond(c, a, b) => {
                let c = self.bool(c, sc);
                match c {
                    BV::C(true) => self.num(a, sc),
                    BV::C(false) => self.num(b, sc),
                    BV::B(mask) => {
                        let (a, b) = (self.num(a, sc), self.num(b, sc));
                        let n = self.n();
                        let mut out = sc.f();
                        let get = |v: &NV, i: usize| match v {
                            NV::C(x) => *x,
                            _ => v.slice()[i],
                        };
                        out.extend((0..n).map(|i| if mask[i] { get(&a, i) } else { get(&b, i) }));
                        sc.give_n(a);
                        sc.give_n(b);
                        sc.b.push(mask);
                        NV::B(out)
                    }
                }
            }
            _ => NV::C(f64::NAN),
        }
    }

    fn str(&self, t: &T, sc: &mut Scratch) -> SV<'p> {
        match &t.kind {
            TK::Str(s) => SV::C(self.prep.lit.get(s).copied().unwrap_or(MISSING - 1)),
            TK::StrAttr(i) => SV::S(&self.prep.pop.strs[*i][self.rows.clone()]),
            TK::Cond(c, a, b) => match self.bool(c, sc) {
                BV::C(true) => self.str(a, sc),
                BV::C(false) => self.str(b, sc),
                BV::B(mask) => {
                    let (a, b) = (self.str(a, sc), self.str(b, sc));
                    let get = |v: &SV, i: usize| match v {
                        SV::C(x) => *x,
                        _ => v.slice()[i],
                    };
                    let mut out = sc.s();
                    out.extend(
                        (0..self.n()).map(|i| if mask[i] { get(&a, i) } else { get(&b, i) }),
                    );
                    sc.give_s(a);
                    sc.give_s(b);
                    sc.b.push(mask);
                    SV::B(out)
                }
            },
            _ => SV::C(MISSING),
        }
    }

    fn bits(&self, bm: &Bitmap, sc: &mut Scratch) -> BV {
        let mut out = sc.b();
        let w = bm.words();
        out.extend(self.rows.clone().map(|r| w[r / 64] >> (r % 64) & 1 == 1));
        BV::B(out)
    }

    fn bool(&self, t: &T, sc: &mut Scratch) -> BV {
        let pop = self.prep.pop;
        match &t.kind {
            TK::Bool(b) => BV::C(*b),
            TK::CmpNum(op, a, b) => {
                let (a, b) = (self.num(a, sc), self.num(b, sc));
                match op {
                    CmpOp::Lt => self.cmp(a, b, sc, |x, y| x < y),
                    CmpOp::Le => self.cmp(a, b, sc, |x, y| x <= y),
                    CmpOp::Gt => self.cmp(a, b, sc, |x, y| x > y),
                    CmpOp::Ge => self.cmp(a, b, sc, |x, y| x >= y),
                    CmpOp::Eq => self.cmp(a, b, sc, |x, y| x == y),
                    CmpOp::Ne => self.cmp(a, b, sc, |x, y| cmp_num(CmpOp::Ne, x, y)),
                }
            }
            TK::EqStr(ne, a, b) => {
                let (a, b) = (self.str(a, sc), self.str(b, sc));
                self.str_cmp(a, b, *ne, sc)
            }
            TK::EqBool(ne, a, b) => {
                let (a, b) = (self.bool(a, sc), self.bool(b, sc));
                let ne = *ne;
                self.bool_zip(a, b, sc, move |x, y| (x == y) != ne)
            }
            TK::Not(a) => match self.bool(a, sc) {
                BV::C(x) => BV::C(!x),
                BV::B(mut v) => {
                    v.iter_mut().for_each(|x| *x = !*x);
                    BV::B(v)
                }
            },
            TK::And(a, b) => {
                let a = self.bool(a, sc);
                if let BV::C(false) = a {
                    return a;
                }
                let b = self.bool(b, sc);
                self.bool_zip(a, b, sc, |x, y| x && y)
            }
            TK::Or(a, b) => {
                let a = self.bool(a, sc);
                if let BV::C(true) = a {
                    return a;
                }
                let b = self.bool(b, sc);
                self.bool_zip(a, b, sc, |x, y| x || y)
            }
            TK::Cond(c, a, b) => match self.bool(c, sc) {
                BV::C(true) => self.bool(a, sc),
                BV::C(false) => self.bool(b, sc),
                BV::B(mut mask) => {
                    let (a, b) = (self.bool(a, sc), self.bool(b, sc));
                    let get = |v: &BV, i: usize| match v {
                        BV::C(x) => *x,
                        BV::B(v) => v[i],
                    };
                    for (i, m) in mask.iter_mut().enumerate() {
                        *m = if *m { get(&a, i) } else { get(&b, i) };
                    }
                    sc.give_b(a);
                    sc.give_b(b);
                    BV::B(mask)
                }
            },
            TK::In(a, b) => match (&a.kind, &b.kind) {
                (TK::Str(s), TK::ListAttr(i)) => match self.prep.pop.intern_id(s) {
                    None => BV::C(false),
                    Some(id) => match self.prep.members.get(&(*i, id)) {
                        Some(bm) => self.bits(bm, sc),
                        None => self.bits(&pop.members(*i, id), sc),
                    },
                },
                (_, TK::List(items)) => {
                    let ids: Vec<u32> = items
                        .iter()
                        .map(|s| self.prep.lit.get(s).copied().unwrap_or(MISSING - 1))
                        .collect();
                    let f = |x: u32| x != MISSING && ids.contains(&x);
                    match self.str(a, sc) {
                        SV::C(x) => BV::C(f(x)),
                        v => {
                            let mut out = sc.b();
                            out.extend(v.slice().iter().map(|&x| f(x)));
                            sc.give_s(v);
                            BV::B(out)
                        }
                    }
                }
                (_, TK::ListAttr(i)) => {
                    let l = &pop.lists[*i];
                    let v = self.str(a, sc);
                    let mut out = sc.b();
                    for (k, r) in self.rows.clone().enumerate() {
                        let x = match &v {
                            SV::C(x) => *x,
                            _ => v.slice()[k],
                        };
                        let (s, e) = (l.offsets[r] as usize, l.offsets[r + 1] as usize);
                        out.push(x != MISSING && l.values[s..e].contains(&x));
                    }
                    sc.give_s(v);
                    BV::B(out)
                }
                _ => BV::C(false),
            },
            TK::Has(i) => {
                let mut out = sc.b();
                let r = self.rows.clone();
                match crate::Schema::enterprise().attr(*i).ty {
                    crate::AttrType::Number => {
                        out.extend(pop.nums[*i][r].iter().map(|x| !x.is_nan()))
                    }
                    crate::AttrType::String => {
                        out.extend(pop.strs[*i][r].iter().map(|&x| x != MISSING))
                    }
                    crate::AttrType::List => {
                        let off = &pop.lists[*i].offsets[r.start..=r.end];
                        out.extend(off.windows(2).map(|w| w[1] > w[0]));
                    }
                }
                BV::B(out)
            }
            TK::StartsWith(a, p) => {
                let Some(table) = self.prep.prefix.get(p) else {
                    return BV::C(false);
                };
                let f = |x: u32| table.get(x as usize).copied().unwrap_or(false);
                match self.str(a, sc) {
                    SV::C(x) => BV::C(f(x)),
                    v => {
                        let mut out = sc.b();
                        out.extend(v.slice().iter().map(|&x| f(x)));
                        sc.give_s(v);
                        BV::B(out)
                    }
                }
            }
            _ => BV::C(false),
        }
    }

    /// Eligibility (conditions, grants, denies) and amounts in fen for one policy and chunk,
    /// written into the chunk's slices of the outputs.
    fn policy(&self, p: &Compiled, sc: &mut Scratch, elig_words: &mut [u64], amounts: &mut [i64]) {
        let mut ok = BV::C(true);
        for c in &p.conditions {
            if let BV::C(false) = ok {
                break;
            }
            let v = self.bool(&c.t, sc);
            ok = self.bool_zip(ok, v, sc, |x, y| x && y);
        }
        for g in &p.grants {
            if let BV::C(true) = ok {
                break;
            }
            let v = self.bool(&g.t, sc);
            ok = self.bool_zip(ok, v, sc, |x, y| x || y);
        }
        for d in &p.denies {
            if let BV::C(false) = ok {
                break;
            }
            let v = match self.bool(&d.t, sc) {
                BV::C(x) => BV::C(!x),
                BV::B(mut v) => {
                    v.iter_mut().for_each(|x| *x = !*x);
                    BV::B(v)
                }
            };
            ok = self.bool_zip(ok, v, sc, |x, y| x && y);
        }
        let n = self.n();
        match &ok {
            BV::C(x) => {
                let w = if *x { u64::MAX } else { 0 };
                for (i, word) in elig_words.iter_mut().enumerate() {
                    let left = n - i * 64;
                    *word = if left >= 64 {
                        w
                    } else {
                        w & ((1u64 << left) - 1)
                    };
                }
            }
            BV::B(v) => {
                for (word, bits) in elig_words.iter_mut().zip(v.chunks(64)) {
                    *word = bits
                        .iter()
                        .enumerate()
                        .fold(0u64, |acc, (i, &b)| acc | (u64::from(b) << i));
                }
            }
        }
        if let Some(b) = &p.benefit
            && !amounts.is_empty()
        {
            if let BV::C(false) = ok {
                amounts.fill(0);
            } else {
                let y = self.num(&b.t, sc);
                for (i, a) in amounts.iter_mut().enumerate() {
                    let e = match &ok {
                        BV::C(x) => *x,
                        BV::B(v) => v[i],
                    };
                    let yi = match &y {
                        NV::C(x) => *x,
                        _ => y.slice()[i],
                    };
                    *a = if e { yuan_to_fen(yi) } else { 0 };
                }
                sc.give_n(y);
            }
        }
        sc.give_b(ok);
    }
}

/// One chunk's share of every selected policy's outputs.
struct Work<'o> {
    rows: Range<usize>,
    /// (eligible words, superseded words, amounts) per selected policy.
    outs: Vec<(&'o mut [u64], &'o mut [u64], &'o mut [i64])>,
}

/// 从高从优 within one chunk: among a group's eligible members keep the highest amount (ties:
/// the lowest code, i.e. the first member).
fn resolve_groups(groups: &[Vec<usize>], w: &mut Work) {
    for g in groups.iter().filter(|g| g.len() > 1) {
        let nwords = w.outs[g[0]].0.len();
        for wi in 0..nwords {
            let mut seen = 0u64;
            let mut multi = 0u64;
            for &m in g {
                let bits = w.outs[m].0[wi];
                multi |= seen & bits;
                seen |= bits;
            }
            while multi != 0 {
                let b = multi.trailing_zeros() as usize;
                multi &= multi - 1;
                let local = wi * 64 + b;
                let mut best: Option<(usize, i64)> = None;
                for &m in g {
                    if w.outs[m].0[wi] >> b & 1 == 1 {
                        let amt = w.outs[m].2.get(local).copied().unwrap_or(0);
                        if best.is_none_or(|(_, a)| amt > a) {
                            best = Some((m, amt));
                        }
                    }
                }
                for &m in g {
                    if Some(m) != best.map(|(k, _)| k) && w.outs[m].0[wi] >> b & 1 == 1 {
                        let o = &mut w.outs[m];
                        o.0[wi] &= !(1u64 << b);
                        o.1[wi] |= 1u64 << b;
                        if let Some(a) = o.2.get_mut(local) {
                            *a = 0;
                        }
                    }
                }
            }
        }
    }
}

impl RuleSet {
    /// Evaluates every policy over the population (columnar, on all cores).
    pub fn evaluate(&self, pop: &Population) -> Outcome {
        let all: Vec<usize> = (0..self.policies.len()).collect();
        self.evaluate_indices(&all, pop)
    }

    /// Evaluates the policies named (and nothing else), with groups resolved among them.
    /// Unknown codes are skipped.
    pub fn evaluate_codes(&self, codes: &[&str], pop: &Population) -> Outcome {
        let sel: Vec<usize> = codes.iter().filter_map(|c| self.index_of(c)).collect();
        self.evaluate_indices(&sel, pop)
    }

    /// What-if: evaluates one policy and the other members of its exclusive group (whose
    /// outcome it can change), reusing the population and its cached bitmaps.
    pub fn evaluate_policy(&self, code: &str, pop: &Population) -> Option<Outcome> {
        let idx = self.index_of(code)?;
        Some(self.evaluate_indices(&self.with_group(idx), pop))
    }

    fn evaluate_indices(&self, sel: &[usize], pop: &Population) -> Outcome {
        let n = pop.len();
        let mut prep = Prep::new(pop);
        for &i in sel {
            let p = &self.policies[i];
            for c in p
                .conditions
                .iter()
                .chain(&p.grants)
                .chain(&p.denies)
                .chain(&p.benefit)
            {
                prep.add(&c.t);
            }
        }
        prep.finish();

        let mut groups: Vec<Vec<usize>> = Vec::new();
        for g in &self.groups {
            let local: Vec<usize> = g
                .iter()
                .filter_map(|m| sel.iter().position(|s| s == m))
                .collect();
            if !local.is_empty() {
                groups.push(local);
            }
        }

        let mut policies: Vec<PolicyOutcome> = sel
            .iter()
            .map(|&i| {
                let p = &self.policies[i];
                PolicyOutcome {
                    code: p.code.clone(),
                    eligible: Bitmap::new(n),
                    superseded: Bitmap::new(n),
                    amount_fen: if p.benefit.is_some() {
                        vec![0; n]
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect();

        let nchunks = n.div_ceil(CHUNK);
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .clamp(1, 8)
            .min(nchunks.max(1));
        let mut per_thread: Vec<Vec<Work>> = (0..threads).map(|_| Vec::new()).collect();
        {
            let mut iters: Vec<_> = policies
                .iter_mut()
                .map(|p| {
                    (
                        p.eligible.words.chunks_mut(CHUNK / 64),
                        p.superseded.words.chunks_mut(CHUNK / 64),
                        p.amount_fen.chunks_mut(CHUNK),
                    )
                })
                .collect();
            for c in 0..nchunks {
                let rows = c * CHUNK..((c + 1) * CHUNK).min(n);
                let outs = iters
                    .iter_mut()
                    .map(|(e, s, a)| {
                        (
                            e.next().unwrap_or_default(),
                            s.next().unwrap_or_default(),
                            a.next().unwrap_or_default(),
                        )
                    })
                    .collect();
                per_thread[c * threads / nchunks.max(1)].push(Work { rows, outs });
            }
        }
        let prep = &prep;
        let groups_ref = &groups;
        let run = move |works: Vec<Work>| {
            let mut sc = Scratch::default();
            for mut w in works {
                let ev = Eval {
                    prep,
                    rows: w.rows.clone(),
                };
                for (k, &i) in sel.iter().enumerate() {
                    let (e, _, a) = &mut w.outs[k];
                    ev.policy(&self.policies[i], &mut sc, e, a);
                }
                resolve_groups(groups_ref, &mut w);
            }
        };
        if threads <= 1 {
            per_thread.into_iter().for_each(run);
        } else {
            std::thread::scope(|s| {
                let run = &run;
                let handles: Vec<_> = per_thread
                    .into_iter()
                    .map(|works| s.spawn(move || run(works)))
                    .collect();
                for h in handles {
                    if let Err(p) = h.join() {
                        std::panic::resume_unwind(p);
                    }
                }
            });
        }
        Outcome {
            policies,
            groups,
            rows: n,
        }
    }
}
