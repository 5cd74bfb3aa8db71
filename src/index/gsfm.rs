//! The GSFM is the embedder the indexes are built from.

use super::Embedder;
use crate::model::Gsfm;

impl Embedder for Gsfm {
    fn fingerprint(&self) -> String {
        Gsfm::fingerprint(self).to_string()
    }

    fn gene_embeddings(&self) -> anyhow::Result<Vec<(u32, Vec<f32>)>> {
        Ok(Gsfm::gene_embeddings(self))
    }

    fn embed_sets(&self, sets: &[&[u32]]) -> anyhow::Result<Vec<Vec<f32>>> {
        Ok(Gsfm::embed_sets(self, sets))
    }
}
