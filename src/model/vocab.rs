//! The model's gene vocabulary: column 0 is `<unk>`, column 1 `<pad>`, then genes by how many
//! training sets contain them (most first, ties by Entrez id so the order is reproducible).

use std::collections::HashMap;
use std::path::Path;

use super::{io_err, ModelError, Result};

pub const UNK: usize = 0;
pub const PAD: usize = 1;
const SPECIALS: usize = 2;

#[derive(Debug, Clone, PartialEq)]
pub struct Vocab {
    /// Entrez id of each gene column, in column order (column = position + 2). An imported
    /// vocabulary can hold symbols this catalogue does not know; their columns carry 0.
    entrez: Vec<u32>,
    column: HashMap<u32, usize>,
}

impl Vocab {
    pub fn from_entrez(entrez: Vec<u32>) -> Self {
        let column = entrez
            .iter()
            .enumerate()
            .filter(|(_, &e)| e != 0)
            .map(|(i, &e)| (e, i + SPECIALS))
            .collect();
        Self { entrez, column }
    }

    /// Genes in at least `min_sets` of `sets`, most frequent first.
    pub fn build<'a>(sets: impl IntoIterator<Item = &'a [u32]>, min_sets: usize) -> Self {
        let mut counts: HashMap<u32, usize> = HashMap::new();
        for set in sets {
            for &g in set {
                *counts.entry(g).or_default() += 1;
            }
        }
        let mut genes: Vec<(u32, usize)> = counts.into_iter().filter(|&(_, c)| c >= min_sets.max(1)).collect();
        genes.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Self::from_entrez(genes.into_iter().map(|(g, _)| g).collect())
    }

    /// Number of columns, specials included (the model's `vocab_size`).
    pub fn size(&self) -> usize {
        self.entrez.len() + SPECIALS
    }

    /// Gene columns only.
    pub fn gene_count(&self) -> usize {
        self.entrez.len()
    }

    /// Entrez ids in column order (columns 2..); 0 marks an imported symbol that is unknown here.
    pub fn genes(&self) -> &[u32] {
        &self.entrez
    }

    pub fn column(&self, entrez: u32) -> Option<usize> {
        self.column.get(&entrez).copied()
    }

    /// The gene of a column, if it is a (known) gene column.
    pub fn entrez_at(&self, column: usize) -> Option<u32> {
        column.checked_sub(SPECIALS).and_then(|i| self.entrez.get(i)).copied().filter(|&e| e != 0)
    }

    pub const fn first_gene_column() -> usize {
        SPECIALS
    }

    /// The gene columns among `cols` (as [`Vocab::encode`] gives them) as 0-based gene indices,
    /// `<unk>` and `<pad>` left out: the item-item path and the logit rows count genes from 0.
    pub fn gene_indices(cols: &[i64]) -> Vec<usize> {
        cols.iter().filter_map(|&c| (c as usize).checked_sub(SPECIALS)).collect()
    }

    /// The input columns of a set, as the model sees it: known genes' columns (sorted, distinct)
    /// plus `<unk>` once if any gene is outside the vocabulary, exactly like the published model
    /// maps unknown tokens.
    pub fn encode(&self, genes: &[u32]) -> Vec<i64> {
        let mut cols: Vec<i64> = Vec::with_capacity(genes.len());
        let mut unknown = false;
        for g in genes {
            match self.column(*g) {
                Some(c) => cols.push(c as i64),
                None => unknown = true,
            }
        }
        if unknown {
            cols.push(UNK as i64);
        }
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let mut text = String::with_capacity(self.entrez.len() * 8);
        text.push_str("<unk>\n<pad>\n");
        for e in &self.entrez {
            text.push_str(&e.to_string());
            text.push('\n');
        }
        std::fs::write(path, text).map_err(io_err(path))
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        Self::parse(&text, |token| token.parse::<u32>().ok()).map_err(|reason| ModelError::Corrupt {
            file: path.display().to_string(),
            reason,
        })
    }

    /// Parses a vocabulary file whose gene tokens `map` turns into Entrez ids (tokens it cannot
    /// map become dead columns). Lines 1 and 2 must be `<unk>` and `<pad>`.
    pub fn parse(text: &str, mut map: impl FnMut(&str) -> Option<u32>) -> Result<Self, String> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        if lines.next() != Some("<unk>") || lines.next() != Some("<pad>") {
            return Err("the first two lines must be `<unk>` and `<pad>`".into());
        }
        let mut entrez = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, token) in lines.enumerate() {
            let id = map(token).unwrap_or(0);
            if id != 0 && !seen.insert(id) {
                // Two tokens for one gene (e.g. a symbol and its alias): keep the first column.
                tracing::warn!(line = i + 3, token, "vocabulary repeats a gene; the later column is unused");
                entrez.push(0);
                continue;
            }
            entrez.push(id);
        }
        if entrez.is_empty() {
            return Err("no gene lines".into());
        }
        Ok(Self::from_entrez(entrez))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequent_genes_first_and_rare_genes_left_out() {
        let sets: Vec<Vec<u32>> = vec![vec![7, 3, 9], vec![3, 9], vec![3], vec![5]];
        let v = Vocab::build(sets.iter().map(|s| s.as_slice()), 2);
        assert_eq!(v.genes(), &[3, 9]);
        assert_eq!(v.column(3), Some(2));
        assert_eq!(v.size(), 4);
        assert_eq!(v.encode(&[9, 3, 9]), vec![2, 3]);
        assert_eq!(v.encode(&[9, 42]), vec![UNK as i64, 3]);
    }

    #[test]
    fn save_load_round_trip_and_bad_header() {
        let v = Vocab::from_entrez(vec![10, 20, 30]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vocab.txt");
        v.save(&p).unwrap();
        assert_eq!(Vocab::load(&p).unwrap(), v);
        assert!(Vocab::parse("A\nB\n", |_| Some(1)).is_err());
    }
}
