//! Bringing a district's organisation in from a spreadsheet: the sheets and their Vietnamese
//! columns, and the planner that checks plain tables (what the server read from an XLSX or CSV
//! file) against the organisation as it stands and says what an import would create, change
//! and leave, and every error by sheet, row and column, in the reader's language (the headers
//! and coded values it quotes are the template's Vietnamese words either way). No I/O: the
//! server reads the file and applies the plan.
//!
//! An import only adds and updates. What is in the database but not in the sheet is reported,
//! never removed, and a field left empty in a row about something that exists is left as it
//! is, so a later sheet with fewer columns loses nothing a phone wrote.

use std::collections::{BTreeMap, BTreeSet};

use crate::access::{Principal, StaffAction, UnitPath};
use crate::date::Day;
use crate::docs::household::MAX_PEOPLE;
use crate::domain::{MemberStatus, OrgUnit, Role, UnitKind, fold_for_search};
use crate::ids::{HouseholdId, MemberId, STAFF_AUTHOR_PREFIX, UnitId};
use crate::messages::{Lang, say};

/// The most characters a name, village or livelihood may have in a sheet.
const MAX_TEXT: usize = 100;

/// The template's sheet of the values each coded column takes; never read as data.
pub const LISTS_SHEET: &str = "Danh mục";
/// The template's sheet of instructions; never read as data.
pub const GUIDE_SHEET: &str = "Hướng dẫn";

/// What one sheet lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SheetKind {
    Units,
    Members,
    Households,
    Assignments,
}

/// A column of a sheet: its Vietnamese header, other headers read as the same, whether a new
/// row needs it, and what goes in it (the template's second line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub header: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub hint: &'static str,
}

const fn col(
    header: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    hint: &'static str,
) -> Column {
    Column {
        header,
        aliases,
        required,
        hint,
    }
}

const UNIT_COLUMNS: &[Column] = &[
    col(
        "Mã đơn vị",
        &["ma", "code", "id"],
        true,
        "chữ thường, số, - và _ (như hsp-x01)",
    ),
    col(
        "Mã đơn vị cấp trên",
        &["cap tren", "parent"],
        true,
        "mã của đơn vị cấp trên",
    ),
    col(
        "Loại đơn vị",
        &["loai", "kind"],
        true,
        "chọn trong danh sách",
    ),
    col("Tên đơn vị", &["ten", "name"], true, "như Xã Nậm Dịch"),
    col(
        "Tên cấp",
        &["cap", "level label", "level_label"],
        true,
        "như xã, chi bộ thôn",
    ),
];
const MEMBER_COLUMNS: &[Column] = &[
    col(
        "Mã đảng viên",
        &["ma", "code", "id", "member"],
        true,
        "chữ thường, số, - và _",
    ),
    col("Mã chi bộ", &["chi bo", "cell"], true, "mã của chi bộ"),
    col(
        "Họ và tên",
        &["ho ten", "ten", "name"],
        true,
        "họ trước, tên sau",
    ),
    col(
        "Chức vụ trong chi bộ",
        &["chuc vu", "role"],
        false,
        "chọn trong danh sách; trống: đảng viên",
    ),
    col(
        "Tình trạng",
        &["status"],
        false,
        "chọn trong danh sách; trống: đang sinh hoạt",
    ),
    col(
        "Nơi làm ăn xa hoặc lý do miễn",
        &[
            "noi lam an xa",
            "ly do mien",
            "status detail",
            "status_detail",
            "where",
        ],
        false,
        "khi đi làm ăn xa: ở đâu",
    ),
];
const HOUSEHOLD_COLUMNS: &[Column] = &[
    col(
        "Mã hộ",
        &["ma", "code", "id", "household"],
        true,
        "chữ thường, số, - và _",
    ),
    col("Mã chi bộ", &["chi bo", "cell"], true, "mã của chi bộ"),
    col(
        "Thôn, bản",
        &["thon", "thon ban", "village"],
        false,
        "thôn, bản, tổ dân phố",
    ),
    col("Chủ hộ", &["head"], true, "họ và tên chủ hộ"),
    col(
        "Nhân khẩu",
        &["so nhan khau", "people"],
        false,
        "số người trong hộ",
    ),
    col(
        "Sinh kế",
        &["nghe nghiep", "livelihood"],
        false,
        "như Trồng chè",
    ),
];
const ASSIGNMENT_COLUMNS: &[Column] = &[
    col(
        "Mã đảng viên",
        &["dang vien", "member"],
        true,
        "đảng viên phụ trách",
    ),
    col("Mã hộ", &["ho", "household"], true, "hộ được phân công"),
    col(
        "Từ ngày",
        &["tu ngay", "ngay", "from"],
        false,
        "dd/mm/yyyy; trống: hôm nay",
    ),
];

impl SheetKind {
    pub const ALL: [SheetKind; 4] = [
        SheetKind::Units,
        SheetKind::Members,
        SheetKind::Households,
        SheetKind::Assignments,
    ];

