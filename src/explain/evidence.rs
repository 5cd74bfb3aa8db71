//! The facts an explanation may state, gathered from the store, the model's stored predictions,
//! the gene-to-gene path and the neighbourhood index. Everything an explanation says comes from
//! here; the template and the LLM only put it into words.

use serde::{Deserialize, Serialize};

use crate::domain::{Entrez, LibraryName, SetId};
use crate::graphql::AppState;
use crate::model::predictions;

/// How many items of each list an explanation carries: enough to say what a gene does, few
/// enough that a small LLM can rewrite them within its length limit.
pub const TOP_FUNCTIONS: usize = 5;
pub const TOP_PARTNERS: usize = 5;
pub const TOP_SIMILAR: usize = 5;
pub const KNOWN_EXAMPLES: usize = 3;
pub const CO_REPORTS: usize = 5;
pub const DRIVERS: usize = 5;

/// Libraries whose sets are functions (GO); the PubMed library is literature, cited instead.
const FUNCTION_LIBRARIES: &[&str] = &["GO_BP", "GO_MF", "GO_CC"];
const LITERATURE_LIBRARY: &str = "PubMed";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub entrez: u32,
    pub symbol: String,
    pub name: String,
    pub gene_type: String,
    pub chromosome: Option<String>,
    pub cytoband: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetRef {
    /// `LIBRARY:term`.
    pub key: String,
    pub library: String,
    pub term: String,
    pub name: String,
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnownSets {
    pub library: String,
    pub count: usize,
    /// The most specific (smallest) sets, for examples.
    pub examples: Vec<SetRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictedFunction {
    pub set: SetRef,
    pub probability: f32,
    pub z: f32,
    pub rank: u32,
    pub set_auroc: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoredGene {
    pub entrez: u32,
    pub symbol: String,
    pub probability: f32,
    pub z: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NearGene {
    pub entrez: u32,
    pub symbol: String,
    pub cosine: f32,
}

/// A paper (a PubMed literature set) that links the gene together with some of the genes named
/// beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoReport {
    pub pmid: u32,
    pub genes: Vec<String>,
}

/// The evidence about one gene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneEvidence {
    pub identity: Identity,
    pub publication_count: u32,
    pub target_family: Option<String>,
    pub known_sets: Vec<KnownSets>,
    /// Sets the gene is not in, predicted by the model (highest z first).
    pub predicted_functions: Vec<PredictedFunction>,
    pub partners: Vec<ScoredGene>,
    pub similar_genes: Vec<NearGene>,
    /// Papers where the gene appears with its top partners.
    pub co_reported: Vec<CoReport>,
    /// The model the predictions come from; `None` when the server runs without one.
    pub model_fingerprint: Option<String>,
    /// Set when the gene is outside the model's vocabulary: what its predictions stand on
    /// (`Gene.modelEvidence`'s summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside_vocabulary: Option<String>,
    /// Why stored predictions were left out (and which step makes them current), as
    /// `predictedFunctions` answers: read under another model or before new data, they would
    /// answer for something else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictions_stale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    pub probability: f32,
    pub z: f32,
    pub rank: u32,
    pub known: bool,
    pub set_auroc: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub entrez: u32,
    pub symbol: String,
    /// The gene-to-gene weight this member gives the gene.
    pub weight: f32,
}

/// The evidence for "why is gene X predicted for set T".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictionEvidence {
    pub identity: Identity,
    pub set: SetRef,
    /// The stored prediction; `None` when the gene is not listed for the set.
    pub prediction: Option<Prediction>,
    /// Members of the set that push the gene's score most (gene-to-gene weights, positive only).
    pub drivers: Vec<Driver>,
    /// Papers linking the gene with members of the set.
    pub shared_literature: Vec<CoReport>,
    /// Members nearest to the gene by embedding.
    pub nearest_members: Vec<NearGene>,
    pub model_fingerprint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = EvidenceError> = std::result::Result<T, E>;

fn identity(state: &AppState, entrez: u32) -> Result<Identity> {
    let g = state.genes.gene(entrez).ok_or_else(|| EvidenceError::NotFound(format!("no gene with Entrez id {entrez}")))?;
    Ok(Identity {
        entrez,
        symbol: g.symbol.clone(),
        name: g.name.clone(),
        gene_type: g.gene_type.clone(),
        chromosome: g.chromosome.clone(),
        cytoband: g.cytoband.clone(),
    })
}

fn symbol(state: &AppState, entrez: u32) -> String {
    state.genes.symbol(entrez).map(str::to_string).unwrap_or_else(|| entrez.to_string())
}

fn set_ref(state: &AppState, id: &SetId) -> Result<Option<SetRef>> {
    Ok(state.store.gene_set(id)?.map(|s| SetRef {
        key: id.to_string(),
        library: id.library().to_string(),
        term: s.term,
        name: s.name,
        size: s.genes.len(),
    }))
}

/// PubMed sets holding `gene` and at least one of `others`, most of `others` first (then the
/// newest PMID), with the `others` each names.
///
/// Read through the store's gene-to-sets index: the gene's papers once, then each other gene's
/// papers, intersected. Loading every paper of the gene instead costs one set read per paper
/// (787 for TP53); that path is kept only for the rare case of more `others` than papers (a
/// large set's members in "why predicted").
fn co_reports(state: &AppState, gene: u32, others: &[u32], limit: usize) -> Result<Vec<CoReport>> {
    let Ok(lib) = LibraryName::parse(LITERATURE_LIBRARY) else { return Ok(vec![]) };
    let papers_of = |g: u32| -> Result<Vec<String>> { Ok(state.store.sets_of_gene(g)?.remove(LITERATURE_LIBRARY).unwrap_or_default()) };
    let mine = papers_of(gene)?;
    if mine.is_empty() {
        return Ok(vec![]);
    }
    // Paper (term) -> the others it names, in the order of `others`.
    let mut with: std::collections::HashMap<&str, Vec<u32>> = std::collections::HashMap::new();
    if others.len() <= mine.len() {
        let mine_set: std::collections::HashSet<&str> = mine.iter().map(String::as_str).collect();
        for &o in others {
            for term in papers_of(o)? {
                if let Some(&t) = mine_set.get(term.as_str()) {
                    with.entry(t).or_default().push(o);
                }
            }
        }
    } else {
        for term in &mine {
            let Some(set) = state.store.gene_set(&SetId::new(lib.clone(), term.clone()))? else { continue };
            let named: Vec<u32> = others.iter().copied().filter(|o| set.genes.binary_search(o).is_ok()).collect();
            if !named.is_empty() {
                with.insert(term.as_str(), named);
            }
        }
    }
    // The literature library's terms are PMIDs; a set under another naming carries its own.
    let mut found = Vec::new();
    for (term, named) in with {
        let pmid = match term.parse::<u32>() {
            Ok(p) => Some(p),
            Err(_) => state.store.gene_set(&SetId::new(lib.clone(), term.to_string()))?.and_then(|s| s.pmid),
        };
        if let Some(pmid) = pmid {
            found.push((named, pmid));
        }
    }
    found.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(b.1.cmp(&a.1)));
    Ok(found
        .into_iter()
        .take(limit)
        .map(|(with, pmid)| CoReport { pmid, genes: with.into_iter().map(|e| symbol(state, e)).collect() })
        .collect())
}

/// Gathers the evidence about one gene. Model parts are empty when the server has no model
/// (or no index); `model_fingerprint` says which model they come from.
pub fn gene(state: &AppState, entrez: u32) -> Result<GeneEvidence> {
    let identity = identity(state, entrez)?;
    let publication_count = state.store.publication_count(entrez)?;
    let target_family = state.families.of(entrez).words().map(str::to_string);

    let mut known_sets = Vec::new();
    let memberships = state.store.sets_of_gene(entrez)?;
    for (library, terms) in &memberships {
        let Ok(lib) = LibraryName::parse(library) else { continue };
        let mut sets = Vec::new();
        if FUNCTION_LIBRARIES.contains(&library.as_str()) {
            for t in terms {
                if let Some(s) = state.store.gene_set(&SetId::new(lib.clone(), t.clone()))? {
                    sets.push(SetRef { key: format!("{library}:{t}"), library: library.clone(), term: s.term, name: s.name, size: s.genes.len() });
                }
            }
            sets.sort_by(|a, b| a.size.cmp(&b.size).then(a.term.cmp(&b.term)));
            sets.truncate(KNOWN_EXAMPLES);
        }
        known_sets.push(KnownSets { library: library.clone(), count: terms.len(), examples: sets });
    }

    let model_fingerprint = state.model.as_ref().map(|m| m.fingerprint().to_string());
    let (mut predicted_functions, mut partners, mut similar_genes) = (Vec::new(), Vec::new(), Vec::new());
    let mut predictions_stale = None;
    if let Some(model) = &state.model {
        // Each function library's predictions are read only where they are current.
        let mut current = Vec::new();
        let mut reasons: Vec<String> = Vec::new();
        for library in FUNCTION_LIBRARIES {
            match state.predictions_stale_reason(model.fingerprint(), Some(library))? {
                Some(why) if !reasons.contains(&why) => reasons.push(why),
                Some(_) => {}
                None => current.push(*library),
            }
        }
        predictions_stale = (!reasons.is_empty()).then(|| reasons.join("; "));
        if !current.is_empty() {
            let mut rows = predictions::functions_of_gene(&state.store, Entrez(entrez), None, f32::NEG_INFINITY)?;
            rows.retain(|r| !r.known && current.contains(&r.set_id.library()));
            rows.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.set_id.cmp(&b.set_id)));
            for r in rows.into_iter().take(TOP_FUNCTIONS) {
                if let Some(set) = set_ref(state, &r.set_id)? {
                    predicted_functions.push(PredictedFunction { set, probability: r.probability, z: r.z, rank: r.rank, set_auroc: r.set_auroc });
                }
            }
        }
        // Partners come from the model alone: only another model (or none run) makes them stale.
        if state.predictions_stale_reason(model.fingerprint(), Some(""))?.is_none() {
            partners = predictions::partners_of_gene(&state.store, Entrez(entrez))?
                .into_iter()
                .take(TOP_PARTNERS)
                .map(|p| ScoredGene { entrez: p.entrez.0, symbol: symbol(state, p.entrez.0), probability: p.probability, z: p.z })
                .collect();
        }
    }
    if let Some(hood) = &state.neighbourhood {
        // A gene outside the model's vocabulary has no embedding, hence no similar genes.
        if let Some(found) = hood.similar_genes_of(Entrez(entrez), TOP_SIMILAR, None) {
            similar_genes = found
                .into_iter()
                .map(|n| NearGene { entrez: n.key.0, symbol: symbol(state, n.key.0), cosine: n.cosine })
                .collect();
        }
    }
    let outside_vocabulary = match &state.model {
        Some(m) if m.vocabulary().column(entrez).is_none() => {
            let sets = known_sets.iter().map(|k| k.count).sum::<usize>();
            let libraries: Vec<&str> = known_sets.iter().map(|k| k.library.as_str()).collect();
            Some(if sets == 0 {
                crate::model::coverage::NO_EVIDENCE.replace("{gene}", &identity.symbol)
            } else {
                format!(
                    "{} is not in the model's vocabulary (in too few training sets): its predictions come from the genes sharing its {sets} stored set{} ({}), so they are weakly supported",
                    identity.symbol,
                    if sets == 1 { "" } else { "s" },
                    libraries.join(", ")
                )
            })
        }
        _ => None,
    };
    let partner_ids: Vec<u32> = partners.iter().map(|p| p.entrez).collect();
    let co_reported = co_reports(state, entrez, &partner_ids, CO_REPORTS)?;
    Ok(GeneEvidence {
        identity,
        publication_count,
        target_family,
        known_sets,
        predicted_functions,
        partners,
        similar_genes,
        co_reported,
        model_fingerprint,
        outside_vocabulary,
        predictions_stale,
    })
}

