//! The field app: npm packages, the Vite build into `target/web/app`, its size budgets, and the
//! browser tests in Debian's Chromium. Each step installs what it lacks (Node.js, the npm
//! packages, Chromium) so a fresh machine needs only rustup and cargo.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, ensure};

use crate::{cargo, on_path, output, root, run, shown_path, target_dir};

/// Budgets for what a phone downloads the first time, gzip bytes. The wasm's grew from 450 to
/// 460 KB with per-document storage and the lazy start (452 KB when it moved).
pub const JS_CSS_BUDGET: usize = 60_000;
pub const WASM_BUDGET: usize = 460_000;
/// The staff dashboard's JavaScript and CSS, gzip bytes: desktops on office lines, but the
/// dashboard should stay a page rather than grow into a second app.
pub const STAFF_JS_CSS_BUDGET: usize = 40_000;

/// The staff dashboard's folder in the built app, served at `/staff/`; phones never fetch it.
const STAFF_DIR: &str = "staff";

/// Vite 8 needs this Node.js or newer.
const NODE_MIN: (u32, u32) = (20, 19);

fn app_dir() -> PathBuf {
    root().join("web-client").join("app")
}

/// Where the built app goes, and where `hosync serve` looks for it by default.
pub fn out_dir() -> PathBuf {
    target_dir().join("web").join("app")
}

/// Node.js and npm, from Debian's packages when missing; a version too old for Vite is an
/// error that says so rather than a build failing halfway.
pub fn ensure_node() -> Result<()> {
    if !on_path("node") || !on_path("npm") {
        ensure!(
            crate::can_apt_install(),
            "Node.js {}.{} or newer and npm are needed: install them (https://nodejs.org) and run again",
            NODE_MIN.0,
            NODE_MIN.1
        );
        crate::apt_install(&["nodejs", "npm"])?;
    }
    let version = output(Command::new("node").arg("--version"))?;
    let mut parts = version.trim().trim_start_matches('v').split('.');
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    ensure!(
        (major, minor) >= NODE_MIN,
        "Node.js {} is too old for the app's build (Vite needs {}.{} or newer): install a newer one from https://nodejs.org",
        version.trim(),
        NODE_MIN.0,
        NODE_MIN.1
    );
    Ok(())
}

