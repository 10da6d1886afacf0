//! Enterprises (一企一档), their chain positions and tags.
//!
//! Lists use indexed filters and `ORDER BY id` with LIMIT/OFFSET or an `after` keyset cursor, so
//! no request scans the whole table for a page. Writes take an open connection or transaction so
//! that the app can put the audit entry in the same transaction.

use crate::sql::{Arg, Conn, Row, Where};
use crate::{Backend, Db, Result, StoreError, dialect, now_text};
use std::collections::HashMap;

/// An enterprise as stored.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct EnterpriseRow {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub industry_code: Option<String>,
    pub registered_on: Option<String>,
    pub ownership: Option<String>,
    pub street_id: Option<i64>,
    pub park_id: Option<i64>,
    pub building_id: Option<i64>,
    pub address: Option<String>,
    pub headcount: Option<i64>,
    pub tech_staff: Option<i64>,
    pub revenue_fen: Option<i64>,
    pub rd_fen: Option<i64>,
    pub tax_fen: Option<i64>,
    pub size_band: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
    /// Chain node ids, in id order.
    pub node_ids: Vec<i64>,
    pub tags: Vec<String>,
}

/// A chain position with its chain and ecosystem (denormalised for indexed filters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct NodeLink {
    pub node_id: i64,
    pub chain_id: i64,
    pub ecosystem_id: i64,
}

/// All stored fields of an enterprise, for insert and update.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct EnterpriseWrite {
    pub uscc: String,
    pub name: String,
    pub industry_code: Option<String>,
    pub registered_on: Option<String>,
    pub ownership: Option<String>,
    pub street_id: Option<i64>,
    pub park_id: Option<i64>,
    pub building_id: Option<i64>,
    pub address: Option<String>,
    pub headcount: Option<i64>,
    pub tech_staff: Option<i64>,
    pub revenue_fen: Option<i64>,
    pub rd_fen: Option<i64>,
    pub tax_fen: Option<i64>,
    pub size_band: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub nodes: Vec<NodeLink>,
    pub tags: Vec<String>,
}

/// The columns the app's list index (`lianshi-search`) holds of one enterprise.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexRow {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub street_id: Option<i64>,
    pub park_id: Option<i64>,
    pub size_band: Option<String>,
    pub nodes: Vec<NodeLink>,
    pub tags: Vec<String>,
}

/// Filters of the enterprise list. All are ANDed; `None` means no filter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnterpriseFilter {
    /// Substring of the name, or prefix of the credit code.
    pub q: Option<String>,
    pub ecosystem_id: Option<i64>,
    pub chain_id: Option<i64>,
    pub node_id: Option<i64>,
    pub street_id: Option<i64>,
    pub park_id: Option<i64>,
    pub tag: Option<String>,
    pub size_band: Option<String>,
    /// Restrict to one enterprise (scope of an enterprise user).
    pub only_id: Option<i64>,
}

/// Which slice of the list: `after` (keyset, id of the last row seen) wins over `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub limit: i64,
    pub offset: i64,
    pub after: Option<i64>,
}

const COLS: &str = "id, uscc, name, industry_code, registered_on, ownership, street_id, park_id, building_id, address, headcount, tech_staff, revenue_fen, rd_fen, tax_fen, size_band, contact_name, contact_phone, created_at, updated_at, version";

fn row(r: &Row) -> Result<EnterpriseRow> {
    Ok(EnterpriseRow {
        id: r.try_get("id")?,
        uscc: r.try_get("uscc")?,
        name: r.try_get("name")?,
        industry_code: r.try_get("industry_code")?,
        registered_on: r.try_get("registered_on")?,
        ownership: r.try_get("ownership")?,
        street_id: r.try_get("street_id")?,
        park_id: r.try_get("park_id")?,
        building_id: r.try_get("building_id")?,
        address: r.try_get("address")?,
        headcount: r.try_get("headcount")?,
        tech_staff: r.try_get("tech_staff")?,
        revenue_fen: r.try_get("revenue_fen")?,
        rd_fen: r.try_get("rd_fen")?,
        tax_fen: r.try_get("tax_fen")?,
        size_band: r.try_get("size_band")?,
        contact_name: r.try_get("contact_name")?,
        contact_phone: r.try_get("contact_phone")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
        node_ids: Vec::new(),
        tags: Vec::new(),
    })
}

/// How the chain-position and tag filters are written: `IN (SELECT …)` (best when the linked set
/// is small: the set drives the lookup) or a correlated `EXISTS` (best when it is large: the
/// list walks enterprises in id order and stops after one page).
#[derive(Clone, Copy, PartialEq, Eq)]
enum LinkForm {
    In,
    Exists,
}

/// A linked set with at least this many rows is "large" (see [`LinkForm`]).
const LARGE_LINK_SET: i64 = 5000;

