//! genekg: a queryable map of what human genes do, built from gene sets.
//!
//! One module per concern: `domain` parses input, `store` keeps everything in sled, `ingest`
//! reads source files, `stats` summarises the store; the model, indexes, enrichment and the
//! API live in their own modules.

pub mod cli;
pub mod configuration;
pub mod domain;
#[cfg(feature = "model")]
pub mod index;
#[cfg(feature = "model")]
pub mod graphql;
#[cfg(feature = "model")]
pub mod http;
pub mod enrich;
#[cfg(feature = "model")]
pub mod explain;
#[cfg(feature = "model")]
pub mod llm;
pub mod ingest;
#[cfg(feature = "model")]
pub mod model;
#[cfg(feature = "model")]
pub mod nl;
pub mod publish;
#[cfg(feature = "model")]
pub mod snapshot;
#[cfg(feature = "model")]
pub mod mcp;
pub mod stats;
pub mod store;
