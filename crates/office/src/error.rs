//! The one error type of the crate, with a Chinese and an English reason.

/// Why a file could not be read or written.
///
/// `Display` gives the English reason; [`OfficeError::zh`] gives the Chinese
/// one, which is what an end user in the zone normally reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeError {
    /// No bytes at all, or only whitespace (also: a workbook without any cell).
    #[error("the file is empty")]
    Empty,
    /// There is content, but not a single row with a non-empty cell to use as header.
    #[error("no header row: the file has no row with a non-empty cell")]
    NoHeader,
    /// The CSV parser rejected a record starting at `row`.
    #[error("CSV error at row {row}: {message}")]
    Csv {
        /// Row (line) where the broken record starts.
        row: usize,
        /// The parser's own (English) explanation.
        message: String,
    },
    /// A quoted CSV cell opened at `row` is never closed, so the rest of the
    /// file would silently become a single cell.
    #[error(
        "the quote opened at row {row} is never closed, so everything after it would be read as one cell"
    )]
    UnclosedQuote {
        /// Row (line) where the record with the open quote starts.
        row: usize,
    },
    /// The XLSX file could not be read.
    #[error("cannot read the Excel (.xlsx) file: {0}")]
    Xlsx(String),
    /// The workbook has no worksheet (only chart sheets, for instance).
    #[error("the workbook contains no worksheet")]
    NoWorksheet,
    /// An old binary Excel 97-2003 file (or an encrypted workbook, which uses
    /// the same container).
    #[error(
        "old Excel 97-2003 (.xls) files and password-protected workbooks are not supported; save the file as .xlsx or \"CSV UTF-8\" and try again"
    )]
    LegacyXls,
    /// The bytes are neither UTF-8 nor GB18030/GBK text (or contain NUL bytes,
    /// i.e. are not text at all).
    #[error(
        "the file is neither UTF-8 nor GBK/GB18030 text; save it as \"CSV UTF-8\" or .xlsx and try again"
    )]
    NotUtf8OrGbk,
    /// More data rows than an Excel worksheet can hold.
    #[error(
        "{rows} data rows exceed the Excel limit of {max} rows per sheet; export as CSV instead"
    )]
    TooManyRows {
        /// Data rows asked for.
        rows: usize,
        /// Data rows that fit (the sheet limit minus the header row).
        max: usize,
    },
    /// More columns than an Excel worksheet can hold.
    #[error("{columns} columns exceed the Excel limit of {max} columns")]
    TooManyColumns {
        /// Columns asked for.
        columns: usize,
        /// Columns that fit.
        max: usize,
    },
    /// One cell holds more characters than an Excel cell can.
    #[error(
        "the cell at row {row}, column {column} has more than {max} characters, the Excel limit for one cell"
    )]
    CellTooLong {
        /// 1-based sheet row (the header is row 1).
        row: usize,
        /// 1-based column.
        column: usize,
        /// Characters allowed.
        max: usize,
    },
    /// Building the XLSX file failed for another reason.
    #[error("cannot create the Excel (.xlsx) file: {0}")]
    XlsxWrite(String),
    /// The destination of a [`crate::CsvWriter`] refused the bytes.
    #[error("cannot write the output: {0}")]
    Io(String),
}

impl OfficeError {
    /// The reason in Chinese, for end users.
    pub fn zh(&self) -> String {
        match self {
            Self::Empty => "文件为空".to_owned(),
            Self::NoHeader => "找不到表头：文件中没有任何包含内容的行".to_owned(),
            Self::Csv { row, message } => format!("第 {row} 行无法按 CSV 格式解析：{message}"),
            Self::UnclosedQuote { row } => format!(
                "第 {row} 行有一个英文双引号没有闭合，之后的全部内容都会被当成一个单元格；请检查该行的引号"
            ),
            Self::Xlsx(message) => format!("无法读取 Excel（.xlsx）文件：{message}"),
            Self::NoWorksheet => "工作簿中没有工作表".to_owned(),
            Self::LegacyXls => "不支持旧版 Excel 97-2003（.xls）文件或设置了密码的工作簿，请另存为 .xlsx 或“CSV UTF-8（逗号分隔）”后重试".to_owned(),
            Self::NotUtf8OrGbk => "无法识别文件编码：既不是 UTF-8 也不是 GBK/GB18030 文本，请另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后重试".to_owned(),
            Self::TooManyRows { rows, max } => format!(
                "共 {rows} 行数据，超过了 Excel 单个工作表 {max} 行的上限，请改用 CSV 导出"
            ),
            Self::TooManyColumns { columns, max } => {
                format!("共 {columns} 列，超过了 Excel {max} 列的上限")
            }
            Self::CellTooLong { row, column, max } => format!(
                "第 {row} 行第 {column} 列的内容超过 {max} 个字符，超出了 Excel 单元格的上限"
            ),
            Self::XlsxWrite(message) => format!("生成 Excel（.xlsx）文件失败：{message}"),
            Self::Io(message) => format!("写出失败：{message}"),
        }
    }

    /// The reason in English (same as `Display`).
    pub fn en(&self) -> String {
        self.to_string()
    }
}
