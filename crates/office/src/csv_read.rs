//! CSV reading: decoding the bytes once into text, then parsing records
//! lazily while the caller iterates.

use crate::text::trim_cell;
use crate::{Body, Cell, Format, OfficeError, Row, Sheet, TextEncoding, shape_cells};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const UTF16LE_BOM: &[u8] = b"\xFF\xFE";

/// The decoded text of a CSV file and how to parse it.
pub(crate) struct CsvBody {
    text: String,
    delimiter: u8,
    /// Records (including skipped empty ones) up to and including the header.
    header_records: usize,
}

impl CsvBody {
    pub(crate) fn rows(&self, width: usize) -> CsvRows<'_> {
        CsvRows {
            input: self.text.as_bytes(),
            reader: reader(self.delimiter, self.text.as_bytes()),
            record: csv::StringRecord::new(),
            delimiter: self.delimiter,
            to_skip: self.header_records,
            width,
            done: false,
        }
    }
}

fn reader(delimiter: u8, input: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(input)
}

/// Decodes CSV bytes: UTF-8 BOM, UTF-16LE BOM, plain UTF-8, then GB18030.
fn decode(bytes: &[u8]) -> Result<(String, TextEncoding), OfficeError> {
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        let text = std::str::from_utf8(rest).map_err(|_| OfficeError::NotUtf8OrGbk)?;
        (text.to_owned(), TextEncoding::Utf8Bom)
    } else if let Some(rest) = bytes.strip_prefix(UTF16LE_BOM) {
        let text = encoding_rs::UTF_16LE
            .decode_without_bom_handling_and_without_replacement(rest)
            .ok_or(OfficeError::NotUtf8OrGbk)?;
        (text.into_owned(), TextEncoding::Utf16Le)
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        (text.to_owned(), TextEncoding::Utf8)
    } else {
        let text = encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or(OfficeError::NotUtf8OrGbk)?;
        (text.into_owned(), TextEncoding::Gb18030)
    };
    if text.contains('\0') {
        // Text files have no NUL characters: this is some binary format.
        return Err(OfficeError::NotUtf8OrGbk);
    }
    Ok((text, encoding))
}

/// Comma, or tab when the first non-blank line has tabs and no commas. For
/// UTF-16 ("Unicode text", tab separated by Excel) tab unless the first
/// line has commas and no tabs.
fn sniff_delimiter(text: &str, encoding: TextEncoding) -> u8 {
    let first_line = text
        .lines()
        .find(|line| !trim_cell(line).is_empty())
        .unwrap_or("");
    let tabs = first_line.contains('\t');
    let commas = first_line.contains(',');
    let tab = match encoding {
        TextEncoding::Utf16Le => tabs || !commas,
        _ => tabs && !commas,
    };
    if tab { b'\t' } else { b',' }
}

pub(crate) fn open(bytes: &[u8]) -> Result<Sheet, OfficeError> {
    let (text, encoding) = decode(bytes)?;
    if trim_cell(&text).is_empty() {
        return Err(OfficeError::Empty);
    }
    let delimiter = sniff_delimiter(&text, encoding);

    let (headers, header_row, header_records) = {
        let input = text.as_bytes();
        let mut reader = reader(delimiter, input);
        let mut record = csv::StringRecord::new();
        let mut records = 0;
        loop {
            let line = reader.position().line() as usize;
            match reader.read_record(&mut record) {
                Ok(false) => return Err(OfficeError::NoHeader),
                Ok(true) => {}
                Err(err) => return Err(csv_error(&err, line)),
            }
            records += 1;
            let number = record_line(&record, input);
            check_closed_quotes(&reader, &record, input, delimiter)?;
            let mut headers: Vec<String> = record
                .iter()
                .map(|cell| trim_cell(cell).to_owned())
                .collect();
            while headers.last().is_some_and(String::is_empty) {
                headers.pop();
            }
            if !headers.is_empty() {
                break (headers, number, records);
            }
        }
    };

    Ok(Sheet {
        format: Format::Csv,
        encoding,
        headers,
        header_row,
        body: Body::Csv(CsvBody {
            text,
            delimiter,
            header_records,
        }),
    })
}

/// The line on which `record` starts. The parser reports the position where
/// it started looking, which lies before the line end of the previous record
/// and before skipped blank lines, so step over those.
fn record_line(record: &csv::StringRecord, input: &[u8]) -> usize {
    let Some(position) = record.position() else {
        return 0;
    };
    let from = (position.byte() as usize).min(input.len());
    let line_breaks = input[from..]
        .iter()
        .take_while(|byte| matches!(byte, b'\r' | b'\n'))
        .filter(|byte| **byte == b'\n')
        .count();
    position.line() as usize + line_breaks
}

