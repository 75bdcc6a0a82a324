//! Readers that are bounded while they read, whatever the file holds: a decompressed
//! size and a compression ratio for gzip, a longest record for CSV (checked byte by
//! byte, before a record is held whole), a longest token and a deepest nesting for XML
//! and JSON. Each limit is a setting ([`ReadLimits`]) and its error names it.

use std::io::{BufRead, Read};
use std::sync::{Arc, Mutex};

pub use crate::server::config::ReadLimits;

/// The decompressed size from which the compression ratio is checked: small files
/// may compress as well as they like.
const RATIO_FROM: u64 = 64 << 20;

/// A limit a reader ran into, for the rejection that ends the import. Guards put it
/// in a [`Tripped`] the format reader looks at when its parser fails, so the message is
/// the limit's, not the parser's account of an I/O error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitError(pub String);

/// Where a guard deep inside a parser leaves the limit it ran into.
#[derive(Clone, Debug, Default)]
pub struct Tripped(Arc<Mutex<Option<LimitError>>>);

impl Tripped {
    fn set(&self, error: LimitError) -> std::io::Error {
        let text = error.0.clone();
        if let Ok(mut slot) = self.0.lock() {
            slot.get_or_insert(error);
        }
        std::io::Error::other(text)
    }

    /// The limit a guard ran into, if any.
    pub fn take(&self) -> Option<LimitError> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// Counts what it passes on.
struct Counting<R> {
    inner: R,
    count: Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// A gzip stream's decompressed bytes, refused past the size and ratio limits.
struct Inflated<R> {
    inner: R,
    compressed: Arc<std::sync::atomic::AtomicU64>,
    out: u64,
    limits: ReadLimits,
    tripped: Tripped,
}

impl<R: Read> Read for Inflated<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > self.limits.max_decompressed_bytes {
            return Err(self.tripped.set(LimitError(format!(
                "the file decompresses to more than {} bytes (SILOSCOPE_IMPORT_MAX_DECOMPRESSED_BYTES)",
                self.limits.max_decompressed_bytes
            ))));
        }
        let compressed = self
            .compressed
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(1);
        if self.out > RATIO_FROM && self.out / compressed > self.limits.max_compression_ratio {
            return Err(self.tripped.set(LimitError(format!(
                "the file decompresses to more than {} times its size, as a decompression bomb does, not a log (SILOSCOPE_IMPORT_MAX_COMPRESSION_RATIO)",
                self.limits.max_compression_ratio
            ))));
        }
        Ok(n)
    }
}

/// The source, decompressed when it starts with gzip's magic bytes, within `limits`.
pub fn ungzip(
    source: Box<dyn Read + Send>,
    limits: ReadLimits,
    tripped: &Tripped,
) -> std::io::Result<Box<dyn BufRead + Send>> {
    let count = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counting = Counting {
        inner: source,
        count: count.clone(),
    };
    let mut buffered = std::io::BufReader::with_capacity(1 << 16, counting);
    let gzipped = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzipped {
        Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            Inflated {
                inner: flate2::bufread::MultiGzDecoder::new(buffered),
                compressed: count,
                out: 0,
                limits,
                tripped: tripped.clone(),
            },
        ))
    } else {
        Box::new(buffered)
    })
}

/// XML: no element (with its attributes), text, comment or CDATA longer than the
/// record limit reaches the parser. Every such token ends at a `<` or `>`, so a run of
/// more bytes than the limit without either is refused as it streams by. A `Read`
/// only: the parser's buffer goes around it, so every byte passes the guard.
pub struct XmlTokens<R> {
    inner: R,
    run: usize,
    max: usize,
    tripped: Tripped,
}

impl<R> XmlTokens<R> {
    pub fn new(inner: R, limits: ReadLimits, tripped: &Tripped) -> Self {
        XmlTokens {
            inner,
            run: 0,
            max: limits.max_record_bytes,
            tripped: tripped.clone(),
        }
    }
}

