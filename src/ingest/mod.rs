//! Turning source files into store contents: org.Hs.eg.db / GO.db SQLite, GMT and NCBI gene_info.
//!
//! Every ingest validates while it streams and writes through [`crate::store::LibraryWriter`]
//! or one catalogue batch, so a malformed file or a killed process leaves the store as it was.

mod gene_info;
mod gmt;
mod orgdb;
mod progress;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::store::StoreError;

pub use gene_info::{ingest_gene_info, GeneInfoReport};
pub use gmt::{ingest_gmt, parse_gmt_line, split_gmt_line, GmtFields, GmtLine, GmtOptions};
pub use orgdb::{go_annotation_holdout, go_time_split, ingest_annotation_libraries, ingest_orgdb, ingest_papers, AnnotationTable, HeldOutTerm, OrgDbPaths, TimeSplit, ANNOTATION_TABLES};
pub use progress::Progress;

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("{file}:{line}: {reason}")]
    Malformed { file: PathBuf, line: usize, reason: String },
    #[error("cannot read {file}: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{file}: {reason}")]
    Source { file: PathBuf, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IngestError {
    pub(crate) fn malformed(file: &Path, line: usize, reason: impl Into<String>) -> Self {
        Self::Malformed { file: file.to_path_buf(), line, reason: reason.into() }
    }
}

pub type Result<T, E = IngestError> = std::result::Result<T, E>;

/// How many distinct unknown or ambiguous gene names a report keeps as examples.
pub const EXAMPLES: usize = 10;

/// Counts gene strings that did not resolve, with a few distinct examples.
#[derive(Debug, Default, Clone)]
pub(crate) struct Misses {
    pub count: u64,
    pub examples: Vec<String>,
}

impl Misses {
    pub fn add(&mut self, raw: &str) {
        self.count += 1;
        if self.examples.len() < EXAMPLES && !self.examples.iter().any(|e| e == raw) {
            self.examples.push(raw.to_string());
        }
    }
}
