//! Per-case features for fitting a combination of the model with other signals (issue 15's
//! combination lever). Fitting happens outside genekg first (scripts/dev/levers.sh) because
//! which signals earn a place in the served score is an experiment; only a combination that
//! generalises across terms should be built into serving.
//!
//! Every held-out gene of a case is written, and a seeded sample of the other candidates: a
//! case's AUROC is estimated without bias from a sample of its negatives, and the file stays
//! small enough to fit on (19,000 candidates per case would make 60M rows for BP).

use std::io::Write;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::baselines::{Cooccurrence, Frequency, Scorer};
use super::cases::Case;
use crate::model::predict::{Gsfm, Parts};

pub const HEADER: &str = "case\tgene\tlabel\tgsfm\tgsfm_z\tae\tae_z\tcooc\tcooc_z\tfreq\tn_input";
/// Appended to [`HEADER`] when the model has a co-mention path: the candidate's co-mention with
/// the input (`c` of `comention.rs`) and the term it added to `gsfm`, so a fit can take the
/// term out again (`scripts/dev/comention_fit.py`).
pub const COMENTION_HEADER: &str = "\tcomention\tcomention_term";

/// Mean and standard deviation over all of a case's candidates, so the z columns describe a
/// gene's place in its case, not only among the sampled rows.
fn mean_sd(v: &[f32]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let s = (v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / n).sqrt().max(1e-9);
    (m, s)
}

/// Writes [`HEADER`] and one row per held-out gene and per sampled negative (at most
/// `negatives` per case, seeded by the case's index) of every case the evaluator keeps.
pub fn write(
    model: &Gsfm,
    cooc: &Cooccurrence,
    freq: &Frequency,
    cases: &[Case],
    negatives: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let comention = model.comention();
    writeln!(out, "{HEADER}{}", if comention.is_some() { COMENTION_HEADER } else { "" })?;
    let first = crate::model::vocab::Vocab::first_gene_column();
    let index = |g: u32| model.vocabulary().column(g).expect("candidates are vocabulary genes") - first;
    let prepared = super::prepare_cases(model, cases);
    super::model_scores(model, &prepared, &[Parts::ALL, Parts::AUTOENCODER], |chunk, scores| {
        for (p, by_part) in chunk.iter().zip(scores) {
            let (i, input, candidates, positive) = (&p.case, &p.input, &p.candidates, &p.positive);
            let (g, a) = (&by_part[0], &by_part[1]);
            let co = cooc.score(*i, input, candidates);
            let fr = freq.score(*i, input, candidates);
            let ((gm, gs), (am, asd), (cm, cs)) = (mean_sd(g), mean_sd(a), mean_sd(&co));
            let co_mention = comention.map(|c| c.scores(&input.iter().map(|&g| index(g)).collect::<Vec<_>>()));
            let mut rng = ChaCha8Rng::seed_from_u64(*i as u64);
            let mut sampled: Vec<usize> = (0..candidates.len()).filter(|&j| !positive[j]).collect();
            sampled.shuffle(&mut rng);
            sampled.truncate(negatives);
            for j in (0..candidates.len()).filter(|&j| positive[j]).chain(sampled) {
                write!(
                    out,
                    "{}\t{}\t{}\t{}\t{:.4}\t{}\t{:.4}\t{}\t{:.4}\t{}\t{}",
                    cases[*i].id,
                    candidates[j],
                    positive[j] as u8,
                    g[j],
                    (g[j] as f64 - gm) / gs,
                    a[j],
                    (a[j] as f64 - am) / asd,
                    co[j],
                    (co[j] as f64 - cm) / cs,
                    fr[j],
                    input.len()
                )?;
                if let (Some(c), Some(scores)) = (comention, &co_mention) {
                    let x = scores[index(candidates[j])];
                    write!(out, "\t{x}\t{}", c.config().term(x))?;
                }
                writeln!(out)?;
            }
        }
        Ok(())
    })
}
