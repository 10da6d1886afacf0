//! Translation of a parsed Lianshi rule set into an OpenFisca tax-benefit system (Python source).
//!
//! The translation works on the syntax trees of `lianshi_rules` (the same parser the product
//! uses), so the OpenFisca side evaluates exactly the rules that `RuleSet::evaluate` does:
//!
//! * entity `enterprise` (a person-like entity), one variable per input attribute, all with
//!   `definition_period = MONTH`; the evaluation date is the first day of that month, where
//!   OpenFisca reads dated parameters exactly as `compile(defs, on, ..)` does (latest value
//!   dated on or before the date);
//! * numbers are `float` variables whose dtype the runner switches to float64 (OpenFisca's default
//!   is float32, which would round revenues above 2^24 元 and thresholds such as 0.05 differently
//!   from Rust's f64), so both sides compare the same f64 values;
//! * string attributes are `Enum` variables (the OpenFisca idiom; comparisons on indices), one
//!   member per value seen in the population plus `missing`; `a == 'x'` and `a != 'x'` are false
//!   when `a` is missing, as in Lianshi;
//! * list attributes (tags, chains, nodes, ecosystems) have no OpenFisca type: each literal used
//!   in a rule (`'ai' in chains`) becomes a boolean input variable, and `size(list)` a count;
//! * per policy: `base_<p>` (all conditions), `eligible_<p>` (base or a grant exception, and no
//!   deny exception), `raw_<p>` (benefit in fen, rounded half up, 0 when not eligible) and, for
//!   exclusive groups, `paid_<p>` / `won_<p>` (from-highest rule);
//! * parameters: one node per policy, one parameter per name with its dated values.

use crate::rules_expr::{BinOp, Expr, ExprKind, UnOp};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// What the translator needs of one policy.
pub struct Rule {
    pub code: String,
    pub group: Option<String>,
    /// name → (date, value) sorted by date.
    pub params: Vec<(String, Vec<(String, f64)>)>,
    pub conditions: Vec<Expr>,
    /// (expression, is_grant)
    pub exceptions: Vec<(Expr, bool)>,
    pub benefit: Option<Expr>,
}

/// Attribute kinds of the population.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    Num,
    Str,
    List,
    Bool,
}

/// Python identifier of a policy code.
pub fn ident(code: &str) -> String {
    code.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

struct Ctx<'a> {
    /// str attr → vocabulary
    str_vocab: &'a BTreeMap<String, Vec<String>>,
    list_vocab: &'a BTreeMap<String, Vec<String>>,
    /// list literals used: (list attr, value) → variable name
    lits: BTreeSet<(String, String)>,
    counts: BTreeSet<String>,
    /// variables read by the current formula
    reads: BTreeSet<String>,
}

fn lit_var(list: &str, value: &str, vocab: &[String]) -> Option<String> {
    vocab
        .iter()
        .position(|v| v == value)
        .map(|k| format!("{list}__has_{k}"))
}

fn num(n: f64) -> String {
    format!("{n:?}")
}

