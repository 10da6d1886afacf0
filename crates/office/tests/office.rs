//! Behaviour of `lianshi-office` as its callers see it: bytes in, rows out.

use lianshi_office::{
    Cell, CsvWriter, Format, OfficeError, Row, Sheet, TextEncoding, open, write_csv, write_xlsx,
};

fn rows(sheet: &Sheet) -> Vec<Row> {
    sheet
        .rows()
        .collect::<Result<Vec<_>, _>>()
        .expect("rows should parse")
}

fn texts(row: &Row) -> Vec<&str> {
    row.cells.iter().map(|cell| cell.text.as_str()).collect()
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|cell| (*cell).to_owned()).collect()
}

const CREDIT_CODE: &str = "91310000MA1FL0000X";

// ---------------------------------------------------------------- decoding

#[test]
fn utf8_csv_gives_trimmed_headers_and_data_rows_numbered_from_two() {
    let sheet =
        open(" 统一社会信用代码 ,\u{3000}企业名称\n91310000MA1FL0000X, 联实科技 \n".as_bytes())
            .expect("open");
    assert_eq!(sheet.format, Format::Csv);
    assert_eq!(sheet.encoding, TextEncoding::Utf8);
    assert_eq!(sheet.headers, ["统一社会信用代码", "企业名称"]);
    assert_eq!(sheet.header_row(), 1);
    let rows = rows(&sheet);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].number, 2);
    assert_eq!(texts(&rows[0]), [CREDIT_CODE, "联实科技"]);
    assert!(!rows[0].has_formula());
}

#[test]
fn utf8_bom_is_stripped_from_the_first_header_and_reported() {
    let sheet = open(b"\xEF\xBB\xBFname,code\r\nA,001\r\n").expect("open");
    assert_eq!(sheet.encoding, TextEncoding::Utf8Bom);
    assert_eq!(sheet.headers, ["name", "code"]);
    assert_eq!(sheet.column("name"), Some(0));
    assert_eq!(texts(&rows(&sheet)[0]), ["A", "001"]);
}

#[test]
fn gbk_bytes_from_chinese_excel_are_decoded_as_gb18030() {
    let text = "统一社会信用代码,企业名称\r\n91310000MA1FL0000X,上海联实科技有限公司\r\n";
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
    assert!(!had_errors);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the test needs non-UTF-8 bytes"
    );
    let sheet = open(&bytes).expect("open");
    assert_eq!(sheet.encoding, TextEncoding::Gb18030);
    assert_eq!(sheet.headers, ["统一社会信用代码", "企业名称"]);
    assert_eq!(
        texts(&rows(&sheet)[0]),
        [CREDIT_CODE, "上海联实科技有限公司"]
    );
}

#[test]
fn bytes_that_are_neither_utf8_nor_gbk_are_rejected() {
    let err = open(b"name,code\n\xFF\xFF\xFF,1\n").expect_err("must fail");
    assert_eq!(err, OfficeError::NotUtf8OrGbk);
}

#[test]
fn binary_content_with_nul_bytes_is_not_taken_for_text() {
    let err = open(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect_err("must fail");
    assert_eq!(err, OfficeError::NotUtf8OrGbk);
}

#[test]
fn utf16_unicode_text_from_excel_is_read_as_tab_separated() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "名称\t代码\r\n联实,科技\t007\r\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let sheet = open(&bytes).expect("open");
    assert_eq!(sheet.encoding, TextEncoding::Utf16Le);
    assert_eq!(sheet.headers, ["名称", "代码"]);
    assert_eq!(texts(&rows(&sheet)[0]), ["联实,科技", "007"]);
}

#[test]
fn tab_separated_utf8_is_recognised_by_its_header_line() {
    let sheet = open("名称\t代码\n联实\t007\n".as_bytes()).expect("open");
    assert_eq!(sheet.headers, ["名称", "代码"]);
    assert_eq!(texts(&rows(&sheet)[0]), ["联实", "007"]);
}

#[test]
fn an_old_xls_file_is_rejected_with_a_hint_to_save_as_xlsx() {
    let err = open(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).expect_err("must fail");
    assert_eq!(err, OfficeError::LegacyXls);
    assert!(err.zh().contains(".xls"));
}

// ------------------------------------------------------------ CSV structure

