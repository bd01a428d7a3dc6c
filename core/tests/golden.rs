//! Golden documents: a household, a cell and a monthly report saved once by the code of their
//! day (`Doc::save`), kept as binary files in `tests/fixtures/`, and read back here through the
//! typed views with every value spelt out. Phones and the server hold documents saved by older
//! code for years; a change to the schema, the views, the validation or Automerge that stops
//! reading them, or reads them differently, fails here.
//!
//! The fixtures are never rewritten to make a test pass: a failure here means stored data
//! would no longer read. A view changed on purpose (the same data read another way) changes
//! the expected values here in the same commit, never the files. A new shape of document gets
//! new fixture files beside the old ones, which must go on reading. `write_fixtures` (ignored)
//! made them and writes only files that are missing:
//! `cargo test -p hosync-core --test golden -- --ignored write_fixtures`. Note and flag ids are
//! random when made, so a fixture made again would not match what is asserted here.

use std::path::PathBuf;

use automerge::ActorId;
use hosync_core::docs::cell::{self, Assignment, AssignmentEvent, Cell, RosterEntry};
use hosync_core::docs::history::{HistoryEntry, HistoryEvent, household_history};
use hosync_core::docs::household::{self, FollowUpFlag, Household, ProfileUpdate, VisitNote};
use hosync_core::docs::report::{self, MonthlyReport, ReportDraft};
use hosync_core::docs::{View, actor_from_bytes};
use hosync_core::messages::{Label, Lang};
use hosync_core::{
    Conflict, ConflictValue, Day, Doc, DocId, FlagId, FlagStatus, HouseholdId, MemberId,
    MemberStatus, Month, NoteId, Rating, Role, Timestamp, UnitId,
};

/// The phones that made the fixtures, each an Automerge actor of 16 bytes.
const SECRETARY_PHONE: &[u8; 16] = b"golden-secretary";
const DEPUTY_PHONE: &[u8; 16] = b"golden-deputy-02";
const MEMBER_PHONE: &[u8; 16] = b"golden-member-02";

const HOUSEHOLD: &str = "h:hsp-x01-c01-h001";
const CELL: &str = "c:hsp-x01-c01";
const REPORT: &str = "r:hsp-x01-c01-m02:2026-10";

const SECRETARY: &str = "hsp-x01-c01-m01";
const DEPUTY: &str = "hsp-x01-c01-m03";
const MEMBER: &str = "hsp-x01-c01-m02";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn day(iso: &str) -> Day {
    Day::parse(iso).expect("a valid day")
}

fn member(id: &str) -> MemberId {
    MemberId::parse(id).expect("a valid member id")
}

fn doc_id(id: &str) -> DocId {
    DocId::parse(id).expect("a valid document id")
}

/// Noon of a day, as the phones' clocks stamped the fixtures' changes.
fn at(iso: &str) -> Timestamp {
    day(iso).noon_timestamp()
}

fn hex(actor: &[u8; 16]) -> String {
    ActorId::from(&actor[..]).to_hex_string()
}

/// A stored document read back by a replica of its own (a reader that writes nothing).
fn load(name: &str, id: &str) -> Doc {
    let bytes = std::fs::read(fixture(name)).expect("the fixture file is there");
    Doc::load(doc_id(id), &bytes, actor_from_bytes(b"golden-reader-00"))
        .expect("the stored bytes load")
}

/// The same document on another phone: a copy that writes as `actor`.
fn on_phone(doc: &Doc, actor: &[u8; 16]) -> Doc {
    let mut copy = doc.clone();
    copy.automerge_mut().set_actor(actor_from_bytes(actor));
    copy
}

