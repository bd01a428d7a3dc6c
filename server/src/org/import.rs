//! Importing a district's organisation from a spreadsheet: the file (XLSX through calamine, or
//! one sheet as CSV) read into core's plain tables, the organisation as it stands read for
//! core's planner, the plan applied through the changes in [`super::changes`] in the caller's
//! transaction, and the template workbook (with a drop-down list for each coded column) and the
//! example district written with rust_xlsxwriter.

use std::io::Cursor;

use hosync_core::docs::household::ProfileUpdate;
use hosync_core::import::{
    self, Action, Current, CurrentHousehold, CurrentMember, GUIDE_SHEET, LISTS_SHEET, Plan,
    SheetKind, Table, TableRow, Value,
};
use hosync_core::messages::{Lang, Message};
use hosync_core::{Day, HouseholdId, MemberId, MemberStatus, OrgUnit, Principal, Role, UnitId};
use sqlx::{AnyConnection, Row};

use crate::access::accounts::By;
use crate::access::audit::{self, AuditAction};
use crate::org::changes::{self, HouseholdEntry, MemberChange, MemberEntry, OrgError};
use crate::storage::decode;

/// The largest file an import reads.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// The most rows a sheet may have, so that a crafted file cannot hold the server for long.
const MAX_ROWS: usize = 100_000;
/// The most columns read of a row.
const MAX_COLUMNS: usize = 64;

/// Why a file could not be read as tables, said to the person who sent it by
/// [`ReadError::render`]; `Display` is the Vietnamese, for the command line.
#[derive(Debug)]
pub enum ReadError {
    Unreadable { name: String, why: Unreadable },
    TooLarge(String),
}

/// What was wrong with a file that could not be read. The reading libraries' own words, in
/// English, are kept as they are.
#[derive(Debug)]
pub enum Unreadable {
    NotWorkbook(String),
    Sheet {
        sheet: String,
        error: String,
    },
    /// More than `MAX_ROWS` rows in a sheet of a workbook, or in a CSV file (`None`).
    TooManyRows {
        sheet: Option<String>,
    },
    /// A workbook whose cell references calamine cannot read.
    Damaged,
    NotUtf8,
    /// A CSV line, numbered from 1, that did not parse.
    CsvLine {
        line: usize,
        error: String,
    },
}

impl Unreadable {
    fn render(&self, lang: Lang) -> String {
        match self {
            Unreadable::NotWorkbook(e) => say(
                lang,
                format!("không phải bảng tính Excel hợp lệ ({e})"),
                format!("it is not a valid Excel workbook ({e})"),
            ),
            Unreadable::Sheet { sheet, error } => say(
                lang,
                format!("trang “{sheet}”: {error}"),
                format!("sheet \"{sheet}\": {error}"),
            ),
            Unreadable::TooManyRows { sheet: Some(sheet) } => say(
                lang,
                format!("trang “{sheet}” có hơn {MAX_ROWS} dòng"),
                format!("sheet \"{sheet}\" has more than {MAX_ROWS} rows"),
            ),
            Unreadable::TooManyRows { sheet: None } => say(
                lang,
                format!("có hơn {MAX_ROWS} dòng"),
                format!("it has more than {MAX_ROWS} rows"),
            ),
            Unreadable::Damaged => say(
                lang,
                "bảng tính bị hỏng: không đọc được địa chỉ ô".to_owned(),
                "the workbook is damaged: a cell address cannot be read".to_owned(),
            ),
            Unreadable::NotUtf8 => say(
                lang,
                "tệp CSV phải ở bảng mã UTF-8 (khi lưu, chọn “CSV UTF-8”)".to_owned(),
                "a CSV file must be in UTF-8 (when saving it, choose \"CSV UTF-8\")".to_owned(),
            ),
            Unreadable::CsvLine { line, error } => say(
                lang,
                format!("dòng {line}: {error}"),
                format!("line {line}: {error}"),
            ),
        }
    }
}

