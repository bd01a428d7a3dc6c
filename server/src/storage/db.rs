//! The database: one code path for SQLite (embedded default) and PostgreSQL, through sqlx's
//! `Any` driver. Queries use `$n` placeholders, which both backends read.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pools.
#[derive(Debug, Clone)]
pub struct Db {
    /// Readers: any number at once.
    pub reader: AnyPool,
    /// Writers. On SQLite a single connection, so writes queue in the pool instead of failing
    /// with "database is locked"; on PostgreSQL the same pool as the readers, and writers of
    /// the change log take an advisory lock instead (see [`Db::begin_write`]).
    pub writer: AnyPool,
    /// Which database the pools speak to, for the few statements that differ.
    pub backend: Backend,
}

/// Serialises appends to the change log on PostgreSQL, so that log order is commit order and a
/// phone's cursor can never skip a change committed late.
const LOG_LOCK: i64 = 0x686f_7379_6e63;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The migrations this build knows for a backend, by version.
pub fn known_migrations(backend: Backend) -> Vec<i64> {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).collect()
}

impl Db {
    /// Connects and brings the schema up to date: what every command needs before it reads or
    /// writes. Bringing the projections up to date is the server's to do at start
    /// (`projection::bring_up_to_date`), not every command's.
    pub async fn open(url: &str) -> anyhow::Result<Db> {
        let db = Db::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies the migrations the database lacks.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.migrator().run(&self.writer).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let trouble = match &e {
                    sqlx::migrate::MigrateError::Execute(db) => StorageTrouble::of(db),
                    _ => None,
                };
                let what = match trouble {
                    Some(trouble) => format!("applying database migrations: {trouble}"),
                    None => "applying database migrations".to_owned(),
                };
                Err(anyhow::Error::new(e).context(what))
            }
        }
    }

    /// Whether the database is ready to serve: it answers, every migration this build knows is
    /// applied, and it takes a write (a small one, rolled back), so that a full disk or a
    /// read-only file shows before a phone's sync finds it.
    pub async fn readiness(&self) -> Result<(), String> {
        let applied: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
        )
        .fetch_all(&self.reader)
        .await
        .map_err(|e| explain(&e, "reading the applied migrations"))?;
        let missing: Vec<String> = self
            .migrator()
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| format!("{} {}", m.version, m.description))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "migrations not applied: {} (start `hosync serve`, which applies them)",
                missing.join(", ")
            ));
        }
        let mut tx = self
            .begin_write()
            .await
            .map_err(|e| explain(&e, "beginning a write"))?;
        sqlx::query("INSERT INTO meta (key, value) VALUES ('readiness-probe', $1)")
            .bind("x".repeat(4096))
            .execute(&mut *tx)
            .await
            .map_err(|e| explain(&e, "writing"))?;
        tx.rollback()
            .await
            .map_err(|e| explain(&e, "rolling back the probe"))?;
        Ok(())
    }

    /// Connects, creating the SQLite file and its folder if needed; the schema is as found.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:, not {url:?}");
        };
        let options = AnyConnectOptions::from_str(url)
            .with_context(|| format!("reading DATABASE_URL {url:?}"))?;
        let db = match backend {
            Backend::Sqlite => {
                if let Some(path) = sqlite_path(url)
                    && let Some(dir) = Path::new(&path).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                // One connection first, alone: a database that cannot be opened (read-only,
                // on a full disk) says why at once, where a pool would retry until it timed out
                // and say only that.
                let mut probe = <sqlx::AnyConnection as sqlx::Connection>::connect_with(&options)
                    .await
                    .map_err(|e| anyhow::anyhow!("opening {url}: {}", explain(&e, "connecting")))?;
                sqlite_pragmas(&mut probe).await.map_err(|e| {
                    anyhow::anyhow!("opening {url}: {}", explain(&e, "setting it up"))
                })?;
                sqlx::Connection::close(probe).await?;
                let pragmas = || {
                    AnyPoolOptions::new().after_connect(|conn, _| {
                        Box::pin(async move { sqlite_pragmas(conn).await })
                    })
                };
                let writer = pragmas()
                    .max_connections(1)
                    .connect_with(options.clone())
                    .await
                    .with_context(|| format!("opening {url}"))?;
                let reader = pragmas()
                    .max_connections(8)
                    .connect_with(options)
                    .await
                    .with_context(|| format!("opening {url}"))?;
                Db {
                    reader,
                    writer,
                    backend,
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // The scope filters look costly enough to PostgreSQL's planner that it
                            // JIT-compiles them on every sync: 140 ms of compiling for a 2 ms
                            // query. Short queries never repay JIT.
                            conn.execute("SET jit = off").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
                    .with_context(|| format!("connecting to {url}"))?;
                Db {
                    reader: pool.clone(),
                    writer: pool,
                    backend,
                }
            }
        };
        Ok(db)
    }

    /// A write transaction. On SQLite it takes the write lock when it begins (`BEGIN
    /// IMMEDIATE`): a transaction that read first and wrote later would be refused at once
    /// ("database is locked") when another process, the command line say, wrote in between,
    /// whatever the busy timeout; taking the lock first makes every writer wait its turn.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = self.writer.acquire().await?;
                if sqlx::Connection::is_in_transaction(&*conn) {
                    // A commit the disk refused (full) leaves SQLite's transaction rolled back
                    // but the connection still counting it: it is replaced, not reused.
                    conn.close_on_drop();
                    drop(conn);
                    conn = self.writer.acquire().await?;
                }
                sqlx::Transaction::begin(
                    conn,
                    Some(sqlx::SqlSafeStr::into_sql_str("BEGIN IMMEDIATE")),
                )
                .await
            }
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// A write transaction that may append to the change log: on PostgreSQL it also takes the
    /// advisory lock that makes log order commit order.
    pub async fn begin_log_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(LOG_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// A read transaction that sees one state of the database throughout, as a sync's answer is
    /// read: appends commit in log order (one writer on SQLite, the log lock on PostgreSQL), so
    /// the state it sees holds the log up to its end and nothing after, and that end is a cursor
    /// that skips nothing.
    pub async fn begin_snapshot(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let mut tx = self.reader.begin().await?;
        // SQLite's read transaction keeps the snapshot of its first read until it ends;
        // PostgreSQL's default (read committed) would let each statement see later commits.
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// What is wrong with the storage, when a database error says so: named for the people who
/// read it (a phone's member, an operator), since the fix is theirs (free space, permissions)
/// and nothing of the request was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageTrouble {
    /// The disk (or the database's allowed size) is full.
    Full,
    /// The database may be read but not written.
    ReadOnly,
    /// The database does not answer (down, or no connection free in time).
    Unreachable,
}

impl std::fmt::Display for StorageTrouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StorageTrouble::Full => "the server's storage is full",
            StorageTrouble::ReadOnly => "the server's database is read-only",
            StorageTrouble::Unreachable => "the server's database does not answer",
        })
    }
}

