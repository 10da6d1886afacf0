//! Crate tests: rule files, errors with positions, dated parameters, missing values, exceptions,
//! groups, what-if, and the differential test of the batch evaluator against the explainer.

use chrono::NaiveDate;

use crate::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const AI: &str = r#"# demo rules
[[policy]]
code = "BJ-AI-2025-01"
kind = "policy"
title = "人工智能企业研发投入补助"
department = "kjj"
legal_ref = "区政策〔2025〕3号 第五条"
who = "区内人工智能生态、研发投入占比不低于4%的企业"
track = "免申即享"
status = "active"
window_from = 2025-01-01
window_to = 2025-12-31
materials = ["营业执照", "研发费用专项审计报告"]
contact = "区科技局 0571-87000000"
group = "rd-subsidy"
benefit = "min(rd_spend_yuan * params.rate, params.cap_yuan)"
  [policy.params]
  rd_min = { "2024-01-01" = 0.05, "2025-07-01" = 0.04 }
  rate = { "2024-01-01" = 0.1 }
  cap_yuan = { "2024-01-01" = 500000 }
  [[policy.conditions]]
  clause = "第五条第一款"
  when = "rd_ratio >= params.rd_min"
  [[policy.conditions]]
  clause = "第五条第二款"
  when = "'ai' in ecosystems && age_years >= 1"
  [[policy.exceptions]]
  clause = "第七条"
  when = "'失信' in tags"
  effect = "deny"

[[policy]]
code = "SVC-01"
kind = "service"
title = "政策辅导"
status = "draft"
"#;

fn err(src: &str) -> Vec<String> {
    match parse_file(src) {
        Ok(_) => vec!["ok".into()],
        Err(ds) => ds.iter().map(ToString::to_string).collect(),
    }
}

/// A one-policy file whose single condition is `when`, on line 6.
fn with_when(when: &str) -> String {
    format!(
        "[[policy]]\ncode = \"P1\"\nkind = \"policy\"\ntitle = \"t\"\nstatus = \"active\"\nconditions = [{{ clause = \"c1\", when = \"{when}\" }}]\n[policy.params]\nrd_min = {{ 2024-01-01 = 0.05 }}\n"
    )
}

#[test]
fn a_rule_file_parses_into_policy_defs_with_their_source() {
    let defs = parse_file(AI).unwrap();
    assert_eq!(defs.len(), 2);
    let p = &defs[0];
    assert_eq!(p.code, "BJ-AI-2025-01");
    assert_eq!(p.track, Track::NoApplication);
    assert_eq!(p.window_to, Some(d("2025-12-31")));
    assert_eq!(p.group.as_deref(), Some("rd-subsidy"));
    assert_eq!(
        p.param("rd_min").unwrap().values,
        vec![(d("2024-01-01"), 0.05), (d("2025-07-01"), 0.04)]
    );
    assert_eq!(p.exceptions[0].effect, Effect::Deny);
    assert!(p.source.starts_with("[[policy]]\ncode = \"BJ-AI-2025-01\""));
    assert!(p.source.trim_end().ends_with("effect = \"deny\""));
    assert_eq!(defs[1].kind, Kind::Service);
    assert_eq!(defs[1].track, Track::FastApplication);
    assert_eq!(defs[1].benefit, None);
    assert!(defs[1].source.starts_with("[[policy]]\ncode = \"SVC-01\""));
}

#[test]
fn to_toml_round_trips_through_parse_file() {
    for def in parse_file(AI).unwrap() {
        let text = to_toml(&def);
        let mut back = parse_file(&text).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].source, text);
        back[0].source = def.source.clone();
        assert_eq!(back[0], def);
    }
    // awkward strings and numbers survive too
    let mut def = parse_file(AI).unwrap().remove(0);
    def.title = "引号\" 反斜杠\\ 换行\n tab\t".into();
    def.params[0].values = vec![
        (d("2024-01-01"), 1e21),
        (d("2025-01-01"), 0.1 + 0.2),
        (d("2026-01-01"), -3.0),
    ];
    let back = parse_file(&to_toml(&def)).unwrap().remove(0);
    assert_eq!(back.title, def.title);
    assert_eq!(back.params, def.params);
}

#[test]
fn expression_errors_carry_line_and_column_in_the_file() {
    // the `when` string's content starts at column 40 of line 6
    let col = |s: &str| with_when(s).lines().nth(5).unwrap().find(s).unwrap() + 1;
    assert_eq!(col("x"), 40);
    assert_eq!(
        err(&with_when("rd_ratoi >= params.rd_min")),
        vec!["6:40: unknown attribute `rd_ratoi` (did you mean `rd_ratio`?)"]
    );
    assert_eq!(
        err(&with_when("rd_ratio >= params.rd_mni")),
        vec!["6:52: unknown parameter `params.rd_mni` (did you mean `params.rd_min`?)"]
    );
    assert_eq!(
        err(&with_when("headcount > 3 && industry >= 5")),
        vec!["6:57: expected number, found string"]
    );
    assert_eq!(
        err(&with_when("headcount >")),
        vec!["6:51: expected a value, found end of expression"]
    );
    assert_eq!(
        err(&with_when("headcount + 1")),
        vec!["6:40: expected bool, found number"]
    );
    // multi-line strings count lines inside the string
    let src = "[[policy]]\ncode = \"P1\"\nkind = \"policy\"\ntitle = \"t\"\nstatus = \"active\"\nbenefit = \"\"\"\nmin(headcount,\n    sise)\"\"\"\n";
    assert_eq!(
        err(src),
        vec!["8:5: unknown attribute `sise` (did you mean `size`?)"]
    );
}

