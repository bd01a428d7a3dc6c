//! `cargo xtask chaos`: the crash run on SQLite and PostgreSQL. For each database it seeds a
//! small district afresh and runs `hosync chaos`, which plays phones against `hosync serve`
//! killed with SIGKILL at random moments and started again, and checks that every acknowledged
//! note is stored once. This file only builds, prepares the databases, runs and reads the
//! figures; the phones, the kills and the checks are `hosync chaos`'s.

use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use crate::{cargo, postgres, run, show, shown_path, target_dir};

/// The district every crash run plays on: small, so that its documents load fast and a run's
/// time goes into syncs and kills.
const SCALE: &str = "0.05";
const MONTHS: &str = "3";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backends {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many times to kill the server on each database.
    #[arg(long, default_value_t = 8)]
    kills: usize,
    /// About how long the killing goes on, on each database, in seconds.
    #[arg(long, default_value_t = 30.0)]
    seconds: f64,
    /// Which databases to run on.
    #[arg(long, value_enum, default_value_t = Backends::Both)]
    backend: Backends,
    /// Seed for the kill moments and the phones' choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many phones write and sync at once.
    #[arg(long, default_value_t = 20)]
    phones: usize,
    /// Run the release build (as `cargo xtask bench` does) rather than the debug one.
    #[arg(long)]
    release: bool,
    /// Play the long runs of `cargo xtask bench` instead: 40 kills on SQLite and 20 on
    /// PostgreSQL, on the release build.
    #[arg(long, conflicts_with_all = ["kills", "seconds", "backend", "phones", "release", "seed"])]
    bench: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    fn name(self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
        }
    }
}

/// One crash run to play.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub database: Database,
    pub kills: usize,
    pub seconds: f64,
    pub seed: u64,
    pub phones: usize,
    pub release: bool,
}

impl Plan {
    /// The command that plays this run alone.
    fn command(&self) -> String {
        format!(
            "cargo xtask chaos --backend {} --kills {} --seconds {} --seed {} --phones {}{}",
            self.database.name(),
            self.kills,
            self.seconds,
            self.seed,
            self.phones,
            if self.release { " --release" } else { "" }
        )
    }
}

/// A played run: its figures as `hosync chaos` wrote them, and whether it passed.
#[derive(Debug)]
pub struct Run {
    pub plan: Plan,
    pub figures: Value,
    pub passed: bool,
}

/// `cargo xtask chaos`.
pub fn run_cli(args: Args) -> Result<()> {
    let runs = if args.bench {
        let hosync = build(true)?;
        bench(&hosync, &postgres::ensure_running()?)?
    } else {
        custom(&args)?
    };
    let md = target_dir().join("chaos").join("crash-run.md");
    fs::write(&md, section(&runs)?).with_context(|| format!("writing {}", shown_path(&md)))?;
    println!(
        "\nThe figures as `cargo xtask bench` writes them: {}",
        shown_path(&md)
    );
    verdict(&runs)
}

/// The runs the command line asks for.
fn custom(args: &Args) -> Result<Vec<Run>> {
    let hosync = build(args.release)?;
    let databases: &[Database] = match args.backend {
        Backends::Sqlite => &[Database::Sqlite],
        Backends::Postgres => &[Database::Postgres],
        Backends::Both => &[Database::Sqlite, Database::Postgres],
    };
    let plans: Vec<Plan> = databases
        .iter()
        .map(|&database| Plan {
            database,
            kills: args.kills,
            seconds: args.seconds,
            seed: args.seed,
            phones: args.phones,
            release: args.release,
        })
        .collect();
    let admin = if plans.iter().any(|p| p.database == Database::Postgres) {
        Some(postgres::ensure_running()?)
    } else {
        None
    };
    play_all(&hosync, &plans, admin.as_deref())
}

/// The short run of `cargo xtask ci`: a few kills on each database, PostgreSQL's on the server
/// `postgres_admin` names.
pub fn ci(postgres_admin: &str) -> Result<()> {
    let hosync = build(false)?;
    let plans = [Database::Sqlite, Database::Postgres].map(|database| Plan {
        database,
        kills: 3,
        seconds: 10.0,
        seed: 1,
        phones: 12,
        release: false,
    });
    verdict(&play_all(&hosync, &plans, Some(postgres_admin))?)
}

