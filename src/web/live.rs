//! `FaceVerifier.verifyLive` and `identifyLive`: the liveness challenge on a camera, prompt by
//! prompt, then the gallery's decision.

use super::camera::sleep;
use super::{options, present, source, to_js, FaceVerifier, IdentifyOptions, Inner};
use crate::attempts::AttemptKey;
use crate::error::Error;
use crate::frame::Frame;
use crate::gallery::LiveVerification;
use crate::liveness::{Challenge, Progress, Prompt, Report, Session, Step, Timing};
use crate::rule::Verification;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LiveOptions {
    /// How many random steps (2-5, default 2), or the steps themselves.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    steps: JsValue,
    timeout_ms: Option<f64>,
    step_timeout_ms: Option<f64>,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    on_progress: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    signal: JsValue,
    top_k: Option<usize>,
    #[serde(deserialize_with = "present")]
    far: Option<Option<f64>>,
    margin: Option<f32>,
}

impl LiveOptions {
    fn challenge(&self) -> Result<Challenge, JsValue> {
        let defaults = Timing::default();
        let timing = Timing {
            step_ms: self.step_timeout_ms.unwrap_or(defaults.step_ms),
            total_ms: self.timeout_ms.unwrap_or(defaults.total_ms),
        };
        let bad = || Error::InvalidArgument("options: steps must be a number (2-5) or an array of step names".into());
        Ok(if self.steps.is_undefined() {
            Challenge::random(Challenge::MIN_STEPS, timing)?
        } else if let Some(count) = self.steps.as_f64() {
            if count.fract() != 0.0 {
                return Err(bad().into());
            }
            Challenge::random(count as usize, timing)?
        } else {
            let steps: Vec<Step> = serde_wasm_bindgen::from_value(self.steps.clone()).map_err(|_| bad())?;
            Challenge::new(steps, timing)?
        })
    }

    /// `identifyLive`'s identify options.
    fn identify(&self) -> IdentifyOptions {
        IdentifyOptions { top_k: self.top_k, far: self.far, margin: self.margin }
    }

    /// The `signal` option, checked.
    fn signal(&self) -> Result<Option<web_sys::AbortSignal>, JsValue> {
        optional(&self.signal, "signal must be an AbortSignal")
    }

    /// The `onProgress` option, checked.
    fn progress_callback(&self) -> Result<Option<js_sys::Function>, JsValue> {
        optional(&self.on_progress, "onProgress must be a function")
    }
}

/// An optional option of a JavaScript type: absent (`undefined`/`null`), or of type `T`, else
/// `INVALID_ARGUMENT` saying `must`.
fn optional<T: JsCast + Clone>(value: &JsValue, must: &str) -> Result<Option<T>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.dyn_ref::<T>().cloned().map(Some).ok_or_else(|| Error::InvalidArgument(format!("options: {must}")).into())
}

/// What `onProgress` receives.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgressEvent<'a> {
    prompt: Prompt,
    instruction: &'static str,
    done: usize,
    steps: &'a [Step],
    finished: bool,
}

/// What `verifyLive` resolves to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LiveResult {
    is_live: bool,
    is_match: bool,
    #[serde(flatten)]
    verification: Option<Verification>,
    report: Report,
}

impl From<LiveVerification> for LiveResult {
    fn from(live: LiveVerification) -> Self {
        LiveResult {
            is_live: live.is_live,
            is_match: live.is_match(),
            verification: live.verification,
            report: live.report,
        }
    }
}

/// Milliseconds on the monotonic clock (`performance.now()`: wall-clock changes cannot stretch
/// or shrink a challenge's limits).
fn now() -> Result<f64, JsValue> {
    let performance: web_sys::Performance =
        js_sys::Reflect::get(&js_sys::global(), &"performance".into())?.dyn_into()?;
    Ok(performance.now())
}

/// What ends the wait for a frame early.
struct Stop {
    signal: Option<web_sys::AbortSignal>,
    /// Settles when the signal aborts (never without one).
    aborted: js_sys::Promise,
    /// The abort listener, removed on drop.
    listener: Option<Closure<dyn FnMut()>>,
}

impl Stop {
    fn new(signal: Option<web_sys::AbortSignal>) -> Stop {
        let mut listener = None;
        let aborted = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(signal) = &signal {
                let on_abort = Closure::<dyn FnMut()>::new(move || {
                    let _ = resolve.call0(&JsValue::NULL);
                });
                // A listener, not `onabort`: the app's own handler stays.
                let _ = signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
                listener = Some(on_abort);
            }
        });
        Stop { signal, aborted, listener }
    }

    /// `ABORTED` once the signal has aborted.
    fn check(&self) -> Result<(), JsValue> {
        match &self.signal {
            Some(signal) if signal.aborted() => {
                Err(Error::Aborted("the liveness challenge was cancelled".into()).into())
            }
            _ => Ok(()),
        }
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        if let (Some(signal), Some(listener)) = (&self.signal, &self.listener) {
            let _ = signal.remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
    }
}

