//! Property tests of merging: 2 to 5 phones make random edits under random partitions (syncs
//! with the server in random order, whole documents handed from phone to phone), then all sync.
//! Every replica must converge to the server's state, every character anyone typed must still
//! be there (deleted notes are marked, never erased), and every field set concurrently must
//! expose all of its surviving values as a conflict.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use automerge::{ActorId, ReadDoc, ScalarValue, Value};
use proptest::prelude::*;

use super::client::{DocBytes, StorageWrites};
use super::memory_server::{MemoryServer, enrolled};
use super::{Replica, SyncOutcome};
use crate::access::AccessRole;
use crate::docs::{Doc, cell, household, report};
use crate::ids::{DeviceId, DocId, FlagId, HouseholdId, MemberId, NoteId};
use crate::protocol;
use crate::{Day, FlagStatus, Rating};

const HOUSEHOLD: &str = "h:hh-1";
const CELL: &str = "c:cell-1";
const REPORT: &str = "r:m0:2026-11";

fn doc_id(id: &str) -> DocId {
    DocId::parse(id).expect("test doc id")
}

#[derive(Debug, Clone)]
enum Op {
    AddNote {
        r: usize,
    },
    Splice {
        r: usize,
        note: usize,
        at: usize,
    },
    DeleteNote {
        r: usize,
        note: usize,
        deleted: bool,
    },
    RaiseFlag {
        r: usize,
    },
    SetFlag {
        r: usize,
        flag: usize,
        status: usize,
    },
    SetHead {
        r: usize,
    },
    SelfRating {
        r: usize,
        rating: usize,
    },
    Assign {
        r: usize,
        member: usize,
    },
    Sync {
        r: usize,
    },
    Hand {
        from: usize,
        to: usize,
    },
    /// The app is closed and opened again: the phone is read back from its storage records,
    /// compacted first when `compact`.
    Restart {
        r: usize,
        compact: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let r = 0..5_usize;
    prop_oneof![
        3 => r.clone().prop_map(|r| Op::AddNote { r }),
        4 => (r.clone(), 0..8_usize, 0..=100_usize).prop_map(|(r, note, at)| Op::Splice { r, note, at }),
        1 => (r.clone(), 0..8_usize, any::<bool>()).prop_map(|(r, note, deleted)| Op::DeleteNote { r, note, deleted }),
        1 => r.clone().prop_map(|r| Op::RaiseFlag { r }),
        1 => (r.clone(), 0..4_usize, 0..3_usize).prop_map(|(r, flag, status)| Op::SetFlag { r, flag, status }),
        2 => r.clone().prop_map(|r| Op::SetHead { r }),
        2 => (r.clone(), 0..4_usize).prop_map(|(r, rating)| Op::SelfRating { r, rating }),
        2 => (r.clone(), 0..5_usize).prop_map(|(r, member)| Op::Assign { r, member }),
        3 => r.clone().prop_map(|r| Op::Sync { r }),
        2 => (r.clone(), 0..5_usize).prop_map(|(from, to)| Op::Hand { from, to }),
        2 => (r.clone(), any::<bool>()).prop_map(|(r, compact)| Op::Restart { r, compact }),
    ]
}

/// A field whose concurrent writes must all survive as a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Field {
    Head,
    SelfRating,
    Assignment,
    NoteDeleted(NoteId),
    FlagStatus(FlagId),
}

impl Field {
    fn doc(&self) -> &'static str {
        match self {
            Field::Head | Field::NoteDeleted(_) | Field::FlagStatus(_) => HOUSEHOLD,
            Field::SelfRating => REPORT,
            Field::Assignment => CELL,
        }
    }

    fn path(&self) -> Vec<String> {
        match self {
            Field::Head => vec!["profile".into(), "head".into()],
            Field::SelfRating => vec!["self_rating".into()],
            Field::Assignment => vec!["assignments".into(), "hh-1".into()],
            Field::NoteDeleted(n) => vec!["notes".into(), n.to_string(), "deleted".into()],
            Field::FlagStatus(f) => vec!["flags".into(), f.to_string(), "status".into()],
        }
    }
}

/// What the replicas know, tracked independently of Automerge: which writes each has seen, and
/// which writes a later write on a replica that had seen them replaced.
struct Model {
    writes: Vec<(Field, String)>,
    superseded: HashSet<usize>,
    known: Vec<BTreeSet<usize>>,
    server_known: BTreeSet<usize>,
    /// Every piece of text typed, and the note it went into.
    typed: Vec<(NoteId, String)>,
    notes: Vec<NoteId>,
}

