//! Output types. Model types wrap entity models; report, network, case and findings
//! types wrap what the report services return.

pub mod admin;
pub mod case;
pub mod chart;
pub mod connection;
pub mod drift;
pub mod enums;
pub mod findings;
pub mod live;
pub mod network;
pub mod node;
pub mod report;
pub mod voice;
pub mod window;
