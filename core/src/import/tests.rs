use super::*;
use crate::access::AccessRole;

fn t(s: &str) -> Value {
    if s.is_empty() {
        Value::Empty
    } else {
        Value::Text(s.to_owned())
    }
}

/// A sheet from rows of cells, the first its header; rows are numbered from 1.
fn table(kind: SheetKind, rows: &[&[&str]]) -> Table {
    let mut all = vec![TableRow {
        number: 1,
        cells: kind.columns().iter().map(|c| t(c.header)).collect(),
    }];
    for (i, cells) in rows.iter().enumerate() {
        all.push(TableRow {
            number: i as u32 + 2,
            cells: cells.iter().map(|c| t(c)).collect(),
        });
    }
    Table {
        sheet: kind.sheet_name().to_owned(),
        rows: all,
    }
}

fn unit(id: &str, parent: Option<&str>, kind: UnitKind) -> OrgUnit {
    OrgUnit::new(id, parent, kind, "cấp", &format!("Tên {id}")).expect("unit")
}

/// District d, commune d-x1 with cell d-x1-c1 (member m1, household h1 assigned to m1),
/// commune d-x2 with cell d-x2-c1.
fn current() -> Current {
    let id = |s: &str| UnitId::parse(s).expect("id");
    Current {
        units: vec![
            unit("d", None, UnitKind::District),
            unit("d-x1", Some("d"), UnitKind::CommuneCommittee),
            unit("d-x1-c1", Some("d-x1"), UnitKind::Cell),
            unit("d-x2", Some("d"), UnitKind::CommuneCommittee),
            unit("d-x2-c1", Some("d-x2"), UnitKind::Cell),
        ],
        members: vec![CurrentMember {
            id: MemberId::parse("m1").expect("id"),
            cell: id("d-x1-c1"),
            name: "Lò Thị Hoa".into(),
            role: Role::Secretary,
            status: MemberStatus::Active,
        }],
        households: vec![
            CurrentHousehold {
                id: HouseholdId::parse("h1").expect("id"),
                cell: id("d-x1-c1"),
                head: "Sùng A Páo".into(),
                village: "Thôn Nậm Mì".into(),
                people: 6,
                livelihood: "Trồng chè".into(),
            },
            CurrentHousehold {
                id: HouseholdId::parse("h2").expect("id"),
                cell: id("d-x1-c1"),
                head: "Giàng A Di".into(),
                village: "Thôn Nậm Mì".into(),
                people: 3,
                livelihood: "".into(),
            },
        ],
        assignments: vec![(
            HouseholdId::parse("h1").expect("id"),
            MemberId::parse("m1").expect("id"),
        )],
    }
}

fn today() -> Day {
    Day::parse("2026-11-20").expect("day")
}

/// The errors of a plan as `sheet!column row: message` lines.
fn errors(plan: &Plan) -> Vec<String> {
    plan.errors
        .iter()
        .map(|e| format!("{}!{}{}: {}", e.sheet, e.column, e.row, e.message))
        .collect()
}

fn check(tables: &[Table], by: Option<&Principal>, expected_errors: &[&str]) -> Plan {
    let plan = plan(tables, &current(), by, today(), Lang::Vi);
    let got = errors(&plan);
    assert_eq!(got.len(), expected_errors.len(), "{got:#?}");
    for (got, want) in got.iter().zip(expected_errors) {
        assert!(got.contains(want), "{got:?} should contain {want:?}");
    }
    plan
}

