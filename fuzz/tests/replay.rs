//! Runs every target over its committed corpus (`corpus/<target>/`) and its crash regressions
//! (`regressions/<target>/`), without libFuzzer: `.ci/run` runs this.

use std::fs;
use std::path::Path;

#[test]
fn every_corpus_file_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, target) in wetech_fuzz::TARGETS {
        let mut count = 0;
        for folder in ["corpus", "regressions"] {
            let dir = root.join(folder).join(name);
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| target(&data));
                assert!(outcome.is_ok(), "{name} fails on {}", path.display());
                count += 1;
            }
        }
        assert!(count > 0, "no corpus for {name}");
        println!("{name}: {count} inputs");
    }
}
