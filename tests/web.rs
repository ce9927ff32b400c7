//! The browser API in headless Chromium (wasm-bindgen-test): round trips, the head's calibrated
//! probability, every error code, IndexedDB persistence, export/import, memory storage, the
//! same decisions on every store, every kind of source, and the fake camera. Faces come from
//! committed fixtures (`tests/fixtures/README.md`), so this builds without the LFW data set.
#![cfg(all(target_arch = "wasm32", target_os = "unknown"))]

use facegate::{Camera, FaceVerifier, Frame, PixelFormat};
use js_sys::{Array, Float32Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/decisions.rs"]
mod decisions;
#[path = "web/hostile.rs"]
mod hostile;
#[path = "web/identify.rs"]
mod identify;
#[path = "web/storage.rs"]
mod storage;

use decisions::{mirrored, ASTRONAUT, BIDEN, OBAMA, OBAMA_2};

#[path = "web/live.rs"]
mod live;
use facegate::{Gallery, IndexedDbStore, MemoryStore, Pipeline, Rule};

const CAT: &[u8] = include_bytes!("fixtures/chelsea.png");
const HEAD_FILE: &str = include_str!("../model/head-default.json");

/// Another shot of a fixture's person: its mirror image, as `ImageData`.
fn mirror_of(bytes: &[u8]) -> JsValue {
    rgba_image(&mirrored(&Frame::decode(bytes).unwrap())).into()
}

fn bytes(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

fn opts(pairs: &[(&str, JsValue)]) -> Option<js_sys::Object> {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    Some(o)
}

async fn open(db: &str) -> FaceVerifier {
    let fv = FaceVerifier::create(opts(&[("dbName", db.into())])).await.unwrap();
    JsFuture::from(fv.clear()).await.unwrap();
    fv
}

async fn ok(p: js_sys::Promise) -> JsValue {
    JsFuture::from(p).await.unwrap_or_else(|e| panic!("rejected: {:?} {:?}", get(&e, "code"), get(&e, "message")))
}

/// The `code` of the error a promise rejects with.
async fn code_of(p: js_sys::Promise) -> String {
    let err = JsFuture::from(p).await.expect_err("expected a rejection");
    assert!(err.is_instance_of::<js_sys::Error>(), "{err:?}");
    get(&err, "code").as_string().unwrap()
}

/// An `ImageData` holding a copy of the frame (in JS memory, not a view of wasm memory).
fn rgba_image(frame: &Frame) -> web_sys::ImageData {
    let rgba: Vec<u8> = frame.rgb().chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    let pixels = js_sys::Uint8ClampedArray::new_with_length(rgba.len() as u32);
    pixels.copy_from(&rgba);
    web_sys::ImageData::new_with_js_u8_clamped_array_and_sh(&pixels, frame.width(), frame.height()).unwrap()
}

#[wasm_bindgen_test]
async fn enroll_verify_identify_list_remove_round_trip() {
    let fv = open("facegate-test-roundtrip").await;
    let first = ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    assert_eq!(get(&first, "id").as_string().as_deref(), Some("obama"));
    assert_eq!(get(&first, "shots").as_f64(), Some(1.0));
    assert!(get(&get(&first, "box"), "width").as_f64().unwrap() > 50.0);
    assert!(get(&first, "detectionScore").as_f64().unwrap() > 0.6);
    let second = ok(fv.enroll("obama".into(), mirror_of(OBAMA))).await;
    assert_eq!(get(&second, "shots").as_f64(), Some(2.0));
    ok(fv.enroll("biden".into(), bytes(BIDEN))).await;

    // The bundled head decides by default: a calibrated probability against its threshold.
    let same = ok(fv.verify("obama".into(), bytes(OBAMA_2))).await;
    assert_eq!(get(&same, "isMatch").as_bool(), Some(true), "{same:?}");
    assert_eq!(get(&same, "rule").as_string().as_deref(), Some("logistic-chi2"));
    assert_eq!(get(&same, "threshold").as_f64().unwrap() as f32, fv.threshold());
    let p_same = get(&same, "probability").as_f64().unwrap();
    assert!(p_same > 0.99 && p_same <= 1.0, "{p_same}");
    let other = ok(fv.verify("obama".into(), mirror_of(BIDEN))).await;
    assert_eq!(get(&other, "isMatch").as_bool(), Some(false));
    assert!(get(&other, "probability").as_f64().unwrap() < 0.01, "{other:?}");
    assert!(get(&same, "similarity").as_f64() > get(&other, "similarity").as_f64());

    let ranked: Array = ok(fv.identify(mirror_of(BIDEN), opts(&[("topK", 3.into())]))).await.into();
    assert_eq!(ranked.length(), 1, "only Biden passes the head's threshold");
    assert_eq!(get(&ranked.get(0), "id").as_string().as_deref(), Some("biden"));
    assert!(get(&ranked.get(0), "probability").as_f64().unwrap() > 0.99);
    let unknown: Array = ok(fv.identify(bytes(ASTRONAUT), None)).await.into();
    assert_eq!(unknown.length(), 0, "a stranger must be unknown");

    let list: Array = ok(fv.list()).await.into();
    assert_eq!(list.length(), 2);
    let obama = list.iter().find(|e| get(e, "id").as_string().as_deref() == Some("obama")).unwrap();
    assert_eq!(get(&obama, "shots").as_f64(), Some(2.0));
    assert!(get(&obama, "updatedAt").as_f64() >= get(&obama, "createdAt").as_f64());

    assert_eq!(ok(fv.remove("biden".into())).await.as_bool(), Some(true));
    assert_eq!(ok(fv.remove("biden".into())).await.as_bool(), Some(false));
    ok(fv.clear()).await;
    assert_eq!(Array::from(&ok(fv.list()).await).length(), 0);
}

#[wasm_bindgen_test]
async fn every_error_code_and_the_instance_keeps_working() {
    let fv = open("facegate-test-errors").await;
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;

    assert_eq!(code_of(fv.verify("obama".into(), bytes(CAT))).await, "NO_FACE");
    let astronaut = Frame::decode(ASTRONAUT).unwrap();
    let head = &astronaut.rgb()[(40 * 512 + 150) * 3..];
    let head = Frame::from_pixels(head, 160, 180, 512 * 3, PixelFormat::Rgb).unwrap();
    let two: Vec<u8> = (0..180)
        .flat_map(|y| {
            let row = &head.rgb()[y * 480..(y + 1) * 480];
            [row, row].concat()
        })
        .collect();
    let two = Frame::from_pixels(&two, 320, 180, 960, PixelFormat::Rgb).unwrap();
    assert_eq!(code_of(fv.enroll("x".into(), rgba_image(&two).into())).await, "MULTIPLE_FACES");
    assert_eq!(code_of(fv.verify("obama".into(), bytes(b"\xff\xd8\xff garbage"))).await, "INVALID_FRAME");
    assert_eq!(code_of(fv.verify("obama".into(), JsValue::from_str("not an image"))).await, "INVALID_FRAME");
    assert_eq!(code_of(fv.verify("nobody".into(), bytes(OBAMA_2))).await, "UNKNOWN_ID");
    assert_eq!(code_of(fv.enroll("obama".into(), bytes(BIDEN))).await, "MISMATCH");
    assert_eq!(code_of(fv.enroll("x".repeat(257), bytes(BIDEN))).await, "LIMIT");
    assert_eq!(code_of(fv.identify(bytes(OBAMA_2), opts(&[("topK", 0.into())]))).await, "INVALID_ARGUMENT");

    let strict = FaceVerifier::create(opts(&[("dbName", "facegate-test-errors".into()), ("minFace", 1000.into())]))
        .await
        .unwrap();
    assert_eq!(code_of(strict.verify("obama".into(), bytes(OBAMA_2))).await, "FACE_TOO_SMALL");

    // A record written by another model is refused, not compared.
    let db = rexie::Rexie::builder("facegate-test-errors")
        .version(3)
        .add_object_store(rexie::ObjectStore::new("templates").key_path("id"))
        .add_object_store(rexie::ObjectStore::new("attempts"))
        .add_object_store(rexie::ObjectStore::new("meta"))
        .build()
        .await
        .unwrap();
    let tx = db.transaction(&["templates"], rexie::TransactionMode::ReadWrite).unwrap();
    let mut alien = Float32Array::new_with_length(192).to_vec();
    alien[0] = 1.0;
    let record = opts(&[
        ("id", "alien".into()),
        ("format", 1.into()),
        ("modelSha256", "0".repeat(64).into()),
        ("shots", Array::of1(&Array::from_iter(alien.iter().map(|&v| JsValue::from(v)))).into()),
        ("createdAt", 0.into()),
        ("updatedAt", 0.into()),
    ]);
    tx.store("templates").unwrap().put(&record.unwrap().into(), None).await.unwrap();
    tx.done().await.unwrap();
    db.close();
    assert_eq!(code_of(fv.verify("alien".into(), bytes(OBAMA_2))).await, "MODEL_MISMATCH");
    let who: Array = ok(fv.identify(bytes(OBAMA_2), None)).await.into();
    assert_eq!(get(&who.get(0), "id").as_string().as_deref(), Some("obama"), "the alien record is skipped");
    ok(fv.remove("alien".into())).await;

    // A database at a newer schema version cannot be opened by this one.
    rexie::Rexie::builder("facegate-test-newer").version(7).build().await.unwrap().close();
    let err = FaceVerifier::create(opts(&[("dbName", "facegate-test-newer".into())])).await.err().unwrap();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("STORAGE"));

    let video: web_sys::HtmlVideoElement =
        web_sys::window().unwrap().document().unwrap().create_element("video").unwrap().dyn_into().unwrap();
    let err = Camera::start(video, opts(&[("deviceId", "no-such-camera".into())])).await.err().unwrap();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("CAMERA"));
    assert_eq!(get(&err, "name").as_string().as_deref(), Some("FacegateError"));
    assert!(get(&err, "message").as_string().unwrap().starts_with("camera: "), "{:?}", get(&err, "message"));

    let bad_options = FaceVerifier::create(opts(&[("dbname", "typo".into())])).await.err().unwrap();
    assert_eq!(get(&bad_options, "code").as_string().as_deref(), Some("INVALID_ARGUMENT"));

    // After all of that, the same instance still answers.
    let v = ok(fv.verify("obama".into(), bytes(OBAMA_2))).await;
    assert_eq!(get(&v, "isMatch").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn a_second_instance_sees_the_same_enrollments() {
    let a = open("facegate-test-persist").await;
    ok(a.enroll("biden".into(), bytes(BIDEN))).await;
    let b = FaceVerifier::create(opts(&[("dbName", "facegate-test-persist".into())])).await.unwrap();
    let list: Array = ok(b.list()).await.into();
    assert_eq!(list.length(), 1);
    let v = ok(b.verify("biden".into(), mirror_of(BIDEN))).await;
    assert_eq!(get(&v, "isMatch").as_bool(), Some(true));
    let other = open("facegate-test-persist-other").await;
    assert_eq!(Array::from(&ok(other.list()).await).length(), 0, "databases are separate");
}

async fn wait(p: js_sys::Promise) -> JsValue {
    JsFuture::from(p).await.unwrap()
}

#[wasm_bindgen_test]
async fn every_source_kind_gives_the_same_embedding() {
    let fv = open("facegate-test-sources").await;
    let reference = JsFuture::from(fv.embed(bytes(OBAMA))).await.unwrap().unchecked_into::<Float32Array>().to_vec();
    assert_eq!(reference.len(), 192);
    let window = web_sys::window().unwrap();
    let document = window.document().unwrap();

    let image = rgba_image(&Frame::decode(OBAMA).unwrap());
    let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas").unwrap().dyn_into().unwrap();
    canvas.set_width(image.width());
    canvas.set_height(image.height());
    let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    ctx.put_image_data(&image, 0.0, 0.0).unwrap();

    let parts = Array::of1(&Uint8Array::from(OBAMA));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type("image/jpeg");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &bag).unwrap();
    let bitmap = wait(window.create_image_bitmap_with_blob(&blob).unwrap()).await;
    let img = web_sys::HtmlImageElement::new().unwrap();
    img.set_src(&web_sys::Url::create_object_url_with_blob(&blob).unwrap());
    wait(img.decode()).await;

    // The wasm decodes JPEG and PNG only: WebP bytes (the browser's encoding of the canvas) are
    // refused with the way out in the message, and read as the ImageBitmap the browser makes.
    let url = canvas.to_data_url_with_type_and_encoder_options("image/webp", &1.0.into()).unwrap();
    let webp: Vec<u8> = window.atob(url.split_once(',').unwrap().1).unwrap().chars().map(|c| c as u8).collect();
    assert_eq!(&webp[8..12], b"WEBP");
    let refused = JsFuture::from(fv.embed(bytes(&webp))).await.unwrap_err();
    assert_eq!(get(&refused, "code"), "INVALID_FRAME");
    assert!(get(&refused, "message").as_string().unwrap().contains("createImageBitmap"));
    bag.set_type("image/webp");
    let webp_blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&Array::of1(&Uint8Array::from(&webp[..])), &bag).unwrap();
    let webp_bitmap = wait(window.create_image_bitmap_with_blob(&webp_blob).unwrap()).await;

    for (what, source) in [
        ("ImageData", JsValue::from(image)),
        ("canvas", canvas.into()),
        ("ImageBitmap", bitmap),
        ("img", img.into()),
        ("WebP ImageBitmap", webp_bitmap),
    ] {
        let e = JsFuture::from(fv.embed(source))
            .await
            .unwrap_or_else(|e| panic!("{what}: {:?}", get(&e, "message")))
            .unchecked_into::<Float32Array>()
            .to_vec();
        let cosine: f32 = e.iter().zip(&reference).map(|(a, b)| a * b).sum();
        // Browsers decode JPEG slightly differently from the `image` crate.
        assert!(cosine > 0.97, "{what}: cosine {cosine}");
    }
}

