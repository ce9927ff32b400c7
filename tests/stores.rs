//! The same enroll → verify → identify script on the file store and the memory store, under
//! the cosine rule and the bundled head: identical decisions (the browser runs the same script
//! on IndexedDB in `tests/web.rs`).
#![cfg(not(target_arch = "wasm32"))] // native only: the browser tests are tests/web.rs

#[path = "common/decisions.rs"]
mod decisions;

use decisions::{Faces, EXPECTED};
use facegate::{FileStore, Gallery, MemoryStore, Pipeline, Rule};
use pollster::block_on;

#[test]
fn every_store_gives_the_same_decisions_under_both_rules() {
    let pipeline = Pipeline::new().unwrap();
    let faces = Faces::new(&pipeline);
    let dir = std::env::temp_dir().join(format!("facegate-stores-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for rule in [Rule::cosine(), Rule::bundled().unwrap()] {
        let name = rule.name();
        let file =
            Gallery::new(FileStore::new(dir.join(format!("{name}.json"))), pipeline.model_sha256(), rule.clone());
        assert_eq!(block_on(decisions::run(&file.unwrap(), &faces)), EXPECTED, "file store, {name}");
        let memory = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), rule).unwrap();
        assert_eq!(block_on(decisions::run(&memory, &faces)), EXPECTED, "memory store, {name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_file_store_keeps_enrollments_across_opens_and_reads_version_1_files() {
    let pipeline = Pipeline::new().unwrap();
    let faces = Faces::new(&pipeline);
    let path = std::env::temp_dir().join(format!("facegate-store-{}.json", std::process::id()));
    let open = || Gallery::new(FileStore::new(&path), pipeline.model_sha256(), Rule::bundled().unwrap()).unwrap();
    let enrolled = block_on(open().enroll("obama", vec![faces.obama.clone()])).unwrap();
    let again = block_on(open().list()).unwrap();
    assert_eq!(again, [enrolled], "a second open reads what the first wrote, bit for bit");
    assert!(block_on(open().verify("obama", &faces.obama_2)).unwrap().is_match);

    // A version 1 gallery file (written by earlier builds) still opens.
    let shot: Vec<f32> = faces.obama.as_slice().to_vec();
    let v1 = serde_json::json!({"format": "facegate-gallery", "version": 1, "model_sha256": pipeline.model_sha256(),
        "dim": shot.len(), "threshold": 0.432, "identities": {"obama": {"shots": [shot]}}});
    std::fs::write(&path, v1.to_string()).unwrap();
    assert!(block_on(open().verify("obama", &faces.obama_2)).unwrap().is_match);
    block_on(open().enroll("biden", vec![faces.biden.clone()])).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"version\":2"), "rewritten in the current version: {text}");

    // A damaged file is refused, never overwritten with an empty gallery.
    std::fs::write(&path, "{\"format\":\"facegate-gallery\",").unwrap();
    let err = block_on(open().enroll("x", vec![faces.obama.clone()])).unwrap_err();
    assert_eq!(err.code().as_str(), "INVALID_TEMPLATE");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"format\":\"facegate-gallery\",");
    std::fs::remove_file(&path).unwrap();
}
