//! Lexer and Pratt parser of the expression language (see the crate docs for the grammar).
//!
//! Every node keeps its byte span in the expression text, so errors and explanations can
//! point at the exact source; the caller shifts spans into file positions.

use std::fmt;

/// A byte range `start..end` in the expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
    fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A syntax error at a byte offset of the expression.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    In,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::In => "in",
            BinOp::And => "&&",
            BinOp::Or => "||",
        }
    }
}

impl fmt::Display for BinOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// An untyped syntax tree node.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Num(f64),
    Str(String),
    Bool(bool),
    List(Vec<Expr>),
    Ident(String),
    Param(String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    Method(Box<Expr>, String, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Punct(&'static str),
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Num(n) => write!(f, "number {n}"),
            Tok::Str(s) => write!(f, "string '{s}'"),
            Tok::Ident(s) => write!(f, "`{s}`"),
            Tok::Punct(p) => write!(f, "`{p}`"),
            Tok::Eof => f.write_str("end of expression"),
        }
    }
}

const PUNCTS: [&str; 21] = [
    "&&", "||", "<=", ">=", "==", "!=", "<", ">", "!", "+", "-", "*", "/", "(", ")", "[", "]", ",",
    ".", "?", ":",
];

fn lex(src: &str) -> Result<Vec<(Tok, Span)>, SyntaxError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                i += 1;
            }
            if i < bytes.len()
                && bytes[i] == b'.'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                    i += 1;
                }
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                let mut j = i + 1;
                if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                    j += 1;
                }
                if j < bytes.len() && bytes[j].is_ascii_digit() {
                    i = j;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = src[start..i].chars().filter(|c| *c != '_').collect();
            let n: f64 = text.parse().map_err(|_| SyntaxError {
                offset: start,
                message: format!("bad number `{}`", &src[start..i]),
            })?;
            if !n.is_finite() {
                return Err(SyntaxError {
                    offset: start,
                    message: format!("number `{}` is too large", &src[start..i]),
                });
            }
            out.push((Tok::Num(n), Span::new(start, i)));
            continue;
        }
        if c == b'\'' || c == b'"' {
            i += 1;
            let mut s = String::new();
            loop {
                let Some(ch) = src[i..].chars().next() else {
                    return Err(SyntaxError {
                        offset: start,
                        message: "unterminated string".into(),
                    });
                };
                if ch as u32 == c as u32 {
                    i += 1;
                    break;
                }
                if ch == '\\' {
                    let Some(e) = src[i + 1..].chars().next() else {
                        return Err(SyntaxError {
                            offset: start,
                            message: "unterminated string".into(),
                        });
                    };
                    s.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        '\\' | '\'' | '"' => e,
                        _ => {
                            return Err(SyntaxError {
                                offset: i,
                                message: format!("unknown escape `\\{e}`"),
                            });
                        }
                    });
                    i += 1 + e.len_utf8();
                    continue;
                }
                s.push(ch);
                i += ch.len_utf8();
            }
            out.push((Tok::Str(s), Span::new(start, i)));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(src[start..i].to_string()), Span::new(start, i)));
            continue;
        }
        match PUNCTS.iter().find(|p| src[i..].starts_with(**p)) {
            Some(p) => {
                i += p.len();
                out.push((Tok::Punct(p), Span::new(start, i)));
            }
            None => {
                let ch = src[i..].chars().next().unwrap_or('?');
                let hint = match ch {
                    '=' => " (use `==` to compare)",
                    '&' => " (use `&&`)",
                    '|' => " (use `||`)",
                    '%' => " (no remainder operator)",
                    _ => "",
                };
                return Err(SyntaxError {
                    offset: i,
                    message: format!("unexpected character `{ch}`{hint}"),
                });
            }
        }
    }
    out.push((Tok::Eof, Span::new(src.len(), src.len())));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, Span)>,
    pos: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].0
    }
    fn span(&self) -> Span {
        self.toks[self.pos.min(self.toks.len() - 1)].1
    }
    fn bump(&mut self) -> (Tok, Span) {
        let t = self.toks[self.pos.min(self.toks.len() - 1)].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }
    fn expect(&mut self, p: &str) -> Result<Span, SyntaxError> {
        if self.is(p) {
            Ok(self.bump().1)
        } else {
            Err(self.unexpected(&format!("`{p}`")))
        }
    }
    fn unexpected(&self, wanted: &str) -> SyntaxError {
        SyntaxError {
            offset: self.span().start,
            message: format!("expected {wanted}, found {}", self.peek()),
        }
    }

    fn binary_op(&self) -> Option<(BinOp, u8)> {
        let op = match self.peek() {
            Tok::Punct(p) => match *p {
                "||" => BinOp::Or,
                "&&" => BinOp::And,
                "<" => BinOp::Lt,
                "<=" => BinOp::Le,
                ">" => BinOp::Gt,
                ">=" => BinOp::Ge,
                "==" => BinOp::Eq,
                "!=" => BinOp::Ne,
                "+" => BinOp::Add,
                "-" => BinOp::Sub,
                "*" => BinOp::Mul,
                "/" => BinOp::Div,
                _ => return None,
            },
            Tok::Ident(s) if s == "in" => BinOp::In,
            _ => return None,
        };
        let bp = match op {
            BinOp::Or => 2,
            BinOp::And => 3,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne | BinOp::In => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        };
        Some((op, bp))
    }

    /// Pratt loop: parses operators binding tighter than `min_bp`.
    fn expr(&mut self, min_bp: u8) -> Result<Expr, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError {
                offset: self.span().start,
                message: "expression nested too deeply".into(),
            });
        }
        let mut lhs = self.unary()?;
        loop {
            if self.is("?") && min_bp <= 1 {
                self.bump();
                let then = self.expr(1)?;
                self.expect(":")?;
                let other = self.expr(1)?;
                let span = lhs.span.to(other.span);
                lhs = Expr {
                    kind: ExprKind::Cond(Box::new(lhs), Box::new(then), Box::new(other)),
                    span,
                };
                continue;
            }
            let Some((op, bp)) = self.binary_op() else {
                break;
            };
            if bp < min_bp {
                break;
            }
            self.bump();
            // relations do not chain: `a < b < c` is refused rather than misread
            let rhs = self.expr(bp + 1)?;
            if bp == 4
                && let Some((_, 4)) = self.binary_op()
            {
                return Err(SyntaxError {
                    offset: self.span().start,
                    message: "comparisons do not chain: join them with `&&`".into(),
                });
            }
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        let op = if self.is("!") {
            Some(UnOp::Not)
        } else if self.is("-") {
            Some(UnOp::Neg)
        } else {
            None
        };
        if let Some(op) = op {
            let s = self.bump().1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(SyntaxError {
                    offset: s.start,
                    message: "expression nested too deeply".into(),
                });
            }
            let inner = self.unary()?;
            self.depth -= 1;
            let span = s.to(inner.span);
            // fold `-3` into a literal so printing and checking stay simple
            if let (UnOp::Neg, ExprKind::Num(n)) = (op, &inner.kind) {
                return Ok(Expr {
                    kind: ExprKind::Num(-n),
                    span,
                });
            }
            return Ok(Expr {
                kind: ExprKind::Unary(op, Box::new(inner)),
                span,
            });
        }
        let mut e = self.primary()?;
        while self.is(".") {
            self.bump();
            let (tok, nspan) = self.bump();
            let Tok::Ident(name) = tok else {
                return Err(SyntaxError {
                    offset: nspan.start,
                    message: format!("expected a method name after `.`, found {tok}"),
                });
            };
            self.expect("(")?;
            let args = self.args(")")?;
            let end = self.expect(")")?;
            let span = e.span.to(end);
            e = Expr {
                kind: ExprKind::Method(Box::new(e), name, args),
                span,
            };
        }
        Ok(e)
    }

    fn args(&mut self, close: &str) -> Result<Vec<Expr>, SyntaxError> {
        let mut args = Vec::new();
        while !self.is(close) {
            args.push(self.expr(0)?);
            if !self.is(close) {
                self.expect(",")?;
            }
        }
        Ok(args)
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let (tok, span) = self.bump();
        let kind = match tok {
            Tok::Num(n) => ExprKind::Num(n),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Ident(name) => match name.as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "in" => {
                    return Err(SyntaxError {
                        offset: span.start,
                        message: "expected a value, found `in`".into(),
                    });
                }
                "params" => {
                    self.expect(".")?;
                    let (t, s2) = self.bump();
                    let Tok::Ident(p) = t else {
                        return Err(SyntaxError {
                            offset: s2.start,
                            message: format!(
                                "expected a parameter name after `params.`, found {t}"
                            ),
                        });
                    };
                    return Ok(Expr {
                        kind: ExprKind::Param(p),
                        span: span.to(s2),
                    });
                }
                _ if self.is("(") => {
                    self.bump();
                    let args = self.args(")")?;
                    let end = self.expect(")")?;
                    return Ok(Expr {
                        kind: ExprKind::Call(name, args),
                        span: span.to(end),
                    });
                }
                _ => ExprKind::Ident(name),
            },
            Tok::Punct("(") => {
                let mut inner = self.expr(0)?;
                let end = self.expect(")")?;
                inner.span = span.to(end);
                return Ok(inner);
            }
            Tok::Punct("[") => {
                let items = self.args("]")?;
                let end = self.expect("]")?;
                return Ok(Expr {
                    kind: ExprKind::List(items),
                    span: span.to(end),
                });
            }
            other => {
                return Err(SyntaxError {
                    offset: span.start,
                    message: format!("expected a value, found {other}"),
                });
            }
        };
        Ok(Expr { kind, span })
    }
}

