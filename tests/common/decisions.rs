//! One enroll → verify → identify → export/import script, and one lockout script, that must give
//! the same answers on every [`Store`]: run natively on the file and memory stores
//! (`tests/stores.rs`) and in the browser on IndexedDB and memory (`tests/web.rs`,
//! `tests/web/storage.rs`). Faces come from the committed fixtures (no dataset needed): Obama
//! twice, Biden, and the astronaut with her mirror image.

use facegate::{Embedding, Frame, Gallery, ImportMode, MemoryStore, Pipeline, Rule, Selection, Store};

/// The fixtures' bytes, the same in both builds.
pub const OBAMA: &[u8] = include_bytes!("../fixtures/obama.jpg");
pub const OBAMA_2: &[u8] = include_bytes!("../fixtures/obama2.jpg");
pub const BIDEN: &[u8] = include_bytes!("../fixtures/biden.jpg");
pub const ASTRONAUT: &[u8] = include_bytes!("../fixtures/astronaut.png");

/// The faces of the script, embedded by the bundled pipeline.
pub struct Faces {
    pub obama: Embedding,
    pub obama_2: Embedding,
    pub biden: Embedding,
    pub astronaut: Embedding,
    pub astronaut_mirrored: Embedding,
}

fn embed(pipeline: &Pipeline, frame: &Frame) -> Embedding {
    pipeline.describe(frame, Selection::Single).unwrap().embedding
}

/// A mirrored copy of a frame (another shot of the same person).
pub fn mirrored(frame: &Frame) -> Frame {
    let w = frame.width() as usize;
    let rgb: Vec<u8> =
        frame.rgb().chunks_exact(w * 3).flat_map(|row| row.chunks_exact(3).rev().flatten().copied()).collect();
    Frame::from_pixels(&rgb, frame.width(), frame.height(), w * 3, facegate::PixelFormat::Rgb).unwrap()
}

impl Faces {
    pub fn new(pipeline: &Pipeline) -> Faces {
        let decode = |bytes: &[u8]| Frame::decode(bytes).unwrap();
        let astronaut = decode(ASTRONAUT);
        Faces {
            obama: embed(pipeline, &decode(OBAMA)),
            obama_2: embed(pipeline, &decode(OBAMA_2)),
            biden: embed(pipeline, &decode(BIDEN)),
            astronaut_mirrored: embed(pipeline, &mirrored(&astronaut)),
            astronaut: embed(pipeline, &astronaut),
        }
    }
}

/// The decisions every store must give, for the cosine rule and the bundled head.
pub const EXPECTED: &[&str] = &[
    "enroll obama: 1 shot",
    "enroll biden: 1 shot",
    "enroll astronaut: 2 shots",
    "list: astronaut biden obama",
    "verify obama with obama_2: match",
    "verify biden with obama_2: no match",
    "verify astronaut with obama_2: no match",
    "verify obama with biden: no match",
    "identify obama_2: obama",
    "identify biden: biden",
    "identify astronaut_mirrored: astronaut",
    "verify carol: UNKNOWN_ID",
    "enroll empty id: INVALID_ARGUMENT",
    "enroll biden's face as obama: MISMATCH",
    "import of another model: MODEL_MISMATCH",
    "imported 3, then identify obama_2: obama",
    "remove biden: true, again: false",
    "identify biden after remove: unknown",
    "clear: 0 left",
];

fn names(ids: impl IntoIterator<Item = String>) -> String {
    let all: Vec<String> = ids.into_iter().collect();
    if all.is_empty() {
        "unknown".into()
    } else {
        all.join(" ")
    }
}

