//! The two databases' migrations in step: every migration of `server/migrations/sqlite` applied
//! to a fresh SQLite file and every one of `server/migrations/postgres` to a fresh PostgreSQL
//! database, each schema read back from the database itself and normalised, and the two held
//! to each other: the same tables, columns (type, nullability, default), primary keys, unique
//! constraints, indexes and foreign keys. A migration added to one folder and forgotten in the
//! other, or written differently, fails here with the difference spelt out.

use std::collections::BTreeMap;

use hosync_server::Db;
use sqlx::Row;

use crate::helpers::{Backend, TestDb};

/// A schema as facts, each keyed by what it is about (`column units.id`, `index units_path`),
/// its value what the database says of it in words both dialects share.
type Facts = BTreeMap<String, String>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_databases_migrate_to_the_same_schema() {
    let (sqlite_db, sqlite) = migrated(Backend::Sqlite).await;
    let (postgres_db, postgres) = migrated(Backend::Postgres).await;
    let sqlite_facts = sqlite_schema(&sqlite).await;
    let postgres_facts = postgres_schema(&postgres).await;
    sqlite.close().await;
    postgres.close().await;
    drop((sqlite_db, postgres_db));

    // A reading that found nothing would agree with itself; make sure both read a real schema.
    for (name, facts) in [("SQLite", &sqlite_facts), ("PostgreSQL", &postgres_facts)] {
        assert_eq!(
            facts.get("column changes.seq").map(String::as_str),
            Some("integer not null default <serial>"),
            "{name}: the change log's position as read back; all facts: {facts:#?}"
        );
        assert!(
            facts.keys().filter(|k| k.starts_with("table ")).count() >= 20,
            "{name} has its tables: {facts:#?}"
        );
    }
    let diff = differences(&sqlite_facts, &postgres_facts);
    assert!(
        diff.is_empty(),
        "server/migrations/sqlite and server/migrations/postgres define different schemas; add a \
         migration to fix it (never edit an applied one):\n{}",
        diff.join("\n")
    );
}

/// The check itself finds a difference: the same migrations, then one index, one column's type
/// and one column's nullability made different on one side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_that_differs_is_reported_with_what_differs() {
    let (sqlite_db, sqlite) = migrated(Backend::Sqlite).await;
    let (postgres_db, postgres) = migrated(Backend::Postgres).await;
    for statement in [
        "CREATE INDEX only_here ON units (name)",
        "ALTER TABLE units ADD COLUMN extra INTEGER",
    ] {
        sqlx::query(statement)
            .execute(&sqlite.writer)
            .await
            .expect("change the SQLite schema");
    }
    for statement in [
        "ALTER TABLE units ADD COLUMN extra TEXT",
        "ALTER TABLE members ALTER COLUMN name DROP NOT NULL",
    ] {
        sqlx::query(statement)
            .execute(&postgres.writer)
            .await
            .expect("change the PostgreSQL schema");
    }
    let diff = differences(
        &sqlite_schema(&sqlite).await,
        &postgres_schema(&postgres).await,
    );
    sqlite.close().await;
    postgres.close().await;
    drop((sqlite_db, postgres_db));
    for expected in [
        "index only_here: only in SQLite: on units (name)",
        "column units.extra: SQLite says `integer null`, PostgreSQL says `text null`",
        "column members.name: SQLite says `text not null`, PostgreSQL says `text null`",
    ] {
        assert!(
            diff.iter().any(|line| line.trim() == expected),
            "{expected:?} in {diff:#?}"
        );
    }
}

/// The SQLite migration that remade tables to make their primary keys NOT NULL.
const SQLITE_REBUILD: i64 = 8;

