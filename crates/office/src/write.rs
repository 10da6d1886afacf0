//! Writing CSV (UTF-8 with BOM, CRLF, formula-injection safe) and XLSX
//! (bold frozen header, autofilter, every cell stored as text).

use std::io::Write;

use crate::OfficeError;
use crate::text::{display_width, neutralise};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Rows per worksheet in Excel, header included.
const XLSX_MAX_ROWS: usize = 1_048_576;
/// Columns per worksheet in Excel.
const XLSX_MAX_COLUMNS: usize = 16_384;
/// Characters per cell in Excel.
const XLSX_MAX_CELL_CHARS: usize = 32_767;
/// Column width bounds, in Excel's character units.
const MIN_COLUMN_WIDTH: usize = 8;
const MAX_COLUMN_WIDTH: usize = 60;

/// Writes a whole CSV file: UTF-8 with BOM (so Excel detects the encoding),
/// CRLF line ends, quotes where needed, and cells that a spreadsheet would
/// run as formulas prefixed with `'` (see [`neutralise`]).
pub fn write_csv(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_csv_into(&mut out, headers, rows);
    out
}

fn write_csv_into(
    out: &mut Vec<u8>,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<(), OfficeError> {
    let mut writer = CsvWriter::new(out, headers)?;
    for row in rows {
        writer.write_row(row)?;
    }
    writer.finish()?;
    Ok(())
}

/// Streaming CSV writer with the same output as [`write_csv`], for exports
/// too large to hold as rows in memory.
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the BOM and the header row to `w`.
    pub fn new(mut w: W, headers: &[&str]) -> Result<Self, OfficeError> {
        w.write_all(UTF8_BOM).map_err(io_error)?;
        let inner = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(w);
        let mut writer = Self { inner };
        writer.write_row(headers)?;
        Ok(writer)
    }

    /// Writes one row (any length; CSV allows ragged rows).
    pub fn write_row<S: AsRef<str>>(&mut self, row: &[S]) -> Result<(), OfficeError> {
        if row.is_empty() {
            // An empty record would be a blank line, which readers skip.
            return self.inner.write_record([""]).map_err(csv_write_error);
        }
        self.inner
            .write_record(
                row.iter()
                    .map(|cell| neutralise(cell.as_ref()).into_owned()),
            )
            .map_err(csv_write_error)
    }

    /// Flushes and returns the destination.
    pub fn finish(self) -> Result<W, OfficeError> {
        self.inner
            .into_inner()
            .map_err(|err| OfficeError::Io(err.error().to_string()))
    }
}

fn io_error(err: std::io::Error) -> OfficeError {
    OfficeError::Io(err.to_string())
}

fn csv_write_error(err: csv::Error) -> OfficeError {
    OfficeError::Io(err.to_string())
}

fn xlsx_write_error(err: rust_xlsxwriter::XlsxError) -> OfficeError {
    OfficeError::XlsxWrite(err.to_string())
}

/// A valid worksheet name close to `name`: the characters `[]:*?/\` become
/// `_`, apostrophes at either end are dropped, at most 31 characters, and
/// `Sheet1` when nothing is left.
pub(crate) fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let cleaned: String = cleaned.trim().trim_matches('\'').chars().take(31).collect();
    let cleaned = cleaned.trim().trim_end_matches('\'');
    if cleaned.is_empty() {
        "Sheet1".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// Widens `widths` to fit the cells of sheet row `row` (1-based), and
/// rejects cells longer than Excel allows.
fn measure<'a>(
    widths: &mut [usize],
    row: usize,
    cells: impl Iterator<Item = &'a str>,
) -> Result<(), OfficeError> {
    for ((col, text), width) in cells.enumerate().zip(widths.iter_mut()) {
        if text.len() > XLSX_MAX_CELL_CHARS && text.chars().count() > XLSX_MAX_CELL_CHARS {
            return Err(OfficeError::CellTooLong {
                row,
                column: col + 1,
                max: XLSX_MAX_CELL_CHARS,
            });
        }
        *width = (*width).max(display_width(text, MAX_COLUMN_WIDTH));
    }
    Ok(())
}

/// Writes a one-sheet XLSX workbook: the header row bold, frozen and with an
/// autofilter; column widths fitted to the content (Chinese characters
/// count double, between 8 and 60); every cell written as a string (so
/// 18-character credit codes and leading zeros survive) and every column
/// formatted as text. An invalid `sheet_name` is adjusted (see Excel's
/// rules: no `[]:*?/\`, at most 31 characters).
pub fn write_xlsx(
    sheet_name: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, OfficeError> {
    if rows.len() >= XLSX_MAX_ROWS {
        return Err(OfficeError::TooManyRows {
            rows: rows.len(),
            max: XLSX_MAX_ROWS - 1,
        });
    }
    let columns = rows.iter().map(Vec::len).fold(headers.len(), usize::max);
    if columns > XLSX_MAX_COLUMNS {
        return Err(OfficeError::TooManyColumns {
            columns,
            max: XLSX_MAX_COLUMNS,
        });
    }

    let mut widths: Vec<usize> = vec![0; columns];
    measure(&mut widths, 1, headers.iter().copied())?;
    for (index, row) in rows.iter().enumerate() {
        measure(&mut widths, index + 2, row.iter().map(String::as_str))?;
    }

    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet
        .set_name(self::sheet_name(sheet_name))
        .map_err(xlsx_write_error)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let text = rust_xlsxwriter::Format::new().set_num_format("@");

    for (col, width) in widths.iter().enumerate() {
        let col = col as u16;
        // Room for the autofilter button and a little padding.
        let width = (width + 3).clamp(MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH);
        sheet
            .set_column_width(col, width as f64)
            .map_err(xlsx_write_error)?;
        sheet
            .set_column_format(col, &text)
            .map_err(xlsx_write_error)?;
    }
    for (col, header) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *header, &bold)
            .map_err(xlsx_write_error)?;
    }
    for (index, row) in rows.iter().enumerate() {
        let row_number = index as u32 + 1;
        for (col, value) in row.iter().enumerate() {
            if !value.is_empty() {
                sheet
                    .write_string(row_number, col as u16, value)
                    .map_err(xlsx_write_error)?;
            }
        }
    }
    if columns > 0 {
        sheet.set_freeze_panes(1, 0).map_err(xlsx_write_error)?;
        if !headers.is_empty() {
            sheet
                .autofilter(0, 0, rows.len() as u32, headers.len() as u16 - 1)
                .map_err(xlsx_write_error)?;
        }
    }
    workbook.save_to_buffer().map_err(xlsx_write_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_made_valid_for_excel() {
        assert_eq!(sheet_name("企业名录"), "企业名录");
        assert_eq!(sheet_name("2024/01 [导出]"), "2024_01 _导出_");
        assert_eq!(sheet_name("'x'"), "x");
        assert_eq!(sheet_name("  "), "Sheet1");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
    }

    #[test]
    fn a_cell_longer_than_excel_allows_is_rejected_with_its_position() {
        let rows = vec![vec!["ok".to_owned(), "x".repeat(XLSX_MAX_CELL_CHARS + 1)]];
        let err = write_xlsx("S", &["a", "b"], &rows).err();
        assert_eq!(
            err,
            Some(OfficeError::CellTooLong {
                row: 2,
                column: 2,
                max: XLSX_MAX_CELL_CHARS
            })
        );
    }
}
