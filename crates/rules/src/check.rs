//! The attribute schema and the type checker: untyped [`Expr`] → typed [`T`].
//!
//! After checking, every attribute is an index into [`Schema::enterprise`], every operator has a
//! fixed operand type, and lists occur only as the right side of `in` or the argument of
//! `size`/`has`. The batch evaluator and the explainer both work on this typed tree.

use crate::expr::{BinOp, Expr, ExprKind, Span, UnOp};

/// The type of an enterprise attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    Number,
    String,
    List,
}

impl AttrType {
    pub fn name(self) -> &'static str {
        match self {
            AttrType::Number => "number",
            AttrType::String => "string",
            AttrType::List => "list",
        }
    }
}

/// One attribute that rules may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr {
    pub name: &'static str,
    pub ty: AttrType,
    pub doc: &'static str,
}

const fn attr(name: &'static str, ty: AttrType, doc: &'static str) -> Attr {
    Attr { name, ty, doc }
}

static ENTERPRISE: [Attr; 18] = [
    attr(
        "industry",
        AttrType::String,
        "GB/T 4754 class code, e.g. I6513",
    ),
    attr(
        "industry_division",
        AttrType::String,
        "GB/T 4754 division: two digits, e.g. 65",
    ),
    attr(
        "ecosystems",
        AttrType::List,
        "ecosystem codes the enterprise belongs to",
    ),
    attr("chains", AttrType::List, "industrial chain codes"),
    attr("nodes", AttrType::List, "chain node codes"),
    attr(
        "tags",
        AttrType::List,
        "tags, e.g. 专精特新, 高新技术企业, 失信",
    ),
    attr("street", AttrType::String, "street code"),
    attr("park", AttrType::String, "park code"),
    attr("headcount", AttrType::Number, "employees"),
    attr("tech_staff", AttrType::Number, "R&D and technical staff"),
    attr(
        "tech_ratio",
        AttrType::Number,
        "tech_staff / headcount, 0..1",
    ),
    attr("revenue_yuan", AttrType::Number, "last year's revenue, 元"),
    attr(
        "rd_spend_yuan",
        AttrType::Number,
        "last year's R&D spending, 元",
    ),
    attr(
        "rd_ratio",
        AttrType::Number,
        "rd_spend_yuan / revenue_yuan, 0..1",
    ),
    attr("tax_yuan", AttrType::Number, "last year's taxes paid, 元"),
    attr(
        "age_years",
        AttrType::Number,
        "years since establishment at the evaluation date",
    ),
    attr("size", AttrType::String, "micro | small | medium | large"),
    attr("ownership", AttrType::String, "ownership kind code"),
];

/// The attributes rules can read, with their types.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    attrs: &'static [Attr],
}

impl Schema {
    /// The enterprise schema every rule is checked against.
    pub fn enterprise() -> Schema {
        Schema { attrs: &ENTERPRISE }
    }
    pub fn attrs(&self) -> &'static [Attr] {
        self.attrs
    }
    /// Index of an attribute by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.attrs.iter().position(|a| a.name == name)
    }
    pub fn attr(&self, idx: usize) -> &'static Attr {
        &self.attrs[idx]
    }
}

/// Static type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Num,
    Bool,
    Str,
    List,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Num => "number",
            Ty::Bool => "bool",
            Ty::Str => "string",
            Ty::List => "list",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
    /// The operator that holds when this one fails on two present numbers.
    pub fn negated(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
        }
    }
}

/// A typed expression node.
#[derive(Debug, Clone, PartialEq)]
pub struct T {
    pub kind: TK,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TK {
    Num(f64),
    Bool(bool),
    Str(String),
    List(Vec<String>),
    NumAttr(usize),
    StrAttr(usize),
    ListAttr(usize),
    /// A parameter; `value` is filled in by `compile` for the evaluation date (NaN = no value).
    Param {
        name: String,
        value: f64,
    },
    Neg(Box<T>),
    Not(Box<T>),
    Arith(ArOp, Box<T>, Box<T>),
    CmpNum(CmpOp, Box<T>, Box<T>),
    /// `==` (false) or `!=` (true) on strings.
    EqStr(bool, Box<T>, Box<T>),
    /// `==` (false) or `!=` (true) on bools.
    EqBool(bool, Box<T>, Box<T>),
    And(Box<T>, Box<T>),
    Or(Box<T>, Box<T>),
    Cond(Box<T>, Box<T>, Box<T>),
    In(Box<T>, Box<T>),
    Min(Vec<T>),
    Max(Vec<T>),
    Abs(Box<T>),
    Size(Box<T>),
    Has(usize),
    StartsWith(Box<T>, String),
}

/// A type error at a span of the expression.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckError {
    pub span: Span,
    pub message: String,
}