#[test]
fn an_empty_or_whitespace_only_file_is_empty() {
    assert_eq!(open(b"").expect_err("empty"), OfficeError::Empty);
    assert_eq!(
        open(b"\xEF\xBB\xBF").expect_err("bom only"),
        OfficeError::Empty
    );
    assert_eq!(
        open(" \r\n\t\u{3000}\n".as_bytes()).expect_err("whitespace"),
        OfficeError::Empty
    );
}

#[test]
fn a_file_with_only_empty_cells_has_no_header() {
    assert_eq!(
        open(b",,\n , ,\n").expect_err("no header"),
        OfficeError::NoHeader
    );
}

#[test]
fn a_header_only_file_has_headers_and_zero_rows() {
    let sheet = open(b"a,b,c\r\n").expect("open");
    assert_eq!(sheet.headers, ["a", "b", "c"]);
    assert_eq!(sheet.rows().count(), 0);
    let sheet = open(b"a,b,c").expect("open without final newline");
    assert_eq!(sheet.rows().count(), 0);
}

#[test]
fn quoted_cells_keep_commas_and_line_breaks_and_later_rows_are_numbered_by_their_first_line() {
    let csv = "名称,地址,备注\r\n\
               \"联实, 科技\",\"上海市\r\n浦东新区\",\"他说\"\"好\"\"\"\r\n\
               第二家,北京,无\r\n";
    let sheet = open(csv.as_bytes()).expect("open");
    let rows = rows(&sheet);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].number, 2);
    assert_eq!(
        texts(&rows[0]),
        ["联实, 科技", "上海市\r\n浦东新区", "他说\"好\""]
    );
    // The record spans lines 2-3, so the next record starts on line 4
    // (a spreadsheet program would show it as row 3).
    assert_eq!(rows[1].number, 4);
    assert_eq!(texts(&rows[1]), ["第二家", "北京", "无"]);
}

#[test]
fn blank_lines_are_skipped_but_still_counted_in_row_numbers() {
    let sheet = open(b"\n\na,b\n1,2\n\n , \n3,4\n").expect("open");
    assert_eq!(sheet.header_row(), 3);
    let rows = rows(&sheet);
    assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [4, 7]);
    assert_eq!(texts(&rows[1]), ["3", "4"]);
}

#[test]
fn short_rows_are_padded_and_long_rows_keep_their_extra_cells() {
    let sheet = open(b"a,b,c,\n1\n1,2,3,4,\n1,2,3,,\n").expect("open");
    assert_eq!(
        sheet.headers,
        ["a", "b", "c"],
        "trailing empty header dropped"
    );
    let rows = rows(&sheet);
    assert_eq!(texts(&rows[0]), ["1", "", ""]);
    assert_eq!(rows[0].text(7), "");
    assert_eq!(texts(&rows[1]), ["1", "2", "3", "4"]);
    assert_eq!(texts(&rows[2]), ["1", "2", "3"]);
}

