//! Integration tests of the HTTP/GraphQL API: each test starts the real server on a random port
//! over a store built from the fixture (see helpers.rs).

mod ask;
mod batching;
mod conformance;
mod coverage;
mod errors_and_limits;
mod explain;
mod fuzz;
mod gene_sets;
mod genes;
mod graphiql;
mod helpers;
mod hostile;
mod http;
mod libraries_and_meta;
mod limits;
mod model;
mod schema;
mod serve_cli;
#[path = "../support/mod.rs"]
mod support;
mod user_gene_sets;
mod web;
