//! What a head file records about its training (data, sizes, seed, settings): part of the file
//! format, so it lives with the scoring code; the trainer fills it in.

use crate::error::Result;
use serde::{Deserialize, Serialize};

/// How each anchor's triplets are chosen inside a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mining {
    /// One triplet per anchor: its farthest positive and its closest negative.
    BatchHard,
    /// FaceNet: one triplet per anchor–positive pair, with the closest negative that is still
    /// farther than the positive; when every negative is closer, the farthest negative.
    SemiHard,
}

impl std::str::FromStr for Mining {
    type Err = crate::Error;
    /// `batch-hard` or `semi-hard`.
    fn from_str(s: &str) -> Result<Self> {
        super::parse_name(s)
    }
}

/// Settings of the triplet projection's training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TripletOptions {
    /// Output length `d'` (at most the embedding length).
    pub out_dim: usize,
    /// Margin `α`.
    pub margin: f64,
    /// Triplet selection.
    pub mining: Mining,
    /// People per batch (`P`).
    pub people: usize,
    /// Images per person per batch (`K`; fewer when a person has fewer).
    pub images: usize,
    /// Passes over the people.
    pub epochs: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
}

impl Default for TripletOptions {
    fn default() -> Self {
        // Measured on LFW (facegate report-heads): larger steps or longer training overfit the
        // few LFW identities and fall below plain cosine on held-out folds.
        TripletOptions {
            out_dim: 128,
            margin: 0.2,
            mining: Mining::BatchHard,
            people: 64,
            images: 4,
            epochs: 40,
            learning_rate: 3e-5,
        }
    }
}

/// How a head was trained: data, sizes, seed and settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// The data, as the trainer described it (folder, excluded fold).
    pub data: String,
    /// Identities trained on (each with at least two images).
    pub identities: usize,
    /// Their images.
    pub images: usize,
    /// Same/different pairs the logistic unit was fitted on (half of each).
    pub pairs: usize,
    /// Triplet epochs (0 without a projection).
    pub epochs: usize,
    /// Seed of the generator that drew batches and pairs.
    pub seed: u64,
    /// `λ` of the logistic fit.
    pub l2: f64,
    /// Same-identity pairs kept per identity at most.
    pub pairs_per_person: usize,
    /// The projection's settings (triplet heads only).
    pub triplet: Option<TripletOptions>,
    /// Mean triplet loss of each epoch (triplet heads only).
    pub triplet_losses: Vec<f32>,
    /// The logistic fit's objective at its optimum: mean log loss plus penalty.
    pub fit_objective: f32,
}
