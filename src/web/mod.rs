//! The browser layer (wasm32 only): `FaceVerifier` and `Camera` for JavaScript. It translates JS
//! values into the core's walk (source → [`Frame`] → [`Pipeline`] → [`Gallery`]) and back, and
//! keeps enrollments in IndexedDB. Every entry point returns a JS `Error` with a `code` instead
//! of panicking, and the instance keeps working after an error.

mod camera;
mod error;
mod source;
mod store;

pub use camera::Camera;

use crate::detect::Face;
use crate::embed::Embedding;
use crate::error::Error;
use crate::frame::Frame;
use crate::gallery::{Gallery, Threshold};
use crate::geometry::Rect;
use crate::pipeline::{Pipeline, PipelineOptions, Selection};
use error::js_error;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use store::{Record, Store, RECORD_FORMAT};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A face box in source pixels. */
export interface Box { x: number; y: number; width: number; height: number }
/** Options of `FaceVerifier.create`. */
export interface CreateOptions {
  /** IndexedDB database name (default "facegate"). */
  dbName?: string;
  /** Cosine-similarity threshold (default: the LFW FAR 1e-3 threshold). */
  threshold?: number;
  /** Smallest face width in pixels (default 40). */
  minFace?: number;
  /** Add the mirror image's embedding (default true). */
  flip?: boolean;
}
/** Anything a frame can be read from. */
export type FaceSource = HTMLVideoElement | HTMLCanvasElement | HTMLImageElement | ImageBitmap | ImageData | Uint8Array;
export interface EnrollResult { id: string; shots: number; box: Box; score: number }
export interface VerifyResult { isMatch: boolean; score: number; threshold: number; box: Box }
export interface Candidate { id: string; score: number }
export interface IdentifyOptions { topK?: number }
/** Options of `Camera.start`. */
export interface CameraOptions { facingMode?: "user" | "environment"; width?: number; height?: number; deviceId?: string }
export interface DetectedFace { box: Box; score: number }
export interface Enrollment { id: string; shots: number; createdAt: number; updatedAt: number }
/** Stable codes on thrown errors (`err.code`). */
export type ErrorCode = "NO_FACE" | "MULTIPLE_FACES" | "FACE_TOO_SMALL" | "INVALID_FRAME" | "UNKNOWN_ID"
  | "STORAGE" | "MODEL_MISMATCH" | "CAMERA" | "MODEL" | "INVALID_ARGUMENT" | "INVALID_TEMPLATE";
"#;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CreateOptions {
    db_name: Option<String>,
    threshold: Option<f32>,
    min_face: Option<u32>,
    flip: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct IdentifyOptions {
    top_k: Option<usize>,
}

#[derive(Serialize)]
struct EnrollResult<'a> {
    id: &'a str,
    shots: usize,
    #[serde(rename = "box")]
    bbox: Rect,
    score: f32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifyResult {
    is_match: bool,
    score: f32,
    threshold: f32,
    #[serde(rename = "box")]
    bbox: Rect,
}

#[derive(Serialize)]
struct DetectedFace {
    #[serde(rename = "box")]
    bbox: Rect,
    score: f32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Enrollment<'a> {
    id: &'a str,
    shots: usize,
    created_at: f64,
    updated_at: f64,
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .map_err(|e| js_error("INVALID_ARGUMENT", e))
}

/// Reads an options object (`undefined`/`null` = defaults); unknown keys are refused, so a typo
/// such as `dbname` fails loudly instead of silently using the default database.
fn options<T: for<'de> Deserialize<'de> + Default>(value: Option<js_sys::Object>, known: &[&str]) -> Result<T, JsValue> {
    let Some(object) = value else { return Ok(T::default()) };
    let bad = |msg: String| -> JsValue { Error::InvalidArgument(format!("options: {msg}")).into() };
    for key in js_sys::Object::keys(&object).iter().filter_map(|k| k.as_string()) {
        if !known.contains(&key.as_str()) {
            return Err(bad(format!("unknown option {key:?} (known: {})", known.join(", "))));
        }
    }
    serde_wasm_bindgen::from_value(object.into()).map_err(|e| bad(e.to_string()))
}

/// Face verification and identification against enrollments kept in IndexedDB.
#[wasm_bindgen]
pub struct FaceVerifier {
    inner: Rc<Inner>,
}

struct Inner {
    pipeline: Pipeline,
    store: Store,
    threshold: Threshold,
}

impl Inner {
    /// Reads the source now (before any await) and finds exactly one face in it.
    fn one_face(&self, source: &JsValue) -> Result<(Face, Embedding), JsValue> {
        let frame: Frame = source::frame_from(source)?;
        let d = self.pipeline.describe(&frame, Selection::Single)?;
        Ok((d.face, d.embedding))
    }

    /// A gallery of the given records, refusing records of another model.
    fn gallery(&self, records: &[Record]) -> Result<Gallery, JsValue> {
        let mut gallery = Gallery::new(self.pipeline.model_sha256(), self.threshold);
        for r in records {
            if r.model_sha256 != self.pipeline.model_sha256() {
                return Err(Error::ModelMismatch { expected: self.pipeline.model_sha256().into(), found: r.model_sha256.clone() }.into());
            }
            gallery.enroll(&r.id, r.shots.iter().cloned())?;
        }
        Ok(gallery)
    }
}