#[wasm_bindgen_test]
async fn the_fake_camera_delivers_frames() {
    let document = web_sys::window().unwrap().document().unwrap();
    let video: web_sys::HtmlVideoElement = document.create_element("video").unwrap().dyn_into().unwrap();
    let cam = Camera::start(video.clone(), opts(&[("facingMode", "user".into())]))
        .await
        .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    let frame = cam.frame().unwrap();
    assert!(frame.width() > 0 && frame.height() > 0);
    assert_eq!(frame.data().len() as u32, frame.width() * frame.height() * 4);
    let fv = open("facegate-test-camera").await;
    // Chromium's fake device shows a synthetic pattern, not a face.
    assert_eq!(code_of(fv.enroll("cam".into(), video.clone().into())).await, "NO_FACE");
    cam.stop();
    assert!(video.src_object().is_none());
}

#[wasm_bindgen_test]
async fn verify_time_per_frame_in_the_browser() {
    let fv = open("facegate-test-timing").await;
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    let image: JsValue = rgba_image(&Frame::decode(OBAMA_2).unwrap()).into();
    let perf = web_sys::window().unwrap().performance().unwrap();
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = perf.now();
        let v = ok(fv.verify("obama".into(), image.clone())).await;
        times.push(perf.now() - t);
        assert_eq!(get(&v, "isMatch").as_bool(), Some(true));
    }
    times.sort_by(f64::total_cmp);
    console_log!("verify per frame (obama2.jpg, 626x1200 ImageData, wasm simd128): median {:.1} ms, min {:.1}, max {:.1} over 20", times[10], times[0], times[19]);
}

