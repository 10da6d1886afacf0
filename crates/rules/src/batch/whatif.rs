//! Incremental what-if: [`WhatIf`] keeps, for the policies already simulated, the baseline's
//! per-clause bitmaps and its outcome within the exclusive group (eligible and superseded rows
//! with their amounts). A changed rule set then re-evaluates only the clauses whose compiled tree
//! (parameters bound) differs, and only on the rows where the cached clauses leave the result
//! open; the benefit only for rows whose amount is not known yet; and the group only in the
//! 64-row words where some member's eligibility or amounts changed. Results are written straight
//! into the outcome's bitmaps and per-chunk amount vectors (exact capacity).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use super::{BV, Eval, NV, Outcome, PolicyOutcome, Prep, Scratch, fill_ranks};
use crate::check::T;
use crate::compile::{Compiled, RuleSet};
use crate::facts::{Bitmap, Population};
use crate::{CHUNK, yuan_to_fen};

/// Bitmap words per chunk.
const WPC: usize = CHUNK / 64;

/// A clause is evaluated over the whole chunk when at least 1/`DENSE` of its rows are needed,
/// else only on those rows (gathered).
const DENSE: usize = 2;

type Words = [u64; WPC];

/// Counts of the paths taken, for the tests (which check that each one is exercised).
#[cfg(test)]
pub(crate) mod paths {
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub(crate) const NAMES: [&str; 9] = [
        "clause on gathered rows",
        "clause on a whole chunk",
        "benefit on gathered rows",
        "benefit on a whole chunk",
        "piece shared with the baseline",
        "piece edited",
        "baseline group resolution not reused",
        "eligibility before the group from the cache",
        "eligibility before the group from cached clauses only",
    ];
    static COUNTS: [AtomicUsize; 9] = [const { AtomicUsize::new(0) }; 9];

    pub(crate) fn hit(i: usize) {
        COUNTS[i].fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn snapshot() -> [usize; 9] {
        std::array::from_fn(|i| COUNTS[i].load(Ordering::Relaxed))
    }
}

#[cfg(test)]
use paths::hit;
#[cfg(not(test))]
#[inline(always)]
fn hit(_: usize) {}

/// One baseline policy: its clause results and its outcome within its baseline group.
struct Member {
    /// (compiled tree, result) per condition, grant and deny.
    conditions: Vec<(T, Bitmap)>,
    grants: Vec<(T, Bitmap)>,
    denies: Vec<(T, Bitmap)>,
    benefit: Option<T>,
    /// Codes of the baseline group the outcome below was resolved in, sorted (just the policy's
    /// code outside a group).
    group: Vec<String>,
    /// Baseline outcome: eligible rows, and rows eligible before the group but superseded
    /// (together: eligibility before the group).
    eligible: Bitmap,
    superseded: Bitmap,
    /// Per chunk, in row order: amounts of the eligible rows, of the superseded rows (empty
    /// without a benefit).
    won: Vec<Arc<Vec<i64>>>,
    lost: Vec<Vec<i64>>,
    /// Per bitmap word: eligible (superseded) rows before it within its chunk.
    won_rank: Vec<u16>,
    lost_rank: Vec<u16>,
    /// Per chunk: the sum of `won`.
    won_sum: Vec<i128>,
}

/// Baseline results kept for incremental what-if runs over one population (see
/// [`WhatIf::evaluate_policy`]). A policy's baseline is computed the first time it (or a member
/// of its group) is simulated, then kept: one bit per row per clause, its eligible and
/// superseded rows and the amounts of both.
pub struct WhatIf {
    base: RuleSet,
    rows: usize,
    cache: Mutex<HashMap<String, Arc<Member>>>,
}

/// Runs `f` on every item on up to 8 threads (contiguous shares, one `S` per thread).
fn par_items<I: Send, S: Default>(items: Vec<I>, f: impl Fn(I, &mut S) + Sync) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 8)
        .min(items.len().max(1));
    if threads <= 1 {
        let mut st = S::default();
        items.into_iter().for_each(|i| f(i, &mut st));
        return;
    }
    let total = items.len();
    let mut shares: Vec<Vec<I>> = (0..threads).map(|_| Vec::new()).collect();
    for (k, i) in items.into_iter().enumerate() {
        shares[k * threads / total].push(i);
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| {
                s.spawn(move || {
                    let mut st = S::default();
                    share.into_iter().for_each(|i| f(i, &mut st));
                })
            })
            .collect();
        for h in handles {
            if let Err(p) = h.join() {
                std::panic::resume_unwind(p);
            }
        }
    });
}

