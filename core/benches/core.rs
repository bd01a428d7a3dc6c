//! Benchmarks of the shared core on realistic documents: a household with a year of visit
//! notes, a secretary's phone holding the 40 households of a cell, the wire frames of a
//! steady-state sync and of a first sync.
//!
//! Results land in `target/criterion/<group>/<function>/new/estimates.json`.

use std::hint::black_box;
use std::time::Duration;

use automerge::ActorId;
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use hosync_core::docs::household::{self, ProfileUpdate};
use hosync_core::docs::random_actor;
use hosync_core::docs::report::{self, ReportDraft};
use hosync_core::protocol::{self, Cursor, SyncRequest, SyncResponse};
use hosync_core::sync::{PushDecision, Replica, ResponseBuilder, apply_push, parse_changes};
use hosync_core::{Day, DeviceId, Doc, DocId, FlagStatus, MemberId, NoteId, Rating, Timestamp};

/// Visit notes as members write them: 60 to 120 characters of Vietnamese.
const NOTES: &[&str] = &[
    "Thăm hộ đầu năm, gia đình đón Tết đầy đủ. Đã nhắc ông chủ hộ đi họp thôn đúng giờ.",
    "Gia đình khỏe mạnh, lúa xuân đã cấy xong. Con gái thứ hai cần hỗ trợ học phí kỳ này.",
    "Bà cụ bị ốm, đã đưa đi trạm y tế xã khám. Cần theo dõi thêm và báo chi bộ trong tháng.",
    "Hộ tham gia làm đường bê tông liên thôn, góp 5 ngày công. Gia đình đồng thuận cao.",
    "Đã tuyên truyền về phòng chống cháy rừng mùa khô. Ông chủ hộ hứa không đốt nương bừa bãi.",
    "Vườn chè phát triển tốt, thu hái lứa đầu được khoảng 80 kg búp tươi, bán cho hợp tác xã.",
    "Con trai lớn đi làm ăn xa ở Bắc Ninh, gửi tiền về đều. Gia đình cần hướng dẫn thủ tục tạm vắng.",
    "Mưa lớn làm sạt một phần taluy sau nhà. Đã báo trưởng thôn, đề nghị xã kiểm tra sớm.",
    "Thăm hộ định kỳ, gia đình sinh hoạt bình thường, chưa có kiến nghị gì mới.",
    "Thu hoạch lúa mùa đạt khá. Hộ đăng ký vay vốn ngân hàng chính sách để mua giống bò.",
    "Nhắc gia đình cho các cháu đi học đều, không để nghỉ học theo bố mẹ lên nương.",
    "Hộ đã nhận bò giống, chuồng trại sạch sẽ. Đề nghị cán bộ thú y xã đến tiêm phòng.",
    "Cuối năm gia đình ổn định, đã đóng đủ các khoản đóng góp. Bình xét hộ thoát nghèo.",
    "Ông chủ hộ tham gia tổ hòa giải thôn, giúp giải quyết tranh chấp đất nương giữa hai nhà.",
    "Họp gia đình cùng trưởng thôn về việc chuyển 3 sào ruộng bậc thang sang lúa nếp đặc sản; gia đình đồng ý làm thử vụ này.",
    "Đã phổ biến chính sách bảo hiểm y tế hộ cận nghèo. Gia đình đồng ý làm thẻ cho cả nhà.",
];

const HEADS: &[&str] = &[
    "Giàng Seo Pủa",
    "Sùng Mí Chứ",
    "Vàng Thị Mỷ",
    "Lù Văn Sính",
    "Triệu Láo Dín",
    "Thào Thị Mây",
    "Chảo A Lềnh",
    "Hoàng Văn Tả",
];

const VILLAGES: &[&str] = &["Nậm Ty", "Bản Máy", "Thàng Tín", "Chiến Phố", "Hồ Thầu"];

/// The year the fixtures' notes span, January to December.
const YEAR: i32 = 2025;

