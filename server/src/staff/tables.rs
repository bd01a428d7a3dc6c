//! The tables behind the overview, each as JSON or as a CSV or XLSX download; every view and
//! export is written to the audit log before it leaves.

use super::households::history_table;
use super::overview::Coverage;
use super::overview::{
    MemberReport, build_overview, member_counts, member_reports, open_statuses, rating_label,
    rating_matrix,
};
use super::places::{Place, ViewQuery, as_of, cell_names, cells_under, month_of, parse_day, place};
use crate::AppState;
use crate::access::audit;
use crate::access::audit::AuditAction;
use crate::access::sessions::StaffSession;
use crate::error::{ApiError, current_lang};
use crate::openapi::{Forbidden, NotFound};
use crate::staff::export::TableJson;
use crate::staff::export::{self, Cell, Column, Format, Table, TableName, TableRow};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use hosync_core::access::{StaffAction, UnitPath};
use hosync_core::domain::name_order;
use hosync_core::messages::{Label, Lang, Message};
use hosync_core::oversight::{self};
use hosync_core::{FlagStatus, MemberStatus, Month, UnitId};
use sqlx::Row;

// Headings that several tables share.
const HOUSEHOLD: Label = Label {
    vi: "Mã hộ",
    en: "Household",
};
const HEAD: Label = Label {
    vi: "Chủ hộ",
    en: "Head of household",
};
const VILLAGE: Label = Label {
    vi: "Thôn, bản",
    en: "Village",
};
const CELL: Label = Label {
    vi: "Chi bộ",
    en: "Cell",
};
const MEMBER: Label = Label {
    vi: "Đảng viên",
    en: "Member",
};
const LOOKING_AFTER: Label = Label {
    vi: "Đảng viên phụ trách",
    en: "Member looking after it",
};
const LAST_VISIT: Label = Label {
    vi: "Lần thăm gần nhất",
    en: "Last visit",
};

