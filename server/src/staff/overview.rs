//! The overview of a unit for a month: coverage per child and a 12-month trend, gaps, idle
//! members, open flags by age, missing reports, ratings and members away. Everything is read
//! from the projections and counted by the rules in `hosync_core::oversight`; each query groups
//! by cell, and communes and the district are added up here from their cells' rows.

use super::places::{
    Place, UnitRef, ViewQuery, as_of, breadcrumb, cells_under, month_of, place, unit_ref,
};
use crate::AppState;
use crate::access::sessions::StaffSession;
use crate::error::{ApiError, current_lang};
use crate::openapi::{Forbidden, NotFound};
use axum::Json;
use axum::extract::{Query, State};
use hosync_core::access::UnitPath;
use hosync_core::docs::report::ReportState;
use hosync_core::oversight::{self, FlagAge};
use hosync_core::{Day, FlagStatus, MemberStatus, Month, Rating};
use serde::Serialize;
use sqlx::{AnyConnection, AnyPool, Row};
use std::collections::{BTreeMap, HashMap};

/// The unit's children (not villages), and every cell under it with the index of the child it
/// falls under (`None` when the unit looked at is the cell itself).
pub(super) async fn tree(
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
        "SELECT id, path FROM units WHERE kind IN {} AND SUBSTR(path, 1, LENGTH($1)) = $1",
        crate::storage::tree::cell_kinds()
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

/// A query's rows of a key (a cell, a month) and a count.
pub(super) async fn counts(
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

/// Households each cell under `scope` looks after (closed ones, moved away or merged, are kept
/// but no longer counted).
pub(super) async fn households_by_cell(
    pool: &AnyPool,
    scope: &UnitPath,
) -> Result<HashMap<String, i64>, ApiError> {
    counts(
        pool,
        format!(
            "SELECT cell_id, COUNT(*) FROM households WHERE cell_id IN {} AND closed_on IS NULL GROUP BY cell_id",
            cells_under("$1")
        ),
        vec![scope.as_str()],
    )
    .await
}

/// Households assigned to a member now, per cell under `scope`.
pub(super) async fn assigned_by_cell(
    pool: &AnyPool,
    scope: &UnitPath,
) -> Result<HashMap<String, i64>, ApiError> {
    counts(
        pool,
        format!(
            "SELECT cell_id, COUNT(*) FROM assignment_view WHERE cell_id IN {} GROUP BY cell_id",
            cells_under("$1")
        ),
        vec![scope.as_str()],
    )
    .await
}

/// Households assigned now and visited in `month`, per cell under `scope`: the one count of
/// "visited this month" that the overview, its coverage table and the summary all show. A
/// visit is a month `visit_view` holds for the household, which the projection takes from
/// core (`Household::visited_months`, the same rule as `visited_in` on the phone).
pub(super) async fn visited_by_cell(
    pool: &AnyPool,
    scope: &UnitPath,
    month: Month,
) -> Result<HashMap<String, i64>, ApiError> {
    let month = month.iso();
    counts(
        pool,
        format!(
            "SELECT v.cell_id, COUNT(*) FROM visit_view v JOIN assignment_view a ON a.household_id = v.household_id \
             WHERE v.cell_id IN {} AND v.month = $2 GROUP BY v.cell_id",
            cells_under("$1")
        ),
        vec![scope.as_str(), &month],
    )
    .await
}

/// `IN (…)` with a placeholder for each open flag status from `$first` on, and the codes to
/// bind to them: which statuses are open is core's to say (`oversight::flag_is_open`).
pub(super) fn open_statuses(first: usize) -> (String, Vec<&'static str>) {
    let codes: Vec<&'static str> = oversight::open_flag_statuses()
        .into_iter()
        .map(FlagStatus::code)
        .collect();
    let placeholders: Vec<String> = (first..first + codes.len())
        .map(|i| format!("${i}"))
        .collect();
    (format!("IN ({})", placeholders.join(", ")), codes)
}

#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub households: i64,
    pub assigned: i64,
    pub visited: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    pub month: String,
    pub assigned: i64,
    pub visited: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Gaps {
    /// How many months without a visit make a gap (`oversight::GAP_MONTHS`), for the pages
    /// to print.
    pub months: u8,
    pub unassigned: i64,
    pub not_visited: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlagAgeCount {
    pub label: &'static str,
    pub open: i64,
    pub escalated: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Flags {
    pub open: i64,
    pub escalated: i64,
    pub by_age: Vec<FlagAgeCount>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Reports {
    pub due: i64,
    pub submitted: i64,
    pub missing: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Level {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RatingMatrix {
    pub levels: Vec<Level>,
    /// `counts[self][cell]`; the last row counts reports without a self-rating and the last
    /// column reports the cell has not rated yet.
    pub counts: Vec<Vec<i64>>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct MemberCounts {
    pub total: i64,
    pub active: i64,
    pub working_away: i64,
    pub exempt: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

pub(super) const RATINGS: [Rating; 4] = [
    Rating::Excellent,
    Rating::Good,
    Rating::Completed,
    Rating::NotCompleted,
];

pub(super) fn rating_index(code: &str) -> usize {
    Rating::parse(code)
        .ok()
        .and_then(|r| RATINGS.iter().position(|x| *x == r))
        .unwrap_or(RATINGS.len())
}

/// One member of a cell with their report for the month.
#[derive(Debug)]
pub(super) struct MemberReport {
    pub(super) member_id: String,
    pub(super) name: String,
    pub(super) cell_id: String,
    pub(super) status: MemberStatus,
    pub(super) has_household: bool,
    pub(super) report: ReportState,
    /// The report's day of hand-in; `None` when not handed in.
    pub(super) submitted_on: Option<Day>,
    pub(super) self_rating: String,
    pub(super) cell_rating: String,
}

impl MemberReport {
    pub(super) fn owes_report(&self) -> bool {
        oversight::owes_monthly_report(&self.status)
    }

    pub(super) fn missing(&self) -> bool {
        oversight::report_is_missing(&self.status, self.report)
    }
}

/// A report's state as projected; a member with no report for the month reads `Missing`.
fn report_state(code: &str) -> Result<ReportState, ApiError> {
    ReportState::parse(code).map_err(|e| ApiError::Internal(e.into()))
}

pub(super) async fn member_reports(
    conn: &mut AnyConnection,
    path: &UnitPath,
    month: Month,
) -> Result<Vec<MemberReport>, ApiError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT r.member_id, r.name, r.cell_id, r.status, r.status_detail, \
         CASE WHEN EXISTS (SELECT 1 FROM assignment_view a WHERE a.member_id = r.member_id) THEN 1 ELSE 0 END, \
         COALESCE(rep.state, $3), rep.submitted_on, rep.self_rating, rep.cell_rating \
         FROM roster_view r LEFT JOIN report_view rep ON rep.member_id = r.member_id AND rep.month = $2 \
         WHERE r.cell_id IN {}",
        cells_under("$1")
    )))
    .bind(path.as_str())
    .bind(month.iso())
    .bind(ReportState::Missing.code())
    .fetch_all(&mut *conn)
    .await?;
    let mut members = Vec::with_capacity(rows.len());
    for r in rows {
        let submitted: Option<String> = r.try_get(7)?;
        let status = MemberStatus::parse(&r.try_get::<String, _>(3)?, &r.try_get::<String, _>(4)?)
            .map_err(|e| ApiError::Internal(e.into()))?;
        members.push(MemberReport {
            member_id: r.try_get(0)?,
            name: r.try_get(1)?,
            cell_id: r.try_get(2)?,
            status,
            has_household: r.try_get::<i64, _>(5)? != 0,
            report: report_state(&r.try_get::<String, _>(6)?)?,
            submitted_on: submitted.as_deref().and_then(|s| Day::parse(s).ok()),
            self_rating: r.try_get::<Option<String>, _>(8)?.unwrap_or_default(),
            cell_rating: r.try_get::<Option<String>, _>(9)?.unwrap_or_default(),
        });
    }
    Ok(members)
}

/// Open flags counted per cell, status and age bracket (counted in the database: a district
/// has thousands).
#[derive(Debug)]
pub(super) struct FlagCount {
    pub(super) cell_id: String,
    pub(super) status: FlagStatus,
    pub(super) age: FlagAge,
    pub(super) count: i64,
}

pub(super) async fn open_flag_counts(
    pool: &AnyPool,
    path: &UnitPath,
    today: Day,
) -> Result<Vec<FlagCount>, ApiError> {
    let [week, month, quarter] = FlagAge::earliest_raised_on(today).map(|d| d.iso());
    let (open, open_codes) = open_statuses(5);
    let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT cell_id, status, \
         CASE WHEN raised_on >= $2 THEN 0 WHEN raised_on >= $3 THEN 1 WHEN raised_on >= $4 THEN 2 ELSE 3 END, COUNT(*) \
         FROM flag_view WHERE status {open} AND cell_id IN {} GROUP BY 1, 2, 3",
        cells_under("$1")
    )))
    .bind(path.as_str())
    .bind(week)
    .bind(month)
    .bind(quarter);
    for code in open_codes {
        query = query.bind(code);
    }
    let rows = query.fetch_all(pool).await?;
    let mut counts = Vec::with_capacity(rows.len());
    for r in rows {
        let bracket: i64 = r.try_get(2)?;
        counts.push(FlagCount {
            cell_id: r.try_get(0)?,
            status: FlagStatus::parse(&r.try_get::<String, _>(1)?)
                .map_err(|e| ApiError::Internal(e.into()))?,
            age: FlagAge::ALL[usize::try_from(bracket).unwrap_or(3).min(3)],
            count: r.try_get(3)?,
        });
    }
    Ok(counts)
}

/// Open flags per cell, added up from `open_flag_counts`.
pub(super) fn open_flags_by_cell(flags: &[FlagCount]) -> HashMap<String, i64> {
    let mut by_cell = HashMap::new();
    for f in flags {
        *by_cell.entry(f.cell_id.clone()).or_insert(0) += f.count;
    }
    by_cell
}

/// Members counted per cell by status, whether they hold a household, and their report for the
/// month (counted in the database, as for flags).
#[derive(Debug)]
pub(super) struct MemberCount {
    pub(super) cell_id: String,
    pub(super) status: MemberStatus,
    pub(super) has_household: bool,
    pub(super) report: ReportState,
    pub(super) self_rating: String,
    pub(super) cell_rating: String,
    pub(super) count: i64,
}

pub(super) async fn member_counts(
    pool: &AnyPool,
    path: &UnitPath,
    month: Month,
) -> Result<Vec<MemberCount>, ApiError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT r.cell_id, r.status, \
         CASE WHEN EXISTS (SELECT 1 FROM assignment_view a WHERE a.member_id = r.member_id) THEN 1 ELSE 0 END, \
         COALESCE(rep.state, $3), COALESCE(rep.self_rating, ''), COALESCE(rep.cell_rating, ''), COUNT(*) \
         FROM roster_view r LEFT JOIN report_view rep ON rep.member_id = r.member_id AND rep.month = $2 \
         WHERE r.cell_id IN {} GROUP BY 1, 2, 3, 4, 5, 6",
        cells_under("$1")
    )))
    .bind(path.as_str())
    .bind(month.iso())
    .bind(ReportState::Missing.code())
    .fetch_all(pool)
    .await?;
    let mut counts = Vec::with_capacity(rows.len());
    for r in rows {
        counts.push(MemberCount {
            cell_id: r.try_get(0)?,
            status: MemberStatus::parse(&r.try_get::<String, _>(1)?, "")
                .map_err(|e| ApiError::Internal(e.into()))?,
            has_household: r.try_get::<i64, _>(2)? != 0,
            report: report_state(&r.try_get::<String, _>(3)?)?,
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
        households_by_cell(pool, &place.path),
        assigned_by_cell(pool, &place.path),
        counts(
            pool,
            format!(
                "SELECT h.cell_id, COUNT(*) FROM households h WHERE h.cell_id IN {} AND h.closed_on IS NULL \
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
        visited_by_cell(pool, &place.path, month),
        // The trend counts every household visited each month, by the same visits as coverage
        // but not only those assigned now (joining a year of visits to the assignments would
        // double its time, and a visited household is nearly always an assigned one).
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
            label: a.label(current_lang()),
            open: 0,
            escalated: 0,
        })
        .collect();
    let (mut open, mut escalated) = (0, 0);
    for f in &flags {
        let bracket = &mut by_age[f.age as usize];
        bracket.open += f.count;
        open += f.count;
        if f.status == FlagStatus::Escalated {
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
        let missing = oversight::report_is_missing(&m.status, m.report);
        if oversight::owes_monthly_report(&m.status) {
            reports.due += n;
        }
        if m.report == ReportState::HandedIn {
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
            months: oversight::GAP_MONTHS,
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
pub(super) fn rating_matrix(members: &[MemberCount]) -> RatingMatrix {
    let mut counts = vec![vec![0i64; RATINGS.len() + 1]; RATINGS.len() + 1];
    for m in members.iter().filter(|m| m.report == ReportState::HandedIn) {
        counts[rating_index(&m.self_rating)][rating_index(&m.cell_rating)] += m.count;
    }
    RatingMatrix {
        levels: RATINGS
            .iter()
            .map(|r| Level {
                code: r.code(),
                label: r.label(current_lang()),
            })
            .collect(),
        counts,
    }
}

/// `GET /api/v1/overview?unit=&month=`: a unit's month: coverage for it and each unit under it,
/// the trend, gaps, idle members, open flags by age, reports and ratings, members away.
#[utoipa::path(
    get,
    path = "/overview",
    tag = "views",
    security(("session" = [])),
    params(
        ("unit" = Option<String>, Query, description = "The unit to look at; the session's scope when absent"),
        ("month" = Option<String>, Query, description = "yyyy-mm; this month when absent"),
    ),
    responses(
        (status = 200, description = "The unit's overview for the month", body = Overview),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
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

pub(super) fn rating_label(code: &str) -> String {
    Rating::parse(code)
        .map(|r| r.label(current_lang()).to_owned())
        .unwrap_or_default()
}