fn day(month: u8, d: u8) -> Day {
    Day::from_ymd(YEAR, month, d).expect("a real calendar day")
}

fn now(on: Day) -> Timestamp {
    on.noon_timestamp()
}

fn member(id: &str) -> MemberId {
    MemberId::parse(id).expect("a valid member id")
}

fn household_id(i: usize) -> DocId {
    DocId::parse(&format!("h:hsp-x01-c01-h{:03}", i + 1)).expect("a valid household id")
}

/// A household as a year of visits leaves it: a profile, 13 notes over 12 months (two in
/// June), two follow-up flags raised from notes, one resolved later by the secretary. The notes
/// are written from the member's phone (`member_actor`), the resolution from the secretary's.
struct YearHousehold {
    doc: Doc,
    member_actor: ActorId,
    notes: Vec<NoteId>,
}

fn year_household(i: usize) -> YearHousehold {
    let author = member(&format!("hsp-x01-c01-m{:02}", i % 30 + 4));
    let secretary = member("hsp-x01-c01-m01");
    let member_actor = random_actor();
    let id = household_id(i);
    let mut doc = Doc::create(id.clone(), member_actor.clone());
    let start = day(1, 3);
    household::update_profile(
        &mut doc,
        &ProfileUpdate {
            head: Some(HEADS[i % HEADS.len()].to_owned()),
            village: Some(VILLAGES[i % VILLAGES.len()].to_owned()),
            people: Some(3 + (i % 6) as u32),
            livelihood: Some("Trồng lúa, chè và chăn nuôi".to_owned()),
        },
        now(start),
    )
    .expect("profile");
    if i.is_multiple_of(3) {
        household::add_tag(&mut doc, "hộ nghèo", now(start)).expect("tag");
    }
    let mut notes = Vec::new();
    let visits = (1..=12u8).chain(std::iter::once(6));
    for (k, month) in visits.enumerate() {
        let on = day(
            month,
            if k == 12 {
                24
            } else {
                5 + ((i + k) % 18) as u8
            },
        );
        let text = NOTES[(i + k) % NOTES.len()];
        let topics = if k.is_multiple_of(4) {
            vec!["sản xuất".to_owned()]
        } else {
            Vec::new()
        };
        let note =
            household::add_note(&mut doc, &author, on, text, &topics, now(on)).expect("note");
        notes.push(note);
    }
    let flagged = day(3, 20);
    let first = household::raise_flag(
        &mut doc,
        Some(&notes[2]),
        &author,
        flagged,
        "Đề nghị trạm y tế xã khám lại cho bà cụ.",
        now(flagged),
    )
    .expect("flag");
    let flagged = day(8, 18);
    household::raise_flag(
        &mut doc,
        Some(&notes[7]),
        &author,
        flagged,
        "Đề nghị xã kiểm tra taluy sạt sau nhà trước mùa mưa tới.",
        now(flagged),
    )
    .expect("flag");
    // The secretary resolves the first flag on their own phone.
    let resolved = day(4, 10);
    let mut on_secretary = Doc::load(id.clone(), &doc.save(), random_actor()).expect("load");
    household::set_flag_status(
        &mut on_secretary,
        &first,
        FlagStatus::Resolved,
        &secretary,
        resolved,
        now(resolved),
    )
    .expect("resolve");
    doc.merge(&mut on_secretary).expect("merge");
    doc.validate().expect("the fixture is valid");
    YearHousehold {
        doc,
        member_actor,
        notes,
    }
}

/// The documents as the server holds them, loaded from storage under the server's actor.
fn server_copy(doc: &Doc, server_actor: &ActorId) -> Doc {
    Doc::load(doc.id().clone(), &doc.save(), server_actor.clone()).expect("load")
}

/// A secretary's phone after its first sync of the 40 households of its cell, and the server's
/// copies of them.
struct Cell {
    households: Vec<YearHousehold>,
    server: Vec<Doc>,
    /// The first sync's answer: 40 snapshots.
    bootstrap: SyncResponse,
    phone: Replica,
    seq: u64,
}