/// Remaking SQLite tables keeps every row, and leaves foreign keys on and holding: a database
/// with data at the migration before is migrated by `Db::open` as a server's would be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remaking_the_sqlite_tables_keeps_every_row() {
    let test_db = TestDb::new(Backend::Sqlite).await;
    let before = Db::connect(&test_db.url).await.expect("connect");
    let folder =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/migrations/sqlite");
    sqlx::migrate::Migrator::new(folder)
        .await
        .expect("the SQLite migrations")
        .run_to(SQLITE_REBUILD - 1, &before.writer)
        .await
        .expect("migrate to just before the rebuild");
    // The rows as today's code writes them, put into the tables as they were then: a fixture
    // written by today's code straight into the old schema would meet columns it lacks.
    let fresh_db = TestDb::new(Backend::Sqlite).await;
    let fresh = Db::open(&fresh_db.url).await.expect("a fresh database");
    crate::helpers::seed_fixture(&fresh).await;
    fill_access_tables(&fresh).await;
    fresh.close().await;
    copy_into_older_schema(&before, &fresh_db.sqlite_file().expect("a SQLite file")).await;
    let rows_before = every_row(&before, None).await;
    let columns_before = columns(&before).await;
    before.close().await;
    assert!(
        [
            "units",
            "documents",
            "changes",
            "devices",
            "device_actors",
            "sessions",
            "users"
        ]
        .iter()
        .all(|t| rows_before.get(*t).is_some_and(|rows| !rows.is_empty())),
        "the tables remade hold rows to keep: {:?}",
        rows_before
            .iter()
            .map(|(t, r)| (t, r.len()))
            .collect::<Vec<_>>()
    );

    let db = Db::open(&test_db.url).await.expect("the rebuild applies");
    assert_eq!(
        every_row(&db, Some(&columns_before)).await,
        rows_before,
        "every row kept as it was"
    );
    let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&db.writer)
        .await
        .expect("foreign_keys");
    assert_eq!(on, 1, "foreign keys are on again after the rebuild");
    let broken = sqlx::query("SELECT * FROM pragma_foreign_key_check")
        .fetch_all(&db.writer)
        .await
        .expect("foreign key check");
    assert!(
        broken.is_empty(),
        "{} rows break a foreign key",
        broken.len()
    );
    let null_key = sqlx::query(
        "INSERT INTO units (id, kind, level_label, name) VALUES (NULL, 'cell', 'x', 'x')",
    )
    .execute(&db.writer)
    .await;
    assert!(null_key.is_err(), "a NULL primary key is refused");
    // A table that refers to a remade one still refers to it.
    let dangling = sqlx::query(
        "INSERT INTO members (id, cell_id, name, role) VALUES ('m-x', 'no-such-unit', 'x', 'member')",
    )
    .execute(&db.writer)
    .await;
    assert!(dangling.is_err(), "a member of no unit is refused");
    db.close().await;
}

/// A staff account, an enrolment code, a phone with its actor, a session and a meta row: the
/// access tables the fixture leaves empty.
async fn fill_access_tables(db: &Db) {
    use hosync_server::access::accounts::{self, By, Login, NewUser};
    use hosync_server::access::{audit::Actor, devices};
    let now = crate::helpers::today().noon_timestamp();
    let account = NewUser {
        login: Login::parse("rebuild").expect("login"),
        name: "Cán bộ rebuild".into(),
        password: "a long enough password".into(),
        role: hosync_core::AccessRole::DistrictStaff,
        scope: hosync_core::UnitId::parse("d").expect("unit"),
    };
    accounts::add_user(db, By::Cli, &account, now)
        .await
        .expect("a staff account");
    let mut tx = db.begin_write().await.expect("tx");
    let holder = devices::Holder::Member(hosync_core::MemberId::parse("m2").expect("member"));
    devices::issue_code(&mut tx, &holder, &Actor::Cli, now, 600)
        .await
        .expect("an enrolment code");
    for statement in [
        "INSERT INTO meta (key, value) VALUES ('rebuild', 'kept')",
        "INSERT INTO devices (id, token_hash, member_id, label, enrolled_at, enrolled_by) \
         VALUES ('dev-1', X'0102', 'm2', 'Điện thoại của Pủa', 1, 'cli')",
        "INSERT INTO device_actors (actor, device_id, bound_at) VALUES (X'abcd', 'dev-1', 2)",
        "INSERT INTO sessions (token_hash, user_login, csrf_token, created_at, expires_at) \
         VALUES (X'0304', 'rebuild', 'csrf', 3, 4)",
    ] {
        sqlx::query(statement)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().await.expect("commit");
}

/// Every row of every table, each quoted as SQLite writes values, sorted per table.
/// Each table of a SQLite database and its columns in order.
async fn columns(db: &Db) -> BTreeMap<String, Vec<String>> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&db.reader)
    .await
    .expect("tables");
    let mut all = BTreeMap::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(&table)
                .fetch_all(&db.reader)
                .await
                .expect("columns");
        all.insert(table, columns);
    }
    all
}