/// The long run of `cargo xtask bench`, on its release build. A run that lost or doubled a note
/// is written into the figures like any bar not met, rather than stopping the bench.
pub fn bench(hosync: &Path, postgres_admin: &str) -> Result<Vec<Run>> {
    let plans = [
        (Database::Sqlite, 40, 120.0),
        (Database::Postgres, 20, 60.0),
    ]
    .map(|(database, kills, seconds)| Plan {
        database,
        kills,
        seconds,
        seed: 1,
        phones: 20,
        release: true,
    });
    play_all(hosync, &plans, Some(postgres_admin))
}

fn verdict(runs: &[Run]) -> Result<()> {
    let failed: Vec<&str> = runs
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.plan.database.label())
        .collect();
    ensure!(
        failed.is_empty(),
        "the crash run failed on {}: see its figures above",
        failed.join(" and ")
    );
    Ok(())
}

fn build(release: bool) -> Result<PathBuf> {
    let mut cmd = cargo();
    cmd.args(["build", "-p", "hosync-server", "--bin", "hosync"]);
    if release {
        cmd.arg("--release");
    }
    run(&mut cmd)?;
    Ok(target_dir()
        .join(if release { "release" } else { "debug" })
        .join("hosync"))
}

fn play_all(hosync: &Path, plans: &[Plan], postgres_admin: Option<&str>) -> Result<Vec<Run>> {
    let mut runs = Vec::with_capacity(plans.len());
    for plan in plans {
        runs.push(play(hosync, plan, postgres_admin)?);
    }
    println!("\n==> crash run");
    for r in &runs {
        println!(
            "  {:<11} kills {:>3}, acknowledged {:>5}, found {:>5}, lost {}, doubled {}: {}",
            r.plan.database.label(),
            r.figures["kills"],
            r.figures["acknowledged"],
            r.figures["found"],
            r.figures["lost"],
            r.figures["doubled"],
            if r.passed { "ok" } else { "FAILED" }
        );
    }
    Ok(runs)
}

