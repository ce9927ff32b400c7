//! `Camera`: a `getUserMedia` stream shown in a `<video>` element, and frames read from it.

use super::error::{camera_error, camera_failure};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, ImageData, MediaStream, MediaStreamConstraints, MediaStreamTrack};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CameraOptions {
    /// "user" (front) or "environment" (back).
    facing_mode: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    /// A specific camera (from `navigator.mediaDevices.enumerateDevices()`).
    device_id: Option<String>,
}

/// A running camera bound to a `<video>` element.
#[wasm_bindgen]
pub struct Camera {
    video: HtmlVideoElement,
    stream: MediaStream,
}

/// Waits for `ms` milliseconds on the global `setTimeout` (a window's or a worker's).
pub(super) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into());
        if let Ok(f) = set_timeout.and_then(|f| f.dyn_into::<js_sys::Function>()) {
            let _ = f.call2(&JsValue::NULL, &resolve, &ms.into());
        }
    });
    let _ = JsFuture::from(promise).await;
}

#[wasm_bindgen]
impl Camera {
    /// Asks for the camera (`{ facingMode: "user" }` by default) and plays it in `video`.
    /// Errors have code `CAMERA` (denied, absent, or no frames within 10 s).
    pub async fn start(
        video: HtmlVideoElement,
        #[wasm_bindgen(unchecked_optional_param_type = "CameraOptions")] options: Option<js_sys::Object>,
    ) -> Result<Camera, JsValue> {
        let opts: CameraOptions = super::options(options)?;
        let devices = web_sys::window()
            .ok_or_else(|| camera_failure("no window: the camera needs a page"))?
            .navigator()
            .media_devices()
            .map_err(|_| camera_failure("this browser has no camera API (a secure context is required)"))?;
        let video_constraints = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&video_constraints, &k.into(), &v);
        set("facingMode", opts.facing_mode.unwrap_or_else(|| "user".into()).into())?;
        if let Some(w) = opts.width {
            set("width", w.into())?;
        }
        if let Some(h) = opts.height {
            set("height", h.into())?;
        }
        if let Some(id) = opts.device_id {
            let exact = js_sys::Object::new();
            js_sys::Reflect::set(&exact, &"exact".into(), &id.into())?;
            set("deviceId", exact.into())?;
        }
        let constraints = MediaStreamConstraints::new();
        constraints.set_video(&video_constraints);
        let promise = devices.get_user_media_with_constraints(&constraints).map_err(camera_error)?;
        let stream: MediaStream =
            JsFuture::from(promise).await.map_err(camera_error)?.dyn_into().map_err(camera_error)?;
        video.set_muted(true);
        video.set_src_object(Some(&stream));
        let camera = Camera { video, stream };
        if let Err(e) = JsFuture::from(camera.video.play().map_err(camera_error)?).await {
            camera.stop();
            return Err(camera_error(e));
        }
        for _ in 0..200 {
            if camera.video.video_width() > 0 {
                return Ok(camera);
            }
            sleep(50).await;
        }
        camera.stop();
        Err(camera_failure("the camera delivered no frame within 10 s"))
    }

    /// The current frame as `ImageData` (a `FaceSource`).
    pub fn frame(&self) -> Result<ImageData, JsValue> {
        super::source::snapshot(&self.video)
    }

    /// Stops every track and detaches the stream from the video element.
    pub fn stop(&self) {
        for track in self.stream.get_tracks().iter() {
            if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
                track.stop();
            }
        }
        self.video.set_src_object(None);
    }
}
