//! The district staff views: the overview of a unit for a month, the tables behind it (each also
//! a CSV or XLSX download), and search. Everything here reads the projections, never the
//! documents, and counts by the rules in `hosync_core::oversight`, so the screen, the
//! spreadsheet and the printout agree.
//!
//! A unit's cells are found by path prefix, and each query groups by cell; sums for communes and
//! the district are added up here from the cells' rows.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use hosync_core::access::{StaffAction, UnitPath};
use hosync_core::domain::{fold_for_search, given_name};
use hosync_core::oversight::{self, FlagAge};
use hosync_core::{Day, FlagStatus, MemberStatus, Month, Rating, UnitId, UnitKind};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool, Row};

use crate::AppState;
use crate::audit;
use crate::auth::StaffSession;
use crate::error::ApiError;
use crate::export::{self, Cell, Column, Format, Table, TableRow};

/// A unit as the views name it.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRef {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub level_label: String,
}

/// A unit looked at, with where it sits in the tree.
#[derive(Debug, Clone)]
pub struct Place {
    pub unit: UnitRef,
    pub path: UnitPath,
}

#[derive(Debug, Default, Deserialize)]
pub struct ViewQuery {
    /// The unit to look at; the session's scope when absent.
    pub unit: Option<String>,
    /// yyyy-mm; this month when absent.
    pub month: Option<String>,
    /// For the `history` table.
    pub household: Option<String>,
    /// `csv` or `xlsx` to download the table; JSON when absent.
    pub format: Option<String>,
}

const CELL_KINDS: &str = "('cell', 'grassroots_cell')";

fn unit_ref(row: &sqlx::any::AnyRow) -> Result<UnitRef, sqlx::Error> {
    Ok(UnitRef {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        level_label: row.try_get("level_label")?,
    })
}

/// The unit a request names (the session's scope by default), if the session may see it.
pub async fn place(
    conn: &mut AnyConnection,
    session: &StaffSession,
    unit: Option<&str>,
) -> Result<Place, ApiError> {
    let id = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(raw) => UnitId::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))?,
        None => session.principal.scope.unit().ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("the session's scope names no unit"))
        })?,
    };
    let what = format!("unit {id}");
    let row = sqlx::query("SELECT id, name, kind, level_label, path FROM units WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::unseen(&what))?;
    let path = UnitPath::parse(&row.try_get::<String, _>("path")?)
        .map_err(|e| ApiError::Internal(e.into()))?;
    session
        .principal
        .may(StaffAction::ViewHouseholds, &path)
        .map_err(|d| ApiError::denied(d, &what))?;
    Ok(Place {
        unit: unit_ref(&row)?,
        path,
    })
}

/// The units from the session's scope down to `place`, for a breadcrumb.
pub async fn breadcrumb(
    conn: &mut AnyConnection,
    session: &StaffSession,
    place: &Place,
) -> Result<Vec<UnitRef>, ApiError> {
    let scope_depth = session.principal.scope.as_str().matches('/').count();
    let ids: Vec<&str> = place
        .path
        .as_str()
        .trim_matches('/')
        .split('/')
        .skip(scope_depth.saturating_sub(2))
        .collect();
    let mut crumbs = Vec::with_capacity(ids.len());
    for id in ids {
        let row = sqlx::query("SELECT id, name, kind, level_label FROM units WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        crumbs.push(unit_ref(&row)?);
    }
    Ok(crumbs)
}

fn month_of(state: &AppState, raw: Option<&str>) -> Result<Month, ApiError> {
    match raw.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Month::parse(m).map_err(|e| ApiError::BadRequest(e.to_string())),
        None => Ok(Day::from_timestamp(state.now()).month()),
    }
}

/// The day counts are made on: today for this month, the month's last day for a past one.
fn as_of(state: &AppState, month: Month) -> Day {
    Day::from_timestamp(state.now()).min(month.last_day())
}

/// The unit's children (not villages), and every cell under it with the index of the child it
/// falls under (`None` when the unit looked at is the cell itself).
async fn tree(
    conn: &mut AnyConnection,
    place: &Place,
) -> Result<(Vec<UnitRef>, BTreeMap<String, Option<usize>>), ApiError> {
    let children_rows = sqlx::query(
        "SELECT id, name, kind, level_label, path FROM units WHERE parent_id = $1 AND kind <> 'village' ORDER BY id",
    )
    .bind(place.unit.id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut children = Vec::with_capacity(children_rows.len());
    let mut child_paths = Vec::with_capacity(children_rows.len());
    for r in &children_rows {
        children.push(unit_ref(r)?);
        child_paths.push(r.try_get::<String, _>("path")?);
    }
    let cell_rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, path FROM units WHERE kind IN {CELL_KINDS} AND SUBSTR(path, 1, LENGTH($1)) = $1"
    )))
    .bind(place.path.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut cells = BTreeMap::new();
    for r in cell_rows {
        let path: String = r.try_get("path")?;
        let child = child_paths
            .iter()
            .position(|p| path.starts_with(p.as_str()));
        cells.insert(r.try_get("id")?, child);
    }
    Ok((children, cells))
}

/// The cells under a path, as SQL to put after `cell_id IN`.
fn cells_under(param: &str) -> String {
    format!(
        "(SELECT id FROM units WHERE kind IN {CELL_KINDS} AND SUBSTR(path, 1, LENGTH({param})) = {param})"
    )
}

