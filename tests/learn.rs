//! The learning side: triplet loss and mining, the projection's training, logistic heads and
//! their calibration, head files, the embedding cache, and `facegate train-head`.
#![cfg(not(target_arch = "wasm32"))] // native only: the browser tests are tests/web.rs

mod common;

use facegate::eval::{accuracy, best_threshold, Scored};
use facegate::head::{sigmoid, HeadModel, Mining, OperatingPoint, Projection, TripletOptions};
use facegate::learn::calibration::{ece, reliability, ECE_BINS};
use facegate::learn::dataset::{FaceImage, FaceSet, Labelled};
use facegate::learn::logistic::{self, LogisticOptions};
use facegate::learn::triplet::{self, batch_loss, mine, Triplet};
use facegate::learn::{train_head, TrainOptions};
use facegate::{Head, HeadKind};
use rand::{Rng as _, SeedableRng};

/// The tests' seeded generator, with a standard normal draw (Box–Muller).
struct Rng(rand_pcg::Pcg64Mcg);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(rand_pcg::Pcg64Mcg::seed_from_u64(seed))
    }
    fn unit(&mut self) -> f64 {
        self.0.random()
    }
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}
use facegate::{Embedding, Error, Gallery, MemoryStore, Pipeline, Rule, Selection};
use pollster::block_on;
use std::process::Command;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn batch_loss_and_gradient_match_hand_computed_values() {
    // A = (1, 0), P = (0, 1) same person, N = (0.6, 0.8); W = I. Batch-hard gives (A, P, N)
    // with loss 2 − 0.8 + 0.2 = 1.4 and (P, A, N) with 2 − 0.4 + 0.2 = 1.8.
    let w = Projection::new(2, 2, vec![1.0, 0.0, 0.0, 1.0]).unwrap();
    let batch: [&[f64]; 3] = [&[1.0, 0.0], &[0.0, 1.0], &[0.6, 0.8]];
    let out = batch_loss(&w, &batch, &[0, 0, 1], 0.2, Mining::BatchHard).unwrap();
    assert_eq!(
        out.triplets,
        [Triplet { anchor: 0, positive: 1, negative: 2 }, Triplet { anchor: 1, positive: 0, negative: 2 }]
    );
    assert_eq!(out.active, 2);
    assert!(close(out.loss, 1.6, 1e-12), "{}", out.loss);
    // ∂L/∂u summed over both triplets, made tangent to the unit circle, times xᵀ.
    let expected = [0.096, -1.272, -1.272, -0.096];
    assert!(out.gradient.iter().zip(expected).all(|(g, e)| close(*g, e, 1e-12)), "{:?}", out.gradient);
    // With a large enough gap nothing is active and the gradient vanishes.
    let easy: [&[f64]; 3] = [&[1.0, 0.0], &[0.99, 0.1], &[-1.0, 0.0]];
    let out = batch_loss(&w, &easy, &[0, 0, 1], 0.2, Mining::BatchHard).unwrap();
    assert_eq!((out.loss, out.active), (0.0, 0));
    assert!(out.gradient.iter().all(|&g| g == 0.0));
    assert!(batch_loss(&w, &easy, &[0, 0], 0.2, Mining::BatchHard).is_err());
}

fn random_batch(rng: &mut Rng, people: usize, images: usize, dim: usize) -> (Vec<Vec<f64>>, Vec<usize>) {
    let centres: Vec<Vec<f64>> = (0..people).map(|_| (0..dim).map(|_| rng.normal()).collect()).collect();
    let mut vectors = Vec::new();
    let mut labels = Vec::new();
    for (label, c) in centres.iter().enumerate() {
        for _ in 0..images {
            vectors.push(c.iter().map(|v| v + 0.8 * rng.normal()).collect());
            labels.push(label);
        }
    }
    (vectors, labels)
}

#[test]
fn gradient_matches_finite_differences() {
    let mut rng = Rng::new(11);
    let (vectors, labels) = random_batch(&mut rng, 3, 3, 6);
    let batch: Vec<&[f64]> = vectors.iter().map(Vec::as_slice).collect();
    let weights: Vec<f64> = (0..4 * 6).map(|_| rng.normal()).collect();
    for mining in [Mining::BatchHard, Mining::SemiHard] {
        let loss =
            |w: &[f64]| batch_loss(&Projection::new(4, 6, w.to_vec()).unwrap(), &batch, &labels, 0.5, mining).unwrap();
        let analytic = loss(&weights);
        assert!(analytic.active > 0, "{mining:?}: pick a batch with active triplets");
        let h = 1e-6;
        for k in 0..weights.len() {
            let (mut up, mut down) = (weights.clone(), weights.clone());
            up[k] += h;
            down[k] -= h;
            let numeric = (loss(&up).loss - loss(&down).loss) / (2.0 * h);
            let g = analytic.gradient[k];
            assert!(
                close(g, numeric, 1e-7 + 1e-5 * numeric.abs()),
                "{mining:?} weight {k}: analytic {g}, numeric {numeric}"
            );
        }
    }
}