fn chunk_rows(c: usize, n: usize) -> Range<usize> {
    c * CHUNK..((c + 1) * CHUNK).min(n)
}

/// The chunk's words of a population-wide bitmap, zero-padded to a whole chunk.
fn chunk_of(b: &Bitmap, c: usize) -> Words {
    let mut w = [0u64; WPC];
    let src = &b.words[c * WPC..((c + 1) * WPC).min(b.words.len())];
    w[..src.len()].copy_from_slice(src);
    w
}

/// All-ones for the `len` rows of a chunk.
fn full(len: usize) -> Words {
    let mut w = [0u64; WPC];
    for (i, x) in w.iter_mut().enumerate() {
        let left = len.saturating_sub(i * 64);
        *x = if left >= 64 {
            u64::MAX
        } else if left == 0 {
            0
        } else {
            (1u64 << left) - 1
        };
    }
    w
}

fn count(w: &Words) -> usize {
    w.iter().map(|x| x.count_ones() as usize).sum()
}

/// Ascending absolute rows of the bits set in `mask` (a chunk starting at `start`).
fn rows_of(mask: &Words, start: usize, out: &mut Vec<u32>) {
    out.clear();
    for (wi, &word) in mask.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            out.push((start + wi * 64 + bits.trailing_zeros() as usize) as u32);
            bits &= bits - 1;
        }
    }
}

/// A boolean clause on the rows of `mask` (0 elsewhere): over the whole chunk when many rows
/// are needed, else on the gathered rows only.
fn bool_on(
    prep: &Prep,
    rows: Range<usize>,
    mask: &Words,
    t: &T,
    sc: &mut Scratch,
    pick: &mut Vec<u32>,
) -> Words {
    let k = count(mask);
    let mut out = [0u64; WPC];
    if k == 0 {
        return out;
    }
    let (start, len) = (rows.start, rows.len());
    if k * DENSE >= len {
        hit(1);
        let ev = Eval {
            prep,
            rows,
            pick: None,
        };
        let v = ev.bool(t, sc);
        match &v {
            BV::C(true) => out = *mask,
            BV::C(false) => {}
            BV::W(w) => {
                for (o, (&x, &m)) in out.iter_mut().zip(w.iter().zip(mask)) {
                    *o = x & m;
                }
            }
        }
        sc.give_b(v);
        return out;
    }
    hit(0);
    rows_of(mask, start, pick);
    let ev = Eval {
        prep,
        rows,
        pick: Some(pick),
    };
    let v = ev.bool(t, sc);
    match &v {
        BV::C(true) => out = *mask,
        BV::C(false) => {}
        BV::W(w) => {
            for (wi, &word) in w.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let j = wi * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if let Some(&r) = pick.get(j) {
                        let local = r as usize - start;
                        out[local / 64] |= 1u64 << (local % 64);
                    }
                }
            }
        }
    }
    sc.give_b(v);
    out
}