impl Ctx<'_> {
    fn ty(&self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Num(_) | ExprKind::Param(_) => Ty::Num,
            ExprKind::Str(_) => Ty::Str,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::List(_) => Ty::List,
            ExprKind::Ident(n) => {
                if self.str_vocab.contains_key(n) {
                    Ty::Str
                } else if self.list_vocab.contains_key(n) {
                    Ty::List
                } else {
                    Ty::Num
                }
            }
            ExprKind::Unary(UnOp::Not, _) => Ty::Bool,
            ExprKind::Unary(UnOp::Neg, _) => Ty::Num,
            ExprKind::Binary(op, _, _) => match op {
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => Ty::Num,
                _ => Ty::Bool,
            },
            ExprKind::Cond(_, a, _) => self.ty(a),
            ExprKind::Call(f, _) => match f.as_str() {
                "has" => Ty::Bool,
                _ => Ty::Num,
            },
            ExprKind::Method(..) => Ty::Num,
        }
    }

    fn read(&mut self, var: &str) -> String {
        self.reads.insert(var.to_string());
        format!("v_{var}")
    }

    fn enum_member(&self, attr: &str, value: &str) -> Option<String> {
        let vocab = self.str_vocab.get(attr)?;
        let k = vocab.iter().position(|v| v == value)?;
        Some(format!("E_{attr}.v{k}"))
    }

    fn str_cmp(&mut self, attr: &str, lit: &str, eq: bool) -> String {
        let v = self.read(attr);
        let missing = format!("E_{attr}.missing");
        match (self.enum_member(attr, lit), eq) {
            (Some(m), true) => format!("({v} == {m})"),
            (Some(m), false) => format!("(({v} != {m}) & ({v} != {missing}))"),
            // a value no enterprise has: never equal; unequal whenever present
            (None, true) => format!("({v} != {v})"),
            (None, false) => format!("({v} != {missing})"),
        }
    }

    fn tr(&mut self, e: &Expr) -> anyhow::Result<String> {
        Ok(match &e.kind {
            ExprKind::Num(n) => num(*n),
            ExprKind::Bool(b) => format!("FULL_{}", if *b { "TRUE" } else { "FALSE" }),
            ExprKind::Param(p) => format!("p.{p}"),
            ExprKind::Ident(n) => match self.ty(e) {
                Ty::Num => self.read(n),
                _ => anyhow::bail!("attribute {n} used as a value"),
            },
            ExprKind::Str(_) | ExprKind::List(_) => anyhow::bail!("bare string or list literal"),
            ExprKind::Unary(UnOp::Not, a) => format!("(~{})", self.tr(a)?),
            ExprKind::Unary(UnOp::Neg, a) => format!("(-{})", self.tr(a)?),
            ExprKind::Binary(op, a, b) => {
                let (ta, tb) = (self.ty(a), self.ty(b));
                match op {
                    BinOp::In => {
                        let (ExprKind::Str(lit), ExprKind::Ident(list)) = (&a.kind, &b.kind) else {
                            anyhow::bail!("`in` supported as 'literal' in list_attribute")
                        };
                        let vocab = self.list_vocab.get(list).cloned().unwrap_or_default();
                        match lit_var(list, lit, &vocab) {
                            Some(var) => {
                                self.lits.insert((list.clone(), lit.clone()));
                                self.read(&var)
                            }
                            None => "FULL_FALSE".to_string(),
                        }
                    }
                    BinOp::Eq | BinOp::Ne if ta == Ty::Str || tb == Ty::Str => {
                        let (attr, lit) = match (&a.kind, &b.kind) {
                            (ExprKind::Ident(x), ExprKind::Str(s))
                            | (ExprKind::Str(s), ExprKind::Ident(x)) => (x.clone(), s.clone()),
                            _ => anyhow::bail!("string comparison must be attribute vs literal"),
                        };
                        self.str_cmp(&attr, &lit, *op == BinOp::Eq)
                    }
                    BinOp::And => format!("({} & {})", self.tr(a)?, self.tr(b)?),
                    BinOp::Or => format!("({} | {})", self.tr(a)?, self.tr(b)?),
                    _ => format!("({} {} {})", self.tr(a)?, op.symbol(), self.tr(b)?),
                }
            }
            ExprKind::Cond(c, a, b) => {
                format!(
                    "np.where({}, {}, {})",
                    self.tr(c)?,
                    self.tr(a)?,
                    self.tr(b)?
                )
            }
            ExprKind::Call(f, args) => match (f.as_str(), args.as_slice()) {
                ("min" | "max", [first, rest @ ..]) if !rest.is_empty() => {
                    let func = if f == "min" {
                        "np.minimum"
                    } else {
                        "np.maximum"
                    };
                    let mut s = self.tr(first)?;
                    for r in rest {
                        s = format!("{func}({s}, {})", self.tr(r)?);
                    }
                    s
                }
                ("abs", [x]) => format!("np.abs({})", self.tr(x)?),
                ("size", [x]) => {
                    let ExprKind::Ident(list) = &x.kind else {
                        anyhow::bail!("size() of a list attribute only")
                    };
                    self.counts.insert(list.clone());
                    self.read(&format!("{list}__count"))
                }
                ("has", [x]) => {
                    let ExprKind::Ident(attr) = &x.kind else {
                        anyhow::bail!("has() of an attribute only")
                    };
                    if self.str_vocab.contains_key(attr) {
                        let v = self.read(attr);
                        format!("({v} != E_{attr}.missing)")
                    } else {
                        // every numeric and list value is present in the bench population
                        "FULL_TRUE".to_string()
                    }
                }
                _ => anyhow::bail!("function {f} with {} arguments", args.len()),
            },
            ExprKind::Method(..) => anyhow::bail!("methods are not translated"),
        })
    }
}

