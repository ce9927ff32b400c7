//! The browser layer (wasm32 only): `FaceVerifier` and `Camera` for JavaScript. It translates JS
//! values into the core's walk (source → [`Frame`](crate::Frame) → [`Pipeline`] → [`Gallery`]) and back, and
//! keeps enrollments in IndexedDB. Every entry point returns a JS `Error` with a `code` instead
//! of panicking, and the instance keeps working after an error.

/// talc instead of Rust's default dlmalloc: tract allocates heavily while it optimises the models.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

mod camera;
mod error;
mod live;
mod source;
mod store;

pub use camera::Camera;
pub use store::IndexedDbStore;

use crate::attempts::Lockout;
use crate::detect::{Detector, Face};
use crate::embed::{Embedder, EmbedderModel, Embedding, Probe};
use crate::error::Error;
use crate::gallery::{Gallery, ImportMode, Limits};
use crate::geometry::Rect;
use crate::head::Head;
use crate::landmarks::Landmarker;
use crate::pipeline::{Pipeline, PipelineOptions, Selection};
use crate::rule::{Candidate, Rule, Verification};
use crate::store::{Damaged, MemoryStore};
use crate::template::Enrollment;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use store::WebStore;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("types.d.ts");

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CreateOptions {
    storage: Option<StorageKind>,
    db_name: Option<String>,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    head: JsValue,
    model: Option<EmbedderModel>,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    model_bytes: JsValue,
    threshold: Option<f32>,
    max_shots: Option<usize>,
    max_ids: Option<usize>,
    max_failures: Option<u32>,
    lock_ms: Option<u64>,
    min_face: Option<u32>,
    flip: Option<bool>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum StorageKind {
    Indexeddb,
    Memory,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct IdentifyOptions {
    top_k: Option<usize>,
    /// Missing: [`crate::far::DEFAULT_FAR`]; `null`: no bound (the 1:1 rule ranks).
    #[serde(deserialize_with = "present")]
    far: Option<Option<f64>>,
    margin: Option<f32>,
}

impl IdentifyOptions {
    /// The core's options: one candidate at [`crate::far::DEFAULT_FAR`] unless told otherwise.
    fn to_core(&self) -> crate::far::IdentifyOptions {
        let far = self.far.unwrap_or(Some(crate::far::DEFAULT_FAR));
        crate::far::IdentifyOptions { k: self.top_k.unwrap_or(1), far, margin: self.margin }
    }

    /// Any option given.
    fn is_set(&self) -> bool {
        self.top_k.is_some() || self.far.is_some() || self.margin.is_some()
    }
}

/// A key that is there, `null` included (a missing key takes the default, `None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportOptions {
    mode: Option<ImportMode>,
}

#[derive(Serialize)]
struct EnrollResult<'a> {
    id: &'a str,
    shots: usize,
    #[serde(rename = "box")]
    bbox: Rect,
    #[serde(rename = "detectionScore")]
    detection_score: f32,
}

#[derive(Serialize)]
struct VerifyResult {
    #[serde(flatten)]
    verification: Verification,
    #[serde(rename = "box")]
    bbox: Rect,
}

#[derive(Serialize)]
struct DetectedFace {
    #[serde(rename = "box")]
    bbox: Rect,
    #[serde(rename = "detectionScore")]
    detection_score: f32,
}

/// One entry of `list()`: an enrollment, or a record that is not used, flagged with the reason.
#[derive(Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
enum Listed<'a> {
    Usable { id: &'a str, shots: usize, created_at: f64, updated_at: f64 },
    Damaged { id: &'a str, damaged: &'a str, code: &'static str },
}

impl<'a> From<&'a Enrollment> for Listed<'a> {
    fn from(e: &'a Enrollment) -> Self {
        Listed::Usable { id: e.id(), shots: e.shots().len(), created_at: e.created_at(), updated_at: e.updated_at() }
    }
}

impl<'a> From<&'a Damaged> for Listed<'a> {
    fn from(d: &'a Damaged) -> Self {
        Listed::Damaged { id: &d.id, damaged: &d.reason, code: d.code.as_str() }
    }
}

impl Listed<'_> {
    fn id(&self) -> &str {
        match self {
            Listed::Usable { id, .. } | Listed::Damaged { id, .. } => id,
        }
    }
}