/// Amounts in fen of the rows of `mask`, appended in row order.
fn benefit_on(
    prep: &Prep,
    rows: Range<usize>,
    mask: &Words,
    t: &T,
    sc: &mut Scratch,
    pick: &mut Vec<u32>,
    out: &mut Vec<i64>,
) {
    let k = count(mask);
    if k == 0 {
        return;
    }
    out.reserve(k);
    let (start, len) = (rows.start, rows.len());
    let dense = k * DENSE >= len;
    hit(if dense { 3 } else { 2 });
    let ev = if dense {
        Eval {
            prep,
            rows,
            pick: None,
        }
    } else {
        rows_of(mask, start, pick);
        Eval {
            prep,
            rows,
            pick: Some(pick),
        }
    };
    let y = ev.num(t, sc);
    match &y {
        NV::C(c) => out.extend(std::iter::repeat_n(yuan_to_fen(*c), k)),
        _ if dense => {
            let ys = y.slice();
            for (wi, &word) in mask.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    out.push(yuan_to_fen(ys[wi * 64 + bits.trailing_zeros() as usize]));
                    bits &= bits - 1;
                }
            }
        }
        _ => out.extend(y.slice()[..k].iter().map(|&v| yuan_to_fen(v))),
    }
    sc.give_n(y);
}

/// Per word: set bits of `w` in the words before it (`w` mostly zero).
fn ranks(w: &Words) -> [u16; WPC] {
    let mut r = [0u16; WPC];
    let mut acc = 0u16;
    for (x, &word) in r.iter_mut().zip(w) {
        *x = acc;
        if word != 0 {
            acc += word.count_ones() as u16;
        }
    }
    r
}

/// Per word of a population-wide bitmap: set bits before it within its chunk.
fn chunk_ranks(b: &Bitmap) -> Vec<u16> {
    let mut acc = 0u16;
    b.words
        .iter()
        .enumerate()
        .map(|(wi, &w)| {
            if wi % WPC == 0 {
                acc = 0;
            }
            let r = acc;
            acc += w.count_ones() as u16;
            r
        })
        .collect()
}

/// Where the amount of a row eligible before the group comes from, within one chunk.
struct Amounts<'a> {
    has: bool,
    /// Rows evaluated in this run and their amounts.
    fresh_rows: Words,
    fresh_rank: [u16; WPC],
    fresh: Vec<i64>,
    /// The baseline's eligible and superseded rows and their amounts.
    won_rows: Words,
    won_rank: &'a [u16],
    won: &'a [i64],
    lost_rows: Words,
    lost_rank: &'a [u16],
    lost: &'a [i64],
}

impl Amounts<'_> {
    /// The amount of the row at bit `b` of word `wi` (eligible before the group): evaluated in
    /// this run, else the baseline's.
    fn at(&self, wi: usize, b: u32) -> i64 {
        if !self.has {
            return 0;
        }
        let m = 1u64 << b;
        let pos = |rows: u64, rank: Option<&u16>| {
            rank.map_or(0, |&r| r as usize) + (rows & (m - 1)).count_ones() as usize
        };
        let (from, k) = if self.fresh_rows[wi] & m != 0 {
            (
                &self.fresh[..],
                pos(self.fresh_rows[wi], self.fresh_rank.get(wi)),
            )
        } else if self.won_rows[wi] & m != 0 {
            (self.won, pos(self.won_rows[wi], self.won_rank.get(wi)))
        } else {
            (self.lost, pos(self.lost_rows[wi], self.lost_rank.get(wi)))
        };
        from.get(k).copied().unwrap_or(0)
    }
}

/// Where each clause of a changed policy comes from.
enum Src<'a> {
    Cached(&'a Bitmap),
    Eval(&'a T),
}

/// How one selected policy is computed.
struct Plan<'a> {
    p: &'a Compiled,
    member: Option<&'a Member>,
    /// Per clause (conditions, grants, denies in `p`'s order).
    srcs: Vec<Src<'a>>,
    /// Same clauses as the baseline, in the same places: eligibility before the group is the
    /// baseline's.
    same_clauses: bool,
    /// Same benefit as the baseline (or none in both): cached amounts hold.
    same_benefit: bool,
}

fn find_cached<'a>(t: &T, cached: Option<&'a Vec<(T, Bitmap)>>) -> Option<&'a Bitmap> {
    cached.and_then(|v| v.iter().find(|(ct, _)| ct == t).map(|(_, b)| b))
}

