//! Throttling of guesses: staff passwords and enrolment codes. An attempt is counted in the
//! `throttle` table before the guess is checked, by one UPSERT that returns the new count inside
//! a write transaction, so that guesses sent all at once are counted one after another and only
//! those within the limit are ever checked. Counters are kept per client address (or per login
//! and address), so that a stranger guessing from their own address cannot lock an account's
//! owner out of it from another.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use sqlx::{AnyConnection, Row};

use crate::AppState;
use crate::error::ApiError;
use crate::storage::db::{Backend, Db};

/// At most `max` attempts within `window` seconds of the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// How many attempts a window allows.
    pub max: i64,
    /// How long a window lasts, in seconds, from its first attempt.
    pub window: i64,
}

/// Where a request comes from: the peer of its TCP connection, or, when the operator says a
/// reverse proxy is in front (`--trust-forwarded-for`), the last hop of `X-Forwarded-For`,
/// which is the address that proxy saw. Extracting it never fails for a request the server
/// accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.settings.trust_forwarded_for
            && let Some(ip) = last_forwarded_hop(&parts.headers)
        {
            return Ok(ClientAddress(ip.to_canonical()));
        }
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!(
                    "a request without its peer address: serve the router with connect info"
                ))
            })?;
        Ok(ClientAddress(peer.ip().to_canonical()))
    }
}

impl std::fmt::Display for ClientAddress {
    /// The address as counters key it. One IPv6 host is usually given a whole /64, so an IPv6
    /// address is counted as its /64: otherwise a guesser could take a fresh address per guess.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => {
                let [a, b, c, d, ..] = v6.segments();
                write!(f, "{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        }
    }
}

/// The address a proxy appended last to `X-Forwarded-For`. The hops before it were written by
/// the client (or proxies beyond ours) and can be anything; the last one is what our proxy saw.
fn last_forwarded_hop(headers: &HeaderMap) -> Option<IpAddr> {
    let hop = headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim();
    // Some proxies write the client's port too (`203.0.113.7:5123`, `[2001:db8::1]:5123`).
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// One counter after counting an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// Attempts within the current window, this one included.
    pub attempts: i64,
    /// When the window ends and the count starts again.
    pub resets_at: i64,
}

impl Count {
    /// This attempt is beyond the limit: it must not be checked.
    pub fn over(&self, limit: Limit) -> bool {
        self.attempts > limit.max
    }

    /// This attempt is the last the limit allows before the window ends.
    pub fn last(&self, limit: Limit) -> bool {
        self.attempts == limit.max
    }
}

/// Counts one attempt on the counter `(bucket, subject)`, starting a new window when the last
/// one has ended, and returns the count. Run it in a write transaction: the row stays locked
/// until the transaction ends, so concurrent attempts are counted one after another.
pub async fn count(
    conn: &mut AnyConnection,
    bucket: &str,
    subject: &str,
    limit: Limit,
    now: i64,
) -> Result<Count, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO throttle (bucket, subject, attempts, resets_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (bucket, subject) DO UPDATE SET \
         attempts = CASE WHEN throttle.resets_at <= $4 THEN 1 ELSE throttle.attempts + 1 END, \
         resets_at = CASE WHEN throttle.resets_at <= $4 THEN $3 ELSE throttle.resets_at END \
         RETURNING attempts, resets_at",
    )
    .bind(bucket)
    .bind(subject)
    .bind(now + limit.window)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(Count {
        attempts: row.try_get(0)?,
        resets_at: row.try_get(1)?,
    })
}

/// Guesses from one subject are paused until `resets_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paused {
    pub resets_at: i64,
    /// Seconds until then.
    pub wait: i64,
}

impl Paused {
    /// Minutes until the pause ends, rounded up, for a person to read.
    pub fn minutes(&self) -> i64 {
        (self.wait + 59) / 60
    }
}

/// Counts one guess (an enrolment code, a reset code, a recovery secret) from `subject` in a
/// write transaction of its own, committed before the guess is checked so that the count
/// stands whatever checking it does. When guesses from there are paused, the guess is to be
/// refused unchecked and is not counted, so retrying while paused does not lengthen the pause.
pub async fn count_guess(
    db: &Db,
    bucket: &str,
    subject: &str,
    limit: Limit,
    now: i64,
) -> Result<Result<Count, Paused>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let count = count(&mut tx, bucket, subject, limit, now).await?;
    if count.over(limit) {
        tx.rollback().await?;
        return Ok(Err(Paused {
            resets_at: count.resets_at,
            wait: count.resets_at - now,
        }));
    }
    tx.commit().await?;
    Ok(Ok(count))
}

/// Takes back one counted attempt that turned out not to be a failure.
pub async fn uncount(
    conn: &mut AnyConnection,
    bucket: &str,
    subject: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE throttle SET attempts = attempts - 1 \
         WHERE bucket = $1 AND subject = $2 AND attempts > 0",
    )
    .bind(bucket)
    .bind(subject)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a counter.
pub async fn clear(
    conn: &mut AnyConnection,
    bucket: &str,
    subject: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM throttle WHERE bucket = $1 AND subject = $2")
        .bind(bucket)
        .bind(subject)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets the counters whose window has ended, so guesses from many addresses do not pile up.
/// On PostgreSQL rows another transaction holds are skipped (they are being counted again, so
/// are not to be forgotten): waiting for them could deadlock with a transaction that holds one
/// and waits for a row this one holds. SQLite has a single writer, so nothing else holds any.
pub async fn sweep(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
) -> Result<(), sqlx::Error> {
    let sql = match backend {
        Backend::Sqlite => "DELETE FROM throttle WHERE resets_at <= $1",
        Backend::Postgres => {
            "DELETE FROM throttle WHERE (bucket, subject) IN \
             (SELECT bucket, subject FROM throttle WHERE resets_at <= $1 FOR UPDATE SKIP LOCKED)"
        }
    };
    sqlx::query(sql).bind(now).execute(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(values: &[&str]) -> Option<IpAddr> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().expect("header value"));
        }
        last_forwarded_hop(&headers)
    }

    #[test]
    fn the_last_forwarded_hop_is_the_one_our_proxy_wrote() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        assert_eq!(hop(&["203.0.113.7"]), ip("203.0.113.7"));
        assert_eq!(hop(&["1.1.1.1, 203.0.113.7"]), ip("203.0.113.7"));
        assert_eq!(
            hop(&["1.1.1.1", "10.0.0.1 , 203.0.113.8"]),
            ip("203.0.113.8")
        );
        assert_eq!(hop(&["203.0.113.7:5123"]), ip("203.0.113.7"));
        assert_eq!(hop(&["[2001:db8::1]:5123"]), ip("2001:db8::1"));
        assert_eq!(hop(&["203.0.113.7, garbage"]), None);
        assert_eq!(hop(&[]), None);
    }

    #[test]
    fn ipv6_addresses_are_counted_by_their_64() {
        let shown = |s: &str| ClientAddress(s.parse::<IpAddr>().expect("ip")).to_string();
        assert_eq!(shown("203.0.113.7"), "203.0.113.7");
        assert_eq!(shown("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(shown("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
    }
}