#[test]
fn field_errors_carry_line_and_column_in_the_file() {
    let base = "[[policy]]\ncode = \"P 1\"\nkind = \"poliсy\"\ntitle = \"\"\ntrack = \"免申\"\nstatus = \"on\"\nwindow_from = 2025-02-01\nwindow_to = \"2025-01-01\"\n";
    assert_eq!(
        err(base),
        vec![
            "2:8: bad code `P 1`: use 1 to 64 of A-Z a-z 0-9 _ . -",
            "3:8: unknown kind `poliсy`: use policy or service",
            "4:9: title must not be empty",
            "5:9: unknown track `免申`: use 免申即享 or 快申快享",
            "6:10: unknown status `on`: use draft, active or closed",
            "8:13: window_to 2025-01-01 is before window_from 2025-02-01",
        ]
    );
    let dup = "[[policy]]\ncode = \"A\"\nkind = \"policy\"\ntitle = \"t\"\nstatus = \"active\"\n[[policy.conditions]]\nclause = \"c\"\nwhen = \"true\"\n[[policy.exceptions]]\nclause = \"c\"\nwhen = \"false\"\neffect = \"maybe\"\n[policy.params]\nx = {}\n[[policy]]\ncode = \"A\"\nkind = \"service\"\ntitle = \"t\"\nstatus = \"active\"\n";
    assert_eq!(
        err(dup),
        vec![
            "10:10: clause `c` appears twice in this policy",
            "12:10: unknown effect `maybe`: use deny or grant",
            "14:5: parameter `x` needs at least one dated value",
            "16:8: code `A` appears twice in this file",
        ]
    );
    let toml_err = err(
        "[[policy]]\ncode = \"A\"\nkind = \"policy\"\ntitle = \"t\"\nstatus = \"active\"\ncolour = \"red\"\n",
    );
    assert_eq!(toml_err.len(), 1);
    assert!(
        toml_err[0].starts_with("6:1: unknown field `colour`"),
        "{toml_err:?}"
    );
    assert!(err("[[policy]\n")[0].starts_with("1:"));
    let missing = err("[[policy]]\ncode = \"A\"\nkind = \"policy\"\nstatus = \"active\"\n");
    assert!(missing[0].contains("missing field `title`"), "{missing:?}");
}

fn ai_facts(rd_ratio: f64) -> Facts {
    Facts::new()
        .with_id(7)
        .num("rd_ratio", Some(rd_ratio))
        .num("rd_spend_yuan", Some(1_234_567.891))
        .num("age_years", Some(3.0))
        .list("ecosystems", ["ai", "ic"])
}

#[test]
fn dated_parameters_take_the_value_in_force_on_the_evaluation_date() {
    let defs = parse_file(AI).unwrap();
    let f = ai_facts(0.045);
    let before = compile(&defs, d("2025-06-30"), &Overrides::new()).unwrap();
    let after = compile(&defs, d("2025-07-01"), &Overrides::new()).unwrap();
    let rd_min = |rs: &RuleSet| {
        rs.params("BJ-AI-2025-01")
            .unwrap()
            .iter()
            .find(|p| p.0 == "rd_min")
            .unwrap()
            .1
    };
    assert_eq!((rd_min(&before), rd_min(&after)), (Some(0.05), Some(0.04)));
    let e0 = before.explain_policy("BJ-AI-2025-01", &f).unwrap();
    let e1 = after.explain_policy("BJ-AI-2025-01", &f).unwrap();
    assert!(!e0.eligible);
    assert_eq!(
        e0.conditions[0].text,
        "rd_ratio 0.045 < params.rd_min 0.05 (第五条第一款)"
    );
    assert!(e1.eligible);
    assert_eq!(
        e1.conditions[0].text,
        "rd_ratio 0.045 >= params.rd_min 0.04 (第五条第一款)"
    );
    assert_eq!(e1.amount_fen, 12_345_679); // 123456.7891 元 half-up
    assert_eq!(
        e1.conditions[1].text,
        "'ai' in ecosystems ['ai', 'ic'] && age_years 3 >= 1 (第五条第二款)"
    );
    // before the first dated value the parameter is missing: never eligible, with a warning
    let early = compile(&defs, d("2023-12-31"), &Overrides::new()).unwrap();
    let e = early.explain_policy("BJ-AI-2025-01", &f).unwrap();
    assert!(!e.eligible);
    assert!(
        e.warnings
            .contains(&"params.rd_min has no value on 2023-12-31".to_string()),
        "{:?}",
        e.warnings
    );
    // batch agrees
    let pop = Population::from_facts(&[f]);
    assert!(
        !before
            .evaluate(&pop)
            .get("BJ-AI-2025-01")
            .unwrap()
            .eligible
            .get(0)
    );
    let out = after.evaluate(&pop);
    assert!(out.get("BJ-AI-2025-01").unwrap().eligible.get(0));
    assert_eq!(out.get("BJ-AI-2025-01").unwrap().amount(0), 12_345_679);
}

fn policy(code: &str, conds: &[&str], benefit: Option<&str>) -> PolicyDef {
    let mut src = format!(
        "[[policy]]\ncode = \"{code}\"\nkind = \"policy\"\ntitle = \"{code}\"\nstatus = \"active\"\n"
    );
    if let Some(b) = benefit {
        src += &format!("benefit = \"{b}\"\n");
    }
    src += "[policy.params]\nk = { 2020-01-01 = 2 }\n";
    for (i, c) in conds.iter().enumerate() {
        src += &format!("[[policy.conditions]]\nclause = \"c{i}\"\nwhen = \"{c}\"\n");
    }
    match parse_file(&src) {
        Ok(mut v) => v.remove(0),
        Err(e) => panic!("{src}\n{e:?}"),
    }
}

#[test]
fn missing_values_and_division_by_zero_evaluate_with_warnings_not_panics() {
    let defs = vec![
        policy("DIV", &["headcount >= 0"], Some("revenue_yuan / headcount")),
        policy("NE", &["size != 'large'"], None),
        policy("NOT", &["!(rd_ratio >= 0.03)"], Some("-5")),
        policy(
            "HAS",
            &["has(rd_ratio) ? rd_ratio < 0.03 : headcount > 1"],
            Some("1e308 * 10"),
        ),
    ];
    let rs = compile(&defs, d("2025-01-01"), &Overrides::new()).unwrap();
    let f = Facts::new()
        .num("headcount", Some(0.0))
        .num("revenue_yuan", Some(100.0));
    let ex = rs.explain(&f);
    assert!(ex[0].eligible);
    assert_eq!(ex[0].amount_fen, 0);
    assert!(
        ex[0]
            .warnings
            .contains(&"division by zero in `revenue_yuan / headcount`".to_string()),
        "{:?}",
        ex[0].warnings
    );
    assert!(
        ex[0]
            .warnings
            .contains(&"benefit is missing: amount 0".to_string())
    );
    // a comparison with a missing value is false, `!=` too
    assert!(!ex[1].eligible);
    assert_eq!(
        ex[1].conditions[0].text,
        "size (missing) != 'large' fails: a missing value never compares (c0)"
    );
    assert!(ex[1].warnings.contains(&"size is missing".to_string()));
    // ... so its negation is true; a negative benefit pays nothing
    assert!(ex[2].eligible);
    assert_eq!(ex[2].amount_fen, 0);
    assert!(ex[2].warnings.iter().any(|w| w.contains("negative")));
    // has() guards the missing branch; overflow is missing
    assert!(!ex[3].eligible);
    let f2 = f.clone().num("headcount", Some(2.0));
    let e3 = &rs.explain(&f2)[3];
    assert!(e3.eligible);
    assert_eq!(e3.amount_fen, 0);
    assert!(
        e3.warnings.iter().any(|w| w.contains("out of range")),
        "{:?}",
        e3.warnings
    );
    let pop = Population::from_facts(&[f, f2]);
    let out = rs.evaluate(&pop);
    for (i, e) in rs
        .explain(&pop.facts(0).unwrap())
        .iter()
        .chain(&rs.explain(&pop.facts(1).unwrap()))
        .enumerate()
    {
        let p = &out.policies[i % 4];
        assert_eq!(p.eligible.get(i / 4), e.eligible, "{}", e.code);
        assert_eq!(p.amount(i / 4), e.amount_fen, "{}", e.code);
    }
}

