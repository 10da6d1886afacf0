//! The enterprise list index: a derived, in-memory copy of the columns the enterprise list
//! filters on, rebuilt (or patched) from the store. Pure data structure, no IO.
//!
//! One entry per enterprise, in id order, stored column-wise: the ids, the lowercase name and
//! credit code of every entry in one contiguous byte buffer (scanned with `memchr::memmem`), the
//! place and size columns, and the chain positions and tags in compressed (offset + values)
//! arrays. A filtered, paged query walks the entries once and returns the **exact** total and the
//! ids of the requested slice; the caller loads those rows from the store.
//!
//! Semantics follow the SQL of `lianshi_store::enterprise`: `q` (trimmed, `%` and `_` removed) is
//! an ASCII-case-insensitive substring of the name or of the credit code; every other filter is an
//! equality, and each chain-position filter (ecosystem, chain, node) is met by *some* chain
//! position of the enterprise, independently of the others.

use std::collections::HashMap;

/// Marks "no value" in the id columns (store ids are positive).
const NONE: i64 = i64::MIN;
/// Separates fields in the text buffer; removed from queries, so a match never spans fields.
const SEP: u8 = 0;

/// One enterprise as the index sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Doc {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub street_id: Option<i64>,
    pub park_id: Option<i64>,
    pub size_band: Option<String>,
    /// `(node_id, chain_id, ecosystem_id)` of each chain position.
    pub nodes: Vec<(i64, i64, i64)>,
    pub tags: Vec<String>,
}

/// Filters, all ANDed; `None` means no filter.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub q: Option<&'a str>,
    pub ecosystem_id: Option<i64>,
    pub chain_id: Option<i64>,
    pub node_id: Option<i64>,
    pub street_id: Option<i64>,
    pub park_id: Option<i64>,
    pub tag: Option<&'a str>,
    pub size_band: Option<&'a str>,
    pub only_id: Option<i64>,
}

/// Result of [`Index::query`]: the exact number of matches and the ids of the slice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hits {
    pub total: usize,
    pub ids: Vec<i64>,
}

/// The index. Cheap to query concurrently (`&self`); changes build a new one.
#[derive(Debug, Clone, Default)]
pub struct Index {
    ids: Vec<i64>,
    /// `lower(name) SEP lower(uscc) SEP` per entry.
    text: Vec<u8>,
    /// Start of each entry's text; `len = n + 1`.
    text_start: Vec<usize>,
    street: Vec<i64>,
    park: Vec<i64>,
    /// Code into `sizes`, 0 = none.
    size: Vec<u8>,
    node_start: Vec<u32>,
    nodes: Vec<[i64; 3]>,
    tag_start: Vec<u32>,
    tags: Vec<u32>,
    sizes: Vec<String>,
    tag_names: Vec<String>,
    tag_codes: HashMap<String, u32>,
}

impl Index {
    /// An empty index (append entries with [`Index::push`] in increasing id order).
    pub fn new() -> Index {
        Index {
            text_start: vec![0],
            node_start: vec![0],
            tag_start: vec![0],
            sizes: vec![String::new()],
            ..Index::default()
        }
    }