/// The words of `lang` of the two.
fn say(lang: Lang, vi: String, en: String) -> String {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

impl ReadError {
    /// What went wrong, in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            ReadError::Unreadable { name, why } => {
                let why = why.render(lang);
                say(
                    lang,
                    format!("Không đọc được tệp “{name}”: {why}"),
                    format!("The file \"{name}\" could not be read: {why}"),
                )
            }
            ReadError::TooLarge(name) => say(
                lang,
                format!("Tệp “{name}” lớn quá: tối đa 16 MB"),
                format!("The file \"{name}\" is too large: at most 16 MB"),
            ),
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::Vi))
    }
}

impl std::error::Error for ReadError {}

/// Reads a workbook (XLSX, XLS, ODS) or a CSV file into tables, one per sheet; a CSV file is
/// one sheet named after the file.
pub fn read_tables(bytes: &[u8], file_name: &str) -> Result<Vec<Table>, ReadError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge(file_name.to_owned()));
    }
    let lower = file_name.to_lowercase();
    // A workbook is a zip (XLSX, ODS) or an OLE file (XLS); anything else is read as CSV.
    let is_workbook = bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xd0, 0xcf, 0x11, 0xe0])
        || [".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"]
            .iter()
            .any(|e| lower.ends_with(e));
    let unreadable = |why: Unreadable| ReadError::Unreadable {
        name: file_name.to_owned(),
        why,
    };
    if !is_workbook {
        return read_csv(bytes, file_name).map_err(unreadable);
    }
    // calamine overflows on some damaged cell references (a panic where overflow is checked):
    // such a file is unreadable, not the server's failure (found by fuzzing).
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_workbook(bytes, file_name)
    }))
    .unwrap_or_else(|_| Err(unreadable(Unreadable::Damaged)))
}

fn read_workbook(bytes: &[u8], file_name: &str) -> Result<Vec<Table>, ReadError> {
    let unreadable = |why: Unreadable| ReadError::Unreadable {
        name: file_name.to_owned(),
        why,
    };
    use calamine::Reader;
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| unreadable(Unreadable::NotWorkbook(e.to_string())))?;
    let mut tables = Vec::new();
    for (position, name) in workbook.sheet_names().into_iter().enumerate() {
        let range = workbook.worksheet_range(&name).map_err(|e| {
            unreadable(Unreadable::Sheet {
                sheet: name.clone(),
                error: e.to_string(),
            })
        })?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::new();
        for (i, row) in range.rows().enumerate().take(MAX_ROWS + 1) {
            if i == MAX_ROWS {
                return Err(unreadable(Unreadable::TooManyRows { sheet: Some(name) }));
            }
            // A damaged file may claim to start millions of columns in: only the columns read
            // are ever made.
            let mut cells = vec![Value::Empty; (first_col as usize).min(MAX_COLUMNS)];
            let room = MAX_COLUMNS - cells.len();
            cells.extend(row.iter().take(room).map(value_of));
            rows.push(TableRow {
                number: first_row + i as u32 + 1,
                cells,
            });
        }
        // Every error names its sheet: one without a name is named by its place in the file.
        let sheet = if name.trim().is_empty() {
            format!("Trang tính thứ {}", position + 1)
        } else {
            name
        };
        tables.push(Table { sheet, rows });
    }
    Ok(tables)
}

fn value_of(data: &calamine::Data) -> Value {
    use calamine::Data;
    match data {
        Data::Empty | Data::Error(_) => Value::Empty,
        Data::String(s) => Value::Text(s.clone()),
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::Bool(b) => Value::Text(b.to_string()),
        Data::DateTime(dt) => import::day_from_excel(dt.as_f64())
            .map_or_else(|| Value::Text(dt.to_string()), Value::Date),
        Data::DateTimeIso(s) | Data::DurationIso(s) => {
            // An ISO date-time keeps its day.
            let day = s.get(..10).and_then(|d| Day::parse(d).ok());
            day.map_or_else(|| Value::Text(s.clone()), Value::Date)
        }
    }
}

