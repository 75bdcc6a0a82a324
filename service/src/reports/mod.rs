//! Reports over the log: the silo report and trend, the handoff network and its pictures,
//! handoffs and cases, ownership findings, the chart against the log, and what they
//! read besides the log (names, the snapshot at a revision).

pub mod drift;
pub mod handoff;
pub mod names;
pub mod network;
pub mod ownership;
pub mod period;
pub mod picture;
pub mod promises;
pub mod report;
mod scan;
pub mod snapshot;
pub mod trend;
pub mod voice;
