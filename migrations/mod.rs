//! Versioned migrations of the sled store, applied in order by `Store::open`.
//!
//! Each migration is a plain function over the open database. The store records the highest
//! applied version under `meta/schema_version` and each applied step under `meta/migration:NNNN`,
//! so a store is migrated once and a store written by a newer genekg is refused rather than
//! misread (postcard values are not self-describing).

mod m0001_initial;
mod m0002_publications;
mod m0003_prediction_rows;
mod m0004_small_papers;

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub up: fn(&sled::Db) -> sled::Result<()>,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "initial trees: genes, libraries, sets, gene_sets, user_sets", up: m0001_initial::up },
    Migration { version: 2, name: "gene_publications and explanations trees", up: m0002_publications::up },
    Migration { version: 3, name: "predicted functions as rows per gene, library and z", up: m0003_prediction_rows::up },
    Migration { version: 4, name: "small_papers tree (papers of 2 to 4 genes)", up: m0004_small_papers::up },
];

/// The schema version this build writes.
pub fn latest() -> u32 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}
