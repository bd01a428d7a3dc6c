//! `hosync backup` and `hosync restore`: a consistent copy of a live SQLite database, and
//! putting one back.

use std::path::PathBuf;

use anyhow::ensure;
use clap::Args;

use crate::storage::backup;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write the copy into (it must not exist).
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup to put back (from `hosync backup`). The database it replaces is kept beside
    /// it as `….before-restore-TIME`.
    #[arg(required_unless_present = "mark_restored")]
    pub file: Option<PathBuf>,
    /// The database was restored by other means (PostgreSQL's pg_restore): only give it a new
    /// epoch, so that phones send again what it lacks.
    #[arg(long, conflicts_with = "file")]
    pub mark_restored: bool,
}

pub async fn backup(
    url: &str,
    args: BackupArgs,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let copied = backup::backup(url, &args.file).await?;
    writeln!(
        out,
        "Backed up {} documents (change log to {}) into {}, {} bytes.",
        copied.documents,
        copied.log_end,
        args.file.display(),
        copied.bytes
    )?;
    Ok(())
}

pub async fn restore(
    url: &str,
    args: RestoreArgs,
    now: i64,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    if args.mark_restored {
        backup::mark_restored(url).await?;
        writeln!(
            out,
            "Marked restored: phones will send again whatever this database lacks when they next sync."
        )?;
        return Ok(());
    }
    let Some(file) = args.file else {
        anyhow::bail!("name the backup to restore (hosync restore FILE)");
    };
    ensure!(file.is_file(), "there is no backup at {}", file.display());
    let restored = backup::restore(url, &file, now).await?;
    if let Some(kept) = &restored.kept {
        writeln!(out, "The database replaced is kept in {}.", kept.display())?;
    }
    writeln!(
        out,
        "Restored {} documents (change log to {}) from {}. Start the server: phones will send again whatever the backup lacks when they next sync.",
        restored.copied.documents,
        restored.copied.log_end,
        file.display()
    )?;
    Ok(())
}