/// Installs the packages the lock file names when they are missing or older than it. `npm
/// install --no-save` rather than `npm ci`: npm leaves the platform packages of rollup's optional
/// dependencies out of the lock it writes (npm/cli#4828), which `npm ci` then rejects.
pub fn ensure_packages() -> Result<()> {
    ensure_node()?;
    let dir = app_dir();
    let installed = dir.join("node_modules").join(".package-lock.json");
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = match (
        modified(&installed),
        modified(&dir.join("package-lock.json")),
    ) {
        (Some(installed), Some(lock)) => installed >= lock,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    run(npm(&dir).args(["install", "--no-save", "--no-audit", "--no-fund"]))
}

fn npm(dir: &Path) -> Command {
    let mut cmd = Command::new("npm");
    cmd.current_dir(dir);
    cmd
}

/// Type-checks and builds the app with the wasm package that `wasm::build` wrote.
pub fn build() -> Result<()> {
    ensure_packages()?;
    run(npm(&app_dir())
        .args(["run", "build"])
        .env("HOSYNC_WASM_PKG", target_dir().join("web").join("pkg"))
        .env("HOSYNC_APP_OUT", out_dir()))?;
    precompress(&out_dir())?;
    let sizes = sizes()?;
    let (js_css, wasm) = totals(&sizes);
    println!(
        "app JavaScript and CSS: {} gzip (budget {}); wasm: {} gzip (budget {})",
        kb(js_css),
        kb(JS_CSS_BUDGET),
        kb(wasm),
        kb(WASM_BUDGET)
    );
    let (staff, _) = totals(&staff_sizes()?);
    println!(
        "staff dashboard JavaScript and CSS: {} gzip (budget {})",
        kb(staff),
        kb(STAFF_JS_CSS_BUDGET)
    );
    Ok(())
}

/// Files worth compressing: text and WebAssembly (images and fonts are compressed already).
const COMPRESSIBLE: [&str; 9] = [
    ".html",
    ".js",
    ".css",
    ".wasm",
    ".json",
    ".webmanifest",
    ".svg",
    ".txt",
    ".map",
];

/// The endings of the compressed copies `precompress` writes.
const COMPRESSED: [&str; 2] = [".br", ".gz"];

/// Writes a brotli (quality 11, as the size table measures) and a gzip (level 9) copy beside
/// every compressible file of the built app, which the server sends as they are to a browser
/// that takes them: compressing once here at the highest levels, instead of quickly on every
/// request, is what makes a phone download what BENCHMARKS.md measures.
pub fn precompress(out: &Path) -> Result<()> {
    let mut files = Vec::new();
    collect(out, &mut files)?;
    for path in files {
        let name = path.to_string_lossy();
        if !COMPRESSIBLE.iter().any(|e| name.ends_with(e)) {
            continue;
        }
        let bytes = fs::read(&path).with_context(|| format!("reading {}", shown_path(&path)))?;
        let mut brotli = Vec::new();
        brotli::BrotliCompress(
            &mut bytes.as_slice(),
            &mut brotli,
            &brotli::enc::BrotliEncoderParams::default(),
        )?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gzip, &bytes)?;
        let gzip = gzip.finish()?;
        for (ending, compressed) in [(".br", brotli), (".gz", gzip)] {
            let target = PathBuf::from(format!("{name}{ending}"));
            fs::write(&target, compressed)
                .with_context(|| format!("writing {}", shown_path(&target)))?;
        }
    }
    Ok(())
}

