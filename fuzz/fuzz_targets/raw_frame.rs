//! `Frame::from_pixels` with arbitrary width, height, stride, format and data: a frame whose
//! pixels are the input's, or `INVALID_FRAME`, never a panic (huge strides included).
#![no_main]

use facegate::{ErrorCode, Frame, PixelFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u32, u32, usize, bool, &[u8])| {
    let (width, height, stride, rgba, data) = input;
    let format = if rgba { PixelFormat::Rgba } else { PixelFormat::Rgb };
    match Frame::from_pixels(data, width, height, stride, format) {
        Ok(frame) => {
            assert_eq!((frame.width(), frame.height()), (width, height));
            let row = width as usize * format.channels();
            let last = (height as usize - 1) * stride;
            // The last pixel of the last row is the input's.
            assert_eq!(&frame.rgb()[frame.rgb().len() - 3..], &data[last + row - format.channels()..][..3]);
        }
        Err(e) => assert_eq!(e.code(), ErrorCode::InvalidFrame, "{e}"),
    }
});
