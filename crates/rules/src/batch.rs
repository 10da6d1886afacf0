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

use crate::check::{ArOp, CmpOp, T, TK, walk};
use crate::compile::{Compiled, RuleSet};
use crate::facts::{Bitmap, MISSING, Population};
use crate::{arith, cmp_num, nmax, nmin, yuan_to_fen};

mod whatif;
pub use whatif::WhatIf;
#[cfg(test)]
pub(crate) use whatif::paths;

/// Rows per chunk; a multiple of 64 so chunks own whole bitmap words.
pub const CHUNK: usize = 4096;

/// One policy's result over a population, after exceptions and groups.
///
/// Amounts are kept only for eligible rows (per chunk, in row order), so memory follows the
/// number of eligible enterprises rather than the population; read them with
/// [`PolicyOutcome::amount`] or [`PolicyOutcome::amounts`].
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyOutcome {
    pub code: String,
    /// Final eligibility per row.
    pub eligible: Bitmap,
    /// Rows that were eligible but lost to a better policy of the same group.
    pub superseded: Bitmap,
    has_benefit: bool,
    /// Per chunk of [`CHUNK`] rows: the amounts of its eligible rows, in row order (a what-if
    /// shares the baseline's where a chunk is unchanged).
    pieces: Vec<Arc<Vec<i64>>>,
    /// Per chunk: the sum of its piece (kept while the amounts are written).
    sums: Vec<i128>,
    /// Per bitmap word: eligible rows before it within its chunk (empty without a benefit).
    ranks: Vec<u16>,
}

