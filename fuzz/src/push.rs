//! A push of arbitrary changes to a stored document, decided by core exactly as the server
//! decides it ([`plan_push`]), for a secretary's phone that may write the document, for a
//! household the server does not know yet, and for one that has left the phone.

use automerge::ActorId;
use hosync_core::Doc;
use hosync_core::ids::MemberId;
use hosync_core::protocol;
use hosync_core::sync::{Left, PushAccess, PushContext, PushPlan, parse_changes, plan_push};

use crate::world::world;

/// The input's first byte picks the document and the phone's right to it; the rest is a
/// change list as the protocol frames it, or else one change's bytes.
pub fn push(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let w = world();
    let chunks = protocol::decode_changes(rest).unwrap_or_else(|_| vec![rest.to_vec()]);
    let Ok(changes) = parse_changes(&chunks) else {
        return;
    };
    let (id, stored) = if pick & 1 == 0 {
        (&w.household, &w.stored_household)
    } else {
        (&w.cell, &w.stored_cell)
    };
    let (access, stored, left_at) = match (pick >> 1) % 3 {
        0 => (PushAccess::Write, Some(stored.clone()), None),
        1 => (PushAccess::Create, None, None),
        _ => (
            PushAccess::UntilLeft {
                why: "moved".into(),
                left: Left::Member,
            },
            Some(stored.clone()),
            Some(1_790_000_100),
        ),
    };
    let secretary = w.secretary_id.clone();
    let phone_actor = ActorId::from(&[0x01_u8; 16][..]);
    let author_of =
        move |a: &ActorId| -> Option<MemberId> { (*a == phone_actor).then(|| secretary.clone()) };
    let ctx = PushContext {
        principal: &w.secretary,
        access: &access,
        left_at,
        author_of: &author_of,
        lang: hosync_core::messages::Lang::Vi,
    };
    if let PushPlan::Store { doc, .. } = plan_push(&ctx, id, stored, changes, &w.server) {
        // What the server stores must load again as the same document, or the next sync of
        // anyone holding it would fail.
        let bytes = doc.save();
        let again = Doc::load(id.clone(), &bytes, w.server.clone());
        let again = again.unwrap_or_else(|e| panic!("a stored document does not load: {e}"));
        assert_eq!(
            again.heads(),
            doc.heads(),
            "a stored document reloads whole"
        );
        assert!(again.view().is_ok(), "a stored document reads as valid");
    }
}

pub fn seeds() -> Vec<Vec<u8>> {
    let w = world();
    let frame = |pick: u8, changes: &[automerge::Change]| {
        let raw: Vec<Vec<u8>> = changes.iter().map(|c| c.raw_bytes().to_vec()).collect();
        let mut seed = vec![pick];
        seed.extend(protocol::encode_changes(&raw));
        seed
    };
    let mut seeds = Vec::new();
    for pick in 0..6_u8 {
        let edits = if pick & 1 == 0 {
            &w.household_edits
        } else {
            &w.cell_edits
        };
        seeds.push(frame(pick, edits));
        if let Some(one) = edits.first() {
            let mut single = vec![pick];
            single.extend_from_slice(one.raw_bytes());
            seeds.push(single);
        }
    }
    // A whole history, as a phone sends one the server asked for.
    let all = w.stored_household.automerge().get_changes(&[]);
    seeds.push(frame(2, &all));
    seeds
}
