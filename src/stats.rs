//! A summary of the store, for `genekg stats` and the API's `meta`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::{Result, Store};

#[derive(Debug, Serialize)]
pub struct LibraryStats {
    pub sets: u64,
    pub genes: u64,
    pub members: u64,
    pub unknown_genes: u64,
    pub ambiguous_genes: u64,
    pub version: Option<String>,
    pub source: String,
    pub ingested_at: String,
}

#[derive(Debug, Serialize)]
pub struct Stats {
    pub genes: usize,
    pub user_sets: usize,
    pub schema_version: u32,
    pub libraries: BTreeMap<String, LibraryStats>,
    /// Where the catalogue and each library came from.
    pub provenance: BTreeMap<String, serde_json::Value>,
}

pub fn collect(store: &Store) -> Result<Stats> {
    let mut libraries = BTreeMap::new();
    let mut provenance = BTreeMap::new();
    if let Some(p) = store.genes_provenance()? {
        provenance.insert("genes".to_string(), p);
    }
    for lib in store.libraries()? {
        provenance.insert(lib.name.clone(), serde_json::to_value(&lib.provenance).unwrap_or_default());
        libraries.insert(
            lib.name.clone(),
            LibraryStats {
                sets: lib.sets,
                genes: lib.genes,
                members: lib.members,
                unknown_genes: lib.unknown_genes,
                ambiguous_genes: lib.ambiguous_genes,
                version: lib.version,
                source: lib.source,
                ingested_at: lib.ingested_at,
            },
        );
    }
    Ok(Stats {
        genes: store.gene_count(),
        user_sets: store.user_set_count(),
        schema_version: store.schema_version()?,
        libraries,
        provenance,
    })
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "genes: {}", self.genes)?;
        writeln!(f, "{:<16} {:>8} {:>8} {:>10} {:>8}", "library", "sets", "genes", "members", "unknown")?;
        for (name, l) in &self.libraries {
            writeln!(f, "{:<16} {:>8} {:>8} {:>10} {:>8}", name, l.sets, l.genes, l.members, l.unknown_genes)?;
        }
        write!(f, "user sets: {}", self.user_sets)
    }
}
