//! Version 4: `small_papers` (papers of 2 to 4 genes, each with its genes; see
//! `store::publications`). A store from version 3 has none; the next `genekg ingest default`
//! fills it (only that, with `--if-empty`, when the store is otherwise populated), and until
//! then a model trains without the co-mention path and says so.

pub fn up(db: &sled::Db) -> sled::Result<()> {
    db.open_tree("small_papers")?;
    Ok(())
}
