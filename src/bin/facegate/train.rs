//! `facegate train-head`: embed a labelled folder (cached on disk) and train a head on it.

use crate::cli::CliError;
use crate::parallel::embed_all;
use clap::Args;
use facegate::eval::{parse_pairs, LfwPair};
use facegate::learn::dataset::{FaceImage, FaceSet, Labelled};
use facegate::learn::triplet::{Mining, TripletOptions};
use facegate::learn::{train_head, Head, HeadKind, TrainOptions};
use facegate::model::sha256_hex;
use facegate::Pipeline;
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
    pub threads: Option<usize>,
}

impl DataArgs {
    pub fn threads(&self) -> usize {
        self.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
    }
}

/// Training settings shared by train-head and report-heads.
#[derive(Args, Clone)]
pub struct HyperArgs {
    /// Seed of every random choice (batches, pairs).
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    seed: u64,
    /// Triplet: output length d' (at most the embedding length).
    #[arg(long, default_value_t = TripletOptions::default().out_dim)]
    dim: usize,
    /// Triplet: margin α.
    #[arg(long, default_value_t = TripletOptions::default().margin)]
    margin: f64,
    /// Triplet: batch-hard or semi-hard mining.
    #[arg(long, default_value = "batch-hard")]
    mining: Mining,
    /// Triplet: people per batch (P).
    #[arg(long, default_value_t = TripletOptions::default().people)]
    people_per_batch: usize,
    /// Triplet: images per person per batch (K).
    #[arg(long, default_value_t = TripletOptions::default().images)]
    images_per_person: usize,
    /// Triplet: passes over the people.
    #[arg(long, default_value_t = TripletOptions::default().epochs)]
    epochs: usize,
    /// Triplet: Adam learning rate.
    #[arg(long, default_value_t = TripletOptions::default().learning_rate)]
    learning_rate: f64,
    /// Logistic: L2 penalty λ.
    #[arg(long, default_value_t = TrainOptions::default().l2)]
    l2: f64,
    /// Logistic: same-person pairs per identity at most (as many impostor pairs are drawn).
    #[arg(long, default_value_t = TrainOptions::default().pairs_per_person)]
    pairs_per_person: usize,
    /// False accept rate the head's probability threshold is chosen for.
    #[arg(long, default_value_t = TrainOptions::default().far)]
    far: f64,
}

impl HyperArgs {
    pub fn options(&self, kind: HeadKind) -> TrainOptions {
        let triplet = TripletOptions {
            out_dim: self.dim,
            margin: self.margin,
            mining: self.mining,
            people: self.people_per_batch,
            images: self.images_per_person,
            epochs: self.epochs,
            learning_rate: self.learning_rate,
        };
        let (l2, pairs_per_person, far, seed) = (self.l2, self.pairs_per_person, self.far, self.seed);
        TrainOptions { kind, seed, triplet, l2, pairs_per_person, far, ..TrainOptions::default() }
    }
}

#[derive(Args)]
pub struct TrainArgs {
    /// Labelled face folder: DIR/PERSON/*.jpg (e.g. LFW).
    #[arg(long, env = "FACEGATE_DATA", default_value = "../shared/datasets/lfw")]
    data: PathBuf,
    /// triplet, logistic-l1, logistic-chi2 or platt.
    #[arg(long, default_value = "logistic-chi2")]
    kind: HeadKind,
    /// Where to write the head file.
    #[arg(long, default_value = "head.json")]
    out: PathBuf,
    /// Leave out every person of this LFW fold's pairs (1-based), to test on that fold.
    #[arg(long)]
    exclude_fold: Option<usize>,
    /// pairs.txt for --exclude-fold (default: DATA/pairs.txt).
    #[arg(long)]
    pairs: Option<PathBuf>,
    #[command(flatten)]
    source: DataArgs,
    #[command(flatten)]
    hyper: HyperArgs,
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
pub fn load_faces(pipeline: &Pipeline, dir: &Path, args: &DataArgs) -> Result<FaceSet, CliError> {
    let o = pipeline.options();
    let key = format!("{}; min_face {}; landmarks {:?}; flip {}; largest face", pipeline.model_sha256(), o.min_face, o.landmarks, o.flip);
    let cache = args.cache.clone().unwrap_or_else(|| {
        let full = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        let tag = &sha256_hex(format!("{key}\n{}", full.display()).as_bytes())[..12];
        PathBuf::from("target/facegate-cache").join(format!("{}-{tag}.emb", folder_name(dir)))
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
        let threads = args.threads();
        eprintln!("embedding {} of {} images on {threads} thread(s)", missing.len(), listed.len());
        let started = Instant::now();
        let paths: Vec<PathBuf> = missing.iter().map(|(p, f)| dir.join(p).join(f)).collect();
        let outcomes = embed_all(pipeline, &paths, threads)?;
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

/// A head file, which must belong to the backbone with SHA-256 `sha`.
pub fn read_head(path: &Path, sha: &str) -> Result<Head, CliError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    Head::from_json(&text, sha).map_err(|e| CliError::Face(e, Some(path.to_owned())))
}

/// LFW's pairs.txt.
pub fn read_pairs(path: &Path) -> Result<Vec<LfwPair>, CliError> {
    Ok(parse_pairs(&std::fs::read_to_string(path).map_err(io(path))?)?)
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

pub fn run(args: TrainArgs) -> Result<(), CliError> {
    let pipeline = Pipeline::new()?;
    let set = load_faces(&pipeline, &args.data, &args.source)?;
    let mut description = format!("{}: identities with ≥ 2 images", folder_name(&args.data));
    let mut exclude = BTreeSet::new();
    if let Some(fold) = args.exclude_fold {
        let pairs = read_pairs(&args.pairs.clone().unwrap_or_else(|| args.data.join("pairs.txt")))?;
        let folds = pairs.iter().map(|p| p.fold + 1).max().unwrap_or(0);
        if !(1..=folds).contains(&fold) {
            return Err(CliError::Io(format!("--exclude-fold {fold}: the pairs have folds 1..={folds}")));
        }
        exclude = fold_people(&pairs, fold - 1);
        description += &format!(", without the {} people of LFW fold {fold}", exclude.len());
    }
    let data = Labelled::from_set(&set, 2, &exclude)?;
    let options = args.hyper.options(args.kind);
    let started = Instant::now();
    let head = train_head(&data, pipeline.model_sha256(), &description, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    std::fs::write(&args.out, head.to_json()).map_err(io(&args.out))?;
    let t = head.training();
    let point = head.operating_point();
    println!("{} head trained in {seconds:.1} s on {} identities, {} images, {} pairs ({} images without a face skipped)", head.kind(), t.identities, t.images, t.pairs, set.no_face());
    println!("threshold p(same) >= {:.4} for FAR {} (on {} impostor pairs of the training identities)", point.probability, point.far, point.impostor_pairs);
    println!("wrote {}", args.out.display());
    Ok(())
}
