//! Benjamini-Hochberg false discovery rate, in log space like the p-values it adjusts.

/// Benjamini-Hochberg adjusted p-values (as `ln q`, input order) for `ln_p`, out of `tests`
/// hypotheses in all. `tests` may exceed `ln_p.len()`: sets without any overlap have p = 1 and
/// are not listed, but they were tested and so count in the denominator (being the largest
/// p-values, they change nothing else).
///
/// `q_(i) = min_{j >= i} p_(j) * m / j`, capped at 1; ties keep their input order, which the
/// step-up minimum makes irrelevant.
pub fn benjamini_hochberg_ln(ln_p: &[f64], tests: usize) -> Vec<f64> {
    assert!(tests >= ln_p.len(), "{} p-values but only {tests} tests", ln_p.len());
    let mut order: Vec<usize> = (0..ln_p.len()).collect();
    order.sort_by(|&a, &b| ln_p[a].total_cmp(&ln_p[b]));
    let ln_m = (tests as f64).ln();
    let mut out = vec![0.0; ln_p.len()];
    let mut running = 0.0f64; // ln 1: the cap
    for (pos, &i) in order.iter().enumerate().rev() {
        let q = ln_p[i] + ln_m - ((pos + 1) as f64).ln();
        running = running.min(q);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bh(p: &[f64], m: usize) -> Vec<f64> {
        let ln: Vec<f64> = p.iter().map(|x| x.ln()).collect();
        benjamini_hochberg_ln(&ln, m).into_iter().map(f64::exp).collect()
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn hand_cases() {
        // p = .01,.04,.03,.02 (m=4): sorted .01,.02,.03,.04 -> .04,.04,.04,.04.
        close(&bh(&[0.01, 0.04, 0.03, 0.02], 4), &[0.04, 0.04, 0.04, 0.04]);
        // p = .001,.008,.039,.041,.042,.060,.074,.205 (m=8): p*m/rank = .008,.032,.104,.082,
        // .0672,.08,.0846,.205; the step-up minimum carries .0672 down to ranks 3 and 4.
        let p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205];
        let q = [0.008, 0.032, 0.0672, 0.0672, 0.0672, 0.08, 0.08457142857142857, 0.205];
        close(&bh(&p, 8), &q);
        // Unlisted p = 1 tests raise the denominator: p .01 alone out of 10 tests -> .1.
        close(&bh(&[0.01], 10), &[0.1]);
        // Capped at 1.
        close(&bh(&[0.5, 0.9], 4), &[1.0, 1.0]);
        assert!(benjamini_hochberg_ln(&[], 0).is_empty());
    }

    #[test]
    fn extreme_p_values_stay_finite() {
        let q = benjamini_hochberg_ln(&[-5000.0, -4000.0], 1000);
        assert!((q[0] - (-5000.0 + (1000f64).ln())).abs() < 1e-9);
        assert!((q[1] - (-4000.0 + 500f64.ln())).abs() < 1e-9);
    }
}