/// Copies every row of the database in `file` into `db`, whose schema is older: for each of
/// `db`'s tables, the columns it has.
async fn copy_into_older_schema(db: &Db, file: &std::path::Path) {
    let older = columns(db).await;
    let mut conn = db.writer.acquire().await.expect("a connection");
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await
        .expect("foreign keys off for the copy");
    sqlx::query("ATTACH DATABASE $1 AS fresh")
        .bind(file.to_string_lossy().into_owned())
        .execute(&mut *conn)
        .await
        .expect("attach the fresh database");
    for (table, columns) in &older {
        let list: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
        let list = list.join(", ");
        // Names come from the database's own catalogue, not from input.
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO main.\"{table}\" ({list}) SELECT {list} FROM fresh.\"{table}\""
        ));
        sqlx::query(sql)
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("copy {table}: {e}"));
    }
    sqlx::query("DETACH DATABASE fresh")
        .execute(&mut *conn)
        .await
        .expect("detach");
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await
        .expect("foreign keys on again");
}

/// Every row of every table, as text; of the columns named in `only` where given (a database
/// migrated further has columns the one before lacked).
async fn every_row(
    db: &Db,
    only: Option<&BTreeMap<String, Vec<String>>>,
) -> BTreeMap<String, Vec<String>> {
    let mut all = BTreeMap::new();
    for (table, columns) in columns(db).await {
        let columns = match only {
            Some(only) => match only.get(&table) {
                Some(kept) => kept.clone(),
                None => continue,
            },
            None => columns,
        };
        let quoted: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
        // Names come from the database's own catalogue, not from input.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM \"{table}\"",
            quoted.join(" || ',' || ")
        ));
        let mut rows: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(&db.reader)
            .await
            .expect("rows");
        rows.sort();
        all.insert(table, rows);
    }
    all
}

#[test]
fn types_and_defaults_are_normalised_across_dialects() {
    fn check(declared: &str, expected: &str) {
        assert_eq!(normal_type(declared), expected, "type {declared:?}");
    }
    check("INTEGER", "integer");
    check("bigint", "integer");
    check("BIGSERIAL", "integer");
    check("smallint", "integer");
    check("BLOB", "bytes");
    check("bytea", "bytes");
    check("TEXT", "text");
    check("character varying", "text");
    check("VARCHAR(80)", "text");
    check("REAL", "real");
    check("double precision", "real");
    check("boolean", "boolean");
    check("", "untyped");
    check(
        "timestamp with time zone",
        "other: timestamp with time zone",
    );

    fn check_default(postgres: &str, expected: &str) {
        assert_eq!(postgres_default(postgres), expected, "default {postgres:?}");
    }
    check_default("''::text", "''");
    check_default("0", "0");
    check_default("'-1'::integer", "-1");
    check_default("nextval('changes_seq_seq'::regclass)", "<serial>");
    check_default("'x'::character varying", "'x'");
}

/// A fresh database of `backend`, connected and migrated by the server's own `Db::open`.
async fn migrated(backend: Backend) -> (TestDb, Db) {
    let test_db = TestDb::new(backend).await;
    let db = Db::open(&test_db.url)
        .await
        .expect("the database connects and every migration applies");
    (test_db, db)
}

/// Every fact of one side that the other does not share, one line each: which side has it, or
/// what each says.
fn differences(sqlite: &Facts, postgres: &Facts) -> Vec<String> {
    let mut keys: Vec<&String> = sqlite.keys().chain(postgres.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| match (sqlite.get(key), postgres.get(key)) {
            (Some(a), Some(b)) if a == b => None,
            (Some(a), Some(b)) => {
                Some(format!("  {key}: SQLite says `{a}`, PostgreSQL says `{b}`"))
            }
            (Some(a), None) => Some(format!("  {key}: only in SQLite: {a}")),
            (None, Some(b)) => Some(format!("  {key}: only in PostgreSQL: {b}")),
            (None, None) => None,
        })
        .collect()
}

