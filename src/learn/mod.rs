//! Learning on top of the frozen backbone: a projection trained with the triplet loss and hard
//! example mining, and logistic pair heads that turn two embeddings into `p(same person)`.
//!
//! - [`dataset`]: embeddings of a labelled folder, their cache file, the per-identity view;
//! - [`triplet`]: the projection, batch-hard and semi-hard mining, the loss and its
//!   hand-written gradient, training with Adam;
//! - [`features`], [`logistic`]: φ(f1, f2) (L1, safe χ², cosine) and L2-regularised logistic
//!   regression by Newton's method (also Platt scaling);
//! - [`pairs`]: balanced same/different training pairs;
//! - [`head`]: the head and its versioned file, bound to the backbone's SHA-256;
//! - [`train`]: training any head from a seed; [`calibration`]: reliability bins and ECE.
//!
//! Everything is plain Rust in `f64`: one matrix, one normalisation and a logistic unit do not
//! need an autodiff or linear-algebra crate, and the tests check the gradients numerically.

mod adam;
pub mod calibration;
pub mod dataset;
pub mod features;
pub mod head;
pub mod linalg;
pub mod logistic;
pub mod pairs;
pub mod rng;
pub mod train;
pub mod triplet;

pub use head::{Head, HeadKind, OperatingPoint};
pub use train::{train_head, TrainOptions};

/// A unit enum from its serialised (kebab-case) name, for command-line parsing.
fn parse_name<T: serde::de::DeserializeOwned>(name: &str) -> crate::Result<T> {
    serde_json::from_value(serde_json::Value::String(name.into())).map_err(|e| crate::Error::InvalidArgument(e.to_string()))
}
