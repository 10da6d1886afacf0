//! Incremental what-if: [`WhatIf`] keeps, for the policies already simulated, the baseline's
//! per-clause bitmaps, eligibility before the exclusive groups and amounts of those rows, so a
//! changed rule set re-evaluates only the clauses whose compiled tree (parameters bound) differs,
//! computes the benefit only in chunks that need it, and resolves the group again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Eval, Outcome, PolicyOutcome, Prep, Scratch, Work, fill_ranks, resolve_groups};
use crate::check::T;
use crate::compile::{Compiled, RuleSet};
use crate::facts::{Bitmap, Population};
use crate::{CHUNK, yuan_to_fen};

const WPC: usize = CHUNK / 64;

/// One baseline policy's clause results over the population.
struct Member {
    /// (compiled tree, result) per condition, grant and deny.
    conditions: Vec<(T, Bitmap)>,
    grants: Vec<(T, Bitmap)>,
    denies: Vec<(T, Bitmap)>,
    benefit: Option<T>,
    /// Eligibility before the exclusive group is resolved.
    pre: Bitmap,
    /// Per chunk: amounts of the `pre` rows, in row order (empty without a benefit).
    amounts: Vec<Vec<i64>>,
}

/// Baseline results kept for incremental what-if runs over one population (see
/// [`WhatIf::evaluate_policy`]). A policy's baseline clause bitmaps are computed the first time
/// it (or a member of its group) is simulated, then kept: one bit per row per clause.
pub struct WhatIf {
    base: RuleSet,
    rows: usize,
    cache: Mutex<HashMap<String, Arc<Member>>>,
}

/// Runs `f` for every chunk on up to 8 threads; results in chunk order.
fn par_chunks<R: Send>(n: usize, f: impl Fn(usize, &mut Scratch) -> R + Sync) -> Vec<R> {
    let nchunks = n.div_ceil(CHUNK);
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 8)
        .min(nchunks.max(1));
    if threads <= 1 {
        let mut sc = Scratch::default();
        return (0..nchunks).map(|c| f(c, &mut sc)).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut sc = Scratch::default();
                    (t * nchunks / threads..(t + 1) * nchunks / threads)
                        .map(|c| f(c, &mut sc))
                        .collect::<Vec<R>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(nchunks);
        for h in handles {
            match h.join() {
                Ok(v) => out.extend(v),
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        out
    })
}

/// A bool column of one chunk as masked words.
fn words_of(ev: &Eval, t: &T, sc: &mut Scratch) -> Vec<u64> {
    let n = ev.n();
    let v = ev.bool(t, sc);
    let mut out: Vec<u64> = match &v {
        super::BV::C(x) => vec![if *x { u64::MAX } else { 0 }; n.div_ceil(64)],
        super::BV::W(w) => w[..n.div_ceil(64)].to_vec(),
    };
    sc.give_b(v);
    mask_tail(&mut out, n);
    out
}

fn mask_tail(w: &mut [u64], n: usize) {
    for (i, x) in w.iter_mut().enumerate() {
        let left = n - i * 64;
        if left < 64 {
            *x &= (1u64 << left) - 1;
        }
    }
}

fn bitmap_of(n: usize, chunks: impl Iterator<Item = Vec<u64>>) -> Bitmap {
    let mut b = Bitmap::new(n);
    for (c, w) in chunks.enumerate() {
        b.words[c * WPC..c * WPC + w.len()].copy_from_slice(&w);
    }
    b
}

/// Amounts of the rows set in `elig` (chunk-local words), in row order.
fn benefit_rows(ev: &Eval, b: &T, elig: &[u64], sc: &mut Scratch, out: &mut Vec<i64>) {
    if elig.iter().all(|&w| w == 0) {
        return;
    }
    let y = ev.num(b, sc);
    match &y {
        super::NV::C(c) => {
            let count: usize = elig.iter().map(|w| w.count_ones() as usize).sum();
            out.extend(std::iter::repeat_n(yuan_to_fen(*c), count));
        }
        _ => {
            let ys = y.slice();
            for (wi, &word) in elig.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    out.push(yuan_to_fen(ys[wi * 64 + bits.trailing_zeros() as usize]));
                    bits &= bits - 1;
                }
            }
        }
    }
    sc.give_n(y);
}

fn prep_for<'p>(pop: &'p Population, trees: &[&T]) -> Prep<'p> {
    let mut prep = Prep::new(pop);
    for t in trees {
        prep.add(t);
    }
    prep.finish();
    prep
}

