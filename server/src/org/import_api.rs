//! The import over HTTP: the template to download, and a file sent to preview or apply.

use crate::openapi::Forbidden;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hosync_core::access::StaffAction;
use hosync_core::import::{Plan, SheetKind, Step};
use hosync_core::messages::{Message, Thing};
use hosync_core::{Day, Principal};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::access::accounts::By;
use crate::access::sessions::StaffSession;
use crate::error::{ApiError, current_lang};
use crate::org::import;

/// Only those who change the organisation import into it, whatever the rows say.
fn may_import(principal: &Principal) -> Result<(), ApiError> {
    principal
        .may(StaffAction::ManageOrganisation, &principal.scope)
        .map_err(|d| ApiError::denied(d, Thing::Unnamed))
}

/// `GET /api/v1/org/import/template`: the empty workbook with its drop-down lists.
#[utoipa::path(
    get,
    path = "/org/import/template",
    tag = "organisation",
    security(("session" = [])),
    responses(
        (status = 200, description = "The empty workbook, with its drop-down lists", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, response = Forbidden),
    ),
)]
pub async fn template(session: StaffSession) -> Result<Response, ApiError> {
    may_import(&session.principal)?;
    let bytes = import::template().map_err(|e| ApiError::Internal(e.into()))?;
    Ok(xlsx(bytes, "mau-nhap-to-chuc.xlsx"))
}

pub fn xlsx(bytes: Vec<u8>, file_name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name, which tells a CSV file's kind when its headers do not.
    pub name: Option<String>,
    /// `true` applies the import; anything else previews it.
    #[serde(default)]
    pub apply: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CountsBody {
    pub sheet: &'static str,
    pub created: usize,
    pub changed: usize,
    pub same: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowBody {
    pub sheet: String,
    pub row: u32,
    /// `units`, `members`, `households` or `assignments`.
    pub kind: &'static str,
    /// `create`, `change` or `same`.
    #[schema(schema_with = action_schema)]
    pub action: &'static str,
    /// The unit, member or household the row is about (for an assignment, the household).
    pub code: String,
    pub name: String,
    /// The headers of the columns that change.
    pub changed: Vec<&'static str>,
}

/// A row's action: one of the codes core's `Action` has, so the page may key its labels by them.
fn action_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(
            hosync_core::import::Action::ALL.iter().map(|a| a.code()),
        ))
        .build()
}

/// One error of a plan: where it is and what is wrong, in the reader's language (the header is
/// the template's, in Vietnamese).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ImportError)]
pub struct ErrorBody {
    pub sheet: String,
    pub row: u32,
    pub column: String,
    pub header: String,
    pub message: String,
}

/// A plan as the dashboard and the command line read it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanBody {
    pub file: String,
    pub applied: bool,
    pub counts: Vec<CountsBody>,
    pub rows: Vec<RowBody>,
    pub members_not_in_sheet: Vec<String>,
    pub households_not_in_sheet: Vec<String>,
    pub ignored_sheets: Vec<String>,
    pub errors: Vec<ErrorBody>,
}

fn kind_code(kind: SheetKind) -> &'static str {
    match kind {
        SheetKind::Units => "units",
        SheetKind::Members => "members",
        SheetKind::Households => "households",
        SheetKind::Assignments => "assignments",
    }
}

impl PlanBody {
    pub fn of(plan: &Plan, file: &str, applied: bool) -> PlanBody {
        fn rows<T>(
            kind: SheetKind,
            steps: &[Step<T>],
            describe: impl Fn(&T) -> (String, String),
        ) -> Vec<RowBody> {
            steps
                .iter()
                .map(|s| {
                    let (code, name) = describe(&s.item);
                    RowBody {
                        sheet: s.sheet.clone(),
                        row: s.row,
                        kind: kind_code(kind),
                        action: s.action.code(),
                        code,
                        name,
                        changed: s.changed.clone(),
                    }
                })
                .collect()
        }
        let mut all = rows(SheetKind::Units, &plan.units, |u| {
            (u.id.to_string(), u.name.clone())
        });
        all.extend(rows(SheetKind::Members, &plan.members, |m| {
            (m.id.to_string(), m.name.clone().unwrap_or_default())
        }));
        all.extend(rows(SheetKind::Households, &plan.households, |h| {
            (h.id.to_string(), h.head.clone().unwrap_or_default())
        }));
        all.extend(rows(SheetKind::Assignments, &plan.assignments, |a| {
            (a.household.to_string(), a.member.to_string())
        }));
        PlanBody {
            file: file.to_owned(),
            applied,
            counts: plan
                .counts()
                .iter()
                .map(|(kind, c)| CountsBody {
                    sheet: kind.sheet_name(),
                    created: c.created,
                    changed: c.changed,
                    same: c.same,
                })
                .collect(),
            rows: all,
            members_not_in_sheet: plan
                .members_not_in_sheet
                .iter()
                .map(ToString::to_string)
                .collect(),
            households_not_in_sheet: plan
                .households_not_in_sheet
                .iter()
                .map(ToString::to_string)
                .collect(),
            ignored_sheets: plan.ignored_sheets.clone(),
            errors: plan
                .errors
                .iter()
                .map(|e| ErrorBody {
                    sheet: e.sheet.clone(),
                    row: e.row,
                    column: e.column.clone(),
                    header: e.header.clone(),
                    message: e.message.clone(),
                })
                .collect(),
        }
    }
}

