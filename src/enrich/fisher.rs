//! The one-sided Fisher exact test (hypergeometric upper tail), kept in log space.
//!
//! Why log space: a 1,000-gene query equal to a GO set has p far below the smallest f64, and
//! users still need such results finite and correctly ordered. Why a double-double
//! log-factorial table: `ln 77614!` is about 8e5, where one f64 ulp is 1e-10; summing `ln i`
//! naively drifts by ~1e-8, which would break the 1e-9 relative agreement with scipy. Carrying
//! the rounding error of every step in a second f64 keeps each entry good to ~1e-13.

/// `ln n!` for `0..=max`, each entry as a high and a low f64 part.
#[derive(Debug, Clone)]
pub struct LogFactorial {
    hi: Vec<f64>,
    lo: Vec<f64>,
}

/// Knuth's TwoSum: `a + b = s + e` exactly.
#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

impl LogFactorial {
    pub fn new(max: usize) -> Self {
        let mut hi = Vec::with_capacity(max + 1);
        let mut lo = Vec::with_capacity(max + 1);
        let (mut h, mut l) = (0.0f64, 0.0f64);
        hi.push(0.0);
        lo.push(0.0);
        for i in 1..=max {
            let (s, e) = two_sum(h, (i as f64).ln());
            let (s2, e2) = two_sum(s, l + e);
            h = s2;
            l = e2;
            hi.push(h);
            lo.push(l);
        }
        Self { hi, lo }
    }

    pub fn max(&self) -> usize {
        self.hi.len() - 1
    }

    /// `ln n!` rounded to f64.
    pub fn ln_factorial(&self, n: usize) -> f64 {
        self.hi[n] + self.lo[n]
    }

    /// `ln P(X = k)` for X ~ Hypergeometric(N population, K successes, n draws), with the
    /// nine table entries summed by Neumaier's compensated sum so the big terms cancel exactly.
    pub fn ln_pmf(&self, big_n: usize, big_k: usize, n: usize, k: usize) -> f64 {
        let plus = [big_k, big_n - big_k, n, big_n - n];
        let minus = [k, big_k - k, n - k, big_n - big_k - n + k, big_n];
        let (mut sum, mut comp) = (0.0f64, 0.0f64);
        let mut add = |x: f64| {
            let t = sum + x;
            comp += if sum.abs() >= x.abs() { (sum - t) + x } else { (x - t) + sum };
            sum = t;
        };
        for &i in &plus {
            add(self.hi[i]);
            add(self.lo[i]);
        }
        for &i in &minus {
            add(-self.hi[i]);
            add(-self.lo[i]);
        }
        sum + comp
    }
}

/// The counts of one test: `k` of the `n` query genes fall in a set of `big_k` genes, all within
/// a background of `big_n` genes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub big_n: usize,
    pub big_k: usize,
    pub n: usize,
    pub k: usize,
}

impl Counts {
    fn valid(&self) -> bool {
        self.big_k <= self.big_n && self.n <= self.big_n && self.k <= self.n.min(self.big_k)
            && self.n + self.big_k <= self.big_n + self.k
    }
}

/// Terms smaller than this fraction of the running sum no longer change an f64.
const NEGLIGIBLE: f64 = 1e-18;