fn build_member(p: &Compiled, pop: &Population) -> Member {
    let n = pop.len();
    let trees: Vec<&T> = p
        .conditions
        .iter()
        .chain(&p.grants)
        .chain(&p.denies)
        .chain(&p.benefit)
        .map(|c| &c.t)
        .collect();
    let prep = prep_for(pop, &trees);
    let nclauses = p.conditions.len() + p.grants.len() + p.denies.len();
    // per chunk: (clause words, pre words, amounts)
    let per = par_chunks(n, |c, sc| {
        let ev = Eval {
            prep: &prep,
            rows: c * CHUNK..((c + 1) * CHUNK).min(n),
        };
        let words: Vec<Vec<u64>> = trees[..nclauses]
            .iter()
            .map(|t| words_of(&ev, t, sc))
            .collect();
        let pre = combine(p, &words, ev.n());
        let mut amounts = Vec::new();
        if let Some(b) = &p.benefit {
            benefit_rows(&ev, &b.t, &pre, sc, &mut amounts);
        }
        (words, pre, amounts)
    });
    let column = |k: usize| bitmap_of(n, per.iter().map(|x| x.0[k].clone()));
    let nc = p.conditions.len();
    let ng = p.grants.len();
    Member {
        conditions: (0..nc)
            .map(|k| (p.conditions[k].t.clone(), column(k)))
            .collect(),
        grants: (0..ng)
            .map(|k| (p.grants[k].t.clone(), column(nc + k)))
            .collect(),
        denies: (0..p.denies.len())
            .map(|k| (p.denies[k].t.clone(), column(nc + ng + k)))
            .collect(),
        benefit: p.benefit.as_ref().map(|b| b.t.clone()),
        pre: bitmap_of(n, per.iter().map(|x| x.1.clone())),
        amounts: per.into_iter().map(|x| x.2).collect(),
    }
}

/// Eligibility from the clause words (conditions, then grants, then denies, in `p`'s order).
fn combine(p: &Compiled, words: &[Vec<u64>], n: usize) -> Vec<u64> {
    let nw = n.div_ceil(64);
    let (nc, ng) = (p.conditions.len(), p.grants.len());
    let mut ok = vec![u64::MAX; nw];
    for w in &words[..nc] {
        ok.iter_mut().zip(w).for_each(|(o, x)| *o &= x);
    }
    for w in &words[nc..nc + ng] {
        ok.iter_mut().zip(w).for_each(|(o, x)| *o |= x);
    }
    for w in &words[nc + ng..] {
        ok.iter_mut().zip(w).for_each(|(o, x)| *o &= !x);
    }
    mask_tail(&mut ok, n);
    ok
}

fn find_cached<'a>(t: &T, cached: Option<&'a Vec<(T, Bitmap)>>) -> Option<&'a Bitmap> {
    cached.and_then(|v| v.iter().find(|(ct, _)| ct == t).map(|(_, b)| b))
}

