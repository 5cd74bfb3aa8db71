//! Co-mention in small papers: a gene named in a paper of 2 to 4 genes beside genes of the
//! input is pushed up.
//!
//! Why: on the development time split (3.12 -> 3.16, docs/model.md) this was the one signal
//! that gained on GO BP, MF and CC and on both halves of the terms on top of the gene prior.
//! The PubMed library keeps papers of 5..=500 genes, so these papers are evidence the
//! autoencoder never trains on, and a paper naming a candidate beside a term's genes is what a
//! curator's later annotation cites.
//!
//! For an input `S` and a gene `y` outside it, `c(y, S) = Σ_{x in S} M[y][x]` with
//! `M[y][x] = Σ_{small papers p naming x and y} 1 / |p|` (each paper counts the share of its
//! genes in the input), and the model adds `weight * ln(1 + c / scale)` to `y`'s logit, after
//! the gene prior. `c` is linear in the input, so a sparse gene-by-gene matrix answers it.
//! The matrix is counted from the store's `small_papers` tree when the model is trained (or
//! given the path) and saved with the model (`comention.tsv`), so a model answers the same on
//! any store, and its fingerprint covers the counts. `|p|` counts every gene of the paper, also
//! those outside the vocabulary, as the dev split's feature did.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::vocab::Vocab;
use super::{io_err, ModelError, Result};
use crate::store::{Store, SMALL_PAPER_GENES};

pub const FILE: &str = "comention.tsv";
const HEADER: &str = "gene\tpartner\tpapers_of_2\tpapers_of_3\tpapers_of_4";

/// The term's shape, `weight * ln(1 + c / scale)` in logit units; part of the model's config
/// and fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoMentionConfig {
    pub weight: f64,
    pub scale: f64,
}

impl CoMentionConfig {
    /// Chosen on the development time split (docs/model.md, "The served co-mention path"): the
    /// logistic fit over BP, MF and CC pooled (`scripts/dev/comention_fit.py`) put the scale
    /// near 0.01 (a first small paper counts most) and the weight at 0.106 (halves 0.116 /
    /// 0.096); scored by the evaluator over every candidate, half that weight kept the median
    /// AUROC gains and lost less mean AP at the top of the ranking.
    pub const FITTED: Self = Self { weight: 0.05, scale: 0.01 };

    pub fn validate(&self) -> std::result::Result<(), String> {
        if !(self.weight.is_finite() && self.scale.is_finite() && self.scale > 0.0) {
            return Err(format!("co-mention weight must be finite and scale positive (got {} and {})", self.weight, self.scale));
        }
        Ok(())
    }

    /// The term added to a gene's logit for its co-mention `c` with the input.
    pub fn term(&self, c: f32) -> f32 {
        (self.weight * (c as f64 / self.scale).ln_1p()) as f32
    }
}

/// Small papers shared by two gene columns, by paper size (2, 3, 4 genes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SharedPapers(pub [u32; 3]);

impl SharedPapers {
    /// `Σ 1 / |p|` over the shared papers: `M[y][x]`.
    pub fn weight(&self) -> f32 {
        self.0.iter().zip(2..).map(|(&n, size)| n as f32 / size as f32).sum()
    }
}

/// The co-mention matrix over the gene columns, symmetric and without a diagonal.
#[derive(Debug, Clone)]
pub struct CoMention {
    /// `(a, b)` gene columns (0-based, `a < b`) and their shared papers, ascending.
    pairs: Vec<((u32, u32), SharedPapers)>,
    /// Per gene column: `(partner column, M[y][x])`.
    rows: Vec<Vec<(u32, f32)>>,
    config: CoMentionConfig,
}

impl CoMention {
    /// Counts the small papers of `store` over `vocab`'s genes. Errors if the store has none.
    pub fn count(store: &Store, vocab: &Vocab, config: CoMentionConfig) -> Result<Self> {
        let papers = store.small_papers()?;
        let first = Vocab::first_gene_column();
        let mut pairs: BTreeMap<(u32, u32), SharedPapers> = BTreeMap::new();
        for (_, genes) in &papers {
            debug_assert!(SMALL_PAPER_GENES.contains(&genes.len()));
            let size = genes.len();
            let mut cols: Vec<u32> = genes.iter().filter_map(|&g| vocab.column(g)).map(|c| (c - first) as u32).collect();
            cols.sort_unstable();
            for (i, &a) in cols.iter().enumerate() {
                for &b in &cols[i + 1..] {
                    pairs.entry((a, b)).or_default().0[size - 2] += 1;
                }
            }
        }
        Ok(Self::from_pairs(pairs.into_iter().collect(), vocab.gene_count(), config))
    }

