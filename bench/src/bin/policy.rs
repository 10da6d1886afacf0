//! Policy benchmark: the demo rule set (crates/app/demo/policies, 50 policies + 70 services)
//! over one generated population of enterprises, Lianshi's `lianshi_rules` against OpenFisca
//! (openfisca-core from PyPI, in the venv `bench/run.sh policy` creates), same rules, same
//! population, same run. See docs/PERFORMANCE.md §5.
//!
//! ```sh
//! bench/run.sh policy                 # creates bench/out/venv, then runs this
//! cargo run --release -p lianshi-bench --bin policy -- [--n 1000000] [--runs 3] [--explain 20000]
//!     [--date 2025-07-01] [--python bench/out/venv/bin/python] [--whatif-only RUNS]
//! ```
//!
//! Steps: (0) population: generate, write `bench/out/policy-pop-N/*.npy` (timed, cached);
//! (1) both sides load it (timed separately); (2) full evaluation of every policy; (3) what-if:
//! BJ-KJ-2024-01 `rd_min_small` 0.05 → 0.04 (R&D threshold for revenue ≤ 5000万) and its
//! exclusive group, incremental from the baseline (`lianshi_rules::WhatIf`); (4) one enterprise, all policies, with explanations (p50/p99); (5) extra
//! memory of a what-if simulation (RSS peak over the resident size before it, both processes);
//! then the exact comparison of eligible sets and amounts, policy by policy, and the table.

use anyhow::Context;
use chrono::NaiveDate;
use lianshi_bench::policy_of::{Rule, ident, translate};
use lianshi_bench::policy_pop::{LIST, NUM, Pop, STR, generate};
use lianshi_bench::{Table, arg, ms, percentile};
use lianshi_rules::{Facts, Overrides, PolicyDef, Population, PopulationBuilder};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes and their peak, to measure the extra memory of a what-if exactly
/// (RSS alone hides it: the allocator reuses pages freed by the earlier evaluations).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const WHATIF_POLICY: &str = "BJ-KJ-2024-01";
const WHATIF_PARAM: &str = "rd_min_small";
const WHATIF_VALUE: f64 = 0.04;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The demo zone's policy files, as the app ships them (`crates/app/demo/policies`).
fn load_defs() -> anyhow::Result<Vec<PolicyDef>> {
    lianshi_app::demo::policies::demo_defs().map_err(|e| anyhow::anyhow!("{}", e.message()))
}

fn to_rules(defs: &[PolicyDef]) -> anyhow::Result<Vec<Rule>> {
    let p = |s: &str, code: &str| {
        lianshi_bench::rules_expr::parse_expr(s)
            .map_err(|e| anyhow::anyhow!("{code}: {}", e.message))
    };
    defs.iter()
        .map(|d| {
            Ok(Rule {
                code: d.code.clone(),
                group: d.group.clone(),
                params: d
                    .params
                    .iter()
                    .map(|pd| {
                        (
                            pd.name.clone(),
                            pd.values
                                .iter()
                                .map(|(dt, v)| (dt.to_string(), *v))
                                .collect(),
                        )
                    })
                    .collect(),
                conditions: d
                    .conditions
                    .iter()
                    .map(|c| p(&c.when, &d.code))
                    .collect::<anyhow::Result<_>>()?,
                exceptions: d
                    .exceptions
                    .iter()
                    .map(|x| {
                        Ok((
                            p(&x.when, &d.code)?,
                            x.effect == lianshi_rules::Effect::Grant,
                        ))
                    })
                    .collect::<anyhow::Result<_>>()?,
                benefit: d.benefit.as_ref().map(|b| p(b, &d.code)).transpose()?,
            })
        })
        .collect()
}

fn facts_of(pop: &Pop, i: usize) -> Facts {
    let mut f = Facts::new().with_id(i as i64 + 1);
    for (c, name) in NUM.iter().enumerate() {
        f = f.num(name, Some(pop.num[c][i]));
    }
    for (c, name) in STR.iter().enumerate() {
        f = f.str(name, pop.str_at(c, i));
    }
    for (c, name) in LIST.iter().enumerate() {
        f = f.list(name, pop.list_at(c, i));
    }
    f
}

fn population(pop: &Pop) -> Population {
    let mut b = PopulationBuilder::with_capacity(pop.n);
    for i in 0..pop.n {
        b.push(&facts_of(pop, i));
    }
    b.finish()
}