fn filter_where(backend: Backend, f: &EnterpriseFilter, form: LinkForm) -> Where {
    let mut w = Where::default();
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let like = dialect::ilike(backend);
        let pat = format!("%{}%", q.replace(['%', '_'], ""));
        w.push(
            |n| format!("(e.name {like} ${n} OR e.uscc LIKE ${n})"),
            Arg::Text(pat),
        );
    }
    if let Some(id) = f.only_id {
        w.push(|n| format!("e.id = ${n}"), Arg::I64(id));
    }
    for (col, v) in [
        ("ecosystem_id", f.ecosystem_id),
        ("chain_id", f.chain_id),
        ("node_id", f.node_id),
    ] {
        if let Some(v) = v {
            w.push(
                |n| match form {
                    LinkForm::In => format!(
                        "e.id IN (SELECT enterprise_id FROM enterprise_nodes WHERE {col} = ${n})"
                    ),
                    LinkForm::Exists => format!(
                        "EXISTS (SELECT 1 FROM enterprise_nodes l WHERE l.enterprise_id = e.id AND l.{col} = ${n})"
                    ),
                },
                Arg::I64(v),
            );
        }
    }
    if let Some(v) = f.street_id {
        w.push(|n| format!("e.street_id = ${n}"), Arg::I64(v));
    }
    if let Some(v) = f.park_id {
        w.push(|n| format!("e.park_id = ${n}"), Arg::I64(v));
    }
    if let Some(t) = &f.tag {
        w.push(
            |n| match form {
                LinkForm::In => {
                    format!("e.id IN (SELECT enterprise_id FROM enterprise_tags WHERE tag = ${n})")
                }
                LinkForm::Exists => format!(
                    "EXISTS (SELECT 1 FROM enterprise_tags l WHERE l.enterprise_id = e.id AND l.tag = ${n})"
                ),
            },
            Arg::Text(t.clone()),
        );
    }
    if let Some(s) = &f.size_band {
        w.push(|n| format!("e.size_band = ${n}"), Arg::Text(s.clone()));
    }
    w
}

/// The count query of a filter that is exactly one chain-position or tag filter.
fn link_only(f: &EnterpriseFilter) -> Option<(String, Arg)> {
    let plain = f.q.as_deref().is_none_or(|q| q.trim().is_empty())
        && f.only_id.is_none()
        && f.street_id.is_none()
        && f.park_id.is_none()
        && f.size_band.is_none();
    if !plain {
        return None;
    }
    match (f.ecosystem_id, f.chain_id, f.node_id, &f.tag) {
        // An enterprise has several nodes, possibly in one chain: count it once.
        (Some(v), None, None, None) => Some((
            "SELECT COUNT(DISTINCT enterprise_id) AS n FROM enterprise_nodes WHERE ecosystem_id = $1".into(),
            Arg::I64(v),
        )),
        (None, Some(v), None, None) => Some((
            "SELECT COUNT(DISTINCT enterprise_id) AS n FROM enterprise_nodes WHERE chain_id = $1".into(),
            Arg::I64(v),
        )),
        // (enterprise_id, node_id) and (enterprise_id, tag) are primary keys.
        (None, None, Some(v), None) => Some((
            "SELECT COUNT(*) AS n FROM enterprise_nodes WHERE node_id = $1".into(),
            Arg::I64(v),
        )),
        (None, None, None, Some(t)) => Some((
            "SELECT COUNT(*) AS n FROM enterprise_tags WHERE tag = $1".into(),
            Arg::Text(t.clone()),
        )),
        _ => None,
    }
}

