//! Backups of a SQLite database, taken while it serves, and putting one back.
//!
//! A backup is SQLite's `VACUUM INTO`: one read transaction, so the copy is the database as
//! of one commit, whatever the server writes meanwhile, and every change acknowledged before
//! it began is in it. A restore gives the restored database a new epoch, so that every phone's
//! cursor names another database: each phone then offers again whatever the restored server
//! does not confirm it holds, and nothing still on a phone is lost (see the sync client's
//! `new_database`). PostgreSQL is backed up with its own tools (`pg_dump`), then marked
//! restored here.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use sqlx::Connection;

use super::db::{Db, sqlite_path};

/// What a backup holds, to tell the operator.
#[derive(Debug)]
pub struct Copied {
    pub bytes: u64,
    pub documents: i64,
    pub log_end: i64,
}

/// Copies the live database at `url` into `target`, a file that must not exist yet.
pub async fn backup(url: &str, target: &Path) -> anyhow::Result<Copied> {
    let Some(path) = sqlite_path(url) else {
        bail!(
            "hosync backup copies a SQLite database; back up PostgreSQL with its own tool: pg_dump --format=custom --file=FILE DATABASE_URL (see the README)"
        );
    };
    ensure!(
        Path::new(&path).is_file(),
        "there is no database at {path} to back up (name it with --database-url)"
    );
    ensure!(
        !target.exists(),
        "{} exists already: name a new file, so that no backup is overwritten",
        target.display()
    );
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        ensure!(dir.is_dir(), "the folder {} does not exist", dir.display());
    }
    let db = Db::connect(url).await?;
    let mut conn = db.reader.acquire().await?;
    let target_text = target
        .to_str()
        .context("the backup's file name must be valid UTF-8")?;
    sqlx::query("VACUUM INTO $1")
        .bind(target_text)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("copying the database into {}", target.display()))?;
    drop(conn);
    db.close().await;
    let copied = check(target).await?;
    // The copy is complete on disk before it is called a backup.
    File::open(target)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("flushing {}", target.display()))?;
    Ok(copied)
}

/// Opens `file` read-only and checks it is a whole hosync database: SQLite's integrity check
/// passes and it has hosync's tables.
async fn check(file: &Path) -> anyhow::Result<Copied> {
    let shown = file.display();
    ensure!(file.is_file(), "{shown} is not a file");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("opening {shown} as a SQLite database"))?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{shown} is not a SQLite database"))?;
    ensure!(
        integrity == "ok",
        "{shown} is damaged (SQLite's integrity check says: {integrity})"
    );
    let documents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{shown} is not a hosync database (it has no documents)"))?;
    let log_end: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM changes")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{shown} is not a hosync database (it has no change log)"))?;
    conn.close().await?;
    Ok(Copied {
        bytes: std::fs::metadata(file)?.len(),
        documents,
        log_end,
    })
}

/// What a restore did, to tell the operator.
#[derive(Debug)]
pub struct Restored {
    pub copied: Copied,
    /// Where the database that was replaced was kept, if there was one.
    pub kept: Option<PathBuf>,
}

/// Puts the backup `source` in place of the SQLite database at `url`, which no server may be
/// serving. The database replaced is kept beside it (`….before-restore-TIME`), whole.
pub async fn restore(url: &str, source: &Path, now: i64) -> anyhow::Result<Restored> {
    let Some(path) = sqlite_path(url) else {
        bail!(
            "hosync restore puts back a SQLite backup; restore PostgreSQL with pg_restore, then run `hosync restore --mark-restored` on it (see the README)"
        );
    };
    let path = PathBuf::from(path);
    let copied = check(source).await?;
    check_migrations_known(source).await?;
    let _held = hold_unserved(&path)?;
    let kept = if path.exists() {
        let kept = PathBuf::from(format!("{}.before-restore-{now}", path.display()));
        // A copy through SQLite rather than of the file: the write-ahead log's commits are in it.
        backup(url, &kept)
            .await
            .context("keeping the database being replaced")?;
        Some(kept)
    } else {
        None
    };
    let incoming = PathBuf::from(format!("{}.restoring", path.display()));
    std::fs::copy(source, &incoming)
        .with_context(|| format!("copying {} to {}", source.display(), incoming.display()))?;
    forget_epoch(&incoming).await?;
    File::open(&incoming)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("flushing {}", incoming.display()))?;
    // The replaced database's log must go first: left beside the restored file, SQLite would
    // replay it onto it.
    for suffix in ["-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("removing {}", file.display())));
            }
        }
    }
    std::fs::rename(&incoming, &path)
        .with_context(|| format!("moving {} to {}", incoming.display(), path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename itself must survive a power cut.
        File::open(dir).and_then(|d| d.sync_all()).ok();
    }
    Ok(Restored { copied, kept })
}

