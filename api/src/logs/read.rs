//! Reading a log file (CSV, XES or OCEL, gzip or not) on a blocking thread, in chunks
//! sent to the importing task. The file is never held whole, and no reader holds more
//! than its limits allow whatever the file holds ([`ReadLimits`]).

use std::collections::HashMap;
use std::io::{BufRead, Read};

use service::log::import::{Read as ReadResult, Rejection};
use tokio::sync::mpsc;

use super::bounded::{self, CsvError, CsvRecord, CsvRecords, ReadLimits, Tripped};
use super::rows::{interaction, whole_file, Sink};
use super::{Format, Mapping};

/// How a file is read besides its format and mapping.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    pub limits: ReadLimits,
    /// Keep each row's original text, for a reject file.
    pub keep_raw: bool,
}

/// Starts reading `source` as `format` on a blocking thread; the chunks arrive on the
/// returned channel (a few at most are buffered, so a slow database slows the reading).
pub fn spawn(
    source: Box<dyn Read + Send>,
    format: Format,
    mapping: Mapping,
    options: ReadOptions,
) -> mpsc::Receiver<ReadResult> {
    let (tx, rx) = mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let tripped = Tripped::default();
        let mut sink = Sink::new(tx, options.keep_raw);
        let source = match bounded::ungzip(source, options.limits, &tripped) {
            Ok(source) => source,
            Err(error) => {
                sink.fail(whole_file(format!("cannot read the file: {error}")));
                return;
            }
        };
        let outcome = match format {
            Format::Csv => read_csv(source, &mapping, options.limits, &mut sink),
            Format::Xes => read_xes(source, &mapping, options.limits, &tripped, &mut sink),
            Format::Ocel => {
                super::ocel::read(source, &mapping, options.limits, &tripped, &mut sink)
            }
            Format::ZendeskEvents => {
                super::presets::zendesk::read(source, &mapping, options.limits, &tripped, &mut sink)
            }
            Format::JiraChangelog => {
                super::presets::jira::read(source, &mapping, options.limits, &tripped, &mut sink)
            }
            Format::ServicenowAudit => {
                super::presets::servicenow::read(source, &mapping, options.limits, &mut sink)
            }
        };
        match outcome {
            Ok(()) => sink.flush(),
            // A limit a guard ran into says more than the parser's account of it.
            Err(rejection) => sink.fail(match tripped.take() {
                Some(limit) => Rejection::new(rejection.line, "", limit.0),
                None => rejection,
            }),
        }
    });
    rx
}

/// The columns of each field the mapping names, from the header row.
fn columns<'m>(
    header: &CsvRecord,
    mapping: &'m Mapping,
) -> Result<HashMap<&'m str, usize>, Rejection> {
    let mut columns = HashMap::new();
    let names: Vec<String> = (0..header.len())
        .map(|i| {
            String::from_utf8_lossy(header.get(i).unwrap_or_default())
                .trim()
                .to_owned()
        })
        .collect();
    for (field, _) in super::import_fields() {
        let column = mapping.column(field);
        if let Some(index) = names.iter().position(|h| h == column) {
            columns.insert(*field, index);
        }
    }
    let missing = |field: &str, what: &str| {
        Rejection::new(
            header.line,
            mapping.column(field),
            format!(
                "the header has no column `{}` for {what} (name another with {})",
                mapping.column(field),
                mapping.map_hint(field)
            ),
        )
    };
    for field in ["case_ref", "occurred_at"] {
        if !columns.contains_key(field) {
            return Err(missing(field, field));
        }
    }
    if !columns.contains_key("function") && !columns.contains_key("function_external_id") {
        return Err(missing("function", "the function"));
    }
    Ok(columns)
}

