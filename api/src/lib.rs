//! siloscope's doors: GraphQL over HTTP (and the doors to come), authentication,
//! configuration, start-up and the command line. Each door only translates between
//! its wire format and the `service` crate, which holds every operation; the
//! detection rules are the `rules` crate. ARCHITECTURE.md maps the crates.

pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod graphql;
pub mod http;
pub mod live;
pub mod logs;
pub mod observe;
pub mod org_file;
pub mod pages;
pub mod responses;
pub mod scim;
pub mod startup;
mod state;
pub mod telemetry;