/// Where each clause of a changed policy comes from.
enum Src<'a> {
    Cached(&'a Bitmap),
    Eval(&'a T),
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
        let m = Arc::new(build_member(&self.base.policies[idx], pop));
        if let Ok(mut c) = self.cache.lock() {
            c.insert(code.to_string(), m.clone());
        }
        Some(m)
    }

    /// Same result as `after.evaluate_policy(code, pop)` (the policy and the other members of
    /// its exclusive group in `after`), computed from the baseline's cached clause results:
    /// a clause whose compiled tree (with parameter values bound) equals one of the baseline
    /// policy's is not evaluated again, and the benefit is evaluated only in chunks where it
    /// changed or a row became eligible. `pop` must be the population this `WhatIf` was made
    /// for (a different row count falls back to evaluating from scratch).
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
        let members: Vec<Option<Arc<Member>>> = sel
            .iter()
            .map(|&i| self.member(&after.policies[i].code, pop))
            .collect();
        // per selected policy: clause sources and whether the cached benefit applies
        let mut to_eval: Vec<&T> = Vec::new();
        let plans: Vec<(Vec<Src>, bool)> = sel
            .iter()
            .zip(&members)
            .map(|(&i, m)| {
                let p = &after.policies[i];
                let mut srcs = Vec::new();
                for (list, cached) in [
                    (&p.conditions, m.as_ref().map(|m| &m.conditions)),
                    (&p.grants, m.as_ref().map(|m| &m.grants)),
                    (&p.denies, m.as_ref().map(|m| &m.denies)),
                ] {
                    for c in list {
                        match find_cached(&c.t, cached) {
                            Some(b) => srcs.push(Src::Cached(b)),
                            None => {
                                to_eval.push(&c.t);
                                srcs.push(Src::Eval(&c.t));
                            }
                        }
                    }
                }
                let same_benefit = match (&p.benefit, m) {
                    (Some(b), Some(m)) => m.benefit.as_ref() == Some(&b.t),
                    _ => false,
                };
                // a chunk where a row became eligible evaluates even an unchanged benefit
                if let Some(b) = &p.benefit {
                    to_eval.push(&b.t);
                }
                (srcs, same_benefit)
            })
            .collect();
        let prep = prep_for(pop, &to_eval);
        // exactly as in evaluate_indices
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for g in &after.groups {
            let local: Vec<usize> = g
                .iter()
                .filter_map(|m| sel.iter().position(|s| s == m))
                .collect();
            if !local.is_empty() {
                groups.push(local);
            }
        }
        let dense_of: Vec<bool> = sel
            .iter()
            .map(|&i| {
                let p = &after.policies[i];
                p.benefit.is_some() && p.group.is_some_and(|g| after.groups[g].len() > 1)
            })
            .collect();
        let prep = &prep;
        let (plans, members, groups_ref, dense_of) = (&plans, &members, &groups, &dense_of);
        let per = par_chunks(n, |c, sc| {
            let rows = c * CHUNK..((c + 1) * CHUNK).min(n);
            let len = rows.len();
            let nw = len.div_ceil(64);
            let ev = Eval { prep, rows };
            let mut outs: Vec<(Vec<u64>, Vec<u64>, Vec<i64>)> = Vec::with_capacity(sel.len());
            let mut dense: Vec<Vec<i64>> = Vec::with_capacity(sel.len());
            for (k, &i) in sel.iter().enumerate() {
                let p = &after.policies[i];
                let (srcs, same_benefit) = &plans[k];
                let words: Vec<Vec<u64>> = srcs
                    .iter()
                    .map(|s| match s {
                        Src::Cached(b) => b.words[c * WPC..c * WPC + nw].to_vec(),
                        Src::Eval(t) => words_of(&ev, t, sc),
                    })
                    .collect();
                let pre = combine(p, &words, len);
                // amounts of the `pre` rows, in row order
                let mut amts = Vec::new();
                if let Some(b) = &p.benefit {
                    let cached = members[k].as_ref().filter(|_| *same_benefit);
                    match cached {
                        Some(m)
                            if pre
                                .iter()
                                .zip(&m.pre.words[c * WPC..])
                                .all(|(x, o)| x & !o == 0) =>
                        {
                            let old = &m.pre.words[c * WPC..c * WPC + nw];
                            let piece = &m.amounts[c];
                            let mut r = 0usize;
                            for (&x, &o) in pre.iter().zip(old) {
                                let mut bits = o;
                                while bits != 0 {
                                    let t = bits & bits.wrapping_neg();
                                    if x & t != 0 {
                                        amts.push(piece.get(r).copied().unwrap_or(0));
                                    }
                                    r += 1;
                                    bits &= bits - 1;
                                }
                            }
                        }
                        _ => benefit_rows(&ev, &b.t, &pre, sc, &mut amts),
                    }
                }
                let mut d = Vec::new();
                if dense_of[k] {
                    d = vec![0i64; len];
                    let mut r = 0usize;
                    for (wi, &word) in pre.iter().enumerate() {
                        let mut bits = word;
                        while bits != 0 {
                            d[wi * 64 + bits.trailing_zeros() as usize] =
                                amts.get(r).copied().unwrap_or(0);
                            r += 1;
                            bits &= bits - 1;
                        }
                    }
                    amts = Vec::new();
                }
                dense.push(d);
                outs.push((pre, vec![0u64; nw], amts));
            }
            let mut w = Work {
                rows: 0..len,
                outs: outs
                    .iter_mut()
                    .map(|(e, s, a)| (e.as_mut_slice(), s.as_mut_slice(), a))
                    .collect(),
            };
            resolve_groups(groups_ref, &mut w, &mut dense);
            drop(w);
            for (k, (e, _, piece)) in outs.iter_mut().enumerate() {
                let d = &dense[k];
                if d.is_empty() {
                    continue;
                }
                for (wi, &word) in e.iter().enumerate() {
                    let mut bits = word;
                    while bits != 0 {
                        piece.push(d[wi * 64 + bits.trailing_zeros() as usize]);
                        bits &= bits - 1;
                    }
                }
            }
            outs
        });
        let mut policies: Vec<PolicyOutcome> = sel
            .iter()
            .map(|&i| {
                let p = &after.policies[i];
                PolicyOutcome {
                    code: p.code.clone(),
                    eligible: Bitmap::new(n),
                    superseded: Bitmap::new(n),
                    has_benefit: p.benefit.is_some(),
                    pieces: Vec::with_capacity(n.div_ceil(CHUNK)),
                    ranks: Vec::new(),
                }
            })
            .collect();
        for (c, outs) in per.into_iter().enumerate() {
            for (p, (e, s, a)) in policies.iter_mut().zip(outs) {
                p.eligible.words[c * WPC..c * WPC + e.len()].copy_from_slice(&e);
                p.superseded.words[c * WPC..c * WPC + s.len()].copy_from_slice(&s);
                p.pieces.push(a);
            }
        }
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