/// A household looked after by a member over two months: a profile with a tag, three visit
/// notes (one deleted, one whose text two phones edited at once), a flag raised from a note,
/// escalated and then resolved, and the number of people set differently on two secretaries'
/// phones, left in conflict.
fn make_household() -> Doc {
    let mut secretary = Doc::create(doc_id(HOUSEHOLD), actor_from_bytes(SECRETARY_PHONE));
    let profile = ProfileUpdate {
        head: Some("Giàng Seo Pủa".into()),
        village: Some("Thôn Nậm Mì".into()),
        people: Some(6),
        livelihood: Some("Trồng chè, thảo quả".into()),
    };
    household::update_profile(&mut secretary, &profile, at("2026-10-01")).expect("profile");
    household::add_tag(&mut secretary, "hộ nghèo", at("2026-10-01")).expect("tag");

    let mut phone = on_phone(&secretary, MEMBER_PHONE);
    let m = member(MEMBER);
    household::add_note(
        &mut phone,
        &m,
        day("2026-10-05"),
        "Gia đình khỏe; cháu Mỷ đã đi học lại.",
        &["sức khỏe".into(), "giáo dục".into()],
        at("2026-10-05"),
    )
    .expect("first note");
    let mistaken = household::add_note(
        &mut phone,
        &m,
        day("2026-10-12"),
        "Ghi nhầm hộ, sẽ xóa.",
        &[],
        at("2026-10-12"),
    )
    .expect("mistaken note");
    household::set_note_deleted(&mut phone, &mistaken, true, at("2026-10-12")).expect("delete");
    let roof = household::add_note(
        &mut phone,
        &m,
        day("2026-11-03"),
        "Nhà dột khi mưa to.",
        &["nhà ở".into()],
        at("2026-11-03"),
    )
    .expect("roof note");
    let flag = household::raise_flag(
        &mut phone,
        Some(&roof),
        &m,
        day("2026-11-03"),
        "Đề nghị hỗ trợ sửa mái nhà trước mùa mưa",
        at("2026-11-03"),
    )
    .expect("flag");
    secretary
        .merge(&mut phone)
        .expect("the member's phone syncs");

    // Then, with no sync between them: the secretary moves the flag on, edits the roof note's
    // start and sets the number of people; the deputy sets it otherwise; the member adds to the
    // end of the same note.
    let mut deputy = on_phone(&secretary, DEPUTY_PHONE);
    let s = member(SECRETARY);
    household::set_flag_status(
        &mut secretary,
        &flag,
        FlagStatus::Escalated,
        &s,
        day("2026-11-05"),
        at("2026-11-05"),
    )
    .expect("escalate");
    household::splice_note(
        &mut secretary,
        &roof,
        0,
        0,
        "Đã xác minh: ",
        at("2026-11-06"),
    )
    .expect("secretary's edit");
    let people = ProfileUpdate {
        people: Some(7),
        ..ProfileUpdate::default()
    };
    household::update_profile(&mut secretary, &people, at("2026-11-06")).expect("7 people");
    let people = ProfileUpdate {
        people: Some(8),
        ..ProfileUpdate::default()
    };
    household::update_profile(&mut deputy, &people, at("2026-11-07")).expect("8 people");
    let end = "Nhà dột khi mưa to.".chars().count();
    household::splice_note(
        &mut phone,
        &roof,
        end,
        0,
        " Gia đình đã che tạm bằng bạt.",
        at("2026-11-08"),
    )
    .expect("member's edit");
    secretary
        .merge(&mut deputy)
        .expect("the deputy's phone syncs");
    secretary
        .merge(&mut phone)
        .expect("the member's phone syncs");
    household::set_flag_status(
        &mut secretary,
        &flag,
        FlagStatus::Resolved,
        &s,
        day("2026-11-15"),
        at("2026-11-15"),
    )
    .expect("resolve");
    secretary
}