/// A CSV file as one table: UTF-8 (with or without the byte-order mark Excel writes), commas or
/// semicolons, whichever the header line uses more.
fn read_csv(bytes: &[u8], file_name: &str) -> Result<Vec<Table>, Unreadable> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| Unreadable::NotUtf8)?;
    let header = text.lines().next().unwrap_or_default();
    let delimiter = if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if i == MAX_ROWS {
            return Err(Unreadable::TooManyRows { sheet: None });
        }
        let record = record.map_err(|e| Unreadable::CsvLine {
            line: i + 1,
            error: e.to_string(),
        })?;
        rows.push(TableRow {
            number: i as u32 + 1,
            cells: record
                .iter()
                .take(MAX_COLUMNS)
                .map(|c| {
                    if c.trim().is_empty() {
                        Value::Empty
                    } else {
                        Value::Text(c.to_owned())
                    }
                })
                .collect(),
        });
    }
    Ok(vec![Table {
        sheet: file_name.to_owned(),
        rows,
    }])
}

/// The whole of reading and planning, without I/O: a file's bytes and name and the organisation
/// as it stands in, the plan out, its errors in `lang` (a fuzz target's entry point).
pub fn plan_file(
    bytes: &[u8],
    file_name: &str,
    current: &Current,
    by: Option<&Principal>,
    today: Day,
    lang: Lang,
) -> Result<Plan, ReadError> {
    let tables = read_tables(bytes, file_name)?;
    Ok(import::plan(&tables, current, by, today, lang))
}

/// The organisation as it stands, for the planner: every unit, each member with their status
/// as the cell's roster holds it, each open household's details and who looks after it.
pub async fn current(conn: &mut AnyConnection) -> Result<Current, OrgError> {
    let mut current = Current::default();
    let rows = sqlx::query("SELECT id, parent_id, kind, level_label, name FROM units ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    for r in rows {
        let kind = decode(hosync_core::UnitKind::parse(&r.try_get::<String, _>(2)?))?;
        let parent: Option<String> = r.try_get(1)?;
        current.units.push(decode(OrgUnit::new(
            &r.try_get::<String, _>(0)?,
            parent.as_deref(),
            kind,
            &r.try_get::<String, _>(3)?,
            &r.try_get::<String, _>(4)?,
        ))?);
    }
    let rows = sqlx::query(
        "SELECT m.id, m.cell_id, m.name, m.role, COALESCE(r.status, 'active'), COALESCE(r.status_detail, '') \
         FROM members m LEFT JOIN roster_view r ON r.member_id = m.id ORDER BY m.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        current.members.push(CurrentMember {
            id: decode(MemberId::parse(&r.try_get::<String, _>(0)?))?,
            cell: decode(UnitId::parse(&r.try_get::<String, _>(1)?))?,
            name: r.try_get(2)?,
            role: decode(Role::parse(&r.try_get::<String, _>(3)?))?,
            status: decode(MemberStatus::parse(
                &r.try_get::<String, _>(4)?,
                &r.try_get::<String, _>(5)?,
            ))?,
        });
    }
    let rows = sqlx::query(
        "SELECT h.id, h.cell_id, COALESCE(v.head, ''), COALESCE(v.village, ''), COALESCE(v.people, 0), COALESCE(v.livelihood, '') \
         FROM households h LEFT JOIN household_view v ON v.household_id = h.id ORDER BY h.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        current.households.push(CurrentHousehold {
            id: decode(HouseholdId::parse(&r.try_get::<String, _>(0)?))?,
            cell: decode(UnitId::parse(&r.try_get::<String, _>(1)?))?,
            head: r.try_get(2)?,
            village: r.try_get(3)?,
            people: u32::try_from(r.try_get::<i64, _>(4)?).unwrap_or(0),
            livelihood: r.try_get(5)?,
        });
    }
    let rows = sqlx::query("SELECT household_id, member_id FROM assignment_view")
        .fetch_all(&mut *conn)
        .await?;
    for r in rows {
        current.assignments.push((
            decode(HouseholdId::parse(&r.try_get::<String, _>(0)?))?,
            decode(MemberId::parse(&r.try_get::<String, _>(1)?))?,
        ));
    }
    Ok(current)
}

