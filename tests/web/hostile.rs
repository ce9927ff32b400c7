//! Hostile input in the browser: every kind of oversize source is refused with `INVALID_FRAME`
//! before its pixels or bytes are copied into wasm memory (which never shrinks), and a huge
//! stride or a JPEG that once crashed the decoder is a typed error, not a trap that kills the
//! instance.

use super::{get, opts};
use facegate::frame::MAX_ENCODED_BYTES;
use facegate::{FaceVerifier, Frame, PixelFormat};
use js_sys::{Uint8Array, WebAssembly};
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
    let refuse = |what: &str, source: &JsValue| {
        let err = fv.detect(source.clone()).err().unwrap_or_else(|| panic!("{what}: accepted"));
        assert_eq!(
            get(&err, "code").as_string().as_deref(),
            Some("INVALID_FRAME"),
            "{what}: {:?}",
            get(&err, "message")
        );
    };
    // Each kind once, then the first again: memory is measured from before the first one (a
    // copy made and dropped would be reused by the next, hiding it).
    let before = wasm_memory_bytes();
    for (what, source) in sources.iter().cycle().take(10) {
        refuse(what, source);
    }
    let grown = (wasm_memory_bytes() - before) / f64::from(1 << 20);
    console_log!(
        "wasm memory grew by {grown:.1} MiB over 10 refused oversize sources (from {:.1} MiB)",
        before / f64::from(1 << 20)
    );
    assert!(grown <= 64.0, "wasm memory grew by {grown} MiB");
    // The same instance still answers.
    let faces = fv.detect(Uint8Array::from(super::OBAMA).into()).unwrap();
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
    let err = fv.detect(Uint8Array::from(&jpeg[..]).into()).unwrap_err();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("INVALID_FRAME"), "{:?}", get(&err, "message"));
    // The same instance still answers.
    let faces = fv.detect(Uint8Array::from(super::OBAMA).into()).unwrap();
    assert_eq!(js_sys::Array::from(&faces).length(), 1);
}