#[test]
fn an_unclosed_quote_is_reported_instead_of_swallowing_the_rest_of_the_file() {
    let sheet = open(b"name,code\n\"broken,1\nok,2\nok,3\n").expect("open");
    let results: Vec<_> = sheet.rows().collect();
    assert_eq!(results, [Err(OfficeError::UnclosedQuote { row: 2 })]);
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_flagged_as_formulas() {
    let sheet = open(b"v\n=SUM(A1)\n-5\n=1+1\n+86 138 0000 0000\n\"=HYPERLINK(\"\"http://x\"\")\"\n@SUM(1+1)\n+cmd|' /C calc'!A0\n")
        .expect("open");
    let flags: Vec<(String, bool)> = rows(&sheet)
        .into_iter()
        .map(|row| (row.cells[0].text.clone(), row.cells[0].formula))
        .collect();
    let expected = [
        ("=SUM(A1)", true),
        ("-5", false),
        ("=1+1", true),
        ("+86 138 0000 0000", false),
        ("=HYPERLINK(\"http://x\")", true),
        ("@SUM(1+1)", true),
        ("+cmd|' /C calc'!A0", true),
    ];
    let expected: Vec<(String, bool)> = expected
        .iter()
        .map(|(t, f)| ((*t).to_owned(), *f))
        .collect();
    assert_eq!(flags, expected);
}

#[test]
fn a_200_000_row_csv_streams_through_with_every_row_counted() {
    let mut csv = String::with_capacity(200_000 * 40);
    csv.push_str("code,name,amount\n");
    for i in 0..200_000 {
        csv.push_str(&format!("{i:018},企业{i},{}\n", i % 1000));
    }
    let sheet = open(csv.as_bytes()).expect("open");
    let mut count = 0;
    let mut last = 0;
    for row in sheet.rows() {
        let row = row.expect("row");
        count += 1;
        last = row.number;
    }
    assert_eq!(count, 200_000);
    assert_eq!(last, 200_001);
}

// -------------------------------------------------------------- CSV writing

#[test]
fn write_csv_neutralises_formulas_but_keeps_numbers_and_masked_phones() {
    let out = write_csv(
        &["a", "b", "c", "d"],
        &[strings(&["=cmd", "-5", "138****5678", "@SUM(A1)"])],
    );
    let text = String::from_utf8(out).expect("utf8");
    assert_eq!(
        text,
        "\u{feff}a,b,c,d\r\n'=cmd,-5,138****5678,'@SUM(A1)\r\n"
    );
}

#[test]
fn write_csv_quotes_commas_quotes_and_line_breaks() {
    let out = write_csv(
        &["x"],
        &[
            strings(&["a,b"]),
            strings(&["say \"hi\""]),
            strings(&["l1\nl2"]),
        ],
    );
    let text = String::from_utf8(out).expect("utf8");
    assert_eq!(
        text,
        "\u{feff}x\r\n\"a,b\"\r\n\"say \"\"hi\"\"\"\r\n\"l1\nl2\"\r\n"
    );
}

#[test]
fn csv_round_trip_keeps_chinese_text_codes_and_awkward_cells() {
    let headers = ["统一社会信用代码", "企业名称", "备注"];
    let data = vec![
        strings(&[CREDIT_CODE, "上海联实科技有限公司", "地址：浦东,张江\n二期"]),
        strings(&["000123", "“引号”公司", "他说\"好\""]),
        strings(&["", "", "只有备注"]),
    ];
    let sheet = open(&write_csv(&headers, &data)).expect("open");
    assert_eq!(sheet.encoding, TextEncoding::Utf8Bom);
    assert_eq!(sheet.headers, headers);
    let rows = rows(&sheet);
    let read: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.cells.iter().map(|c| c.text.clone()).collect())
        .collect();
    assert_eq!(read, data);
}

#[test]
fn the_streaming_csv_writer_produces_the_same_bytes_as_write_csv() {
    let data = vec![strings(&["=1+1", "企业"]), strings(&["-3", ""])];
    let mut writer = CsvWriter::new(Vec::new(), &["a", "b"]).expect("new");
    for row in &data {
        writer.write_row(row).expect("row");
    }
    writer.write_row(&["x", "y"]).expect("str row");
    let streamed = writer.finish().expect("finish");
    let mut expected = write_csv(&["a", "b"], &data);
    expected.extend_from_slice(b"x,y\r\n");
    assert_eq!(streamed, expected);
}

// --------------------------------------------------------------------- XLSX

#[test]
fn xlsx_round_trip_keeps_headers_credit_codes_and_leading_zeros_as_text() {
    let headers = ["统一社会信用代码", "企业名称", "邮编", "金额"];
    let data = vec![
        strings(&[CREDIT_CODE, "上海联实科技有限公司", "001234", "120"]),
        strings(&["913100001234567890", "=不是公式", "", "1.50"]),
    ];
    let bytes = write_xlsx("企业名录", &headers, &data).expect("write");
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let sheet = open(&bytes).expect("open");
    assert_eq!(sheet.format, Format::Xlsx);
    assert_eq!(sheet.encoding, TextEncoding::Utf8);
    assert_eq!(sheet.headers, headers);
    let rows = rows(&sheet);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].number, 2);
    assert_eq!(rows[1].number, 3);
    assert_eq!(
        texts(&rows[0]),
        [CREDIT_CODE, "上海联实科技有限公司", "001234", "120"]
    );
    assert_eq!(
        texts(&rows[1]),
        ["913100001234567890", "=不是公式", "", "1.50"]
    );
    assert!(
        !rows[1].cells[1].formula,
        "a string cell is never an XLSX formula"
    );
}

#[test]
fn an_xlsx_formula_cell_is_flagged_and_shows_its_cached_result() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "x").expect("header");
    sheet.write_string(0, 1, "sum").expect("header");
    sheet.write_number(1, 0, 2.0).expect("number");
    sheet
        .write_formula(1, 1, rust_xlsxwriter::Formula::new("=A2*2").set_result("4"))
        .expect("formula");
    let bytes = workbook.save_to_buffer().expect("save");

    let sheet = open(&bytes).expect("open");
    let rows = rows(&sheet);
    assert_eq!(
        rows[0].cells,
        [
            Cell {
                text: "2".to_owned(),
                formula: false
            },
            Cell {
                text: "4".to_owned(),
                formula: true
            },
        ]
    );
}