fn read_csv(
    source: Box<dyn BufRead + Send>,
    mapping: &Mapping,
    limits: ReadLimits,
    sink: &mut Sink,
) -> Result<(), Rejection> {
    let mut reader = CsvRecords::new(source, limits);
    let mut record = CsvRecord::default();
    let too_long = |error: CsvError| match error {
        CsvError::TooLong {
            line,
            quote_open,
            max,
        } => {
            let why = if quote_open {
                format!("a quote opened on line {line} is never closed: the row runs on past {max} bytes")
            } else {
                format!("the row on line {line} is longer than {max} bytes")
            };
            Rejection::new(
                line,
                "",
                format!("{why} (SILOSCOPE_IMPORT_MAX_RECORD_BYTES)"),
            )
        }
        CsvError::Io(error) => whole_file(format!("cannot read the file: {error}")),
    };
    if !reader.read(&mut record).map_err(too_long)? {
        return Err(whole_file(
            "the file is empty: a CSV log starts with a header row".into(),
        ));
    }
    let width = record.len();
    let columns = columns(&record, mapping)?;
    loop {
        if !reader.read(&mut record).map_err(too_long)? {
            return Ok(());
        }
        let line = record.line;
        let raw = || record.raw_text();
        let going_on = if record.len() != width {
            let mut reason = format!(
                "the row has {} field(s) where the header has {width}",
                record.len()
            );
            if record.quote_left_open() {
                reason.push_str(&format!(
                    "; a quote opened on line {line} may be left open (the row spans {} lines)",
                    record.lines
                ));
            }
            sink.reject(line, "", reason, raw)
        } else {
            let fields: Result<Vec<&str>, usize> = (0..record.len())
                .map(|i| std::str::from_utf8(record.get(i).unwrap_or_default()).map_err(|_| i))
                .collect();
            match fields {
                Err(column) => {
                    let name = columns
                        .iter()
                        .find(|(_, i)| **i == column)
                        .map_or("", |(field, _)| *field);
                    sink.reject(line, name, "the field is not UTF-8 text".into(), raw)
                }
                Ok(fields) => {
                    let get = |field: &str| {
                        columns
                            .get(field)
                            .and_then(|&i| fields.get(i))
                            .map(|v| v.trim())
                            .filter(|v| !v.is_empty())
                            .map(str::to_owned)
                    };
                    match interaction(get, &mapping.time) {
                        Ok(input) => sink.row(line, input, raw),
                        Err((field, reason)) => sink.reject(line, field, reason, raw),
                    }
                }
            }
        };
        if !going_on {
            return Ok(());
        }
    }
}

/// An event's (or a trace's) attributes by key.
type Attributes = HashMap<String, String>;

/// What the XES reader holds of the open trace: its attributes, and its events (by
/// number) until its `concept:name` is known, with the bytes they hold.
#[derive(Default)]
struct OpenTrace {
    attributes: Attributes,
    case: Option<String>,
    pending: Vec<(u64, Attributes)>,
    held: usize,
}

/// The most attributes an event or a trace may carry.
const MAX_ATTRIBUTES: usize = 1_000;

/// XES: each `<event>` of a `<trace>` is an interaction of the case named by the
/// trace's `concept:name`; events are numbered from 1 in file order, and that number
/// is where a rejection says the problem is. Events are handed over as they end once
/// the trace's name is known (it usually comes first); until then they are held,
/// within the held-bytes limit.
fn read_xes(
    source: Box<dyn BufRead + Send>,
    mapping: &Mapping,
    limits: ReadLimits,
    tripped: &Tripped,
    sink: &mut Sink,
) -> Result<(), Rejection> {
    use quick_xml::events::Event;
    let guarded = std::io::BufReader::with_capacity(
        1 << 16,
        bounded::XmlTokens::new(source, limits, tripped),
    );
    let mut reader = quick_xml::Reader::from_reader(guarded);
    let mut buffer = Vec::new();
    let mut at = XesPlace::default();
    loop {
        let read = reader
            .read_event_into(&mut buffer)
            .map_err(|e| at.malformed(e.to_string()))?;
        match read {
            Event::Eof => {
                if at.trace.is_some() || at.event.is_some() {
                    return Err(at.malformed("the file ends inside a trace".into()));
                }
                return Ok(());
            }
            Event::Start(element) => at.start(&element, limits)?,
            Event::Empty(element) if at.in_global == 0 && at.nested == 0 => {
                attribute(&element, &mut at.trace, &mut at.event, at.events)?;
            }
            Event::End(element)
                if !at.end(element.local_name().as_ref(), mapping, limits, sink)? =>
            {
                return Ok(());
            }
            _ => {}
        }
        buffer.clear();
    }
}

/// Where an XES reader is: inside `<global>` (declarations, not data), a trace, an
/// event, and how deep inside a nested attribute (whose children are not the event's
/// own).
#[derive(Default)]
struct XesPlace {
    in_global: usize,
    trace: Option<OpenTrace>,
    event: Option<Attributes>,
    nested: usize,
    depth: usize,
    /// Events begun so far.
    events: u64,
}

impl XesPlace {
    fn malformed(&self, error: String) -> Rejection {
        Rejection::new(
            self.events,
            "",
            format!("malformed XES after event {}: {error}", self.events),
        )
    }

    /// An element opens.
    fn start(
        &mut self,
        element: &quick_xml::events::BytesStart<'_>,
        limits: ReadLimits,
    ) -> Result<(), Rejection> {
        self.depth += 1;
        if self.depth > limits.max_depth {
            return Err(Rejection::new(
                self.events,
                "",
                format!(
                    "XES nested deeper than {} elements after event {} (SILOSCOPE_IMPORT_MAX_DEPTH)",
                    limits.max_depth, self.events
                ),
            ));
        }
        match element.local_name().as_ref() {
            b"log" => {}
            b"global" => self.in_global += 1,
            _ if self.in_global > 0 => {}
            b"trace" if self.trace.is_none() => self.trace = Some(OpenTrace::default()),
            b"event" if self.trace.is_some() && self.event.is_none() => {
                self.events += 1;
                self.event = Some(HashMap::new());
            }
            _ => {
                // An attribute with children (a list or container): its own key/value
                // may still count, its children do not.
                if self.nested == 0 {
                    attribute(element, &mut self.trace, &mut self.event, self.events)?;
                }
                self.nested += 1;
            }
        }
        Ok(())
    }

