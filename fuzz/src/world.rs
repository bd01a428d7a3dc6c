//! A small cell to fuzz against: one household with a note and a flag, the cell's roster, and
//! the phones of its secretary and of a member, made through core's own functions so that the
//! seeds are the changes a real phone sends.

use std::sync::OnceLock;

use automerge::{ActorId, Change};
use hosync_core::docs::{cell, household};
use hosync_core::ids::{DeviceId, DocId, HouseholdId, MemberId, UnitId};
use hosync_core::sync::Replica;
use hosync_core::{AccessRole, Day, Doc, Principal, Role, UnitPath};

pub struct World {
    /// The server's actor, under which it opens documents.
    pub server: ActorId,
    pub household: DocId,
    pub cell: DocId,
    /// The documents as the server stores them.
    pub stored_household: Doc,
    pub stored_cell: Doc,
    /// The secretary's phone, holding both documents, with edits the server has not had.
    pub secretary_phone: Replica,
    pub secretary: Principal,
    pub secretary_id: MemberId,
    /// Changes a phone made after the stored state, as a push would carry them.
    pub household_edits: Vec<Change>,
    pub cell_edits: Vec<Change>,
}

const NOW: i64 = 1_790_000_000;

fn id<T>(parsed: Result<T, hosync_core::IdError>) -> T {
    parsed.unwrap_or_else(|e| panic!("the fuzz world's ids are valid: {e}"))
}

pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(build)
}

fn build() -> World {
    let day = Day::parse("2026-11-05").unwrap_or_else(|e| panic!("{e}"));
    let secretary_id = id(MemberId::parse("m-secretary"));
    let member_id = id(MemberId::parse("m-member"));
    let hh = id(HouseholdId::parse("hh-1"));
    let household = DocId::Household(hh.clone());
    let cell_unit = id(UnitId::parse("cell-1"));
    let cell = DocId::Cell(cell_unit.clone());
    let server = ActorId::from(&[0x5e_u8; 16][..]);

    let mut phone = Replica::new(
        id(DeviceId::parse("d-secretary")),
        secretary_id.clone(),
        ActorId::from(&[0x01_u8; 16][..]),
    );
    let ok = |r: Result<(), hosync_core::DocError>| r.unwrap_or_else(|e| panic!("{e}"));
    {
        let doc = phone.open(&household);
        let profile = household::ProfileUpdate {
            head: Some("Vàng Seo Páo".into()),
            village: Some("Thôn Nậm Dịch".into()),
            people: Some(5),
            livelihood: Some("Trồng chè".into()),
        };
        ok(household::create(doc, &profile, NOW));
        let note = household::add_note(doc, &secretary_id, day, "Thăm hộ, bàn việc chè", &[], NOW)
            .unwrap_or_else(|e| panic!("{e}"));
        household::raise_flag(
            doc,
            Some(&note),
            &secretary_id,
            day,
            "Cần hỗ trợ giống",
            NOW,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    {
        let doc = phone.open(&cell);
        ok(cell::set_member(
            doc,
            &secretary_id,
            "Sùng A Tú",
            Role::Secretary,
            NOW,
        ));
        ok(cell::set_member(
            doc,
            &member_id,
            "Lù Thị Mai",
            Role::Member,
            NOW,
        ));
        ok(cell::assign(
            doc,
            &hh,
            Some(&member_id),
            day,
            &secretary_id,
            NOW,
        ));
    }
    let stored = |id: &DocId, phone: &Replica| {
        let bytes = phone.doc(id).map(Doc::save).unwrap_or_default();
        Doc::load(id.clone(), &bytes, server.clone()).unwrap_or_else(|e| panic!("{e}"))
    };
    let stored_household = stored(&household, &phone);
    let stored_cell = stored(&cell, &phone);
    let heads_h = stored_household.heads();
    let heads_c = stored_cell.heads();
    {
        let doc = phone.open(&household);
        let notes = household::read(doc).map(|h| h.notes).unwrap_or_default();
        if let Some(note) = notes.first() {
            let _ = household::splice_note(doc, &note.id, 4, 0, " lần hai", NOW + 60);
        }
        let _ = household::add_note(doc, &member_id, day, "Hộ cần giống ngô", &[], NOW + 90);
        let _ = household::update_profile(
            doc,
            &household::ProfileUpdate {
                people: Some(6),
                ..Default::default()
            },
            NOW + 120,
        );
    }
    {
        let doc = phone.open(&cell);
        let _ = cell::assign(doc, &hh, Some(&secretary_id), day, &secretary_id, NOW + 150);
    }
    let edits = |id: &DocId, heads: &[automerge::ChangeHash], phone: &Replica| {
        phone
            .doc(id)
            .map(|d| d.automerge().get_changes(heads))
            .unwrap_or_default()
    };
    let household_edits = edits(&household, &heads_h, &phone);
    let cell_edits = edits(&cell, &heads_c, &phone);
    World {
        server,
        household,
        cell,
        stored_household,
        stored_cell,
        secretary: Principal {
            role: AccessRole::CellSecretary,
            scope: UnitPath::from_ids([&id(UnitId::parse("d")), &cell_unit]),
            member: Some(secretary_id.clone()),
        },
        secretary_id,
        secretary_phone: phone,
        household_edits,
        cell_edits,
    }
}
