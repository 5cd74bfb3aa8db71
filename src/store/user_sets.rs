//! Gene lists registered by users (Enrichr's addList), kept apart from curated libraries so a
//! re-ingest never touches them.

use super::{decode, encode, Result, Store, StoreError, UserSet};

impl Store {
    /// The most genes a user set may hold; larger lists are rejected, not truncated.
    pub const MAX_USER_SET_GENES: usize = 5_000;

    pub fn add_user_set(&self, genes: Vec<u32>, unknown: Vec<String>, description: Option<String>) -> Result<UserSet> {
        if genes.is_empty() {
            return Err(StoreError::Invalid("a gene set needs at least one known gene".into()));
        }
        if genes.len() > Self::MAX_USER_SET_GENES {
            return Err(StoreError::Invalid(format!(
                "a user gene set may hold at most {} genes, got {}",
                Self::MAX_USER_SET_GENES,
                genes.len()
            )));
        }
        let mut genes = genes;
        genes.sort_unstable();
        genes.dedup();
        let set = UserSet {
            id: self.generate_id()? + 1,
            description,
            genes,
            unknown,
            created_at: chrono::Utc::now().to_rfc3339(),
        };
        self.user_sets.insert(set.id.to_be_bytes(), encode(&set))?;
        self.flush()?;
        Ok(set)
    }

    pub fn user_set(&self, id: u64) -> Result<Option<UserSet>> {
        self.user_sets.get(id.to_be_bytes())?.map(|v| decode("user_sets", &v)).transpose()
    }

    pub fn user_set_count(&self) -> usize {
        self.user_sets.len()
    }
}

impl Store {
    /// Every user set, oldest first.
    pub fn user_sets(&self) -> Result<Vec<UserSet>> {
        self.user_sets.iter().values().map(|v| decode("user_sets", &v?)).collect()
    }
}