/// Seeds the district afresh and plays one run on it. The database, the figures and the
/// server's output stay in `target/chaos` for a look afterwards.
fn play(hosync: &Path, plan: &Plan, postgres_admin: Option<&str>) -> Result<Run> {
    let name = plan.database.name();
    println!("\n==> crash run on {}", plan.database.label());
    let out = target_dir().join("chaos");
    fs::create_dir_all(&out).with_context(|| format!("creating {}", shown_path(&out)))?;
    let url = match plan.database {
        Database::Sqlite => format!("sqlite://{}?mode=rwc", out.join("sqlite.db").display()),
        Database::Postgres => {
            let admin = postgres_admin.context("PostgreSQL must be running")?;
            let server = admin.rsplit_once('/').map_or(admin, |(server, _)| server);
            format!("{server}/hosync_chaos")
        }
    };
    run(Command::new(hosync).args([
        "seed",
        "--fresh",
        "--scale",
        SCALE,
        "--months",
        MONTHS,
        "--database-url",
        &url,
    ]))?;
    let json = out.join(format!("{name}.json"));
    let log = out.join(format!("{name}-server.log"));
    // A figure left from an earlier run must not pass for this one's, nor its log mix in.
    let _ = fs::remove_file(&json);
    let _ = fs::remove_file(&log);
    let mut chaos = Command::new(hosync);
    chaos
        .args(["chaos", "--database-url", &url, "--server-bin"])
        .arg(hosync)
        .args(["--kills", &plan.kills.to_string()])
        .args(["--seconds", &plan.seconds.to_string()])
        .args(["--seed", &plan.seed.to_string()])
        .args(["--phones", &plan.phones.to_string()])
        .arg("--server-log")
        .arg(&log)
        .arg("--json")
        .arg(&json);
    println!("$ {}", show(&chaos));
    let status = chaos
        .status()
        .with_context(|| format!("could not start `{}`", show(&chaos)))?;
    let Ok(bytes) = fs::read(&json) else {
        bail!(
            "`{}` wrote no figures ({status}): it stopped before the end",
            show(&chaos)
        );
    };
    let figures: Value = serde_json::from_slice(&bytes).context("reading the crash run's JSON")?;
    Ok(Run {
        plan: *plan,
        figures,
        passed: status.success(),
    })
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

/// The "Crash run" section of `BENCHMARKS.md`.
pub fn section(runs: &[Run]) -> Result<String> {
    let mut md = String::new();
    writeln!(md, "## Crash run (`cargo xtask chaos`)\n")?;
    writeln!(
        md,
        "Phones write notes offline and sync again and again, all at once, against `hosync serve` \
         as its own process, which is killed with SIGKILL at random moments (seeded) and started \
         again on the same database and port, on a small district seeded afresh \
         (`hosync seed --scale {SCALE} --months {MONTHS}`). A note is acknowledged when a sync's \
         answer accepted the push that carried it; a sync that failed acknowledges nothing and the \
         phone sends the note again. After every kill, with the server down, and at the end, once \
         every phone has synced until quiet, the run reads each household's document from the \
         database: an acknowledged note must be there exactly once.\n"
    )?;
    let n = |v: &Value, key: &str| v[key].as_u64().unwrap_or(u64::MAX);
    write!(md, "| |")?;
    for r in runs {
        write!(md, " {} |", r.plan.database.label())?;
    }
    writeln!(md, " bar |")?;
    writeln!(md, "| --- |{}", " --- |".repeat(runs.len() + 1))?;
    let row = |md: &mut String, name: &str, f: &dyn Fn(&Value) -> String, bar: &str| {
        write!(md, "| {name} |")?;
        for r in runs {
            write!(md, " {} |", f(&r.figures))?;
        }
        writeln!(md, " {bar} |")
    };
    row(&mut md, "phones", &|v| n(v, "phones").to_string(), "")?;
    row(
        &mut md,
        "kills (of them while the server was starting)",
        &|v| format!("{} ({})", n(v, "kills"), n(v, "kills_while_starting")),
        "",
    )?;
    row(
        &mut md,
        "seconds of killing",
        &|v| format!("{:.0} s", v["seconds"].as_f64().unwrap_or(f64::NAN)),
        "",
    )?;
    row(
        &mut md,
        "syncs answered / failed with the server down / cut off by a kill / failed with it up",
        &|v| {
            format!(
                "{} / {} / {} / {}",
                n(v, "syncs_answered"),
                n(v, "errors_while_down"),
                n(v, "errors_cut_off"),
                n(v, "errors_while_up")
            )
        },
        "",
    )?;
    row(
        &mut md,
        "notes acknowledged (of them before the last kill)",
        &|v| {
            format!(
                "{} ({})",
                n(v, "acknowledged"),
                n(v, "acknowledged_before_last_kill")
            )
        },
        "",
    )?;
    row(
        &mut md,
        "notes the database held after a kill with their answer cut off (sent again)",
        &|v| n(v, "stored_unanswered").to_string(),
        "",
    )?;
    let all = |key: &str| runs.iter().all(|r| n(&r.figures, key) == 0);
    row(
        &mut md,
        "found, stored once",
        &|v| n(v, "found").to_string(),
        &format!(
            "every one acknowledged: {}",
            met(runs
                .iter()
                .all(|r| n(&r.figures, "found") == n(&r.figures, "acknowledged")))
        ),
    )?;
    row(
        &mut md,
        "lost",
        &|v| n(v, "lost").to_string(),
        &format!("none: {}", met(all("lost"))),
    )?;
    row(
        &mut md,
        "doubled",
        &|v| n(v, "doubled").to_string(),
        &format!("none: {}", met(all("doubled"))),
    )?;
    row(
        &mut md,
        "staff views (`note_view`): missing, doubled",
        &|v| format!("{}, {}", n(v, "view_missing"), n(v, "view_doubled")),
        "",
    )?;
    row(
        &mut md,
        "after the last restart: phones not synced until quiet, failed syncs",
        &|v| format!("{}, {}", n(v, "phones_not_quiet"), n(v, "final_errors")),
        &format!(
            "0, 0: {}",
            met(all("phones_not_quiet") && all("final_errors"))
        ),
    )?;
    row(
        &mut md,
        "a start answers its health check in (mean / slowest)",
        &|v| {
            format!(
                "{:.0} / {:.0} ms",
                v["start_ms_mean"].as_f64().unwrap_or(f64::NAN),
                v["start_ms_max"].as_f64().unwrap_or(f64::NAN)
            )
        },
        "",
    )?;
    writeln!(md, "\nCommand, for each column:\n")?;
    for r in runs {
        writeln!(md, "- {}: `{}`", r.plan.database.label(), r.plan.command())?;
    }
    Ok(md)
}
