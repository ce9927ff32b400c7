//! The `facegate` command line on real photos: compare, enroll, identify, and its errors.

mod common;

use common::lfw;
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

#[test]
fn compare_tells_same_from_different() {
    let same = stdout_json(&facegate(&["compare", &img("Colin_Powell", 1), &img("Colin_Powell", 2), "--largest", "--json"]));
    assert_eq!(same["same"], true, "{same}");
    let diff = stdout_json(&facegate(&["compare", &img("Colin_Powell", 1), &img("Serena_Williams", 1), "--largest", "--json"]));
    assert_eq!(diff["same"], false, "{diff}");
    assert!(same["score"].as_f64() > diff["score"].as_f64());
    assert!(same["box1"]["width"].as_f64().unwrap() > 50.0);
}

#[test]
fn enroll_then_identify_with_open_set_rejection() {
    let dir = scratch("gallery");
    let gallery = dir.join("g.json").display().to_string();
    for (id, name) in [("powell", "Colin_Powell"), ("serena", "Serena_Williams"), ("blair", "Tony_Blair")] {
        let out = facegate(&["enroll", "--gallery", &gallery, "--id", id, &img(name, 1), &img(name, 3), "--largest"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let hit = stdout_json(&facegate(&["identify", "--gallery", &gallery, &img("Tony_Blair", 2), "--largest", "--json"]));
    assert_eq!(hit["candidates"][0]["id"], "blair", "{hit}");
    let stranger = stdout_json(&facegate(&["identify", "--gallery", &gallery, &img("Aaron_Eckhart", 1), "--largest", "--json"]));
    assert_eq!(stranger["candidates"].as_array().map(Vec::len), Some(0), "{stranger}");

    // A gallery made by another model is refused with its code.
    let text = std::fs::read_to_string(&gallery).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sha = json["model_sha256"].as_str().unwrap();
    std::fs::write(&gallery, text.replace(sha, &"0".repeat(64))).unwrap();
    let out = facegate(&["identify", "--gallery", &gallery, &img("Tony_Blair", 2), "--largest"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[MODEL_MISMATCH]"));
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
