//! Shared helpers for the integration tests.
#![allow(dead_code)]

use facegate::Frame;
use std::path::PathBuf;

/// LFW root: `FACEGATE_DATA`, else `../shared/datasets/lfw` next to the crate.
pub fn lfw() -> PathBuf {
    let root = std::env::var_os("FACEGATE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/lfw"));
    assert!(root.join("pairs.txt").exists(), "LFW not found at {} (set FACEGATE_DATA)", root.display());
    root
}

/// One LFW image, decoded.
pub fn lfw_frame(name: &str, number: u32) -> Frame {
    let path = lfw().join(name).join(format!("{name}_{number:04}.jpg"));
    Frame::decode(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// A committed fixture's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap()
}
