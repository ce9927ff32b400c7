//! SFace, the optional second embedder (`model/sface.onnx`, loaded from bytes): its embeddings,
//! its default rule on LFW pairs, sign-in by identification with its own FAR table, and
//! templates that refuse the other model.
#![cfg(not(target_arch = "wasm32"))] // native only: the browser runs it in tests/e2e/sface.test.mjs

mod common;

use common::{lfw, lfw_frame};
use facegate::eval::{parse_pairs, LfwImage};
use facegate::far::{FarTable, DEFAULT_FAR};
use facegate::{
    Detector, Embedder, EmbedderModel, ErrorCode, FileStore, Gallery, IdentifyOptions, Landmarker, MemoryStore,
    Pipeline, PipelineOptions, Rule, Selection, Threshold,
};
use pollster::block_on;
use std::sync::OnceLock;

fn sface() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/model/sface.onnx")).unwrap();
        let embedder = Embedder::with_model(EmbedderModel::SFace, &bytes).unwrap();
        let options = PipelineOptions::for_model(EmbedderModel::SFace);
        Pipeline::from_parts(Detector::new().unwrap(), Landmarker::new().unwrap(), embedder, options)
    })
}

fn embed(pipeline: &Pipeline, image: &LfwImage) -> facegate::Embedding {
    pipeline.describe(&lfw_frame(&image.name, image.number), Selection::Largest).unwrap().embedding
}

#[test]
fn sface_gives_128_d_unit_vectors_and_its_own_rule_decides_lfw_pairs() {
    let pipeline = sface();
    assert_eq!(pipeline.model(), EmbedderModel::SFace);
    assert!(!pipeline.options().flip, "SFace's default is no flip");
    let rule = Rule::default_for(EmbedderModel::SFace).unwrap();
    assert_eq!(rule, Rule::Cosine(Threshold::SFACE));
    let pairs = parse_pairs(&std::fs::read_to_string(lfw().join("pairs.txt")).unwrap()).unwrap();
    // The first 15 matched and 15 mismatched pairs of fold 1.
    let (mut right, mut same, mut different) = (0, Vec::new(), Vec::new());
    for pair in pairs.iter().take(15).chain(pairs.iter().skip(300).take(15)) {
        let (a, b) = (embed(pipeline, &pair.a), embed(pipeline, &pair.b));
        for e in [&a, &b] {
            assert_eq!(e.as_slice().len(), 128);
            let norm = e.as_slice().iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        }
        let v = rule.decide(&a, &b).unwrap();
        right += usize::from(v.is_match == pair.same);
        if pair.same { &mut same } else { &mut different }.push(v.similarity);
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    assert!(mean(&same) - mean(&different) > 0.4, "same {same:?}, different {different:?}");
    assert!(right >= 29, "{right} of 30 pairs decided right: same {same:?}, different {different:?}");
}

#[test]
fn sface_signs_in_by_identification_with_its_own_far_table() {
    let pipeline = sface();
    let table = FarTable::for_model(pipeline.model_sha256()).unwrap();
    assert_eq!(table.backbone_sha256, pipeline.model_sha256());
    assert_eq!(table.curves.iter().map(|c| c.rule.as_str()).collect::<Vec<_>>(), ["cosine"]);
    let rule = Rule::default_for(EmbedderModel::SFace).unwrap();
    let gallery = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), rule.clone()).unwrap();
    assert_eq!(gallery.dimension(), Some(128));
    let at = |n| IdentifyOptions::default().acceptance(&rule, pipeline.model_sha256(), n).unwrap().threshold;
    assert!(at(1) >= Threshold::SFACE.cosine && at(10) < at(1000), "{} {} {}", at(1), at(10), at(1000));

    let face = |name: &str, n| pipeline.describe(&lfw_frame(name, n), Selection::Centre).unwrap().embedding;
    let enrolled = ["Colin_Powell", "Donald_Rumsfeld", "Gerhard_Schroeder", "Serena_Williams", "Tony_Blair"];
    for name in enrolled {
        block_on(gallery.enroll(name, vec![face(name, 1)])).unwrap();
    }
    let sign_in = IdentifyOptions::default();
    assert_eq!(sign_in.far, Some(DEFAULT_FAR));
    for name in enrolled {
        let found = block_on(gallery.identify_with(&face(name, 2), &sign_in)).unwrap();
        assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [name], "{found:?}");
        assert!(found[0].similarity >= at(enrolled.len()), "{found:?}");
    }
    for (name, n) in [("Aaron_Eckhart", 1), ("AJ_Cook", 1), ("Jennifer_Aniston", 1)] {
        let found = block_on(gallery.identify_with(&face(name, n), &sign_in)).unwrap();
        assert!(found.is_empty(), "the stranger {name} was taken for {found:?}");
    }
    // A MobileFaceNet embedding (192 values) is not an SFace probe.
    let other = Pipeline::new().unwrap().describe(&lfw_frame("Tony_Blair", 2), Selection::Centre).unwrap().embedding;
    let err = block_on(gallery.identify_with(&other, &sign_in)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
}

