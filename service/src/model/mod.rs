//! The organization's model: its settings, functions, people, journeys, touchpoints and
//! RACI responsibilities, the chart loaded whole, and the organization as a directory
//! (SCIM, `syncDirectory`) sees it. Each noun has one write path, whichever door asks.

pub mod chart;
pub mod directory;
pub mod function;
pub mod journey;
pub mod organization;
pub mod person;
pub mod responsibility;
pub mod touchpoint;