impl StorageTrouble {
    /// The trouble a database error reports, if it reports one (SQLite's result codes,
    /// PostgreSQL's SQLSTATEs).
    pub fn of(error: &sqlx::Error) -> Option<StorageTrouble> {
        match error {
            sqlx::Error::Database(db) => {
                let code = db.code();
                match code.as_deref() {
                    // SQLITE_FULL, and PostgreSQL's disk_full and out of memory or space.
                    Some("13" | "53100" | "53200") => Some(StorageTrouble::Full),
                    // SQLITE_READONLY and its extended codes; read_only_sql_transaction.
                    Some("8" | "264" | "520" | "776" | "1032" | "1288" | "25006") => {
                        Some(StorageTrouble::ReadOnly)
                    }
                    _ => None,
                }
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                Some(StorageTrouble::Unreachable)
            }
            _ => None,
        }
    }

    /// The same, for an error that may wrap a database error.
    pub fn in_error(error: &anyhow::Error) -> Option<StorageTrouble> {
        error
            .chain()
            .find_map(|cause| cause.downcast_ref::<sqlx::Error>())
            .and_then(StorageTrouble::of)
    }
}

/// Empties the database a URL names, so a seed starts from nothing: deletes a SQLite file, or
/// drops and creates a PostgreSQL database (through the server's `postgres` database).
pub async fn recreate(url: &str) -> anyhow::Result<()> {
    if let Some(path) = sqlite_path(url) {
        for suffix in ["", "-wal", "-shm"] {
            let file = format!("{path}{suffix}");
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(anyhow::Error::new(e).context(format!("removing {file}"))),
            }
        }
        return Ok(());
    }
    anyhow::ensure!(
        url.starts_with("postgres"),
        "cannot recreate {url:?}: not a sqlite: or postgres: URL"
    );
    let (server, name) = url
        .split('?')
        .next()
        .unwrap_or(url)
        .rsplit_once('/')
        .context("the URL names no database")?;
    anyhow::ensure!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "database name {name:?} must be lower-case letters, digits and _"
    );
    anyhow::ensure!(name != "postgres", "refusing to drop the postgres database");
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .with_context(|| format!("connecting to {server}/postgres"))?;
    // The name was checked above to be a plain identifier.
    for statement in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .with_context(|| format!("recreating database {name}"))?;
    }
    Ok(())
}

/// What every SQLite connection is set up with. WAL lets readers run beside the writer;
/// synchronous=FULL makes every acknowledged commit survive a power cut, not just a crash.
async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    conn.execute("PRAGMA busy_timeout = 10000").await?;
    Ok(())
}

/// A database error while doing `what`, in words: the storage trouble when it is one.
fn explain(error: &sqlx::Error, what: &str) -> String {
    match StorageTrouble::of(error) {
        Some(trouble) => format!("{trouble} ({what}: {error})"),
        None => format!("{what}: {error}"),
    }
}

/// The file a `sqlite:` URL names, if it names one.
pub fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

/// The SQLite URL for a file, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/x.db?mode=rwc").as_deref(),
            Some("data/x.db")
        );
        assert_eq!(sqlite_path("sqlite:x.db").as_deref(), Some("x.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
