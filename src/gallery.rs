//! Enrolled identities and the two questions asked of them: verify (1:1) and identify (1:K,
//! open set).

use crate::embed::Embedding;
use crate::error::{Error, Result};
use crate::learn::Head;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// pairs score above 0.4318); it accepts 97.7 % of genuine pairs. Reproduce with
    /// `facegate eval-lfw --json` (`far_1e-3_threshold`).
    pub const DEFAULT: Threshold = Threshold {
        cosine: 0.432,
        provenance: "LFW View 2, 6000 pairs, FAR <= 1e-3 (facegate eval-lfw)",
    };

    /// A threshold of your own (for example from `eval-lfw` on your data).
    pub fn custom(cosine: f32) -> Result<Self> {
        if !(-1.0..=1.0).contains(&cosine) {
            return Err(Error::InvalidArgument(format!("threshold {cosine} is outside -1..=1")));
        }
        Ok(Threshold { cosine, provenance: "custom" })
    }
}

/// The answer to "is this the enrolled person?".
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Cosine similarity between the probe and the identity's template.
    pub score: f32,
    /// The threshold the score was compared with; with a head, the head's probability
    /// threshold (see [`Head::operating_point`] for its false accept rate).
    pub threshold: f32,
    /// `score >= threshold`; with a head, `probability >= threshold`.
    pub is_match: bool,
    /// With a head: the probability that the probe is the enrolled person.
    pub probability: Option<f32>,
}

/// One answer to "which enrolled person is this?".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The enrolled id.
    pub id: String,
    /// Cosine similarity with that identity's template.
    pub score: f32,
}

/// One enrolled person: every shot given at enrollment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    shots: Vec<Embedding>,
}

impl Identity {
    /// The enrolled embeddings, oldest first.
    pub fn shots(&self) -> &[Embedding] {
        &self.shots
    }

    /// The identity's template: the normalised mean of its shots.
    pub fn template(&self) -> Result<Embedding> {
        Embedding::mean(&self.shots)
    }
}

/// Enrolled identities, bound to the embedding model that made their templates.
#[derive(Debug, Clone, PartialEq)]
pub struct Gallery {
    pub(crate) model_sha256: String,
    pub(crate) threshold: Threshold,
    pub(crate) identities: BTreeMap<String, Identity>,
    pub(crate) head: Option<Head>,
}

impl Gallery {
    /// An empty gallery for the model with this SHA-256 (see `Embedder::model_sha256`).
    pub fn new(model_sha256: impl Into<String>, threshold: Threshold) -> Self {
        Gallery { model_sha256: model_sha256.into(), threshold, identities: BTreeMap::new(), head: None }
    }

    /// Decide [`Gallery::verify`] by a trained head's probability (`None`: by cosine). The head
    /// must be trained on this gallery's model; it is not saved with the gallery.
    pub fn set_head(&mut self, head: Option<Head>) -> Result<()> {
        if let Some(h) = head.as_ref().filter(|h| h.backbone_sha256() != self.model_sha256) {
            return Err(Error::ModelMismatch { expected: self.model_sha256.clone(), found: h.backbone_sha256().into() });
        }
        self.head = head;
        Ok(())
    }

    /// The head deciding verification, if any.
    pub fn head(&self) -> Option<&Head> {
        self.head.as_ref()
    }

    /// SHA-256 of the embedding model the templates belong to.
    pub fn model_sha256(&self) -> &str {
        &self.model_sha256
    }

    /// The decision threshold.
    pub fn threshold(&self) -> Threshold {
        self.threshold
    }

    /// Replaces the decision threshold.
    pub fn set_threshold(&mut self, threshold: Threshold) {
        self.threshold = threshold;
    }

    /// Adds shots to `id` (creating it): one is enough, several are averaged. Returns the
    /// identity's number of shots. Nothing changes on error.
    pub fn enroll(&mut self, id: &str, shots: impl IntoIterator<Item = Embedding>) -> Result<usize> {
        if id.trim().is_empty() {
            return Err(Error::InvalidArgument("an identity needs a non-empty id".into()));
        }
        let shots: Vec<Embedding> = shots.into_iter().collect();
        if shots.is_empty() {
            return Err(Error::InvalidArgument("enroll needs at least one shot".into()));
        }
        let dim = self.dim().unwrap_or(shots[0].as_slice().len());
        if shots.iter().any(|s| s.as_slice().len() != dim) {
            return Err(Error::InvalidArgument(format!("every embedding must have {dim} values")));
        }
        let identity = self.identities.entry(id.to_owned()).or_insert(Identity { shots: Vec::new() });
        identity.shots.extend(shots);
        Ok(identity.shots.len())
    }