/// Runs the script on `gallery` (empty on entry); returns one line per decision.
pub async fn run<S: Store>(gallery: &Gallery<S>, faces: &Faces) -> Vec<String> {
    let mut out = Vec::new();
    for (id, shots) in [
        ("obama", vec![faces.obama.clone()]),
        ("biden", vec![faces.biden.clone()]),
        ("astronaut", vec![faces.astronaut.clone()]),
    ] {
        let e = gallery.enroll(id, shots).await.unwrap();
        out.push(format!("enroll {id}: 1 shot"));
        assert_eq!(e.shots().len(), 1);
    }
    let twice = gallery.enroll("astronaut", vec![faces.astronaut_mirrored.clone()]).await.unwrap();
    *out.last_mut().unwrap() = format!("enroll astronaut: {} shots", twice.shots().len());
    out.push(format!("list: {}", names(gallery.list().await.unwrap().enrollments.iter().map(|e| e.id().to_owned()))));
    for (id, probe, name) in [
        ("obama", &faces.obama_2, "obama_2"),
        ("biden", &faces.obama_2, "obama_2"),
        ("astronaut", &faces.obama_2, "obama_2"),
        ("obama", &faces.biden, "biden"),
    ] {
        let v = gallery.verify(id, probe).await.unwrap();
        out.push(format!("verify {id} with {name}: {}", if v.is_match { "match" } else { "no match" }));
    }
    for (probe, name) in
        [(&faces.obama_2, "obama_2"), (&faces.biden, "biden"), (&faces.astronaut_mirrored, "astronaut_mirrored")]
    {
        let who = gallery.identify(probe, 3).await.unwrap();
        out.push(format!("identify {name}: {}", names(who.into_iter().map(|c| c.id))));
    }
    out.push(format!("verify carol: {}", gallery.verify("carol", &faces.obama).await.unwrap_err().code()));
    out.push(format!("enroll empty id: {}", gallery.enroll(" ", vec![faces.obama.clone()]).await.unwrap_err().code()));
    let poisoned = gallery.enroll("obama", vec![faces.biden.clone()]).await.unwrap_err();
    out.push(format!("enroll biden's face as obama: {}", poisoned.code()));

    let exported = gallery.export().await.unwrap();
    let foreign =
        Gallery::new(MemoryStore::new(), "another-model", Rule::cosine_for(facegate::EmbedderModel::MobileFaceNet))
            .unwrap();
    let refused = foreign.import(&exported, ImportMode::Merge).await.unwrap_err();
    out.push(format!("import of another model: {}", refused.code()));
    gallery.clear().await.unwrap();
    let imported = gallery.import(&exported, ImportMode::Replace).await.unwrap();
    let who = gallery.identify(&faces.obama_2, 1).await.unwrap();
    out.push(format!("imported {imported}, then identify obama_2: {}", names(who.into_iter().map(|c| c.id))));

    let (first, second) = (gallery.remove("biden").await.unwrap(), gallery.remove("biden").await.unwrap());
    out.push(format!("remove biden: {first}, again: {second}"));
    let who = gallery.identify(&faces.biden, 3).await.unwrap();
    out.push(format!("identify biden after remove: {}", names(who.into_iter().map(|c| c.id))));
    gallery.clear().await.unwrap();
    out.push(format!("clear: {} left", gallery.list().await.unwrap().enrollments.len()));
    out
}

/// A clock the lockout script moves by hand (ms since the epoch), shared with the gallery.
pub type TestClock = std::sync::Arc<std::sync::atomic::AtomicU64>;

/// The gallery's clock reading `clock`.
pub fn read(clock: &TestClock) -> impl Fn() -> f64 {
    let clock = clock.clone();
    move || clock.load(std::sync::atomic::Ordering::SeqCst) as f64
}

/// What every store must answer to the lockout script.
pub const LOCKOUT: &[&str] = &[
    "4 failures: not locked",
    "5th failure: no match, then obama_2: LOCKED (30000 ms)",
    "1 ms before the end: LOCKED (1 ms)",
    "after 30 s, 5 failures: LOCKED (60000 ms)",
    "after 60 s, 5 failures: LOCKED (120000 ms)",
    "biden meanwhile: match",
    "after 120 s, obama_2: match; 4 failures: not locked",
    "unknown id 10 times: UNKNOWN_ID, carol not locked",
    "sign-in key, 5 failures: LOCKED (30000 ms)",
    "remove and enroll obama again: match",
    "clear: sign-in key not locked",
    "obama, 5 failures: LOCKED (30000 ms)",
];

