//! JavaScript `Error`s with a stable `code` property.

use crate::error::Error;
use wasm_bindgen::prelude::*;

/// Codes that exist only in the browser layer.
pub(crate) const STORAGE: &str = "STORAGE";
pub(crate) const CAMERA: &str = "CAMERA";

/// A JS `Error` named `FacegateError` whose `code` is one of the stable codes.
pub(crate) fn js_error(code: &str, message: impl std::fmt::Display) -> JsValue {
    let err = js_sys::Error::new(&message.to_string());
    err.set_name("FacegateError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
    err.into()
}

impl From<Error> for JsValue {
    fn from(e: Error) -> Self {
        js_error(e.code().as_str(), e)
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

/// Maps any JS exception to a typed error with `code`.
pub(crate) fn with_code(code: &'static str) -> impl Fn(JsValue) -> JsValue {
    move |e| js_error(code, describe(&e))
}
