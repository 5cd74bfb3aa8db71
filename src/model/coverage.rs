//! Answers for genes outside the model's vocabulary (in fewer than `min_gene_sets` training
//! sets): the understudied genes the model is most wanted for.
//!
//! Such a gene has no column, so the model cannot score it and has no embedding of it. What the
//! store does have is the sets it is in (a few GO terms or papers, a Pfam domain, a PROSITE
//! motif, an EC class). Its **profile** is the vocabulary genes sharing those sets, most shared
//! first (each set counts `1 / size`, so a shared small domain family outweighs a shared
//! 1,000-gene paper), the first [`PROFILE_GENES`]. The model reads the profile as a gene list:
//!
//! - its completion (decoder output) gives the gene's **partners**;
//! - its encoding gives the gene's embedding, searched in the genes index for **similar genes**;
//! - the profile's genes vote for the stored sets they are in (one vote per gene in the set): the
//!   sets with most votes are the gene's **predicted functions**, and among sets with as many
//!   votes the more specific (smaller) one first ([`function_score`]); `probability` is the share
//!   of the profile in the set and `z` that score's z-score over all stored sets.
//!
//! The choices were measured on the development time split (`genekg eval coverage`,
//! docs/model.md). A gene in no stored set has no profile and gets no answer.

use std::collections::HashMap;

use crate::store::Store;

/// What a gene in no stored set gets instead of predictions (`{gene}` is replaced).
pub const NO_EVIDENCE: &str =
    "{gene} is in no stored gene set, domain, motif or enzyme class: the model has no evidence to predict from, so it makes no predictions";

/// Vocabulary genes in a profile: chosen on the development split (docs/model.md).
pub const PROFILE_GENES: usize = 50;
/// Neighbours that vote in the evaluation's neighbour methods.
pub const VOTE_NEIGHBOURS: usize = 50;
/// A set needs this many votes to be listed: one partner in a small set is chance.
pub const MIN_VOTES: u32 = 2;
/// Sets listed per gene at most (by descending z).
pub const MAX_FUNCTIONS: usize = 200;

/// A stored set, as the coverage answers read it.
pub struct MemberSet {
    pub library: String,
    pub term: String,
    pub untitled: bool,
    pub genes: Vec<u32>,
}

/// Every stored library set and, for each gene, the sets holding it.
pub struct Memberships {
    pub sets: Vec<MemberSet>,
    of_gene: HashMap<u32, Vec<u32>>,
    /// Sum over every set of its [`Memberships::set_share`] and of its square: the z-score of
    /// [`function_score`] is over every stored set, voted or not.
    share_sum: f64,
    share_sq_sum: f64,
}

impl Memberships {
    pub fn from_store(store: &Store) -> crate::store::Result<Self> {
        let mut sets = Vec::new();
        for lib in store.libraries()? {
            for s in store.library_sets(&lib.name)? {
                let untitled = crate::domain::is_untitled_set(&s.term, &s.name);
                sets.push(MemberSet {
                    library: lib.name.clone(),
                    term: s.term,
                    untitled,
                    genes: s.genes,
                });
            }
        }
        Ok(Self::new(sets))
    }

