//! Output types. Model types wrap entity models; analytics types wrap analysis results.

pub mod analytics;
pub mod connection;
pub mod enums;
pub mod model;
pub mod window;
