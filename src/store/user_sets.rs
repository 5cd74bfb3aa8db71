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
            id: self.unguessable_user_set_id()?,
            description,
            genes,
            unknown,
            created_at: chrono::Utc::now().to_rfc3339(),
        };
        self.user_sets.insert(set.id.to_be_bytes(), encode(&set))?;
        self.flush()?;
        Ok(set)
    }

    /// A random id not yet taken. A registered list is private and reachable only through its
    /// id, so ids must not be guessable from one's own (sled's counter would hand out the next
    /// number); `thread_rng` is a CSPRNG seeded from the OS. 53 bits keep ids exact in
    /// JavaScript numbers, ample against guessing among the few lists a server holds.
    fn unguessable_user_set_id(&self) -> Result<u64> {
        loop {
            let id = rand::random::<u64>() >> 11;
            if id != 0 && !self.user_sets.contains_key(id.to_be_bytes())? {
                return Ok(id);
            }
        }
    }

    pub fn user_set(&self, id: u64) -> Result<Option<UserSet>> {
        self.user_sets.get(id.to_be_bytes())?.map(|v| decode("user_sets", &v)).transpose()
    }

    pub fn user_set_count(&self) -> usize {
        self.user_sets.len()
    }
}

impl Store {
    /// Every user set, in id order (ids are random, so not by age).
    pub fn user_sets(&self) -> Result<Vec<UserSet>> {
        self.user_sets.iter().values().map(|v| decode("user_sets", &v?)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Store;

    #[test]
    fn user_set_ids_do_not_follow_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("db")).unwrap();
        let ids: Vec<u64> = (0..8).map(|_| store.add_user_set(vec![7157], vec![], None).unwrap().id).collect();
        for w in ids.windows(2) {
            assert!(w[1] != w[0] + 1 && w[0] != w[1], "sequential ids {ids:?}");
        }
        for id in &ids {
            assert_eq!(store.user_set(*id).unwrap().unwrap().genes, vec![7157]);
        }
    }
}
