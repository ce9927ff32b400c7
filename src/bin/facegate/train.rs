//! `facegate train-head`: embed a labelled folder (cached on disk) and train a head on it.

use crate::cli::CliError;
use crate::parallel::embed_all;
use clap::Args;
use facegate::learn::dataset::{FaceImage, FaceSet};
use facegate::model::sha256_hex;
use facegate::Pipeline;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where the embeddings of a labelled folder come from.
#[derive(Args, Clone)]
pub struct DataArgs {
    /// Embedding cache file (default: target/facegate-cache/<folder>-<key>.emb).
    #[arg(long, env = "FACEGATE_CACHE")]
    cache: Option<PathBuf>,
    /// Worker threads for embedding (default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Args)]
pub struct TrainArgs {
    /// Labelled face folder: DIR/PERSON/*.jpg (e.g. LFW).
    #[arg(long, env = "FACEGATE_DATA", default_value = "../shared/datasets/lfw")]
    data: PathBuf,
    #[command(flatten)]
    source: DataArgs,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::Io(format!("{}: {e}", path.display()))
}

/// Every `DIR/PERSON/*.{jpg,jpeg,png}`, sorted, as (person, file) pairs.
fn list(dir: &Path) -> Result<Vec<(String, String)>, CliError> {
    let names = |d: &Path| -> Result<Vec<(String, bool)>, CliError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(d).map_err(io(d))? {
            let entry = entry.map_err(io(d))?;
            let is_dir = entry.file_type().map_err(io(d))?.is_dir();
            out.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
        }
        out.sort();
        Ok(out)
    };
    let mut images = Vec::new();
    for (person, is_dir) in names(dir)? {
        if !is_dir {
            continue;
        }
        for (file, is_dir) in names(&dir.join(&person))? {
            let ext = file.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            if !is_dir && ["jpg", "jpeg", "png"].contains(&ext.as_str()) {
                images.push((person.clone(), file));
            }
        }
    }
    if images.is_empty() {
        return Err(CliError::Io(format!("{}: no DIR/PERSON/*.jpg images", dir.display())));
    }
    Ok(images)
}

/// The embeddings of every image of `dir` with the bundled pipeline (largest face), read from
/// the cache where it has them; the others are embedded and the cache rewritten.
pub fn load_faces(dir: &Path, args: &DataArgs) -> Result<FaceSet, CliError> {
    let pipeline = Pipeline::new()?;
    let o = pipeline.options();
    let key = format!("{}; min_face {}; landmarks {:?}; flip {}; largest face", pipeline.model_sha256(), o.min_face, o.landmarks, o.flip);
    let cache = args.cache.clone().unwrap_or_else(|| {
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        let name = dir.file_name().map_or("data".into(), |n| n.to_string_lossy().into_owned());
        let tag = &sha256_hex(format!("{key}\n{}", dir.display()).as_bytes())[..12];
        PathBuf::from("target/facegate-cache").join(format!("{name}-{tag}.emb"))
    });
    let cached = match std::fs::read(&cache) {
        Ok(bytes) => FaceSet::from_bytes(&bytes, &key).map_err(|e| eprintln!("ignoring the cache {}: {e}", cache.display())).ok(),
        Err(_) => None,
    };
    let known: BTreeMap<(&str, &str), &FaceImage> =
        cached.iter().flat_map(|c| &c.images).map(|i| ((i.person.as_str(), i.file.as_str()), i)).collect();
    let listed = list(dir)?;
    let missing: Vec<&(String, String)> = listed.iter().filter(|(p, f)| !known.contains_key(&(p.as_str(), f.as_str()))).collect();
    let mut fresh = BTreeMap::new();
    if !missing.is_empty() {
        let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
        eprintln!("embedding {} of {} images on {threads} thread(s)", missing.len(), listed.len());
        let started = Instant::now();
        let paths: Vec<PathBuf> = missing.iter().map(|(p, f)| dir.join(p).join(f)).collect();
        let outcomes = embed_all(&pipeline, &paths, threads)?;
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
        if let Some(parent) = cache.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let tmp = cache.with_extension("tmp");
        std::fs::write(&tmp, set.to_bytes()).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &cache).map_err(io(&cache))?;
        eprintln!("cached {} embeddings in {}", set.images.len(), cache.display());
    }
    Ok(set)
}

pub fn run(args: TrainArgs) -> Result<(), CliError> {
    let set = load_faces(&args.data, &args.source)?;
    eprintln!("{} images, {} without a face", set.images.len(), set.no_face());
    Ok(())
}
