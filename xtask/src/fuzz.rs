//! `cargo xtask fuzz`: each fuzz target of `fuzz/cargo-fuzz` under libFuzzer for a set time,
//! starting from its seeds and every crasher kept in `fuzz/fixtures`. A crash is copied into
//! `fuzz/fixtures/<target>/`, where `cargo test` replays it from then on, and fails the run.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{cargo, on_path, output, root, run, shown_path, target_dir, wasm};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seconds for each target.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Only these targets (sync_frame, push, bundle_import, staff_api, import); all when none
    /// is named.
    #[arg(long = "target")]
    pub targets: Vec<String>,
}

/// The targets, as `fuzz/cargo-fuzz/Cargo.toml` names its binaries.
pub const TARGETS: &[&str] = &["sync_frame", "push", "bundle_import", "staff_api", "import"];

/// One target's run.
pub struct Run {
    pub target: String,
    pub seconds: f64,
    pub executions: u64,
    pub crashes: usize,
    pub corpus: u64,
}

pub fn run_cli(args: Args) -> Result<()> {
    let runs = run_targets(&args)?;
    println!("\n{}", section(&runs)?);
    if let Some(crashed) = runs.iter().find(|r| r.crashes > 0) {
        bail!(
            "fuzz target {} crashed: the input is in fuzz/fixtures/{}/, replayed by `cargo test -p hosync-fuzz`",
            crashed.target,
            crashed.target
        );
    }
    Ok(())
}

pub fn run_targets(args: &Args) -> Result<Vec<Run>> {
    ensure_tools()?;
    let targets: Vec<&str> = if args.targets.is_empty() {
        TARGETS.to_vec()
    } else {
        for t in &args.targets {
            if !TARGETS.contains(&t.as_str()) {
                bail!("no fuzz target {t}; the targets are {}", TARGETS.join(", "));
            }
        }
        args.targets.iter().map(String::as_str).collect()
    };
    let work = target_dir().join("fuzz");
    let corpus = work.join("corpus");
    run(cargo()
        .args(["run", "-p", "hosync-fuzz", "--bin", "fuzz-seeds", "--"])
        .arg(&corpus))?;
    let mut runs = Vec::new();
    for target in targets {
        runs.push(fuzz_one(target, args.seconds, &work)?);
    }
    Ok(runs)
}

/// cargo-fuzz, and the nightly it builds with (the one the shipped module already uses).
fn ensure_tools() -> Result<()> {
    wasm::ensure_target()?;
    let installed = output(cargo().args(["fuzz", "--version"])).is_ok();
    if !installed {
        run(cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    if !on_path("rustup") {
        bail!("cargo xtask fuzz needs rustup for the nightly toolchain cargo-fuzz builds with");
    }
    Ok(())
}

fn fuzz_one(target: &str, seconds: u64, work: &Path) -> Result<Run> {
    println!("\n==> fuzz {target} for {seconds} s");
    let corpus = work.join("corpus").join(target);
    let fixtures = root().join("fuzz").join("fixtures").join(target);
    fs::create_dir_all(&fixtures)?;
    let artifacts = work.join("artifacts").join(target);
    fs::create_dir_all(&artifacts)?;
    let log_path = work.join(format!("{target}.log"));
    let log = fs::File::create(&log_path)
        .with_context(|| format!("creating {}", shown_path(&log_path)))?;
    let started = Instant::now();
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root())
        .env("RUSTUP_TOOLCHAIN", wasm::NIGHTLY)
        .args(["fuzz", "run", target, "--fuzz-dir", "fuzz/cargo-fuzz"])
        .arg("--target-dir")
        .arg(work.join("build"))
        // Overflow and other debug checks on; no sanitizer, since everything fuzzed is safe
        // Rust apart from SQLite, and it runs several times faster without one.
        .args(["--sanitizer", "none", "--debug-assertions"])
        .arg(&corpus)
        .arg(&fixtures)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .args(["-print_final_stats=1", "-timeout=20", "-max_len=65536"])
        .stderr(Stdio::from(log));
    println!("$ {} (log: {})", crate::show(&cmd), shown_path(&log_path));
    let status = cmd.status().context("could not start cargo fuzz")?;
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    let stat = |name: &str| {
        text.lines()
            .filter_map(|l| l.strip_prefix(&format!("stat::{name}:")))
            .filter_map(|v| v.trim().parse::<u64>().ok())
            .next_back()
    };
    let executions = stat("number_of_executed_units").unwrap_or(0);
    let mut crashes = 0;
    for entry in fs::read_dir(&artifacts)? {
        let path = entry?.path();
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        if ["crash-", "timeout-", "oom-", "leak-"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            fs::copy(&path, fixtures.join(&name))?;
            fs::remove_file(&path)?;
            crashes += 1;
            println!("kept {} in {}", name, shown_path(&fixtures));
        }
    }
    if !status.success() && crashes == 0 {
        let tail: Vec<&str> = text.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "cargo fuzz {target} failed ({status}):\n{}",
            tail.join("\n")
        );
    }
    if crashes > 0 {
        let panic: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.contains("panicked"))
            .take(8)
            .collect();
        println!("{}", panic.join("\n"));
    }
    let corpus_size = fs::read_dir(&corpus).map_or(0, |d| d.count() as u64);
    Ok(Run {
        target: target.to_owned(),
        seconds: started.elapsed().as_secs_f64(),
        executions,
        crashes,
        corpus: corpus_size,
    })
}

/// The figures as BENCHMARKS.md shows them.
pub fn section(runs: &[Run]) -> Result<String> {
    let mut md = String::new();
    writeln!(md, "## Fuzzing (`cargo xtask fuzz`)\n")?;
    let total: u64 = runs.iter().map(|r| r.executions).sum();
    let crashes: usize = runs.iter().map(|r| r.crashes).sum();
    writeln!(
        md,
        "libFuzzer through cargo-fuzz, debug assertions on, starting from each target's seeds and every crasher kept in `fuzz/fixtures/` (replayed by `cargo test -p hosync-fuzz`). {} executions in all, {} crashes (bar: 10 million, 0).\n",
        thousands(total),
        crashes
    )?;
    writeln!(
        md,
        "| target | what it feeds | time | executions | per second | corpus | crashes |"
    )?;
    writeln!(md, "| --- | --- | --- | --- | --- | --- | --- |")?;
    for r in runs {
        writeln!(
            md,
            "| `{}` | {} | {:.0} s | {} | {} | {} | {} |",
            r.target,
            feeds(&r.target),
            r.seconds,
            thousands(r.executions),
            thousands((r.executions as f64 / r.seconds.max(1.0)) as u64),
            r.corpus,
            r.crashes
        )?;
    }
    let seconds = runs
        .first()
        .map_or(0, |r| (r.seconds / 10.0).round() as u64 * 10);
    writeln!(
        md,
        "\nCommand: `cargo xtask fuzz --seconds {seconds}` (each target; the time includes the build)."
    )?;
    Ok(md)
}

fn feeds(target: &str) -> &'static str {
    match target {
        "sync_frame" => "a sync frame to the request, answer and change-list decoders",
        "push" => {
            "a push of arbitrary changes to a stored household or cell, decided by core as the server decides it"
        }
        "bundle_import" => {
            "a bundle handed over, a saved replica read back, a server answer taken in"
        }
        "staff_api" => {
            "a signed-in admin's request (path, query, JSON body) to the real router on SQLite"
        }
        "import" => {
            "a file to import, read as XLSX or CSV and planned against the organisation, as an admin or a commune committee"
        }
        _ => "",
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