/// Applies a plan without errors in the caller's transaction, each row through the changes
/// staff make one by one (held to the same rules), and records the import in the audit log
/// with its counts. The caller commits, so that the import is all or nothing.
pub async fn apply(
    conn: &mut AnyConnection,
    by: By<'_>,
    plan: &Plan,
    file_name: &str,
    now: i64,
    applied: &mut (dyn FnMut() + Send),
) -> Result<(), OrgError> {
    if !plan.is_ok() {
        return Err(OrgError::Invalid(Message::ImportHasErrors {
            errors: plan.errors.len(),
        }));
    }
    for step in &plan.units {
        if step.action != Action::Same {
            applied();
        }
        match step.action {
            Action::Create => changes::add_unit(&mut *conn, by, &step.item, now).await?,
            Action::Change => {
                changes::update_unit(&mut *conn, by, &step.item, now).await?;
            }
            Action::Same => {}
        }
    }
    for step in &plan.members {
        if step.action != Action::Same {
            applied();
        }
        let m = &step.item;
        match step.action {
            Action::Create => {
                let entry = MemberEntry {
                    id: m.id.clone(),
                    cell: m.cell.clone(),
                    name: m.name.clone().unwrap_or_default(),
                    role: m.role.unwrap_or(Role::Member),
                    status: m.status.clone().unwrap_or(MemberStatus::Active),
                };
                changes::add_member(&mut *conn, by, &entry, now).await?;
            }
            Action::Change => {
                let change = MemberChange {
                    id: m.id.clone(),
                    cell: m.cell.clone(),
                    name: m.name.clone(),
                    role: m.role,
                    status: m.status.clone(),
                };
                changes::change_member(&mut *conn, by, &change, now).await?;
            }
            Action::Same => {}
        }
    }
    for step in &plan.households {
        if step.action != Action::Same {
            applied();
        }
        let h = &step.item;
        match step.action {
            Action::Create => {
                let entry = HouseholdEntry {
                    id: h.id.clone(),
                    cell: h.cell.clone(),
                    head: h.head.clone().unwrap_or_default(),
                    village: h.village.clone().unwrap_or_default(),
                    people: h.people.unwrap_or(0),
                    livelihood: h.livelihood.clone().unwrap_or_default(),
                };
                changes::add_household(&mut *conn, by, &entry, now).await?;
            }
            Action::Change => {
                let update = ProfileUpdate {
                    head: h.head.clone(),
                    village: h.village.clone(),
                    people: h.people,
                    livelihood: h.livelihood.clone(),
                };
                changes::change_household(&mut *conn, by, &h.id, &h.cell, &update, now).await?;
            }
            Action::Same => {}
        }
    }
    for step in &plan.assignments {
        if step.action != Action::Same {
            applied();
            let a = &step.item;
            changes::assign(&mut *conn, by, &a.household, &a.member, a.from, now).await?;
        }
    }
    let unit = match by.principal() {
        Some(p) => p.scope.unit(),
        None => sqlx::query_scalar::<_, String>(
            "SELECT id FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1",
        )
        .fetch_optional(&mut *conn)
        .await?
        .and_then(|id| UnitId::parse(&id).ok()),
    };
    audit::record(
        conn,
        now,
        &by.actor(),
        AuditAction::Import,
        file_name,
        &plan.summary(),
        unit.as_ref(),
    )
    .await?;
    Ok(())
}

/// A cell of a written workbook.
#[derive(Debug, Clone)]
pub enum Written {
    Text(&'static str),
    Number(u32),
    Date(u16, u8, u8),
}

/// The rows of each sheet of a workbook to write, below its headers.
pub type Sheets = [(SheetKind, Vec<Vec<Written>>); 4];

/// The template: the four sheets with their headers and no rows.
pub fn template() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    workbook(&SheetKind::ALL.map(|k| (k, Vec::new())))
}

