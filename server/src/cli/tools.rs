//! The tools' commands: `demo` and `seed` (the generated district), `loadgen`, and `phone` (a
//! simulated phone, for trying the sync by hand).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use hosync_core::docs::household;
use hosync_core::{Day, DocId, HouseholdId, MemberId};

use super::ServeArgs;
use crate::Db;
use crate::tools::demo::{self, DemoShape};
use crate::tools::phone::Phone;

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
    /// After the wave, keep every phone writing and syncing for this many seconds (a soak),
    /// reporting each minute.
    #[arg(long)]
    pub soak_seconds: Option<u64>,
    /// Every phone starts empty: it makes its first sync, writes one note of about 200
    /// characters on one of its households and syncs again (instead of starting from its
    /// cell's data and syncing notes written offline).
    #[arg(long, conflicts_with_all = ["edits", "soak_seconds"])]
    pub cold: bool,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
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
    use crate::access::devices::{Holder, issue_code};
    let member = MemberId::parse(&s.sample_member.0)?;
    let secretary = MemberId::parse(&s.sample_secretary.0)?;
    let ttl = crate::Settings::default().enrolment_ttl;
    let now = crate::system_now();
    let by = crate::access::audit::Actor::Cli;
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

pub async fn phone(args: PhoneArgs) -> anyhow::Result<()> {
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

/// `hosync demo`: seeds the demo district into an empty database, prints what to try, and
/// serves it.
pub async fn demo(url: &str, args: DemoArgs) -> anyhow::Result<()> {
    let db = Db::open(url).await?;
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
    let admin = crate::access::accounts::add_first_admin(
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
    super::serve(db, url, &args.serve).await
}

/// `hosync seed`: the demo district, at any scale, into an empty database.
pub async fn seed(url: &str, args: SeedArgs) -> anyhow::Result<()> {
    if args.fresh {
        crate::storage::db::recreate(url).await?;
    }
    let db = Db::open(url).await?;
    seed_and_report(&db, &args.data.shape()?).await?;
    db.close().await;
    Ok(())
}

/// `hosync loadgen`: plays the phones of the district in `database_url` against a server.
pub async fn loadgen(database_url: String, args: LoadgenArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.concurrency >= 1, "--concurrency must be at least 1");
    anyhow::ensure!(args.edits >= 1, "--edits must be at least 1");
    let plan = crate::tools::loadgen::LoadPlan {
        server: args.server,
        database_url,
        phones: args.phones,
        concurrency: args.concurrency,
        edits: args.edits,
        server_pid: args.server_pid,
        soak_seconds: args.soak_seconds,
        job: if args.cold {
            crate::tools::loadgen::Job::Cold
        } else {
            crate::tools::loadgen::Job::Steady
        },
    };
    let report = crate::tools::loadgen::run(&plan).await?;
    report.print();
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    anyhow::ensure!(
        report.wave.errors == 0,
        "{} phones' syncs failed",
        report.wave.errors
    );
    anyhow::ensure!(
        report.edits_missing == 0,
        "{} notes written are not on the server",
        report.edits_missing
    );
    anyhow::ensure!(
        report.edits_doubled == 0,
        "{} notes written are on the server more than once",
        report.edits_doubled
    );
    if let Some(cold) = &report.cold {
        anyhow::ensure!(
            cold.phones_short_of_documents == 0,
            "{} phones' first syncs brought fewer documents than their scope holds",
            cold.phones_short_of_documents
        );
    }
    Ok(())
}