/// `POST /api/v1/org/import?name=FILE[&apply=true]`: a workbook's plan, or the import applied.
///
/// The file is the body. The answer is the plan and its errors (422 when applying a file with
/// errors, nothing applied), or with `apply=true` and no errors, the import applied in one
/// transaction.
#[utoipa::path(
    post,
    path = "/org/import",
    tag = "organisation",
    security(("session" = [], "csrf" = [])),
    params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The workbook (XLSX) or CSV file"),
    responses(
        (status = 200, description = "What the import would do (a preview) or did (`apply`)", body = PlanBody),
        (status = 403, response = Forbidden),
        (status = 422, description = "An apply refused for the plan's errors, which the plan lists; nothing was stored", body = PlanBody),
    ),
)]
pub async fn import_file(
    State(state): State<AppState>,
    session: StaffSession,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    may_import(&session.principal)?;
    let name = query
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("tệp nhập")
        .chars()
        .take(200)
        .collect::<String>();
    let now = state.now();
    let today = Day::from_timestamp(now);
    let file = name.clone();
    // Reading a workbook is CPU work: it runs beside the async threads, and before any
    // transaction, so that a large file never holds the database's writer while it is read.
    let lang = current_lang();
    let tables = tokio::task::spawn_blocking(move || import::read_tables(&body, &file))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::BadRequest(Message::Invalid(e.render(lang))))?;
    let principal = &session.principal;
    if !query.apply {
        let mut conn = state.db.reader.acquire().await?;
        let current = import::current(&mut conn).await?;
        let plan = hosync_core::import::plan(&tables, &current, Some(principal), today, lang);
        return Ok(Json(PlanBody::of(&plan, &name, false)).into_response());
    }
    // Applying plans again inside the transaction, against the organisation as it is then.
    let mut tx = state.db.begin_log_write().await?;
    let current = import::current(&mut tx).await?;
    let plan = hosync_core::import::plan(&tables, &current, Some(principal), today, lang);
    if !plan.is_ok() {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(PlanBody::of(&plan, &name, false)),
        )
            .into_response());
    }
    import::apply(&mut tx, By::Staff(&session), &plan, &name, now, &mut || {}).await?;
    tx.commit().await?;
    Ok(Json(PlanBody::of(&plan, &name, true)).into_response())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitRow {
    pub id: String,
    #[schema(required = true)]
    pub parent: Option<String>,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub level_label: String,
    pub name: String,
    /// How far below the caller's scope (0: the scope's own unit).
    pub depth: usize,
}

/// `GET /api/v1/org/units`: the units within the caller's scope, each after its parent, so that
/// staff see the tree they (or an import) built.
#[utoipa::path(
    get,
    path = "/org/units",
    tag = "organisation",
    security(("session" = [])),
    responses((status = 200, description = "The units within the caller's scope, each after its parent", body = Vec<UnitRow>)),
)]
pub async fn units(
    State(state): State<AppState>,
    session: StaffSession,
) -> Result<Json<Vec<UnitRow>>, ApiError> {
    let mut conn = state.db.reader.acquire().await?;
    let units = import::current(&mut conn).await?.units;
    let parents: std::collections::HashMap<&str, Option<&str>> = units
        .iter()
        .map(|u| (u.id.as_str(), u.parent.as_ref().map(|p| p.as_str())))
        .collect();
    let path_of = |id: &str| {
        let mut chain = vec![id.to_owned()];
        let mut at = id;
        while let Some(Some(parent)) = parents.get(at) {
            if chain.iter().any(|c| c == parent) {
                break;
            }
            chain.push((*parent).to_owned());
            at = parent;
        }
        chain.reverse();
        chain
    };
    let scope_depth = session.principal.scope.as_str().matches('/').count();
    let mut rows: Vec<(String, UnitRow)> = Vec::new();
    for u in &units {
        let chain = path_of(u.id.as_str());
        let ids: Vec<hosync_core::UnitId> = chain
            .iter()
            .filter_map(|c| hosync_core::UnitId::parse(c).ok())
            .collect();
        let path = hosync_core::UnitPath::from_ids(&ids);
        if !session.principal.scope.contains(&path) {
            continue;
        }
        rows.push((
            chain.join("/"),
            UnitRow {
                id: u.id.to_string(),
                parent: u.parent.as_ref().map(ToString::to_string),
                kind: u.kind.code(),
                kind_label: u.kind.label(current_lang()),
                level_label: u.level_label.clone(),
                name: u.name.clone(),
                depth: path
                    .as_str()
                    .matches('/')
                    .count()
                    .saturating_sub(scope_depth),
            },
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Json(rows.into_iter().map(|(_, r)| r).collect()))
}
