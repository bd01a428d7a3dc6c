//! The tables staff views show, and the same tables as files: CSV (UTF-8 with a byte-order mark,
//! so that Excel reads the diacritics) and XLSX through rust_xlsxwriter, with Vietnamese headers
//! and dates written dd/mm/yyyy.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hosync_core::messages::Lang;
use hosync_core::oversight::{number_vi, percent_vi};
use hosync_core::{Day, Month};
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::staff::places::{Place, UnitRef};

hosync_core::coded_enum!(
    /// The tables behind the overview, each viewable and exportable.
    TableName, "table", {
        Coverage => ("coverage", "Tỷ lệ hộ được thăm", "Households visited"),
        Gaps => ("gaps", "Hộ chưa phân công, hộ chưa được thăm", "Households not assigned or not visited"),
        IdleMembers => ("idle_members", "Đảng viên chưa được phân công phụ trách hộ", "Members with no household to look after"),
        Flags => ("flags", "Kiến nghị chưa giải quyết", "Open flags"),
        Reports => ("reports", "Báo cáo tháng", "Monthly reports"),
        MissingReports => ("missing_reports", "Báo cáo còn thiếu", "Missing reports"),
        Ratings => ("ratings", "Tự nhận xếp loại và chi bộ xếp loại", "Self-ratings and cell ratings"),
        Away => ("away", "Đảng viên đi làm ăn xa, miễn sinh hoạt", "Members working away or exempt"),
        Households => ("households", "Hộ gia đình", "Households"),
        History => ("history", "Lịch sử hộ", "Household history"),
    }
);

/// How a column's values read: the page aligns numbers and writes shares as percentages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Text,
    Number,
    Date,
    Percent,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: ColumnKind,
}

impl Column {
    pub fn text(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label,
            kind: ColumnKind::Text,
        }
    }

    pub fn number(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label,
            kind: ColumnKind::Number,
        }
    }

    pub fn date(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label,
            kind: ColumnKind::Date,
        }
    }

    pub fn percent(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label,
            kind: ColumnKind::Percent,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Number(i64),
    Date(Option<Day>),
    /// A share from 0 to 1; `None` when there is nothing to divide by.
    Percent(Option<f64>),
}

/// A table as JSON (`GET /api/v1/tables/{table}`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Table)]
pub struct TableJson {
    /// The table's code (`coverage`, `gaps`, …).
    pub table: &'static str,
    pub title: String,
    pub unit: UnitRef,
    /// yyyy-mm.
    pub month: String,
    pub columns: Vec<ColumnJson>,
    /// Keyed by column key; `household_id`, `unit_id` and `member_id` ride along for links, and
    /// `visited_this_month` (true or false) on each household's row.
    pub rows: Vec<BTreeMap<String, CellValue>>,
}

/// A column of a [`TableJson`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Column)]
pub struct ColumnJson {
    /// The key of the rows' values in this column.
    pub key: &'static str,
    /// The header, in the reader's language.
    pub label: &'static str,
    pub kind: ColumnKind,
}

/// One value of a row: text (a day as yyyy-mm-dd), a count, a share from 0 to 1, a yes or no,
/// or null where there is nothing (no day, nothing to divide by).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CellValue {
    Text(String),
    Number(i64),
    Share(f64),
    Flag(bool),
    Empty,
}

/// Described by hand: the derived `oneOf` would have a count match both "integer" and "number",
/// which `oneOf` forbids; one schema of four types says what a value may be.
impl utoipa::PartialSchema for CellValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([
                Type::String,
                Type::Number,
                Type::Boolean,
                Type::Null,
            ]))
            .description(Some(
                "Text (a day as yyyy-mm-dd), a count, a share from 0 to 1, a yes or no, or null \
                 where there is nothing (no day, nothing to divide by)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for CellValue {
    fn name() -> std::borrow::Cow<'static, str> {
        "CellValue".into()
    }
}

/// One row, with what it links to in the views and what they filter by (not exported).
#[derive(Debug, Clone)]
pub struct TableRow {
    pub cells: Vec<Cell>,
    pub household_id: Option<String>,
    pub unit_id: Option<String>,
    pub member_id: Option<String>,
    /// For a household: whether it was visited in the table's month, so that a page keeping
    /// only those not visited reads the server's answer, not the words of a column.
    pub visited_this_month: Option<bool>,
}