#[wasm_bindgen]
impl FaceVerifier {
    /// Loads the bundled models and opens (or creates) the IndexedDB store.
    pub async fn create(
        #[wasm_bindgen(unchecked_param_type = "CreateOptions")] options: Option<js_sys::Object>,
    ) -> Result<FaceVerifier, JsValue> {
        let opts: CreateOptions = self::options(options, &["dbName", "threshold", "minFace", "flip"])?;
        let threshold = match opts.threshold {
            Some(t) => Threshold::custom(t)?,
            None => Threshold::DEFAULT,
        };
        let defaults = PipelineOptions::default();
        let pipeline = Pipeline::with_options(PipelineOptions {
            min_face: opts.min_face.unwrap_or(defaults.min_face),
            flip: opts.flip.unwrap_or(defaults.flip),
            ..defaults
        })?;
        let store = Store::open(opts.db_name.as_deref().unwrap_or("facegate")).await?;
        Ok(FaceVerifier { inner: Rc::new(Inner { pipeline, store, threshold }) })
    }

    /// SHA-256 of the embedding model that templates are bound to.
    #[wasm_bindgen(getter, js_name = modelSha256)]
    pub fn model_sha256(&self) -> String {
        self.inner.pipeline.model_sha256().to_owned()
    }

    /// The cosine-similarity decision threshold.
    #[wasm_bindgen(getter)]
    pub fn threshold(&self) -> f32 {
        self.inner.threshold.cosine
    }

    /// Adds one shot of `id` (exactly one face must be visible); several calls add shots.
    #[wasm_bindgen(unchecked_return_type = "Promise<EnrollResult>")]
    pub fn enroll(&self, id: String, #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        let described = inner.one_face(&source);
        future_to_promise(async move {
            let (face, embedding) = described?;
            if id.trim().is_empty() {
                return Err(Error::InvalidArgument("an identity needs a non-empty id".into()).into());
            }
            let sha = inner.pipeline.model_sha256().to_owned();
            let now = js_sys::Date::now();
            let record = inner
                .store
                .update(&id, |old| {
                    let mut record = old.unwrap_or_else(|| Record {
                        id: id.clone(),
                        format: RECORD_FORMAT,
                        model_sha256: sha.clone(),
                        shots: Vec::new(),
                        created_at: now,
                        updated_at: now,
                    });
                    if record.model_sha256 != sha {
                        return Err(Error::ModelMismatch { expected: sha.clone(), found: record.model_sha256 }.into());
                    }
                    record.shots.push(embedding);
                    record.updated_at = now;
                    Ok(record)
                })
                .await?;
            to_js(&EnrollResult { id: &record.id, shots: record.shots.len(), bbox: face.bbox, score: face.score })
        })
    }

    /// Is the one face in `source` the person enrolled as `id`?
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyResult>")]
    pub fn verify(&self, id: String, #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        let described = inner.one_face(&source);
        future_to_promise(async move {
            let (face, embedding) = described?;
            let record = inner.store.get(&id).await?.ok_or_else(|| Error::UnknownIdentity(id.clone()))?;
            let v = inner.gallery(&[record])?.verify(&id, &embedding)?;
            to_js(&VerifyResult { is_match: v.is_match, score: v.score, threshold: v.threshold, bbox: face.bbox })
        })
    }

    /// Enrolled identities passing the threshold for the face in `source`, best first (`[]`:
    /// unknown).
    #[wasm_bindgen(unchecked_return_type = "Promise<Candidate[]>")]
    pub fn identify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue,
        #[wasm_bindgen(unchecked_param_type = "IdentifyOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let described = inner.one_face(&source);
        future_to_promise(async move {
            let (_, embedding) = described?;
            let opts: IdentifyOptions = self::options(options, &["topK"])?;
            let records = inner.store.all().await?;
            to_js(&inner.gallery(&records)?.identify(&embedding, opts.top_k.unwrap_or(1))?)
        })
    }

    /// Every enrollment: id, number of shots, creation and update times (ms since the epoch).
    #[wasm_bindgen(unchecked_return_type = "Promise<Enrollment[]>")]
    pub fn list(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let records = inner.store.all().await?;
            let list: Vec<Enrollment> = records
                .iter()
                .map(|r| Enrollment { id: &r.id, shots: r.shots.len(), created_at: r.created_at, updated_at: r.updated_at })
                .collect();
            to_js(&list)
        })
    }

    /// Deletes `id`'s templates; resolves to `false` when it was not enrolled.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn remove(&self, id: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move { Ok(inner.store.remove(&id).await?.into()) })
    }

    /// Deletes every enrollment.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn clear(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            inner.store.clear().await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Every face in `source` (no minimum-size filter), best score first: for live previews.
    #[wasm_bindgen(unchecked_return_type = "DetectedFace[]")]
    pub fn detect(&self, #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue) -> Result<JsValue, JsValue> {
        let frame = source::frame_from(&source)?;
        let faces = self.inner.pipeline.faces(&frame)?;
        to_js(&faces.iter().map(|f| DetectedFace { bbox: f.bbox, score: f.score }).collect::<Vec<_>>())
    }

    /// The unit-length embedding of the one face in `source`.
    pub fn embed(&self, #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue) -> Result<js_sys::Float32Array, JsValue> {
        let (_, embedding) = self.inner.one_face(&source)?;
        Ok(js_sys::Float32Array::from(embedding.as_slice()))
    }
}
