//! `verifyLive` in Chromium: a camera showing one still photo never passes (it times out on the
//! first movement, with the prompts reported as they come), and bad arguments are refused.
//! Live heads, moved cards and wrong orders are fed through Chromium's fake camera in
//! `tests/e2e/liveness.test.mjs`.

use super::*;

/// A stand-in for `Camera`: an object whose `frame()` always returns `image`.
fn still_camera(image: JsValue) -> JsValue {
    let camera = js_sys::Object::new();
    Reflect::set(&camera, &"image".into(), &image).unwrap();
    Reflect::set(&camera, &"frame".into(), &js_sys::Function::new_no_args("return this.image;")).unwrap();
    camera.into()
}

fn steps(names: &[&str]) -> JsValue {
    names.iter().map(|s| JsValue::from(*s)).collect::<Array>().into()
}

#[wasm_bindgen_test]
async fn a_still_photo_never_passes_the_challenge() {
    let fv = open("facegate-test-live").await;
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    let events = Array::new();
    let record = Closure::<dyn Fn(JsValue)>::new({
        let events = events.clone();
        move |e: JsValue| {
            events.push(&e);
        }
    });
    let camera = still_camera(mirror_of(OBAMA_2));
    let options = opts(&[
        ("steps", steps(&["turnLeft", "blink"])),
        ("stepTimeoutMs", 1500.into()),
        ("onProgress", record.as_ref().clone()),
    ]);
    let started = js_sys::Date::now();
    let result = ok(fv.verify_live("obama".into(), camera.clone(), options)).await;
    let elapsed = js_sys::Date::now() - started;
    assert_eq!(get(&result, "isLive").as_bool(), Some(false), "{result:?}");
    assert_eq!(get(&result, "isMatch").as_bool(), Some(false));
    assert!(get(&result, "probability").is_undefined(), "no decision without liveness");
    let report = get(&result, "report");
    let outcome = get(&report, "outcome");
    assert_eq!(get(&outcome, "result").as_string().as_deref(), Some("failed"));
    assert_eq!(get(&outcome, "reason").as_string().as_deref(), Some("timeout"));
    assert_eq!(get(&outcome, "prompt").as_string().as_deref(), Some("turnLeft"));
    assert_eq!(Array::from(&get(&report, "done")).length(), 0);
    let (frames, face_frames) =
        (get(&report, "frames").as_f64().unwrap(), get(&report, "faceFrames").as_f64().unwrap());
    assert!(frames >= 2.0 && face_frames == frames, "{report:?}");
    assert!(get(&report, "parallax").as_f64().unwrap() < 0.01, "a still photo does not move: {report:?}");
    assert!((1500.0..10_000.0).contains(&elapsed), "{elapsed} ms");

    let prompts: Vec<String> = events.iter().map(|e| get(&e, "prompt").as_string().unwrap()).collect();
    assert_eq!(prompts, ["turnLeft", "centre"], "{events:?}");
    assert_eq!(get(&events.get(0), "instruction").as_string().as_deref(), Some("Turn your head to your left"));
    assert_eq!(get(&events.get(1), "finished").as_bool(), Some(true));
    assert_eq!(Array::from(&get(&events.get(0), "steps")).length(), 2);

    // The instance keeps working.
    assert_eq!(get(&ok(fv.verify("obama".into(), bytes(OBAMA_2))).await, "isMatch").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn live_refuses_bad_arguments() {
    let fv = open("facegate-test-live-args").await;
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    let camera = still_camera(mirror_of(OBAMA_2));
    let live = |id: &str, pairs: &[(&str, JsValue)]| fv.verify_live(id.into(), camera.clone(), opts(pairs));
    assert_eq!(code_of(live("nobody", &[])).await, "UNKNOWN_ID");
    for bad in [
        vec![("steps", JsValue::from(1))],
        vec![("steps", JsValue::from(2.5))],
        vec![("steps", steps(&["turnLeft", "turnLeft"]))],
        vec![("steps", steps(&["turnLeft", "dance"]))],
        vec![("onProgress", JsValue::from(3))],
        vec![("stepTimeoutMs", JsValue::from(-1))],
        vec![("step", JsValue::from(2))],
    ] {
        assert_eq!(code_of(live("obama", &bad)).await, "INVALID_ARGUMENT", "{bad:?}");
    }
    let not_a_camera = fv.verify_live("obama".into(), JsValue::from(7), None);
    assert_eq!(code_of(not_a_camera).await, "INVALID_FRAME");
}

#[wasm_bindgen_test]
async fn failed_challenges_count_towards_the_lock() {
    let fv = FaceVerifier::create(opts(&[("storage", "memory".into()), ("maxFailures", 2.into())])).await.unwrap();
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    let camera = still_camera(mirror_of(OBAMA_2));
    let quick = || opts(&[("stepTimeoutMs", 500.into())]);
    for _ in 0..2 {
        let r = ok(fv.identify_live(camera.clone(), quick())).await;
        assert_eq!(get(&r, "isLive").as_bool(), Some(false), "{r:?}");
        assert_eq!(Array::from(&get(&r, "candidates")).length(), 0);
        assert_eq!(get(&get(&get(&r, "report"), "outcome"), "reason").as_string().as_deref(), Some("timeout"));
    }
    let err = JsFuture::from(fv.identify_live(camera.clone(), quick())).await.expect_err("locked");
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("LOCKED"));
    assert!(get(&err, "retryAfterMs").as_f64().unwrap() > 20_000.0, "{err:?}");
    assert!(get(&err, "message").as_string().unwrap().contains("sign-in by identification"), "{err:?}");
    // Sign-in by identification is locked; verifying a claimed id is counted apart.
    for _ in 0..2 {
        let r = ok(fv.verify_live("obama".into(), camera.clone(), quick())).await;
        assert_eq!(get(&r, "isLive").as_bool(), Some(false), "{r:?}");
    }
    assert_eq!(code_of(fv.verify_live("obama".into(), camera.clone(), quick())).await, "LOCKED");
    assert_eq!(code_of(fv.verify("obama".into(), bytes(OBAMA_2))).await, "LOCKED");
}

/// A camera whose `frame()` promises a frame that never comes (a page that stopped supplying).
fn silent_camera() -> JsValue {
    js_sys::Function::new_no_args("return { frame: () => new Promise(() => {}) };").call0(&JsValue::NULL).unwrap()
}

#[wasm_bindgen_test]
async fn frameless_and_aborted_challenges_end_in_time_and_abort_counts_nothing() {
    let fv = FaceVerifier::create(opts(&[("storage", "memory".into()), ("maxFailures", 2.into())])).await.unwrap();
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    // No frame ever: the challenge's own limit ends it, a failed attempt.
    for (total, step) in [(400, 4000), (4000, 300)] {
        let options = opts(&[
            ("steps", steps(&["turnLeft", "blink"])),
            ("timeoutMs", total.into()),
            ("stepTimeoutMs", step.into()),
        ]);
        let started = js_sys::Date::now();
        let result = ok(fv.verify_live("obama".into(), silent_camera(), options)).await;
        let (elapsed, limit) = (js_sys::Date::now() - started, f64::from(total.min(step)));
        assert_eq!(get(&get(&get(&result, "report"), "outcome"), "reason").as_string().as_deref(), Some("timeout"));
        assert!(elapsed >= limit - 5.0 && elapsed <= limit + 100.0, "{elapsed} ms for a {limit} ms limit");
    }
    assert_eq!(code_of(fv.verify_live("obama".into(), silent_camera(), None)).await, "LOCKED", "both counted");

    // Aborted while waiting for a frame, and before the start: ABORTED at once, nothing counted.
    let fv = FaceVerifier::create(opts(&[("storage", "memory".into()), ("maxFailures", 1.into())])).await.unwrap();
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    let controller = web_sys::AbortController::new().unwrap();
    let options = opts(&[("signal", controller.signal().into())]);
    let abort = Closure::once_into_js(move || controller.abort());
    web_sys::window()
        .unwrap()
        .set_timeout_with_callback_and_timeout_and_arguments_0(abort.unchecked_ref(), 200)
        .unwrap();
    let started = js_sys::Date::now();
    assert_eq!(code_of(fv.verify_live("obama".into(), silent_camera(), options.clone())).await, "ABORTED");
    let elapsed = js_sys::Date::now() - started;
    assert!((195.0..=300.0).contains(&elapsed), "aborted after {elapsed} ms");
    assert_eq!(code_of(fv.identify_live(silent_camera(), options)).await, "ABORTED", "an aborted signal");
    let still = opts(&[("steps", steps(&["turnLeft", "blink"])), ("timeoutMs", 300.into())]);
    let result = ok(fv.verify_live("obama".into(), still_camera(mirror_of(OBAMA_2)), still)).await;
    assert_eq!(get(&result, "isLive").as_bool(), Some(false), "not locked by the aborted ones");
    assert_eq!(code_of(fv.verify_live("obama".into(), silent_camera(), None)).await, "LOCKED");
    let bad = opts(&[("signal", "stop".into())]);
    assert_eq!(code_of(fv.identify_live(silent_camera(), bad)).await, "INVALID_ARGUMENT");
}
