//! Every input a fuzz target ever crashed on, kept under `fixtures/<target>/`, replayed through
//! the target's own checks, with each target's seeds: none may panic again.

use std::path::Path;

#[test]
fn every_kept_crasher_and_seed_passes_its_target() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut replayed = 0;
    for (name, target) in hosync_fuzz::TARGETS {
        for seed in hosync_fuzz::seeds(name) {
            target(&seed);
            replayed += 1;
        }
        let dir = fixtures.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a fixture's entry").path();
            let input = std::fs::read(&path).expect("a fixture reads");
            eprintln!("replaying {}", path.display());
            target(&input);
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no fuzz input was replayed");
}

#[test]
fn every_fixture_folder_names_a_target() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for entry in std::fs::read_dir(fixtures).expect("fixtures folder") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            hosync_fuzz::target(&name).is_some() || name.starts_with('.'),
            "fixtures/{name} is not a fuzz target"
        );
    }
}
