//! Enterprise import and export.
//!
//! Import validates every row before writing anything: bad rows are reported with row number,
//! column and reason in Chinese and English. By default one bad row means nothing is written;
//! with `skip_invalid` the good rows are written and the bad ones returned as a rejects file.
//! All writes of one import happen in one transaction, so a killed import leaves either nothing
//! or everything. Rows are upserted by credit code, so importing the same file twice is harmless.

use crate::enterprise::EnterpriseQuery;
use crate::enterprise::perm;
use crate::zone::{RegistryIndex, entry};
use crate::{Actor, App, AppError, AppResult};
use lianshi_domain::enterprise::{
    COLUMNS, field_label_en, field_label_zh, input_from_cells, map_headers,
};
use lianshi_domain::money::{Money, mask_phone};
use lianshi_office::{Format, TextEncoding};
use lianshi_store::audit::audit_append;
use lianshi_store::enterprise::{
    EnterpriseRow, EnterpriseWrite, Slice, enterprise_generation_bump, enterprise_upsert_many,
};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// Options of an import run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Validate and report only.
    pub dry_run: bool,
    /// Write the good rows even if some rows are bad.
    pub skip_invalid: bool,
}

/// One refused cell or row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    /// Spreadsheet row number (the header is row 1).
    pub row: usize,
    /// Column header in Chinese (empty when the whole row is at fault).
    pub column: String,
    pub column_en: String,
    pub code: String,
    pub zh: String,
    pub en: String,
}

impl RowError {
    /// `第5行【从业人数】人数不能为负数 / row 5, Headcount: count must not be negative`.
    pub fn line(&self) -> String {
        if self.column.is_empty() {
            format!(
                "第{}行：{} / row {}: {}",
                self.row, self.zh, self.row, self.en
            )
        } else {
            format!(
                "第{}行【{}】{} / row {}, {}: {}",
                self.row, self.column, self.zh, self.row, self.column_en, self.en
            )
        }
    }
}

/// What an import found and did.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub format: String,
    pub encoding: String,
    /// Data rows read (blank rows excluded).
    pub rows: usize,
    pub valid: usize,
    pub invalid: usize,
    pub created: usize,
    pub updated: usize,
    /// Whether anything was written.
    pub written: bool,
    pub dry_run: bool,
    pub errors: Vec<RowError>,
    /// CSV of the refused rows with a reason column (only when some rows were refused).
    #[serde(skip)]
    pub rejects_csv: Option<Vec<u8>>,
}

fn file_error(e: lianshi_office::OfficeError) -> AppError {
    AppError::bad("file_unreadable", e.zh(), e.en())
}

