//! Version 1: the trees of the first release. Opening a tree creates it, so this migration only
//! makes their existence explicit and recorded.

pub fn up(db: &sled::Db) -> sled::Result<()> {
    for tree in ["meta", "genes", "libraries", "sets", "gene_sets", "user_sets"] {
        db.open_tree(tree)?;
    }
    Ok(())
}