/// `LOCKED (N ms)` for a lock, else the result.
pub fn locked<T: std::fmt::Debug>(result: facegate::Result<T>) -> String {
    match result {
        Err(facegate::Error::Locked { retry_after_ms, .. }) => format!("LOCKED ({retry_after_ms} ms)"),
        other => format!("{other:?}"),
    }
}

/// Runs the lockout policy (5 failures, 30 s doubling) on `gallery` (empty on entry, reading
/// `clock`): failures lock, time passes, a success resets, removal and clear forget. Leaves
/// obama locked for 30 s at the clock's time, for the caller to reopen the store and check.
pub async fn lockout<S: Store>(gallery: &Gallery<S>, faces: &Faces, clock: &TestClock) -> Vec<String> {
    use std::sync::atomic::Ordering::SeqCst;
    let fail = |n: usize| async move {
        for _ in 0..n {
            assert!(!gallery.verify("obama", &faces.biden).await.unwrap().is_match);
        }
    };
    let mut out = Vec::new();
    gallery.enroll("obama", vec![faces.obama.clone()]).await.unwrap();
    gallery.enroll("biden", vec![faces.biden.clone()]).await.unwrap();
    fail(4).await;
    let open = gallery.check_lock("obama").await.is_ok();
    out.push(format!("4 failures: {}", if open { "not locked" } else { "locked" }));
    fail(1).await;
    out.push(format!("5th failure: no match, then obama_2: {}", locked(gallery.verify("obama", &faces.obama_2).await)));
    clock.fetch_add(29_999, SeqCst);
    out.push(format!("1 ms before the end: {}", locked(gallery.verify("obama", &faces.obama_2).await)));
    for (wait, after) in [(1, "30 s"), (60_000, "60 s")] {
        clock.fetch_add(wait, SeqCst);
        fail(5).await;
        let state = locked(gallery.verify("obama", &faces.obama_2).await);
        out.push(format!("after {after}, 5 failures: {state}"));
    }
    let biden = gallery.verify("biden", &faces.biden).await.unwrap().is_match;
    out.push(format!("biden meanwhile: {}", if biden { "match" } else { "no match" }));
    clock.fetch_add(120_000, SeqCst);
    let genuine = gallery.verify("obama", &faces.obama_2).await.unwrap().is_match;
    fail(4).await;
    let open = gallery.check_lock("obama").await.is_ok();
    out.push(format!(
        "after 120 s, obama_2: {}; 4 failures: {}",
        if genuine { "match" } else { "no match" },
        if open { "not locked" } else { "locked" }
    ));
    for _ in 0..10 {
        assert_eq!(gallery.verify("carol", &faces.obama).await.unwrap_err().code().as_str(), "UNKNOWN_ID");
    }
    let open = gallery.check_lock("carol").await.is_ok();
    out.push(format!("unknown id 10 times: UNKNOWN_ID, carol {}", if open { "not locked" } else { "locked" }));
    for _ in 0..5 {
        gallery.record_attempt("sign-in", false).await.unwrap();
    }
    out.push(format!("sign-in key, 5 failures: {}", locked(gallery.check_lock("sign-in").await)));
    fail(1).await; // obama is now locked again (5 in a row)
    assert!(gallery.check_lock("obama").await.is_err());
    gallery.remove("obama").await.unwrap();
    gallery.enroll("obama", vec![faces.obama.clone()]).await.unwrap();
    let v = gallery.verify("obama", &faces.obama_2).await;
    out.push(format!("remove and enroll obama again: {}", if v.unwrap().is_match { "match" } else { "no match" }));
    gallery.clear().await.unwrap();
    let open = gallery.check_lock("sign-in").await.is_ok();
    out.push(format!("clear: sign-in key {}", if open { "not locked" } else { "locked" }));
    gallery.enroll("obama", vec![faces.obama.clone()]).await.unwrap();
    fail(5).await;
    out.push(format!("obama, 5 failures: {}", locked(gallery.verify("obama", &faces.obama_2).await)));
    out
}