    /// The sheet's name in the workbook.
    pub fn sheet_name(self) -> &'static str {
        match self {
            SheetKind::Units => "Đơn vị",
            SheetKind::Members => "Đảng viên",
            SheetKind::Households => "Hộ",
            SheetKind::Assignments => "Phân công",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            SheetKind::Units => UNIT_COLUMNS,
            SheetKind::Members => MEMBER_COLUMNS,
            SheetKind::Households => HOUSEHOLD_COLUMNS,
            SheetKind::Assignments => ASSIGNMENT_COLUMNS,
        }
    }

    /// What the sheet lists, for an error in English (the sheet's name stays Vietnamese).
    fn noun_en(self) -> &'static str {
        match self {
            SheetKind::Units => "units",
            SheetKind::Members => "members",
            SheetKind::Households => "households",
            SheetKind::Assignments => "assignments",
        }
    }

    /// Words of a file or sheet name that tell the kind, folded.
    fn name_words(self) -> &'static [&'static str] {
        match self {
            SheetKind::Units => &["don vi", "donvi", "units", "unit"],
            SheetKind::Members => &["dang vien", "dangvien", "members", "member"],
            SheetKind::Households => &["ho", "ho gia dinh", "households", "household"],
            SheetKind::Assignments => &["phan cong", "phancong", "assignments", "assignment"],
        }
    }

    /// The kind a sheet or a CSV file holds: by its headers when they tell (the columns that
    /// only one kind has), else by its name ("Đơn vị", "don_vi.csv", "ho.csv"…).
    pub fn recognise(name: &str, headers: &[String]) -> Option<SheetKind> {
        let folded = normalise(name);
        if [LISTS_SHEET, GUIDE_SHEET]
            .iter()
            .any(|s| normalise(s) == folded)
        {
            return None;
        }
        if let Some(kind) = SheetKind::ALL
            .into_iter()
            .find(|k| normalise(k.sheet_name()) == folded)
        {
            return Some(kind);
        }
        let mut best: Vec<(usize, SheetKind)> = SheetKind::ALL
            .into_iter()
            .map(|kind| {
                let matched = headers
                    .iter()
                    .filter(|h| column_index(kind, h).is_some())
                    .count();
                let exact = headers
                    .iter()
                    .filter(|h| {
                        kind.columns()
                            .iter()
                            .any(|c| normalise(c.header) == normalise(h))
                    })
                    .count();
                (matched + exact, kind)
            })
            .filter(|(score, _)| *score >= 4)
            .collect();
        best.sort_by_key(|b| std::cmp::Reverse(b.0));
        if let [(first, kind), rest @ ..] = best.as_slice()
            && rest.first().is_none_or(|(second, _)| second < first)
        {
            return Some(*kind);
        }
        // File names: the stem's words, without the extension.
        let stem = folded
            .rsplit_once('.')
            .map_or(folded.as_str(), |(stem, _)| stem)
            .replace(['_', '-'], " ");
        let stem = stem.split_whitespace().collect::<Vec<_>>().join(" ");
        // The longer names first: "ho" is a word of "ho gia dinh" but also of others.
        for kind in [
            SheetKind::Units,
            SheetKind::Members,
            SheetKind::Assignments,
            SheetKind::Households,
        ] {
            let words = kind.name_words();
            if words.iter().any(|w| {
                stem == *w
                    || stem.starts_with(&format!("{w} "))
                    || stem.ends_with(&format!(" {w}"))
                    || stem.contains(&format!(" {w} "))
            }) {
                return Some(kind);
            }
        }
        None
    }
}

/// Lower case, no diacritics, single spaces, no punctuation around: how headers and names are
/// compared, so that "Họ và tên", "ho va ten" and "HỌ VÀ TÊN " are one header.
fn normalise(text: &str) -> String {
    fold_for_search(text)
        .replace([',', ':', '(', ')', '*'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The column of `kind` a header names.
fn column_index(kind: SheetKind, header: &str) -> Option<usize> {
    let h = normalise(header);
    if h.is_empty() {
        return None;
    }
    let columns = kind.columns();
    columns
        .iter()
        .position(|c| normalise(c.header) == h)
        .or_else(|| columns.iter().position(|c| c.aliases.contains(&h.as_str())))
}

/// A cell as the file held it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Number(f64),
    /// A cell the spreadsheet keeps as a date.
    Date(Day),
}

impl Value {
    /// The cell as text, trimmed; a whole number without its ".0".
    fn text(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(t) => t.trim().to_owned(),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Value::Number(n) => n.to_string(),
            Value::Date(d) => d.vi(),
        }
    }
}

/// One row of a sheet, numbered as the spreadsheet shows it (the first is 1).
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub number: u32,
    pub cells: Vec<Value>,
}

/// A sheet read from a file: its name and its rows, the header row among them.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub sheet: String,
    pub rows: Vec<TableRow>,
}

/// A member as the organisation holds them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentMember {
    pub id: MemberId,
    pub cell: UnitId,
    pub name: String,
    pub role: Role,
    pub status: MemberStatus,
}

/// A household as the organisation holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentHousehold {
    pub id: HouseholdId,
    pub cell: UnitId,
    pub head: String,
    pub village: String,
    pub people: u32,
    pub livelihood: String,
}

/// The organisation an import is checked against, as plain data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Current {
    pub units: Vec<OrgUnit>,
    pub members: Vec<CurrentMember>,
    pub households: Vec<CurrentHousehold>,
    /// Who looks after each household now.
    pub assignments: Vec<(HouseholdId, MemberId)>,
}

/// What an import does with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Change,
    Same,
}

impl Action {
    /// Every action, for the server's description of a plan.
    pub const ALL: [Action; 3] = [Action::Create, Action::Change, Action::Same];

    pub fn code(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Change => "change",
            Action::Same => "same",
        }
    }
}

/// One row of the plan: where it came from, what it does, and for a change the headers of the
/// columns that change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step<T> {
    pub sheet: String,
    pub row: u32,
    pub action: Action,
    pub item: T,
    pub changed: Vec<&'static str>,
}

/// A member row: for a new member every field is filled (the defaults where the sheet left
/// one empty); for one who exists, `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub id: MemberId,
    pub cell: UnitId,
    pub name: Option<String>,
    pub role: Option<Role>,
    pub status: Option<MemberStatus>,
}

/// A household row, filled as [`MemberRow`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdRow {
    pub id: HouseholdId,
    pub cell: UnitId,
    pub head: Option<String>,
    pub village: Option<String>,
    pub people: Option<u32>,
    pub livelihood: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentRow {
    pub household: HouseholdId,
    pub member: MemberId,
    pub from: Day,
    /// The cell both are in.
    pub cell: UnitId,
}

/// What is wrong, and where: the sheet, the row (as the spreadsheet numbers it), the column
/// (its letter and header; empty for a whole sheet or row) and, in the planner's language, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub sheet: String,
    pub row: u32,
    pub column: String,
    pub header: String,
    pub message: String,
}

