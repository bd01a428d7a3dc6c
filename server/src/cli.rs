//! The `hosync` command line: every clap type and command. No other module reads the command
//! line; each command calls the domain and storage functions of its area.

pub mod admin;
pub mod backup;
pub mod chaos;
pub mod org;
pub mod serve;
pub mod tools;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::Db;
use admin::{AuditArgs, DeviceArgs, EnrolArgs, UserArgs};
use backup::{BackupArgs, RestoreArgs};
use chaos::ChaosArgs;
pub use serve::{ServeArgs, serve};
use tools::{DemoArgs, LoadgenArgs, PhoneArgs, SeedArgs};

#[derive(Debug, Parser)]
#[command(
    name = "hosync",
    version,
    about = "Offline-first sync of household-responsibility work"
)]
pub struct Cli {
    /// The database: sqlite://path?mode=rwc or postgres://user@host/db; a SQLite file under
    /// ./data by default (data/demo.db for `demo`, data/hosync.db otherwise). Accepted before
    /// or after any subcommand.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// How the log on standard error is written: `text` for people, `json` (one object per
    /// line) for a log collector. `RUST_LOG` chooses what is logged.
    #[arg(
        long,
        env = "HOSYNC_LOG_FORMAT",
        global = true,
        value_enum,
        default_value_t
    )]
    pub log_format: crate::request_log::LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a real district on an empty database: its top unit and first administrator.
    Init(org::InitArgs),
    /// Import units, members, households and assignments from a workbook or CSV file (a dry
    /// run unless --apply), or write the template (--template FILE).
    Import(org::ImportArgs),
    /// Serve the sync API and staff views.
    Serve(ServeArgs),
    /// Seed the demo district into an empty database (if it is empty), then serve it.
    Demo(DemoArgs),
    /// Seed the demo district, at any scale, into an empty database and exit (for benchmarks).
    Seed(SeedArgs),
    /// A simulated phone, kept in a file: write notes offline, then sync.
    Phone(PhoneArgs),
    /// Play the phones of a seeded district against a running server and measure it.
    Loadgen(LoadgenArgs),
    /// Play phones against `hosync serve` killed with SIGKILL at random moments and restarted,
    /// then check that every acknowledged note is in the database once.
    Chaos(ChaosArgs),
    /// Issue a one-time enrolment code (and QR code) for a member's phone, or a staff account's.
    Enrol(EnrolArgs),
    /// List or revoke enrolled phones.
    Device(DeviceArgs),
    /// Staff accounts: add, change a role, disable (an account or a member), list.
    User(UserArgs),
    /// The audit log, newest last: who read or changed what, and when (Vietnam time).
    Audit(AuditArgs),
    /// Copy the SQLite database into a new file, consistently, while the server serves it.
    Backup(BackupArgs),
    /// Put a backup back in place of the SQLite database (stop the server first).
    Restore(RestoreArgs),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let url = database_url(&cli.database_url);
    match cli.command {
        Command::Init(args) => {
            org::init(
                &url,
                args,
                admin::password_from_env_or_stdin,
                &mut std::io::stdout(),
            )
            .await
        }
        Command::Import(args) => org::import(&url, args, &mut std::io::stdout()).await,
        Command::Serve(args) => {
            let db = Db::open(&url).await?;
            serve(db, &url, &args).await
        }
        Command::Demo(args) => {
            // The demo keeps its district in a file of its own, apart from a real one.
            let url = cli.database_url.clone().unwrap_or_else(|| {
                crate::storage::db::sqlite_url(&PathBuf::from("data").join("demo.db"))
            });
            tools::demo(&url, args).await
        }
        Command::Seed(args) => tools::seed(&url, args).await,
        Command::Phone(args) => tools::phone(args).await,
        Command::Enrol(args) => admin::enrol(&url, args).await,
        Command::Device(args) => admin::device(&url, args).await,
        Command::User(args) => {
            admin::user(
                &url,
                args,
                admin::password_from_env_or_stdin,
                &mut std::io::stdout(),
            )
            .await
        }
        Command::Audit(args) => admin::audit(&url, args, &mut std::io::stdout()).await,
        Command::Backup(args) => backup::backup(&url, args, &mut std::io::stdout()).await,
        Command::Restore(args) => {
            backup::restore(&url, args, crate::system_now(), &mut std::io::stdout()).await
        }
        Command::Loadgen(args) => {
            let database_url = cli.database_url.context(
                "hosync loadgen needs the server's database (--database-url or DATABASE_URL), to pick the phones and check their notes",
            )?;
            tools::loadgen(database_url, args).await
        }
        Command::Chaos(args) => {
            let database_url = cli.database_url.context(
                "hosync chaos needs the seeded database to serve and check (--database-url or DATABASE_URL)",
            )?;
            chaos::chaos(database_url, args).await
        }
    }
}

/// The database a command works on: `--database-url` or DATABASE_URL, else ./data/hosync.db.
pub fn database_url(url: &Option<String>) -> String {
    url.clone()
        .unwrap_or_else(|| crate::storage::db::sqlite_url(&PathBuf::from("data").join("hosync.db")))
}
