//! Hostile and broken input never panics: it comes back as a typed error.
#![cfg(not(target_arch = "wasm32"))] // native only: the browser tests are tests/web.rs

mod common;

use common::fixture;
use facegate::frame::MAX_ENCODED_BYTES;
use facegate::model::bundled::mobilefacenet_sha256;
use facegate::{Error, Frame, Head, Pipeline, PixelFormat, Selection};

fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = Vec::new();
    image::RgbImage::new(1, 1).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    // IHDR data sits at bytes 16..29, its CRC (over type + data) at 29..33.
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn astronaut_jpeg() -> Vec<u8> {
    let image = image::load_from_memory(&fixture("astronaut.png")).unwrap();
    let mut jpeg = Vec::new();
    image.to_rgb8().write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).unwrap();
    jpeg
}

fn assert_invalid_frame(result: facegate::Result<Frame>, what: &str) {
    match result {
        Err(e @ Error::InvalidFrame { .. }) => assert_eq!(e.code().as_str(), "INVALID_FRAME"),
        other => panic!("{what}: expected InvalidFrame, got {other:?}"),
    }
}

#[test]
fn broken_encoded_images_are_invalid_frames() {
    let png = fixture("astronaut.png");
    let jpeg = astronaut_jpeg();
    assert!(Frame::decode(&jpeg).is_ok() && Frame::decode(&png).is_ok());
    assert_invalid_frame(Frame::decode(&[]), "empty");
    assert_invalid_frame(Frame::decode(b"GIF89a\x01\x00\x01\x00"), "gif");
    assert_invalid_frame(Frame::decode(&[0x5a; 4096]), "noise");
    assert_invalid_frame(Frame::decode(&png[..png.len() / 2]), "truncated png");
    assert_invalid_frame(Frame::decode(&png[..40]), "png header only");
    assert_invalid_frame(Frame::decode(&jpeg[..2]), "jpeg magic only");
    assert_invalid_frame(Frame::decode(&jpeg[..300]), "jpeg headers only");
    assert_invalid_frame(Frame::decode(&png_claiming(10_000, 10_000)), "10000x10000 png");
    assert_invalid_frame(Frame::decode(&png_claiming(0, 0)), "0x0 png");
    assert_invalid_frame(Frame::decode(&png_claiming(u32::MAX, u32::MAX)), "4294967295x4294967295 png");
    // Refused on its length, before any decoding: a valid image followed by padding.
    let mut oversize = png.clone();
    oversize.resize(MAX_ENCODED_BYTES + 1, 0);
    assert_invalid_frame(Frame::decode(&oversize), "encoded bytes over the maximum");
}

/// Found by `tests/fuzz.sh`: zune-jpeg 0.5.15 panicked in its IDCT (the AVX2 one natively, the
/// scalar one wasm uses) on JPEGs whose chroma is sampled more finely than luma; the patched copy
/// (vendor/zune-jpeg/PATCHED.md) refuses their frame header (luma and Cb 1x1, Cr 4x2).
#[test]
fn jpegs_with_chroma_finer_than_luma_are_invalid_frames() {
    for name in ["zune-chroma-finer-than-luma-avx2.jpg", "zune-chroma-finer-than-luma-1x1.jpg"] {
        assert_invalid_frame(Frame::decode(&found_by_fuzzing(name)), name);
    }
}

/// The guard against those panics refuses only a later component sampled horizontally more finely
/// than the first: a valid file with luma 2x1 and chroma 1x2 (`cjpeg -sample 2x1,1x2,1x2` of a
/// 64x48 crop of astronaut.png at (200, 100)) decodes, close to the source's pixels.
#[test]
fn jpeg_with_chroma_vertically_finer_than_luma_decodes() {
    let frame = Frame::decode(&fixture("astronaut-crop-luma-2x1-chroma-1x2.jpg")).unwrap();
    assert_eq!((frame.width(), frame.height()), (64, 48));
    let source = image::load_from_memory(&fixture("astronaut.png")).unwrap().to_rgb8();
    let source = image::imageops::crop_imm(&source, 200, 100, 64, 48).to_image();
    let diffs: Vec<u32> = frame.rgb().iter().zip(source.as_raw()).map(|(&a, &b)| u32::from(a.abs_diff(b))).collect();
    let mean = f64::from(diffs.iter().sum::<u32>()) / diffs.len() as f64;
    // 4.9 levels: libjpeg-turbo's djpeg is as far from the source (luma is halved across).
    assert!(mean < 6.0, "mean difference {mean} from the source");
}