/// Refuses a backup made by a newer hosync, whose schema this build cannot serve.
async fn check_migrations_known(source: &Path) -> anyhow::Result<()> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(source)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_all(&mut conn)
            .await
            .with_context(|| {
                format!(
                    "{} is not a hosync database (it has no migrations)",
                    source.display()
                )
            })?;
    conn.close().await?;
    let known = super::db::known_migrations(super::db::Backend::Sqlite);
    let unknown: Vec<String> = versions
        .iter()
        .filter(|v| !known.contains(v))
        .map(i64::to_string)
        .collect();
    ensure!(
        unknown.is_empty(),
        "{} was made by a newer hosync (migrations {} are unknown to this one): restore it with that version",
        source.display(),
        unknown.join(", ")
    );
    Ok(())
}

/// Takes away the database's epoch; the server makes a new one when it next starts.
async fn forget_epoch(file: &Path) -> anyhow::Result<()> {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(file);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("opening {}", file.display()))?;
    sqlx::query("DELETE FROM meta WHERE key = 'epoch'")
        .execute(&mut conn)
        .await
        .with_context(|| format!("giving {} a new epoch", file.display()))?;
    conn.close().await?;
    Ok(())
}

/// Gives the database at `url` (restored by other means, PostgreSQL's `pg_restore` say) a new
/// epoch, so that phones offer again what it lacks. No server may be serving it.
pub async fn mark_restored(url: &str) -> anyhow::Result<()> {
    let db = Db::open(url).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM meta WHERE key = 'epoch'")
        .execute(&mut *tx)
        .await?;
    super::epoch(&mut tx).await?;
    tx.commit().await?;
    db.close().await;
    Ok(())
}

/// The server's hold on a SQLite database it serves: a restore refuses to replace a file held.
/// An advisory lock (`flock`), apart from SQLite's own locks, released when the server stops
/// or dies.
#[derive(Debug)]
pub struct Served(#[allow(dead_code)] File);

/// Holds the database at `url` for a server, if it is a SQLite file.
pub fn hold_served(url: &str) -> anyhow::Result<Option<Served>> {
    let Some(path) = sqlite_path(url) else {
        return Ok(None);
    };
    let file = File::open(&path).with_context(|| format!("opening {path}"))?;
    let busy =
        format!("{path} is being restored: start the server when `hosync restore` has finished");
    try_lock(&file, Path::new(&path), Share::WithServers, &busy)?;
    Ok(Some(Served(file)))
}

/// Holds the file at `path` (if it exists) against servers while it is replaced.
fn hold_unserved(path: &Path) -> anyhow::Result<Option<File>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("opening {}", path.display()))),
    };
    let busy = format!(
        "a server is serving {}: stop it first (systemctl stop hosync), then restore",
        path.display()
    );
    try_lock(&file, path, Share::Alone, &busy)?;
    Ok(Some(file))
}

/// Whether a lock is held beside other servers' or alone, as a restore needs it.
enum Share {
    WithServers,
    Alone,
}

/// Takes `file`'s lock without waiting; `busy` says who holds it when someone does.
fn try_lock(file: &File, path: &Path, share: Share, busy: &str) -> anyhow::Result<()> {
    let taken = match share {
        Share::WithServers => file.try_lock_shared(),
        Share::Alone => file.try_lock(),
    };
    match taken {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => bail!("{busy}"),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(anyhow::Error::new(e).context(format!("locking {}", path.display())))
        }
    }
}