#[test]
fn templates_of_one_model_are_refused_by_the_other() {
    let mobilefacenet = Pipeline::new().unwrap();
    let sface = sface();
    assert_ne!(mobilefacenet.model_sha256(), sface.model_sha256());
    let path = std::env::temp_dir().join(format!("facegate-sface-{}.json", std::process::id()));
    let open = |p: &Pipeline| {
        Gallery::new(FileStore::new(&path), p.model_sha256(), Rule::default_for(p.model()).unwrap()).unwrap()
    };
    let powell = lfw_frame("Colin_Powell", 1);
    let probe = lfw_frame("Colin_Powell", 2);
    let describe = |p: &Pipeline, f| p.describe(f, Selection::Single).unwrap().embedding;

    block_on(open(&mobilefacenet).enroll("powell", vec![describe(&mobilefacenet, &powell)])).unwrap();
    assert!(block_on(open(&mobilefacenet).verify("powell", &describe(&mobilefacenet, &probe))).unwrap().is_match);
    // The same file opened with SFace: the MobileFaceNet template is refused, not compared.
    let err = block_on(open(sface).verify("powell", &describe(sface, &probe))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ModelMismatch, "{err}");
    let listed = block_on(open(sface).list()).unwrap();
    assert!(listed.enrollments.is_empty());
    assert_eq!(listed.damaged.len(), 1);
    assert_eq!(listed.damaged[0].code, ErrorCode::ModelMismatch);

    // Re-enrolled with SFace, it verifies under SFace and is refused by MobileFaceNet.
    block_on(open(sface).remove("powell")).unwrap();
    block_on(open(sface).enroll("powell", vec![describe(sface, &powell)])).unwrap();
    let v = block_on(open(sface).verify("powell", &describe(sface, &probe))).unwrap();
    assert!(v.is_match && v.rule == "cosine" && v.threshold == Threshold::SFACE.cosine, "{v:?}");
    let err = block_on(open(&mobilefacenet).verify("powell", &describe(&mobilefacenet, &probe))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ModelMismatch, "{err}");

    // The bundled head belongs to MobileFaceNet: an SFace gallery refuses it.
    let err = Gallery::new(FileStore::new(&path), sface.model_sha256(), Rule::bundled().unwrap()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ModelMismatch);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn the_cli_compares_with_sface_by_its_own_rule_and_refuses_the_bundled_head() {
    let image = |name: &str, n: u32| lfw().join(name).join(format!("{name}_{n:04}.jpg")).display().to_string();
    let (powell1, powell2, serena) = (image("Colin_Powell", 1), image("Colin_Powell", 2), image("Serena_Williams", 1));
    let compare = |b: &str, extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_facegate"))
            .args(["compare", &powell1, b, "--json", "--model", "sface"])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, same, _) = compare(&powell2, &[]);
    assert!(ok, "{same}");
    let same: serde_json::Value = serde_json::from_str(&same).unwrap();
    assert_eq!((same["same"].as_bool(), same["rule"].as_str()), (Some(true), Some("cosine")), "{same}");
    assert_eq!(same["threshold"].as_f64().unwrap() as f32, Threshold::SFACE.cosine);
    let native = embed(sface(), &LfwImage { name: "Colin_Powell".into(), number: 1 })
        .cosine(&embed(sface(), &LfwImage { name: "Colin_Powell".into(), number: 2 }));
    assert!((same["similarity"].as_f64().unwrap() as f32 - native).abs() < 1e-6, "{same} vs {native}");
    let (ok, other, _) = compare(&serena, &[]);
    assert!(ok && other.contains("\"same\":false"), "{other}");
    let (ok, _, err) = compare(&powell2, &["--head", "bundled"]);
    assert!(!ok && err.contains("MODEL_MISMATCH"), "{err}");
}