    /// Removes `id`; `false` when it was not enrolled.
    pub fn remove(&mut self, id: &str) -> bool {
        self.identities.remove(id).is_some()
    }

    /// The enrolled identities by id.
    pub fn identities(&self) -> &BTreeMap<String, Identity> {
        &self.identities
    }

    /// Number of enrolled identities.
    pub fn len(&self) -> usize {
        self.identities.len()
    }

    /// `true` when nobody is enrolled.
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
    }

    fn dim(&self) -> Option<usize> {
        self.identities.values().flat_map(|i| i.shots.first()).map(|e| e.as_slice().len()).next()
    }

    /// 1:1 — does `probe` show the person enrolled as `id`?
    pub fn verify(&self, id: &str, probe: &Embedding) -> Result<Verification> {
        let identity = self.identities.get(id).ok_or_else(|| Error::UnknownIdentity(id.to_owned()))?;
        let template = identity.template()?;
        let score = template.cosine(probe);
        if let Some(head) = &self.head {
            let probability = head.probability(&template, probe)? as f32;
            let threshold = head.operating_point().probability;
            return Ok(Verification { score, threshold, is_match: probability >= threshold, probability: Some(probability) });
        }
        let threshold = self.threshold.cosine;
        Ok(Verification { score, threshold, is_match: score >= threshold, probability: None })
    }

    /// 1:K — up to `k` enrolled identities that pass the threshold, best first; empty when
    /// nobody does (open-set rejection: "unknown").
    pub fn identify(&self, probe: &Embedding, k: usize) -> Result<Vec<Candidate>> {
        if k == 0 {
            return Err(Error::InvalidArgument("identify needs k >= 1".into()));
        }
        let mut ranked = Vec::new();
        for (id, identity) in &self.identities {
            let score = identity.template()?.cosine(probe);
            if score >= self.threshold.cosine {
                ranked.push(Candidate { id: id.clone(), score });
            }
        }
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
        ranked.truncate(k);
        Ok(ranked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(v: &[f32]) -> Embedding {
        Embedding::new(v.to_vec()).unwrap()
    }

    fn gallery() -> Gallery {
        let mut g = Gallery::new("sha", Threshold::custom(0.5).unwrap());
        g.enroll("alice", [e(&[1.0, 0.0, 0.0])]).unwrap();
        g.enroll("bob", [e(&[0.0, 1.0, 0.0]), e(&[0.2, 1.0, 0.0])]).unwrap();
        g
    }

    #[test]
    fn verify_compares_with_the_mean_of_the_shots() {
        let g = gallery();
        let v = g.verify("alice", &e(&[1.0, 0.1, 0.0])).unwrap();
        assert!(v.is_match && v.score > 0.99 && v.threshold == 0.5);
        assert!(!g.verify("alice", &e(&[0.0, 0.0, 1.0])).unwrap().is_match);
        let bob = g.verify("bob", &e(&[0.1, 1.0, 0.0])).unwrap();
        assert!(bob.score > 0.999, "{bob:?}");
        assert!(matches!(g.verify("carol", &e(&[1.0, 0.0, 0.0])), Err(Error::UnknownIdentity(id)) if id == "carol"));
    }

    #[test]
    fn identify_ranks_and_rejects_unknowns() {
        let g = gallery();
        let ranked = g.identify(&e(&[1.0, 0.9, 0.0]), 5).unwrap();
        assert_eq!(ranked.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["alice", "bob"]);
        assert_eq!(g.identify(&e(&[1.0, 0.9, 0.0]), 1).unwrap().len(), 1);
        assert!(g.identify(&e(&[0.0, 0.0, 1.0]), 3).unwrap().is_empty());
        assert!(g.identify(&e(&[0.0, 0.0, 1.0]), 0).is_err());
    }

    #[test]
    fn enroll_validates_and_leaves_state_alone_on_error() {
        let mut g = gallery();
        let before = g.clone();
        assert!(g.enroll("", [e(&[1.0, 0.0, 0.0])]).is_err());
        assert!(g.enroll("carol", []).is_err());
        assert!(g.enroll("alice", [e(&[1.0, 0.0])]).is_err());
        assert_eq!(g, before);
        assert_eq!(g.enroll("alice", [e(&[0.0, 0.0, 1.0])]).unwrap(), 2);
        assert!(g.remove("alice") && !g.remove("alice"));
        assert!(Threshold::custom(1.5).is_err());
    }
}
