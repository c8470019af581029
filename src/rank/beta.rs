//! Beta-distribution quantiles for Thompson sampling by table lookup.
//!
//! Each offer's prior is fixed by the bundle, so its Beta distribution can be
//! tabulated once (lazily, the first time the offer contends) and sampled by
//! inverse-CDF lookup: one uniform draw and an interpolation instead of two
//! gamma variates. That keeps the many draws needed to estimate propensities
//! cheap enough for the decide budget. The regularized incomplete beta
//! function follows the continued-fraction method (Lentz), hand-written since
//! a statistics crate would cost far more WASM than these few functions.

/// Quantiles per table. Draws interpolate linearly between neighbours.
pub const QUANTILES: usize = 33;

/// `ln Γ(x)` for `x > 0` (Lanczos approximation, g = 7, n = 9).
fn ln_gamma(x: f64) -> f64 {
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps precision for small arguments.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = COEF[0];
    let t = x + 7.5;
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction for the incomplete beta function.
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-12 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function `I_x(a, b)` (the Beta CDF).
pub fn beta_cdf(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// The density of Beta(a, b) at `x`, given `ln B(a, b)`.
fn beta_pdf(a: f64, b: f64, ln_beta: f64, x: f64) -> f64 {
    ((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - ln_beta).exp()
}

/// The `p`-quantile of Beta(a, b): Newton steps on the CDF, safeguarded by
/// a bisection bracket (robust for every shape; a handful of CDF
/// evaluations instead of ~50 for plain bisection, which matters the first
/// time an offer contends in a cold WebAssembly instance).
pub fn beta_quantile(a: f64, b: f64, p: f64) -> f64 {
    let ln_beta = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    // Start at the mean: close for the concentrated priors exploration uses.
    let mut x = a / (a + b);
    for _ in 0..40 {
        let f = beta_cdf(a, b, x) - p;
        if f.abs() < 1e-9 {
            break;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let step = f / beta_pdf(a, b, ln_beta, x);
        let next = x - step;
        // Outside the bracket (or a flat density): bisect instead.
        x = if next.is_finite() && next > lo && next < hi {
            next
        } else {
            0.5 * (lo + hi)
        };
        if hi - lo < 1e-9 {
            break;
        }
    }
    x
}

/// Inverse-CDF table of Beta(a, b) divided by its mean, so a draw is an
/// exploration *factor* around 1. Entry `k` is the quantile at
/// `(k + 0.5) / QUANTILES`'s neighbourhood: endpoints use 0.5/QUANTILES and
/// 1 − 0.5/QUANTILES so the table stays finite.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorTable {
    factors: [f32; QUANTILES],
    /// `1 / (factors[s + 1] − factors[s])`, 0 for a flat segment: inverts
    /// a segment by one multiplication (propensities do it per rival).
    inv_width: [f32; QUANTILES - 1],
}

impl FactorTable {
    /// Tabulates Beta(a, b) / mean. Callers validate `a, b > 0` and finite.
    pub fn new(a: f64, b: f64) -> Self {
        let mean = a / (a + b);
        let mut factors = [1.0f32; QUANTILES];
        let last = (QUANTILES - 1) as f64;
        let edge = 0.5 / QUANTILES as f64;
        for (k, slot) in factors.iter_mut().enumerate() {
            let p = edge + (1.0 - 2.0 * edge) * (k as f64 / last);
            *slot = (beta_quantile(a, b, p) / mean) as f32;
        }
        // Quantiles rise with p; a running maximum guards that against
        // rounding, since propensities invert the curve (see `rank::propensity`).
        let mut floor = f32::MIN;
        for slot in &mut factors {
            floor = floor.max(*slot);
            *slot = floor;
        }
        let mut inv_width = [0.0; QUANTILES - 1];
        for (w, pair) in inv_width.iter_mut().zip(factors.windows(2)) {
            if let [lo, hi] = *pair {
                let width = f64::from(hi) - f64::from(lo);
                *w = if width > 0.0 {
                    (1.0 / width) as f32
                } else {
                    0.0
                };
            }
        }
        Self { factors, inv_width }
    }

    /// The smallest factor a draw can produce.
    pub fn min(&self) -> f64 {
        f64::from(self.factors[0])
    }

    /// The largest factor a draw can produce.
    pub fn max(&self) -> f64 {
        f64::from(self.factors[QUANTILES - 1])
    }

    /// The factor at uniform draw `u ∈ [0, 1)`, interpolated.
    pub fn sample(&self, u: f64) -> f64 {
        let pos = u.clamp(0.0, 1.0) * (QUANTILES - 1) as f64;
        let lower = (pos as usize).min(QUANTILES - 2);
        let frac = pos - lower as f64;
        let (x0, x1) = (
            f64::from(self.factors[lower]),
            f64::from(self.factors[lower + 1]),
        );
        x0 + (x1 - x0) * frac
    }

    /// The factor halfway along each segment, in order: a midpoint rule
    /// over draws.
    pub fn midpoints(&self) -> impl Iterator<Item = f64> + '_ {
        self.factors
            .windows(2)
            .map(|w| w.iter().map(|&f| 0.5 * f64::from(f)).sum())
    }

    /// The share of draws whose factor is below `t` (at most `t` when
    /// `inclusive`): the CDF of [`sample`](Self::sample), inverted exactly
    /// on its piecewise-linear curve. `cursor` is where the previous call
    /// (with a `t` no larger) stopped, so that a rising sequence of calls
    /// walks the table once; start it at 0.
    #[inline]
    pub fn fraction_below(&self, t: f64, inclusive: bool, cursor: &mut usize) -> f64 {
        while self.factors.get(*cursor).is_some_and(|&f| {
            let f = f64::from(f);
            f < t || (inclusive && f == t)
        }) {
            *cursor += 1;
        }
        let n = *cursor;
        if n == 0 {
            return 0.0;
        }
        // factors[n-1] passed the test and factors[n] did not, so `t` lies
        // on segment n-1 (flat only if `t` equals it and equality counts).
        match (self.factors.get(n - 1), self.inv_width.get(n - 1)) {
            (Some(&lo), Some(&inv)) => {
                let frac = ((t - f64::from(lo)) * f64::from(inv)).clamp(0.0, 1.0);
                ((n - 1) as f64 + frac) / (QUANTILES - 1) as f64
            }
            _ => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_matches_known_values() {
        // Beta(1,1) is uniform; Beta(2,2) CDF at 0.5 is 0.5; Beta(2,5) at 0.2 ≈ 0.34464.
        assert!((beta_cdf(1.0, 1.0, 0.3) - 0.3).abs() < 1e-9);
        assert!((beta_cdf(2.0, 2.0, 0.5) - 0.5).abs() < 1e-9);
        assert!((beta_cdf(2.0, 5.0, 0.2) - 0.344_64).abs() < 1e-4);
    }

    #[test]
    fn quantiles_invert_the_cdf() {
        for (a, b) in [
            (1.0, 1.0),
            (0.5, 0.5),
            (2.0, 30.0),
            (200.0, 2000.0),
            (1.0, 500.0),
            (30.0, 2.0),
        ] {
            for p in [0.015, 0.1, 0.5, 0.9, 0.985] {
                let x = beta_quantile(a, b, p);
                assert!(
                    (beta_cdf(a, b, x) - p).abs() < 1e-6,
                    "Beta({a},{b}) p={p}: x={x}"
                );
            }
        }
    }

    #[test]
    fn fraction_below_inverts_sample() {
        let t = FactorTable::new(2.0, 30.0);
        assert!(t.factors.windows(2).all(|w| w[0] <= w[1]));
        let (mut strict, mut inclusive) = (0, 0);
        for i in 0..1_000 {
            let u = (f64::from(i) + 0.5) / 1_000.0;
            let f = t.sample(u);
            assert!(
                (t.fraction_below(f, false, &mut strict) - u).abs() < 1e-6,
                "u={u}"
            );
            assert!(
                (t.fraction_below(f, true, &mut inclusive) - u).abs() < 1e-6,
                "u={u}"
            );
        }
        assert_eq!(t.fraction_below(t.min(), false, &mut 0), 0.0);
        assert_eq!(t.fraction_below(t.max(), true, &mut 0), 1.0);
        assert_eq!(t.fraction_below(0.0, true, &mut 0), 0.0);
        assert_eq!(t.fraction_below(1e9, false, &mut 0), 1.0);
        let mid: Vec<f64> = t.midpoints().collect();
        assert_eq!(mid.len(), QUANTILES - 1);
        assert!((mid[3] - t.sample(3.5 / (QUANTILES - 1) as f64)).abs() < 1e-6);
    }

    #[test]
    fn table_mean_is_about_one_and_spread_shrinks_with_evidence() {
        let vague = FactorTable::new(2.0, 20.0);
        let sure = FactorTable::new(200.0, 2000.0);
        let mean = |t: &FactorTable| {
            (0..10_000)
                .map(|i| t.sample((f64::from(i) + 0.5) / 10_000.0))
                .sum::<f64>()
                / 10_000.0
        };
        assert!((mean(&vague) - 1.0).abs() < 0.05, "{}", mean(&vague));
        assert!((mean(&sure) - 1.0).abs() < 0.02, "{}", mean(&sure));
        let spread = |t: &FactorTable| t.sample(0.95) - t.sample(0.05);
        assert!(spread(&vague) > 3.0 * spread(&sure));
    }
}
