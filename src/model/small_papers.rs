//! Small papers as training sets: papers of 2 to 4 genes, drawn afresh each epoch beside the
//! corpus (`genekg train --small-papers N`; off in the served recipe).
//!
//! Why: the PubMed library keeps papers of 5..=500 genes, so the ~208,000 papers of 2 to 4
//! genes in org.Hs.eg.db 3.12 (~236,000 in 3.16) reach the model only through the co-mention
//! path (`comention.rs`), a fixed additive score. Issue 15 asks whether training on "sets of
//! every size" teaches the autoencoder more; this option is how that was measured on the
//! development time split (docs/model.md, "Levers measured on the development split").
//!
//! What changes and what does not: the small papers are extra training examples only. The
//! vocabulary, the gene prior's training-set counts, the gene-to-gene path, the calibration fit
//! and the calibration reserve are all counted over the corpus as before, so a run with and
//! without them differs in the epochs alone. `N` papers are drawn per epoch (all of them when
//! `N` is at least their number), so one flag sets what they cost: an epoch trains on the
//! corpus plus `N` sets. A paper is kept if it names at least two vocabulary genes (one gene
//! teaches the model nothing about pairs); `--before-pmid` applies to them as to the PubMed
//! library. The fingerprint covers the recipe (`N`) and every paper kept.

use rand::seq::index;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use super::vocab::Vocab;
use super::Result;
use crate::store::Store;

/// The store's small papers over a vocabulary, as the model reads them.
pub struct SmallPapers {
    /// `(PMID, columns as [`Vocab::encode`] gives them)`, by PMID.
    papers: Vec<(u32, Vec<i64>)>,
}

impl SmallPapers {
    /// The store's small papers with at least two of `vocab`'s genes, those at or above
    /// `before_pmid` left out; possibly none (training refuses that, naming the fix).
    pub fn load(store: &Store, vocab: &Vocab, before_pmid: Option<u32>) -> Result<Self> {
        Ok(Self::from_papers(store.small_papers()?, vocab, before_pmid))
    }

    fn from_papers(papers: Vec<(u32, Vec<u32>)>, vocab: &Vocab, before_pmid: Option<u32>) -> Self {
        let first = Vocab::first_gene_column() as i64;
        let papers = papers
            .into_iter()
            .filter(|(pmid, _)| before_pmid.map_or(true, |cut| *pmid < cut))
            .map(|(pmid, genes)| (pmid, vocab.encode(&genes)))
            .filter(|(_, cols)| cols.iter().filter(|&&c| c >= first).count() >= 2)
            .collect();
        Self { papers }
    }

    pub fn len(&self) -> usize {
        self.papers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.papers.is_empty()
    }

    /// `n` distinct papers for one epoch (every paper when `n` is at least their number), chosen
    /// by `seed` alone, so the draw of an epoch is the same in a resumed run.
    pub fn draw(&self, n: usize, seed: u64) -> Vec<&[i64]> {
        if n >= self.papers.len() {
            return self.papers.iter().map(|(_, c)| c.as_slice()).collect();
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut picked = index::sample(&mut rng, self.papers.len(), n).into_vec();
        picked.sort_unstable();
        picked.into_iter().map(|i| self.papers[i].1.as_slice()).collect()
    }

    /// sha256 over every paper kept (PMID and columns), for the model's fingerprint.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for (pmid, cols) in &self.papers {
            h.update(pmid.to_le_bytes());
            for c in cols {
                h.update(c.to_le_bytes());
            }
            h.update([0xff]);
        }
        hex::encode(h.finalize())
    }
}

/// The model's fingerprint covers the small papers trained on; without them it is unchanged.
pub fn fingerprint_with(fingerprint: String, papers: Option<&SmallPapers>) -> String {
    match papers {
        None => fingerprint,
        Some(p) => hex::encode(Sha256::digest(format!("{fingerprint}:small_papers:{}", p.digest()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocab {
        Vocab::from_entrez(vec![10, 11, 12, 13])
    }

    #[test]
    fn papers_need_two_vocabulary_genes_and_respect_the_pmid_cut() {
        let papers = vec![(1, vec![10, 11]), (2, vec![10, 99]), (3, vec![11, 12, 99]), (4, vec![98, 99]), (9, vec![12, 13])];
        let kept = SmallPapers::from_papers(papers.clone(), &vocab(), None);
        let pmids: Vec<u32> = kept.papers.iter().map(|(p, _)| *p).collect();
        assert_eq!(pmids, vec![1, 3, 9], "a paper with one vocabulary gene is left out");
        // Encoded like every training set: an unknown gene is the `<unk>` column.
        assert_eq!(kept.papers[1].1, vocab().encode(&[11, 12, 99]));
        let cut = SmallPapers::from_papers(papers, &vocab(), Some(9));
        assert_eq!(cut.len(), 2, "--before-pmid leaves out papers at or above it");
        assert_ne!(kept.digest(), cut.digest());
    }

    #[test]
    fn an_epoch_draws_distinct_papers_by_seed_or_all_of_them() {
        let papers: Vec<(u32, Vec<u32>)> = (0..50).map(|i| (i, vec![10 + i % 4, 10 + (i + 1) % 4])).collect();
        let small = SmallPapers::from_papers(papers, &vocab(), None);
        let a = small.draw(20, 7);
        assert_eq!(a.len(), 20);
        let ptrs: std::collections::HashSet<*const i64> = a.iter().map(|s| s.as_ptr()).collect();
        assert_eq!(ptrs.len(), 20, "no paper twice in an epoch");
        assert_eq!(a, small.draw(20, 7), "the same seed draws the same papers");
        assert_ne!(small.draw(20, 7).iter().map(|s| s.as_ptr()).collect::<Vec<_>>(), small.draw(20, 8).iter().map(|s| s.as_ptr()).collect::<Vec<_>>());
        assert_eq!(small.draw(50, 1).len(), 50);
        assert_eq!(small.draw(1000, 1).len(), 50, "asking for more than there are trains on all");
    }

    #[test]
    fn the_fingerprint_moves_only_with_papers() {
        let small = SmallPapers::from_papers(vec![(1, vec![10, 11])], &vocab(), None);
        assert_eq!(fingerprint_with("abc".into(), None), "abc");
        assert_ne!(fingerprint_with("abc".into(), Some(&small)), "abc");
    }
}