fn cell_of_40() -> Cell {
    let server_actor = random_actor();
    let households: Vec<YearHousehold> = (0..40).map(year_household).collect();
    let server: Vec<Doc> = households
        .iter()
        .map(|h| server_copy(&h.doc, &server_actor))
        .collect();
    let mut answer = ResponseBuilder::new();
    let mut seq = 0;
    for doc in &server {
        answer.snapshot(doc.id(), doc.save());
        answer.heads(doc.id(), &doc.heads());
        seq += doc.automerge().get_changes(&[]).len() as u64;
    }
    let bootstrap = answer.finish(
        Cursor { epoch: 7, seq },
        now(day(12, 28)),
        30 * 24 * 60 * 60,
    );
    let mut phone = Replica::new(
        DeviceId::parse("dev-secretary-1").expect("device id"),
        member("hsp-x01-c01-m01"),
        random_actor(),
    );
    let outcome = phone.finish_sync(&bootstrap).expect("first sync");
    assert_eq!(outcome.updated.len(), 40);
    assert!(phone.unsynced().is_empty(), "everything acknowledged");
    Cell {
        households,
        server,
        bootstrap,
        phone,
        seq,
    }
}

/// The answer to the secretary's next sync: each of the 40 households got one new note from
/// its member's phone since.
fn forty_updates(cell: &Cell) -> SyncResponse {
    let mut answer = ResponseBuilder::new();
    let mut seq = cell.seq;
    for (h, server) in cell.households.iter().zip(&cell.server) {
        let mut on_phone =
            Doc::load(h.doc.id().clone(), &h.doc.save(), h.member_actor.clone()).expect("load");
        let on = day(12, 27);
        household::add_note(
            &mut on_phone,
            &member("hsp-x01-c01-m04"),
            on,
            NOTES[9],
            &[],
            now(on),
        )
        .expect("note");
        let changes = on_phone.automerge().get_changes(&server.heads());
        assert_eq!(changes.len(), 1);
        for change in &changes {
            answer.change(server.id(), &change.hash(), change.raw_bytes().to_vec());
            seq += 1;
        }
        answer.heads(server.id(), &on_phone.heads());
    }
    answer.finish(
        Cursor { epoch: 7, seq },
        now(day(12, 28)),
        30 * 24 * 60 * 60,
    )
}

/// The secretary's phone with 3 of its 40 households edited offline since the last
/// acknowledgement: two new notes and one note corrected.
fn three_edits(cell: &Cell) -> Replica {
    let mut phone = cell.phone.clone();
    let author = member("hsp-x01-c01-m01");
    let on = day(12, 29);
    for (k, i) in [3usize, 17, 31].into_iter().enumerate() {
        let id = household_id(i);
        let doc = phone.doc_mut(&id).expect("held on the phone");
        if k == 2 {
            let note = &cell.households[i].notes[11];
            let text = format!("{} Đã liên hệ thú y xã.", NOTES[(i + 11) % NOTES.len()]);
            household::edit_note(doc, note, &text, now(on)).expect("edit");
        } else {
            household::add_note(doc, &author, on, NOTES[k + 4], &[], now(on)).expect("note");
        }
    }
    assert_eq!(phone.unsynced().len(), 3);
    phone
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>, samples: usize, seconds: u64) {
    group
        .sample_size(samples)
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(seconds));
}