impl TableRow {
    pub fn new(cells: Vec<Cell>) -> TableRow {
        TableRow {
            cells,
            household_id: None,
            unit_id: None,
            member_id: None,
            visited_this_month: None,
        }
    }

    pub fn visited(mut self, visited: bool) -> TableRow {
        self.visited_this_month = Some(visited);
        self
    }

    pub fn household(mut self, id: String) -> TableRow {
        self.household_id = Some(id);
        self
    }

    pub fn unit(mut self, id: String) -> TableRow {
        self.unit_id = Some(id);
        self
    }

    pub fn member(mut self, id: String) -> TableRow {
        self.member_id = Some(id);
        self
    }
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: TableName,
    pub title: String,
    pub unit: UnitRef,
    /// The unit's path, which the export permission is checked against.
    pub unit_path: String,
    pub month: String,
    pub columns: Vec<Column>,
    pub rows: Vec<TableRow>,
    /// The language its title, headings and words are in, which its download's lines follow.
    pub lang: Lang,
}

impl Table {
    pub fn new(name: TableName, place: &Place, month: Month, lang: Lang) -> Table {
        Table {
            name,
            lang,
            title: String::new(),
            unit: place.unit.clone(),
            unit_path: place.path.as_str().to_owned(),
            month: month.iso(),
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: TableRow) {
        self.rows.push(row);
    }

    /// The table as the dashboard reads it: each row keyed by its columns' keys.
    pub fn to_json(&self) -> TableJson {
        let rows = self
            .rows
            .iter()
            .map(|row| {
                let mut object = BTreeMap::new();
                for (column, cell) in self.columns.iter().zip(&row.cells) {
                    let value = match cell {
                        Cell::Text(s) => CellValue::Text(s.clone()),
                        Cell::Number(n) => CellValue::Number(*n),
                        Cell::Date(d) => d.map_or(CellValue::Empty, |d| CellValue::Text(d.iso())),
                        Cell::Percent(p) => p.map_or(CellValue::Empty, CellValue::Share),
                    };
                    object.insert(column.key.to_owned(), value);
                }
                for (key, link) in [
                    ("household_id", &row.household_id),
                    ("unit_id", &row.unit_id),
                    ("member_id", &row.member_id),
                ] {
                    if let Some(id) = link {
                        object.insert(key.to_owned(), CellValue::Text(id.clone()));
                    }
                }
                if let Some(visited) = row.visited_this_month {
                    object.insert("visited_this_month".to_owned(), CellValue::Flag(visited));
                }
                object
            })
            .collect();
        TableJson {
            table: self.name.code(),
            title: self.title.clone(),
            unit: self.unit.clone(),
            month: self.month.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| ColumnJson {
                    key: c.key,
                    label: c.label,
                    kind: c.kind,
                })
                .collect(),
            rows,
        }
    }