/// A query's rows of a key (a cell, a month) and a count.
async fn counts(
    pool: &AnyPool,
    sql: String,
    binds: Vec<&str>,
) -> Result<HashMap<String, i64>, ApiError> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ApiError::from)
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Coverage {
    pub households: i64,
    pub assigned: i64,
    pub visited: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChildRow {
    #[serde(flatten)]
    pub unit: UnitRef,
    #[serde(flatten)]
    pub coverage: Coverage,
    pub open_flags: i64,
    pub missing_reports: i64,
    pub members: i64,
}

/// One month of the trend: households visited that month, over the households assigned now
/// (past assignments are not kept month by month).
#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    pub month: String,
    pub assigned: i64,
    pub visited: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gaps {
    pub unassigned: i64,
    pub not_visited: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlagAgeCount {
    pub label: &'static str,
    pub open: i64,
    pub escalated: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Flags {
    pub open: i64,
    pub escalated: i64,
    pub by_age: Vec<FlagAgeCount>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Reports {
    pub due: i64,
    pub submitted: i64,
    pub missing: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Level {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct RatingMatrix {
    pub levels: Vec<Level>,
    /// `counts[self][cell]`; the last row counts reports without a self-rating and the last
    /// column reports the cell has not rated yet.
    pub counts: Vec<Vec<i64>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MemberCounts {
    pub total: i64,
    pub active: i64,
    pub working_away: i64,
    pub exempt: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub unit: UnitRef,
    pub breadcrumb: Vec<UnitRef>,
    pub month: String,
    pub today: String,
    pub coverage: Coverage,
    pub children: Vec<ChildRow>,
    pub trend: Vec<TrendPoint>,
    pub gaps: Gaps,
    pub idle_members: i64,
    pub flags: Flags,
    pub reports: Reports,
    pub ratings: RatingMatrix,
    pub members: MemberCounts,
}

const RATINGS: [Rating; 4] = [
    Rating::Excellent,
    Rating::Good,
    Rating::Completed,
    Rating::NotCompleted,
];

fn rating_index(code: &str) -> usize {
    Rating::parse(code)
        .ok()
        .and_then(|r| RATINGS.iter().position(|x| *x == r))
        .unwrap_or(RATINGS.len())
}

/// One member of a cell with their report for the month.
#[derive(Debug)]
struct MemberReport {
    member_id: String,
    name: String,
    cell_id: String,
    status: MemberStatus,
    has_household: bool,
    /// The report's day of hand-in; `None` when not handed in.
    submitted_on: Option<Day>,
    drafted: bool,
    self_rating: String,
    cell_rating: String,
}

impl MemberReport {
    fn owes_report(&self) -> bool {
        oversight::owes_monthly_report(&self.status)
    }

    fn missing(&self) -> bool {
        self.owes_report() && self.submitted_on.is_none()
    }
}

async fn member_reports(
    conn: &mut AnyConnection,
    path: &UnitPath,
    month: Month,
) -> Result<Vec<MemberReport>, ApiError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT r.member_id, r.name, r.cell_id, r.status, r.status_detail, \
         CASE WHEN EXISTS (SELECT 1 FROM assignment_view a WHERE a.member_id = r.member_id) THEN 1 ELSE 0 END, \
         rep.submitted_on, rep.self_rating, rep.cell_rating \
         FROM roster_view r LEFT JOIN report_view rep ON rep.member_id = r.member_id AND rep.month = $2 \
         WHERE r.cell_id IN {}",
        cells_under("$1")
    )))
    .bind(path.as_str())
    .bind(month.iso())
    .fetch_all(&mut *conn)
    .await?;
    let mut members = Vec::with_capacity(rows.len());
    for r in rows {
        let submitted: Option<String> = r.try_get(6)?;
        let status = MemberStatus::parse(&r.try_get::<String, _>(3)?, &r.try_get::<String, _>(4)?)
            .map_err(|e| ApiError::Internal(e.into()))?;
        members.push(MemberReport {
            member_id: r.try_get(0)?,
            name: r.try_get(1)?,
            cell_id: r.try_get(2)?,
            status,
            has_household: r.try_get::<i64, _>(5)? != 0,
            submitted_on: submitted
                .as_deref()
                .filter(|s| !s.is_empty())
                .and_then(|s| Day::parse(s).ok()),
            drafted: submitted.is_some(),
            self_rating: r.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
            cell_rating: r.try_get::<Option<String>, _>(8)?.unwrap_or_default(),
        });
    }
    Ok(members)
}

/// Open flags counted per cell, escalated or not, and age bracket (counted in the database:
/// a district has thousands).
#[derive(Debug)]
struct FlagCount {
    cell_id: String,
    escalated: bool,
    age: FlagAge,
    count: i64,
}

async fn open_flag_counts(
    pool: &AnyPool,
    path: &UnitPath,
    today: Day,
) -> Result<Vec<FlagCount>, ApiError> {
    let [week, month, quarter] = FlagAge::earliest_raised_on(today).map(|d| d.iso());
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT cell_id, CASE WHEN status = $2 THEN 1 ELSE 0 END, \
         CASE WHEN raised_on >= $3 THEN 0 WHEN raised_on >= $4 THEN 1 WHEN raised_on >= $5 THEN 2 ELSE 3 END, COUNT(*) \
         FROM flag_view WHERE status <> $6 AND cell_id IN {} GROUP BY 1, 2, 3",
        cells_under("$1")
    )))
    .bind(path.as_str())
    .bind(FlagStatus::Escalated.code())
    .bind(week)
    .bind(month)
    .bind(quarter)
    .bind(FlagStatus::Resolved.code())
    .fetch_all(pool)
    .await?;
    let mut counts = Vec::with_capacity(rows.len());
    for r in rows {
        let bracket: i64 = r.try_get(2)?;
        counts.push(FlagCount {
            cell_id: r.try_get(0)?,
            escalated: r.try_get::<i64, _>(1)? != 0,
            age: FlagAge::ALL[usize::try_from(bracket).unwrap_or(3).min(3)],
            count: r.try_get(3)?,
        });
    }
    Ok(counts)
}

