//! facegate: on-device face verification (1:1) and identification (1:K).
//!
//! Pixels walk one way: [`Frame`] → [`Detector`] (BlazeFace boxes and keypoints) →
//! [`Landmarker`] (FaceMesh points) → [`align()`] (similarity transform to the ArcFace 112x112
//! template) → [`Embedder`] (MobileFaceNet, or SFace from bytes: [`EmbedderModel`]; unit-length
//! [`Embedding`]) → [`Gallery`] (verify, identify). [`Pipeline`] ties the steps together; every
//! model but SFace is compiled into the library.
//!
//! The decision half: a [`Gallery`] keeps [`Enrollment`]s in a [`Store`] (memory, a gallery
//! file, or IndexedDB in the browser) and answers both questions by one [`Rule`] — by default
//! the bundled [`Head`], a logistic unit on χ² features that gives a calibrated probability.
//! Store methods are `async` (IndexedDB is); natively any executor drives them.
//!
//! ```no_run
//! use facegate::{Frame, Gallery, MemoryStore, Pipeline, Rule, Selection};
//! use pollster::block_on;
//!
//! # fn main() -> facegate::Result<()> {
//! let pipeline = Pipeline::new()?;
//! let enroll = Frame::decode(&std::fs::read("alice.jpg").unwrap())?;
//! let probe = Frame::decode(&std::fs::read("someone.jpg").unwrap())?;
//!
//! let gallery = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), Rule::bundled()?)?;
//! block_on(gallery.enroll("alice", vec![pipeline.describe(&enroll, Selection::Single)?.embedding]))?;
//! let answer = block_on(gallery.verify("alice", &pipeline.describe(&probe, Selection::Single)?.embedding))?;
//! println!("same person: {} (p = {:?}, threshold {:.3})", answer.is_match, answer.probability, answer.threshold);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

/// docs/library.md, whose example is compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
pub struct LibraryDocs;

pub mod align;
pub mod attempts;
pub mod detect;
pub mod embed;
pub mod error;
pub mod eval;
pub mod eyes;
pub mod far;
pub mod frame;
pub mod gallery;
pub mod geometry;
pub mod head;
pub mod landmarks;
pub mod liveness;
// Training: feature `learn`, native only (the wasm build never compiles it).
#[cfg(all(feature = "learn", not(target_arch = "wasm32")))]
pub mod learn;
pub mod model;
pub mod pipeline;
pub mod profile;
pub mod rule;
pub mod store;
pub mod template;

pub use align::{align, AlignedFace};
pub use attempts::{AttemptKey, Attempts, Lockout};
pub use detect::{Detector, DetectorOptions, Face};
pub use embed::{Embedder, EmbedderModel, Embedding, Probe};
pub use error::{Error, ErrorCode, Result};
pub use eyes::Eyes;
pub use far::{Acceptance, FarTable, IdentifyOptions};
pub use frame::{Frame, PixelFormat};
pub use gallery::{Clock, Gallery, ImportMode, Limits, LiveIdentification, LiveVerification};
pub use geometry::{Point, Rect, Similarity};
pub use head::{Head, HeadKind};
pub use landmarks::{FivePoints, LandmarkSource, Landmarker, Mesh, Point3, READ_POINTS};
pub use pipeline::{Described, Pipeline, PipelineOptions, Selection};
pub use rule::{Candidate, QuickMargin, Rule, Threshold, Verification};
#[cfg(not(target_arch = "wasm32"))]
pub use store::FileStore;
pub use store::{Damaged, Loaded, MemoryStore, Store};
pub use template::Enrollment;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub mod web;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub use web::{Camera, FaceVerifier, IndexedDbStore};
