//! Paging of lists: the page links around the current page, with first, last and gaps.

/// One entry of a pager: a page number (or a gap when `n` is 0).
#[derive(Debug, Clone, PartialEq)]
pub struct PageLink {
    pub n: i64,
    pub href: String,
    pub current: bool,
}

/// Page numbers around the current page with first and last (gaps as `n = 0`), plus
/// prev/next hrefs. `base` is the query string without `page=`.
pub fn pager(
    base: &str,
    page: i64,
    per_page: i64,
    total: i64,
) -> (Vec<PageLink>, Option<String>, Option<String>) {
    let pages = ((total + per_page - 1) / per_page).max(1);
    let href = |n: i64| {
        if base.is_empty() {
            format!("?page={n}")
        } else {
            format!("?{base}&page={n}")
        }
    };
    let mut out = Vec::new();
    let mut last = 0;
    for n in 1..=pages {
        if n == 1 || n == pages || n.abs_diff(page) <= 2 {
            if last != 0 && n - last > 1 {
                out.push(PageLink {
                    n: 0,
                    href: String::new(),
                    current: false,
                });
            }
            out.push(PageLink {
                n,
                href: href(n),
                current: n == page,
            });
            last = n;
        }
    }
    let prev = (page > 1).then(|| href(page - 1));
    let next = (page < pages).then(|| href(page + 1));
    (out, prev, next)
}