/// Members counted per cell by status, whether they hold a household, and their report for the
/// month (counted in the database, as for flags).
#[derive(Debug)]
struct MemberCount {
    cell_id: String,
    status: MemberStatus,
    has_household: bool,
    report: ReportState,
    self_rating: String,
    cell_rating: String,
    count: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReportState {
    None,
    Draft,
    Submitted,
}

async fn member_counts(
    pool: &AnyPool,
    path: &UnitPath,
    month: Month,
) -> Result<Vec<MemberCount>, ApiError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT r.cell_id, r.status, \
         CASE WHEN EXISTS (SELECT 1 FROM assignment_view a WHERE a.member_id = r.member_id) THEN 1 ELSE 0 END, \
         CASE WHEN rep.submitted_on IS NULL THEN 0 WHEN rep.submitted_on = '' THEN 1 ELSE 2 END, \
         COALESCE(rep.self_rating, ''), COALESCE(rep.cell_rating, ''), COUNT(*) \
         FROM roster_view r LEFT JOIN report_view rep ON rep.member_id = r.member_id AND rep.month = $2 \
         WHERE r.cell_id IN {} GROUP BY 1, 2, 3, 4, 5, 6",
        cells_under("$1")
    )))
    .bind(path.as_str())
    .bind(month.iso())
    .fetch_all(pool)
    .await?;
    let mut counts = Vec::with_capacity(rows.len());
    for r in rows {
        counts.push(MemberCount {
            cell_id: r.try_get(0)?,
            status: MemberStatus::parse(&r.try_get::<String, _>(1)?, "")
                .map_err(|e| ApiError::Internal(e.into()))?,
            has_household: r.try_get::<i64, _>(2)? != 0,
            report: match r.try_get::<i64, _>(3)? {
                0 => ReportState::None,
                1 => ReportState::Draft,
                _ => ReportState::Submitted,
            },
            self_rating: r.try_get(4)?,
            cell_rating: r.try_get(5)?,
            count: r.try_get(6)?,
        });
    }
    Ok(counts)
}

