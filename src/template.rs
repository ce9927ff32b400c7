//! The one enrollment type and its versioned formats: an [`Enrollment`] is what every store
//! keeps (the IndexedDB record and each entry of the gallery file are the same serialisation),
//! and a gallery file / export is a list of them. Every enrollment records the SHA-256 of the
//! embedding model that made it, so templates of another model are refused, never compared.

use crate::embed::Embedding;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Value of a gallery file's `format` field.
pub const GALLERY_FORMAT: &str = "facegate-gallery";
/// The gallery file version this build writes (it also reads version 1).
pub const GALLERY_VERSION: u32 = 2;
/// Version of one enrollment record (its `format` field).
pub const RECORD_VERSION: u32 = 1;
/// Longest id accepted, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// One enrolled person: every shot given at enrollment (embeddings only, never images), the
/// model that made them, and when. Always valid: a non-empty id, at least one shot, shots of
/// one length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Record", into = "Record")]
pub struct Enrollment {
    id: String,
    model_sha256: String,
    shots: Vec<Embedding>,
    created_at: f64,
    updated_at: f64,
}

/// The serialised layout (camelCase keys, `format` = [`RECORD_VERSION`]); the same bytes in
/// IndexedDB and in gallery files.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Record {
    format: u32,
    id: String,
    model_sha256: String,
    shots: Vec<Embedding>,
    created_at: f64,
    updated_at: f64,
}

/// Refuses empty (`INVALID_ARGUMENT`) or overlong (`LIMIT`) ids; the gallery checks before any
/// work is done.
pub(crate) fn check_id(id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::InvalidArgument("an identity needs a non-empty id".into()));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(Error::Limit(format!("an id has at most {MAX_ID_BYTES} bytes, not {}", id.len())));
    }
    Ok(())
}

impl Enrollment {
    /// A new enrollment of `id` made by the model `model_sha256` at `now` (ms since the epoch).
    pub fn new(id: &str, model_sha256: &str, shots: Vec<Embedding>, now: f64) -> Result<Self> {
        Enrollment { id: id.into(), model_sha256: model_sha256.into(), shots, created_at: now, updated_at: now }
            .checked()
    }

    fn checked(self) -> Result<Self> {
        check_id(&self.id)?;
        if self.model_sha256.is_empty() {
            return Err(Error::InvalidArgument(format!("{:?}: no model SHA-256", self.id)));
        }
        let Some(dim) = self.shots.first().map(|s| s.as_slice().len()) else {
            return Err(Error::InvalidArgument(format!("{:?}: an enrollment needs at least one shot", self.id)));
        };
        if self.shots.iter().any(|s| s.as_slice().len() != dim) {
            return Err(Error::InvalidArgument(format!("{:?}: every shot must have {dim} values", self.id)));
        }
        // Each shot is finite and of unit length (see `Embedding`); their mean must have a
        // direction too, or the template could not be compared with anything.
        if self.template().is_err() {
            return Err(Error::InvalidArgument(format!("{:?}: the shots cancel out (no mean direction)", self.id)));
        }
        if !(self.created_at.is_finite() && self.updated_at.is_finite()) {
            return Err(Error::InvalidArgument(format!("{:?}: timestamps must be finite", self.id)));
        }
        Ok(self)
    }

    /// The same enrollment with more shots (of the same length), updated at `now`.
    pub fn with_shots(mut self, shots: impl IntoIterator<Item = Embedding>, now: f64) -> Result<Self> {
        self.shots.extend(shots);
        self.updated_at = now;
        self.checked()
    }

    /// The enrolled id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// SHA-256 of the embedding model that made the shots.
    pub fn model_sha256(&self) -> &str {
        &self.model_sha256
    }

    /// The shots, oldest first.
    pub fn shots(&self) -> &[Embedding] {
        &self.shots
    }

    /// Length of each shot.
    pub fn dim(&self) -> usize {
        self.shots[0].as_slice().len()
    }

    /// Creation time, ms since the epoch (0 for enrollments read from version 1 files).
    pub fn created_at(&self) -> f64 {
        self.created_at
    }

    /// Time of the last added shot, ms since the epoch.
    pub fn updated_at(&self) -> f64 {
        self.updated_at
    }

    /// The template compared with probes: the normalised mean of the shots.
    pub fn template(&self) -> Result<Embedding> {
        Embedding::mean(&self.shots)
    }

    /// Refuses enrollments whose shots do not have `dim` values (the embedding model's length)
    /// or are more than `max_shots` (`INVALID_TEMPLATE`: such a record was not made by this
    /// gallery, and is never compared).
    pub fn check_shape(&self, dim: Option<usize>, max_shots: usize) -> Result<()> {
        if let Some(dim) = dim.filter(|&d| d != self.dim()) {
            return Err(Error::InvalidTemplate(format!(
                "{:?}: its embeddings have {} values, this model's {dim}",
                self.id,
                self.dim()
            )));
        }
        if self.shots.len() > max_shots {
            return Err(Error::InvalidTemplate(format!(
                "{:?}: {} shots, more than the maximum of {max_shots}",
                self.id,
                self.shots.len()
            )));
        }
        Ok(())
    }

