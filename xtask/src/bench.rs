//! `cargo xtask bench`: every measurement the project ships, on the demo district, written to
//! `BENCHMARKS.md` with the bar from the design beside each figure and the command behind it.
//!
//! It seeds the district into SQLite and PostgreSQL, runs the real server as a separate process
//! (so its memory and CPU are its own), plays every phone against it with `hosync loadgen` (the
//! steady state, and `--cold`: every phone starting empty), runs the criterion benches, and
//! measures the files the browser downloads.

use std::{
    fmt::Write as _,
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command},
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use crate::{app, cargo, on_path, output, postgres, root, run, shown_path, target_dir, wasm};

/// What one load run printed as JSON, and what seeding it took.
struct LoadRun {
    label: String,
    database: Database,
    scale: f64,
    job: Job,
    seed_seconds: f64,
    seed_line: String,
    load: Value,
    command: String,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run only these parts and replace their sections of BENCHMARKS.md, leaving the rest:
    /// `load`, `phone`, `soak`, `convergence`, `fuzz`, `link`. Without it, everything is measured
    /// and the file is written whole.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<Part>,
    /// The commit whose field app the phone's figures are compared with ("before"), built
    /// beside the working tree's.
    #[arg(long, default_value = PHONE_BASELINE)]
    pub phone_baseline: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// Every phone of the district against the server, steady and cold, on both databases.
    Load,
    Phone,
    Soak,
    Convergence,
    Fuzz,
    /// A sync through a slow link, plain and through the TLS proxy of `deploy/`.
    Link,
}

/// The last commit whose phone kept its whole replica in one IndexedDB record, rewritten on
/// every edit: the phone's figures are shown against it.
pub const PHONE_BASELINE: &str = "a82ff4c";

/// Seconds for each fuzz target in the bench: 5 targets, 25 minutes in all.
const FUZZ_SECONDS: u64 = 300;

pub fn run_cli(args: Args) -> Result<()> {
    if args.only.is_empty() {
        return run_all(&args.phone_baseline);
    }
    let out = target_dir().join("bench");
    fs::create_dir_all(&out).with_context(|| format!("creating {}", shown_path(&out)))?;
    let path = root().join("BENCHMARKS.md");
    let mut report =
        fs::read_to_string(&path).with_context(|| format!("reading {}", shown_path(&path)))?;
    for part in &args.only {
        let (title, section) = match part {
            Part::Load => {
                let hosync = release_server()?;
                let (steady, cold) = load_runs(&hosync, &postgres::ensure_running()?, &out)?;
                for (title, section) in load_sections(&steady)? {
                    report = replace_section(&report, title, &section);
                }
                ("## Cold start", cold_section(&steady, &cold)?)
            }
            Part::Phone => {
                app::build()?;
                let hosync = release_server()?;
                (
                    "## The phone",
                    phone_section(&hosync, &args.phone_baseline)?,
                )
            }
            Part::Soak => {
                let hosync = release_server()?;
                ("## Soak", soak_section(&soak_run(&hosync, &out)?)?)
            }
            Part::Convergence => (
                "## Convergence at volume",
                convergence_section(&convergence_run()?)?,
            ),
            Part::Fuzz => ("## Fuzzing", fuzz_section()?),
            Part::Link => ("## Through a slow link", link_section(&release_server()?)?),
        };
        report = replace_section(&report, title, &section);
    }
    fs::write(&path, report).with_context(|| format!("writing {}", shown_path(&path)))?;
    println!("updated {}", shown_path(&path));
    Ok(())
}

/// A phone's steady-state sync measured through a 2G link (`deploy/slow-link.sh`): straight
/// to hosync, and through nginx with TLS as `deploy/nginx.conf` sets it up.
fn link_section(hosync: &Path) -> Result<String> {
    for tool in ["nginx", "openssl", "curl"] {
        if !on_path(tool) {
            ensure!(
                crate::can_apt_install(),
                "{tool} is needed to measure the slow link: install it and run again"
            );
            crate::apt_install(&[tool])?;
        }
    }
    let script = root().join("deploy").join("slow-link.sh");
    let table = output(Command::new("bash").arg(&script).arg(hosync).arg("5"))?;
    Ok(format!(
        "\n## Through a slow link (`deploy/slow-link.sh`)\n\n\
         Measured, not modelled: `deploy/slow_link.py` between curl and the server holds each \
         direction to 40 kbit/s and 300 ms, and a new connection's first bytes one round trip \
         more (TCP's handshake). The sync is a phone's real request, one note, sent again each \
         time. nginx runs `deploy/nginx.conf` (TLS 1.3 only, an ECDSA certificate, session \
         cache and tickets); the resumed session is a second connection of the same client, as \
         a phone's next sync of the day. TLS 1.3 costs one round trip more than plain HTTP, \
         whether the session is new or resumed; resumption spares the certificate's bytes \
         (small with ECDSA). The one round trip left is the least TLS allows without early \
         data (0-RTT), which stays off: a replayed request could repeat a sign-in or an \
         approval. Between requests a browser keeps its connection open (nginx \
         `keepalive_timeout`), and a request on it pays neither TCP nor TLS again.\n\n{table}"
    ))
}

fn fuzz_section() -> Result<String> {
    let runs = crate::fuzz::run_targets(&crate::fuzz::Args {
        seconds: FUZZ_SECONDS,
        targets: Vec::new(),
    })?;
    Ok(format!("\n{}", crate::fuzz::section(&runs)?))
}

