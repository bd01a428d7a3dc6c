//! The sync wire format: versioned, compressed, size-limited frames carrying postcard-encoded
//! messages. Only these wire types are serialisable; ids and documents are parsed from them at
//! the edge.
//!
//! A frame is `b"HSYN"`, the protocol version (one byte), the body encoding (0 = plain,
//! 1 = DEFLATE), then the body. A server that meets a version it does not speak answers
//! "update the app" before it reads the body, so an old phone never half-applies a newer format.

use std::io::Read;

use serde::{Deserialize, Serialize};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u8 = 2;
/// The largest frame accepted on the wire (compressed), also the HTTP body limit.
pub const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;
/// The most documents one sync request may push; a phone with more sends the rest in the next
/// round trip, so that one request never holds the server long.
pub const MAX_PUSHES: usize = 500;
/// The largest body a frame may inflate to, so a small hostile frame cannot exhaust memory.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

const MAGIC: &[u8; 4] = b"HSYN";
const HEADER_LEN: usize = 6;
const PLAIN: u8 = 0;
const DEFLATE: u8 = 1;
/// Bodies smaller than this are sent plain: DEFLATE's header costs more than it saves.
const COMPRESS_ABOVE: usize = 200;

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("this is not a hosync sync message (it does not start with HSYN)")]
    NotHosync,
    #[error(
        "protocol version {got} is not supported (this side speaks {supported}): update the app"
    )]
    UnsupportedVersion { got: u8, supported: u8 },
    #[error("the message is {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("unknown body encoding {0}")]
    UnknownEncoding(u8),
    #[error("the message body is damaged: {0}")]
    Corrupt(String),
}

/// A position in the server's change log: every change stored before it has reached the device.
/// The epoch names the server database, so a cursor from a restored or different database is
/// never trusted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub epoch: u64,
    pub seq: u64,
}

/// A phone's half of the round trip: its changes the server has not acknowledged, how far down
/// the server's log it has read, and which documents it holds (so the server can hand it one
/// that came into its scope, and tell it to drop one that left).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The device token from enrolment; it says which phone this is and for whom.
    pub token: String,
    pub cursor: Cursor,
    pub pushes: Vec<DocPush>,
    pub holding: Vec<String>,
}

/// Changes to one document, each an Automerge change chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocPush {
    pub doc: String,
    pub changes: Vec<Vec<u8>>,
}

/// The server's half: what happened to each push, and what the phone is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub cursor: Cursor,
    pub results: Vec<PushResult>,
    pub updates: Vec<DocUpdate>,
    /// Server time (Unix seconds), so a phone can tell how long it has been away.
    pub server_time: i64,
    /// Documents that left this phone's scope (a household reassigned, say): the phone drops
    /// them once nothing of its own in them is unsent.
    pub drop: Vec<String>,
    /// The phone was revoked (lost) or its member disabled: erase everything on it.
    pub wipe: bool,
    /// After this many seconds without reaching the server the phone locks its data.
    pub lock_after: i64,
}

/// A phone's enrolment: the one-time code a secretary or staff member gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolRequest {
    pub code: String,
    /// What the phone calls itself, for the device list ("Samsung A03 của Lan").
    #[serde(default)]
    pub label: String,
    /// The Automerge actor the phone will write under, in hex, so that the server knows its
    /// changes as this phone's from the start, even when another phone delivers them. Phones
    /// that do not say are known by the first changes they send.
    #[serde(default)]
    pub actor: String,
}

/// What enrolment gives the phone: who it is and the token every sync carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enrolment {
    pub device: String,
    /// The member (or staff account) the phone acts for: the author of its notes.
    pub member: String,
    pub name: String,
    pub role: String,
    /// The unit the phone's scope covers.
    pub scope: String,
    pub token: String,
    /// The phone's keys (see [`PhoneKeys`]); empty in the answer of a server from before them,
    /// whose phones ask for theirs at `POST /api/v1/phone/keys`.
    #[serde(default)]
    pub device_secret: String,
    #[serde(default)]
    pub recovery_key: String,
    #[serde(default)]
    pub recovery_secret: String,
}

/// What a phone needs to keep its records encrypted under a data key of its own, each 32 random
/// bytes as base64url without padding. Enrolment gives them, and `POST /api/v1/phone/keys`
/// gives fresh ones (the earlier ones stop working).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneKeys {
    /// The salt the phone mixes into the key it derives from its holder's PIN.
    pub device_secret: String,
    /// The server keeps it; the phone wraps its data key under it, then forgets it, and gets it
    /// back by recovery when the PIN is forgotten.
    pub recovery_key: String,
    /// The phone keeps it in the clear (its token is encrypted): it is good only for asking
    /// `POST /api/v1/recovery`. The server keeps its hash.
    pub recovery_secret: String,
}

