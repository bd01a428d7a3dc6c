//! End-to-end tests of hosync: the real server on a random port, over a fresh SQLite file or a
//! fresh PostgreSQL database, with simulated phones running the same core as the app.

mod helpers;

mod access;
mod admin;
mod bad_input;
mod headers;
mod import;
mod lang;
mod loadgen;
mod migrations;
mod openapi;
mod operations;
mod org;
mod read_scope;
mod recovery;
mod reliability;
mod restart;
mod security;
mod servers;
mod staff_auth;
mod staff_views;
mod sync;
mod web_app;
