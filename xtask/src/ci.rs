//! `cargo xtask ci`: every check and test the project has, in order, stopping at the first
//! failure. On a machine with only rustup and cargo it installs what it needs first.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};

use crate::{app, cargo, on_path, output, postgres, run, wasm};

/// What one step leaves for the steps after it.
#[derive(Debug, Default)]
struct Ci {
    /// The PostgreSQL server the integration tests create their databases on, once one answers.
    postgres_url: Option<String>,
}

type Step = fn(&mut Ci) -> Result<()>;

/// The steps in the order they run. A new step (npm install, browser tests, a slice of the load
/// generator) is one function and one line here.
const STEPS: &[(&str, Step)] = &[
    ("toolchain", toolchain),
    ("fmt", fmt),
    ("clippy", clippy),
    ("clippy wasm32", clippy_wasm),
    ("wasm", build_wasm),
    ("wasm in node", wasm_smoke),
    ("app", build_app),
    ("postgres", start_postgres),
    ("test", test),
    ("chaos", chaos),
    ("browser", browser),
];

pub fn run_all() -> Result<()> {
    let started = Instant::now();
    let mut ci = Ci::default();
    let mut done: Vec<(&str, Duration)> = Vec::new();
    for (i, &(name, step)) in STEPS.iter().enumerate() {
        println!("\n==> [{}/{}] {name}", i + 1, STEPS.len());
        let step_started = Instant::now();
        let result = step(&mut ci);
        let took = step_started.elapsed();
        if let Err(err) = result {
            summary(&done, Some((name, took)), started.elapsed());
            return Err(err.context(format!("ci step `{name}` failed")));
        }
        done.push((name, took));
    }
    summary(&done, None, started.elapsed());
    Ok(())
}

fn summary(done: &[(&str, Duration)], failed: Option<(&str, Duration)>, total: Duration) {
    println!("\n==> summary");
    for (name, took) in done {
        println!("  ok      {name:<14} {}", secs(*took));
    }
    if let Some((name, took)) = failed {
        println!("  FAILED  {name:<14} {}", secs(took));
        for (name, _) in &STEPS[done.len() + 1..] {
            println!("  skipped {name}");
        }
    }
    let verdict = if failed.is_some() { "failed" } else { "passed" };
    println!("ci {verdict} in {:.1}s", total.as_secs_f64());
}

fn secs(d: Duration) -> String {
    format!("{:>7.1}s", d.as_secs_f64())
}

fn toolchain(_: &mut Ci) -> Result<()> {
    ensure_rustup(&["rustfmt", "clippy"], &[])?;
    // The wasm32 target, and the pinned nightly that builds the shipped module.
    wasm::ensure_target()
}

fn fmt(_: &mut Ci) -> Result<()> {
    run(cargo().args(["fmt", "--all", "--check"]))
}

fn clippy(_: &mut Ci) -> Result<()> {
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

/// The crates that run in the browser, linted as the browser gets them: `cfg(target_arch =
/// "wasm32")` code is invisible to the native pass.
fn clippy_wasm(_: &mut Ci) -> Result<()> {
    run(cargo().args([
        "clippy",
        "-p",
        "hosync-web",
        "-p",
        "hosync-core",
        "--target",
        wasm::TARGET,
        "--",
        "-D",
        "warnings",
    ]))
}

fn build_wasm(_: &mut Ci) -> Result<()> {
    wasm::build()
}

/// The built module, loaded by Node through its generated bindings: what the browser will call.
fn wasm_smoke(_: &mut Ci) -> Result<()> {
    app::ensure_node()?;
    run(Command::new("node")
        .current_dir(crate::root())
        .args(["--test", "web-client/tests/"])
        .env(
            "HOSYNC_WASM_PKG",
            crate::target_dir().join("web").join("pkg"),
        ))
}

/// The field app built (type-checked, bundled) and held to its size budget.
fn build_app(_: &mut Ci) -> Result<()> {
    app::build()?;
    app::check_budgets()
}

/// The crash run, short: the server killed a few times on each database under the phones' load.
fn chaos(ci: &mut Ci) -> Result<()> {
    let url = ci
        .postgres_url
        .as_deref()
        .context("the postgres step must run before the crash run")?;
    crate::chaos::ci(url)
}

fn browser(_: &mut Ci) -> Result<()> {
    app::browser_tests()
}

fn start_postgres(ci: &mut Ci) -> Result<()> {
    ci.postgres_url = Some(postgres::ensure_running()?);
    Ok(())
}

fn test(ci: &mut Ci) -> Result<()> {
    let url = ci
        .postgres_url
        .as_deref()
        .context("the postgres step must run before the tests")?;
    run(cargo()
        .args(["test", "--workspace"])
        .env(postgres::URL_VAR, url))
}

/// Adds the rustup `components` and `targets` that the active toolchain lacks; asking first
/// keeps a warm run offline and quick.
pub fn ensure_rustup(components: &[&str], targets: &[&str]) -> Result<()> {
    if !on_path("rustup") {
        println!("rustup not found: assuming the toolchain already has {components:?} {targets:?}");
        return Ok(());
    }
    for (kind, wanted) in [("component", components), ("target", targets)] {
        if wanted.is_empty() {
            continue;
        }
        let installed = output(Command::new("rustup").args([kind, "list", "--installed"]))?;
        // Components are listed with their host triple: `clippy-x86_64-unknown-linux-gnu`.
        let missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|w| {
                !installed
                    .lines()
                    .any(|line| line == *w || line.starts_with(&format!("{w}-")))
            })
            .collect();
        if missing.is_empty() {
            println!("rustup {kind}s present: {}", wanted.join(", "));
        } else {
            run(Command::new("rustup").args([kind, "add"]).args(&missing))?;
        }
    }
    Ok(())
}
