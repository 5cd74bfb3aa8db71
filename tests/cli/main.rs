//! End-to-end tests of the `genekg` binary on fixtures cut from the real data.

mod helpers;
mod ask;
mod check;
mod device;
mod eval;
mod faults;
mod ingest;
mod manners;
mod served_store;
mod setup;
mod snapshot;
mod stale;
#[path = "../support/mod.rs"]
mod support;
