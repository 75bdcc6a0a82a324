//! The interaction log: recording (a batch, an import), the rows derived from it (steps,
//! rollups, phrase marks), export, retention, erasure and redaction.

pub mod derived;
pub mod erasure;
pub mod export;
pub mod feedback;
pub mod import;
pub mod recording;
pub mod retention;
