//! Sign-in by identification with a bounded false-accept rate. A stranger shown to a gallery of
//! `N` people is falsely accepted when any of the `N` comparisons passes, so a per-comparison
//! threshold at FAR `f` gives a system FAR of up to `N·f`. [`IdentifyOptions`] with a target
//! `far` therefore decides each comparison at FAR `far / N` (the union bound: it holds however
//! the `N` scores of one probe depend on each other, and for small targets it is as tight as
//! the exact `1 − (1 − f)^N`), read from an impostor-score table ([`FarTable`], measured on
//! LFW, `model/far-table.json`), and requires the best candidate to beat the runner-up by a
//! margin.

use crate::error::{Error, Result};
use crate::head::{logit, sigmoid, Head};
use crate::model::sha256_hex;
use crate::rule::{Candidate, QuickMargin, Rule, Verification};
use serde::{Deserialize, Serialize};

/// Value of the table file's `format` field.
pub const FORMAT: &str = "facegate-far-table";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;
/// The system false-accept rate sign-in aims for unless told otherwise.
pub const DEFAULT_FAR: f64 = 1e-3;
/// A curve point needs at least this many impostor pairs at or above its value; rarer rates
/// are extrapolated.
pub const MIN_EXCEEDANCES: usize = 10;
/// The highest rate a curve starts at.
const MAX_FAR: f64 = 0.1;
/// Points per decade of FAR.
const STEPS_PER_DECADE: i32 = 4;

/// The impostor-score table for the bundled embedding model and head (`model/far-table.json`).
const BUNDLED: &str = include_str!("../model/far-table.json");
/// The impostor-score table for SFace (`model/far-table-sface.json`, cosine only).
const SFACE: &str = include_str!("../model/far-table-sface.json");

/// One point of an impostor curve: a fraction `far` of impostor pairs reaches `value`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FarPoint {
    /// Per-comparison false-accept rate.
    pub far: f64,
    /// The smallest deciding value that keeps the rate at `far` (accepted when `>=`).
    pub value: f32,
}

/// How often impostor pairs reach each deciding value of one rule: cosine similarity, or the
/// probability of one head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FarCurve {
    /// `"cosine"` or the head's kind (see [`Rule::name`]).
    pub rule: String,
    /// For a head: [`head_sha256`] of the head the curve belongs to.
    pub head_sha256: Option<String>,
    /// How many impostor pairs it was measured on.
    pub impostor_pairs: u64,
    /// The default margin δ: how much the best candidate's deciding value must exceed the
    /// runner-up's.
    pub margin: f32,
    /// Points with falling `far` and rising `value`, a quarter decade apart.
    pub points: Vec<FarPoint>,
}

/// The smallest `f32` above `x`.
fn next_up(x: f32) -> f32 {
    match x {
        _ if x.is_nan() || x == f32::INFINITY => x,
        0.0 => f32::from_bits(1),
        _ if x > 0.0 => f32::from_bits(x.to_bits() + 1),
        _ => f32::from_bits(x.to_bits() - 1),
    }
}

impl FarCurve {
    /// The curve of `rule` from the deciding values of impostor pairs (different people, the
    /// first enrolled, the second the probe): one point per quarter decade from FAR 0.1 down
    /// to the rarest rate with [`MIN_EXCEEDANCES`] pairs.
    pub fn measure(rule: &Rule, mut impostors: Vec<f32>, margin: f32) -> Result<FarCurve> {
        if impostors.iter().any(|v| !v.is_finite()) || !(margin.is_finite() && margin >= 0.0) {
            return Err(Error::InvalidArgument("impostor values and the margin must be finite".into()));
        }
        impostors.sort_by(|a, b| b.total_cmp(a));
        let total = impostors.len();
        let mut points = Vec::new();
        for step in 0.. {
            let far = MAX_FAR * 10f64.powf(-f64::from(step) / f64::from(STEPS_PER_DECADE));
            let allowed = (far * total as f64).floor() as usize;
            if allowed < MIN_EXCEEDANCES {
                break;
            }
            // Accepting values above the `allowed`-th highest accepts at most `allowed` pairs.
            points.push(FarPoint { far, value: next_up(impostors[allowed]) });
        }
        if points.len() < 2 {
            return Err(Error::InvalidArgument(format!("{total} impostor pairs are too few for a FAR curve")));
        }
        let head_sha256 = match rule {
            Rule::Cosine(_) => None,
            Rule::Head { head, .. } => Some(head_sha256(head)),
        };
        Ok(FarCurve { rule: rule.name().into(), head_sha256, impostor_pairs: total as u64, margin, points })
    }

