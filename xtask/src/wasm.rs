//! Building `hosync-web` for the browser: cargo for the module, `wasm-bindgen-cli-support` as a
//! library for the JavaScript glue, so the bindgen always matches the `wasm-bindgen` crate the
//! module was built with and nothing has to be installed beside cargo.

use std::{fs, io::Write};

use anyhow::{Context, Result};
use flate2::{Compression, write::GzEncoder};
use wasm_bindgen_cli_support::Bindgen;

use crate::{cargo, run, shown_path, target_dir};

pub const TARGET: &str = "wasm32-unknown-unknown";

/// Adds the wasm32 target to the active toolchain unless it is there.
pub fn ensure_target() -> Result<()> {
    crate::ci::ensure_rustup(&[], &[TARGET])
}

/// Builds the module with the `wasm` profile and writes the `--target web` bindings to
/// `target/web/pkg`, then prints the module's size as shipped and gzipped.
pub fn build() -> Result<()> {
    run(cargo().args([
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
fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).context("gzip failed")?;
    Ok(encoder.finish().context("gzip failed")?.len())
}

fn size(bytes: usize) -> String {
    let kib = bytes as f64 / 1024.0;
    format!("{bytes} B ({kib:.1} KiB)")
}