/// What an import would do. Applied only when `errors` is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Parents before their children.
    pub units: Vec<Step<OrgUnit>>,
    pub members: Vec<Step<MemberRow>>,
    pub households: Vec<Step<HouseholdRow>>,
    pub assignments: Vec<Step<AssignmentRow>>,
    /// Members of the cells the members' sheet lists who are not in it: reported, kept.
    pub members_not_in_sheet: Vec<MemberId>,
    /// Households of the cells the households' sheet lists that are not in it: reported, kept.
    pub households_not_in_sheet: Vec<HouseholdId>,
    /// Sheets that are none of the four kinds, left aside (the template's lists, notes).
    pub ignored_sheets: Vec<String>,
    pub errors: Vec<ImportError>,
}

/// How many rows of each kind an import creates, changes and leaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: usize,
    pub changed: usize,
    pub same: usize,
}

impl Counts {
    fn of<T>(steps: &[Step<T>]) -> Counts {
        let count = |a| steps.iter().filter(|s| s.action == a).count();
        Counts {
            created: count(Action::Create),
            changed: count(Action::Change),
            same: count(Action::Same),
        }
    }
}

impl Plan {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Units, members, households and assignments, in that order.
    pub fn counts(&self) -> [(SheetKind, Counts); 4] {
        [
            (SheetKind::Units, Counts::of(&self.units)),
            (SheetKind::Members, Counts::of(&self.members)),
            (SheetKind::Households, Counts::of(&self.households)),
            (SheetKind::Assignments, Counts::of(&self.assignments)),
        ]
    }