impl<R: BufRead> Read for XmlTokens<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let available = self.inner.fill_buf()?;
            let n = available.len().min(buf.len());
            buf[..n].copy_from_slice(&available[..n]);
            n
        };
        self.inner.consume(n);
        for &byte in &buf[..n] {
            if byte == b'<' || byte == b'>' {
                self.run = 0;
            } else {
                self.run += 1;
                if self.run > self.max {
                    return Err(self.tripped.set(LimitError(format!(
                        "an XML element or text is longer than {} bytes (SILOSCOPE_IMPORT_MAX_RECORD_BYTES)",
                        self.max
                    ))));
                }
            }
        }
        Ok(n)
    }
}

/// JSON: no string or other scalar longer than the record limit, and no nesting deeper
/// than the depth limit, reaches the parser (which would hold either whole).
pub struct JsonTokens<R> {
    inner: R,
    state: JsonState,
    run: usize,
    depth: usize,
    limits: ReadLimits,
    tripped: Tripped,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum JsonState {
    Between,
    Scalar,
    InString,
    Escape,
}

impl<R> JsonTokens<R> {
    pub fn new(inner: R, limits: ReadLimits, tripped: &Tripped) -> Self {
        JsonTokens {
            inner,
            state: JsonState::Between,
            run: 0,
            depth: 0,
            limits,
            tripped: tripped.clone(),
        }
    }

    fn step(&mut self, byte: u8) -> Result<(), LimitError> {
        use JsonState::*;
        match (self.state, byte) {
            (InString, b'\\') => self.state = Escape,
            (InString, b'"') => {
                self.state = Between;
                self.run = 0;
            }
            (Escape, _) => self.state = InString,
            (InString, _) => {}
            (_, b'"') => {
                self.state = InString;
                self.run = 0;
            }
            (_, b'{' | b'[') => {
                self.depth += 1;
                if self.depth > self.limits.max_depth {
                    return Err(LimitError(format!(
                        "JSON nested deeper than {} levels (SILOSCOPE_IMPORT_MAX_DEPTH)",
                        self.limits.max_depth
                    )));
                }
                self.state = Between;
                self.run = 0;
            }
            (_, b'}' | b']') => {
                self.depth = self.depth.saturating_sub(1);
                self.state = Between;
                self.run = 0;
            }
            (_, b',' | b':' | b' ' | b'\n' | b'\r' | b'\t') => {
                self.state = Between;
                self.run = 0;
            }
            (_, _) => self.state = Scalar,
        }
        if matches!(self.state, InString | Escape | Scalar) {
            self.run += 1;
            if self.run > self.limits.max_record_bytes {
                return Err(LimitError(format!(
                    "a JSON string or value is longer than {} bytes (SILOSCOPE_IMPORT_MAX_RECORD_BYTES)",
                    self.limits.max_record_bytes
                )));
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for JsonTokens<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &byte in &buf[..n] {
            if let Err(error) = self.step(byte) {
                return Err(self.tripped.set(error));
            }
        }
        Ok(n)
    }
}

/// One CSV record as read: where it began, its fields, and its text as the file had it
/// (the first [`RAW_KEPT`] bytes, for a reject file).
#[derive(Debug, Default)]
pub struct CsvRecord {
    /// The line the record begins on, from 1.
    pub line: u64,
    /// The lines it spans (more than one when a quoted field holds line breaks).
    pub lines: u64,
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// The record's bytes as in the file, up to [`RAW_KEPT`].
    pub raw: Vec<u8>,
    /// Quotes in the record's bytes (odd: a quote may have been left open).
    quotes: u64,
}

/// The most of a record's original text kept for a reject file.
pub const RAW_KEPT: usize = 16 << 10;

impl CsvRecord {
    /// How many fields the record has.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the record has no field.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`'s bytes.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.fields.get(start..end)
    }

    /// Whether a quote was opened and never closed (an odd number of quote characters
    /// over more than one line).
    pub fn quote_left_open(&self) -> bool {
        self.quotes % 2 == 1 && self.lines > 1
    }

    /// The original text, without its line ending.
    pub fn raw_text(&self) -> String {
        let raw = String::from_utf8_lossy(&self.raw);
        raw.trim_end_matches(['\r', '\n']).to_owned()
    }
}

/// Why a CSV file cannot be read further.
#[derive(Debug)]
pub enum CsvError {
    /// A record grew past the limit; it began at `line`.
    TooLong {
        line: u64,
        quote_open: bool,
        max: usize,
    },
    Io(std::io::Error),
}

/// CSV records read with csv-core into buffers that never grow past the record
/// limit. Line numbers count `\n`, whatever the line endings (a `\r\n` file's first
/// data row is line 2, as in any editor); blank lines are skipped.
pub struct CsvRecords<R> {
    inner: R,
    core: csv_core::Reader,
    max: usize,
    /// Lines fully read so far.
    lines: u64,
    done: bool,
}

impl<R: BufRead> CsvRecords<R> {
    pub fn new(inner: R, limits: ReadLimits) -> Self {
        CsvRecords {
            inner,
            core: csv_core::Reader::new(),
            max: limits.max_record_bytes,
            lines: 0,
            done: false,
        }
    }