/// A column type in the words both dialects share: SQLite's declared type or PostgreSQL's
/// `data_type`, without its length.
fn normal_type(declared: &str) -> String {
    let lower = declared.to_ascii_lowercase();
    let base = lower.split('(').next().unwrap_or_default().trim();
    match base {
        "integer" | "int" | "bigint" | "smallint" | "int2" | "int4" | "int8" | "serial"
        | "bigserial" | "smallserial" => "integer".into(),
        "text" | "varchar" | "character varying" | "char" | "character" | "clob" => "text".into(),
        "blob" | "bytea" => "bytes".into(),
        "real" | "double" | "double precision" | "float" | "float4" | "float8" => "real".into(),
        "boolean" | "bool" => "boolean".into(),
        "numeric" | "decimal" => "numeric".into(),
        "" => "untyped".into(),
        other => format!("other: {other}"),
    }
}

/// A column's description: type, nullability and default, if any.
fn column_fact(ty: &str, nullable: bool, default: Option<String>) -> String {
    let mut fact = format!(
        "{} {}",
        normal_type(ty),
        if nullable { "null" } else { "not null" }
    );
    if let Some(default) = default {
        fact.push_str(" default ");
        fact.push_str(&default);
    }
    fact
}

/// A PostgreSQL default as SQLite would write it: casts dropped (`''::text` is `''`), a
/// sequence's next value (BIGSERIAL) as `<serial>`, and a quoted number as the number.
fn postgres_default(default: &str) -> String {
    let default = default.trim();
    if default.starts_with("nextval(") {
        return "<serial>".into();
    }
    let mut value = default;
    // Casts come last and may be chained (`'0'::text::bigint`); quoted text holds no `::`
    // the migrations would write, so cutting at the first one outside quotes is enough.
    let mut in_quotes = false;
    for (i, c) in default.char_indices() {
        match c {
            '\'' => in_quotes = !in_quotes,
            ':' if !in_quotes && default[i..].starts_with("::") => {
                value = default[..i].trim();
                break;
            }
            _ => {}
        }
    }
    match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) if inner.parse::<f64>().is_ok() => inner.to_owned(),
        _ => value.to_owned(),
    }
}

fn key_list(columns: &[String]) -> String {
    format!("({})", columns.join(", "))
}

