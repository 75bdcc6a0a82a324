//! Reading a log file (CSV or XES, gzip or not) on a blocking thread, in chunks sent
//! to the importing task: the file is never held whole in memory.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use service::import::{Read as ReadResult, Rejection};
use tokio::sync::mpsc;

use super::rows::{interaction, whole_file, Sink};
use super::{Format, Mapping};

/// Starts reading `source` as `format` on a blocking thread; the chunks arrive on the
/// returned channel (a few at most are buffered, so a slow database slows the reading).
pub fn spawn(
    source: Box<dyn Read + Send>,
    format: Format,
    mapping: Mapping,
) -> mpsc::Receiver<ReadResult> {
    let (tx, rx) = mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let source = match ungzip(source) {
            Ok(source) => source,
            Err(error) => {
                let _ = tx.blocking_send(Err(whole_file(format!("cannot read the file: {error}"))));
                return;
            }
        };
        let mut sink = Sink::new(tx);
        let outcome = match format {
            Format::Csv => read_csv(source, &mapping, &mut sink),
            Format::Xes => read_xes(source, &mapping, &mut sink),
            Format::Ocel => super::ocel::read(source, &mapping, &mut sink),
        };
        match outcome {
            Ok(()) => sink.flush(),
            Err(rejection) => sink.fail(rejection),
        }
    });
    rx
}

/// The source, decompressed when it starts with gzip's magic bytes.
fn ungzip(source: Box<dyn Read + Send>) -> std::io::Result<Box<dyn BufRead + Send>> {
    let mut buffered = BufReader::with_capacity(1 << 16, source);
    let gzipped = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzipped {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    })
}

fn read_csv(
    source: Box<dyn BufRead + Send>,
    mapping: &Mapping,
    sink: &mut Sink,
) -> Result<(), Rejection> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(source);
    let headers = reader
        .headers()
        .map_err(|e| whole_file(format!("cannot read the header row: {e}")))?
        .clone();
    let mut columns: HashMap<&str, usize> = HashMap::new();
    for (field, _) in super::FIELDS {
        let column = mapping.column(field);
        if let Some(index) = headers.iter().position(|h| h.trim() == column) {
            columns.insert(field, index);
        }
    }
    for field in ["case_ref", "occurred_at"] {
        if !columns.contains_key(field) {
            return Err(Rejection {
                line: 1,
                field: mapping.column(field).to_owned(),
                reason: format!(
                    "the header has no column `{}` for {field} (name another with --map {field}=COLUMN)",
                    mapping.column(field)
                ),
            });
        }
    }
    if !columns.contains_key("function") && !columns.contains_key("function_external_id") {
        return Err(Rejection {
            line: 1,
            field: mapping.column("function").to_owned(),
            reason: format!(
                "the header has no column `{}` for the function (name another with --map function=COLUMN)",
                mapping.column("function")
            ),
        });
    }
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                return Err(Rejection {
                    line,
                    field: String::new(),
                    reason: format!("malformed CSV: {error}"),
                });
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let get = |field: &str| {
            columns
                .get(field)
                .and_then(|&i| record.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let going_on = match interaction(get) {
            Ok(input) => sink.row(line, input),
            Err((field, reason)) => sink.reject(line, field, reason),
        };
        if !going_on {
            return Ok(());
        }
    }
}

/// An event's (or a trace's) attributes by key.
type Attributes = HashMap<String, String>;

/// A trace being read: its own attributes, and its events by number (written when the
/// trace ends, as its `concept:name` may come after them).
type OpenTrace = (Attributes, Vec<(u64, Attributes)>);