/// A cell's roster (a member working away, one exempt) and its assignments: one household
/// assigned, one moved from a member gone away to another, one taken off an exempt member.
fn make_cell() -> Doc {
    let mut doc = Doc::create(doc_id(CELL), actor_from_bytes(SECRETARY_PHONE));
    let t = at("2026-01-05");
    let roster = [
        ("hsp-x01-c01-m01", "Lê Thị Bình", Role::Secretary),
        ("hsp-x01-c01-m02", "Sùng Mí Chứ", Role::Member),
        ("hsp-x01-c01-m03", "Triệu Thị Mây", Role::DeputySecretary),
        ("hsp-x01-c01-m04", "Nguyễn Văn An", Role::Member),
        ("hsp-x01-c01-m05", "Hầu Thị Dế", Role::Member),
    ];
    for (id, name, role) in roster {
        cell::set_member(&mut doc, &member(id), name, role, t).expect("roster");
    }
    let away = MemberStatus::WorkingAway {
        place: "Bắc Ninh".into(),
    };
    cell::set_member_status(
        &mut doc,
        &member("hsp-x01-c01-m04"),
        &away,
        at("2026-05-20"),
    )
    .expect("away");
    let exempt = MemberStatus::Exempt {
        reason: "Tuổi cao".into(),
    };
    cell::set_member_status(
        &mut doc,
        &member("hsp-x01-c01-m05"),
        &exempt,
        at("2026-02-25"),
    )
    .expect("exempt");
    let s = member(SECRETARY);
    let household = |id: &str| HouseholdId::parse(id).expect("a valid household id");
    let assignments: [(&str, Option<&str>, &str); 5] = [
        ("hsp-x01-c01-h001", Some("hsp-x01-c01-m02"), "2026-01-05"),
        ("hsp-x01-c01-h002", Some("hsp-x01-c01-m04"), "2026-01-05"),
        ("hsp-x01-c01-h003", Some("hsp-x01-c01-m05"), "2026-01-05"),
        ("hsp-x01-c01-h003", None, "2026-03-01"),
        ("hsp-x01-c01-h002", Some("hsp-x01-c01-m02"), "2026-06-01"),
    ];
    for (h, to, from) in assignments {
        let to = to.map(member);
        cell::assign(
            &mut doc,
            &household(h),
            to.as_ref(),
            day(from),
            &s,
            at(from),
        )
        .expect("assignment");
    }
    doc
}

/// A member's October report, written and handed in on their phone, then rated by the cell.
fn make_report() -> Doc {
    let mut phone = Doc::create(doc_id(REPORT), actor_from_bytes(MEMBER_PHONE));
    let draft = ReportDraft {
        tasks: Some("Dự đủ buổi sinh hoạt chi bộ; tham gia làm đường bê tông thôn.".into()),
        household_content: Some("Thăm hộ ông Giàng Seo Pủa hai lần; hộ cần sửa mái nhà.".into()),
        self_rating: Some(Rating::Good),
    };
    report::write(&mut phone, &draft, at("2026-10-27")).expect("draft");
    report::submit(&mut phone, day("2026-10-28"), at("2026-10-28")).expect("submit");
    let mut secretary = on_phone(&phone, SECRETARY_PHONE);
    report::rate(
        &mut secretary,
        Rating::Excellent,
        "Hoàn thành tốt việc thăm hộ; cần ghi chép đều hơn.",
        &member(SECRETARY),
        day("2026-11-02"),
        at("2026-11-02"),
    )
    .expect("rating");
    secretary
}

/// Makes the fixtures that are missing. Never run to make a failing test pass: a fixture
/// stands for data already stored on phones and servers.
#[test]
#[ignore = "writes the golden fixtures; run on purpose only"]
fn write_fixtures() {
    let dir = fixture("");
    std::fs::create_dir_all(&dir).expect("the fixtures folder");
    for (name, make) in [
        ("household.automerge", make_household as fn() -> Doc),
        ("cell.automerge", make_cell),
        ("report.automerge", make_report),
    ] {
        let path = fixture(name);
        if path.exists() {
            println!("{name} is there; kept as it is");
            continue;
        }
        let doc = make();
        doc.validate().expect("the fixture is a valid document");
        std::fs::write(&path, doc.save()).expect("write the fixture");
        println!("wrote {name}");
    }
}

