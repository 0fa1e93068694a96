//! Integration tests: the real `egret` binary against temporary sysroots
//! built from `tests/fixtures/sysroot/*` and seeds from `tests/fixtures/nocloud/*`.
//! Each test has its own sysroot; nothing outside it (and the test's temp dir)
//! is written, and no test touches the network.

// Tests fail by panicking: unwrap and indexing are how they assert.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

mod apply;
mod bad_input;
mod cli;
mod confinement;
mod ignition;
mod sources;
mod variants;