    /// One line for the audit log and the command line.
    pub fn summary(&self) -> String {
        self.counts()
            .iter()
            .map(|(kind, c)| {
                format!(
                    "{}: {} mới, {} sửa, {} giữ nguyên",
                    kind.sheet_name(),
                    c.created,
                    c.changed,
                    c.same
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The spreadsheet's letter for a column counted from 0: A, B, … Z, AA…
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// The day of an Excel date number (the 1900 system that every current spreadsheet writes).
pub fn day_from_excel(serial: f64) -> Option<Day> {
    // 25,569 is 1970-01-01; below 61 the 1900 system counts a 29 February that never was.
    if !(61.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let epoch = Day::from_ymd(1970, 1, 1).ok()?;
    Some(epoch.add_days(serial.floor() as i64 - 25_569))
}

/// A date as people write it: dd/mm/yyyy (also d/m/yyyy, with dashes or dots), or yyyy-mm-dd.
pub fn parse_day(text: &str) -> Option<Day> {
    let text = text.trim();
    if let Ok(day) = Day::parse(text) {
        return Some(day);
    }
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || d.is_empty() || d.len() > 2 || m.is_empty() || m.len() > 2 {
        return None;
    }
    Day::from_ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

/// The value of a coded column: its code or its Vietnamese label, either case, with or without
/// diacritics.
fn parse_coded<T: Copy>(
    raw: &str,
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Option<T> {
    let n = normalise(raw);
    all.iter()
        .copied()
        .find(|&v| normalise(code(v)) == n || normalise(label(v)) == n)
}

/// The statuses as the sheet names them: code and Vietnamese label.
pub const STATUSES: [(&str, &str); 3] = [
    ("active", "Đang sinh hoạt"),
    ("working_away", "Đi làm ăn xa"),
    ("exempt", "Miễn sinh hoạt"),
];

/// The values a coded column takes, as the template's drop-down lists offer them.
pub fn choices(kind: SheetKind, column: usize) -> Option<Vec<&'static str>> {
    match (kind, column) {
        (SheetKind::Units, 2) => Some(UnitKind::ALL.iter().map(|k| k.label_vi()).collect()),
        (SheetKind::Members, 3) => Some(Role::ALL.iter().map(|r| r.label_vi()).collect()),
        (SheetKind::Members, 4) => Some(STATUSES.iter().map(|(_, l)| *l).collect()),
        _ => None,
    }
}

/// The values a coded column takes, as an error lists them: in English each is quoted, so
/// that the Vietnamese words read as the sheet's values.
fn choice_list(values: impl Iterator<Item = &'static str>, lang: Lang) -> String {
    match lang {
        Lang::Vi => values.collect::<Vec<_>>().join("; "),
        Lang::En => values
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// Where the planner is in a sheet, to name it in errors.
struct Sheet<'a> {
    name: &'a str,
    kind: SheetKind,
    /// For each of the kind's columns, where it is in the file.
    at: Vec<Option<usize>>,
}

/// A row being read: its cells and the errors found in it.
struct Cursor<'a, 'b> {
    sheet: &'a Sheet<'a>,
    row: &'b TableRow,
    errors: &'b mut Vec<ImportError>,
    failed: bool,
    lang: Lang,
}

impl Cursor<'_, '_> {
    /// The header of one of the kind's columns, as errors name it.
    fn header(&self, column: usize) -> &'static str {
        self.sheet.kind.columns()[column].header
    }

    fn text(&self, column: usize) -> String {
        self.value(column).map(Value::text).unwrap_or_default()
    }

    fn value(&self, column: usize) -> Option<&Value> {
        self.sheet.at[column].and_then(|i| self.row.cells.get(i))
    }

    fn error(&mut self, column: Option<usize>, message: String) {
        let (letter, header) = match column {
            Some(c) => (
                self.sheet.at[c].map(column_letter).unwrap_or_default(),
                self.sheet.kind.columns()[c].header.to_owned(),
            ),
            None => (String::new(), String::new()),
        };
        self.errors.push(ImportError {
            sheet: self.sheet.name.to_owned(),
            row: self.row.number,
            column: letter,
            header,
            message,
        });
        self.failed = true;
    }

    /// A required text: its absence is an error when `required`.
    fn required(&mut self, column: usize, required: bool) -> Option<String> {
        let text = self.text(column);
        if text.is_empty() {
            if required {
                let header = self.header(column);
                let lower = header.to_lowercase();
                let message = say!(self.lang, "Thiếu {lower}", "\"{header}\" is missing");
                self.error(Some(column), message);
            }
            return None;
        }
        Some(text)
    }

    fn code<T>(
        &mut self,
        column: usize,
        parse: fn(&str) -> Result<T, crate::IdError>,
    ) -> Option<T> {
        let text = self.required(column, true)?;
        match parse(&text) {
            Ok(id) => Some(id),
            Err(_) => {
                let header = self.header(column);
                let message = say!(
                    self.lang,
                    "Mã “{text}” không hợp lệ: chỉ gồm chữ thường không dấu a-z, số 0-9, “-” và “_”, tối đa 64 ký tự",
                    "\"{text}\" is not a valid code for \"{header}\": use only lower-case letters a-z without diacritics, digits 0-9, \"-\" and \"_\", at most 64 characters"
                );
                self.error(Some(column), message);
                None
            }
        }
    }

    /// A short text a person reads (a name, a village): at most `MAX_TEXT` characters, no
    /// control or text-direction characters.
    fn plain(&mut self, column: usize, required: bool) -> Option<String> {
        let text = self.required(column, required)?;
        match crate::domain::check_plain_text("text", &text, MAX_TEXT) {
            Ok(t) => Some(t),
            Err(_) => {
                let chars = text.chars().count();
                let header = self.header(column);
                let message = if chars > MAX_TEXT {
                    say!(
                        self.lang,
                        "“{text}” dài {chars} ký tự, quá {MAX_TEXT}",
                        "\"{text}\" in \"{header}\" is {chars} characters long, more than {MAX_TEXT}"
                    )
                } else {
                    say!(
                        self.lang,
                        "“{text}” có ký tự điều khiển hoặc ký tự đổi chiều chữ",
                        "\"{text}\" in \"{header}\" has control or text-direction characters"
                    )
                };
                self.error(Some(column), message);
                None
            }
        }
    }
}

/// Units known to the planner: the current ones and those the sheet adds.
struct Tree {
    units: BTreeMap<UnitId, (Option<UnitId>, UnitKind, bool)>,
}

impl Tree {
    /// The path of a unit from the root, or None when its chain is broken or circles.
    fn path(&self, id: &UnitId) -> Option<UnitPath> {
        let mut chain = vec![id.clone()];
        let mut at = id;
        while let Some((Some(parent), ..)) = self.units.get(at) {
            if chain.contains(parent) || chain.len() > 64 {
                return None;
            }
            chain.push(parent.clone());
            at = parent;
        }
        self.units.get(at)?;
        chain.reverse();
        Some(UnitPath::from_ids(&chain))
    }
}

/// A unit's row that cannot be planned because its parent's row failed.
fn parent_failed(lang: Lang, parent: &UnitId, at: u32) -> String {
    say!(
        lang,
        "Đơn vị cấp trên “{parent}” có lỗi ở dòng {at}; sửa dòng đó trước",
        "The parent unit \"{parent}\" has an error on row {at}; fix that row first"
    )
}

/// Whether `by` may change the organisation at `path` (the command line, `None`, may anywhere).
fn may(by: Option<&Principal>, path: &UnitPath) -> bool {
    by.is_none_or(|p| p.may(StaffAction::ManageOrganisation, path).is_ok())
}

/// Checks `tables` against `current` for `by` (`None`: the server's command line, anywhere) and
/// says what an import would do, its errors in `lang`. `today` is the day an assignment with no
/// date starts.
pub fn plan(
    tables: &[Table],
    current: &Current,
    by: Option<&Principal>,
    today: Day,
    lang: Lang,
) -> Plan {
    let mut plan = Plan::default();
    let mut sheets: BTreeMap<SheetKind, Vec<(Sheet<'_>, &[TableRow])>> = BTreeMap::new();
    for table in tables {
        let Some(header_at) = table
            .rows
            .iter()
            .position(|r| r.cells.iter().any(|c| !c.text().is_empty()))
        else {
            continue;
        };
        let header_row = &table.rows[header_at];
        let headers: Vec<String> = header_row.cells.iter().map(Value::text).collect();
        let Some(kind) = SheetKind::recognise(&table.sheet, &headers) else {
            plan.ignored_sheets.push(table.sheet.clone());
            continue;
        };
        let mut at = vec![None; kind.columns().len()];
        for (i, h) in headers.iter().enumerate() {
            if let Some(c) = column_index(kind, h)
                && at[c].is_none()
            {
                at[c] = Some(i);
            }
        }
        let missing: Vec<&str> = kind
            .columns()
            .iter()
            .zip(&at)
            .filter(|(c, at)| c.required && at.is_none())
            .map(|(c, _)| c.header)
            .collect();
        if !missing.is_empty() {
            plan.errors.push(ImportError {
                sheet: table.sheet.clone(),
                row: header_row.number,
                column: String::new(),
                header: String::new(),
                message: {
                    let sheet = &table.sheet;
                    let (vi, en) = (kind.sheet_name().to_lowercase(), kind.noun_en());
                    let vi_columns = missing.join(", ");
                    let en_columns = missing
                        .iter()
                        .map(|h| format!("\"{h}\""))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let columns = if missing.len() == 1 {
                        "column"
                    } else {
                        "columns"
                    };
                    say!(
                        lang,
                        "Trang “{sheet}” là danh sách {vi} nhưng thiếu cột: {vi_columns}",
                        "Sheet \"{sheet}\" lists {en} but lacks the {columns} {en_columns}"
                    )
                },
            });
            continue;
        }
        let body = &table.rows[header_at + 1..];
        sheets.entry(kind).or_default().push((
            Sheet {
                name: &table.sheet,
                kind,
                at,
            },
            body,
        ));
    }
    let rows = |kind| -> Vec<(&Sheet<'_>, &TableRow)> {
        sheets
            .get(&kind)
            .into_iter()
            .flatten()
            .flat_map(|(sheet, rows)| {
                rows.iter()
                    .filter(|r| r.cells.iter().any(|c| !c.text().is_empty()))
                    .map(move |r| (sheet, r))
            })
            .collect()
    };

    let mut tree = Tree {
        units: current
            .units
            .iter()
            .map(|u| (u.id.clone(), (u.parent.clone(), u.kind, false)))
            .collect(),
    };
    let current_units: BTreeMap<&UnitId, &OrgUnit> =
        current.units.iter().map(|u| (&u.id, u)).collect();
    let unseen = |tree: &Tree, id: &UnitId| tree.path(id).is_none_or(|p| !may(by, &p));

    // Units: first what each row says, then the tree they make, then the rights over it.
    let mut unit_rows: Vec<(Step<OrgUnit>, &Sheet<'_>, &TableRow)> = Vec::new();
    let mut seen_units: BTreeMap<UnitId, u32> = BTreeMap::new();
    for (sheet, row) in rows(SheetKind::Units) {
        let mut c = Cursor {
            sheet,
            row,
            errors: &mut plan.errors,
            failed: false,
            lang,
        };
        let id = c.code(0, UnitId::parse);
        let parent_text = c.text(1);
        let parent = if parent_text.is_empty() {
            None
        } else {
            match UnitId::parse(&parent_text) {
                Ok(p) => Some(p),
                Err(_) => {
                    let header = UNIT_COLUMNS[1].header;
                    let message = say!(
                        lang,
                        "Mã đơn vị cấp trên “{parent_text}” không hợp lệ",
                        "\"{parent_text}\" is not a valid code for \"{header}\""
                    );
                    c.error(Some(1), message);
                    None
                }
            }
        };
        let kind_text = c.required(2, true);
        let kind = kind_text.as_deref().and_then(|k| {
            let found = parse_coded(k, UnitKind::ALL, UnitKind::code, UnitKind::label_vi);
            if found.is_none() {
                let header = UNIT_COLUMNS[2].header;
                let list = choice_list(UnitKind::ALL.iter().map(|k| k.label_vi()), lang);
                let message = say!(
                    lang,
                    "Không có loại đơn vị “{k}”; chọn một trong: {list}",
                    "\"{k}\" is not a value of \"{header}\"; choose one of: {list}"
                );
                c.error(Some(2), message);
            }
            found
        });
        let name = c.plain(3, true);
        let level_label = c.plain(4, true);
        let Some(id) = id else { continue };
        if let Some(first) = seen_units.get(&id) {
            let message = say!(
                lang,
                "Mã đơn vị “{id}” lặp lại: đã có ở dòng {first}",
                "Unit code \"{id}\" is repeated: it is on row {first} already"
            );
            c.error(Some(0), message);
            continue;
        }
        seen_units.insert(id.clone(), row.number);
        if parent.is_none() && parent_text.is_empty() && !current_units.contains_key(&id) {
            let header = UNIT_COLUMNS[1].header;
            let message = say!(
                lang,
                "Thiếu mã đơn vị cấp trên: đơn vị cao nhất do lệnh khởi tạo (hosync init) tạo ra",
                "\"{header}\" is missing: only the setup command (hosync init) makes the top unit"
            );
            c.error(Some(1), message);
        }
        let (Some(kind), Some(name), Some(level_label)) = (kind, name, level_label) else {
            continue;
        };
        if c.failed {
            continue;
        }
        if !current_units.contains_key(&id) {
            tree.units.insert(id.clone(), (parent.clone(), kind, true));
        }
        unit_rows.push((
            Step {
                sheet: sheet.name.to_owned(),
                row: row.number,
                action: Action::Create,
                item: OrgUnit {
                    id,
                    parent,
                    kind,
                    level_label,
                    name,
                },
                changed: Vec::new(),
            },
            sheet,
            row,
        ));
    }
    for (mut step, sheet, row) in unit_rows {
        let mut c = Cursor {
            sheet,
            row,
            errors: &mut plan.errors,
            failed: false,
            lang,
        };
        let unit = &step.item;
        if let Some(stored) = current_units.get(&unit.id) {
            let id = &unit.id;
            if unseen(&tree, id) {
                let message = say!(
                    lang,
                    "Đơn vị “{id}” đã có, ngoài phạm vi của bạn",
                    "Unit \"{id}\" exists already, outside your scope"
                );
                c.error(Some(0), message);
                continue;
            }
            if stored.parent != unit.parent || stored.kind != unit.kind {
                let kind = stored.kind.label_vi();
                let parent = stored.parent.as_ref().map_or("", UnitId::as_str);
                let (name, level) = (UNIT_COLUMNS[3].header, UNIT_COLUMNS[4].header);
                let message = say!(
                    lang,
                    "Đơn vị “{id}” đã có, là {kind} dưới “{parent}”; nhập danh sách chỉ đổi tên và tên cấp, không chuyển đơn vị hay đổi loại",
                    "Unit \"{id}\" exists already, a \"{kind}\" under \"{parent}\"; an import changes only \"{name}\" and \"{level}\", it does not move a unit or change its kind"
                );
                c.error(Some(if stored.kind != unit.kind { 2 } else { 1 }), message);
                continue;
            }
            if stored.name != unit.name {
                step.changed.push(UNIT_COLUMNS[3].header);
            }
            if stored.level_label != unit.level_label {
                step.changed.push(UNIT_COLUMNS[4].header);
            }
            step.action = if step.changed.is_empty() {
                Action::Same
            } else {
                Action::Change
            };
        } else if let Some(parent) = &unit.parent {
            if !tree.units.contains_key(parent)
                && let Some(at) = seen_units.get(parent)
            {
                c.error(Some(1), parent_failed(lang, parent, *at));
                continue;
            }
            if unseen(&tree, parent) {
                let message = say!(
                    lang,
                    "Không có đơn vị cấp trên “{parent}” trong danh sách hay trong phạm vi của bạn",
                    "There is no parent unit \"{parent}\" in the file or within your scope"
                );
                c.error(Some(1), message);
                continue;
            }
            let id = &unit.id;
            if tree.path(id).is_none() {
                let message = say!(
                    lang,
                    "Đơn vị “{id}” nằm trong một vòng đơn vị cấp trên của chính nó",
                    "Unit \"{id}\" is in a loop of parent units: it is among its own parents"
                );
                c.error(Some(1), message);
                continue;
            }
            if tree
                .units
                .get(parent)
                .is_some_and(|(_, k, _)| k.holds_members())
            {
                let message = say!(
                    lang,
                    "Đơn vị cấp trên “{parent}” là chi bộ; dưới chi bộ là đảng viên và hộ, không có đơn vị",
                    "The parent unit \"{parent}\" is a cell; a cell holds members and households, not units"
                );
                c.error(Some(1), message);
                continue;
            }
        }
        plan.units.push(step);
    }
    // A unit under one whose row failed fails too, naming the row to fix first.
    loop {
        let planned: BTreeSet<UnitId> = plan.units.iter().map(|s| s.item.id.clone()).collect();
        let broken = plan.units.iter().position(|s| {
            s.item.parent.as_ref().is_some_and(|p| {
                tree.units.get(p).is_some_and(|(_, _, new)| *new) && !planned.contains(p)
            })
        });
        let Some(i) = broken else { break };
        let step = plan.units.remove(i);
        let parent = step
            .item
            .parent
            .clone()
            .unwrap_or_else(|| step.item.id.clone());
        plan.errors.push(ImportError {
            sheet: step.sheet,
            row: step.row,
            column: String::new(),
            header: UNIT_COLUMNS[1].header.to_owned(),
            message: parent_failed(
                lang,
                &parent,
                seen_units.get(&parent).copied().unwrap_or_default(),
            ),
        });
        tree.units.remove(&step.item.id);
    }
    plan.units.sort_by_key(|s| {
        tree.path(&s.item.id)
            .map_or(0, |p| p.as_str().matches('/').count())
    });
    // A unit whose row failed is not there for the rows under it.
    let planned_units: BTreeSet<UnitId> = plan.units.iter().map(|s| s.item.id.clone()).collect();
    tree.units
        .retain(|id, (_, _, new)| !*new || planned_units.contains(id));

    // A cell named by a member or household row: it exists (or is planned), is in scope, and
    // holds members.
    let check_cell = |c: &mut Cursor<'_, '_>, column: usize, cell: &UnitId| -> bool {
        match tree.units.get(cell) {
            Some((_, kind, _)) if !unseen(&tree, cell) => {
                if kind.holds_members() {
                    true
                } else {
                    let (label, lower) = (kind.label_vi(), kind.label_vi().to_lowercase());
                    let message = say!(
                        lang,
                        "“{cell}” là {lower}, không phải chi bộ: đảng viên và hộ thuộc về một chi bộ",
                        "\"{cell}\" is a \"{label}\", not a cell: members and households belong to a cell"
                    );
                    c.error(Some(column), message);
                    false
                }
            }
            _ => {
                let message = say!(
                    lang,
                    "Không có chi bộ “{cell}” trong danh sách hay trong phạm vi của bạn",
                    "There is no cell \"{cell}\" in the file or within your scope"
                );
                c.error(Some(column), message);
                false
            }
        }
    };

    // Members.
    let stored_members: BTreeMap<&MemberId, &CurrentMember> =
        current.members.iter().map(|m| (&m.id, m)).collect();
    let mut member_cells: BTreeMap<MemberId, (UnitId, u32)> = BTreeMap::new();
    let mut member_sheet_cells = BTreeSet::new();
    for (sheet, row) in rows(SheetKind::Members) {
        let mut c = Cursor {
            sheet,
            row,
            errors: &mut plan.errors,
            failed: false,
            lang,
        };
        let id = c.code(0, MemberId::parse);
        let cell = c.code(1, UnitId::parse);
        let name = c.plain(2, false);
        let role = c.required(3, false).and_then(|raw| {
            let found = parse_coded(&raw, Role::ALL, Role::code, Role::label_vi);
            if found.is_none() {
                let header = MEMBER_COLUMNS[3].header;
                let list = choice_list(Role::ALL.iter().map(|r| r.label_vi()), lang);
                let message = say!(
                    lang,
                    "Không có chức vụ “{raw}”; chọn một trong: {list}",
                    "\"{raw}\" is not a value of \"{header}\"; choose one of: {list}"
                );
                c.error(Some(3), message);
            }
            found
        });
        let detail = c.plain(5, false).unwrap_or_default();
        let status = c.required(4, false).and_then(|raw| {
            let n = normalise(&raw);
            let found = STATUSES
                .iter()
                .find(|(code, label)| normalise(code) == n || normalise(label) == n)
                .and_then(|(code, _)| MemberStatus::parse(code, &detail).ok());
            if found.is_none() {
                let header = MEMBER_COLUMNS[4].header;
                let list = choice_list(STATUSES.iter().map(|(_, l)| *l), lang);
                let message = say!(
                    lang,
                    "Không có tình trạng “{raw}”; chọn một trong: {list}",
                    "\"{raw}\" is not a value of \"{header}\"; choose one of: {list}"
                );
                c.error(Some(4), message);
            }
            found
        });
        if matches!(&status, Some(MemberStatus::WorkingAway { place }) if place.is_empty()) {
            let (away, header) = (STATUSES[1].1, MEMBER_COLUMNS[5].header);
            let message = say!(
                lang,
                "Đi làm ăn xa: ghi nơi đang làm ăn",
                "\"{away}\" (working away): write where in \"{header}\""
            );
            c.error(Some(5), message);
        }
        let (Some(id), Some(cell)) = (id, cell) else {
            continue;
        };
        if id.as_str().starts_with(STAFF_AUTHOR_PREFIX) {
            let header = MEMBER_COLUMNS[0].header;
            let message = say!(
                lang,
                "Mã đảng viên không được bắt đầu bằng “{STAFF_AUTHOR_PREFIX}”: dành cho tài khoản cán bộ",
                "\"{header}\" may not start with \"{STAFF_AUTHOR_PREFIX}\": that is kept for staff accounts"
            );
            c.error(Some(0), message);
            continue;
        }
        if let Some((first_cell, first_row)) = member_cells.get(&id) {
            let message = if first_cell == &cell {
                say!(
                    lang,
                    "Đảng viên “{id}” lặp lại: đã có ở dòng {first_row}",
                    "Member \"{id}\" is repeated: they are on row {first_row} already"
                )
            } else {
                say!(
                    lang,
                    "Đảng viên “{id}” ở hai chi bộ: “{first_cell}” (dòng {first_row}) và “{cell}”; mỗi đảng viên sinh hoạt ở một chi bộ",
                    "Member \"{id}\" is in two cells: \"{first_cell}\" (row {first_row}) and \"{cell}\"; each member belongs to one cell"
                )
            };
            c.error(Some(if first_cell == &cell { 0 } else { 1 }), message);
            continue;
        }
        member_cells.insert(id.clone(), (cell.clone(), row.number));
        if !check_cell(&mut c, 1, &cell) {
            continue;
        }
        member_sheet_cells.insert(cell.clone());
        let mut step = Step {
            sheet: sheet.name.to_owned(),
            row: row.number,
            action: Action::Create,
            item: MemberRow {
                id: id.clone(),
                cell: cell.clone(),
                name: name.clone(),
                role,
                status: status.clone(),
            },
            changed: Vec::new(),
        };
        match stored_members.get(&id) {
            Some(stored) if stored.cell != cell => {
                let visible = tree.path(&stored.cell).is_some_and(|p| may(by, &p));
                let stored = &stored.cell;
                // "Transfer" is the English dashboard's name of the action.
                let message = if visible {
                    say!(
                        lang,
                        "Đảng viên “{id}” đang sinh hoạt ở chi bộ “{stored}”; chuyển sang chi bộ khác bằng “Chuyển sinh hoạt”, không qua nhập danh sách",
                        "Member \"{id}\" belongs to cell \"{stored}\"; move them to another cell with \"Transfer\", not by an import"
                    )
                } else {
                    say!(
                        lang,
                        "Mã đảng viên “{id}” đã có, ngoài phạm vi của bạn",
                        "Member code \"{id}\" exists already, outside your scope"
                    )
                };
                c.error(Some(1), message);
                continue;
            }
            Some(stored) => {
                if name.as_ref().is_some_and(|n| n != &stored.name) {
                    step.changed.push(MEMBER_COLUMNS[2].header);
                }
                if role.is_some_and(|r| r != stored.role) {
                    step.changed.push(MEMBER_COLUMNS[3].header);
                }
                if status.as_ref().is_some_and(|s| s != &stored.status) {
                    step.changed.push(MEMBER_COLUMNS[4].header);
                }
                step.action = if step.changed.is_empty() {
                    Action::Same
                } else {
                    Action::Change
                };
            }
            None => {
                if name.is_none() {
                    let header = MEMBER_COLUMNS[2].header;
                    let message = say!(
                        lang,
                        "Thiếu họ và tên của đảng viên mới",
                        "\"{header}\" is missing for a new member"
                    );
                    c.error(Some(2), message);
                    continue;
                }
                step.item.role = Some(role.unwrap_or(Role::Member));
                step.item.status = Some(status.unwrap_or(MemberStatus::Active));
            }
        }
        if !c.failed {
            plan.members.push(step);
        }
    }
    let planned_members: BTreeMap<MemberId, UnitId> = current
        .members
        .iter()
        .map(|m| (m.id.clone(), m.cell.clone()))
        .chain(
            plan.members
                .iter()
                .map(|s| (s.item.id.clone(), s.item.cell.clone())),
        )
        .collect();
    plan.members_not_in_sheet = current
        .members
        .iter()
        .filter(|m| member_sheet_cells.contains(&m.cell) && !member_cells.contains_key(&m.id))
        .map(|m| m.id.clone())
        .collect();

    // Households.
    let stored_households: BTreeMap<&HouseholdId, &CurrentHousehold> =
        current.households.iter().map(|h| (&h.id, h)).collect();
    let mut household_rows: BTreeMap<HouseholdId, u32> = BTreeMap::new();
    let mut household_sheet_cells = BTreeSet::new();
    for (sheet, row) in rows(SheetKind::Households) {
        let mut c = Cursor {
            sheet,
            row,
            errors: &mut plan.errors,
            failed: false,
            lang,
        };
        let id = c.code(0, HouseholdId::parse);
        let cell = c.code(1, UnitId::parse);
        let village = c.plain(2, false);
        let head = c.plain(3, false);
        let people = c
            .value(4)
            .cloned()
            .filter(|v| !v.text().is_empty())
            .and_then(|v| {
                let n = match &v {
                    Value::Number(n) => Some(*n),
                    other => other.text().replace(' ', "").parse::<f64>().ok(),
                };
                match n {
                    Some(n) if n.fract() == 0.0 && (0.0..=f64::from(MAX_PEOPLE)).contains(&n) => {
                        Some(n as u32)
                    }
                    _ => {
                        let (text, header) = (v.text(), HOUSEHOLD_COLUMNS[4].header);
                        let message = say!(
                            lang,
                            "Số nhân khẩu “{text}” không phải số nguyên từ 0 đến {MAX_PEOPLE}",
                            "\"{text}\" in \"{header}\" is not a whole number from 0 to {MAX_PEOPLE}"
                        );
                        c.error(Some(4), message);
                        None
                    }
                }
            });
        let livelihood = c.plain(5, false);
        let (Some(id), Some(cell)) = (id, cell) else {
            continue;
        };
        if let Some(first) = household_rows.get(&id) {
            let message = say!(
                lang,
                "Mã hộ “{id}” lặp lại: đã có ở dòng {first}",
                "Household code \"{id}\" is repeated: it is on row {first} already"
            );
            c.error(Some(0), message);
            continue;
        }
        household_rows.insert(id.clone(), row.number);
        if !check_cell(&mut c, 1, &cell) {
            continue;
        }
        household_sheet_cells.insert(cell.clone());
        let mut step = Step {
            sheet: sheet.name.to_owned(),
            row: row.number,
            action: Action::Create,
            item: HouseholdRow {
                id: id.clone(),
                cell: cell.clone(),
                head: head.clone(),
                village: village.clone(),
                people,
                livelihood: livelihood.clone(),
            },
            changed: Vec::new(),
        };
        match stored_households.get(&id) {
            Some(stored) if stored.cell != cell => {
                let visible = tree.path(&stored.cell).is_some_and(|p| may(by, &p));
                let stored = &stored.cell;
                // "Move the household" is the English dashboard's name of the action.
                let message = if visible {
                    say!(
                        lang,
                        "Hộ “{id}” đang thuộc chi bộ “{stored}”; chuyển hộ sang chi bộ khác bằng “Chuyển hộ”, không qua nhập danh sách",
                        "Household \"{id}\" belongs to cell \"{stored}\"; move it to another cell with \"Move the household\", not by an import"
                    )
                } else {
                    say!(
                        lang,
                        "Mã hộ “{id}” đã có, ngoài phạm vi của bạn",
                        "Household code \"{id}\" exists already, outside your scope"
                    )
                };
                c.error(Some(1), message);
                continue;
            }
            Some(stored) => {
                let differs =
                    |new: &Option<String>, old: &str| new.as_deref().is_some_and(|n| n != old);
                if differs(&village, &stored.village) {
                    step.changed.push(HOUSEHOLD_COLUMNS[2].header);
                }
                if differs(&head, &stored.head) {
                    step.changed.push(HOUSEHOLD_COLUMNS[3].header);
                }
                if people.is_some_and(|p| p != stored.people) {
                    step.changed.push(HOUSEHOLD_COLUMNS[4].header);
                }
                if differs(&livelihood, &stored.livelihood) {
                    step.changed.push(HOUSEHOLD_COLUMNS[5].header);
                }
                step.action = if step.changed.is_empty() {
                    Action::Same
                } else {
                    Action::Change
                };
            }
            None => {
                if head.is_none() {
                    let header = HOUSEHOLD_COLUMNS[3].header;
                    let message = say!(
                        lang,
                        "Thiếu chủ hộ của hộ mới",
                        "\"{header}\" is missing for a new household"
                    );
                    c.error(Some(3), message);
                    continue;
                }
                step.item.village = Some(village.unwrap_or_default());
                step.item.people = Some(people.unwrap_or(0));
                step.item.livelihood = Some(livelihood.unwrap_or_default());
            }
        }
        if !c.failed {
            plan.households.push(step);
        }
    }
    let planned_households: BTreeMap<HouseholdId, UnitId> = current
        .households
        .iter()
        .map(|h| (h.id.clone(), h.cell.clone()))
        .chain(
            plan.households
                .iter()
                .map(|s| (s.item.id.clone(), s.item.cell.clone())),
        )
        .collect();
    plan.households_not_in_sheet = current
        .households
        .iter()
        .filter(|h| household_sheet_cells.contains(&h.cell) && !household_rows.contains_key(&h.id))
        .map(|h| h.id.clone())
        .collect();

    // Assignments.
    let assigned: BTreeMap<&HouseholdId, &MemberId> =
        current.assignments.iter().map(|(h, m)| (h, m)).collect();
    let mut assignment_rows: BTreeMap<HouseholdId, u32> = BTreeMap::new();
    for (sheet, row) in rows(SheetKind::Assignments) {
        let mut c = Cursor {
            sheet,
            row,
            errors: &mut plan.errors,
            failed: false,
            lang,
        };
        let member = c.code(0, MemberId::parse);
        let household = c.code(1, HouseholdId::parse);
        let bad_day = |text: &str| {
            let header = ASSIGNMENT_COLUMNS[2].header;
            say!(
                lang,
                "Ngày “{text}” không hợp lệ: viết dd/mm/yyyy (như 01/11/2026)",
                "\"{text}\" in \"{header}\" is not a valid date: write dd/mm/yyyy (such as 01/11/2026)"
            )
        };
        let from = match c.value(2).cloned().unwrap_or(Value::Empty) {
            Value::Date(d) => Some(d),
            Value::Number(n) => {
                let d = day_from_excel(n);
                if d.is_none() {
                    c.error(Some(2), bad_day(&n.to_string()));
                }
                d
            }
            v if v.text().is_empty() => Some(today),
            v => {
                let d = parse_day(&v.text());
                if d.is_none() {
                    c.error(Some(2), bad_day(&v.text()));
                }
                d
            }
        };
        let (Some(member), Some(household), Some(from)) = (member, household, from) else {
            continue;
        };
        if let Some(first) = assignment_rows.get(&household) {
            let message = say!(
                lang,
                "Hộ “{household}” được phân công hai lần: đã có ở dòng {first}; mỗi hộ do một đảng viên phụ trách",
                "Household \"{household}\" is assigned twice: it is on row {first} already; one member looks after each household"
            );
            c.error(Some(1), message);
            continue;
        }
        assignment_rows.insert(household.clone(), row.number);
        let household_cell = planned_households
            .get(&household)
            .filter(|cell| tree.path(cell).is_some_and(|p| may(by, &p)));
        let Some(household_cell) = household_cell else {
            let message = say!(
                lang,
                "Không có hộ “{household}” trong danh sách hay trong phạm vi của bạn",
                "There is no household \"{household}\" in the file or within your scope"
            );
            c.error(Some(1), message);
            continue;
        };
        let member_cell = planned_members
            .get(&member)
            .filter(|cell| tree.path(cell).is_some_and(|p| may(by, &p)));
        let Some(member_cell) = member_cell else {
            let message = say!(
                lang,
                "Không có đảng viên “{member}” trong danh sách hay trong phạm vi của bạn",
                "There is no member \"{member}\" in the file or within your scope"
            );
            c.error(Some(0), message);
            continue;
        };
        if member_cell != household_cell {
            let message = say!(
                lang,
                "Đảng viên “{member}” thuộc chi bộ “{member_cell}”, còn hộ “{household}” thuộc chi bộ “{household_cell}”: chỉ phân công đảng viên phụ trách hộ trong chi bộ của mình",
                "Member \"{member}\" belongs to cell \"{member_cell}\" but household \"{household}\" to cell \"{household_cell}\": a member looks after households of their own cell only"
            );
            c.error(Some(0), message);
            continue;
        }
        let action = if assigned.get(&household) == Some(&&member) {
            Action::Same
        } else if assigned.contains_key(&household) {
            Action::Change
        } else {
            Action::Create
        };
        plan.assignments.push(Step {
            sheet: sheet.name.to_owned(),
            row: row.number,
            action,
            item: AssignmentRow {
                household,
                member,
                from,
                cell: household_cell.clone(),
            },
            changed: if action == Action::Change {
                vec![ASSIGNMENT_COLUMNS[0].header]
            } else {
                Vec::new()
            },
        });
    }
    let order = |name: &str| {
        tables
            .iter()
            .position(|t| t.sheet == name)
            .unwrap_or(usize::MAX)
    };
    plan.errors.sort_by_key(|e| (order(&e.sheet), e.row));
    plan
}

#[cfg(test)]
mod tests;
