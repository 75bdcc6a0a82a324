//! Rows as the readers hand them over: collected into chunks for the import, and
//! built from a log's fields by name.

use service::log::import::{Chunk, Read as ReadResult, Rejection, SourceRow, CHUNK_ROWS};
use service::log::recording::{FunctionRef, InteractionInput, TouchpointRef};
use tokio::sync::mpsc;

pub(super) fn whole_file(reason: String) -> Rejection {
    Rejection::new(0, "", reason)
}

/// Collects rows into chunks and sends each when full. A closed channel (the import
/// gave up) stops the reading.
pub(super) struct Sink {
    tx: mpsc::Sender<ReadResult>,
    chunk: Chunk,
    /// Keep each row's original text (for a reject file).
    keep_raw: bool,
}

impl Sink {
    pub(super) fn new(tx: mpsc::Sender<ReadResult>, keep_raw: bool) -> Sink {
        Sink {
            tx,
            chunk: Chunk::default(),
            keep_raw,
        }
    }

    fn raw(&self, raw: impl FnOnce() -> String) -> Option<Box<str>> {
        self.keep_raw.then(|| raw().into_boxed_str())
    }

    /// Ends the reading with the reason the file cannot be read further.
    pub(super) fn fail(self, rejection: Rejection) {
        let _ = self.tx.blocking_send(Err(rejection));
    }
}

impl Sink {
    /// A row read; `raw` gives its original text, asked for only when it is kept.
    pub(super) fn row(
        &mut self,
        line: u64,
        input: InteractionInput,
        raw: impl FnOnce() -> String,
    ) -> bool {
        let raw = self.raw(raw);
        self.chunk.rows.push(SourceRow { line, input, raw });
        self.maybe_send()
    }

    /// A row refused as read.
    pub(super) fn reject(
        &mut self,
        line: u64,
        field: &str,
        reason: String,
        raw: impl FnOnce() -> String,
    ) -> bool {
        let raw = self.raw(raw);
        self.chunk.rejected.push(Rejection {
            line,
            field: field.to_owned(),
            reason,
            raw,
        });
        self.maybe_send()
    }

    fn maybe_send(&mut self) -> bool {
        if self.chunk.rows.len() + self.chunk.rejected.len() < CHUNK_ROWS {
            return true;
        }
        self.tx
            .blocking_send(Ok(std::mem::take(&mut self.chunk)))
            .is_ok()
    }

    pub(super) fn flush(mut self) {
        if !self.chunk.rows.is_empty() || !self.chunk.rejected.is_empty() {
            let _ = self.tx.blocking_send(Ok(std::mem::take(&mut self.chunk)));
        }
    }
}

/// An interaction from its fields by name; the reason and field when one is unusable.
pub(super) fn interaction(
    get: impl Fn(&str) -> Option<String>,
) -> Result<InteractionInput, (&'static str, String)> {
    let function = match (get("function_external_id"), get("function")) {
        (Some(external), _) => FunctionRef::ExternalId(external),
        (None, Some(name)) => FunctionRef::Name(name),
        (None, None) => return Err(("function", "no function given".to_owned())),
    };
    let customer_action_required = match get("customer_action_required") {
        None => false,
        Some(text) => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => true,
            "false" | "no" | "n" | "0" => false,
            _ => {
                return Err((
                    "customer_action_required",
                    format!("`{text}` is not true or false"),
                ))
            }
        },
    };
    Ok(InteractionInput {
        case_ref: get("case_ref").unwrap_or_default(),
        occurred_at: get("occurred_at").unwrap_or_default(),
        function,
        touchpoint: get("touchpoint").map(TouchpointRef::Name),
        person_id: None,
        note: get("note"),
        customer_action_required,
        external_id: get("external_id"),
    })
}
