//! JavaScript `Error`s with a stable `code` property: the core's [`ErrorCode`] strings, the one
//! list of codes.

use crate::error::Error;
use wasm_bindgen::prelude::*;

impl From<Error> for JsValue {
    /// A JS `Error` named `FacegateError` whose `code` is [`Error::code`] (and, for `LOCKED`,
    /// `retryAfterMs`: the milliseconds left of the lock).
    fn from(e: Error) -> Self {
        let err = js_sys::Error::new(&e.to_string());
        err.set_name("FacegateError");
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&err, &"code".into(), &e.code().as_str().into());
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

/// Maps a JS exception from the camera APIs to a `CAMERA` error.
pub(crate) fn camera_error(e: JsValue) -> JsValue {
    Error::Camera(describe(&e)).into()
}
