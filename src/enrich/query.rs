//! Turning raw input strings into dense gene indices, and a query into the byte marks the
//! overlap scan reads.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::index::DenseIds;
use super::{EnrichError, InputReport, Result, MAX_INPUT_GENES};
use crate::domain::Entrez;
use crate::store::{GeneResolver, ResolvedList, Resolution};

/// How input strings find genes: through the store's resolver (symbols, aliases, Entrez,
/// Ensembl, UniProt), or, for an index read from GMT files, by the exact name the files use
/// (upper-cased; there is no catalogue to know aliases from).
pub(crate) enum GeneLookup {
    Store(GeneResolver),
    /// The GMT files' gene names, sorted, each numbered by its position: the index's own symbol
    /// table, shared. A one-shot query resolves a few hundred names, so binary search beats
    /// building a map of all ~28,000 (a copy of every name) first.
    Sorted(Arc<[String]>),
}

impl GeneLookup {
    pub fn resolve_str(&self, raw: &str) -> Resolution {
        match self {
            GeneLookup::Store(r) => r.resolve_str(raw),
            GeneLookup::Sorted(names) => {
                let name = raw.trim().to_uppercase();
                names.binary_search_by(|n| n.as_str().cmp(&name)).map_or(Resolution::NotFound, |i| Resolution::Found(i as u32))
            }
        }
    }
}

/// The input genes resolved to dense indices (sorted, distinct), and the report on the rest.
pub(crate) struct ResolvedInput {
    pub dense: Vec<u32>,
    pub report: InputReport,
}

/// Resolves `raw` gene strings with the one gene-list policy (`store::ResolvedList`); genes
/// outside the index count as unknown. An empty, oversized or entirely unknown list is an
/// error naming what was wrong.
pub(crate) fn resolve_input(
    raw: &[String],
    resolver: &GeneLookup,
    dense_of: &DenseIds,
) -> Result<ResolvedInput> {
    let entries: Vec<&str> = raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    if entries.is_empty() {
        return Err(EnrichError::EmptyInput);
    }
    if entries.len() > MAX_INPUT_GENES {
        return Err(EnrichError::TooManyGenes { count: entries.len(), limit: MAX_INPUT_GENES });
    }
    // Which entry named each gene, to report a gene outside the index by what the user typed.
    let mut named_by = FxHashMap::default();
    let mut list = ResolvedList::resolve_with(&entries, |e| {
        let r = resolver.resolve_str(e);
        if let Resolution::Found(id) = r {
            named_by.entry(id).or_insert_with(|| e.to_string());
        }
        r
    });
    list.retain_known(|g| dense_of.contains_key(&g), |g| named_by[&g].clone());
    if let Some(reason) = list.nothing_resolved() {
        return Err(EnrichError::NoKnownGenes(reason));
    }
    let mut pairs: Vec<(u32, u32)> = list.genes.iter().map(|g| (dense_of[g], *g)).collect();
    pairs.sort_unstable();
    let mut genes: Vec<Entrez> = list.genes.into_iter().map(Entrez).collect();
    genes.sort_unstable();
    let report = InputReport {
        given: list.given,
        genes,
        unknown: list.unknown,
        ambiguous: list.ambiguous,
        duplicates: list.duplicates,
        background_unrecognised: vec![],
    };
    Ok(ResolvedInput { dense: pairs.into_iter().map(|p| p.0).collect(), report })
}

/// Resolves a custom background; entries that do not name exactly one gene are reported.
pub(crate) fn resolve_background(
    raw: &[String],
    resolver: &GeneLookup,
    dense_of: &DenseIds,
) -> Result<(Vec<u32>, Vec<String>)> {
    let mut dense = Vec::with_capacity(raw.len());
    let mut unrecognised = Vec::new();
    for e in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match resolver.resolve_str(e) {
            Resolution::Found(id) if dense_of.contains_key(&id) => dense.push(dense_of[&id]),
            _ => unrecognised.push(e.to_string()),
        }
    }
    dense.sort_unstable();
    dense.dedup();
    if dense.is_empty() {
        return Err(EnrichError::Background(format!(
            "the custom background names no known gene ({} entries given)",
            raw.iter().filter(|s| !s.trim().is_empty()).count()
        )));
    }
    Ok((dense, unrecognised))
}

/// Bit set in [`QueryMarks`] for an input gene (inside the background).
pub(crate) const IN_QUERY: u8 = 1;
/// Bit set in [`QueryMarks`] for a background gene (custom backgrounds only).
pub(crate) const IN_BACKGROUND: u8 = 2;

/// One byte per dense gene. A byte rather than a bit so the overlap scan is a plain indexed
/// load and add per member, with no shifts or masks on the hot path.
pub(crate) struct QueryMarks {
    pub bytes: Vec<u8>,
}

impl QueryMarks {
    pub fn new(genes: usize, query: &[u32], background: Option<&[u32]>) -> Self {
        let mut bytes = vec![0u8; genes];
        match background {
            None => {
                for &g in query {
                    bytes[g as usize] = IN_QUERY;
                }
            }
            Some(bg) => {
                for &g in bg {
                    bytes[g as usize] = IN_BACKGROUND;
                }
                for &g in query {
                    let b = &mut bytes[g as usize];
                    if *b & IN_BACKGROUND != 0 {
                        *b |= IN_QUERY;
                    }
                }
            }
        }
        Self { bytes }
    }
}