#[test]
fn a_clean_sheet_plans_creations_changes_and_what_stays() {
    let plan = check(
        &[
            table(
                SheetKind::Units,
                &[
                    &[
                        "d-x1-c2",
                        "d-x1",
                        "Chi bộ",
                        "Chi bộ thôn Suối Thầu",
                        "chi bộ thôn",
                    ],
                    &["d-x1", "d", "commune", "Tên d-x1", "cấp"],
                    &["d-x1-c1", "d-x1", "chi bo", "Tên mới", "cấp"],
                ],
            ),
            table(
                SheetKind::Members,
                &[
                    &["m1", "d-x1-c1", "Lò Thị Hoa", "Bí thư chi bộ", "", ""],
                    &[
                        "m2",
                        "d-x1-c2",
                        "Hà Văn Sơn",
                        "",
                        "Đi làm ăn xa",
                        "Bình Dương",
                    ],
                ],
            ),
            table(
                SheetKind::Households,
                &[
                    &["h1", "d-x1-c1", "", "Sùng A Páo", "7", ""],
                    &[
                        "h3",
                        "d-x1-c2",
                        "Thôn Suối Thầu",
                        "Vàng Seo Lử",
                        "4",
                        "Trồng ngô",
                    ],
                ],
            ),
            table(
                SheetKind::Assignments,
                &[&["m1", "h1", "01/11/2026"], &["m2", "h3", ""]],
            ),
        ],
        None,
        &[],
    );
    let actions = |steps: Vec<Action>| steps.iter().map(|a| a.code()).collect::<Vec<_>>();
    // Parents first: the commune's row (unchanged) before the cells under it.
    assert_eq!(
        plan.units
            .iter()
            .map(|s| s.item.id.as_str())
            .collect::<Vec<_>>(),
        ["d-x1", "d-x1-c2", "d-x1-c1"]
    );
    assert_eq!(
        actions(plan.units.iter().map(|s| s.action).collect()),
        ["same", "create", "change"]
    );
    assert_eq!(plan.units[2].changed, ["Tên đơn vị"]);
    assert_eq!(
        actions(plan.members.iter().map(|s| s.action).collect()),
        ["same", "create"]
    );
    assert_eq!(
        plan.members[1].item.status,
        Some(MemberStatus::WorkingAway {
            place: "Bình Dương".into()
        })
    );
    assert_eq!(plan.members[1].item.role, Some(Role::Member));
    assert_eq!(
        actions(plan.households.iter().map(|s| s.action).collect()),
        ["change", "create"]
    );
    // Only the people changed; the empty village and livelihood leave what is there.
    assert_eq!(plan.households[0].changed, ["Nhân khẩu"]);
    assert_eq!(plan.households[0].item.village, None);
    assert_eq!(
        plan.households_not_in_sheet,
        [HouseholdId::parse("h2").expect("id")]
    );
    assert_eq!(
        actions(plan.assignments.iter().map(|s| s.action).collect()),
        ["same", "create"]
    );
    assert_eq!(plan.assignments[1].item.from, today());
    assert!(
        plan.summary()
            .contains("Đơn vị: 1 mới, 1 sửa, 1 giữ nguyên")
    );
}

#[test]
fn every_kind_of_error_names_its_sheet_row_and_column() {
    check(
        &[
            table(
                SheetKind::Units,
                &[
                    &["d-x9-c1", "d-x9", "Chi bộ", "Chi bộ mới", "chi bộ"],
                    &["d-x1-c3", "d-x1", "tổ chức", "Chi bộ", "chi bộ"],
                    &["Sai Mã", "d-x1", "Chi bộ", "Chi bộ", "chi bộ"],
                    &["d-x1-c4", "d-x1-c1", "Chi bộ", "Chi bộ", "chi bộ"],
                ],
            ),
            table(
                SheetKind::Members,
                &[
                    &["m5", "d-x1-c1", "Hà Văn Sơn", "Trưởng thôn", "", ""],
                    &["m6", "d-x1-c1", "Lò Văn Tâm", "", "", ""],
                    &["m6", "d-x2-c1", "Lò Văn Tâm", "", "", ""],
                    &["m7", "d-x1-c1", "Lò Văn Ba", "", "nghỉ", ""],
                    &["m1", "d-x2-c1", "Lò Thị Hoa", "", "", ""],
                ],
            ),
            table(
                SheetKind::Households,
                &[
                    &["h5", "d-x1-c1", "", "Vàng A Chá", "năm", ""],
                    &["h5", "d-x1-c1", "", "Vàng A Chá", "5", ""],
                    &["h6", "d-x1", "", "Vàng A Lử", "5", ""],
                    &["h7", "d-x2-c1", "", "Vàng A Tủa", "2", ""],
                ],
            ),
            table(
                SheetKind::Assignments,
                &[
                    &["m1", "h7", ""],
                    &["m1", "h5", "31/02/2026"],
                    &["m6", "h1", ""],
                    &["m1", "h1", ""],
                ],
            ),
        ],
        None,
        &[
            "Đơn vị!B2: Không có đơn vị cấp trên “d-x9”",
            "Đơn vị!C3: Không có loại đơn vị “tổ chức”",
            "Đơn vị!A4: Mã “Sai Mã” không hợp lệ",
            "Đơn vị!B5: Đơn vị cấp trên “d-x1-c1” là chi bộ",
            "Đảng viên!D2: Không có chức vụ “Trưởng thôn”",
            "Đảng viên!B4: Đảng viên “m6” ở hai chi bộ: “d-x1-c1” (dòng 3) và “d-x2-c1”",
            "Đảng viên!E5: Không có tình trạng “nghỉ”",
            "Đảng viên!B6: Đảng viên “m1” đang sinh hoạt ở chi bộ “d-x1-c1”",
            "Hộ!E2: Số nhân khẩu “năm” không phải số nguyên",
            "Hộ!A3: Mã hộ “h5” lặp lại: đã có ở dòng 2",
            "Hộ!B4: “d-x1” là đảng bộ xã, thị trấn, không phải chi bộ",
            "Phân công!A2: Đảng viên “m1” thuộc chi bộ “d-x1-c1”, còn hộ “h7” thuộc chi bộ “d-x2-c1”",
            "Phân công!C3: Ngày “31/02/2026” không hợp lệ",
            "Phân công!B5: Hộ “h1” được phân công hai lần: đã có ở dòng 4",
        ],
    );
}

