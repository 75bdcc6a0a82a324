//! Integration tests: each spawns the application on port 0 with its own database
//! (a fresh SQLite file, or a fresh PostgreSQL database when SILOSCOPE_TEST_POSTGRES_URL
//! names a server).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod auth;
mod cli;
mod demo;
mod directory;
mod drift;
mod fixture;
mod helpers;
mod http;
mod imports;
mod live;
mod logs;
mod model;
mod privacy;
mod production;
mod readme;
mod recording;
mod schema;
mod scim;
mod trend;
mod voice;