fn err<X>(span: Span, message: impl Into<String>) -> Result<X, CheckError> {
    Err(CheckError {
        span,
        message: message.into(),
    })
}

/// Levenshtein distance on chars, for "did you mean" hints.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let (best, d) = candidates
        .into_iter()
        .map(|c| (c, distance(name, c)))
        .min_by_key(|(_, d)| *d)?;
    let limit = (name.chars().count() / 3).max(2);
    (d <= limit).then_some(best)
}

fn hint(s: Option<&str>, prefix: &str) -> String {
    s.map(|s| format!(" (did you mean `{prefix}{s}`?)"))
        .unwrap_or_default()
}

struct Checker<'a> {
    schema: Schema,
    params: &'a [String],
}

impl Checker<'_> {
    fn want(&self, e: &Expr, ty: Ty) -> Result<T, CheckError> {
        let t = self.check(e)?;
        if t.ty != ty {
            return err(
                e.span,
                format!("expected {}, found {}", ty.name(), t.ty.name()),
            );
        }
        Ok(t)
    }

    fn check(&self, e: &Expr) -> Result<T, CheckError> {
        let span = e.span;
        let mk = |kind: TK, ty: Ty| Ok(T { kind, ty, span });
        match &e.kind {
            ExprKind::Num(n) => mk(TK::Num(*n), Ty::Num),
            ExprKind::Bool(b) => mk(TK::Bool(*b), Ty::Bool),
            ExprKind::Str(s) => mk(TK::Str(s.clone()), Ty::Str),
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    match &it.kind {
                        ExprKind::Str(s) => out.push(s.clone()),
                        _ => return err(it.span, "list items must be string literals"),
                    }
                }
                mk(TK::List(out), Ty::List)
            }
            ExprKind::Ident(name) => {
                let Some(idx) = self.schema.index(name) else {
                    let near = closest(name, self.schema.attrs().iter().map(|a| a.name));
                    return err(
                        span,
                        format!("unknown attribute `{name}`{}", hint(near, "")),
                    );
                };
                match self.schema.attr(idx).ty {
                    AttrType::Number => mk(TK::NumAttr(idx), Ty::Num),
                    AttrType::String => mk(TK::StrAttr(idx), Ty::Str),
                    AttrType::List => mk(TK::ListAttr(idx), Ty::List),
                }
            }
            ExprKind::Param(name) => {
                if !self.params.iter().any(|p| p == name) {
                    let near = closest(name, self.params.iter().map(String::as_str));
                    let msg = if self.params.is_empty() {
                        format!(
                            "unknown parameter `params.{name}` (this policy has no [policy.params])"
                        )
                    } else {
                        format!("unknown parameter `params.{name}`{}", hint(near, "params."))
                    };
                    return err(span, msg);
                }
                mk(
                    TK::Param {
                        name: name.clone(),
                        value: f64::NAN,
                    },
                    Ty::Num,
                )
            }
            ExprKind::Unary(UnOp::Not, a) => {
                mk(TK::Not(Box::new(self.want(a, Ty::Bool)?)), Ty::Bool)
            }
            ExprKind::Unary(UnOp::Neg, a) => mk(TK::Neg(Box::new(self.want(a, Ty::Num)?)), Ty::Num),
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, span),
            ExprKind::Cond(c, a, b) => {
                let c = self.want(c, Ty::Bool)?;
                let ta = self.check(a)?;
                if ta.ty == Ty::List {
                    return err(a.span, "a conditional cannot produce a list");
                }
                let tb = self.want(b, ta.ty)?;
                let ty = ta.ty;
                mk(TK::Cond(Box::new(c), Box::new(ta), Box::new(tb)), ty)
            }
            ExprKind::Call(f, args) => self.call(f, args, span),
            ExprKind::Method(recv, f, args) => {
                if f != "startsWith" {
                    return err(
                        span,
                        format!("unknown method `{f}` (only `startsWith` is supported)"),
                    );
                }
                let r = self.want(recv, Ty::Str)?;
                let [arg] = args.as_slice() else {
                    return err(span, "startsWith takes one argument");
                };
                let ExprKind::Str(prefix) = &arg.kind else {
                    return err(arg.span, "startsWith takes a string literal");
                };
                mk(TK::StartsWith(Box::new(r), prefix.clone()), Ty::Bool)
            }
        }
    }

    fn binary(&self, op: BinOp, a: &Expr, b: &Expr, span: Span) -> Result<T, CheckError> {
        let mk = |kind: TK, ty: Ty| Ok(T { kind, ty, span });
        let bx = Box::new;
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let ar = match op {
                    BinOp::Add => ArOp::Add,
                    BinOp::Sub => ArOp::Sub,
                    BinOp::Mul => ArOp::Mul,
                    _ => ArOp::Div,
                };
                mk(
                    TK::Arith(ar, bx(self.want(a, Ty::Num)?), bx(self.want(b, Ty::Num)?)),
                    Ty::Num,
                )
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let c = match op {
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                mk(
                    TK::CmpNum(c, bx(self.want(a, Ty::Num)?), bx(self.want(b, Ty::Num)?)),
                    Ty::Bool,
                )
            }
            BinOp::Eq | BinOp::Ne => {
                let ne = op == BinOp::Ne;
                let ta = self.check(a)?;
                let tb = self.check(b)?;
                if ta.ty != tb.ty {
                    return err(
                        b.span,
                        format!("expected {}, found {}", ta.ty.name(), tb.ty.name()),
                    );
                }
                match ta.ty {
                    Ty::Num => mk(
                        TK::CmpNum(if ne { CmpOp::Ne } else { CmpOp::Eq }, bx(ta), bx(tb)),
                        Ty::Bool,
                    ),
                    Ty::Str => mk(TK::EqStr(ne, bx(ta), bx(tb)), Ty::Bool),
                    Ty::Bool => mk(TK::EqBool(ne, bx(ta), bx(tb)), Ty::Bool),
                    Ty::List => err(span, "lists cannot be compared; use `in` or size()"),
                }
            }
            BinOp::In => {
                let ta = self.want(a, Ty::Str)?;
                let tb = self.want(b, Ty::List)?;
                mk(TK::In(bx(ta), bx(tb)), Ty::Bool)
            }
            BinOp::And => mk(
                TK::And(bx(self.want(a, Ty::Bool)?), bx(self.want(b, Ty::Bool)?)),
                Ty::Bool,
            ),
            BinOp::Or => mk(
                TK::Or(bx(self.want(a, Ty::Bool)?), bx(self.want(b, Ty::Bool)?)),
                Ty::Bool,
            ),
        }
    }

    fn call(&self, f: &str, args: &[Expr], span: Span) -> Result<T, CheckError> {
        let mk = |kind: TK, ty: Ty| Ok(T { kind, ty, span });
        match f {
            "min" | "max" => {
                if args.is_empty() {
                    return err(span, format!("{f}() takes at least one argument"));
                }
                let ts = args
                    .iter()
                    .map(|a| self.want(a, Ty::Num))
                    .collect::<Result<Vec<_>, _>>()?;
                mk(if f == "min" { TK::Min(ts) } else { TK::Max(ts) }, Ty::Num)
            }
            "abs" => {
                let [a] = args else {
                    return err(span, "abs() takes one argument");
                };
                mk(TK::Abs(Box::new(self.want(a, Ty::Num)?)), Ty::Num)
            }
            "size" => {
                let [a] = args else {
                    return err(span, "size() takes one argument");
                };
                mk(TK::Size(Box::new(self.want(a, Ty::List)?)), Ty::Num)
            }
            "has" => {
                let [a] = args else {
                    return err(span, "has() takes one argument");
                };
                let t = self.check(a)?;
                match t.kind {
                    TK::NumAttr(i) | TK::StrAttr(i) | TK::ListAttr(i) => mk(TK::Has(i), Ty::Bool),
                    _ => err(a.span, "has() takes an attribute name"),
                }
            }
            _ => {
                let near = closest(f, ["min", "max", "abs", "size", "has"]);
                err(span, format!("unknown function `{f}`{}", hint(near, "")))
            }
        }
    }
}