/// `ln P(X >= k)`, the one-sided Fisher exact p-value in log space (`0.0` when `k == 0`).
///
/// Sums pmf ratios outward from the mode side that is short: for `k` above the mode the upper
/// tail's terms fall geometrically from `pmf(k)`; for `k` at or below the mode the upper tail is
/// large (it holds the mode) and `1 - P(X <= k-1)` is just as accurate and sums fewer terms.
/// Each term is the previous one times an exact ratio, so the cost is a few flops per term and
/// the loop stops once terms stop mattering.
///
/// # Panics
/// If the counts are impossible (`k > n`, `K > N`, …) or exceed the table: callers build counts
/// from real sets, so that would be a bug.
pub fn ln_upper_tail(table: &LogFactorial, c: Counts) -> f64 {
    assert!(c.valid(), "impossible hypergeometric counts {c:?}");
    assert!(c.big_n <= table.max(), "background {} exceeds the log-factorial table", c.big_n);
    let Counts { big_n, big_k, n, k } = c;
    let hi = n.min(big_k);
    let lo = (n + big_k).saturating_sub(big_n);
    if k <= lo {
        // At least `lo` of the draws must be set genes (there are too few others): certain.
        return 0.0;
    }
    let (nf, kf, bnf) = (n as f64, big_k as f64, big_n as f64);
    let mode = ((nf + 1.0) * (kf + 1.0) / (bnf + 2.0)).floor() as usize;
    if k > mode {
        // Upper tail: ratio pmf(i+1)/pmf(i) = (K-i)(n-i) / ((i+1)(N-K-n+i+1)).
        let mut sum = 1.0f64;
        let mut term = 1.0f64;
        let mut i = k;
        while i < hi {
            let fi = i as f64;
            term *= (kf - fi) * (nf - fi) / ((fi + 1.0) * (bnf - kf - nf + fi + 1.0));
            sum += term;
            i += 1;
            if term < sum * NEGLIGIBLE {
                break;
            }
        }
        table.ln_pmf(big_n, big_k, n, k) + sum.ln()
    } else {
        // 1 - lower tail ending at k-1; ratio pmf(i-1)/pmf(i) = i(N-K-n+i) / ((K-i+1)(n-i+1)).
        let top = k - 1;
        let mut sum = 1.0f64;
        let mut term = 1.0f64;
        let mut i = top;
        while i > lo {
            let fi = i as f64;
            term *= fi * (bnf - kf - nf + fi) / ((kf - fi + 1.0) * (nf - fi + 1.0));
            sum += term;
            i -= 1;
            if term < sum * NEGLIGIBLE {
                break;
            }
        }
        let cdf = (table.ln_pmf(big_n, big_k, n, top) + sum.ln()).exp();
        (-cdf.min(1.0)).ln_1p()
    }
}

