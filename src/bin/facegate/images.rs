//! Reading photos: file bytes, decoded frames and described faces, each error naming the file.

use anyhow::{Context, Result};
use facegate::{Described, Frame, Pipeline, Selection};
use std::path::Path;

/// The bytes of a file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| path.display().to_string())
}

/// Decodes `bytes`, read from `path`.
pub fn decode_bytes(bytes: &[u8], path: &Path) -> Result<Frame> {
    Frame::decode(bytes).with_context(|| path.display().to_string())
}

/// Reads and decodes a photo.
pub fn decode(path: &Path) -> Result<Frame> {
    decode_bytes(&read(path)?, path)
}

/// The face `selection` picks in a photo, with its embedding.
pub fn describe(pipeline: &Pipeline, path: &Path, selection: Selection) -> Result<Described> {
    let frame = decode(path)?;
    pipeline.describe(&frame, selection).with_context(|| path.display().to_string())
}
