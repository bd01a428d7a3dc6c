//! The audit log: who read household data, exported, enrolled or revoked a phone, or changed an
//! account, and when. Written in the same transaction as what it records where there is one;
//! listed by `hosync audit` and `GET /api/v1/audit`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use hosync_core::Day;
use hosync_core::access::StaffAction;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use crate::AppState;
use crate::auth::StaffSession;
use crate::error::ApiError;

/// Who did something: a staff account, a member's phone, the command line on the server, or
/// a client known only by its address (guessing passwords or enrolment codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(String),
    Device(String),
    Cli,
    Address(String),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User(login) => write!(f, "user:{login}"),
            Actor::Device(id) => write!(f, "device:{id}"),
            Actor::Cli => f.write_str("cli"),
            Actor::Address(address) => write!(f, "address:{address}"),
        }
    }
}

/// Appends one entry.
pub async fn record(
    conn: &mut AnyConnection,
    at: i64,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at)
    .bind(actor.to_string())
    .bind(action)
    .bind(target)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// A time as staff read it: dd/mm/yyyy HH:MM in Vietnam (UTC+7), the time zone every day in
/// hosync is counted in.
pub fn vi_time(at: i64) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(at.saturating_add(VIETNAM_OFFSET))
        .ok()
        .and_then(|t| t.format(FORMAT).ok())
        .unwrap_or_else(|| at.to_string())
}

/// Vietnam's offset from UTC, in seconds; it keeps no summer time.
const VIETNAM_OFFSET: i64 = 7 * 3600;

/// The first second of a day in Vietnam.
fn day_start(day: Day) -> i64 {
    // Noon in Vietnam less twelve hours.
    day.noon_timestamp() - 12 * 3600
}

/// Which entries to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exactly this actor (`user:LOGIN`, `device:ID` or `cli`).
    pub actor: Option<String>,
    /// Exactly this action (`read_household`, `user_add`…).
    pub action: Option<String>,
    /// Targets containing this, ignoring case.
    pub target_contains: Option<String>,
    /// From the start of this day (Vietnam time).
    pub since: Option<Day>,
    /// To the end of this day (Vietnam time).
    pub until: Option<Day>,
    /// At most this many entries, the newest.
    pub limit: i64,
}

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 10_000;

/// Why a filter was refused, in words for whoever typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadFilter(String);

impl AuditFilter {
    /// Reads a filter as typed on the command line or in a query string. An actor without a
    /// kind (`admin` rather than `user:admin`) names a staff account.
    pub fn parse(
        actor: Option<&str>,
        action: Option<&str>,
        target_contains: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
        limit: Option<i64>,
    ) -> Result<AuditFilter, BadFilter> {
        let given = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let day = |v: Option<&str>, what: &str| {
            given(v)
                .map(|d| Day::parse(&d).map_err(|e| BadFilter(format!("{what}: {e}"))))
                .transpose()
        };
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(BadFilter(format!(
                "limit must be 1 to {MAX_LIMIT}, not {limit}"
            )));
        }
        let filter = AuditFilter {
            actor: given(actor).map(|a| {
                if a == "cli" || a.contains(':') {
                    a
                } else {
                    format!("user:{a}")
                }
            }),
            action: given(action),
            target_contains: given(target_contains),
            since: day(since, "since")?,
            until: day(until, "until")?,
            limit,
        };
        if let (Some(since), Some(until)) = (filter.since, filter.until)
            && since > until
        {
            return Err(BadFilter(format!(
                "since ({}) is after until ({})",
                since.vi(),
                until.vi()
            )));
        }
        Ok(filter)
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

impl AuditEntry {
    /// One line, as `hosync audit` prints it.
    pub fn line(&self) -> String {
        let line = format!(
            "{}  {:<20} {:<16} {}",
            vi_time(self.at),
            self.actor,
            self.action,
            self.target
        );
        if self.detail.is_empty() {
            line
        } else {
            format!("{line}  ({})", self.detail)
        }
    }
}

/// The newest entries that pass the filter, oldest first.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    // `%`, `_` and `\` typed in the filter are matched as themselves.
    let pattern = filter.target_contains.as_ref().map(|t| {
        let escaped = t
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, target, detail FROM audit_log \
         WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR action = $2) \
         AND ($3 IS NULL OR LOWER(target) LIKE $3 ESCAPE '\\') AND at >= $4 AND at < $5 \
         ORDER BY seq DESC LIMIT $6",
    )
    .bind(filter.actor.clone())
    .bind(filter.action.clone())
    .bind(pattern)
    .bind(filter.since.map_or(i64::MIN, day_start))
    .bind(filter.until.map_or(i64::MAX, |d| day_start(d.add_days(1))))
    .bind(filter.limit)
    .fetch_all(conn)
    .await?;
    let mut entries = rows
        .into_iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: r.try_get(0)?,
                at: r.try_get(1)?,
                actor: r.try_get(2)?,
                action: r.try_get(3)?,
                target: r.try_get(4)?,
                detail: r.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    entries.reverse();
    Ok(entries)
}

