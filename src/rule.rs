//! The decision rule: how a probe and a template become a decision ([`Rule`]: a cosine threshold
//! or a trained head's probability), and the answers it gives ([`Verification`], [`Candidate`]).

use crate::embed::{EmbedderModel, Embedding};
use crate::error::{Error, Result};
use crate::head::{logit, Head};
use serde::Serialize;

/// A cosine-similarity decision threshold and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    /// Pairs scoring at or above this cosine similarity are the same person.
    pub cosine: f32,
    /// How the value was chosen.
    pub provenance: &'static str,
}

impl Threshold {
    /// The default: chosen on LFW View 2 (all 6000 pairs, bundled pipeline with FaceMesh
    /// alignment and flip) so that the false accept rate is at most 1e-3 (3 of 3000 impostor
    /// pairs score above 0.4318, with the largest face as with the centred one); it accepts
    /// 98.5 % of genuine pairs (centre face). Reproduce with
    /// `facegate eval-lfw --json --head cosine` (`far_1e-3_threshold`).
    pub const DEFAULT: Threshold =
        Threshold { cosine: 0.432, provenance: "LFW View 2, 6000 pairs, FAR <= 1e-3 (facegate eval-lfw)" };

    /// SFace's default, chosen like [`Threshold::DEFAULT`] (LFW View 2, all 6000 pairs, centre
    /// face, FaceMesh alignment, no flip) so that the false accept rate is at most 1e-3 (3 of
    /// 3000 impostor pairs score above 0.3453); it accepts 99.2 % of genuine pairs. Reproduce with
    /// `facegate eval-lfw --json --head cosine --model sface` (`far_1e-3_threshold`).
    pub const SFACE: Threshold =
        Threshold { cosine: 0.346, provenance: "SFace: LFW View 2, 6000 pairs, FAR <= 1e-3 (facegate eval-lfw)" };

    /// The default threshold of `model`'s cosine similarity.
    pub fn of(model: EmbedderModel) -> Threshold {
        match model {
            EmbedderModel::MobileFaceNet => Threshold::DEFAULT,
            EmbedderModel::SFace => Threshold::SFACE,
        }
    }

    /// A threshold of your own (for example from `eval-lfw` on your data).
    pub fn custom(cosine: f32) -> Result<Self> {
        if !(-1.0..=1.0).contains(&cosine) {
            return Err(Error::InvalidArgument(format!("threshold {cosine} is outside -1..=1")));
        }
        Ok(Threshold { cosine, provenance: "custom" })
    }
}

/// How far from the threshold a decision on a quick probe must be for the mirror pass to be
/// skipped ([`Rule::quick_margin`]): about 1.5x the largest shift the mirror pass caused on LFW
/// View 2 (`facegate eval-lfw --quick-probe`: 0.066 in cosine, 1.24 in the bundled head's
/// log-odds, over 6000 probes).
pub struct QuickMargin;

impl QuickMargin {
    /// For the cosine rule, in cosine.
    pub const COSINE: f32 = 0.1;
    /// For a head, in log-odds of its probability.
    pub const LOG_ODDS: f32 = 2.0;
}

/// How a probe and a template become a decision; verify and identify use the same rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Same person when the cosine similarity reaches the threshold.
    Cosine(Threshold),
    /// Same person when the head's calibrated probability reaches `threshold`.
    Head {
        /// The trained head (bound to the embedding model's SHA-256).
        head: Box<Head>,
        /// Probability threshold: the head's operating point unless set otherwise.
        threshold: f32,
    },
}

impl Rule {
    /// The default rule of `model`, the one place that decides it: the bundled head for
    /// MobileFaceNet (it is bound to that model), cosine similarity at [`Threshold::SFACE`] for SFace.
    pub fn default_for(model: EmbedderModel) -> Result<Rule> {
        match model {
            EmbedderModel::MobileFaceNet => Rule::bundled(),
            EmbedderModel::SFace => Ok(Rule::Cosine(Threshold::SFACE)),
        }
    }

    /// Cosine similarity at `model`'s default threshold ([`Threshold::of`]): there is no
    /// model-less cosine rule, as MobileFaceNet's threshold would be wrong for SFace.
    pub fn cosine_for(model: EmbedderModel) -> Rule {
        Rule::Cosine(Threshold::of(model))
    }

    /// A head, deciding at its own operating point (a probability chosen for a stated FAR).
    pub fn head(head: Head) -> Rule {
        let threshold = head.operating_point().probability;
        Rule::Head { head: Box::new(head), threshold }
    }

    /// The bundled head (`model/head-default.json`, logistic on χ² features): the default of
    /// the browser and the command line.
    pub fn bundled() -> Result<Rule> {
        Ok(Rule::head(Head::bundled()?))
    }

    /// The same rule deciding at another threshold: a cosine similarity in -1..=1 for
    /// [`Rule::Cosine`], a probability in 0..=1 for a head.
    pub fn with_threshold(self, threshold: f32) -> Result<Rule> {
        match self {
            Rule::Cosine(_) => Ok(Rule::Cosine(Threshold::custom(threshold)?)),
            Rule::Head { head, .. } if (0.0..=1.0).contains(&threshold) => Ok(Rule::Head { head, threshold }),
            Rule::Head { .. } => {
                Err(Error::InvalidArgument(format!("probability threshold {threshold} is outside 0..=1")))
            }
        }
    }

