//! Reading a CSV file as a stream, for files too large to hold in memory
//! twice over (a national GPAD practice-level month is about 1.5 million
//! rows and 270 MB): the raw bytes are hashed as they are read, gzip is
//! inflated on the fly (refusing more than the file's decompressed limit,
//! at most [`MAX_DECOMPRESSED`], as soon as it is passed), reading stops at
//! the row limit, and
//! records are split by `csv_core` one line at a time so every record has
//! the exact line a user sees it on (the `csv` crate's own line count is
//! off after CRLF line endings and blank lines).
//!
//! Records are bytes: the columns readers parse (codes, labels, counts,
//! dates) are ASCII, so a field is decoded only when a reader needs its text
//! (UTF-8, else Windows-1252, as in [`crate::decode`]).

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read};

use sha2::{Digest, Sha256};

use crate::decode::MAX_DECOMPRESSED;

/// The longest line read (a GPAD line is under 300 bytes).
pub const MAX_LINE: u64 = 1 << 20;

/// A reader that hashes every byte it passes on.
pub(crate) struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

/// The raw bytes of a file, plain or gzip, hashed as read.
pub(crate) enum Source<R> {
    Plain(Hashing<R>),
    Gzip {
        // Boxed: the decoder's state is large and one source lives per file.
        decoder: Box<flate2::read::MultiGzDecoder<Hashing<R>>>,
        inflated: u64,
        /// The most bytes the data may inflate to.
        cap: u64,
    },
}

impl<R: Read> Source<R> {
    /// A source over raw bytes; `gzip` when they start with the gzip magic,
    /// refused once it inflates past `max_decompressed` bytes.
    pub fn new(inner: R, gzip: bool, max_decompressed: u64) -> Self {
        let hashing = Hashing {
            inner,
            hasher: Sha256::new(),
        };
        if gzip {
            Source::Gzip {
                decoder: Box::new(flate2::read::MultiGzDecoder::new(hashing)),
                inflated: 0,
                cap: max_decompressed.min(MAX_DECOMPRESSED),
            }
        } else {
            Source::Plain(hashing)
        }
    }

    /// Reads whatever the decoder left unread (gzip trailers, padding) so
    /// the hash covers the whole file, and returns it in hex.
    pub fn finish(self) -> io::Result<String> {
        let mut hashing = match self {
            Source::Plain(h) => h,
            Source::Gzip { decoder, .. } => decoder.into_inner(),
        };
        io::copy(&mut hashing, &mut io::sink())?;
        Ok(hex::encode(hashing.hasher.finalize()))
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Plain(h) => h.read(buf),
            Source::Gzip {
                decoder,
                inflated,
                cap,
            } => {
                let n = decoder.read(buf)?;
                *inflated = inflated.saturating_add(n as u64);
                if *inflated > *cap {
                    return Err(io::Error::other(crate::decode::too_large(
                        "gzip data",
                        *cap,
                    )));
                }
                Ok(n)
            }
        }
    }
}

/// CSV records read one line at a time, with their line numbers.
pub(crate) struct Records<R> {
    input: BufReader<R>,
    line: Vec<u8>,
    pos: usize,
    eof: bool,
    /// Lines read so far (the number of the line in `line`).
    line_no: u64,
    reader: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    fields: usize,
    error: Option<String>,
    /// Non-blank records passed on so far, and the most that may be.
    records: u64,
    max_records: u64,
}

impl<R: Read> Records<R> {
    pub fn new(input: R) -> Self {
        Self {
            input: BufReader::with_capacity(1 << 16, input),
            line: Vec::with_capacity(512),
            pos: 0,
            eof: false,
            line_no: 0,
            reader: csv_core::Reader::new(),
            out: vec![0; 1024],
            ends: vec![0; 64],
            fields: 0,
            error: None,
            records: 0,
            max_records: u64::MAX,
        }
    }

    /// Stops with an error after `max_records` non-blank records (the
    /// header counts as one).
    pub fn with_max_records(mut self, max_records: u64) -> Self {
        self.max_records = max_records.saturating_add(1);
        self
    }

    /// Why reading stopped early, if it did (a damaged gzip stream, a line
    /// too long, an I/O error).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The source, for [`Source::finish`].
    pub fn into_inner(self) -> R {
        self.input.into_inner()
    }

    /// Reads the next non-blank record; returns its first line's number, or
    /// `None` at the end of the data (or on an error: see [`Records::error`]).
    pub fn next_record(&mut self) -> Option<u64> {
        loop {
            let row = self.next_any()?;
            if (0..self.fields).any(|i| !self.field(i).trim_ascii().is_empty()) {
                if self.records >= self.max_records {
                    self.error = Some(crate::too_many_rows(self.max_records - 1));
                    return None;
                }
                self.records += 1;
                return Some(row);
            }
        }
    }