/// `hosync audit`: the audit log, one line per entry, newest last; times in Vietnam (UTC+7).
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// sqlite://path?mode=rwc or postgres://user@host/db; data/hosync.db by default.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Only this actor: a staff login, user:LOGIN, device:ID or cli.
    #[arg(long)]
    pub actor: Option<String>,
    /// Only this action, such as read_household, user_add, role, user_disable, member_disable.
    #[arg(long)]
    pub action: Option<String>,
    /// Only targets containing this (a household, cell, login or member id), ignoring case.
    #[arg(long)]
    pub target_contains: Option<String>,
    /// From this day, yyyy-mm-dd.
    #[arg(long)]
    pub since: Option<String>,
    /// Up to and including this day, yyyy-mm-dd.
    #[arg(long)]
    pub until: Option<String>,
    /// At most this many entries, the newest.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    pub limit: i64,
}

/// Runs `hosync audit`, writing to `out`.
pub async fn cli(args: AuditArgs, out: &mut (dyn std::io::Write + Send)) -> anyhow::Result<()> {
    let filter = AuditFilter::parse(
        args.actor.as_deref(),
        args.action.as_deref(),
        args.target_contains.as_deref(),
        args.since.as_deref(),
        args.until.as_deref(),
        Some(args.limit),
    )?;
    let db = crate::Db::connect(&crate::cli::database_url(&args.database_url)).await?;
    let mut conn = db.reader.acquire().await?;
    let entries = list(&mut conn, &filter).await?;
    drop(conn);
    db.close().await;
    for entry in &entries {
        writeln!(out, "{}", entry.line())?;
    }
    if entries.is_empty() {
        writeln!(out, "No audit entries match.")?;
    }
    Ok(())
}

/// The query of `GET /api/v1/audit`: the same filters as `hosync audit`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_contains: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct AuditRow {
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    /// dd/mm/yyyy HH:MM in Vietnam.
    pub time: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// `GET /api/v1/audit`: the log, newest last, for those who may read it at their scope.
pub async fn api_list(
    State(state): State<AppState>,
    session: StaffSession,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    session
        .principal
        .may(StaffAction::ReadAudit, &session.principal.scope)?;
    let filter = AuditFilter::parse(
        q.actor.as_deref(),
        q.action.as_deref(),
        q.target_contains.as_deref(),
        q.since.as_deref(),
        q.until.as_deref(),
        q.limit,
    )
    .map_err(|e| ApiError::BadRequest(e.0))?;
    let mut conn = state.db.reader.acquire().await?;
    let entries = list(&mut conn, &filter).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditRow {
                seq: e.seq,
                at: e.at,
                time: vi_time(e.at),
                actor: e.actor,
                action: e.action,
                target: e.target,
                detail: e.detail,
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_as_typed() {
        assert_eq!(vi_time(0), "01/01/1970 07:00");
        let f = AuditFilter::parse(Some("lan"), None, Some(" "), Some("2026-11-01"), None, None)
            .expect("filter");
        assert_eq!(f.actor.as_deref(), Some("user:lan"));
        assert_eq!(f.target_contains, None);
        assert_eq!(f.limit, DEFAULT_LIMIT);
        assert_eq!(
            vi_time(day_start(f.since.expect("since"))),
            "01/11/2026 00:00"
        );
        let cli = AuditFilter::parse(Some("cli"), None, None, None, None, None).expect("filter");
        assert_eq!(cli.actor.as_deref(), Some("cli"));
        assert!(
            AuditFilter::parse(
                None,
                None,
                None,
                Some("2026-11-02"),
                Some("2026-11-01"),
                None
            )
            .is_err()
        );
        assert!(AuditFilter::parse(None, None, None, None, None, Some(0)).is_err());
    }
}