#[test]
fn deny_exceptions_win_over_conditions_and_grants() {
    let mut p = policy("X", &["headcount >= 10"], Some("100"));
    p.exceptions = vec![
        Exception {
            clause: "grant-hi".into(),
            when: "'高新技术企业' in tags".into(),
            effect: Effect::Grant,
        },
        Exception {
            clause: "deny-bad".into(),
            when: "'失信' in tags".into(),
            effect: Effect::Deny,
        },
    ];
    let rs = compile(&[p], d("2025-01-01"), &Overrides::new()).unwrap();
    let rows = [
        (Facts::new().num("headcount", Some(20.0)), true),
        (Facts::new().num("headcount", Some(5.0)), false),
        (
            Facts::new()
                .num("headcount", Some(5.0))
                .list("tags", ["高新技术企业"]),
            true,
        ),
        (
            Facts::new()
                .num("headcount", Some(20.0))
                .list("tags", ["失信"]),
            false,
        ),
        (
            Facts::new()
                .num("headcount", Some(5.0))
                .list("tags", ["高新技术企业", "失信"]),
            false,
        ),
    ];
    let pop = Population::from_facts(&rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>());
    let out = rs.evaluate(&pop);
    for (i, (f, want)) in rows.iter().enumerate() {
        let e = &rs.explain(f)[0];
        assert_eq!(e.eligible, *want, "row {i}");
        assert_eq!(out.policies[0].eligible.get(i), *want, "row {i}");
        assert_eq!(e.amount_fen, if *want { 10_000 } else { 0 });
    }
    let e = &rs.explain(&rows[4].0)[0];
    assert!(e.exceptions.iter().all(|x| x.hit));
    assert_eq!(
        e.exceptions[1].text,
        "'失信' in tags ['高新技术企业', '失信'] (deny-bad)"
    );
}

#[test]
fn exclusive_groups_keep_the_highest_amount_and_ties_go_to_the_lowest_code() {
    let mut a = policy("G-B", &["headcount >= 1"], Some("headcount * 10"));
    let mut b = policy("G-A", &["headcount >= 1"], Some("100"));
    let mut c = policy("G-C", &["headcount >= 5"], None);
    for p in [&mut a, &mut b, &mut c] {
        p.group = Some("g".into());
    }
    let rs = compile(&[a, b, c], d("2025-01-01"), &Overrides::new()).unwrap();
    assert_eq!(rs.group_of("G-C"), Some("g"));
    let rows: Vec<Facts> = [3.0, 10.0, 20.0, 0.0]
        .iter()
        .map(|h| Facts::new().num("headcount", Some(*h)))
        .collect();
    let pop = Population::from_facts(&rows);
    let out = rs.evaluate(&pop);
    let (gb, ga, gc) = (&out.policies[0], &out.policies[1], &out.policies[2]);
    // headcount 3: G-A 100 元 beats G-B 30 元
    assert!(ga.eligible.get(0) && !gb.eligible.get(0) && gb.superseded.get(0));
    assert_eq!(out.superseded_by("G-B", 0), Some("G-A"));
    assert_eq!(gb.amount(0), 0);
    // headcount 10: tie at 100 元 → lowest code G-A; G-C (no money) loses too
    assert!(ga.eligible.get(1) && !gb.eligible.get(1) && !gc.eligible.get(1));
    assert_eq!(out.superseded_by("G-C", 1), Some("G-A"));
    // headcount 20: G-B pays 200 元
    assert!(gb.eligible.get(2) && !ga.eligible.get(2));
    assert_eq!(gb.amount(2), 20_000);
    assert_eq!(out.superseded_by("G-A", 2), Some("G-B"));
    assert!(!ga.eligible.get(3) && !gb.eligible.get(3) && !gb.superseded.get(3));
    for (row, f) in rows.iter().enumerate() {
        let ex = rs.explain(f);
        for (k, e) in ex.iter().enumerate() {
            assert_eq!(e.eligible, out.policies[k].eligible.get(row));
            assert_eq!(e.amount_fen, out.policies[k].amount(row));
            assert_eq!(e.superseded_by.as_deref(), out.superseded_by(&e.code, row));
        }
        let one = rs.explain_policy("G-B", f).unwrap();
        assert_eq!(one, ex[0]);
    }
}