/// Builds the overview; also what the `coverage` table and the benchmark read.
pub async fn build_overview(
    state: &AppState,
    session: &StaffSession,
    unit: Option<&str>,
    month: Option<&str>,
) -> Result<Overview, ApiError> {
    let month = month_of(state, month)?;
    let today = as_of(state, month);
    let mut conn = state.db.reader.acquire().await?;
    let place = place(&mut conn, session, unit).await?;
    let crumbs = breadcrumb(&mut conn, session, &place).await?;
    let (children, cells) = tree(&mut conn, &place).await?;
    let scope = place.path.as_str();
    let trend_months = oversight::trend_months(month);
    let (gap_from, gap_to) = oversight::gap_window(month);

    drop(conn);
    let this_month = month.iso();
    let (gap_from, gap_to) = (gap_from.iso(), gap_to.iso());
    let first_month = trend_months[0].iso();
    let pool = &state.db.reader;
    // Each count is one query on its own connection, run side by side: over a whole district
    // each scans thousands of rows, and PostgreSQL runs them on as many cores as it has.
    let (
        households,
        assigned,
        unassigned,
        not_visited,
        visited_by_cell,
        trend_visited,
        flags,
        members,
    ) = tokio::try_join!(
        counts(
            pool,
            format!(
                "SELECT cell_id, COUNT(*) FROM households WHERE cell_id IN {} GROUP BY cell_id",
                cells_under("$1")
            ),
            vec![scope],
        ),
        counts(
            pool,
            format!(
                "SELECT cell_id, COUNT(*) FROM assignment_view WHERE cell_id IN {} GROUP BY cell_id",
                cells_under("$1")
            ),
            vec![scope],
        ),
        counts(
            pool,
            format!(
                "SELECT h.cell_id, COUNT(*) FROM households h WHERE h.cell_id IN {} \
                 AND NOT EXISTS (SELECT 1 FROM assignment_view a WHERE a.household_id = h.id) GROUP BY h.cell_id",
                cells_under("$1")
            ),
            vec![scope],
        ),
        counts(
            pool,
            format!(
                "SELECT a.cell_id, COUNT(*) FROM assignment_view a WHERE a.cell_id IN {} \
                 AND NOT EXISTS (SELECT 1 FROM visit_view v WHERE v.household_id = a.household_id AND v.month >= $2 AND v.month <= $3) \
                 GROUP BY a.cell_id",
                cells_under("$1")
            ),
            vec![scope, &gap_from, &gap_to],
        ),
        // Coverage counts visits to households assigned now; the trend counts every household
        // visited each month (joining a year of visits to the assignments would double its
        // time, and a visited household is nearly always an assigned one).
        counts(
            pool,
            format!(
                "SELECT v.cell_id, COUNT(*) FROM visit_view v JOIN assignment_view a ON a.household_id = v.household_id \
                 WHERE v.cell_id IN {} AND v.month = $2 GROUP BY v.cell_id",
                cells_under("$1")
            ),
            vec![scope, &this_month],
        ),
        counts(
            pool,
            format!(
                "SELECT v.month, COUNT(*) FROM visit_view v WHERE v.cell_id IN {} AND v.month >= $2 AND v.month <= $3 \
                 GROUP BY v.month",
                cells_under("$1")
            ),
            vec![scope, &first_month, &this_month],
        ),
        open_flag_counts(pool, &place.path, today),
        member_counts(pool, &place.path, month),
    )?;

    let mut child_rows: Vec<ChildRow> = children
        .into_iter()
        .map(|unit| ChildRow {
            unit,
            coverage: Coverage::default(),
            open_flags: 0,
            missing_reports: 0,
            members: 0,
        })
        .collect();
    let mut total = Coverage::default();
    for (id, child) in &cells {
        let c = Coverage {
            households: households.get(id).copied().unwrap_or(0),
            assigned: assigned.get(id).copied().unwrap_or(0),
            visited: visited_by_cell.get(id).copied().unwrap_or(0),
        };
        total.households += c.households;
        total.assigned += c.assigned;
        total.visited += c.visited;
        if let Some(row) = child.and_then(|i| child_rows.get_mut(i)) {
            row.coverage.households += c.households;
            row.coverage.assigned += c.assigned;
            row.coverage.visited += c.visited;
        }
    }
    let child_of = |cell: &str| cells.get(cell).copied().flatten();

    let mut by_age: Vec<FlagAgeCount> = FlagAge::ALL
        .iter()
        .map(|a| FlagAgeCount {
            label: a.label_vi(),
            open: 0,
            escalated: 0,
        })
        .collect();
    let (mut open, mut escalated) = (0, 0);
    for f in &flags {
        let bracket = &mut by_age[f.age as usize];
        bracket.open += f.count;
        open += f.count;
        if f.escalated {
            bracket.escalated += f.count;
            escalated += f.count;
        }
        if let Some(row) = child_of(&f.cell_id).and_then(|i| child_rows.get_mut(i)) {
            row.open_flags += f.count;
        }
    }

    let mut reports = Reports::default();
    let mut member_counts = MemberCounts::default();
    let mut idle = 0;
    for m in &members {
        let n = m.count;
        member_counts.total += n;
        match m.status {
            MemberStatus::Active => member_counts.active += n,
            MemberStatus::WorkingAway { .. } => member_counts.working_away += n,
            MemberStatus::Exempt { .. } => member_counts.exempt += n,
        }
        if m.status == MemberStatus::Active && !m.has_household {
            idle += n;
        }
        let owes = oversight::owes_monthly_report(&m.status);
        let missing = owes && m.report != ReportState::Submitted;
        if owes {
            reports.due += n;
        }
        if m.report == ReportState::Submitted {
            reports.submitted += n;
        }
        if missing {
            reports.missing += n;
        }
        if let Some(row) = child_of(&m.cell_id).and_then(|i| child_rows.get_mut(i)) {
            row.members += n;
            if missing {
                row.missing_reports += n;
            }
        }
    }

    let total_assigned: i64 = assigned.values().sum();
    Ok(Overview {
        unit: place.unit,
        breadcrumb: crumbs,
        month: this_month,
        today: today.iso(),
        coverage: total,
        children: child_rows,
        trend: trend_months
            .iter()
            .map(|m| TrendPoint {
                month: m.iso(),
                assigned: total_assigned,
                visited: trend_visited.get(&m.iso()).copied().unwrap_or(0),
            })
            .collect(),
        gaps: Gaps {
            unassigned: unassigned.values().sum(),
            not_visited: not_visited.values().sum(),
        },
        idle_members: idle,
        flags: Flags {
            open,
            escalated,
            by_age,
        },
        reports,
        ratings: rating_matrix(&members),
        members: member_counts,
    })
}

/// Handed-in reports counted by self-rating against the cell's rating.
fn rating_matrix(members: &[MemberCount]) -> RatingMatrix {
    let mut counts = vec![vec![0i64; RATINGS.len() + 1]; RATINGS.len() + 1];
    for m in members
        .iter()
        .filter(|m| m.report == ReportState::Submitted)
    {
        counts[rating_index(&m.self_rating)][rating_index(&m.cell_rating)] += m.count;
    }
    RatingMatrix {
        levels: RATINGS
            .iter()
            .map(|r| Level {
                code: r.code(),
                label: r.label_vi(),
            })
            .collect(),
        counts,
    }
}

pub async fn overview(
    State(state): State<AppState>,
    session: StaffSession,
    Query(query): Query<ViewQuery>,
) -> Result<Json<Overview>, ApiError> {
    let overview = build_overview(
        &state,
        &session,
        query.unit.as_deref(),
        query.month.as_deref(),
    )
    .await?;
    Ok(Json(overview))
}

/// The tables the views show and export.
const TABLES: &[&str] = &[
    "coverage",
    "gaps",
    "idle_members",
    "flags",
    "reports",
    "missing_reports",
    "ratings",
    "away",
    "households",
    "history",
];

