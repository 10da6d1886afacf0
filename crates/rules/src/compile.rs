//! Compiling [`PolicyDef`]s for one evaluation date into a [`RuleSet`], with what-if overrides.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::check::{self, T, Ty};
use crate::def::{Diag, Effect, PolicyDef, line_col};
use crate::expr::parse_expr;

/// What-if changes applied at compile time; the live definitions are untouched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    /// (policy code, parameter name, value): replaces the parameter's value on every date.
    pub params: Vec<(String, String, f64)>,
    /// (policy code, clause name or `"benefit"`, expression): replaces that condition's,
    /// exception's or the benefit's expression.
    pub rules: Vec<(String, String, String)>,
}

impl Overrides {
    pub fn new() -> Overrides {
        Overrides::default()
    }
    pub fn param(mut self, policy: &str, name: &str, value: f64) -> Overrides {
        self.params
            .push((policy.to_string(), name.to_string(), value));
        self
    }
    pub fn rule(mut self, policy: &str, clause: &str, expr: &str) -> Overrides {
        self.rules
            .push((policy.to_string(), clause.to_string(), expr.to_string()));
        self
    }
    pub fn is_empty(&self) -> bool {
        self.params.is_empty() && self.rules.is_empty()
    }
}

/// A compiled clause: its name, source text and typed tree with parameters bound.
#[derive(Debug, Clone)]
pub(crate) struct Clause {
    pub clause: String,
    pub src: String,
    pub t: T,
}

#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub code: String,
    pub title: String,
    pub group: Option<usize>,
    pub conditions: Vec<Clause>,
    pub grants: Vec<Clause>,
    pub denies: Vec<Clause>,
    pub benefit: Option<Clause>,
    /// Parameter values on the evaluation date (None = no value yet).
    pub params: Vec<(String, Option<f64>)>,
}

/// Policies compiled for one evaluation date; evaluate with [`RuleSet::evaluate`] or
/// [`RuleSet::explain`].
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub(crate) on: NaiveDate,
    pub(crate) policies: Vec<Compiled>,
    /// Members of each exclusive group, sorted by code (ties go to the first).
    pub(crate) groups: Vec<Vec<usize>>,
    pub(crate) group_names: Vec<String>,
    index: HashMap<String, usize>,
}

impl RuleSet {
    /// The evaluation date.
    pub fn date(&self) -> NaiveDate {
        self.on
    }
    /// Policy codes in evaluation order (the order of the defs given to [`compile`]).
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.policies.iter().map(|p| p.code.as_str())
    }
    pub fn len(&self) -> usize {
        self.policies.len()
    }
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
    /// Position of a policy in evaluation order.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }
    /// Parameter values in force on the evaluation date (after overrides).
    pub fn params(&self, code: &str) -> Option<&[(String, Option<f64>)]> {
        self.index_of(code)
            .map(|i| self.policies[i].params.as_slice())
    }
    /// The exclusive group of a policy, if it has one.
    pub fn group_of(&self, code: &str) -> Option<&str> {
        let g = self.policies[self.index_of(code)?].group?;
        Some(self.group_names[g].as_str())
    }
    /// The policy and the other members of its exclusive group, in evaluation order.
    pub(crate) fn with_group(&self, idx: usize) -> Vec<usize> {
        match self.policies[idx].group {
            Some(g) => {
                let mut v = self.groups[g].clone();
                v.sort_unstable();
                v
            }
            None => vec![idx],
        }
    }
}

fn expr_diag(code: &str, clause: &str, src: &str, offset: usize, msg: &str) -> Diag {
    let (line, col) = line_col(src, offset);
    Diag {
        line,
        col,
        message: format!("policy {code}, {clause}: {msg} (in `{src}`)"),
    }
}

fn compile_expr(
    code: &str,
    clause: &str,
    src: &str,
    names: &[String],
    want: Ty,
    value_of: &impl Fn(&str) -> f64,
) -> Result<T, Diag> {
    let e = parse_expr(src).map_err(|e| expr_diag(code, clause, src, e.offset, &e.message))?;
    let mut t = check::check(&e, names, want)
        .map_err(|e| expr_diag(code, clause, src, e.span.start, &e.message))?;
    check::bind_params(&mut t, value_of);
    Ok(t)
}

