//! Who may read what, two ways: core's `Principal::may_read` on each stored document's place,
//! and the SQL filter a sync reads by (`readable_ids` for `ReadScope(principal.read_filter())`),
//! held to each other on a small demo district for every role over every unit of the tree, for
//! the phones of every member, and for staff accounts' phones (one playing a member without
//! being one of the cell among them).

use std::collections::BTreeSet;

use hosync_core::access::{AccessRole, DocPlace, Principal, UnitPath};
use hosync_core::{DocId, DocKind, MemberId, UnitId};
use hosync_server::Db;
use hosync_server::access::accounts::{self, By, Login, NewUser};
use hosync_server::access::devices::{self, Holder};
use hosync_server::storage::{self, ReadScope};
use hosync_server::tools::demo::{DemoShape, seed};
use sqlx::Row;

use crate::helpers::{Backend, TestDb, today};
use crate::test_both_dbs;

const ROLES: [AccessRole; 5] = [
    AccessRole::Member,
    AccessRole::CellSecretary,
    AccessRole::CommuneCommittee,
    AccessRole::DistrictStaff,
    AccessRole::Admin,
];

/// Someone to check, with how the test names them in a failure.
struct Case {
    who: String,
    principal: Principal,
}

async fn the_sql_filter_reads_what_may_read_allows(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = Db::open(&test_db.url)
        .await
        .expect("the database connects and migrates");
    // Two communes (so one can be held apart from the other), an agency bloc and cells under
    // the district itself; two months of notes and reports.
    let shape = DemoShape {
        months: 2,
        ..DemoShape::scaled(0.06)
    };
    let summary = seed(&db, &shape, today()).await.expect("the demo district");

    let mut conn = db.reader.acquire().await.expect("a connection");
    let places = stored_places(&mut conn).await;
    let units: Vec<(UnitId, UnitPath, String)> =
        sqlx::query("SELECT id, path, kind FROM units ORDER BY path")
            .fetch_all(&mut *conn)
            .await
            .expect("units")
            .iter()
            .map(|r| {
                (
                    UnitId::parse(&r.get::<String, _>(0)).expect("unit id"),
                    UnitPath::parse(&r.get::<String, _>(1)).expect("unit path"),
                    r.get(2),
                )
            })
            .collect();
    let communes = units.iter().filter(|(.., kind)| kind == "commune").count();
    assert!(communes >= 2, "two communes or more: {summary}");
    drop(conn);

    let mut cases = Vec::new();
    // Every role over every unit, as a staff session holds it (no member of its own).
    for (unit, path, kind) in &units {
        for role in ROLES {
            cases.push(Case {
                who: format!("{} over {kind} {unit}", role.code()),
                principal: Principal {
                    role,
                    scope: path.clone(),
                    member: None,
                },
            });
        }
    }
    // The phone of every member, as the server makes its principal: members, secretaries and
    // deputies, with and without households, away or exempt.
    let mut conn = db.reader.acquire().await.expect("a connection");
    let members: Vec<String> = sqlx::query_scalar("SELECT id FROM members ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .expect("members");
    for id in members {
        let holder = Holder::Member(MemberId::parse(&id).expect("member id"));
        cases.push(holder_case(&mut conn, &holder).await);
    }
    drop(conn);
    // Staff accounts' phones, one per role at a spread of scopes: such a phone names a member
    // id of its own (`staff-…`), which no assignment and no report names.
    let cell = first_unit(&units, "cell");
    let grassroots = first_unit(&units, "grassroots_cell");
    let commune = first_unit(&units, "commune");
    let district = first_unit(&units, "district");
    let accounts = [
        ("dv.cell", AccessRole::Member, &cell),
        ("dv.grassroots", AccessRole::Member, &grassroots),
        ("bt.cell", AccessRole::CellSecretary, &cell),
        ("dx.commune", AccessRole::CommuneCommittee, &commune),
        ("hu.district", AccessRole::DistrictStaff, &district),
        ("hu.commune", AccessRole::DistrictStaff, &commune),
        ("qt.district", AccessRole::Admin, &district),
    ];
    for (login, role, scope) in accounts {
        let account = NewUser {
            login: Login::parse(login).expect("login"),
            name: format!("Cán bộ {login}"),
            password: "mật khẩu đủ dài".into(),
            role,
            scope: scope.clone(),
        };
        accounts::add_user(&db, By::Cli, &account, today().noon_timestamp())
            .await
            .expect("a staff account");
    }
    let mut conn = db.reader.acquire().await.expect("a connection");
    for (login, ..) in accounts {
        cases.push(
            holder_case(
                &mut conn,
                &Holder::User(hosync_core::Login::parse(login).expect("login")),
            )
            .await,
        );
    }

    let all: BTreeSet<String> = places.iter().map(|p| p.id.to_string()).collect();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for case in &cases {
        let by_core: BTreeSet<String> = places
            .iter()
            .filter(|place| case.principal.may_read(place).is_ok())
            .map(|place| place.id.to_string())
            .collect();
        let scope = ReadScope(case.principal.read_filter());
        let by_sql: BTreeSet<String> = storage::readable_ids(&mut conn, &scope)
            .await
            .expect("readable_ids")
            .into_iter()
            .collect();
        if by_core != by_sql {
            failures.push(describe(case, &by_core, &by_sql));
        }
        seen.insert(what_is_read(&places, &by_core));
        if case.principal.role == AccessRole::DistrictStaff
            && case.principal.scope == district_path(&units)
        {
            assert_eq!(by_core, all, "district staff read every document");
        }
    }
    drop(conn);
    db.close().await;
    assert!(
        failures.is_empty(),
        "{} of {} principals read differently by may_read and by the SQL filter:\n{}",
        failures.len(),
        cases.len(),
        // The first few say enough; a broken filter usually breaks hundreds alike.
        failures[..failures.len().min(20)].join("\n")
    );
    // What the principals read covers what the rules tell apart, so agreement means something:
    // nothing; only cell documents; a member's households and own reports; whole cells.
    for shape in [
        "nothing",
        "cell documents only",
        "a member's part of a cell",
        "whole cells",
    ] {
        assert!(
            seen.contains(shape),
            "some principal reads {shape}: {seen:?}"
        );
    }
}

test_both_dbs!(the_sql_filter_reads_what_may_read_allows);

/// Every stored document with its place, as the server works it out before a read or write.
async fn stored_places(conn: &mut sqlx::AnyConnection) -> Vec<DocPlace> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT doc_id FROM documents ORDER BY doc_id")
        .fetch_all(&mut *conn)
        .await
        .expect("documents");
    let mut places = Vec::with_capacity(ids.len());
    for id in ids {
        let doc = DocId::parse(&id).expect("a stored document id");
        let (_, place) = storage::doc_place(&mut *conn, &doc)
            .await
            .expect("doc_place")
            .unwrap_or_else(|| panic!("stored document {id} has a place"));
        places.push(place);
    }
    places
}

