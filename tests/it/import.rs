//! Importing the organisation from a spreadsheet: a district started with `init`, the shipped
//! example with errors previewed (each error by sheet, row and column) and refused, the fixed
//! one applied in one transaction and audited, a phone of an imported cell receiving its
//! households, a second import changing one row (no duplicates, a missing household reported
//! and kept, a phone's note kept); who may import where; and the errors in the reader's
//! language.

use hosync_core::docs::household;
use hosync_core::{AccessRole, MemberId};

use crate::helpers::{
    Backend, Browser, STAFF_LOGIN, STAFF_PASSWORD, TestApp, get, household_doc, signed_in,
    spawn_app, today,
};
use crate::test_both_dbs;

fn example(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `POST /api/v1/org/import` with the file as the body, read in Vietnamese (the template's
/// language, which these tests compare); the status and the JSON answer.
async fn send(
    app: &TestApp,
    browser: &Browser,
    name: &str,
    bytes: &[u8],
    apply: bool,
) -> (u16, serde_json::Value) {
    send_in(app, browser, "vi", name, bytes, apply).await
}

/// [`send`], read in `lang` (the value of `Accept-Language`).
async fn send_in(
    app: &TestApp,
    browser: &Browser,
    lang: &str,
    name: &str,
    bytes: &[u8],
    apply: bool,
) -> (u16, serde_json::Value) {
    let response = app
        .http
        .post(format!(
            "{}/api/v1/org/import?name={}&apply={apply}",
            app.base_url,
            percent(name)
        ))
        .header("cookie", browser.cookie.as_str())
        .header("x-csrf-token", browser.csrf.as_str())
        .header("content-type", "application/octet-stream")
        .header("accept-language", lang)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// A query value percent-encoded, byte by byte.
fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.db.reader)
        .await
        .expect("count")
}

fn counts(plan: &serde_json::Value, sheet: &str) -> (u64, u64, u64) {
    let c = plan["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .find(|c| c["sheet"] == sheet)
        .unwrap_or_else(|| panic!("{sheet} in {plan}"));
    (
        c["created"].as_u64().unwrap_or(99),
        c["changed"].as_u64().unwrap_or(99),
        c["same"].as_u64().unwrap_or(99),
    )
}

async fn a_district_imports_its_organisation(backend: Backend) {
    use hosync_server::access::accounts::{Login, NewUser};
    let db = crate::helpers::TestDb::new(backend).await;
    let store = hosync_server::Db::open(&db.url).await.expect("database");
    let top = hosync_core::OrgUnit::new(
        "hsp",
        None,
        hosync_core::UnitKind::District,
        "huyện",
        "Huyện Hoàng Su Phì",
    )
    .expect("unit");
    let admin = NewUser {
        login: Login::parse("quantri").expect("login"),
        name: "Quản trị huyện".into(),
        password: "mật khẩu quản trị huyện".into(),
        role: AccessRole::Admin,
        scope: top.id.clone(),
    };
    hosync_server::org::init::init(&store, &top, &admin, today().noon_timestamp())
        .await
        .expect("init");
    store.close().await;
    let app = TestApp::start(&db.url).await;
    let browser = signed_in(&app, "quantri", "mật khẩu quản trị huyện").await;

    // The template: the four sheets, each coded column with its drop-down list.
    let response = app
        .http
        .get(format!("{}/api/v1/org/import/template", app.base_url))
        .header("cookie", browser.cookie.as_str())
        .send()
        .await
        .expect("template");
    assert_eq!(response.status().as_u16(), 200);
    let template = response.bytes().await.expect("bytes");
    let tables = hosync_server::org::import::read_tables(&template, "mau.xlsx").expect("read");
    let names: Vec<&str> = tables.iter().map(|t| t.sheet.as_str()).collect();
    assert_eq!(
        names,
        [
            "Đơn vị",
            "Đảng viên",
            "Hộ",
            "Phân công",
            "Danh mục",
            "Hướng dẫn"
        ]
    );
    let sheet_xml = unzip(&template, "xl/worksheets/sheet2.xml");
    assert!(
        sheet_xml.contains("<dataValidation type=\"list\"") && sheet_xml.contains("Danh mục"),
        "the members' role and status offer the lists: {sheet_xml}"
    );

    // The example with mistakes: each named where it is, and nothing applied.
    let with_errors = example("district-errors.xlsx");
    let (status, plan) = send(&app, &browser, "district-errors.xlsx", &with_errors, false).await;
    assert_eq!(status, 200, "{plan}");
    let errors: Vec<String> = plan["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            format!(
                "{}!{}{} {}: {}",
                e["sheet"].as_str().unwrap_or_default(),
                e["column"].as_str().unwrap_or_default(),
                e["row"],
                e["header"].as_str().unwrap_or_default(),
                e["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    for expected in [
        "Đơn vị!B8 Mã đơn vị cấp trên: Không có đơn vị cấp trên “hsp-x03”",
        "Đơn vị!C9 Loại đơn vị: Không có loại đơn vị “Tổ Đảng”",
        "Đảng viên!D10 Chức vụ trong chi bộ: Không có chức vụ “Trưởng thôn”",
        "Đảng viên!B11 Mã chi bộ: Đảng viên “hsp-m002” ở hai chi bộ",
        "Đảng viên!E12 Tình trạng: Không có tình trạng “Nghỉ”",
        "Hộ!A9 Mã hộ: Mã hộ “hsp-h002” lặp lại: đã có ở dòng 3",
        "Hộ!E10 Nhân khẩu: Số nhân khẩu “năm” không phải số nguyên",
        "Phân công!A9 Mã đảng viên: Đảng viên “hsp-m002” thuộc chi bộ “hsp-x01-c01”, còn hộ “hsp-h009” thuộc chi bộ “hsp-x02-c01”",
        "Phân công!B10 Mã hộ: Hộ “hsp-h006” được phân công hai lần",
        "Phân công!C11 Từ ngày: Ngày “31/02/2026” không hợp lệ",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "{expected:?} in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), 10, "{errors:#?}");
    let (status, refused) = send(&app, &browser, "district-errors.xlsx", &with_errors, true).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["applied"], false);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM units").await, 1);

    // The fixed file, applied: all of it, once.
    let fixed = example("district.xlsx");
    let (status, applied) = send(&app, &browser, "district.xlsx", &fixed, true).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["applied"], true);
    assert_eq!(counts(&applied, "Đơn vị"), (6, 0, 0));
    assert_eq!(counts(&applied, "Hộ"), (7, 0, 0));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM units").await, 7);
    // The Organisation page's tree: the district's units, each after its parent.
    let (status, units) = get(&app, "/org/units", &browser).await;
    assert_eq!(status, 200, "{units}");
    let ids: Vec<&str> = units
        .as_array()
        .expect("units")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "hsp",
            "hsp-b01",
            "hsp-x01",
            "hsp-x01-c01",
            "hsp-x01-c02",
            "hsp-x02",
            "hsp-x02-c01"
        ]
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM members").await, 8);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM households").await, 7);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'import'"
        )
        .await,
        1
    );
    let (status, cells) = get(&app, "/summary", &browser).await;
    assert_eq!(status, 200);
    let c01 = cells
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["cell"] == "hsp-x01-c01")
        .unwrap_or_else(|| panic!("{cells}"));
    assert_eq!(
        (c01["households"].as_i64(), c01["assigned"].as_i64()),
        (Some(3), Some(3)),
        "{c01}"
    );

    // A member of an imported cell enrols and holds the households assigned to them.
    let mut phone = app.phone("Pủa", "hsp-m002").await;
    phone.sync().await.expect("first sync");
    let h001 = household_doc("hsp-h001");
    assert!(phone.replica().doc(&h001).is_some(), "h001 on the phone");
    assert!(phone.replica().doc(&household_doc("hsp-h002")).is_some());
    let now = today().noon_timestamp();
    household::add_note(
        phone.replica_mut().doc_mut(&h001).expect("h001"),
        &MemberId::parse("hsp-m002").expect("id"),
        today(),
        "Gia đình khỏe, chè đang vào vụ.",
        &[],
        now,
    )
    .expect("note");
    let outcome = phone.sync().await.expect("sync the note");
    assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);

    // The same again changes nothing; a sheet of one cell's households with one row changed
    // changes that row alone, and the household left out is reported, not removed.
    let (status, again) = send(&app, &browser, "district.xlsx", &fixed, false).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(counts(&again, "Đơn vị"), (0, 0, 6));
    assert_eq!(counts(&again, "Phân công"), (0, 0, 7));
    let csv = "Mã hộ,Mã chi bộ,Thôn, bản,Chủ hộ,Nhân khẩu,Sinh kế\n";
    // "Thôn, bản" holds a comma, so the header is quoted as a spreadsheet writes it.
    let csv = csv.replace("Thôn, bản", "\"Thôn, bản\"")
        + "hsp-h001,hsp-x01-c01,Thôn Nậm Mì,Sùng A Páo,9,Trồng chè\n\
           hsp-h002,hsp-x01-c01,,Giàng A Di,,\n";
    let (status, second) = send(&app, &browser, "ho.csv", csv.as_bytes(), true).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(counts(&second, "Hộ"), (0, 1, 1), "{second}");
    assert_eq!(
        second["households_not_in_sheet"],
        serde_json::json!(["hsp-h003"])
    );
    let changed: Vec<&serde_json::Value> = second["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["action"] == "change")
        .collect();
    assert_eq!(changed.len(), 1, "{second}");
    assert_eq!(changed[0]["code"], "hsp-h001");
    assert_eq!(changed[0]["changed"], serde_json::json!(["Nhân khẩu"]));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM households").await, 7);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'import'"
        )
        .await,
        2
    );
    let (status, detail) = get(&app, "/households/hsp-h001", &browser).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["people"], 9, "{detail}");
    let notes: Vec<&str> = detail["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["text"].as_str())
        .collect();
    assert_eq!(
        notes,
        ["Gia đình khỏe, chè đang vào vụ."],
        "the phone's note is kept"
    );

    // The phone receives the change at its next sync, its note still there.
    phone.sync().await.expect("sync after the import");
    let on_phone = household::read(phone.replica().doc(&h001).expect("h001")).expect("read");
    assert_eq!(on_phone.people, 9);
    assert_eq!(on_phone.notes.len(), 1);
    app.stop().await;
}
test_both_dbs!(a_district_imports_its_organisation);