/// `GET /tables/{table}`: a table as JSON, or as a CSV or XLSX download; both are audited.
#[utoipa::path(
    get,
    path = "/tables/{table}",
    tag = "views",
    security(("session" = [])),
    params(
        ("table" = String, Path, description = "`coverage`, `gaps`, `idle_members`, `flags`, `reports`, `missing_reports`, `ratings`, `away`, `households` or `history`"),
        ViewQuery,
    ),
    responses(
        (status = 200, description = "The table as JSON, or with `format` a download (district staff only)", content(
            (TableJson = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn table(
    State(state): State<AppState>,
    session: StaffSession,
    Path(name): Path<String>,
    Query(query): Query<ViewQuery>,
) -> Result<Response, ApiError> {
    let format = match query.format.as_deref().map(str::trim) {
        None | Some("" | "json") => None,
        Some(other) => Some(Format::parse(other).ok_or_else(|| {
            ApiError::BadRequest(Message::ExportFormat {
                given: other.to_owned(),
            })
        })?),
    };
    let name = TableName::parse(name.trim()).map_err(|e| ApiError::NotFound(e.into()))?;
    let table = build_table(&state, &session, name, &query).await?;
    let target = table.unit.id.clone();
    let rows = table.rows.len();
    // The answer is made before the writer is taken, so rendering a spreadsheet never holds up
    // a sync; it is recorded before it leaves, so no view or export goes unrecorded.
    let (action, detail, response) = match format {
        None => (
            AuditAction::ViewTable,
            format!("table={} month={} rows={rows}", name.code(), table.month),
            Json(table.to_json()).into_response(),
        ),
        Some(format) => {
            let path =
                UnitPath::parse(&table.unit_path).map_err(|e| ApiError::Internal(e.into()))?;
            session.principal.may(StaffAction::Export, &path)?;
            let file = export::render(&table, format).map_err(ApiError::Internal)?;
            (
                AuditAction::Export,
                format!(
                    "table={} month={} format={} rows={rows}",
                    name.code(),
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
    name: TableName,
    query: &ViewQuery,
) -> Result<Table, ApiError> {
    let month = month_of(state, query.month.as_deref())?;
    if name == TableName::History {
        let household = query
            .household
            .as_deref()
            .ok_or_else(|| ApiError::BadRequest(Message::HistoryNeedsHousehold))?;
        return history_table(state, session, household, month).await;
    }
    let today = as_of(state, month);
    let mut conn = state.db.reader.acquire().await?;
    let place = place(&mut conn, session, query.unit.as_deref()).await?;
    let lang = current_lang();
    let mut table = Table::new(name, &place, month, lang);
    // A heading or a word of the table in the reader's language.
    let w = |vi, en| Label { vi, en }.get(lang);
    let say = |vi: String, en: String| match lang {
        Lang::Vi => vi,
        Lang::En => en,
    };
    let scope = place.path.as_str().to_owned();
    match name {
        TableName::Coverage => {
            drop(conn);
            coverage_table(state, session, &place, month, &mut table).await?;
        }
        TableName::Gaps => {
            let (from, to) = oversight::gap_window(month);
            let months = oversight::GAP_MONTHS;
            table.title = say(
                format!("Hộ chưa phân công hoặc chưa được thăm từ {months} tháng trở lên"),
                format!("Households not assigned, or not visited for {months} months or more"),
            );
            table.columns = vec![
                Column::text("household", HOUSEHOLD.get(lang)),
                Column::text("head", HEAD.get(lang)),
                Column::text("village", VILLAGE.get(lang)),
                Column::text("cell", CELL.get(lang)),
                Column::text("member", LOOKING_AFTER.get(lang)),
                Column::date("last_visit", LAST_VISIT.get(lang)),
                Column::text("reason", w("Lý do", "Why")),
            ];
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT h.household_id, h.head, h.village, h.cell_id, u.name, r.name, h.last_visit, a.member_id \
                 FROM household_view h JOIN units u ON u.id = h.cell_id \
                 LEFT JOIN assignment_view a ON a.household_id = h.household_id \
                 LEFT JOIN roster_view r ON r.member_id = a.member_id \
                 WHERE h.cell_id IN {} AND h.closed_on = '' AND (a.member_id IS NULL OR NOT EXISTS \
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
                    w("Chưa phân công", "Not assigned").to_owned()
                } else {
                    match last {
                        Some(day) => say(
                            format!("Chưa thăm từ {}", day.month().vi()),
                            format!("Not visited since {}", day.month().iso()),
                        ),
                        None => w("Chưa thăm lần nào", "Never visited").to_owned(),
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
        TableName::Flags => {
            table.title = w("Kiến nghị chưa giải quyết", "Open flags").into();
            table.columns = vec![
                Column::text("household", HOUSEHOLD.get(lang)),
                Column::text("head", HEAD.get(lang)),
                Column::text("cell", CELL.get(lang)),
                Column::text("text", w("Nội dung kiến nghị", "Flag")),
                Column::text("raised_by", w("Người nêu", "Raised by")),
                Column::date("raised_on", w("Ngày nêu", "Raised on")),
                Column::number("days_open", w("Số ngày", "Days open")),
                Column::text("status", w("Trạng thái", "Status")),
            ];
            let (open, open_codes) = open_statuses(2);
            let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT f.household_id, h.head, f.cell_id, u.name, f.body, r.name, f.raised_by, f.raised_on, f.status \
                 FROM flag_view f JOIN household_view h ON h.household_id = f.household_id \
                 JOIN units u ON u.id = f.cell_id LEFT JOIN roster_view r ON r.member_id = f.raised_by \
                 WHERE f.status {open} AND f.cell_id IN {}",
                cells_under("$1")
            )))
            .bind(&scope);
            for code in open_codes {
                query = query.bind(code);
            }
            let rows = query.fetch_all(&mut *conn).await?;
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
                        Cell::Text(status.label(current_lang()).to_owned()),
                    ])
                    .household(r.try_get::<String, _>(0)?)
                    .unit(r.try_get::<String, _>(2)?),
                );
            }
        }
        TableName::IdleMembers
        | TableName::Reports
        | TableName::MissingReports
        | TableName::Away => {
            let mut members = member_reports(&mut conn, &place.path, month).await?;
            let cell_names = cell_names(&mut conn, &scope).await?;
            drop(conn);
            members.sort_by_cached_key(|m| {
                (
                    cell_names.get(&m.cell_id).map(|(_, path)| path.clone()),
                    name_order(&m.name),
                )
            });
            let cell_name = |m: &MemberReport| {
                cell_names
                    .get(&m.cell_id)
                    .map(|(name, _)| name.clone())
                    .unwrap_or_default()
            };
            match name {
                TableName::IdleMembers => {
                    table.title = w(
                        "Đảng viên chưa được phân công phụ trách hộ",
                        "Members with no household to look after",
                    )
                    .into();
                    table.columns = vec![
                        Column::text("member", MEMBER.get(lang)),
                        Column::text("cell", CELL.get(lang)),
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
                TableName::Away => {
                    table.title = w(
                        "Đảng viên đi làm ăn xa, miễn sinh hoạt",
                        "Members working away or exempt",
                    )
                    .into();
                    table.columns = vec![
                        Column::text("member", MEMBER.get(lang)),
                        Column::text("cell", CELL.get(lang)),
                        Column::text("status", w("Tình trạng", "Status")),
                        Column::text(
                            "detail",
                            w("Nơi làm việc, lý do", "Where working, or why exempt"),
                        ),
                    ];
                    for m in members.iter().filter(|m| m.status != MemberStatus::Active) {
                        table.push(
                            TableRow::new(vec![
                                Cell::Text(m.name.clone()),
                                Cell::Text(cell_name(m)),
                                Cell::Text(m.status.label(current_lang()).to_owned()),
                                Cell::Text(m.status.detail().to_owned()),
                            ])
                            .unit(m.cell_id.clone()),
                        );
                    }
                }
                _ => {
                    let only_missing = name == TableName::MissingReports;
                    table.title = match (only_missing, lang) {
                        (true, Lang::Vi) => format!("Báo cáo còn thiếu {}", month.vi()),
                        (true, Lang::En) => format!("Reports missing for {}", month.iso()),
                        (false, Lang::Vi) => format!("Báo cáo {}", month.vi()),
                        (false, Lang::En) => format!("Reports for {}", month.iso()),
                    };
                    table.columns = vec![
                        Column::text("member", MEMBER.get(lang)),
                        Column::text("cell", CELL.get(lang)),
                        Column::text("status", w("Tình trạng báo cáo", "Report")),
                        Column::date("submitted_on", w("Ngày nộp", "Handed in on")),
                        Column::text("self_rating", w("Tự nhận xếp loại", "Self-rating")),
                        Column::text("cell_rating", w("Chi bộ xếp loại", "Cell's rating")),
                    ];
                    for m in members.iter().filter(|m| !only_missing || m.missing()) {
                        let status = if m.owes_report() {
                            m.report.label(current_lang())
                        } else {
                            w("Miễn (miễn sinh hoạt)", "Exempt")
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
        TableName::Ratings => {
            drop(conn);
            let ratings =
                rating_matrix(&member_counts(&state.db.reader, &place.path, month).await?);
            table.title = say(
                format!("Tự nhận xếp loại và chi bộ xếp loại, {}", month.vi()),
                format!("Self-ratings and cell ratings, {}", month.iso()),
            );
            table.columns = vec![Column::text(
                "self_rating",
                w(
                    "Tự nhận xếp loại \\ Chi bộ xếp loại",
                    "Self-rating \\ cell's rating",
                ),
            )];
            const CELL_KEYS: [&str; 5] =
                ["excellent", "good", "completed", "not_completed", "unrated"];
            for (i, level) in ratings.levels.iter().enumerate() {
                table
                    .columns
                    .push(Column::number(CELL_KEYS[i], level.label));
            }
            table.columns.push(Column::number(
                CELL_KEYS[4],
                w("Chi bộ chưa xếp loại", "Not rated by the cell"),
            ));
            for (i, counts) in ratings.counts.iter().enumerate() {
                let label = ratings
                    .levels
                    .get(i)
                    .map_or(w("Chưa tự nhận xếp loại", "No self-rating"), |l| {
                        l.label
                    });
                let mut cells = vec![Cell::Text(label.to_owned())];
                cells.extend(counts.iter().map(|n| Cell::Number(*n)));
                table.push(TableRow::new(cells));
            }
        }
        TableName::Households => {
            table.title = say(
                format!("Các hộ, {}", month.vi()),
                format!("Households, {}", month.iso()),
            );
            table.columns = vec![
                Column::text("household", HOUSEHOLD.get(lang)),
                Column::text("head", HEAD.get(lang)),
                Column::text("village", VILLAGE.get(lang)),
                Column::number("people", w("Nhân khẩu", "People")),
                Column::text("cell", CELL.get(lang)),
                Column::text("member", LOOKING_AFTER.get(lang)),
                Column::date("last_visit", LAST_VISIT.get(lang)),
                Column::text("visited", w("Đã thăm trong tháng", "Visited in the month")),
                Column::number("open_flags", w("Kiến nghị chưa giải quyết", "Open flags")),
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
                let visited = r.try_get::<i64, _>(8)? != 0;
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
                            if visited {
                                w("Đã thăm", "Visited")
                            } else {
                                w("Chưa thăm", "Not visited")
                            }
                            .to_owned(),
                        ),
                        Cell::Number(r.try_get(9)?),
                    ])
                    .household(r.try_get::<String, _>(0)?)
                    .unit(r.try_get::<String, _>(4)?)
                    .visited(visited),
                );
            }
        }
        TableName::History => {}
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
    let lang = table.lang;
    let w = |vi, en| Label { vi, en }.get(lang);
    table.title = match lang {
        Lang::Vi => format!("Tỷ lệ hộ được thăm {}", month.vi()),
        Lang::En => format!("Households visited in {}", month.iso()),
    };
    let is_cell = place.unit.kind.holds_members();
    let first = if is_cell {
        Column::text("member", MEMBER.get(lang))
    } else {
        Column::text("unit", w("Đơn vị", "Unit"))
    };
    table.columns = vec![
        first,
        Column::number("households", w("Số hộ", "Households")),
        Column::number("assigned", w("Số hộ được phân công", "Households assigned")),
        Column::number(
            "visited",
            w(
                "Số hộ đã thăm trong tháng",
                "Households visited in the month",
            ),
        ),
        Column::percent("coverage", w("Tỷ lệ hộ được thăm", "Share visited")),
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
        members.sort_by_cached_key(|(name, _, _)| name_order(name));
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
        Cell::Text(match lang {
            Lang::Vi => format!("Cộng: {}", overview.unit.name),
            Lang::En => format!("All of {}", overview.unit.name),
        }),
        Cell::Number(total.households),
        Cell::Number(total.assigned),
        Cell::Number(total.visited),
        Cell::Percent(share(&total)),
    ]));
    Ok(())
}
