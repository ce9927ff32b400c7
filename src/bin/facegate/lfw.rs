//! Labelled face folders (`DIR/PERSON/*.jpg`, e.g. LFW) and LFW's pairs.txt: listing the
//! images, embedding them on every core, and caching the embeddings on disk.

use crate::images;
use crate::parallel::{map_indexed, progress, threads};
use anyhow::{bail, Context, Result};
use clap::Args;
use facegate::eval::{parse_pairs, LfwPair};
use facegate::learn::dataset::{FaceImage, FaceSet};
use facegate::model::{bundled, sha256_hex};
use facegate::{Embedding, Pipeline, Selection};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where the embeddings of a labelled folder come from.
#[derive(Args, Clone)]
pub struct DataArgs {
    /// Embedding cache file (default: target/facegate-cache/<folder>-<key>.emb).
    #[arg(long, env = "FACEGATE_CACHE")]
    cache: Option<PathBuf>,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

impl DataArgs {
    pub fn threads(&self) -> usize {
        threads(self.threads)
    }
}

/// What embedding one image gave: the embedding (None: no face), and the milliseconds spent
/// from decoded frame to embedding.
pub type Outcome<T = Embedding> = (Option<T>, f64);

/// Embeds the `selection` face of each file on `threads` threads, in the order given; a file
/// that cannot be read or decoded stops the run.
pub fn embed_all(pipeline: &Pipeline, selection: Selection, paths: &[PathBuf], threads: usize) -> Result<Vec<Outcome>> {
    map_faces(paths, threads, |frame| Ok(pipeline.describe(frame, selection)?.embedding))
}

/// `face(frame)` for each file on `threads` threads, in the order given, timed; `None` where
/// it found no face (or only small ones). Any other error stops the run.
pub fn map_faces<T: Send>(
    paths: &[PathBuf],
    threads: usize,
    face: impl Fn(&facegate::Frame) -> facegate::Result<T> + Sync + Send,
) -> Result<Vec<Outcome<T>>> {
    map_indexed(paths.len(), threads, &progress(paths.len(), "images ({per_sec}, eta {eta})"), |i| {
        let path = &paths[i];
        let frame = images::decode(path)?;
        let start = Instant::now();
        let value = match face(&frame) {
            Ok(value) => Some(value),
            Err(facegate::Error::NoFace | facegate::Error::FaceTooSmall { .. }) => None,
            Err(e) => return Err(e).with_context(|| path.display().to_string()),
        };
        Ok((value, start.elapsed().as_secs_f64() * 1e3))
    })
}

/// The sorted entries of a folder: (name, is a folder or a link to one).
fn entries(dir: &Path) -> Result<Vec<(String, bool)>> {
    let at = || dir.display().to_string();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(at)? {
        let entry = entry.with_context(at)?;
        // Follows symbolic links: a person's folder may link elsewhere.
        let is_dir = entry.path().metadata().with_context(|| entry.path().display().to_string())?.is_dir();
        out.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
    }
    out.sort();
    Ok(out)
}

/// Every `DIR/PERSON/*.{jpg,jpeg,png}`, sorted, as (person, file) pairs.
pub fn list(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut images = Vec::new();
    for (person, is_dir) in entries(dir)? {
        if !is_dir {
            continue;
        }
        for (file, is_dir) in entries(&dir.join(&person))? {
            let ext = file.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            if !is_dir && ["jpg", "jpeg", "png"].contains(&ext.as_str()) {
                images.push((person.clone(), file));
            }
        }
    }
    if images.is_empty() {
        bail!("{}: no DIR/PERSON/*.jpg images", dir.display());
    }
    Ok(images)
}

/// The embeddings of every image of `dir` with `pipeline` (the `selection` face), read from the
/// cache where it has them; the others are embedded and the cache rewritten.
pub fn load_faces(pipeline: &Pipeline, selection: Selection, dir: &Path, args: &DataArgs) -> Result<FaceSet> {
    let o = pipeline.options();
    // The detector and FaceMesh place the crop, so their bytes are part of the key too.
    let key = format!(
        "{}; detector {}; facemesh {}; min_face {}; landmarks {:?}; flip {}; {selection:?} face",
        pipeline.model_sha256(),
        sha256_hex(bundled::BLAZEFACE_FRONT),
        sha256_hex(bundled::FACEMESH),
        o.min_face,
        o.landmarks,
        o.flip
    );
    let cache = args.cache.clone().unwrap_or_else(|| {
        let full = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        let tag = &sha256_hex(format!("{key}\n{}", full.display()).as_bytes())[..12];
        PathBuf::from("target/facegate-cache").join(format!("{}-{tag}.emb", folder_name(dir)))
    });
    let cached = match std::fs::read(&cache) {
        Ok(bytes) => {
            FaceSet::from_bytes(&bytes, &key).map_err(|e| eprintln!("ignoring the cache {}: {e}", cache.display())).ok()
        }
        Err(_) => None,
    };
    let known: BTreeMap<(&str, &str), &FaceImage> =
        cached.iter().flat_map(|c| &c.images).map(|i| ((i.person.as_str(), i.file.as_str()), i)).collect();
    let listed = list(dir)?;
    let missing: Vec<&(String, String)> =
        listed.iter().filter(|(p, f)| !known.contains_key(&(p.as_str(), f.as_str()))).collect();
    let mut fresh = BTreeMap::new();
    if !missing.is_empty() {
        let threads = args.threads();
        eprintln!("embedding {} of {} images on {threads} thread(s)", missing.len(), listed.len());
        let started = Instant::now();
        let paths: Vec<PathBuf> = missing.iter().map(|(p, f)| dir.join(p).join(f)).collect();
        let outcomes = embed_all(pipeline, selection, &paths, threads)?;
        eprintln!("embedded in {:.0} s", started.elapsed().as_secs_f64());
        fresh = missing.into_iter().zip(outcomes).map(|((p, f), o)| ((p.as_str(), f.as_str()), o.0)).collect();
    }
    let images = listed
        .iter()
        .map(|(person, file)| {
            let at = (person.as_str(), file.as_str());
            let embedding = fresh.remove(&at).unwrap_or_else(|| known.get(&at).and_then(|i| i.embedding.clone()));
            FaceImage { person: person.clone(), file: file.clone(), embedding }
        })
        .collect();
    let set = FaceSet { key, images };
    if cached.as_ref() != Some(&set) {
        write_cache(&cache, &set)?;
        eprintln!("cached {} embeddings in {}", set.images.len(), cache.display());
    }
    Ok(set)
}

/// Replaces the cache file atomically (write, then rename).
fn write_cache(cache: &Path, set: &FaceSet) -> Result<()> {
    if let Some(parent) = cache.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
    }
    let tmp = cache.with_extension("tmp");
    std::fs::write(&tmp, set.to_bytes()).with_context(|| tmp.display().to_string())?;
    std::fs::rename(&tmp, cache).with_context(|| cache.display().to_string())
}

/// LFW's pairs.txt.
pub fn read_pairs(path: &Path) -> Result<Vec<LfwPair>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    parse_pairs(&text).with_context(|| path.display().to_string())
}

/// How many folds the pairs have (their largest fold number, 1-based).
pub fn fold_count(pairs: &[LfwPair]) -> usize {
    pairs.iter().map(|p| p.fold + 1).max().unwrap_or(0)
}

/// Everyone in the pairs of `fold` (0-based).
pub fn fold_people(pairs: &[LfwPair], fold: usize) -> BTreeSet<String> {
    pairs.iter().filter(|p| p.fold == fold).flat_map(|p| [p.a.name.clone(), p.b.name.clone()]).collect()
}

/// The folder's name, for training summaries.
pub fn folder_name(dir: &Path) -> String {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    dir.file_name().map_or("data".into(), |n| n.to_string_lossy().into_owned())
}