    /// Skips line endings before a record, counting them.
    fn skip_blank_lines(&mut self) -> std::io::Result<()> {
        loop {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                return Ok(());
            }
            let blank = available
                .iter()
                .take_while(|b| **b == b'\n' || **b == b'\r')
                .count();
            self.lines += available[..blank].iter().filter(|b| **b == b'\n').count() as u64;
            let all = blank == available.len();
            self.inner.consume(blank);
            if !all {
                return Ok(());
            }
        }
    }

    /// Reads the next record into `record`; `false` at the end of the file.
    pub fn read(&mut self, record: &mut CsvRecord) -> Result<bool, CsvError> {
        if self.done {
            return Ok(false);
        }
        self.skip_blank_lines().map_err(CsvError::Io)?;
        record.line = self.lines + 1;
        record.fields.clear();
        record.ends.clear();
        record.raw.clear();
        record.quotes = 0;
        let (mut out, mut ends, mut consumed) = (0usize, 0usize, 0usize);
        if record.fields.len() < 256 {
            record.fields.resize(256, 0);
        }
        if record.ends.len() < 32 {
            record.ends.resize(32, 0);
        }
        let first_line = self.lines;
        loop {
            let input = self.inner.fill_buf().map_err(CsvError::Io)?;
            let (result, nin, nout, nend) =
                self.core
                    .read_record(input, &mut record.fields[out..], &mut record.ends[ends..]);
            let taken = &input[..nin];
            self.lines += taken.iter().filter(|b| **b == b'\n').count() as u64;
            record.quotes += taken.iter().filter(|b| **b == b'"').count() as u64;
            let keep = RAW_KEPT.saturating_sub(record.raw.len()).min(nin);
            record.raw.extend_from_slice(&taken[..keep]);
            consumed += nin;
            self.inner.consume(nin);
            out += nout;
            ends += nend;
            if consumed > self.max || out > self.max {
                record.lines = self.lines - first_line + 1;
                return Err(CsvError::TooLong {
                    line: record.line,
                    quote_open: record.quotes % 2 == 1,
                    max: self.max,
                });
            }
            use csv_core::ReadRecordResult::*;
            match result {
                InputEmpty => continue,
                OutputFull => {
                    let grown = (record.fields.len() * 2).min(self.max + 1).max(out + 1);
                    record.fields.resize(grown, 0);
                }
                OutputEndsFull => {
                    let grown = record.ends.len() * 2;
                    record.ends.resize(grown, 0);
                }
                Record => {
                    record.fields.truncate(out);
                    record.ends.truncate(ends);
                    record.lines = (self.lines - first_line).max(1);
                    return Ok(true);
                }
                End => {
                    self.done = true;
                    return Ok(false);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &[u8], limits: ReadLimits) -> Vec<Result<(u64, Vec<String>), String>> {
        let mut reader = CsvRecords::new(text, limits);
        let mut out = Vec::new();
        let mut record = CsvRecord::default();
        loop {
            match reader.read(&mut record) {
                Ok(true) => out.push(Ok((
                    record.line,
                    (0..record.len())
                        .map(|i| String::from_utf8_lossy(record.get(i).unwrap()).into_owned())
                        .collect(),
                ))),
                Ok(false) => return out,
                Err(CsvError::TooLong {
                    line, quote_open, ..
                }) => {
                    out.push(Err(format!("too long at {line}, open {quote_open}")));
                    return out;
                }
                Err(CsvError::Io(e)) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }

    #[test]
    fn line_numbers_are_right_with_crlf_and_blank_lines() {
        let lf = records(b"a,b\n1,2\n\n3,4\n", ReadLimits::default());
        let crlf = records(b"a,b\r\n1,2\r\n\r\n3,4\r\n", ReadLimits::default());
        let want = vec![
            Ok((1, vec!["a".into(), "b".into()])),
            Ok((2, vec!["1".into(), "2".into()])),
            Ok((4, vec!["3".into(), "4".into()])),
        ];
        assert_eq!(lf, want);
        assert_eq!(crlf, want);
    }

    #[test]
    fn a_quoted_field_may_span_lines_and_the_next_record_counts_them() {
        let got = records(b"a,b\n\"x\ny\",2\n3,4", ReadLimits::default());
        assert_eq!(got[1], Ok((2, vec!["x\ny".into(), "2".into()])));
        assert_eq!(got[2], Ok((4, vec!["3".into(), "4".into()])));
    }

    #[test]
    fn a_record_past_the_limit_is_refused_where_it_began_without_being_held() {
        let limits = ReadLimits {
            max_record_bytes: 64,
            ..ReadLimits::default()
        };
        let mut text = b"a,b\n1,2\n3,\"open".to_vec();
        text.extend(std::iter::repeat_n(b'x', 10_000));
        let got = records(&text, limits);
        assert_eq!(
            got.last(),
            Some(&Err("too long at 3, open true".to_owned()))
        );
        let nul = vec![0u8; 10_000];
        assert_eq!(
            records(&nul, limits),
            vec![Err("too long at 1, open false".to_owned())]
        );
    }

    #[test]
    fn json_strings_and_nesting_are_bounded_as_they_stream() {
        let limits = ReadLimits {
            max_record_bytes: 16,
            max_depth: 4,
            ..ReadLimits::default()
        };
        let read = |text: &str| {
            let tripped = Tripped::default();
            let mut guarded = JsonTokens::new(text.as_bytes(), limits, &tripped);
            let mut sink = Vec::new();
            guarded
                .read_to_end(&mut sink)
                .map(|_| ())
                .map_err(|_| tripped.take())
        };
        assert!(read(r#"{"a": ["short", 12, "with \" quote"]}"#).is_ok());
        let long = read(r#"{"a": "this string is far too long"}"#).unwrap_err();
        assert!(long
            .unwrap()
            .0
            .contains("SILOSCOPE_IMPORT_MAX_RECORD_BYTES"));
        // An escaped quote does not end the string for the count.
        let escaped = read(r#"{"a": "0123456789\"0123456789"}"#).unwrap_err();
        assert!(escaped.is_some());
        let deep = read("[[[[[1]]]]]").unwrap_err();
        assert!(deep.unwrap().0.contains("SILOSCOPE_IMPORT_MAX_DEPTH"));
    }

    #[test]
    fn xml_tokens_are_bounded_as_they_stream() {
        let limits = ReadLimits {
            max_record_bytes: 16,
            ..ReadLimits::default()
        };
        let read = |text: &str| {
            let tripped = Tripped::default();
            let mut guarded =
                XmlTokens::new(std::io::BufReader::new(text.as_bytes()), limits, &tripped);
            let mut sink = Vec::new();
            guarded
                .read_to_end(&mut sink)
                .map(|_| ())
                .map_err(|_| tripped.take())
        };
        assert!(read("<a><b k=\"v\"/>text</a>").is_ok());
        assert!(read("<a>a text far longer than sixteen</a>").is_err());
    }

    #[test]
    fn a_gzip_bomb_is_refused_by_its_ratio() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..80 {
            encoder.write_all(&zeros).unwrap();
        }
        let gz = encoder.finish().unwrap();
        let tripped = Tripped::default();
        let mut reader = ungzip(
            Box::new(std::io::Cursor::new(gz)),
            ReadLimits::default(),
            &tripped,
        )
        .unwrap();
        let mut sink = vec![0u8; 1 << 16];
        let refused = loop {
            match reader.read(&mut sink) {
                Ok(0) => break None,
                Ok(_) => {}
                Err(_) => break tripped.take(),
            }
        };
        assert!(refused
            .unwrap()
            .0
            .contains("SILOSCOPE_IMPORT_MAX_COMPRESSION_RATIO"));
    }
}
