//! facegate: on-device face verification (1:1) and identification (1:K).
//!
//! Pixels walk one way: [`Frame`] → [`Detector`] (BlazeFace boxes and keypoints) →
//! [`Landmarker`] (FaceMesh points) → [`align()`] (similarity transform to the ArcFace 112x112
//! template) → [`Embedder`] (MobileFaceNet, unit-length [`Embedding`]) → [`Gallery`] (verify,
//! identify). [`Pipeline`] ties the steps together; every model is compiled into the library.
//!
//! ```no_run
//! use facegate::{Frame, Gallery, Pipeline, Selection, Threshold};
//!
//! # fn main() -> facegate::Result<()> {
//! let pipeline = Pipeline::new()?;
//! let enroll = Frame::decode(&std::fs::read("alice.jpg").unwrap())?;
//! let probe = Frame::decode(&std::fs::read("someone.jpg").unwrap())?;
//!
//! let mut gallery = Gallery::new(pipeline.model_sha256(), Threshold::DEFAULT);
//! gallery.enroll("alice", [pipeline.describe(&enroll, Selection::Single)?.embedding])?;
//! let answer = gallery.verify("alice", &pipeline.describe(&probe, Selection::Single)?.embedding)?;
//! println!("same person: {} (score {:.3}, threshold {:.3})", answer.is_match, answer.score, answer.threshold);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod align;
pub mod detect;
pub mod embed;
pub mod error;
pub mod eval;
pub mod frame;
pub mod gallery;
pub mod geometry;
pub mod landmarks;
pub mod learn;
pub mod model;
pub mod pipeline;
pub mod template;

pub use align::{align, AlignedFace};
pub use detect::{Detector, DetectorOptions, Face};
pub use embed::{Embedder, Embedding};
pub use error::{Error, ErrorCode, Result};
pub use frame::{Frame, PixelFormat};
pub use gallery::{Candidate, Gallery, Identity, Threshold, Verification};
pub use geometry::{Point, Rect, Similarity};
pub use landmarks::{FivePoints, LandmarkSource, Landmarker};
pub use pipeline::{Described, Pipeline, PipelineOptions, Selection};

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub mod web;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub use web::{Camera, FaceVerifier};