fn bench_sync(c: &mut Criterion, year: &YearHousehold, cell: &Cell) {
    let mut group = c.benchmark_group("sync");
    // 20 samples: `finish_sync_40_docs` takes about 10 ms, and criterion's linear sampling
    // needs 210 iterations for 20 samples.
    configure(&mut group, 20, 4);

    // The server applies one new note to its copy of a household with a year of notes.
    let server_actor = random_actor();
    let server = server_copy(&year.doc, &server_actor);
    let mut on_phone = Doc::load(
        year.doc.id().clone(),
        &year.doc.save(),
        year.member_actor.clone(),
    )
    .expect("load");
    let on = day(12, 27);
    household::add_note(
        &mut on_phone,
        &member("hsp-x01-c01-m04"),
        on,
        NOTES[3],
        &[],
        now(on),
    )
    .expect("note");
    let push: Vec<Vec<u8>> = on_phone
        .automerge()
        .get_changes(&server.heads())
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    assert_eq!(push.len(), 1);
    {
        let mut doc = server.clone();
        let changes = parse_changes(&push).expect("valid changes");
        let decision = apply_push(&mut doc, &changes);
        assert!(
            matches!(&decision, PushDecision::Accepted { new_changes, .. } if new_changes.len() == 1),
            "the push is accepted: {decision:?}"
        );
    }
    group.bench_function("apply_push_one_note", |b| {
        b.iter_batched(
            || server.clone(),
            |mut doc| {
                // Parsing is part of what the server does with a push, so it is timed too.
                let changes = parse_changes(black_box(&push)).expect("valid changes");
                let decision = apply_push(&mut doc, &changes);
                (doc, decision)
            },
            BatchSize::SmallInput,
        );
    });

    // The secretary's phone takes in one new change to each of its 40 households.
    let response = forty_updates(cell);
    {
        let outcome = cell
            .phone
            .clone()
            .finish_sync(&response)
            .expect("the answer applies");
        assert_eq!(outcome.updated.len(), 40);
    }
    group.bench_function("finish_sync_40_docs", |b| {
        b.iter_batched(
            || cell.phone.clone(),
            |mut phone| {
                let outcome = phone.finish_sync(black_box(&response));
                (phone, outcome)
            },
            BatchSize::LargeInput,
        );
    });

    // The phone builds its request: 3 of 40 households have one unacknowledged change each.
    // `start_sync` only rebuilds what is in flight, so repeating it on one replica measures the
    // same work every time.
    let mut phone = three_edits(cell);
    group.bench_function("start_sync_3_edits", |b| {
        b.iter(|| phone.start_sync());
    });
    group.finish();
}

