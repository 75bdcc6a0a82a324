//! siloscope's doors: GraphQL over HTTP and WebSocket, SCIM, log files (imports and
//! exports), the pages (GraphiQL, the dashboard), webhooks' HTTP, the command line and
//! the demo, with the server's own infrastructure beside them (configuration,
//! authentication, telemetry). Each door only translates between its wire format and
//! the `service` crate, which holds every operation; the detection rules are the
//! `rules` crate. `startup` only wires the doors together. ARCHITECTURE.md maps the
//! crates.

pub mod cli;
pub mod demo;
pub mod graphql;
pub mod live;
pub mod logs;
pub mod pages;
pub mod scim;
pub mod server;
pub mod startup;
