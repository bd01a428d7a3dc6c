//! The `hosync` command line: `serve`, `demo`, and `phone` (a simulated phone for trying the
//! sync by hand).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use hosync_core::docs::household;
use hosync_core::{Day, DeviceId, DocId, HouseholdId, MemberId, UnitId};

use crate::demo::{self, DemoShape};
use crate::phone::Phone;
use crate::{AppState, Db, store};

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
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Issue a one-time enrolment code (and QR code) for a member's phone, or a staff account's.
    Enrol(EnrolArgs),
    /// List or revoke enrolled phones.
    Device(DeviceArgs),
    /// Staff accounts: add, change a role, disable (an account or a member), list.
    User(crate::accounts::UserArgs),
    /// The audit log, newest last: who read or changed what, and when (Vietnam time).
    Audit(crate::audit::AuditArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HOSYNC_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Days a phone may go without reaching the server before it locks its data.
    #[arg(long, env = "HOSYNC_LOCK_AFTER_DAYS", default_value_t = 30)]
    pub lock_after_days: i64,
    /// Mark staff session cookies Secure (serve behind TLS).
    #[arg(long, env = "HOSYNC_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// A reverse proxy is in front: take a client's address (which sign-in and enrolment
    /// throttling count by) from the last hop of X-Forwarded-For, not from the connection.
    #[arg(long, env = "HOSYNC_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Hours a staff session lasts after sign-in.
    #[arg(long, env = "HOSYNC_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: i64,
    /// The built field app to serve at `/` (`cargo xtask app` writes it).
    #[arg(long, env = "HOSYNC_APP_DIR", default_value = crate::web_app::DEFAULT_DIR)]
    pub app_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Seed, print what to try, and exit without serving.
    #[arg(long)]
    pub no_serve: bool,
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// Seed for the generated data; the same seed gives the same district.
    #[arg(long, default_value_t = 3)]
    pub seed: u64,
    /// Size against Hoàng Su Phì (1.0: 5,660 members, about 7,000 households).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Months of history, ending with this one.
    #[arg(long, default_value_t = 12)]
    pub months: usize,
}

impl DataArgs {
    fn shape(&self) -> anyhow::Result<DemoShape> {
        anyhow::ensure!(
            self.scale > 0.0 && self.scale <= 20.0,
            "--scale must be above 0 and at most 20, not {}",
            self.scale
        );
        anyhow::ensure!(
            (1..=60).contains(&self.months),
            "--months must be 1 to 60, not {}",
            self.months
        );
        Ok(DemoShape {
            seed: self.seed,
            months: self.months,
            ..DemoShape::scaled(self.scale)
        })
    }
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Empty the database first (delete the SQLite file; drop and create the PostgreSQL one).
    #[arg(long)]
    pub fresh: bool,
}

#[derive(Debug, Args)]
pub struct LoadgenArgs {
    /// The server to load. Its database (--database-url) picks the phones and checks that
    /// their notes arrived.
    #[arg(long, env = "HOSYNC_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// How many phones (all members with households by default).
    #[arg(long)]
    pub phones: Option<usize>,
    /// How many phones sync at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Notes each phone writes offline before it syncs.
    #[arg(long, default_value_t = 1)]
    pub edits: usize,
    /// The server's process id, to report its peak memory and CPU time.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EnrolArgs {
    /// The member id (or staff login) whose phone is enrolled.
    pub holder: String,
}

#[derive(Debug, Args)]
pub struct DeviceArgs {
    #[command(subcommand)]
    pub action: DeviceAction,
}