#[test]
fn a_commune_committee_is_refused_rows_of_another_commune() {
    let xa1 = Principal {
        role: AccessRole::CommuneCommittee,
        scope: UnitPath::from_ids(&[
            UnitId::parse("d").expect("id"),
            UnitId::parse("d-x1").expect("id"),
        ]),
        member: None,
    };
    let plan = check(
        &[
            table(
                SheetKind::Units,
                &[
                    &["d-x1-c2", "d-x1", "Chi bộ", "Chi bộ mới", "chi bộ"],
                    &["d-x2-c2", "d-x2", "Chi bộ", "Chi bộ khác", "chi bộ"],
                ],
            ),
            table(
                SheetKind::Households,
                &[
                    &["h8", "d-x1-c2", "", "Vàng A Chá", "5", ""],
                    &["h9", "d-x2-c1", "", "Vàng A Lử", "5", ""],
                ],
            ),
        ],
        Some(&xa1),
        &[
            "Đơn vị!B3: Không có đơn vị cấp trên “d-x2” trong danh sách hay trong phạm vi của bạn",
            "Hộ!B3: Không có chi bộ “d-x2-c1” trong danh sách hay trong phạm vi của bạn",
        ],
    );
    assert_eq!(plan.units.len(), 1);
    assert_eq!(plan.households.len(), 1);
    // A member or a secretary imports nothing, even in their own cell.
    let secretary = Principal {
        role: AccessRole::CellSecretary,
        scope: UnitPath::from_ids(&[
            UnitId::parse("d").expect("id"),
            UnitId::parse("d-x1").expect("id"),
            UnitId::parse("d-x1-c1").expect("id"),
        ]),
        member: None,
    };
    let plan = super::plan(
        &[table(
            SheetKind::Households,
            &[&["h8", "d-x1-c1", "", "Vàng A Chá", "5", ""]],
        )],
        &current(),
        Some(&secretary),
        today(),
        Lang::Vi,
    );
    assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
}

#[test]
fn sheets_and_files_are_told_by_name_or_headers() {
    let h = |hs: &[&str]| hs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(SheetKind::recognise("Đơn vị", &[]), Some(SheetKind::Units));
    assert_eq!(
        SheetKind::recognise("DANG VIEN", &[]),
        Some(SheetKind::Members)
    );
    assert_eq!(
        SheetKind::recognise(
            "danh-sach.csv",
            &h(&["Mã hộ", "Mã chi bộ", "Chủ hộ", "Nhân khẩu"])
        ),
        Some(SheetKind::Households)
    );
    assert_eq!(
        SheetKind::recognise("x.csv", &h(&["Mã đảng viên", "Mã hộ", "Từ ngày"])),
        Some(SheetKind::Assignments)
    );
    assert_eq!(
        SheetKind::recognise("phan_cong.csv", &h(&["a"])),
        Some(SheetKind::Assignments)
    );
    assert_eq!(
        SheetKind::recognise("ho.csv", &h(&["a"])),
        Some(SheetKind::Households)
    );
    assert_eq!(SheetKind::recognise("Danh mục", &h(&["Loại đơn vị"])), None);
}

