//! Papers linked to each gene (org.Hs.eg.db's `pubmed` table, every paper, not only those the
//! PubMed library keeps as sets): how well studied a gene is, and the papers of 2 to 4 genes
//! themselves, whose co-mentions the model serves (`model::comention`). The PubMed library
//! keeps only papers of 5..=500 genes, so these small papers are evidence the autoencoder
//! never trains on.

use super::{Result, Store, StoreError};

/// `meta` key recording that (and from what) the counts were ingested: a gene without a row
/// then has no linked paper, while a store without this key has no counts at all.
const META_KEY: &str = "publication_counts";
/// `meta` key recording that (and from what) the small papers were ingested.
const SMALL_PAPERS_KEY: &str = "small_papers";
/// Sizes of the papers kept in `small_papers`: below the PubMed library's smallest set.
pub const SMALL_PAPER_GENES: std::ops::RangeInclusive<usize> = 2..=4;

impl Store {
    /// Replaces every gene's publication count (genes absent from `counts` get none).
    pub fn set_publication_counts(&self, counts: &[(u32, u32)], provenance: &serde_json::Value) -> Result<()> {
        self.meta.remove(META_KEY)?;
        self.publications.clear()?;
        let mut batch = sled::Batch::default();
        for (entrez, n) in counts.iter().filter(|(_, n)| *n > 0) {
            batch.insert(&entrez.to_be_bytes(), &n.to_be_bytes());
        }
        self.publications.apply_batch(batch)?;
        self.set_meta_json(META_KEY, provenance)
    }

    /// Whether publication counts were ingested into this store.
    pub fn has_publication_counts(&self) -> Result<bool> {
        Ok(self.meta.contains_key(META_KEY)?)
    }

    /// Papers linked to the gene; an error naming the fix when the store has no counts.
    pub fn publication_count(&self, entrez: u32) -> Result<u32> {
        if !self.has_publication_counts()? {
            return Err(StoreError::Invalid(
                "this store has no publication counts; run `genekg ingest default` (or `ingest orgdb`) to add them".into(),
            ));
        }
        match self.publications.get(entrez.to_be_bytes())? {
            None => Ok(0),
            Some(v) => {
                let bytes: [u8; 4] = v.as_ref().try_into().map_err(|_| StoreError::Corrupt {
                    tree: "gene_publications",
                    reason: format!("count of gene {entrez} is not a u32"),
                })?;
                Ok(u32::from_be_bytes(bytes))
            }
        }
    }

    /// Replaces the small papers: `(PMID, genes)` with 2 to 4 distinct genes each (others are
    /// an error, so a caller's size filter and the tree cannot disagree).
    pub fn set_small_papers(&self, papers: &[(u32, Vec<u32>)], provenance: &serde_json::Value) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (pmid, genes) in papers {
            let mut genes = genes.clone();
            genes.sort_unstable();
            genes.dedup();
            if !SMALL_PAPER_GENES.contains(&genes.len()) {
                return Err(StoreError::Invalid(format!("paper {pmid} has {} distinct genes; small papers have 2 to 4", genes.len())));
            }
            let value: Vec<u8> = genes.iter().flat_map(|g| g.to_be_bytes()).collect();
            batch.insert(&pmid.to_be_bytes(), value);
        }
        self.meta.remove(SMALL_PAPERS_KEY)?;
        self.small_papers.clear()?;
        self.small_papers.apply_batch(batch)?;
        self.set_meta_json(SMALL_PAPERS_KEY, provenance)
    }

    /// Whether small papers were ingested into this store (a store ingested before genekg kept
    /// them, or a GMT-only one, has none).
    pub fn has_small_papers(&self) -> Result<bool> {
        Ok(self.meta.contains_key(SMALL_PAPERS_KEY)?)
    }

    /// Every small paper as `(PMID, genes ascending)`, by PMID; an error naming the fix when the
    /// store has none.
    pub fn small_papers(&self) -> Result<Vec<(u32, Vec<u32>)>> {
        if !self.has_small_papers()? {
            return Err(StoreError::Invalid(
                "this store has no small papers; run `genekg ingest default --if-empty` (or `ingest orgdb`) to add them".into(),
            ));
        }
        let corrupt = |reason: String| StoreError::Corrupt { tree: "small_papers", reason };
        self.small_papers
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                let pmid = u32::from_be_bytes(k.as_ref().try_into().map_err(|_| corrupt(format!("key {k:?} is not a u32 PMID")))?);
                if v.len() % 4 != 0 || !SMALL_PAPER_GENES.contains(&(v.len() / 4)) {
                    return Err(corrupt(format!("paper {pmid}: {} bytes are not 2 to 4 genes", v.len())));
                }
                Ok((pmid, v.chunks_exact(4).map(|c| u32::from_be_bytes(c.try_into().expect("4 bytes"))).collect()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_replace_earlier_ones_and_missing_counts_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("db")).unwrap();
        let err = store.publication_count(7157).unwrap_err().to_string();
        assert!(err.contains("genekg ingest default"), "{err}");
        store.set_publication_counts(&[(7157, 12), (1, 3)], &serde_json::json!({"source": "test"})).unwrap();
        assert_eq!((store.publication_count(7157).unwrap(), store.publication_count(1).unwrap()), (12, 3));
        store.set_publication_counts(&[(7157, 13)], &serde_json::json!({"source": "test"})).unwrap();
        assert_eq!((store.publication_count(7157).unwrap(), store.publication_count(1).unwrap()), (13, 0));
    }

    #[test]
    fn small_papers_replace_earlier_ones_and_other_sizes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("db")).unwrap();
        let err = store.small_papers().unwrap_err().to_string();
        assert!(err.contains("genekg ingest default"), "{err}");
        let prov = serde_json::json!({"source": "test"});
        store.set_small_papers(&[(10, vec![7157, 4193]), (3, vec![3, 2, 1, 2])], &prov).unwrap();
        assert_eq!(store.small_papers().unwrap(), vec![(3, vec![1, 2, 3]), (10, vec![4193, 7157])]);
        store.set_small_papers(&[(11, vec![5, 6])], &prov).unwrap();
        assert_eq!(store.small_papers().unwrap(), vec![(11, vec![5, 6])]);
        let err = store.set_small_papers(&[(12, vec![5, 5])], &prov).unwrap_err().to_string();
        assert!(err.contains("paper 12") && err.contains("1 distinct"), "{err}");
        assert_eq!(store.small_papers().unwrap(), vec![(11, vec![5, 6])], "a refused replacement changes nothing");
    }
}