    /// The deciding value for a per-comparison rate `far`: interpolated linearly in `log10(far)`
    /// between points; above the first point the first value; below the last, the line through
    /// the last two points continued (conservative when the log-rate falls ever faster, as for
    /// Gaussian-like tails), at most 1.
    pub fn value_at(&self, far: f64) -> f32 {
        let x = far.log10();
        let at = |p: &FarPoint| (p.far.log10(), f64::from(p.value));
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return 1.0;
        };
        if far >= first.far {
            return first.value;
        }
        let i = self.points.iter().position(|p| p.far <= far).unwrap_or(self.points.len() - 1).max(1);
        let ((x0, v0), (x1, v1)) = (at(&self.points[i - 1]), at(&self.points[i]));
        let value = v0 + (v1 - v0) * (x - x0) / (x1 - x0);
        if far < last.far {
            value.min(1.0) as f32
        } else {
            value as f32
        }
    }
}

/// Impostor curves for one embedding model, with where they came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FarTable {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// SHA-256 of the embedding model the values were measured with.
    pub backbone_sha256: String,
    /// The data the impostor pairs came from.
    pub data: String,
    /// The command that wrote the table.
    pub command: String,
    /// One curve per deciding value.
    pub curves: Vec<FarCurve>,
}

impl FarTable {
    /// The table shipped with the crate, for the bundled model, cosine and the bundled head.
    pub fn bundled() -> Result<FarTable> {
        FarTable::from_json(BUNDLED)
    }

    /// The shipped table measured with the embedding model `model_sha256`: the bundled
    /// MobileFaceNet's (`model/far-table.json`) or SFace's (`model/far-table-sface.json`);
    /// `INVALID_ARGUMENT` for any other model (identify with `far` needs a table; without it
    /// ranks by the 1:1 rule).
    /// The tables are parsed once, on the first call.
    pub fn for_model(model_sha256: &str) -> Result<&'static FarTable> {
        static SHIPPED: std::sync::OnceLock<std::result::Result<Vec<FarTable>, String>> = std::sync::OnceLock::new();
        let shipped = SHIPPED.get_or_init(|| {
            [BUNDLED, SFACE].iter().map(|json| FarTable::from_json(json).map_err(|e| e.to_string())).collect()
        });
        let tables = shipped.as_ref().map_err(|e| Error::InvalidTemplate(e.clone()))?;
        if let Some(table) = tables.iter().find(|t| t.backbone_sha256 == model_sha256) {
            return Ok(table);
        }
        Err(Error::InvalidArgument(format!(
            "no impostor table for the embedding model {model_sha256}: identify with far needs one; \
             without far it ranks by the 1:1 rule"
        )))
    }

    /// Reads a table file; other formats, versions and damaged files are `INVALID_TEMPLATE`.
    pub fn from_json(json: &str) -> Result<FarTable> {
        let bad = |what: String| Error::InvalidTemplate(format!("FAR table: {what}"));
        let table: FarTable = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        if table.format != FORMAT || table.version != VERSION {
            return Err(bad(format!("{} version {} is not {FORMAT} version {VERSION}", table.format, table.version)));
        }
        let valid = |c: &FarCurve| {
            c.margin.is_finite()
                && c.margin >= 0.0
                && c.points.len() >= 2
                && c.points.iter().all(|p| p.far > 0.0 && p.far <= 1.0 && p.value.is_finite())
                && c.points.windows(2).all(|w| w[0].far > w[1].far && w[0].value <= w[1].value)
        };
        if let Some(c) = table.curves.iter().find(|c| !valid(c)) {
            return Err(bad(format!("the {} curve needs a margin >= 0 and rates falling as values rise", c.rule)));
        }
        Ok(table)
    }

    /// The table as JSON (one line per point).
    pub fn to_json(&self) -> String {
        // Strings, integers and finite floats always serialise.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// The curve of cosine similarity.
    fn cosine(&self) -> Option<&FarCurve> {
        self.curves.iter().find(|c| c.head_sha256.is_none() && c.rule == "cosine")
    }

    /// The curve of this head's probability, if it was measured.
    fn head(&self, head: &Head) -> Option<&FarCurve> {
        let sha = head_sha256(head);
        self.curves.iter().find(|c| c.head_sha256.as_deref() == Some(sha.as_str()))
    }
}