/// How long `create` waits for `navigator.storage.persist()` (a browser may ask the user).
const PERSIST_WAIT_MS: i32 = 1000;

/// Asks the browser to keep this origin's storage (not evict it under pressure): its answer,
/// or `None` when the API is missing, fails or gives no answer within [`PERSIST_WAIT_MS`].
async fn request_persistence() -> Option<bool> {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let storage = js_sys::Reflect::get(&navigator, &"storage".into()).ok()?;
    let persist: js_sys::Function = js_sys::Reflect::get(&storage, &"persist".into()).ok()?.dyn_into().ok()?;
    let answer: js_sys::Promise = persist.call0(&storage).ok()?.dyn_into().ok()?;
    let timeout = js_sys::Promise::new(&mut |resolve, _| {
        store::set_timeout(&resolve, PERSIST_WAIT_MS);
    });
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(&answer, &timeout)))
        .await
        .ok()?
        .as_bool()
}

#[derive(Serialize)]
struct RuleInfo<'a> {
    name: &'a str,
    threshold: f32,
    provenance: String,
}

/// A promise already settled with `result`: the methods that work synchronously (`detect`, `embed`,
/// `profile`) still return promises, as in worker mode, and their errors are rejections.
fn settled(result: Result<JsValue, JsValue>) -> js_sys::Promise {
    match result {
        Ok(value) => js_sys::Promise::resolve(&value),
        Err(error) => js_sys::Promise::reject(&error),
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(
            &serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true).serialize_missing_as_null(true),
        )
        .map_err(|e| Error::InvalidArgument(e.to_string()).into())
}

