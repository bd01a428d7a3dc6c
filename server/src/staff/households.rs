//! One household as merged on the server, read from its document: its notes, flags, conflicts
//! and whole history, with the names of those who wrote them.

use super::places::record_read;
use crate::AppState;
use crate::access::audit::AuditAction;
use crate::access::sessions::StaffSession;
use crate::error::{ApiError, current_lang};
use crate::openapi::{Forbidden, NotFound};
use crate::staff::export::TableName;
use crate::staff::export::{Cell, Column, Table, TableRow};
use crate::staff::places::{self, Place, UnitRef};
use crate::storage;
use axum::Json;
use axum::extract::{Path, State};
use hosync_core::docs::{history, household};
use hosync_core::messages::{Label, Lang, Thing};
use hosync_core::{Day, DocId, HouseholdId, Month, UnitId};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdDetail {
    pub id: String,
    pub head: String,
    pub village: String,
    pub people: u32,
    pub livelihood: String,
    pub tags: Vec<String>,
    pub cell: UnitRef,
    pub breadcrumb: Vec<UnitRef>,
    #[schema(required = true)]
    pub assigned_member: Option<String>,
    #[schema(required = true)]
    pub assigned_name: Option<String>,
    pub notes: Vec<NoteDetail>,
    pub flags: Vec<FlagDetail>,
    pub conflicts: Vec<ConflictDetail>,
    /// Every change that did something, oldest first.
    pub history: Vec<HistoryRow>,
    /// Set when the cell closed the household: kept with its notes, looked after no more.
    #[schema(required = true)]
    pub closed: Option<ClosedDetail>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClosedDetail {
    /// yyyy-mm-dd.
    pub on: String,
    pub reason: String,
    /// The reason as people read it.
    pub reason_label: String,
    pub detail: String,
    pub by_name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NoteDetail {
    pub id: String,
    pub date: String,
    pub author: String,
    pub author_name: String,
    pub text: String,
    pub topics: Vec<String>,
    pub deleted: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlagDetail {
    pub id: String,
    #[schema(required = true)]
    pub note: Option<String>,
    pub raised_by: String,
    pub raised_by_name: String,
    pub raised_on: String,
    pub text: String,
    pub status: String,
    pub status_label: String,
    /// Still waiting for someone's action (`oversight::flag_is_open`).
    pub open: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConflictDetail {
    pub path: Vec<String>,
    pub values: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryRow {
    /// When the phone's clock said the change was made (Unix seconds).
    pub at: i64,
    /// `at` as a day (yyyy-mm-dd) and a time ("14:05") in Vietnam.
    pub date: String,
    pub time: String,
    /// The member the document names as doing it, else whoever owns the device that sent it.
    pub who: String,
    /// The owner of the device that brought the change to the server; empty when the server
    /// made it (the demo seed, an import).
    pub device_owner: String,
    /// When the server received it (Unix seconds), if it came through a sync.
    #[schema(required = true)]
    pub received_at: Option<i64>,
    pub what: String,
}

/// One household as merged, with names and its history, after checking the session may see it.
struct LoadedHousehold {
    household: household::Household,
    doc: hosync_core::Doc,
    place: Place,
    names: HashMap<String, String>,
    /// By change hash (hex): the device owner's name and when the change arrived.
    arrivals: HashMap<String, (String, i64)>,
    assigned: Option<(String, String)>,
}

impl LoadedHousehold {
    fn name(&self, member: &str) -> String {
        self.names
            .get(member)
            .cloned()
            .unwrap_or_else(|| member.to_owned())
    }

    /// Oldest first by the makers' clocks; changes made offline on several phones reach the
    /// document in causal order, which can put a late visit before an early one.
    fn history(&self) -> Result<Vec<HistoryRow>, ApiError> {
        let mut entries = history::household_history(&self.doc).map_err(anyhow::Error::from)?;
        entries.sort_by_key(|e| e.at);
        let lang = current_lang();
        Ok(entries
            .into_iter()
            .map(|entry| {
                let (device_owner, received_at) = match self.arrivals.get(&entry.change) {
                    Some((owner, at)) => (owner.clone(), Some(*at)),
                    None => (String::new(), None),
                };
                let named = entry.events.iter().find_map(|e| e.member());
                let who = match (named, device_owner.as_str()) {
                    (Some(member), _) => self.name(member.as_str()),
                    (None, "") => Label {
                        vi: "Máy chủ",
                        en: "The server",
                    }
                    .get(lang)
                    .to_owned(),
                    (None, owner) => owner.to_owned(),
                };
                HistoryRow {
                    at: entry.at,
                    date: Day::from_timestamp(entry.at).iso(),
                    time: Day::clock_vi(entry.at),
                    who,
                    device_owner,
                    received_at,
                    what: entry
                        .events
                        .iter()
                        .map(|e| e.describe(lang))
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            })
            .collect())
    }
}

async fn load_household(
    state: &AppState,
    session: &StaffSession,
    raw: &str,
) -> Result<LoadedHousehold, ApiError> {
    let id = HouseholdId::parse(raw.trim()).map_err(ApiError::bad)?;
    let what = Thing::Household(id.to_string());
    let doc_id = DocId::Household(id.clone());
    let mut conn = state.db.reader.acquire().await?;
    let cell: Option<String> = sqlx::query("SELECT cell_id FROM households WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    let Some(cell) = cell else {
        return Err(ApiError::unseen(what.clone()));
    };
    let place = places::place(&mut conn, session, Some(&cell))
        .await
        .map_err(|e| match e {
            // The household's cell is outside the scope: the household is not there for this
            // caller, and its cell is not named.
            ApiError::NotFound(_) => ApiError::unseen(what.clone()),
            other => other,
        })?;
    let Some(doc) = storage::load_doc(&mut conn, &doc_id, &state.actor).await? else {
        return Err(ApiError::unseen(what.clone()));
    };
    let household = household::read(&doc).map_err(anyhow::Error::from)?;
    let mut names = HashMap::new();
    for r in sqlx::query("SELECT id, name FROM members WHERE cell_id = $1")
        .bind(&cell)
        .fetch_all(&mut *conn)
        .await?
    {
        names.insert(r.try_get(0)?, r.try_get(1)?);
    }
    // Members of other cells named in the household (it was reassigned, or a secretary helped).
    let named = household.notes.iter().map(|n| &n.author).chain(
        household
            .flags
            .iter()
            .flat_map(|f| [&f.raised_by, &f.status_by]),
    );
    for member in named {
        if !names.contains_key(member.as_str())
            && let Some(r) = sqlx::query("SELECT name FROM members WHERE id = $1")
                .bind(member.as_str())
                .fetch_optional(&mut *conn)
                .await?
        {
            names.insert(member.to_string(), r.try_get(0)?);
        }
    }
    let mut arrivals = HashMap::new();
    for r in sqlx::query(
        "SELECT c.hash, COALESCE(m.name, u.name, ''), c.received_at FROM changes c \
         LEFT JOIN devices d ON d.id = c.device_id LEFT JOIN members m ON m.id = d.member_id \
         LEFT JOIN users u ON u.login = d.user_login WHERE c.doc_id = $1",
    )
    .bind(doc_id.to_string())
    .fetch_all(&mut *conn)
    .await?
    {
        let hash: Vec<u8> = r.try_get(0)?;
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        arrivals.insert(hex, (r.try_get(1)?, r.try_get(2)?));
    }
    let assigned = sqlx::query(
        "SELECT a.member_id, COALESCE(m.name, a.member_id) FROM assignment_view a \
         LEFT JOIN members m ON m.id = a.member_id WHERE a.household_id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
    .transpose()?;
    Ok(LoadedHousehold {
        household,
        doc,
        place,
        names,
        arrivals,
        assigned,
    })
}

/// One household as merged on the server, read from its document, with its history.
#[utoipa::path(
    get,
    path = "/households/{id}",
    tag = "views",
    security(("session" = [])),
    params(("id" = String, Path, description = "The household's id")),
    responses(
        (status = 200, description = "The household as merged, with its notes, flags, conflicts and history", body = HouseholdDetail),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
)]
pub async fn household_detail(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Json<HouseholdDetail>, ApiError> {
    let loaded = load_household(&state, &session, &id).await?;
    let history = loaded.history()?;
    let breadcrumb = {
        let mut conn = state.db.reader.acquire().await?;
        places::breadcrumb(&mut conn, &session, &loaded.place).await?
    };
    let cell = UnitId::parse(&loaded.place.unit.id).map_err(|e| ApiError::Internal(e.into()))?;
    record_read(
        &state,
        &session,
        AuditAction::ReadHousehold,
        loaded.household.id.as_str(),
        &cell,
    )
    .await?;
    let conflicts = loaded
        .doc
        .conflicts()
        .into_iter()
        .map(|c| ConflictDetail {
            path: c.path,
            values: c.values.into_iter().map(|v| v.value).collect(),
        })
        .collect();
    let notes = loaded
        .household
        .notes
        .iter()
        .map(|n| NoteDetail {
            id: n.id.to_string(),
            date: n.date.iso(),
            author: n.author.to_string(),
            author_name: loaded.name(n.author.as_str()),
            text: n.text.clone(),
            topics: n.topics.clone(),
            deleted: n.deleted,
        })
        .collect();
    let flags = loaded
        .household
        .flags
        .iter()
        .map(|f| FlagDetail {
            id: f.id.to_string(),
            note: f.note.as_ref().map(|n| n.to_string()),
            raised_by: f.raised_by.to_string(),
            raised_by_name: loaded.name(f.raised_by.as_str()),
            raised_on: f.raised_on.iso(),
            text: f.text.clone(),
            status: f.status.code().to_owned(),
            status_label: f.status.label(current_lang()).to_owned(),
            open: hosync_core::oversight::flag_is_open(f.status),
        })
        .collect();
    let (assigned_member, assigned_name) = loaded.assigned.clone().unzip();
    let closed = loaded.household.closed.as_ref().map(|c| ClosedDetail {
        on: c.on.iso(),
        reason: c.reason.code().to_owned(),
        reason_label: c.reason.label(current_lang()).to_owned(),
        detail: c.detail.clone(),
        by_name: loaded.name(c.by.as_str()),
    });
    let h = loaded.household;
    Ok(Json(HouseholdDetail {
        id: h.id.to_string(),
        head: h.head,
        village: h.village,
        people: h.people,
        livelihood: h.livelihood,
        tags: h.tags,
        cell: loaded.place.unit,
        breadcrumb,
        assigned_member,
        assigned_name,
        closed,
        notes,
        flags,
        conflicts,
        history,
    }))
}

/// A household's history as a table, to view or export.
pub async fn history_table(
    state: &AppState,
    session: &StaffSession,
    household: &str,
    month: Month,
) -> Result<Table, ApiError> {
    let loaded = load_household(state, session, household).await?;
    let history = loaded.history()?;
    let lang = current_lang();
    let mut table = Table::new(TableName::History, &loaded.place, month, lang);
    let (head, id) = (&loaded.household.head, &loaded.household.id);
    let w = |vi, en| Label { vi, en }.get(lang);
    table.title = match lang {
        Lang::Vi => format!("Lịch sử hộ {head} ({id})"),
        Lang::En => format!("History of household {head} ({id})"),
    };
    table.columns = vec![
        Column::date("date", w("Ngày", "Date")),
        Column::text("time", w("Giờ", "Time")),
        Column::text("who", w("Người thực hiện", "By")),
        Column::text("what", w("Nội dung", "What")),
    ];
    for row in history {
        table.push(
            TableRow::new(vec![
                Cell::Date(Day::parse(&row.date).ok()),
                Cell::Text(row.time),
                Cell::Text(row.who),
                Cell::Text(row.what),
            ])
            .household(loaded.household.id.to_string()),
        );
    }
    Ok(table)
}