/// Type-checks `e` against the enterprise schema and the given parameter names, requiring `want`.
pub fn check(e: &Expr, params: &[String], want: Ty) -> Result<T, CheckError> {
    let c = Checker {
        schema: Schema::enterprise(),
        params,
    };
    c.want(e, want)
}

/// Calls `f` on every node of a typed tree, parents first.
pub fn walk<'a>(t: &'a T, f: &mut impl FnMut(&'a T)) {
    f(t);
    match &t.kind {
        TK::Num(_)
        | TK::Bool(_)
        | TK::Str(_)
        | TK::List(_)
        | TK::NumAttr(_)
        | TK::StrAttr(_)
        | TK::ListAttr(_)
        | TK::Param { .. }
        | TK::Has(_) => {}
        TK::Neg(a) | TK::Not(a) | TK::Abs(a) | TK::Size(a) | TK::StartsWith(a, _) => walk(a, f),
        TK::Arith(_, a, b)
        | TK::CmpNum(_, a, b)
        | TK::EqStr(_, a, b)
        | TK::EqBool(_, a, b)
        | TK::And(a, b)
        | TK::Or(a, b)
        | TK::In(a, b) => {
            walk(a, f);
            walk(b, f);
        }
        TK::Cond(c, a, b) => {
            walk(c, f);
            walk(a, f);
            walk(b, f);
        }
        TK::Min(v) | TK::Max(v) => v.iter().for_each(|x| walk(x, f)),
    }
}