/// An input of the committed `frame_decode` fuzz corpus.
fn found_by_fuzzing(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fuzz/corpus/frame_decode/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Found by `tests/fuzz.sh`: image-webp 0.2.4 hit a `debug_assert` (and in release an index out of
/// bounds) on a lossless WebP whose Huffman code lengths put a long code under a short one's
/// leaf; the patched copy (vendor/image-webp/PATCHED.md) refuses the code.
#[test]
fn webp_with_a_code_under_a_huffman_leaf_is_an_invalid_frame() {
    let name = "image-webp-huffman-code-under-a-leaf.webp";
    assert_invalid_frame(Frame::decode(&found_by_fuzzing(name)), name);
}

#[test]
fn corrupted_bytes_never_panic_anywhere_in_the_pipeline() {
    let pipeline = Pipeline::new().unwrap();
    for original in [fixture("astronaut.png"), astronaut_jpeg()] {
        for (i, cut) in [7usize, 101, 997, 4099].into_iter().enumerate() {
            let mut bad = original.clone();
            // Flip a run of bytes in the middle of the compressed data, and truncate.
            let at = bad.len() / 3 + i * 977;
            bad[at..at + 64].iter_mut().for_each(|b| *b ^= 0xa5);
            for bytes in [&bad[..], &bad[..bad.len() - cut]] {
                if let Ok(frame) = Frame::decode(bytes) {
                    match pipeline.describe(&frame, Selection::Largest) {
                        Ok(_) | Err(Error::NoFace | Error::FaceTooSmall { .. }) => {}
                        Err(e) => panic!("unexpected error {e}"),
                    }
                }
            }
        }
    }
}

#[test]
fn raw_frames_of_bad_shape_are_invalid_frames() {
    assert_invalid_frame(Frame::from_rgba(&[], 0, 0), "0x0");
    assert_invalid_frame(Frame::from_rgba(&[0; 16], 10_000, 10_000), "10000x10000");
    assert_invalid_frame(Frame::from_rgba(&[0; 15], 2, 2), "short data");
    assert_invalid_frame(Frame::from_pixels(&[0; 64], 4, 4, 8, PixelFormat::Rgba), "stride below a row");
    assert_invalid_frame(Frame::from_pixels(&[0; 47], 4, 4, 12, PixelFormat::Rgb), "stride times height too long");
}

/// Sizes computed from caller-chosen numbers overflow no integer: each used to panic (debug) or
/// wrap and index out of bounds (release).
#[test]
fn overflowing_sizes_are_invalid_frames_not_panics() {
    let data: Vec<u8> = (0..64).collect();
    for stride in [usize::MAX, usize::MAX / 2 + 1, usize::MAX / 3 + 1, 1 << (usize::BITS - 1)] {
        for height in [2, 3, 8192] {
            let what = format!("stride {stride}, height {height}");
            assert_invalid_frame(Frame::from_pixels(&data, 2, height, stride, PixelFormat::Rgba), &what);
        }
    }
    // stride * (height - 1) wraps to a small number that `data` covers.
    let wraps = (usize::MAX / 2) + 1;
    assert_invalid_frame(Frame::from_pixels(&data, 1, 3, wraps, PixelFormat::Rgb), "stride * 2 wraps to 0");
    // width * height and width * channels beyond any integer type.
    assert_invalid_frame(Frame::from_pixels(&data, u32::MAX, u32::MAX, usize::MAX, PixelFormat::Rgba), "u32::MAX²");
    assert_invalid_frame(Frame::from_rgba(&data, u32::MAX, 1), "u32::MAX x 1 RGBA");
    assert_invalid_frame(Frame::from_rgba(&data, 1, u32::MAX), "1 x u32::MAX RGBA");
    // A valid large stride still reads the right pixels.
    let frame = Frame::from_pixels(&data, 1, 2, 60, PixelFormat::Rgba).unwrap();
    assert_eq!(frame.rgb(), &[0, 1, 2, 60, 61, 62]);
}

/// A head file whose projection claims dimensions whose product overflows is refused (it was
/// accepted with an empty weight matrix in release builds, and panicked in debug).
#[test]
fn head_file_with_overflowing_projection_is_refused() {
    // The bundled head's file made a triplet head of `dim` inputs and outputs.
    let triplet = |dim: u64, projection: serde_json::Value| {
        let mut file: serde_json::Value = serde_json::from_str(include_str!("../model/head-default.json")).unwrap();
        file["kind"] = "triplet".into();
        file["features"] = "cosine".into();
        file["weights"] = serde_json::json!([1.0]);
        file["input_dim"] = dim.into();
        file["projection"] = serde_json::json!({ "out_dim": dim, "in_dim": dim, "weights": projection });
        file.to_string()
    };
    assert!(Head::from_json(&triplet(1, serde_json::json!([1.0])), mobilefacenet_sha256()).is_ok());
    match Head::from_json(&triplet(1 << 32, serde_json::json!([])), mobilefacenet_sha256()) {
        Err(e @ Error::InvalidTemplate(_)) => assert_eq!(e.code().as_str(), "INVALID_TEMPLATE"),
        other => panic!("expected InvalidTemplate, got {other:?}"),
    }
}

#[test]
fn tiny_and_blank_frames_have_no_face() {
    let pipeline = Pipeline::new().unwrap();
    for (w, h) in [(1, 1), (2, 700), (700, 2), (64, 64)] {
        let frame = Frame::from_rgba(&vec![128; (w * h * 4) as usize], w, h).unwrap();
        assert!(matches!(pipeline.describe(&frame, Selection::Single), Err(Error::NoFace)), "{w}x{h}");
    }
}