/// The current frame of a `Camera` (anything with a `frame()` method, which may return a promise:
/// the worker's frames come from the page) or of a drawable source; `None` when `wait_ms` pass
/// (or the challenge is aborted) before a promised frame arrives.
async fn grab(source: &JsValue, wait_ms: f64, stop: &Stop) -> Result<Option<Frame>, JsValue> {
    let frame_fn = match source.is_object() {
        true => js_sys::Reflect::get(source, &"frame".into())?,
        false => JsValue::UNDEFINED,
    };
    let Some(f) = frame_fn.dyn_ref::<js_sys::Function>() else {
        return source::frame_from(source).map(Some);
    };
    let frame = f.call0(source)?;
    let Some(promise) = frame.dyn_ref::<js_sys::Promise>() else {
        return source::frame_from(&frame).map(Some);
    };
    // The first of: the frame, the time left (resolving to `undefined`), an abort.
    let late = js_sys::Promise::new(&mut |resolve, _| {
        super::store::set_timeout(&resolve, wait_ms.clamp(0.0, 1e9).ceil() as i32);
    });
    let first = js_sys::Promise::race(&js_sys::Array::of3(promise, &late, &stop.aborted));
    let image = wasm_bindgen_futures::JsFuture::from(first).await?;
    stop.check()?;
    match image.is_undefined() {
        true => Ok(None),
        false => source::frame_from(&image).map(Some),
    }
}

/// Runs the challenge of `opts` on `camera` to its end, reporting each new prompt. Its time
/// limits run on the monotonic clock from the start, and hold when no frame comes.
async fn challenge(inner: &Inner, camera: &JsValue, opts: &LiveOptions) -> Result<Session, JsValue> {
    let (challenge, on_progress, stop) = (opts.challenge()?, opts.progress_callback()?, Stop::new(opts.signal()?));
    stop.check()?;
    let steps = challenge.steps().to_vec();
    let mut session = Session::new(challenge);
    session.start(now()?);
    let mut last = None;
    loop {
        let wait_ms = session.deadline().map_or(0.0, |deadline| deadline - now().unwrap_or(deadline));
        let progress = match grab(camera, wait_ms, &stop).await? {
            Some(frame) => session.push(&inner.pipeline, &frame, now()?, inner.gallery.rule())?,
            None => session.expire(now()?),
        };
        stop.check()?;
        if last != Some(progress) {
            last = Some(progress);
            if let Some(f) = &on_progress {
                let (prompt, done, finished) = match progress {
                    Progress::Asking { prompt, done } => (prompt, done, false),
                    Progress::Finished(_) => (Prompt::Centre, session.steps_done(), true),
                };
                let event = ProgressEvent { prompt, instruction: prompt.instruction(), done, steps: &steps, finished };
                f.call1(&JsValue::NULL, &to_js(&event)?)?;
            }
        }
        if progress.is_finished() {
            return Ok(session);
        }
        sleep(0).await; // let the page paint the prompt and the video move on
    }
}

#[wasm_bindgen]
impl FaceVerifier {
    /// Is the person in front of `camera` alive and the one enrolled as `id`? Asks for a random
    /// sequence of head movements and a blink (`steps`: how many, 2-5, default 2, or the steps
    /// themselves), calling `onProgress` with each new prompt; every frame must show exactly one
    /// face, the same person throughout, whose landmarks move like a head, not a flat picture;
    /// then the first face is verified against `id`. Resolves when the challenge ends (at most
    /// `timeoutMs`, default 15 s; `stepTimeoutMs`, default 4 s per prompt; frames or not). A
    /// failed challenge counts as a failed attempt; a locked id is refused with `LOCKED` before
    /// the challenge; `signal` cancels it (`ABORTED`, nothing counted).
    #[wasm_bindgen(js_name = verifyLive, unchecked_return_type = "Promise<LiveResult>")]
    pub fn verify_live(
        &self,
        id: String,
        #[wasm_bindgen(unchecked_param_type = "Camera | HTMLVideoElement | HTMLCanvasElement")] camera: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "LiveOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let opts = self::options::<LiveOptions>(options);
        future_to_promise(async move {
            let opts = opts?;
            if opts.identify().is_set() {
                return Err(Error::InvalidArgument("options: topK, far and margin are identifyLive's".into()).into());
            }
            inner.gallery.check_lock(id.as_str()).await?;
            inner.gallery.template(&id).await?; // UNKNOWN_ID (or a damaged record) before the challenge
            let session = challenge(&inner, &camera, &opts).await?;
            to_js(&LiveResult::from(inner.gallery.verify_live(&id, &session).await?))
        })
    }

    /// Sign-in by identification with liveness: the challenge of `verifyLive`, then the first
    /// face identified with a bounded false-accept rate (as `identify`, with its options).
    /// Attempts are counted together for all of sign-in by identification: after 5 failures
    /// (challenge failed or nobody recognised) it is `LOCKED` for everyone, 30 s doubling.
    #[wasm_bindgen(js_name = identifyLive, unchecked_return_type = "Promise<LiveSignIn>")]
    pub fn identify_live(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Camera | HTMLVideoElement | HTMLCanvasElement")] camera: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "LiveOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let opts = self::options::<LiveOptions>(options);
        future_to_promise(async move {
            let opts = opts?;
            let identify = opts.identify().to_core();
            identify.acceptance(inner.gallery.rule(), inner.gallery.model_sha256(), 1)?; // refused before the challenge
            inner.gallery.check_lock(AttemptKey::SignIn).await?;
            let session = challenge(&inner, &camera, &opts).await?;
            to_js(&inner.gallery.identify_live(&session, &identify).await?)
        })
    }
}