/// `GET /tables/{table}`: a table as JSON, or as a CSV or XLSX download; both are audited.
pub async fn table(
    State(state): State<AppState>,
    session: StaffSession,
    Path(name): Path<String>,
    Query(query): Query<ViewQuery>,
) -> Result<Response, ApiError> {
    let format = match query.format.as_deref().map(str::trim) {
        None | Some("" | "json") => None,
        Some(other) => Some(Format::parse(other).ok_or_else(|| {
            ApiError::BadRequest(format!("format {other:?} is not one of: json, csv, xlsx"))
        })?),
    };
    let table = build_table(&state, &session, &name, &query).await?;
    let target = table.unit.id.clone();
    let rows = table.rows.len();
    // The answer is made before the writer is taken, so rendering a spreadsheet never holds up
    // a sync; it is recorded before it leaves, so no view or export goes unrecorded.
    let (action, detail, response) = match format {
        None => (
            "view_table",
            format!("table={name} month={} rows={rows}", table.month),
            Json(table.to_json()).into_response(),
        ),
        Some(format) => {
            let path =
                UnitPath::parse(&table.unit_path).map_err(|e| ApiError::Internal(e.into()))?;
            session.principal.may(StaffAction::Export, &path)?;
            let file = export::render(&table, format).map_err(ApiError::Internal)?;
            (
                "export",
                format!(
                    "table={name} month={} format={} rows={rows}",
                    table.month,
                    format.extension()
                ),
                file.into_response(),
            )
        }
    };
    let unit = UnitId::parse(&table.unit.id).map_err(|e| ApiError::Internal(e.into()))?;
    let mut conn = state.db.writer.acquire().await?;
    audit::record(
        &mut conn,
        state.now(),
        &session.actor(),
        action,
        &target,
        &detail,
        Some(&unit),
    )
    .await?;
    Ok(response)
}