    /// The download's name: ASCII only, so every browser keeps it.
    fn file_name(&self, format: Format) -> String {
        format!(
            "hosync-{}-{}-{}.{}",
            self.name.code(),
            self.unit.id,
            self.month,
            format.extension()
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(value: &str) -> Option<Format> {
        match value {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A table as a file to download.
#[derive(Debug)]
pub struct Download {
    name: String,
    format: Format,
    bytes: Vec<u8>,
}

impl Download {
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        let disposition = format!("attachment; filename=\"{}\"", self.name);
        let mut response = self.bytes.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.format.content_type()),
        );
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

pub fn render(table: &Table, format: Format) -> anyhow::Result<Download> {
    let bytes = match format {
        Format::Csv => csv_bytes(table)?,
        Format::Xlsx => xlsx_bytes(table)?,
    };
    Ok(Download {
        name: table.file_name(format),
        format,
        bytes,
    })
}

/// Whether a spreadsheet would read this text as a formula (or, for a tab or carriage return,
/// lose what hides it in front of one): text people typed into notes and flags must not run as
/// `=HYPERLINK(…)` or `=cmd|…` when staff open an export.
fn reads_as_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn csv_bytes(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record(table.columns.iter().map(|c| c.label))?;
        for row in &table.rows {
            writer.write_record(row.cells.iter().map(|cell| match cell {
                // A leading quote is how spreadsheets mark a cell as text; they do not show it.
                Cell::Text(s) if reads_as_formula(s) => format!("'{s}"),
                Cell::Text(s) => s.clone(),
                // Plain digits: a spreadsheet reads them as numbers in any locale.
                Cell::Number(n) => n.to_string(),
                Cell::Date(d) => d.map(|d| d.vi()).unwrap_or_default(),
                Cell::Percent(p) => match p {
                    Some(share) => percent_vi((share * 10_000.0).round() as u64, 10_000),
                    None => String::new(),
                },
            }))?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// Excel forbids these in a sheet's name, and allows at most 31 characters.
fn sheet_name(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .collect();
    cleaned
        .chars()
        .take(31)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn xlsx_bytes(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(&table.title))?;
    let bold = CellFormat::new().set_bold().set_text_wrap();
    let date = CellFormat::new().set_num_format("dd/mm/yyyy");
    let percent = CellFormat::new().set_num_format("0.00%");
    let title_format = CellFormat::new().set_bold().set_font_size(13);
    // Written as strings they are no formulas already; the quote prefix keeps them text when
    // someone edits the cell in Excel, which would otherwise read it again as typed.
    let quoted = CellFormat::new().set_quote_prefix();
    // A title line says what and when, as a printed form would; the header row follows.
    sheet.write_string_with_format(0, 0, &table.title, &title_format)?;
    sheet.write_string(
        1,
        0,
        match table.lang {
            Lang::Vi => format!(
                "{} — {} ({} dòng)",
                table.unit.name,
                Month::parse(&table.month).map_or(table.month.clone(), |m| m.vi()),
                number_vi(table.rows.len() as i64)
            ),
            Lang::En => format!(
                "{} — {} ({} rows)",
                table.unit.name,
                table.month,
                table.rows.len()
            ),
        },
    )?;
    let header_row = 3;
    for (c, column) in table.columns.iter().enumerate() {
        let c = u16::try_from(c)?;
        sheet.write_string_with_format(header_row, c, column.label, &bold)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = header_row + 1 + u32::try_from(r)?;
        for (c, cell) in row.cells.iter().enumerate() {
            let c = u16::try_from(c)?;
            match cell {
                Cell::Text(s) if reads_as_formula(s) => {
                    sheet.write_string_with_format(r, c, s, &quoted)?;
                }
                Cell::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, *n as f64)?;
                }
                Cell::Date(Some(d)) => {
                    let (y, m, day) = d.ymd();
                    let value = ExcelDateTime::from_ymd(u16::try_from(y)?, m, day)?;
                    sheet.write_datetime_with_format(r, c, &value, &date)?;
                }
                Cell::Percent(Some(p)) => {
                    sheet.write_number_with_format(r, c, *p, &percent)?;
                }
                Cell::Date(None) | Cell::Percent(None) => {}
            }
        }
    }
    if !table.columns.is_empty() {
        let last_column = u16::try_from(table.columns.len() - 1)?;
        let last_row = header_row + u32::try_from(table.rows.len())?;
        sheet.autofilter(header_row, 0, last_row, last_column)?;
        sheet.set_freeze_panes(header_row + 1, 0)?;
        for (c, column) in table.columns.iter().enumerate() {
            let width = match column.kind {
                ColumnKind::Text => 24.0,
                ColumnKind::Date => 12.0,
                ColumnKind::Number | ColumnKind::Percent => 14.0,
            };
            sheet.set_column_width(u16::try_from(c)?, width)?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hosync_core::access::UnitPath;

    fn sample() -> Table {
        let place = Place {
            unit: UnitRef {
                id: "hsp-x01".into(),
                name: "Đảng bộ xã Nậm Ty".into(),
                kind: hosync_core::UnitKind::CommuneCommittee,
                level_label: "xã".into(),
            },
            path: UnitPath::parse("/hsp/hsp-x01/").expect("valid path"),
        };
        let mut table = Table::new(
            TableName::Flags,
            &place,
            Month::parse("2026-11").expect("month"),
            Lang::Vi,
        );
        table.title = "Kiến nghị chưa giải quyết".into();
        table.columns = vec![
            Column::text("head", "Chủ hộ"),
            Column::date("raised_on", "Ngày nêu"),
            Column::number("days_open", "Số ngày"),
            Column::percent("share", "Tỷ lệ"),
        ];
        table.push(TableRow::new(vec![
            Cell::Text("Giàng Seo Pủa, \"Thôn 1\"".into()),
            Cell::Date(Day::parse("2026-11-03").ok()),
            Cell::Number(20),
            Cell::Percent(Some(0.4972)),
        ]));
        table
    }

    #[test]
    fn csv_has_vietnamese_headers_dates_and_quoting() {
        let file = render(&sample(), Format::Csv).expect("csv");
        let text = String::from_utf8(file.bytes().to_vec()).expect("utf-8");
        assert_eq!(
            text,
            "\u{feff}Chủ hộ,Ngày nêu,Số ngày,Tỷ lệ\n\"Giàng Seo Pủa, \"\"Thôn 1\"\"\",03/11/2026,20,\"49,72%\"\n"
        );
        assert_eq!(file.name, "hosync-flags-hsp-x01-2026-11.csv");
    }

    /// The sample with one text column holding `texts`, one per row.
    fn with_texts(texts: &[&str]) -> Table {
        let mut table = sample();
        table.columns = vec![Column::text("body", "Nội dung")];
        table.rows = texts
            .iter()
            .map(|t| TableRow::new(vec![Cell::Text((*t).to_owned())]))
            .collect();
        table
    }

    const FORMULAS: [&str; 6] = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
    ];

    #[test]
    fn csv_cells_that_read_as_formulas_are_quoted() {
        let mut texts = FORMULAS.to_vec();
        texts.extend(["a = b", "Hộ nghèo", ""]);
        let file = render(&with_texts(&texts), Format::Csv).expect("csv");
        let mut reader = csv::Reader::from_reader(&file.bytes()["\u{feff}".len()..]);
        let cells: Vec<String> = reader
            .records()
            .map(|r| r.expect("a record")[0].to_owned())
            .collect();
        let mut expected: Vec<String> = FORMULAS.iter().map(|f| format!("'{f}")).collect();
        expected.extend(["a = b".into(), "Hộ nghèo".into(), String::new()]);
        assert_eq!(cells, expected);
        // Numbers stay numbers, negative ones too.
        let mut table = with_texts(&[]);
        table.columns = vec![Column::number("n", "Số")];
        table.push(TableRow::new(vec![Cell::Number(-4)]));
        let file = render(&table, Format::Csv).expect("csv");
        assert!(file.bytes().ends_with(b"\n-4\n"));
    }

    /// A part of a written workbook, as text.
    fn xlsx_part(bytes: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        let mut part = archive.by_name(name).expect("the part");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut part, &mut text).expect("text");
        text
    }

    #[test]
    fn xlsx_cells_that_read_as_formulas_keep_a_quote_prefix() {
        let mut texts = FORMULAS.to_vec();
        texts.push("Hộ nghèo");
        let file = render(&with_texts(&texts), Format::Xlsx).expect("xlsx");
        let styles = xlsx_part(file.bytes(), "xl/styles.xml");
        let sheet = xlsx_part(file.bytes(), "xl/worksheets/sheet1.xml");
        // Cell formats in order; the one with quotePrefix is the quoted cells' style index.
        let formats = styles
            .split("<cellXfs")
            .nth(1)
            .and_then(|rest| rest.split("</cellXfs>").next())
            .expect("cell formats");
        let quoted = formats
            .split("<xf ")
            .skip(1)
            .position(|xf| xf.contains("quotePrefix=\"1\""))
            .expect("a quote-prefix format");
        assert!(!sheet.contains("<f>"), "no formulas: {sheet}");
        for row in 5..5 + FORMULAS.len() {
            let cell = format!("<c r=\"A{row}\" s=\"{quoted}\" t=\"s\">");
            assert!(sheet.contains(&cell), "{cell} in {sheet}");
        }
        let plain = format!("<c r=\"A{}\" t=\"s\">", 5 + FORMULAS.len());
        assert!(sheet.contains(&plain), "{plain} in {sheet}");
    }

    #[test]
    fn xlsx_is_a_workbook_with_the_rows() {
        let file = render(&sample(), Format::Xlsx).expect("xlsx");
        assert!(file.bytes().starts_with(b"PK\x03\x04"));
        assert!(file.bytes().len() > 4_000);
        assert_eq!(
            sheet_name("Tỷ lệ [a/b]: một tên rất dài hơn ba mươi mốt ký tự")
                .chars()
                .count(),
            31
        );
    }
}
