//! What a phone takes from outside besides the server's answer: a bundle handed over by
//! another phone, and its own saved replica read back from storage.

use hosync_core::protocol;
use hosync_core::sync::Replica;

use crate::world::world;

/// A bundle is taken whole or not at all; a replica read back saves and reads again the same.
pub fn bundle_import(data: &[u8]) {
    let w = world();
    let mut phone = w.secretary_phone.clone();
    let before = phone.save();
    match phone.import_bundle(data) {
        Ok(_) => {
            let saved = phone.save();
            let again = Replica::load(&saved);
            assert!(again.is_ok(), "a phone that took a bundle reads back");
        }
        Err(_) => assert!(
            phone.save() == before,
            "a refused bundle leaves the phone as it was"
        ),
    }
    if let Ok(replica) = Replica::load(data) {
        let saved = replica.save();
        assert!(
            Replica::load(&saved).is_ok(),
            "a replica read back saves again"
        );
    }
    if let Ok(response) = protocol::decode_response(data) {
        let mut phone = w.secretary_phone.clone();
        let _ = phone.start_sync();
        let _ = phone.finish_sync(&response);
    }
}

pub fn seeds() -> Vec<Vec<u8>> {
    let w = world();
    let mut other = w.secretary_phone.clone_as(
        hosync_core::ids::DeviceId::parse("d-other").unwrap_or_else(|e| panic!("{e}")),
        w.secretary_id.clone(),
        automerge::ActorId::from(&[0x02_u8; 16][..]),
    );
    let _ = other.open(&w.household);
    vec![other.export_bundle(), w.secretary_phone.save()]
}
