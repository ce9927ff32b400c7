//! The accuracy bar on real data: the LFW View 2 protocol on the first fold (threshold chosen on
//! the other nine), through the `facegate eval-lfw` command.
#![cfg(not(target_arch = "wasm32"))] // native only: the browser tests are tests/web.rs

mod common;

use std::process::Command;

#[test]
fn lfw_first_fold_meets_the_accuracy_bar() {
    let roc = std::env::temp_dir().join(format!("facegate-roc-{}.svg", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_facegate"))
        .args(["eval-lfw", "--folds", "1", "--json", "--quick-probe", "--lfw"])
        .arg(common::lfw())
        .arg("--roc")
        .arg(&roc)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("{report}");
    let num = |key: &str| report[key].as_f64().unwrap_or_else(|| panic!("no {key} in {report}"));
    assert_eq!(num("pairs"), 600.0);
    assert_eq!(num("no_face"), 0.0, "every LFW image must have a face");
    // Issue 10's bars with centre selection (measured: fold 1 99.17 %, TAR 98.50 % over all pairs).
    assert!(num("accuracy") >= 0.99, "fold 1 accuracy {}", num("accuracy"));
    assert!(num("tar_at_far_1e-3") >= 0.985 - 1e-9, "TAR@FAR1e-3 {}", num("tar_at_far_1e-3"));
    // The browser's two-step verify (the probe's mirror image only when the face alone is not
    // clear), for the cosine rule and the bundled head: no decision of the 6000 pairs may differ
    // from embedding both, and most probes must skip the mirror pass (measured: 151 and 272).
    // Fold 1 through the two-step rules measured 99.17 % (cosine) and 98.83 % (the head, retrained
    // for the int8 weights; 99.0 % or more with the fp16 weights before, 99.28 % over 10 folds).
    let rules = report["quick_probe"].as_array().unwrap();
    assert_eq!(
        rules.iter().map(|r| r["summary"]["rule"].as_str().unwrap()).collect::<Vec<_>>(),
        ["cosine", "logistic-chi2"]
    );
    for r in rules {
        let s = &r["summary"];
        assert_eq!((s["pairs"].as_u64(), s["changed"].as_u64()), (Some(6000), Some(0)), "{r}");
        assert!(s["completed"].as_u64().unwrap() < 600, "the mirror pass ran for over 10 % of probes: {r}");
        assert!(s["max_shift"].as_f64().unwrap() < s["margin"].as_f64().unwrap(), "{r}");
        assert!(r["two_step"]["accuracy"].as_f64().unwrap() >= 0.985, "{r}");
    }
    let svg = std::fs::read_to_string(&roc).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<polyline") && svg.contains("accuracy"), "ROC plot");
    std::fs::remove_file(roc).unwrap();
}