impl App {
    /// Import enterprises from CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX bytes.
    pub async fn enterprise_import(
        &self,
        actor: &Actor,
        bytes: &[u8],
        opts: ImportOptions,
    ) -> AppResult<ImportReport> {
        perm::import_enterprises(actor)?;
        let sheet = lianshi_office::open(bytes).map_err(file_error)?;
        let mapping = map_headers(&sheet.headers).map_err(AppError::from_invalid)?;
        let idx = self.registry().await?;
        let today = Self::today();
        let mut good: Vec<EnterpriseWrite> = Vec::new();
        let mut errors: Vec<RowError> = Vec::new();
        let mut rejects: Vec<Vec<String>> = Vec::new();
        let mut first_seen: HashMap<String, usize> = HashMap::new();
        let mut rows = 0usize;
        let mut invalid = 0usize;
        for row in sheet.rows() {
            let row = match row {
                Ok(r) => r,
                Err(e) => {
                    return Err(file_error(e));
                }
            };
            if row.cells.iter().all(|c| c.text.is_empty()) {
                continue;
            }
            rows += 1;
            let mut row_errs = Vec::new();
            for (pos, cell) in row.cells.iter().enumerate() {
                if cell.formula {
                    let col = mapping.get(pos).copied().flatten().map(|c| COLUMNS[c]);
                    row_errs.push(RowError {
                        row: row.number,
                        column: col
                            .map(|c| c.zh.to_string())
                            .unwrap_or_else(|| sheet.headers.get(pos).cloned().unwrap_or_default()),
                        column_en: col.map(|c| c.en.to_string()).unwrap_or_default(),
                        code: "cell_formula".into(),
                        zh: "单元格包含公式，请改为数值或文本后再导入".into(),
                        en: "the cell holds a formula; paste it as a value or text".into(),
                    });
                }
            }
            let cells: Vec<String> = row.cells.iter().map(|c| c.text.clone()).collect();
            let input = input_from_cells(&mapping, &cells);
            let outcome = input
                .validate(today, true)
                .and_then(|d| self.resolve_draft(&idx, &d));
            match outcome {
                Ok(w) if row_errs.is_empty() => {
                    if let Some(first) = first_seen.get(&w.uscc) {
                        row_errs.push(RowError {
                            row: row.number,
                            column: field_label_zh("uscc").into(),
                            column_en: field_label_en("uscc").into(),
                            code: "uscc_duplicate_in_file".into(),
                            zh: format!("统一社会信用代码 {} 与第{}行重复", w.uscc, first),
                            en: format!("credit code {} repeats row {}", w.uscc, first),
                        });
                    } else {
                        first_seen.insert(w.uscc.clone(), row.number);
                        good.push(w);
                    }
                }
                Ok(_) => {}
                Err(fe) => {
                    for e in fe {
                        row_errs.push(RowError {
                            row: row.number,
                            column: field_label_zh(e.field).into(),
                            column_en: field_label_en(e.field).into(),
                            code: e.reason.code.into(),
                            zh: e.reason.zh,
                            en: e.reason.en,
                        });
                    }
                }
            }
            if !row_errs.is_empty() {
                invalid += 1;
                let mut r = cells;
                r.resize(sheet.headers.len(), String::new());
                r.push(
                    row_errs
                        .iter()
                        .map(RowError::line)
                        .collect::<Vec<_>>()
                        .join("；"),
                );
                rejects.push(r);
                errors.extend(row_errs);
            }
        }
        if rows == 0 {
            return Err(AppError::bad(
                "file_no_rows",
                "文件中没有数据行（只有表头）",
                "the file has no data rows (only a header)",
            ));
        }
        let existing: HashSet<String> = if good.is_empty() {
            HashSet::new()
        } else {
            self.db.enterprise_usccs().await?
        };
        let updated = good.iter().filter(|w| existing.contains(&w.uscc)).count();
        let created = good.len() - updated;
        let rejects_csv = (!rejects.is_empty()).then(|| {
            let mut headers: Vec<&str> = sheet.headers.iter().map(String::as_str).collect();
            headers.push("错误原因 / Reason");
            lianshi_office::write_csv(&headers, &rejects)
        });
        let mut report = ImportReport {
            format: match sheet.format {
                Format::Csv => "csv".into(),
                Format::Xlsx => "xlsx".into(),
            },
            encoding: match sheet.encoding {
                TextEncoding::Utf8 => "utf-8".into(),
                TextEncoding::Utf8Bom => "utf-8-bom".into(),
                TextEncoding::Gb18030 => "gbk".into(),
                TextEncoding::Utf16Le => "utf-16le".into(),
            },
            rows,
            valid: good.len(),
            invalid,
            created,
            updated,
            written: false,
            dry_run: opts.dry_run,
            errors,
            rejects_csv,
        };
        if opts.dry_run || good.is_empty() || (invalid > 0 && !opts.skip_invalid) {
            return Ok(report);
        }
        let mut tx = self.db.begin().await?;
        let ids = enterprise_upsert_many(tx.conn(), &good, |w| !existing.contains(&w.uscc)).await?;
        let generation = enterprise_generation_bump(tx.conn()).await?;
        let sample = |new: bool| -> Vec<&str> {
            good.iter()
                .filter(|w| existing.contains(&w.uscc) != new)
                .take(1000)
                .map(|w| w.uscc.as_str())
                .collect()
        };
        let summary = serde_json::json!({
            "sha256": hex::encode(Sha256::digest(bytes)),
            "rows": rows, "created": created, "updated": updated, "invalid": invalid,
            "created_uscc": sample(true), "updated_uscc": sample(false),
            "skip_invalid": opts.skip_invalid,
        });
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "enterprise.import",
                "enterprise",
                None,
                None,
                Some(summary),
            ),
        )
        .await?;
        tx.commit().await?;
        self.list_index.changed(&ids, generation);
        report.written = true;
        Ok(report)
    }

    /// Export the enterprises matching the query (as on screen) as CSV or XLSX bytes.
    pub async fn enterprise_export(
        &self,
        actor: &Actor,
        q: &EnterpriseQuery,
        xlsx: bool,
    ) -> AppResult<Vec<u8>> {
        perm::export_enterprises(actor)?;
        let idx = self.registry().await?;
        let f = self.resolve_query(&idx, q)?;
        let full = perm::sees_full_phone(actor);
        let headers: Vec<&str> = COLUMNS.iter().map(|c| c.zh).collect();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .db
                .enterprise_list(
                    &f,
                    Slice {
                        limit: 5000,
                        offset: 0,
                        after,
                    },
                )
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            rows.extend(page.iter().map(|r| export_row(&idx, r, full)));
        }
        if xlsx {
            lianshi_office::write_xlsx("企业名录", &headers, &rows)
                .map_err(|e| AppError::Internal(e.en()))
        } else {
            Ok(lianshi_office::write_csv(&headers, &rows))
        }
    }

    /// The empty import template with one example row.
    pub fn enterprise_template(xlsx: bool) -> AppResult<Vec<u8>> {
        let headers: Vec<&str> = COLUMNS.iter().map(|c| c.zh).collect();
        let example: Vec<String> = [
            "91330108MA27Y5XH5G",
            "杭州示例科技有限公司（示例）",
            "6510",
            "2018-05-20",
            "民营企业",
            "西兴街道",
            "",
            "",
            "浙江省杭州市滨江区示例路1号",
            "",
            "120",
            "80",
            "12000000",
            "1500000",
            "600000",
            "高新技术企业；科技型中小企业",
            "王先生",
            "13800001234",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rows = vec![example];
        if xlsx {
            lianshi_office::write_xlsx("导入模板", &headers, &rows)
                .map_err(|e| AppError::Internal(e.en()))
        } else {
            Ok(lianshi_office::write_csv(&headers, &rows))
        }
    }
}

fn export_row(idx: &RegistryIndex, r: &EnterpriseRow, full_phone: bool) -> Vec<String> {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let m = |v: Option<i64>| v.map(|x| Money(x).yuan_string()).unwrap_or_default();
    vec![
        r.uscc.clone(),
        r.name.clone(),
        s(&r.industry_code),
        s(&r.registered_on),
        s(&r.ownership),
        idx.name(r.street_id).unwrap_or_default().to_string(),
        idx.name(r.park_id).unwrap_or_default().to_string(),
        idx.name(r.building_id).unwrap_or_default().to_string(),
        s(&r.address),
        r.node_ids
            .iter()
            .map(|n| idx.node_label(*n))
            .collect::<Vec<_>>()
            .join("；"),
        n(r.headcount),
        n(r.tech_staff),
        m(r.revenue_fen),
        m(r.rd_fen),
        m(r.tax_fen),
        r.tags.join("；"),
        s(&r.contact_name),
        r.contact_phone
            .as_deref()
            .map(|p| {
                if full_phone {
                    p.to_string()
                } else {
                    mask_phone(p)
                }
            })
            .unwrap_or_default(),
    ]
}