#[test]
fn overrides_change_a_parameter_or_a_clause_for_what_if_only() {
    let defs = parse_file(AI).unwrap();
    let facts: Vec<Facts> = (0..200)
        .map(|i| ai_facts(f64::from(i) / 2000.0).with_id(i64::from(i)))
        .collect();
    let pop = Population::from_facts(&facts);
    let base = compile(&defs, d("2025-01-01"), &Overrides::new()).unwrap();
    let baseline = base.evaluate(&pop);
    let ov = Overrides::new()
        .param("BJ-AI-2025-01", "rd_min", 0.04)
        .param("BJ-AI-2025-01", "cap_yuan", 100_000.0);
    let sim = compile(&defs, d("2025-01-01"), &ov).unwrap();
    let after = sim.evaluate_policy("BJ-AI-2025-01", &pop).unwrap();
    let dd = diff(
        baseline.get("BJ-AI-2025-01").unwrap(),
        after.get("BJ-AI-2025-01").unwrap(),
    );
    // rd_ratio = i/2000: >= 0.05 from i = 100, >= 0.04 from i = 80
    assert_eq!((dd.eligible_before, dd.eligible_after), (100, 120));
    assert_eq!(dd.gained, (80..100).collect::<Vec<_>>());
    assert!(dd.lost.is_empty());
    assert_eq!(dd.changed.len(), 100);
    assert_eq!(dd.total_before_fen, 100 * 12_345_679);
    assert_eq!(dd.total_after_fen, 120 * 10_000_000);
    let rule = Overrides::new().rule("BJ-AI-2025-01", "第五条第一款", "rd_ratio >= 0.0995");
    let sim = compile(&defs, d("2025-01-01"), &rule).unwrap();
    assert_eq!(
        sim.evaluate_policy("BJ-AI-2025-01", &pop).unwrap().policies[0].eligible_count(),
        1
    );
    // bad overrides are refused with positions inside the expression
    let bad = Overrides::new().rule("BJ-AI-2025-01", "benefit", "rd_spend_yuan * 'x'");
    let e = compile(&defs, d("2025-01-01"), &bad).unwrap_err();
    assert_eq!(
        e[0].to_string(),
        "1:17: policy BJ-AI-2025-01, benefit: expected number, found string (in `rd_spend_yuan * 'x'`)"
    );
    let e = compile(
        &defs,
        d("2025-01-01"),
        &Overrides::new()
            .param("BJ-AI-2025-01", "nope", 1.0)
            .rule("NOPE", "x", "true"),
    )
    .unwrap_err();
    assert_eq!(e.len(), 2);
}

// ---- differential test: batch evaluation == explain, row by row ----

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // SplitMix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const NUMS: [&str; 8] = [
    "headcount",
    "tech_staff",
    "tech_ratio",
    "revenue_yuan",
    "rd_spend_yuan",
    "rd_ratio",
    "tax_yuan",
    "age_years",
];
const STRS: [&str; 6] = [
    "industry",
    "industry_division",
    "street",
    "park",
    "size",
    "ownership",
];
const LISTS: [&str; 4] = ["ecosystems", "chains", "nodes", "tags"];
const WORDS: [&str; 7] = ["a", "b", "c", "ai", "I6513", "I65", "zz"];

fn gen_num(r: &mut Rng, depth: u32) -> String {
    let leaf = depth == 0 || r.chance(0.35);
    if leaf {
        return match r.below(4) {
            0 => format!("{}", r.below(5) as f64 * 0.5),
            1 => "params.k".into(),
            _ => r.pick(&NUMS).into(),
        };
    }
    match r.below(9) {
        0 => format!("({} + {})", gen_num(r, depth - 1), gen_num(r, depth - 1)),
        1 => format!("({} - {})", gen_num(r, depth - 1), gen_num(r, depth - 1)),
        2 => format!("({} * {})", gen_num(r, depth - 1), gen_num(r, depth - 1)),
        3 => format!("({} / {})", gen_num(r, depth - 1), gen_num(r, depth - 1)),
        4 => format!("min({}, {})", gen_num(r, depth - 1), gen_num(r, depth - 1)),
        5 => format!(
            "max({}, {}, {})",
            gen_num(r, depth - 1),
            gen_num(r, depth - 1),
            gen_num(r, 0)
        ),
        6 => format!("abs(-{})", gen_num(r, depth - 1)),
        7 => format!("size({})", r.pick(&LISTS)),
        _ => format!(
            "({} ? {} : {})",
            gen_bool(r, depth - 1),
            gen_num(r, depth - 1),
            gen_num(r, depth - 1)
        ),
    }
}

fn gen_str(r: &mut Rng, depth: u32) -> String {
    match r.below(if depth == 0 { 2 } else { 3 }) {
        0 => format!("'{}'", r.pick(&WORDS)),
        1 => r.pick(&STRS).into(),
        _ => format!(
            "({} ? {} : {})",
            gen_bool(r, depth - 1),
            gen_str(r, 0),
            gen_str(r, 0)
        ),
    }
}

fn gen_bool(r: &mut Rng, depth: u32) -> String {
    let ops = ["<", "<=", ">", ">=", "==", "!="];
    let simple = depth == 0 || r.chance(0.4);
    if simple {
        return match r.below(9) {
            0..=2 => format!(
                "({} {} {})",
                gen_num(r, depth.min(1)),
                r.pick(&ops),
                gen_num(r, depth.min(1))
            ),
            3 => format!(
                "({} {} {})",
                gen_str(r, depth.min(1)),
                r.pick(&["==", "!="]),
                gen_str(r, 0)
            ),
            4 => format!("({} in {})", gen_str(r, 0), r.pick(&LISTS)),
            5 => format!(
                "({} in ['{}', '{}'])",
                gen_str(r, 0),
                r.pick(&WORDS),
                r.pick(&WORDS)
            ),
            6 => format!(
                "has({})",
                r.pick(&[&NUMS[..], &STRS[..], &LISTS[..]].concat())
            ),
            7 => format!("{}.startsWith('{}')", r.pick(&STRS), r.pick(&WORDS)),
            _ => r.pick(&["true", "false"]).into(),
        };
    }
    match r.below(5) {
        0 => format!("({} && {})", gen_bool(r, depth - 1), gen_bool(r, depth - 1)),
        1 => format!("({} || {})", gen_bool(r, depth - 1), gen_bool(r, depth - 1)),
        2 => format!("!({})", gen_bool(r, depth - 1)),
        3 => format!("({} == {})", gen_bool(r, depth - 1), gen_bool(r, 0)),
        _ => format!(
            "({} ? {} : {})",
            gen_bool(r, depth - 1),
            gen_bool(r, depth - 1),
            gen_bool(r, 0)
        ),
    }
}

fn gen_facts(r: &mut Rng, id: i64) -> Facts {
    let mut f = Facts::new().with_id(id);
    for n in NUMS {
        let v = match r.below(10) {
            0 | 1 => None,
            2 => Some(0.0),
            3 => Some(r.below(3) as f64 * 0.5),
            _ => Some((r.next() % 2_000_000) as f64 / 100.0 - 1000.0),
        };
        f = f.num(n, v);
    }
    for s in STRS {
        let v =
            (!r.chance(0.2)).then(|| ["a", "b", "ai", "I6513", "I6599", "J66", "新"][r.below(7)]);
        f = f.str(s, v);
    }
    for l in LISTS {
        let k = r.below(4);
        let items: Vec<&str> = (0..k)
            .map(|_| ["a", "b", "c", "ai", "x", "I65"][r.below(6)])
            .collect();
        f = f.list(l, items);
    }
    f
}

