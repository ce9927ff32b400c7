//! `FaceVerifier.verifyLive` and `identifyLive`: the liveness challenge on a camera, prompt by
//! prompt, then the gallery's decision.

use super::camera::sleep;
use super::{options, source, to_js, FaceVerifier, Inner};
use crate::error::Error;
use crate::far::IdentifyOptions;
use crate::frame::Frame;
use crate::gallery::{LiveVerification, SIGN_IN_KEY};
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

    fn progress_callback(&self) -> Result<Option<js_sys::Function>, JsValue> {
        match &self.on_progress {
            v if v.is_undefined() || v.is_null() => Ok(None),
            v => v
                .dyn_ref::<js_sys::Function>()
                .cloned()
                .map(Some)
                .ok_or_else(|| Error::InvalidArgument("options: onProgress must be a function".into()).into()),
        }
    }
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

/// The current frame of a `Camera` (anything with a `frame()` method, which may return a promise:
/// the worker's frames come from the page) or of a drawable source.
async fn grab(source: &JsValue) -> Result<Frame, JsValue> {
    let frame_fn = match source.is_object() {
        true => js_sys::Reflect::get(source, &"frame".into())?,
        false => JsValue::UNDEFINED,
    };
    let Some(f) = frame_fn.dyn_ref::<js_sys::Function>() else {
        return source::frame_from(source);
    };
    let frame = f.call0(source)?;
    match frame.dyn_ref::<js_sys::Promise>() {
        Some(promise) => source::frame_from(&wasm_bindgen_futures::JsFuture::from(promise.clone()).await?),
        None => source::frame_from(&frame),
    }
}

/// Runs the challenge of `opts` on `camera` to its end, reporting each new prompt.
async fn challenge(inner: &Inner, camera: &JsValue, opts: &LiveOptions) -> Result<Session, JsValue> {
    let (challenge, on_progress) = (opts.challenge()?, opts.progress_callback()?);
    let steps = challenge.steps().to_vec();
    let mut session = Session::new(challenge);
    let mut last = None;
    loop {
        let frame = grab(camera).await?;
        let progress = session.push(&inner.pipeline, &frame, js_sys::Date::now(), inner.gallery.rule())?;
        if last != Some(progress) {
            last = Some(progress);
            if let Some(f) = &on_progress {
                let (prompt, done, finished) = match progress {
                    Progress::Asking { prompt, done } => (prompt, done, false),
                    Progress::Finished(_) => (Prompt::Centre, session.report().done.len(), true),
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
    /// `timeoutMs`, default 15 s; `stepTimeoutMs`, default 4 s per prompt). A failed challenge
    /// counts as a failed attempt; a locked id is refused with `LOCKED` before the challenge.
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
            inner.gallery.check_lock(&id).await?;
            inner.gallery.template(&id).await?; // UNKNOWN_ID (or a damaged record) before the challenge
            let session = challenge(&inner, &camera, &opts).await?;
            to_js(&LiveResult::from(inner.gallery.verify_live(&id, &session).await?))
        })
    }

    /// Sign-in by identification with liveness: the challenge of `verifyLive`, then the first
    /// face identified with a bounded false-accept rate (as `identify` with its defaults).
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
            inner.gallery.check_lock(SIGN_IN_KEY).await?;
            let session = challenge(&inner, &camera, &opts).await?;
            to_js(&inner.gallery.identify_live(&session, &IdentifyOptions::default()).await?)
        })
    }
}