/// SHA-256 of what a head scores with (kind, backbone, projection, weights, bias), not of its
/// threshold or training notes: the key of its curve in a [`FarTable`].
pub fn head_sha256(head: &Head) -> String {
    let mut file: serde_json::Value = serde_json::from_str(&head.to_json()).unwrap_or_default();
    if let Some(fields) = file.as_object_mut() {
        fields.remove("operating_point");
        fields.remove("training");
    }
    sha256_hex(file.to_string().as_bytes())
}

/// How `Gallery::identify_with` answers "which enrolled person is this?".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdentifyOptions {
    /// Candidates returned at most (at least 1).
    pub k: usize,
    /// Target system false-accept rate: the chance that a stranger is taken for anyone in the
    /// gallery. Each comparison is decided at FAR `far / N` for `N` enrolled ids (and never
    /// below the 1:1 rule's threshold). `None`: the 1:1 rule alone (ranking; a stranger's
    /// chance grows with `N`).
    pub far: Option<f64>,
    /// How much the best candidate's deciding value (probability with a head, else cosine) must
    /// exceed the runner-up's, or nobody is returned. `None`: the table's δ with `far`, else 0.
    pub margin: Option<f32>,
}

impl Default for IdentifyOptions {
    /// Sign-in: the best candidate only, system FAR [`DEFAULT_FAR`], the table's margin.
    fn default() -> Self {
        IdentifyOptions { k: 1, far: Some(DEFAULT_FAR), margin: None }
    }
}

impl IdentifyOptions {
    /// Ranking by the 1:1 rule: up to `k` candidates it accepts, no margin, whatever `N`.
    pub fn ranking(k: usize) -> Self {
        IdentifyOptions { k, far: None, margin: Some(0.0) }
    }

    /// What is accepted by `rule` in a gallery of `n` ids made by the model `model_sha256`,
    /// with the shipped [`FarTable`] of that model ([`FarTable::for_model`]; see
    /// [`IdentifyOptions::acceptance_by`]).
    pub fn acceptance(&self, rule: &Rule, model_sha256: &str, n: usize) -> Result<Acceptance> {
        match self.far {
            Some(_) => self.acceptance_by(FarTable::for_model(model_sha256)?, rule, model_sha256, n),
            None => self.acceptance_by(&FarTable::default(), rule, model_sha256, n),
        }
    }