fn random_defs(r: &mut Rng, n: usize) -> Vec<PolicyDef> {
    let mut defs = Vec::new();
    for i in 0..n {
        let conds: Vec<String> = (0..r.below(4)).map(|_| gen_bool(r, 3)).collect();
        let refs: Vec<&str> = conds.iter().map(String::as_str).collect();
        let benefit = (!r.chance(0.3)).then(|| gen_num(r, 3));
        let mut p = policy(&format!("R{i:02}"), &refs, benefit.as_deref());
        if r.chance(0.3) {
            p.exceptions.push(Exception {
                clause: "x1".into(),
                when: gen_bool(r, 2),
                effect: Effect::Grant,
            });
        }
        if r.chance(0.3) {
            p.exceptions.push(Exception {
                clause: "x2".into(),
                when: gen_bool(r, 2),
                effect: Effect::Deny,
            });
        }
        if r.chance(0.4) {
            p.group = Some(format!("g{}", r.below(3)));
        }
        defs.push(p);
    }
    // hand-written ones
    defs.push(policy(
        "H1",
        &[
            "rd_ratio >= 0.03",
            "'ai' in ecosystems || industry.startsWith('I65')",
        ],
        Some("min(rd_spend_yuan * 0.1, 500000)"),
    ));
    defs.push(policy(
        "H2",
        &["size in ['a', 'b'] && !(headcount < 10)"],
        Some("revenue_yuan / headcount * params.k"),
    ));
    defs.push(policy(
        "H3",
        &["has(tax_yuan) ? tax_yuan > 100 : age_years != 0"],
        None,
    ));
    defs
}

#[test]
fn batch_evaluation_equals_explain_for_every_row_of_random_populations() {
    let mut checked = 0usize;
    for seed in [1u64, 2, 3] {
        let mut r = Rng(seed);
        let defs = random_defs(&mut r, 24);
        let rs =
            compile(&defs, d("2025-01-01"), &Overrides::new()).unwrap_or_else(|e| panic!("{e:?}"));
        // more than one chunk, the last one partial
        let n = if seed == 1 { CHUNK + 777 } else { 700 };
        let facts: Vec<Facts> = (0..n).map(|i| gen_facts(&mut r, i as i64)).collect();
        let pop = Population::from_facts(&facts);
        let out = rs.evaluate(&pop);
        let step = if n > 1000 { 3 } else { 1 };
        for row in (0..n).step_by(step) {
            assert_eq!(pop.facts(row).as_ref(), Some(&facts[row]));
            let ex = rs.explain(&facts[row]);
            for (k, e) in ex.iter().enumerate() {
                let p = &out.policies[k];
                let ctx = || {
                    format!(
                        "seed {seed} row {row} policy {} {:?}\n{:?}",
                        e.code, defs[k], facts[row]
                    )
                };
                assert_eq!(p.eligible.get(row), e.eligible, "{}", ctx());
                assert_eq!(p.amount(row), e.amount_fen, "{}", ctx());
                assert_eq!(
                    out.superseded_by(&e.code, row),
                    e.superseded_by.as_deref(),
                    "{}",
                    ctx()
                );
                checked += 1;
            }
        }
        // the compact amount storage reads back the same through every accessor
        for p in &out.policies {
            let dense = p.amounts_dense();
            assert_eq!(p.amounts().count(), p.eligible_count());
            assert_eq!(dense.iter().sum::<i64>(), p.total_fen());
            for row in (0..n).step_by(7) {
                assert_eq!(dense[row], p.amount(row));
            }
        }
        // the what-if path gives the same as the full run for each policy
        for code in ["R03", "H2"] {
            let one = rs.evaluate_policy(code, &pop).unwrap();
            assert_eq!(one.get(code), out.get(code));
        }
    }
    assert!(checked > 100_000 / 4, "{checked}");
}

#[test]
fn random_populations_exercise_both_outcomes() {
    // guards the differential test against trivially all-false rules
    let mut r = Rng(1);
    let defs = random_defs(&mut r, 24);
    let rs = compile(&defs, d("2025-01-01"), &Overrides::new()).unwrap();
    let facts: Vec<Facts> = (0..500).map(|i| gen_facts(&mut r, i)).collect();
    let out = rs.evaluate(&Population::from_facts(&facts));
    let mixed = out
        .policies
        .iter()
        .filter(|p| (1..500).contains(&p.eligible_count()))
        .count();
    assert!(mixed >= 8, "{mixed}");
    assert!(out.policies.iter().any(|p| p.amounts().any(|(_, a)| a > 0)));
    assert!(out.policies.iter().any(|p| p.superseded.count_ones() > 0));
}

#[test]
fn yuan_round_half_up_to_the_fen() {
    assert_eq!(yuan_to_fen(0.125), 13);
    assert_eq!(yuan_to_fen(1.005), 100); // the f64 1.005 is 1.00499999999999989…
    assert_eq!(yuan_to_fen(123.454), 12345);
    assert_eq!(yuan_to_fen(f64::NAN), 0);
    assert_eq!(yuan_to_fen(-3.0), 0);
}

// ---- timing at scale: `cargo test -p lianshi-rules --release -- --ignored --nocapture` ----

fn realistic_defs(n: usize, money: usize) -> Vec<PolicyDef> {
    let shapes = [
        "rd_ratio >= params.k",
        "'ai' in ecosystems && age_years >= 1",
        "headcount >= 10 && revenue_yuan >= params.k * 10000000",
        "size in ['small', 'micro'] || tech_ratio >= 0.3",
        "industry.startsWith('I65') || 'ic' in chains",
        "!('失信' in tags)",
        "tax_yuan / headcount >= 10000",
        "has(rd_spend_yuan) && rd_spend_yuan > 1000000 * params.k",
    ];
    (0..n)
        .map(|i| {
            let conds = [shapes[i % shapes.len()], shapes[(i * 3 + 1) % shapes.len()]];
            let benefit =
                (i < money).then(|| "min(rd_spend_yuan * 0.1, 500000 + params.k)".to_string());
            let mut p = policy(&format!("P{i:03}"), &conds, benefit.as_deref());
            p.params[0].values = vec![(d("2020-01-01"), 0.03 + (i % 5) as f64 * 0.01)];
            if i % 10 == 0 {
                p.group = Some(format!("g{}", i % 3));
            }
            p
        })
        .collect()
}