fn release_server() -> Result<std::path::PathBuf> {
    run(cargo().args([
        "build",
        "--release",
        "-p",
        "hosync-server",
        "--bin",
        "hosync",
    ]))?;
    Ok(target_dir().join("release").join("hosync"))
}

/// `report` with the section whose heading starts with `title` replaced by `section` (which
/// starts with its own heading), or with `section` added at the end when there is none.
fn replace_section(report: &str, title: &str, section: &str) -> String {
    let section = section.trim_matches('\n');
    let Some(start) = report
        .match_indices("\n## ")
        .map(|(i, _)| i + 1)
        .find(|&i| report[i..].starts_with(title))
    else {
        return format!("{}\n\n{section}\n", report.trim_end());
    };
    let end = report[start + 3..]
        .find("\n## ")
        .map_or(report.len(), |i| start + 3 + i + 1);
    let tail = &report[end..];
    let gap = if tail.is_empty() { "" } else { "\n" };
    format!("{}{section}\n{gap}{tail}", &report[..start])
}

fn run_all(phone_baseline: &str) -> Result<()> {
    let started = Instant::now();
    let out = target_dir().join("bench");
    fs::create_dir_all(&out).with_context(|| format!("creating {}", shown_path(&out)))?;
    wasm::ensure_target()?;
    run(cargo().args([
        "build",
        "--release",
        "-p",
        "hosync-server",
        "--bin",
        "hosync",
    ]))?;
    wasm::build()?;
    app::build()?;
    let hosync = target_dir().join("release").join("hosync");

    let admin = postgres::ensure_running()?;
    let (runs, cold) = load_runs(&hosync, &admin, &out)?;
    let sqlite = |name: &str| format!("sqlite://{}?mode=rwc", out.join(name).display());
    let pg = bench_database(&admin, "hosync_bench");
    let chaos = crate::chaos::bench(&hosync, &admin)?;

    run(cargo().args(["bench", "-p", "hosync-core", "--bench", "core"]))?;
    run(cargo()
        .args(["bench", "-p", "hosync-server", "--bench", "staff"])
        .env("HOSYNC_BENCH_DATABASE_URL", sqlite("district.db")))?;
    // The overview again on the PostgreSQL district the load run left behind.
    run(cargo()
        .args([
            "bench",
            "-p",
            "hosync-server",
            "--bench",
            "staff",
            "--",
            "overview",
        ])
        .env("HOSYNC_BENCH_DATABASE_URL", &pg))?;

    let phone = phone_section(&hosync, phone_baseline)?;
    let soak = soak_run(&hosync, &out)?;
    let convergence = convergence_run()?;
    let fuzz = fuzz_section()?;
    let link = link_section(&hosync)?;

    let mut report = write_report(&runs, &cold, &chaos, &phone, started.elapsed())?;
    report.push_str(&soak_section(&soak)?);
    report.push_str(&convergence_section(&convergence)?);
    report.push_str(&fuzz);
    report.push_str(&link);
    let path = root().join("BENCHMARKS.md");
    fs::write(&path, report).with_context(|| format!("writing {}", shown_path(&path)))?;
    println!(
        "wrote {} in {:.0} s",
        shown_path(&path),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Which database a load run serves from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    fn name(self) -> &'static str {
        match self {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
        }
    }
}

/// Which job `hosync loadgen` plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    /// Phones holding their cell's data sync one note each.
    Steady,
    /// Phones start empty: a first sync, one note, a sync again (`--cold`).
    Cold,
}

/// The database `name` on the PostgreSQL server of `admin`.
fn bench_database(admin: &str, name: &str) -> String {
    let server = admin.rsplit_once('/').map_or(admin, |(server, _)| server);
    format!("{server}/{name}")
}

/// The load runs: the steady job on the whole district in SQLite, on a quarter of it and on
/// the whole in PostgreSQL, then the cold job on the whole district in each database. Each seeds
/// its own database afresh; the PostgreSQL steady run's (`hosync_bench`) is left for the staff
/// bench.
fn load_runs(hosync: &Path, admin: &str, out: &Path) -> Result<(Vec<LoadRun>, Vec<LoadRun>)> {
    let sqlite = |name: &str| format!("sqlite://{}?mode=rwc", out.join(name).display());
    let steady = vec![
        load_run(
            hosync,
            Database::Sqlite,
            "district.db",
            &sqlite("district.db"),
            1.0,
            Job::Steady,
            out,
        )?,
        load_run(
            hosync,
            Database::Sqlite,
            "quarter.db",
            &sqlite("quarter.db"),
            0.25,
            Job::Steady,
            out,
        )?,
        load_run(
            hosync,
            Database::Postgres,
            "hosync_bench",
            &bench_database(admin, "hosync_bench"),
            1.0,
            Job::Steady,
            out,
        )?,
    ];
    let cold = vec![
        load_run(
            hosync,
            Database::Sqlite,
            "cold.db",
            &sqlite("cold.db"),
            1.0,
            Job::Cold,
            out,
        )?,
        load_run(
            hosync,
            Database::Postgres,
            "hosync_bench_cold",
            &bench_database(admin, "hosync_bench_cold"),
            1.0,
            Job::Cold,
            out,
        )?,
    ];
    Ok((steady, cold))
}