/// Compiles `defs` for the evaluation date `on`: parameters take their value on that date
/// (or the override's), expressions are checked again (they may come from a store or an
/// override). Every def is compiled whatever its status or window: choosing which policies to
/// run is the caller's business. Errors carry line and column within the expression.
pub fn compile(defs: &[PolicyDef], on: NaiveDate, ov: &Overrides) -> Result<RuleSet, Vec<Diag>> {
    let mut diags = Vec::new();
    let mut index = HashMap::new();
    for (i, d) in defs.iter().enumerate() {
        if index.insert(d.code.clone(), i).is_some() {
            diags.push(Diag {
                line: 1,
                col: 1,
                message: format!("policy {} is given twice", d.code),
            });
        }
    }
    for (code, name, value) in &ov.params {
        match index.get(code).map(|&i| &defs[i]) {
            None => diags.push(Diag {
                line: 1,
                col: 1,
                message: format!("override: unknown policy {code}"),
            }),
            Some(d) if d.param(name).is_none() => diags.push(Diag {
                line: 1,
                col: 1,
                message: format!("override: policy {code} has no parameter `{name}`"),
            }),
            Some(_) if !value.is_finite() => diags.push(Diag {
                line: 1,
                col: 1,
                message: format!("override: parameter `{name}` must be a finite number"),
            }),
            Some(_) => {}
        }
    }
    for (code, clause, _) in &ov.rules {
        match index.get(code).map(|&i| &defs[i]) {
            None => diags.push(Diag {
                line: 1,
                col: 1,
                message: format!("override: unknown policy {code}"),
            }),
            Some(d) => {
                let known = clause == "benefit"
                    || d.conditions.iter().any(|c| &c.clause == clause)
                    || d.exceptions.iter().any(|c| &c.clause == clause);
                if !known {
                    diags.push(Diag {
                        line: 1,
                        col: 1,
                        message: format!("override: policy {code} has no clause `{clause}`"),
                    });
                }
            }
        }
    }

    let mut group_ix: HashMap<String, usize> = HashMap::new();
    let mut group_names = Vec::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut policies = Vec::with_capacity(defs.len());
    for (pi, d) in defs.iter().enumerate() {
        let params: Vec<(String, Option<f64>)> = d
            .params
            .iter()
            .map(|p| {
                let ovr = ov
                    .params
                    .iter()
                    .rev()
                    .find(|(c, n, _)| c == &d.code && n == &p.name)
                    .map(|(_, _, v)| *v);
                (p.name.clone(), ovr.or_else(|| p.value_at(on)))
            })
            .collect();
        let names = d.param_names();
        let value_of = |n: &str| {
            params
                .iter()
                .find(|(p, _)| p == n)
                .and_then(|(_, v)| *v)
                .unwrap_or(f64::NAN)
        };
        let src_of = |clause: &str, base: &str| -> String {
            ov.rules
                .iter()
                .rev()
                .find(|(c, k, _)| c == &d.code && k == clause)
                .map_or_else(|| base.to_string(), |(_, _, e)| e.clone())
        };
        let mut mk = |clause: &str, base: &str, want: Ty| -> Option<Clause> {
            let src = src_of(clause, base);
            match compile_expr(&d.code, clause, &src, &names, want, &value_of) {
                Ok(t) => Some(Clause {
                    clause: clause.to_string(),
                    src,
                    t,
                }),
                Err(e) => {
                    diags.push(e);
                    None
                }
            }
        };
        let conditions: Vec<Clause> = d
            .conditions
            .iter()
            .filter_map(|c| mk(&c.clause, &c.when, Ty::Bool))
            .collect();
        let mut grants = Vec::new();
        let mut denies = Vec::new();
        for x in &d.exceptions {
            if let Some(c) = mk(&x.clause, &x.when, Ty::Bool) {
                match x.effect {
                    Effect::Grant => grants.push(c),
                    Effect::Deny => denies.push(c),
                }
            }
        }
        let benefit = match &d.benefit {
            Some(b) => mk("benefit", b, Ty::Num),
            None => {
                if ov
                    .rules
                    .iter()
                    .any(|(c, k, _)| c == &d.code && k == "benefit")
                {
                    mk("benefit", "", Ty::Num)
                } else {
                    None
                }
            }
        };
        let group = d.group.as_ref().map(|g| {
            let gi = *group_ix.entry(g.clone()).or_insert_with(|| {
                group_names.push(g.clone());
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[gi].push(pi);
            gi
        });
        policies.push(Compiled {
            code: d.code.clone(),
            title: d.title.clone(),
            group,
            conditions,
            grants,
            denies,
            benefit,
            params,
        });
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    for g in &mut groups {
        g.sort_by(|a, b| policies[*a].code.cmp(&policies[*b].code));
    }
    Ok(RuleSet {
        on,
        policies,
        groups,
        group_names,
        index,
    })
}
