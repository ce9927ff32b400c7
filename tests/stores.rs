//! The same enroll → verify → identify script on the file store and the memory store, under
//! the cosine rule and the bundled head: identical decisions; the same lockout script on both
//! (the browser runs both scripts on IndexedDB in `tests/web.rs`).
#![cfg(not(target_arch = "wasm32"))] // native only: the browser tests are tests/web.rs

#[path = "common/decisions.rs"]
mod decisions;

use decisions::{locked, read, Faces, TestClock, EXPECTED, LOCKOUT};
use facegate::{AttemptKey, FileStore, Gallery, ImportMode, Limits, MemoryStore, Pipeline, Rule, Store};
use pollster::block_on;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;

#[test]
fn every_store_gives_the_same_decisions_under_both_rules() {
    let pipeline = Pipeline::new().unwrap();
    let faces = Faces::new(&pipeline);
    let dir = std::env::temp_dir().join(format!("facegate-stores-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for rule in [Rule::cosine_for(facegate::EmbedderModel::MobileFaceNet), Rule::bundled().unwrap()] {
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
    let again = block_on(open().list()).unwrap().enrollments;
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

#[test]
fn failed_verifications_lock_the_id_on_every_store_and_the_file_store_keeps_the_lock() {
    let pipeline = Pipeline::new().unwrap();
    let faces = Faces::new(&pipeline);
    let clock: TestClock = Arc::new(AtomicU64::new(1_700_000_000_000));
    let memory = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), Rule::bundled().unwrap()).unwrap();
    assert_eq!(block_on(decisions::lockout(&memory.with_clock(read(&clock)), &faces, &clock)), LOCKOUT, "memory");

    let path = std::env::temp_dir().join(format!("facegate-lockout-{}.json", std::process::id()));
    let open = || {
        let store = FileStore::new(&path);
        Gallery::new(store, pipeline.model_sha256(), Rule::bundled().unwrap()).unwrap().with_clock(read(&clock))
    };
    assert_eq!(block_on(decisions::lockout(&open(), &faces, &clock)), LOCKOUT, "file");
    let sidecar = FileStore::new(&path).attempts_path();
    assert_eq!(sidecar, path.with_extension("attempts.json"));
    let text = std::fs::read_to_string(&sidecar).unwrap();
    assert!(text.contains("\"facegate-attempts\"") && text.contains("\"id:obama\""), "{text}");

    // A new gallery over the same files is still locked, and the lock ends on time.
    assert_eq!(locked(block_on(open().verify("obama", &faces.obama_2))), "LOCKED (30000 ms)");
    clock.fetch_add(30_000, SeqCst);
    assert!(block_on(open().verify("obama", &faces.obama_2)).unwrap().is_match);
    assert!(!std::fs::read_to_string(&sidecar).unwrap().contains("obama"), "a success deletes the state");

    // A damaged attempts file fails closed and is never overwritten.
    std::fs::write(&sidecar, "{\"format\":").unwrap();
    assert_eq!(block_on(open().verify("obama", &faces.obama_2)).unwrap_err().code().as_str(), "STORAGE");
    assert_eq!(block_on(open().remove("obama")).unwrap_err().code().as_str(), "STORAGE");
    assert_eq!(std::fs::read_to_string(&sidecar).unwrap(), "{\"format\":");
    assert_eq!(block_on(open().list()).unwrap().enrollments.len(), 1, "the enrollment is still there");
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&sidecar).unwrap();
}

