//! Projections: the tables staff views and exports read, rewritten from a document in the same
//! transaction as the changes that produced it, so views never show a state the log lacks.

use hosync_core::docs::cell::Cell;
use hosync_core::docs::household::Household;
use hosync_core::docs::report::MonthlyReport;
use hosync_core::docs::{cell, household, report};
use hosync_core::{Doc, DocKind, UnitId, View};
use sqlx::{AnyConnection, Row};

use crate::storage;
use crate::storage::db::Db;

/// What a document contributes to the projections, read from it once. Reading is CPU work and
/// writing is database work, so callers can do the first outside a write transaction.
#[derive(Debug)]
pub enum Rows {
    Household {
        household: Household,
        conflicts: i64,
    },
    Cell(Cell),
    Report(MonthlyReport),
}

impl Rows {
    /// The rows of a document already read (as a push's validation reads it).
    pub fn from_view(doc: &Doc, view: View) -> Rows {
        match view {
            View::Household(household) => Rows::Household {
                household,
                conflicts: doc.conflicts().len() as i64,
            },
            View::Cell(c) => Rows::Cell(c),
            View::Report(r) => Rows::Report(r),
        }
    }

    pub fn read(doc: &Doc) -> anyhow::Result<Rows> {
        Ok(match doc.kind() {
            DocKind::Household => Rows::Household {
                household: household::read(doc)?,
                conflicts: doc.conflicts().len() as i64,
            },
            DocKind::Cell => Rows::Cell(cell::read(doc)?),
            DocKind::Report => Rows::Report(report::read(doc)?),
        })
    }

    /// Writes the rows; `now` dates what the history tables record.
    pub async fn write(
        &self,
        conn: &mut AnyConnection,
        unit: &UnitId,
        now: i64,
    ) -> anyhow::Result<()> {
        match self {
            Rows::Household {
                household,
                conflicts,
            } => project_household(conn, household, *conflicts, unit).await,
            Rows::Cell(c) => project_cell(conn, c, unit, now).await,
            Rows::Report(r) => project_report(conn, r, unit).await,
        }
    }
}

