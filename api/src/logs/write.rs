//! Writing the log as CSV (the import's default columns, so an export imports back)
//! or XES (one trace per case, the function as `org:group`, for PM4Py, Disco or
//! Celonis), page by page.

use std::sync::Arc;

use chrono::SecondsFormat;
use futures_util::Stream;
use quick_xml::escape::escape;
use service::log::export::ExportRow;
use service::reports::names::Names;
use service::rules::Window;
use service::storage::db::Tenant;
use service::ServiceResult;

use super::{Format, FIELDS};

/// The log in `window` of the handle's organization as a file of `format`, in the
/// order of its bytes: the start, one piece per page of rows, the end. Each page is
/// read when the consumer asks for the next piece, so the file is never held whole.
pub fn file(
    db: Tenant,
    names: Arc<Names>,
    format: Format,
    window: Window,
) -> impl Stream<Item = ServiceResult<Vec<u8>>> {
    let org = db.organization_id();
    struct State {
        db: Tenant,
        names: Arc<Names>,
        writer: LogWriter,
        started: bool,
        after: Option<(i64, i64)>,
        done: bool,
    }
    let state = State {
        db,
        names,
        writer: LogWriter::new(format),
        started: false,
        after: None,
        done: false,
    };
    futures_util::stream::unfold(state, move |mut state| async move {
        if state.done {
            return None;
        }
        if !state.started {
            state.started = true;
            return Some((Ok(state.writer.begin()), state));
        }
        let page = service::log::export::page(&state.db, org, &state.names, window, state.after);
        let piece = match page.await {
            Ok(rows) => match rows.last() {
                Some(last) => {
                    state.after = Some(last.position);
                    Ok(state.writer.page(rows))
                }
                None => {
                    state.done = true;
                    Ok(state.writer.finish())
                }
            },
            Err(error) => {
                state.done = true;
                Err(error)
            }
        };
        Some((piece, state))
    })
}

/// Turns pages of exported rows into the bytes of a file (the doors export CSV and XES
/// only, and refuse OCEL before a writer is made).
pub struct LogWriter {
    format: Format,
    /// XES: the events of the case being written, until the next case starts.
    case: Vec<ExportRow>,
}

pub(crate) fn instant(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl LogWriter {
    pub fn new(format: Format) -> LogWriter {
        LogWriter {
            format,
            case: Vec::new(),
        }
    }

    /// What the file starts with.
    pub fn begin(&self) -> Vec<u8> {
        match self.format {
            Format::Csv => {
                let mut header = FIELDS.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(",");
                header.push('\n');
                header.into_bytes()
            }
            _ => concat!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                "<log xes.version=\"1849-2016\" xes.features=\"\" xmlns=\"http://www.xes-standard.org/\">\n",
                "  <extension name=\"Concept\" prefix=\"concept\" uri=\"http://www.xes-standard.org/concept.xesext\"/>\n",
                "  <extension name=\"Time\" prefix=\"time\" uri=\"http://www.xes-standard.org/time.xesext\"/>\n",
                "  <extension name=\"Organizational\" prefix=\"org\" uri=\"http://www.xes-standard.org/org.xesext\"/>\n",
                "  <extension name=\"Identity\" prefix=\"identity\" uri=\"http://www.xes-standard.org/identity.xesext\"/>\n",
                "  <string key=\"concept:name\" value=\"siloscope interactions\"/>\n",
            )
            .as_bytes()
            .to_vec(),
        }
    }

    /// The bytes of one page.
    pub fn page(&mut self, rows: Vec<ExportRow>) -> Vec<u8> {
        let mut out = Vec::new();
        match self.format {
            Format::Csv => {
                let mut writer = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(&mut out);
                for row in rows {
                    let at = instant(row.at);
                    let flag = if row.customer_action_required {
                        "true"
                    } else {
                        "false"
                    };
                    // Columns in FIELDS order.
                    let _ = writer.write_record([
                        row.external_id.as_deref().unwrap_or(""),
                        &row.case_ref,
                        &at,
                        &row.function,
                        row.function_external_id.as_deref().unwrap_or(""),
                        row.touchpoint.as_deref().unwrap_or(""),
                        row.note.as_deref().unwrap_or(""),
                        flag,
                    ]);
                }
                let _ = writer.flush();
                drop(writer);
            }
            _ => {
                for row in rows {
                    if self
                        .case
                        .first()
                        .is_some_and(|first| first.position.0 != row.position.0)
                    {
                        self.trace(&mut out);
                    }
                    self.case.push(row);
                }
            }
        }
        out
    }

    /// What the file ends with.
    pub fn finish(&mut self) -> Vec<u8> {
        match self.format {
            Format::Csv => Vec::new(),
            _ => {
                let mut out = Vec::new();
                self.trace(&mut out);
                out.extend_from_slice(b"</log>\n");
                out
            }
        }
    }

    /// Writes the buffered case as one trace, its events in chain order.
    fn trace(&mut self, out: &mut Vec<u8>) {
        let mut events = std::mem::take(&mut self.case);
        let Some(case_ref) = events.first().map(|e| e.case_ref.clone()) else {
            return;
        };
        events.sort_by(|a, b| {
            (a.at, &a.external_id, a.position.1).cmp(&(b.at, &b.external_id, b.position.1))
        });
        let mut text = format!(
            "  <trace>\n    <string key=\"concept:name\" value=\"{}\"/>\n",
            escape(case_ref.as_str())
        );
        for event in &events {
            text.push_str("    <event>\n");
            let mut string = |key: &str, value: &str| {
                text.push_str(&format!(
                    "      <string key=\"{key}\" value=\"{}\"/>\n",
                    escape(value)
                ));
            };
            // An event without a touchpoint has no concept:name, so that it imports
            // back without one.
            if let Some(touchpoint) = &event.touchpoint {
                string("concept:name", touchpoint);
            }
            string("org:group", &event.function);
            if let Some(id) = &event.external_id {
                string("identity:id", id);
            }
            if let Some(id) = &event.function_external_id {
                string("siloscope:functionExternalId", id);
            }
            if let Some(note) = &event.note {
                string("siloscope:note", note);
            }
            text.push_str(&format!(
                "      <date key=\"time:timestamp\" value=\"{}\"/>\n      <boolean key=\"siloscope:customerActionRequired\" value=\"{}\"/>\n    </event>\n",
                instant(event.at),
                event.customer_action_required
            ));
        }
        text.push_str("  </trace>\n");
        out.extend_from_slice(text.as_bytes());
    }
}