#[test]
fn mining_picks_the_expected_triplets() {
    // Points on a line: person 0 at 0, 1, 3; person 1 at 1.5, 5. Squared distances.
    let x = [0.0, 1.0, 3.0, 1.5, 5.0];
    let dist: Vec<f64> = (0..25).map(|k| (x[k / 5] - x[k % 5]) * (x[k / 5] - x[k % 5])).collect();
    let labels = [0, 0, 0, 1, 1];
    let t = |anchor, positive, negative| Triplet { anchor, positive, negative };
    // Batch-hard: farthest positive, closest negative, per anchor.
    assert_eq!(mine(&dist, &labels, Mining::BatchHard), [t(0, 2, 3), t(1, 2, 3), t(2, 0, 3), t(3, 4, 1), t(4, 3, 2)]);
    // Semi-hard: per anchor–positive pair, the closest negative farther than the positive;
    // if there is none, the farthest negative (ties to the lower index).
    assert_eq!(
        mine(&dist, &labels, Mining::SemiHard),
        [t(0, 1, 3), t(0, 2, 4), t(1, 0, 4), t(1, 2, 4), t(2, 0, 4), t(2, 1, 4), t(3, 4, 0), t(4, 3, 1)]
    );
    assert!(mine(&dist, &[0, 1, 2, 3, 4], Mining::BatchHard).is_empty());
}

/// `people` identities in 16 dimensions: the identity lives in the last 8, while the first 8
/// carry larger person-independent noise, so that plain cosine (and the principal directions
/// the projection starts from) confuse people.
fn clustered(people: usize, images: usize, seed: u64) -> Labelled {
    let mut rng = Rng::new(seed);
    let mut data =
        Labelled { dim: 0, people: (0..people).map(|p| format!("p{p}")).collect(), labels: vec![], vectors: vec![] };
    for label in 0..people {
        let centre: Vec<f64> = (0..8).map(|_| rng.normal()).collect();
        for _ in 0..images {
            let mut v: Vec<f64> = (0..8).map(|_| 1.5 * rng.normal()).collect();
            v.extend(centre.iter().map(|c| c + 0.15 * rng.normal()));
            data.push(label, v).unwrap();
        }
    }
    data
}

/// Best-threshold accuracy of cosine similarity on every same-person pair of `vectors` and as
/// many evenly spread different-person pairs.
fn pair_accuracy(vectors: &[Vec<f64>], labels: &[usize]) -> f64 {
    let cos = |a: &[f64], b: &[f64]| {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        dot / (a.iter().map(|x| x * x).sum::<f64>() * b.iter().map(|x| x * x).sum::<f64>()).sqrt()
    };
    let (mut genuine, mut impostors) = (Vec::new(), Vec::new());
    for i in 0..vectors.len() {
        for j in i + 1..vectors.len() {
            let same = labels[i] == labels[j];
            let scored = Scored { score: cos(&vectors[i], &vectors[j]) as f32, same, fold: 0 };
            if same {
                genuine.push(scored)
            } else {
                impostors.push(scored)
            }
        }
    }
    let step = impostors.len() / genuine.len();
    genuine.extend(impostors.into_iter().step_by(step).take(genuine.len()));
    accuracy(&genuine, best_threshold(&genuine))
}

#[test]
fn triplet_training_reduces_the_loss_and_separates_the_clusters() {
    let data = clustered(12, 6, 5);
    let raw: Vec<Vec<f64>> = (0..data.len()).map(|i| data.vector(i).to_vec()).collect();
    for mining in [Mining::BatchHard, Mining::SemiHard] {
        let options =
            TripletOptions { out_dim: 8, mining, people: 6, epochs: 60, learning_rate: 0.02, ..Default::default() };
        let (projection, losses) = triplet::train(&data, &options, &mut Rng::new(1).0).unwrap();
        let (first, last) = (losses[0], losses[losses.len() - 1]);
        assert!(last < first / 4.0, "{mining:?}: loss {first} → {last}");
        let projected: Vec<Vec<f64>> = raw.iter().map(|v| projection.apply(v).unwrap()).collect();
        let before = pair_accuracy(&raw, &data.labels);
        let after = pair_accuracy(&projected, &data.labels);
        assert!(before < 0.85 && after > 0.99, "{mining:?}: pair accuracy {before} → {after}");
    }
}