impl PolicyOutcome {
    /// Whether the policy has a benefit formula (money).
    pub fn has_benefit(&self) -> bool {
        self.has_benefit
    }
    /// Amount in fen for a row: 0 when not eligible, superseded or without a benefit.
    pub fn amount(&self, row: usize) -> i64 {
        if !self.has_benefit || !self.eligible.get(row) {
            return 0;
        }
        let c = row / CHUNK;
        let words = self.eligible.words();
        let (w0, wi) = (c * CHUNK / 64, row / 64);
        let below = words[wi] & ((1u64 << (row % 64)) - 1);
        let rank = words[w0..wi]
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum::<usize>()
            + below.count_ones() as usize;
        self.pieces
            .get(c)
            .and_then(|p| p.get(rank))
            .copied()
            .unwrap_or(0)
    }
    /// (row, amount in fen) for every eligible row, ascending (amount 0 without a benefit).
    pub fn amounts(&self) -> impl Iterator<Item = (usize, i64)> + '_ {
        let mut piece = 0usize;
        let mut k = 0usize;
        self.eligible.iter_ones().map(move |row| {
            if row / CHUNK != piece {
                piece = row / CHUNK;
                k = 0;
            }
            let a = if self.has_benefit {
                self.pieces
                    .get(piece)
                    .and_then(|p| p.get(k))
                    .copied()
                    .unwrap_or(0)
            } else {
                0
            };
            k += 1;
            (row, a)
        })
    }
    /// One amount per row (0 where not eligible); allocates a full column.
    pub fn amounts_dense(&self) -> Vec<i64> {
        let mut v = vec![0; self.eligible.len()];
        for (r, a) in self.amounts() {
            v[r] = a;
        }
        v
    }
    pub fn eligible_count(&self) -> usize {
        self.eligible.count_ones()
    }
    /// Sum of amounts in fen (saturating).
    pub fn total_fen(&self) -> i64 {
        let t: i128 = self.sums.iter().sum();
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
    let nwords = wa.len().max(wb.len());
    let per_chunk = CHUNK / 64;
    // an empty piece (no benefit) reads as zeros
    fn piece(p: &PolicyOutcome, c: usize) -> &[i64] {
        match p.pieces.get(c) {
            Some(v) if p.has_benefit => v.as_slice(),
            _ => &[],
        }
    }
    for c in 0..nwords.div_ceil(per_chunk) {
        let (pa, pb) = (piece(before, c), piece(after, c));
        let get = |v: &[i64], k: usize| v.get(k).copied().unwrap_or(0);
        let (mut ka, mut kb) = (0usize, 0usize);
        for wi in c * per_chunk..((c + 1) * per_chunk).min(nwords) {
            let a = wa.get(wi).copied().unwrap_or(0);
            let b = wb.get(wi).copied().unwrap_or(0);
            let push = |mut bits: u64, out: &mut Vec<usize>| {
                while bits != 0 {
                    out.push(wi * 64 + bits.trailing_zeros() as usize);
                    bits &= bits - 1;
                }
            };
            push(b & !a, &mut gained);
            push(a & !b, &mut lost);
            let (na, nb) = (a.count_ones() as usize, b.count_ones() as usize);
            let same = a == b
                && ((pa.is_empty() && pb.is_empty())
                    || (pa.get(ka..ka + na).is_some()
                        && pa.get(ka..ka + na) == pb.get(kb..kb + nb)));
            if !same && a & b != 0 {
                let (mut ia, mut ib) = (ka, kb);
                let mut bits = a | b;
                while bits != 0 {
                    let t = bits.trailing_zeros();
                    let m = 1u64 << t;
                    if a & m != 0 && b & m != 0 && get(pa, ia) != get(pb, ib) {
                        changed.push(wi * 64 + t as usize);
                    }
                    ia += usize::from(a & m != 0);
                    ib += usize::from(b & m != 0);
                    bits &= bits - 1;
                }
            }
            ka += na;
            kb += nb;
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

/// The exact sum of a piece (at most [`CHUNK`] amounts), vectorised: the high and low 32-bit
/// halves of the two's complement and the count of negatives are summed in u64 (no overflow),
/// then combined in i128.
pub(crate) fn piece_sum(p: &[i64]) -> i128 {
    let (mut hi, mut lo, mut neg) = (0u64, 0u64, 0u64);
    for &a in p {
        let u = a as u64;
        hi += u >> 32;
        lo += u & 0xffff_ffff;
        neg += u >> 63;
    }
    (i128::from(hi) << 32) + i128::from(lo) - (i128::from(neg) << 64)
}

/// Literal ids and lookup tables for one population.
struct Prep<'p> {
    pop: &'p Population,
    lit: HashMap<String, u32>,
    virtual_lits: Vec<String>,
    members: HashMap<(usize, u32), Arc<Bitmap>>,
    prefix: HashMap<String, Vec<bool>>,
    /// `s in ['a', 'b']`: per string id, whether it is in the literal list.
    in_lists: HashMap<Vec<String>, Vec<bool>>,
}

impl<'p> Prep<'p> {
    fn new(pop: &'p Population) -> Prep<'p> {
        Prep {
            pop,
            lit: HashMap::new(),
            virtual_lits: Vec::new(),
            members: HashMap::new(),
            prefix: HashMap::new(),
            in_lists: HashMap::new(),
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
            TK::List(items) => {
                items.iter().for_each(|s| {
                    self.lit_id(s);
                });
                self.in_lists.entry(items.clone()).or_default();
            }
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
        let lists: Vec<Vec<String>> = self.in_lists.keys().cloned().collect();
        for items in lists {
            let ids: Vec<u32> = items
                .iter()
                .filter_map(|s| self.lit.get(s).copied())
                .collect();
            let len = self.pop.dict.len() + self.virtual_lits.len();
            let table = (0..len as u32).map(|id| ids.contains(&id)).collect();
            self.in_lists.insert(items, table);
        }
    }
}

#[derive(Default)]
struct Scratch {
    f: Vec<Vec<f64>>,
    w: Vec<Vec<u64>>,
    s: Vec<Vec<u32>>,
}

enum NV<'p> {
    C(f64),
    S(&'p [f64]),
    B(Vec<f64>),
}

/// A bool column as bit words (bit `i % 64` of word `i / 64` is row `i` of the chunk; bits
/// past the chunk's end are unspecified) or a constant.
enum BV {
    C(bool),
    W(Vec<u64>),
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
    /// The column, or `Err(constant)`.
    fn col(&self) -> Result<&[f64], f64> {
        match self {
            NV::C(x) => Err(*x),
            _ => Ok(self.slice()),
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
    /// The column, or `Err(constant)`.
    fn col(&self) -> Result<&[u32], u32> {
        match self {
            SV::C(x) => Err(*x),
            _ => Ok(self.slice()),
        }
    }
}

#[inline(always)]
fn bit(w: &[u64], i: usize) -> bool {
    w[i >> 6] >> (i & 63) & 1 == 1
}

/// Eight 0/1 bytes (little-endian in a u64) → eight bits: byte i lands on bit 56 + i of the
/// product and nothing carries into the top byte.
#[inline(always)]
fn byte_bits(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    u64::from_le_bytes(a).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Sixty-four 0/1 bytes → one word.
#[inline(always)]
fn word_of(tmp: &[u8; 64]) -> u64 {
    tmp.chunks_exact(8)
        .enumerate()
        .fold(0u64, |w, (g, b)| w | byte_bits(b) << (8 * g))
}

/// Packs `f(x)` for each element into bit words (through a byte buffer, so the comparisons
/// vectorise).
#[inline(always)]
fn pack<X: Copy>(xs: &[X], out: &mut Vec<u64>, f: impl Fn(X) -> bool) {
    let mut tmp = [0u8; 64];
    for c in xs.chunks(64) {
        if c.len() < 64 {
            tmp.fill(0);
        }
        for (t, &x) in tmp.iter_mut().zip(c) {
            *t = u8::from(f(x));
        }
        out.push(word_of(&tmp));
    }
}

#[inline(always)]
fn pack2<X: Copy, Y: Copy>(xs: &[X], ys: &[Y], out: &mut Vec<u64>, f: impl Fn(X, Y) -> bool) {
    let mut tmp = [0u8; 64];
    for (a, b) in xs.chunks(64).zip(ys.chunks(64)) {
        if a.len() < 64 {
            tmp.fill(0);
        }
        for (t, (&x, &y)) in tmp.iter_mut().zip(a.iter().zip(b)) {
            *t = u8::from(f(x, y));
        }
        out.push(word_of(&tmp));
    }
}

/// `out[i]` = `a[i]` where bit `i` of `mask` is set, else `b[i]`, for `i < n`; `Err(x)` stands
/// for a constant column. One loop per shape, both sides read and the choice branch-free.
#[inline(always)]
fn select<X: Copy>(
    mask: &[u64],
    n: usize,
    a: Result<&[X], X>,
    b: Result<&[X], X>,
    out: &mut Vec<X>,
) {
    #[inline(always)]
    fn run<X: Copy>(
        mask: &[u64],
        n: usize,
        out: &mut Vec<X>,
        a: impl Fn(usize) -> X,
        b: impl Fn(usize) -> X,
    ) {
        out.reserve(n);
        for (wi, &m) in mask.iter().enumerate().take(n.div_ceil(64)) {
            let lo = wi * 64;
            out.extend((lo..(lo + 64).min(n)).map(|i| {
                let (x, y) = (a(i), b(i));
                if m >> (i - lo) & 1 == 1 { x } else { y }
            }));
        }
    }
    match (a, b) {
        (Err(x), Err(y)) => run(mask, n, out, |_| x, |_| y),
        (Err(x), Ok(ys)) => run(mask, n, out, |_| x, |i| ys[i]),
        (Ok(xs), Err(y)) => run(mask, n, out, |i| xs[i], |_| y),
        (Ok(xs), Ok(ys)) => run(mask, n, out, |i| xs[i], |i| ys[i]),
    }
}

impl Scratch {
    fn f(&mut self) -> Vec<f64> {
        let mut v = self.f.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK));
        v.clear();
        v
    }
    fn w(&mut self) -> Vec<u64> {
        let mut v = self
            .w
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(CHUNK / 64));
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
        if let BV::W(b) = v {
            self.w.push(b);
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
    /// Row-sparse evaluation: only these rows (absolute, ascending, within `rows`), in order;
    /// every column of the evaluation then has one element per picked row.
    pick: Option<&'r [u32]>,
}

impl<'p> Eval<'p, '_> {
    fn n(&self) -> usize {
        self.pick.map_or(self.rows.len(), <[u32]>::len)
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
            _ => sc.w(),
        };
        match (&a, &b) {
            (NV::C(x), _) => pack(b.slice(), &mut out, |y| f(*x, y)),
            (_, NV::C(y)) => pack(a.slice(), &mut out, |x| f(x, *y)),
            _ => pack2(a.slice(), b.slice(), &mut out, &f),
        }
        sc.give_n(a);
        sc.give_n(b);
        BV::W(out)
    }

    fn str_cmp(&self, a: SV<'p>, b: SV<'p>, ne: bool, sc: &mut Scratch) -> BV {
        let f = |x: u32, y: u32| x != MISSING && y != MISSING && ((x == y) != ne);
        let mut out = match (&a, &b) {
            (SV::C(x), SV::C(y)) => return BV::C(f(*x, *y)),
            _ => sc.w(),
        };
        match (&a, &b) {
            (SV::C(x), _) => pack(b.slice(), &mut out, |y| f(*x, y)),
            (_, SV::C(y)) => pack(a.slice(), &mut out, |x| f(x, *y)),
            _ => pack2(a.slice(), b.slice(), &mut out, f),
        }
        sc.give_s(a);
        sc.give_s(b);
        BV::W(out)
    }

    /// Combines two bool columns word by word with a symmetric `f` (and, or, xnor, xor).
    fn bool_zip(&self, a: BV, b: BV, sc: &mut Scratch, f: impl Fn(u64, u64) -> u64) -> BV {
        match (a, b) {
            (BV::C(x), BV::C(y)) => {
                let m = |b: bool| if b { u64::MAX } else { 0 };
                BV::C(f(m(x), m(y)) & 1 == 1)
            }
            (BV::C(x), BV::W(mut v)) | (BV::W(mut v), BV::C(x)) => {
                let c = if x { u64::MAX } else { 0 };
                v.iter_mut().for_each(|y| *y = f(c, *y));
                BV::W(v)
            }
            (BV::W(mut v), BV::W(w)) => {
                v.iter_mut().zip(&w).for_each(|(x, &y)| *x = f(*x, y));
                sc.w.push(w);
                BV::W(v)
            }
        }
    }

    fn not(v: BV) -> BV {
        match v {
            BV::C(x) => BV::C(!x),
            BV::W(mut v) => {
                v.iter_mut().for_each(|x| *x = !*x);
                BV::W(v)
            }
        }
    }

    fn num(&self, t: &T, sc: &mut Scratch) -> NV<'p> {
        let pop = self.prep.pop;
        match &t.kind {
            TK::Num(x) => NV::C(*x),
            TK::Param { value, .. } => NV::C(*value),
            TK::NumAttr(i) => match self.pick {
                None => NV::S(&pop.nums[*i][self.rows.clone()]),
                Some(p) => {
                    let col = &pop.nums[*i];
                    let mut out = sc.f();
                    out.extend(p.iter().map(|&r| col[r as usize]));
                    NV::B(out)
                }
            },
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
                match op {
                    ArOp::Add => self.num_zip(a, b, sc, |x, y| arith(ArOp::Add, x, y)),
                    ArOp::Sub => self.num_zip(a, b, sc, |x, y| arith(ArOp::Sub, x, y)),
                    ArOp::Mul => self.num_zip(a, b, sc, |x, y| arith(ArOp::Mul, x, y)),
                    ArOp::Div => self.num_zip(a, b, sc, |x, y| arith(ArOp::Div, x, y)),
                }
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
                    let mut out = sc.f();
                    match self.pick {
                        None => {
                            let off = &pop.lists[*i].offsets[self.rows.start..=self.rows.end];
                            out.extend(off.windows(2).map(|w| f64::from(w[1] - w[0])));
                        }
                        Some(p) => {
                            let off = &pop.lists[*i].offsets;
                            out.extend(p.iter().map(|&r| {
                                let r = r as usize;
                                f64::from(off[r + 1] - off[r])
                            }));
                        }
                    }
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
                    BV::W(mask) => {
                        let (a, b) = (self.num(a, sc), self.num(b, sc));
                        let mut out = sc.f();
                        select(&mask, self.n(), a.col(), b.col(), &mut out);
                        sc.give_n(a);
                        sc.give_n(b);
                        sc.w.push(mask);
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
            TK::StrAttr(i) => match self.pick {
                None => SV::S(&self.prep.pop.strs[*i][self.rows.clone()]),
                Some(p) => {
                    let col = &self.prep.pop.strs[*i];
                    let mut out = sc.s();
                    out.extend(p.iter().map(|&r| col[r as usize]));
                    SV::B(out)
                }
            },
            TK::Cond(c, a, b) => match self.bool(c, sc) {
                BV::C(true) => self.str(a, sc),
                BV::C(false) => self.str(b, sc),
                BV::W(mask) => {
                    let (a, b) = (self.str(a, sc), self.str(b, sc));
                    let mut out = sc.s();
                    select(&mask, self.n(), a.col(), b.col(), &mut out);
                    sc.give_s(a);
                    sc.give_s(b);
                    sc.w.push(mask);
                    SV::B(out)
                }
            },
            _ => SV::C(MISSING),
        }
    }

    /// The chunk's words of a population-wide bitmap (chunks start on a word boundary).
    fn words(&self, bm: &Bitmap, sc: &mut Scratch) -> BV {
        let mut out = sc.w();
        match self.pick {
            None => {
                let s = self.rows.start / 64;
                let e = self.rows.end.div_ceil(64);
                out.extend_from_slice(&bm.words()[s..e]);
            }
            Some(p) => pack(p, &mut out, |r| bit(bm.words(), r as usize)),
        }
        BV::W(out)
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
                if *ne {
                    self.bool_zip(a, b, sc, |x, y| x ^ y)
                } else {
                    self.bool_zip(a, b, sc, |x, y| !(x ^ y))
                }
            }
            TK::Not(a) => Self::not(self.bool(a, sc)),
            TK::And(a, b) => {
                let a = self.bool(a, sc);
                if let BV::C(false) = a {
                    return a;
                }
                let b = self.bool(b, sc);
                self.bool_zip(a, b, sc, |x, y| x & y)
            }
            TK::Or(a, b) => {
                let a = self.bool(a, sc);
                if let BV::C(true) = a {
                    return a;
                }
                let b = self.bool(b, sc);
                self.bool_zip(a, b, sc, |x, y| x | y)
            }
            TK::Cond(c, a, b) => match self.bool(c, sc) {
                BV::C(true) => self.bool(a, sc),
                BV::C(false) => self.bool(b, sc),
                BV::W(mut mask) => {
                    let (a, b) = (self.bool(a, sc), self.bool(b, sc));
                    let word = |v: &BV, i: usize| match v {
                        BV::C(x) => {
                            if *x {
                                u64::MAX
                            } else {
                                0
                            }
                        }
                        BV::W(v) => v[i],
                    };
                    for (i, m) in mask.iter_mut().enumerate() {
                        *m = (*m & word(&a, i)) | (!*m & word(&b, i));
                    }
                    sc.give_b(a);
                    sc.give_b(b);
                    BV::W(mask)
                }
            },
            TK::In(a, b) => match (&a.kind, &b.kind) {
                (TK::Str(s), TK::ListAttr(i)) => match self.prep.pop.intern_id(s) {
                    None => BV::C(false),
                    Some(id) => match self.prep.members.get(&(*i, id)) {
                        Some(bm) => self.words(bm, sc),
                        None => self.words(&pop.members(*i, id), sc),
                    },
                },
                (_, TK::List(items)) => {
                    let Some(table) = self.prep.in_lists.get(items) else {
                        return BV::C(false);
                    };
                    let f = |x: u32| table.get(x as usize).copied().unwrap_or(false);
                    match self.str(a, sc) {
                        SV::C(x) => BV::C(f(x)),
                        v => {
                            let mut out = sc.w();
                            pack(v.slice(), &mut out, f);
                            sc.give_s(v);
                            BV::W(out)
                        }
                    }
                }
                (_, TK::ListAttr(i)) => {
                    let l = &pop.lists[*i];
                    let v = self.str(a, sc);
                    let rows: Vec<usize> = match self.pick {
                        None => self.rows.clone().collect(),
                        Some(p) => p.iter().map(|&r| r as usize).collect(),
                    };
                    let mut out = sc.w();
                    match &v {
                        SV::C(x) => pack(&rows, &mut out, |r| {
                            let (s, e) = (l.offsets[r] as usize, l.offsets[r + 1] as usize);
                            *x != MISSING && l.values[s..e].contains(x)
                        }),
                        _ => pack2(&rows, v.slice(), &mut out, |r, x| {
                            let (s, e) = (l.offsets[r] as usize, l.offsets[r + 1] as usize);
                            x != MISSING && l.values[s..e].contains(&x)
                        }),
                    }
                    sc.give_s(v);
                    BV::W(out)
                }
                _ => BV::C(false),
            },
            TK::Has(i) => {
                let mut out = sc.w();
                let r = self.rows.clone();
                let ty = crate::Schema::enterprise().attr(*i).ty;
                if let Some(p) = self.pick {
                    match ty {
                        crate::AttrType::Number => {
                            let col = &pop.nums[*i];
                            pack(p, &mut out, |r| !col[r as usize].is_nan());
                        }
                        crate::AttrType::String => {
                            let col = &pop.strs[*i];
                            pack(p, &mut out, |r| col[r as usize] != MISSING);
                        }
                        crate::AttrType::List => {
                            let off = &pop.lists[*i].offsets;
                            pack(p, &mut out, |r| off[r as usize + 1] > off[r as usize]);
                        }
                    }
                    return BV::W(out);
                }
                match ty {
                    crate::AttrType::Number => pack(&pop.nums[*i][r], &mut out, |x| !x.is_nan()),
                    crate::AttrType::String => pack(&pop.strs[*i][r], &mut out, |x| x != MISSING),
                    crate::AttrType::List => {
                        let off = &pop.lists[*i].offsets;
                        pack2(
                            &off[r.start..r.end],
                            &off[r.start + 1..=r.end],
                            &mut out,
                            |a, b| b > a,
                        );
                    }
                }
                BV::W(out)
            }
            TK::StartsWith(a, p) => {
                let Some(table) = self.prep.prefix.get(p) else {
                    return BV::C(false);
                };
                let f = |x: u32| table.get(x as usize).copied().unwrap_or(false);
                match self.str(a, sc) {
                    SV::C(x) => BV::C(f(x)),
                    v => {
                        let mut out = sc.w();
                        pack(v.slice(), &mut out, f);
                        sc.give_s(v);
                        BV::W(out)
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
            ok = self.bool_zip(ok, v, sc, |x, y| x & y);
        }
        for g in &p.grants {
            if let BV::C(true) = ok {
                break;
            }
            let v = self.bool(&g.t, sc);
            ok = self.bool_zip(ok, v, sc, |x, y| x | y);
        }
        for d in &p.denies {
            if let BV::C(false) = ok {
                break;
            }
            let v = Self::not(self.bool(&d.t, sc));
            ok = self.bool_zip(ok, v, sc, |x, y| x & y);
        }
        let n = self.n();
        let tail = |i: usize, w: u64| {
            let left = n - i * 64;
            if left >= 64 {
                w
            } else {
                w & ((1u64 << left) - 1)
            }
        };
        match &ok {
            BV::C(x) => {
                let w = if *x { u64::MAX } else { 0 };
                for (i, word) in elig_words.iter_mut().enumerate() {
                    *word = tail(i, w);
                }
            }
            BV::W(v) => {
                for (i, (word, &w)) in elig_words.iter_mut().zip(v).enumerate() {
                    *word = tail(i, w);
                }
            }
        }
        if let Some(b) = &p.benefit
            && !amounts.is_empty()
        {
            match &ok {
                BV::C(false) => amounts.fill(0),
                _ => {
                    let y = self.num(&b.t, sc);
                    match (&ok, &y) {
                        (BV::C(_), NV::C(c)) => amounts.fill(yuan_to_fen(*c)),
                        (BV::C(_), _) => {
                            for (a, &v) in amounts.iter_mut().zip(y.slice()) {
                                *a = yuan_to_fen(v);
                            }
                        }
                        (BV::W(m), NV::C(c)) => {
                            let f = yuan_to_fen(*c);
                            for (i, a) in amounts.iter_mut().enumerate() {
                                *a = f & -i64::from(bit(m, i));
                            }
                        }
                        (BV::W(m), _) => {
                            for (i, (a, &v)) in amounts.iter_mut().zip(y.slice()).enumerate() {
                                *a = yuan_to_fen(v) & -i64::from(bit(m, i));
                            }
                        }
                    }
                    sc.give_n(y);
                }
            }
        }
        sc.give_b(ok);
    }
}

impl Eval<'_, '_> {
    /// Amounts of the chunk's eligible rows, appended in row order (policies outside groups,
    /// which need no per-row amount before compaction).
    fn benefit_into(&self, p: &Compiled, sc: &mut Scratch, elig: &[u64], piece: &mut Vec<i64>) {
        let Some(b) = &p.benefit else { return };
        let count: usize = elig.iter().map(|w| w.count_ones() as usize).sum();
        if count == 0 {
            return;
        }
        piece.reserve_exact(count);
        let y = self.num(&b.t, sc);
        match &y {
            NV::C(c) => piece.extend(std::iter::repeat_n(yuan_to_fen(*c), count)),
            _ => {
                let ys = y.slice();
                for (wi, &word) in elig.iter().enumerate() {
                    let mut bits = word;
                    while bits != 0 {
                        piece.push(yuan_to_fen(ys[wi * 64 + bits.trailing_zeros() as usize]));
                        bits &= bits - 1;
                    }
                }
            }
        }
        sc.give_n(y);
    }
}

/// One policy's share of a chunk's outputs: eligible words, superseded words, amounts of the
/// eligible rows and their sum.
type Out<'o> = (&'o mut [u64], &'o mut [u64], &'o mut Vec<i64>, &'o mut i128);

/// One chunk's share of every selected policy's outputs.
struct Work<'o> {
    rows: Range<usize>,
    /// One per selected policy.
    outs: Vec<Out<'o>>,
}

/// 从高从优 within one chunk: among a group's eligible members keep the highest amount (ties:
/// the lowest code, i.e. the first member). `dense[k]` holds policy k's amount per row.
fn resolve_groups(groups: &[Vec<usize>], w: &mut Work, dense: &mut [Vec<i64>]) {
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
                        let amt = dense[m].get(local).copied().unwrap_or(0);
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
                    }
                }
            }
        }
    }
}

