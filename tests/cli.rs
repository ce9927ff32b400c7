//! The `facegate` command line on real photos: compare, enroll, identify, and its errors.
#![cfg(not(target_arch = "wasm32"))] // native only: the browser tests are tests/web.rs

mod common;

use common::lfw;
use image::codecs::pnm::{PnmEncoder, PnmSubtype, SampleEncoding};
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder};
use std::path::PathBuf;
use std::process::{Command, Output};

fn facegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_facegate")).args(args).output().unwrap()
}

fn img(name: &str, n: u32) -> String {
    lfw().join(name).join(format!("{name}_{n:04}.jpg")).display().to_string()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("facegate-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `facegate compare A B --select largest --json EXTRA..`, its JSON.
fn compare(a: &str, b: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["compare", a, b, "--select", "largest", "--json"];
    args.extend_from_slice(extra);
    stdout_json(&facegate(&args))
}

#[test]
fn compare_tells_same_from_different() {
    let same = compare(&img("Colin_Powell", 1), &img("Colin_Powell", 2), &[]);
    assert_eq!(same["same"], true, "{same}");
    let diff = compare(&img("Colin_Powell", 1), &img("Serena_Williams", 1), &[]);
    assert_eq!(diff["same"], false, "{diff}");
    assert!(same["similarity"].as_f64() > diff["similarity"].as_f64());
    assert!(same["box1"]["width"].as_f64().unwrap() > 50.0);
}

#[test]
fn enroll_then_identify_with_open_set_rejection() {
    let dir = scratch("gallery");
    let gallery = dir.join("g.json").display().to_string();
    for (id, name) in [("powell", "Colin_Powell"), ("serena", "Serena_Williams"), ("blair", "Tony_Blair")] {
        let out = facegate(&[
            "enroll",
            "--gallery",
            &gallery,
            "--id",
            id,
            &img(name, 1),
            &img(name, 3),
            "--select",
            "largest",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // Somebody else's photo added to an enrolled id is refused, and nothing is written.
    let before = std::fs::read(&gallery).unwrap();
    let out = facegate(&[
        "enroll",
        "--gallery",
        &gallery,
        "--id",
        "blair",
        &img("Serena_Williams", 2),
        "--select",
        "largest",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[MISMATCH]"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&gallery).unwrap(), before);
    let hit = stdout_json(&facegate(&[
        "identify",
        "--gallery",
        &gallery,
        &img("Tony_Blair", 2),
        "--select",
        "largest",
        "--json",
    ]));
    assert_eq!(hit["candidates"][0]["id"], "blair", "{hit}");
    let stranger = stdout_json(&facegate(&[
        "identify",
        "--gallery",
        &gallery,
        &img("Aaron_Eckhart", 1),
        "--select",
        "largest",
        "--json",
    ]));
    assert_eq!(stranger["candidates"].as_array().map(Vec::len), Some(0), "{stranger}");

    // Enrollments made by another model are skipped and reported with their code.
    let text = std::fs::read_to_string(&gallery).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!((json["format"].as_str(), json["version"].as_u64()), (Some("facegate-gallery"), Some(2)));
    let sha = json["enrollments"][0]["modelSha256"].as_str().unwrap();
    std::fs::write(&gallery, text.replace(sha, &"0".repeat(64))).unwrap();
    let out = facegate(&["identify", "--gallery", &gallery, &img("Tony_Blair", 2), "--select", "largest"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("unknown"), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped \"blair\" [MODEL_MISMATCH]"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_inputs_exit_with_a_code_not_a_panic() {
    let dir = scratch("bad");
    let junk = dir.join("junk.jpg");
    std::fs::write(&junk, b"\xff\xd8\xff\xe0 not really a jpeg").unwrap();
    let cat = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chelsea.png");
    for (file, code) in [(junk.display().to_string(), "[INVALID_FRAME]"), (cat.display().to_string(), "[NO_FACE]")] {
        let out = facegate(&["compare", &file, &img("Colin_Powell", 1)]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(code), "{}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn compare_decides_by_the_bundled_head_unless_told_cosine() {
    let (powell1, powell2, serena) = (img("Colin_Powell", 1), img("Colin_Powell", 2), img("Serena_Williams", 1));
    let head = compare(&powell1, &powell2, &[]);
    let cosine = compare(&powell1, &powell2, &["--head", "cosine"]);
    assert_eq!(head["same"], true, "{head}");
    assert_eq!(cosine["same"], true, "{cosine}");
    assert_eq!(head["similarity"], cosine["similarity"], "the cosine similarity does not depend on the rule");

    assert_eq!(head["rule"], "logistic-chi2", "{head}");
    let (p, t) = (head["probability"].as_f64().unwrap(), head["threshold"].as_f64().unwrap());
    assert!((0.0..=1.0).contains(&p) && (0.0..=1.0).contains(&t) && p >= t, "{head}");

    assert_eq!(cosine["rule"], "cosine", "{cosine}");
    assert!(cosine["probability"].is_null(), "{cosine}");
    assert!((cosine["threshold"].as_f64().unwrap() - 0.432).abs() < 1e-6, "{cosine}");
    assert!(cosine["similarity"].as_f64().unwrap() >= 0.432, "{cosine}");

    let head_diff = compare(&powell1, &serena, &[]);
    let cosine_diff = compare(&powell1, &serena, &["--head", "cosine"]);
    assert_eq!(head_diff["same"], false, "{head_diff}");
    assert_eq!(cosine_diff["same"], false, "{cosine_diff}");
    assert!(head_diff["probability"].as_f64().unwrap() < p);

    // The bundled head's file, named on the command line, decides exactly like the default.
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("model/head-default.json");
    let from_file = compare(&powell1, &powell2, &["--head", file.to_str().unwrap()]);
    assert_eq!(from_file, head);

    // A damaged head file is refused with its code and its path.
    let dir = scratch("head");
    let bad = dir.join("bad-head.json");
    std::fs::write(&bad, "{\"format\": \"something else\"}").unwrap();
    let out = facegate(&["compare", &powell1, &powell2, "--select", "largest", "--head", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[INVALID_TEMPLATE]") && stderr.contains("bad-head.json"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]

fn compare_reads_pgm_and_webp() {
    let dir = scratch("formats");
    // Made here from the LFW JPEGs: a greyscale binary PGM and a lossless WebP.
    let pgm = dir.join("powell-1.pgm");
    let grey = image::open(img("Colin_Powell", 1)).unwrap().to_luma8();
    let file = std::io::BufWriter::new(std::fs::File::create(&pgm).unwrap());
    let binary_pgm = PnmSubtype::Graymap(SampleEncoding::Binary);
    PnmEncoder::new(file)
        .with_subtype(binary_pgm)
        .write_image(&grey, grey.width(), grey.height(), ExtendedColorType::L8)
        .unwrap();
    assert!(std::fs::read(&pgm).unwrap().starts_with(b"P5"));
    let webp = dir.join("powell-2.webp");
    let rgb = image::open(img("Colin_Powell", 2)).unwrap().to_rgb8();
    let file = std::io::BufWriter::new(std::fs::File::create(&webp).unwrap());
    WebPEncoder::new_lossless(file).encode(&rgb, rgb.width(), rgb.height(), ExtendedColorType::Rgb8).unwrap();
    assert_eq!(&std::fs::read(&webp).unwrap()[8..12], b"WEBP");

    let out = stdout_json(&facegate(&[
        "compare",
        pgm.to_str().unwrap(),
        webp.to_str().unwrap(),
        "--select",
        "largest",
        "--json",
    ]));
    assert_eq!(out["same"], true, "{out}");
    assert!(out["box1"]["width"].as_f64().unwrap() > 50.0, "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn usage_and_file_errors_say_what_is_wrong() {
    let missing = std::env::temp_dir().join(format!("facegate-cli-{}-missing.jpg", std::process::id()));
    let out = facegate(&["compare", missing.to_str().unwrap(), &img("Colin_Powell", 1)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("missing.jpg"), "{stderr}");

    let out = facegate(&["video", "--out", "never.y4m", "--size", "641x480", &img("Colin_Powell", 1)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--size"), "{}", String::from_utf8_lossy(&out.stderr));

    let lfw = lfw().display().to_string();
    let out = facegate(&["eval-lfw", "--lfw", &lfw, "--folds", "0..11"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--folds \"0..11\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