    /// Refuses enrollments made by another model than `model_sha256` (`MODEL_MISMATCH`).
    pub fn check_model(&self, model_sha256: &str) -> Result<()> {
        if self.model_sha256 != model_sha256 {
            return Err(Error::ModelMismatch { expected: model_sha256.into(), found: self.model_sha256.clone() });
        }
        Ok(())
    }
}

impl TryFrom<Record> for Enrollment {
    type Error = Error;
    fn try_from(r: Record) -> Result<Self> {
        if r.format != RECORD_VERSION {
            return Err(Error::InvalidTemplate(format!(
                "record format {} is not supported (this build reads {RECORD_VERSION})",
                r.format
            )));
        }
        let e = Enrollment {
            id: r.id,
            model_sha256: r.model_sha256,
            shots: r.shots,
            created_at: r.created_at,
            updated_at: r.updated_at,
        };
        e.checked().map_err(|e| Error::InvalidTemplate(e.to_string()))
    }
}

impl From<Enrollment> for Record {
    fn from(e: Enrollment) -> Self {
        Record {
            format: RECORD_VERSION,
            id: e.id,
            model_sha256: e.model_sha256,
            shots: e.shots,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GalleryFile {
    format: String,
    version: u32,
    enrollments: Vec<Enrollment>,
}

/// Version 1 of the gallery file (before enrollments had their own record).
#[derive(Deserialize)]
struct GalleryFileV1 {
    model_sha256: String,
    dim: usize,
    identities: BTreeMap<String, IdentityV1>,
}

#[derive(Deserialize)]
struct IdentityV1 {
    shots: Vec<Embedding>,
}

#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
}

/// Serialises enrollments as a gallery file / export (JSON, UTF-8).
pub fn to_bytes(enrollments: &[Enrollment]) -> Vec<u8> {
    let file =
        GalleryFile { format: GALLERY_FORMAT.into(), version: GALLERY_VERSION, enrollments: enrollments.to_vec() };
    // Strings, integers and finite floats always serialise.
    serde_json::to_vec(&file).unwrap_or_default()
}

/// Reads a gallery file / export (version 2, or version 1 as written by earlier builds):
/// `INVALID_TEMPLATE` for anything damaged, duplicated ids, or another format. Enrollments
/// of other models are returned as they are; the gallery refuses them.
pub fn from_bytes(bytes: &[u8]) -> Result<Vec<Enrollment>> {
    let bad = |e: &dyn std::fmt::Display| Error::InvalidTemplate(format!("gallery file: {e}"));
    let header: Header = serde_json::from_slice(bytes).map_err(|e| bad(&e))?;
    if header.format != GALLERY_FORMAT {
        return Err(bad(&format!("format {:?} is not {GALLERY_FORMAT:?}", header.format)));
    }
    let enrollments = match header.version {
        1 => {
            let v1: GalleryFileV1 = serde_json::from_slice(bytes).map_err(|e| bad(&e))?;
            let to_enrollment = |(id, identity): (String, IdentityV1)| {
                if identity.shots.iter().any(|s| s.as_slice().len() != v1.dim) {
                    return Err(bad(&format!("{id:?} has embeddings not of length {}", v1.dim)));
                }
                Enrollment::new(&id, &v1.model_sha256, identity.shots, 0.0).map_err(|e| bad(&e))
            };
            v1.identities.into_iter().map(to_enrollment).collect::<Result<Vec<_>>>()?
        }
        GALLERY_VERSION => serde_json::from_slice::<GalleryFile>(bytes).map_err(|e| bad(&e))?.enrollments,
        v => return Err(bad(&format!("version {v} is not supported (this build reads 1 and {GALLERY_VERSION})"))),
    };
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = enrollments.iter().find(|e| !seen.insert(e.id())) {
        return Err(bad(&format!("{:?} appears twice", dup.id())));
    }
    Ok(enrollments)
}

/// Whole milliseconds since the Unix epoch, from the platform's clock.
pub(crate) fn now_ms() -> f64 {
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    return js_sys::Date::now().floor();
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    return std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_millis() as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(v: &[f32]) -> Embedding {
        Embedding::new(v.to_vec()).unwrap()
    }

    fn sample() -> Vec<Enrollment> {
        vec![
            Enrollment::new("alice", "aa11", vec![e(&[1.0, 2.0, 3.0])], 5.0).unwrap(),
            Enrollment::new("bob", "aa11", vec![e(&[0.0, 1.0, 0.0]), e(&[0.0, 1.0, 1.0])], 7.0).unwrap(),
        ]
    }

    #[test]
    fn round_trip_keeps_everything_bit_exact() {
        let all = sample();
        assert_eq!(from_bytes(&to_bytes(&all)).unwrap(), all);
        let record = serde_json::to_value(&all[1]).unwrap();
        assert_eq!(record["format"], 1);
        assert_eq!(record["modelSha256"], "aa11");
        assert_eq!(record["createdAt"], 7.0);
    }

    #[test]
    fn floats_survive_the_file_bit_for_bit() {
        // serde_json parses floats exactly only with its `float_roundtrip` feature; without it
        // some values came back one ULP off (a stored record then differed from what was written).
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let all: Vec<Enrollment> = (0..200)
            .map(|i| {
                let shot: Vec<f32> = (0..192).map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5).collect();
                let when = 1.7e12 + (next() >> 11) as f64 / (1u64 << 53) as f64 * 1e9;
                Enrollment::new(&format!("p{i}"), "aa11", vec![Embedding::new(shot).unwrap()], when).unwrap()
            })
            .collect();
        assert_eq!(from_bytes(&to_bytes(&all)).unwrap(), all);
    }

    #[test]
    fn reads_version_1_files() {
        let v1 = r#"{"format":"facegate-gallery","version":1,"model_sha256":"aa11","dim":2,"threshold":0.432,
            "identities":{"carol":{"shots":[[0.6,0.8]]}}}"#;
        let read = from_bytes(v1.as_bytes()).unwrap();
        assert_eq!((read[0].id(), read[0].model_sha256(), read[0].shots().len()), ("carol", "aa11", 1));
    }