fn note_id(id: &str) -> NoteId {
    NoteId::parse(id).expect("a valid note id")
}

fn flag_id(id: &str) -> FlagId {
    FlagId::parse(id).expect("a valid flag id")
}

fn household_id(id: &str) -> HouseholdId {
    HouseholdId::parse(id).expect("a valid household id")
}

fn heads(doc: &Doc) -> Vec<String> {
    doc.heads().iter().map(ToString::to_string).collect()
}

/// The document saved again by today's code and loaded once more, which must read the same.
fn saved_again(doc: &Doc) -> Doc {
    Doc::load(
        doc.id().clone(),
        &doc.save(),
        actor_from_bytes(b"golden-reader-01"),
    )
    .expect("today's save loads")
}

const FIRST_NOTE: &str = "e5fdac86fe104d97ba26debe79cb715d";
const DELETED_NOTE: &str = "4708c23a055a45be832868037fc726ab";
const ROOF_NOTE: &str = "58d5f2ef7d20445593ec3014eee37f93";
const ROOF_FLAG: &str = "c2ec03a8229743a0b71e43e02a9e1d9d";

fn expected_household() -> Household {
    Household {
        id: household_id("hsp-x01-c01-h001"),
        head: "Giàng Seo Pủa".into(),
        village: "Thôn Nậm Mì".into(),
        // Two phones set 7 and 8 at once; the view shows the winner, the conflict keeps both.
        people: 7,
        livelihood: "Trồng chè, thảo quả".into(),
        tags: vec!["hộ nghèo".into()],
        // The fixture was written before households could be closed; it reads as open.
        closed: None,
        notes: vec![
            VisitNote {
                id: note_id(FIRST_NOTE),
                date: day("2026-10-05"),
                author: member(MEMBER),
                created_at: 1_791_176_400,
                text: "Gia đình khỏe; cháu Mỷ đã đi học lại.".into(),
                topics: vec!["sức khỏe".into(), "giáo dục".into()],
                deleted: false,
            },
            VisitNote {
                id: note_id(DELETED_NOTE),
                date: day("2026-10-12"),
                author: member(MEMBER),
                created_at: 1_791_781_200,
                text: "Ghi nhầm hộ, sẽ xóa.".into(),
                topics: vec![],
                deleted: true,
            },
            VisitNote {
                id: note_id(ROOF_NOTE),
                date: day("2026-11-03"),
                author: member(MEMBER),
                created_at: 1_793_682_000,
                // The secretary's edit at the start and the member's at the end, merged.
                text: "Đã xác minh: Nhà dột khi mưa to. Gia đình đã che tạm bằng bạt.".into(),
                topics: vec!["nhà ở".into()],
                deleted: false,
            },
        ],
        flags: vec![FollowUpFlag {
            id: flag_id(ROOF_FLAG),
            note: Some(note_id(ROOF_NOTE)),
            raised_by: member(MEMBER),
            raised_on: day("2026-11-03"),
            text: "Đề nghị hỗ trợ sửa mái nhà trước mùa mưa".into(),
            status: FlagStatus::Resolved,
            status_by: member(SECRETARY),
            status_on: day("2026-11-15"),
        }],
    }
}

#[test]
fn the_household_reads_as_it_was_saved() {
    let doc = load("household.automerge", HOUSEHOLD);
    let expected = expected_household();
    assert_eq!(
        household::read(&doc).expect("the household reads"),
        expected
    );
    assert_eq!(doc.view(), Ok(View::Household(expected.clone())));
    assert_eq!(
        doc.conflicts(),
        vec![Conflict {
            path: vec!["profile".into(), "people".into()],
            values: vec![
                ConflictValue {
                    value: "7".into(),
                    actor: hex(SECRETARY_PHONE),
                },
                ConflictValue {
                    value: "8".into(),
                    actor: hex(DEPUTY_PHONE),
                },
            ],
        }]
    );
    assert_eq!(
        heads(&doc),
        ["d1c698807a9677995e218b62e3095a5a528a3326efa5a3486743b303bfbbb280"]
    );
    let household = household::read(&doc).expect("the household reads");
    assert_eq!(household.last_visit(), Some(day("2026-11-03")));
    assert!(household.visited_in(Month::parse("2026-10").expect("month")));
    assert_eq!(household.open_flags(), 0);

    let again = saved_again(&doc);
    assert_eq!(household::read(&again).expect("saved again"), expected);
    assert_eq!(again.conflicts(), doc.conflicts());
    assert_eq!(again.heads(), doc.heads());
}

