//! `Frame::decode` on arbitrary bytes: an image or `INVALID_FRAME`, never a panic, and a decoded
//! frame always within the size limits.
#![no_main]

use facegate::frame::{MAX_PIXELS, MAX_SIDE};
use facegate::{ErrorCode, Frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| match Frame::decode(bytes) {
    Ok(frame) => {
        let (w, h) = (frame.width(), frame.height());
        assert!(w > 0 && h > 0 && w <= MAX_SIDE && h <= MAX_SIDE && u64::from(w) * u64::from(h) <= MAX_PIXELS);
        assert_eq!(frame.rgb().len(), w as usize * h as usize * 3);
    }
    Err(e) => assert_eq!(e.code(), ErrorCode::InvalidFrame, "{e}"),
});
