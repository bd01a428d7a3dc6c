//! Writes each fuzz target's seeds into `<folder>/<target>/`, where `cargo xtask fuzz` starts
//! libFuzzer's corpus.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let Some(folder) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: fuzz-seeds FOLDER");
        std::process::exit(2);
    };
    for (name, _) in hosync_fuzz::TARGETS {
        let dir = folder.join(name);
        std::fs::create_dir_all(&dir)?;
        for (i, seed) in hosync_fuzz::seeds(name).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:02}")), seed)?;
        }
    }
    Ok(())
}
