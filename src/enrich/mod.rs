//! Gene set enrichment: exact over-representation analysis (ORA) and a rank-based test.
//!
//! [`EnrichIndex::build`] loads every set of the chosen libraries into memory once (sparse
//! member lists over a dense gene index); [`EnrichIndex::enrich`] then answers a gene list in a
//! few milliseconds: the query becomes a dense byte vector, each set's overlap is a sum of bytes
//! at its members (cost independent of the query size), p-values come from a log-factorial
//! table in log space, sets are scored in parallel and the FDR is Benjamini-Hochberg within each
//! library. [`EnrichIndex::rank_enrich`] runs GSEA's weighted running-sum test over a ranked
//! list of genes (for model-augmented enrichment) with a null fitted from random sets of each
//! size, as blitzGSEA; see [`rank`] for why, and for the result order.
//!
//! [`EnrichIndex::augmented_enrich`] feeds that test the model's ranking of every gene for a
//! list (model-augmented enrichment, see [`augmented`]).
//!
//! Files: `index` (build, the API), `query` (input genes to a dense query), `ora` (the
//! overlap scan), `fisher` (hypergeometric tail), `fdr`, `rank`, `augmented`, `cache`,
//! `compact` (the index as a file in the store directory, read without the store's lock).

#[cfg(feature = "model")]
pub mod augmented;
#[cfg(feature = "model")]
pub mod recovery;
mod cache;
pub mod compact;
pub mod fdr;
pub mod fisher;
mod gmt;
mod index;
mod ora;
mod query;
pub mod rank;

use std::sync::Arc;

use serde::Serialize;
use thiserror::Error;

use crate::domain::{Entrez, SetId};
use crate::store::StoreError;

#[cfg(feature = "model")]
pub use augmented::{AugmentedRequest, AugmentedResult};
pub use index::{EnrichIndex, Shared, SharedSet};
pub use rank::{RankOptions, RankRow};

/// Most distinct gene entries one ORA query may hold. Above this an over-representation test
/// stops meaning much (the list is a sizeable fraction of the genome) and the request is
/// likely a mistake (a whole expression table pasted); a ranked test fits such data.
pub const MAX_INPUT_GENES: usize = 10_000;

/// Most entries a custom background may hold over the API. A background is the genes measured
/// in an experiment: after the usual filtering far fewer than this (the default catalogue has
/// 20,598 protein-coding genes of 77,614), and the whole catalogue is `background: ALL`. 50,000
/// Ensembl ids are about what fits in the 1 MiB request body, so the limit, not the body size,
/// is what a client meets. The CLI reads its background from a file and has no such limit.
pub const MAX_BACKGROUND_GENES: usize = 50_000;

#[derive(Debug, Error)]
pub enum EnrichError {
    #[error("no genes given: the gene list is empty")]
    EmptyInput,
    #[error("{count} gene entries given; the limit is {limit} per query (for genome-wide scores use a rank-based test)")]
    TooManyGenes { count: usize, limit: usize },
    #[error("{0}; use gene symbols, Entrez, Ensembl gene or UniProt ids of human genes")]
    NoKnownGenes(String),
    #[error("unknown librar{plural} {names}; available: {available}", plural = if names.contains(',') { "ies" } else { "y" })]
    UnknownLibraries { names: String, available: String },
    #[error("no libraries to test: {0}")]
    NoLibraries(String),
    #[error("background: {0}")]
    Background(String),
    #[error("min_size {min} is larger than max_size {max}")]
    SizeRange { min: usize, max: usize },
    #[error("ranked scores: {0}")]
    Scores(String),
    #[error("model: {0}")]
    Model(String),
    #[error("GMT {0}")]
    Gmt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = EnrichError> = std::result::Result<T, E>;

/// Which genes could have been drawn: the universe of the hypergeometric test.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Background {
    /// The genes annotated anywhere in the library being tested (Enrichr's and Rummagene's
    /// default): a gene no set could contain tells nothing about any set.
    #[default]
    LibraryGenes,
    /// Every gene in the store.
    AllGenes,
    /// A user-supplied universe (e.g. the genes measured in an experiment); sets and the query
    /// are restricted to it.
    Custom(Vec<String>),
}

/// The number of hypotheses Benjamini-Hochberg divides by, within each library.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum FdrScope {
    /// Every set tested (size within the limits), overlapping the query or not: the number of
    /// hypotheses actually tested, so the FDR guarantee holds.
    #[default]
    SetsTested,
    /// Only sets with at least one input gene, as Enrichr and gseapy count: more sets pass,
    /// but the choice depends on the data. For comparing with those tools.
    SetsWithOverlap,
}

/// One over-representation query.
#[derive(Debug, Clone, Default)]
pub struct EnrichRequest {
    /// Gene strings as the user typed them (symbols, aliases, Entrez, Ensembl, UniProt).
    pub genes: Vec<String>,
    /// Library names; `None` tests every library of the index.
    pub libraries: Option<Vec<String>>,
    pub background: Background,
    /// Sets whose size within the background falls outside `min_size..=max_size` are not tested.
    pub min_size: Option<usize>,
    pub max_size: Option<usize>,
    pub fdr_scope: FdrScope,
}

/// An input string that several genes share as an alias; never guessed between.
pub use crate::store::AmbiguousInput as AmbiguousGene;

/// What became of the input genes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InputReport {
    /// Non-empty entries given.
    pub given: usize,
    /// Distinct known genes used (Entrez, sorted).
    pub genes: Vec<Entrez>,
    pub unknown: Vec<String>,
    pub ambiguous: Vec<AmbiguousGene>,
    /// Entries naming a gene already named by an earlier entry, as given.
    pub duplicates: Vec<String>,
    /// Custom background entries that named no known gene (or several).
    pub background_unrecognised: Vec<String>,
}

/// The test universe of one library for this query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibraryBackground {
    pub library: Arc<str>,
    /// N: genes in the background.
    pub background_genes: usize,
    /// n: input genes inside the background.
    pub input_genes: usize,
    /// Sets tested (size within the limits); the FDR's number of hypotheses.
    pub sets_tested: usize,
}

/// One set's over-representation result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnrichRow {
    /// `LIBRARY:term`.
    pub set_id: SetId,
    pub library: Arc<str>,
    pub term: Arc<str>,
    pub name: Arc<str>,
    /// Input genes in the set (sorted); see [`EnrichIndex::symbol`].
    pub overlap: Vec<Entrez>,
    pub overlap_size: usize,
    /// K: the set's genes within the background.
    pub set_size: usize,
    /// May underflow to 0 below ~1e-308; `log10_p` stays exact and finite.
    pub p_value: f64,
    pub log10_p: f64,
    pub odds_ratio: f64,
    /// Benjamini-Hochberg within the set's library; by default over every set tested there
    /// (sets without an overlap enter with p = 1), see [`FdrScope`].
    pub fdr: f64,
    pub log10_fdr: f64,
    /// 1-based position in the result order (p, then set id).
    pub rank: usize,
}

/// The answer to an [`EnrichRequest`]. Only sets with at least one input gene are listed (the
/// others have p = 1 but still count as tests for the FDR). Rows are shared with the cache.
#[derive(Debug, Clone, Serialize)]
pub struct EnrichResult {
    pub input: InputReport,
    pub libraries: Vec<LibraryBackground>,
    pub rows: Arc<Vec<EnrichRow>>,
}
