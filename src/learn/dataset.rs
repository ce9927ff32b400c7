//! Embeddings of a labelled face folder (`DIR/PERSON/*.jpg`), their on-disk cache format, and
//! the per-identity view the trainers work on.

use crate::embed::Embedding;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Value of the cache's `format` field.
pub const CACHE_FORMAT: &str = "facegate-embeddings";
/// The cache version this build writes and reads.
pub const CACHE_VERSION: u32 = 1;

/// One image of a labelled folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceImage {
    /// Folder name: the identity.
    pub person: String,
    /// File name inside the person's folder.
    pub file: String,
    /// Its embedding; `None` when the pipeline found no face.
    #[serde(skip)]
    pub embedding: Option<Embedding>,
}

/// Every image of a labelled folder with its embedding, and what made the embeddings.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceSet {
    /// Backbone SHA-256 and pipeline options that produced the embeddings; a cache written with
    /// another key is refused.
    pub key: String,
    /// The images, in the order they were listed.
    pub images: Vec<FaceImage>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    key: String,
    dim: usize,
    /// Which images have an embedding in the body, in order.
    faces: Vec<bool>,
    images: Vec<FaceImage>,
}

impl FaceSet {
    /// The cache file: one line of JSON (format, version, key, embedding length, image list),
    /// then the embeddings of the images with a face as little-endian `f32`, bit-exact.
    pub fn to_bytes(&self) -> Vec<u8> {
        let faces: Vec<&Embedding> = self.images.iter().filter_map(|i| i.embedding.as_ref()).collect();
        let header = Header {
            format: CACHE_FORMAT.into(),
            version: CACHE_VERSION,
            key: self.key.clone(),
            dim: faces.first().map_or(0, |e| e.as_slice().len()),
            faces: self.images.iter().map(|i| i.embedding.is_some()).collect(),
            images: self.images.clone(),
        };
        // Plain strings, numbers and booleans always serialise; compact JSON has no raw newline.
        let mut out = serde_json::to_vec(&header).unwrap_or_default();
        out.push(b'\n');
        out.extend(faces.iter().flat_map(|e| e.as_slice()).flat_map(|v| v.to_le_bytes()));
        out
    }

    /// Reads [`FaceSet::to_bytes`]; refuses other formats, versions and damaged files
    /// (`InvalidTemplate`) and caches made with another `key` (`ModelMismatch`).
    pub fn from_bytes(bytes: &[u8], key: &str) -> Result<FaceSet> {
        let bad = |what: String| Error::InvalidTemplate(format!("embedding cache: {what}"));
        let split = bytes.iter().position(|&b| b == b'\n').ok_or_else(|| bad("no header line".into()))?;
        let header: Header = serde_json::from_slice(&bytes[..split]).map_err(|e| bad(e.to_string()))?;
        if header.format != CACHE_FORMAT || header.version != CACHE_VERSION {
            return Err(bad(format!(
                "{} version {} is not {CACHE_FORMAT} version {CACHE_VERSION}",
                header.format, header.version
            )));
        }
        if header.key != key {
            return Err(Error::ModelMismatch { expected: key.into(), found: header.key });
        }
        let count = header.faces.iter().filter(|&&f| f).count();
        let body = &bytes[split + 1..];
        if header.faces.len() != header.images.len()
            || body.len() != count * header.dim * 4
            || (count > 0 && header.dim == 0)
        {
            return Err(bad("the body does not match the header".into()));
        }
        let values: Vec<f32> = body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        let mut vectors = values.chunks_exact(header.dim.max(1));
        let mut images = header.images;
        for (image, face) in images.iter_mut().zip(header.faces) {
            if face {
                let v = vectors.next().ok_or_else(|| bad("too few embeddings".into()))?;
                image.embedding = Some(Embedding::try_from(v.to_vec()).map_err(|e| bad(e.to_string()))?);
            }
        }
        Ok(FaceSet { key: header.key, images })
    }

    /// Images without a face.
    pub fn no_face(&self) -> usize {
        self.images.iter().filter(|i| i.embedding.is_none()).count()
    }
}

/// Embeddings grouped by identity, as the trainers use them: row-major `f64` vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// Embedding length.
    pub dim: usize,
    /// Identity names; `labels` index into it.
    pub people: Vec<String>,
    /// Identity of each vector.
    pub labels: Vec<usize>,
    /// `labels.len() × dim` values.
    pub vectors: Vec<f64>,
}

impl Labelled {
    /// The identities of `set` that have at least `min_images` embedded images and are not in
    /// `exclude`.
    pub fn from_set(set: &FaceSet, min_images: usize, exclude: &BTreeSet<String>) -> Result<Labelled> {
        let mut by_person: BTreeMap<&str, Vec<&Embedding>> = BTreeMap::new();
        for image in &set.images {
            if let (Some(e), false) = (&image.embedding, exclude.contains(&image.person)) {
                by_person.entry(&image.person).or_default().push(e);
            }
        }
        by_person.retain(|_, shots| shots.len() >= min_images.max(1));
        let mut out = Labelled { dim: 0, people: Vec::new(), labels: Vec::new(), vectors: Vec::new() };
        for (person, shots) in by_person {
            for e in shots {
                out.push(out.people.len(), e.as_slice().iter().map(|&v| f64::from(v)).collect())?;
            }
            out.people.push(person.to_owned());
        }
        Ok(out)
    }

    /// Adds one vector of identity `label`; every vector must have the same length.
    pub fn push(&mut self, label: usize, vector: Vec<f64>) -> Result<()> {
        if self.labels.is_empty() {
            self.dim = vector.len();
        }
        if vector.is_empty() || vector.len() != self.dim {
            return Err(Error::InvalidArgument(format!(
                "expected a vector of {} values, got {}",
                self.dim,
                vector.len()
            )));
        }
        self.labels.push(label);
        self.vectors.extend(vector);
        Ok(())
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` without vectors.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Vector `i`.
    pub fn vector(&self, i: usize) -> &[f64] {
        &self.vectors[i * self.dim..(i + 1) * self.dim]
    }

    /// Indices of the vectors of each label (labels without vectors are empty).
    pub fn by_label(&self) -> Vec<Vec<usize>> {
        let count = self.labels.iter().max().map_or(0, |m| m + 1).max(self.people.len());
        let mut groups = vec![Vec::new(); count];
        for (i, &l) in self.labels.iter().enumerate() {
            groups[l].push(i);
        }
        groups
    }
}