/// Writes a workbook of the four sheets, each with its Vietnamese headers, a drop-down list on
/// each coded column (the values kept in the lists sheet, so labels with commas fit), the
/// columns that name another sheet's codes offering those codes, and a sheet of instructions.
pub fn workbook(sheets: &Sheets) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{
        DataValidation, DataValidationErrorStyle, DocProperties, ExcelDateTime, Format, Formula,
        Workbook,
    };
    /// Rows the drop-downs cover.
    const LAST_ROW: u32 = 5000;
    let mut book = Workbook::new();
    // A fixed date keeps the written file the same from one run to the next.
    let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold().set_background_color("#DDEBF7");
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let quote = |sheet: &str| format!("'{}'", sheet.replace('\'', "''"));
    let list = |column: char, count: usize| {
        format!(
            "={}!${column}$2:${column}${}",
            quote(LISTS_SHEET),
            count + 1
        )
    };
    for (kind, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(kind.sheet_name())?;
        for (c, column) in kind.columns().iter().enumerate() {
            let c = c as u16;
            sheet.write_string_with_format(0, c, column.header, &bold)?;
            sheet.set_column_width(c, 24)?;
            let mut validation = None;
            let lists_column = match (kind, c) {
                (SheetKind::Units, 2) => Some('A'),
                (SheetKind::Members, 3) => Some('B'),
                (SheetKind::Members, 4) => Some('C'),
                _ => None,
            };
            if let (Some(letter), Some(values)) = (lists_column, import::choices(*kind, c as usize))
            {
                validation = Some(
                    DataValidation::new()
                        .allow_list_formula(Formula::new(list(letter, values.len())))
                        .set_error_title("Giá trị không có trong danh sách")?
                        .set_error_message("Chọn một giá trị trong danh sách thả xuống.")?,
                );
            }
            // Columns naming a code of another sheet offer its codes, but allow one already in
            // the database (the top unit made by `hosync init`, say) with a warning only.
            let codes_of = match (kind, c) {
                (SheetKind::Units, 1) => Some(SheetKind::Units),
                (SheetKind::Members | SheetKind::Households, 1) => Some(SheetKind::Units),
                (SheetKind::Assignments, 0) => Some(SheetKind::Members),
                (SheetKind::Assignments, 1) => Some(SheetKind::Households),
                _ => None,
            };
            if let Some(other) = codes_of {
                validation = Some(
                    DataValidation::new()
                        .allow_list_formula(Formula::new(format!(
                            "={}!$A$2:$A${LAST_ROW}",
                            quote(other.sheet_name())
                        )))
                        .set_error_style(DataValidationErrorStyle::Warning)
                        .set_error_title("Mã chưa có trong danh sách")?
                        .set_error_message(
                            "Mã này chưa có trong bảng tính; vẫn dùng được nếu đã có trên hệ thống.",
                        )?,
                );
            }
            if let Some(v) = validation {
                let v = v.set_input_message(column.hint)?;
                sheet.add_data_validation(1, c, LAST_ROW, c, &v)?;
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Written::Text("") => {}
                    Written::Text(t) => {
                        sheet.write_string(r, c, *t)?;
                    }
                    Written::Number(n) => {
                        sheet.write_number(r, c, *n)?;
                    }
                    Written::Date(y, m, d) => {
                        sheet.write_datetime_with_format(
                            r,
                            c,
                            ExcelDateTime::from_ymd(*y, *m, *d)?,
                            &date,
                        )?;
                    }
                }
            }
        }
    }
    let lists = book.add_worksheet();
    lists.set_name(LISTS_SHEET)?;
    for (c, (header, kind, column)) in [
        ("Các loại đơn vị", SheetKind::Units, 2),
        ("Các chức vụ", SheetKind::Members, 3),
        ("Các tình trạng", SheetKind::Members, 4),
    ]
    .into_iter()
    .enumerate()
    {
        let c = c as u16;
        lists.write_string_with_format(0, c, header, &bold)?;
        lists.set_column_width(c, 28)?;
        for (r, value) in import::choices(kind, column)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            lists.write_string(r as u32 + 1, c, value)?;
        }
    }
    let guide = book.add_worksheet();
    guide.set_name(GUIDE_SHEET)?;
    guide.set_column_width(0, 16)?;
    guide.set_column_width(1, 32)?;
    guide.set_column_width(2, 60)?;
    for (c, h) in ["Trang", "Cột", "Ghi chú"].into_iter().enumerate() {
        guide.write_string_with_format(0, c as u16, h, &bold)?;
    }
    let mut r = 1;
    for kind in SheetKind::ALL {
        for column in kind.columns() {
            guide.write_string(r, 0, kind.sheet_name())?;
            guide.write_string(r, 1, column.header)?;
            let need = if column.required {
                "bắt buộc với dòng mới"
            } else {
                "không bắt buộc"
            };
            guide.write_string(r, 2, format!("{}; {need}", column.hint))?;
            r += 1;
        }
    }
    guide.write_string(
        r + 1,
        0,
        "Nhập lại cùng mã thì cập nhật, không tạo trùng; ô để trống giữ nguyên giá trị đang có; không xóa gì.",
    )?;
    book.save_to_buffer()
}

