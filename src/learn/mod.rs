//! Learning on top of the frozen backbone: a projection trained with the triplet loss and hard
//! example mining, and logistic pair heads that turn two embeddings into `p(same person)`.
//!
//! - [`dataset`]: embeddings of a labelled folder, their cache file, the per-identity view;
//! - [`triplet`]: the projection, batch-hard and semi-hard mining, the loss and its
//!   hand-written gradient, training with Adam;
//! - [`logistic`]: L2-regularised logistic regression on the pair features φ(f1, f2) of
//!   [`crate::head::Features`] by Newton's method (also Platt scaling);
//! - [`pairs`]: balanced same/different training pairs;
//! - [`train`]: training any [`crate::head::Head`] from a seed; [`calibration`]: reliability bins and ECE.
//!
//! Everything is plain Rust in `f64`: one matrix, one normalisation and a logistic unit do not
//! need an autodiff or linear-algebra crate, and the tests check the gradients numerically.
//! Random choices come from `rand_pcg`'s PCG generator seeded from the options, so training is
//! reproducible on every platform.

mod adam;
pub mod calibration;
pub mod dataset;
mod linalg;
pub mod logistic;
pub mod pairs;
pub mod train;
pub mod triplet;

pub use train::{train_head, TrainOptions};