impl Db {
    /// These enterprises (ids from the list index), in id order, with chain nodes and tags.
    /// Ids that do not exist are skipped.
    pub async fn enterprise_by_ids(&self, ids: &[i64]) -> Result<Vec<EnterpriseRow>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            // The ids are integers, so inlining them is safe.
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let rows = crate::sql::query(&format!(
                "SELECT {COLS} FROM enterprises WHERE id IN ({list}) ORDER BY id"
            ))
            .persistent(false)
            .fetch_all(self.reader())
            .await?;
            for r in &rows {
                out.push(row(r)?);
            }
        }
        out.sort_by_key(|r| r.id);
        self.fill_links(&mut out).await?;
        Ok(out)
    }

    /// The list-index columns of every enterprise (`ids = None`) or of these ids, in id order.
    /// Read in id ranges so that a full load of 1 M enterprises never holds all driver rows.
    pub async fn enterprise_index_rows(&self, ids: Option<&[i64]>) -> Result<Vec<IndexRow>> {
        // A full load of a SQLite file: one snapshot through SQLite's C API (`bulk`), the link
        // rows merged in as they come (both in enterprise order).
        if ids.is_none()
            && let Some(rows) = self.sqlite_bulk(index_rows_sqlite).await?
        {
            return Ok(rows);
        }
        const CHUNK: i64 = 50_000;
        let mut out: Vec<IndexRow> = Vec::new();
        let mut chunks: Vec<String> = Vec::new();
        if let Some(ids) = ids {
            for c in ids.chunks(500) {
                let list = c.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                chunks.push(format!("IN ({list})"));
            }
        }
        let mut after = 0i64;
        let mut k = 0usize;
        loop {
            // Either the next id range of a full load or the next chunk of the given ids.
            let (ents, cond) = match ids {
                None => {
                    let rows = crate::sql::query(
                        "SELECT id, name, uscc, street_id, park_id, size_band FROM enterprises WHERE id > $1 ORDER BY id LIMIT $2",
                    )
                    .bind(after)
                    .bind(CHUNK)
                    .fetch_all(self.reader())
                    .await?;
                    let Some(last) = rows.last() else { break };
                    let hi: i64 = last.try_get("id")?;
                    let cond = format!("> {after} AND enterprise_id <= {hi}");
                    after = hi;
                    (rows, cond)
                }
                Some(_) => {
                    let Some(c) = chunks.get(k) else { break };
                    k += 1;
                    let rows = crate::sql::query(&format!(
                        "SELECT id, name, uscc, street_id, park_id, size_band FROM enterprises WHERE id {c} ORDER BY id"
                    ))
                    .persistent(false)
                    .fetch_all(self.reader())
                    .await?;
                    (rows, c.clone())
                }
            };
            let base = out.len();
            for r in &ents {
                out.push(IndexRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    uscc: r.try_get("uscc")?,
                    street_id: r.try_get("street_id")?,
                    park_id: r.try_get("park_id")?,
                    size_band: r.try_get("size_band")?,
                    nodes: Vec::new(),
                    tags: Vec::new(),
                });
            }
            drop(ents);
            let part = &mut out[base..];
            let find = |part: &[IndexRow], id: i64| part.binary_search_by_key(&id, |r| r.id).ok();
            let nodes = crate::sql::query(&format!(
                "SELECT enterprise_id, node_id, chain_id, ecosystem_id FROM enterprise_nodes WHERE enterprise_id {cond} ORDER BY enterprise_id, node_id"
            ))
            .persistent(false)
            .fetch_all(self.reader())
            .await?;
            for n in &nodes {
                if let Some(i) = find(part, n.try_get("enterprise_id")?) {
                    part[i].nodes.push(NodeLink {
                        node_id: n.try_get("node_id")?,
                        chain_id: n.try_get("chain_id")?,
                        ecosystem_id: n.try_get("ecosystem_id")?,
                    });
                }
            }
            drop(nodes);
            let tags = crate::sql::query(&format!(
                "SELECT enterprise_id, tag FROM enterprise_tags WHERE enterprise_id {cond} ORDER BY enterprise_id, tag"
            ))
            .persistent(false)
            .fetch_all(self.reader())
            .await?;
            for t in &tags {
                if let Some(i) = find(part, t.try_get("enterprise_id")?) {
                    part[i].tags.push(t.try_get("tag")?);
                }
            }
        }
        Ok(out)
    }

    /// One slice of the filtered list, with chain nodes and tags filled in.
    pub async fn enterprise_list(
        &self,
        f: &EnterpriseFilter,
        s: Slice,
    ) -> Result<Vec<EnterpriseRow>> {
        let form = self.link_form(f).await?;
        let mut w = filter_where(self.backend(), f, form);
        if let Some(a) = s.after {
            w.push(|n| format!("e.id > ${n}"), Arg::I64(a));
        }
        let offset = if s.after.is_some() {
            0
        } else {
            s.offset.max(0)
        };
        let sql = format!(
            "SELECT {} FROM enterprises e{} ORDER BY e.id LIMIT {} OFFSET {}",
            COLS.split(", ")
                .map(|c| format!("e.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
            w.text(),
            s.limit.clamp(1, 10_000),
            offset
        );
        let rows = crate::sql::query(&sql)
            .bind_all(&w.args)
            .fetch_all(self.reader())
            .await?;
        let mut out: Vec<EnterpriseRow> = rows.iter().map(row).collect::<Result<_>>()?;
        self.fill_links(&mut out).await?;
        Ok(out)
    }

    /// How many enterprises match the filter.
    pub async fn enterprise_count(&self, f: &EnterpriseFilter) -> Result<i64> {
        // A single chain-position or tag filter is counted from its link table's covering index
        // alone, without visiting the enterprise rows.
        if let Some((sql, arg)) = link_only(f) {
            let r = crate::sql::query(&sql)
                .bind(arg.clone())
                .fetch_one(self.reader())
                .await?;
            return Ok(r.try_get("n")?);
        }
        let w = filter_where(self.backend(), f, LinkForm::In);
        let sql = format!("SELECT COUNT(*) AS n FROM enterprises e{}", w.text());
        let r = crate::sql::query(&sql)
            .bind_all(&w.args)
            .fetch_one(self.reader())
            .await?;
        Ok(r.try_get("n")?)
    }

    /// [`LinkForm::Exists`] when every chain-position and tag filter selects a large set.
    async fn link_form(&self, f: &EnterpriseFilter) -> Result<LinkForm> {
        let mut probes: Vec<(String, Arg)> = Vec::new();
        for (col, v) in [
            ("ecosystem_id", f.ecosystem_id),
            ("chain_id", f.chain_id),
            ("node_id", f.node_id),
        ] {
            if let Some(v) = v {
                probes.push((
                    format!("SELECT enterprise_id FROM enterprise_nodes WHERE {col} = $1"),
                    Arg::I64(v),
                ));
            }
        }
        if let Some(t) = &f.tag {
            probes.push((
                "SELECT enterprise_id FROM enterprise_tags WHERE tag = $1".into(),
                Arg::Text(t.clone()),
            ));
        }
        if probes.is_empty() || f.only_id.is_some() {
            return Ok(LinkForm::In);
        }
        for (sub, arg) in probes {
            let sql = format!("SELECT COUNT(*) AS n FROM ({sub} LIMIT {LARGE_LINK_SET}) s");
            let r = crate::sql::query(&sql)
                .bind(arg.clone())
                .fetch_one(self.reader())
                .await?;
            let n: i64 = r.try_get("n")?;
            if n < LARGE_LINK_SET {
                return Ok(LinkForm::In);
            }
        }
        Ok(LinkForm::Exists)
    }

    async fn fill_links(&self, rows: &mut [EnterpriseRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
        let list = ids.join(",");
        let mut pos: HashMap<i64, usize> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            pos.insert(r.id, i);
        }
        // The ids are integers from our own rows, so inlining them is safe.
        let nodes = crate::sql::query(&format!(
            "SELECT enterprise_id, node_id FROM enterprise_nodes WHERE enterprise_id IN ({list}) ORDER BY enterprise_id, node_id"
        ))
        .fetch_all(self.reader())
        .await?;
        for n in nodes {
            let e: i64 = n.try_get("enterprise_id")?;
            if let Some(i) = pos.get(&e) {
                rows[*i].node_ids.push(n.try_get("node_id")?);
            }
        }
        let tags = crate::sql::query(&format!(
            "SELECT enterprise_id, tag FROM enterprise_tags WHERE enterprise_id IN ({list}) ORDER BY enterprise_id, tag"
        ))
        .fetch_all(self.reader())
        .await?;
        for t in tags {
            let e: i64 = t.try_get("enterprise_id")?;
            if let Some(i) = pos.get(&e) {
                rows[*i].tags.push(t.try_get("tag")?);
            }
        }
        Ok(())
    }

    pub async fn enterprise_by_uscc(&self, uscc: &str) -> Result<Option<EnterpriseRow>> {
        let r = crate::sql::query(&format!("SELECT {COLS} FROM enterprises WHERE uscc = $1"))
            .bind(uscc)
            .fetch_optional(self.reader())
            .await?;
        self.one_with_links(r).await
    }

    pub async fn enterprise_by_id(&self, id: i64) -> Result<Option<EnterpriseRow>> {
        let r = crate::sql::query(&format!("SELECT {COLS} FROM enterprises WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        self.one_with_links(r).await
    }

    async fn one_with_links(&self, r: Option<Row>) -> Result<Option<EnterpriseRow>> {
        match r {
            None => Ok(None),
            Some(r) => {
                let mut v = vec![row(&r)?];
                self.fill_links(&mut v).await?;
                Ok(v.pop())
            }
        }
    }

    /// Every credit code already stored, for import planning (created vs updated).
    pub async fn enterprise_usccs(&self) -> Result<std::collections::HashSet<String>> {
        let rows = crate::sql::query("SELECT uscc FROM enterprises")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("uscc")?))
            .collect()
    }

    /// Distinct tags in use with their counts, most used first.
    pub async fn enterprise_tag_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = crate::sql::query(
            "SELECT tag, COUNT(*) AS n FROM enterprise_tags GROUP BY tag ORDER BY n DESC, tag",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("tag")?, r.try_get("n")?)))
            .collect()
    }
}

