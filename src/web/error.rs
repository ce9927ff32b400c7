//! JavaScript `Error`s with a stable `code` property: the core's [`ErrorCode`] strings, the one
//! list of codes.

use crate::error::{Error, ErrorCode};
use wasm_bindgen::prelude::*;

/// A JS `Error` named `FacegateError` with `message` and `code`.
fn facegate_error(message: &str, code: ErrorCode) -> js_sys::Error {
    let err = js_sys::Error::new(message);
    err.set_name("FacegateError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.as_str().into());
    err
}

impl From<Error> for JsValue {
    /// A JS `Error` named `FacegateError` whose `code` is [`Error::code`] (and, for `LOCKED`,
    /// `retryAfterMs`: the milliseconds left of the lock).
    fn from(e: Error) -> Self {
        let err = facegate_error(&e.to_string(), e.code());
        if let Error::Locked { retry_after_ms, .. } = e {
            let _ = js_sys::Reflect::set(&err, &"retryAfterMs".into(), &(retry_after_ms as f64).into());
        }
        err.into()
    }
}

/// Describes a JS exception (DOMException or Error) for a message.
pub(crate) fn describe(value: &JsValue) -> String {
    let field = |name: &str| js_sys::Reflect::get(value, &name.into()).ok().and_then(|v| v.as_string());
    match (field("name"), field("message")) {
        (Some(n), Some(m)) if !m.is_empty() => format!("{n}: {m}"),
        (Some(n), _) => n,
        (None, Some(m)) => m,
        (None, None) => value.as_string().unwrap_or_else(|| format!("{value:?}")),
    }
}

/// A `CAMERA` error ("camera: " and `reason`): the camera is the browser's, so its code is made
/// here, with no variant of the core's [`Error`].
pub(crate) fn camera_failure(reason: &str) -> JsValue {
    facegate_error(&format!("camera: {reason}"), ErrorCode::Camera).into()
}

/// Maps a JS exception from the camera APIs to a `CAMERA` error.
pub(crate) fn camera_error(e: JsValue) -> JsValue {
    camera_failure(&describe(&e))
}