#[test]
fn dates_as_people_write_them_and_as_excel_keeps_them() {
    let day = |s: &str| Day::parse(s).expect("day");
    assert_eq!(parse_day("01/11/2026"), Some(day("2026-11-01")));
    assert_eq!(parse_day("1/11/2026"), Some(day("2026-11-01")));
    assert_eq!(parse_day("2026-11-01"), Some(day("2026-11-01")));
    assert_eq!(parse_day("01.11.2026"), Some(day("2026-11-01")));
    assert_eq!(parse_day("31/02/2026"), None);
    assert_eq!(parse_day("11/2026"), None);
    assert_eq!(day_from_excel(46_327.0), Some(day("2026-11-01")));
    assert_eq!(day_from_excel(25_569.5), Some(day("1970-01-01")));
    assert_eq!(day_from_excel(-1.0), None);
    assert_eq!(column_letter(0), "A");
    assert_eq!(column_letter(25), "Z");
    assert_eq!(column_letter(26), "AA");
}

#[test]
fn what_the_sheet_leaves_out_is_reported_and_a_failed_parent_fails_its_children() {
    let plan = check(
        &[
            table(
                SheetKind::Units,
                &[
                    &["d-x3", "d", "Xã", "Xã mới", "xã"],
                    &["d-x3-c1", "d-x3", "Chi bộ", "Chi bộ mới", "chi bộ"],
                ],
            ),
            table(
                SheetKind::Members,
                &[
                    &["m2", "d-x1-c1", "Hà Văn Sơn", "", "", ""],
                    &["staff-lan", "d-x1-c1", "Lan", "", "", ""],
                    &["m3", "d-x1-c1", "", "", "", ""],
                ],
            ),
        ],
        None,
        &[
            "Đơn vị!C2: Không có loại đơn vị “Xã”",
            "Đơn vị!B3: Đơn vị cấp trên “d-x3” có lỗi ở dòng 2",
            "Đảng viên!A3: Mã đảng viên không được bắt đầu bằng “staff-”",
            "Đảng viên!C4: Thiếu họ và tên của đảng viên mới",
        ],
    );
    assert!(plan.units.is_empty());
    assert_eq!(plan.members.len(), 1);
    assert_eq!(
        plan.members_not_in_sheet,
        [MemberId::parse("m1").expect("id")]
    );
    // Without a households' sheet, no household is reported missing.
    assert!(plan.households_not_in_sheet.is_empty());
}

/// A long text, over the most a name or a livelihood may have.
fn long_text() -> String {
    "Trồng chè ".repeat(11)
}

