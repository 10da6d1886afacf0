//! Single-enterprise evaluation with explanations: a plain tree-walking interpreter over
//! [`Facts`], written independently of the columnar evaluator so the two can be tested
//! against each other. It shares only the scalar semantics in the crate root.

use serde::Serialize;

use crate::check::{CmpOp, T, TK};
use crate::compile::{Clause, Compiled, RuleSet};
use crate::facts::{Facts, Value};
use crate::{arith, cmp_num, nmax, nmin, yuan_to_fen};

/// One condition's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionTrace {
    pub clause: String,
    /// The expression as written.
    pub expr: String,
    pub passed: bool,
    /// The values used, e.g. `rd_ratio 0.021 < params.rd_min 0.03 (第五条第一款)`.
    pub text: String,
}

/// One exception's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionTrace {
    pub clause: String,
    pub expr: String,
    /// `"deny"` or `"grant"`.
    pub effect: String,
    /// Whether the exception's condition held.
    pub hit: bool,
    pub text: String,
}

/// The benefit formula's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenefitTrace {
    pub expr: String,
    /// The value in 元 (None = missing).
    pub yuan: Option<f64>,
    pub text: String,
}

/// Why one enterprise is or is not eligible for one policy, and for how much.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub code: String,
    pub title: String,
    /// Final: conditions, exceptions and the exclusive group applied.
    pub eligible: bool,
    /// Final amount in fen (0 when not eligible, superseded or without a benefit).
    pub amount_fen: i64,
    /// All base conditions passed.
    pub conditions_passed: bool,
    pub conditions: Vec<ConditionTrace>,
    pub exceptions: Vec<ExceptionTrace>,
    pub benefit: Option<BenefitTrace>,
    /// Eligible before the group, but another policy of the group pays more (or ties with a
    /// lower code): that policy's code.
    pub superseded_by: Option<String>,
    /// Missing values read, divisions by zero, parameters without a value on the date.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
enum V<'a> {
    /// NaN = missing.
    N(f64),
    B(bool),
    S(Option<&'a str>),
    L(&'a [String]),
}

const EMPTY: &[String] = &[];

struct Interp<'a> {
    facts: &'a Facts,
    src: &'a str,
    on: chrono::NaiveDate,
    /// None while rendering (values only, no warnings).
    warnings: Option<&'a mut Vec<String>>,
}

fn num_text(x: f64) -> String {
    if x.is_nan() {
        "(missing)".to_string()
    } else {
        format!("{x}")
    }
}

impl<'a> Interp<'a> {
    fn warn(&mut self, w: String) {
        if let Some(ws) = self.warnings.as_deref_mut()
            && !ws.contains(&w)
        {
            ws.push(w);
        }
    }

