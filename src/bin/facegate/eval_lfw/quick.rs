//! `eval-lfw --quick-probe`: the browser's two-step verify (the probe's crop alone first, the
//! mirror image only when the decision is not clear) against always embedding both.

use crate::lfw::Outcome;
use anyhow::Result;
use facegate::eval::{self, LfwImage, LfwPair, QuickPair, Scored};
use facegate::{Embedding, Pipeline, Rule};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Per rule (the one asked for, and the model's default when it differs): the
/// [`eval::QuickSummary`], and the ten-fold accuracy and TAR at FAR 1e-3 of the two-step scores
/// and of the quick probe alone.
pub fn report(
    pairs: &[LfwPair],
    both: &BTreeMap<&LfwImage, &Outcome<(Embedding, Embedding)>>,
    rule: &Rule,
    pipeline: &Pipeline,
    test_folds: &[usize],
) -> Result<Value> {
    let mut rules = vec![rule.clone()];
    let default = Rule::default_for(pipeline.model())?;
    if &default != rule {
        rules.push(default);
    }
    let mut out = Vec::new();
    for rule in &rules {
        let mut decided = Vec::new();
        let mut missing = Vec::new();
        for p in pairs {
            match (&both[&p.a].0, &both[&p.b].0) {
                (Some((_, enrolled)), Some((quick, full))) => decided.push(QuickPair {
                    full: rule.decide(enrolled, full)?,
                    quick: rule.decide(enrolled, quick)?,
                    same: p.same,
                    fold: p.fold,
                }),
                _ => missing.push(Scored { score: -1.0, same: p.same, fold: p.fold }),
            }
        }
        let summary = eval::quick_summary(rule, &decided);
        let quick_only: Vec<Scored> =
            decided.iter().map(|p| Scored { score: p.quick.value(), same: p.same, fold: p.fold }).collect();
        let measure = |scores: &[Scored]| {
            let all: Vec<Scored> = scores.iter().chain(&missing).copied().collect();
            let folds = eval::k_fold(&all, test_folds);
            let (accuracy, std) = eval::mean_std(&folds.iter().map(|f| f.accuracy).collect::<Vec<_>>());
            json!({ "accuracy": accuracy, "accuracy_std": std, "tar_at_far_1e-3": eval::tar_at_far(&all, 1e-3).0 })
        };
        out.push(json!({
            "summary": summary, "two_step": measure(&summary.scores), "quick_only": measure(&quick_only),
        }));
    }
    Ok(Value::Array(out))
}

/// The report as a table.
pub fn print(report: &Value) {
    for r in report.as_array().into_iter().flatten() {
        let (s, two, quick) = (&r["summary"], &r["two_step"], &r["quick_only"]);
        let pct = |v: &Value, key: &str| v[key].as_f64().unwrap_or(f64::NAN) * 100.0;
        println!(
            "two-step verify, {} rule (margin {}): mirror pass on {} of {} probes, {} decisions changed; \
             clearance shift max {:.3}, p99 {:.3}",
            s["rule"].as_str().unwrap_or("?"),
            s["margin"],
            s["completed"],
            s["pairs"],
            s["changed"],
            s["max_shift"].as_f64().unwrap_or(f64::NAN),
            s["shift_p99"].as_f64().unwrap_or(f64::NAN),
        );
        println!(
            "  accuracy {:.2} % (quick probe alone {:.2} %), TAR @ FAR 1e-3 {:.2} % (alone {:.2} %)",
            pct(two, "accuracy"),
            pct(quick, "accuracy"),
            pct(two, "tar_at_far_1e-3"),
            pct(quick, "tar_at_far_1e-3"),
        );
    }
}