    pub fn new(sets: Vec<MemberSet>) -> Self {
        let mut of_gene: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, s) in sets.iter().enumerate() {
            for &g in &s.genes {
                of_gene.entry(g).or_default().push(i as u32);
            }
        }
        let background = of_gene.len().max(1) as f64;
        let shares = sets.iter().map(|s| s.genes.len() as f64 / background);
        let (share_sum, share_sq_sum) = shares.fold((0.0, 0.0), |(a, b), x| (a + x, b + x * x));
        Self { sets, of_gene, share_sum, share_sq_sum }
    }

    /// Genes in at least one stored set: the background a set's share is taken of.
    pub fn background(&self) -> usize {
        self.of_gene.len()
    }

    /// The set's genes over [`Memberships::background`]: the chance a random gene is in it.
    pub fn set_share(&self, set: u32) -> f64 {
        self.sets[set as usize].genes.len() as f64 / self.background().max(1) as f64
    }

    /// Indexes (into `sets`) of the sets holding `gene`.
    pub fn sets_of(&self, gene: u32) -> &[u32] {
        self.of_gene.get(&gene).map_or(&[], Vec::as_slice)
    }

    /// Every gene in at least one stored set, ascending.
    pub fn genes(&self) -> Vec<u32> {
        let mut g: Vec<u32> = self.of_gene.keys().copied().collect();
        g.sort_unstable();
        g
    }

    /// Libraries of the sets holding `gene`, by name.
    pub fn libraries_of(&self, gene: u32) -> Vec<String> {
        let mut l: Vec<String> = self
            .sets_of(gene)
            .iter()
            .map(|&i| self.sets[i as usize].library.clone())
            .collect();
        l.sort_unstable();
        l.dedup();
        l
    }

    /// The vocabulary genes sharing stored sets with `gene` (itself left out), by descending
    /// weight `sum over shared sets of 1 / size` (ties by Entrez id), the first `k`. When no
    /// gene sharing its sets is in the vocabulary (a domain family of unstudied genes), the
    /// genes sharing *their* sets stand in, each path weighted by the product of `1 / size`.
    pub fn profile(&self, gene: u32, in_vocab: impl Fn(u32) -> bool, k: usize) -> Vec<u32> {
        let mut weight: HashMap<u32, f64> = HashMap::new();
        self.spread(gene, 1.0, &in_vocab, &mut weight);
        if weight.is_empty() {
            for &s in self.sets_of(gene) {
                let genes = &self.sets[s as usize].genes;
                let w = 1.0 / genes.len() as f64;
                for &h in genes.iter().filter(|&&h| h != gene) {
                    self.spread(h, w, &in_vocab, &mut weight);
                }
            }
            weight.remove(&gene);
        }
        let mut ranked: Vec<(u32, f64)> = weight.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked.into_iter().map(|(g, _)| g).collect()
    }

    /// Adds `scale / size` to every vocabulary gene (other than `gene`) of each set holding `gene`.
    fn spread(&self, gene: u32, scale: f64, in_vocab: &impl Fn(u32) -> bool, weight: &mut HashMap<u32, f64>) {
        for &s in self.sets_of(gene) {
            let genes = &self.sets[s as usize].genes;
            let w = scale / genes.len() as f64;
            for &g in genes {
                if g != gene && in_vocab(g) {
                    *weight.entry(g).or_default() += w;
                }
            }
        }
    }

    /// Each set's votes from `neighbours` (one per neighbour in the set), with the z-score of its
    /// [`function_score`] over every stored set (a set without votes scores minus its share).
    /// Sets without votes are left out.
    pub fn vote(&self, neighbours: &[u32]) -> Vec<Vote> {
        let mut hits: HashMap<u32, u32> = HashMap::new();
        for &n in neighbours {
            for &s in self.sets_of(n) {
                *hits.entry(s).or_default() += 1;
            }
        }
        let scored: Vec<(u32, u32, f64, f64)> = hits
            .into_iter()
            .map(|(set, h)| {
                let share = self.set_share(set);
                (set, h, share, function_score(h, share))
            })
            .collect();
        // Unvoted sets score -share: their sums are every set's minus the voted sets'.
        let n = self.sets.len().max(1) as f64;
        let (mut sum, mut sq) = (-self.share_sum, self.share_sq_sum);
        for &(_, _, share, score) in &scored {
            sum += score + share;
            sq += score * score - share * share;
        }
        let mean = sum / n;
        let sd = (sq / n - mean * mean).max(0.0).sqrt().max(1e-9);
        let k = neighbours.len().max(1) as f32;
        scored
            .into_iter()
            .map(|(set, h, _, score)| Vote {
                set,
                votes: h,
                share: h as f32 / k,
                z: ((score - mean) / sd) as f32,
            })
            .collect()
    }
}

