//! Access: API keys, trusted documents, and the audit trail of who changed what.

pub mod api_key;
pub mod audit;
pub mod document;