/// Gathers the evidence for "why is `entrez` predicted for `set_key`": the members that drive
/// its score through the gene-to-gene weights, papers it shares with members, and the members
/// nearest to it by embedding.
pub fn prediction(state: &AppState, entrez: u32, set_key: &str) -> Result<PredictionEvidence> {
    let model = state
        .model
        .as_ref()
        .ok_or_else(|| EvidenceError::NotFound("this server runs without a model; train one with `genekg train`".into()))?;
    let identity = identity(state, entrez)?;
    let id = SetId::parse(set_key).map_err(EvidenceError::NotFound)?;
    let set = state.store.gene_set(&id)?.ok_or_else(|| EvidenceError::NotFound(format!("no gene set {set_key}")))?;
    let key = id.to_string();
    let set_ref = SetRef { key: key.clone(), library: id.library().to_string(), term: set.term.clone(), name: set.name.clone(), size: set.genes.len() };
    let stored = predictions::members_of_set(&state.store, &id)?;
    let prediction = stored.as_ref().and_then(|p| {
        p.genes.iter().find(|g| g.entrez == Entrez(entrez)).map(|g| Prediction {
            probability: g.probability,
            z: g.z,
            rank: g.rank,
            known: g.known,
            set_auroc: p.auroc,
        })
    });
    let drivers = model
        .gene_to_gene_weights(&set.genes, entrez)
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, w)| *w > 0.0)
        .take(DRIVERS)
        .map(|(e, weight)| Driver { entrez: e, symbol: symbol(state, e), weight })
        .collect();
    let members: Vec<u32> = set.genes.iter().copied().filter(|&g| g != entrez).collect();
    let shared_literature = co_reports(state, entrez, &members, CO_REPORTS)?;
    let nearest_members = match &state.neighbourhood {
        Some(hood) => hood
            .gene_cosines(Entrez(entrez), &members.iter().copied().map(Entrez).collect::<Vec<_>>())
            .into_iter()
            .take(TOP_SIMILAR)
            .map(|(e, cosine)| NearGene { entrez: e.0, symbol: symbol(state, e.0), cosine })
            .collect(),
        None => vec![],
    };
    Ok(PredictionEvidence {
        identity,
        set: set_ref,
        prediction,
        drivers,
        shared_literature,
        nearest_members,
        model_fingerprint: model.fingerprint().to_string(),
    })
}