    fn next_any(&mut self) -> Option<u64> {
        let (mut nout_total, mut nend_total) = (0usize, 0usize);
        let mut start: Option<u64> = None;
        loop {
            if self.pos >= self.line.len() && !self.eof {
                self.line.clear();
                self.pos = 0;
                let limited = (&mut self.input).take(MAX_LINE);
                match { limited }.read_until(b'\n', &mut self.line) {
                    Ok(0) => self.eof = true,
                    Ok(n) => {
                        self.line_no = self.line_no.saturating_add(1);
                        if n as u64 >= MAX_LINE && self.line.last() != Some(&b'\n') {
                            self.error = Some(format!(
                                "line {} is longer than {} bytes; this is not a CSV file pcn can read",
                                self.line_no, MAX_LINE
                            ));
                            return None;
                        }
                    }
                    Err(e) => {
                        self.error = Some(format!("the file could not be read: {e}"));
                        return None;
                    }
                }
            }
            let input = self.line.get(self.pos..).unwrap_or_default();
            if start.is_none() && input.iter().any(|b| *b != b'\r' && *b != b'\n') {
                start = Some(self.line_no);
            }
            let (result, nin, nout, nend) = self.reader.read_record(
                input,
                self.out.get_mut(nout_total..).unwrap_or_default(),
                self.ends.get_mut(nend_total..).unwrap_or_default(),
            );
            self.pos += nin;
            nout_total += nout;
            nend_total += nend;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {
                    if self.eof && input.is_empty() {
                        // csv_core answers an empty input with Record or End;
                        // never loop forever if it does not.
                        return None;
                    }
                }
                csv_core::ReadRecordResult::OutputFull => {
                    let len = self.out.len().max(1) * 2;
                    self.out.resize(len, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len().max(1) * 2;
                    self.ends.resize(len, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    self.fields = nend_total;
                    return Some(start.unwrap_or(self.line_no));
                }
                csv_core::ReadRecordResult::End => return None,
            }
        }
    }

    /// How many fields the current record has.
    pub fn len(&self) -> usize {
        self.fields
    }

    /// A field of the current record as bytes (empty when out of range).
    pub fn field(&self, i: usize) -> &[u8] {
        if i >= self.fields {
            return &[];
        }
        let end = self.ends.get(i).copied().unwrap_or(0);
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0)
        };
        self.out.get(start..end).unwrap_or_default()
    }

    /// A field as trimmed text.
    #[cfg(test)]
    pub fn text(&self, i: usize) -> Cow<'_, str> {
        decode_field(self.field(i).trim_ascii())
    }

    /// Every field as text (the header).
    pub fn texts(&self) -> Vec<String> {
        (0..self.fields)
            .map(|i| decode_field(self.field(i)).into_owned())
            .collect()
    }
}

/// UTF-8, else Windows-1252.
pub(crate) fn decode_field(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut r = Records::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(row) = r.next_record() {
            out.push((row, (0..r.len()).map(|i| r.text(i).into_owned()).collect()));
        }
        assert!(r.error().is_none());
        out
    }

    #[test]
    fn line_numbers_are_exact_with_crlf_blank_lines_and_quoted_newlines() {
        for text in [
            "a,b\r\n1,2\r\n\r\n\"x\r\ny\",4\r\n5,6\r\n",
            "a,b\n1,2\n\n\"x\ny\",4\n5,6\n",
            "a,b\n1,2\n \t , \n\"x\ny\",4\n5,6",
        ] {
            let got: Vec<u64> = rows(text).iter().map(|(r, _)| *r).collect();
            assert_eq!(got, vec![1, 2, 4, 6], "{text:?}");
        }
        let got = rows("\u{feff}a, b \r\n\"q,1\",2\r\n");
        assert_eq!(got[0].1, vec!["a", "b"]);
        assert_eq!(got[1].1, vec!["q,1", "2"]);
    }

    #[test]
    fn windows_1252_fields() {
        let mut r = Records::new(&b"caf\xe9,x\n"[..]);
        assert_eq!(r.next_record(), Some(1));
        assert_eq!(r.text(0), "café");
        assert_eq!(r.field(5), b"");
    }

    #[test]
    fn hashes_plain_and_gzip_sources_as_given() {
        use std::io::Write;
        let text = b"a,b\n1,2\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text).unwrap();
        let gz = gz.finish().unwrap();
        for (bytes, gzip) in [(&text[..], false), (&gz[..], true)] {
            let mut records = Records::new(Source::new(bytes, gzip, u64::MAX));
            let mut n = 0;
            while records.next_record().is_some() {
                n += 1;
            }
            assert_eq!(n, 2);
            let hash = records.into_inner().finish().unwrap();
            assert_eq!(hash, hex::encode(Sha256::digest(bytes)));
        }
    }
}