fn bind_write<'q>(q: crate::sql::Query<'q>, w: &'q EnterpriseWrite) -> crate::sql::Query<'q> {
    q.bind(w.uscc.as_str())
        .bind(w.name.as_str())
        .bind(w.industry_code.as_deref())
        .bind(w.registered_on.as_deref())
        .bind(w.ownership.as_deref())
        .bind(w.street_id)
        .bind(w.park_id)
        .bind(w.building_id)
        .bind(w.address.as_deref())
        .bind(w.headcount)
        .bind(w.tech_staff)
        .bind(w.revenue_fen)
        .bind(w.rd_fen)
        .bind(w.tax_fen)
        .bind(w.size_band.as_deref())
        .bind(w.contact_name.as_deref())
        .bind(w.contact_phone.as_deref())
}

const INSERT: &str = "INSERT INTO enterprises (uscc, name, industry_code, registered_on, ownership, street_id, park_id, building_id, address, headcount, tech_staff, revenue_fen, rd_fen, tax_fen, size_band, contact_name, contact_phone, created_at, updated_at, version) \
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, 1)";

const ON_CONFLICT_UPDATE: &str = "ON CONFLICT (uscc) DO UPDATE SET name = excluded.name, industry_code = excluded.industry_code, registered_on = excluded.registered_on, ownership = excluded.ownership, street_id = excluded.street_id, park_id = excluded.park_id, building_id = excluded.building_id, address = excluded.address, headcount = excluded.headcount, tech_staff = excluded.tech_staff, revenue_fen = excluded.revenue_fen, rd_fen = excluded.rd_fen, tax_fen = excluded.tax_fen, size_band = excluded.size_band, contact_name = excluded.contact_name, contact_phone = excluded.contact_phone, updated_at = excluded.updated_at, version = enterprises.version + 1";