/// Sheets with one of nearly every mistake the planner names.
fn faulty() -> Vec<Table> {
    let long = long_text();
    let mut lacking = table(SheetKind::Households, &[&["h20", "Sùng A Lù"]]);
    lacking.sheet = "Hộ 2".into();
    lacking.rows[0].cells = vec![t("Mã hộ"), t("Chủ hộ")];
    vec![
        table(
            SheetKind::Units,
            &[
                &["d-x9-c1", "d-x9", "Chi bộ", "Chi bộ mới", "chi bộ"],
                &["d-x1-c3", "d-x1", "tổ chức", "Chi bộ", "chi bộ"],
                &["Sai Mã", "d-x1", "Chi bộ", "Chi bộ", "chi bộ"],
                &["d-x1-c4", "d-x1-c1", "Chi bộ", "Chi bộ", "chi bộ"],
                &["d-x5", "Sai Cha", "commune", "Xã", "xã"],
                &["d-x6", "", "commune", "Xã", "xã"],
                &["d-x1-c3", "d-x1", "Chi bộ", "Chi bộ", "chi bộ"],
                &["d-x1-c1", "d-x2", "Chi bộ", "Chi bộ", "chi bộ"],
                &["d-x7", "d", "tổ", "Xã", "xã"],
                &["d-x7-c1", "d-x7", "Chi bộ", "Chi bộ", "chi bộ"],
            ],
        ),
        table(
            SheetKind::Members,
            &[
                &["m5", "d-x1-c1", "Hà Văn Sơn", "Trưởng thôn", "", ""],
                &["m7", "d-x1-c1", "Lò Văn Ba", "", "nghỉ", ""],
                &["m8", "d-x1-c1", "Lò Văn Tư", "", "Đi làm ăn xa", ""],
                &["staff-lan", "d-x1-c1", "Lan", "", "", ""],
                &["m6", "d-x1-c1", "Lò Văn Tâm", "", "", ""],
                &["m6", "d-x2-c1", "Lò Văn Tâm", "", "", ""],
                &["m1", "d-x2-c1", "Lò Thị Hoa", "", "", ""],
                &["m3", "d-x1-c1", "", "", "", ""],
                &["", "d-x1-c1", "Lò Văn Năm", "", "", ""],
                &["m9", "d-x1", "Lò Văn Sáu", "", "", ""],
                &["m10", "d-x9-c9", "Lò Văn Bảy", "", "", ""],
            ],
        ),
        table(
            SheetKind::Households,
            &[
                &["h5", "d-x1-c1", "", "Vàng A Chá", "năm", ""],
                &["h5", "d-x1-c1", "", "Vàng A Chá", "5", ""],
                &["h9", "d-x1-c1", "", "", "", ""],
                &["h2", "d-x2-c1", "", "Giàng A Di", "", ""],
                &["h8", "d-x2-c1", "", "Vàng A Tủa", "2", ""],
                &["h10", "d-x1-c1", "", "Vàng A Sử", "", &long],
            ],
        ),
        lacking,
        table(
            SheetKind::Assignments,
            &[
                &["m1", "h7", ""],
                &["m1", "h5", "31/02/2026"],
                &["m6", "h1", ""],
                &["m1", "h1", ""],
                &["m404", "h2", ""],
                &["m1", "h8", ""],
            ],
        ),
    ]
}