fn same_trees(a: &[crate::compile::Clause], b: &[(T, Bitmap)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, (t, _))| &x.t == t)
}

impl Plan<'_> {
    /// Eligibility before the group in chunk `c` (rows `rows`).
    fn pre(
        &self,
        prep: &Prep,
        c: usize,
        rows: Range<usize>,
        sc: &mut Scratch,
        pick: &mut Vec<u32>,
    ) -> Words {
        let len = rows.len();
        let all = full(len);
        if let Some(m) = self.member.filter(|_| self.same_clauses) {
            hit(7);
            let (e, s) = (chunk_of(&m.eligible, c), chunk_of(&m.superseded, c));
            let mut w = [0u64; WPC];
            for i in 0..WPC {
                w[i] = e[i] | s[i];
            }
            return w;
        }
        let p = self.p;
        let (nc, ng) = (p.conditions.len(), p.grants.len());
        // what the cached clauses decide: conditions (and), grants (or), denies (or)
        let (mut cond, mut grant, mut deny) = (all, [0u64; WPC], [0u64; WPC]);
        let mut open_grant = false;
        let mut open = false;
        for (k, s) in self.srcs.iter().enumerate() {
            match s {
                Src::Cached(b) => {
                    let w = chunk_of(b, c);
                    let acc = if k < nc {
                        &mut cond
                    } else if k < nc + ng {
                        &mut grant
                    } else {
                        &mut deny
                    };
                    for i in 0..WPC {
                        if k < nc {
                            acc[i] &= w[i];
                        } else {
                            acc[i] |= w[i];
                        }
                    }
                }
                Src::Eval(_) => {
                    open = true;
                    open_grant |= (nc..nc + ng).contains(&k);
                }
            }
        }
        let mut out = [0u64; WPC];
        if !open {
            hit(8);
            for i in 0..WPC {
                out[i] = (cond[i] | grant[i]) & !deny[i] & all[i];
            }
            return out;
        }
        // rows whose result the evaluated clauses can still change: not denied, and the
        // conditions or a grant hold (any row when a grant is evaluated)
        let mut cand = [0u64; WPC];
        for i in 0..WPC {
            let reach = if open_grant {
                all[i]
            } else {
                cond[i] | grant[i]
            };
            cand[i] = reach & !deny[i] & all[i];
        }
        let (mut ucond, mut ugrant, mut udeny) = (cand, [0u64; WPC], [0u64; WPC]);
        for (k, s) in self.srcs.iter().enumerate() {
            let Src::Eval(t) = s else { continue };
            if k < nc {
                // only where the conditions evaluated so far still hold
                let mut m = [0u64; WPC];
                for i in 0..WPC {
                    m[i] = cand[i] & cond[i] & ucond[i];
                }
                let w = bool_on(prep, rows.clone(), &m, t, sc, pick);
                for i in 0..WPC {
                    ucond[i] &= w[i];
                }
            } else {
                let w = bool_on(prep, rows.clone(), &cand, t, sc, pick);
                let acc = if k < nc + ng { &mut ugrant } else { &mut udeny };
                for i in 0..WPC {
                    acc[i] |= w[i];
                }
            }
        }
        for i in 0..WPC {
            out[i] = cand[i] & ((cond[i] & ucond[i]) | grant[i] | ugrant[i]) & !udeny[i];
        }
        out
    }
}