fn csv_error(err: &csv::Error, fallback_line: usize) -> OfficeError {
    let row = err
        .position()
        .map_or(fallback_line, |position| position.line() as usize);
    OfficeError::Csv {
        row,
        message: err.to_string(),
    }
}

/// The CSV parser silently reads an unclosed quote up to the end of the
/// input, turning the rest of the file into one cell. That can only happen
/// to the record that reaches the end, so re-scan that one.
fn check_closed_quotes(
    reader: &csv::Reader<&[u8]>,
    record: &csv::StringRecord,
    input: &[u8],
    delimiter: u8,
) -> Result<(), OfficeError> {
    let reaches_end = reader.position().byte() as usize >= input.len();
    let start = record
        .position()
        .map_or(input.len(), |position| position.byte() as usize);
    if reaches_end && has_unclosed_quote(input.get(start..).unwrap_or_default(), delimiter) {
        return Err(OfficeError::UnclosedQuote {
            row: record_line(record, input),
        });
    }
    Ok(())
}

/// Whether `raw` (CSV text from the start of a record) ends inside a quoted
/// field, following the parser's rules: a quote opens a quoted field only as
/// the field's first character, and `""` inside quotes is an escaped quote.
fn has_unclosed_quote(raw: &[u8], delimiter: u8) -> bool {
    let mut in_quotes = false;
    let mut field_start = true;
    let mut i = 0;
    while i < raw.len() {
        let byte = raw[i];
        if in_quotes {
            if byte == b'"' {
                if raw.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
        } else if byte == delimiter || byte == b'\n' || byte == b'\r' {
            field_start = true;
        } else {
            in_quotes = field_start && byte == b'"';
            field_start = false;
        }
        i += 1;
    }
    in_quotes
}

/// Lazily parsed data rows of a CSV body.
pub(crate) struct CsvRows<'a> {
    input: &'a [u8],
    reader: csv::Reader<&'a [u8]>,
    record: csv::StringRecord,
    delimiter: u8,
    to_skip: usize,
    width: usize,
    done: bool,
}

impl CsvRows<'_> {
    fn read(&mut self) -> Option<Result<(), OfficeError>> {
        let line = self.reader.position().line() as usize;
        match self.reader.read_record(&mut self.record) {
            Ok(true) => Some(Ok(())),
            Ok(false) => None,
            Err(err) => Some(Err(csv_error(&err, line))),
        }
    }

    fn fail(&mut self, err: OfficeError) -> Option<Result<Row, OfficeError>> {
        self.done = true;
        Some(Err(err))
    }
}

impl Iterator for CsvRows<'_> {
    type Item = Result<Row, OfficeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        while self.to_skip > 0 {
            self.to_skip -= 1;
            match self.read() {
                Some(Ok(())) => {}
                Some(Err(err)) => return self.fail(err),
                None => {
                    self.done = true;
                    return None;
                }
            }
        }
        loop {
            match self.read() {
                Some(Ok(())) => {}
                Some(Err(err)) => return self.fail(err),
                None => {
                    self.done = true;
                    return None;
                }
            }
            if let Err(err) =
                check_closed_quotes(&self.reader, &self.record, self.input, self.delimiter)
            {
                return self.fail(err);
            }
            let mut cells: Vec<Cell> = self.record.iter().map(Cell::from_text).collect();
            if cells.iter().all(Cell::is_empty) {
                continue;
            }
            shape_cells(&mut cells, self.width);
            return Some(Ok(Row {
                number: record_line(&self.record, self.input),
                cells,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_quote_is_found_and_a_closed_one_is_not() {
        assert!(has_unclosed_quote(b"\"abc,def\n1,2\n", b','));
        assert!(!has_unclosed_quote(b"\"ab\"\"c\",\"x\ny\"\n", b','));
        assert!(!has_unclosed_quote(b"5\" pipe,x\n", b','));
        assert!(has_unclosed_quote(b"a,\"b\"\"\n", b','));
    }

    #[test]
    fn tab_is_the_delimiter_only_when_the_first_line_has_no_commas() {
        assert_eq!(sniff_delimiter("a\tb\n1\t2", TextEncoding::Utf8), b'\t');
        assert_eq!(sniff_delimiter("a,b\tc\n", TextEncoding::Utf8), b',');
        assert_eq!(sniff_delimiter("\n\na\n", TextEncoding::Utf16Le), b'\t');
        assert_eq!(sniff_delimiter("a,b\n", TextEncoding::Utf16Le), b',');
    }
}