fn realistic_pop(n: usize) -> Population {
    let mut r = Rng(42);
    let mut b = PopulationBuilder::with_capacity(n);
    let eco = ["ai", "ic", "bio", "new-energy"];
    for i in 0..n {
        let head = (r.below(500) + 1) as f64;
        let rev = (r.next() % 500_000_000) as f64;
        let rd = if r.chance(0.1) {
            None
        } else {
            Some(rev * r.below(100) as f64 / 1000.0)
        };
        let f = Facts::new()
            .with_id(i as i64)
            .str(
                "industry",
                Some(["I6513", "I6520", "C3971", "M7320"][r.below(4)]),
            )
            .str(
                "size",
                Some(["micro", "small", "medium", "large"][r.below(4)]),
            )
            .num("headcount", Some(head))
            .num("tech_ratio", Some(r.below(100) as f64 / 100.0))
            .num("revenue_yuan", Some(rev))
            .num("rd_spend_yuan", rd)
            .num("rd_ratio", rd.map(|x| x / rev.max(1.0)))
            .num("tax_yuan", Some(rev * 0.03))
            .num("age_years", Some(r.below(30) as f64))
            .list("ecosystems", [eco[r.below(4)]])
            .list("chains", if r.chance(0.3) { vec!["ic"] } else { vec![] })
            .list(
                "tags",
                if r.chance(0.02) {
                    vec!["失信"]
                } else {
                    vec!["专精特新"]
                },
            );
        b.push(&f);
    }
    b.finish()
}

#[test]
#[ignore = "timing at 1,000,000 enterprises; run in release"]
fn timing_at_one_million_enterprises() {
    use std::time::Instant;
    let n = 1_000_000;
    let t = Instant::now();
    let pop = realistic_pop(n);
    eprintln!("population build: {:?}", t.elapsed());
    let money = std::env::var("RULES_MONEY").map_or(50, |v| v.parse().unwrap());
    let defs = realistic_defs(120, money);
    let rs = compile(&defs, d("2025-01-01"), &Overrides::new()).unwrap();
    // CPU seconds of this process (user + system), to see through a busy machine
    let cpu = || {
        let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let f: Vec<f64> = s
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0.0))
            .collect();
        (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
    };
    let mut best = f64::MAX;
    let mut base = None;
    let c0 = cpu();
    for _ in 0..3 {
        let t = Instant::now();
        let out = rs.evaluate(&pop);
        best = best.min(t.elapsed().as_secs_f64());
        base = Some(out);
    }
    let base = base.unwrap();
    eprintln!(
        "full evaluation, 120 policies: {:.1} ms wall (best of 3), {:.0} ms CPU per run",
        best * 1e3,
        (cpu() - c0) / 3.0 * 1e3
    );
    let eligible: usize = base.policies.iter().map(|p| p.eligible_count()).sum();
    eprintln!("eligible pairs: {eligible}");
    let code = "P003";
    let ov = Overrides::new().param(code, "k", 0.02);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let sim = compile(&defs, d("2025-01-01"), &ov).unwrap();
        let after = sim.evaluate_policy(code, &pop).unwrap();
        let dd = diff(base.get(code).unwrap(), after.get(code).unwrap());
        best = best.min(t.elapsed().as_secs_f64());
        assert!(dd.eligible_after >= dd.eligible_before);
    }
    eprintln!(
        "what-if one policy (compile + evaluate + diff): {:.2} ms (best of 5)",
        best * 1e3
    );
    let t = Instant::now();
    let sim = compile(&defs, d("2025-01-01"), &ov).unwrap();
    let tc = t.elapsed();
    let t = Instant::now();
    let after = sim.evaluate_policy(code, &pop).unwrap();
    let te = t.elapsed();
    let t = Instant::now();
    let dd = diff(base.get(code).unwrap(), after.get(code).unwrap());
    eprintln!(
        "  breakdown: compile {tc:?}, evaluate_policy {te:?}, diff {:?} ({} gained)",
        t.elapsed(),
        dd.gained.len()
    );
    let mut times: Vec<f64> = (0..1000)
        .map(|i| {
            let f = pop.facts(i * 997).unwrap();
            let t = Instant::now();
            let ex = rs.explain(&f);
            let s = t.elapsed().as_secs_f64();
            assert_eq!(ex.len(), 120);
            s
        })
        .collect();
    times.sort_by(f64::total_cmp);
    eprintln!(
        "explain one enterprise, all policies: p50 {:.3} ms, p99 {:.3} ms",
        times[500] * 1e3,
        times[990] * 1e3
    );
}

#[test]
fn the_examples_in_rules_md_are_valid_rules() {
    let doc = include_str!("../../../docs/RULES.md");
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert_eq!(blocks.len(), 2);
    let defs = parse_file(blocks[0]).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(defs[0].code, "BJ-AI-2025-01");
    // the fragments: each `when`/`benefit` line and the exception table, in one policy
    let mut src = String::from(
        "[[policy]]\ncode = \"X\"\nkind = \"policy\"\ntitle = \"t\"\nstatus = \"active\"\n",
    );
    let frag = blocks[1];
    for line in frag.lines().filter(|l| l.starts_with("benefit")) {
        src += line;
        src += "\n";
    }
    src += "[policy.params]\ncap_yuan = { 2024-01-01 = 1 }\n";
    for (i, line) in frag
        .lines()
        .filter(|l| l.starts_with("when"))
        .take(2)
        .enumerate()
    {
        src += &format!("[[policy.conditions]]\nclause = \"c{i}\"\n{line}\n");
    }
    src += &frag[frag.find("[[policy.exceptions]]").unwrap()..];
    parse_file(&src).unwrap_or_else(|e| panic!("{src}\n{e:?}"));
}

#[test]
fn diff_agrees_with_a_row_by_row_comparison() {
    let mut r = Rng(9);
    let defs = random_defs(&mut r, 16);
    let facts: Vec<Facts> = (0..CHUNK + 300)
        .map(|i| gen_facts(&mut r, i as i64))
        .collect();
    let pop = Population::from_facts(&facts);
    let base = compile(&defs, d("2025-01-01"), &Overrides::new())
        .unwrap()
        .evaluate(&pop);
    let mut ov = Overrides::new();
    for def in &defs {
        ov = ov.param(&def.code, "k", 0.5);
    }
    let sim = compile(&defs, d("2025-01-01"), &ov).unwrap().evaluate(&pop);
    let mut any_change = 0;
    for (a, b) in base.policies.iter().zip(&sim.policies) {
        let dd = diff(a, b);
        let rows = 0..pop.len();
        let want_gained: Vec<usize> = rows
            .clone()
            .filter(|&i| !a.eligible.get(i) && b.eligible.get(i))
            .collect();
        let want_lost: Vec<usize> = rows
            .clone()
            .filter(|&i| a.eligible.get(i) && !b.eligible.get(i))
            .collect();
        let want_changed: Vec<usize> = rows
            .filter(|&i| a.eligible.get(i) && b.eligible.get(i) && a.amount(i) != b.amount(i))
            .collect();
        assert_eq!(dd.gained, want_gained, "{}", a.code);
        assert_eq!(dd.lost, want_lost, "{}", a.code);
        assert_eq!(dd.changed, want_changed, "{}", a.code);
        any_change += dd.gained.len() + dd.lost.len() + dd.changed.len();
    }
    assert!(any_change > 100, "{any_change}");
}

