//! Gallery files / exports (`template::from_bytes`) and single records (an `Enrollment`, as
//! kept in IndexedDB) from arbitrary bytes: valid enrollments or `INVALID_TEMPLATE`, never a
//! panic; what is read writes back and reads again to the same.
#![no_main]

use facegate::template::{from_bytes, to_bytes};
use facegate::{Enrollment, ErrorCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match from_bytes(bytes) {
        Ok(all) => {
            for e in &all {
                assert!(!e.shots().is_empty() && e.template().is_ok());
            }
            assert_eq!(from_bytes(&to_bytes(&all)).unwrap(), all);
        }
        Err(e) => assert_eq!(e.code(), ErrorCode::InvalidTemplate, "{e}"),
    }
    if let Ok(record) = serde_json::from_slice::<Enrollment>(bytes) {
        let again: Enrollment = serde_json::from_slice(&serde_json::to_vec(&record).unwrap()).unwrap();
        assert_eq!(again, record);
    }
});