async fn holder_case(conn: &mut sqlx::AnyConnection, holder: &Holder) -> Case {
    let info = devices::holder_info(conn, holder)
        .await
        .expect("holder_info")
        .unwrap_or_else(|| panic!("{holder} is known"));
    Case {
        who: format!("the phone of {holder}"),
        principal: info.principal,
    }
}

fn first_unit(units: &[(UnitId, UnitPath, String)], kind: &str) -> UnitId {
    units
        .iter()
        .find(|(.., k)| k == kind)
        .map(|(id, ..)| id.clone())
        .unwrap_or_else(|| panic!("the demo has a {kind}"))
}

fn district_path(units: &[(UnitId, UnitPath, String)]) -> UnitPath {
    units
        .iter()
        .find(|(.., k)| k == "district")
        .map(|(_, path, _)| path.clone())
        .expect("the demo has a district")
}

/// What kind of reading a set of documents is, in the words the coverage check names.
fn what_is_read(places: &[DocPlace], ids: &BTreeSet<String>) -> &'static str {
    let read: Vec<&DocPlace> = places
        .iter()
        .filter(|p| ids.contains(&p.id.to_string()))
        .collect();
    let cells: BTreeSet<&UnitPath> = read.iter().map(|p| &p.cell).collect();
    let whole = places
        .iter()
        .filter(|p| cells.contains(&p.cell))
        .all(|p| ids.contains(&p.id.to_string()));
    let has = |kind| read.iter().any(|p| p.id.kind() == kind);
    if read.is_empty() {
        "nothing"
    } else if read.iter().all(|p| p.id.kind() == DocKind::Cell) {
        "cell documents only"
    } else if whole {
        "whole cells"
    } else if has(DocKind::Household) && has(DocKind::Report) {
        "a member's part of a cell"
    } else {
        "another part of a cell"
    }
}

fn describe(case: &Case, by_core: &BTreeSet<String>, by_sql: &BTreeSet<String>) -> String {
    let sample = |ids: Vec<&String>| {
        let shown: Vec<&str> = ids.iter().take(8).map(|s| s.as_str()).collect();
        format!("{} {:?}", ids.len(), shown)
    };
    format!(
        "  {} ({:?}): only may_read allows {}; only the SQL filter reads {}",
        case.who,
        case.principal,
        sample(by_core.difference(by_sql).collect()),
        sample(by_sql.difference(by_core).collect()),
    )
}
