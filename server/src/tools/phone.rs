//! A simulated phone: the same core state machine a real phone runs, over HTTP, holding its
//! documents in memory or in a file. The end-to-end tests and the load generator drive it.

use hosync_core::messages::Lang;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use hosync_core::protocol::{self, EnrolRequest, Enrolment, ErrorBody};
use hosync_core::sync::{Replica, SyncError, SyncOutcome};
use hosync_core::{DeviceId, MemberId};

/// What one phone has put on the wire.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WireStats {
    /// Requests sent.
    pub round_trips: u64,
    /// Bytes of requests.
    pub bytes_up: u64,
    /// Bytes of answers.
    pub bytes_down: u64,
}

/// How long a phone waits for the server's answer before it gives up on that sync (nothing
/// is acknowledged, so the next sync sends it all again).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, thiserror::Error)]
pub enum PhoneError {
    #[error(
        "the server did not answer within {} s; nothing was acknowledged, so the next sync sends it again",
        .0.as_secs()
    )]
    Timeout(Duration),
    #[error("cannot reach the server: {0}")]
    Http(reqwest::Error),
    #[error("the server answered {status}: {message} ({error})")]
    Server {
        status: u16,
        error: String,
        message: String,
    },
    #[error("{0}")]
    Sync(#[from] SyncError),
    #[error("the server's answer is not a sync message: {0}")]
    Decode(#[from] protocol::DecodeError),
}

/// An error answer, read from its JSON body when it has one.
fn server_error(status: u16, bytes: &[u8]) -> PhoneError {
    let body: ErrorBody = serde_json::from_slice(bytes).unwrap_or_else(|_| ErrorBody {
        error: "unknown".into(),
        message: String::from_utf8_lossy(bytes).into_owned(),
    });
    PhoneError::Server {
        status,
        error: body.error,
        message: body.message,
    }
}

#[derive(Debug)]
pub struct Phone {
    /// The same core state machine a real phone runs.
    replica: Replica,
    /// The server it syncs with.
    base_url: String,
    /// Its HTTP client, kept for the connection pool.
    http: reqwest::Client,
    /// What it has put on the wire so far.
    pub stats: WireStats,
    /// How long it waits for an answer.
    timeout: Duration,
    /// The language it reads the server's messages and refusals in (English, the command
    /// line's, unless set).
    lang: Lang,
}

impl From<reqwest::Error> for PhoneError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            PhoneError::Timeout(ANSWER_TIMEOUT)
        } else {
            PhoneError::Http(e)
        }
    }
}

/// An HTTP client that gives up on a server that does not answer.
fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(20)))
        .build()
        .unwrap_or_default()
}

impl Phone {
    /// A fresh phone with no data, as after enrolment.
    pub fn new(base_url: &str, device: DeviceId, member: MemberId) -> Self {
        Self::with_replica(
            base_url,
            Replica::new(device, member, hosync_core::docs::random_actor()),
        )
    }

    /// Enrols a new phone with the one-time code a secretary or staff member gave: it gets its
    /// token and identity from the server, and no data until it syncs.
    pub async fn enrol(base_url: &str, code: &str, label: &str) -> Result<Self, PhoneError> {
        let base_url = base_url.trim_end_matches('/');
        let http = client(ANSWER_TIMEOUT);
        // The actor is made before enrolment and named in it, so the server knows this phone's
        // changes as its own even when another phone delivers them.
        let actor = hosync_core::docs::random_actor();
        let response = http
            .post(format!("{base_url}/api/v1/enrol"))
            .header("content-type", "application/json")
            .header("accept-language", Lang::En.code())
            .body(
                serde_json::to_vec(&EnrolRequest {
                    code: code.to_owned(),
                    label: label.to_owned(),
                    actor: actor.to_hex_string(),
                })
                .unwrap_or_default(),
            )
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            return Err(server_error(status.as_u16(), &bytes));
        }
        let enrolment: Enrolment =
            serde_json::from_slice(&bytes).map_err(|e| PhoneError::Server {
                status: status.as_u16(),
                error: "bad_answer".into(),
                message: e.to_string(),
            })?;
        let replica = Replica::enrolled(&enrolment, actor)?;
        Ok(Self::with_replica(base_url, replica))
    }

    pub fn with_replica(base_url: &str, replica: Replica) -> Self {
        Phone {
            replica,
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: client(ANSWER_TIMEOUT),
            timeout: ANSWER_TIMEOUT,
            stats: WireStats::default(),
            lang: Lang::En,
        }
    }

    /// Points the phone at another server: a second one on the same database, or the same one
    /// under a new address.
    pub fn set_server(&mut self, base_url: &str) {
        self.base_url = base_url.trim_end_matches('/').to_owned();
    }

    /// The same phone, reading the server's messages in `lang`.
    pub fn with_lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    /// The same phone, waiting at most `timeout` for each answer.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.http = client(timeout);
        self.timeout = timeout;
        self
    }

    /// A transport error, as the phone tells it.
    fn http_error(&self, e: reqwest::Error) -> PhoneError {
        if e.is_timeout() {
            PhoneError::Timeout(self.timeout)
        } else {
            PhoneError::Http(e)
        }
    }

    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    pub fn replica_mut(&mut self) -> &mut Replica {
        &mut self.replica
    }

    /// One round trip. On any failure nothing is acknowledged, so calling it again is safe.
    pub async fn sync_once(&mut self) -> Result<SyncOutcome, PhoneError> {
        let request = protocol::encode_request(&self.replica.start_sync());
        let answer = self.send(request).await?;
        let response = protocol::decode_response(&answer)?;
        Ok(self.replica.finish_sync(&response)?)
    }

    /// Syncs until the server has nothing more to ask (one round trip in steady state; a second
    /// when the server needs a document's whole history).
    pub async fn sync(&mut self) -> Result<SyncOutcome, PhoneError> {
        let mut total = SyncOutcome::default();
        for _ in 0..4 {
            let outcome = self.sync_once().await?;
            total.accepted.extend(outcome.accepted);
            total.refused.extend(outcome.refused);
            total.updated.extend(outcome.updated);
            total.dropped.extend(outcome.dropped);
            total.wiped |= outcome.wiped;
            total.new_actor |= outcome.new_actor;
            if !outcome.again {
                break;
            }
        }
        Ok(total)
    }

    /// Sends raw bytes to the sync endpoint and returns the raw answer (for tests of bad input).
    pub async fn send(&mut self, body: Vec<u8>) -> Result<Vec<u8>, PhoneError> {
        self.stats.round_trips += 1;
        self.stats.bytes_up += body.len() as u64;
        let response = self
            .http
            .post(format!("{}/api/v1/sync", self.base_url))
            .header("content-type", "application/vnd.hosync.sync")
            .header("accept-language", self.lang.code())
            .header(
                crate::sync::APP_VERSION_HEADER,
                concat!("cli-", env!("CARGO_PKG_VERSION")),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| self.http_error(e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.http_error(e))?;
        self.stats.bytes_down += bytes.len() as u64;
        if !status.is_success() {
            return Err(server_error(status.as_u16(), &bytes));
        }
        Ok(bytes.to_vec())
    }

    pub fn save_to(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.replica.save())
            .with_context(|| format!("writing {}", tmp.display()))?;
        // Rename over the old file so a crash mid-write never leaves half a phone.
        std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
        Ok(())
    }

    pub fn load_from(base_url: &str, path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let replica = Replica::load(&bytes)
            .with_context(|| format!("reading the phone state in {}", path.display()))?;
        Ok(Self::with_replica(base_url, replica))
    }
}