/// One file the browser downloads: its path in the app, raw, gzip and brotli bytes.
pub struct FileSize {
    pub file: String,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

/// Every file of the built field app, sorted by name: what a phone downloads, so not the staff
/// dashboard built beside it.
pub fn sizes() -> Result<Vec<FileSize>> {
    let out = out_dir();
    sizes_in(&out, &[out.join(STAFF_DIR)])
}

/// Every file of the built staff dashboard, sorted by name.
pub fn staff_sizes() -> Result<Vec<FileSize>> {
    sizes_in(&out_dir().join(STAFF_DIR), &[])
}

/// The files under `out`, except those under `skip`, named relative to `out`.
fn sizes_in(out: &Path, skip: &[PathBuf]) -> Result<Vec<FileSize>> {
    let mut files = Vec::new();
    collect(out, &mut files)?;
    files.retain(|f| !skip.iter().any(|s| f.starts_with(s)));
    // The compressed copies are other forms of the same download, not files of their own.
    files.retain(|f| !COMPRESSED.iter().any(|e| f.to_string_lossy().ends_with(e)));
    files.sort();
    let mut rows = Vec::new();
    for path in files {
        let bytes = fs::read(&path).with_context(|| format!("reading {}", shown_path(&path)))?;
        let gzip = crate::wasm::gzip_len(&bytes)?;
        let mut brotli = Vec::new();
        brotli::BrotliCompress(
            &mut bytes.as_slice(),
            &mut brotli,
            &brotli::enc::BrotliEncoderParams::default(),
        )?;
        let file = path
            .strip_prefix(out)
            .unwrap_or(&path)
            .display()
            .to_string();
        rows.push(FileSize {
            file,
            raw: bytes.len(),
            gzip,
            brotli: brotli.len(),
        });
    }
    ensure!(
        !rows.is_empty(),
        "{} is empty: build the app first (`cargo xtask app`)",
        shown_path(out)
    );
    Ok(rows)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", shown_path(dir)))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// Gzip bytes of the app's JavaScript and CSS (the page's and the service worker's), and of
/// the wasm.
pub fn totals(sizes: &[FileSize]) -> (usize, usize) {
    let sum = |ext: &[&str]| {
        sizes
            .iter()
            .filter(|s| ext.iter().any(|e| s.file.ends_with(e)))
            .map(|s| s.gzip)
            .sum::<usize>()
    };
    (sum(&[".js", ".css"]), sum(&[".wasm"]))
}

/// Fails when the app's JavaScript and CSS, the wasm, or the staff dashboard outgrow their
/// budgets.
pub fn check_budgets() -> Result<()> {
    let (js_css, wasm) = totals(&sizes()?);
    ensure!(
        js_css < JS_CSS_BUDGET,
        "the app's JavaScript and CSS are {} gzip, over the {} budget",
        kb(js_css),
        kb(JS_CSS_BUDGET)
    );
    ensure!(
        wasm < WASM_BUDGET,
        "the wasm is {} gzip, over the {} budget (built with stable rather than {}?)",
        kb(wasm),
        kb(WASM_BUDGET),
        crate::wasm::NIGHTLY
    );
    let (staff, _) = totals(&staff_sizes()?);
    ensure!(
        staff < STAFF_JS_CSS_BUDGET,
        "the staff dashboard's JavaScript and CSS are {} gzip, over the {} budget",
        kb(staff),
        kb(STAFF_JS_CSS_BUDGET)
    );
    Ok(())
}

pub fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

/// The Chromium the browser tests drive: `HOSYNC_CHROMIUM`, else Debian's package, installed
/// when missing.
fn ensure_chromium() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("HOSYNC_CHROMIUM") {
        return Ok(PathBuf::from(path));
    }
    let debian = PathBuf::from("/usr/bin/chromium");
    if debian.is_file() {
        return Ok(debian);
    }
    ensure!(
        crate::can_apt_install(),
        "the browser tests need Chromium: install Debian's `chromium` package (or set HOSYNC_CHROMIUM to a Chromium binary) and run again"
    );
    crate::apt_install(&["chromium"])?;
    ensure!(
        debian.is_file(),
        "apt-get installed chromium but {} is missing",
        debian.display()
    );
    Ok(debian)
}

/// The phone benchmark (`web-client/app/bench/open.mjs`) of the app built in `app` against the
/// given `hosync` binary: its one line of JSON.
pub fn phone_bench(hosync: &Path, app: &Path) -> Result<serde_json::Value> {
    let chromium = ensure_chromium()?;
    ensure_packages()?;
    println!("$ node bench/open.mjs");
    let out = output(
        Command::new("node")
            .current_dir(app_dir())
            .arg("bench/open.mjs")
            .env("HOSYNC_BIN", hosync)
            .env("HOSYNC_APP_DIR", app)
            .env("HOSYNC_CHROMIUM", chromium),
    )?;
    let line = out.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("the phone benchmark printed {out:?}"))
}

/// The browser tests: the built app served by the `hosync` binary, in headless Chromium.
pub fn browser_tests() -> Result<()> {
    let chromium = ensure_chromium()?;
    ensure_packages()?;
    run(cargo().args(["build", "-p", "hosync-server", "--bin", "hosync"]))?;
    let screenshots = target_dir().join("screenshots").join("app");
    let staff = target_dir().join("staff");
    run(Command::new("node")
        .current_dir(app_dir())
        .args(["--test", "--test-concurrency=1", "tests/"])
        .env("HOSYNC_BIN", target_dir().join("debug").join("hosync"))
        .env("HOSYNC_APP_DIR", out_dir())
        .env("HOSYNC_SCREENSHOTS", &screenshots)
        .env("HOSYNC_STAFF_OUT", &staff)
        .env("HOSYNC_CHROMIUM", chromium))?;
    println!("screenshots: {}", shown_path(&screenshots));
    println!(
        "staff dashboard screenshots and printouts: {}, {}",
        shown_path(&staff.join("screenshots")),
        shown_path(&staff.join("pdf"))
    );
    Ok(())
}