async fn build_table(
    state: &AppState,
    session: &StaffSession,
    name: &str,
    query: &ViewQuery,
) -> Result<Table, ApiError> {
    if !TABLES.contains(&name) {
        return Err(ApiError::NotFound(format!(
            "there is no table {name:?}; the tables are: {}",
            TABLES.join(", ")
        )));
    }
    let month = month_of(state, query.month.as_deref())?;
    if name == "history" {
        let household = query.household.as_deref().ok_or_else(|| {
            ApiError::BadRequest("the history table needs ?household=<household id>".into())
        })?;
        return crate::staff_api::history_table(state, session, household, month).await;
    }
    let today = as_of(state, month);
    let mut conn = state.db.reader.acquire().await?;
    let place = place(&mut conn, session, query.unit.as_deref()).await?;
    let mut table = Table::new(name, &place, month);
    let scope = place.path.as_str().to_owned();
    match name {
        "coverage" => {
            drop(conn);
            coverage_table(state, session, &place, month, &mut table).await?;
        }
        "gaps" => {
            let (from, to) = oversight::gap_window(month);
            table.title = format!(
                "Hộ chưa phân công hoặc chưa được thăm từ {} tháng trở lên",
                oversight::GAP_MONTHS
            );
            table.columns = vec![
                Column::text("household", "Mã hộ"),
                Column::text("head", "Chủ hộ"),
                Column::text("village", "Thôn, bản"),
                Column::text("cell", "Chi bộ"),
                Column::text("member", "Đảng viên phụ trách"),
                Column::date("last_visit", "Lần thăm gần nhất"),
                Column::text("reason", "Lý do"),
            ];
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT h.household_id, h.head, h.village, h.cell_id, u.name, r.name, h.last_visit, a.member_id \
                 FROM household_view h JOIN units u ON u.id = h.cell_id \
                 LEFT JOIN assignment_view a ON a.household_id = h.household_id \
                 LEFT JOIN roster_view r ON r.member_id = a.member_id \
                 WHERE h.cell_id IN {} AND (a.member_id IS NULL OR NOT EXISTS \
                   (SELECT 1 FROM visit_view v WHERE v.household_id = h.household_id AND v.month >= $2 AND v.month <= $3)) \
                 ORDER BY u.path, h.household_id",
                cells_under("$1")
            )))
            .bind(&scope)
            .bind(from.iso())
            .bind(to.iso())
            .fetch_all(&mut *conn)
            .await?;
            for r in rows {
                let assigned: Option<String> = r.try_get(7)?;
                let last = parse_day(r.try_get::<String, _>(6)?);
                let reason = if assigned.is_none() {
                    "Chưa phân công".to_owned()
                } else {
                    match last {
                        Some(day) => format!("Chưa thăm từ {}", day.month().vi()),
                        None => "Chưa thăm lần nào".to_owned(),
                    }
                };
                table.push(
                    TableRow::new(vec![
                        Cell::Text(r.try_get(0)?),
                        Cell::Text(r.try_get(1)?),
                        Cell::Text(r.try_get(2)?),
                        Cell::Text(r.try_get(4)?),
                        Cell::Text(r.try_get::<Option<String>, _>(5)?.unwrap_or_default()),
                        Cell::Date(last),
                        Cell::Text(reason),
                    ])
                    .household(r.try_get::<String, _>(0)?)
                    .unit(r.try_get::<String, _>(3)?),
                );
            }
        }
        "flags" => {
            table.title = "Kiến nghị chưa giải quyết".into();
            table.columns = vec![
                Column::text("household", "Mã hộ"),
                Column::text("head", "Chủ hộ"),
                Column::text("cell", "Chi bộ"),
                Column::text("text", "Nội dung kiến nghị"),
                Column::text("raised_by", "Người nêu"),
                Column::date("raised_on", "Ngày nêu"),
                Column::number("days_open", "Số ngày"),
                Column::text("status", "Trạng thái"),
            ];
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT f.household_id, h.head, f.cell_id, u.name, f.body, r.name, f.raised_by, f.raised_on, f.status \
                 FROM flag_view f JOIN household_view h ON h.household_id = f.household_id \
                 JOIN units u ON u.id = f.cell_id LEFT JOIN roster_view r ON r.member_id = f.raised_by \
                 WHERE f.status <> 'resolved' AND f.cell_id IN {}",
                cells_under("$1")
            )))
            .bind(&scope)
            .fetch_all(&mut *conn)
            .await?;
            let mut flags = Vec::with_capacity(rows.len());
            for r in rows {
                let status = FlagStatus::parse(&r.try_get::<String, _>(8)?)
                    .map_err(|e| ApiError::Internal(e.into()))?;
                let raised_on = parse_day(r.try_get::<String, _>(7)?);
                flags.push((status, raised_on, r));
            }
            // Escalated first, then the longest open.
            flags.sort_by_key(|(status, raised_on, _)| {
                (*status != FlagStatus::Escalated, *raised_on)
            });
            for (status, raised_on, r) in flags {
                let raiser: Option<String> = r.try_get(5)?;
                table.push(
                    TableRow::new(vec![
                        Cell::Text(r.try_get(0)?),
                        Cell::Text(r.try_get(1)?),
                        Cell::Text(r.try_get(3)?),
                        Cell::Text(r.try_get(4)?),
                        Cell::Text(raiser.unwrap_or(r.try_get(6)?)),
                        Cell::Date(raised_on),
                        Cell::Number(raised_on.map_or(0, |d| d.days_until(today).max(0))),
                        Cell::Text(status.label_vi().to_owned()),
                    ])
                    .household(r.try_get::<String, _>(0)?)
                    .unit(r.try_get::<String, _>(2)?),
                );
            }
        }
        "idle_members" | "reports" | "missing_reports" | "away" => {
            let mut members = member_reports(&mut conn, &place.path, month).await?;
            let cell_names = cell_names(&mut conn, &scope).await?;
            drop(conn);
            members.sort_by_cached_key(|m| {
                (
                    cell_names.get(&m.cell_id).map(|(_, path)| path.clone()),
                    fold_for_search(given_name(&m.name)),
                    fold_for_search(&m.name),
                )
            });
            let cell_name = |m: &MemberReport| {
                cell_names
                    .get(&m.cell_id)
                    .map(|(name, _)| name.clone())
                    .unwrap_or_default()
            };
            match name {
                "idle_members" => {
                    table.title = "Đảng viên chưa được phân công phụ trách hộ".into();
                    table.columns = vec![
                        Column::text("member", "Đảng viên"),
                        Column::text("cell", "Chi bộ"),
                    ];
                    for m in members
                        .iter()
                        .filter(|m| m.status == MemberStatus::Active && !m.has_household)
                    {
                        table.push(
                            TableRow::new(vec![
                                Cell::Text(m.name.clone()),
                                Cell::Text(cell_name(m)),
                            ])
                            .unit(m.cell_id.clone()),
                        );
                    }
                }
                "away" => {
                    table.title = "Đảng viên đi làm ăn xa, miễn sinh hoạt".into();
                    table.columns = vec![
                        Column::text("member", "Đảng viên"),
                        Column::text("cell", "Chi bộ"),
                        Column::text("status", "Tình trạng"),
                        Column::text("detail", "Nơi làm việc, lý do"),
                    ];
                    for m in members.iter().filter(|m| m.status != MemberStatus::Active) {
                        table.push(
                            TableRow::new(vec![
                                Cell::Text(m.name.clone()),
                                Cell::Text(cell_name(m)),
                                Cell::Text(m.status.label_vi().to_owned()),
                                Cell::Text(m.status.detail().to_owned()),
                            ])
                            .unit(m.cell_id.clone()),
                        );
                    }
                }
                _ => {
                    let only_missing = name == "missing_reports";
                    table.title = if only_missing {
                        format!("Báo cáo còn thiếu {}", month.vi())
                    } else {
                        format!("Báo cáo {}", month.vi())
                    };
                    table.columns = vec![
                        Column::text("member", "Đảng viên"),
                        Column::text("cell", "Chi bộ"),
                        Column::text("status", "Tình trạng báo cáo"),
                        Column::date("submitted_on", "Ngày nộp"),
                        Column::text("self_rating", "Tự nhận xếp loại"),
                        Column::text("cell_rating", "Chi bộ xếp loại"),
                    ];
                    for m in members.iter().filter(|m| !only_missing || m.missing()) {
                        let status = if !m.owes_report() {
                            "Miễn (miễn sinh hoạt)"
                        } else if m.submitted_on.is_some() {
                            "Đã nộp"
                        } else if m.drafted {
                            "Chưa nộp (đang soạn)"
                        } else {
                            "Chưa nộp"
                        };
                        table.push(
                            TableRow::new(vec![
                                Cell::Text(m.name.clone()),
                                Cell::Text(cell_name(m)),
                                Cell::Text(status.to_owned()),
                                Cell::Date(m.submitted_on),
                                Cell::Text(rating_label(&m.self_rating)),
                                Cell::Text(rating_label(&m.cell_rating)),
                            ])
                            .unit(m.cell_id.clone())
                            .member(m.member_id.clone()),
                        );
                    }
                }
            }
        }
        "ratings" => {
            drop(conn);
            let ratings =
                rating_matrix(&member_counts(&state.db.reader, &place.path, month).await?);
            table.title = format!("Tự nhận xếp loại và chi bộ xếp loại, {}", month.vi());
            table.columns = vec![Column::text(
                "self_rating",
                "Tự nhận xếp loại \\ Chi bộ xếp loại",
            )];
            const CELL_KEYS: [&str; 5] =
                ["excellent", "good", "completed", "not_completed", "unrated"];
            for (i, level) in ratings.levels.iter().enumerate() {
                table
                    .columns
                    .push(Column::number(CELL_KEYS[i], level.label));
            }
            table
                .columns
                .push(Column::number(CELL_KEYS[4], "Chi bộ chưa xếp loại"));
            for (i, counts) in ratings.counts.iter().enumerate() {
                let label = ratings
                    .levels
                    .get(i)
                    .map_or("Chưa tự nhận xếp loại", |l| l.label);
                let mut cells = vec![Cell::Text(label.to_owned())];
                cells.extend(counts.iter().map(|n| Cell::Number(*n)));
                table.push(TableRow::new(cells));
            }
        }
        "households" => {
            table.title = format!("Các hộ, {}", month.vi());
            table.columns = vec![
                Column::text("household", "Mã hộ"),
                Column::text("head", "Chủ hộ"),
                Column::text("village", "Thôn, bản"),
                Column::number("people", "Nhân khẩu"),
                Column::text("cell", "Chi bộ"),
                Column::text("member", "Đảng viên phụ trách"),
                Column::date("last_visit", "Lần thăm gần nhất"),
                Column::text("visited", "Đã thăm trong tháng"),
                Column::number("open_flags", "Kiến nghị chưa giải quyết"),
            ];
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT h.household_id, h.head, h.village, h.people, h.cell_id, u.name, r.name, h.last_visit, \
                 CASE WHEN EXISTS (SELECT 1 FROM visit_view v WHERE v.household_id = h.household_id AND v.month = $2) THEN 1 ELSE 0 END, \
                 h.open_flags \
                 FROM household_view h JOIN units u ON u.id = h.cell_id \
                 LEFT JOIN assignment_view a ON a.household_id = h.household_id \
                 LEFT JOIN roster_view r ON r.member_id = a.member_id \
                 WHERE h.cell_id IN {} ORDER BY u.path, h.household_id",
                cells_under("$1")
            )))
            .bind(&scope)
            .bind(month.iso())
            .fetch_all(&mut *conn)
            .await?;
            for r in rows {
                table.push(
                    TableRow::new(vec![
                        Cell::Text(r.try_get(0)?),
                        Cell::Text(r.try_get(1)?),
                        Cell::Text(r.try_get(2)?),
                        Cell::Number(r.try_get(3)?),
                        Cell::Text(r.try_get(5)?),
                        Cell::Text(r.try_get::<Option<String>, _>(6)?.unwrap_or_default()),
                        Cell::Date(parse_day(r.try_get::<String, _>(7)?)),
                        Cell::Text(
                            if r.try_get::<i64, _>(8)? != 0 {
                                "Đã thăm"
                            } else {
                                "Chưa thăm"
                            }
                            .to_owned(),
                        ),
                        Cell::Number(r.try_get(9)?),
                    ])
                    .household(r.try_get::<String, _>(0)?)
                    .unit(r.try_get::<String, _>(4)?),
                );
            }
        }
        _ => unreachable!("checked against TABLES above"),
    }
    Ok(table)
}