#[test]
fn xlsx_numbers_dates_and_booleans_are_rendered_as_a_user_sees_them() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in ["int", "float", "date", "bool"].iter().enumerate() {
        sheet.write_string(0, col as u16, *header).expect("header");
    }
    sheet.write_number(1, 0, 120.0).expect("int");
    sheet.write_number(1, 1, 1.5).expect("float");
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 15).expect("date");
    sheet
        .write_datetime_with_format(1, 2, &date, &date_format)
        .expect("date");
    sheet.write_boolean(1, 3, true).expect("bool");
    let bytes = workbook.save_to_buffer().expect("save");

    let rows = rows(&open(&bytes).expect("open"));
    assert_eq!(texts(&rows[0]), ["120", "1.5", "2024-03-15", "true"]);
}

#[test]
fn xlsx_row_numbers_are_the_real_worksheet_rows() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    // Header on worksheet row 3 (index 2), starting in column B.
    sheet.write_string(2, 1, "名称").expect("header");
    sheet.write_string(2, 2, "代码").expect("header");
    sheet.write_string(3, 1, "甲").expect("cell");
    // Worksheet row 5 is empty, row 6 has data in the second column only.
    sheet.write_string(5, 2, "002").expect("cell");
    let bytes = workbook.save_to_buffer().expect("save");

    let sheet = open(&bytes).expect("open");
    assert_eq!(sheet.header_row(), 3);
    assert_eq!(sheet.headers, ["名称", "代码"]);
    let rows = rows(&sheet);
    assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [4, 6]);
    assert_eq!(texts(&rows[0]), ["甲", ""]);
    assert_eq!(texts(&rows[1]), ["", "002"]);
}

#[test]
fn the_first_visible_worksheet_is_read_when_an_earlier_one_is_hidden() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let hidden = workbook.add_worksheet();
    hidden.write_string(0, 0, "lookup").expect("cell");
    hidden.set_hidden(true);
    let visible = workbook.add_worksheet();
    visible.write_string(0, 0, "data").expect("cell");
    visible.set_active(true);
    let bytes = workbook.save_to_buffer().expect("save");

    assert_eq!(open(&bytes).expect("open").headers, ["data"]);
}

#[test]
fn an_xlsx_without_any_cell_is_empty() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.add_worksheet();
    let bytes = workbook.save_to_buffer().expect("save");
    assert_eq!(open(&bytes).expect_err("empty"), OfficeError::Empty);
}

#[test]
fn a_broken_zip_is_reported_as_an_unreadable_xlsx() {
    let err = open(b"PK\x03\x04 definitely not a workbook").expect_err("must fail");
    assert!(matches!(err, OfficeError::Xlsx(_)), "{err:?}");
}

#[test]
fn write_xlsx_refuses_more_rows_than_a_worksheet_holds() {
    let data = vec![Vec::new(); 1_048_576];
    let err = write_xlsx("S", &["a"], &data).expect_err("too many");
    assert_eq!(
        err,
        OfficeError::TooManyRows {
            rows: 1_048_576,
            max: 1_048_575
        }
    );
}

#[test]
fn write_xlsx_accepts_an_invalid_sheet_name_by_adjusting_it() {
    let bytes = write_xlsx("2024/01:[导出]", &["a"], &[strings(&["1"])]).expect("write");
    assert_eq!(rows(&open(&bytes).expect("open")).len(), 1);
}

// ------------------------------------------------------------------- errors

#[test]
fn errors_explain_themselves_in_chinese_and_english() {
    assert_eq!(OfficeError::Empty.zh(), "文件为空");
    assert_eq!(OfficeError::Empty.en(), "the file is empty");
    let err = OfficeError::Csv {
        row: 7,
        message: "bad".to_owned(),
    };
    assert!(err.zh().contains("第 7 行"));
    assert!(err.en().contains("row 7"));
    assert!(OfficeError::NotUtf8OrGbk.zh().contains("GBK"));
    assert!(OfficeError::NotUtf8OrGbk.en().contains("UTF-8"));
}

#[test]
fn sheets_and_errors_can_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sheet>();
    assert_send_sync::<OfficeError>();
}
