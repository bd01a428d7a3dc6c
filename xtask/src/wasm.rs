//! Building `hosync-web` for the browser: cargo for the module, `wasm-bindgen-cli-support` as a
//! library for the JavaScript glue, so the bindgen always matches the `wasm-bindgen` crate the
//! module was built with and nothing has to be installed beside cargo.
//!
//! The module a phone downloads is built with a pinned nightly that rebuilds the standard
//! library with panics as a bare trap and sized for size: about 70 KB less compressed, which
//! is what keeps it under its 450 KB budget. Everything else (lints, tests, the server) uses
//! the stable toolchain; without rustup the module is built with stable, larger, and says so.

use std::{fs, io::Write, process::Command};

use anyhow::{Context, Result};
use flate2::{Compression, write::GzEncoder};
use wasm_bindgen_cli_support::Bindgen;

use crate::{cargo, on_path, output, run, shown_path, target_dir};

pub const TARGET: &str = "wasm32-unknown-unknown";

/// The nightly the shipped module is built with; a new one is a deliberate change, checked
/// with `cargo xtask ci`.
pub const NIGHTLY: &str = "nightly-2026-10-30";

/// `immediate-abort`: a panic is a trap with no message, as wasm32-unknown-unknown shows none
/// anyway, so the formatting and unwinding machinery stays out of the module. `shallow` Debug
/// keeps the values in error messages (they use `{:?}`) while dropping derived field dumps.
const NIGHTLY_RUSTFLAGS: &str =
    "-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=shallow -Zlocation-detail=none";

/// Adds the wasm32 target to the active toolchain unless it is there, and the pinned nightly
/// with its standard library's source for the shipped module.
pub fn ensure_target() -> Result<()> {
    crate::ci::ensure_rustup(&[], &[TARGET])?;
    if !on_path("rustup") {
        return Ok(());
    }
    let installed = output(Command::new("rustup").args(["toolchain", "list"]))?;
    if !installed.lines().any(|l| l.starts_with(NIGHTLY)) {
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            NIGHTLY,
            "--profile",
            "minimal",
            "--component",
            "rust-src",
            "--target",
            TARGET,
        ]))?;
    }
    Ok(())
}

/// The cargo that builds the shipped module: the pinned nightly through rustup, else stable.
fn module_build() -> Command {
    if !on_path("rustup") {
        println!(
            "rustup not found: building the module with stable, about 70 KB larger compressed"
        );
        return cargo();
    }
    let mut cmd = Command::new("cargo");
    cmd.current_dir(crate::root())
        // The stable cargo that runs xtask set these; the nightly must find its own.
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env("RUSTUP_TOOLCHAIN", NIGHTLY)
        .env("RUSTFLAGS", NIGHTLY_RUSTFLAGS);
    cmd.args([
        "-Zbuild-std=std,panic_abort",
        "-Zbuild-std-features=optimize_for_size",
    ]);
    cmd
}

/// Builds the module with the `wasm` profile and writes the `--target web` bindings to
/// `target/web/pkg`, then prints the module's size as shipped and gzipped.
pub fn build() -> Result<()> {
    run(module_build().args([
        "build",
        "-p",
        "hosync-web",
        "--target",
        TARGET,
        "--profile",
        "wasm",
    ]))?;

    let target = target_dir();
    let input = target.join(TARGET).join("wasm").join("hosync_web.wasm");
    let out_dir = target.join("web").join("pkg");
    // Start from an empty folder so a file the bindgen no longer writes cannot be served stale.
    if out_dir.exists() {
        fs::remove_dir_all(&out_dir)
            .with_context(|| format!("could not empty {}", shown_path(&out_dir)))?;
    }
    println!(
        "wasm-bindgen --target web --out-dir {} {}",
        shown_path(&out_dir),
        shown_path(&input)
    );
    Bindgen::new()
        .input_path(&input)
        .web(true)?
        .typescript(true)
        // Function names and the toolchain's signature only help a debugger, and are a fifth
        // of the module a phone downloads over 2G.
        .remove_name_section(true)
        .remove_producers_section(true)
        .generate(&out_dir)
        .with_context(|| format!("wasm-bindgen failed on {}", shown_path(&input)))?;

    let wasm = out_dir.join("hosync_web_bg.wasm");
    let bytes = fs::read(&wasm).with_context(|| format!("could not read {}", shown_path(&wasm)))?;
    println!(
        "{}: {} raw, {} gzip",
        shown_path(&wasm),
        size(bytes.len()),
        size(gzip_len(&bytes)?)
    );
    Ok(())
}

/// The size of `bytes` gzipped at the default level, which is what a server compressing on the
/// fly sends.
pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).context("gzip failed")?;
    Ok(encoder.finish().context("gzip failed")?.len())
}

fn size(bytes: usize) -> String {
    let kib = bytes as f64 / 1024.0;
    format!("{bytes} B ({kib:.1} KiB)")
}
