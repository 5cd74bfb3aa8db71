use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A gene as the catalogue knows it. Entrez is the primary id because every source we ingest
/// (org.Hs.eg.db, NCBI gene_info) is keyed by it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Gene {
    pub entrez: u32,
    pub symbol: String,
    pub name: String,
    pub gene_type: String,
    pub chromosome: Option<String>,
    pub cytoband: Option<String>,
    pub ensembl: Vec<String>,
    pub uniprot: Vec<String>,
    pub omim: Vec<String>,
    pub aliases: Vec<String>,
}

/// A library of gene sets (GO_BP, PubMed, a user's GMT) and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Library {
    pub name: String,
    pub version: Option<String>,
    pub source: String,
    /// The generation its sets are stored under; see the store's module docs.
    pub generation: u64,
    pub sets: u64,
    /// Distinct genes over all sets.
    pub genes: u64,
    /// Total memberships (sum of set sizes).
    pub members: u64,
    /// Gene entries in the source that matched no stored gene, and a few examples.
    pub unknown_genes: u64,
    pub unknown_examples: Vec<String>,
    /// Gene entries that matched several genes (shared aliases) and were therefore left out.
    pub ambiguous_genes: u64,
    pub ambiguous_examples: Vec<String>,
    pub ingested_at: String,
    /// Free-form provenance: source package, version, sha256, source dates.
    pub provenance: BTreeMap<String, String>,
}

/// One gene set of a library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneSet {
    /// Unique within its library: a GO id, a PMID, a GMT term.
    pub term: String,
    pub name: String,
    pub description: Option<String>,
    /// Sorted, distinct Entrez ids.
    pub genes: Vec<u32>,
    pub pmid: Option<u32>,
    pub url: Option<String>,
}

/// A gene list a user registered through the API (like Enrichr's addList).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSet {
    pub id: u64,
    pub description: Option<String>,
    pub genes: Vec<u32>,
    pub unknown: Vec<String>,
    pub created_at: String,
}
