//! The audit log: who read household data, exported, enrolled or revoked a phone, or changed an
//! account, and when. Written in the same transaction as what it records where there is one;
//! listed by `hosync audit` and `GET /api/v1/audit`.

use hosync_core::access::UnitPath;
use hosync_core::{Day, UnitId};
use serde::Deserialize;
use sqlx::{AnyConnection, Row};

use crate::storage::db::Db;

hosync_core::coded_enum!(
    /// What an audit entry records.
    AuditAction, "audit action", {
        SignIn => ("sign_in", "Đăng nhập", "Sign-in"),
        SignOut => ("sign_out", "Đăng xuất", "Sign-out"),
        SignInPaused => ("sign_in_paused", "Tạm dừng đăng nhập", "Sign-in paused"),
        UserAdd => ("user_add", "Thêm tài khoản", "Account added"),
        Role => ("role", "Đổi vai trò", "Role changed"),
        UserDisable => ("user_disable", "Khóa tài khoản", "Account disabled"),
        MemberDisable => ("member_disable", "Khóa đảng viên", "Member disabled"),
        UserEnable => ("user_enable", "Mở khóa tài khoản", "Account enabled"),
        MemberEnable => ("member_enable", "Mở khóa đảng viên", "Member enabled"),
        PasswordResetCode => ("password_reset_code", "Cấp mã đặt lại mật khẩu", "Password reset code issued"),
        PasswordReset => ("password_reset", "Đặt lại mật khẩu", "Password reset"),
        EnrolCode => ("enrol_code", "Cấp mã kích hoạt", "Enrolment code issued"),
        Enrol => ("enrol", "Kích hoạt thiết bị", "Phone enrolled"),
        EnrolPaused => ("enrol_paused", "Tạm dừng kích hoạt", "Enrolment paused"),
        Revoke => ("revoke", "Thu hồi thiết bị", "Phone revoked"),
        PhoneKeys => ("phone_keys", "Cấp khóa cho thiết bị", "Phone keys issued"),
        RecoveryRequest => ("recovery_request", "Yêu cầu khôi phục thiết bị", "Phone recovery requested"),
        RecoveryApprove => ("recovery_approve", "Duyệt khôi phục thiết bị", "Phone recovery approved"),
        RecoveryRelease => ("recovery_release", "Trả khóa khôi phục", "Recovery key released"),
        RecoveryPaused => ("recovery_paused", "Tạm dừng khôi phục", "Recovery paused"),
        Wipe => ("wipe", "Xóa dữ liệu trên máy", "Phone data wiped"),
        ReadHousehold => ("read_household", "Xem hộ", "Household viewed"),
        ReadHouseholds => ("read_households", "Xem danh sách hộ", "Household list viewed"),
        ReadRefusals => ("read_refusals", "Xem thay đổi bị từ chối", "Refused changes viewed"),
        ViewTable => ("view_table", "Xem bảng", "Table viewed"),
        Export => ("export", "Xuất bảng", "Table exported"),
        Search => ("search", "Tìm kiếm", "Search"),
        Init => ("init", "Khởi tạo hệ thống", "System set up"),
        Import => ("import", "Nhập danh sách", "List imported"),
        UnitAdd => ("unit_add", "Thêm đơn vị", "Unit added"),
        UnitChange => ("unit_change", "Sửa đơn vị", "Unit changed"),
        MemberAdd => ("member_add", "Thêm đảng viên", "Member added"),
        MemberChange => ("member_change", "Sửa thông tin đảng viên", "Member details changed"),
        MemberTransfer => ("member_transfer", "Chuyển sinh hoạt đảng", "Member transferred"),
        HouseholdAdd => ("household_add", "Thêm hộ", "Household added"),
        HouseholdChange => ("household_change", "Sửa thông tin hộ", "Household details changed"),
        HouseholdMove => ("household_move", "Chuyển hộ sang chi bộ khác", "Household moved to another cell"),
        Assign => ("assign", "Phân công phụ trách hộ", "Household assigned"),
    }
);

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

