//! The sync frame decoder: whatever bytes a phone (or something pretending to be one) posts to
//! `/api/v1/sync`, and whatever a phone reads back as the server's answer.

use hosync_core::protocol::{self, SyncResponse};

use crate::world::world;

/// Every decoder refuses or reads the frame; what one reads, encoded again, reads the same.
pub fn sync_frame(data: &[u8]) {
    let _ = protocol::frame_version(data);
    if let Ok(request) = protocol::decode_request(data) {
        let again = protocol::decode_request(&protocol::encode_request(&request));
        assert_eq!(
            again.as_ref(),
            Ok(&request),
            "a request reads back as itself"
        );
    }
    if let Ok(response) = protocol::decode_response(data) {
        let again = protocol::decode_response(&protocol::encode_response(&response));
        assert_eq!(
            again.as_ref(),
            Ok(&response),
            "a response reads back as itself"
        );
    }
    if let Ok(changes) = protocol::decode_changes(data) {
        let again = protocol::decode_changes(&protocol::encode_changes(&changes));
        assert_eq!(
            again.as_ref(),
            Ok(&changes),
            "a change list reads back as itself"
        );
    }
}

pub fn seeds() -> Vec<Vec<u8>> {
    let w = world();
    let mut phone = w.secretary_phone.clone();
    let request = protocol::encode_request(&phone.start_sync());
    let raw: Vec<Vec<u8>> = w
        .household_edits
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let response = protocol::encode_response(&SyncResponse::default());
    vec![request, protocol::encode_changes(&raw), response]
}
