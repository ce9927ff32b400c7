//! Hostile input in the browser: every kind of oversize source is refused with `INVALID_FRAME`
//! before its pixels or bytes are copied into wasm memory (which never shrinks), a huge
//! stride or a JPEG that once crashed the decoder is a typed error, not a trap that kills the
//! instance, and a tampered export or a corrupt IndexedDB record cannot poison the gallery.

use super::{bytes, code_of, get, mirror_of, ok, open, opts, BIDEN, OBAMA, OBAMA_2};
use facegate::frame::MAX_ENCODED_BYTES;
use facegate::{FaceVerifier, Frame, PixelFormat};
use js_sys::{Array, Promise, Reflect, Uint8Array, WebAssembly};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A canvas of that size (never drawn on, so the browser allocates no pixels for it).
fn canvas(width: u32, height: u32) -> web_sys::HtmlCanvasElement {
    let canvas: web_sys::HtmlCanvasElement = document().create_element("canvas").unwrap().dyn_into().unwrap();
    canvas.set_width(width);
    canvas.set_height(height);
    canvas
}

/// A loaded `<img>` whose natural size is `width x height` (an empty SVG).
async fn image(width: u32, height: u32) -> web_sys::HtmlImageElement {
    let img = web_sys::HtmlImageElement::new().unwrap();
    img.set_src(&format!(
        "data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27 width=%27{width}%27 height=%27{height}%27/%3E"
    ));
    JsFuture::from(img.decode()).await.unwrap();
    assert_eq!((img.natural_width(), img.natural_height()), (width, height));
    img
}

async fn bitmap(width: u32, height: u32) -> JsValue {
    let window = web_sys::window().unwrap();
    JsFuture::from(window.create_image_bitmap_with_html_canvas_element(&canvas(width, height)).unwrap()).await.unwrap()
}

/// Every kind of source over a limit: per side (8193 px) or in pixels (36,006,000 or 8192²).
async fn oversize_sources() -> Vec<(&'static str, JsValue)> {
    vec![
        ("Uint8Array over MAX_ENCODED_BYTES", Uint8Array::new_with_length(MAX_ENCODED_BYTES as u32 + 1).into()),
        ("ImageData 8193x1", web_sys::ImageData::new_with_sw(8193, 1).unwrap().into()),
        ("ImageData 6000x6001", web_sys::ImageData::new_with_sw(6000, 6001).unwrap().into()),
        ("canvas 8192x8192", canvas(8192, 8192).into()),
        ("canvas 8193x1", canvas(8193, 1).into()),
        ("img 8192x8192", image(8192, 8192).await.into()),
        ("img 1x8193", image(1, 8193).await.into()),
        ("ImageBitmap 8193x2", bitmap(8193, 2).await),
        ("ImageBitmap 6001x6000", bitmap(6001, 6000).await),
    ]
}

fn wasm_memory_bytes() -> f64 {
    let memory: WebAssembly::Memory = wasm_bindgen::memory().dyn_into().unwrap();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}

#[wasm_bindgen_test]
async fn oversize_sources_are_refused_before_any_copy() {
    let fv = FaceVerifier::create(opts(&[("storage", "memory".into())])).await.unwrap();
    let sources = oversize_sources().await;
    // Each kind once, then the first again: memory is measured from before the first one (a
    // copy made and dropped would be reused by the next, hiding it).
    let before = wasm_memory_bytes();
    for (what, source) in sources.iter().cycle().take(10) {
        let err = JsFuture::from(fv.detect(source.clone())).await.err().unwrap_or_else(|| panic!("{what}: accepted"));
        assert_eq!(
            get(&err, "code").as_string().as_deref(),
            Some("INVALID_FRAME"),
            "{what}: {:?}",
            get(&err, "message")
        );
    }
    let grown = (wasm_memory_bytes() - before) / f64::from(1 << 20);
    console_log!(
        "wasm memory grew by {grown:.1} MiB over 10 refused oversize sources (from {:.1} MiB)",
        before / f64::from(1 << 20)
    );
    assert!(grown <= 64.0, "wasm memory grew by {grown} MiB");
    // The same instance still answers.
    let faces = JsFuture::from(fv.detect(Uint8Array::from(super::OBAMA).into())).await.unwrap();
    assert_eq!(js_sys::Array::from(&faces).length(), 1);
}

#[wasm_bindgen_test]
fn a_huge_stride_is_an_invalid_frame_in_wasm32() {
    // usize is 32 bits here: these strides times the height wrap around 2^32.
    let data = [7u8; 64];
    for (stride, height) in [(1usize << 31, 3), (usize::MAX, 2), (usize::MAX / 3 + 1, 4), ((1 << 30) + 1, 5)] {
        let err = Frame::from_pixels(&data, 2, height, stride, PixelFormat::Rgba).unwrap_err();
        assert_eq!(err.code().as_str(), "INVALID_FRAME", "stride {stride}, height {height}");
    }
}