async fn project_household(
    conn: &mut AnyConnection,
    h: &Household,
    conflicts: i64,
    unit: &UnitId,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO household_view (household_id, cell_id, head, village, people, livelihood, last_visit, notes, open_flags, conflicts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (household_id) DO UPDATE SET cell_id = excluded.cell_id, head = excluded.head, village = excluded.village, \
         people = excluded.people, livelihood = excluded.livelihood, last_visit = excluded.last_visit, notes = excluded.notes, \
         open_flags = excluded.open_flags, conflicts = excluded.conflicts",
    )
    .bind(h.id.as_str())
    .bind(unit.as_str())
    .bind(h.head.as_str())
    .bind(h.village.as_str())
    .bind(i64::from(h.people))
    .bind(h.livelihood.as_str())
    .bind(h.last_visit().map(|d| d.iso()).unwrap_or_default())
    .bind(h.visits().count() as i64)
    .bind(h.open_flags() as i64)
    .bind(conflicts)
    .execute(&mut *conn)
    .await?;
    project_closure(conn, h).await?;
    project_visits_and_flags(conn, h, unit).await?;
    sqlx::query("DELETE FROM note_view WHERE household_id = $1")
        .bind(h.id.as_str())
        .execute(&mut *conn)
        .await?;
    // One statement for all the notes: a household holds a few dozen at most.
    for chunk in h.notes.chunks(64) {
        // Only placeholders are spliced in; every value is bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO note_view (household_id, note_id, cell_id, day, author, body, deleted, created_at) VALUES {}",
            rows_of(chunk.len(), 6, |own| format!(
                "($1, {}, $2, {})",
                own[0],
                own[1..].join(", ")
            ))
        ));
        let mut query = sqlx::query(sql).bind(h.id.as_str()).bind(unit.as_str());
        for note in chunk {
            query = query
                .bind(note.id.as_str())
                .bind(note.date.iso())
                .bind(note.author.as_str())
                .bind(note.text.as_str())
                .bind(i64::from(note.deleted))
                .bind(note.created_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether the household is looked after: a closed one leaves its cell's counts, and nobody
/// looks after it (an assignment made beside the closing, on another phone, does not count).
async fn project_closure(conn: &mut AnyConnection, h: &Household) -> anyhow::Result<()> {
    let (reason, on) = match &h.closed {
        Some(c) => (c.reason.code(), Some(c.on.iso())),
        None => ("", None),
    };
    sqlx::query(
        "UPDATE household_view SET closed_reason = $2, closed_on = $3 WHERE household_id = $1",
    )
    .bind(h.id.as_str())
    .bind(reason)
    .bind(on.clone().unwrap_or_default())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE households SET closed_on = $2 WHERE id = $1")
        .bind(h.id.as_str())
        .bind(on.clone())
        .execute(&mut *conn)
        .await?;
    if on.is_some() {
        sqlx::query("DELETE FROM assignment_view WHERE household_id = $1")
            .bind(h.id.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The months the household was visited in, as core reads them, and its flags, for the staff
/// overview.
async fn project_visits_and_flags(
    conn: &mut AnyConnection,
    h: &Household,
    unit: &UnitId,
) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM visit_view WHERE household_id = $1")
        .bind(h.id.as_str())
        .execute(&mut *conn)
        .await?;
    let months: Vec<_> = h.visited_months().into_iter().collect();
    for chunk in months.chunks(256) {
        // Only placeholders are spliced in; every value is bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO visit_view (household_id, month, cell_id) VALUES {}",
            rows_of(chunk.len(), 1, |own| format!("($1, {}, $2)", own[0]))
        ));
        let mut query = sqlx::query(sql).bind(h.id.as_str()).bind(unit.as_str());
        for month in chunk {
            query = query.bind(month.iso());
        }
        query.execute(&mut *conn).await?;
    }
    sqlx::query("DELETE FROM flag_view WHERE household_id = $1")
        .bind(h.id.as_str())
        .execute(&mut *conn)
        .await?;
    for chunk in h.flags.chunks(64) {
        // Only placeholders are spliced in; every value is bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO flag_view (household_id, flag_id, cell_id, raised_by, raised_on, body, status, status_on) VALUES {}",
            rows_of(chunk.len(), 6, |own| format!(
                "($1, {}, $2, {})",
                own[0],
                own[1..].join(", ")
            ))
        ));
        let mut query = sqlx::query(sql).bind(h.id.as_str()).bind(unit.as_str());
        for f in chunk {
            query = query
                .bind(f.id.as_str())
                .bind(f.raised_by.as_str())
                .bind(f.raised_on.iso())
                .bind(f.text.as_str())
                .bind(f.status.code())
                .bind(f.status_on.iso());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The `VALUES` rows of a many-row INSERT: `$1` and `$2` are bound once for all rows, and each
/// row's own `per_row` placeholders follow in order (`$3…` for the first row); `row` lays out
/// one row from its own.
fn rows_of(rows: usize, per_row: usize, row: impl Fn(&[String]) -> String) -> String {
    (0..rows)
        .map(|i| {
            let own: Vec<String> = (0..per_row)
                .map(|k| format!("${}", 3 + per_row * i + k))
                .collect();
            row(&own)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn project_cell(
    conn: &mut AnyConnection,
    c: &Cell,
    unit: &UnitId,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM roster_view WHERE cell_id = $1")
        .bind(unit.as_str())
        .execute(&mut *conn)
        .await?;
    for m in &c.members {
        sqlx::query(
            "INSERT INTO roster_view (member_id, cell_id, name, role, status, status_detail) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (member_id) DO UPDATE SET cell_id = excluded.cell_id, name = excluded.name, role = excluded.role, \
             status = excluded.status, status_detail = excluded.status_detail",
        )
        .bind(m.id.as_str())
        .bind(unit.as_str())
        .bind(m.name.as_str())
        .bind(m.role.code())
        .bind(m.status.code())
        .bind(m.status.detail())
        .execute(&mut *conn)
        .await?;
    }
    // Who held each household before: a member's offline edits to a household count as theirs
    // up to the moment the server learnt it was taken off them.
    let before: std::collections::HashMap<String, String> =
        sqlx::query("SELECT household_id, member_id FROM assignment_view WHERE cell_id = $1")
            .bind(unit.as_str())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?;
    for (household, from) in &before {
        let to = c
            .assignments
            .iter()
            .find(|a| a.household.as_str() == household)
            .map_or("", |a| a.member.as_str());
        if to != from {
            sqlx::query(
                "INSERT INTO assignment_history (household_id, cell_id, from_member, to_member, changed_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(household)
            .bind(unit.as_str())
            .bind(from)
            .bind(to)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
    }
    sqlx::query("DELETE FROM assignment_view WHERE cell_id = $1")
        .bind(unit.as_str())
        .execute(&mut *conn)
        .await?;
    // Only households of this cell that are open: one moved to another cell or closed may
    // still be assigned here by a phone that did not know yet.
    for a in &c.assignments {
        sqlx::query(
            "INSERT INTO assignment_view (household_id, cell_id, member_id, since) SELECT $1, $2, $3, $4 \
             WHERE EXISTS (SELECT 1 FROM households h WHERE h.id = $1 AND h.cell_id = $2 AND h.closed_on IS NULL) \
             ON CONFLICT (household_id) DO UPDATE SET cell_id = excluded.cell_id, member_id = excluded.member_id, since = excluded.since",
        )
        .bind(a.household.as_str())
        .bind(unit.as_str())
        .bind(a.member.as_str())
        .bind(a.since.map(|d| d.iso()).unwrap_or_default())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn project_report(
    conn: &mut AnyConnection,
    r: &MonthlyReport,
    unit: &UnitId,
) -> anyhow::Result<()> {
    let code = |rating: Option<hosync_core::Rating>| rating.map(|r| r.code()).unwrap_or_default();
    sqlx::query(
        "INSERT INTO report_view (member_id, month, cell_id, self_rating, cell_rating, submitted_on, state) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (member_id, month) DO UPDATE SET cell_id = excluded.cell_id, self_rating = excluded.self_rating, \
         cell_rating = excluded.cell_rating, submitted_on = excluded.submitted_on, state = excluded.state",
    )
    .bind(r.member.as_str())
    .bind(r.month.iso())
    .bind(unit.as_str())
    .bind(code(r.self_rating))
    .bind(code(r.cell_rating))
    .bind(r.submitted_on.map(|d| d.iso()).unwrap_or_default())
    .bind(r.state().code())
    .execute(conn)
    .await?;
    Ok(())
}

/// Projects a stored document again, as it stands: after the tree changed under it (a
/// household joined or left its cell, a member moved).
pub async fn project_again(
    conn: &mut AnyConnection,
    id: &hosync_core::DocId,
    now: i64,
) -> anyhow::Result<()> {
    // Only read here, so the actor it is loaded under never writes.
    let actor = hosync_core::docs::random_actor();
    let Some(doc) = storage::load_doc(&mut *conn, id, &actor).await? else {
        return Ok(());
    };
    let Some(unit) = storage::document_unit(&mut *conn, id).await? else {
        return Ok(());
    };
    Rows::read(&doc)?.write(conn, &unit, now).await
}

/// The projections' version, kept in `meta`. A version that adds what a kind of document
/// projects to names that kind here, and documents of it stored before are projected again
/// when the server starts.
const VERSIONS: &[(i64, DocKind)] = &[(2, DocKind::Household), (3, DocKind::Report)];

/// Projects again the documents whose projections an upgrade extended, once; a new database
/// is marked current at once.
pub async fn bring_up_to_date(db: &Db) -> anyhow::Result<()> {
    let latest = VERSIONS.iter().map(|(v, _)| *v).max().unwrap_or(1);
    let mut conn = db.writer.acquire().await?;
    let current: i64 = sqlx::query("SELECT value FROM meta WHERE key = 'projections'")
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get::<String, _>(0))
        .transpose()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    if current >= latest {
        return Ok(());
    }
    let kinds: Vec<&str> = VERSIONS
        .iter()
        .filter(|(v, _)| *v > current)
        .map(|(_, kind)| kind.as_str())
        .collect();
    let mut ids = Vec::new();
    for kind in &kinds {
        let rows =
            sqlx::query("SELECT doc_id, unit_id FROM documents WHERE kind = $1 ORDER BY doc_id")
                .bind(*kind)
                .fetch_all(&mut *conn)
                .await?;
        for r in rows {
            ids.push((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?));
        }
    }
    drop(conn);
    if !ids.is_empty() {
        tracing::info!(
            "projecting {} stored documents ({}) into the staff views' new tables",
            ids.len(),
            kinds.join(", ")
        );
    }
    let actor = hosync_core::docs::random_actor();
    let mut progress = (!ids.is_empty()).then(|| {
        crate::progress::Progress::new("projecting stored documents", ids.len() as u64, "documents")
    });
    for chunk in ids.chunks(200) {
        let mut tx = db.begin_write().await?;
        for (doc_id, unit) in chunk {
            let id = hosync_core::DocId::parse(doc_id)?;
            let unit = UnitId::parse(unit)?;
            if let Some(doc) = storage::load_doc(&mut tx, &id, &actor).await? {
                Rows::read(&doc)?.write(&mut tx, &unit, 0).await?;
            }
        }
        tx.commit().await?;
        if let Some(progress) = &mut progress {
            progress.advance(chunk.len() as u64);
        }
    }
    if let Some(progress) = progress {
        progress.finish();
    }
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('projections', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(latest.to_string())
    .execute(&db.writer)
    .await?;
    Ok(())
}