impl WhatIf {
    /// Keeps the baseline rule set (the live one) for what-if runs over a population of `rows`
    /// enterprises; nothing is evaluated yet.
    pub fn new(base: RuleSet, rows: usize) -> WhatIf {
        WhatIf {
            base,
            rows,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The baseline rule set.
    pub fn base(&self) -> &RuleSet {
        &self.base
    }

    fn member(&self, code: &str, pop: &Population) -> Option<Arc<Member>> {
        let idx = self.base.index_of(code)?;
        if let Ok(c) = self.cache.lock()
            && let Some(m) = c.get(code)
        {
            return Some(m.clone());
        }
        let built = build_group(&self.base, idx, pop);
        let mut found = None;
        if let Ok(mut c) = self.cache.lock() {
            for (k, m) in built {
                let m = c.entry(k.clone()).or_insert_with(|| Arc::new(m)).clone();
                if k == code {
                    found = Some(m);
                }
            }
        }
        found
    }

    /// Same result as `after.evaluate_policy(code, pop)` (the policy and the other members of
    /// its exclusive group in `after`), computed from the baseline's cached results: a clause
    /// whose compiled tree (with parameter values bound) equals one of the baseline policy's
    /// is not evaluated again, a changed clause is evaluated only on the rows where the other
    /// clauses leave the result open, the benefit only for rows without a baseline amount (all
    /// of them when it changed), and the group is resolved again only in the 64-row words where
    /// something changed. `pop` must be the population this `WhatIf` was made for (a different
    /// row count falls back to evaluating from scratch).
    pub fn evaluate_policy(
        &self,
        after: &RuleSet,
        code: &str,
        pop: &Population,
    ) -> Option<Outcome> {
        let idx = after.index_of(code)?;
        let n = pop.len();
        if n != self.rows {
            return after.evaluate_policy(code, pop);
        }
        let sel = after.with_group(idx);
        let mut codes: Vec<String> = sel
            .iter()
            .map(|&i| after.policies[i].code.clone())
            .collect();
        codes.sort();
        let members: Vec<Option<Arc<Member>>> = sel
            .iter()
            .map(|&i| self.member(&after.policies[i].code, pop))
            .collect();
        let plans: Vec<Plan> = sel
            .iter()
            .zip(&members)
            .map(|(&i, member)| {
                let p = &after.policies[i];
                let m = member.as_deref();
                let mut srcs = Vec::new();
                for (list, cached) in [
                    (&p.conditions, m.map(|m| &m.conditions)),
                    (&p.grants, m.map(|m| &m.grants)),
                    (&p.denies, m.map(|m| &m.denies)),
                ] {
                    for c in list {
                        srcs.push(match find_cached(&c.t, cached) {
                            Some(b) => Src::Cached(b),
                            None => Src::Eval(&c.t),
                        });
                    }
                }
                let same_clauses = m.is_some_and(|m| {
                    same_trees(&p.conditions, &m.conditions)
                        && same_trees(&p.grants, &m.grants)
                        && same_trees(&p.denies, &m.denies)
                });
                let same_benefit =
                    m.is_some_and(|m| m.benefit.as_ref() == p.benefit.as_ref().map(|b| &b.t));
                Plan {
                    p,
                    member: m,
                    srcs,
                    same_clauses,
                    same_benefit,
                }
            })
            .collect();
        // the baseline's resolution holds in unchanged words only for the same group
        let reuse = plans
            .iter()
            .all(|pl| pl.member.is_some_and(|m| m.group == codes));
        if !reuse {
            hit(6);
        }
        let mut prep = Prep::new(pop);
        for pl in &plans {
            for s in &pl.srcs {
                if let Src::Eval(t) = s {
                    prep.add(t);
                }
            }
            if let Some(b) = &pl.p.benefit
                && !(pl.same_clauses && pl.same_benefit)
            {
                prep.add(&b.t);
            }
        }
        prep.finish();
        let groups = super::local_groups(&after.groups, &sel);
        let nchunks = n.div_ceil(CHUNK);
        let mut policies: Vec<PolicyOutcome> = plans
            .iter()
            .map(|pl| PolicyOutcome {
                code: pl.p.code.clone(),
                eligible: Bitmap::new(n),
                superseded: Bitmap::new(n),
                has_benefit: pl.p.benefit.is_some(),
                pieces: (0..nchunks).map(|_| Arc::new(Vec::new())).collect(),
                sums: vec![0; nchunks],
                ranks: Vec::new(),
            })
            .collect();
        // per chunk: its share of every policy's outputs
        let mut items: Vec<(usize, Vec<Out>)> = (0..nchunks)
            .map(|c| (c, Vec::with_capacity(plans.len())))
            .collect();
        for p in policies.iter_mut() {
            let parts = p
                .eligible
                .words
                .chunks_mut(WPC)
                .zip(p.superseded.words.chunks_mut(WPC))
                .zip(p.pieces.iter_mut().zip(p.sums.iter_mut()));
            for (item, ((e, s), (a, t))) in items.iter_mut().zip(parts) {
                item.1.push((e, s, a, t));
            }
        }
        let (prep, plans, groups_ref) = (&prep, &plans, &groups);
        par_items(items, |(c, mut outs), loc: &mut Local| {
            run_chunk(prep, plans, groups_ref, reuse, (c, n), &mut outs, loc);
        });
        for p in policies.iter_mut() {
            fill_ranks(p);
        }
        Some(Outcome {
            policies,
            groups,
            rows: n,
        })
    }
}

/// One policy's share of a chunk's outputs: eligible words, superseded words, amounts of the
/// eligible rows and their sum.
type Out<'o> = (
    &'o mut [u64],
    &'o mut [u64],
    &'o mut Arc<Vec<i64>>,
    &'o mut i128,
);

/// Buffers of one thread of [`WhatIf::evaluate_policy`], reused from chunk to chunk.
#[derive(Default)]
struct Local {
    sc: Scratch,
    pick: Vec<u32>,
    /// Per plan: amounts of the benefit evaluated in this chunk.
    fresh: Vec<Vec<i64>>,
}

/// One chunk of [`WhatIf::evaluate_policy`], written into `outs` (one per plan).
///
/// Rows where no member's eligibility before the group or amount changed keep the baseline's
/// outcome (eligible or superseded, and amount); only the others are resolved again, and the
/// amounts are the baseline's piece with those rows edited in.
fn run_chunk<'a>(
    prep: &Prep,
    plans: &'a [Plan<'a>],
    groups: &[Vec<usize>],
    reuse: bool,
    (c, n): (usize, usize),
    outs: &mut [Out],
    loc: &mut Local,
) {
    let rows = chunk_rows(c, n);
    let nw = rows.len().div_ceil(64);
    let k = plans.len();
    loc.fresh.resize_with(k, Vec::new);
    let mut pre: Vec<Words> = Vec::with_capacity(k);
    let mut amounts: Vec<Amounts<'a>> = Vec::with_capacity(k);
    // rows whose outcome may differ from the baseline's (all rows of any member when the
    // baseline's group resolution does not apply)
    let mut diff = [0u64; WPC];
    for (j, pl) in plans.iter().enumerate() {
        let w = pl.pre(prep, c, rows.clone(), &mut loc.sc, &mut loc.pick);
        let ranks_of = |r: &'a [u16]| r.get(c * WPC..).unwrap_or(&[]);
        let (won_rows, lost_rows, won, lost, won_rank, lost_rank) = match pl.member {
            Some(m) => (
                chunk_of(&m.eligible, c),
                chunk_of(&m.superseded, c),
                m.won.get(c).map_or(&[][..], |v| v.as_slice()),
                m.lost.get(c).map_or(&[][..], Vec::as_slice),
                ranks_of(&m.won_rank),
                ranks_of(&m.lost_rank),
            ),
            None => ([0; WPC], [0; WPC], &[][..], &[][..], &[][..], &[][..]),
        };
        let has = pl.p.benefit.is_some();
        let mut fresh_rows = [0u64; WPC];
        for i in 0..WPC {
            let old = won_rows[i] | lost_rows[i];
            if has {
                fresh_rows[i] = if pl.same_benefit { w[i] & !old } else { w[i] };
            }
            let all = if reuse && pl.same_benefit {
                0
            } else {
                w[i] | old
            };
            diff[i] |= (w[i] ^ old) | all;
        }
        let mut fresh = std::mem::take(&mut loc.fresh[j]);
        fresh.clear();
        if let Some(b) = &pl.p.benefit {
            benefit_on(
                prep,
                rows.clone(),
                &fresh_rows,
                &b.t,
                &mut loc.sc,
                &mut loc.pick,
                &mut fresh,
            );
        }
        amounts.push(Amounts {
            has,
            fresh_rank: ranks(&fresh_rows),
            fresh_rows,
            fresh,
            won_rank,
            won_rows,
            won,
            lost_rank,
            lost_rows,
            lost,
        });
        pre.push(w);
    }
    // outside `diff` the baseline's outcome; inside, eligibility before the group, resolved
    // again within multi-member groups
    let mut fin: Vec<Words> = Vec::with_capacity(k);
    let mut sup: Vec<Words> = Vec::with_capacity(k);
    for (a, p) in amounts.iter().zip(&pre) {
        let mut f = [0u64; WPC];
        let mut s = [0u64; WPC];
        for i in 0..WPC {
            f[i] = (a.won_rows[i] & !diff[i]) | (p[i] & diff[i]);
            s[i] = a.lost_rows[i] & !diff[i];
        }
        fin.push(f);
        sup.push(s);
    }
    for g in groups.iter().filter(|g| g.len() > 1) {
        for wi in (0..nw).filter(|&i| diff[i] != 0) {
            let mut seen = 0u64;
            let mut multi = 0u64;
            for &m in g {
                let bits = pre[m][wi] & diff[wi];
                multi |= seen & bits;
                seen |= bits;
            }
            while multi != 0 {
                let b = multi.trailing_zeros();
                multi &= multi - 1;
                // highest amount wins, ties to the first member (lowest code)
                let mut best: Option<(usize, i64)> = None;
                for &m in g {
                    if pre[m][wi] >> b & 1 == 1 {
                        let amt = amounts[m].at(wi, b);
                        if best.is_none_or(|(_, a)| amt > a) {
                            best = Some((m, amt));
                        }
                    }
                }
                for &m in g {
                    if Some(m) != best.map(|(x, _)| x) && pre[m][wi] >> b & 1 == 1 {
                        fin[m][wi] &= !(1u64 << b);
                        sup[m][wi] |= 1u64 << b;
                    }
                }
            }
        }
    }
    for (j, (e, s, piece, sum)) in outs.iter_mut().enumerate() {
        e.copy_from_slice(&fin[j][..nw]);
        s.copy_from_slice(&sup[j][..nw]);
        let a = &amounts[j];
        let total = count(&fin[j]);
        if !a.has || total == 0 {
            continue;
        }
        let old_sum = plans[j]
            .member
            .and_then(|m| m.won_sum.get(c))
            .copied()
            .unwrap_or(0);
        let won_at = |wi: usize, m: u64| {
            a.won_rank.get(wi).map_or(0, |&r| r as usize)
                + (a.won_rows[wi] & (m - 1)).count_ones() as usize
        };
        // unchanged: the baseline's piece, shared
        let edited = (0..nw).filter(|&i| diff[i] != 0).any(|wi| {
            let (was, is) = (a.won_rows[wi] & diff[wi], fin[j][wi] & diff[wi]);
            if was != is {
                return true;
            }
            let mut bits = is;
            while bits != 0 {
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                if a.won.get(won_at(wi, 1u64 << b)).copied() != Some(a.at(wi, b)) {
                    return true;
                }
            }
            false
        });
        if let Some(shared) = plans[j]
            .member
            .and_then(|m| m.won.get(c))
            .filter(|_| !edited)
        {
            hit(4);
            **piece = Arc::clone(shared);
            **sum = old_sum;
            continue;
        }
        hit(5);
        // the baseline's amounts with the `diff` rows edited in (removed where the row was
        // eligible, added where it is); the sum likewise
        let mut v = Vec::with_capacity(total);
        let mut t = old_sum;
        let mut cursor = 0usize;
        for wi in (0..nw).filter(|&i| diff[i] != 0) {
            let mut bits = diff[wi];
            while bits != 0 {
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                let m = 1u64 << b;
                let was = a.won_rows[wi] & m != 0;
                let is = fin[j][wi] & m != 0;
                if !was && !is {
                    continue;
                }
                let p = won_at(wi, m);
                v.extend_from_slice(a.won.get(cursor..p).unwrap_or(&[]));
                cursor = p;
                if was {
                    t -= i128::from(a.won.get(p).copied().unwrap_or(0));
                    cursor += 1;
                }
                if is {
                    let x = a.at(wi, b);
                    t += i128::from(x);
                    v.push(x);
                }
            }
        }
        v.extend_from_slice(a.won.get(cursor..).unwrap_or(&[]));
        **piece = Arc::new(v);
        **sum = t;
    }
    for (slot, a) in loc.fresh.iter_mut().zip(amounts) {
        *slot = a.fresh;
    }
}