/// Coverage per child unit, or per member for a cell.
async fn coverage_table(
    state: &AppState,
    session: &StaffSession,
    place: &Place,
    month: Month,
    table: &mut Table,
) -> Result<(), ApiError> {
    table.title = format!("Tỷ lệ hộ được thăm {}", month.vi());
    let is_cell = UnitKind::parse(&place.unit.kind).is_ok_and(UnitKind::holds_members);
    let first = if is_cell {
        Column::text("member", "Đảng viên")
    } else {
        Column::text("unit", "Đơn vị")
    };
    table.columns = vec![
        first,
        Column::number("households", "Số hộ"),
        Column::number("assigned", "Số hộ được phân công"),
        Column::number("visited", "Số hộ đã thăm trong tháng"),
        Column::percent("coverage", "Tỷ lệ hộ được thăm"),
    ];
    let share = |c: &Coverage| (c.assigned > 0).then(|| c.visited as f64 / c.assigned as f64);
    if is_cell {
        let mut conn = state.db.reader.acquire().await?;
        let rows = sqlx::query(
            "SELECT r.member_id, r.name, COUNT(a.household_id), \
             COUNT(CASE WHEN EXISTS (SELECT 1 FROM visit_view v WHERE v.household_id = a.household_id AND v.month = $2) THEN 1 END) \
             FROM roster_view r LEFT JOIN assignment_view a ON a.member_id = r.member_id \
             WHERE r.cell_id = $1 GROUP BY r.member_id, r.name",
        )
        .bind(place.unit.id.as_str())
        .bind(month.iso())
        .fetch_all(&mut *conn)
        .await?;
        let mut members = Vec::with_capacity(rows.len());
        for r in rows {
            let name: String = r.try_get(1)?;
            let c = Coverage {
                households: r.try_get(2)?,
                assigned: r.try_get(2)?,
                visited: r.try_get(3)?,
            };
            members.push((name, r.try_get::<String, _>(0)?, c));
        }
        members.sort_by_cached_key(|(name, _, _)| {
            (fold_for_search(given_name(name)), fold_for_search(name))
        });
        for (name, id, c) in members {
            table.push(
                TableRow::new(vec![
                    Cell::Text(name),
                    Cell::Number(c.households),
                    Cell::Number(c.assigned),
                    Cell::Number(c.visited),
                    Cell::Percent(share(&c)),
                ])
                .member(id)
                .unit(place.unit.id.clone()),
            );
        }
        return Ok(());
    }
    let overview = build_overview(state, session, Some(&place.unit.id), Some(&month.iso())).await?;
    for child in &overview.children {
        table.push(
            TableRow::new(vec![
                Cell::Text(child.unit.name.clone()),
                Cell::Number(child.coverage.households),
                Cell::Number(child.coverage.assigned),
                Cell::Number(child.coverage.visited),
                Cell::Percent(share(&child.coverage)),
            ])
            .unit(child.unit.id.clone()),
        );
    }
    let total = overview.coverage;
    table.push(TableRow::new(vec![
        Cell::Text(format!("Cộng: {}", overview.unit.name)),
        Cell::Number(total.households),
        Cell::Number(total.assigned),
        Cell::Number(total.visited),
        Cell::Percent(share(&total)),
    ]));
    Ok(())
}