/// The sample odds ratio `(k * (N-K-n+k)) / ((n-k) * (K-k))`; when a cell is zero, the
/// Haldane-Anscombe correction (+0.5 in every cell) keeps it finite, because JSON and sorting
/// both choke on infinity and a perfect overlap should still rank above a near-perfect one.
pub fn odds_ratio(c: Counts) -> f64 {
    let a = c.k as f64;
    let b = (c.n - c.k) as f64;
    let cc = (c.big_k - c.k) as f64;
    let d = (c.big_n + c.k - c.n - c.big_k) as f64;
    if a == 0.0 || b == 0.0 || cc == 0.0 || d == 0.0 {
        ((a + 0.5) * (d + 0.5)) / ((b + 0.5) * (cc + 0.5))
    } else {
        (a * d) / (b * cc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(big_n: usize, big_k: usize, n: usize, k: usize) -> Counts {
        Counts { big_n, big_k, n, k }
    }

    #[test]
    fn table_matches_exact_small_factorials() {
        let t = LogFactorial::new(200);
        let mut f = 1.0f64;
        for i in 1..=20 {
            f *= i as f64;
            assert!((t.ln_factorial(i) - f.ln()).abs() < 1e-13, "{i}");
        }
        assert!((t.ln_factorial(200) - statrs::function::gamma::ln_gamma(201.0)).abs() < 1e-10);
    }

    #[test]
    fn tiny_table_by_hand() {
        // N=10, K=4, n=3: P(X>=3) = C(4,3)/C(10,3) = 4/120; P(X>=1) = 1 - C(6,3)/C(10,3) = 1 - 20/120.
        let t = LogFactorial::new(10);
        assert!((ln_upper_tail(&t, c(10, 4, 3, 3)).exp() - 4.0 / 120.0).abs() < 1e-15);
        assert!((ln_upper_tail(&t, c(10, 4, 3, 1)).exp() - 100.0 / 120.0).abs() < 1e-15);
        assert_eq!(ln_upper_tail(&t, c(10, 4, 3, 0)), 0.0);
        // Every gene of the background drawn: the overlap is certain.
        assert_eq!(ln_upper_tail(&t, c(10, 4, 10, 4)), 0.0);
        // 8 of 10 drawn with 6 outside the set: at least 2 set genes are always drawn.
        assert_eq!(ln_upper_tail(&t, c(10, 4, 8, 2)), 0.0);
        assert!((ln_upper_tail(&t, c(10, 4, 8, 3)).exp() - (1.0 - 6.0 / 45.0)).abs() < 1e-15);
    }

    #[test]
    fn extreme_tail_is_finite_and_ordered() {
        let t = LogFactorial::new(20_000);
        let a = ln_upper_tail(&t, c(20_000, 1_000, 1_000, 1_000));
        let b = ln_upper_tail(&t, c(20_000, 1_000, 1_000, 999));
        assert!(a.is_finite() && b.is_finite() && a < b && a < -3000.0);
        // ln(1 / C(20000, 1000)) exactly: the whole set was drawn.
        let expect = -(t.ln_factorial(20_000) - t.ln_factorial(1_000) - t.ln_factorial(19_000));
        assert!((a - expect).abs() < 1e-9 * expect.abs());
    }

    #[test]
    #[should_panic(expected = "impossible")]
    fn impossible_counts_panic() {
        ln_upper_tail(&LogFactorial::new(10), c(10, 4, 3, 4));
    }

    #[test]
    fn odds_ratio_plain_and_corrected() {
        assert!((odds_ratio(c(100, 10, 10, 5)) - (5.0 * 85.0) / (5.0 * 5.0)).abs() < 1e-12);
        let perfect = odds_ratio(c(100, 10, 10, 10));
        assert!(perfect.is_finite() && perfect > odds_ratio(c(100, 10, 10, 9)));
    }

    /// Valid hypergeometric counts with N up to `max_n`.
    fn counts(max_n: usize) -> impl proptest::strategy::Strategy<Value = Counts> {
        use proptest::prelude::*;
        (1..=max_n)
            .prop_flat_map(|big_n| (Just(big_n), 0..=big_n, 0..=big_n))
            .prop_flat_map(|(big_n, big_k, n)| {
                let lo = (n + big_k).saturating_sub(big_n);
                (Just(big_n), Just(big_k), Just(n), lo..=n.min(big_k))
            })
            .prop_map(|(big_n, big_k, n, k)| Counts { big_n, big_k, n, k })
    }

    fn binomial(n: usize, k: usize) -> u128 {
        (0..k).fold(1u128, |acc, i| acc * (n - i) as u128 / (i + 1) as u128)
    }

    proptest::proptest! {
        /// More overlap is never less surprising: p falls (weakly) as k grows, at any scale.
        #[test]
        fn p_is_monotone_in_overlap(c in counts(40_000)) {
            let t = LogFactorial::new(40_000);
            let hi = c.n.min(c.big_k);
            let mut previous = 0.0f64;
            let ks: Vec<usize> = if hi - c.k > 64 { (c.k..=hi).step_by((hi - c.k) / 64).collect() } else { (c.k..=hi).collect() };
            for k in ks {
                let ln_p = ln_upper_tail(&t, Counts { k, ..c });
                proptest::prop_assert!(ln_p.is_finite() && ln_p <= 0.0);
                proptest::prop_assert!(ln_p <= previous + 1e-12 * previous.abs(), "k={} ln p {} after {}", k, ln_p, previous);
                previous = ln_p;
            }
        }

        /// Equal to the exact rational tail, summed in integers, for populations up to 60.
        #[test]
        fn p_equals_the_exact_sum(c in counts(60)) {
            let t = LogFactorial::new(60);
            let hi = c.n.min(c.big_k);
            let numerator: u128 = (c.k..=hi).map(|i| binomial(c.big_k, i) * binomial(c.big_n - c.big_k, c.n - i)).sum();
            let exact = numerator as f64 / binomial(c.big_n, c.n) as f64;
            let p = ln_upper_tail(&t, c).exp();
            proptest::prop_assert!((p - exact).abs() <= 1e-12 * exact, "{:?}: {} vs {}", c, p, exact);
        }
    }
}
