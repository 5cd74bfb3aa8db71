//! Evaluation cases: TSV with header `id<TAB>input<TAB>held_out`, genes as comma-separated
//! symbols (Entrez ids also accepted), and the two ways `genekg eval make-cases` builds them.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::model::{io_err, ModelError, Result};
use crate::store::{GeneResolver, GeneSet};

pub const HEADER: &str = "id\tinput\theld_out";

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: String,
    pub input: Vec<u32>,
    pub held_out: Vec<u32>,
}

/// Parsed cases plus how many gene strings did not resolve (reported, not fatal: a case file
/// from another catalogue version will always have a few).
pub struct CaseFile {
    pub cases: Vec<Case>,
    pub unresolved_genes: usize,
}

pub fn read_cases(path: &Path, resolver: &GeneResolver) -> Result<CaseFile> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let bad = |line: usize, reason: String| ModelError::Invalid(format!("{}:{line}: {reason}", path.display()));
    let mut lines = std::io::BufReader::new(file).lines();
    let header = lines.next().transpose().map_err(io_err(path))?.unwrap_or_default();
    if header.trim_end() != HEADER {
        return Err(bad(1, format!("the header must be `id<TAB>input<TAB>held_out`, found `{}`", header.trim_end())));
    }
    let mut cases = Vec::new();
    let mut unresolved = 0;
    let mut resolve = |field: &str| -> Vec<u32> {
        let entries: Vec<&str> = field.split(',').collect();
        let list = resolver.resolve_list(&entries);
        unresolved += list.unknown.len() + list.ambiguous.len();
        let mut out = list.genes;
        out.sort_unstable();
        out
    };
    for (i, line) in lines.enumerate() {
        let line = line.map_err(io_err(path))?;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != 3 {
            return Err(bad(i + 2, format!("expected 3 tab-separated fields, found {}", fields.len())));
        }
        cases.push(Case { id: fields[0].to_string(), input: resolve(fields[1]), held_out: resolve(fields[2]) });
    }
    Ok(CaseFile { cases, unresolved_genes: unresolved })
}

pub fn write_cases(out: &mut dyn Write, cases: &[Case], symbol: &HashMap<u32, String>) -> std::io::Result<()> {
    writeln!(out, "{HEADER}")?;
    let names = |genes: &[u32]| -> String {
        genes.iter().map(|g| symbol.get(g).cloned().unwrap_or_else(|| g.to_string())).collect::<Vec<_>>().join(",")
    };
    for c in cases {
        writeln!(out, "{}\t{}\t{}", c.id, names(&c.input), names(&c.held_out))?;
    }
    Ok(())
}

/// Hides a random half of each set (sets with fewer than `min_size` genes are left out, so each
/// side can reach the evaluator's 5-gene minimum).
pub fn random_split(library: &str, sets: &[GeneSet], seed: u64, min_size: usize) -> Vec<Case> {
    split_halves(sets.iter().map(|s| (format!("{library}:{}", s.term), s.genes.as_slice())), seed, min_size)
}

/// [`random_split`] over `(id, genes)` pairs.
pub fn split_halves<'a>(sets: impl Iterator<Item = (String, &'a [u32])>, seed: u64, min_size: usize) -> Vec<Case> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    sets.filter(|(_, genes)| genes.len() >= min_size)
        .map(|(id, genes)| {
            let mut genes = genes.to_vec();
            genes.shuffle(&mut rng);
            let held_out = genes.split_off(genes.len() / 2);
            let (mut input, mut held_out) = (genes, held_out);
            input.sort_unstable();
            held_out.sort_unstable();
            Case { id, input, held_out }
        })
        .collect()
}

/// Literature sets published at or after `pmid` (PMIDs grow with time), each split in half:
/// a model trained with `--before-pmid` never saw these papers.
pub fn literature_after(library: &str, sets: &[GeneSet], pmid: u32, seed: u64, min_size: usize) -> Vec<Case> {
    let later: Vec<GeneSet> = sets.iter().filter(|s| s.pmid.is_some_and(|p| p >= pmid)).cloned().collect();
    random_split(library, &later, seed, min_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(term: &str, genes: Vec<u32>, pmid: Option<u32>) -> GeneSet {
        GeneSet { term: term.into(), name: term.into(), description: None, genes, pmid, url: None }
    }

    #[test]
    fn splits_are_halves_seeded_and_filtered() {
        let sets = vec![set("a", (1..=10).collect(), Some(5)), set("b", vec![1, 2], Some(9)), set("c", (20..31).collect(), Some(9))];
        let cases = random_split("L", &sets, 42, 10);
        assert_eq!(cases.len(), 2);
        assert_eq!((cases[0].input.len(), cases[0].held_out.len()), (5, 5));
        assert_eq!((cases[1].input.len(), cases[1].held_out.len()), (5, 6));
        let mut all: Vec<u32> = cases[0].input.iter().chain(&cases[0].held_out).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (1..=10).collect::<Vec<_>>());
        assert_eq!(cases, random_split("L", &sets, 42, 10));
        assert_ne!(cases, random_split("L", &sets, 43, 10));
        let later = literature_after("L", &sets, 9, 42, 10);
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].id, "L:c");
    }
}
