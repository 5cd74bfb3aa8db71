//! Version 2: `gene_publications` (papers per gene) and `explanations` (the explanation cache).
//! A store from version 1 has neither; its counts are filled by the next
//! `genekg ingest default` (which does only that when the store is otherwise populated), and
//! the cache fills itself.

pub fn up(db: &sled::Db) -> sled::Result<()> {
    for tree in ["gene_publications", "explanations"] {
        db.open_tree(tree)?;
    }
    Ok(())
}
