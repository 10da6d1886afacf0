//! Rule files: TOML `[[policy]]` entries → validated [`PolicyDef`]s, and back ([`to_toml`]).
//!
//! `parse_file` refuses a file with any error (TOML syntax, unknown field, bad code, bad date,
//! expression syntax, unknown attribute or parameter, type error); each [`Diag`] carries the
//! line and column in the file, counted in characters from 1.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::ops::Range;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::check::{self, Ty};
use crate::expr::parse_expr;

/// An error with its position (1-based line and column in characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diag {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for Diag {}

/// Converts a byte offset in `src` into a 1-based (line, column in chars).
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, src[line_start..offset].chars().count() + 1)
}

fn diag_at(src: &str, offset: usize, message: impl Into<String>) -> Diag {
    let (line, col) = line_col(src, offset);
    Diag {
        line,
        col,
        message: message.into(),
    }
}

/// Policy (money or a benefit) or enterprise service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RuleKind))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Policy,
    Service,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Service => "service",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "policy" => Some(Kind::Policy),
            "service" => Some(Kind::Service),
            _ => None,
        }
    }
}

/// How enterprises get the benefit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Track {
    /// 免申即享: eligible enterprises are found by the batch run and told; no application.
    #[serde(rename = "免申即享")]
    NoApplication,
    /// 快申快享: the enterprise applies, an officer reviews.
    #[serde(rename = "快申快享")]
    FastApplication,
}

impl Track {
    pub fn as_str(self) -> &'static str {
        match self {
            Track::NoApplication => "免申即享",
            Track::FastApplication => "快申快享",
        }
    }
    pub fn parse(s: &str) -> Option<Track> {
        match s {
            "免申即享" => Some(Track::NoApplication),
            "快申快享" => Some(Track::FastApplication),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Active,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Active => "active",
            Status::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "draft" => Some(Status::Draft),
            "active" => Some(Status::Active),
            "closed" => Some(Status::Closed),
            _ => None,
        }
    }
}

/// A named parameter with dated values: each value applies from its date on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamDef {
    pub name: String,
    /// Sorted by date, at least one, dates unique.
    pub values: Vec<(NaiveDate, f64)>,
}

impl ParamDef {
    /// The value in force on `on`: the last one dated on or before it; `None` before the first.
    pub fn value_at(&self, on: NaiveDate) -> Option<f64> {
        self.values
            .iter()
            .rev()
            .find(|(d, _)| *d <= on)
            .map(|(_, v)| *v)
    }
}

/// A base-case condition: all must pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// The clause of the legal text it implements, unique within the policy.
    pub clause: String,
    /// A bool expression.
    pub when: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Not eligible when the exception holds, whatever the conditions say.
    Deny,
    /// Eligible when the exception holds even if a condition fails (unless denied).
    Grant,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Deny => "deny",
            Effect::Grant => "grant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    pub clause: String,
    pub when: String,
    pub effect: Effect,
}

/// One policy or service as written in a rule file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyDef {
    pub code: String,
    pub kind: Kind,
    pub title: String,
    pub department: String,
    pub legal_ref: String,
    pub who: String,
    pub track: Track,
    pub status: Status,
    pub window_from: Option<NaiveDate>,
    pub window_to: Option<NaiveDate>,
    pub materials: Vec<String>,
    pub contact: String,
    /// Exclusive group (不重复享受, 从高从优).
    pub group: Option<String>,
    /// Sorted by name.
    pub params: Vec<ParamDef>,
    pub conditions: Vec<Condition>,
    pub exceptions: Vec<Exception>,
    /// Number expression in 元; `None` = no money.
    pub benefit: Option<String>,
    /// The TOML text of this entry as read (or as written by [`to_toml`]).
    pub source: String,
}

impl PolicyDef {
    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }
    pub fn param_names(&self) -> Vec<String> {
        self.params.iter().map(|p| p.name.clone()).collect()
    }
    /// Whether the application window contains `on` (an open end counts as open).
    pub fn window_contains(&self, on: NaiveDate) -> bool {
        self.window_from.is_none_or(|f| f <= on) && self.window_to.is_none_or(|t| on <= t)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    policy: Vec<RawPolicy>,
}

