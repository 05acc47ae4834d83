//! A file's text straight from disk, gunzipped when it is gzip, with no pcn
//! code in between: the tests' independent view of the published files.
//! Shared by `pcn-cli`'s tests (included there by path).

use std::io::Read;
use std::path::Path;

/// The text of `path`, gunzipped when it starts with the gzip magic bytes.
pub fn raw_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .unwrap();
        s
    } else {
        String::from_utf8(bytes).unwrap()
    }
}