/// 20 wrong verifications at once on `gallery` (obama enrolled, biden shown): what each returned.
fn concurrent_failures<S: Store + Sync>(gallery: &Gallery<S>, faces: &Faces) -> Vec<String> {
    std::thread::scope(|scope| {
        let tries: Vec<_> = (0..20)
            .map(|_| {
                scope.spawn(|| match block_on(gallery.verify("obama", &faces.biden)) {
                    Ok(v) => format!("match: {}", v.is_match),
                    other => locked(other),
                })
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

#[test]
fn concurrent_tries_cannot_skip_the_lockout_or_lose_shots_on_any_store() {
    let pipeline = Pipeline::new().unwrap();
    let faces = Faces::new(&pipeline);
    let path = std::env::temp_dir().join(format!("facegate-concurrent-{}.json", std::process::id()));
    let at = |g: Gallery<_>| g.with_clock(|| 1.7e12);
    let file = at(Gallery::new(FileStore::new(&path), pipeline.model_sha256(), Rule::bundled().unwrap()).unwrap());
    let memory = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), Rule::bundled().unwrap()).unwrap();
    let memory = memory.with_clock(|| 1.7e12);
    fn check<S: Store + Sync>(gallery: &Gallery<S>, faces: &Faces, name: &str) {
        block_on(gallery.enroll("obama", vec![faces.obama.clone()])).unwrap();
        let results = concurrent_failures(gallery, faces);
        let count = |r: &str| results.iter().filter(|x| x.as_str() == r).count();
        assert_eq!((count("match: false"), count("LOCKED (30000 ms)")), (5, 15), "{name}: {results:?}");
        let state = block_on(gallery.store().attempts(AttemptKey::Id("obama"))).unwrap();
        assert_eq!((state.failures, state.lockouts), (0, 1), "{name}: exactly 5 counted, then locked: {state:?}");
        // Ten shots of one id at once: none lost.
        block_on(gallery.remove("obama")).unwrap();
        let shots = [&faces.obama, &faces.obama_2];
        std::thread::scope(|scope| {
            for i in 0..10 {
                let shot = shots[i % 2].clone();
                scope.spawn(move || block_on(gallery.enroll("obama", vec![shot])).unwrap());
            }
        });
        assert_eq!(block_on(gallery.store().get("obama")).unwrap().unwrap().shots().len(), 10, "{name}");
        // Removing "" (no id) leaves sign-in's lock alone.
        for _ in 0..5 {
            block_on(gallery.record_attempt(AttemptKey::SignIn, false)).unwrap();
        }
        assert!(!block_on(gallery.remove("")).unwrap());
        assert_eq!(locked(block_on(gallery.check_lock(AttemptKey::SignIn))), "LOCKED (30000 ms)", "{name}");
    }
    check(&memory, &faces, "memory");
    check(&file, &faces, "file");
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(path.with_extension("attempts.json")).unwrap();
}

#[test]
fn an_import_racing_an_enroll_never_passes_the_id_cap_on_any_store() {
    let pipeline = Pipeline::new().unwrap();
    let faces = Faces::new(&pipeline);
    let source = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), Rule::bundled().unwrap()).unwrap();
    block_on(source.enroll("x", vec![faces.obama.clone()])).unwrap();
    block_on(source.enroll("y", vec![faces.astronaut.clone()])).unwrap();
    let backup = block_on(source.export()).unwrap();
    let path = std::env::temp_dir().join(format!("facegate-id-cap-{}.json", std::process::id()));
    let limits = Limits { max_shots: 5, max_ids: 3 };
    let file = Gallery::new(FileStore::new(&path), pipeline.model_sha256(), Rule::bundled().unwrap()).unwrap();
    let memory = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), Rule::bundled().unwrap()).unwrap();
    fn check<S: Store + Sync>(gallery: &Gallery<S>, backup: &[u8], faces: &Faces, name: &str) {
        for round in 0..10 {
            block_on(gallery.clear()).unwrap();
            block_on(gallery.enroll("a", vec![faces.biden.clone()])).unwrap();
            // {a} + {x, y} and {a} + {b} both fit 3 ids; together they would make 4.
            let (imported, enrolled) = std::thread::scope(|scope| {
                let import = scope.spawn(|| block_on(gallery.import(backup, ImportMode::Merge)).is_ok());
                let enroll = scope.spawn(|| block_on(gallery.enroll("b", vec![faces.obama_2.clone()])).is_ok());
                (import.join().unwrap(), enroll.join().unwrap())
            });
            let ids = block_on(gallery.store().count()).unwrap();
            assert!(
                imported != enrolled,
                "{name}, round {round}: exactly one fits (import {imported}, enroll {enrolled})"
            );
            assert_eq!(ids, if imported { 3 } else { 2 }, "{name}, round {round}");
        }
    }
    check(&memory.with_limits(limits), &backup, &faces, "memory");
    check(&file.with_limits(limits), &backup, &faces, "file");
    std::fs::remove_file(&path).unwrap();
    let _ = std::fs::remove_file(path.with_extension("attempts.json"));
}
