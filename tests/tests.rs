//! facesym's integration tests: one binary (see Cargo.toml), one module per area.

mod capture;
mod cli;
mod common;
mod landmarks;
mod session;
mod symmetry;
mod ui;
