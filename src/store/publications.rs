//! Papers linked to each gene (org.Hs.eg.db's `pubmed` table, every paper, not only those the
//! PubMed library keeps as sets): how well studied a gene is.

use super::{Result, Store, StoreError};

/// `meta` key recording that (and from what) the counts were ingested: a gene without a row
/// then has no linked paper, while a store without this key has no counts at all.
const META_KEY: &str = "publication_counts";

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
}
