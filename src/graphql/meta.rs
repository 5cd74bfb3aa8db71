//! `meta`: what data and which model this server answers from.

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
    /// The model answering the model fields (null when the server runs without one): where
    /// it came from, how it was trained and how it scored on held-out genes.
    async fn model(&self) -> Option<ModelInfo> {
        let s = &self.0;
        Some(ModelInfo { model: s.model.clone()?, dir: s.model_dir.clone()? })
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

pub struct ModelInfo {
    model: Arc<crate::model::Gsfm>,
    dir: std::path::PathBuf,
}

#[derive(SimpleObject)]
pub struct LibraryCount {
    pub library: String,
    pub sets: usize,
}

/// One summary `genekg eval holdout --save` wrote for this model.
#[derive(SimpleObject)]
pub struct ModelEvaluation {
    /// The case file the genes were held out from.
    pub case_file: String,
    /// `gsfm`, `autoencoder` or a baseline.
    pub method: String,
    pub cases: u64,
    pub skipped: u64,
    pub median_auroc: Option<f64>,
    pub mean_average_precision: Option<f64>,
    pub median_enrichment_score: Option<f64>,
    /// RFC 3339; absent for summaries saved before it was recorded.
    pub evaluated_at: Option<String>,
}

#[Object]
impl ModelInfo {
    /// Identifies weights, vocabulary and configuration; predictions and indexes carry it too.
    async fn fingerprint(&self) -> &str {
        self.model.fingerprint()
    }
    /// RFC 3339 time training finished (or the model was imported).
    async fn trained_at(&self) -> Option<&str> {
        self.model.config().created_at.as_deref()
    }
    /// Where imported weights came from; null for a model trained here.
    async fn imported_from(&self) -> Option<&str> {
        self.model.config().imported_from.as_deref()
    }
    /// The training recipe (`config.json`'s `training`: libraries, epochs, batch size, learning
    /// rate, seed, ...); null for an imported model.
    async fn recipe(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.model.config().training.as_ref().and_then(|t| serde_json::to_value(t).ok()).map(async_graphql::Json)
    }
    /// The architecture (`config.json`'s top level: widths, depth, dropout, ...).
    async fn architecture(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        serde_json::to_value(&self.model.config().model).ok().map(async_graphql::Json)
    }
    /// Genes the model can read.
    async fn vocabulary_size(&self) -> usize {
        self.model.vocab().len()
    }
    /// Training sets per library after filtering.
    async fn training_sets(&self) -> Vec<LibraryCount> {
        self.model.config().training_sets.iter().map(|(l, n)| LibraryCount { library: l.clone(), sets: *n }).collect()
    }
    /// Held-out evaluations saved with `genekg eval holdout --save` for this very model (by
    /// fingerprint); empty until one is run.
    async fn evaluation(&self) -> async_graphql::Result<Vec<ModelEvaluation>> {
        let saved = crate::model::eval::read_evaluation(&self.dir).map_err(super::errors::ApiError::internal)?;
        let fingerprint = self.model.fingerprint();
        Ok(saved
            .iter()
            .filter(|(_, v)| v["model_fingerprint"] == fingerprint)
            .map(|(key, v)| {
                let (case_file, method) = key.rsplit_once(':').unwrap_or((key.as_str(), ""));
                ModelEvaluation {
                    case_file: case_file.to_string(),
                    method: v["method"].as_str().unwrap_or(method).to_lowercase(),
                    cases: v["cases"].as_u64().unwrap_or(0),
                    skipped: v["skipped"].as_u64().unwrap_or(0),
                    median_auroc: v["median_auroc"].as_f64(),
                    mean_average_precision: v["mean_ap"].as_f64(),
                    median_enrichment_score: v["median_es"].as_f64(),
                    evaluated_at: v["evaluated_at"].as_str().map(String::from),
                }
            })
            .collect())
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