/// Records that guesses from the client address `address` are paused, and why. An address is
/// no unit's: the entry belongs to the whole organisation.
pub async fn record_pause(
    db: &Db,
    at: i64,
    address: &str,
    action: AuditAction,
    detail: &str,
) -> Result<(), sqlx::Error> {
    let mut conn = db.writer.acquire().await?;
    let actor = Actor::Address(address.to_owned());
    record(&mut conn, at, &actor, action, address, detail, None).await
}

/// Appends one entry. `unit` is the unit it is about (the household's cell, the account's
/// scope, the table's unit), which decides who may read it; `None` for the whole organisation.
pub async fn record(
    conn: &mut AnyConnection,
    at: i64,
    actor: &Actor,
    action: AuditAction,
    target: &str,
    detail: &str,
    unit: Option<&UnitId>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, detail, unit_id) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(at)
    .bind(actor.to_string())
    .bind(action.code())
    .bind(truncated(target, MAX_FIELD_CHARS))
    .bind(truncated(detail, MAX_FIELD_CHARS))
    .bind(unit.map(|u| u.as_str().to_owned()))
    .execute(conn)
    .await?;
    Ok(())
}

/// The longest target or detail an entry keeps: what is recorded is bounded whatever a request
/// carried (a search's words, a phone's label).
const MAX_FIELD_CHARS: usize = 300;

fn truncated(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
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
    /// Exactly this action.
    pub action: Option<AuditAction>,
    /// Targets containing this, ignoring case.
    pub target_contains: Option<String>,
    /// From the start of this day (Vietnam time).
    pub since: Option<Day>,
    /// To the end of this day (Vietnam time).
    pub until: Option<Day>,
    /// At most this many entries, the newest.
    pub limit: i64,
    /// Only entries about this unit or what lies under it.
    pub unit: Option<UnitId>,
}

/// Whose part of the log is read: entries about units under `under`, and, when `whole_tree`,
/// those about the whole organisation too (entries that name no unit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditScope {
    pub under: UnitPath,
    pub whole_tree: bool,
}

impl AuditScope {
    /// The part of the log a principal's scope covers: a scope over the root unit reads
    /// entries about the whole organisation too.
    pub fn of(scope: &UnitPath) -> AuditScope {
        AuditScope {
            under: scope.clone(),
            whole_tree: scope.as_str().matches('/').count() == 2,
        }
    }
}

pub const DEFAULT_LIMIT: i64 = 100;

pub const MAX_LIMIT: i64 = 10_000;

/// Why a filter was refused, in words for whoever typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadFilter(pub String);