/// Insert a new enterprise; a used credit code is a conflict.
pub async fn enterprise_insert(conn: &mut Conn, w: &EnterpriseWrite) -> Result<i64> {
    let now = now_text();
    let r = bind_write(crate::sql::query(&format!("{INSERT} RETURNING id")), w)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            StoreError::from_write(e, "统一社会信用代码已存在 / credit code already exists")
        })?;
    let id: i64 = r.try_get("id")?;
    write_links(conn, id, w, false, false).await?;
    Ok(id)
}

/// Insert or update by credit code (import). `known_new` skips clearing links that cannot exist.
/// Returns the enterprise id.
pub async fn enterprise_upsert(
    conn: &mut Conn,
    w: &EnterpriseWrite,
    known_new: bool,
) -> Result<i64> {
    let id = upsert_row(conn, w).await?;
    write_links(conn, id, w, !known_new, !known_new).await?;
    Ok(id)
}

/// Enterprises per batch of [`enterprise_upsert_many`].
const UPSERT_BATCH: usize = 500;

/// Link rows per multi-row INSERT (a node row binds 4 values, a tag row 2).
const LINKS_PER_STATEMENT: usize = 200;

/// Insert or update many enterprises by credit code (bulk import), with the same effect as
/// calling [`enterprise_upsert`] for each in order, but writing the chain-node and tag rows of
/// each batch of enterprises with a few multi-row statements instead of one statement per link.
/// `known_new(w)` says that `w`'s credit code cannot exist yet (its links need no clearing).
/// Credit codes must be distinct within `rows`. Returns the ids in the order of `rows`.
pub async fn enterprise_upsert_many(
    conn: &mut Conn,
    rows: &[EnterpriseWrite],
    known_new: impl Fn(&EnterpriseWrite) -> bool,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    let mut replace = Vec::new();
    let mut nodes: Vec<(i64, NodeLink)> = Vec::new();
    let mut tags: Vec<(i64, &str)> = Vec::new();
    let now = now_text();
    for batch in rows.chunks(UPSERT_BATCH) {
        replace.clear();
        nodes.clear();
        tags.clear();
        for part in batch.chunks(ROWS_PER_UPSERT) {
            let part_ids = upsert_rows(conn, part, &now).await?;
            for (w, id) in part.iter().zip(part_ids) {
                if !known_new(w) {
                    replace.push(id);
                }
                nodes.extend(w.nodes.iter().map(|n| (id, *n)));
                tags.extend(w.tags.iter().map(|t| (id, t.as_str())));
                ids.push(id);
            }
        }
        clear_links(conn, &replace, true).await?;
        insert_node_rows(conn, &nodes).await?;
        insert_tag_rows(conn, &tags).await?;
    }
    Ok(ids)
}

/// `INSERT … ON CONFLICT (uscc) DO UPDATE … RETURNING id`, built once.
fn upsert_sql() -> &'static str {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{INSERT} {ON_CONFLICT_UPDATE} RETURNING id"));
    &SQL
}

async fn upsert_row(conn: &mut Conn, w: &EnterpriseWrite) -> Result<i64> {
    let r = bind_write(crate::sql::query(upsert_sql()), w)
        .bind(now_text())
        .fetch_one(&mut *conn)
        .await?;
    Ok(r.try_get("id")?)
}

/// Enterprises per multi-row upsert statement of [`enterprise_upsert_many`] (19 values each).
const ROWS_PER_UPSERT: usize = 100;

/// Upsert `rows` (distinct credit codes) with one multi-row `INSERT … ON CONFLICT (uscc) DO
/// UPDATE … RETURNING id, uscc`, all stamped `now`: one statement instead of one per row, which
/// on SQLite is one hop to the driver's worker thread instead of a hundred. The ids come back
/// in no promised order, so they are matched to the rows by credit code. Returns them in the
/// order of `rows`.
async fn upsert_rows(conn: &mut Conn, rows: &[EnterpriseWrite], now: &str) -> Result<Vec<i64>> {
    if rows.len() == 1 {
        return Ok(vec![upsert_row(conn, &rows[0]).await?]);
    }
    // 19 bound values and the version, 1.
    let values = crate::value_rows_with(conn, rows.len(), 19, ", 1");
    let head = INSERT.split(" VALUES ").next().unwrap_or(INSERT);
    let sql = format!("{head} VALUES {values} {ON_CONFLICT_UPDATE} RETURNING id, uscc");
    let mut q = crate::sql::query(&sql);
    for w in rows {
        q = bind_write(q, w).bind(now).bind(now);
    }
    let mut by_code: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    for r in q.fetch_all(&mut *conn).await? {
        by_code.insert(r.try_get("uscc")?, r.try_get("id")?);
    }
    rows.iter()
        .map(|w| {
            by_code.get(&w.uscc).copied().ok_or_else(|| {
                StoreError::Conflict(format!("credit code {} given twice in one batch", w.uscc))
            })
        })
        .collect()
}