#[test]
fn the_household_history_reads_change_by_change() {
    let doc = load("household.automerge", HOUSEHOLD);
    let (secretary, member_phone) = (hex(SECRETARY_PHONE), hex(MEMBER_PHONE));
    let entry =
        |change: &str, actor: &str, at: Timestamp, events: Vec<HistoryEvent>| HistoryEntry {
            change: change.into(),
            actor: actor.into(),
            at,
            events,
        };
    let profile = |(vi, en), value: &str| HistoryEvent::Profile {
        field: Label { vi, en },
        value: value.into(),
    };
    let roof_text = |text: &str| HistoryEvent::NoteEdited {
        note: note_id(ROOF_NOTE),
        date: day("2026-11-03"),
        text: text.into(),
    };
    let flag_status = |status| HistoryEvent::FlagStatus {
        flag: flag_id(ROOF_FLAG),
        status,
        by: member(SECRETARY),
    };
    // The deputy's change (8 people) lost to the secretary's (7), so the household it left
    // reads as before and the history shows nothing for it.
    let expected = vec![
        entry(
            "86f6d04e7ac7a2747282bb610c8b1f7b9495317a6559a6646970870ca3377a82",
            &secretary,
            1_790_830_800,
            vec![
                profile(("chủ hộ", "head of household"), "Giàng Seo Pủa"),
                profile(("thôn, bản", "village"), "Thôn Nậm Mì"),
                profile(("nhân khẩu", "people"), "6"),
                profile(("sinh kế", "livelihood"), "Trồng chè, thảo quả"),
            ],
        ),
        entry(
            "3cc34a08c6f257c971e367c8dc3b7f086731934ce8c343fa6f2f65b86a65d9aa",
            &secretary,
            1_790_830_800,
            vec![HistoryEvent::TagAdded {
                tag: "hộ nghèo".into(),
            }],
        ),
        entry(
            "e689740d0ebcfc739e1de5879b4cddde70b058b657a52e68b8e5aa50a33dbbb3",
            &member_phone,
            1_791_176_400,
            vec![HistoryEvent::NoteAdded {
                note: note_id(FIRST_NOTE),
                date: day("2026-10-05"),
                author: member(MEMBER),
                text: "Gia đình khỏe; cháu Mỷ đã đi học lại.".into(),
            }],
        ),
        entry(
            "c755eb28c0b83f957a5bfa1186d5547c42c7de3d28748954dee687838f00912a",
            &member_phone,
            1_791_781_200,
            vec![HistoryEvent::NoteAdded {
                note: note_id(DELETED_NOTE),
                date: day("2026-10-12"),
                author: member(MEMBER),
                text: "Ghi nhầm hộ, sẽ xóa.".into(),
            }],
        ),
        entry(
            "6be9a6f7cdeb7b05e2f8e5d82bed46948c0c4c446621fa8f4734097f6b797e64",
            &member_phone,
            1_791_781_200,
            vec![HistoryEvent::NoteDeleted {
                note: note_id(DELETED_NOTE),
                date: day("2026-10-12"),
            }],
        ),
        entry(
            "3c560e99f53b37a7f1afff2266beff844730c63de1397003c920c57c83f7006a",
            &member_phone,
            1_793_682_000,
            vec![HistoryEvent::NoteAdded {
                note: note_id(ROOF_NOTE),
                date: day("2026-11-03"),
                author: member(MEMBER),
                text: "Nhà dột khi mưa to.".into(),
            }],
        ),
        entry(
            "3d48c44740c0ed335338d755bf9cb2f4d040146616faac742c434cb0d024bcc0",
            &member_phone,
            1_793_682_000,
            vec![HistoryEvent::FlagRaised {
                flag: flag_id(ROOF_FLAG),
                by: member(MEMBER),
                text: "Đề nghị hỗ trợ sửa mái nhà trước mùa mưa".into(),
            }],
        ),
        entry(
            "b59f8e4d847cbbc86fe43d592db2ac9fcecbf3eb0771cb9f50829ed879121054",
            &secretary,
            1_793_854_800,
            vec![flag_status(FlagStatus::Escalated)],
        ),
        entry(
            "de0edba2f39a6d6eb283479b76bab62cc266eb9415dc9d66f16e8bacbd3441f2",
            &secretary,
            1_793_941_200,
            vec![roof_text("Đã xác minh: Nhà dột khi mưa to.")],
        ),
        entry(
            "866e2065a72b28c7a8b8e119e5124f1baab0c86af2cb9899eed171a61625c4dd",
            &secretary,
            1_793_941_200,
            vec![profile(("nhân khẩu", "people"), "7")],
        ),
        entry(
            "b14d1ebb35733d53557ca3ad6c7ba5a20758894546073b33f97e1b2a9e223532",
            &member_phone,
            1_794_114_000,
            vec![roof_text(
                "Đã xác minh: Nhà dột khi mưa to. Gia đình đã che tạm bằng bạt.",
            )],
        ),
        entry(
            "d1c698807a9677995e218b62e3095a5a528a3326efa5a3486743b303bfbbb280",
            &secretary,
            1_794_718_800,
            vec![flag_status(FlagStatus::Resolved)],
        ),
    ];
    let history = household_history(&doc).expect("the history reads");
    assert_eq!(history, expected);
    let lines: Vec<String> = history
        .iter()
        .flat_map(|e| e.events.iter().map(|e| e.describe(Lang::Vi)))
        .collect();
    assert_eq!(
        lines[7..11],
        [
            "Xóa ghi chép ngày 12/10/2026",
            "Ghi chép thăm hộ ngày 03/11/2026: Nhà dột khi mưa to.",
            "Nêu kiến nghị: Đề nghị hỗ trợ sửa mái nhà trước mùa mưa",
            "Kiến nghị chuyển sang: Đã báo cáo cấp trên",
        ]
    );
}