/// One file from a zip (an XLSX), as text.
fn unzip(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut file = archive.by_name(name).expect("the part");
    let mut text = String::new();
    file.read_to_string(&mut text).expect("text");
    text
}

/// A commune committee imports within its commune only, rows of another being errors; a
/// secretary or a member may not import at all; district staff anywhere in the district.
async fn imports_follow_role_and_scope(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    for (login, role, scope) in [
        ("dvm2", AccessRole::Member, "d-x1-c1"),
        ("bt1", AccessRole::CellSecretary, "d-x1-c1"),
        ("xa1", AccessRole::CommuneCommittee, "d-x1"),
    ] {
        app.add_staff(login, "mật khẩu đủ dài", role, scope).await;
    }
    let csv = "Mã đơn vị,Mã đơn vị cấp trên,Loại đơn vị,Tên đơn vị,Tên cấp\n\
               d-x1-c3,d-x1,Chi bộ,Chi bộ thôn Cốc Rế,chi bộ thôn\n\
               d-x2-c3,d-x2,Chi bộ,Chi bộ thôn Tả Sử,chi bộ thôn\n";
    let xa1 = signed_in(&app, "xa1", "mật khẩu đủ dài").await;
    let (status, plan) = send(&app, &xa1, "don_vi.csv", csv.as_bytes(), true).await;
    assert_eq!(status, 422, "{plan}");
    assert_eq!(plan["errors"].as_array().map(Vec::len), Some(1), "{plan}");
    let error = &plan["errors"][0];
    assert_eq!(
        (error["row"].as_u64(), error["column"].as_str()),
        (Some(3), Some("B"))
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("trong phạm vi của bạn"),
        "{error}"
    );
    let units = count(&app, "SELECT COUNT(*) FROM units").await;
    assert_eq!(units, 6, "nothing applied");
    let inside = "Mã đơn vị,Mã đơn vị cấp trên,Loại đơn vị,Tên đơn vị,Tên cấp\n\
                  d-x1-c3,d-x1,Chi bộ,Chi bộ thôn Cốc Rế,chi bộ thôn\n";
    let (status, plan) = send(&app, &xa1, "don_vi.csv", inside.as_bytes(), true).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM units").await, 7);
    // The Organisation page's tree: the commune's units only, each after its parent.
    let (status, units) = get(&app, "/org/units", &xa1).await;
    assert_eq!(status, 200, "{units}");
    let ids: Vec<&str> = units
        .as_array()
        .expect("units")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(ids, ["d-x1", "d-x1-c1", "d-x1-c2", "d-x1-c3"]);

    for login in ["dvm2", "bt1"] {
        let browser = signed_in(&app, login, "mật khẩu đủ dài").await;
        let (status, body) = send(&app, &browser, "don_vi.csv", inside.as_bytes(), false).await;
        assert_eq!(status, 403, "{login}: {body}");
        let response = app
            .http
            .get(format!("{}/api/v1/org/import/template", app.base_url))
            .header("cookie", browser.cookie.as_str())
            .send()
            .await
            .expect("template");
        assert_eq!(response.status().as_u16(), 403, "{login}: the template");
    }

    // Without the session's CSRF token nothing is read or applied.
    let response = app
        .http
        .post(format!(
            "{}/api/v1/org/import?name=don_vi.csv&apply=true",
            app.base_url
        ))
        .header("cookie", xa1.cookie.as_str())
        .body(inside.as_bytes().to_vec())
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 403, "no CSRF token");

    app.staff_cookie().await;
    let staff = signed_in(&app, STAFF_LOGIN, STAFF_PASSWORD).await;
    let (status, plan) = send(&app, &staff, "don_vi.csv", csv.as_bytes(), true).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(counts(&plan, "Đơn vị"), (1, 0, 1), "{plan}");
    // A file that is no spreadsheet is refused with what was wrong.
    let (status, body) = send(&app, &staff, "x.xlsx", b"PK\x03\x04 not really", false).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Không đọc được tệp"),
        "{body}"
    );
}
test_both_dbs!(imports_follow_role_and_scope);

