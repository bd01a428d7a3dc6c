//! Tools beside the service: the generated demo district, the load generator, the crash run,
//! and a simulated phone running the same core as the app.

pub mod chaos;
pub mod demo;
pub mod loadgen;
pub mod phone;