/// Today's code still writes on top of stored data, and what it writes merges with it.
#[test]
fn a_stored_household_takes_new_edits() {
    let mut doc = load("household.automerge", HOUSEHOLD);
    let note = household::add_note(
        &mut doc,
        &member(MEMBER),
        day("2026-12-01"),
        "Đã sửa xong mái nhà.",
        &[],
        at("2026-12-01"),
    )
    .expect("a new note on the stored household");
    doc.settle(&["profile".into(), "people".into()], "8", at("2026-12-01"))
        .expect("the stored conflict settles");
    let household = household::read(&doc).expect("reads");
    assert_eq!(household.people, 8);
    assert!(doc.conflicts().is_empty());
    assert_eq!(household.notes.len(), 4);
    assert_eq!(household.notes[3].id, note);
    assert_eq!(household.last_visit(), Some(day("2026-12-01")));
}

#[test]
fn the_cell_reads_as_it_was_saved() {
    let doc = load("cell.automerge", CELL);
    let by = member(SECRETARY);
    let event = |household: &str, to: Option<&str>, from: &str| AssignmentEvent {
        household: household_id(household),
        member: to.map(member),
        from: day(from),
        by: by.clone(),
    };
    let roster = |id: &str, name: &str, role, status| RosterEntry {
        id: member(id),
        name: name.into(),
        role,
        status,
    };
    let expected = Cell {
        id: UnitId::parse("hsp-x01-c01").expect("unit id"),
        // By given name: An, Bình, Chứ, Dế, Mây.
        members: vec![
            roster(
                "hsp-x01-c01-m04",
                "Nguyễn Văn An",
                Role::Member,
                MemberStatus::WorkingAway {
                    place: "Bắc Ninh".into(),
                },
            ),
            roster(
                SECRETARY,
                "Lê Thị Bình",
                Role::Secretary,
                MemberStatus::Active,
            ),
            roster(MEMBER, "Sùng Mí Chứ", Role::Member, MemberStatus::Active),
            roster(
                "hsp-x01-c01-m05",
                "Hầu Thị Dế",
                Role::Member,
                MemberStatus::Exempt {
                    reason: "Tuổi cao".into(),
                },
            ),
            roster(
                DEPUTY,
                "Triệu Thị Mây",
                Role::DeputySecretary,
                MemberStatus::Active,
            ),
        ],
        assignments: vec![
            Assignment {
                household: household_id("hsp-x01-c01-h001"),
                member: member(MEMBER),
                since: Some(day("2026-01-05")),
            },
            Assignment {
                household: household_id("hsp-x01-c01-h002"),
                member: member(MEMBER),
                since: Some(day("2026-06-01")),
            },
        ],
        history: vec![
            event("hsp-x01-c01-h001", Some(MEMBER), "2026-01-05"),
            event("hsp-x01-c01-h002", Some("hsp-x01-c01-m04"), "2026-01-05"),
            event("hsp-x01-c01-h003", Some("hsp-x01-c01-m05"), "2026-01-05"),
            event("hsp-x01-c01-h003", None, "2026-03-01"),
            event("hsp-x01-c01-h002", Some(MEMBER), "2026-06-01"),
        ],
    };
    let cell = cell::read(&doc).expect("the cell reads");
    assert_eq!(cell, expected);
    assert_eq!(doc.view(), Ok(View::Cell(expected.clone())));
    assert_eq!(doc.conflicts(), vec![]);
    assert_eq!(
        heads(&doc),
        ["b5dc0fbe81539739f375c2ecd62533b9cc0b07a6ef5f00c78c8d1978d9533833"]
    );
    assert_eq!(
        cell.households_of(&member(MEMBER)),
        [
            &household_id("hsp-x01-c01-h001"),
            &household_id("hsp-x01-c01-h002")
        ]
    );
    assert_eq!(cell.assignee(&household_id("hsp-x01-c01-h003")), None);
    assert_eq!(
        cell::read(&saved_again(&doc)).expect("saved again"),
        expected
    );
}