/// How a gene outside the vocabulary ranks a set from its profile's `votes`: the votes minus
/// the set's `share` of all genes (the votes one random gene would give it). The share is below
/// 1, so it never outweighs a vote: more votes always rank first, and among sets with as many
/// votes the smaller, more specific one does. Measured on the development split (`genekg eval
/// coverage`, docs/model.md): plain votes tie most sets and leave CC's specific compartments
/// at chance (median AUROC 0.76); this order ranks CC as well as the binomial z (0.95), keeps
/// the median on MF and BP within 0.007, and lowers the mean on BP and MF (genes whose later
/// sets are large and unvoted), with no constant fitted.
pub fn function_score(votes: u32, share: f64) -> f64 {
    votes as f64 - share
}

/// How many protein-coding genes get answers, by the evidence behind them.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Census {
    pub protein_coding: usize,
    /// In the model's vocabulary.
    pub vocabulary: usize,
    /// Outside it, answered from their stored sets.
    pub stored_sets: usize,
    /// Of those, in no GO term nor paper: only domain, motif or enzyme class sets.
    pub only_annotation_sets: usize,
    /// Of those, in exactly one stored set.
    pub one_set: usize,
    /// Outside it, in stored sets whose other genes are all outside it too: no answer.
    pub sets_without_profile: usize,
    /// In no stored set: no answer.
    pub no_evidence: usize,
}

/// Counts [`Census`] over the store's protein-coding genes for a vocabulary.
pub fn census(
    store: &Store,
    m: &Memberships,
    in_vocab: impl Fn(u32) -> bool + Copy,
) -> crate::store::Result<Census> {
    let mut c = Census::default();
    for gene in store.genes() {
        let gene = gene?;
        if gene.gene_type != "protein-coding" {
            continue;
        }
        c.protein_coding += 1;
        let g = gene.entrez;
        if in_vocab(g) {
            c.vocabulary += 1;
        } else if m.sets_of(g).is_empty() {
            c.no_evidence += 1;
        } else if m.profile(g, in_vocab, 1).is_empty() {
            c.sets_without_profile += 1;
        } else {
            c.stored_sets += 1;
            c.one_set += (m.sets_of(g).len() == 1) as usize;
            let libs = m.libraries_of(g);
            c.only_annotation_sets += libs
                .iter()
                .all(|l| !l.starts_with("GO_") && l != crate::domain::LITERATURE_LIBRARY)
                as usize;
        }
    }
    Ok(c)
}

/// A set's votes from a gene's neighbours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vote {
    /// Index into [`Memberships::sets`].
    pub set: u32,
    pub votes: u32,
    /// Votes over neighbours: the share of the gene's partners in the set.
    pub share: f32,
    /// The z-score of [`function_score`] over every stored set: orders the gene's sets by
    /// votes, then the more specific set first.
    pub z: f32,
}

/// Votes against chance, `(hits - n p) / sqrt(n p (1 - p))` with `p` the set's vocabulary genes
/// over the vocabulary: favours small sets so much that one vote in a small set outranks many
/// in a large one. Measured against plain votes (`genekg eval coverage`), it ranked the GO BP
/// and MF terms that later gained a gene lower, so answers use [`function_score`].
pub fn vote_z(hits: u32, n: usize, set_vocab: u32, vocab_len: usize) -> f32 {
    let p = (set_vocab.max(1) as f64 / vocab_len.max(1) as f64).min(1.0 - 1e-9);
    let n = n as f64;
    ((hits as f64 - n * p) / (n * p * (1.0 - p)).sqrt().max(1e-9)) as f32
}