/// Update an enterprise if its version is still `expected_version` (optimistic lock).
pub async fn enterprise_update(
    conn: &mut Conn,
    id: i64,
    expected_version: i64,
    w: &EnterpriseWrite,
) -> Result<()> {
    let n = bind_write(
        crate::sql::query(
            "UPDATE enterprises SET uscc = $1, name = $2, industry_code = $3, registered_on = $4, ownership = $5, street_id = $6, park_id = $7, building_id = $8, address = $9, headcount = $10, tech_staff = $11, revenue_fen = $12, rd_fen = $13, tax_fen = $14, size_band = $15, contact_name = $16, contact_phone = $17, updated_at = $18, version = version + 1 \
             WHERE id = $19 AND version = $20",
        ),
        w,
    )
    .bind(now_text())
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from_write(e, "统一社会信用代码已存在 / credit code already exists"))?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict(
            "记录已被他人修改，请刷新后重试 / the record was changed by someone else; reload and retry"
                .into(),
        ));
    }
    write_links(conn, id, w, true, false).await
}

async fn write_links(
    conn: &mut Conn,
    id: i64,
    w: &EnterpriseWrite,
    replace: bool,
    sources: bool,
) -> Result<()> {
    if replace {
        clear_links(conn, &[id], sources).await?;
    }
    let nodes: Vec<(i64, NodeLink)> = w.nodes.iter().map(|n| (id, *n)).collect();
    insert_node_rows(conn, &nodes).await?;
    let tags: Vec<(i64, &str)> = w.tags.iter().map(|t| (id, t.as_str())).collect();
    insert_tag_rows(conn, &tags).await
}