/// The SQLite schema, from `sqlite_master` and the table and index pragmas.
async fn sqlite_schema(db: &Db) -> Facts {
    let pool = &db.reader;
    let mut facts = Facts::new();
    let tables = sqlx::query(
        "SELECT name, wr, strict FROM pragma_table_list \
         WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .expect("SQLite's tables");
    for table in &tables {
        let name: String = table.try_get(0).expect("table name");
        let without_rowid = table.try_get::<i64, _>(1).expect("wr") != 0;
        let strict = table.try_get::<i64, _>(2).expect("strict") != 0;
        facts.insert(format!("table {name}"), "present".into());

        let columns = sqlx::query(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .expect("SQLite's columns");
        let mut primary_key: Vec<(i64, String, String)> = Vec::new();
        for column in &columns {
            let column_name: String = column.try_get(0).expect("column name");
            let ty: String = column.try_get(1).expect("column type");
            let pk: i64 = column.try_get(4).expect("pk");
            if pk > 0 {
                primary_key.push((pk, column_name, ty));
            }
        }
        primary_key.sort();
        // A lone INTEGER PRIMARY KEY is the rowid: never null, and numbered by SQLite when an
        // insert leaves it out, as a BIGSERIAL is by PostgreSQL.
        let rowid = match primary_key.as_slice() {
            [(_, column, ty)] if !without_rowid && ty.eq_ignore_ascii_case("integer") => {
                Some(column.clone())
            }
            _ => None,
        };
        for column in &columns {
            let column_name: String = column.try_get(0).expect("column name");
            let ty: String = column.try_get(1).expect("column type");
            let not_null = column.try_get::<i64, _>(2).expect("notnull") != 0;
            let default: Option<String> = column.try_get(3).expect("default");
            let pk = column.try_get::<i64, _>(4).expect("pk") > 0;
            let is_rowid = rowid.as_deref() == Some(column_name.as_str());
            // Outside the rowid, WITHOUT ROWID and STRICT tables, SQLite lets a PRIMARY KEY
            // column hold NULL unless it says NOT NULL, where PostgreSQL never does: that
            // difference is real and counts.
            let nullable = !(not_null || is_rowid || (pk && (without_rowid || strict)));
            let default = if is_rowid {
                Some("<serial>".to_owned())
            } else {
                default.filter(|d| !d.eq_ignore_ascii_case("null"))
            };
            facts.insert(
                format!("column {name}.{column_name}"),
                column_fact(&ty, nullable, default),
            );
        }
        let pk_columns: Vec<String> = primary_key.into_iter().map(|(_, c, _)| c).collect();
        if !pk_columns.is_empty() {
            facts.insert(format!("primary key of {name}"), key_list(&pk_columns));
        }

        let indexes = sqlx::query(
            "SELECT name, \"unique\", origin, partial FROM pragma_index_list($1) ORDER BY name",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .expect("SQLite's indexes");
        for index in &indexes {
            let index_name: String = index.try_get(0).expect("index name");
            let unique = index.try_get::<i64, _>(1).expect("unique") != 0;
            let origin: String = index.try_get(2).expect("origin");
            let partial = index.try_get::<i64, _>(3).expect("partial") != 0;
            let columns: Vec<String> = sqlx::query(
                "SELECT COALESCE(name, '<expression>') FROM pragma_index_info($1) ORDER BY seqno",
            )
            .bind(&index_name)
            .fetch_all(pool)
            .await
            .expect("SQLite's index columns")
            .iter()
            .map(|r| r.try_get(0).expect("index column"))
            .collect();
            match origin.as_str() {
                // The primary key's own index; the key itself is a fact above.
                "pk" => {}
                // A UNIQUE constraint's index, named by SQLite (`sqlite_autoindex_…`) and by
                // PostgreSQL (`…_key`) each its own way: known by its columns.
                "u" => {
                    facts.insert(
                        format!("unique constraint on {name} {}", key_list(&columns)),
                        "present".into(),
                    );
                }
                _ => {
                    facts.insert(
                        format!("index {index_name}"),
                        index_fact(&name, &columns, unique, partial),
                    );
                }
            }
        }

        let keys = sqlx::query(
            "SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete \
             FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .expect("SQLite's foreign keys");
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for key in &keys {
            let id: i64 = key.try_get(0).expect("id");
            let actions = format!(
                "on update {} on delete {}",
                key.try_get::<String, _>(5)
                    .expect("on_update")
                    .to_lowercase(),
                key.try_get::<String, _>(6)
                    .expect("on_delete")
                    .to_lowercase()
            );
            let entry = by_id.entry(id).or_insert_with(|| ForeignKey {
                target: key.try_get(2).expect("table"),
                from: Vec::new(),
                to: Vec::new(),
                actions,
            });
            entry.from.push(key.try_get(3).expect("from"));
            entry.to.push(key.try_get(4).expect("to"));
        }
        for mut key in by_id.into_values() {
            // `REFERENCES t` without columns means t's primary key.
            if key.to.iter().any(Option::is_none) {
                key.to = sqlite_primary_key(db, &key.target)
                    .await
                    .into_iter()
                    .map(Some)
                    .collect();
            }
            key.insert_into(&mut facts, &name);
        }
    }
    facts
}

async fn sqlite_primary_key(db: &Db, table: &str) -> Vec<String> {
    sqlx::query("SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk")
        .bind(table)
        .fetch_all(&db.reader)
        .await
        .expect("a referenced table's primary key")
        .iter()
        .map(|r| r.try_get(0).expect("column"))
        .collect()
}

/// A foreign key read from either database, gathered column by column.
struct ForeignKey {
    target: String,
    from: Vec<String>,
    /// The referenced columns; SQLite leaves them out when the key names only the table.
    to: Vec<Option<String>>,
    /// `on update … on delete …`, lower case.
    actions: String,
}

impl ForeignKey {
    fn insert_into(self, facts: &mut Facts, table: &str) {
        let to: Vec<String> = self.to.into_iter().flatten().collect();
        facts.insert(
            format!("foreign key {table} {}", key_list(&self.from)),
            format!(
                "references {} {} {}",
                self.target,
                key_list(&to),
                self.actions
            ),
        );
    }
}

fn index_fact(table: &str, columns: &[String], unique: bool, partial: bool) -> String {
    let mut fact = format!("on {table} {}", key_list(columns));
    if unique {
        fact.push_str(" unique");
    }
    if partial {
        fact.push_str(" partial");
    }
    fact
}

/// The PostgreSQL schema of the database's `public` schema, from `information_schema` and the
/// catalogues.
async fn postgres_schema(db: &Db) -> Facts {
    let pool = &db.reader;
    let mut facts = Facts::new();
    let tables = sqlx::query(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
         AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("PostgreSQL's tables");
    for table in &tables {
        let name: String = table.try_get(0).expect("table name");
        facts.insert(format!("table {name}"), "present".into());
    }

    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, \
         column_default::text, is_identity::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await
    .expect("PostgreSQL's columns");
    for column in &columns {
        let table: String = column.try_get(0).expect("table");
        let name: String = column.try_get(1).expect("column");
        let ty: String = column.try_get(2).expect("type");
        let nullable = column.try_get::<String, _>(3).expect("nullable") == "YES";
        let default: Option<String> = column.try_get(4).expect("default");
        let identity = column.try_get::<String, _>(5).expect("identity") == "YES";
        let default = if identity {
            Some("<serial>".to_owned())
        } else {
            default
                .map(|d| postgres_default(&d))
                .filter(|d| !d.eq_ignore_ascii_case("null"))
        };
        facts.insert(
            format!("column {table}.{name}"),
            column_fact(&ty, nullable, default),
        );
    }

    let index_columns = sqlx::query(
        "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
         EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid \
                 AND c.conrelid = ix.indrelid AND c.contype IN ('p', 'u')), \
         ix.indpred IS NOT NULL, COALESCE(a.attname::text, '<expression>') \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE n.nspname = 'public' AND t.relname <> '_sqlx_migrations' \
         ORDER BY t.relname, i.relname, k.ord",
    )
    .fetch_all(pool)
    .await
    .expect("PostgreSQL's indexes");
    struct PgIndex {
        table: String,
        unique: bool,
        primary: bool,
        constraint: bool,
        partial: bool,
        columns: Vec<String>,
    }
    let mut indexes: BTreeMap<String, PgIndex> = BTreeMap::new();
    for row in &index_columns {
        let index: String = row.try_get(1).expect("index");
        let entry = indexes.entry(index).or_insert_with(|| PgIndex {
            table: row.try_get(0).expect("table"),
            unique: row.try_get(2).expect("unique"),
            primary: row.try_get(3).expect("primary"),
            constraint: row.try_get(4).expect("constraint"),
            partial: row.try_get(5).expect("partial"),
            columns: Vec::new(),
        });
        entry.columns.push(row.try_get(6).expect("column"));
    }
    for (name, index) in indexes {
        if index.primary {
            facts.insert(
                format!("primary key of {}", index.table),
                key_list(&index.columns),
            );
        } else if index.constraint {
            facts.insert(
                format!(
                    "unique constraint on {} {}",
                    index.table,
                    key_list(&index.columns)
                ),
                "present".into(),
            );
        } else {
            facts.insert(
                format!("index {name}"),
                index_fact(&index.table, &index.columns, index.unique, index.partial),
            );
        }
    }

    let keys = sqlx::query(
        "SELECT c.oid::bigint, cl.relname::text, fcl.relname::text, a.attname::text, \
         fa.attname::text, c.confupdtype::text, c.confdeltype::text \
         FROM pg_constraint c \
         JOIN pg_class cl ON cl.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         JOIN pg_class fcl ON fcl.oid = c.confrelid \
         CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, fattnum, ord) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = k.fattnum \
         WHERE c.contype = 'f' AND n.nspname = 'public' ORDER BY c.oid, k.ord",
    )
    .fetch_all(pool)
    .await
    .expect("PostgreSQL's foreign keys");
    let action = |code: &str| match code {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        _ => "unknown",
    };
    let mut by_id: BTreeMap<i64, (String, ForeignKey)> = BTreeMap::new();
    for key in &keys {
        let id: i64 = key.try_get(0).expect("oid");
        let actions = format!(
            "on update {} on delete {}",
            action(&key.try_get::<String, _>(5).expect("confupdtype")),
            action(&key.try_get::<String, _>(6).expect("confdeltype"))
        );
        let (_, entry) = by_id.entry(id).or_insert_with(|| {
            (
                key.try_get(1).expect("table"),
                ForeignKey {
                    target: key.try_get(2).expect("target"),
                    from: Vec::new(),
                    to: Vec::new(),
                    actions,
                },
            )
        });
        entry.from.push(key.try_get(3).expect("from"));
        entry.to.push(Some(key.try_get(4).expect("to")));
    }
    for (table, key) in by_id.into_values() {
        key.insert_into(&mut facts, &table);
    }
    facts
}
