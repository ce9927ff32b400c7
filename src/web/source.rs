//! Turning what JavaScript hands us (video, canvas, image, bitmap, `ImageData`, encoded bytes)
//! into a [`Frame`], through canvas 2D `getImageData` on an `OffscreenCanvas`. Every size is
//! checked before anything is copied into wasm memory (which never shrinks): encoded bytes
//! against [`MAX_ENCODED_BYTES`](crate::frame::MAX_ENCODED_BYTES), pixel sources against the
//! frame's side and pixel limits.

use crate::error::Error;
use crate::frame::{check_encoded_len, check_size, Frame};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    HtmlCanvasElement, HtmlImageElement, HtmlVideoElement, ImageBitmap, ImageData, OffscreenCanvas,
    OffscreenCanvasRenderingContext2d,
};

fn invalid(reason: impl Into<String>) -> JsValue {
    Error::invalid_frame(reason).into()
}

/// Reads pixels from any supported source; `INVALID_FRAME` for anything else or an empty source.
pub(crate) fn frame_from(source: &JsValue) -> Result<Frame, JsValue> {
    if let Some(bytes) = source.dyn_ref::<Uint8Array>() {
        check_encoded_len(bytes.length() as usize)?;
        return Ok(Frame::decode(&bytes.to_vec())?);
    }
    if let Some(image) = source.dyn_ref::<ImageData>() {
        check_size(image.width(), image.height())?;
        return Ok(Frame::from_rgba(&image.data(), image.width(), image.height())?);
    }
    let image = snapshot(source)?;
    Ok(Frame::from_rgba(&image.data(), image.width(), image.height())?)
}

/// The current pixels of a drawable source (video, canvas, image, bitmap) as `ImageData`.
pub(crate) fn snapshot(source: &JsValue) -> Result<ImageData, JsValue> {
    let (width, height) = if let Some(v) = source.dyn_ref::<HtmlVideoElement>() {
        (v.video_width(), v.video_height())
    } else if let Some(c) = source.dyn_ref::<HtmlCanvasElement>() {
        (c.width(), c.height())
    } else if let Some(i) = source.dyn_ref::<HtmlImageElement>() {
        if !i.complete() {
            return Err(invalid("the image has not finished loading"));
        }
        (i.natural_width(), i.natural_height())
    } else if let Some(b) = source.dyn_ref::<ImageBitmap>() {
        (b.width(), b.height())
    } else {
        return Err(invalid(
            "expected an HTMLVideoElement, HTMLCanvasElement, HTMLImageElement, ImageBitmap, ImageData or Uint8Array",
        ));
    };
    if width == 0 || height == 0 {
        return Err(invalid(format!("the source has no pixels yet ({width}x{height})")));
    }
    check_size(width, height)?;
    draw(source, width, height).map_err(|e| invalid(super::error::describe(&e)))
}

/// Draws a drawable source on an offscreen canvas of its size and reads the pixels back.
fn draw(source: &JsValue, width: u32, height: u32) -> Result<ImageData, JsValue> {
    let canvas = OffscreenCanvas::new(width, height)?;
    let ctx: OffscreenCanvasRenderingContext2d =
        canvas.get_context("2d")?.ok_or_else(|| JsValue::from_str("no 2d context"))?.dyn_into()?;
    if let Some(v) = source.dyn_ref::<HtmlVideoElement>() {
        ctx.draw_image_with_html_video_element(v, 0.0, 0.0)?;
    } else if let Some(c) = source.dyn_ref::<HtmlCanvasElement>() {
        ctx.draw_image_with_html_canvas_element(c, 0.0, 0.0)?;
    } else if let Some(i) = source.dyn_ref::<HtmlImageElement>() {
        ctx.draw_image_with_html_image_element(i, 0.0, 0.0)?;
    } else if let Some(b) = source.dyn_ref::<ImageBitmap>() {
        ctx.draw_image_with_image_bitmap(b, 0.0, 0.0)?;
    }
    ctx.get_image_data(0.0, 0.0, width as f64, height as f64)
}
