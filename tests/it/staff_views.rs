//! The district staff views over what phones sent: the overview's counts, the tables behind
//! them and their CSV and XLSX exports (audited, with no text read as a formula), search without
//! diacritics, a household's history with who and when, and a commune committee kept to its
//! commune; the summary and the overview counting visits, flags and reports by core's rules.

use hosync_core::docs::{cell, household, report};
use hosync_core::oversight::GAP_MONTHS;
use hosync_core::{
    AccessRole, Day, DocId, FlagStatus, HouseholdId, MemberId, MemberStatus, Month, Rating,
};
use serde_json::Value;

use crate::helpers::{
    Backend, TestApp, assert_unseen, get, household_doc, signed_in, spawn_app, today,
};
use crate::test_both_dbs;

fn day(s: &str) -> Day {
    Day::parse(s).expect("valid day")
}

/// m2 visits h1 this month and h2 last month, raises a flag on each (h1's escalated, h2's
/// raised in September) and hands in November's report; the secretary m1 rates it and marks
/// m3 as working away.
async fn a_month_of_work(app: &TestApp) {
    let now = today().noon_timestamp();
    let mut member = app.phone("m2 phone", "m2").await;
    member.sync().await.expect("first sync");
    let m2 = MemberId::parse("m2").expect("id");
    {
        let replica = member.replica_mut();
        let h1 = replica.doc_mut(&household_doc("h1")).expect("h1 held");
        let note =
            household::add_note(h1, &m2, today(), "Gia đình lo học phí.", &[], now).expect("note");
        let flag = household::raise_flag(h1, Some(&note), &m2, today(), "Cần hỗ trợ học phí", now)
            .expect("flag");
        household::set_flag_status(h1, &flag, FlagStatus::Escalated, &m2, today(), now + 60)
            .expect("escalate");
        let h2 = replica.doc_mut(&household_doc("h2")).expect("h2 held");
        household::add_note(h2, &m2, day("2026-10-10"), "Đã thăm.", &[], now).expect("note");
        household::raise_flag(
            h2,
            None,
            &m2,
            day("2026-09-01"),
            "Đường vào thôn sạt lở",
            now,
        )
        .expect("old flag");
        let november = Month::parse("2026-11").expect("month");
        let report_doc = replica.open(&DocId::Report(m2.clone(), november));
        let draft = report::ReportDraft {
            tasks: Some("Thăm hộ, dự sinh hoạt.".into()),
            household_content: Some("Hộ h1 lo học phí.".into()),
            self_rating: Some(Rating::Good),
        };
        report::write(report_doc, &draft, now).expect("report");
        report::submit(report_doc, today(), now).expect("submit");
    }
    let outcome = member.sync().await.expect("sync");
    assert!(outcome.refused.is_empty(), "{outcome:?}");

    let mut secretary = app.phone("m1 phone", "m1").await;
    secretary.sync().await.expect("first sync");
    {
        let replica = secretary.replica_mut();
        let cell_doc = replica
            .doc_mut(&DocId::parse("c:d-x1-c1").expect("id"))
            .expect("cell held");
        let away = MemberStatus::WorkingAway {
            place: "Bình Dương".into(),
        };
        cell::set_member_status(cell_doc, &MemberId::parse("m3").expect("id"), &away, now)
            .expect("status");
        let report_id = DocId::parse("r:m2:2026-11").expect("id");
        let report_doc = replica
            .doc_mut(&report_id)
            .expect("the cell's reports are held");
        let m1 = MemberId::parse("m1").expect("id");
        report::rate(report_doc, Rating::Excellent, "Tốt", &m1, today(), now).expect("rate");
    }
    let outcome = secretary.sync().await.expect("sync");
    assert!(outcome.refused.is_empty(), "{outcome:?}");
}

fn column_labels(table: &Value) -> Vec<&str> {
    table["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["label"].as_str())
        .collect()
}

fn rows(table: &Value) -> &Vec<Value> {
    table["rows"].as_array().expect("rows")
}

async fn download(app: &TestApp, path: &str, cookie: &str) -> (u16, String, Vec<u8>) {
    let response = app
        .http
        .get(format!("{}/api/v1{path}", app.base_url))
        .header("cookie", cookie)
        .send()
        .await
        .expect("GET");
    let status = response.status().as_u16();
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        disposition,
        response.bytes().await.expect("body").to_vec(),
    )
}