impl AuditFilter {
    /// Reads a filter as typed on the command line or in a query string. An actor without a
    /// kind (`admin` rather than `user:admin`) names a staff account.
    pub fn parse(raw: &AuditQuery) -> Result<AuditFilter, BadFilter> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let day = |v: &Option<String>, what: &str| {
            given(v)
                .map(|d| Day::parse(&d).map_err(|e| BadFilter(format!("{what}: {e}"))))
                .transpose()
        };
        let limit = raw.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(BadFilter(format!(
                "limit must be 1 to {MAX_LIMIT}, not {limit}"
            )));
        }
        let filter = AuditFilter {
            actor: given(&raw.actor).map(|a| {
                if a == "cli" || a.contains(':') {
                    a
                } else {
                    format!("user:{a}")
                }
            }),
            action: given(&raw.action)
                .map(|a| AuditAction::parse(&a).map_err(|e| BadFilter(e.to_string())))
                .transpose()?,
            target_contains: given(&raw.target_contains),
            since: day(&raw.since, "since")?,
            until: day(&raw.until, "until")?,
            limit,
            unit: given(&raw.unit)
                .map(|u| UnitId::parse(&u).map_err(|e| BadFilter(format!("unit: {e}"))))
                .transpose()?,
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
    /// The unit the entry is about, `None` for the whole organisation.
    pub unit: Option<String>,
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

/// The newest entries that pass the filter and lie within `scope` (the whole log when `None`:
/// the command line on the server), oldest first.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    scope: Option<&AuditScope>,
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
    // The unit filter and the reader's scope are both subtrees: an entry passes when its unit
    // lies under each, or names no unit and the reader sees the whole tree.
    let unit_path = match &filter.unit {
        Some(unit) => match crate::storage::unit_path(&mut *conn, unit).await? {
            Some(path) => Some(path),
            None => return Ok(Vec::new()),
        },
        None => None,
    };
    let (under, whole_tree) = match scope {
        Some(scope) => (scope.under.as_str().to_owned(), i64::from(scope.whole_tree)),
        None => ("/".to_owned(), 1),
    };
    let rows = sqlx::query(
        "SELECT a.seq, a.at, a.actor, a.action, a.target, a.detail, a.unit_id FROM audit_log a \
         LEFT JOIN units u ON u.id = a.unit_id \
         WHERE ($1 IS NULL OR a.actor = $1) AND ($2 IS NULL OR a.action = $2) \
         AND ($3 IS NULL OR LOWER(a.target) LIKE $3 ESCAPE '\\') AND a.at >= $4 AND a.at < $5 \
         AND (CASE WHEN u.path IS NULL THEN $8 = 1 ELSE substr(u.path, 1, length($7)) = $7 END) \
         AND ($9 = '' OR substr(u.path, 1, length($9)) = $9) \
         ORDER BY a.seq DESC LIMIT $6",
    )
    .bind(filter.actor.clone())
    .bind(filter.action.map(|a| a.code().to_owned()))
    .bind(pattern)
    .bind(filter.since.map_or(i64::MIN, day_start))
    .bind(filter.until.map_or(i64::MAX, |d| day_start(d.add_days(1))))
    .bind(filter.limit)
    .bind(under)
    .bind(whole_tree)
    .bind(unit_path.map_or(String::new(), |p| p.as_str().to_owned()))
    .fetch_all(&mut *conn)
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
                unit: r.try_get(6)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    entries.reverse();
    Ok(entries)
}

/// The filters of `hosync audit` and of `GET /api/v1/audit`, as typed.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Who acted: a staff login, a device, `cli`.
    pub actor: Option<String>,
    /// One action's code (`GET /api/v1/audit/actions` lists them).
    pub action: Option<String>,
    /// Part of what the action was about.
    pub target_contains: Option<String>,
    /// From this day (yyyy-mm-dd), Vietnam time.
    pub since: Option<String>,
    /// To this day (yyyy-mm-dd), included.
    pub until: Option<String>,
    /// Entries about this unit or units under it.
    pub unit: Option<String>,
    /// How many entries at most, the newest.
    pub limit: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_as_typed() {
        assert_eq!(vi_time(0), "01/01/1970 07:00");
        let raw = |actor: &str, target: &str, since: &str, until: &str, limit: Option<i64>| {
            let given = |v: &str| (!v.is_empty()).then(|| v.to_owned());
            AuditQuery {
                actor: given(actor),
                target_contains: given(target),
                since: given(since),
                until: given(until),
                limit,
                ..AuditQuery::default()
            }
        };
        let f = AuditFilter::parse(&raw("lan", " ", "2026-11-01", "", None)).expect("filter");
        assert_eq!(f.actor.as_deref(), Some("user:lan"));
        assert_eq!(f.target_contains, None);
        assert_eq!(f.limit, DEFAULT_LIMIT);
        assert_eq!(
            vi_time(day_start(f.since.expect("since"))),
            "01/11/2026 00:00"
        );
        let cli = AuditFilter::parse(&raw("cli", "", "", "", None)).expect("filter");
        assert_eq!(cli.actor.as_deref(), Some("cli"));
        assert!(AuditFilter::parse(&raw("", "", "2026-11-02", "2026-11-01", None)).is_err());
        assert!(AuditFilter::parse(&raw("", "", "", "", Some(0))).is_err());
        assert!(AuditScope::of(&UnitPath::parse("/d/").expect("path")).whole_tree);
        assert!(!AuditScope::of(&UnitPath::parse("/d/x1/").expect("path")).whole_tree);
    }
}