/// The same faulty sheets planned for a Vietnamese and for an English reader: the same errors
/// in the same places, the Vietnamese words as they have always been, and the English naming
/// the template's headers and values in quotes, with no Vietnamese outside them.
#[test]
fn errors_are_said_in_the_readers_language() {
    let tables = faulty();
    let vi = plan(&tables, &current(), None, today(), Lang::Vi);
    let en = plan(&tables, &current(), None, today(), Lang::En);
    let places = |p: &Plan| {
        p.errors
            .iter()
            .map(|e| (e.sheet.clone(), e.row, e.column.clone(), e.header.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(places(&vi), places(&en));
    let long = long_text();
    let long = long.trim();
    let expect = |lines: &[&str]| {
        lines
            .iter()
            .map(|l| l.replace("{long}", long))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        errors(&vi),
        expect(&[
            "Đơn vị!B2: Không có đơn vị cấp trên “d-x9” trong danh sách hay trong phạm vi của bạn",
            "Đơn vị!C3: Không có loại đơn vị “tổ chức”; chọn một trong: Tỉnh ủy; Huyện ủy; Đảng bộ xã, thị trấn; Đảng bộ khối cơ quan; Chi bộ cơ sở; Chi bộ; Thôn, bản, tổ dân phố",
            "Đơn vị!A4: Mã “Sai Mã” không hợp lệ: chỉ gồm chữ thường không dấu a-z, số 0-9, “-” và “_”, tối đa 64 ký tự",
            "Đơn vị!B5: Đơn vị cấp trên “d-x1-c1” là chi bộ; dưới chi bộ là đảng viên và hộ, không có đơn vị",
            "Đơn vị!B6: Mã đơn vị cấp trên “Sai Cha” không hợp lệ",
            "Đơn vị!B7: Thiếu mã đơn vị cấp trên: đơn vị cao nhất do lệnh khởi tạo (hosync init) tạo ra",
            "Đơn vị!A8: Mã đơn vị “d-x1-c3” lặp lại: đã có ở dòng 3",
            "Đơn vị!B9: Đơn vị “d-x1-c1” đã có, là Chi bộ dưới “d-x1”; nhập danh sách chỉ đổi tên và tên cấp, không chuyển đơn vị hay đổi loại",
            "Đơn vị!C10: Không có loại đơn vị “tổ”; chọn một trong: Tỉnh ủy; Huyện ủy; Đảng bộ xã, thị trấn; Đảng bộ khối cơ quan; Chi bộ cơ sở; Chi bộ; Thôn, bản, tổ dân phố",
            "Đơn vị!B11: Đơn vị cấp trên “d-x7” có lỗi ở dòng 10; sửa dòng đó trước",
            "Đảng viên!D2: Không có chức vụ “Trưởng thôn”; chọn một trong: Đảng viên; Bí thư chi bộ; Phó bí thư chi bộ; Chi ủy viên",
            "Đảng viên!E3: Không có tình trạng “nghỉ”; chọn một trong: Đang sinh hoạt; Đi làm ăn xa; Miễn sinh hoạt",
            "Đảng viên!F4: Đi làm ăn xa: ghi nơi đang làm ăn",
            "Đảng viên!A5: Mã đảng viên không được bắt đầu bằng “staff-”: dành cho tài khoản cán bộ",
            "Đảng viên!B7: Đảng viên “m6” ở hai chi bộ: “d-x1-c1” (dòng 6) và “d-x2-c1”; mỗi đảng viên sinh hoạt ở một chi bộ",
            "Đảng viên!B8: Đảng viên “m1” đang sinh hoạt ở chi bộ “d-x1-c1”; chuyển sang chi bộ khác bằng “Chuyển sinh hoạt”, không qua nhập danh sách",
            "Đảng viên!C9: Thiếu họ và tên của đảng viên mới",
            "Đảng viên!A10: Thiếu mã đảng viên",
            "Đảng viên!B11: “d-x1” là đảng bộ xã, thị trấn, không phải chi bộ: đảng viên và hộ thuộc về một chi bộ",
            "Đảng viên!B12: Không có chi bộ “d-x9-c9” trong danh sách hay trong phạm vi của bạn",
            "Hộ!E2: Số nhân khẩu “năm” không phải số nguyên từ 0 đến 99",
            "Hộ!A3: Mã hộ “h5” lặp lại: đã có ở dòng 2",
            "Hộ!D4: Thiếu chủ hộ của hộ mới",
            "Hộ!B5: Hộ “h2” đang thuộc chi bộ “d-x1-c1”; chuyển hộ sang chi bộ khác bằng “Chuyển hộ”, không qua nhập danh sách",
            "Hộ!F7: “{long}” dài 109 ký tự, quá 100",
            "Hộ 2!1: Trang “Hộ 2” là danh sách hộ nhưng thiếu cột: Mã chi bộ",
            "Phân công!B2: Không có hộ “h7” trong danh sách hay trong phạm vi của bạn",
            "Phân công!C3: Ngày “31/02/2026” không hợp lệ: viết dd/mm/yyyy (như 01/11/2026)",
            "Phân công!B5: Hộ “h1” được phân công hai lần: đã có ở dòng 4; mỗi hộ do một đảng viên phụ trách",
            "Phân công!A6: Không có đảng viên “m404” trong danh sách hay trong phạm vi của bạn",
            "Phân công!A7: Đảng viên “m1” thuộc chi bộ “d-x1-c1”, còn hộ “h8” thuộc chi bộ “d-x2-c1”: chỉ phân công đảng viên phụ trách hộ trong chi bộ của mình",
        ])
    );
    assert_eq!(
        errors(&en),
        expect(&[
            "Đơn vị!B2: There is no parent unit \"d-x9\" in the file or within your scope",
            "Đơn vị!C3: \"tổ chức\" is not a value of \"Loại đơn vị\"; choose one of: \"Tỉnh ủy\"; \"Huyện ủy\"; \"Đảng bộ xã, thị trấn\"; \"Đảng bộ khối cơ quan\"; \"Chi bộ cơ sở\"; \"Chi bộ\"; \"Thôn, bản, tổ dân phố\"",
            "Đơn vị!A4: \"Sai Mã\" is not a valid code for \"Mã đơn vị\": use only lower-case letters a-z without diacritics, digits 0-9, \"-\" and \"_\", at most 64 characters",
            "Đơn vị!B5: The parent unit \"d-x1-c1\" is a cell; a cell holds members and households, not units",
            "Đơn vị!B6: \"Sai Cha\" is not a valid code for \"Mã đơn vị cấp trên\"",
            "Đơn vị!B7: \"Mã đơn vị cấp trên\" is missing: only the setup command (hosync init) makes the top unit",
            "Đơn vị!A8: Unit code \"d-x1-c3\" is repeated: it is on row 3 already",
            "Đơn vị!B9: Unit \"d-x1-c1\" exists already, a \"Chi bộ\" under \"d-x1\"; an import changes only \"Tên đơn vị\" and \"Tên cấp\", it does not move a unit or change its kind",
            "Đơn vị!C10: \"tổ\" is not a value of \"Loại đơn vị\"; choose one of: \"Tỉnh ủy\"; \"Huyện ủy\"; \"Đảng bộ xã, thị trấn\"; \"Đảng bộ khối cơ quan\"; \"Chi bộ cơ sở\"; \"Chi bộ\"; \"Thôn, bản, tổ dân phố\"",
            "Đơn vị!B11: The parent unit \"d-x7\" has an error on row 10; fix that row first",
            "Đảng viên!D2: \"Trưởng thôn\" is not a value of \"Chức vụ trong chi bộ\"; choose one of: \"Đảng viên\"; \"Bí thư chi bộ\"; \"Phó bí thư chi bộ\"; \"Chi ủy viên\"",
            "Đảng viên!E3: \"nghỉ\" is not a value of \"Tình trạng\"; choose one of: \"Đang sinh hoạt\"; \"Đi làm ăn xa\"; \"Miễn sinh hoạt\"",
            "Đảng viên!F4: \"Đi làm ăn xa\" (working away): write where in \"Nơi làm ăn xa hoặc lý do miễn\"",
            "Đảng viên!A5: \"Mã đảng viên\" may not start with \"staff-\": that is kept for staff accounts",
            "Đảng viên!B7: Member \"m6\" is in two cells: \"d-x1-c1\" (row 6) and \"d-x2-c1\"; each member belongs to one cell",
            "Đảng viên!B8: Member \"m1\" belongs to cell \"d-x1-c1\"; move them to another cell with \"Transfer\", not by an import",
            "Đảng viên!C9: \"Họ và tên\" is missing for a new member",
            "Đảng viên!A10: \"Mã đảng viên\" is missing",
            "Đảng viên!B11: \"d-x1\" is a \"Đảng bộ xã, thị trấn\", not a cell: members and households belong to a cell",
            "Đảng viên!B12: There is no cell \"d-x9-c9\" in the file or within your scope",
            "Hộ!E2: \"năm\" in \"Nhân khẩu\" is not a whole number from 0 to 99",
            "Hộ!A3: Household code \"h5\" is repeated: it is on row 2 already",
            "Hộ!D4: \"Chủ hộ\" is missing for a new household",
            "Hộ!B5: Household \"h2\" belongs to cell \"d-x1-c1\"; move it to another cell with \"Move the household\", not by an import",
            "Hộ!F7: \"{long}\" in \"Sinh kế\" is 109 characters long, more than 100",
            "Hộ 2!1: Sheet \"Hộ 2\" lists households but lacks the column \"Mã chi bộ\"",
            "Phân công!B2: There is no household \"h7\" in the file or within your scope",
            "Phân công!C3: \"31/02/2026\" in \"Từ ngày\" is not a valid date: write dd/mm/yyyy (such as 01/11/2026)",
            "Phân công!B5: Household \"h1\" is assigned twice: it is on row 4 already; one member looks after each household",
            "Phân công!A6: There is no member \"m404\" in the file or within your scope",
            "Phân công!A7: Member \"m1\" belongs to cell \"d-x1-c1\" but household \"h8\" to cell \"d-x2-c1\": a member looks after households of their own cell only",
        ])
    );
    for error in &en.errors {
        // Between straight quotes: the template's headers, values and codes.
        let outside: String = error.message.split('"').step_by(2).collect();
        assert!(
            outside.is_ascii() && error.message.matches('"').count() % 2 == 0,
            "only quoted words are Vietnamese: {:?}",
            error.message
        );
    }
}
