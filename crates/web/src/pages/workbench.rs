//! 工作台: counts and charts, every figure linking to the records behind it.

use super::charts::{self, Datum};
use super::{Ctx, PageResult, url_escape};
use crate::AppState;
use crate::auth::PageAuth;
use askama::Template;
use axum::extract::State;
use lianshi_app::workbench::Bar;

/// A count card.
pub struct Card {
    pub label: String,
    pub value: String,
    pub href: String,
}

/// A chart with its legend/table rows (the same figures as text, for print and screen readers).
pub struct Chart {
    pub title: String,
    pub svg: String,
    pub rows: Vec<LegendRow>,
}

pub struct LegendRow {
    pub label: String,
    pub value: i64,
    pub href: String,
    pub colour: &'static str,
}

#[derive(Template)]
#[template(path = "workbench.html")]
pub struct WorkbenchPage {
    pub l: super::Layout,
    pub cards: Vec<Card>,
    pub charts: Vec<Chart>,
    pub size_chart: Option<Chart>,
    pub can_browse: bool,
}

fn data(c: &Ctx, bars: &[Bar], param: &str) -> Vec<Datum> {
    bars.iter()
        .map(|b| Datum {
            label: c.pick(&b.label_zh, &b.label_en),
            value: b.count,
            href: Some(format!("/enterprises?{param}={}", url_escape(&b.key))),
        })
        .collect()
}

fn chart(c: &Ctx, title: &str, d: Vec<Datum>, donut: bool) -> Chart {
    let svg = if donut {
        charts::donut(title, &d, c.t.get("unit-enterprises"))
    } else {
        charts::bar_chart(title, &d, c.t.get("chart-empty"))
    };
    Chart {
        title: title.to_string(),
        svg,
        rows: d
            .into_iter()
            .enumerate()
            .map(|(i, d)| LegendRow {
                label: d.label,
                value: d.value,
                href: d.href.unwrap_or_default(),
                colour: charts::colour(i),
            })
            .collect(),
    }
}

pub async fn workbench(State(s): State<AppState>, c: Ctx, auth: PageAuth) -> PageResult {
    let st = s.app.workbench_figures(&auth.actor).await?;
    let t = c.t;
    let g = charts::group;
    let mut cards = Vec::new();
    if let Some(n) = st.enterprises {
        cards.push(Card {
            label: t.get("card-enterprises").into(),
            value: g(n),
            href: "/enterprises".into(),
        });
    }
    for (label, n, anchor) in [
        (t.get("card-ecosystems"), st.ecosystems, "ecosystem"),
        (t.get("card-chains"), st.chains, "chain"),
        (t.get("card-chain-nodes"), st.chain_nodes, "chain_node"),
        (t.get("card-departments"), st.departments, "department"),
        (t.get("card-institutions"), st.institutions, "institution"),
        (t.get("card-streets"), st.streets, "street"),
        (t.get("card-parks"), st.parks, "park"),
    ] {
        cards.push(Card {
            label: label.into(),
            value: g(n),
            href: format!("/registry#{anchor}"),
        });
    }
    let can_browse = st.enterprises.is_some();
    let mut chart_list = Vec::new();
    let mut size_chart = None;
    if can_browse {
        chart_list.push(chart(
            &c,
            t.get("chart-by-ecosystem"),
            data(&c, &st.by_ecosystem, "ecosystem"),
            false,
        ));
        chart_list.push(chart(
            &c,
            t.get("chart-by-chain"),
            data(&c, &st.by_chain, "chain"),
            false,
        ));
        chart_list.push(chart(
            &c,
            t.get("chart-by-street"),
            data(&c, &st.by_street, "street"),
            false,
        ));
        chart_list.push(chart(
            &c,
            t.get("chart-top-tags"),
            data(&c, &st.top_tags, "tag"),
            false,
        ));
        size_chart = Some(chart(
            &c,
            t.get("chart-by-size"),
            data(&c, &st.by_size, "size"),
            true,
        ));
    }
    let l = c.layout(&auth, t.get("nav-home"), "home");
    Ok(c.page(&WorkbenchPage {
        l,
        cards,
        charts: chart_list,
        size_chart,
        can_browse,
    }))
}