/// Seeds a fresh database, serves it, loads it with every phone, and stops the server. `name`
/// names the database's file or PostgreSQL database, and the run's JSON after it.
fn load_run(
    hosync: &Path,
    database: Database,
    name: &str,
    url: &str,
    scale: f64,
    job: Job,
    out: &Path,
) -> Result<LoadRun> {
    let label = format!(
        "{}, {}{}",
        database.name(),
        if scale < 1.0 {
            "a quarter of the district"
        } else {
            "whole district"
        },
        match job {
            Job::Steady => "",
            Job::Cold => ", cold",
        }
    );
    println!("\n==> {label}");
    let seeding = Instant::now();
    let seeded = Command::new(hosync)
        .args([
            "seed",
            "--fresh",
            "--database-url",
            url,
            "--scale",
            &scale.to_string(),
        ])
        .output()
        .context("running hosync seed")?;
    if !seeded.status.success() {
        bail!(
            "hosync seed failed: {}",
            String::from_utf8_lossy(&seeded.stderr)
        );
    }
    let seed_seconds = seeding.elapsed().as_secs_f64();
    let seed_line = String::from_utf8_lossy(&seeded.stdout).trim().to_owned();
    println!("{seed_line}");

    let port = free_port()?;
    let mut server = Server::start(hosync, url, port)?;
    let json = out.join(format!(
        "load-{}.json",
        name.trim_end_matches(".db").replace('_', "-")
    ));
    let server_url = format!("http://127.0.0.1:{port}");
    let pid = server.child.id().to_string();
    let mut loadgen = Command::new(hosync);
    loadgen
        .args([
            "loadgen",
            "--server",
            &server_url,
            "--database-url",
            url,
            "--server-pid",
            &pid,
            "--json",
        ])
        .arg(&json);
    if job == Job::Cold {
        loadgen.arg("--cold");
    }
    let result = run(&mut loadgen);
    server.stop();
    result?;
    let load: Value = serde_json::from_slice(
        &fs::read(&json).with_context(|| format!("reading {}", shown_path(&json)))?,
    )
    .context("reading the load generator's JSON")?;
    Ok(LoadRun {
        label,
        database,
        scale,
        job,
        seed_seconds,
        seed_line,
        load,
        command: format!(
            "hosync seed --fresh --scale {scale} && hosync serve & hosync loadgen --server-pid <pid>{}",
            if job == Job::Cold { " --cold" } else { "" }
        ),
    })
}

/// How long the soak runs, in seconds: ten minutes unless `HOSYNC_SOAK_SECONDS` says.
fn soak_seconds() -> u64 {
    std::env::var("HOSYNC_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600)
}

/// The soak's district, seeded afresh, and the phones asked for: the load generator soaks those
/// that look after households (about nine in ten), so asking for 1,120 soaks about 1,000.
const SOAK_SCALE: &str = "0.3";
const SOAK_PHONES: &str = "1120";

/// A thousand phones syncing again and again against one server for the soak's length.
fn soak_run(hosync: &Path, out: &Path) -> Result<Value> {
    println!("\n==> soak");
    let url = format!("sqlite://{}?mode=rwc", out.join("soak.db").display());
    let url = url.as_str();
    run(Command::new(hosync).args([
        "seed",
        "--fresh",
        "--database-url",
        url,
        "--scale",
        SOAK_SCALE,
    ]))?;
    let port = free_port()?;
    let mut server = Server::start(hosync, url, port)?;
    let json = out.join("soak.json");
    let mut loadgen = Command::new(hosync);
    loadgen
        .args([
            "loadgen",
            "--server",
            &format!("http://127.0.0.1:{port}"),
            "--database-url",
            url,
            "--server-pid",
            &server.child.id().to_string(),
            "--phones",
            SOAK_PHONES,
            "--soak-seconds",
            &soak_seconds().to_string(),
            "--json",
        ])
        .arg(&json);
    let result = run(&mut loadgen);
    server.stop();
    result?;
    serde_json::from_slice(
        &fs::read(&json).with_context(|| format!("reading {}", shown_path(&json)))?,
    )
    .context("reading the soak's JSON")
}

fn soak_section(load: &Value) -> Result<String> {
    let mut md = String::new();
    let soak = &load["soak"];
    writeln!(
        md,
        "\n## Soak: phones syncing again and again against one server\n"
    )?;
    writeln!(
        md,
        "{} phones of a district seeded at {SOAK_SCALE} of the demo's, each writing a note and syncing, round after round, for {:.0} s: {} rounds, {} syncs, {} errors (bar: 0). The server's memory at each minute's end (bar: flat as the documents grow).\n",
        soak["phones"],
        num(soak, "seconds"),
        soak["rounds"],
        soak["syncs"],
        soak["errors"]
    )?;
    writeln!(
        md,
        "| minute | syncs | errors | latency p50 / p95 | server memory |"
    )?;
    writeln!(md, "| --- | --- | --- | --- | --- |")?;
    for m in soak["minutes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        writeln!(
            md,
            "| {} | {} | {} | {:.0} / {:.0} ms | {} |",
            m["minute"],
            m["syncs"],
            m["errors"],
            num(m, "latency_ms_p50"),
            num(m, "latency_ms_p95"),
            m["server_rss_mib"]
                .as_f64()
                .map_or("?".to_owned(), |v| format!("{v:.0} MiB"))
        )?;
    }
    writeln!(
        md,
        "\nEvery note written in the soak is on the server: {} missing. Command: `hosync seed --fresh --scale {SOAK_SCALE}`, then `hosync loadgen --phones {SOAK_PHONES} --soak-seconds {}` (run by `cargo xtask bench`, or alone by `cargo xtask bench --only soak`; `HOSYNC_SOAK_SECONDS` sets the length).",
        load["edits_missing"],
        soak_seconds()
    )?;
    Ok(md)
}

/// How many random schedules each merge property runs in the bench.
const SCHEDULES: u32 = 10_000;