    /// What is accepted by `rule` in a gallery of `n` ids made by the model `model_sha256`.
    /// With `far`, `table` must be for that model (else `INVALID_ARGUMENT`). Cosine and the
    /// bundled head use their own curve; a head without a curve (one you trained) keeps its
    /// own threshold and must also pass the cosine curve at `far / n` — conservative, since
    /// the cosine alone already keeps the rate — with the margin of the table's head curve
    /// (a probability, like yours).
    pub fn acceptance_by(&self, table: &FarTable, rule: &Rule, model_sha256: &str, n: usize) -> Result<Acceptance> {
        let bad = |what: String| Err(Error::InvalidArgument(what));
        if self.k == 0 {
            return bad("identify needs k >= 1".into());
        }
        if let Some(m) = self.margin.filter(|m| !(m.is_finite() && *m >= 0.0)) {
            return bad(format!("margin {m} must be finite and >= 0"));
        }
        let threshold = rule.threshold();
        let Some(far) = self.far else {
            return Ok(Acceptance { threshold, cosine: f32::NEG_INFINITY, margin: self.margin.unwrap_or(0.0) });
        };
        if !(far > 0.0 && far <= 1.0) {
            return bad(format!("far {far} is outside (0, 1]"));
        }
        if table.backbone_sha256 != model_sha256 {
            return bad(format!(
                "no impostor table for the embedding model {model_sha256} (the table is for {}): \
                 identify with far needs one; without far it ranks by the 1:1 rule",
                table.backbone_sha256
            ));
        }
        let per_comparison = far / n.max(1) as f64;
        let missing = |what: &str| Error::InvalidTemplate(format!("the FAR table has no {what} curve"));
        let cosine = table.cosine().ok_or_else(|| missing("cosine"))?;
        let (curve, gate) = match rule {
            Rule::Cosine(_) => (cosine, None),
            Rule::Head { head, .. } => match table.head(head) {
                Some(curve) => (curve, None),
                None => {
                    let heads = table.curves.iter().find(|c| c.head_sha256.is_some());
                    (heads.ok_or_else(|| missing("head"))?, Some(cosine.value_at(per_comparison)))
                }
            },
        };
        let threshold = match gate {
            Some(_) => threshold,
            None => threshold.max(curve.value_at(per_comparison)),
        };
        Ok(Acceptance {
            threshold,
            cosine: gate.unwrap_or(f32::NEG_INFINITY),
            margin: self.margin.unwrap_or(curve.margin),
        })
    }
}

/// What identify accepts for one gallery: see [`IdentifyOptions::acceptance`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Acceptance {
    /// The deciding value (probability with a head, else cosine) a candidate must reach.
    pub threshold: f32,
    /// The cosine similarity a candidate must also reach (`-inf` unless a head has no curve).
    pub cosine: f32,
    /// How much the best candidate's deciding value must exceed the runner-up's.
    pub margin: f32,
}

impl Acceptance {
    /// Does a candidate with this deciding value and cosine similarity pass?
    pub fn accepts(&self, value: f32, cosine: f32) -> bool {
        value >= self.threshold && cosine >= self.cosine
    }

    /// Is the best candidate accepted, given the runner-up's deciding value (`None` with one id)?
    pub fn accepts_best(&self, value: f32, cosine: f32, runner_up: Option<f32>) -> bool {
        self.accepts(value, cosine) && runner_up.is_none_or(|r| value - r >= self.margin)
    }

    /// Whether [`Acceptance::select`] picks the same candidates from the full embedding's
    /// decisions as from `scored`, decided on a quick probe (the crop alone, see
    /// [`Rule::is_clear`]), whatever the full embedding's deciding values within the rule's quick
    /// margin ([`quick_range`]; the cosine gate within [`QuickMargin::COSINE`]). Settled only in
    /// the two clear-cut cases: nobody can pass, or the best passes for sure while nobody else can
    /// pass or come within the margin of it. Otherwise identify runs the mirror pass.
    pub fn is_settled(&self, rule: &Rule, scored: &[(String, Verification)]) -> bool {
        let can_pass = |v: &Verification| {
            quick_range(rule, v).1 >= self.threshold && v.similarity + QuickMargin::COSINE >= self.cosine
        };
        let Some(best) = (0..scored.len()).max_by(|&a, &b| scored[a].1.value().total_cmp(&scored[b].1.value())) else {
            return true;
        };
        let best_low = quick_range(rule, &scored[best].1).0;
        let sure = best_low >= self.threshold && scored[best].1.similarity - QuickMargin::COSINE >= self.cosine;
        let mut others = scored.iter().enumerate().filter(|&(i, _)| i != best).map(|(_, (_, v))| v);
        if !sure {
            return !can_pass(&scored[best].1) && others.all(|v| !can_pass(v));
        }
        let runner_up_high = others.clone().map(|v| quick_range(rule, v).1).reduce(f32::max);
        others.all(|v| !can_pass(v))
            && runner_up_high.is_none_or(|high| best_low > high && best_low - high >= self.margin)
    }