/// Sets every parameter's value through `value_of`.
pub fn bind_params(t: &mut T, value_of: &impl Fn(&str) -> f64) {
    match &mut t.kind {
        TK::Param { name, value } => *value = value_of(name),
        TK::Num(_)
        | TK::Bool(_)
        | TK::Str(_)
        | TK::List(_)
        | TK::NumAttr(_)
        | TK::StrAttr(_)
        | TK::ListAttr(_)
        | TK::Has(_) => {}
        TK::Neg(a) | TK::Not(a) | TK::Abs(a) | TK::Size(a) | TK::StartsWith(a, _) => {
            bind_params(a, value_of)
        }
        TK::Arith(_, a, b)
        | TK::CmpNum(_, a, b)
        | TK::EqStr(_, a, b)
        | TK::EqBool(_, a, b)
        | TK::And(a, b)
        | TK::Or(a, b)
        | TK::In(a, b) => {
            bind_params(a, value_of);
            bind_params(b, value_of);
        }
        TK::Cond(c, a, b) => {
            bind_params(c, value_of);
            bind_params(a, value_of);
            bind_params(b, value_of);
        }
        TK::Min(v) | TK::Max(v) => v.iter_mut().for_each(|x| bind_params(x, value_of)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse_expr;

    fn msg(src: &str, want: Ty) -> String {
        let e = parse_expr(src).unwrap();
        match check(&e, &["rd_min".to_string(), "cap_yuan".to_string()], want) {
            Ok(_) => "ok".into(),
            Err(e) => format!("{}..{}: {}", e.span.start, e.span.end, e.message),
        }
    }

    #[test]
    fn unknown_attributes_suggest_the_closest_name() {
        assert_eq!(
            msg("rd_ratoi >= 0.03", Ty::Bool),
            "0..8: unknown attribute `rd_ratoi` (did you mean `rd_ratio`?)"
        );
        assert_eq!(
            msg("zzzzzz > 1", Ty::Bool),
            "0..6: unknown attribute `zzzzzz`"
        );
    }

    #[test]
    fn unknown_params_suggest_the_closest_param() {
        assert_eq!(
            msg("rd_ratio >= params.rd_mni", Ty::Bool),
            "12..25: unknown parameter `params.rd_mni` (did you mean `params.rd_min`?)"
        );
    }

    #[test]
    fn type_errors_name_the_expected_and_found_types() {
        assert_eq!(
            msg("industry >= 3", Ty::Bool),
            "0..8: expected number, found string"
        );
        assert_eq!(
            msg("headcount == 'x'", Ty::Bool),
            "13..16: expected number, found string"
        );
        assert_eq!(
            msg("headcount + 1", Ty::Bool),
            "0..13: expected bool, found number"
        );
        assert_eq!(
            msg("tags in ['a']", Ty::Bool),
            "0..4: expected string, found list"
        );
        assert_eq!(
            msg("'ai' in industry", Ty::Bool),
            "8..16: expected list, found string"
        );
        assert_eq!(
            msg("min(headcount, size)", Ty::Num),
            "15..19: expected number, found string"
        );
        assert_eq!(msg("foo(1)", Ty::Num), "0..6: unknown function `foo`");
        assert_eq!(
            msg("mx(1)", Ty::Num),
            "0..5: unknown function `mx` (did you mean `max`?)"
        );
        assert_eq!(
            msg("has(1)", Ty::Bool),
            "4..5: has() takes an attribute name"
        );
        assert_eq!(
            msg("industry.startsWith('I65') && has(rd_ratio)", Ty::Bool),
            "ok"
        );
    }

    #[test]
    fn closest_refuses_far_candidates() {
        assert_eq!(closest("abc", ["xyz"]), None);
        assert_eq!(
            closest("headcont", ["headcount", "revenue_yuan"]),
            Some("headcount")
        );
    }
}