#[test]
fn logistic_fit_is_calibrated_on_a_known_model() {
    // Labels drawn from p = σ(2x − 1): the fit recovers it and its probabilities are calibrated.
    let mut rng = Rng::new(2);
    let draw = |rng: &mut Rng, n: usize| -> (Vec<f64>, Vec<bool>) {
        let x: Vec<f64> = (0..n).map(|_| 6.0 * rng.unit() - 3.0).collect();
        let y = x.iter().map(|&x| rng.unit() < sigmoid(2.0 * x - 1.0)).collect();
        (x, y)
    };
    let (x, y) = draw(&mut rng, 20_000);
    let fit = logistic::fit(&x, 1, &y, LogisticOptions::default()).unwrap();
    assert!(close(fit.weights[0], 2.0, 0.1) && close(fit.bias, -1.0, 0.1), "{fit:?}");
    let (x, y) = draw(&mut rng, 20_000);
    let predictions: Vec<(f64, bool)> =
        x.iter().zip(y).map(|(&x, y)| (sigmoid(fit.weights[0] * x + fit.bias), y)).collect();
    let error = ece(&reliability(&predictions, ECE_BINS));
    assert!(error < 0.02, "ECE {error}");
}

/// Unit vectors around `people` identity directions in 32 dimensions, like face embeddings.
fn unit_clusters(people: usize, images: usize, seed: u64) -> Labelled {
    let mut rng = Rng::new(seed);
    let mut data =
        Labelled { dim: 0, people: (0..people).map(|p| format!("p{p}")).collect(), labels: vec![], vectors: vec![] };
    let centres: Vec<Vec<f64>> = (0..people).map(|_| (0..32).map(|_| rng.normal()).collect()).collect();
    for (label, c) in centres.iter().enumerate() {
        for _ in 0..images {
            let v: Vec<f64> = c.iter().map(|c| c + 0.25 * rng.normal()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            data.push(label, v.iter().map(|x| x / norm).collect()).unwrap();
        }
    }
    data
}

fn head(kind: HeadKind, data: &Labelled, sha: &str) -> Head {
    let triplet = TripletOptions { out_dim: 8, people: 5, epochs: 5, ..Default::default() };
    let options = TrainOptions { kind, triplet, pairs_per_person: 20, threshold_pairs: 2_000, ..Default::default() };
    train_head(data, sha, "synthetic", &options).unwrap()
}

#[test]
fn logistic_heads_learn_a_separable_problem_with_calibrated_probabilities() {
    let train = unit_clusters(10, 8, 3);
    for kind in [HeadKind::LogisticL1, HeadKind::LogisticChi2, HeadKind::Platt] {
        let h = head(kind, &train, "sha");
        // Fresh images of the same 10 identities (same centres: same seed, more images).
        let test = unit_clusters(10, 16, 3);
        let mut predictions = Vec::new();
        for i in (0..test.len()).step_by(3) {
            for j in (i + 1..test.len()).step_by(2) {
                let p =
                    h.probability_prepared(&h.prepare(test.vector(i)).unwrap(), &h.prepare(test.vector(j)).unwrap());
                predictions.push((p, test.labels[i] == test.labels[j]));
            }
        }
        let right =
            predictions.iter().filter(|(p, same)| (*p >= 0.5) == *same).count() as f64 / predictions.len() as f64;
        assert!(right > 0.99, "{kind}: accuracy {right}");
        let error = ece(&reliability(&predictions, ECE_BINS));
        assert!(error < 0.03, "{kind}: ECE {error}");
        let point = h.operating_point();
        assert!(
            point.probability > 0.0 && point.probability < 1.0 && point.far == 1e-3 && point.impostor_pairs == 2_000,
            "{point:?}"
        );
        assert_eq!(h.training().identities, 10);
    }
}

#[test]
fn head_files_round_trip_and_are_refused_for_another_backbone() {
    let data = unit_clusters(10, 6, 4);
    for kind in HeadKind::ALL {
        let h = head(kind, &data, "aa11");
        let json = h.to_json();
        assert_eq!(Head::from_json(&json, "aa11").unwrap(), h, "{kind}");
        assert_eq!(Head::from_json(&json, "aa11").unwrap().to_json(), json);
        let err = Head::from_json(&json, "bb22").unwrap_err();
        assert!(
            matches!(err, Error::ModelMismatch { ref expected, ref found } if expected == "bb22" && found == "aa11"),
            "{err}"
        );
        let damaged = [
            json[..json.len() / 2].to_string(),
            json.replace("\"facegate-head\"", "\"facegate-gallery\""),
            json.replace("\"version\": 1", "\"version\": 2"),
            json.replace("\"input_dim\": 32", "\"input_dim\": 0"),
            json.replace(&format!("\"kind\": \"{kind}\""), "\"kind\": \"logistic-chi2\"")
                .replace("\"features\": \"chi2\"", "\"features\": \"l1\""),
        ];
        for bad in damaged {
            assert!(matches!(Head::from_json(&bad, "aa11"), Err(Error::InvalidTemplate(_))), "{kind}: {bad}");
        }
    }
    // The same seed gives the same head, byte for byte.
    assert_eq!(head(HeadKind::Triplet, &data, "aa11").to_json(), head(HeadKind::Triplet, &data, "aa11").to_json());
}

#[test]
fn gallery_decides_by_the_head_probability() {
    let data = unit_clusters(10, 6, 6);
    let h = head(HeadKind::LogisticL1, &data, "sha");
    let e = |i: usize| Embedding::new(data.vector(i).iter().map(|&v| v as f32).collect()).unwrap();
    let mut g =
        Gallery::new(MemoryStore::new(), "sha", Rule::cosine_for(facegate::EmbedderModel::MobileFaceNet)).unwrap();
    block_on(g.enroll("p0", vec![e(0)])).unwrap();
    assert_eq!(block_on(g.verify("p0", &e(1))).unwrap().probability, None);
    let other = head(HeadKind::LogisticL1, &data, "other");
    assert!(matches!(g.set_rule(Rule::head(other)), Err(Error::ModelMismatch { .. })));
    let mut longer = Gallery::new(MemoryStore::new(), "sha", Rule::cosine_for(facegate::EmbedderModel::MobileFaceNet))
        .unwrap()
        .with_dimension(h.input_dim() + 1)
        .unwrap();
    assert!(matches!(longer.set_rule(Rule::head(h.clone())), Err(Error::InvalidArgument(_))));
    assert_eq!(g.dimension(), None);
    g.set_rule(Rule::head(h.clone())).unwrap();
    assert_eq!(g.dimension(), Some(h.input_dim()), "the head sets the length");
    let same = block_on(g.verify("p0", &e(1))).unwrap();
    let different = block_on(g.verify("p0", &e(6))).unwrap();
    assert_eq!(same.threshold, h.operating_point().probability);
    assert!(same.is_match && same.probability.unwrap() > 0.9, "{same:?}");
    assert!(!different.is_match && different.probability.unwrap() < 0.1, "{different:?}");
    assert!(close(same.probability.unwrap() as f64, h.probability(&e(0), &e(1)).unwrap(), 1e-6));
    g.set_rule(Rule::cosine_for(facegate::EmbedderModel::MobileFaceNet)).unwrap();
    assert_eq!(block_on(g.verify("p0", &e(1))).unwrap().probability, None);
}

#[test]
fn head_construction_checks_shapes() {
    let point = OperatingPoint { probability: 0.9, far: 1e-3, impostor_pairs: 10 };
    let h = head(HeadKind::Platt, &unit_clusters(10, 6, 7), "sha");
    let summary = h.training().clone();
    let model = |kind, projection, n| HeadModel { kind, projection, weights: vec![0.5; n], bias: 0.0 };
    let make = |m, p| Head::new("sha", 4, m, p, summary.clone());
    assert!(make(model(HeadKind::LogisticL1, None, 4), point).is_ok());
    assert!(make(model(HeadKind::LogisticL1, None, 3), point).is_err());
    assert!(make(model(HeadKind::Platt, None, 1), OperatingPoint { probability: 1.5, ..point }).is_err());
    assert!(make(model(HeadKind::Triplet, None, 1), point).is_err());
    let projection = Projection::new(2, 4, vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]).unwrap();
    assert!(make(model(HeadKind::Triplet, Some(projection.clone()), 1), point).is_ok());
    assert!(make(model(HeadKind::Platt, Some(projection), 1), point).is_err());
    assert!(make(model(HeadKind::LogisticL1, None, 4), point)
        .unwrap()
        .probability(&Embedding::new(vec![1.0, 0.0]).unwrap(), &Embedding::new(vec![0.0, 1.0]).unwrap())
        .is_err());
    assert!("logistic-chi2".parse::<HeadKind>().is_ok_and(|k| k == HeadKind::LogisticChi2));
    assert!("chi2".parse::<HeadKind>().is_err() && "semi-hard".parse::<Mining>().is_ok());
}

