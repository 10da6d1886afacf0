//! XLSX reading with calamine: the first visible worksheet, its values
//! rendered as text the way a user sees them, and formula cells flagged.

use std::io::Cursor;

use calamine::{
    Data, ExcelDateTime, ExcelDateTimeType, Range, Reader, SheetType, SheetVisible, Xlsx,
};

use crate::text::trim_cell;
use crate::{Body, Cell, Format, OfficeError, Row, Sheet, TextEncoding, shape_cells};

/// The worksheet's values and formulas, both in memory.
pub(crate) struct XlsxBody {
    values: Range<Data>,
    formulas: Range<String>,
    /// Index into `values` (relative row) of the header row.
    header_index: usize,
}

impl XlsxBody {
    pub(crate) fn rows(&self, width: usize) -> XlsxRows<'_> {
        XlsxRows {
            body: self,
            next: self.header_index + 1,
            width,
        }
    }

    fn start(&self) -> (u32, u32) {
        self.values.start().unwrap_or((0, 0))
    }

    /// Cells of the relative row `index`.
    fn cells(&self, index: usize) -> Vec<Cell> {
        let (first_row, first_col) = self.start();
        let width = self.values.width();
        (0..width)
            .map(|col| {
                let value = self.values.get((index, col)).unwrap_or(&Data::Empty);
                let absolute = (first_row + index as u32, first_col + col as u32);
                let formula = self
                    .formulas
                    .get_value(absolute)
                    .is_some_and(|formula| !formula.is_empty());
                Cell {
                    text: trim_cell(&render(value)).to_owned(),
                    formula,
                }
            })
            .collect()
    }

    /// 1-based worksheet row number of the relative row `index`.
    fn number(&self, index: usize) -> usize {
        self.start().0 as usize + index + 1
    }
}

/// Data rows of an XLSX worksheet.
pub(crate) struct XlsxRows<'a> {
    body: &'a XlsxBody,
    next: usize,
    width: usize,
}

impl Iterator for XlsxRows<'_> {
    type Item = Result<Row, OfficeError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.next < self.body.values.height() {
            let index = self.next;
            self.next += 1;
            let mut cells = self.body.cells(index);
            if cells.iter().all(Cell::is_empty) {
                continue;
            }
            shape_cells(&mut cells, self.width);
            return Some(Ok(Row {
                number: self.body.number(index),
                cells,
            }));
        }
        None
    }
}

fn xlsx_error(err: impl std::fmt::Display) -> OfficeError {
    OfficeError::Xlsx(err.to_string())
}

pub(crate) fn open(bytes: &[u8]) -> Result<Sheet, OfficeError> {
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(xlsx_error)?;
    let sheets = workbook.sheets_metadata();
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    let name = worksheets()
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone())
        .ok_or(OfficeError::NoWorksheet)?;
    let values = workbook.worksheet_range(&name).map_err(xlsx_error)?;
    let formulas = workbook.worksheet_formula(&name).map_err(xlsx_error)?;
    if values.is_empty() {
        return Err(OfficeError::Empty);
    }
    let mut body = XlsxBody {
        values,
        formulas,
        header_index: 0,
    };
    let (header_index, headers) = (0..body.values.height())
        .find_map(|index| {
            let mut headers: Vec<String> = body.cells(index).into_iter().map(|c| c.text).collect();
            while headers.last().is_some_and(String::is_empty) {
                headers.pop();
            }
            (!headers.is_empty()).then_some((index, headers))
        })
        .ok_or(OfficeError::NoHeader)?;
    body.header_index = header_index;
    Ok(Sheet {
        format: Format::Xlsx,
        encoding: TextEncoding::Utf8,
        headers,
        header_row: body.number(header_index),
        body: Body::Xlsx(body),
    })
}

/// A cell value as text, the way a user expects to see it.
fn render(value: &Data) -> String {
    match value {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) => format_number(*number),
        Data::Bool(flag) => flag.to_string(),
        Data::Error(err) => err.to_string(),
        Data::DateTime(datetime) => format_datetime(datetime),
        Data::DateTimeIso(text) => format_iso_datetime(text),
        Data::DurationIso(text) => text.clone(),
    }
}

/// A number like Excel's "General" format: at most 15 significant digits,
/// no trailing zeros, no ".0" on integers (`120`, `1.5`, `0.3` for
/// `0.1 + 0.2`), scientific notation only for very large or small values.
pub(crate) fn format_number(number: f64) -> String {
    if !number.is_finite() {
        return number.to_string();
    }
    if number == 0.0 {
        return "0".to_owned();
    }
    // "d.dddddddddddddde±x": 15 significant digits, correctly rounded.
    let scientific = format!("{:.14e}", number.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let sign = if number < 0.0 { "-" } else { "" };
    let body = if (0..21).contains(&exponent) {
        let int_len = exponent as usize + 1;
        if digits.len() <= int_len {
            format!("{digits}{}", "0".repeat(int_len - digits.len()))
        } else {
            format!("{}.{}", &digits[..int_len], &digits[int_len..])
        }
    } else if (-9..0).contains(&exponent) {
        format!("0.{}{digits}", "0".repeat((-exponent - 1) as usize))
    } else {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}E{exponent:+03}")
    };
    format!("{sign}{body}")
}