/// The field names serde declares for `T` (what `deserialize_struct` is told), so option keys
/// are checked against the struct itself: serde-wasm-bindgen reads only the declared fields of
/// an object, so `#[serde(deny_unknown_fields)]` never sees an extra key.
fn declared_fields<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    struct Fields(&'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for &mut Fields {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = fields;
            Err(serde::de::Error::custom("fields recorded"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields = Fields(&[]);
    let _ = T::deserialize(&mut fields);
    fields.0
}

/// Reads an options object (`undefined`/`null` = defaults); unknown keys are refused, so a typo
/// such as `dbname` fails loudly instead of silently using the default database.
fn options<T: for<'de> Deserialize<'de> + Default>(value: Option<js_sys::Object>) -> Result<T, JsValue> {
    let Some(object) = value else { return Ok(T::default()) };
    let bad = |msg: String| -> JsValue { Error::InvalidArgument(format!("options: {msg}")).into() };
    let known = declared_fields::<T>();
    for key in js_sys::Object::keys(&object).iter().filter_map(|k| k.as_string()) {
        if !known.contains(&key.as_str()) {
            return Err(bad(format!("unknown option {key:?} (known: {})", known.join(", "))));
        }
    }
    serde_wasm_bindgen::from_value(object.into()).map_err(|e| bad(e.to_string()))
}

/// Largest head file accepted from JavaScript (the bundled one is about 10 KB; a projection of
/// 192x192 in JSON about 1 MB).
const MAX_HEAD_BYTES: u32 = 8 << 20;
/// Largest export accepted by `importEnrollments` (10,000 ids of 5 shots as JSON is about 100 MB).
const MAX_IMPORT_BYTES: u32 = 256 << 20;

/// Copies a `Uint8Array` out of JavaScript after checking its length (`LIMIT` when longer).
fn bounded(bytes: &js_sys::Uint8Array, max: u32, what: &str) -> Result<Vec<u8>, Error> {
    match bytes.length() {
        n if n > max => Err(Error::Limit(format!("{what} of {n} bytes is longer than the maximum of {max}"))),
        _ => Ok(bytes.to_vec()),
    }
}

/// Largest embedding model accepted from JavaScript (SFace is 10.7 MB).
const MAX_MODEL_BYTES: u32 = 64 << 20;

/// The embedder named by the `model` and `modelBytes` options: MobileFaceNet compiled in, or the
/// model from bytes (the package's entry, `www/entry.js`, fetches `sface.onnx` when none are given).
fn embedder(model: Option<EmbedderModel>, bytes: &JsValue) -> Result<Embedder, JsValue> {
    let model = model.unwrap_or(EmbedderModel::MobileFaceNet);
    if let Some(bytes) = bytes.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(Embedder::with_model(model, &bounded(bytes, MAX_MODEL_BYTES, "a model file")?)?);
    }
    if !bytes.is_undefined() {
        return Err(Error::InvalidArgument("options: modelBytes must be a Uint8Array".into()).into());
    }
    Ok(match model {
        EmbedderModel::MobileFaceNet => Embedder::new()?,
        EmbedderModel::SFace => {
            return Err(Error::InvalidArgument(
                "options: model \"sface\" needs modelBytes here (the package's entry fetches sface.onnx)".into(),
            )
            .into())
        }
    })
}

/// The rule named by the `head` option (and `threshold`); without one, the model's default.
fn rule(head: &JsValue, threshold: Option<f32>, model: EmbedderModel, model_sha256: &str) -> Result<Rule, JsValue> {
    let rule = if head.is_undefined() {
        Rule::default_for(model)?
    } else if head.as_string().as_deref() == Some("bundled") {
        Rule::bundled()?
    } else if head.as_string().as_deref() == Some("cosine") {
        Rule::cosine_for(model)
    } else if let Some(bytes) = head.dyn_ref::<js_sys::Uint8Array>() {
        let text = String::from_utf8(bounded(bytes, MAX_HEAD_BYTES, "a head file")?)
            .map_err(|_| Error::InvalidTemplate("head file: not UTF-8 JSON".into()))?;
        Rule::head(Head::from_json(&text, model_sha256)?)
    } else {
        return Err(
            Error::InvalidArgument("options: head must be \"bundled\", \"cosine\" or a Uint8Array".into()).into()
        );
    };
    Ok(match threshold {
        Some(t) => rule.with_threshold(t)?,
        None => rule,
    })
}

/// Face verification and identification against enrollments kept in IndexedDB (or memory).
#[wasm_bindgen]
pub struct FaceVerifier {
    inner: Rc<Inner>,
}

struct Inner {
    pipeline: Pipeline,
    gallery: Gallery<WebStore>,
    persisted: Option<bool>,
}

impl Inner {
    /// Reads the source now (before any await) and finds exactly one face in it.
    fn one_face(&self, source: &JsValue) -> Result<(Face, Embedding), JsValue> {
        let frame = source::frame_from(source)?;
        let d = self.pipeline.describe(&frame, Selection::Single)?;
        Ok((d.face, d.embedding))
    }

    /// Like [`Inner::one_face`], with the embedding's first pass only (see [`Probe`]).
    fn one_probe(&self, source: &JsValue) -> Result<(Face, Probe), JsValue> {
        let frame = source::frame_from(source)?;
        Ok(self.pipeline.probe(&frame, Selection::Single)?)
    }
}

#[wasm_bindgen]
impl FaceVerifier {
    /// Loads the models (the embedder named by `model`/`modelBytes`) and opens (or creates) the store.
    pub async fn create(
        #[wasm_bindgen(unchecked_optional_param_type = "CreateOptions")] options: Option<js_sys::Object>,
    ) -> Result<FaceVerifier, JsValue> {
        console_error_panic_hook::set_once();
        let opts: CreateOptions = self::options(options)?;
        let embedder = embedder(opts.model, &opts.model_bytes)?;
        let defaults = PipelineOptions::for_model(embedder.kind());
        let options = PipelineOptions {
            min_face: opts.min_face.unwrap_or(defaults.min_face),
            flip: opts.flip.unwrap_or(defaults.flip),
            ..defaults
        };
        let pipeline = Pipeline::from_parts(Detector::new()?, Landmarker::new()?, embedder, options);
        let rule = rule(&opts.head, opts.threshold, pipeline.model(), pipeline.model_sha256())?;
        let defaults = Lockout::default();
        let lockout = Lockout {
            max_failures: opts.max_failures.unwrap_or(defaults.max_failures),
            lock_ms: opts.lock_ms.unwrap_or(defaults.lock_ms),
        };
        if lockout.max_failures == 0 {
            return Err(Error::InvalidArgument("options: maxFailures must be at least 1".into()).into());
        }
        let (store, persisted) = match opts.storage.unwrap_or(StorageKind::Indexeddb) {
            StorageKind::Memory if opts.db_name.is_some() => {
                return Err(Error::InvalidArgument("options: dbName needs storage \"indexeddb\"".into()).into())
            }
            StorageKind::Memory => (WebStore::Memory(MemoryStore::new()), None),
            StorageKind::Indexeddb => {
                let store = IndexedDbStore::open(opts.db_name.as_deref().unwrap_or("facegate")).await?;
                (WebStore::IndexedDb(store), request_persistence().await)
            }
        };
        let defaults = Limits::default();
        let limits = Limits {
            max_shots: opts.max_shots.unwrap_or(defaults.max_shots),
            max_ids: opts.max_ids.unwrap_or(defaults.max_ids),
        };
        let gallery = Gallery::new(store, pipeline.model_sha256(), rule)?
            .with_dimension(pipeline.model().dim())?
            .with_limits(limits)
            .with_lockout(lockout);
        Ok(FaceVerifier { inner: Rc::new(Inner { pipeline, gallery, persisted }) })
    }

    /// Whether the browser granted persistent storage (`navigator.storage.persist()`, asked at
    /// `create` for IndexedDB storage); `null` with memory storage or when the browser gave no
    /// answer.
    #[wasm_bindgen(getter, unchecked_return_type = "boolean | null")]
    pub fn persisted(&self) -> JsValue {
        self.inner.persisted.map_or(JsValue::NULL, JsValue::from)
    }

    /// SHA-256 of the embedding model that templates are bound to.
    #[wasm_bindgen(getter, js_name = modelSha256)]
    pub fn model_sha256(&self) -> String {
        self.inner.pipeline.model_sha256().to_owned()
    }

    /// The decision threshold (a probability with a head, a cosine similarity with "cosine").
    #[wasm_bindgen(getter)]
    pub fn threshold(&self) -> f32 {
        self.inner.gallery.rule().threshold()
    }

    /// The rule deciding verify and identify: its name, threshold and where the threshold
    /// comes from.
    #[wasm_bindgen(getter, unchecked_return_type = "RuleInfo")]
    pub fn rule(&self) -> Result<JsValue, JsValue> {
        let rule = self.inner.gallery.rule();
        to_js(&RuleInfo { name: rule.name(), threshold: rule.threshold(), provenance: rule.provenance() })
    }

    /// Adds one shot of `id` (exactly one face must be visible); several calls add shots.
    #[wasm_bindgen(unchecked_return_type = "Promise<EnrollResult>")]
    pub fn enroll(
        &self,
        id: String,
        #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let described = inner.one_face(&source);
        future_to_promise(async move {
            let (face, embedding) = described?;
            let enrollment = inner.gallery.enroll(&id, vec![embedding]).await?;
            to_js(&EnrollResult {
                id: enrollment.id(),
                shots: enrollment.shots().len(),
                bbox: face.bbox,
                detection_score: face.detection_score,
            })
        })
    }

    /// Is the one face in `source` the person enrolled as `id`? A non-match counts as a failed
    /// attempt: after `maxFailures` in a row the id is refused with `LOCKED` (`retryAfterMs`).
    /// The probe's mirror image is embedded only when the decision on the face alone is not
    /// clear (`Gallery::verify_in_steps`): on LFW the decisions are the same, at half the cost.
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyResult>")]
    pub fn verify(
        &self,
        id: String,
        #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let probed = inner.one_probe(&source);
        future_to_promise(async move {
            let (face, probe) = probed?;
            let complete = || inner.pipeline.complete(&probe);
            let verification = inner.gallery.verify_in_steps(&id, probe.quick(), complete).await?;
            to_js(&VerifyResult { verification, bbox: face.bbox })
        })
    }

    /// Enrolled identities accepted for the face in `source`, best first (`[]`: unknown). By
    /// default a sign-in: the best candidate only, at a system false-accept rate of 1e-3
    /// whatever the number enrolled, and only ahead of the runner-up by the table's margin. The
    /// probe's mirror image is embedded only when the answer on the face alone could change
    /// (`Gallery::identify_in_steps`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Candidate[]>")]
    pub fn identify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "IdentifyOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let probed = inner.one_probe(&source);
        let opts = self::options::<IdentifyOptions>(options);
        future_to_promise(async move {
            let (_, probe) = probed?;
            let options = opts?.to_core();
            let complete = || inner.pipeline.complete(&probe);
            let ranked: Vec<Candidate> = inner.gallery.identify_in_steps(probe.quick(), complete, &options).await?;
            to_js(&ranked)
        })
    }

    /// Every enrollment: id, number of shots, creation and update times (ms since the epoch);
    /// records that cannot be used (unreadable, or of another model) as `{ id, damaged, code }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Enrollment[]>")]
    pub fn list(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let all = inner.gallery.list().await?;
            let mut listed: Vec<Listed> =
                all.enrollments.iter().map(Listed::from).chain(all.damaged.iter().map(Listed::from)).collect();
            listed.sort_by(|a, b| a.id().cmp(b.id()));
            to_js(&listed)
        })
    }

    /// Deletes `id`'s templates (damaged or not) and its failed attempts; resolves to `false`
    /// when it was not enrolled.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn remove(&self, id: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move { Ok(inner.gallery.remove(&id).await?.into()) })
    }

    /// Deletes every enrollment.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn clear(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            inner.gallery.clear().await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Every enrollment as bytes of the versioned gallery format (JSON; embeddings and the
    /// model's SHA-256, never images), for `importEnrollments` or `facegate` on the command line.
    #[wasm_bindgen(js_name = exportEnrollments, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn export_enrollments(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move { Ok(js_sys::Uint8Array::from(inner.gallery.export().await?.as_slice()).into()) })
    }

    /// Adds the enrollments of an export (`mode: "merge"`, the default: an imported id replaces
    /// the same id) or replaces all (`"replace"`); refuses another model's export
    /// (`MODEL_MISMATCH`) and damaged bytes (`INVALID_TEMPLATE`) before writing anything.
    /// Resolves to the number imported.
    #[wasm_bindgen(js_name = importEnrollments, unchecked_return_type = "Promise<number>")]
    pub fn import_enrollments(
        &self,
        bytes: js_sys::Uint8Array,
        #[wasm_bindgen(unchecked_optional_param_type = "ImportOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let bytes = bounded(&bytes, MAX_IMPORT_BYTES, "an export");
        let opts = self::options::<ImportOptions>(options);
        future_to_promise(async move {
            let bytes = bytes?;
            let mode = opts?.mode.unwrap_or(ImportMode::Merge);
            Ok((inner.gallery.import(&bytes, mode).await? as f64).into())
        })
    }

    /// Every face in `source` (no minimum-size filter), best detection score first: for live previews.
    /// Asynchronous like every method (worker mode's too), though the work is done when it is called.
    #[wasm_bindgen(unchecked_return_type = "Promise<DetectedFace[]>")]
    pub fn detect(&self, #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue) -> js_sys::Promise {
        settled((|| {
            let frame = source::frame_from(&source)?;
            let faces = self.inner.pipeline.faces(&frame)?;
            to_js(
                &faces
                    .iter()
                    .map(|f| DetectedFace { bbox: f.bbox, detection_score: f.detection_score })
                    .collect::<Vec<_>>(),
            )
        })())
    }

    /// How long each stage takes on the one face in `source`: `runs` passes (default 20, at most
    /// 1000) after a warm-up, each reading the source again; median, p10 and p90 in ms of
    /// reading, detection, landmarks + alignment, embedding and their total, as `facegate bench`
    /// prints natively. It blocks for the whole run: call it in a worker or while nothing moves.
    #[wasm_bindgen(unchecked_return_type = "Promise<StageTimes>")]
    pub fn profile(
        &self,
        #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue,
        runs: Option<u32>,
    ) -> js_sys::Promise {
        settled((|| {
            let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into())?;
            let performance: web_sys::Performance = performance.dyn_into()?;
            let runs = runs.map_or(20, |r| r as usize);
            let times = crate::profile::profile(
                &self.inner.pipeline,
                Selection::Single,
                runs,
                || source::frame_from(&source),
                || performance.now(),
            )?;
            to_js(&times)
        })())
    }

    /// The unit-length embedding of the one face in `source`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Float32Array>")]
    pub fn embed(&self, #[wasm_bindgen(unchecked_param_type = "FaceSource")] source: JsValue) -> js_sys::Promise {
        settled(
            self.inner.one_face(&source).map(|(_, embedding)| js_sys::Float32Array::from(embedding.as_slice()).into()),
        )
    }
}