/// The baseline of `base`'s policy `idx` and the other members of its group: clause bitmaps
/// and the group's outcome (with the amounts of superseded rows too).
fn build_group(base: &RuleSet, idx: usize, pop: &Population) -> Vec<(String, Member)> {
    let n = pop.len();
    let sel = base.with_group(idx);
    let mut codes: Vec<String> = sel.iter().map(|&i| base.policies[i].code.clone()).collect();
    codes.sort();
    let outcome = base.evaluate_indices(&sel, pop);
    let nchunks = n.div_ceil(CHUNK);
    let mut built = Vec::with_capacity(sel.len());
    for (&i, po) in sel.iter().zip(outcome.policies) {
        let p = &base.policies[i];
        let clauses: Vec<&T> = p
            .conditions
            .iter()
            .chain(&p.grants)
            .chain(&p.denies)
            .map(|c| &c.t)
            .collect();
        let mut prep = Prep::new(pop);
        for t in clauses
            .iter()
            .copied()
            .chain(p.benefit.as_ref().map(|b| &b.t))
        {
            prep.add(t);
        }
        prep.finish();
        // per chunk: clause words, amounts of the superseded rows
        let mut per: Vec<(Vec<Words>, Vec<i64>)> =
            (0..nchunks).map(|_| Default::default()).collect();
        let items: Vec<_> = per.iter_mut().enumerate().collect();
        let (prep, clauses, po_ref) = (&prep, &clauses, &po);
        par_items(items, |(c, slot), sc: &mut Scratch| {
            let rows = chunk_rows(c, n);
            let all = full(rows.len());
            let mut pick = Vec::new();
            slot.0 = clauses
                .iter()
                .map(|t| bool_on(prep, rows.clone(), &all, t, sc, &mut pick))
                .collect();
            if let Some(b) = &p.benefit {
                let lost = chunk_of(&po_ref.superseded, c);
                benefit_on(prep, rows, &lost, &b.t, sc, &mut pick, &mut slot.1);
            }
        });
        let column = |k: usize| {
            let mut b = Bitmap::new(n);
            for (c, (w, _)) in per.iter().enumerate() {
                let dst = &mut b.words[c * WPC..((c + 1) * WPC).min(n.div_ceil(64))];
                let len = dst.len();
                dst.copy_from_slice(&w[k][..len]);
            }
            b
        };
        let (nc, ng) = (p.conditions.len(), p.grants.len());
        let pair = |k: usize, t: &T| (t.clone(), column(k));
        let member = Member {
            conditions: (0..nc).map(|k| pair(k, clauses[k])).collect(),
            grants: (nc..nc + ng).map(|k| pair(k, clauses[k])).collect(),
            denies: (nc + ng..clauses.len())
                .map(|k| pair(k, clauses[k]))
                .collect(),
            benefit: p.benefit.as_ref().map(|b| b.t.clone()),
            group: codes.clone(),
            won: po.pieces,
            won_sum: po.sums,
            won_rank: chunk_ranks(&po.eligible),
            lost_rank: chunk_ranks(&po.superseded),
            eligible: po.eligible,
            superseded: po.superseded,
            lost: per.into_iter().map(|x| x.1).collect(),
        };
        built.push((p.code.clone(), member));
    }
    built
}