#[test]
fn incremental_what_if_equals_evaluating_from_scratch() {
    let _serial = WHATIF_SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut trials = 0usize;
    let mut changed = 0usize;
    for seed in [21u64, 22, 23] {
        let mut r = Rng(seed);
        let mut defs = random_defs(&mut r, 24);
        // parameters in conditions and benefits, so that parameter overrides reach them
        for def in defs.iter_mut() {
            if r.chance(0.5) {
                def.conditions.push(Condition {
                    clause: "ck".into(),
                    when: "tech_ratio * 10 >= params.k".into(),
                });
            }
            if let Some(b) = def.benefit.clone()
                && r.chance(0.5)
            {
                def.benefit = Some(format!("({b}) * params.k / 2"));
            }
        }
        let on = d("2025-01-01");
        let n = if seed == 21 { 2 * CHUNK + 777 } else { 700 };
        let facts: Vec<Facts> = (0..n).map(|i| gen_facts(&mut r, i as i64)).collect();
        let pop = Population::from_facts(&facts);
        let base = compile(&defs, on, &Overrides::new()).unwrap_or_else(|e| panic!("{e:?}"));
        let wi = WhatIf::new(base.clone(), pop.len());
        for t in 0..40 {
            let mut ov = Overrides::new();
            for _ in 0..1 + r.below(3) {
                let def = &defs[r.below(defs.len())];
                match r.below(4) {
                    0 => {
                        let v = [0.0, 1.0, 2.0, 3.5, 10.0][r.below(5)];
                        ov = ov.param(&def.code, "k", v);
                    }
                    1 => ov = ov.rule(&def.code, "benefit", &gen_num(&mut r, 3)),
                    _ => {
                        let clauses: Vec<&str> = def
                            .conditions
                            .iter()
                            .map(|c| c.clause.as_str())
                            .chain(def.exceptions.iter().map(|x| x.clause.as_str()))
                            .collect();
                        if clauses.is_empty() {
                            continue;
                        }
                        let clause = r.pick(&clauses);
                        // sometimes another clause's expression (an equal tree reused)
                        let expr = if r.chance(0.3) {
                            def.conditions
                                .iter()
                                .map(|c| c.when.clone())
                                .chain(def.exceptions.iter().map(|x| x.when.clone()))
                                .nth(r.below(clauses.len()))
                                .unwrap_or_default()
                        } else {
                            gen_bool(&mut r, 3)
                        };
                        ov = ov.rule(&def.code, clause, &expr);
                    }
                }
            }
            let after = compile(&defs, on, &ov).unwrap_or_else(|e| panic!("{e:?}"));
            // the changed policy, or (every other time) another member of a changed group
            let code = if t % 2 == 0 {
                ov.params
                    .first()
                    .map(|x| x.0.clone())
                    .or_else(|| ov.rules.first().map(|x| x.0.clone()))
                    .unwrap_or_default()
            } else {
                defs[r.below(defs.len())].code.clone()
            };
            if code.is_empty() {
                continue;
            }
            let want = after.evaluate_policy(&code, &pop);
            let got = wi.evaluate_policy(&after, &code, &pop);
            assert_eq!(got, want, "seed {seed} trial {t} {code} {ov:?}");
            if let (Some(w), Some(b)) = (&want, base.evaluate_policy(&code, &pop)) {
                changed += usize::from(w != &b);
                if w.policies.len() > 1 {
                    trials += 1;
                }
            }
            // the baseline itself
            assert_eq!(
                wi.evaluate_policy(&base, &code, &pop),
                base.evaluate_policy(&code, &pop)
            );
        }
    }
    assert!(
        changed > 30 && trials > 10,
        "changed {changed}, grouped {trials}"
    );
}