    fn from_pairs(pairs: Vec<((u32, u32), SharedPapers)>, genes: usize, config: CoMentionConfig) -> Self {
        let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); genes];
        for &((a, b), shared) in &pairs {
            let w = shared.weight();
            rows[a as usize].push((b, w));
            rows[b as usize].push((a, w));
        }
        Self { pairs, rows, config }
    }

    pub fn config(&self) -> CoMentionConfig {
        self.config
    }

    /// Gene-column pairs sharing at least one small paper.
    pub fn pair_count(&self) -> usize {
        self.pairs.len()
    }

    /// `M[y][x]` for gene columns `y` and `x` (0-based).
    pub fn weight(&self, y: usize, x: usize) -> f32 {
        self.rows.get(y).and_then(|r| r.iter().find(|(p, _)| *p as usize == x)).map_or(0.0, |&(_, w)| w)
    }

    /// `c(y, S)` of every gene column for the input columns `input` (0-based); genes of the
    /// input get the co-mention with the rest of it.
    pub fn scores(&self, input: &[usize]) -> Vec<f32> {
        let mut c = vec![0f32; self.rows.len()];
        for &x in input {
            for &(y, w) in &self.rows[x] {
                c[y as usize] += w;
            }
        }
        c
    }

    /// Adds the term to a logit row over the gene columns, for the genes outside `input`.
    pub fn add_to(&self, row: &mut [f32], input: &[usize]) {
        debug_assert_eq!(row.len(), self.rows.len());
        // Input genes get no term: zeroing their scores drops them without a second mask.
        let mut c = self.scores(input);
        for &x in input {
            c[x] = 0.0;
        }
        for (x, c) in row.iter_mut().zip(c) {
            if c > 0.0 {
                *x += self.config.term(c);
            }
        }
    }

    /// sha256 of the counts, folded into the model's fingerprint.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for ((a, b), shared) in &self.pairs {
            h.update(a.to_le_bytes());
            h.update(b.to_le_bytes());
            for n in shared.0 {
                h.update(n.to_le_bytes());
            }
        }
        hex::encode(h.finalize())
    }

    /// One line per gene pair sharing a small paper (Entrez ids, the pair in column order),
    /// readable as a table.
    pub fn save(&self, path: &Path, vocab: &Vocab) -> Result<()> {
        let genes = vocab.genes();
        let mut text = String::with_capacity(self.pairs.len() * 24);
        text.push_str(HEADER);
        text.push('\n');
        for ((a, b), SharedPapers([n2, n3, n4])) in &self.pairs {
            text.push_str(&format!("{}\t{}\t{n2}\t{n3}\t{n4}\n", genes[*a as usize], genes[*b as usize]));
        }
        std::fs::write(path, text).map_err(io_err(path))
    }

    /// Reads [`CoMention::save`]'s file, checking each gene is in `vocab` and each pair comes
    /// once, in column order.
    pub fn load(path: &Path, vocab: &Vocab, config: CoMentionConfig) -> Result<Self> {
        let corrupt = |reason: String| ModelError::Corrupt { file: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(corrupt(format!("the first line is not `{}`", HEADER.replace('\t', "<tab>"))));
        }
        let first = Vocab::first_gene_column();
        let mut pairs = Vec::new();
        for (i, line) in lines.enumerate() {
            let n = i + 2;
            let fields: Vec<&str> = line.split('\t').collect();
            let numbers: Option<Vec<u32>> = fields.iter().map(|f| f.parse().ok()).collect();
            let Some(numbers) = numbers.filter(|v| v.len() == 5) else {
                return Err(corrupt(format!("line {n}: `{line}` is not gene, partner and papers of 2, 3 and 4 genes")));
            };
            let col = |g: u32| vocab.column(g).map(|c| (c - first) as u32).ok_or_else(|| corrupt(format!("line {n}: gene {g} is not in the vocabulary")));
            let (a, b) = (col(numbers[0])?, col(numbers[1])?);
            let key = (a, b);
            if a >= b || pairs.last().is_some_and(|(last, _)| *last >= key) {
                return Err(corrupt(format!("line {n}: the pair {} {} is out of column order or repeated", numbers[0], numbers[1])));
            }
            pairs.push((key, SharedPapers([numbers[2], numbers[3], numbers[4]])));
        }
        Ok(Self::from_pairs(pairs, vocab.gene_count(), config))
    }
}

