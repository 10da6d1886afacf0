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
use std::sync::{Arc, Mutex};

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
    /// Only these ids (sorted ascending): the enterprises an actor may see. An empty slice
    /// matches nothing.
    pub only_ids: Option<&'a [i64]>,
}

/// Result of [`Index::query`]: the exact number of matches and the ids of the slice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hits {
    pub total: usize,
    pub ids: Vec<i64>,
}

/// The index. Cheap to query concurrently (`&self`); changes build a new one.
#[derive(Debug, Default)]
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
    /// Posting lists (sorted entry positions) of the equality filters asked so far, built on
    /// first use by one pass over the column.
    postings: Mutex<HashMap<Key, Arc<Vec<u32>>>>,
}

/// One equality filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Street(i64),
    Park(i64),
    Size(u8),
    Node(i64),
    Chain(i64),
    Ecosystem(i64),
    Tag(u32),
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
            postings: Mutex::default(),
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
        let mut lists: Vec<Arc<Vec<u32>>> = Vec::new();
        for key in [
            f.street_id.map(Key::Street),
            f.park_id.map(Key::Park),
            size.map(Key::Size),
            f.node_id.map(Key::Node),
            f.chain_id.map(Key::Chain),
            f.ecosystem_id.map(Key::Ecosystem),
            tag.map(Key::Tag),
        ]
        .into_iter()
        .flatten()
        {
            lists.push(self.posting(key));
        }
        if let Some(id) = f.only_id {
            let one = match self.ids.binary_search(&id) {
                Ok(i) => vec![i as u32],
                Err(_) => Vec::new(),
            };
            lists.push(Arc::new(one));
        }
        if let Some(ids) = f.only_ids {
            // Both sorted: one merge walk gives the positions in order.
            let mut at = Vec::with_capacity(ids.len().min(self.ids.len()));
            let mut from = 0;
            for id in ids {
                from += self.ids[from..].partition_point(|x| x < id);
                if self.ids.get(from) == Some(id) {
                    at.push(from as u32);
                }
            }
            lists.push(Arc::new(at));
        }
        lists.sort_by_key(|l| l.len());
        let scanned;
        let found: &[u32] = match (&needle, lists.first()) {
            (Some(n), _) => {
                scanned = intersect(self.scan(n), &lists);
                &scanned
            }
            (None, Some(first)) if lists.len() == 1 => first,
            (None, Some(first)) => {
                scanned = intersect(first.to_vec(), &lists[1..]);
                &scanned
            }
            (None, None) => {
                // No filter: the total is the length, the slice a range of ids.
                let from = match after {
                    Some(a) => self.ids.partition_point(|id| *id <= a),
                    None => offset.min(self.ids.len()),
                };
                let to = from.saturating_add(limit).min(self.ids.len());
                return Hits {
                    total: self.ids.len(),
                    ids: self.ids[from..to].to_vec(),
                };
            }
        };
        let from = match after {
            Some(a) => found.partition_point(|i| self.ids[*i as usize] <= a),
            None => offset.min(found.len()),
        };
        let to = from.saturating_add(limit).min(found.len());
        Hits {
            total: found.len(),
            ids: found[from..to]
                .iter()
                .map(|i| self.ids[*i as usize])
                .collect(),
        }
    }

    /// Positions of the entries whose name or credit code contains `needle` (lowercase, not
    /// empty), each once, in order.
    fn scan(&self, needle: &[u8]) -> Vec<u32> {
        let n = self.ids.len();
        if n < 200_000 {
            return self.scan_range(needle, 0, n);
        }
        // Large: two halves on two threads.
        let mid = n / 2;
        let (mut a, b) = std::thread::scope(|s| {
            let h = s.spawn(|| self.scan_range(needle, mid, n));
            let a = self.scan_range(needle, 0, mid);
            (a, h.join().unwrap_or_default())
        });
        a.extend(b);
        a
    }

    /// [`Index::scan`] over the entries `from..to`.
    fn scan_range(&self, needle: &[u8], from: usize, to: usize) -> Vec<u32> {
        let finder = memchr::memmem::Finder::new(needle);
        let text = &self.text[..self.text_start[to]];
        let mut out = Vec::new();
        let mut pos = self.text_start[from];
        let mut i = from;
        while let Some(m) = finder.find(&text[pos..]) {
            let at = pos + m;
            // Hits come in increasing order: gallop forward from the last entry.
            let mut step = 1;
            while i + step < to && self.text_start[i + step] <= at {
                i += step;
                step *= 2;
            }
            i += self.text_start[i + 1..=to].partition_point(|s| *s <= at);
            out.push(i as u32);
            pos = self.text_start[i + 1];
        }
        out
    }

    /// The posting list of an equality filter (cached).
    fn posting(&self, key: Key) -> Arc<Vec<u32>> {
        if let Some(p) = self.lock().get(&key) {
            return p.clone();
        }
        let nodes =
            |i: usize| &self.nodes[self.node_start[i] as usize..self.node_start[i + 1] as usize];
        let has: Box<dyn Fn(usize) -> bool + '_> = match key {
            Key::Street(v) => Box::new(move |i| self.street[i] == v),
            Key::Park(v) => Box::new(move |i| self.park[i] == v),
            Key::Size(v) => Box::new(move |i| self.size[i] == v),
            Key::Node(v) => Box::new(move |i| nodes(i).iter().any(|n| n[0] == v)),
            Key::Chain(v) => Box::new(move |i| nodes(i).iter().any(|n| n[1] == v)),
            Key::Ecosystem(v) => Box::new(move |i| nodes(i).iter().any(|n| n[2] == v)),
            Key::Tag(v) => Box::new(move |i| {
                self.tags[self.tag_start[i] as usize..self.tag_start[i + 1] as usize].contains(&v)
            }),
        };
        let p: Arc<Vec<u32>> = Arc::new(
            (0..self.ids.len())
                .filter(|i| has(*i))
                .map(|i| i as u32)
                .collect(),
        );
        self.lock().insert(key, p.clone());
        p
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<Vec<u32>>>> {
        self.postings.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `a` ∩ every list of `others` (all sorted), keeping `a`'s order.
fn intersect(mut a: Vec<u32>, others: &[Arc<Vec<u32>>]) -> Vec<u32> {
    for b in others {
        let mut j = 0;
        a.retain(|x| {
            // Gallop in `b` to the first element ≥ x.
            let mut step = 1;
            while j + step < b.len() && b[j + step] < *x {
                j += step;
                step *= 2;
            }
            let end = (j + step + 1).min(b.len());
            j += b[j..end].partition_point(|y| y < x);
            j < b.len() && b[j] == *x
        });
    }
    a
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
    fn an_allowed_id_set_limits_the_total_and_the_slice_and_an_empty_set_matches_nothing() {
        let ix = sample();
        let allowed = [2, 4, 5];
        let f = Filter {
            only_ids: Some(&allowed),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (2, vec![2, 5]));
        let f = Filter {
            q: Some("智能"),
            only_ids: Some(&allowed),
            ..Filter::default()
        };
        assert_eq!(ids(&ix, &f), (1, vec![5]));
        let f = Filter {
            only_ids: Some(&[]),
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