fn parse_day(raw: String) -> Option<Day> {
    Day::parse(&raw).ok()
}

fn rating_label(code: &str) -> String {
    Rating::parse(code)
        .map(|r| r.label_vi().to_owned())
        .unwrap_or_default()
}

/// Each cell's name and path under a scope path.
async fn cell_names(
    conn: &mut AnyConnection,
    scope: &str,
) -> Result<HashMap<String, (String, String)>, ApiError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, path FROM units WHERE kind IN {CELL_KINDS} AND SUBSTR(path, 1, LENGTH($1)) = $1"
    )))
    .bind(scope)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ApiError::from)
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    pub q: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HouseholdHit {
    pub id: String,
    pub head: String,
    pub village: String,
    pub cell: UnitRef,
}

#[derive(Debug, Serialize)]
pub struct MemberHit {
    pub id: String,
    pub name: String,
    pub status: String,
    pub status_label: String,
    pub cell: UnitRef,
}

#[derive(Debug, Serialize)]
pub struct SearchResults {
    pub households: Vec<HouseholdHit>,
    pub members: Vec<MemberHit>,
}

/// The most hits of each kind a search answers.
const MAX_HITS: usize = 50;

/// `GET /search?q=`: households (by head or id) and members (by name) in the session's scope,
/// with or without diacritics.
/// The longest search: a full name with room to spare.
const MAX_QUERY_CHARS: usize = 100;

pub async fn search(
    State(state): State<AppState>,
    session: StaffSession,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    let raw = query.q.unwrap_or_default();
    if raw.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "a search has at most {MAX_QUERY_CHARS} characters; type part of a name"
        )));
    }
    let wanted = fold_for_search(raw.trim());
    let wanted = wanted.split_whitespace().collect::<Vec<_>>().join(" ");
    if wanted.chars().count() < 2 {
        return Err(ApiError::BadRequest(
            "type at least two letters of a name to search for".into(),
        ));
    }
    let mut conn = state.db.reader.acquire().await?;
    let place = place(&mut conn, &session, None).await?;
    let scope = place.path.as_str();
    let cell_of = |r: &sqlx::any::AnyRow| -> Result<UnitRef, sqlx::Error> {
        Ok(UnitRef {
            id: r.try_get("cell_id")?,
            name: r.try_get("cell_name")?,
            kind: r.try_get("cell_kind")?,
            level_label: r.try_get("cell_level")?,
        })
    };
    let matches = |text: &str| {
        fold_for_search(text)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(&wanted)
    };
    // Names are folded here rather than in SQL: neither database folds Vietnamese diacritics,
    // and a district's few thousand names fold in a few milliseconds.
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT h.household_id AS id, h.head AS head, h.village AS village, u.id AS cell_id, u.name AS cell_name, \
         u.kind AS cell_kind, u.level_label AS cell_level FROM household_view h JOIN units u ON u.id = h.cell_id \
         WHERE h.cell_id IN {}",
        cells_under("$1")
    )))
    .bind(scope)
    .fetch_all(&mut *conn)
    .await?;
    let mut households = Vec::new();
    for r in &rows {
        let head: String = r.try_get("head")?;
        let id: String = r.try_get("id")?;
        if matches(&head) || id.contains(&wanted) {
            households.push(HouseholdHit {
                id,
                head,
                village: r.try_get("village")?,
                cell: cell_of(r)?,
            });
        }
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT r.member_id AS id, r.name AS name, r.status AS status, r.status_detail AS detail, u.id AS cell_id, \
         u.name AS cell_name, u.kind AS cell_kind, u.level_label AS cell_level \
         FROM roster_view r JOIN units u ON u.id = r.cell_id WHERE r.cell_id IN {}",
        cells_under("$1")
    )))
    .bind(scope)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let mut members = Vec::new();
    for r in &rows {
        let name: String = r.try_get("name")?;
        if matches(&name) {
            let status = MemberStatus::parse(
                &r.try_get::<String, _>("status")?,
                &r.try_get::<String, _>("detail")?,
            )
            .map_err(|e| ApiError::Internal(e.into()))?;
            members.push(MemberHit {
                id: r.try_get("id")?,
                name,
                status: status.code().to_owned(),
                status_label: status.label_vi().to_owned(),
                cell: cell_of(r)?,
            });
        }
    }
    let by_name = |name: &str| (fold_for_search(given_name(name)), fold_for_search(name));
    households.sort_by_cached_key(|h| (by_name(&h.head), h.id.clone()));
    households.truncate(MAX_HITS);
    members.sort_by_cached_key(|m| (by_name(&m.name), m.id.clone()));
    members.truncate(MAX_HITS);
    let mut conn = state.db.writer.acquire().await?;
    audit::record(
        &mut conn,
        state.now(),
        &session.actor(),
        "search",
        &place.unit.id,
        &format!(
            "q={raw:?} households={} members={}",
            households.len(),
            members.len()
        ),
        UnitId::parse(&place.unit.id).ok().as_ref(),
    )
    .await?;
    Ok(Json(SearchResults {
        households,
        members,
    }))
}