#[wasm_bindgen_test]
async fn a_jpeg_that_crashed_the_scalar_idct_is_an_invalid_frame() {
    // Found by fuzzing: zune-jpeg's scalar IDCT (the one wasm runs) panicked on it, which would
    // have killed the instance (vendor/zune-jpeg/PATCHED.md).
    let jpeg = include_bytes!("../../fuzz/corpus/frame_decode/zune-chroma-finer-than-luma-1x1.jpg");
    let fv = FaceVerifier::create(opts(&[("storage", "memory".into())])).await.unwrap();
    let err = JsFuture::from(fv.detect(Uint8Array::from(&jpeg[..]).into())).await.unwrap_err();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("INVALID_FRAME"), "{:?}", get(&err, "message"));
    // The same instance still answers.
    let faces = JsFuture::from(fv.detect(Uint8Array::from(super::OBAMA).into())).await.unwrap();
    assert_eq!(js_sys::Array::from(&faces).length(), 1);
}

/// The records of an export, as IndexedDB stores them.
fn records(exported: &JsValue) -> Array {
    let text = String::from_utf8(exported.dyn_ref::<Uint8Array>().unwrap().to_vec()).unwrap();
    get(&js_sys::JSON::parse(&text).unwrap(), "enrollments").into()
}

/// A copy of `record` as `id`, its first shot changed by `change` (a JS function body of `shot`
/// returning the new one) and given `copies` times.
fn tampered(record: &JsValue, id: &str, change: &str, copies: u32) -> JsValue {
    let copy = js_sys::JSON::parse(&js_sys::JSON::stringify(record).unwrap().as_string().unwrap()).unwrap();
    let change = js_sys::Function::new_with_args("shot", change);
    let shot = change.call1(&JsValue::NULL, &Array::from(&get(&copy, "shots")).get(0)).unwrap();
    let shots = Array::new();
    for _ in 0..copies {
        shots.push(&shot);
    }
    Reflect::set(&copy, &"id".into(), &id.into()).unwrap();
    Reflect::set(&copy, &"shots".into(), &shots).unwrap();
    copy
}

/// Cuts the value of smallest magnitude: the shot keeps (nearly) unit length, one value short.
const CUT_ONE_VALUE: &str = "const i = shot.reduce((m, v, j) => Math.abs(v) < Math.abs(shot[m]) ? j : m, 0); \
                             return shot.filter((_, j) => j !== i);";

/// Each listed entry as `id` or `id!CODE` for a damaged one.
async fn listed(fv: &FaceVerifier) -> Vec<String> {
    let list: Array = ok(fv.list()).await.into();
    list.iter()
        .map(|e| {
            let id = get(&e, "id").as_string().unwrap();
            get(&e, "code").as_string().map_or(id.clone(), |code| format!("{id}!{code}"))
        })
        .collect()
}

/// Awaits an IndexedDB request (or transaction: `complete`).
async fn done(target: &web_sys::EventTarget, event: &str) {
    let target = target.clone();
    let fired = Promise::new(&mut |resolve, reject| {
        target.add_event_listener_with_callback(event, &resolve).unwrap();
        target.add_event_listener_with_callback("error", &reject).unwrap();
    });
    JsFuture::from(fired).await.unwrap();
}

/// Writes records straight into the `templates` store of the database `name`, as another program
/// (or a damaged disk) could.
async fn put_raw(name: &str, values: &[JsValue]) {
    let factory = web_sys::window().unwrap().indexed_db().unwrap().unwrap();
    let request = factory.open(name).unwrap();
    done(&request, "success").await;
    let db: web_sys::IdbDatabase = request.result().unwrap().unchecked_into();
    let tx = db.transaction_with_str_and_mode("templates", web_sys::IdbTransactionMode::Readwrite).unwrap();
    for value in values {
        tx.object_store("templates").unwrap().put(value).unwrap();
    }
    done(&tx, "complete").await;
    db.close();
}

