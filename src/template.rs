//! The versioned, self-describing file format of a [`Gallery`], bound to the embedding model's
//! SHA-256 so templates of another model are refused instead of silently compared.

use crate::embed::Embedding;
use crate::error::{Error, Result};
use crate::gallery::{Gallery, Identity, Threshold};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Value of the `format` field.
pub const FORMAT: &str = "facegate-gallery";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct GalleryFile {
    format: String,
    version: u32,
    model_sha256: String,
    dim: usize,
    threshold: f32,
    identities: BTreeMap<String, Identity>,
}

impl Gallery {
    /// The gallery as JSON: format name, version, model SHA-256, embedding length, threshold
    /// and every identity's shots (embeddings only, never images).
    pub fn to_json(&self) -> String {
        let dim = self.identities.values().flat_map(|i| i.shots().first()).map(|e| e.as_slice().len()).next();
        let file = GalleryFile {
            format: FORMAT.into(),
            version: VERSION,
            model_sha256: self.model_sha256.clone(),
            dim: dim.unwrap_or(0),
            threshold: self.threshold.cosine,
            identities: self.identities.clone(),
        };
        // Serialising plain strings, numbers and finite floats cannot fail.
        serde_json::to_string(&file).unwrap_or_default()
    }

    /// Reads a gallery written by [`Gallery::to_json`], refusing other formats, versions and
    /// galleries made with a model other than `model_sha256`.
    pub fn from_json(json: &str, model_sha256: &str) -> Result<Gallery> {
        let file: GalleryFile = serde_json::from_str(json).map_err(|e| Error::InvalidTemplate(e.to_string()))?;
        if file.format != FORMAT {
            return Err(Error::InvalidTemplate(format!("format {:?} is not {FORMAT:?}", file.format)));
        }
        if file.version != VERSION {
            return Err(Error::InvalidTemplate(format!("version {} is not supported (this build reads {VERSION})", file.version)));
        }
        if file.model_sha256 != model_sha256 {
            return Err(Error::ModelMismatch { expected: model_sha256.into(), found: file.model_sha256 });
        }
        let threshold = if file.threshold == Threshold::DEFAULT.cosine {
            Threshold::DEFAULT
        } else {
            Threshold::custom(file.threshold).map_err(|e| Error::InvalidTemplate(e.to_string()))?
        };
        let mut gallery = Gallery::new(file.model_sha256, threshold);
        for (id, identity) in file.identities {
            let shots: Vec<Embedding> = identity.shots().to_vec();
            if shots.iter().any(|s| s.as_slice().len() != file.dim) {
                return Err(Error::InvalidTemplate(format!("{id:?} has embeddings not of length {}", file.dim)));
            }
            gallery.enroll(&id, shots).map_err(|e| Error::InvalidTemplate(e.to_string()))?;
        }
        Ok(gallery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Gallery {
        let mut g = Gallery::new("aa11", Threshold::DEFAULT);
        g.enroll("alice", [Embedding::new(vec![1.0, 2.0, 3.0]).unwrap()]).unwrap();
        g.enroll("bob", [Embedding::new(vec![0.0, 1.0, 0.0]).unwrap(), Embedding::new(vec![0.0, 1.0, 1.0]).unwrap()])
            .unwrap();
        g
    }

    #[test]
    fn round_trip_keeps_everything() {
        let g = sample();
        assert_eq!(Gallery::from_json(&g.to_json(), "aa11").unwrap(), g);
        let mut custom = g.clone();
        custom.set_threshold(Threshold::custom(0.42).unwrap());
        assert_eq!(Gallery::from_json(&custom.to_json(), "aa11").unwrap().threshold().cosine, 0.42);
    }

    #[test]
    fn another_model_is_refused() {
        let err = Gallery::from_json(&sample().to_json(), "bb22").unwrap_err();
        assert!(matches!(err, Error::ModelMismatch { ref expected, ref found } if expected == "bb22" && found == "aa11"));
    }

    #[test]
    fn damaged_files_are_refused() {
        let good = sample().to_json();
        let cases = [
            String::new(),
            good[..good.len() / 2].to_string(),
            good.replace(FORMAT, "something-else"),
            good.replace("\"version\":1", "\"version\":99"),
            good.replace("\"dim\":3", "\"dim\":4"),
            good.replace("[0.0,1.0,0.0]", "[0.0,0.0,0.0]"),
        ];
        for bad in cases {
            assert!(matches!(Gallery::from_json(&bad, "aa11"), Err(Error::InvalidTemplate(_))), "{bad}");
        }
    }
}