/// `POST /api/v1/recovery`: a phone whose PIN is forgotten asks for its recovery key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryRequest {
    pub device: String,
    pub recovery_secret: String,
}

/// The answer to a [`RecoveryRequest`]: still waiting for the cell secretary, or approved with
/// the key (given once: the next request waits for a new approval).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RecoveryStatus {
    Waiting,
    Approved { recovery_key: String },
}

/// A recovery waiting for approval, as the secretary's phone lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingRecovery {
    pub device: String,
    pub member: String,
    pub member_name: String,
    /// The phone's label ("Samsung A03 của Lan").
    pub label: String,
    /// Unix seconds.
    pub requested_at: i64,
}

/// The answer to approving a recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryApproval {
    pub device: String,
    /// Unix seconds.
    pub approved_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    pub doc: String,
    pub outcome: PushOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushOutcome {
    /// Durably stored.
    Accepted,
    /// Refused, with the reason; the rest of the batch still applied.
    Rejected { reason: String },
    /// The server lacks changes these depend on (a restored server or phone): send the whole
    /// history of the document.
    NeedHistory,
    /// Another phone already wrote under this Automerge actor (this phone's data was copied
    /// onto a second one, say): the phone takes a new actor, makes its unsent edits again
    /// under it and sends them. Added last, so older phones decode every other outcome.
    ActorReused { actor: Vec<u8>, reason: String },
}

/// What a phone needs of one document: a snapshot when it is new to the phone, changes
/// otherwise, and the server's heads after them (what the server now holds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocUpdate {
    pub doc: String,
    pub heads: Vec<[u8; 32]>,
    pub snapshot: Option<Vec<u8>>,
    pub changes: Vec<Vec<u8>>,
}

/// The body of an error answer, as JSON, for clients and people alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A stable code: `bad_request`, `too_large`, `update_app`, `internal`…
    pub error: String,
    pub message: String,
}

pub fn encode_request(request: &SyncRequest) -> Vec<u8> {
    encode(request)
}

pub fn decode_request(frame: &[u8]) -> Result<SyncRequest, DecodeError> {
    decode(frame)
}

pub fn encode_response(response: &SyncResponse) -> Vec<u8> {
    encode(response)
}

pub fn decode_response(frame: &[u8]) -> Result<SyncResponse, DecodeError> {
    decode(frame)
}

/// A list of change chunks as one blob (refused edits kept on the server), framed like a
/// message.
pub fn encode_changes(changes: &[Vec<u8>]) -> Vec<u8> {
    encode(&changes)
}

pub fn decode_changes(frame: &[u8]) -> Result<Vec<Vec<u8>>, DecodeError> {
    decode(frame)
}

/// The protocol version a frame claims, read before anything else so that an unsupported one
/// gets its own clear answer.
pub fn frame_version(frame: &[u8]) -> Result<u8, DecodeError> {
    if frame.len() < HEADER_LEN || &frame[..4] != MAGIC {
        return Err(DecodeError::NotHosync);
    }
    Ok(frame[4])
}

pub(crate) fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    // postcard only fails on types serde cannot express, which these wire types are not.
    let body = postcard::to_allocvec(message).unwrap_or_default();
    let mut frame = Vec::with_capacity(HEADER_LEN + body.len());
    frame.extend_from_slice(MAGIC);
    frame.push(PROTOCOL_VERSION);
    if body.len() > COMPRESS_ABOVE
        && let Some(compressed) = deflate(&body)
        && compressed.len() < body.len()
    {
        frame.push(DEFLATE);
        frame.extend_from_slice(&compressed);
        return frame;
    }
    frame.push(PLAIN);
    frame.extend_from_slice(&body);
    frame
}

pub(crate) fn decode<T: for<'de> Deserialize<'de>>(frame: &[u8]) -> Result<T, DecodeError> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::TooLarge {
            size: frame.len(),
            limit: MAX_FRAME_BYTES,
        });
    }
    let version = frame_version(frame)?;
    if version != PROTOCOL_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            got: version,
            supported: PROTOCOL_VERSION,
        });
    }
    let body = &frame[HEADER_LEN..];
    let inflated;
    let body = match frame[5] {
        PLAIN => body,
        DEFLATE => {
            inflated = inflate(body)?;
            &inflated
        }
        other => return Err(DecodeError::UnknownEncoding(other)),
    };
    let (message, rest) =
        postcard::take_from_bytes(body).map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    if !rest.is_empty() {
        return Err(DecodeError::Corrupt(format!(
            "{} bytes after the end of the message",
            rest.len()
        )));
    }
    Ok(message)
}