impl Model {
    fn new(replicas: usize) -> Self {
        let writes = vec![
            (Field::Head, String::new()),
            (Field::SelfRating, String::new()),
        ];
        let genesis: BTreeSet<usize> = [0, 1].into();
        Model {
            writes,
            superseded: HashSet::new(),
            known: vec![genesis.clone(); replicas],
            server_known: BTreeSet::new(),
            typed: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn write(&mut self, r: usize, field: Field, value: String) {
        for &w in &self.known[r] {
            if self.writes[w].0 == field {
                self.superseded.insert(w);
            }
        }
        self.writes.push((field, value));
        self.known[r].insert(self.writes.len() - 1);
    }

    fn surviving(&self, field: &Field) -> Vec<String> {
        let mut values: Vec<String> = (0..self.writes.len())
            .filter(|w| !self.superseded.contains(w) && &self.writes[*w].0 == field)
            .map(|w| self.writes[w].1.clone())
            .collect();
        values.sort();
        values
    }

    fn fields(&self) -> BTreeSet<String> {
        self.writes.iter().map(|(f, _)| format!("{f:?}")).collect()
    }
}

fn all_values(doc: &Doc, path: &[String]) -> Vec<String> {
    let am = doc.automerge();
    let mut obj = automerge::ROOT;
    let Some((last, parents)) = path.split_last() else {
        return Vec::new();
    };
    for key in parents {
        match am.get(&obj, key.as_str()) {
            Ok(Some((Value::Object(_), id))) => obj = id,
            _ => return Vec::new(),
        }
    }
    let mut values: Vec<String> = am
        .get_all(&obj, last.as_str())
        .unwrap_or_default()
        .into_iter()
        .map(|(v, _)| match v {
            Value::Scalar(s) => match s.as_ref() {
                ScalarValue::Str(s) => s.to_string(),
                ScalarValue::Boolean(b) => b.to_string(),
                other => other.to_string(),
            },
            Value::Object(t) => format!("({t})"),
        })
        .collect();
    values.sort();
    values
}

/// Whether a replica already shows this value for the field, alone or in a conflict. Automerge
/// writes nothing for a value a field already holds alone, and settles a conflict in favour of
/// the value written when it is among those held; the model tracks neither, so the test leaves
/// such writes to the unit tests of settling.
fn shows(doc: &Doc, field: &Field, value: &str) -> bool {
    all_values(doc, &field.path()).iter().any(|v| v == value)
}

/// A phone's storage as the app keeps it: the replica's record, each document's state record
/// and its chunks (a snapshot, then increments), written as [`Replica::take_writes`] says.
#[derive(Default)]
struct Disk {
    meta: Option<Vec<u8>>,
    states: BTreeMap<DocId, Vec<u8>>,
    chunks: BTreeMap<(DocId, u32), Vec<u8>>,
    /// Bytes written in all, and the largest single document write.
    written: usize,
    largest_increment: usize,
}

impl Disk {
    fn write(&mut self, writes: StorageWrites) {
        for id in writes.removed {
            self.states.remove(&id);
            self.chunks.retain(|(doc, _), _| *doc != id);
        }
        if let Some(meta) = writes.meta {
            self.written += meta.len();
            self.meta = Some(meta);
        }
        for record in writes.docs {
            match record.bytes {
                DocBytes::Unchanged => {}
                DocBytes::Snapshot(bytes) => {
                    self.chunks.retain(|(doc, _), _| *doc != record.id);
                    self.written += bytes.len();
                    self.chunks.insert((record.id.clone(), 0), bytes);
                }
                DocBytes::Increment { chunk, bytes } => {
                    assert!(
                        self.chunks.contains_key(&(record.id.clone(), chunk - 1)),
                        "increment {chunk} of {} follows the chunk before it",
                        record.id
                    );
                    self.written += bytes.len();
                    self.largest_increment = self.largest_increment.max(bytes.len());
                    let old = self.chunks.insert((record.id.clone(), chunk), bytes);
                    assert!(old.is_none(), "an increment never overwrites a chunk");
                }
            }
            if let Some(state) = record.state {
                self.written += state.len();
                self.states.insert(record.id, state);
            }
        }
    }

    fn restore(&self) -> Replica {
        let mut replica = Replica::from_record(
            self.meta
                .as_deref()
                .expect("the replica's record is stored"),
        )
        .expect("the replica's record reads back");
        for (id, state) in &self.states {
            let chunks: Vec<Vec<u8>> = self
                .chunks
                .range((id.clone(), 0)..=(id.clone(), u32::MAX))
                .map(|(_, bytes)| bytes.clone())
                .collect();
            replica
                .restore_doc(id.clone(), state, &chunks)
                .expect("a stored document reads back");
        }
        replica
    }
}

/// Everything a phone shows and sends the same after `restored` was read back from storage:
/// first as restored (no document read), then with every document read.
fn assert_same_phone(phone: &Replica, restored: &Replica) {
    assert_eq!(phone.device(), restored.device());
    assert_eq!(phone.cursor(), restored.cursor());
    assert_eq!(phone.last_contact(), restored.last_contact());
    assert_eq!(phone.token(), restored.token());
    let ids = |r: &Replica| r.doc_ids().cloned().collect::<Vec<_>>();
    assert_eq!(ids(phone), ids(restored), "the same documents");
    assert_eq!(phone.unsynced(), restored.unsynced());
    let mut read = restored.clone();
    for id in ids(phone) {
        assert_eq!(phone.status(&id), restored.status(&id), "{id} as restored");
        assert_eq!(
            phone.clone().digest(&id).expect("digest"),
            restored.clone().digest(&id).expect("digest"),
            "{id}'s digest as restored"
        );
        let mut mine = phone.clone();
        mine.read(&id).expect("the phone's own document reads");
        assert!(
            read.read(&id).expect("a stored document reads"),
            "{id} is held"
        );
        let (a, b) = (mine.doc(&id).expect("read"), read.doc(&id).expect("read"));
        assert_eq!(a.heads(), b.heads(), "{id} reads back whole");
    }
}

fn sync(server: &mut MemoryServer, phone: &mut Replica) -> SyncOutcome {
    let request = protocol::encode_request(&phone.start_sync());
    let answer = server
        .handle(&request)
        .expect("the server reads its own protocol");
    let answer = protocol::decode_response(&answer).expect("the phone reads the server's answer");
    let outcome = phone.finish_sync(&answer).expect("the answer applies");
    assert!(
        outcome.refused.is_empty(),
        "valid edits are never refused: {:?}",
        outcome.refused
    );
    outcome
}

fn full_sync(server: &mut MemoryServer, model: &mut Model, phones: &mut [Replica], r: usize) {
    loop {
        let outcome = sync(server, &mut phones[r]);
        let known = model.known[r].clone();
        model.server_known.extend(known);
        model.known[r] = model.server_known.clone();
        if !outcome.again {
            break;
        }
    }
}

fn run(replicas: usize, ops: Vec<Op>) {
    let mut server = MemoryServer::new(1);
    let mut model = Model::new(replicas);
    let members: Vec<MemberId> = (0..5)
        .map(|i| MemberId::parse(&format!("m{i}")).expect("id"))
        .collect();
    // Every phone a secretary's, so that every edit of this test is one the rules allow;
    // `members_edit_only_what_is_theirs` holds the rules themselves.
    let mut phones: Vec<Replica> = (0..replicas)
        .map(|i| {
            let mut phone = enrolled(
                &mut server,
                &format!("d{i}"),
                &members[i],
                AccessRole::CellSecretary,
            );
            for id in [HOUSEHOLD, CELL, REPORT] {
                phone.open(&doc_id(id));
            }
            phone
        })
        .collect();
    let day = Day::parse("2026-11-05").expect("day");
    let hh = HouseholdId::parse("hh-1").expect("id");
    let mut counter = 0_usize;
    let mut stamp = || {
        counter += 1;
        counter
    };
    let mut disks: Vec<Disk> = phones
        .iter_mut()
        .map(|phone| {
            let mut disk = Disk::default();
            disk.write(phone.take_writes());
            disk
        })
        .collect();

    for op in ops {
        match op {
            Op::AddNote { r } => {
                let r = r % replicas;
                let text = format!("⟨{r}.{}⟩", stamp());
                let doc = phones[r].open(&doc_id(HOUSEHOLD));
                let id =
                    household::add_note(doc, &members[r], day, &text, &[], 1).expect("add note");
                model.write(r, Field::NoteDeleted(id.clone()), "false".into());
                model.typed.push((id.clone(), text));
                model.notes.push(id);
            }
            Op::Splice { r, note, at } => {
                let r = r % replicas;
                let doc = phones[r].open(&doc_id(HOUSEHOLD));
                let notes = household::read(doc).expect("valid").notes;
                if notes.is_empty() {
                    continue;
                }
                let target = &notes[note % notes.len()];
                // Type between earlier pieces, never inside one, so that each piece stays
                // whole and can be looked for.
                let chars: Vec<char> = target.text.chars().collect();
                let boundaries: Vec<usize> = (0..=chars.len())
                    .filter(|&i| i == 0 || chars[i - 1] == '⟩')
                    .collect();
                let pos = boundaries[at * (boundaries.len() - 1) / 100];
                let text = format!("⟨{r}.{}⟩", stamp());
                household::splice_note(doc, &target.id, pos, 0, &text, 2).expect("splice");
                model.typed.push((target.id.clone(), text));
            }
            Op::DeleteNote { r, note, deleted } => {
                let r = r % replicas;
                let doc = phones[r].open(&doc_id(HOUSEHOLD));
                let notes = household::read(doc).expect("valid").notes;
                if notes.is_empty() {
                    continue;
                }
                let id = notes[note % notes.len()].id.clone();
                if shows(doc, &Field::NoteDeleted(id.clone()), &deleted.to_string()) {
                    continue;
                }
                household::set_note_deleted(doc, &id, deleted, 3).expect("delete");
                model.write(r, Field::NoteDeleted(id), deleted.to_string());
            }
            Op::RaiseFlag { r } => {
                let r = r % replicas;
                let doc = phones[r].open(&doc_id(HOUSEHOLD));
                let id = household::raise_flag(doc, None, &members[r], day, "Cần hỗ trợ", 4)
                    .expect("flag");
                model.write(r, Field::FlagStatus(id), "open".into());
            }
            Op::SetFlag { r, flag, status } => {
                let r = r % replicas;
                let doc = phones[r].open(&doc_id(HOUSEHOLD));
                let flags = household::read(doc).expect("valid").flags;
                if flags.is_empty() {
                    continue;
                }
                let id = flags[flag % flags.len()].id.clone();
                let status = FlagStatus::ALL[status % FlagStatus::ALL.len()];
                if shows(doc, &Field::FlagStatus(id.clone()), status.code()) {
                    continue;
                }
                household::set_flag_status(doc, &id, status, &members[r], day, 5).expect("status");
                model.write(r, Field::FlagStatus(id), status.code().into());
            }
            Op::SetHead { r } => {
                let r = r % replicas;
                let head = format!("Chủ hộ {r}.{}", stamp());
                let doc = phones[r].open(&doc_id(HOUSEHOLD));
                let update = household::ProfileUpdate {
                    head: Some(head.clone()),
                    ..Default::default()
                };
                household::update_profile(doc, &update, 6).expect("profile");
                model.write(r, Field::Head, head);
            }
            Op::SelfRating { r, rating } => {
                let r = r % replicas;
                let rating = Rating::ALL[rating % Rating::ALL.len()];
                let doc = phones[r].open(&doc_id(REPORT));
                if shows(doc, &Field::SelfRating, rating.code()) {
                    continue;
                }
                let draft = report::ReportDraft {
                    self_rating: Some(rating),
                    ..Default::default()
                };
                report::write(doc, &draft, 7).expect("report");
                model.write(r, Field::SelfRating, rating.code().into());
            }
            Op::Assign { r, member } => {
                let r = r % replicas;
                let doc = phones[r].open(&doc_id(CELL));
                if shows(doc, &Field::Assignment, members[member].as_str()) {
                    continue;
                }
                cell::assign(doc, &hh, Some(&members[member]), day, &members[r], 8)
                    .expect("assign");
                model.write(r, Field::Assignment, members[member].to_string());
            }
            Op::Sync { r } => full_sync(&mut server, &mut model, &mut phones, r % replicas),
            Op::Hand { from, to } => {
                let (from, to) = (from % replicas, to % replicas);
                if from == to {
                    continue;
                }
                let handed: BTreeSet<String> = phones[from]
                    .unsynced()
                    .iter()
                    .map(DocId::to_string)
                    .collect();
                let bundle = phones[from].export_bundle();
                phones[to].import_bundle(&bundle).expect("bundle imports");
                let carried: Vec<usize> = model.known[from]
                    .iter()
                    .copied()
                    .filter(|w| handed.contains(model.writes[*w].0.doc()))
                    .collect();
                model.known[to].extend(carried);
            }
            Op::Restart { r, compact } => {
                let r = r % replicas;
                if compact {
                    let folded = phones[r].compaction(usize::MAX);
                    disks[r].write(folded);
                }
                let restored = disks[r].restore();
                assert_same_phone(&phones[r], &restored);
                phones[r] = restored;
            }
        }
        // What the app does after every edit and every sync.
        for (phone, disk) in phones.iter_mut().zip(&mut disks) {
            disk.write(phone.take_writes());
        }
    }

    // Everyone reaches the server twice: the first pass delivers, the second collects.
    for _ in 0..2 {
        for r in 0..replicas {
            full_sync(&mut server, &mut model, &mut phones, r);
        }
    }

    // Documents restored from storage and untouched since are still unread.
    for phone in &mut phones {
        for id in [HOUSEHOLD, CELL, REPORT] {
            phone.read(&doc_id(id)).expect("a stored document reads");
        }
    }
    for id in [HOUSEHOLD, CELL, REPORT] {
        let id = doc_id(id);
        let on_server = server.doc(&id).expect("every document reached the server");
        on_server.validate().expect("the merged document is valid");
        for phone in &phones {
            let doc = phone.doc(&id).expect("every phone holds every document");
            assert_eq!(
                doc.heads(),
                on_server.heads(),
                "{} converged on {}",
                id,
                phone.device()
            );
            assert!(
                phone.unsynced().is_empty(),
                "{} has nothing left to send",
                phone.device()
            );
        }
    }

    let merged =
        household::read(server.doc(&doc_id(HOUSEHOLD)).expect("household")).expect("valid");
    for note in &model.notes {
        assert!(
            merged.notes.iter().any(|n| &n.id == note),
            "note {note} was kept"
        );
    }
    for (note, text) in &model.typed {
        let kept = merged
            .notes
            .iter()
            .find(|n| &n.id == note)
            .expect("note kept");
        assert!(
            kept.text.contains(text.as_str()),
            "{text:?} survives in {:?}",
            kept.text
        );
    }

    let fields: Vec<Field> = model
        .writes
        .iter()
        .map(|(f, _)| f.clone())
        .collect::<Vec<_>>();
    let mut checked = HashSet::new();
    for field in fields {
        if !checked.insert(field.clone()) {
            continue;
        }
        let expected = model.surviving(&field);
        for phone in &phones {
            let doc = phone.doc(&doc_id(field.doc())).expect("doc");
            assert_eq!(
                all_values(doc, &field.path()),
                expected,
                "values of {field:?} on {}",
                phone.device()
            );
        }
        let doc = server.doc(&doc_id(field.doc())).expect("doc");
        let listed = doc.conflicts().into_iter().any(|c| c.path == field.path());
        assert_eq!(
            listed,
            expected.len() > 1,
            "{field:?} is listed as a conflict exactly when it is one"
        );
    }
    assert!(model.fields().len() >= 2);
}

/// How many random schedules a property runs: a few dozen in the test command, as many as
/// `HOSYNC_PROPTEST_CASES` says in the bench run.
fn schedules(default: u32) -> u32 {
    std::env::var("HOSYNC_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: schedules(48), ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_and_keep_everything_typed(replicas in 2..=5_usize, ops in prop::collection::vec(op(), 1..40)) {
        run(replicas, ops);
    }
}

#[test]
fn concurrent_edits_to_one_note_merge_character_by_character() {
    let mut server = MemoryServer::new(1);
    let member = MemberId::parse("m0").expect("id");
    let mut a = enrolled(&mut server, "a", &member, AccessRole::CellSecretary);
    let mut b = enrolled(&mut server, "b", &member, AccessRole::CellSecretary);
    let hh = doc_id(HOUSEHOLD);
    let day = Day::parse("2026-11-05").expect("day");
    let note = household::add_note(a.open(&hh), &member, day, "Gia đình có 5 người.", &[], 1)
        .expect("note");
    sync(&mut server, &mut a);
    sync(&mut server, &mut b);
    // Offline, each phone rewrites the whole text, as a text box does.
    household::edit_note(
        a.doc_mut(&hh).expect("doc"),
        &note,
        "Gia đình có 5 người, 2 cháu đi học.",
        2,
    )
    .expect("edit");
    household::edit_note(
        b.doc_mut(&hh).expect("doc"),
        &note,
        "Gia đình ông Pủa có 5 người.",
        3,
    )
    .expect("edit");
    sync(&mut server, &mut b);
    sync(&mut server, &mut a);
    sync(&mut server, &mut b);
    let text_a = household::read(a.doc(&hh).expect("doc"))
        .expect("valid")
        .notes[0]
        .text
        .clone();
    let text_b = household::read(b.doc(&hh).expect("doc"))
        .expect("valid")
        .notes[0]
        .text
        .clone();
    assert_eq!(text_a, text_b);
    assert_eq!(text_a, "Gia đình ông Pủa có 5 người, 2 cháu đi học.");
}

#[test]
fn a_refused_change_stays_on_the_phone_and_is_not_resent_until_edited() {
    let mut server = MemoryServer::new(1);
    let member = MemberId::parse("m0").expect("id");
    let mut phone = enrolled(&mut server, "a", &member, AccessRole::CellSecretary);
    let hh = doc_id(HOUSEHOLD);
    // A change that breaks the household's rules, written around core's own checks.
    {
        use automerge::transaction::Transactable;
        let doc = phone.open(&hh).automerge_mut();
        let mut tx = doc.transaction();
        let profile = match tx.get(automerge::ROOT, "profile") {
            Ok(Some((Value::Object(_), id))) => id,
            other => panic!("profile missing: {other:?}"),
        };
        tx.put(&profile, "people", 1000_i64).expect("put");
        tx.commit();
    }
    let mut disk = Disk::default();
    disk.write(phone.take_writes());
    let outcome = {
        let request = protocol::encode_request(&phone.start_sync());
        let answer =
            protocol::decode_response(&server.handle(&request).expect("answer")).expect("decode");
        phone.finish_sync(&answer).expect("apply")
    };
    assert_eq!(outcome.refused.len(), 1);
    assert!(
        outcome.refused[0].1.contains("profile.people"),
        "{:?}",
        outcome.refused
    );
    assert!(
        server.doc(&hh).is_none(),
        "nothing of the refused document was stored"
    );
    assert!(matches!(
        phone.status(&hh),
        Some(super::DocSyncStatus::Refused(_))
    ));
    assert!(
        phone.start_sync().pushes.is_empty(),
        "a refused change is not sent again by itself"
    );
    // The refusal is stored: after a restart it still shows, and still is not sent.
    disk.write(phone.take_writes());
    let mut restored = disk.restore();
    assert!(matches!(
        restored.status(&hh),
        Some(super::DocSyncStatus::Refused(_))
    ));
    assert!(restored.start_sync().pushes.is_empty());
    let fix = household::ProfileUpdate {
        people: Some(7),
        ..Default::default()
    };
    household::update_profile(phone.doc_mut(&hh).expect("doc"), &fix, 2)
        .expect_err("core refuses to build on an invalid document");
}

#[test]
fn a_lost_answer_is_retried_without_duplicates() {
    let mut server = MemoryServer::new(1);
    let member = MemberId::parse("m0").expect("id");
    let mut phone = enrolled(&mut server, "a", &member, AccessRole::CellSecretary);
    let hh = doc_id(HOUSEHOLD);
    let day = Day::parse("2026-11-05").expect("day");
    household::add_note(phone.open(&hh), &member, day, "Lần 1", &[], 1).expect("note");
    let request = protocol::encode_request(&phone.start_sync());
    let _lost = server.handle(&request).expect("answer");
    let retry = protocol::encode_request(&phone.start_sync());
    assert_eq!(
        request, retry,
        "nothing was acknowledged, so the same changes go again"
    );
    let answer =
        protocol::decode_response(&server.handle(&retry).expect("answer")).expect("decode");
    phone.finish_sync(&answer).expect("apply");
    assert!(phone.unsynced().is_empty());
    let stored = household::read(server.doc(&hh).expect("doc")).expect("valid");
    assert_eq!(stored.notes.len(), 1, "the note is stored once");
    assert!(
        phone.start_sync().pushes.is_empty(),
        "nothing acknowledged is sent again"
    );
}

#[test]
fn wipe_erases_the_phone_and_drop_waits_for_unsent_work() {
    let mut server = MemoryServer::new(1);
    let member = MemberId::parse("m0").expect("id");
    let mut phone = enrolled(&mut server, "a", &member, AccessRole::CellSecretary);
    let hh = doc_id(HOUSEHOLD);
    let day = Day::parse("2026-11-05").expect("day");
    household::add_note(phone.open(&hh), &member, day, "Đã thăm", &[], 1).expect("note");
    sync(&mut server, &mut phone);
    assert_eq!(phone.start_sync().holding, vec![HOUSEHOLD.to_owned()]);

    // Told to drop a document with an unsent edit, the phone keeps it until the edit is sent.
    household::add_note(
        phone.doc_mut(&hh).expect("doc"),
        &member,
        day,
        "Chưa gửi",
        &[],
        2,
    )
    .expect("note");
    let told_to_drop = protocol::SyncResponse {
        cursor: phone.cursor(),
        drop: vec![HOUSEHOLD.into()],
        server_time: 10,
        ..Default::default()
    };
    let outcome = phone.finish_sync(&told_to_drop).expect("apply");
    assert!(outcome.dropped.is_empty(), "{outcome:?}");
    assert!(phone.doc(&hh).is_some(), "the unsent note is kept");
    sync(&mut server, &mut phone);
    let outcome = phone.finish_sync(&told_to_drop).expect("apply");
    assert_eq!(outcome.dropped, vec![hh.clone()]);
    assert!(phone.doc(&hh).is_none());

    let wipe = super::ResponseBuilder::wipe(20);
    phone.set_token("secret");
    household::add_note(phone.open(&hh), &member, day, "Mất máy", &[], 3).expect("note");
    let outcome = phone.finish_sync(&wipe).expect("apply");
    assert!(outcome.wiped);
    assert_eq!(phone.docs().count(), 0);
    assert!(phone.token().is_empty());
}

#[test]
fn a_phone_away_too_long_is_locked_until_it_syncs() {
    let mut phone = Replica::new(
        DeviceId::parse("a").expect("id"),
        MemberId::parse("m0").expect("id"),
        ActorId::random(),
    );
    assert!(
        !phone.is_locked(1_000_000_000),
        "a new phone holds nothing to lock"
    );
    let day = 24 * 60 * 60;
    let answer = |at: i64| protocol::SyncResponse {
        server_time: at,
        lock_after: 10 * day,
        ..Default::default()
    };
    phone.finish_sync(&answer(0)).expect("apply");
    assert_eq!(phone.lock_after(), 10 * day);
    assert!(!phone.is_locked(10 * day));
    assert!(phone.is_locked(10 * day + 1));
    let saved = Replica::load(&phone.save()).expect("load");
    assert!(saved.is_locked(10 * day + 1), "the lock survives a restart");
    phone.finish_sync(&answer(10 * day + 5)).expect("apply");
    assert!(!phone.is_locked(10 * day + 6), "syncing unlocks");
}

#[test]
fn a_push_splits_at_the_moment_a_household_left_its_member() {
    let member = MemberId::parse("m0").expect("id");
    let mut doc = Doc::create(doc_id(HOUSEHOLD), ActorId::random());
    let base = doc.heads();
    let day = Day::parse("2026-11-05").expect("day");
    household::add_note(&mut doc, &member, day, "Trước", &[], 100).expect("note");
    household::add_note(&mut doc, &member, day, "Sau", &[], 300).expect("note");
    household::add_note(
        &mut doc,
        &member,
        day,
        "Sớm hơn nhưng dựa trên sau",
        &[],
        150,
    )
    .expect("note");
    let changes = doc.automerge().get_changes(&base);
    let (early, late) = super::split_at_time(changes, 200);
    assert_eq!(early.len(), 1);
    assert_eq!(
        late.len(),
        2,
        "a change made on top of a late one is late too, whatever its clock says"
    );
    let mut server_doc = Doc::create(doc_id(HOUSEHOLD), ActorId::random());
    let summary = super::describe_changes(&server_doc, &early, &late);
    assert!(summary.contains("Sau"), "{summary}");
    server_doc
        .automerge_mut()
        .apply_changes(early)
        .expect("apply");
    let kept = household::read(&server_doc).expect("valid");
    assert_eq!(kept.notes.len(), 1);
    assert_eq!(kept.notes[0].text, "Trước");
}

/// A phone's data copied onto a second phone: both write under one actor, and the second's
/// changes clash with the first's on the server. The copy is answered with a clear reason,
/// moves to a new actor with its notes made again under it, and both phones sync on with every
/// note kept.
#[test]
fn a_copied_phone_recovers_under_a_new_actor_without_losing_notes() {
    let mut server = MemoryServer::new(1);
    let member = MemberId::parse("m0").expect("id");
    let mut first = enrolled(&mut server, "a", &member, AccessRole::CellSecretary);
    let hh = doc_id(HOUSEHOLD);
    let day = Day::parse("2026-11-05").expect("day");
    household::add_note(first.open(&hh), &member, day, "Trước khi sao chép", &[], 1).expect("note");
    sync(&mut server, &mut first);
    let mut copy = first.clone();
    household::add_note(first.open(&hh), &member, day, "Máy thứ nhất", &[], 2).expect("note");
    household::add_note(copy.open(&hh), &member, day, "Máy sao chép", &[], 3).expect("note");
    sync(&mut server, &mut first);
    // The copy's own storage, holding its clashing note.
    let mut disk = Disk::default();
    copy.forget_stored();
    disk.write(copy.take_writes());

    let request = protocol::encode_request(&copy.start_sync());
    let answer =
        protocol::decode_response(&server.handle(&request).expect("answer")).expect("decode");
    let reason = answer.results.iter().find_map(|r| match &r.outcome {
        protocol::PushOutcome::ActorReused { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(
        reason.is_some_and(|r| r.contains("another phone")),
        "{:?}",
        answer.results
    );
    let outcome = copy
        .finish_sync(&answer)
        .expect("the copy takes the answer in");
    assert!(outcome.new_actor && outcome.again, "{outcome:?}");
    while sync(&mut server, &mut copy).again {
        disk.write(copy.take_writes());
    }
    disk.write(copy.take_writes());
    // The remade history replaced the stored one, which still held the clashing changes.
    let copy = {
        let mut restored = disk.restore();
        assert_same_phone(&copy, &restored);
        restored.read(&hh).expect("the remade document reads");
        restored
    };
    sync(&mut server, &mut first);

    let texts = |doc: &Doc| -> BTreeSet<String> {
        household::read(doc)
            .expect("valid")
            .notes
            .into_iter()
            .map(|n| n.text)
            .collect()
    };
    let on_server = texts(server.doc(&hh).expect("stored"));
    let all: BTreeSet<String> = ["Trước khi sao chép", "Máy thứ nhất", "Máy sao chép"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(on_server, all);
    assert_eq!(texts(copy.doc(&hh).expect("held")), all);
    assert_eq!(texts(first.doc(&hh).expect("held")), all);
    assert!(copy.unsynced().is_empty() && first.unsynced().is_empty());
}

#[test]
fn storage_appends_an_edit_and_reads_back_every_state() {
    let mut server = MemoryServer::new(1);
    let member = MemberId::parse("m0").expect("id");
    let mut phone = enrolled(&mut server, "a", &member, AccessRole::CellSecretary);
    let hh = doc_id(HOUSEHOLD);
    let day = Day::parse("2026-11-05").expect("day");
    let mut disk = Disk::default();
    // A year of notes, stored once.
    for i in 0..120 {
        let text = format!("Lần thăm thứ {i}: gia đình khoẻ, con đi học đều, vườn ngô tốt.");
        household::add_note(phone.open(&hh), &member, day, &text, &[], i).expect("note");
    }
    sync(&mut server, &mut phone);
    disk.write(phone.take_writes());
    let whole = disk.chunks[&(hh.clone(), 0)].len();
    assert!(
        phone.take_writes().is_empty(),
        "nothing changed, nothing to write"
    );

    // One more note: the write is its change and the phone's record, not the document again.
    let before = disk.written;
    household::add_note(phone.open(&hh), &member, day, &"chữ ".repeat(50), &[], 200).expect("note");
    let writes = phone.take_writes();
    assert!(
        writes.meta.is_none(),
        "an edit leaves the phone's record alone"
    );
    assert!(
        matches!(writes.docs.as_slice(), [record] if matches!(record.bytes, DocBytes::Increment { chunk: 1, .. })),
        "{writes:?}"
    );
    disk.write(writes);
    let edit = disk.written - before;
    assert!(
        edit < 1_000 && edit * 5 < whole,
        "an edit wrote {edit} bytes, the document is {whole}"
    );
    assert_same_phone(&phone, &disk.restore());

    // Synced: the acknowledgement and the cursor are written, no bytes of the document.
    sync(&mut server, &mut phone);
    let writes = phone.take_writes();
    assert!(writes.meta.is_some());
    assert!(
        writes
            .docs
            .iter()
            .all(|r| r.bytes == DocBytes::Unchanged && r.state.is_some()),
        "{writes:?}"
    );
    disk.write(writes);
    assert_same_phone(&phone, &disk.restore());

    // Increments pile up, then fold into one snapshot that reads back the same.
    for i in 0..super::client::COMPACT_AFTER {
        household::add_note(
            phone.open(&hh),
            &member,
            day,
            "Ghi thêm",
            &[],
            300 + i64::from(i),
        )
        .expect("note");
        disk.write(phone.take_writes());
    }
    assert_eq!(
        disk.chunks.len(),
        1 + 1 + super::client::COMPACT_AFTER as usize
    );
    disk.write(phone.compaction(1));
    assert_eq!(disk.chunks.len(), 1, "one snapshot left");
    assert!(phone.compaction(1).is_empty(), "nothing left to fold");
    assert_same_phone(&phone, &disk.restore());

    // Opened from storage, nothing is read or written until needed; the list has its digest.
    let mut opened = disk.restore();
    assert!(opened.doc(&hh).is_none(), "restored unread");
    assert!(opened.take_writes().is_empty(), "opening writes nothing");
    let digest = opened
        .digest(&hh)
        .expect("digest")
        .expect("a household's digest");
    assert!(
        opened.doc(&hh).is_none(),
        "the digest came from storage, the idle work kept it"
    );
    assert_eq!(
        digest.head,
        household::read(phone.doc(&hh).expect("held"))
            .expect("valid")
            .head
    );
    assert!(digest.visited_in(day.month()));
    household::add_note(opened.open(&hh), &member, day, "Sau khi mở lại", &[], 900).expect("note");
    let writes = opened.take_writes();
    assert!(
        matches!(writes.docs.as_slice(), [record] if matches!(record.bytes, DocBytes::Increment { .. })),
        "an edit after opening appends: {writes:?}"
    );
    disk.write(writes);

    // A document read can go back to bytes once storage has it, and reads back the same.
    household::add_note(opened.open(&hh), &member, day, "Trước khi nhả", &[], 901).expect("note");
    let before = opened.doc(&hh).expect("read").heads();
    assert!(!opened.release(&hh), "its last edit is not stored yet");
    disk.write(opened.take_writes());
    assert!(opened.release(&hh), "stored: it goes");
    assert!(opened.doc(&hh).is_none());
    assert!(opened.take_writes().is_empty(), "releasing writes nothing");
    opened.read(&hh).expect("reads again");
    assert_eq!(opened.doc(&hh).expect("read").heads(), before);

    // A write that failed, on a phone with documents not read: they are written whole too.
    let mut unread = disk.restore();
    unread.forget_stored();
    let mut again = Disk::default();
    again.write(unread.take_writes());
    assert_same_phone(&disk.restore(), &again.restore());

    // A write that failed: everything is written again, whole.
    phone.forget_stored();
    let mut fresh = Disk::default();
    fresh.write(phone.take_writes());
    assert_same_phone(&phone, &fresh.restore());

    // A dropped document's records go.
    phone.remove(&hh);
    disk.write(phone.take_writes());
    assert!(disk.states.is_empty() && disk.chunks.is_empty());
}

#[test]
fn what_a_sync_brings_opens_listed_without_being_read() {
    let mut server = MemoryServer::new(1);
    let member = MemberId::parse("m0").expect("id");
    let mut writer = enrolled(&mut server, "a", &member, AccessRole::CellSecretary);
    let mut reader = enrolled(&mut server, "b", &member, AccessRole::CellSecretary);
    let hh = doc_id(HOUSEHOLD);
    let day = Day::parse("2026-11-05").expect("day");
    household::add_note(writer.open(&hh), &member, day, "Từ máy khác", &[], 1).expect("note");
    sync(&mut server, &mut writer);
    sync(&mut server, &mut reader);
    let mut disk = Disk::default();
    disk.write(reader.take_writes());
    let mut opened = disk.restore();
    let digest = opened.digest(&hh).expect("digest").expect("a household");
    assert!(digest.visited_in(day.month()));
    assert!(
        opened.doc(&hh).is_none(),
        "listed from the digest the sync stored"
    );
}

#[test]
fn a_phone_saved_whole_moves_to_records_without_losing_anything() {
    let mut server = MemoryServer::new(1);
    let member = MemberId::parse("m0").expect("id");
    let mut phone = enrolled(&mut server, "a", &member, AccessRole::CellSecretary);
    let hh = doc_id(HOUSEHOLD);
    let day = Day::parse("2026-11-05").expect("day");
    household::add_note(phone.open(&hh), &member, day, "Đã gửi", &[], 1).expect("note");
    sync(&mut server, &mut phone);
    household::add_note(phone.open(&hh), &member, day, "Chưa gửi", &[], 2).expect("note");
    let mut old = Replica::load(&phone.save()).expect("the old layout reads");
    let mut disk = Disk::default();
    disk.write(old.take_writes());
    let mut moved = disk.restore();
    assert_same_phone(&phone, &moved);
    assert_eq!(
        moved.unsynced(),
        vec![hh.clone()],
        "the unsent note is still to send"
    );
    sync(&mut server, &mut moved);
    let texts: Vec<String> = household::read(server.doc(&hh).expect("stored"))
        .expect("valid")
        .notes
        .into_iter()
        .map(|n| n.text)
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
}

/// What a phone of the access property may do in one step.
#[derive(Debug, Clone)]
enum AccessOp {
    /// A note on one of the households the phone holds.
    Note {
        r: usize,
        h: usize,
    },
    /// A member's note on a household fetched from the server, as a forged push would carry.
    Forge {
        r: usize,
        h: usize,
    },
    /// The secretary gives a household to a member, or to nobody (`to == 0`).
    Reassign {
        h: usize,
        to: usize,
    },
    /// A change to a household's details, which only the secretary may make.
    SetHead {
        r: usize,
        h: usize,
    },
    /// The cell's rating of a member's report, which only the secretary (or commune) gives.
    Rate {
        r: usize,
        of: usize,
        rating: usize,
    },
    /// A member's own self-rating.
    SelfRate {
        r: usize,
        rating: usize,
    },
    Sync {
        r: usize,
    },
}

fn access_op() -> impl Strategy<Value = AccessOp> {
    let r = 0..4_usize;
    let h = 1..=3_usize;
    prop_oneof![
        4 => (r.clone(), h.clone()).prop_map(|(r, h)| AccessOp::Note { r, h }),
        1 => (1..4_usize, h.clone()).prop_map(|(r, h)| AccessOp::Forge { r, h }),
        2 => (h.clone(), 0..4_usize).prop_map(|(h, to)| AccessOp::Reassign { h, to }),
        1 => (r.clone(), h).prop_map(|(r, h)| AccessOp::SetHead { r, h }),
        1 => (r.clone(), 1..4_usize, 0..4_usize).prop_map(|(r, of, rating)| AccessOp::Rate { r, of, rating }),
        1 => (1..4_usize, 0..4_usize).prop_map(|(r, rating)| AccessOp::SelfRate { r, rating }),
        4 => r.prop_map(|r| AccessOp::Sync { r }),
    ]
}

/// A note as typed, to look for at the end.
struct Typed {
    household: DocId,
    note: NoteId,
    text: String,
    author: MemberId,
    at: i64,
    forged: bool,
    /// Typed on top of a change of the same phone that the rules refuse: an Automerge change
    /// comes with everything its phone made before it, so it is kept for review with that one.
    after_refused: bool,
}

/// Who the server had a household assigned to at `at`, from the moves it learnt.
fn assignee_at(
    server: &MemoryServer,
    h: &HouseholdId,
    at: i64,
    first: &MemberId,
) -> Option<MemberId> {
    let mut holder = Some(first.clone());
    for moved in server
        .moves
        .iter()
        .filter(|m| &m.household == h && m.at <= at)
    {
        holder = moved.to.clone();
    }
    holder
}

/// One cell: secretary m0 and members m1 to m3, households hh-1 to hh-3 assigned to m1 to m3,
/// and a report of each member, seeded on the server; phones start empty. Members write notes
/// on their households, the secretary reassigns them in the middle of partitions, and phones
/// try what the rules refuse (a household not theirs, its details, a rating). Then: nothing
/// anyone typed is lost (it is on the server, or kept there for review); a note typed while the
/// household was its author's at the server is on the server; a note pushed to a household never
/// its author's is not; details and ratings on the server are only the secretary's, and
/// self-ratings only the report's own member's.
fn run_access(ops: Vec<AccessOp>) {
    let mut server = MemoryServer::new(1);
    let members: Vec<MemberId> = (0..4)
        .map(|i| MemberId::parse(&format!("m{i}")).expect("id"))
        .collect();
    let households: Vec<HouseholdId> = (0..=3)
        .map(|i| HouseholdId::parse(&format!("hh-{i}")).expect("id"))
        .collect();
    let month = crate::Month::parse("2026-11").expect("month");
    let day = Day::parse("2026-11-05").expect("day");
    let seed_actor = ActorId::random();
    let mut cell_doc = Doc::create(doc_id(CELL), seed_actor.clone());
    for (i, member) in members.iter().enumerate() {
        let role = if i == 0 {
            crate::Role::Secretary
        } else {
            crate::Role::Member
        };
        cell::set_member(&mut cell_doc, member, &format!("Đảng viên {i}"), role, 0)
            .expect("roster");
    }
    for i in 1..=3 {
        cell::assign(
            &mut cell_doc,
            &households[i],
            Some(&members[i]),
            day,
            &members[0],
            0,
        )
        .expect("assign");
        let mut h = Doc::create(DocId::Household(households[i].clone()), seed_actor.clone());
        let update = household::ProfileUpdate {
            head: Some(format!("Chủ hộ {i}")),
            ..Default::default()
        };
        household::update_profile(&mut h, &update, 0).expect("profile");
        server.seed(h);
        server.seed(Doc::create(
            DocId::Report(members[i].clone(), month),
            seed_actor.clone(),
        ));
    }
    server.seed(cell_doc);
    let roles = [
        AccessRole::CellSecretary,
        AccessRole::Member,
        AccessRole::Member,
        AccessRole::Member,
    ];
    let mut phones: Vec<Replica> = (0..4)
        .map(|i| enrolled(&mut server, &format!("p{i}"), &members[i], roles[i]))
        .collect();
    let report_of = |i: usize| DocId::Report(members[i].clone(), month);
    let mut typed: Vec<Typed> = Vec::new();
    let mut heads_by_secretary =
        BTreeSet::from(["Chủ hộ 1".to_owned(), "Chủ hộ 2".into(), "Chủ hộ 3".into()]);
    let mut ratings_by_secretary = BTreeSet::new();
    let mut self_ratings: Vec<BTreeSet<String>> = vec![BTreeSet::new(); 4];
    let mut fetched: BTreeSet<(usize, DocId)> = BTreeSet::new();
    let mut tainted: BTreeSet<(usize, DocId)> = BTreeSet::new();
    let mut clock = 0_i64;
    let sync_phone = |server: &mut MemoryServer, phone: &mut Replica| {
        for _ in 0..5 {
            let request = protocol::encode_request(&phone.start_sync());
            let answer = server
                .handle(&request)
                .expect("the server reads its own protocol");
            let answer = protocol::decode_response(&answer).expect("decode");
            if !phone
                .finish_sync(&answer)
                .expect("the answer applies")
                .again
            {
                break;
            }
        }
    };
    for op in ops {
        clock += 1;
        server.now = clock;
        match op {
            AccessOp::Note { r, h } | AccessOp::Forge { r, h } => {
                let id = DocId::Household(households[h].clone());
                if phones[r].doc(&id).is_none() {
                    if !matches!(op, AccessOp::Forge { .. }) {
                        continue;
                    }
                    let mut copy = server.doc(&id).expect("seeded").clone();
                    phones[r].open(&id).merge(&mut copy).expect("merge");
                    fetched.insert((r, id.clone()));
                }
                // A note on a household the phone holds only because it fetched it.
                let forged = fetched.contains(&(r, id.clone()));
                let after_refused = tainted.contains(&(r, id.clone()));
                let text = format!("⟨{r}.{clock}⟩");
                let doc = phones[r].doc_mut(&id).expect("held");
                let note =
                    household::add_note(doc, &members[r], day, &text, &[], clock).expect("note");
                typed.push(Typed {
                    household: id,
                    note,
                    text,
                    author: members[r].clone(),
                    at: clock,
                    forged,
                    after_refused,
                });
            }
            AccessOp::Reassign { h, to } => {
                let doc = phones[0].doc_mut(&doc_id(CELL));
                let Some(doc) = doc else { continue };
                let to = (to > 0).then(|| &members[to]);
                cell::assign(doc, &households[h], to, day, &members[0], clock).expect("assign");
            }
            AccessOp::SetHead { r, h } => {
                let id = DocId::Household(households[h].clone());
                let Some(doc) = phones[r].doc_mut(&id) else {
                    continue;
                };
                let head = format!("Chủ hộ đổi {r}.{clock}");
                let update = household::ProfileUpdate {
                    head: Some(head.clone()),
                    ..Default::default()
                };
                household::update_profile(doc, &update, clock).expect("profile");
                if r == 0 {
                    heads_by_secretary.insert(head);
                } else {
                    tainted.insert((r, id));
                }
            }
            AccessOp::Rate { r, of, rating } => {
                let Some(doc) = phones[r].doc_mut(&report_of(of)) else {
                    continue;
                };
                let rating = Rating::ALL[rating % Rating::ALL.len()];
                report::rate(doc, rating, "Góp ý.", &members[r], day, clock).expect("rate");
                if r == 0 {
                    ratings_by_secretary.insert(rating.code().to_owned());
                }
            }
            AccessOp::SelfRate { r, rating } => {
                let Some(doc) = phones[r].doc_mut(&report_of(r)) else {
                    continue;
                };
                let rating = Rating::ALL[rating % Rating::ALL.len()];
                let draft = report::ReportDraft {
                    self_rating: Some(rating),
                    ..Default::default()
                };
                report::write(doc, &draft, clock).expect("self-rating");
                self_ratings[r].insert(rating.code().to_owned());
            }
            AccessOp::Sync { r } => sync_phone(&mut server, &mut phones[r]),
        }
    }
    for _ in 0..2 {
        for phone in phones.iter_mut() {
            clock += 1;
            server.now = clock;
            sync_phone(&mut server, phone);
        }
    }

    for note in &typed {
        let on_server = household::read(server.doc(&note.household).expect("stored"))
            .expect("valid")
            .notes
            .into_iter()
            .any(|n| n.id == note.note && n.text.contains(&note.text));
        let in_review = server
            .kept
            .iter()
            .filter(|(id, _)| *id == note.household)
            .any(|(_, reviewed)| {
                household::read(reviewed).is_ok_and(|h| {
                    h.notes
                        .iter()
                        .any(|n| n.id == note.note && n.text.contains(&note.text))
                })
            });
        // A push to a household never the phone's is kept nowhere, by design: nobody may fill
        // another's review list. Everything else anyone typed is kept.
        assert!(
            note.forged || on_server || in_review,
            "{:?} by {} is lost",
            note.text,
            note.author
        );
        let DocId::Household(h) = &note.household else {
            unreachable!()
        };
        let first = members[households.iter().position(|x| x == h).expect("known")].clone();
        let theirs_then = note.author == members[0]
            || assignee_at(&server, h, note.at, &first).as_ref() == Some(&note.author);
        if theirs_then && !note.forged && !note.after_refused {
            assert!(
                on_server,
                "{:?} by {}, typed while theirs, is on the server",
                note.text, note.author
            );
        }
        let ever_theirs = note.author == members[0]
            || assignee_at(&server, h, note.at, &first).as_ref() == Some(&note.author)
            || server.moves.iter().any(|m| {
                &m.household == h && m.at >= note.at && m.to.as_ref() == Some(&note.author)
            });
        if !ever_theirs {
            assert!(
                !on_server,
                "{:?} by {} on a household never theirs is refused",
                note.text, note.author
            );
        }
    }
    for household in &households[1..] {
        let id = DocId::Household(household.clone());
        let heads = all_values(
            server.doc(&id).expect("stored"),
            &["profile".into(), "head".into()],
        );
        for head in heads {
            assert!(
                heads_by_secretary.contains(&head),
                "{head:?} on {id} is only the secretary's to write"
            );
        }
    }
    for i in 1..=3 {
        let doc = server.doc(&report_of(i)).expect("stored");
        for rating in all_values(doc, &["cell_rating".into()]) {
            assert!(
                rating.is_empty() || ratings_by_secretary.contains(&rating),
                "{rating:?} rates {}",
                report_of(i)
            );
        }
        for rating in all_values(doc, &["self_rating".into()]) {
            assert!(
                rating.is_empty() || self_ratings[i].contains(&rating),
                "{rating:?} is {}'s own",
                members[i]
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: schedules(48), ..ProptestConfig::default() })]

    #[test]
    fn members_edit_only_what_is_theirs(ops in prop::collection::vec(access_op(), 1..50)) {
        run_access(ops);
    }
}
