//! The `Library` type: a named collection of gene sets and where it came from.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};

use super::errors::{ApiError, ApiResult};
use super::state;
use super::AppState;
use crate::domain::LibraryName;
use crate::store::Library;

/// The library called `name`, or BAD_INPUT / NOT_FOUND naming the libraries there are.
pub fn known_library(state: &AppState, name: &str) -> ApiResult<Arc<Library>> {
    let name = LibraryName::parse(name).map_err(ApiError::BadInput)?;
    state.library(name.as_str()).cloned().ok_or_else(|| {
        let known: Vec<&str> = state.libraries.keys().map(String::as_str).collect();
        ApiError::NotFound(format!("no library `{name}`; the libraries are {}", known.join(", ")))
    })
}

/// Provenance keys that describe the ingesting machine rather than the data (file paths).
fn is_public_provenance(key: &str) -> bool {
    !key.ends_with(".file")
}

#[derive(SimpleObject)]
pub struct ProvenanceEntry {
    pub key: String,
    pub value: String,
}

pub struct LibraryNode(pub Arc<Library>);

/// A library of gene sets (GO_BP, PubMed, a GMT) with its provenance.
#[Object(name = "Library")]
impl LibraryNode {
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Version of the source package or file, when known.
    async fn version(&self) -> Option<&str> {
        self.0.version.as_deref()
    }
    /// How the sets were derived.
    async fn source(&self) -> &str {
        &self.0.source
    }
    async fn set_count(&self) -> u64 {
        self.0.sets
    }
    /// Distinct genes over all sets.
    async fn gene_count(&self) -> u64 {
        self.0.genes
    }
    /// Sum of set sizes.
    async fn membership_count(&self) -> u64 {
        self.0.members
    }
    /// Gene entries of the source that matched no known gene.
    async fn unknown_gene_count(&self) -> u64 {
        self.0.unknown_genes
    }
    /// Some of those entries, as the source wrote them (the first few distinct ones).
    async fn unknown_gene_examples(&self) -> &[String] {
        &self.0.unknown_examples
    }
    /// Gene entries left out because their alias names several genes.
    async fn ambiguous_gene_count(&self) -> u64 {
        self.0.ambiguous_genes
    }
    /// Some of those entries, as the source wrote them (the first few distinct ones).
    async fn ambiguous_gene_examples(&self) -> &[String] {
        &self.0.ambiguous_examples
    }
    /// RFC 3339 time of the ingest.
    async fn ingested_at(&self) -> &str {
        &self.0.ingested_at
    }
    /// Source packages, file hashes and source dates, by key.
    async fn provenance(&self) -> Vec<ProvenanceEntry> {
        self.0
            .provenance
            .iter()
            .filter(|(k, _)| is_public_provenance(k))
            .map(|(k, v)| ProvenanceEntry { key: k.clone(), value: v.clone() })
            .collect()
    }
}

#[derive(Default)]
pub struct LibraryQueries;

#[Object]
impl LibraryQueries {
    /// Every library, by name.
    async fn libraries(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LibraryNode>> {
        Ok(state(ctx)?.libraries.values().cloned().map(LibraryNode).collect())
    }

    async fn library(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<Option<LibraryNode>> {
        Ok(Some(LibraryNode(known_library(state(ctx)?, &name)?)))
    }
}
