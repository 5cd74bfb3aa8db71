//! Where genekg keeps its files. Everything lives under one data directory (default `./data`,
//! or `GENEKG_DATA_DIR`) so that a checkout's data is git-ignored in one place.

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub db: PathBuf,
}

impl Paths {
    /// `db` overrides the store path; the data directory then defaults to the store's parent, so
    /// models and indexes stay beside the store they were built from.
    pub fn new(data_dir: Option<PathBuf>, db: Option<PathBuf>) -> Self {
        let data_dir = data_dir
            .or_else(|| std::env::var_os("GENEKG_DATA_DIR").map(PathBuf::from))
            .or_else(|| db.as_ref().and_then(|d| d.parent().map(|p| p.to_path_buf())))
            .unwrap_or_else(|| PathBuf::from("data"));
        let db = db.unwrap_or_else(|| data_dir.join("genekg.db"));
        Self { data_dir, db }
    }

    /// Where scripts/setup.sh puts the default data.
    pub fn default_source_dir(&self) -> PathBuf {
        self.data_dir.join("source")
    }
}