/// A reader who asked for English (the dashboard switched to English) reads a file's errors in
/// English, each quoting the template's Vietnamese header or value it is about, and a file that
/// is no spreadsheet is refused in English too; a Vietnamese reader reads the same errors as
/// ever.
async fn errors_are_read_in_the_readers_language(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.staff_cookie().await;
    let staff = signed_in(&app, STAFF_LOGIN, STAFF_PASSWORD).await;
    let csv = "Mã hộ,Mã chi bộ,Chủ hộ,Nhân khẩu\n\
               h30,d-x1-c1,Vàng A Chá,năm\n\
               h31,d-x9-c9,Vàng A Lử,4\n\
               h32,d-x1-c1,,2\n";
    let messages = |plan: &serde_json::Value| -> Vec<String> {
        plan["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("errors in {plan}"))
            .iter()
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let households = count(&app, "SELECT COUNT(*) FROM households").await;

    let (status, plan) = send_in(&app, &staff, "en", "ho.csv", csv.as_bytes(), true).await;
    assert_eq!(status, 422, "{plan}");
    assert_eq!(
        messages(&plan),
        [
            "\"năm\" in \"Nhân khẩu\" is not a whole number from 0 to 99",
            "There is no cell \"d-x9-c9\" in the file or within your scope",
            "\"Chủ hộ\" is missing for a new household",
        ]
    );
    // The header column stays the spreadsheet's own word.
    assert_eq!(plan["errors"][0]["header"], "Nhân khẩu", "{plan}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM households").await,
        households,
        "nothing applied"
    );

    let (status, plan) = send_in(
        &app,
        &staff,
        "vi-VN,vi;q=0.9",
        "ho.csv",
        csv.as_bytes(),
        false,
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(
        messages(&plan),
        [
            "Số nhân khẩu “năm” không phải số nguyên từ 0 đến 99",
            "Không có chi bộ “d-x9-c9” trong danh sách hay trong phạm vi của bạn",
            "Thiếu chủ hộ của hộ mới",
        ]
    );

    let (status, body) = send_in(
        &app,
        &staff,
        "en",
        "x.xlsx",
        b"PK\x03\x04 not really",
        false,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message
            .starts_with("The file \"x.xlsx\" could not be read: it is not a valid Excel workbook"),
        "{body}"
    );
    app.stop().await;
}
test_both_dbs!(errors_are_read_in_the_readers_language);

/// `hosync import`: the template and the example written, a dry run that prints each error by
/// sheet, row and column and fails, and the fixed file applied with `--apply`.
async fn the_command_line_imports(backend: Backend) {
    use hosync_server::cli::org::{ImportArgs, import};
    let db = crate::helpers::TestDb::new(backend).await;
    let store = hosync_server::Db::open(&db.url).await.expect("database");
    let top = hosync_core::OrgUnit::new(
        "hsp",
        None,
        hosync_core::UnitKind::District,
        "huyện",
        "Huyện",
    )
    .expect("unit");
    let admin = hosync_server::access::accounts::NewUser {
        login: hosync_server::access::accounts::Login::parse("quantri").expect("login"),
        name: "Quản trị".into(),
        password: "mật khẩu quản trị huyện".into(),
        role: AccessRole::Admin,
        scope: top.id.clone(),
    };
    hosync_server::org::init::init(&store, &top, &admin, today().noon_timestamp())
        .await
        .expect("init");
    store.close().await;
    let dir = std::env::temp_dir().join(format!("hosync-import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let args = |file: Option<std::path::PathBuf>, apply: bool| ImportArgs {
        file,
        apply,
        template: None,
        example: None,
        with_errors: false,
    };

    // The example the command writes is the one shipped.
    let written = dir.join("district.xlsx");
    let mut out = Vec::new();
    import(
        &db.url,
        ImportArgs {
            example: Some(written.clone()),
            ..args(None, false)
        },
        &mut out,
    )
    .await
    .expect("example");
    assert_eq!(
        std::fs::read(&written).expect("written"),
        example("district.xlsx")
    );

    let with_errors = dir.join("district-errors.xlsx");
    std::fs::write(&with_errors, example("district-errors.xlsx")).expect("copy");
    let mut out = Vec::new();
    let failed = import(&db.url, args(Some(with_errors), true), &mut out).await;
    let printed = String::from_utf8(out).expect("utf-8");
    assert!(failed.is_err(), "{printed}");
    assert!(
        printed.contains(
            "Lỗi: Đơn vị dòng 8, cột B (Mã đơn vị cấp trên): Không có đơn vị cấp trên “hsp-x03”"
        ),
        "{printed}"
    );
    let mut out = Vec::new();
    import(&db.url, args(Some(written.clone()), true), &mut out)
        .await
        .expect("applied");
    let printed = String::from_utf8(out).expect("utf-8");
    assert!(
        printed.contains("Đơn vị: 6 mới, 0 sửa, 0 giữ nguyên"),
        "{printed}"
    );
    assert!(printed.contains("Đã nhập district.xlsx."), "{printed}");
    let store = hosync_server::Db::open(&db.url).await.expect("database");
    let units: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM units")
        .fetch_one(&store.reader)
        .await
        .expect("count");
    assert_eq!(units, 7);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
test_both_dbs!(the_command_line_imports);