    #[test]
    fn damaged_files_and_records_are_refused() {
        let good = String::from_utf8(to_bytes(&sample())).unwrap();
        assert!(good.contains(&serde_json::to_string(&e(&[0.0, 1.0, 1.0])).unwrap()));
        let cases = [
            String::new(),
            good[..good.len() / 2].to_string(),
            good.replace(GALLERY_FORMAT, "something-else"),
            good.replace("\"version\":2", "\"version\":99"),
            good.replace("\"format\":1", "\"format\":7"),
            good.replace("[0.0,1.0,0.0]", "[0.0,0.0,0.0]"),
            good.replace("[0.0,1.0,0.0]", "[0.0,1.0]"),
            good.replace("\"alice\"", "\"bob\""),
            good.replace("\"alice\"", "\"  \""),
            good.replace("\"createdAt\"", "\"extra\":1,\"createdAt\""),
            // Not unit length, not finite, shots of two lengths, shots that cancel out.
            good.replace("[0.0,1.0,0.0]", "[0.0,2.0,0.0]"),
            good.replace("[0.0,1.0,0.0]", "[0.0,1.0,NaN]"),
            good.replace("[0.0,1.0,0.0]", "[0.0,1.0,1e999]"),
            good.replace("[0.0,1.0,0.0]", "[0.0,1.0,0.0,0.0]"),
            good.replace("[0.0,1.0,0.0]", &serde_json::to_string(&e(&[0.0, 1.0, 1.0])).unwrap().replace("0.7", "-0.7")),
            good.replace("\"alice\"", &format!("\"{}\"", "x".repeat(MAX_ID_BYTES + 1))),
        ];
        for bad in cases {
            assert!(matches!(from_bytes(bad.as_bytes()), Err(Error::InvalidTemplate(_))), "{bad}");
        }
    }

    #[test]
    fn enrollments_are_always_valid() {
        assert!(Enrollment::new("", "aa", vec![e(&[1.0])], 0.0).is_err());
        assert!(Enrollment::new(&"x".repeat(MAX_ID_BYTES + 1), "aa", vec![e(&[1.0])], 0.0).is_err());
        assert!(Enrollment::new("a", "aa", vec![], 0.0).is_err());
        assert!(Enrollment::new("a", "", vec![e(&[1.0])], 0.0).is_err());
        let one = Enrollment::new("a", "aa", vec![e(&[1.0, 0.0])], 1.0).unwrap();
        assert!(one.clone().with_shots([e(&[1.0])], 2.0).is_err());
        let two = one.with_shots([e(&[0.0, 1.0])], 2.0).unwrap();
        assert_eq!((two.shots().len(), two.created_at(), two.updated_at()), (2, 1.0, 2.0));
        assert!(matches!(two.check_model("bb"), Err(Error::ModelMismatch { .. })));
        let opposite =
            Enrollment::new("a", "aa", vec![e(&[1.0, 0.0])], 1.0).unwrap().with_shots([e(&[-1.0, 0.0])], 2.0);
        assert!(opposite.is_err(), "shots that cancel out have no template");
        assert!(two.check_shape(Some(2), 2).is_ok() && two.check_shape(None, 2).is_ok());
        for (dim, max_shots) in [(Some(3), 2), (Some(1), 2), (Some(2), 1)] {
            assert!(matches!(two.check_shape(dim, max_shots), Err(Error::InvalidTemplate(_))), "{dim:?} {max_shots}");
        }
    }
}