    /// Build from documents in any order (ids distinct).
    pub fn build(mut docs: Vec<Doc>) -> Index {
        docs.sort_unstable_by_key(|d| d.id);
        let mut ix = Index::new();
        for d in &docs {
            ix.push(d);
        }
        ix
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Append a document; its id must be greater than every id already in.
    pub fn push(&mut self, d: &Doc) {
        debug_assert!(self.ids.last().is_none_or(|l| *l < d.id));
        self.ids.push(d.id);
        push_lower(&mut self.text, &d.name);
        self.text.push(SEP);
        push_lower(&mut self.text, &d.uscc);
        self.text.push(SEP);
        self.text_start.push(self.text.len());
        self.street.push(d.street_id.unwrap_or(NONE));
        self.park.push(d.park_id.unwrap_or(NONE));
        let size = match d.size_band.as_deref() {
            None => 0,
            Some(s) => match self.sizes.iter().position(|x| x == s) {
                Some(p) => p as u8,
                None if self.sizes.len() < 255 => {
                    self.sizes.push(s.to_string());
                    (self.sizes.len() - 1) as u8
                }
                // More than 254 distinct bands cannot happen (the domain has five).
                None => 0,
            },
        };
        self.size.push(size);
        self.nodes
            .extend(d.nodes.iter().map(|&(n, c, e)| [n, c, e]));
        self.node_start.push(self.nodes.len() as u32);
        for t in &d.tags {
            let code = match self.tag_codes.get(t) {
                Some(c) => *c,
                None => {
                    let c = self.tag_names.len() as u32;
                    self.tag_names.push(t.clone());
                    self.tag_codes.insert(t.clone(), c);
                    c
                }
            };
            self.tags.push(code);
        }
        self.tag_start.push(self.tags.len() as u32);
    }

    /// Copy entry `i` of `other` (same dictionaries or a prefix of them) to the end.
    fn push_from(&mut self, other: &Index, i: usize) {
        self.ids.push(other.ids[i]);
        self.text
            .extend_from_slice(&other.text[other.text_start[i]..other.text_start[i + 1]]);
        self.text_start.push(self.text.len());
        self.street.push(other.street[i]);
        self.park.push(other.park[i]);
        self.size.push(other.size[i]);
        self.nodes.extend_from_slice(
            &other.nodes[other.node_start[i] as usize..other.node_start[i + 1] as usize],
        );
        self.node_start.push(self.nodes.len() as u32);
        self.tags.extend_from_slice(
            &other.tags[other.tag_start[i] as usize..other.tag_start[i + 1] as usize],
        );
        self.tag_start.push(self.tags.len() as u32);
    }

    /// A new index with the entries of `changed` ids replaced by `docs` (the current state of
    /// those ids; an id of `changed` without a doc is removed). One merge pass, O(n + k log k).
    pub fn patched(&self, changed: &[i64], mut docs: Vec<Doc>) -> Index {
        let mut changed: Vec<i64> = changed.to_vec();
        changed.extend(docs.iter().map(|d| d.id));
        changed.sort_unstable();
        changed.dedup();
        docs.sort_unstable_by_key(|d| d.id);
        docs.dedup_by_key(|d| d.id);
        let mut out = Index {
            ids: Vec::with_capacity(self.ids.len() + docs.len()),
            text: Vec::with_capacity(self.text.len() + docs.len() * 64),
            text_start: Vec::with_capacity(self.text_start.len() + docs.len()),
            street: Vec::with_capacity(self.ids.len() + docs.len()),
            park: Vec::with_capacity(self.ids.len() + docs.len()),
            size: Vec::with_capacity(self.ids.len() + docs.len()),
            node_start: Vec::with_capacity(self.node_start.len() + docs.len()),
            nodes: Vec::with_capacity(self.nodes.len() + docs.len() * 4),
            tag_start: Vec::with_capacity(self.tag_start.len() + docs.len()),
            tags: Vec::with_capacity(self.tags.len() + docs.len() * 2),
            sizes: self.sizes.clone(),
            tag_names: self.tag_names.clone(),
            tag_codes: self.tag_codes.clone(),
        };
        out.text_start.push(0);
        out.node_start.push(0);
        out.tag_start.push(0);
        let mut d = docs.iter().peekable();
        for i in 0..self.ids.len() {
            let id = self.ids[i];
            while let Some(doc) = d.next_if(|doc| doc.id < id) {
                out.push(doc);
            }
            if changed.binary_search(&id).is_err() {
                out.push_from(self, i);
            }
        }
        for doc in d {
            out.push(doc);
        }
        out
    }

    /// The exact number of entries matching `f`, and the ids of one slice of them in id order:
    /// after the id `after` if given, else skipping `offset`; at most `limit`.
    pub fn query(&self, f: &Filter<'_>, offset: usize, limit: usize, after: Option<i64>) -> Hits {
        let needle = f.q.map(needle).filter(|n| !n.is_empty());
        // A needle with the field separator cannot match (the SQL would not match it either).
        if needle.as_ref().is_some_and(|n| n.contains(&SEP)) {
            return Hits::default();
        }
        let size = match f.size_band {
            None => None,
            Some(s) => match self.sizes.iter().skip(1).position(|x| x == s) {
                Some(p) => Some(p as u8 + 1),
                None => return Hits::default(),
            },
        };
        let tag = match f.tag {
            None => None,
            Some(t) => match self.tag_codes.get(t) {
                Some(c) => Some(*c),
                None => return Hits::default(),
            },
        };
        let start = after.map_or(0, |a| self.ids.partition_point(|id| *id <= a));
        let mut hits = Hits::default();
        let take = |hits: &mut Hits, i: usize, seen: usize| {
            // `seen` = matches before this one.
            let in_slice = match after {
                Some(_) => i >= start && hits.ids.len() < limit,
                None => seen >= offset && hits.ids.len() < limit,
            };
            if in_slice {
                hits.ids.push(self.ids[i]);
            }
        };
        let plain = f.ecosystem_id.is_none()
            && f.chain_id.is_none()
            && f.node_id.is_none()
            && f.street_id.is_none()
            && f.park_id.is_none()
            && tag.is_none()
            && size.is_none()
            && f.only_id.is_none();
        if plain && needle.is_none() {
            // No filter: the total is the length, the slice a range.
            hits.total = self.ids.len();
            let from = if after.is_some() {
                start
            } else {
                offset.min(self.ids.len())
            };
            let to = from.saturating_add(limit).min(self.ids.len());
            hits.ids = self.ids[from..to].to_vec();
            return hits;
        }
        let matches = |i: usize| -> bool {
            if let Some(id) = f.only_id
                && self.ids[i] != id
            {
                return false;
            }
            if let Some(s) = f.street_id
                && self.street[i] != s
            {
                return false;
            }
            if let Some(p) = f.park_id
                && self.park[i] != p
            {
                return false;
            }
            if let Some(s) = size
                && self.size[i] != s
            {
                return false;
            }
            if f.node_id.is_some() || f.chain_id.is_some() || f.ecosystem_id.is_some() {
                let ns = &self.nodes[self.node_start[i] as usize..self.node_start[i + 1] as usize];
                for (k, v) in [(0, f.node_id), (1, f.chain_id), (2, f.ecosystem_id)] {
                    if let Some(v) = v
                        && !ns.iter().any(|n| n[k] == v)
                    {
                        return false;
                    }
                }
            }
            if let Some(t) = tag
                && !self.tags[self.tag_start[i] as usize..self.tag_start[i + 1] as usize]
                    .contains(&t)
            {
                return false;
            }
            true
        };
        match needle {
            None => {
                for i in 0..self.ids.len() {
                    if matches(i) {
                        let seen = hits.total;
                        take(&mut hits, i, seen);
                        hits.total += 1;
                    }
                }
            }
            Some(n) => {
                let finder = memchr::memmem::Finder::new(&n);
                let mut pos = 0;
                while let Some(m) = finder.find(&self.text[pos..]) {
                    let at = pos + m;
                    let i = self.text_start.partition_point(|s| *s <= at) - 1;
                    if matches(i) {
                        let seen = hits.total;
                        take(&mut hits, i, seen);
                        hits.total += 1;
                    }
                    pos = self.text_start[i + 1];
                }
            }
        }
        hits
    }
}

fn push_lower(out: &mut Vec<u8>, s: &str) {
    out.extend(s.bytes().map(|b| b.to_ascii_lowercase()));
}

/// The query as the SQL uses it: trimmed, `%` and `_` removed, ASCII lowercase.
fn needle(q: &str) -> Vec<u8> {
    q.trim()
        .bytes()
        .filter(|b| *b != b'%' && *b != b'_')
        .map(|b| b.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(
        id: i64,
        name: &str,
        street: Option<i64>,
        nodes: &[(i64, i64, i64)],
        tags: &[&str],
    ) -> Doc {
        Doc {
            id,
            name: name.into(),
            uscc: format!("91330108MA{id:08}"),
            street_id: street,
            park_id: None,
            size_band: Some(if id % 2 == 0 { "small" } else { "micro" }.into()),
            nodes: nodes.to_vec(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn sample() -> Index {
        Index::build(vec![
            doc(3, "杭州智能科技", Some(1), &[(10, 5, 1)], &["高新"]),
            doc(1, "Alpha 智能", Some(2), &[(11, 5, 1), (20, 6, 1)], &[]),
            doc(2, "乙制造", Some(1), &[(20, 6, 1)], &["高新", "专精特新"]),
            doc(5, "丙智能X", None, &[], &["专精特新"]),
        ])
    }

    fn ids(ix: &Index, f: &Filter<'_>) -> (usize, Vec<i64>) {
        let h = ix.query(f, 0, 100, None);
        (h.total, h.ids)
    }

    #[test]
    fn a_name_substring_matches_once_per_enterprise_and_ignores_ascii_case() {
        let ix = sample();
        let f = Filter {
            q: Some(" 智能 "),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (3, vec![1, 3, 5]));
        let f = Filter {
            q: Some("ALPHA"),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (1, vec![1]));
        let f = Filter {
            q: Some("ma00000002"),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (1, vec![2]));
        // `%` and `_` are dropped as in the SQL; a match never spans name and code.
        let f = Filter {
            q: Some("智_能%x"),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (1, vec![5]));
        let f = Filter {
            q: Some("技9"),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (0, vec![]));
    }

    #[test]
    fn link_filters_are_met_by_any_position_independently() {
        let ix = sample();
        let f = Filter {
            chain_id: Some(6),
            ecosystem_id: Some(1),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (2, vec![1, 2]));
        let f = Filter {
            chain_id: Some(5),
            tag: Some("高新"),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (1, vec![3]));
        let f = Filter {
            tag: Some("unknown"),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (0, vec![]));
        let f = Filter {
            street_id: Some(1),
            size_band: Some("small"),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (1, vec![2]));
    }

    #[test]
    fn slices_page_by_offset_or_after_with_the_full_total() {
        let ix = sample();
        let all = Filter::default();
        assert_eq!(
            ix.query(&all, 1, 2, None),
            Hits {
                total: 4,
                ids: vec![2, 3]
            }
        );
        assert_eq!(
            ix.query(&all, 0, 2, Some(2)),
            Hits {
                total: 4,
                ids: vec![3, 5]
            }
        );
        assert_eq!(
            ix.query(&all, 9, 2, None),
            Hits {
                total: 4,
                ids: vec![]
            }
        );
        let f = Filter {
            tag: Some("专精特新"),
            ..Filter::default()
        };
        assert_eq!(
            ix.query(&f, 1, 5, None),
            Hits {
                total: 2,
                ids: vec![5]
            }
        );
        assert_eq!(
            ix.query(&f, 0, 5, Some(2)),
            Hits {
                total: 2,
                ids: vec![5]
            }
        );
    }

    #[test]
    fn a_patch_replaces_inserts_and_removes_entries() {
        let ix = sample();
        let p = ix.patched(
            &[2, 3],
            vec![
                doc(3, "新名字", Some(9), &[], &["新标签"]),
                doc(4, "丁智能", None, &[], &[]),
            ],
        );
        assert_eq!(p.len(), 4);
        let f = Filter {
            q: Some("智能"),
            ..Filter::default()
        };
        assert_eq!(ids(&p, &f), (3, vec![1, 4, 5]));
        let f = Filter {
            tag: Some("新标签"),
            street_id: Some(9),
            ..Filter::default()
        };
        assert_eq!(ids(&p, &f), (1, vec![3]));
        let f = Filter {
            tag: Some("高新"),
            ..Filter::default()
        };
        assert_eq!(ids(&p, &f), (0, vec![]));
        assert_eq!(
            p.query(&Filter::default(), 0, 10, None).ids,
            vec![1, 3, 4, 5]
        );
    }
}