#[test]
fn embedding_cache_round_trips_and_refuses_other_keys() {
    let e = |v: Vec<f32>| Some(Embedding::new(v).unwrap());
    let set = FaceSet {
        key: "sha; options".into(),
        images: vec![
            FaceImage { person: "a".into(), file: "a_1.jpg".into(), embedding: e(vec![0.3, 0.4, 1.2]) },
            FaceImage { person: "a".into(), file: "a_2.jpg".into(), embedding: None },
            FaceImage { person: "b".into(), file: "b_1.jpg".into(), embedding: e(vec![-1.0, 0.1, 0.2]) },
        ],
    };
    let bytes = set.to_bytes();
    assert_eq!(FaceSet::from_bytes(&bytes, "sha; options").unwrap(), set);
    assert_eq!(set.no_face(), 1);
    assert!(matches!(FaceSet::from_bytes(&bytes, "other"), Err(Error::ModelMismatch { .. })));
    for bad in [&bytes[..bytes.len() - 1], &bytes[..10], b"{}\n".as_slice()] {
        assert!(matches!(FaceSet::from_bytes(bad, "sha; options"), Err(Error::InvalidTemplate(_))));
    }
    let data = Labelled::from_set(&set, 1, &["b".to_string()].into()).unwrap();
    assert_eq!((data.people.clone(), data.len(), data.dim), (vec!["a".to_string()], 1, 3));
    assert!(Labelled::from_set(&set, 2, &Default::default()).unwrap().is_empty());
}

