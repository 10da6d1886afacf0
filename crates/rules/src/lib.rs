//! # lianshi-rules: policies as code
//!
//! Pure (no IO, no async). A rule file is TOML with one or more `[[policy]]` entries
//! ([`parse_file`], [`to_toml`]); conditions, exceptions and the benefit are expressions in a
//! small, documented subset of CEL; parameters have dated values; [`compile`] fixes an
//! evaluation date (and what-if [`Overrides`]) and gives a [`RuleSet`], which evaluates a whole
//! [`Population`] column-wise ([`RuleSet::evaluate`]) or explains one enterprise
//! ([`RuleSet::explain`]). The user documentation with examples is `docs/RULES.md`.
//!
//! ## Grammar (CEL subset)
//!
//! ```text
//! expr    := or ( "?" expr ":" expr )?              conditional, right-associative
//! or      := and ( "||" and )*
//! and     := rel ( "&&" rel )*
//! rel     := add ( ("<"|"<="|">"|">="|"=="|"!="|"in") add )?   relations do not chain
//! add     := mul ( ("+"|"-") mul )*
//! mul     := unary ( ("*"|"/") unary )*
//! unary   := ("!"|"-") unary | postfix
//! postfix := primary ( "." "startsWith" "(" STRING ")" )*
//! primary := NUMBER | STRING | "true" | "false" | "[" (STRING ("," STRING)*)? ","? "]"
//!          | ATTRIBUTE | "params" "." NAME | FUNC "(" args ")" | "(" expr ")"
//! NUMBER  := 12 | 1_000_000 | 0.05 | 2.5e6        STRING := 'text' | "text" (escapes \\ \' \" \n \t)
//! FUNC    := min | max | abs | size | has
//! ```
//!
//! ## Types and semantics
//!
//! * Types: number (IEEE f64), bool, string, list of strings. No implicit conversions;
//!   `==`/`!=` need both sides of one type; `< <= > >=` and arithmetic take numbers; `in` takes
//!   a string on the left and a list on the right (a list attribute or a list literal);
//!   `size(list)` is a number; `has(attribute)` is true when the value is present (for lists:
//!   non-empty); `s.startsWith('I65')` takes a string literal.
//! * `min(a, b, …)`, `max(a, b, …)` take one or more numbers; `abs(x)`.
//! * **Missing values.** Numbers and strings can be missing (lists are empty instead). Any
//!   arithmetic or function with a missing operand is missing. Division by zero, and any
//!   result that is not a finite number, is missing. A comparison (`< <= > >= == !=`, `in`,
//!   `startsWith`) with a missing operand is **false** — also `!=`. So booleans are never
//!   missing, and `!(x >= 3)` is true when `x` is missing: write `has(x) && x < 3` when that
//!   matters. A missing benefit pays 0. The explainer lists every missing value read and
//!   every division by zero as a warning; nothing panics.
//! * `&&`, `||` and `?:` evaluate lazily in explanations; the result is the same either way
//!   because booleans are never missing.
//! * **Parameters.** `params.NAME` is the value in force on the evaluation date: the last
//!   dated value on or before it; before the first date the parameter is missing.
//! * **Eligibility** = (all conditions pass, or any `grant` exception holds) and no `deny`
//!   exception holds. No conditions = everyone passes.
//! * **Amount** (fen, i64) = `floor(yuan * 100.0 + 0.5)` computed in f64 (half-up to the fen
//!   of the f64 value), 0 when not eligible, missing or negative.
//! * **Exclusive groups** (不重复享受, 从高从优): within a `group`, an enterprise keeps only the
//!   eligible policy with the highest amount; ties go to the lowest code (byte order). The
//!   others are not eligible, pay 0, and are marked superseded by the winner.
//!
//! Errors — syntax, unknown attribute (with the closest name), unknown parameter, type error
//! ("expected number, found string") — are [`Diag`]s with line and column in the file.

mod batch;
mod check;
mod compile;
mod def;
mod explain;
mod expr;
mod facts;

pub use batch::{CHUNK, Outcome, PolicyDiff, PolicyOutcome, WhatIf, diff};
pub use check::{Attr, AttrType, Schema};
pub use compile::{Overrides, RuleSet, compile};
pub use def::{
    Condition, Diag, Effect, Exception, Kind, ParamDef, PolicyDef, Status, Track, parse_file,
    to_toml, valid_code,
};
pub use explain::{BenefitTrace, ConditionTrace, ExceptionTrace, Explanation};
pub use facts::{Bitmap, Facts, Population, PopulationBuilder, Value};

use check::{ArOp, CmpOp};

// Scalar semantics shared by the batch evaluator and the explainer, so the two paths can only
// differ in how they walk the tree, which is what the differential test checks.

/// Arithmetic where any non-finite result (division by zero, overflow) is missing (NaN).
#[inline(always)]
pub(crate) fn arith(op: ArOp, x: f64, y: f64) -> f64 {
    let z = match op {
        ArOp::Add => x + y,
        ArOp::Sub => x - y,
        ArOp::Mul => x * y,
        ArOp::Div => x / y,
    };
    if z.is_finite() { z } else { f64::NAN }
}

/// Number comparison; false when either side is missing (also for `!=`).
#[inline(always)]
pub(crate) fn cmp_num(op: CmpOp, x: f64, y: f64) -> bool {
    match op {
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y && !x.is_nan() && !y.is_nan(),
    }
}

/// `min` where a missing operand makes the result missing.
#[inline(always)]
pub(crate) fn nmin(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.min(y)
    }
}

#[inline(always)]
pub(crate) fn nmax(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.max(y)
    }
}

/// 元 → fen, half-up on the f64 value: `floor(yuan * 100 + 0.5)`; missing or negative → 0.
#[inline(always)]
pub fn yuan_to_fen(yuan: f64) -> i64 {
    // branch-free for the batch loop: NaN and non-positive values fail the comparison; a
    // positive value truncates, which is floor; `as` saturates at i64::MAX
    let z = yuan * 100.0 + 0.5;
    if yuan > 0.0 { z as i64 } else { 0 }
}

#[cfg(test)]
mod tests;