type S = Spanned<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    code: S,
    kind: S,
    title: S,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    legal_ref: Option<String>,
    #[serde(default)]
    who: Option<String>,
    #[serde(default)]
    track: Option<S>,
    status: S,
    #[serde(default)]
    window_from: Option<Spanned<toml::Value>>,
    #[serde(default)]
    window_to: Option<Spanned<toml::Value>>,
    #[serde(default)]
    materials: Vec<String>,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    group: Option<S>,
    #[serde(default)]
    benefit: Option<S>,
    #[serde(default)]
    params: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    conditions: Vec<RawCondition>,
    #[serde(default)]
    exceptions: Vec<RawException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    clause: S,
    when: S,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    clause: S,
    when: S,
    effect: S,
}

/// Codes and groups: `[A-Za-z0-9_.-]{1,64}`.
pub fn valid_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// Parameter names: `[a-z_][a-z0-9_]*`.
pub fn valid_param_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == b'_')
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn value_date(v: &toml::Value) -> Option<NaiveDate> {
    match v {
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
            let d = dt.date?;
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        toml::Value::String(s) => parse_date(s),
        _ => None,
    }
}

fn value_num(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

/// Byte offset in the file where the content of the string value at `span` begins, when the
/// value's characters appear verbatim (no escapes); otherwise the start of the string token.
fn content_base(file: &str, span: &Range<usize>, value: &str) -> (usize, bool) {
    let Some(raw) = file.get(span.clone()) else {
        return (span.start, false);
    };
    let mut base = span.start;
    let mut body = raw;
    for delim in ["\"\"\"", "'''", "\"", "'"] {
        if raw.len() >= 2 * delim.len() && raw.starts_with(delim) && raw.ends_with(delim) {
            base += delim.len();
            body = &raw[delim.len()..raw.len() - delim.len()];
            if delim.len() == 3 {
                for nl in ["\r\n", "\n"] {
                    if let Some(rest) = body.strip_prefix(nl) {
                        base += nl.len();
                        body = rest;
                        break;
                    }
                }
            }
            break;
        }
    }
    (base, body == value)
}

struct Ctx<'a> {
    file: &'a str,
    diags: Vec<Diag>,
}

