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
    /// Scores every set of `lib`; returns the library's test universe and one row (rank 0,
    /// filled in by the caller) per tested set with at least one input gene.
    pub fn library(&self, lib: &LibraryIndex) -> (LibraryBackground, Vec<EnrichRow>) {
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
        let (mut rows, ln_p): (Vec<EnrichRow>, Vec<f64>) = counts
            .par_iter()
            .enumerate()
            .with_min_len(MIN_CHUNK)
            .filter(|(_, &(k, big_k))| k > 0 && tested(big_k))
            .map(|(i, &(k, big_k))| {
                let c = Counts { big_n, big_k: big_k as usize, n, k: k as usize };
                let ln_p = ln_upper_tail(self.table, c);
                let overlap: Vec<u32> = lib
                    .members(i)
                    .iter()
                    .filter(|&&m| bytes[m as usize] & IN_QUERY != 0)
                    .map(|&m| self.entrez[m as usize])
                    .collect();
                let row = EnrichRow {
                    set_id: lib.set_ids[i].clone(),
                    library: lib.name.clone(),
                    term: lib.terms[i].clone(),
                    name: lib.names[i].clone(),
                    overlap_size: overlap.len(),
                    overlap,
                    set_size: c.big_k,
                    p_value: ln_p.exp(),
                    log10_p: ln_p / LN_10,
                    odds_ratio: odds_ratio(c),
                    fdr: 1.0,
                    log10_fdr: 0.0,
                    rank: 0,
                };
                (row, ln_p)
            })
            .unzip();
        let hypotheses = match self.fdr_scope {
            FdrScope::SetsTested => sets_tested,
            FdrScope::SetsWithOverlap => rows.len(),
        };
        for (row, ln_q) in rows.iter_mut().zip(benjamini_hochberg_ln(&ln_p, hypotheses)) {
            row.fdr = ln_q.exp();
            row.log10_fdr = ln_q / LN_10;
        }
        let summary = LibraryBackground {
            library: Arc::clone(&lib.name),
            background_genes: big_n,
            input_genes: n,
            sets_tested,
        };
        (summary, rows)
    }
}