#[test]
fn train_head_command_embeds_once_then_reuses_the_cache() {
    let dir = std::env::temp_dir().join(format!("facegate-learn-{}", std::process::id()));
    for (name, count) in [("Colin_Powell", 3), ("Tony_Blair", 3), ("Serena_Williams", 2)] {
        std::fs::create_dir_all(dir.join("faces").join(name)).unwrap();
        for n in 1..=count {
            let file = format!("{name}_{n:04}.jpg");
            std::fs::copy(common::lfw().join(name).join(&file), dir.join("faces").join(name).join(&file)).unwrap();
        }
    }
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_facegate"))
            .args(["train-head", "--kind", "platt", "--data"])
            .arg(dir.join("faces"))
            .arg("--cache")
            .arg(dir.join("cache.emb"))
            .arg("--out")
            .arg(dir.join("head.json"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(run().contains("embedding 8 of 8 images"));
    assert!(!run().contains("embedding"), "the second run must use the cache");
    let sha = facegate::model::sha256_hex(facegate::model::bundled::MOBILEFACENET);
    let h = Head::from_json(&std::fs::read_to_string(dir.join("head.json")).unwrap(), &sha).unwrap();
    assert_eq!((h.kind(), h.training().identities, h.training().images), (HeadKind::Platt, 3, 8));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_bundled_head_loads_and_scores_real_faces() {
    let head = Head::bundled().unwrap();
    assert_eq!((head.kind(), head.input_dim(), head.training().identities), (HeadKind::LogisticChi2, 192, 1680));
    let pipeline = Pipeline::new().unwrap();
    assert_eq!(head.backbone_sha256(), pipeline.model_sha256());
    // A sanity check, not an evaluation: these people were among the training identities.
    let e = |name: &str, n: u32| pipeline.describe(&common::lfw_frame(name, n), Selection::Largest).unwrap().embedding;
    let (powell, powell2, serena) = (e("Colin_Powell", 1), e("Colin_Powell", 2), e("Serena_Williams", 1));
    let threshold = f64::from(head.operating_point().probability);
    let (same, different) = (head.probability(&powell, &powell2).unwrap(), head.probability(&powell, &serena).unwrap());
    assert!(same >= threshold && different < 0.1, "p(same) {same}, p(different) {different}");
}