    fn attr_name(idx: usize) -> &'static str {
        crate::Schema::enterprise().attr(idx).name
    }

    fn snippet(&self, t: &T) -> &'a str {
        self.src.get(t.span.start..t.span.end).unwrap_or("?")
    }

    fn num(&mut self, t: &'a T) -> f64 {
        match self.eval(t) {
            V::N(x) => x,
            _ => f64::NAN,
        }
    }
    fn bool(&mut self, t: &'a T) -> bool {
        matches!(self.eval(t), V::B(true))
    }
    fn str(&mut self, t: &'a T) -> Option<&'a str> {
        match self.eval(t) {
            V::S(s) => s,
            _ => None,
        }
    }
    fn list(&mut self, t: &'a T) -> &'a [String] {
        match self.eval(t) {
            V::L(l) => l,
            _ => EMPTY,
        }
    }

    fn eval(&mut self, t: &'a T) -> V<'a> {
        match &t.kind {
            TK::Num(x) => V::N(*x),
            TK::Bool(b) => V::B(*b),
            TK::Str(s) => V::S(Some(s)),
            TK::List(l) => V::L(l),
            TK::NumAttr(i) => {
                let x = match self.facts.at(*i) {
                    Some(Value::Num(Some(x))) if x.is_finite() => *x,
                    _ => f64::NAN,
                };
                if x.is_nan() {
                    self.warn(format!("{} is missing", Self::attr_name(*i)));
                }
                V::N(x)
            }
            TK::StrAttr(i) => {
                let s = match self.facts.at(*i) {
                    Some(Value::Str(Some(s))) => Some(s.as_str()),
                    _ => None,
                };
                if s.is_none() {
                    self.warn(format!("{} is missing", Self::attr_name(*i)));
                }
                V::S(s)
            }
            TK::ListAttr(i) => match self.facts.at(*i) {
                Some(Value::List(l)) => V::L(l),
                _ => V::L(EMPTY),
            },
            TK::Param { name, value } => {
                if value.is_nan() {
                    self.warn(format!("params.{name} has no value on {}", self.on));
                }
                V::N(*value)
            }
            TK::Neg(a) => V::N(-self.num(a)),
            TK::Not(a) => V::B(!self.bool(a)),
            TK::Arith(op, a, b) => {
                let x = self.num(a);
                let y = self.num(b);
                let z = arith(*op, x, y);
                if z.is_nan() && !x.is_nan() && !y.is_nan() {
                    let what = if *op == crate::check::ArOp::Div && y == 0.0 {
                        "division by zero"
                    } else {
                        "number out of range"
                    };
                    let snip = self.snippet(t);
                    self.warn(format!("{what} in `{snip}`"));
                }
                V::N(z)
            }
            TK::CmpNum(op, a, b) => {
                let x = self.num(a);
                let y = self.num(b);
                V::B(cmp_num(*op, x, y))
            }
            TK::EqStr(ne, a, b) => {
                let x = self.str(a);
                let y = self.str(b);
                V::B(match (x, y) {
                    (Some(x), Some(y)) => (x == y) != *ne,
                    _ => false,
                })
            }
            TK::EqBool(ne, a, b) => {
                let x = self.bool(a);
                let y = self.bool(b);
                V::B((x == y) != *ne)
            }
            TK::And(a, b) => V::B(self.bool(a) && self.bool(b)),
            TK::Or(a, b) => V::B(self.bool(a) || self.bool(b)),
            TK::Cond(c, a, b) => {
                if self.bool(c) {
                    self.eval(a)
                } else {
                    self.eval(b)
                }
            }
            TK::In(a, b) => {
                let x = self.str(a);
                let l = self.list(b);
                V::B(x.is_some_and(|x| l.iter().any(|s| s == x)))
            }
            TK::Min(v) | TK::Max(v) => {
                let is_min = matches!(t.kind, TK::Min(_));
                let mut acc = self.num(&v[0]);
                for x in &v[1..] {
                    let y = self.num(x);
                    acc = if is_min { nmin(acc, y) } else { nmax(acc, y) };
                }
                V::N(acc)
            }
            TK::Abs(a) => V::N(self.num(a).abs()),
            TK::Size(a) => V::N(self.list(a).len() as f64),
            TK::Has(i) => V::B(match self.facts.at(*i) {
                Some(Value::Num(Some(x))) => x.is_finite(),
                Some(Value::Str(Some(_))) => true,
                Some(Value::List(l)) => !l.is_empty(),
                _ => false,
            }),
            TK::StartsWith(a, p) => V::B(self.str(a).is_some_and(|s| s.starts_with(p.as_str()))),
        }
    }

    /// Renders an operand with its value: `rd_ratio 0.021`, `params.rd_min 0.03`, `0.03`,
    /// `(a / b) 0.5`.
    fn operand(&mut self, t: &'a T) -> String {
        let v = self.eval(t);
        let val = match v {
            V::N(x) => num_text(x),
            V::B(b) => b.to_string(),
            V::S(Some(s)) => format!("'{s}'"),
            V::S(None) => "(missing)".to_string(),
            V::L(l) => list_text(l),
        };
        match &t.kind {
            TK::Num(_) | TK::Str(_) | TK::Bool(_) | TK::List(_) => val,
            TK::NumAttr(_) | TK::StrAttr(_) | TK::ListAttr(_) | TK::Param { .. } => {
                format!("{} {val}", self.snippet(t))
            }
            _ => format!("({}) {val}", self.snippet(t)),
        }
    }

    /// Renders a bool expression with the values it used.
    fn render(&mut self, t: &'a T) -> String {
        match &t.kind {
            TK::CmpNum(op, a, b) => {
                let pass = self.bool(t);
                let x = self.num(a);
                let y = self.num(b);
                let shown = if pass || x.is_nan() || y.is_nan() {
                    *op
                } else {
                    op.negated()
                };
                let tail = if !pass && (x.is_nan() || y.is_nan()) {
                    " fails: a missing value never compares"
                } else {
                    ""
                };
                format!(
                    "{} {} {}{tail}",
                    self.operand(a),
                    shown.symbol(),
                    self.operand(b)
                )
            }
            TK::EqStr(ne, a, b) => {
                let pass = self.bool(t);
                let op = if *ne { CmpOp::Ne } else { CmpOp::Eq };
                let both = self.str(a).is_some() && self.str(b).is_some();
                let shown = if pass || !both { op } else { op.negated() };
                let tail = if !both {
                    " fails: a missing value never compares"
                } else {
                    ""
                };
                format!(
                    "{} {} {}{tail}",
                    self.operand(a),
                    shown.symbol(),
                    self.operand(b)
                )
            }
            TK::In(a, b) => {
                let pass = self.bool(t);
                let word = if pass { "in" } else { "not in" };
                format!("{} {word} {}", self.operand(a), self.operand(b))
            }
            TK::StartsWith(a, p) => {
                let word = if self.bool(t) {
                    "starts with"
                } else {
                    "does not start with"
                };
                format!("{} {word} '{p}'", self.operand(a))
            }
            TK::Has(i) => {
                let word = if self.bool(t) { "present" } else { "missing" };
                format!("{} {word}", Self::attr_name(*i))
            }
            TK::And(a, b) => format!("{} && {}", self.render(a), self.render(b)),
            TK::Or(a, b) => format!("{} || {}", self.render(a), self.render(b)),
            TK::Not(a) => format!("not ({})", self.render(a)),
            _ => {
                let v = self.bool(t);
                format!("{} → {v}", self.snippet(t))
            }
        }
    }

    /// `name value` for every attribute and parameter the expression reads.
    fn inputs(&mut self, t: &'a T) -> String {
        let mut seen: Vec<&'a T> = Vec::new();
        crate::check::walk(t, &mut |n| {
            if matches!(
                n.kind,
                TK::NumAttr(_) | TK::StrAttr(_) | TK::ListAttr(_) | TK::Param { .. }
            ) && !seen.iter().any(|s| s.kind == n.kind)
            {
                seen.push(n);
            }
        });
        seen.iter()
            .map(|n| self.operand(n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn list_text(l: &[String]) -> String {
    let shown: Vec<String> = l.iter().take(8).map(|s| format!("'{s}'")).collect();
    let more = if l.len() > 8 {
        format!(", … {} more", l.len() - 8)
    } else {
        String::new()
    };
    format!("[{}{more}]", shown.join(", "))
}

/// Evaluates one clause: (result, text); warnings go into `ws`.
fn clause(
    c: &Clause,
    facts: &Facts,
    on: chrono::NaiveDate,
    ws: &mut Vec<String>,
) -> (bool, String) {
    let pass = Interp {
        facts,
        src: &c.src,
        on,
        warnings: Some(ws),
    }
    .bool(&c.t);
    let mut r = Interp {
        facts,
        src: &c.src,
        on,
        warnings: None,
    };
    let text = format!("{} ({})", r.render(&c.t), c.clause);
    (pass, text)
}

fn explain_one(p: &Compiled, facts: &Facts, on: chrono::NaiveDate) -> Explanation {
    let mut ws = Vec::new();
    let mut conditions = Vec::with_capacity(p.conditions.len());
    let mut all = true;
    for c in &p.conditions {
        let (passed, text) = clause(c, facts, on, &mut ws);
        all &= passed;
        conditions.push(ConditionTrace {
            clause: c.clause.clone(),
            expr: c.src.clone(),
            passed,
            text,
        });
    }
    let mut exceptions = Vec::new();
    let mut granted = false;
    let mut denied = false;
    for (list, effect) in [(&p.grants, "grant"), (&p.denies, "deny")] {
        for c in list {
            let (hit, text) = clause(c, facts, on, &mut ws);
            if effect == "grant" {
                granted |= hit;
            } else {
                denied |= hit;
            }
            exceptions.push(ExceptionTrace {
                clause: c.clause.clone(),
                expr: c.src.clone(),
                effect: effect.to_string(),
                hit,
                text,
            });
        }
    }
    let eligible = (all || granted) && !denied;
    let mut amount_fen = 0;
    let benefit = p.benefit.as_ref().map(|b| {
        let mut sink = Vec::new();
        let y = Interp {
            facts,
            src: &b.src,
            on,
            warnings: Some(if eligible { &mut ws } else { &mut sink }),
        }
        .num(&b.t);
        let inputs = Interp {
            facts,
            src: &b.src,
            on,
            warnings: None,
        }
        .inputs(&b.t);
        if eligible {
            amount_fen = yuan_to_fen(y);
            if y.is_nan() {
                ws.push("benefit is missing: amount 0".to_string());
            } else if y < 0.0 {
                ws.push(format!("benefit {y} is negative: amount 0"));
            }
        }
        BenefitTrace {
            expr: b.src.clone(),
            yuan: (!y.is_nan()).then_some(y),
            text: format!("{} = {} 元 ({inputs})", b.src, num_text(y)),
        }
    });
    Explanation {
        code: p.code.clone(),
        title: p.title.clone(),
        eligible,
        amount_fen,
        conditions_passed: all,
        conditions,
        exceptions,
        benefit,
        superseded_by: None,
        warnings: ws,
    }
}

/// 从高从优 among the explanations of one group's members (given sorted by code).
fn resolve_group(ex: &mut [Explanation], members: &[usize]) {
    let mut best: Option<usize> = None;
    for &m in members {
        if ex[m].eligible && best.is_none_or(|b| ex[m].amount_fen > ex[b].amount_fen) {
            best = Some(m);
        }
    }
    let Some(best) = best else { return };
    let winner = ex[best].code.clone();
    for &m in members {
        if m != best && ex[m].eligible {
            ex[m].eligible = false;
            ex[m].amount_fen = 0;
            ex[m].superseded_by = Some(winner.clone());
        }
    }
}

impl RuleSet {
    /// Explains every policy for one enterprise, in evaluation order, groups applied.
    pub fn explain(&self, facts: &Facts) -> Vec<Explanation> {
        let mut ex: Vec<Explanation> = self
            .policies
            .iter()
            .map(|p| explain_one(p, facts, self.on))
            .collect();
        for g in &self.groups {
            resolve_group(&mut ex, g);
        }
        ex
    }

    /// Explains one policy (its group's other members are evaluated to apply 从高从优).
    pub fn explain_policy(&self, code: &str, facts: &Facts) -> Option<Explanation> {
        let idx = self.index_of(code)?;
        let members = self.with_group(idx);
        let mut ex: Vec<Explanation> = members
            .iter()
            .map(|&i| explain_one(&self.policies[i], facts, self.on))
            .collect();
        if let Some(g) = self.policies[idx].group {
            let local: Vec<usize> = self.groups[g]
                .iter()
                .filter_map(|m| members.iter().position(|x| x == m))
                .collect();
            resolve_group(&mut ex, &local);
        }
        let pos = members.iter().position(|&i| i == idx)?;
        Some(ex.swap_remove(pos))
    }
}