fn formula(
    out: &mut String,
    var: &str,
    ty: &str,
    code: Option<&str>,
    reads: &BTreeSet<String>,
    body: &str,
) {
    let _ = writeln!(out, "\nclass {var}(Variable):");
    let _ = writeln!(out, "    value_type = {ty}");
    let _ = writeln!(out, "    entity = Enterprise");
    let _ = writeln!(out, "    definition_period = MONTH\n");
    let _ = writeln!(out, "    def formula(enterprise, period, parameters):");
    if let Some(c) = code {
        let _ = writeln!(out, "        p = parameters(period).{}", ident(c));
    }
    for r in reads {
        let _ = writeln!(out, "        v_{r} = enterprise('{r}', period)");
    }
    let _ = writeln!(
        out,
        "        FULL_TRUE = np.ones(enterprise.count, dtype=bool)"
    );
    let _ = writeln!(
        out,
        "        FULL_FALSE = np.zeros(enterprise.count, dtype=bool)"
    );
    let _ = writeln!(out, "        return {body}");
}

/// Python module text of the tax-benefit system, and the list of output variables per policy
/// (code → (eligible variable, amount variable)).
pub fn translate(
    rules: &[Rule],
    num_attrs: &[&str],
    str_vocab: &BTreeMap<String, Vec<String>>,
    list_vocab: &BTreeMap<String, Vec<String>>,
) -> anyhow::Result<String> {
    let mut ctx = Ctx {
        str_vocab,
        list_vocab,
        lits: BTreeSet::new(),
        counts: BTreeSet::new(),
        reads: BTreeSet::new(),
    };
    let mut body = String::new();
    let mut outputs = Vec::new();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rules.iter().enumerate() {
        if let Some(g) = &r.group {
            groups.entry(g.clone()).or_default().push(i);
        }
    }
    // members sorted by code, as `compile` does (ties go to the first)
    for members in groups.values_mut() {
        members.sort_by(|a, b| rules[*a].code.cmp(&rules[*b].code));
    }
    for r in rules {
        let id = ident(&r.code);
        let pcode = (!r.params.is_empty()).then_some(r.code.as_str());
        let ctx_err = |e: anyhow::Error| anyhow::anyhow!("{}: {e}", r.code);
        // base case
        ctx.reads.clear();
        let mut parts = Vec::new();
        for c in &r.conditions {
            parts.push(ctx.tr(c).map_err(ctx_err)?);
        }
        let base = if parts.is_empty() {
            "FULL_TRUE".to_string()
        } else {
            parts.join(" & ")
        };
        let reads = std::mem::take(&mut ctx.reads);
        formula(
            &mut body,
            &format!("base_{id}"),
            "bool",
            pcode,
            &reads,
            &base,
        );
        // exceptions
        let mut grant = Vec::new();
        let mut deny = Vec::new();
        for (x, is_grant) in &r.exceptions {
            let t = ctx.tr(x).map_err(ctx_err)?;
            if *is_grant {
                grant.push(t)
            } else {
                deny.push(t)
            }
        }
        ctx.reads.insert(format!("base_{id}"));
        let mut elig = format!("v_base_{id}");
        if !grant.is_empty() {
            elig = format!("({elig} | {})", grant.join(" | "));
        }
        if !deny.is_empty() {
            elig = format!("({elig} & ~({}))", deny.join(" | "));
        }
        let reads = std::mem::take(&mut ctx.reads);
        formula(
            &mut body,
            &format!("eligible_{id}"),
            "bool",
            pcode,
            &reads,
            &elig,
        );
        // amount
        let amount_var = if let Some(b) = &r.benefit {
            let t = ctx.tr(b).map_err(ctx_err)?;
            ctx.reads.insert(format!("eligible_{id}"));
            let reads = std::mem::take(&mut ctx.reads);
            formula(
                &mut body,
                &format!("raw_{id}"),
                "float",
                pcode,
                &reads,
                &format!("np.where(v_eligible_{id}, fen({t}), 0.0)"),
            );
            Some(format!("raw_{id}"))
        } else {
            None
        };
        outputs.push((r.code.clone(), id, amount_var));
    }
    // exclusive groups: the eligible member with the highest amount wins; ties go to the member
    // first by code; the others are not eligible and get nothing.
    let mut finals: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for (code, id, amount) in &outputs {
        finals.insert(code.clone(), (format!("eligible_{id}"), amount.clone()));
    }
    for members in groups.values() {
        for (pos, &i) in members.iter().enumerate() {
            let id = ident(&rules[i].code);
            let mut reads = BTreeSet::new();
            let amt = |k: usize| {
                let mid = ident(&rules[k].code);
                if rules[k].benefit.is_some() {
                    format!("v_raw_{mid}")
                } else {
                    "0.0".to_string()
                }
            };
            let mut cond = format!("v_eligible_{id}");
            reads.insert(format!("eligible_{id}"));
            if rules[i].benefit.is_some() {
                reads.insert(format!("raw_{id}"));
            }
            for (qpos, &k) in members.iter().enumerate() {
                if k == i {
                    continue;
                }
                let kid = ident(&rules[k].code);
                reads.insert(format!("eligible_{kid}"));
                if rules[k].benefit.is_some() {
                    reads.insert(format!("raw_{kid}"));
                }
                // beaten by k if k is eligible and has more, or as much and comes first
                let cmp = if qpos < pos { ">=" } else { ">" };
                cond = format!(
                    "{cond} & ~(v_eligible_{kid} & ({} {cmp} {}))",
                    amt(k),
                    amt(i)
                );
            }
            formula(&mut body, &format!("won_{id}"), "bool", None, &reads, &cond);
            let mut r2 = BTreeSet::new();
            r2.insert(format!("won_{id}"));
            let amount = if rules[i].benefit.is_some() {
                r2.insert(format!("raw_{id}"));
                formula(
                    &mut body,
                    &format!("paid_{id}"),
                    "float",
                    None,
                    &r2,
                    &format!("np.where(v_won_{id}, v_raw_{id}, 0.0)"),
                );
                Some(format!("paid_{id}"))
            } else {
                None
            };
            finals.insert(rules[i].code.clone(), (format!("won_{id}"), amount));
        }
    }

    let mut out = String::new();
    out.push_str(
        "# Generated by `cargo run --release -p lianshi-bench --bin policy` from the demo rule set\n\
         # (crates/app/demo/policies/*.toml) through lianshi_rules' parser. Do not edit.\n\
         import numpy as np\n\
         from openfisca_core.entities import build_entity\n\
         from openfisca_core.indexed_enums import Enum\n\
         from openfisca_core.parameters import ParameterNode\n\
         from openfisca_core.periods import DateUnit\n\
         from openfisca_core.taxbenefitsystems import TaxBenefitSystem\n\
         from openfisca_core.variables import Variable\n\n\
         MONTH = DateUnit.MONTH\n\
         Enterprise = build_entity(key='enterprise', plural='enterprises', label='Enterprise', is_person=True)\n\n\n\
         def fen(yuan):\n\
         \x20   \"\"\"元 → fen as lianshi_rules does: floor(yuan * 100.0 + 0.5) in f64; 0 when missing or negative.\"\"\"\n\
         \x20   x = np.floor(yuan * 100.0 + 0.5)\n\
         \x20   return np.where(np.isnan(x) | (x < 0.0), 0.0, x)\n\n\n\
         def ident(code):\n\
         \x20   return ''.join(c if c.isascii() and c.isalnum() else '_' for c in code)\n",
    );
    // input variables
    for a in num_attrs {
        let _ = writeln!(
            out,
            "\nclass {a}(Variable):\n    value_type = float\n    entity = Enterprise\n    definition_period = MONTH"
        );
    }
    for (attr, vocab) in str_vocab {
        let _ = writeln!(out, "\nclass E_{attr}(Enum):");
        for (k, v) in vocab.iter().enumerate() {
            let _ = writeln!(out, "    v{k} = {v:?}");
        }
        let _ = writeln!(out, "    missing = '(missing)'");
        let _ = writeln!(
            out,
            "\nclass {attr}(Variable):\n    value_type = Enum\n    possible_values = E_{attr}\n    default_value = E_{attr}.missing\n    entity = Enterprise\n    definition_period = MONTH"
        );
    }
    for (list, lit) in &ctx.lits {
        let vocab = list_vocab.get(list).cloned().unwrap_or_default();
        if let Some(var) = lit_var(list, lit, &vocab) {
            let _ = writeln!(
                out,
                "\nclass {var}(Variable):  # {lit:?} in {list}\n    value_type = bool\n    entity = Enterprise\n    definition_period = MONTH"
            );
        }
    }
    for list in &ctx.counts {
        let _ = writeln!(
            out,
            "\nclass {list}__count(Variable):  # size({list})\n    value_type = float\n    entity = Enterprise\n    definition_period = MONTH"
        );
    }
    out.push_str(&body);
    // parameters
    out.push_str("\n\nPARAMETERS = {\n");
    for r in rules.iter().filter(|r| !r.params.is_empty()) {
        let _ = writeln!(out, "    {:?}: {{", ident(&r.code));
        for (name, values) in &r.params {
            let vals: Vec<String> = values
                .iter()
                .map(|(d, v)| format!("{d:?}: {{'value': {}}}", num(*v)))
                .collect();
            let _ = writeln!(
                out,
                "        {name:?}: {{'values': {{{}}}}},",
                vals.join(", ")
            );
        }
        out.push_str("    },\n");
    }
    out.push_str("}\n\n");
    // list literal inputs: (variable, list column, bit)
    out.push_str("LIST_INPUTS = [\n");
    for (list, lit) in &ctx.lits {
        let vocab = list_vocab.get(list).cloned().unwrap_or_default();
        if let Some(k) = vocab.iter().position(|v| v == lit) {
            let _ = writeln!(out, "    ('{list}__has_{k}', '{list}', {k}),");
        }
    }
    out.push_str("]\nCOUNT_INPUTS = [");
    for list in &ctx.counts {
        let _ = write!(out, "'{list}', ");
    }
    out.push_str("]\n\n# code → (eligible variable, amount variable or None), after exclusive groups\nOUTPUTS = {\n");
    for r in rules {
        if let Some((e, a)) = finals.get(&r.code) {
            let a = a.as_ref().map_or("None".to_string(), |a| format!("'{a}'"));
            let _ = writeln!(out, "    {:?}: ('{e}', {a}),", r.code);
        }
    }
    out.push_str("}\n\n# exclusive groups: group → member codes\nGROUPS = {\n");
    for (g, members) in &groups {
        let m: Vec<String> = members
            .iter()
            .map(|&i| format!("{:?}", rules[i].code))
            .collect();
        let _ = writeln!(out, "    {g:?}: [{}],", m.join(", "));
    }
    out.push_str(
        "}\n\n\nclass DemoSystem(TaxBenefitSystem):\n\
         \x20   def __init__(self):\n\
         \x20       super().__init__([Enterprise])\n\
         \x20       for v in list(globals().values()):\n\
         \x20           if isinstance(v, type) and issubclass(v, Variable) and v is not Variable:\n\
         \x20               self.add_variable(v)\n\
         \x20       self.parameters = ParameterNode('', data=PARAMETERS)\n",
    );
    Ok(out)
}
