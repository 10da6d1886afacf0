//! `lianshi-office` owns spreadsheet and CSV import/export for Lianshi, as
//! pure functions: bytes in, rows and errors out (and rows in, bytes out).
//!
//! It does no IO of its own (no files, no network, no database, no async)
//! and knows nothing about enterprises: callers map columns to meaning.
//!
//! Reading ([`open`]):
//! - The format is sniffed from the bytes: a ZIP signature (`PK\x03\x04`)
//!   means XLSX (first visible worksheet), anything else is CSV text.
//!   An old Excel 97-2003 `.xls` (or an encrypted workbook) gives
//!   [`OfficeError::LegacyXls`].
//! - CSV text is decoded as UTF-8 with BOM, UTF-8, GB18030 (a superset of
//!   GBK, which Excel on Chinese Windows writes) or, when it starts with a
//!   UTF-16LE BOM ("Unicode text" from Excel), UTF-16LE. The delimiter is a
//!   comma, or a tab when the first line has tabs and no commas (always
//!   tab for UTF-16 unless the first line has commas and no tabs).
//! - The first row with a non-empty cell is the header. Cells are trimmed
//!   (including the full-width space U+3000); rows whose cells are all empty
//!   are skipped; rows are padded to the header's width, longer rows keep
//!   their extra non-empty cells (trailing empty cells past the header are
//!   dropped).
//! - [`Row::number`] is the row number a user sees: the header of a normal
//!   file is row 1. For XLSX it is the worksheet row. For CSV it is the
//!   **line on which the record starts**, counting skipped blank lines; it
//!   equals the spreadsheet row unless an earlier record contained a quoted
//!   line break (then it is the line a text editor shows).
//! - CSV rows are parsed lazily from the decoded text, so a 200 MB file is
//!   held once as text and never as a `Vec` of rows.
//! - [`Cell::formula`] flags formulas (real XLSX formula cells, and CSV cells
//!   that a spreadsheet would run, see [`looks_like_formula`]).
//!
//! Writing: [`write_csv`] / [`CsvWriter`] (UTF-8 with BOM, CRLF, quoting,
//! formula-injection neutralising) and [`write_xlsx`] (bold frozen header
//! with autofilter, every cell stored as text).

mod csv_read;
mod error;
mod text;
mod write;
mod xlsx_read;

pub use error::OfficeError;
pub use text::{display_width, is_plain_number, looks_like_formula, neutralise, trim_cell};
pub use write::{CsvWriter, write_csv, write_xlsx};

/// The container a [`Sheet`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Delimited text (comma, or tab for "Unicode text").
    Csv,
    /// Office Open XML workbook.
    Xlsx,
}

/// The text encoding a CSV file was decoded from (XLSX is always `Utf8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 with a byte order mark (Excel's "CSV UTF-8").
    Utf8Bom,
    /// GB18030, which includes GBK and GB2312 (Excel's plain "CSV" on
    /// Chinese Windows).
    Gb18030,
    /// UTF-16 little endian with a byte order mark (Excel's "Unicode text").
    Utf16Le,
}

/// One cell's text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Cell {
    /// Trimmed text as a user sees it (for XLSX formulas, the cached result).
    pub text: String,
    /// The cell holds a formula (XLSX) or formula-like text (CSV).
    pub formula: bool,
}

impl Cell {
    /// A CSV-style cell: trims `text` and flags it when it looks like a formula.
    pub fn from_text(text: &str) -> Self {
        let text = trim_cell(text);
        Self {
            formula: looks_like_formula(text),
            text: text.to_owned(),
        }
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Row {
    /// 1-based row number as the user sees it (header row is 1 in a normal
    /// file, so the first data row is 2). See the crate docs for CSV records
    /// with line breaks inside quotes.
    pub number: usize,
    /// At least as many cells as there are headers.
    pub cells: Vec<Cell>,
}

impl Row {
    /// Text of the cell at `index`, or `""` when the row has no such cell.
    pub fn text(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", |cell| cell.text.as_str())
    }

    /// Whether any cell of the row holds a formula.
    pub fn has_formula(&self) -> bool {
        self.cells.iter().any(|cell| cell.formula)
    }
}

/// An opened sheet: its header and a way to iterate its rows.
pub struct Sheet {
    /// Where the data came from.
    pub format: Format,
    /// How CSV text was decoded (`Utf8` for XLSX).
    pub encoding: TextEncoding,
    /// Trimmed header cells, in column order.
    pub headers: Vec<String>,
    header_row: usize,
    body: Body,
}

enum Body {
    Csv(csv_read::CsvBody),
    Xlsx(xlsx_read::XlsxBody),
}

impl Sheet {
    /// Iterates the data rows (after the header), skipping empty rows.
    ///
    /// For CSV the rows are parsed while iterating. After an error the
    /// iterator ends.
    pub fn rows(&self) -> impl Iterator<Item = Result<Row, OfficeError>> + '_ {
        match &self.body {
            Body::Csv(body) => RowIter::Csv(body.rows(self.headers.len())),
            Body::Xlsx(body) => RowIter::Xlsx(body.rows(self.headers.len())),
        }
    }

    /// The row number of the header row (1 unless the file starts with
    /// empty rows).
    pub fn header_row(&self) -> usize {
        self.header_row
    }

    /// Index of the first header equal to `name` (compared after trimming).
    pub fn column(&self, name: &str) -> Option<usize> {
        let name = trim_cell(name);
        self.headers.iter().position(|header| header == name)
    }
}

impl std::fmt::Debug for Sheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sheet")
            .field("format", &self.format)
            .field("encoding", &self.encoding)
            .field("headers", &self.headers)
            .field("header_row", &self.header_row)
            .finish_non_exhaustive()
    }
}

enum RowIter<'a> {
    Csv(csv_read::CsvRows<'a>),
    Xlsx(xlsx_read::XlsxRows<'a>),
}

impl Iterator for RowIter<'_> {
    type Item = Result<Row, OfficeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Csv(rows) => rows.next(),
            Self::Xlsx(rows) => rows.next(),
        }
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE2_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Opens a spreadsheet from its bytes: XLSX when they start with the ZIP
/// signature, otherwise CSV (see the crate docs for decoding rules).
pub fn open(bytes: &[u8]) -> Result<Sheet, OfficeError> {
    if bytes.starts_with(ZIP_MAGIC) {
        xlsx_read::open(bytes)
    } else if bytes.starts_with(OLE2_MAGIC) {
        Err(OfficeError::LegacyXls)
    } else {
        csv_read::open(bytes)
    }
}

/// Pads `cells` to `width` with empty cells and drops trailing empty cells
/// past `width`.
fn shape_cells(cells: &mut Vec<Cell>, width: usize) {
    while cells.len() > width && cells.last().is_some_and(Cell::is_empty) {
        cells.pop();
    }
    if cells.len() < width {
        cells.resize_with(width, Cell::default);
    }
}
