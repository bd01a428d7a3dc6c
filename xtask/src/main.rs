//! Build automation for hosync, run as `cargo xtask <command>` (the alias is in
//! `.cargo/config.toml`). `cargo xtask ci` passing locally means CI is green.

mod app;
mod bench;
mod chaos;
mod ci;
mod fuzz;
mod postgres;
mod wasm;

use std::{
    env,
    ffi::OsString,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, ensure};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(bin_name = "cargo xtask", about = "hosync build automation")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run every check and test, installing missing tools and starting PostgreSQL as needed.
    Ci,
    /// Build the WASM module and its JavaScript bindings into target/web/pkg.
    Wasm,
    /// Build the WASM and the field app (npm packages, Vite) into target/web/app.
    App,
    /// Build the app and run its browser tests in headless Chromium.
    AppTest,
    /// Measure everything on the demo district (SQLite and PostgreSQL) and write BENCHMARKS.md.
    Bench(bench::Args),
    /// The crash run: phones sync against `hosync serve` killed with SIGKILL at random moments
    /// and restarted; fails if an acknowledged note was lost or doubled.
    Chaos(chaos::Args),
    /// Fuzz each target of fuzz/cargo-fuzz for a set time; a crash is kept in fuzz/fixtures,
    /// where `cargo test` replays it.
    Fuzz(fuzz::Args),
    /// Build the WASM, then run the server's demo (seeded database, http://127.0.0.1:8080).
    Demo {
        /// Passed on to `hosync demo`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Task::Ci => ci::run_all(),
        Task::Bench(args) => bench::run_cli(args),
        Task::Chaos(args) => chaos::run_cli(args),
        Task::Fuzz(args) => fuzz::run_cli(args),
        Task::Wasm => {
            wasm::ensure_target()?;
            wasm::build()
        }
        Task::App => {
            wasm::ensure_target()?;
            wasm::build()?;
            app::build()
        }
        Task::AppTest => {
            wasm::ensure_target()?;
            wasm::build()?;
            app::build()?;
            app::browser_tests()
        }
        Task::Demo { args } => {
            wasm::ensure_target()?;
            wasm::build()?;
            app::build()?;
            run(cargo()
                .args(["run", "--release", "-p", "hosync-server", "--bin", "hosync"])
                .args(["--", "demo"])
                .args(args))
        }
    }
}

/// The workspace root: every command runs there, so `cargo xtask` works from any folder.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new("."))
}

/// Cargo's target folder, honouring `CARGO_TARGET_DIR` as cargo does.
fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// A `cargo` command in the workspace root. `CARGO` is the cargo that started xtask, so children
/// use the same toolchain even when another one is first on `PATH`.
fn cargo() -> Command {
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")));
    cmd.current_dir(root());
    cmd
}

/// Prints `cmd`, runs it with the terminal as its output, and fails unless it exits with 0.
fn run(cmd: &mut Command) -> Result<()> {
    let shown = show(cmd);
    println!("$ {shown}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    ensure!(status.success(), "`{shown}` failed ({status})");
    Ok(())
}

/// Runs `cmd` quietly and returns its standard output; for questions, not for steps.
fn output(cmd: &mut Command) -> Result<String> {
    let shown = show(cmd);
    let out = cmd
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    ensure!(
        out.status.success(),
        "`{shown}` failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8(out.stdout).with_context(|| format!("`{shown}` printed something not UTF-8"))
}

/// Whether Debian packages can be installed here: running as root with apt-get.
fn can_apt_install() -> bool {
    on_path("apt-get") && output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0")
}

/// Installs Debian packages, non-interactively.
fn apt_install(packages: &[&str]) -> Result<()> {
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .arg("install")
        .arg("-y")
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Whether `program` is an executable file somewhere on `PATH`.
fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|paths| env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// A command as a person would type it: the program's file name rather than the full path that
/// `CARGO` holds.
fn show(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program());
    let mut shown = program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy()
        .into_owned();
    for arg in cmd.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    shown
}

/// `path` relative to the workspace root where it lies inside it, for shorter messages.
fn shown_path(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}