#[test]
fn the_report_reads_as_it_was_saved() {
    let doc = load("report.automerge", REPORT);
    let expected = MonthlyReport {
        member: member(MEMBER),
        month: Month::parse("2026-10").expect("month"),
        tasks: "Dự đủ buổi sinh hoạt chi bộ; tham gia làm đường bê tông thôn.".into(),
        household_content: "Thăm hộ ông Giàng Seo Pủa hai lần; hộ cần sửa mái nhà.".into(),
        self_rating: Some(Rating::Good),
        submitted_on: Some(day("2026-10-28")),
        cell_comment: "Hoàn thành tốt việc thăm hộ; cần ghi chép đều hơn.".into(),
        cell_rating: Some(Rating::Excellent),
        rated_by: Some(member(SECRETARY)),
        rated_on: Some(day("2026-11-02")),
    };
    assert_eq!(report::read(&doc).expect("the report reads"), expected);
    assert_eq!(doc.view(), Ok(View::Report(expected.clone())));
    assert_eq!(doc.conflicts(), vec![]);
    assert_eq!(
        heads(&doc),
        ["aa93a658dcce9e867456385e6845b266f2dfb7a09953fea3f6d6984df0cc62e1"]
    );
    assert_eq!(
        report::read(&saved_again(&doc)).expect("saved again"),
        expected
    );
}