/// The merge and access properties of core, over many more random schedules than the test
/// command runs; returns the schedules and how long they took.
fn convergence_run() -> Result<(u32, f64)> {
    println!("\n==> convergence at volume");
    let started = Instant::now();
    run(cargo()
        .args([
            "test",
            "--release",
            "-p",
            "hosync-core",
            "--lib",
            "sync::tests::",
        ])
        .env("HOSYNC_PROPTEST_CASES", SCHEDULES.to_string()))?;
    Ok((SCHEDULES, started.elapsed().as_secs_f64()))
}

fn convergence_section((schedules, seconds): &(u32, f64)) -> Result<String> {
    let mut md = String::new();
    writeln!(md, "\n## Convergence at volume\n")?;
    writeln!(
        md,
        "The property tests of `core/src/sync/tests.rs` ran {schedules} random schedules each, all passing ({seconds:.0} s, build included): 2 to 5 phones editing under random partitions and hand-overs converge with every character typed kept and every conflict shown; a secretary and members with reassignments in the middle of partitions keep what members wrote while it was theirs and nothing the rules refuse. The test command runs 48 of each. Command: `HOSYNC_PROPTEST_CASES={schedules} cargo test --release -p hosync-core --lib sync::tests::`."
    )?;
    Ok(md)
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The server as its own process, stopped (SIGTERM, as in production) when dropped.
struct Server {
    child: Child,
}

impl Server {
    fn start(hosync: &Path, url: &str, port: u16) -> Result<Server> {
        let child = Command::new(hosync)
            .args([
                "serve",
                "--database-url",
                url,
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .spawn()
            .context("starting hosync serve")?;
        let server = Server { child };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            thread::sleep(Duration::from_millis(100));
        }
        bail!("hosync serve did not listen on port {port} within a minute")
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

/// Criterion's mean for one bench, in nanoseconds.
fn criterion_mean(group: &str, function: &str) -> Option<f64> {
    let path = target_dir()
        .join("criterion")
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let json: Value = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn duration(ns: Option<f64>) -> String {
    match ns {
        None => "not measured".to_owned(),
        Some(ns) if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        Some(ns) => format!("{:.1} µs", ns / 1e3),
    }
}

/// The field app on a slow CPU, built from `baseline` ("before") and from the working tree
/// ("after"), each measured by `web-client/app/bench/open.mjs` against the same server.
fn phone_section(hosync: &Path, baseline: &str) -> Result<String> {
    let before_app = baseline_app(baseline)?;
    let before = app::phone_bench(hosync, &before_app)?;
    let after = app::phone_bench(hosync, &app::out_dir())?;
    let mut md = String::new();
    writeln!(md, "## The phone on a slow CPU\n")?;
    writeln!(
        md,
        "Each phone enrolled and synced once; then, offline in Chromium with the CPU throttled {}×, the app reopened {} times (median, slowest in brackets), counted from the PIN's entry (from navigation for an app without a PIN): the data key derived from the PIN (PBKDF2) and unwrapped, the stored data read and decrypted into the core, and the households list on screen; the tab's memory read (the renderer's resident memory after a garbage collection); and a note saved on each of {} households: the time from the edit in core to IndexedDB's commit (measured by the app, which the app before records does not do), the time from pressing \"save\" to the note shown as saved (the app says so once IndexedDB has committed it, and redraws the household's screen meanwhile), and the bytes of the IndexedDB records the save added or changed. A cell's documents include a year of its members' monthly reports; a commune committee's phone holds the whole commune's. \"Before\" is the app of commit `{baseline}`, which kept the whole replica in one record; \"after\" is this tree's, one record per document and an increment per edit.\n",
        num(&after, "throttle"),
        num(&after, "runs"),
        num(&after, "edits"),
    )?;
    writeln!(
        md,
        "| phone | app | households | stored | PIN to key | data read | list on screen | tab memory | note committed | note shown saved | written per edit |"
    )?;
    writeln!(
        md,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )?;
    let phones = |v: &Value| v["phones"].as_array().cloned().unwrap_or_default();
    for (b, a) in phones(&before).iter().zip(phones(&after).iter()) {
        for (label, p) in [("before", b), ("after", a)] {
            writeln!(
                md,
                "| {} | {label} | {:.0} | {} | {} | {:.0} ms | {:.0} ms ({:.0} ms) | {:.0} MiB | {} | {:.0} ms ({:.0} ms) | {} |",
                p["phone"].as_str().unwrap_or("?"),
                num(p, "households"),
                kib(num(p, "stored_bytes")),
                p["key_derivation_ms_median"]
                    .as_f64()
                    .map_or("no PIN".to_string(), |ms| format!("{ms:.0} ms")),
                num(p, "loaded_ms_median"),
                num(p, "open_ms_median"),
                num(p, "open_ms_max"),
                num(p, "memory_bytes") / (1024.0 * 1024.0),
                p["commit_ms_median"]
                    .as_f64()
                    .map_or("not measured".to_string(), |ms| format!("{ms:.0} ms")),
                num(p, "save_ms_median"),
                num(p, "save_ms_max"),
                kib(num(p, "edit_bytes_median")),
            )?;
        }
    }
    let largest = phones(&after)
        .iter()
        .map(|p| (num(p, "households"), num(p, "open_ms_median")))
        .fold(
            (0.0, f64::NAN),
            |best, p| if p.0 > best.0 { p } else { best },
        );
    // The bar speaks of 100 households: met by a phone holding at least that many within 1 s.
    let open_bar = if largest.0 >= 100.0 {
        verdict(largest.1 < 1000.0)
    } else {
        "not comparable (no phone holds 100 households)"
    };
    let save_bar = phones(&after)
        .iter()
        .all(|p| num(p, "commit_ms_median") < 50.0);
    let bytes_bar = phones(&after)
        .iter()
        .all(|p| num(p, "edit_bytes_max") < 4096.0);
    writeln!(
        md,
        "\nBars (after): usable offline within 1 s with 100 households: {open_bar}, the phone of {:.0} households took {:.0} ms; a note saved and committed to IndexedDB in under 50 ms (median): {}; under 4 KB written per edit: {}.\n",
        largest.0,
        largest.1,
        verdict(save_bar),
        verdict(bytes_bar),
    )?;
    writeln!(
        md,
        "Command: `node web-client/app/bench/open.mjs` for each app (run by `cargo xtask bench`, or alone by `cargo xtask bench --only phone`; `--phone-baseline COMMIT` names \"before\").\n"
    )?;
    Ok(md)
}

/// The field app built from `commit`, in a work tree of its own under `target/bench`, kept
/// between runs.
fn baseline_app(commit: &str) -> Result<PathBuf> {
    let tree = target_dir()
        .join("bench")
        .join(format!("baseline-{commit}"));
    let built = tree.join("target").join("web").join("app");
    if built.join("index.html").is_file() {
        return Ok(built);
    }
    if !tree.join(".git").exists() {
        run(Command::new("git")
            .current_dir(root())
            .args(["worktree", "add", "--detach"])
            .arg(&tree)
            .arg(commit))?;
    }
    run(cargo()
        .current_dir(&tree)
        .args(["xtask", "app"])
        .env_remove("CARGO_TARGET_DIR"))?;
    Ok(built)
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

/// The sections the steady load runs fill: one phone's syncs, the same on 2G and 3G, and
/// every phone at once; each with the heading `replace_section` finds it by.
fn load_sections(runs: &[LoadRun]) -> Result<Vec<(&'static str, String)>> {
    let mut sections = Vec::new();
    let mut md = String::new();
    let full = &runs[0];
    let l = &full.load;
    let steady = &l["steady_state"];
    let first = &l["first_sync"];
    let steady_bytes = num(steady, "bytes_up") + num(steady, "bytes_down");
    let first_bytes = num(&first["sample"], "bytes_up") + num(&first["sample"], "bytes_down");
    writeln!(md, "## Field sync (SQLite, `hosync loadgen`)\n")?;
    writeln!(md, "| what | measured | bar | |")?;
    writeln!(md, "| --- | --- | --- | --- |")?;
    writeln!(
        md,
        "| a member with {} households edits one note offline, then syncs | {} round trip, {} B up + {} B down = {} B | 1 round trip, under 2 KB | {} |",
        l["steady_state_households"],
        steady["round_trips"],
        steady["bytes_up"],
        steady["bytes_down"],
        steady_bytes,
        verdict(num(steady, "round_trips") == 1.0 && steady_bytes < 2048.0)
    )?;
    writeln!(
        md,
        "| a new phone's first sync of a cell of {} households with a year of notes ({}) | {} round trip, {} down | under 150 KB | {} |",
        first["households"],
        first["cell"].as_str().unwrap_or("?"),
        first["sample"]["round_trips"],
        kib(first_bytes),
        verdict(first_bytes < 150.0 * 1024.0)
    )?;
    writeln!(
        md,
        "| the largest first sync of any cell | {} | | |\n",
        kib(num(first, "max_bytes_down"))
    )?;

    sections.push(("## Field sync", std::mem::take(&mut md)));
    writeln!(
        md,
        "## On 2G and 3G\n\nModelled as round trips × RTT + bytes ÷ bandwidth from the syncs above.\n"
    )?;
    writeln!(
        md,
        "| network | steady-state sync | bar | first sync of the cell |"
    )?;
    writeln!(md, "| --- | --- | --- | --- |")?;
    for n in l["networks"].as_array().into_iter().flatten() {
        let name = n["network"]["name"].as_str().unwrap_or("?");
        let steady_s = num(n, "steady_state_seconds");
        let bar = if name == "2G" {
            format!("under 2 s: {}", verdict(steady_s < 2.0))
        } else {
            String::new()
        };
        writeln!(
            md,
            "| {name} ({} kbit/s, {} ms RTT) | {:.2} s | {bar} | {:.1} s |",
            n["network"]["kbit_per_s"],
            n["network"]["rtt_ms"],
            steady_s,
            num(n, "first_sync_seconds")
        )?;
    }
    writeln!(md)?;
    sections.push(("## On 2G", std::mem::take(&mut md)));
    writeln!(
        md,
        "## Server: every phone of the district syncs one edit\n"
    )?;
    writeln!(
        md,
        "The server runs as its own process; the phones run in `hosync loadgen` on the same 2 cores.\n"
    )?;
    write!(md, "| | ")?;
    for r in runs {
        write!(md, "{} | ", r.label)?;
    }
    writeln!(md, "bar |")?;
    writeln!(md, "| --- |{}", " --- |".repeat(runs.len() + 1))?;
    let row =
        |md: &mut String, name: &str, f: &dyn Fn(&Value) -> String, bar: &str| -> Result<()> {
            write!(md, "| {name} | ")?;
            for r in runs {
                write!(md, "{} | ", f(&r.load))?;
            }
            writeln!(md, "{bar} |")?;
            Ok(())
        };
    row(
        &mut md,
        "phones (every member)",
        &|v| v["phones"].to_string(),
        "5,660",
    )?;
    row(
        &mut md,
        "all syncs done in",
        &|v| format!("{:.1} s", num(v, "wall_seconds")),
        "under 15 s",
    )?;
    row(
        &mut md,
        "syncs per second",
        &|v| format!("{:.0}", num(v, "syncs_per_second")),
        "",
    )?;
    row(
        &mut md,
        "latency p50 / p95 / p99",
        &|v| {
            format!(
                "{:.0} / {:.0} / {:.0} ms",
                num(v, "latency_ms_p50"),
                num(v, "latency_ms_p95"),
                num(v, "latency_ms_p99")
            )
        },
        "",
    )?;
    row(
        &mut md,
        "bytes up / down per sync",
        &|v| {
            format!(
                "{:.0} / {:.0} B",
                num(v, "bytes_up_per_sync"),
                num(v, "bytes_down_per_sync")
            )
        },
        "",
    )?;
    row(
        &mut md,
        "round trips per sync",
        &|v| format!("{:.2}", num(v, "round_trips_per_sync")),
        "1",
    )?;
    row(
        &mut md,
        "errors, edits missing",
        &|v| format!("{}, {}", v["errors"], v["edits_missing"]),
        "0, 0",
    )?;
    row(
        &mut md,
        "server peak memory",
        &|v| format!("{:.0} MiB", num(v, "server_peak_rss_mib")),
        "under 150 MiB, flat as documents grow",
    )?;
    row(
        &mut md,
        "server CPU during the syncs",
        &|v| format!("{:.1} s", num(v, "server_cpu_seconds")),
        "",
    )?;
    row(
        &mut md,
        "database size",
        &|v| format!("{:.0} MiB", num(v, "database_bytes") / 1_048_576.0),
        "",
    )?;
    write!(md, "| seeding (`hosync seed`) | ")?;
    for r in runs {
        write!(md, "{:.1} s | ", r.seed_seconds)?;
    }
    writeln!(md, "whole district into SQLite under a minute |\n")?;
    for r in runs {
        writeln!(md, "- {}: {}", r.label, r.seed_line)?;
    }
    writeln!(md, "\nCommand, for each column: `{}`.\n", runs[0].command)?;
    sections.push(("## Server: every phone", md));
    Ok(sections)
}

/// The bar for the cold job: its wall time within this many times the steady job's.
const COLD_BAR: f64 = 1.5;

/// The cold job beside the steady one on each database, in one table, with the ratio of each
/// figure; the bar is shown, not enforced.
fn cold_section(steady: &[LoadRun], cold: &[LoadRun]) -> Result<String> {
    let mut md = String::new();
    writeln!(
        md,
        "## Cold start: every phone starts empty, beside the steady state
"
    )?;
    writeln!(
        md,
        "The same phones as the steady job, on the whole district seeded afresh. Cold (`hosync loadgen --cold`): each phone is enrolled with nothing on it, makes its first sync (its documents come down), writes one note of about 200 characters on one of its households (a member with none adds a line to their monthly report) and syncs again until the note is acknowledged; {} phones at once. Steady: the phones start from their cell's data and sync the note written offline (the section above). Latency is over every sync; bytes are a phone's whole job.\n",
        cold.first()
            .map_or("?".to_owned(), |r| r.load["concurrency"].to_string())
    )?;
    writeln!(
        md,
        "| job | database | phones | wall time | syncs/s | latency p50 / p95 / p99 | bytes up / down per phone | server peak memory | server CPU | errors, notes missing, doubled |"
    )?;
    writeln!(
        md,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )?;
    let pairs: Vec<(&LoadRun, &LoadRun)> = cold
        .iter()
        .filter_map(|c| {
            let s = steady
                .iter()
                .find(|s| s.database == c.database && s.scale == c.scale)?;
            Some((s, c))
        })
        .collect();
    for (s, c) in &pairs {
        for r in [s, c] {
            let v = &r.load;
            writeln!(
                md,
                "| {} | {} | {} | {:.1} s | {:.0} | {:.0} / {:.0} / {:.0} ms | {} / {} | {:.0} MiB | {:.1} s | {}, {}, {} |",
                match r.job {
                    Job::Steady => "steady",
                    Job::Cold => "cold",
                },
                r.database.name(),
                v["phones"],
                num(v, "wall_seconds"),
                num(v, "syncs_per_second"),
                num(v, "latency_ms_p50"),
                num(v, "latency_ms_p95"),
                num(v, "latency_ms_p99"),
                bytes(num(v, "bytes_up_per_phone")),
                bytes(num(v, "bytes_down_per_phone")),
                num(v, "server_peak_rss_mib"),
                num(v, "server_cpu_seconds"),
                v["errors"],
                v["edits_missing"],
                // The steady runs of a tree before the doubled count was kept have none.
                v["edits_doubled"]
                    .as_u64()
                    .map_or("?".to_owned(), |n| n.to_string()),
            )?;
        }
        let ratio = |key: &str| num(&c.load, key) / num(&s.load, key);
        writeln!(
            md,
            "| cold / steady | {} | | {:.2}× | {:.2}× | {:.2}× / {:.2}× / {:.2}× | {:.1}× / {:.1}× | {:.2}× | {:.2}× | |",
            c.database.name(),
            ratio("wall_seconds"),
            ratio("syncs_per_second"),
            ratio("latency_ms_p50"),
            ratio("latency_ms_p95"),
            ratio("latency_ms_p99"),
            ratio("bytes_up_per_phone"),
            ratio("bytes_down_per_phone"),
            ratio("server_peak_rss_mib"),
            ratio("server_cpu_seconds"),
        )?;
    }

    writeln!(md, "\nThe cold job's two syncs apart:\n")?;
    writeln!(
        md,
        "| database | first sync p50 / p95 / p99 | first sync per phone (most) | documents received / in the phones' scopes (fewest on a phone) | note's sync p50 / p95 / p99 | note's sync up / down per phone |"
    )?;
    writeln!(md, "| --- | --- | --- | --- | --- | --- |")?;
    for (_, c) in &pairs {
        let figures = &c.load["cold"];
        let first = &figures["first_sync"];
        let note = &figures["note_sync"];
        writeln!(
            md,
            "| {} | {:.0} / {:.0} / {:.0} ms | {} down ({}) | {} / {} ({}) | {:.0} / {:.0} / {:.0} ms | {} / {} |",
            c.database.name(),
            num(first, "latency_ms_p50"),
            num(first, "latency_ms_p95"),
            num(first, "latency_ms_p99"),
            bytes(num(first, "bytes_down_per_phone")),
            bytes(num(first, "max_bytes_down")),
            figures["documents_received"],
            figures["documents_expected"],
            figures["fewest_documents_on_a_phone"],
            num(note, "latency_ms_p50"),
            num(note, "latency_ms_p95"),
            num(note, "latency_ms_p99"),
            bytes(num(note, "bytes_up_per_phone")),
            bytes(num(note, "bytes_down_per_phone")),
        )?;
    }

    let verdicts: Vec<String> = pairs
        .iter()
        .map(|(s, c)| {
            let ratio = num(&c.load, "wall_seconds") / num(&s.load, "wall_seconds");
            format!(
                "{} {ratio:.2}×: {}",
                c.database.name(),
                verdict(ratio <= COLD_BAR)
            )
        })
        .collect();
    let verdicts = verdicts.join("; ");
    println!("cold / steady wall time (bar: within {COLD_BAR}×): {verdicts}");
    writeln!(
        md,
        "\nBar: the cold job's wall time within {COLD_BAR}× of the steady job's: {verdicts}.\n"
    )?;
    writeln!(
        md,
        "Command, for each cold row: `{}` (run by `cargo xtask bench`, or alone with the steady runs by `cargo xtask bench --only load`).\n",
        cold.first().map_or("", |r| r.command.as_str())
    )?;
    Ok(md)
}

/// Bytes as B under 10 KiB, else KiB.
fn bytes(n: f64) -> String {
    if n < 10.0 * 1024.0 {
        format!("{n:.0} B")
    } else {
        kib(n)
    }
}

fn write_report(
    runs: &[LoadRun],
    cold: &[LoadRun],
    chaos: &[crate::chaos::Run],
    phone: &str,
    took: Duration,
) -> Result<String> {
    let mut md = String::new();
    let cores = thread::available_parallelism().map_or(0, usize::from);
    writeln!(md, "# Benchmarks\n")?;
    writeln!(
        md,
        "Written by `cargo xtask bench` (the whole run took {:.0} s, builds included) on a machine with {cores} cores. \
         Each figure stands beside its bar from `design.md`; every run seeds the demo district afresh.\n",
        took.as_secs_f64()
    )?;
    for (_, section) in load_sections(runs)? {
        md.push_str(&section);
    }
    md.push_str(&cold_section(runs, cold)?);

    writeln!(md, "{}", crate::chaos::section(chaos)?)?;

    writeln!(md, "## Staff views and core (criterion, mean)\n")?;
    writeln!(md, "| bench | mean | bar |")?;
    writeln!(md, "| --- | --- | --- |")?;
    let overview = criterion_mean("staff", "overview");
    writeln!(
        md,
        "| staff/overview: the district overview (coverage per commune, 12-month trend, gaps, flags by age, reports, ratings), over HTTP | {} | under 100 ms: {} |",
        duration(overview),
        verdict(overview.is_some_and(|ns| ns < 100e6))
    )?;
    let overview_pg = criterion_mean("staff_postgres", "overview");
    writeln!(
        md,
        "| staff_postgres/overview: the same, on PostgreSQL | {} | under 100 ms: {} |",
        duration(overview_pg),
        verdict(overview_pg.is_some_and(|ns| ns < 100e6))
    )?;
    for (function, what) in [
        (
            "flags_table",
            "every open flag of the district, escalated first",
        ),
        (
            "household_history",
            "one household with its history replayed from its document",
        ),
        ("summary", "every cell this month"),
        (
            "cell_households",
            "one cell's households with their latest notes",
        ),
    ] {
        writeln!(
            md,
            "| staff/{function}: {what} | {} | |",
            duration(criterion_mean("staff", function))
        )?;
    }
    for (group, function) in [
        ("sync", "apply_push_one_note"),
        ("sync", "finish_sync_40_docs"),
        ("sync", "start_sync_3_edits"),
        ("merge", "two_diverged_households"),
        ("protocol", "encode_request"),
        ("protocol", "decode_request"),
        ("protocol", "encode_response"),
        ("protocol", "decode_response"),
        ("validate", "household_year"),
        ("validate", "report"),
    ] {
        writeln!(
            md,
            "| {group}/{function} | {} | |",
            duration(criterion_mean(group, function))
        )?;
    }
    writeln!(
        md,
        "\nCommands: `cargo bench -p hosync-server --bench staff`, `cargo bench -p hosync-core --bench core`.\n"
    )?;

    md.push_str(phone);

    writeln!(md, "## What the browser downloads\n")?;
    writeln!(md, "| file | raw | gzip | brotli |")?;
    writeln!(md, "| --- | --- | --- | --- |")?;
    let mut total = (0, 0, 0);
    let sizes = app::sizes()?;
    for f in &sizes {
        writeln!(
            md,
            "| {} | {} | {} | {} |",
            f.file,
            kib(f.raw as f64),
            kib(f.gzip as f64),
            kib(f.brotli as f64)
        )?;
        total = (total.0 + f.raw, total.1 + f.gzip, total.2 + f.brotli);
    }
    let at_2g = total.2 as f64 * 8.0 / 40_000.0;
    writeln!(
        md,
        "| all | {} | {} | {} |\n",
        kib(total.0 as f64),
        kib(total.1 as f64),
        kib(total.2 as f64)
    )?;
    writeln!(
        md,
        "At 2G (40 kbit/s) the brotli total takes {at_2g:.0} s to load the first time; the bar for the app shell and the WASM core is under 30 s: {}.\n",
        verdict(at_2g < 30.0)
    )?;
    let (js_css, wasm) = app::totals(&sizes);
    writeln!(
        md,
        "Budgets (gzip): the app's JavaScript and CSS {} against under {}: {}; the wasm {} against under {}: {}.\n",
        app::kb(js_css),
        app::kb(app::JS_CSS_BUDGET),
        verdict(js_css < app::JS_CSS_BUDGET),
        app::kb(wasm),
        app::kb(app::WASM_BUDGET),
        verdict(wasm < app::WASM_BUDGET)
    )?;
    writeln!(
        md,
        "Command: `cargo xtask app` builds `target/web/app`; the sizes above are computed by `cargo xtask bench`."
    )?;
    // What changed the figures over time is written by hand beside this file.
    let history = root().join("xtask").join("bench-history.md");
    if let Ok(text) = fs::read_to_string(&history) {
        writeln!(md, "\n{}", text.trim_end())?;
    }
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::{Database, Job, LoadRun, cold_section, replace_section};

    const REPORT: &str =
        "# Benchmarks\n\n## Soak: old\n\nold figures\n\n## Convergence at volume\n\nold\n";

    #[test]
    fn a_section_is_replaced_in_place_and_the_rest_kept() {
        let new = replace_section(REPORT, "## Soak", "\n## Soak: new\n\nnew figures\n");
        assert_eq!(
            new,
            "# Benchmarks\n\n## Soak: new\n\nnew figures\n\n## Convergence at volume\n\nold\n"
        );
        let last = replace_section(
            REPORT,
            "## Convergence",
            "## Convergence at volume\n\nnew\n",
        );
        assert_eq!(
            last,
            "# Benchmarks\n\n## Soak: old\n\nold figures\n\n## Convergence at volume\n\nnew\n"
        );
    }

    #[test]
    fn a_missing_section_is_added_at_the_end() {
        let new = replace_section(REPORT, "## Fuzzing", "## Fuzzing\n\nfigures\n");
        assert!(new.starts_with(REPORT.trim_end()));
        assert!(new.ends_with("\n\n## Fuzzing\n\nfigures\n"), "{new}");
    }

    fn load(database: Database, job: Job, wall_seconds: f64, bytes_down: f64) -> LoadRun {
        LoadRun {
            label: format!("{database:?} {job:?}"),
            database,
            scale: 1.0,
            job,
            seed_seconds: 1.0,
            seed_line: String::new(),
            load: serde_json::json!({
                "phones": 10,
                "concurrency": 32,
                "wall_seconds": wall_seconds,
                "syncs_per_second": 20.0,
                "latency_ms_p50": 10.0,
                "latency_ms_p95": 20.0,
                "latency_ms_p99": 30.0,
                "bytes_up_per_phone": 500.0,
                "bytes_down_per_phone": bytes_down,
                "server_peak_rss_mib": 80.0,
                "server_cpu_seconds": 4.0,
                "errors": 0,
                "edits_missing": 0,
                "edits_doubled": 0,
                "cold": {
                    "first_sync": {"latency_ms_p50": 50.0, "latency_ms_p95": 60.0, "latency_ms_p99": 70.0,
                                   "bytes_down_per_phone": 100000.0, "max_bytes_down": 130000},
                    "note_sync": {"latency_ms_p50": 5.0, "latency_ms_p95": 6.0, "latency_ms_p99": 7.0,
                                  "bytes_up_per_phone": 700.0, "bytes_down_per_phone": 120.0},
                    "documents_received": 400,
                    "documents_expected": 400,
                    "fewest_documents_on_a_phone": 20
                }
            }),
            command: "hosync loadgen --cold".to_owned(),
        }
    }

    #[test]
    fn the_cold_job_stands_beside_the_steady_one_with_its_ratio_and_verdict() {
        let steady = [
            load(Database::Sqlite, Job::Steady, 10.0, 200.0),
            load(Database::Postgres, Job::Steady, 10.0, 200.0),
        ];
        let cold = [
            load(Database::Sqlite, Job::Cold, 12.0, 100_000.0),
            load(Database::Postgres, Job::Cold, 20.0, 100_000.0),
        ];
        let md = cold_section(&steady, &cold).expect("the section");
        assert!(md.starts_with("## Cold start"), "{md}");
        assert!(md.contains("| steady | SQLite | 10 | 10.0 s |"), "{md}");
        assert!(md.contains("| cold | PostgreSQL | 10 | 20.0 s |"), "{md}");
        assert!(md.contains("| cold / steady | SQLite | | 1.20× |"), "{md}");
        assert!(md.contains("| 500 B / 97.7 KiB |"), "{md}");
        assert!(md.contains("| 400 / 400 (20) |"), "{md}");
        assert!(
            md.contains("SQLite 1.20×: met; PostgreSQL 2.00×: **not met**"),
            "{md}"
        );
    }
}
