//! Sign-in by identification in the browser: `identify` signs in by default (system FAR 1e-3,
//! a margin over the runner-up); `far: null` ranks by the 1:1 rule; bad options are refused.

use super::decisions::{ASTRONAUT, BIDEN, OBAMA, OBAMA_2};
use super::{bytes, code_of, get, ok, opts};
use facegate::FaceVerifier;
use js_sys::Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn ids(answer: JsValue) -> Vec<String> {
    Array::from(&answer).iter().map(|c| get(&c, "id").as_string().unwrap()).collect()
}

#[wasm_bindgen_test]
async fn identify_signs_in_by_default_and_takes_far_and_margin() {
    let fv = FaceVerifier::create(opts(&[("storage", "memory".into())])).await.unwrap();
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    ok(fv.enroll("biden".into(), bytes(BIDEN))).await;
    assert_eq!(ids(ok(fv.identify(bytes(OBAMA_2), None)).await), ["obama"]);
    assert!(ids(ok(fv.identify(bytes(ASTRONAUT), None)).await).is_empty());
    let ranked = ok(fv.identify(bytes(OBAMA_2), opts(&[("topK", 3.into()), ("far", JsValue::NULL)]))).await;
    assert_eq!(ids(ranked), ["obama"], "the 1:1 rule accepts only Obama");
    let explicit = opts(&[("far", 1e-3.into()), ("margin", 0.02.into())]);
    assert_eq!(ids(ok(fv.identify(bytes(OBAMA_2), explicit)).await), ["obama"]);
    // p(same) is at most 1 and Biden's is above 0, so a margin of 1 refuses everyone.
    assert!(ids(ok(fv.identify(bytes(OBAMA_2), opts(&[("margin", 1.into())]))).await).is_empty());
    for bad in [("far", 0.into()), ("far", 2.into()), ("far", "high".into()), ("margin", (-0.1).into())] {
        assert_eq!(
            code_of(fv.identify(bytes(OBAMA_2), opts(std::slice::from_ref(&bad)))).await,
            "INVALID_ARGUMENT",
            "{bad:?}"
        );
    }
}