const DAYS_1900_TO_1904: f64 = 1462.0;
const SECONDS_PER_DAY: i64 = 86_400;

/// The date system and kind of an [`ExcelDateTime`], which calamine keeps
/// private without its `dates` feature: found by comparing with the four
/// possible constructions of the same value.
fn datetime_kind(datetime: &ExcelDateTime) -> (ExcelDateTimeType, bool) {
    let value = datetime.as_f64();
    for kind in [ExcelDateTimeType::DateTime, ExcelDateTimeType::TimeDelta] {
        for is_1904 in [false, true] {
            if *datetime == ExcelDateTime::new(value, kind, is_1904) {
                return (kind, is_1904);
            }
        }
    }
    (ExcelDateTimeType::DateTime, false)
}

/// `YYYY-MM-DD`, with ` HH:MM:SS` when there is a time of day; a time alone
/// (serial below 1) is `HH:MM:SS`; a duration is `H:MM:SS`.
fn format_datetime(datetime: &ExcelDateTime) -> String {
    let (kind, is_1904) = datetime_kind(datetime);
    let value = datetime.as_f64();
    if !value.is_finite() {
        return value.to_string();
    }
    let total_seconds = (value * SECONDS_PER_DAY as f64).round() as i64;
    if kind == ExcelDateTimeType::TimeDelta {
        let sign = if total_seconds < 0 { "-" } else { "" };
        let seconds = total_seconds.abs();
        return format!(
            "{sign}{}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        );
    }
    let days = total_seconds.div_euclid(SECONDS_PER_DAY);
    let seconds = total_seconds.rem_euclid(SECONDS_PER_DAY);
    let time = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if days == 0 && !is_1904 {
        return time;
    }
    // Serial day to Unix day. Excel's 1900 system counts the non-existent
    // 1900-02-29 as day 60, so days before it are one off.
    let mut serial = days as f64;
    if is_1904 {
        serial += DAYS_1900_TO_1904;
    } else if serial < 60.0 {
        serial += 1.0;
    }
    let (year, month, day) = civil_from_days(serial as i64 - 25_569);
    if seconds == 0 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {time}")
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2024-01-05T00:00:00` -> `2024-01-05`; `2024-01-05T08:30:00` ->
/// `2024-01-05 08:30:00`; anything else unchanged.
fn format_iso_datetime(text: &str) -> String {
    match text.split_once('T') {
        Some((date, time)) => {
            let midnight = time
                .trim_end_matches('Z')
                .trim_start_matches("00:00:00")
                .trim_matches(['.', '0'])
                .is_empty();
            if midnight {
                date.to_owned()
            } else {
                format!("{date} {time}")
            }
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_like_excel_general_format() {
        assert_eq!(format_number(120.0), "120");
        assert_eq!(format_number(1.5), "1.5");
        assert_eq!(format_number(-1.5), "-1.5");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(0.05), "0.05");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(
            format_number(913_100_001_234_567_890.0),
            "913100001234568000"
        );
        assert_eq!(format_number(1e-12), "1E-12");
        assert_eq!(format_number(1.25e30), "1.25E+30");
    }

    #[test]
    fn excel_serial_dates_render_as_iso_dates() {
        let date = |serial, is_1904| {
            format_datetime(&ExcelDateTime::new(
                serial,
                ExcelDateTimeType::DateTime,
                is_1904,
            ))
        };
        assert_eq!(date(45_292.0, false), "2024-01-01");
        assert_eq!(date(1.0, false), "1900-01-01");
        assert_eq!(date(61.0, false), "1900-03-01");
        assert_eq!(date(25_569.5, false), "1970-01-01 12:00:00");
        assert_eq!(date(0.75, false), "18:00:00");
        assert_eq!(date(0.0, true), "1904-01-01");
    }

    #[test]
    fn durations_render_as_hours_minutes_seconds() {
        let duration = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(format_datetime(&duration), "36:00:00");
    }

    #[test]
    fn iso_datetimes_drop_a_midnight_time() {
        assert_eq!(format_iso_datetime("2024-01-05T00:00:00"), "2024-01-05");
        assert_eq!(
            format_iso_datetime("2024-01-05T08:30:00"),
            "2024-01-05 08:30:00"
        );
        assert_eq!(format_iso_datetime("2024-01-05"), "2024-01-05");
    }
}