/// The votes that list a set as a gene's predicted function ([`MIN_VOTES`], z above the
/// listing threshold), by descending z, at most [`MAX_FUNCTIONS`].
pub fn listed(mut votes: Vec<Vote>) -> Vec<Vote> {
    votes.retain(|v| v.votes >= MIN_VOTES && v.z > super::predictions::Z_THRESHOLD);
    votes.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.set.cmp(&b.set)));
    votes.truncate(MAX_FUNCTIONS);
    votes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets() -> Memberships {
        let s = |lib: &str, term: &str, genes: &[u32]| MemberSet {
            library: lib.into(),
            term: term.into(),
            untitled: false,
            genes: genes.to_vec(),
        };
        Memberships::new(
            vec![
                s("Pfam", "PF1", &[1, 2, 3]),
                s("GO_BP", "GO:1", &[1, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
                s("GO_BP", "GO:2", &[2, 3, 4, 5]),
            ]
            .into_iter()
            // Sets none of the voters is in: the z-score is over every stored set.
            .chain((0..20).map(|i| s("PubMed", &i.to_string(), &[100])))
            .collect(),
        )
    }

    #[test]
    fn a_shared_small_set_outweighs_a_shared_large_one() {
        let m = sets();
        // Gene 1: 2 and 3 share its 3-gene domain (1/3 each); 4..12 share its 10-gene term.
        assert_eq!(m.profile(1, |g| g != 3, 3), vec![2, 4, 5]);
        assert_eq!(
            m.libraries_of(1),
            vec!["GO_BP".to_string(), "Pfam".to_string()]
        );
        assert!(m.profile(99, |_| true, 5).is_empty());
        // No gene sharing gene 2's sets is in the vocabulary (6..): theirs stand in (GO:1).
        assert_eq!(m.profile(2, |g| g >= 6, 2), vec![6, 7]);
    }

    #[test]
    fn the_most_voted_sets_are_listed_and_single_votes_are_not() {
        let m = sets();
        let votes = m.vote(&[2, 3, 4]);
        let pf1 = votes.iter().find(|v| v.set == 0).unwrap();
        assert_eq!((pf1.votes, pf1.share), (2, 2.0 / 3.0));
        let go1 = votes.iter().find(|v| v.set == 1).unwrap();
        assert_eq!(go1.votes, 1);
        let kept: Vec<u32> = listed(votes).iter().map(|v| v.set).collect();
        assert_eq!(
            kept,
            vec![2, 0],
            "most votes first; a single vote is not listed"
        );
        assert!(vote_z(3, 50, 10, 20000) > vote_z(3, 50, 1000, 20000));
    }

    #[test]
    fn among_equal_votes_the_specific_set_ranks_first_and_a_vote_more_always_wins() {
        let s = |term: &str, genes: Vec<u32>| MemberSet {
            library: "user".into(),
            term: term.into(),
            untitled: false,
            genes,
        };
        // Voters 1..=4. "huge" holds 1, 2, 3 and 200 others; "small" holds 1, 2, 3 and one
        // other; "four" holds all four voters among 400 genes.
        // 20 sets no voter is in: the z-score is over every stored set.
        let m = Memberships::new(
            vec![
                s("huge", (1..=3).chain(1000..1200).collect()),
                s("small", vec![1, 2, 3, 500]),
                s("four", (1..=4).chain(2000..2396).collect()),
            ]
            .into_iter()
            .chain((0..20).map(|i| s(&i.to_string(), (3000 + 4 * i..3004 + 4 * i).collect())))
            .collect(),
        );
        let votes = m.vote(&[1, 2, 3, 4]);
        let by_term = |t: &str| *votes.iter().find(|v| m.sets[v.set as usize].term == t).unwrap();
        let (huge, small, four) = (by_term("huge"), by_term("small"), by_term("four"));
        assert_eq!((huge.votes, small.votes, four.votes), (3, 3, 4));
        assert!(small.z > huge.z, "same votes: the 4-gene set before the 203-gene one");
        assert!(four.z > small.z, "one vote more outranks any size");
        let order: Vec<&str> = listed(votes).iter().map(|v| m.sets[v.set as usize].term.as_str()).collect();
        assert_eq!(order, vec!["four", "small", "huge"]);
        // The z-score is over every stored set: recomputed by hand from the scores.
        let g = m.background() as f64;
        let scores: Vec<f64> = [3.0 - 203.0 / g, 3.0 - 4.0 / g, 4.0 - 400.0 / g]
            .into_iter()
            .chain(std::iter::repeat(-4.0 / g).take(20))
            .collect();
        let mean = scores.iter().sum::<f64>() / 23.0;
        let sd = (scores.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 23.0).sqrt();
        assert!((four.z as f64 - (scores[2] - mean) / sd).abs() < 1e-4);
    }
}