/// Parses one expression; the whole text must be consumed.
pub fn parse_expr(src: &str) -> Result<Expr, SyntaxError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.expr(0)?;
    if *p.peek() != Tok::Eof {
        return Err(p.unexpected("an operator or the end of the expression"));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Num(n) => format!("{n}"),
            ExprKind::Str(s) => format!("'{s}'"),
            ExprKind::Bool(b) => format!("{b}"),
            ExprKind::List(items) => {
                format!(
                    "[{}]",
                    items.iter().map(shape).collect::<Vec<_>>().join(",")
                )
            }
            ExprKind::Ident(s) => s.clone(),
            ExprKind::Param(s) => format!("params.{s}"),
            ExprKind::Unary(op, a) => format!("({op:?} {})", shape(a)),
            ExprKind::Binary(op, a, b) => format!("({} {op} {})", shape(a), shape(b)),
            ExprKind::Cond(c, a, b) => format!("({} ? {} : {})", shape(c), shape(a), shape(b)),
            ExprKind::Call(f, args) => format!(
                "{f}({})",
                args.iter().map(shape).collect::<Vec<_>>().join(",")
            ),
            ExprKind::Method(r, f, args) => format!(
                "{}.{f}({})",
                shape(r),
                args.iter().map(shape).collect::<Vec<_>>().join(",")
            ),
        }
    }

    fn p(src: &str) -> String {
        match parse_expr(src) {
            Ok(e) => shape(&e),
            Err(e) => format!("error at {}: {}", e.offset, e.message),
        }
    }

    #[test]
    fn precedence_follows_cel() {
        assert_eq!(
            p("a + b * c < d && e || f"),
            "((((a + (b * c)) < d) && e) || f)"
        );
        assert_eq!(p("a - b - c"), "((a - b) - c)");
        assert_eq!(p("x ? 1 : y ? 2 : 3"), "(x ? 1 : (y ? 2 : 3))");
        assert_eq!(p("!a && -b < 2"), "((Not a) && ((Neg b) < 2))");
        assert_eq!(
            p("'ai' in tags && params.x >= 1_000"),
            "(('ai' in tags) && (params.x >= 1000))"
        );
        assert_eq!(
            p("min(a, 2.5e3) + industry.startsWith(\"I65\")"),
            "(min(a,2500) + industry.startsWith('I65'))"
        );
        assert_eq!(
            p("size in ['small', 'micro']"),
            "(size in ['small','micro'])"
        );
    }

    #[test]
    fn syntax_errors_point_at_the_offending_byte() {
        assert_eq!(
            p("a >= "),
            "error at 5: expected a value, found end of expression"
        );
        assert_eq!(
            p("a = 1"),
            "error at 2: unexpected character `=` (use `==` to compare)"
        );
        assert_eq!(
            p("(a + 1"),
            "error at 6: expected `)`, found end of expression"
        );
        assert_eq!(
            p("a < b < c"),
            "error at 6: comparisons do not chain: join them with `&&`"
        );
        assert_eq!(p("'abc"), "error at 0: unterminated string");
        assert_eq!(
            p("a b"),
            "error at 2: expected an operator or the end of the expression, found `b`"
        );
        assert_eq!(p("1e999"), "error at 0: number `1e999` is too large");
    }

    #[test]
    fn spans_cover_the_source_of_each_node() {
        let src = "rd_ratio >= params.rd_min";
        let e = parse_expr(src).unwrap();
        let ExprKind::Binary(_, a, b) = &e.kind else {
            panic!()
        };
        assert_eq!(&src[a.span.start..a.span.end], "rd_ratio");
        assert_eq!(&src[b.span.start..b.span.end], "params.rd_min");
        assert_eq!((e.span.start, e.span.end), (0, src.len()));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowing() {
        let src = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        assert!(p(&src).contains("nested too deeply"));
        let src = "!".repeat(500) + "true";
        assert!(p(&src).contains("nested too deeply"));
    }
}