#[wasm_bindgen_test]
async fn a_tampered_import_is_refused_with_nothing_written() {
    let source = FaceVerifier::create(opts(&[("storage", "memory".into())])).await.unwrap();
    ok(source.enroll("obama".into(), bytes(OBAMA))).await;
    ok(source.enroll("biden".into(), bytes(BIDEN))).await;
    let all = records(&ok(source.export_enrollments()).await);
    let export = |records: &[JsValue]| {
        let file = js_sys::Object::new();
        Reflect::set(&file, &"format".into(), &"facegate-gallery".into()).unwrap();
        Reflect::set(&file, &"version".into(), &2.into()).unwrap();
        Reflect::set(&file, &"enrollments".into(), &records.iter().collect::<Array>()).unwrap();
        Uint8Array::from(js_sys::JSON::stringify(&file).unwrap().as_string().unwrap().as_bytes())
    };
    let (biden, obama) = (all.get(0), all.get(1));
    assert_eq!(get(&biden, "id").as_string().as_deref(), Some("biden"), "in id order");
    let with_biden = |change: &str, copies: u32| export(&[tampered(&biden, "biden", change, copies), obama.clone()]);
    let cases = [
        ("one value cut", with_biden(CUT_ONE_VALUE, 1)),
        ("21 shots", with_biden("return shot;", 21)),
        ("a zero shot", with_biden("return shot.map(() => 0);", 1)),
        ("twice as long", with_biden("return shot.map(v => v * 2);", 1)),
    ];
    let fv = open("facegate-test-tampered-import").await;
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    for (what, bad) in cases {
        for mode in ["merge", "replace"] {
            let code = code_of(fv.import_enrollments(bad.clone(), opts(&[("mode", mode.into())]))).await;
            assert_eq!(code, "INVALID_TEMPLATE", "{what}, {mode}");
            assert_eq!(listed(&fv).await, ["obama"], "{what}, {mode}: nothing written");
        }
    }
    // The export untouched imports; past maxIds it is refused whole (the cap checked in the
    // write's own transaction in IndexedDB).
    let both = export(&[biden, obama]);
    for store in [("storage", JsValue::from("memory")), ("dbName", "facegate-test-max-ids".into())] {
        let small = FaceVerifier::create(opts(&[store.clone(), ("maxIds", 2.into())])).await.unwrap();
        ok(small.clear()).await;
        ok(small.enroll("zoe".into(), bytes(OBAMA_2))).await;
        assert_eq!(code_of(small.import_enrollments(both.clone(), None)).await, "INVALID_TEMPLATE", "{store:?}");
        assert_eq!(listed(&small).await, ["zoe"], "{store:?}");
        let replaced = ok(small.import_enrollments(both.clone(), opts(&[("mode", "replace".into())]))).await;
        assert_eq!(replaced.as_f64(), Some(2.0), "{store:?}");
        assert_eq!(listed(&small).await, ["biden", "obama"], "{store:?}");
    }
    // Someone enrolled verifies and identifies as before.
    let who: Array = ok(fv.identify(mirror_of(OBAMA), None)).await.into();
    assert_eq!(get(&who.get(0), "id").as_string().as_deref(), Some("obama"));
}

#[wasm_bindgen_test]
async fn corrupt_indexeddb_records_are_skipped_and_reported() {
    let name = "facegate-test-corrupt-records";
    let fv = open(name).await;
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    ok(fv.enroll("biden".into(), bytes(BIDEN))).await;
    let record = records(&ok(fv.export_enrollments()).await).get(0);
    put_raw(
        name,
        &[
            tampered(&record, "cut", CUT_ONE_VALUE, 1),
            tampered(&record, "many", "return shot;", 21),
            tampered(&record, "nan", "return shot.map((v, j) => j ? v : NaN);", 1),
            tampered(&record, "zero", "return shot.map(() => 0);", 1),
        ],
    )
    .await;
    let expected = [
        "biden",
        "cut!INVALID_TEMPLATE",
        "many!INVALID_TEMPLATE",
        "nan!INVALID_TEMPLATE",
        "obama",
        "zero!INVALID_TEMPLATE",
    ];
    assert_eq!(listed(&fv).await, expected);
    for id in ["cut", "many", "nan", "zero"] {
        assert_eq!(code_of(fv.verify(id.into(), bytes(BIDEN))).await, "INVALID_TEMPLATE", "{id}");
    }
    // Everybody else verifies and signs in by identification.
    assert_eq!(get(&ok(fv.verify("obama".into(), bytes(OBAMA_2))).await, "isMatch").as_bool(), Some(true));
    for (who, source) in [("biden", mirror_of(BIDEN)), ("obama", mirror_of(OBAMA))] {
        let found: Array = ok(fv.identify(source, None)).await.into();
        assert_eq!(found.length(), 1, "{who}");
        assert_eq!(get(&found.get(0), "id").as_string().as_deref(), Some(who));
    }
    // A fresh instance on the same database sees the same.
    let again = FaceVerifier::create(opts(&[("dbName", name.into())])).await.unwrap();
    assert_eq!(listed(&again).await, expected);
    for id in ["cut", "many", "nan", "zero"] {
        assert_eq!(ok(fv.remove(id.into())).await.as_bool(), Some(true), "{id}");
    }
    assert_eq!(listed(&fv).await, ["biden", "obama"]);
}