/// Per bitmap word: eligible rows before it within its chunk (only with a benefit).
fn fill_ranks(p: &mut PolicyOutcome) {
    if !p.has_benefit {
        return;
    }
    let words = p.eligible.words();
    let mut ranks = Vec::with_capacity(words.len());
    let mut acc = 0u16;
    for (wi, w) in words.iter().enumerate() {
        if wi % (CHUNK / 64) == 0 {
            acc = 0;
        }
        ranks.push(acc);
        acc += w.count_ones() as u16;
    }
    p.ranks = ranks;
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

        let groups = local_groups(&self.groups, sel);

        let mut policies: Vec<PolicyOutcome> = sel
            .iter()
            .map(|&i| {
                let p = &self.policies[i];
                PolicyOutcome {
                    code: p.code.clone(),
                    eligible: Bitmap::new(n),
                    superseded: Bitmap::new(n),
                    has_benefit: p.benefit.is_some(),
                    pieces: (0..n.div_ceil(CHUNK))
                        .map(|_| Arc::new(Vec::new()))
                        .collect(),
                    sums: vec![0; n.div_ceil(CHUNK)],
                    ranks: Vec::new(),
                }
            })
            .collect();

        let nchunks = n.div_ceil(CHUNK);
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .clamp(1, 8)
            .min(nchunks.max(1));
        let mut works: Vec<Work> = (0..nchunks)
            .map(|c| Work {
                rows: c * CHUNK..((c + 1) * CHUNK).min(n),
                outs: Vec::with_capacity(sel.len()),
            })
            .collect();
        for p in policies.iter_mut() {
            let parts = p
                .eligible
                .words
                .chunks_mut(CHUNK / 64)
                .zip(p.superseded.words.chunks_mut(CHUNK / 64))
                .zip(
                    p.pieces
                        .iter_mut()
                        .map(Arc::make_mut)
                        .zip(p.sums.iter_mut()),
                );
            for (w, ((e, s), (a, t))) in works.iter_mut().zip(parts) {
                w.outs.push((e, s, a, t));
            }
        }
        let mut per_thread: Vec<Vec<Work>> = (0..threads).map(|_| Vec::new()).collect();
        for (c, w) in works.into_iter().enumerate() {
            per_thread[c * threads / nchunks.max(1)].push(w);
        }
        let prep = &prep;
        let groups_ref = &groups;
        let run = move |works: Vec<Work>| {
            let mut sc = Scratch::default();
            // per grouped money policy: its amount for each row of the chunk, kept dense until
            // the group is resolved, then compacted
            let mut dense: Vec<Vec<i64>> = sel
                .iter()
                .map(|&i| {
                    let p = &self.policies[i];
                    let grouped = p.group.is_some_and(|g| self.groups[g].len() > 1);
                    if p.benefit.is_some() && grouped {
                        vec![0; CHUNK]
                    } else {
                        Vec::new()
                    }
                })
                .collect();
            for mut w in works {
                let n = w.rows.len();
                let ev = Eval {
                    prep,
                    rows: w.rows.clone(),
                    pick: None,
                };
                for (k, &i) in sel.iter().enumerate() {
                    let p = &self.policies[i];
                    let d = &mut dense[k];
                    let (e, _, piece, _) = &mut w.outs[k];
                    if d.is_empty() {
                        ev.policy(p, &mut sc, e, &mut []);
                        ev.benefit_into(p, &mut sc, e, piece);
                    } else {
                        ev.policy(p, &mut sc, e, &mut d[..n]);
                    }
                }
                resolve_groups(groups_ref, &mut w, &mut dense);
                for (k, (e, _, piece, sum)) in w.outs.iter_mut().enumerate() {
                    let d = &dense[k];
                    if d.is_empty() {
                        **sum = piece_sum(piece);
                        continue;
                    }
                    let count: u32 = e.iter().map(|x| x.count_ones()).sum();
                    piece.reserve_exact(count as usize);
                    for (wi, &word) in e.iter().enumerate() {
                        let mut bits = word;
                        while bits != 0 {
                            piece.push(d[wi * 64 + bits.trailing_zeros() as usize]);
                            bits &= bits - 1;
                        }
                    }
                    **sum = piece_sum(piece);
                }
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
        for p in policies.iter_mut() {
            fill_ranks(p);
        }
        Outcome {
            policies,
            groups,
            rows: n,
        }
    }
}

/// The exclusive groups restricted to the selected policies, as positions in `sel`; groups with
/// no selected member are dropped.
pub(crate) fn local_groups(groups: &[Vec<usize>], sel: &[usize]) -> Vec<Vec<usize>> {
    groups
        .iter()
        .map(|g| {
            g.iter()
                .filter_map(|m| sel.iter().position(|s| s == m))
                .collect::<Vec<usize>>()
        })
        .filter(|local| !local.is_empty())
        .collect()
}
