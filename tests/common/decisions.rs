//! One enroll → verify → identify → export/import script that must give the same decisions on
//! every [`Store`]: run natively on the file and memory stores (`tests/stores.rs`) and in the
//! browser on IndexedDB and memory (`tests/web.rs`). Faces come from the committed fixtures
//! (no dataset needed): Obama twice, Biden, and the astronaut with her mirror image.

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
    out.push(format!("list: {}", names(gallery.list().await.unwrap().iter().map(|e| e.id().to_owned()))));
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
    let foreign = Gallery::new(MemoryStore::new(), "another-model", Rule::cosine()).unwrap();
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
    out.push(format!("clear: {} left", gallery.list().await.unwrap().len()));
    out
}
