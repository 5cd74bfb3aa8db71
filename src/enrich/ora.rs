//! The over-representation scan of one library: overlap counts for every set, then exact
//! p-values for the sets that overlap the query.

use std::f64::consts::LN_10;
use std::sync::Arc;

use rayon::prelude::*;

use super::fdr::benjamini_hochberg_ln;
use super::fisher::{ln_upper_tail, odds_ratio, Counts, LogFactorial};
use super::index::LibraryIndex;
use super::query::{QueryMarks, IN_BACKGROUND, IN_QUERY};
use super::{EnrichRow, FdrScope, LibraryBackground};
use crate::domain::Entrez;

/// The universe one library is tested against, already resolved to counts and marks.
pub(crate) enum Universe<'a> {
    /// The library's own genes: every member is in it, so K is the set's length.
    LibraryGenes,
    /// All `genes` of the store.
    AllGenes { genes: usize },
    /// A custom list (dense ids, sorted); marks carry [`IN_BACKGROUND`].
    Custom { genes: &'a [u32] },
}

/// Rayon splits sets into chunks of at least this many: a set costs tens of nanoseconds, so
/// finer splitting would cost more than it spreads.
const MIN_CHUNK: usize = 512;

pub(crate) struct Scan<'a> {
    pub marks: &'a QueryMarks,
    /// Dense ids of the query genes (distinct).
    pub query: &'a [u32],
    pub universe: Universe<'a>,
    pub min_size: usize,
    pub max_size: usize,
    pub fdr_scope: FdrScope,
    pub table: &'a LogFactorial,
    /// Dense id -> Entrez.
    pub entrez: &'a [u32],
}

impl Scan<'_> {
    /// Scores every set of `lib`; returns the library's test universe and one hit per tested
    /// set with at least one input gene.
    pub fn library(&self, lib: &LibraryIndex) -> (LibraryBackground, Vec<Hit>) {
        let bytes = &self.marks.bytes;
        let (big_n, n) = match self.universe {
            Universe::LibraryGenes => (lib.universe_size, self.query.iter().filter(|&&g| lib.contains(g)).count()),
            Universe::AllGenes { genes } => (genes, self.query.len()),
            Universe::Custom { genes } => {
                (genes.len(), self.query.iter().filter(|&&g| bytes[g as usize] & IN_QUERY != 0).count())
            }
        };
        let custom = matches!(self.universe, Universe::Custom { .. });
        // (k, K) of every set.
        let counts: Vec<(u32, u32)> = (0..lib.set_count())
            .into_par_iter()
            .with_min_len(MIN_CHUNK)
            .map(|i| {
                let members = lib.members(i);
                if custom {
                    let (mut k, mut big_k) = (0u32, 0u32);
                    for &m in members {
                        let b = bytes[m as usize];
                        k += (b & IN_QUERY) as u32;
                        big_k += ((b & IN_BACKGROUND) >> 1) as u32;
                    }
                    (k, big_k)
                } else {
                    (members.iter().map(|&m| bytes[m as usize] as u32).sum(), members.len() as u32)
                }
            })
            .collect();
        let tested = |big_k: u32| big_k > 0 && (self.min_size..=self.max_size).contains(&(big_k as usize));
        let sets_tested = counts.iter().filter(|c| tested(c.1)).count();
        let mut hits: Vec<Hit> = counts
            .par_iter()
            .enumerate()
            .with_min_len(MIN_CHUNK)
            .filter(|(_, &(k, big_k))| k > 0 && tested(big_k))
            .map(|(i, &(k, big_k))| {
                let c = Counts { big_n, big_k: big_k as usize, n, k: k as usize };
                Hit { set: i as u32, id_order: lib.id_order[i], counts: c, ln_p: ln_upper_tail(self.table, c), ln_q: 0.0 }
            })
            .collect();
        let hypotheses = match self.fdr_scope {
            FdrScope::SetsTested => sets_tested,
            FdrScope::SetsWithOverlap => hits.len(),
        };
        let ln_p: Vec<f64> = hits.iter().map(|h| h.ln_p).collect();
        for (hit, ln_q) in hits.iter_mut().zip(benjamini_hochberg_ln(&ln_p, hypotheses)) {
            hit.ln_q = ln_q;
        }
        let summary = LibraryBackground {
            library: Arc::clone(&lib.name),
            background_genes: big_n,
            input_genes: n,
            sets_tested,
        };
        (summary, hits)
    }

    /// The full row of a hit in `lib`: overlap genes, names, p and FDR.
    pub fn row(&self, lib: &LibraryIndex, hit: &Hit, rank: usize) -> EnrichRow {
        let i = hit.set as usize;
        let bytes = &self.marks.bytes;
        // The count is known, so the walk stops at the last overlapping member.
        let mut overlap = Vec::with_capacity(hit.counts.k);
        for &m in lib.members(i) {
            if bytes[m as usize] & IN_QUERY != 0 {
                overlap.push(Entrez(self.entrez[m as usize]));
                if overlap.len() == hit.counts.k {
                    break;
                }
            }
        }
        EnrichRow {
            set_id: lib.set_ids[i].clone(),
            library: lib.name.clone(),
            term: lib.terms[i].clone(),
            name: lib.names[i].clone(),
            overlap_size: overlap.len(),
            overlap,
            set_size: hit.counts.big_k,
            p_value: hit.ln_p.exp(),
            log10_p: hit.ln_p / LN_10,
            odds_ratio: odds_ratio(hit.counts),
            fdr: hit.ln_q.exp(),
            log10_fdr: hit.ln_q / LN_10,
            rank,
        }
    }
}

/// A tested set with at least one input gene: small, so sorting tens of thousands of them is
/// cheap; the full [`EnrichRow`] is built once, in result order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub set: u32,
    /// Position in set-id order over the index (see `LibraryIndex::id_order`).
    pub id_order: u32,
    pub counts: Counts,
    pub ln_p: f64,
    pub ln_q: f64,
}