/// XES: each `<event>` of a `<trace>` is an interaction of the case named by the
/// trace's `concept:name`; events are numbered from 1 in file order, and that number
/// is the "line" a rejection names.
fn read_xes(
    source: Box<dyn BufRead + Send>,
    mapping: &Mapping,
    sink: &mut Sink,
) -> Result<(), Rejection> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(source);
    let mut buffer = Vec::new();
    // Where we are: inside <global> (declarations, not data), a trace, an event, and
    // how deep inside a nested attribute (whose children are not the event's own).
    let mut in_global = 0usize;
    let mut trace: Option<OpenTrace> = None;
    let mut event: Option<HashMap<String, String>> = None;
    let mut nested = 0usize;
    let mut events = 0u64;
    let malformed = |events: u64, error: String| Rejection {
        line: events,
        field: String::new(),
        reason: format!("malformed XES after event {events}: {error}"),
    };
    loop {
        let read = reader
            .read_event_into(&mut buffer)
            .map_err(|e| malformed(events, e.to_string()))?;
        match read {
            Event::Eof => {
                if trace.is_some() || event.is_some() {
                    return Err(malformed(events, "the file ends inside a trace".into()));
                }
                return Ok(());
            }
            Event::Start(element) => {
                let name = element.local_name();
                match name.as_ref() {
                    b"log" => {}
                    b"global" => in_global += 1,
                    _ if in_global > 0 => {}
                    b"trace" if trace.is_none() => trace = Some((HashMap::new(), Vec::new())),
                    b"event" if trace.is_some() && event.is_none() => {
                        events += 1;
                        event = Some(HashMap::new());
                    }
                    _ => {
                        // An attribute with children (a list or container): its own
                        // key/value may still count, its children do not.
                        if nested == 0 {
                            attribute(&element, &mut trace, &mut event)
                                .map_err(|e| malformed(events, e))?;
                        }
                        nested += 1;
                    }
                }
            }
            Event::Empty(element) if in_global == 0 && nested == 0 => {
                attribute(&element, &mut trace, &mut event).map_err(|e| malformed(events, e))?;
            }
            Event::End(element) => match element.local_name().as_ref() {
                b"log" => {}
                b"global" => in_global = in_global.saturating_sub(1),
                _ if in_global > 0 => {}
                b"event" if nested == 0 && event.is_some() => {
                    if let (Some(attributes), Some((_, buffered))) = (event.take(), trace.as_mut())
                    {
                        buffered.push((events, attributes));
                    }
                }
                b"trace" if nested == 0 && event.is_none() => {
                    if let Some((attributes, buffered)) = trace.take() {
                        let case = attributes.get("concept:name").cloned();
                        for (number, attributes) in buffered {
                            let get = |field: &str| {
                                if field == "case_ref" {
                                    return case.clone();
                                }
                                attributes
                                    .get(mapping.column(field))
                                    .map(|v| v.trim().to_owned())
                                    .filter(|v| !v.is_empty())
                            };
                            let going_on = match interaction(get) {
                                Ok(input) => sink.row(number, input),
                                Err((field, reason)) => sink.reject(number, field, reason),
                            };
                            if !going_on {
                                return Ok(());
                            }
                        }
                    }
                }
                _ => nested = nested.saturating_sub(1),
            },
            _ => {}
        }
        buffer.clear();
    }
}

/// Records a `<string key=… value=…/>` (or date, boolean…) on the open event, or on
/// the open trace when no event is open.
fn attribute(
    element: &quick_xml::events::BytesStart<'_>,
    trace: &mut Option<OpenTrace>,
    event: &mut Option<HashMap<String, String>>,
) -> Result<(), String> {
    let (mut key, mut value) = (None, None);
    for attr in element.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let text = attr
            .unescape_value()
            .map_err(|e| e.to_string())?
            .into_owned();
        match attr.key.as_ref() {
            b"key" => key = Some(text),
            b"value" => value = Some(text),
            _ => {}
        }
    }
    let (Some(key), Some(value)) = (key, value) else {
        return Ok(());
    };
    match (event.as_mut(), trace.as_mut()) {
        (Some(event), _) => {
            event.insert(key, value);
        }
        (None, Some((attributes, _))) => {
            attributes.insert(key, value);
        }
        (None, None) => {}
    }
    Ok(())
}