#[wasm_bindgen_test]
async fn the_head_option_chooses_the_rule() {
    let create = |pairs: &[(&str, JsValue)]| {
        let mut all = vec![("storage", JsValue::from("memory"))];
        all.extend(pairs.iter().cloned());
        FaceVerifier::create(opts(&all))
    };
    let cosine = create(&[("head", "cosine".into())]).await.unwrap();
    ok(cosine.enroll("obama".into(), bytes(OBAMA))).await;
    let v = ok(cosine.verify("obama".into(), bytes(OBAMA_2))).await;
    assert_eq!(get(&v, "rule").as_string().as_deref(), Some("cosine"));
    assert!(get(&v, "probability").is_null(), "{v:?}");
    assert_eq!(get(&v, "threshold").as_f64().unwrap() as f32, facegate::Threshold::DEFAULT.cosine);
    assert_eq!(get(&v, "isMatch").as_bool(), Some(true));

    // The bundled head given as bytes decides exactly like the default.
    let from_bytes = create(&[("head", Uint8Array::from(HEAD_FILE.as_bytes()).into())]).await.unwrap();
    let default = create(&[]).await.unwrap();
    for fv in [&from_bytes, &default] {
        ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    }
    let a = ok(from_bytes.verify("obama".into(), bytes(OBAMA_2))).await;
    let b = ok(default.verify("obama".into(), bytes(OBAMA_2))).await;
    assert_eq!(get(&a, "probability").as_f64(), get(&b, "probability").as_f64());
    assert_eq!(get(&default.rule().unwrap(), "name").as_string().as_deref(), Some("logistic-chi2"));
    assert!(get(&default.rule().unwrap(), "provenance").as_string().unwrap().contains("FAR"));

    let stricter = create(&[("threshold", 0.9999.into())]).await.unwrap();
    ok(stricter.enroll("obama".into(), bytes(OBAMA))).await;
    let v = ok(stricter.verify("obama".into(), bytes(OBAMA_2))).await;
    assert_eq!(get(&v, "threshold").as_f64().unwrap() as f32, 0.9999);

    for bad in [
        vec![("head", JsValue::from("bogus"))],
        vec![("head", JsValue::from(3))],
        vec![("threshold", JsValue::from(1.5))],
        vec![("dbName", JsValue::from("x"))],
        vec![("storage", JsValue::from("disk"))],
    ] {
        let err = create(&bad).await.err().unwrap();
        assert_eq!(get(&err, "code").as_string().as_deref(), Some("INVALID_ARGUMENT"), "{bad:?}");
    }
    let err = create(&[("head", Uint8Array::from(&b"{}"[..]).into())]).await.err().unwrap();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("INVALID_TEMPLATE"));
}