/// (VmRSS, VmHWM) in bytes.
fn rss() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let get = |k: &str| {
        s.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (get("VmRSS:"), get("VmHWM:"))
}

fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(b: u64) -> String {
    format!("{:.1}", b as f64 / (1024.0 * 1024.0))
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fmed(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() -> anyhow::Result<()> {
    let n: usize = arg("n", 1_000_000);
    let runs: usize = arg("runs", 3).max(1);
    let explain_n: usize = arg("explain", 20_000);
    let on: NaiveDate = arg("date", NaiveDate::from_ymd_opt(2025, 7, 1).context("date")?);
    let out = root().join("bench/out");
    let python: PathBuf = arg("python", out.join("venv/bin/python"));
    // profiling aid: run only the what-if this many times, print its figures and stop (no
    // explanations, no OpenFisca, no comparison)
    let whatif_only: usize = arg("whatif-only", 0);
    let period = on.format("%Y-%m").to_string();
    anyhow::ensure!(
        on.format("%d").to_string() == "01",
        "--date must be the first of a month (OpenFisca MONTH periods start there)"
    );

    let defs = load_defs()?;
    let policies = defs
        .iter()
        .filter(|d| d.kind == lianshi_rules::Kind::Policy)
        .count();
    println!(
        "rule set: {} entries ({} policies, {} services), evaluation date {on}, {n} enterprises",
        defs.len(),
        policies,
        defs.len() - policies
    );

    // (0) population, written once
    let pop_dir = out.join(format!("policy-pop-{n}"));
    let mut gen_time = None;
    if !pop_dir.join("meta.json").exists() {
        let t = Instant::now();
        let p = generate(n, on)?;
        let tg = t.elapsed();
        let t = Instant::now();
        p.write(&pop_dir, on)?;
        gen_time = Some((tg, t.elapsed()));
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pop_dir.join("meta.json"))?)?;
    anyhow::ensure!(
        meta["date"].as_str() == Some(on.to_string().as_str()),
        "{} was generated for another date; delete it",
        pop_dir.display()
    );

    // (1) Rust side: read the files, build the columnar population
    let (rss0, _) = rss();
    let t = Instant::now();
    let pop = Pop::read(&pop_dir)?;
    let t_read = t.elapsed();
    let t = Instant::now();
    let population = population(&pop);
    let t_build = t.elapsed();
    let (rss_pop, _) = rss();

    // OpenFisca module generated from the same parsed rules
    let rules = to_rules(&defs)?;
    let str_vocab: BTreeMap<String, Vec<String>> = STR
        .iter()
        .enumerate()
        .map(|(c, s)| (s.to_string(), pop.str_vocab[c].clone()))
        .collect();
    let list_vocab: BTreeMap<String, Vec<String>> = LIST
        .iter()
        .enumerate()
        .map(|(c, s)| (s.to_string(), pop.list_vocab[c].clone()))
        .collect();
    let module = translate(&rules, &NUM, &str_vocab, &list_vocab)?;
    let of_dir = out.join("policy-of");
    std::fs::create_dir_all(&of_dir)?;
    std::fs::write(of_dir.join("lianshi_demo.py"), module)?;

    // (2) full evaluation: compile + evaluate
    let mut compile_t = Vec::new();
    let mut eval_t = Vec::new();
    let mut full_t = Vec::new();
    let mut outcome = None;
    for _ in 0..runs {
        let t0 = Instant::now();
        let rs = lianshi_rules::compile(&defs, on, &Overrides::new())
            .map_err(|e| anyhow::anyhow!("compile: {e:?}"))?;
        let t1 = Instant::now();
        let o = rs.evaluate(&population);
        let t2 = Instant::now();
        compile_t.push(t1 - t0);
        eval_t.push(t2 - t1);
        full_t.push(t2 - t0);
        outcome = Some((rs, o));
    }
    let (rs, base) = outcome.context("no run")?;
    let (rss_eval, _) = rss();

    // (3) what-if: compile the rule set with the override, evaluate the changed policy and the
    // other members of its exclusive group (`WhatIf::evaluate_policy`, incremental from the
    // baseline), diff against the base.
    let group = defs
        .iter()
        .find(|d| d.code == WHATIF_POLICY)
        .and_then(|d| d.group.clone());
    let group_size = defs
        .iter()
        .filter(|d| d.code == WHATIF_POLICY || (group.is_some() && d.group == group))
        .count();
    let ov = Overrides::new().param(WHATIF_POLICY, WHATIF_PARAM, WHATIF_VALUE);
    // incremental what-if (`lianshi_rules::WhatIf`): the baseline's per-clause bitmaps of the
    // group are computed on the first simulation of the policy and kept; that first run is
    // timed on its own, the measured runs reuse them (only changed clauses are evaluated)
    let whatif = lianshi_rules::WhatIf::new(rs.clone(), population.len());
    let t_first = Instant::now();
    {
        let wrs = lianshi_rules::compile(&defs, on, &ov)
            .map_err(|e| anyhow::anyhow!("compile what-if: {e:?}"))?;
        let w = whatif
            .evaluate_policy(&wrs, WHATIF_POLICY, &population)
            .context("what-if policy")?;
        let scratch = wrs
            .evaluate_policy(WHATIF_POLICY, &population)
            .context("what-if policy")?;
        anyhow::ensure!(
            w == scratch,
            "incremental what-if differs from a full evaluation"
        );
    }
    let whatif_first = t_first.elapsed();
    let mut whatif_t = Vec::new();
    let mut whatif_parts = Vec::new();
    let mut whatif_mem = Vec::new();
    let mut whatif_heap = 0usize;
    let mut diff = (0usize, 0usize, 0i64);
    let whatif_runs = if whatif_only > 0 {
        whatif_only
    } else {
        runs.max(5)
    };
    for _ in 0..whatif_runs {
        let (before, _) = rss();
        let peak_reset = reset_peak();
        let live0 = LIVE.load(Ordering::Relaxed);
        PEAK.store(live0, Ordering::Relaxed);
        let t0 = Instant::now();
        let wrs = lianshi_rules::compile(&defs, on, &ov)
            .map_err(|e| anyhow::anyhow!("compile what-if: {e:?}"))?;
        let t1 = Instant::now();
        let w = whatif
            .evaluate_policy(&wrs, WHATIF_POLICY, &population)
            .context("what-if policy")?;
        let t2 = Instant::now();
        let mut newly = 0;
        let mut dropped = 0;
        let mut delta = 0i64;
        for wp in &w.policies {
            let Some(b) = base.get(&wp.code) else {
                continue;
            };
            // the same figures the OpenFisca side computes (counts and budget change);
            // `lianshi_rules::diff` also lists the rows, timed separately below
            for (x, y) in b.eligible.words().iter().zip(wp.eligible.words()) {
                newly += (y & !x).count_ones() as usize;
                dropped += (x & !y).count_ones() as usize;
            }
            delta += wp.total_fen() - b.total_fen();
        }
        let el = t0.elapsed();
        let t3 = Instant::now();
        for wp in &w.policies {
            if let Some(b) = base.get(&wp.code) {
                std::hint::black_box(lianshi_rules::diff(b, wp));
            }
        }
        whatif_parts.push((t1 - t0, t2 - t1, t0 + el - t2, t3.elapsed()));
        whatif_heap = whatif_heap.max(PEAK.load(Ordering::Relaxed).saturating_sub(live0));
        let (_, peak) = rss();
        whatif_t.push(el);
        whatif_mem.push((before, peak, peak_reset));
        diff = (newly, dropped, delta);
        drop(w);
        drop(wrs);
    }

    if whatif_only > 0 {
        let mut parts = whatif_parts.clone();
        parts.sort_by_key(|p| p.0 + p.1 + p.2);
        let mut ts = whatif_t.clone();
        println!(
            "what-if only ({whatif_only} runs): median {} ms, min {} ms; newly {} dropped {} budget {:+} fen; heap peak {} MiB; first {} ms",
            ms(median(&mut ts)),
            ms(whatif_t.iter().min().copied().unwrap_or_default()),
            diff.0,
            diff.1,
            diff.2,
            mib(whatif_heap as u64),
            ms(whatif_first)
        );
        if let Some((c, e, d, _)) = parts.get(parts.len() / 2) {
            println!(
                "  median run: compile {} ms, evaluate_policy {} ms, counts {} ms",
                ms(*c),
                ms(*e),
                ms(*d)
            );
        }
        return Ok(());
    }

    // (4) one enterprise, all policies, with explanations
    let mut lat = Vec::with_capacity(explain_n);
    let step = (pop.n / explain_n.max(1)).max(1);
    let mut explained = 0usize;
    for k in 0..explain_n.min(pop.n) {
        let f = facts_of(&pop, (k * step) % pop.n);
        let t0 = Instant::now();
        let e = rs.explain(&f);
        lat.push(t0.elapsed());
        explained += e.len();
    }
    lat.sort();

    // OpenFisca run
    let of_out = out.join("policy-of-out");
    let _ = std::fs::remove_dir_all(&of_out);
    println!("running OpenFisca ({})…", python.display());
    let t = Instant::now();
    let status = std::process::Command::new(&python)
        .arg(root().join("bench/openfisca/run.py"))
        .arg(&pop_dir)
        .arg(&of_dir)
        .arg(&of_out)
        .arg(&period)
        .arg(runs.to_string())
        .arg(WHATIF_POLICY)
        .arg(WHATIF_PARAM)
        .arg(WHATIF_VALUE.to_string())
        .status()
        .with_context(|| {
            format!(
                "cannot run {} (run bench/run.sh policy to create the venv)",
                python.display()
            )
        })?;
    anyhow::ensure!(status.success(), "OpenFisca run failed: {status}");
    let of_wall = t.elapsed();
    let of: serde_json::Value =
        serde_json::from_slice(&std::fs::read(of_out.join("results.json"))?)?;
    let fl = |k: &str| -> Vec<f64> {
        of[k]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
            .unwrap_or_default()
    };

    // exact comparison
    let mut mismatches = Vec::new();
    let mut total_elig = 0usize;
    let mut total_fen = 0i64;
    for d in &defs {
        let Some(p) = base.get(&d.code) else {
            mismatches.push(format!("{}: no outcome", d.code));
            continue;
        };
        let safe = ident(&d.code);
        let bits = std::fs::read(of_out.join(format!("elig_{safe}.bin")))?;
        let mut amounts_of: Vec<i64> = Vec::new();
        if d.benefit.is_some() {
            let raw = std::fs::read(of_out.join(format!("amt_{safe}.bin")))?;
            amounts_of = raw
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
        }
        let mut k = 0usize;
        let mut bad = 0usize;
        let mut first = None;
        for row in 0..pop.n {
            let ours = p.eligible.get(row);
            let theirs = bits.get(row / 8).is_some_and(|b| b & (1 << (row % 8)) != 0);
            if ours != theirs {
                bad += 1;
                first.get_or_insert(format!(
                    "row {row}: eligible ours {ours} OpenFisca {theirs}"
                ));
                continue;
            }
            if ours {
                total_elig += 1;
                total_fen += p.amount(row);
                if d.benefit.is_some() {
                    let a = amounts_of.get(k).copied().unwrap_or(-1);
                    if a != p.amount(row) {
                        bad += 1;
                        first.get_or_insert(format!(
                            "row {row}: amount ours {} OpenFisca {a} fen",
                            p.amount(row)
                        ));
                    }
                    k += 1;
                }
            }
        }
        if bad > 0 {
            mismatches.push(format!(
                "{}: {bad} rows differ, first {}",
                d.code,
                first.unwrap_or_default()
            ));
        }
    }

    // report
    println!();
    if let Some((g, w)) = gen_time {
        println!(
            "population: generated in {} s, written in {} s ({})",
            secs(g),
            secs(w),
            pop_dir.display()
        );
    } else {
        println!("population: cached at {}", pop_dir.display());
    }
    println!(
        "load: ours read {} s + build columns {} s (RSS +{} MiB); OpenFisca read {:.3} s, system {:.3} s",
        secs(t_read),
        secs(t_build),
        mib(rss_pop.saturating_sub(rss0)),
        of["load_s"].as_f64().unwrap_or(f64::NAN),
        of["system_s"].as_f64().unwrap_or(f64::NAN),
    );
    println!(
        "agreement: {} policies × {} enterprises, {} eligible pairs, {} fen in all: {}",
        defs.len(),
        pop.n,
        total_elig,
        total_fen,
        if mismatches.is_empty() {
            "identical".to_string()
        } else {
            format!("{} MISMATCHES", mismatches.len())
        }
    );
    for m in mismatches.iter().take(20) {
        println!("  {m}");
    }
    println!(
        "what-if {WHATIF_POLICY}.{WHATIF_PARAM} → {WHATIF_VALUE} ({} policies): ours newly {} dropped {} budget {:+} fen; OpenFisca {}",
        group_size, diff.0, diff.1, diff.2, of["whatif_diff"]
    );
    let ours_full = median(&mut full_t.clone());
    let of_full = fmed(&fl("full_s"));
    let ours_whatif = median(&mut whatif_t.clone());
    let of_whatif = fmed(&fl("whatif_s"));
    let ours_mem = whatif_mem
        .iter()
        .map(|(b, p, _)| p.saturating_sub(*b))
        .max()
        .unwrap_or(0);
    let of_mem = of["whatif_mem"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    m["hwm_after"]
                        .as_u64()
                        .unwrap_or(0)
                        .saturating_sub(m["rss_before"].as_u64().unwrap_or(0))
                })
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let peak_ok = whatif_mem.iter().all(|m| m.2);
    let mut t = Table::new(&["measure", "Lianshi", "OpenFisca", "ratio", "goal", "met"]);
    let ratio_full = of_full / ours_full.as_secs_f64();
    t.row(vec![
        "(1) full evaluation, all policies (median)".into(),
        format!("{} s", secs(ours_full)),
        format!("{of_full:.3} s"),
        format!("{ratio_full:.1}× faster"),
        "≥3× faster".into(),
        (ratio_full >= 3.0).to_string(),
    ]);
    let ratio_w = of_whatif / ours_whatif.as_secs_f64();
    t.row(vec![
        "(2) what-if, one parameter (median)".into(),
        format!("{} ms", ms(ours_whatif)),
        format!("{:.1} ms", of_whatif * 1000.0),
        format!("{ratio_w:.1}× faster"),
        "≥10× and <50 ms".into(),
        (ratio_w >= 10.0 && ours_whatif < Duration::from_millis(50)).to_string(),
    ]);
    let p99 = percentile(&lat, 99.0);
    t.row(vec![
        format!(
            "(3) one enterprise, all policies, explained (p50 / p99 of {})",
            lat.len()
        ),
        format!("{} / {} ms", ms(percentile(&lat, 50.0)), ms(p99)),
        "—".into(),
        "—".into(),
        "p99 <1 ms".into(),
        (p99 < Duration::from_millis(1)).to_string(),
    ]);
    let of_heap = of["whatif_heap"].as_u64().unwrap_or(0);
    let heap_ratio = whatif_heap as f64 / of_heap.max(1) as f64;
    t.row(vec![
        "(4) extra memory of a what-if simulation: heap peak (allocator / tracemalloc)".into(),
        format!("{} MiB", mib(whatif_heap as u64)),
        format!("{} MiB", mib(of_heap)),
        format!("{:.1}%", heap_ratio * 100.0),
        "<10%".into(),
        (heap_ratio < 0.10).to_string(),
    ]);
    let mem_ratio = ours_mem as f64 / of_mem.max(1) as f64;
    t.row(vec![
        "(4') same, as RSS: peak RSS − RSS before (VmHWM after clear_refs)".into(),
        format!("{} MiB", mib(ours_mem)),
        format!("{} MiB", mib(of_mem)),
        format!("{:.1}%", mem_ratio * 100.0),
        "<10%".into(),
        (mem_ratio < 0.10).to_string(),
    ]);
    t.print();
    println!();
    println!(
        "details: ours compile {} ms + evaluate {} ms (median of {runs}); OpenFisca build {:.3} s + calculate {:.3} s (median); OpenFisca process {} s in all",
        ms(median(&mut compile_t)),
        ms(median(&mut eval_t)),
        fmed(&fl("build_s")),
        fmed(&fl("calculate_s")),
        secs(of_wall)
    );
    let mut parts = whatif_parts.clone();
    parts.sort_by_key(|p| p.0 + p.1 + p.2);
    if let Some((c, e, d, rows)) = parts.get(parts.len() / 2) {
        println!(
            "what-if breakdown (median run): compile {} ms, incremental WhatIf::evaluate_policy {} ms, counts {} ms; \
             lianshi_rules::diff with row lists (not in the time) {} ms; first what-if of the policy \
             (baseline clause bitmaps built, plus a full evaluate_policy to check it; not in the time) {} ms",
            ms(*c),
            ms(*e),
            ms(*d),
            ms(*rows),
            ms(whatif_first)
        );
    }
    println!(
        "RSS: ours population {} MiB, after evaluation {} MiB; OpenFisca after load {} MiB, after first simulation {} MiB; peak reset {}; explanations {}",
        mib(rss_pop),
        mib(rss_eval),
        mib(of["rss_loaded"]["VmRSS"].as_u64().unwrap_or(0)),
        mib(of["rss_after_first"]["VmRSS"].as_u64().unwrap_or(0)),
        if peak_ok {
            "ok"
        } else {
            "unavailable (peak may include earlier work)"
        },
        explained
    );
    anyhow::ensure!(mismatches.is_empty(), "Lianshi and OpenFisca disagree");
    Ok(())
}