impl Ctx<'_> {
    fn at(&mut self, offset: usize, message: impl Into<String>) {
        self.diags.push(diag_at(self.file, offset, message));
    }

    /// Parses and type-checks an expression held in a TOML string, reporting at file positions.
    fn expr(&mut self, s: &S, params: &[String], want: Ty) {
        let (base, exact) = content_base(self.file, &s.span(), s.get_ref());
        let pos = |off: usize| if exact { base + off } else { s.span().start };
        match parse_expr(s.get_ref()) {
            Err(e) => {
                let p = pos(e.offset);
                self.at(p, e.message);
            }
            Ok(e) => {
                if let Err(e) = check::check(&e, params, want) {
                    let p = pos(e.span.start);
                    self.at(p, e.message);
                }
            }
        }
    }

    fn nonempty(&mut self, s: &S, what: &str) -> String {
        let v = s.get_ref().clone();
        if v.trim().is_empty() {
            self.at(s.span().start, format!("{what} must not be empty"));
        }
        v
    }

    fn date(&mut self, v: &Option<Spanned<toml::Value>>, what: &str) -> Option<NaiveDate> {
        let v = v.as_ref()?;
        let d = value_date(v.get_ref());
        if d.is_none() {
            self.at(
                v.span().start,
                format!("{what} must be a date like 2025-01-01"),
            );
        }
        d
    }

    fn policy(&mut self, raw: RawPolicy) -> PolicyDef {
        let code = raw.code.get_ref().clone();
        if !valid_code(&code) {
            self.at(
                raw.code.span().start,
                format!("bad code `{code}`: use 1 to 64 of A-Z a-z 0-9 _ . -"),
            );
        }
        let kind = Kind::parse(raw.kind.get_ref()).unwrap_or_else(|| {
            self.at(
                raw.kind.span().start,
                format!(
                    "unknown kind `{}`: use policy or service",
                    raw.kind.get_ref()
                ),
            );
            Kind::Policy
        });
        let title = self.nonempty(&raw.title, "title");
        let track = match &raw.track {
            None => Track::FastApplication,
            Some(t) => Track::parse(t.get_ref()).unwrap_or_else(|| {
                self.at(
                    t.span().start,
                    format!("unknown track `{}`: use 免申即享 or 快申快享", t.get_ref()),
                );
                Track::FastApplication
            }),
        };
        let status = Status::parse(raw.status.get_ref()).unwrap_or_else(|| {
            self.at(
                raw.status.span().start,
                format!(
                    "unknown status `{}`: use draft, active or closed",
                    raw.status.get_ref()
                ),
            );
            Status::Draft
        });
        let window_from = self.date(&raw.window_from, "window_from");
        let window_to = self.date(&raw.window_to, "window_to");
        if let (Some(f), Some(t), Some(span)) = (window_from, window_to, &raw.window_to)
            && t < f
        {
            self.at(
                span.span().start,
                format!("window_to {t} is before window_from {f}"),
            );
        }
        let group = raw.group.as_ref().map(|g| {
            if !valid_code(g.get_ref()) {
                self.at(
                    g.span().start,
                    format!(
                        "bad group `{}`: use 1 to 64 of A-Z a-z 0-9 _ . -",
                        g.get_ref()
                    ),
                );
            }
            g.get_ref().clone()
        });

        let mut params = Vec::new();
        for (name, table) in &raw.params {
            let at = table.span().start;
            if !valid_param_name(name) {
                self.at(at, format!("bad parameter name `{name}`: use a-z 0-9 _"));
            }
            let toml::Value::Table(t) = table.get_ref() else {
                self.at(
                    at,
                    format!("parameter `{name}` must be a table of dated values, e.g. {{ \"2025-01-01\" = 0.05 }}"),
                );
                continue;
            };
            if t.is_empty() {
                self.at(
                    at,
                    format!("parameter `{name}` needs at least one dated value"),
                );
                continue;
            }
            let mut values = Vec::new();
            for (k, v) in t {
                let Some(d) = parse_date(k) else {
                    self.at(
                        at,
                        format!("parameter `{name}`: `{k}` is not a date like 2025-01-01"),
                    );
                    continue;
                };
                let Some(x) = value_num(v) else {
                    self.at(at, format!("parameter `{name}` on {k}: expected a number"));
                    continue;
                };
                values.push((d, x));
            }
            values.sort_by_key(|(d, _)| *d);
            params.push(ParamDef {
                name: name.clone(),
                values,
            });
        }
        let names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();

        let mut clauses = HashSet::new();
        let mut clause = |ctx: &mut Self, c: &S| -> String {
            let v = ctx.nonempty(c, "clause");
            if v == "benefit" {
                ctx.at(
                    c.span().start,
                    "`benefit` is reserved; name the clause after the legal text",
                );
            } else if !v.is_empty() && !clauses.insert(v.clone()) {
                ctx.at(
                    c.span().start,
                    format!("clause `{v}` appears twice in this policy"),
                );
            }
            v
        };
        let mut conditions = Vec::new();
        for c in &raw.conditions {
            let name = clause(self, &c.clause);
            self.expr(&c.when, &names, Ty::Bool);
            conditions.push(Condition {
                clause: name,
                when: c.when.get_ref().clone(),
            });
        }
        let mut exceptions = Vec::new();
        for x in &raw.exceptions {
            let name = clause(self, &x.clause);
            self.expr(&x.when, &names, Ty::Bool);
            let effect = match x.effect.get_ref().as_str() {
                "deny" => Effect::Deny,
                "grant" => Effect::Grant,
                other => {
                    self.at(
                        x.effect.span().start,
                        format!("unknown effect `{other}`: use deny or grant"),
                    );
                    Effect::Deny
                }
            };
            exceptions.push(Exception {
                clause: name,
                when: x.when.get_ref().clone(),
                effect,
            });
        }
        if let Some(b) = &raw.benefit {
            self.expr(b, &names, Ty::Num);
        }
        PolicyDef {
            code,
            kind,
            title,
            department: raw.department.unwrap_or_default(),
            legal_ref: raw.legal_ref.unwrap_or_default(),
            who: raw.who.unwrap_or_default(),
            track,
            status,
            window_from,
            window_to,
            materials: raw.materials,
            contact: raw.contact.unwrap_or_default(),
            group,
            params,
            conditions,
            exceptions,
            benefit: raw.benefit.map(Spanned::into_inner),
            source: String::new(),
        }
    }
}

