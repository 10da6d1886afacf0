//! Our own SVG charts: small pure functions from figures to SVG text (no JavaScript, no chart
//! library), printable and testable. Every mark links to the records behind it and carries its
//! figure in `data-count`, so a reader (or a test) can follow a bar to the filtered list.

use std::fmt::Write;

/// One figure of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub label: String,
    pub value: i64,
    /// Where the mark links to (the filtered list), if anywhere.
    pub href: Option<String>,
}

/// Escape text for SVG/HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Group digits Chinese-style for display: `12,345`.
pub fn group(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Display width of a label in "half-width" units (CJK characters count two).
fn width_units(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// Cut a label to at most `max` half-width units, with an ellipsis.
pub fn clip(s: &str, max: usize) -> String {
    if width_units(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = if c.is_ascii() { 1 } else { 2 };
        if w + cw > max.saturating_sub(1) {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

fn open_link(out: &mut String, d: &Datum) {
    if let Some(h) = &d.href {
        let _ = write!(out, r#"<a href="{}" data-count="{}">"#, escape(h), d.value);
    }
}

fn close_link(out: &mut String, d: &Datum) {
    if d.href.is_some() {
        out.push_str("</a>");
    }
}

/// A horizontal bar chart: one row per datum, label left, bar, figure right.
/// `title` becomes the accessible name; an empty `data` gives a chart with a "no data" note.
pub fn bar_chart(title: &str, data: &[Datum], empty_note: &str) -> String {
    const W: usize = 560;
    const ROW: usize = 26;
    const LABEL: usize = 150;
    const NUM: usize = 60;
    let rows = data.len().max(1);
    let h = rows * ROW + 8;
    let max = data.iter().map(|d| d.value).max().unwrap_or(0).max(1);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart bar" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" width="100%" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = escape(title)
    );
    if data.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{}" y="20" class="empty" text-anchor="middle">{}</text>"#,
            W / 2,
            escape(empty_note)
        );
    }
    let span = (W - LABEL - NUM) as f64;
    for (i, d) in data.iter().enumerate() {
        let y = 4 + i * ROW;
        let bw = if d.value > 0 {
            (span * d.value as f64 / max as f64).max(2.0)
        } else {
            0.0
        };
        open_link(&mut out, d);
        let _ = write!(
            out,
            r#"<g class="row"><title>{full}：{v}</title><rect class="hit" x="0" y="{y}" width="{W}" height="{ROW}"/><text class="label" x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect class="bar" x="{LABEL}" y="{by}" width="{bw:.1}" height="16" rx="2"/><text class="num" x="{nx:.1}" y="{ty}">{v}</text></g>"#,
            full = escape(&d.label),
            label = escape(&clip(&d.label, 20)),
            v = group(d.value),
            lx = LABEL - 8,
            ty = y + 17,
            by = y + 5,
            nx = LABEL as f64 + bw + 6.0,
        );
        close_link(&mut out, d);
    }
    out.push_str("</svg>");
    out
}

/// Colours of donut segments (red accent first, then calm tones that print in greyscale).
const PALETTE: [&str; 8] = [
    "#b71c1c", "#e57373", "#8d6e63", "#546e7a", "#f9a825", "#6d4c41", "#90a4ae", "#c62828",
];

/// A donut chart with the total in the middle. Zero values get no segment.
pub fn donut(title: &str, data: &[Datum], total_label: &str) -> String {
    const R: f64 = 70.0;
    const C: f64 = 90.0;
    let total: i64 = data.iter().map(|d| d.value.max(0)).sum();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart donut" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 180 180" width="180" height="180" role="img" aria-label="{t}"><title>{t}</title><circle cx="{C}" cy="{C}" r="{R}" class="track"/>"#,
        t = escape(title)
    );
    let mut start = 0.0f64;
    for (i, d) in data.iter().enumerate() {
        if d.value <= 0 || total == 0 {
            continue;
        }
        let frac = d.value as f64 / total as f64;
        let colour = PALETTE[i % PALETTE.len()];
        open_link(&mut out, d);
        if frac >= 0.9999 {
            let _ = write!(
                out,
                r#"<circle cx="{C}" cy="{C}" r="{R}" fill="none" stroke="{colour}" stroke-width="28"><title>{}：{}</title></circle>"#,
                escape(&d.label),
                group(d.value)
            );
        } else {
            let a0 = start * std::f64::consts::TAU - std::f64::consts::FRAC_PI_2;
            let a1 = (start + frac) * std::f64::consts::TAU - std::f64::consts::FRAC_PI_2;
            let (x0, y0) = (C + R * a0.cos(), C + R * a0.sin());
            let (x1, y1) = (C + R * a1.cos(), C + R * a1.sin());
            let large = if frac > 0.5 { 1 } else { 0 };
            let _ = write!(
                out,
                r#"<path d="M {x0:.2} {y0:.2} A {R} {R} 0 {large} 1 {x1:.2} {y1:.2}" fill="none" stroke="{colour}" stroke-width="28"><title>{}：{}</title></path>"#,
                escape(&d.label),
                group(d.value)
            );
        }
        close_link(&mut out, d);
        start += frac;
    }
    let _ = write!(
        out,
        r#"<text x="{C}" y="{}" text-anchor="middle" class="total">{}</text><text x="{C}" y="{}" text-anchor="middle" class="total-label">{}</text></svg>"#,
        C + 4.0,
        group(total),
        C + 22.0,
        escape(total_label)
    );
    out
}

/// Colour of the `i`-th donut segment, for the legend next to the chart.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(label: &str, value: i64, href: &str) -> Datum {
        Datum {
            label: label.into(),
            value,
            href: Some(href.into()),
        }
    }

    #[test]
    fn text_in_charts_is_escaped() {
        let svg = bar_chart("<script>", &[d("A&B <i>", 3, "/enterprises?tag=a&b")], "");
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("A&amp;B &lt;i&gt;"));
        assert!(svg.contains(r#"href="/enterprises?tag=a&amp;b""#));
    }

    #[test]
    fn every_bar_links_to_its_list_and_carries_its_figure() {
        let svg = bar_chart(
            "t",
            &[
                d("集成电路", 12, "/enterprises?chain=ic"),
                d("软件", 0, "/x"),
            ],
            "",
        );
        assert!(svg.contains(r#"<a href="/enterprises?chain=ic" data-count="12">"#));
        assert!(svg.contains(r#"data-count="0""#));
        assert_eq!(svg.matches("<a ").count(), 2);
        assert_eq!(svg.matches("</a>").count(), 2);
    }

    #[test]
    fn the_longest_bar_spans_the_chart_and_others_scale() {
        let svg = bar_chart("t", &[d("a", 10, "/a"), d("b", 5, "/b")], "");
        assert!(svg.contains(r#"width="350.0""#), "{svg}");
        assert!(svg.contains(r#"width="175.0""#), "{svg}");
    }

    #[test]
    fn an_empty_bar_chart_says_so() {
        let svg = bar_chart("t", &[], "暂无数据");
        assert!(svg.contains("暂无数据"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn a_donut_has_one_segment_per_nonzero_value_and_shows_the_total() {
        let svg = donut(
            "规模",
            &[d("大型", 1, "/l"), d("中型", 0, "/m"), d("小型", 3, "/s")],
            "家",
        );
        assert_eq!(svg.matches("<path").count(), 2);
        assert!(svg.contains(">4<"));
        let one = donut("x", &[d("大型", 5, "/l")], "家");
        assert!(one.contains("<circle cx=\"90\" cy=\"90\" r=\"70\" fill=\"none\""));
    }

    #[test]
    fn long_labels_are_clipped_by_display_width() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("一二三四五六", 6), "一二…");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(group(-12), "-12");
    }
}