async fn staff_views_count_what_phones_sent(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    a_month_of_work(&app).await;
    app.add_staff("huyen", "huyen-password", AccessRole::DistrictStaff, "d")
        .await;
    let staff = signed_in(&app, "huyen", "huyen-password").await;

    let (status, overview) = get(&app, "/overview", &staff).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["unit"]["id"], "d");
    assert_eq!(overview["month"], "2026-11");
    assert_eq!(
        overview["coverage"],
        serde_json::json!({"households": 6, "assigned": 6, "visited": 1})
    );
    let children: Vec<(&str, i64, i64, i64, i64)> = overview["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default(),
                c["assigned"].as_i64().unwrap_or(-1),
                c["visited"].as_i64().unwrap_or(-1),
                c["open_flags"].as_i64().unwrap_or(-1),
                c["missing_reports"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    // d-x1: m1, m3 (working away still reports) and m9 have not handed in November's report.
    assert_eq!(children, vec![("d-x1", 5, 1, 2, 3), ("d-x2", 1, 0, 0, 1)]);
    let trend = overview["trend"].as_array().expect("trend");
    assert_eq!(trend.len(), 12);
    assert_eq!(trend[11]["month"], "2026-11");
    assert_eq!(trend[11]["visited"], 1);
    assert_eq!(trend[10]["month"], "2026-10");
    assert_eq!(trend[10]["visited"], 1);
    assert_eq!(trend[0]["month"], "2025-12");
    // Not visited in October or November: h3, h4, h9, h20.
    assert_eq!(
        overview["gaps"],
        serde_json::json!({"months": GAP_MONTHS, "unassigned": 0, "not_visited": 4})
    );
    assert_eq!(
        overview["idle_members"], 1,
        "the secretary m1 holds no household"
    );
    assert_eq!(overview["flags"]["open"], 2);
    assert_eq!(overview["flags"]["escalated"], 1);
    let ages: Vec<(i64, i64)> = overview["flags"]["by_age"]
        .as_array()
        .expect("ages")
        .iter()
        .map(|a| {
            (
                a["open"].as_i64().unwrap_or(-1),
                a["escalated"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(ages, vec![(1, 1), (0, 0), (1, 0), (0, 0)]);
    assert_eq!(
        overview["reports"],
        serde_json::json!({"due": 5, "submitted": 1, "missing": 4})
    );
    // Self-rated good (row 1), rated excellent by the cell (column 0).
    assert_eq!(overview["ratings"]["counts"][1][0], 1);
    assert_eq!(
        overview["members"],
        serde_json::json!({"total": 5, "active": 4, "working_away": 1, "exempt": 0})
    );

    // Drill down to the commune and its first cell.
    let (_, commune) = get(&app, "/overview?unit=d-x1", &staff).await;
    let crumbs: Vec<&str> = commune["breadcrumb"]
        .as_array()
        .expect("breadcrumb")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(crumbs, vec!["d", "d-x1"]);
    assert_eq!(commune["children"][0]["id"], "d-x1-c1");
    assert_eq!(commune["children"][0]["visited"], 1);

    // The flags table: escalated first, then the longest open.
    let (status, flags) = get(&app, "/tables/flags", &staff).await;
    assert_eq!(status, 200, "{flags}");
    assert_eq!(
        column_labels(&flags),
        vec![
            "Household",
            "Head of household",
            "Cell",
            "Flag",
            "Raised by",
            "Raised on",
            "Days open",
            "Status"
        ]
    );
    let flag_rows = rows(&flags);
    assert_eq!(flag_rows.len(), 2);
    assert_eq!(flag_rows[0]["household_id"], "h1");
    assert_eq!(flag_rows[0]["status"], "Escalated");
    assert_eq!(flag_rows[0]["raised_by"], "Giàng Seo Pủa");
    assert_eq!(flag_rows[1]["household_id"], "h2");
    assert_eq!(flag_rows[1]["raised_on"], "2026-09-01");
    assert_eq!(flag_rows[1]["days_open"], 80);

    let (_, gaps) = get(&app, "/tables/gaps", &staff).await;
    let gap_households: Vec<&str> = rows(&gaps)
        .iter()
        .filter_map(|r| r["household_id"].as_str())
        .collect();
    assert_eq!(gap_households, vec!["h3", "h4", "h9", "h20"]);
    assert_eq!(rows(&gaps)[0]["reason"], "Never visited");

    let (_, missing) = get(&app, "/tables/missing_reports", &staff).await;
    let missing_names: Vec<&str> = rows(&missing)
        .iter()
        .filter_map(|r| r["member"].as_str())
        .collect();
    assert_eq!(
        missing_names,
        vec![
            "Lê Thị Bình",
            "Triệu Thị Mây",
            "Nguyễn Văn An",
            "Sùng Thị Dợ"
        ]
    );
    let (_, reports) = get(&app, "/tables/reports?unit=d-x1-c1", &staff).await;
    let handed_in = rows(&reports)
        .iter()
        .find(|r| r["member"] == "Giàng Seo Pủa")
        .expect("m2's report");
    assert_eq!(handed_in["status"], "Handed in");
    assert_eq!(handed_in["self_rating"], "Well completed duties");
    assert_eq!(handed_in["cell_rating"], "Excellently completed duties");

    let (_, away) = get(&app, "/tables/away", &staff).await;
    assert_eq!(rows(&away).len(), 1);
    assert_eq!(rows(&away)[0]["status"], "Working away");
    assert_eq!(rows(&away)[0]["detail"], "Bình Dương");
    let (_, idle) = get(&app, "/tables/idle_members", &staff).await;
    assert_eq!(rows(&idle)[0]["member"], "Lê Thị Bình");
    let (_, coverage) = get(&app, "/tables/coverage?unit=d-x1-c1", &staff).await;
    let by_member: Vec<(&str, i64)> = rows(&coverage)
        .iter()
        .map(|r| {
            (
                r["member"].as_str().unwrap_or_default(),
                r["visited"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        by_member,
        vec![
            ("Lê Thị Bình", 0),
            ("Triệu Thị Mây", 0),
            ("Giàng Seo Pủa", 1)
        ]
    );
    for table in ["ratings", "households", "reports"] {
        let (status, body) = get(&app, &format!("/tables/{table}"), &staff).await;
        assert_eq!(status, 200, "{table}: {body}");
        assert!(!rows(&body).is_empty(), "{table} has rows");
    }

    // Exports: Vietnamese headers and dates, a workbook, each one audited.
    let (status, disposition, csv) =
        download(&app, "/tables/flags?format=csv", &staff.cookie).await;
    assert_eq!(status, 200);
    assert_eq!(
        disposition,
        "attachment; filename=\"hosync-flags-d-2026-11.csv\""
    );
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(
        csv.starts_with("\u{feff}Household,Head of household,Cell,Flag,"),
        "{csv}"
    );
    assert!(csv.contains("20/11/2026"), "{csv}");
    assert!(csv.contains("01/09/2026"), "{csv}");
    let (status, _, xlsx) = download(&app, "/tables/gaps?format=xlsx", &staff.cookie).await;
    assert_eq!(status, 200);
    assert!(xlsx.starts_with(b"PK\x03\x04"), "an XLSX is a zip");
    let (status, _, history_csv) = download(
        &app,
        "/tables/history?household=h1&format=csv",
        &staff.cookie,
    )
    .await;
    assert_eq!(status, 200);
    let history_csv = String::from_utf8(history_csv).expect("utf-8");
    assert!(history_csv.starts_with("\u{feff}Date,Time,By,What"));
    assert!(history_csv.contains("Giàng Seo Pủa"));
    let exports: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'export' AND actor = 'user:huyen' ORDER BY seq",
    )
    .fetch_all(&app.state.db.reader)
    .await
    .expect("audit");
    assert_eq!(exports.len(), 3, "{exports:?}");
    assert!(exports[0].starts_with("table=flags month=2026-11 format=csv rows=2"));
    assert!(exports[1].starts_with("table=gaps month=2026-11 format=xlsx rows=4"));

    // Search folds diacritics both ways.
    let (status, found) = get(&app, "/search?q=giang%20seo%20pua", &staff).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["members"][0]["name"], "Giàng Seo Pủa");
    assert_eq!(found["members"][0]["cell"]["id"], "d-x1-c1");
    let (_, found) = get(&app, "/search?q=CHU%20HO%20H2", &staff).await;
    let heads: Vec<&str> = found["households"]
        .as_array()
        .expect("households")
        .iter()
        .filter_map(|h| h["head"].as_str())
        .collect();
    assert_eq!(heads, vec!["Chủ hộ h2", "Chủ hộ h20"]);
    let (_, found) = get(&app, "/search?q=S%C3%B9ng", &staff).await;
    assert_eq!(found["members"][0]["name"], "Sùng Thị Dợ");

    // A household's history: who and when, from its document.
    let (status, detail) = get(&app, "/households/h1", &staff).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["cell"]["id"], "d-x1-c1");
    assert_eq!(detail["assigned_name"], "Giàng Seo Pủa");
    assert_eq!(detail["notes"][0]["author_name"], "Giàng Seo Pủa");
    assert_eq!(detail["flags"][0]["status"], "escalated");
    assert_eq!(detail["flags"][0]["open"], true, "escalated is still open");
    let history = detail["history"].as_array().expect("history");
    let lines: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|h| {
            (
                h["who"].as_str().unwrap_or_default(),
                h["device_owner"].as_str().unwrap_or_default(),
                h["what"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        lines[0]
            .2
            .starts_with("Changed head of household: Chủ hộ h1"),
        "{lines:?}"
    );
    assert_eq!(lines[0].1, "", "the fixture was seeded on the server");
    assert!(lines.contains(&(
        "Giàng Seo Pủa",
        "Giàng Seo Pủa",
        "Visit note of 2026-11-20: Gia đình lo học phí."
    )));
    assert!(lines.contains(&("Giàng Seo Pủa", "Giàng Seo Pủa", "Flag now: Escalated")));
    let escalated = history
        .iter()
        .find(|h| {
            h["what"]
                .as_str()
                .is_some_and(|w| w.starts_with("Flag now"))
        })
        .expect("the escalation");
    assert_eq!(escalated["date"], "2026-11-20");
    assert_eq!(escalated["time"], "12:01");
    app.stop().await;
}
test_both_dbs!(staff_views_count_what_phones_sent);

async fn a_commune_committee_sees_only_its_commune(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("xa1", "xa1-password", AccessRole::CommuneCommittee, "d-x1")
        .await;
    let commune = signed_in(&app, "xa1", "xa1-password").await;

    let (status, overview) = get(&app, "/overview", &commune).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["unit"]["id"], "d-x1");
    let crumbs: Vec<&str> = overview["breadcrumb"]
        .as_array()
        .expect("breadcrumb")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(crumbs, vec!["d-x1"], "the breadcrumb starts at the scope");
    assert_eq!(overview["coverage"]["households"], 5);

    for path in [
        "/overview?unit=d-x2",
        "/overview?unit=d",
        "/tables/households?unit=d-x2-c1",
        "/households/h20",
        "/tables/history?household=h20",
    ] {
        assert_unseen(&get(&app, path, &commune).await, path);
    }
    let (_, households) = get(&app, "/tables/households", &commune).await;
    let ids: Vec<&str> = rows(&households)
        .iter()
        .filter_map(|r| r["household_id"].as_str())
        .collect();
    assert_eq!(ids, vec!["h1", "h2", "h3", "h4", "h9"]);
    let (_, found) = get(&app, "/search?q=sung%20thi", &commune).await;
    assert_eq!(
        found["members"],
        serde_json::json!([]),
        "d-x2's member stays hidden"
    );
    // A commune committee reads and rates; exports are the district's.
    let (status, _, body) = download(&app, "/tables/households?format=csv", &commune.cookie).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    app.stop().await;
}
test_both_dbs!(a_commune_committee_sees_only_its_commune);

async fn bad_view_requests_say_what_was_wrong(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    app.add_staff("huyen", "huyen-password", AccessRole::DistrictStaff, "d")
        .await;
    let staff = signed_in(&app, "huyen", "huyen-password").await;
    for (path, status, says) in [
        ("/overview?month=2026-13", 400, "not a valid month"),
        ("/overview?unit=nowhere", 404, "there is no unit nowhere"),
        ("/overview?unit=bad%20id", 400, ""),
        ("/tables/nope", 404, "expected one of: coverage"),
        ("/tables/history", 400, "?household="),
        ("/tables/flags?format=pdf", 400, "json, csv, xlsx"),
        ("/search?q=a", 400, "at least two letters"),
        ("/households/h404", 404, "there is no household h404"),
    ] {
        let (got, body) = get(&app, path, &staff).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(says)),
            "{path}: {body}"
        );
    }
    let anonymous = app
        .http
        .get(format!("{}/api/v1/overview", app.base_url))
        .send()
        .await
        .expect("GET");
    assert_eq!(anonymous.status(), 401);
    app.stop().await;
}
test_both_dbs!(bad_view_requests_say_what_was_wrong);

async fn households_stored_before_the_staff_views_are_projected_at_start(backend: Backend) {
    let (app, db) = spawn_app(backend).await;
    a_month_of_work(&app).await;
    // A database from before the staff views: their tables empty, the version not yet written.
    for sql in [
        "DELETE FROM visit_view",
        "DELETE FROM flag_view",
        "UPDATE report_view SET state = ''",
        "DELETE FROM meta WHERE key = 'projections'",
    ] {
        sqlx::query(sql)
            .execute(&app.state.db.writer)
            .await
            .expect("reset");
    }
    app.stop().await;

    let app = TestApp::start(&db.url).await;
    app.add_staff("huyen", "huyen-password", AccessRole::DistrictStaff, "d")
        .await;
    let staff = signed_in(&app, "huyen", "huyen-password").await;
    let (_, overview) = get(&app, "/overview", &staff).await;
    assert_eq!(overview["coverage"]["visited"], 1);
    assert_eq!(overview["flags"]["open"], 2);
    assert_eq!(overview["gaps"]["not_visited"], 4);
    assert_eq!(overview["reports"]["submitted"], 1);
    app.stop().await;
}
test_both_dbs!(households_stored_before_the_staff_views_are_projected_at_start);

/// A flag a member wrote as a formula is exported as text: a quote in front of it in CSV, so a
/// spreadsheet opening the file does not run it.
async fn exported_text_never_becomes_a_formula(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let now = today().noon_timestamp();
    let mut member = app.phone("m2 phone", "m2").await;
    member.sync().await.expect("first sync");
    let m2 = MemberId::parse("m2").expect("id");
    let formula = "=HYPERLINK(\"http://example.invalid\",\"Bấm vào\")";
    {
        let h1 = member
            .replica_mut()
            .doc_mut(&household_doc("h1"))
            .expect("h1 held");
        household::raise_flag(h1, None, &m2, today(), formula, now).expect("flag");
    }
    let outcome = member.sync().await.expect("sync");
    assert!(outcome.refused.is_empty(), "{outcome:?}");
    let cookie = app.staff_cookie().await.to_owned();
    let (status, _, csv) = download(&app, "/tables/flags?format=csv", &cookie).await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://example.invalid\"\",\"\"Bấm vào\"\")\""),
        "{csv}"
    );
    let (status, _, xlsx) = download(&app, "/tables/flags?format=xlsx", &cookie).await;
    assert_eq!(status, 200);
    assert!(xlsx.starts_with(b"PK\x03\x04"), "an XLSX is a zip");
}
test_both_dbs!(exported_text_never_becomes_a_formula);

/// "Visited this month" is one count: a note on a household nobody is assigned to, a deleted
/// note and a note of another month once made `GET /summary` (which counted notes) and the
/// overview (which counts core's visited months of assigned households) disagree.
async fn the_summary_and_the_overview_count_visits_alike(backend: Backend) {
    let (app, _db) = spawn_app(backend).await;
    let now = today().noon_timestamp();
    let m1 = MemberId::parse("m1").expect("id");
    let m2 = MemberId::parse("m2").expect("id");
    let mut secretary = app.phone("m1 phone", "m1").await;
    secretary.sync().await.expect("first sync");
    {
        let replica = secretary.replica_mut();
        let cell_doc = replica
            .doc_mut(&DocId::parse("c:d-x1-c1").expect("id"))
            .expect("cell held");
        let h4 = HouseholdId::parse("h4").expect("id");
        cell::assign(cell_doc, &h4, None, today(), &m1, now).expect("unassign");
        let h4 = replica.doc_mut(&household_doc("h4")).expect("h4 held");
        household::add_note(h4, &m1, today(), "Thăm hộ chưa ai phụ trách.", &[], now)
            .expect("note");
    }
    let outcome = secretary.sync().await.expect("sync");
    assert!(outcome.refused.is_empty(), "{outcome:?}");

    let mut member = app.phone("m2 phone", "m2").await;
    member.sync().await.expect("first sync");
    {
        let replica = member.replica_mut();
        let h1 = replica.doc_mut(&household_doc("h1")).expect("h1 held");
        household::add_note(h1, &m2, today(), "Đã thăm.", &[], now).expect("note");
        let h2 = replica.doc_mut(&household_doc("h2")).expect("h2 held");
        let wrong = household::add_note(h2, &m2, today(), "Nhầm hộ.", &[], now).expect("note");
        household::set_note_deleted(h2, &wrong, true, now + 1).expect("delete");
        let h3 = replica.doc_mut(&household_doc("h3")).expect("h3 held");
        household::add_note(h3, &m2, day("2026-10-05"), "Tháng trước.", &[], now).expect("note");
        // A report begun and not handed in: a draft, still missing.
        let november = Month::parse("2026-11").expect("month");
        let draft = replica.open(&DocId::Report(m2.clone(), november));
        let part = report::ReportDraft {
            tasks: Some("Đang viết.".into()),
            ..Default::default()
        };
        report::write(draft, &part, now).expect("draft");
    }
    let outcome = member.sync().await.expect("sync");
    assert!(outcome.refused.is_empty(), "{outcome:?}");

    app.add_staff("huyen", "huyen-password", AccessRole::DistrictStaff, "d")
        .await;
    let staff = signed_in(&app, "huyen", "huyen-password").await;
    let (status, summary) = get(&app, "/summary?month=2026-11", &staff).await;
    assert_eq!(status, 200, "{summary}");
    let (_, commune) = get(&app, "/overview?unit=d-x1&month=2026-11", &staff).await;
    let cells = summary.as_array().expect("cells");
    for child in commune["children"].as_array().expect("children") {
        let cell = cells
            .iter()
            .find(|c| c["cell"] == child["id"])
            .expect("every cell in the summary");
        for (summary_key, overview_key) in [
            ("households", "households"),
            ("assigned", "assigned"),
            ("visited_this_month", "visited"),
            ("open_flags", "open_flags"),
        ] {
            assert_eq!(
                cell[summary_key], child[overview_key],
                "{summary_key} of {}",
                child["id"]
            );
        }
    }
    let c1 = cells.iter().find(|c| c["cell"] == "d-x1-c1").expect("c1");
    // h1 only: h4 is visited but assigned to nobody, h2's note is deleted, h3's is October's.
    assert_eq!(c1["visited_this_month"], 1, "{c1}");
    assert_eq!(c1["assigned"], 3);

    // Each household's own answer is core's visited_in, assigned or not.
    let (_, households) = get(&app, "/tables/households?unit=d-x1-c1", &staff).await;
    let visited: Vec<(&str, bool)> = rows(&households)
        .iter()
        .map(|r| {
            (
                r["household_id"].as_str().unwrap_or_default(),
                r["visited_this_month"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        visited,
        vec![("h1", true), ("h2", false), ("h3", false), ("h4", true)]
    );

    // The gap's length is core's; a draft is a report not handed in.
    let (_, overview) = get(&app, "/overview?unit=d-x1-c1", &staff).await;
    assert_eq!(overview["gaps"]["months"], GAP_MONTHS);
    assert_eq!(
        overview["reports"],
        serde_json::json!({"due": 3, "submitted": 0, "missing": 3})
    );
    let (_, reports) = get(&app, "/tables/reports?unit=d-x1-c1", &staff).await;
    let states: Vec<(&str, &str)> = rows(&reports)
        .iter()
        .map(|r| {
            (
                r["member"].as_str().unwrap_or_default(),
                r["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("Lê Thị Bình", "Not handed in"),
            ("Triệu Thị Mây", "Not handed in"),
            ("Giàng Seo Pủa", "Not handed in (being drafted)"),
        ]
    );
    let (_, missing) = get(&app, "/tables/missing_reports?unit=d-x1-c1", &staff).await;
    assert_eq!(rows(&missing).len(), 3);
    app.stop().await;
}
test_both_dbs!(the_summary_and_the_overview_count_visits_alike);