#[derive(Debug, Subcommand)]
pub enum DeviceAction {
    /// Every enrolled phone, with its holder, last sync and whether it is revoked or locked.
    List {
        /// Only phones of holders within this unit.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Revoke a phone (lost or stolen): its next contact erases its data.
    Revoke { device: String },
}

#[derive(Debug, Args)]
pub struct PhoneArgs {
    /// The server to sync with.
    #[arg(long, env = "HOSYNC_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The file holding the phone's data.
    #[arg(long, default_value = "data/phone.bin")]
    pub state: PathBuf,
    /// The enrolment code from the secretary (needed the first time).
    #[arg(long)]
    pub code: Option<String>,
    /// What to call this phone in the device list (the first time).
    #[arg(long, default_value = "hosync phone")]
    pub label: String,
    #[command(subcommand)]
    pub action: PhoneAction,
}

#[derive(Debug, Subcommand)]
pub enum PhoneAction {
    /// Send what is new on the phone and receive what is new on the server.
    Sync,
    /// List the households on the phone with their notes.
    Show,
    /// Write a visit note (offline: it waits on the phone until the next sync).
    Note {
        /// The household, such as hsp-x01-c01-h001.
        household: String,
        /// The note's text.
        text: String,
        /// The visit's day, yyyy-mm-dd; today by default.
        #[arg(long)]
        date: Option<String>,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let url = database_url(&cli.database_url);
    match cli.command {
        Command::Serve(args) => {
            let db = Db::connect(&url).await?;
            serve(db, &args).await
        }
        Command::Demo(args) => {
            let url = cli
                .database_url
                .clone()
                .unwrap_or_else(|| crate::db::sqlite_url(&PathBuf::from("data").join("demo.db")));
            let db = Db::connect(&url).await?;
            let seeded: i64 = sqlx::Row::try_get(
                &sqlx::query("SELECT COUNT(*) FROM units")
                    .fetch_one(&db.reader)
                    .await?,
                0,
            )?;
            let summary = if seeded == 0 {
                Some(seed_and_report(&db, &args.data.shape()?).await?)
            } else {
                println!("The demo database already holds a district; serving it as it is.");
                None
            };
            let admin = crate::accounts::add_first_admin(
                &db,
                std::env::var("HOSYNC_DEMO_PASSWORD").ok(),
                crate::system_now(),
            )
            .await?;
            match &summary {
                Some(summary) => {
                    let codes = demo_codes(&db, summary).await?;
                    print_what_to_try(&args.serve.bind, summary, &codes, admin.as_deref())
                }
                None => print_sign_in(&args.serve.bind, admin.as_deref()),
            }
            if args.no_serve {
                return Ok(());
            }
            serve(db, &args.serve).await
        }
        Command::Seed(args) => {
            if args.fresh {
                crate::db::recreate(&url).await?;
            }
            let db = Db::connect(&url).await?;
            seed_and_report(&db, &args.data.shape()?).await?;
            db.close().await;
            Ok(())
        }
        Command::Phone(args) => phone(args).await,
        Command::Enrol(args) => enrol(&url, args).await,
        Command::Device(args) => device(&url, args).await,
        Command::User(args) => {
            crate::accounts::cli(
                &url,
                args,
                crate::accounts::password_from_env_or_stdin,
                &mut std::io::stdout(),
            )
            .await
        }
        Command::Audit(args) => crate::audit::cli(&url, args, &mut std::io::stdout()).await,
        Command::Loadgen(args) => {
            anyhow::ensure!(args.concurrency >= 1, "--concurrency must be at least 1");
            anyhow::ensure!(args.edits >= 1, "--edits must be at least 1");
            let database_url = cli.database_url.context(
                "hosync loadgen needs the server's database (--database-url or DATABASE_URL), to pick the phones and check their notes",
            )?;
            let plan = crate::loadgen::LoadPlan {
                server: args.server,
                database_url,
                phones: args.phones,
                concurrency: args.concurrency,
                edits: args.edits,
                server_pid: args.server_pid,
            };
            let report = crate::loadgen::run(&plan).await?;
            report.print();
            if let Some(path) = &args.json {
                std::fs::write(path, serde_json::to_vec_pretty(&report)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            anyhow::ensure!(report.errors == 0, "{} syncs failed", report.errors);
            anyhow::ensure!(
                report.edits_missing == 0,
                "{} notes written are not on the server",
                report.edits_missing
            );
            Ok(())
        }
    }
}

async fn seed_and_report(db: &Db, shape: &DemoShape) -> anyhow::Result<demo::DemoSummary> {
    let started = std::time::Instant::now();
    let today = Day::from_timestamp(crate::system_now());
    let summary = demo::seed(db, shape, today).await?;
    println!(
        "Seeded the demo district in {:.1} s: {summary}.",
        started.elapsed().as_secs_f64()
    );
    Ok(summary)
}

/// How to sign in as the demo's administrator; `password` when `hosync demo` has just added
/// the account.
fn print_sign_in(bind: &SocketAddr, password: Option<&str>) {
    let base = format!("http://{bind}");
    println!();
    match password {
        Some(password) => {
            println!("The staff dashboard at {base}/staff/: login admin, password {password}");
            println!("  With curl (the session cookie is kept in data/cookies.txt):");
            println!(
                "    curl -c data/cookies.txt -H 'Content-Type: application/json' -d '{{\"login\":\"admin\",\"password\":\"{password}\"}}' {base}/api/v1/session"
            );
        }
        None => println!(
            "The staff dashboard at {base}/staff/, with an existing account (`hosync user list --database-url …`)."
        ),
    }
}

/// Enrolment codes for the sample member's phone and their secretary's, so the app can be
/// tried at once: (member's, secretary's, phone CLI's).
async fn demo_codes(db: &Db, s: &demo::DemoSummary) -> anyhow::Result<[String; 3]> {
    use crate::devices::{Holder, issue_code};
    let member = MemberId::parse(&s.sample_member.0)?;
    let secretary = MemberId::parse(&s.sample_secretary.0)?;
    let ttl = crate::Settings::default().enrolment_ttl;
    let now = crate::system_now();
    let by = crate::audit::Actor::Cli;
    let mut tx = db.begin_write().await?;
    let codes = [
        issue_code(&mut tx, &Holder::Member(member.clone()), &by, now, ttl).await?,
        issue_code(&mut tx, &Holder::Member(secretary), &by, now, ttl).await?,
        issue_code(&mut tx, &Holder::Member(member), &by, now, ttl).await?,
    ];
    tx.commit().await?;
    Ok(codes)
}

fn print_what_to_try(
    bind: &SocketAddr,
    s: &demo::DemoSummary,
    [member_code, secretary_code, cli_code]: &[String; 3],
    admin_password: Option<&str>,
) {
    let base = format!("http://{bind}");
    let (member, name, cell) = &s.sample_member;
    let (secretary, secretary_name) = &s.sample_secretary;
    println!();
    println!(
        "The field app: open {base}/ in Chrome (a phone, or a window 360 px wide) and enrol with"
    );
    println!("  {member_code}  member {name} ({member}), cell {cell}");
    println!("  {secretary_code}  their secretary {secretary_name} ({secretary})");
    println!("  Each code works once within 72 hours; `hosync enrol MEMBER` issues more.");
    print_sign_in(bind, admin_password);
    println!("hosync serves the demo at {base}; after signing in (curl -b data/cookies.txt …):");
    println!("  The district overview: {base}/api/v1/overview");
    println!("  Its open flags as a spreadsheet: {base}/api/v1/tables/flags?format=xlsx");
    println!("  A cell's households: {base}/api/v1/cells/{cell}/households");
    println!("  Its members: {base}/api/v1/cells/{cell}/members");
    println!("  The audit log: {base}/api/v1/audit");
    println!(
        "  Member {name} as a simulated phone (the same core as the app), in another terminal:"
    );
    println!("    cargo run -p hosync-server --bin hosync -- phone --code {cli_code} sync");
    println!("    cargo run -p hosync-server --bin hosync -- phone show");
    println!(
        "    cargo run -p hosync-server --bin hosync -- phone note <household> \"Gia đình khỏe, đã thăm.\""
    );
    println!("    cargo run -p hosync-server --bin hosync -- phone sync");
}

async fn serve(db: Db, args: &ServeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.lock_after_days >= 1,
        "--lock-after-days must be at least 1"
    );
    anyhow::ensure!(
        args.session_hours >= 1,
        "--session-hours must be at least 1"
    );
    let bind = args.bind;
    let mut state = AppState::new(db.clone()).await?;
    state.settings = std::sync::Arc::new(crate::Settings {
        lock_after: args.lock_after_days * crate::DAY,
        secure_cookies: args.secure_cookies,
        trust_forwarded_for: args.trust_forwarded_for,
        session_ttl: args.session_hours * 60 * 60,
        app_dir: Some(args.app_dir.clone()),
        ..crate::Settings::default()
    });
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("listening on {bind}"))?;
    tracing::info!("hosync listening on http://{}", listener.local_addr()?);
    println!(
        "Listening on http://{}  (Ctrl-C stops)",
        listener.local_addr()?
    );
    crate::run(listener, state, crate::shutdown_signal()).await?;
    db.close().await;
    Ok(())
}

/// The database a command works on: `--database-url` or DATABASE_URL, else ./data/hosync.db.
pub fn database_url(url: &Option<String>) -> String {
    url.clone()
        .unwrap_or_else(|| crate::db::sqlite_url(&PathBuf::from("data").join("hosync.db")))
}

async fn enrol(url: &str, args: EnrolArgs) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    let mut tx = db.begin_write().await?;
    let holder = crate::devices::find_holder(&mut tx, &args.holder)
        .await?
        .with_context(|| format!("there is no member or staff account {}", args.holder))?;
    let ttl = crate::Settings::default().enrolment_ttl;
    let now = crate::system_now();
    let code =
        crate::devices::issue_code(&mut tx, &holder, &crate::audit::Actor::Cli, now, ttl).await?;
    tx.commit().await?;
    let qr = crate::devices::enrolment_qr(&code)?;
    println!(
        "{}",
        qr.render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build()
    );
    println!(
        "Enrolment code for {holder}: {code}\nType it (or scan the QR code) on the phone within {} hours; it works once.",
        ttl / 3600
    );
    db.close().await;
    Ok(())
}

async fn device(url: &str, args: DeviceArgs) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    match args.action {
        DeviceAction::List { unit } => {
            let mut conn = db.reader.acquire().await?;
            let path = match unit {
                Some(unit) => Some(
                    store::unit_path(&mut conn, &UnitId::parse(&unit)?)
                        .await?
                        .with_context(|| format!("there is no unit {unit}"))?,
                ),
                None => None,
            };
            let settings = crate::Settings::default();
            let rows = crate::devices::list(
                &mut conn,
                path.as_ref(),
                crate::system_now(),
                settings.lock_after,
            )
            .await?;
            let when =
                |t: Option<i64>| t.map_or("never".to_owned(), |t| Day::from_timestamp(t).vi());
            for d in &rows {
                let state = if d.revoked_at.is_some() {
                    format!("revoked {}", when(d.revoked_at))
                } else if d.locked {
                    "locked (away too long)".to_owned()
                } else {
                    "active".to_owned()
                };
                println!(
                    "{}  {} ({})  {}  «{}»  last sync {}  {}",
                    d.id,
                    d.name,
                    d.holder,
                    d.unit,
                    d.label,
                    when(d.last_sync_at),
                    state
                );
            }
            println!("{} devices", rows.len());
        }
        DeviceAction::Revoke { device } => {
            let device = DeviceId::parse(&device)?;
            let mut tx = db.begin_write().await?;
            let revoked = crate::devices::revoke(
                &mut tx,
                &device,
                &crate::audit::Actor::Cli,
                crate::system_now(),
            )
            .await?;
            tx.commit().await?;
            anyhow::ensure!(revoked, "there is no active device {device}");
            println!("Revoked {device}: its next sync erases the data on it.");
        }
    }
    db.close().await;
    Ok(())
}