    /// An element named `name` closes: a finished event or trace goes to the sink.
    /// `false` when the sink wants no more.
    fn end(
        &mut self,
        name: &[u8],
        mapping: &Mapping,
        limits: ReadLimits,
        sink: &mut Sink,
    ) -> Result<bool, Rejection> {
        self.depth = self.depth.saturating_sub(1);
        match name {
            b"log" => {}
            b"global" => self.in_global = self.in_global.saturating_sub(1),
            _ if self.in_global > 0 => {}
            b"event" if self.nested == 0 && self.event.is_some() => {
                if let (Some(attributes), Some(open)) = (self.event.take(), self.trace.as_mut()) {
                    return hand_over(open, self.events, attributes, mapping, limits, sink);
                }
            }
            b"trace" if self.nested == 0 && self.event.is_none() => {
                if let Some(mut open) = self.trace.take() {
                    // A trace without a name: its events are refused by the check of
                    // the case (required).
                    for (number, attributes) in std::mem::take(&mut open.pending) {
                        if !xes_row(&open.case, number, &attributes, mapping, sink) {
                            return Ok(false);
                        }
                    }
                }
            }
            _ => self.nested = self.nested.saturating_sub(1),
        }
        Ok(true)
    }
}

/// Hands an ended event over (the trace's name is known) or holds it until the name
/// comes; `false` when the import has stopped.
fn hand_over(
    open: &mut OpenTrace,
    number: u64,
    attributes: Attributes,
    mapping: &Mapping,
    limits: ReadLimits,
    sink: &mut Sink,
) -> Result<bool, Rejection> {
    if open.case.is_some() {
        for (held, held_attributes) in std::mem::take(&mut open.pending) {
            if !xes_row(&open.case, held, &held_attributes, mapping, sink) {
                return Ok(false);
            }
        }
        open.held = 0;
        return Ok(xes_row(&open.case, number, &attributes, mapping, sink));
    }
    open.held += attributes
        .iter()
        .map(|(k, v)| k.len() + v.len() + 32)
        .sum::<usize>();
    if open.held > limits.max_held_bytes {
        return Err(Rejection::new(
            number,
            "case_ref",
            format!(
                "the trace's events up to event {number} hold more than {} bytes before the trace's concept:name, which names their case (SILOSCOPE_IMPORT_MAX_HELD_BYTES): put the name first",
                limits.max_held_bytes
            ),
        ));
    }
    open.pending.push((number, attributes));
    Ok(true)
}

/// One XES event as a row of case `case`; `false` when the import has stopped.
fn xes_row(
    case: &Option<String>,
    number: u64,
    attributes: &Attributes,
    mapping: &Mapping,
    sink: &mut Sink,
) -> bool {
    let get = |field: &str| {
        if field == "case_ref" {
            return case.clone();
        }
        attributes
            .get(mapping.column(field))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let describe = || {
        let mut pairs: Vec<String> = attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.sort();
        pairs.join("; ")
    };
    match interaction(get, &mapping.time) {
        Ok(input) => sink.row(number, input, describe),
        Err((field, reason)) => sink.reject(number, field, reason, describe),
    }
}

/// Records a `<string key=… value=…/>` (or date, boolean…) on the open event, or on
/// the open trace when no event is open (its `concept:name` names the case, and the
/// events held until then are handed over).
fn attribute(
    element: &quick_xml::events::BytesStart<'_>,
    trace: &mut Option<OpenTrace>,
    event: &mut Option<Attributes>,
    events: u64,
) -> Result<(), Rejection> {
    let malformed = |error: String| {
        Rejection::new(
            events,
            "",
            format!("malformed XES after event {events}: {error}"),
        )
    };
    let (mut key, mut value) = (None, None);
    for attr in element.attributes() {
        let attr = attr.map_err(|e| malformed(e.to_string()))?;
        let text = attr
            .unescape_value()
            .map_err(|e| malformed(e.to_string()))?
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
    let too_many = || {
        Rejection::new(
            events,
            "",
            format!(
                "more than {MAX_ATTRIBUTES} attributes on one event or trace near event {events}"
            ),
        )
    };
    match (event.as_mut(), trace.as_mut()) {
        (Some(event), _) => {
            if event.len() >= MAX_ATTRIBUTES {
                return Err(too_many());
            }
            event.insert(key, value);
        }
        (None, Some(open)) => {
            if open.attributes.len() >= MAX_ATTRIBUTES {
                return Err(too_many());
            }
            if key == "concept:name" && open.case.is_none() {
                open.case = Some(value.clone());
            }
            open.attributes.insert(key, value);
        }
        (None, None) => {}
    }
    Ok(())
}