fn bench_merge(c: &mut Criterion, year: &YearHousehold) {
    let base = year.doc.save();
    let id = year.doc.id().clone();
    let diverge = |head: &str, author: &str, texts: [&str; 3], edited: &str| {
        let mut doc = Doc::load(id.clone(), &base, random_actor()).expect("load");
        let author = member(author);
        for (k, text) in texts.into_iter().enumerate() {
            let on = day(12, 10 + k as u8);
            household::add_note(&mut doc, &author, on, text, &[], now(on)).expect("note");
        }
        let on = day(12, 20);
        household::edit_note(&mut doc, &year.notes[10], edited, now(on)).expect("edit");
        household::update_profile(
            &mut doc,
            &ProfileUpdate {
                head: Some(head.to_owned()),
                ..ProfileUpdate::default()
            },
            now(on),
        )
        .expect("head");
        doc
    };
    // Household 0's eleventh note, which both phones correct.
    let original = NOTES[10];
    let ours = diverge(
        "Giàng Seo Pủa (con trai)",
        "hsp-x01-c01-m04",
        [NOTES[0], NOTES[5], NOTES[12]],
        &format!("{original} Gia đình đã cam kết."),
    );
    let theirs = diverge(
        "Giàng Thị Mây",
        "hsp-x01-c01-m01",
        [NOTES[1], NOTES[6], NOTES[13]],
        &format!("Đã kiểm tra lại: {original}"),
    );
    {
        let (mut a, mut b) = (ours.clone(), theirs.clone());
        a.merge(&mut b).expect("merge");
        a.validate().expect("the merge is valid");
        let merged = household::read(&a).expect("read");
        assert_eq!(merged.notes.len(), 13 + 6);
        assert!(
            a.conflicts().iter().any(|c| c.path == ["profile", "head"]),
            "the head's name is a conflict to settle"
        );
    }
    let mut group = c.benchmark_group("merge");
    configure(&mut group, 30, 4);
    group.bench_function("two_diverged_households", |b| {
        b.iter_batched(
            || (ours.clone(), theirs.clone()),
            |(mut a, mut b)| {
                let merged = a.merge(&mut b);
                (a, b, merged)
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn bench_protocol(c: &mut Criterion, cell: &Cell) {
    let request: SyncRequest = three_edits(cell).start_sync();
    assert_eq!(request.pushes.len(), 3);
    assert!(request.pushes.iter().all(|p| p.changes.len() == 1));
    let request_frame = protocol::encode_request(&request);
    assert_eq!(
        protocol::decode_request(&request_frame).expect("decodes"),
        request
    );
    let response_frame = protocol::encode_response(&cell.bootstrap);
    assert_eq!(
        protocol::decode_response(&response_frame).expect("decodes"),
        cell.bootstrap
    );
    eprintln!(
        "protocol: steady-state request frame {} B (3 pushes); bootstrap response frame {} B (40 snapshots)",
        request_frame.len(),
        response_frame.len()
    );

    let mut group = c.benchmark_group("protocol");
    configure(&mut group, 30, 2);
    group.bench_function("encode_request", |b| {
        b.iter(|| protocol::encode_request(black_box(&request)));
    });
    group.bench_function("decode_request", |b| {
        b.iter(|| protocol::decode_request(black_box(&request_frame)));
    });
    group.bench_function("encode_response", |b| {
        b.iter(|| protocol::encode_response(black_box(&cell.bootstrap)));
    });
    group.bench_function("decode_response", |b| {
        b.iter(|| protocol::decode_response(black_box(&response_frame)));
    });
    group.finish();
}

fn bench_validate(c: &mut Criterion, year: &YearHousehold) {
    let id = DocId::parse(&format!("r:hsp-x01-c01-m04:{YEAR}-11")).expect("report id");
    let mut monthly = Doc::create(id, random_actor());
    let written = day(11, 26);
    report::write(
        &mut monthly,
        &ReportDraft {
            tasks: Some(
                "Dự họp chi bộ đầy đủ, đóng đảng phí đúng hạn. Tham gia tổ tuần tra bảo vệ rừng \
                 2 buổi; vận động 4 hộ trong thôn làm đường bê tông liên thôn."
                    .to_owned(),
            ),
            household_content: Some(
                "Thăm 3 hộ được phân công. Hộ ông Giàng Seo Pủa: bà cụ đã khỏe, cần giống chè mới. \
                 Hộ bà Vàng Thị Mỷ: con đi làm xa, đã hướng dẫn thủ tục tạm vắng. Hộ ông Lù Văn \
                 Sính: sạt taluy sau nhà, đã báo xã."
                    .to_owned(),
            ),
            self_rating: Some(Rating::Good),
        },
        now(written),
    )
    .expect("write");
    report::submit(&mut monthly, written, now(written)).expect("submit");
    let rated = day(11, 30);
    let mut on_secretary =
        Doc::load(monthly.id().clone(), &monthly.save(), random_actor()).expect("load");
    report::rate(
        &mut on_secretary,
        Rating::Good,
        "Làm tốt việc phụ trách hộ; cần đôn đốc hộ ông Sính làm kè sớm.",
        &member("hsp-x01-c01-m01"),
        rated,
        now(rated),
    )
    .expect("rate");
    monthly.merge(&mut on_secretary).expect("merge");
    monthly.validate().expect("the report is valid");

    let mut group = c.benchmark_group("validate");
    configure(&mut group, 30, 2);
    group.bench_function("household_year", |b| {
        b.iter(|| black_box(&year.doc).validate());
    });
    group.bench_function("report", |b| {
        b.iter(|| black_box(&monthly).validate());
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let year = year_household(0);
    let cell = cell_of_40();
    bench_sync(c, &year, &cell);
    bench_merge(c, &year);
    bench_protocol(c, &cell);
    bench_validate(c, &year);
}

criterion_group!(core, benches);
criterion_main!(core);