    /// `"cosine"` or the head's kind (`"logistic-chi2"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Cosine(_) => "cosine",
            Rule::Head { head, .. } => head.kind().name(),
        }
    }

    /// The decision threshold (cosine similarity or probability).
    pub fn threshold(&self) -> f32 {
        match self {
            Rule::Cosine(t) => t.cosine,
            Rule::Head { threshold, .. } => *threshold,
        }
    }

    /// Where the threshold comes from, in words.
    pub fn provenance(&self) -> String {
        match self {
            Rule::Cosine(t) => t.provenance.to_owned(),
            Rule::Head { head, threshold } if *threshold == head.operating_point().probability => {
                let p = head.operating_point();
                format!(
                    "{} head trained on {}; threshold at FAR {} on {} impostor pairs of its training identities",
                    head.kind(),
                    head.training().data,
                    p.far,
                    p.impostor_pairs
                )
            }
            Rule::Head { head, .. } => {
                format!("{} head trained on {}; custom threshold", head.kind(), head.training().data)
            }
        }
    }

    /// Scores `probe` against `template` and decides.
    pub fn decide(&self, template: &Embedding, probe: &Embedding) -> Result<Verification> {
        if template.as_slice().len() != probe.as_slice().len() {
            return Err(Error::InvalidArgument(format!(
                "the probe has {} values, the template {}",
                probe.as_slice().len(),
                template.as_slice().len()
            )));
        }
        let similarity = template.cosine(probe);
        let threshold = self.threshold();
        let (probability, value) = match self {
            Rule::Cosine(_) => (None, similarity),
            Rule::Head { head, .. } => {
                let p = head.probability(template, probe)? as f32;
                (Some(p), p)
            }
        };
        Ok(Verification { similarity, probability, threshold, is_match: value >= threshold, rule: self.name() })
    }

    /// Decides on `quick` (the first step of a [`Probe`](crate::embed::Probe)) when that decision
    /// is clear ([`Rule::is_clear`]); otherwise runs `complete` (the full embedding) and decides
    /// on it.
    pub fn decide_in_steps(
        &self,
        template: &Embedding,
        quick: &Embedding,
        complete: impl FnOnce() -> Result<Embedding>,
    ) -> Result<Verification> {
        match self.decide(template, quick)? {
            clear if self.is_clear(&clear) => Ok(clear),
            _ => self.decide(template, &complete()?),
        }
    }

    /// How far `verification`'s deciding value is above (positive) or below (negative) the
    /// threshold: in cosine for [`Rule::Cosine`], in log-odds for a head (probabilities near 0
    /// and 1 are compressed, log-odds are not).
    pub fn clearance(&self, verification: &Verification) -> f32 {
        match (self, verification.probability) {
            (Rule::Head { threshold, .. }, Some(p)) => (logit(f64::from(p)) - logit(f64::from(*threshold))) as f32,
            _ => verification.similarity - verification.threshold,
        }
    }

    /// The [`Rule::clearance`] a decision on a quick probe (the crop alone, see
    /// [`Probe`](crate::embed::Probe)) needs to stand without the mirror pass (see
    /// [`QuickMargin`]).
    pub fn quick_margin(&self) -> f32 {
        match self {
            Rule::Cosine(_) => QuickMargin::COSINE,
            Rule::Head { .. } => QuickMargin::LOG_ODDS,
        }
    }

    /// Whether a decision on a quick probe stands as it is: its clearance is at least
    /// [`Rule::quick_margin`] either way.
    pub fn is_clear(&self, verification: &Verification) -> bool {
        self.clearance(verification).abs() >= self.quick_margin()
    }

    /// `MODEL_MISMATCH` for a head trained on another embedding model.
    pub(crate) fn check_model(&self, model_sha256: &str) -> Result<()> {
        match self {
            Rule::Head { head, .. } if head.backbone_sha256() != model_sha256 => {
                Err(Error::ModelMismatch { expected: model_sha256.into(), found: head.backbone_sha256().into() })
            }
            _ => Ok(()),
        }
    }
}

/// The answer to "is this the enrolled person?".
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Cosine similarity between the probe and the identity's template.
    pub similarity: f32,
    /// With a head: the calibrated probability that the probe is the enrolled person.
    pub probability: Option<f32>,
    /// The threshold the deciding value (probability with a head, else similarity) was compared with.
    pub threshold: f32,
    /// The deciding value reached the threshold.
    pub is_match: bool,
    /// The rule that decided (see [`Rule::name`]).
    pub rule: &'static str,
}

impl Verification {
    /// The value the rule decides on and ranks by: the probability with a head, else the similarity.
    pub fn value(&self) -> f32 {
        self.probability.unwrap_or(self.similarity)
    }
}

/// One answer to "which enrolled person is this?".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The enrolled id.
    pub id: String,
    /// Cosine similarity with that identity's template.
    pub similarity: f32,
    /// With a head: the calibrated probability that the probe is this person.
    pub probability: Option<f32>,
}