/// The two what-if tests read the shared path counters; they run one at a time.
static WHATIF_SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The demo's `rd-subsidy` shape (a banded R&D threshold in a three-member exclusive group with
/// a grant and a deny) plus a lone policy, over three and a bit chunks with missing values:
/// every what-if equals evaluating from scratch, and every incremental path is taken.
#[test]
fn incremental_what_if_takes_every_path_and_equals_evaluating_from_scratch() {
    let _serial = WHATIF_SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let src = r#"
[[policy]]
code = "G1"
kind = "policy"
title = "banded R&D threshold"
status = "active"
group = "rd"
benefit = "min(rd_spend_yuan * params.rate, params.cap)"
[policy.params]
band = { 2020-01-01 = 1000 }
small = { 2020-01-01 = 0.3 }
large = { 2020-01-01 = 0.1 }
rate = { 2020-01-01 = 0.5 }
cap = { 2020-01-01 = 80 }
[[policy.conditions]]
clause = "c-ratio"
when = "rd_ratio >= (revenue_yuan <= params.band ? params.small : params.large)"
[[policy.conditions]]
clause = "c-age"
when = "age_years >= 1"
[[policy.conditions]]
clause = "c-spend"
when = "rd_spend_yuan >= 100"
[[policy.exceptions]]
clause = "x-deny"
when = "'c' in tags"
effect = "deny"
[[policy.exceptions]]
clause = "x-grant"
when = "'ai' in chains && rd_spend_yuan >= 100"
effect = "grant"

[[policy]]
code = "G2"
kind = "policy"
title = "small firms"
status = "active"
group = "rd"
benefit = "min(rd_spend_yuan * 0.4, 70)"
[policy.params]
heads = { 2020-01-01 = 50 }
[[policy.conditions]]
clause = "c-tag"
when = "'a' in tags"
[[policy.conditions]]
clause = "c-heads"
when = "headcount <= params.heads"
[[policy.exceptions]]
clause = "x-deny"
when = "'c' in tags"
effect = "deny"

[[policy]]
code = "G3"
kind = "policy"
title = "ecosystem"
status = "active"
group = "rd"
benefit = "rd_spend_yuan > 150 ? 80 : 40"
[policy.params]
rd = { 2020-01-01 = 0.2 }
[[policy.conditions]]
clause = "c-eco"
when = "'b' in ecosystems || has(park)"
[[policy.conditions]]
clause = "c-rd"
when = "rd_ratio >= params.rd"

[[policy]]
code = "L1"
kind = "policy"
title = "alone"
status = "active"
benefit = "params.amt"
[policy.params]
t = { 2020-01-01 = 0.5 }
amt = { 2020-01-01 = 10 }
[[policy.conditions]]
clause = "c-tech"
when = "tech_ratio >= params.t"
"#;
    let defs = parse_file(src).unwrap_or_else(|e| panic!("{e:?}"));
    let mut r = Rng(77);
    let n = 3 * CHUNK + 123;
    let maybe = |r: &mut Rng, v: f64| (!r.chance(0.08)).then_some(v);
    let facts: Vec<Facts> = (0..n)
        .map(|i| {
            let mut f = Facts::new().with_id(i as i64);
            let v = r.below(1000) as f64 / 1000.0;
            f = f.num("rd_ratio", maybe(&mut r, v));
            let v = r.below(2000) as f64;
            f = f.num("revenue_yuan", maybe(&mut r, v));
            let v = r.below(5) as f64;
            f = f.num("age_years", maybe(&mut r, v));
            let v = r.below(220) as f64;
            f = f.num("rd_spend_yuan", maybe(&mut r, v));
            let v = r.below(100) as f64;
            f = f.num("headcount", maybe(&mut r, v));
            let v = r.below(100) as f64 / 100.0;
            f = f.num("tech_ratio", maybe(&mut r, v));
            f = f.str("park", r.chance(0.2).then_some("p1"));
            let pick = |r: &mut Rng, xs: &[&'static str], p: f64| -> Vec<&'static str> {
                xs.iter().copied().filter(|_| r.chance(p)).collect()
            };
            f = f.list("tags", pick(&mut r, &["a", "b", "c"], 0.3));
            f = f.list("chains", pick(&mut r, &["ai", "x"], 0.1));
            f.list("ecosystems", pick(&mut r, &["a", "b"], 0.3))
        })
        .collect();
    let pop = Population::from_facts(&facts);
    let on = d("2025-01-01");
    let base = compile(&defs, on, &Overrides::new()).unwrap_or_else(|e| panic!("{e:?}"));
    let wi = WhatIf::new(base.clone(), pop.len());
    let before = crate::batch::paths::snapshot();
    let cases: Vec<(&str, Overrides)> = vec![
        // the baseline itself: every piece shared
        ("G1", Overrides::new()),
        // condition only, the demo's what-if: a parameter inside the nested conditional
        ("G1", Overrides::new().param("G1", "small", 0.2)),
        ("G1", Overrides::new().param("G1", "large", 0.5)),
        // benefit only: amounts change, so the group is resolved again
        ("G1", Overrides::new().param("G1", "rate", 0.9)),
        ("G2", Overrides::new().param("G1", "cap", 70.0)),
        // both, and a grant or a deny changed (a changed grant reaches every row)
        (
            "G1",
            Overrides::new().param("G1", "small", 0.25).rule(
                "G1",
                "benefit",
                "rd_spend_yuan * 0.3",
            ),
        ),
        (
            "G3",
            Overrides::new().rule("G1", "x-grant", "'x' in chains || headcount > 90"),
        ),
        ("G1", Overrides::new().rule("G1", "x-deny", "'b' in tags")),
        // a condition replaced by another one's expression: every clause cached, in other places
        (
            "G1",
            Overrides::new().rule("G1", "c-spend", "age_years >= 1"),
        ),
        // a condition made constant, one that reads a missing-prone attribute
        ("G1", Overrides::new().rule("G1", "c-age", "true")),
        (
            "G2",
            Overrides::new().rule("G2", "c-heads", "has(headcount)"),
        ),
        // another member's condition and benefit
        ("G1", Overrides::new().param("G3", "rd", 0.5)),
        ("G2", Overrides::new().rule("G3", "benefit", "40")),
        // ties between members: the lowest code wins
        (
            "G1",
            Overrides::new()
                .rule("G1", "benefit", "40")
                .rule("G2", "benefit", "40")
                .rule("G3", "benefit", "40"),
        ),
        // outside any group
        ("L1", Overrides::new().param("L1", "t", 0.2)),
        ("L1", Overrides::new().param("L1", "amt", 12.5)),
        // a benefit needed for most rows of a chunk: evaluated over the whole chunk
        (
            "L1",
            Overrides::new()
                .param("L1", "t", 0.1)
                .rule("L1", "benefit", "tech_ratio * 100"),
        ),
    ];
    for (code, ov) in &cases {
        let after = compile(&defs, on, ov).unwrap_or_else(|e| panic!("{e:?}"));
        let want = after.evaluate_policy(code, &pop);
        let got = wi.evaluate_policy(&after, code, &pop);
        assert_eq!(got, want, "{code} {ov:?}");
        if let Some(o) = &got {
            for p in &o.policies {
                let total: i64 = p.amounts().map(|(_, a)| a).sum();
                assert_eq!(p.total_fen(), total, "{code} {ov:?} {}", p.code);
            }
        }
    }
    // the group changed in the rule set itself: the baseline's resolution no longer applies
    let mut regrouped = defs.clone();
    regrouped[2].group = None;
    let after = compile(&regrouped, on, &Overrides::new().param("G1", "small", 0.2))
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        wi.evaluate_policy(&after, "G1", &pop),
        after.evaluate_policy("G1", &pop)
    );
    // a policy the baseline does not have
    let mut more = defs.clone();
    let mut g4 = defs[1].clone();
    g4.code = "G4".into();
    more.push(g4);
    let after = compile(&more, on, &Overrides::new()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        wi.evaluate_policy(&after, "G4", &pop),
        after.evaluate_policy("G4", &pop)
    );
    // another population size: evaluated from scratch
    let small = Population::from_facts(&facts[..100]);
    assert_eq!(
        wi.evaluate_policy(&base, "G1", &small),
        base.evaluate_policy("G1", &small)
    );
    let after = crate::batch::paths::snapshot();
    for (k, name) in crate::batch::paths::NAMES.iter().enumerate() {
        assert!(after[k] > before[k], "path not taken: {name}");
    }
}
