//! Head files (`Head::from_json`) from arbitrary bytes: a head that scores any pair of unit
//! embeddings as a probability in [0, 1], or `INVALID_TEMPLATE` / `MODEL_MISMATCH`, never a panic.
#![no_main]

use facegate::model::bundled::mobilefacenet_sha256;
use facegate::{Embedding, ErrorCode, Head};
use libfuzzer_sys::fuzz_target;

/// Longest embedding scored (a parsed head may claim any length; its weights are in the input).
const MAX_SCORED_DIM: usize = 4096;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    match Head::from_json(text, mobilefacenet_sha256()) {
        Ok(head) if head.input_dim() <= MAX_SCORED_DIM => {
            let dim = head.input_dim();
            let a = Embedding::new((0..dim).map(|i| (i % 7) as f32 - 3.0).collect()).unwrap();
            let b = Embedding::new((0..dim).map(|i| (i % 5) as f32 + 0.5).collect()).unwrap();
            for (x, y) in [(&a, &b), (&a, &a)] {
                if let Ok(p) = head.probability(x, y) {
                    assert!((0.0..=1.0).contains(&p), "{p}");
                }
            }
        }
        Ok(_) => {}
        Err(e) => assert!(matches!(e.code(), ErrorCode::InvalidTemplate | ErrorCode::ModelMismatch), "{e}"),
    }
});