/// The example district shipped in `examples/`: two communes and a grassroots cell under
/// district `hsp` (as `hosync init --code hsp` makes it), with members, households and
/// assignments. `with_errors` adds rows with one mistake of each kind the planner names.
pub fn example(with_errors: bool) -> Sheets {
    use Written::{Date, Number as N, Text as T};
    let mut units = vec![
        vec![
            T("hsp-x01"),
            T("hsp"),
            T("Đảng bộ xã, thị trấn"),
            T("Đảng bộ xã Nậm Dịch"),
            T("xã"),
        ],
        vec![
            T("hsp-x01-c01"),
            T("hsp-x01"),
            T("Chi bộ"),
            T("Chi bộ thôn Nậm Mì"),
            T("chi bộ thôn"),
        ],
        vec![
            T("hsp-x01-c02"),
            T("hsp-x01"),
            T("Chi bộ"),
            T("Chi bộ thôn Nậm Khòa"),
            T("chi bộ thôn"),
        ],
        vec![
            T("hsp-x02"),
            T("hsp"),
            T("Đảng bộ xã, thị trấn"),
            T("Đảng bộ xã Bản Máy"),
            T("xã"),
        ],
        vec![
            T("hsp-x02-c01"),
            T("hsp-x02"),
            T("Chi bộ"),
            T("Chi bộ thôn Lùng Chín"),
            T("chi bộ thôn"),
        ],
        vec![
            T("hsp-b01"),
            T("hsp"),
            T("Chi bộ cơ sở"),
            T("Chi bộ Trường THCS Nậm Dịch"),
            T("chi bộ cơ sở"),
        ],
    ];
    let mut members = vec![
        vec![
            T("hsp-m001"),
            T("hsp-x01-c01"),
            T("Lò Thị Hoa"),
            T("Bí thư chi bộ"),
            T("Đang sinh hoạt"),
            T(""),
        ],
        vec![
            T("hsp-m002"),
            T("hsp-x01-c01"),
            T("Giàng Seo Pủa"),
            T("Đảng viên"),
            T(""),
            T(""),
        ],
        vec![
            T("hsp-m003"),
            T("hsp-x01-c01"),
            T("Triệu Thị Mây"),
            T("Chi ủy viên"),
            T(""),
            T(""),
        ],
        vec![
            T("hsp-m004"),
            T("hsp-x01-c02"),
            T("Nguyễn Văn An"),
            T("Bí thư chi bộ"),
            T(""),
            T(""),
        ],
        vec![
            T("hsp-m005"),
            T("hsp-x01-c02"),
            T("Hà Văn Sơn"),
            T("Đảng viên"),
            T("Đi làm ăn xa"),
            T("Bình Dương"),
        ],
        vec![
            T("hsp-m006"),
            T("hsp-x02-c01"),
            T("Sùng Thị Dợ"),
            T("Bí thư chi bộ"),
            T(""),
            T(""),
        ],
        vec![
            T("hsp-m007"),
            T("hsp-x02-c01"),
            T("Vàng A Lử"),
            T("Đảng viên"),
            T("Miễn sinh hoạt"),
            T("Tuổi cao"),
        ],
        vec![
            T("hsp-m008"),
            T("hsp-b01"),
            T("Hoàng Thị Lan"),
            T("Bí thư chi bộ"),
            T(""),
            T(""),
        ],
    ];
    let mut households = vec![
        vec![
            T("hsp-h001"),
            T("hsp-x01-c01"),
            T("Thôn Nậm Mì"),
            T("Sùng A Páo"),
            N(6),
            T("Trồng chè"),
        ],
        vec![
            T("hsp-h002"),
            T("hsp-x01-c01"),
            T("Thôn Nậm Mì"),
            T("Giàng A Di"),
            N(4),
            T("Trồng ngô"),
        ],
        vec![
            T("hsp-h003"),
            T("hsp-x01-c01"),
            T("Thôn Nậm Mì"),
            T("Lù Thị Sen"),
            N(5),
            T("Chăn nuôi"),
        ],
        vec![
            T("hsp-h004"),
            T("hsp-x01-c02"),
            T("Thôn Nậm Khòa"),
            T("Vàng Seo Chứ"),
            N(7),
            T("Trồng lúa"),
        ],
        vec![
            T("hsp-h005"),
            T("hsp-x01-c02"),
            T("Thôn Nậm Khòa"),
            T("Hoàng Văn Tú"),
            N(3),
            T("Làm thuê"),
        ],
        vec![
            T("hsp-h006"),
            T("hsp-x02-c01"),
            T("Thôn Lùng Chín"),
            T("Sùng A Chá"),
            N(8),
            T("Trồng chè"),
        ],
        vec![
            T("hsp-h007"),
            T("hsp-x02-c01"),
            T("Thôn Lùng Chín"),
            T("Ly Thị Mai"),
            N(2),
            T("Dệt thổ cẩm"),
        ],
    ];
    let mut assignments = vec![
        vec![T("hsp-m002"), T("hsp-h001"), Date(2026, 11, 1)],
        vec![T("hsp-m002"), T("hsp-h002"), Date(2026, 11, 1)],
        vec![T("hsp-m003"), T("hsp-h003"), T("01/11/2026")],
        vec![T("hsp-m004"), T("hsp-h004"), T("2026-11-01")],
        vec![T("hsp-m004"), T("hsp-h005"), T("")],
        vec![T("hsp-m006"), T("hsp-h006"), Date(2026, 11, 1)],
        vec![T("hsp-m006"), T("hsp-h007"), Date(2026, 11, 1)],
    ];
    if with_errors {
        units.push(vec![
            T("hsp-x03-c01"),
            T("hsp-x03"),
            T("Chi bộ"),
            T("Chi bộ thôn Tả Sử Choóng"),
            T("chi bộ thôn"),
        ]);
        units.push(vec![
            T("hsp-x02-c02"),
            T("hsp-x02"),
            T("Tổ Đảng"),
            T("Chi bộ thôn Cốc Rế"),
            T("chi bộ thôn"),
        ]);
        members.push(vec![
            T("hsp-m009"),
            T("hsp-x01-c02"),
            T("Lò Văn Tâm"),
            T("Trưởng thôn"),
            T(""),
            T(""),
        ]);
        members.push(vec![
            T("hsp-m002"),
            T("hsp-x02-c01"),
            T("Giàng Seo Pủa"),
            T("Đảng viên"),
            T(""),
            T(""),
        ]);
        members.push(vec![
            T("hsp-m010"),
            T("hsp-x02-c01"),
            T("Vàng Thị Dính"),
            T(""),
            T("Nghỉ"),
            T(""),
        ]);
        households.push(vec![
            T("hsp-h002"),
            T("hsp-x01-c01"),
            T("Thôn Nậm Mì"),
            T("Giàng A Di"),
            N(4),
            T("Trồng ngô"),
        ]);
        households.push(vec![
            T("hsp-h008"),
            T("hsp-x02-c01"),
            T("Thôn Lùng Chín"),
            T("Sùng Seo Dìn"),
            T("năm"),
            T(""),
        ]);
        households.push(vec![
            T("hsp-h009"),
            T("hsp-x02-c01"),
            T("Thôn Lùng Chín"),
            T("Vàng Seo Sử"),
            N(5),
            T(""),
        ]);
        assignments.push(vec![T("hsp-m002"), T("hsp-h009"), T("")]);
        assignments.push(vec![T("hsp-m001"), T("hsp-h006"), T("")]);
        assignments.push(vec![T("hsp-m007"), T("hsp-h007"), T("31/02/2026")]);
    }
    [
        (SheetKind::Units, units),
        (SheetKind::Members, members),
        (SheetKind::Households, households),
        (SheetKind::Assignments, assignments),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Day {
        Day::from_ymd(2026, 11, 20).expect("day")
    }

    #[test]
    fn the_template_reads_back_as_four_empty_sheets_and_the_example_as_a_clean_plan() {
        let template = template().expect("template");
        let plan = plan_file(
            &template,
            "mau.xlsx",
            &Current::default(),
            None,
            today(),
            Lang::Vi,
        )
        .expect("readable");
        assert!(plan.is_ok(), "{:?}", plan.errors);
        assert_eq!(plan.ignored_sheets, [LISTS_SHEET, GUIDE_SHEET]);
        let current = Current {
            units: vec![
                OrgUnit::new(
                    "hsp",
                    None,
                    hosync_core::UnitKind::District,
                    "huyện",
                    "Huyện",
                )
                .expect("unit"),
            ],
            ..Current::default()
        };
        let bytes = workbook(&example(false)).expect("example");
        let plan = plan_file(&bytes, "district.xlsx", &current, None, today(), Lang::Vi)
            .expect("readable");
        assert!(plan.is_ok(), "{:?}", plan.errors);
        // Excel date cells, dd/mm/yyyy, ISO and an empty day (today) alike.
        let days: Vec<String> = plan.assignments.iter().map(|a| a.item.from.iso()).collect();
        assert_eq!(
            days,
            [
                "2026-11-01",
                "2026-11-01",
                "2026-11-01",
                "2026-11-01",
                "2026-11-20",
                "2026-11-01",
                "2026-11-01"
            ]
        );
    }

    #[test]
    fn csv_with_semicolons_and_a_byte_order_mark_is_one_sheet() {
        let csv = "\u{feff}Mã hộ;Mã chi bộ;Chủ hộ;Nhân khẩu\nh1;c1;Sùng A Páo;6\n";
        let tables = read_tables(csv.as_bytes(), "danh-sach.csv").expect("read");
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].rows[1].cells[2], Value::Text("Sùng A Páo".into()));
        let latin1 = b"M\xe3 h\xf4\n";
        let err = read_tables(latin1, "ho.csv").expect_err("not UTF-8");
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    #[test]
    fn what_is_no_workbook_is_refused_in_words() {
        for bytes in [
            &b"PK\x03\x04garbage"[..],
            &[0xd0, 0xcf, 0x11, 0xe0, 1, 2, 3][..],
            b"",
        ] {
            let err = plan_file(
                bytes,
                "x.xlsx",
                &Current::default(),
                None,
                today(),
                Lang::Vi,
            )
            .expect_err("not a workbook");
            assert!(
                err.to_string().starts_with("Không đọc được tệp “x.xlsx”"),
                "{err}"
            );
            let en = err.render(Lang::En);
            assert!(
                en.starts_with("The file \"x.xlsx\" could not be read: "),
                "{en}"
            );
        }
        let err = read_tables(b"M\xe3 h\xf4\n", "ho.csv").expect_err("not UTF-8");
        assert_eq!(
            err.render(Lang::En),
            "The file \"ho.csv\" could not be read: a CSV file must be in UTF-8 (when saving it, choose \"CSV UTF-8\")"
        );
        assert_eq!(
            err.to_string(),
            "Không đọc được tệp “ho.csv”: tệp CSV phải ở bảng mã UTF-8 (khi lưu, chọn “CSV UTF-8”)"
        );
    }
}
