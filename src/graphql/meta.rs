//! `meta`: what data this server answers from. The model fingerprint and its evaluation summary
//! join here as fields when the model lands.

use std::collections::BTreeMap;

use async_graphql::{Context, Object, SimpleObject};

use super::state;
use super::AppState;
use std::sync::Arc;

/// Source-date keys of org.Hs.eg.db / GO.db metadata that genekg's data depends on, and the
/// source each names. KEGG's date is left out because genekg does not use KEGG.
const SOURCE_DATES: &[(&str, &str)] = &[
    ("org.EGSOURCEDATE", "NCBI Gene"),
    ("org.GOSOURCEDATE", "Gene Ontology annotations"),
    ("go.GOSOURCEDATE", "Gene Ontology"),
    ("org.ENSOURCEDATE", "Ensembl"),
    ("org.UPSOURCEDATE", "UniProt"),
    ("org.GPSOURCEDATE", "UCSC genome positions"),
];

#[derive(SimpleObject, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DataSource {
    pub name: String,
    /// As the source recorded it (formats vary between sources).
    pub date: String,
    /// Where the date came from, e.g. `org.EGSOURCEDATE`.
    pub key: String,
}

#[derive(SimpleObject, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourcePackage {
    pub name: String,
    pub version: String,
}

#[derive(SimpleObject)]
pub struct Counts {
    pub genes: usize,
    pub protein_coding_genes: usize,
    pub libraries: usize,
    pub gene_sets: usize,
    pub user_gene_sets: usize,
}

pub struct Meta(Arc<AppState>);

#[Object]
impl Meta {
    /// Fingerprint of the ingested data; also sent as the `x-data-version` header of every
    /// GraphQL answer. Equal versions mean equal data.
    async fn data_version(&self) -> &str {
        &self.0.data_version
    }
    /// The genekg build answering.
    async fn genekg_version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
    async fn store_schema_version(&self) -> async_graphql::Result<u32> {
        Ok(self.0.store.schema_version().map_err(super::errors::ApiError::from)?)
    }
    /// RFC 3339 time this server started.
    async fn started_at(&self) -> String {
        self.0.started_at.to_rfc3339()
    }
    /// Upstream sources and their dates, over all libraries.
    async fn sources(&self) -> Vec<DataSource> {
        let mut out = BTreeMap::new();
        for lib in self.0.libraries.values() {
            for (key, name) in SOURCE_DATES {
                if let Some(date) = lib.provenance.get(*key) {
                    out.insert(*key, DataSource { name: name.to_string(), date: date.clone(), key: key.to_string() });
                }
            }
        }
        out.into_values().collect()
    }
    /// Source packages (Debian package versions recorded at setup), over all libraries.
    async fn packages(&self) -> Vec<SourcePackage> {
        let mut out = std::collections::BTreeSet::new();
        for lib in self.0.libraries.values() {
            for (k, v) in &lib.provenance {
                if let Some(name) = k.strip_prefix("package.") {
                    out.insert(SourcePackage { name: name.to_string(), version: v.clone() });
                }
            }
        }
        out.into_iter().collect()
    }
    async fn counts(&self) -> Counts {
        let s = &self.0;
        Counts {
            genes: s.genes.gene_count(),
            protein_coding_genes: s.genes.protein_coding_count(),
            libraries: s.libraries.len(),
            gene_sets: s.set_count(),
            user_gene_sets: s.store.user_set_count(),
        }
    }
}

#[derive(Default)]
pub struct MetaQueries;

#[Object]
impl MetaQueries {
    /// What data this server answers from.
    async fn meta(&self, ctx: &Context<'_>) -> async_graphql::Result<Meta> {
        Ok(Meta(state(ctx)?.clone()))
    }
}