async fn phone(args: PhoneArgs) -> anyhow::Result<()> {
    let mut phone = if args.state.exists() {
        Phone::load_from(&args.server, &args.state)?
    } else {
        let code = args.code.as_deref().context(
            "this phone is not enrolled yet: give the enrolment code from the secretary with --code",
        )?;
        if let Some(dir) = args.state.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let phone = Phone::enrol(&args.server, code, &args.label).await?;
        println!(
            "Enrolled as device {} for {}.",
            phone.replica().device(),
            phone.replica().member()
        );
        phone
    };
    match args.action {
        PhoneAction::Sync => {
            let outcome = phone.sync().await?;
            println!(
                "Synced in {} round trip(s), {} B up, {} B down: {} sent, {} received, {} refused.",
                phone.stats.round_trips,
                phone.stats.bytes_up,
                phone.stats.bytes_down,
                outcome.accepted.len(),
                outcome.updated.len(),
                outcome.refused.len()
            );
            for (doc, reason) in &outcome.refused {
                println!("  refused {doc}: {reason}");
            }
            for doc in &outcome.dropped {
                println!("  {doc} is no longer yours: removed from this phone");
            }
            if outcome.wiped {
                println!("This phone was revoked: its data has been erased.");
            }
        }
        PhoneAction::Show => {
            for doc in phone.replica().docs() {
                let DocId::Household(_) = doc.id() else {
                    continue;
                };
                let h = household::read(doc)?;
                let status = match phone.replica().status(doc.id()) {
                    Some(hosync_core::sync::DocSyncStatus::OnServer) => "đã đồng bộ".to_owned(),
                    Some(hosync_core::sync::DocSyncStatus::Refused(reason)) => {
                        format!("bị từ chối: {reason}")
                    }
                    _ => "chưa đồng bộ".to_owned(),
                };
                println!(
                    "{}  {}  ({}; {} ghi chép) [{status}]",
                    h.id,
                    h.head,
                    h.village,
                    h.notes.len()
                );
                for note in h.notes.iter().rev().take(2) {
                    println!("    {}  {}", note.date.vi(), note.text);
                }
            }
        }
        PhoneAction::Note {
            household: id,
            text,
            date,
        } => {
            let id = DocId::Household(HouseholdId::parse(&id)?);
            let date = match date {
                Some(d) => Day::parse(&d)?,
                None => Day::from_timestamp(crate::system_now()),
            };
            let member = phone.replica().member().clone();
            let doc = phone
                .replica_mut()
                .doc_mut(&id)
                .with_context(|| format!("household {id} is not on this phone; sync first"))?;
            let note = household::add_note(doc, &member, date, &text, &[], crate::system_now())?;
            println!(
                "Saved note {note} on this phone (đã lưu trên máy); it goes to the server at the next sync."
            );
        }
    }
    phone.save_to(&args.state)
}