/// What [`apply`] did.
#[derive(Debug, Serialize)]
pub struct Applied {
    pub fingerprint: String,
    /// Gene pairs of the vocabulary sharing a small paper.
    pub pairs: usize,
    /// Whether the probability map was refitted on the recipe's calibration sets.
    pub recalibrated: bool,
}

/// Gives the model in `dir` the co-mention path with `config` (`None` removes it), counting the
/// small papers of `store`, without retraining. As for the gene prior (`prior::apply`), the
/// probability map is refitted and the model gets a new fingerprint.
pub fn apply(store: &Store, dir: &Path, config: Option<CoMentionConfig>) -> Result<Applied> {
    if let Some(c) = config {
        c.validate().map_err(ModelError::Invalid)?;
    }
    let mut model = super::checkpoint::load(dir)?;
    let comention = match config {
        Some(c) => {
            if !store.has_small_papers()? {
                return Err(ModelError::Invalid(
                    "this store has no small papers, which the co-mention path needs; run `genekg ingest default --if-empty` to add them".into(),
                ));
            }
            Some(CoMention::count(store, &model.vocab, c)?)
        }
        None => None,
    };
    let fingerprint = hex::encode(Sha256::digest(format!("{}:comention:{}", model.fingerprint, describe(comention.as_ref()))));
    let pairs = comention.as_ref().map_or(0, |c| c.pair_count());
    model.file.model.comention = config;
    model.comention = comention;
    let recalibrated = super::calibrate::save_and_refit(store, dir, model, &fingerprint)?;
    Ok(Applied { fingerprint, pairs, recalibrated })
}

/// What the fingerprint folds in for the path: its config and counts, or that it is absent.
fn describe(comention: Option<&CoMention>) -> String {
    comention.map_or_else(|| "none".to_string(), |c| format!("{:?}:{}", c.config, c.digest()))
}

/// The model's fingerprint covers the co-mention counts: the same recipe on a store with other
/// small papers is another model. Without the path it is unchanged.
pub fn fingerprint_with(fingerprint: String, comention: Option<&CoMention>) -> String {
    match comention {
        None => fingerprint,
        Some(c) => hex::encode(Sha256::digest(format!("{fingerprint}:comention:{}", describe(Some(c))))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_the_papers_and_round_trip_through_the_file() {
        let vocab = Vocab::from_entrez(vec![7157, 4193, 1026, 55101]);
        // 7157-4193 share one paper of 2 and one of 4; 4193-1026 one of 3.
        let pairs = vec![((0, 1), SharedPapers([1, 0, 1])), ((1, 2), SharedPapers([0, 1, 0]))];
        let config = CoMentionConfig { weight: 0.5, scale: 1.0 };
        let m = CoMention::from_pairs(pairs, 4, config);
        assert_eq!(m.weight(0, 1), 0.75);
        assert_eq!(m.weight(1, 0), 0.75);
        assert_eq!(m.weight(0, 2), 0.0);
        assert_eq!(m.scores(&[0, 2]), vec![0.0, 0.75 + 1.0 / 3.0, 0.0, 0.0]);
        let mut row = vec![1.0f32; 4];
        m.add_to(&mut row, &[0, 2]);
        assert_eq!(row, vec![1.0, 1.0 + config.term(0.75 + 1.0 / 3.0), 1.0, 1.0], "input genes and genes without papers keep their logit");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        m.save(&path, &vocab).unwrap();
        let back = CoMention::load(&path, &vocab, config).unwrap();
        assert_eq!(back.digest(), m.digest());
        assert_eq!(back.scores(&[1]), m.scores(&[1]));

        let other = Vocab::from_entrez(vec![7157, 1026, 4193, 55101]);
        let err = CoMention::load(&path, &other, config).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("out of column order"), "{err}");
        std::fs::write(&path, format!("{HEADER}\n7157\t4193\t1\t0\t1\n7157\t999\t1\t0\t0\n")).unwrap();
        let err = CoMention::load(&path, &vocab, config).unwrap_err().to_string();
        assert!(err.contains(FILE) && err.contains("line 3") && err.contains("gene 999"), "{err}");
    }
}