    /// Up to `k` accepted candidates, best first, or none when the best is not accepted.
    pub fn select(&self, mut scored: Vec<(String, Verification)>, k: usize) -> Vec<Candidate> {
        scored.sort_by(|a, b| b.1.value().total_cmp(&a.1.value()));
        let runner_up = scored.get(1).map(|(_, v)| v.value());
        match scored.first() {
            Some((_, best)) if self.accepts_best(best.value(), best.similarity, runner_up) => {}
            _ => return Vec::new(),
        }
        let accepted = scored.into_iter().filter(|(_, v)| self.accepts(v.value(), v.similarity));
        accepted.take(k).map(|(id, v)| Candidate { id, similarity: v.similarity, probability: v.probability }).collect()
    }
}

/// The range of deciding values (probability with a head, else cosine) the full embedding can
/// give where the quick probe gave `v`'s: the rule's quick margin either way, in log-odds for a
/// head (see [`Rule::quick_margin`]).
pub fn quick_range(rule: &Rule, v: &Verification) -> (f32, f32) {
    let margin = f64::from(rule.quick_margin());
    match v.probability {
        Some(p) => {
            let z = logit(f64::from(p));
            (sigmoid(z - margin) as f32, sigmoid(z + margin) as f32)
        }
        None => (v.similarity - margin as f32, v.similarity + margin as f32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bundled;

    fn sha() -> &'static str {
        bundled::mobilefacenet_sha256()
    }

    #[test]
    fn a_curve_reads_rates_off_impostor_values() {
        // Impostor values spread evenly over 0..1: a fraction f of them reaches 1 - f.
        let values: Vec<f32> = (0..100_000).map(|i| i as f32 / 100_000.0).collect();
        let curve = FarCurve::measure(&Rule::cosine_for(crate::EmbedderModel::MobileFaceNet), values, 0.1).unwrap();
        assert_eq!((curve.rule.as_str(), curve.head_sha256.as_ref(), curve.impostor_pairs), ("cosine", None, 100_000));
        assert_eq!(curve.points.len(), 13, "0.1 down to 1e-4, where 10 pairs remain");
        for (far, expected) in [(0.1, 0.9), (1e-2, 0.99), (3e-3, 0.997), (1e-4, 0.9999)] {
            assert!((curve.value_at(far) - expected).abs() < 2e-4, "{far}: {}", curve.value_at(far));
        }
        assert_eq!(curve.value_at(0.5), curve.points[0].value, "rates above the curve: its strictest start");
        let beyond = curve.value_at(1e-5);
        assert!(beyond > curve.value_at(1e-4) && beyond <= 1.0, "{beyond}");
        assert_eq!(curve.value_at(1e-30), 1.0);
        assert!(FarCurve::measure(&Rule::cosine_for(crate::EmbedderModel::MobileFaceNet), vec![0.5; 50], 0.0).is_err());
        assert!(FarCurve::measure(&Rule::cosine_for(crate::EmbedderModel::MobileFaceNet), vec![f32::NAN; 1000], 0.0)
            .is_err());
    }

    #[test]
    fn the_bundled_table_is_for_the_bundled_model_and_head() {
        let table = FarTable::bundled().unwrap();
        assert_eq!(table.backbone_sha256, sha());
        assert!(table.cosine().is_some() && table.head(&Head::bundled().unwrap()).is_some());
        assert_eq!(FarTable::from_json(&table.to_json()).unwrap(), table);
        let mut reversed = table.clone();
        reversed.curves[0].points.reverse();
        let mut negative = table.clone();
        negative.curves[1].margin = -0.1;
        for bad in [table.to_json().replace(FORMAT, "other"), reversed.to_json(), negative.to_json(), "{}".into()] {
            assert!(matches!(FarTable::from_json(&bad), Err(Error::InvalidTemplate(_))), "{bad}");
        }
    }

    #[test]
    fn each_shipped_table_is_found_by_its_model() {
        assert_eq!(FarTable::for_model(sha()).unwrap(), &FarTable::bundled().unwrap());
        let sface = FarTable::for_model(crate::embed::SFACE_SHA256).unwrap();
        assert_eq!(sface.backbone_sha256, crate::embed::SFACE_SHA256);
        assert!(sface.cosine().is_some() && sface.curves.len() == 1, "cosine only: SFace has no head");
        let rule = Rule::cosine_for(crate::EmbedderModel::SFace);
        let at = |n| IdentifyOptions::default().acceptance(&rule, crate::embed::SFACE_SHA256, n).unwrap();
        assert!(at(1).threshold >= rule.threshold() && at(10).threshold < at(1000).threshold);
        assert_eq!((at(100).threshold, at(100).margin), (sface.cosine().unwrap().value_at(DEFAULT_FAR / 100.0), 0.1));
        assert!(matches!(FarTable::for_model("other"), Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn the_threshold_grows_with_the_gallery() {
        for rule in [Rule::cosine_for(crate::EmbedderModel::MobileFaceNet), Rule::bundled().unwrap()] {
            let at = |n| IdentifyOptions::default().acceptance(&rule, sha(), n).unwrap();
            let thresholds: Vec<f32> = [1, 10, 100, 1000, 10_000].map(|n| at(n).threshold).to_vec();
            assert!(thresholds[0] >= rule.threshold(), "{thresholds:?}");
            assert!(thresholds.windows(2).all(|w| w[0] < w[1]), "{thresholds:?}");
            assert!(at(1000).margin > 0.0 && at(1000).cosine == f32::NEG_INFINITY);
            let ranking = IdentifyOptions::ranking(3).acceptance(&rule, sha(), 1000).unwrap();
            assert_eq!((ranking.threshold, ranking.margin), (rule.threshold(), 0.0));
            let loose = IdentifyOptions { far: Some(0.5), ..IdentifyOptions::default() };
            assert_eq!(loose.acceptance(&rule, sha(), 1).unwrap().threshold, rule.threshold(), "never below 1:1");
        }
        let rule = Rule::cosine_for(crate::EmbedderModel::MobileFaceNet);
        let invalid = [
            IdentifyOptions { k: 0, ..IdentifyOptions::default() },
            IdentifyOptions { far: Some(0.0), ..IdentifyOptions::default() },
            IdentifyOptions { far: Some(2.0), ..IdentifyOptions::default() },
            IdentifyOptions { margin: Some(-0.1), ..IdentifyOptions::default() },
            IdentifyOptions { margin: Some(f32::NAN), ..IdentifyOptions::default() },
        ];
        for options in invalid {
            assert!(matches!(options.acceptance(&rule, sha(), 5), Err(Error::InvalidArgument(_))), "{options:?}");
        }
        let other_model = IdentifyOptions::default().acceptance(&rule, "other", 5);
        assert!(matches!(other_model, Err(Error::InvalidArgument(ref m)) if m.contains("no impostor table")));
        assert!(IdentifyOptions::ranking(1).acceptance(&rule, "other", 5).is_ok());
    }

    #[test]
    fn a_quick_answer_is_settled_only_when_no_full_embedding_within_the_margin_changes_it() {
        let v = |similarity: f32, probability: Option<f32>| Verification {
            similarity,
            probability,
            threshold: 0.5,
            is_match: false,
            rule: "test",
        };
        let scored = |values: &[(f32, Option<f32>)]| -> Vec<(String, Verification)> {
            values.iter().enumerate().map(|(i, &(s, p))| (format!("id{i}"), v(s, p))).collect()
        };
        let cosine = |values: &[f32]| scored(&values.iter().map(|&s| (s, None)).collect::<Vec<_>>());
        // The cosine rule's quick margin is 0.1.
        let rule = Rule::cosine_for(crate::EmbedderModel::MobileFaceNet);
        let a = Acceptance { threshold: 0.5, cosine: f32::NEG_INFINITY, margin: 0.05 };
        assert!(a.is_settled(&rule, &[]));
        assert!(a.is_settled(&rule, &cosine(&[0.1, 0.39, 0.2])), "nobody can reach 0.5");
        assert!(!a.is_settled(&rule, &cosine(&[0.1, 0.41])), "0.41 might");
        assert!(a.is_settled(&rule, &cosine(&[0.2, 0.8, 0.3])), "0.8 passes, the rest cannot");
        assert!(a.is_settled(&rule, &cosine(&[0.8])));
        assert!(!a.is_settled(&rule, &cosine(&[0.55, 0.1])), "the best might not pass");
        assert!(!a.is_settled(&rule, &cosine(&[0.9, 0.45])), "the runner-up might pass");
        let wide = Acceptance { margin: 0.45, ..a };
        assert!(!wide.is_settled(&rule, &cosine(&[0.8, 0.3])), "0.7 - 0.4 is less than the margin");
        let gated = Acceptance { cosine: 0.75, ..a };
        assert!(!gated.is_settled(&rule, &cosine(&[0.8, 0.1])), "the cosine gate might stop it");
        // A head: the margin is 2 in log-odds, wide around 0.5 and narrow near 0 and 1.
        let head = Rule::bundled().unwrap();
        let a = Acceptance { threshold: 0.7, cosine: f32::NEG_INFINITY, margin: 0.02 };
        assert_eq!(quick_range(&head, &v(0.0, Some(0.5))), (0.11920292, 0.8807971));
        assert!(a.is_settled(&head, &scored(&[(0.9, Some(0.999)), (0.1, Some(0.001))])));
        assert!(!a.is_settled(&head, &scored(&[(0.8, Some(0.9)), (0.1, Some(0.001))])), "0.9 may fall to 0.55");
        assert!(a.is_settled(&head, &scored(&[(0.3, Some(0.05)), (0.1, Some(0.2))])), "0.2 reaches 0.65 at most");
        assert!(!a.is_settled(&head, &scored(&[(0.3, Some(0.05)), (0.1, Some(0.3))])), "0.3 may reach 0.76");
    }

    #[test]
    fn a_head_without_a_curve_keeps_its_threshold_and_passes_the_cosine_curve() {
        let mut file: serde_json::Value = serde_json::from_str(&Head::bundled().unwrap().to_json()).unwrap();
        file["bias"] = serde_json::json!(file["bias"].as_f64().unwrap() + 1.0);
        let head = Head::from_json(&file.to_string(), sha()).unwrap();
        assert_ne!(head_sha256(&head), head_sha256(&Head::bundled().unwrap()));
        let rule = Rule::head(head);
        let table = FarTable::bundled().unwrap();
        let a = IdentifyOptions::default().acceptance(&rule, sha(), 100).unwrap();
        assert_eq!(a.threshold, rule.threshold());
        assert_eq!(a.cosine, table.cosine().unwrap().value_at(DEFAULT_FAR / 100.0));
        assert_eq!(a.margin, table.head(&Head::bundled().unwrap()).unwrap().margin);
        assert!(a.accepts(0.99, a.cosine) && !a.accepts(0.99, a.cosine - 0.01) && !a.accepts(0.0, 1.0));
    }
}
