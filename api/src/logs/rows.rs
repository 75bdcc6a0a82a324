//! Rows as the readers hand them over: collected into chunks for the import, and
//! built from a log's fields by name.

use entity::enums::Channel;
use service::log::import::{Chunk, Read as ReadResult, Rejection, RowChart, SourceRow, CHUNK_ROWS};
use service::log::recording::{FunctionRef, InteractionInput, TouchpointRef};

use super::time::TimeParsing;
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
        (input, chart): (InteractionInput, RowChart),
        raw: impl FnOnce() -> String,
    ) -> bool {
        let raw = self.raw(raw);
        self.chunk.rows.push(SourceRow {
            line,
            input,
            chart,
            raw,
        });
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

/// An interaction from its fields by name, with what it says of the chart (for what
/// an import creates); the reason and field when one is unusable.
pub(super) fn interaction(
    get: impl Fn(&str) -> Option<String>,
    time: &TimeParsing,
) -> Result<(InteractionInput, RowChart), (&'static str, String)> {
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
    let occurred_at = match get("occurred_at") {
        Some(text) => time
            .instant(&text)
            .map_err(|reason| ("occurred_at", reason))?,
        None => String::new(),
    };
    let input = InteractionInput {
        case_ref: get("case_ref").unwrap_or_default(),
        occurred_at,
        function,
        touchpoint: get("touchpoint").map(TouchpointRef::Name),
        person_id: None,
        note: get("note"),
        customer_action_required,
        external_id: get("external_id"),
    };
    let chart = RowChart {
        channel: get("channel").map(|c| channel_of(&c)),
        function_name: match &input.function {
            FunctionRef::ExternalId(_) => get("function"),
            _ => None,
        },
    };
    Ok((input, chart))
}

/// The channel a log's word for it names: siloscope's own names, and the words
/// ticketing systems use (Zendesk's via channels, ServiceNow's contact types); OTHER
/// for the rest.
pub fn channel_of(word: &str) -> Channel {
    let word = word.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    match word.as_str() {
        "phone"
        | "voice"
        | "call"
        | "telephone"
        | "voicemail"
        | "phone_call_inbound"
        | "phone_call_outbound" => Channel::Phone,
        "email" | "e_mail" | "mail" | "web_service_email" => Channel::Email,
        "chat" | "messaging" | "live_chat" | "native_messaging" | "sms" | "whatsapp" => {
            Channel::Chat
        }
        "web" | "web_form" | "webform" | "portal" | "dropbox" | "closed_ticket" => Channel::Web,
        "mobile" | "mobile_app" | "app" | "mobile_sdk" => Channel::MobileApp,
        "social" | "twitter" | "facebook" | "facebook_post" | "facebook_message" | "instagram"
        | "instagram_dm" => Channel::Social,
        "letter" | "post" | "postal_mail" => Channel::Mail,
        "self_service" | "selfservice" | "virtual_agent" | "help_center" | "kb" => {
            Channel::SelfService
        }
        "face_to_face" | "walk_in" | "in_person" | "store" => Channel::FaceToFace,
        _ => Channel::Other,
    }
}