/// Byte offsets of the `[[policy]]` header lines.
fn entry_starts(src: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut off = 0;
    for line in src.split_inclusive('\n') {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("[[policy]]")
            && (rest.trim().is_empty() || rest.trim_start().starts_with('#'))
        {
            out.push(off);
        }
        off += line.len();
    }
    out
}

/// Parses a rule file. On any error nothing is returned but the list of errors.
pub fn parse_file(src: &str) -> Result<Vec<PolicyDef>, Vec<Diag>> {
    let raw: RawFile = match toml::from_str(src) {
        Ok(r) => r,
        Err(e) => {
            let off = e.span().map_or(0, |s| s.start);
            return Err(vec![diag_at(src, off, e.message().trim().to_string())]);
        }
    };
    let mut ctx = Ctx {
        file: src,
        diags: Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut defs = Vec::new();
    for p in raw.policy {
        let code_span = p.code.span().start;
        let def = ctx.policy(p);
        if !seen.insert(def.code.clone()) {
            ctx.at(
                code_span,
                format!("code `{}` appears twice in this file", def.code),
            );
        }
        defs.push(def);
    }
    if !ctx.diags.is_empty() {
        ctx.diags.sort_by_key(|d| (d.line, d.col));
        return Err(ctx.diags);
    }
    let starts = entry_starts(src);
    let trust = starts.len() == defs.len();
    for (i, def) in defs.iter_mut().enumerate() {
        def.source = if trust {
            let end = starts.get(i + 1).copied().unwrap_or(src.len());
            src[starts[i]..end].trim_end().to_string() + "\n"
        } else {
            to_toml(def)
        };
    }
    Ok(defs)
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML number that reads back as the same f64.
fn number(x: f64) -> String {
    let s = format!("{x}");
    let integral_ok = x.fract() == 0.0 && x.abs() < 1e15;
    if integral_ok || s.contains(['.', 'e']) {
        s
    } else {
        s + ".0"
    }
}

/// Writes one policy as a `[[policy]]` entry that [`parse_file`] reads back to the same def.
pub fn to_toml(def: &PolicyDef) -> String {
    use std::fmt::Write;
    let mut o = String::from("[[policy]]\n");
    let mut kv = |k: &str, v: String| {
        let _ = writeln!(o, "{k} = {v}");
    };
    kv("code", quote(&def.code));
    kv("kind", quote(def.kind.as_str()));
    kv("title", quote(&def.title));
    kv("department", quote(&def.department));
    kv("legal_ref", quote(&def.legal_ref));
    kv("who", quote(&def.who));
    kv("track", quote(def.track.as_str()));
    kv("status", quote(def.status.as_str()));
    if let Some(d) = def.window_from {
        kv("window_from", d.format("%Y-%m-%d").to_string());
    }
    if let Some(d) = def.window_to {
        kv("window_to", d.format("%Y-%m-%d").to_string());
    }
    let mats: Vec<String> = def.materials.iter().map(|m| quote(m)).collect();
    kv("materials", format!("[{}]", mats.join(", ")));
    kv("contact", quote(&def.contact));
    if let Some(g) = &def.group {
        kv("group", quote(g));
    }
    if let Some(b) = &def.benefit {
        kv("benefit", quote(b));
    }
    if !def.params.is_empty() {
        o.push_str("[policy.params]\n");
        for p in &def.params {
            let vals: Vec<String> = p
                .values
                .iter()
                .map(|(d, v)| format!("\"{}\" = {}", d.format("%Y-%m-%d"), number(*v)))
                .collect();
            let _ = writeln!(o, "{} = {{ {} }}", p.name, vals.join(", "));
        }
    }
    for c in &def.conditions {
        let _ = writeln!(
            o,
            "[[policy.conditions]]\nclause = {}\nwhen = {}",
            quote(&c.clause),
            quote(&c.when)
        );
    }
    for x in &def.exceptions {
        let _ = writeln!(
            o,
            "[[policy.exceptions]]\nclause = {}\nwhen = {}\neffect = \"{}\"",
            quote(&x.clause),
            quote(&x.when),
            x.effect.as_str()
        );
    }
    o
}
