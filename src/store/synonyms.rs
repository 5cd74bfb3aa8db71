//! Other names of library terms (GO.db's `go_synonym` labels), kept so that questions can name a
//! term the way people say it ("apoptosis" for GO:0006915 "apoptotic process"). A tree of its
//! own, keyed by term, because the set records are shared by every library and most have none.

use std::collections::HashMap;

use super::{decode, encode, Result, Store};

const TREE: &str = "term_synonyms";

impl Store {
    /// Replaces every stored synonym with `synonyms` (term → labels) in one batch.
    pub fn replace_term_synonyms(&self, synonyms: &HashMap<String, Vec<String>>) -> Result<()> {
        let tree = self.tree(TREE)?;
        let mut batch = sled::Batch::default();
        for k in tree.iter().keys() {
            batch.remove(k?);
        }
        for (term, labels) in synonyms {
            batch.insert(term.as_bytes(), encode(labels));
        }
        tree.apply_batch(batch)?;
        Ok(())
    }

    /// Every term's synonyms; empty for a store ingested before synonyms were kept.
    pub fn term_synonyms(&self) -> Result<HashMap<String, Vec<String>>> {
        let mut out = HashMap::new();
        for kv in self.tree(TREE)?.iter() {
            let (k, v) = kv?;
            out.insert(String::from_utf8_lossy(&k).into_owned(), decode::<Vec<String>>(TREE, &v)?);
        }
        Ok(out)
    }
}