/// Raw DEFLATE (no zlib or gzip header), as frames have always carried. flate2 with the zlib-rs
/// backend rather than a compressor of our own, because Automerge already links that one and a
/// second would ship twice to the browser.
fn deflate(body: &[u8]) -> Option<Vec<u8>> {
    let mut compressed = Vec::new();
    // Reading a slice cannot fail; if the encoder ever did, the caller sends the body plain.
    flate2::bufread::DeflateEncoder::new(body, flate2::Compression::new(6))
        .read_to_end(&mut compressed)
        .ok()?;
    Some(compressed)
}

fn inflate(body: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut inflated = Vec::new();
    // One byte past the limit tells a body at the limit from a bomb, without inflating the bomb.
    flate2::bufread::DeflateDecoder::new(body)
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| DecodeError::Corrupt(format!("DEFLATE: {e}")))?;
    if inflated.len() > MAX_BODY_BYTES {
        return Err(DecodeError::TooLarge {
            size: MAX_BODY_BYTES + 1,
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(inflated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(payload: usize) -> SyncRequest {
        SyncRequest {
            token: "t".into(),
            cursor: Cursor { epoch: 7, seq: 42 },
            pushes: vec![DocPush {
                doc: "h:hh-1".into(),
                changes: vec![vec![b'a'; payload]],
            }],
            holding: vec!["h:hh-1".into()],
        }
    }

    #[test]
    fn messages_round_trip_plain_and_compressed() {
        for size in [10, 10_000] {
            let frame = encode_request(&request(size));
            assert_eq!(decode_request(&frame), Ok(request(size)));
        }
        let big = encode_request(&request(10_000));
        assert_eq!(big[5], DEFLATE);
        assert!(
            big.len() < 1_000,
            "10 kB of repetition compresses: {} bytes",
            big.len()
        );
    }

    #[test]
    fn bad_frames_say_what_is_wrong() {
        assert_eq!(
            decode_request(b"GET / HTTP/1.1"),
            Err(DecodeError::NotHosync)
        );
        let mut frame = encode_request(&request(10));
        frame[4] = 99;
        assert_eq!(
            decode_request(&frame),
            Err(DecodeError::UnsupportedVersion {
                got: 99,
                supported: PROTOCOL_VERSION
            })
        );
        let mut frame = encode_request(&request(10));
        frame.truncate(frame.len() - 3);
        assert!(matches!(
            decode_request(&frame),
            Err(DecodeError::Corrupt(_))
        ));
        let mut frame = encode_request(&request(10));
        frame[5] = 9;
        assert_eq!(decode_request(&frame), Err(DecodeError::UnknownEncoding(9)));
    }

    #[test]
    fn frames_from_earlier_builds_still_decode() {
        // `request(300)` exactly as builds compressing with miniz_oxide (level 6) sent it, so
        // phones that have not updated keep syncing with a server that inflates with zlib-rs.
        const MINIZ_BODY: [u8; 40] = [
            237, 208, 49, 13, 0, 48, 8, 4, 192, 124, 135, 214, 75, 19, 6, 86, 220, 176, 189, 0,
            100, 33, 146, 137, 29, 1, 156, 132, 67, 188, 143, 75, 35, 69, 145, 199, 215, 88, 183,
            21,
        ];
        let mut frame = MAGIC.to_vec();
        frame.extend([PROTOCOL_VERSION, DEFLATE]);
        frame.extend(MINIZ_BODY);
        assert_eq!(decode_request(&frame), Ok(request(300)));
        // A stream cut short is refused, not read as the part that arrived.
        frame.pop();
        assert!(matches!(
            decode_request(&frame),
            Err(DecodeError::Corrupt(_))
        ));
    }

    #[test]
    fn a_deflate_bomb_is_refused() {
        let body = vec![0_u8; MAX_BODY_BYTES + 10];
        let mut frame = MAGIC.to_vec();
        frame.extend([PROTOCOL_VERSION, DEFLATE]);
        frame.extend(deflate(&body).expect("zeros compress"));
        assert!(frame.len() < MAX_FRAME_BYTES);
        assert!(matches!(
            decode_request(&frame),
            Err(DecodeError::TooLarge { .. })
        ));
    }
}