#[wasm_bindgen_test]
async fn shots_and_ids_are_capped() {
    let fv = FaceVerifier::create(opts(&[("storage", "memory".into()), ("maxShots", 1.into()), ("maxIds", 1.into())]))
        .await
        .unwrap();
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    assert_eq!(code_of(fv.enroll("obama".into(), bytes(OBAMA_2))).await, "LIMIT");
    assert_eq!(code_of(fv.enroll("biden".into(), bytes(BIDEN))).await, "LIMIT");
    let list: Array = ok(fv.list()).await.into();
    assert_eq!((list.length(), get(&list.get(0), "shots").as_f64()), (1, Some(1.0)));
}

#[wasm_bindgen_test]
async fn memory_storage_keeps_nothing_between_instances() {
    let a = FaceVerifier::create(opts(&[("storage", "memory".into())])).await.unwrap();
    ok(a.enroll("obama".into(), bytes(OBAMA))).await;
    assert_eq!(Array::from(&ok(a.list()).await).length(), 1);
    let b = FaceVerifier::create(opts(&[("storage", "memory".into())])).await.unwrap();
    assert_eq!(Array::from(&ok(b.list()).await).length(), 0);
}

#[wasm_bindgen_test]
async fn export_then_import_into_a_fresh_verifier_gives_identical_decisions() {
    let a = open("facegate-test-export-a").await;
    ok(a.enroll("obama".into(), bytes(OBAMA))).await;
    ok(a.enroll("obama".into(), mirror_of(OBAMA))).await;
    ok(a.enroll("biden".into(), bytes(BIDEN))).await;
    let exported: Uint8Array = ok(a.export_enrollments()).await.into();
    let b = open("facegate-test-export-b").await;
    ok(b.enroll("someone".into(), bytes(ASTRONAUT))).await;
    assert_eq!(
        ok(b.import_enrollments(exported.clone(), opts(&[("mode", "replace".into())]))).await.as_f64(),
        Some(2.0)
    );
    let stringify = |v: &JsValue| js_sys::JSON::stringify(v).unwrap().as_string().unwrap();
    for probe in [bytes(OBAMA_2), mirror_of(BIDEN), bytes(ASTRONAUT)] {
        for id in ["obama", "biden"] {
            let (va, vb) = (ok(a.verify(id.into(), probe.clone())).await, ok(b.verify(id.into(), probe.clone())).await);
            assert_eq!(stringify(&va), stringify(&vb));
        }
        let (ia, ib) = (ok(a.identify(probe.clone(), None)).await, ok(b.identify(probe.clone(), None)).await);
        assert_eq!(stringify(&ia), stringify(&ib));
    }
    assert_eq!(stringify(&ok(a.list()).await), stringify(&ok(b.list()).await));

    // Merge keeps what is there; another model's export and damaged bytes change nothing.
    ok(b.enroll("someone".into(), bytes(ASTRONAUT))).await;
    assert_eq!(ok(b.import_enrollments(exported.clone(), None)).await.as_f64(), Some(2.0));
    assert_eq!(Array::from(&ok(b.list()).await).length(), 3);
    let text = String::from_utf8(exported.to_vec()).unwrap().replace(&a.model_sha256(), &"0".repeat(64));
    let foreign = Uint8Array::from(text.as_bytes());
    assert_eq!(code_of(b.import_enrollments(foreign, opts(&[("mode", "replace".into())]))).await, "MODEL_MISMATCH");
    let damaged = Uint8Array::from(&exported.to_vec()[..exported.length() as usize / 2]);
    assert_eq!(code_of(b.import_enrollments(damaged, None)).await, "INVALID_TEMPLATE");
    assert_eq!(code_of(b.import_enrollments(exported, opts(&[("mode", "all".into())]))).await, "INVALID_ARGUMENT");
    assert_eq!(Array::from(&ok(b.list()).await).length(), 3);
}

#[wasm_bindgen_test]
async fn indexeddb_and_memory_stores_give_the_native_decisions() {
    let pipeline = Pipeline::new().unwrap();
    let faces = decisions::Faces::new(&pipeline);
    for rule in [Rule::cosine_for(facegate::EmbedderModel::MobileFaceNet), Rule::bundled().unwrap()] {
        let name = rule.name();
        let idb = IndexedDbStore::open("facegate-test-decisions").await.unwrap();
        let gallery = Gallery::new(idb, pipeline.model_sha256(), rule.clone()).unwrap();
        gallery.clear().await.unwrap();
        assert_eq!(decisions::run(&gallery, &faces).await, decisions::EXPECTED, "IndexedDB, {name}");
        let memory = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), rule).unwrap();
        assert_eq!(decisions::run(&memory, &faces).await, decisions::EXPECTED, "memory, {name}");
    }
}
