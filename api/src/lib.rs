//! siloscope: who owns every customer touchpoint, and where departments pass the
//! customer on instead of owning the moment.

pub mod analysis;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod observe;
pub mod service;
pub mod startup;