/// Delete the chain-node and tag rows of these enterprises, and with `sources` their recorded
/// field sources: an upsert (import, demo) replaces every field with the authority's value, so
/// the sources of values verified by hand give way to "imported", which is what no row means.
async fn clear_links(conn: &mut Conn, ids: &[i64], sources: bool) -> Result<()> {
    for chunk in ids.chunks(LINKS_PER_STATEMENT) {
        // The ids are integers from our own rows, so inlining them is safe; such one-off
        // statements are not kept in the prepared-statement cache.
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let tables: &[&str] = if sources {
            &[
                "enterprise_nodes",
                "enterprise_tags",
                "enterprise_field_sources",
            ]
        } else {
            &["enterprise_nodes", "enterprise_tags"]
        };
        for table in tables {
            crate::sql::query(&format!(
                "DELETE FROM {table} WHERE enterprise_id IN ({list})"
            ))
            .persistent(chunk.len() == 1)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn insert_node_rows(conn: &mut Conn, rows: &[(i64, NodeLink)]) -> Result<()> {
    for chunk in rows.chunks(LINKS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO enterprise_nodes (enterprise_id, node_id, chain_id, ecosystem_id) VALUES {}",
            crate::value_rows(conn, chunk.len(), 4)
        );
        let mut q = crate::sql::query(&sql);
        for (id, n) in chunk {
            q = q
                .bind(*id)
                .bind(n.node_id)
                .bind(n.chain_id)
                .bind(n.ecosystem_id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_tag_rows(conn: &mut Conn, rows: &[(i64, &str)]) -> Result<()> {
    for chunk in rows.chunks(LINKS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO enterprise_tags (enterprise_id, tag) VALUES {}",
            crate::value_rows(conn, chunk.len(), 2)
        );
        let mut q = crate::sql::query(&sql);
        for (id, t) in chunk {
            q = q.bind(*id).bind(*t);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Count one more enterprise-writing transaction and return the new value. Every app use case
/// that writes enterprises calls this exactly once, inside its transaction.
pub async fn enterprise_generation_bump(conn: &mut Conn) -> Result<i64> {
    crate::counters::bump(conn, "enterprises").await
}

impl Db {
    /// How many enterprise-writing transactions have committed (see
    /// [`enterprise_generation_bump`]).
    pub async fn enterprise_generation(&self) -> Result<i64> {
        self.counter("enterprises").await
    }
}

// ---------------------------------------------------------------------------------------------
// Provenance: sources of the verified fields, and corrections waiting for review

/// Where the value in force of one field came from (no row: imported).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldSourceRow {
    pub enterprise_id: i64,
    pub field: String,
    /// `verified` or `imported` (see `lianshi_domain::enterprise::FieldSource`).
    pub source: String,
    /// Who set the value (the officer who entered or accepted it).
    pub set_by: String,
    /// Who reported it, when it came from an accepted correction.
    pub reported_by: Option<String>,
    pub set_at: String,
}

/// A proposed change of one verified field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    pub field: String,
    /// The value in force when it was proposed, as text ("" = empty).
    pub current_value: String,
    /// The proposed value, as the input text of the field ("" = clear).
    pub proposed_value: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub proposed_by: String,
    pub proposed_role: String,
    pub proposed_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
}

/// A correction to propose.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewCorrection {
    pub enterprise_id: i64,
    pub field: String,
    pub current_value: String,
    pub proposed_value: String,
    pub proposed_by: String,
    pub proposed_role: String,
}

/// Filters of the correction list; all ANDed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorrectionFilter {
    pub status: Option<String>,
    pub enterprise_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

const CORRECTION_COLS: &str = "c.id, c.enterprise_id, e.uscc, e.name AS enterprise_name, c.field, c.current_value, \
     c.proposed_value, c.status, c.proposed_by, c.proposed_role, c.proposed_at, c.decided_by, c.decided_at, c.reason";

fn correction_row(r: &Row) -> Result<CorrectionRow> {
    Ok(CorrectionRow {
        id: r.try_get("id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        uscc: r.try_get("uscc")?,
        enterprise_name: r.try_get("enterprise_name")?,
        field: r.try_get("field")?,
        current_value: r.try_get("current_value")?,
        proposed_value: r.try_get("proposed_value")?,
        status: r.try_get("status")?,
        proposed_by: r.try_get("proposed_by")?,
        proposed_role: r.try_get("proposed_role")?,
        proposed_at: r.try_get("proposed_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        reason: r.try_get("reason")?,
    })
}

impl Db {
    /// The recorded sources of one enterprise's fields (fields without a row are imported).
    pub async fn field_sources(&self, enterprise_id: i64) -> Result<Vec<FieldSourceRow>> {
        let rows = crate::sql::query(
            "SELECT enterprise_id, field, source, set_by, reported_by, set_at FROM enterprise_field_sources \
             WHERE enterprise_id = $1 ORDER BY field",
        )
        .bind(enterprise_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(source_row).collect()
    }

    /// Every recorded source (a small table: only fields set by hand since the last import).
    pub async fn field_sources_all(&self) -> Result<Vec<FieldSourceRow>> {
        let rows = crate::sql::query(
            "SELECT enterprise_id, field, source, set_by, reported_by, set_at FROM enterprise_field_sources \
             ORDER BY enterprise_id, field",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(source_row).collect()
    }

    /// Corrections matching `f`, newest first, and the total count.
    pub async fn correction_list(&self, f: &CorrectionFilter) -> Result<(Vec<CorrectionRow>, i64)> {
        let mut w = Where::default();
        if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
            w.push(|n| format!("c.status = ${n}"), Arg::Text(s.to_string()));
        }
        if let Some(e) = f.enterprise_id {
            w.push(|n| format!("c.enterprise_id = ${n}"), Arg::I64(e));
        }
        let from = "enterprise_corrections c JOIN enterprises e ON e.id = c.enterprise_id";
        let count = format!("SELECT COUNT(*) AS n FROM {from}{}", w.text());
        let total: i64 = crate::sql::query(&count)
            .bind_all(&w.args)
            .fetch_one(self.reader())
            .await?
            .try_get("n")?;
        let sql = format!(
            "SELECT {CORRECTION_COLS} FROM {from}{} ORDER BY c.id DESC LIMIT {} OFFSET {}",
            w.text(),
            f.limit.clamp(1, 500),
            f.offset.max(0)
        );
        let rows = crate::sql::query(&sql)
            .bind_all(&w.args)
            .fetch_all(self.reader())
            .await?;
        Ok((
            rows.iter().map(correction_row).collect::<Result<_>>()?,
            total,
        ))
    }

    pub async fn correction_get(&self, id: i64) -> Result<Option<CorrectionRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {CORRECTION_COLS} FROM enterprise_corrections c JOIN enterprises e ON e.id = c.enterprise_id WHERE c.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(correction_row).transpose()
    }
}

fn source_row(r: &Row) -> Result<FieldSourceRow> {
    Ok(FieldSourceRow {
        enterprise_id: r.try_get("enterprise_id")?,
        field: r.try_get("field")?,
        source: r.try_get("source")?,
        set_by: r.try_get("set_by")?,
        reported_by: r.try_get("reported_by")?,
        set_at: r.try_get("set_at")?,
    })
}

/// The change counter of field sources and corrections.
pub const PROVENANCE: &str = "provenance";

/// Record where the value now in force of `field` came from.
pub async fn field_source_set(
    conn: &mut Conn,
    enterprise_id: i64,
    field: &str,
    source: &str,
    set_by: &str,
    reported_by: Option<&str>,
) -> Result<()> {
    // Cached single-enterprise views show sources and pending corrections.
    crate::counters::bump(&mut *conn, PROVENANCE).await?;
    crate::sql::query(
        "INSERT INTO enterprise_field_sources (enterprise_id, field, source, set_by, reported_by, set_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (enterprise_id, field) DO UPDATE SET \
         source = excluded.source, set_by = excluded.set_by, reported_by = excluded.reported_by, set_at = excluded.set_at",
    )
    .bind(enterprise_id)
    .bind(field)
    .bind(source)
    .bind(set_by)
    .bind(reported_by)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Propose a change: replaces the proposal of a pending correction of the same enterprise and
/// field (one pending per field), or creates one. Returns its id.
pub async fn correction_propose(conn: &mut Conn, c: &NewCorrection) -> Result<i64> {
    // Cached single-enterprise views show sources and pending corrections.
    crate::counters::bump(&mut *conn, PROVENANCE).await?;
    let at = now_text();
    let updated = crate::sql::query(
        "UPDATE enterprise_corrections SET current_value = $1, proposed_value = $2, proposed_by = $3, \
         proposed_role = $4, proposed_at = $5 WHERE enterprise_id = $6 AND field = $7 AND status = 'pending' RETURNING id",
    )
    .bind(c.current_value.as_str())
    .bind(c.proposed_value.as_str())
    .bind(c.proposed_by.as_str())
    .bind(c.proposed_role.as_str())
    .bind(at.as_str())
    .bind(c.enterprise_id)
    .bind(c.field.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(r) = updated {
        return Ok(r.try_get("id")?);
    }
    let r = crate::sql::query(
        "INSERT INTO enterprise_corrections (enterprise_id, field, current_value, proposed_value, status, \
         proposed_by, proposed_role, proposed_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) RETURNING id",
    )
    .bind(c.enterprise_id)
    .bind(c.field.as_str())
    .bind(c.current_value.as_str())
    .bind(c.proposed_value.as_str())
    .bind(c.proposed_by.as_str())
    .bind(c.proposed_role.as_str())
    .bind(at.as_str())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::from_write(
            e,
            "该字段已有待核实的更正，请刷新后重试 / a correction of this field is already pending; reload and retry",
        )
    })?;
    Ok(r.try_get("id")?)
}

/// Decide a pending correction (`accepted` or `rejected`); false when it was no longer pending.
pub async fn correction_decide(
    conn: &mut Conn,
    id: i64,
    status: &str,
    decided_by: &str,
    reason: Option<&str>,
) -> Result<bool> {
    // Cached single-enterprise views show sources and pending corrections.
    crate::counters::bump(&mut *conn, PROVENANCE).await?;
    let r = crate::sql::query(
        "UPDATE enterprise_corrections SET status = $1, decided_by = $2, decided_at = $3, reason = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(status)
    .bind(decided_by)
    .bind(now_text())
    .bind(reason)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Add the link rows of `sql` (enterprise id first, in enterprise order) to the rows of `out`
/// (in id order) with `add`, walking both in step.
fn merge_links(
    c: &rusqlite::Connection,
    out: &mut [IndexRow],
    sql: &str,
    mut add: impl FnMut(&mut IndexRow, &rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let mut i = 0usize;
    let mut st = c.prepare(sql)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let e: i64 = r.get(0)?;
        while i < out.len() && out[i].id < e {
            i += 1;
        }
        if let Some(row) = out.get_mut(i).filter(|row| row.id == e) {
            add(row, r)?;
        }
    }
    Ok(())
}

/// [`Db::enterprise_index_rows`] of every enterprise, on a SQLite connection of SQLite's C API.
fn index_rows_sqlite(c: &rusqlite::Connection) -> rusqlite::Result<Vec<IndexRow>> {
    let mut out: Vec<IndexRow> = Vec::new();
    let mut st = c.prepare(
        "SELECT id, name, uscc, street_id, park_id, size_band FROM enterprises ORDER BY id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        out.push(IndexRow {
            id: r.get(0)?,
            name: r.get(1)?,
            uscc: r.get(2)?,
            street_id: r.get(3)?,
            park_id: r.get(4)?,
            size_band: r.get(5)?,
            nodes: Vec::new(),
            tags: Vec::new(),
        });
    }
    // Link rows come in enterprise order: walk the enterprises alongside.
    merge_links(
        c,
        &mut out,
        "SELECT enterprise_id, node_id, chain_id, ecosystem_id FROM enterprise_nodes ORDER BY enterprise_id, node_id",
        |row, r| {
            row.nodes.push(NodeLink {
                node_id: r.get(1)?,
                chain_id: r.get(2)?,
                ecosystem_id: r.get(3)?,
            });
            Ok(())
        },
    )?;
    merge_links(
        c,
        &mut out,
        "SELECT enterprise_id, tag FROM enterprise_tags ORDER BY enterprise_id, tag",
        |row, r| {
            row.tags.push(r.get(1)?);
            Ok(())
        },
    )?;
    Ok(out)
}
