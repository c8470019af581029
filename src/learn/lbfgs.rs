//! Limited-memory BFGS with a backtracking (Armijo) line search, for the
//! smooth convex objective of [`super::train`].
//!
//! Hand-written: about a hundred lines for one strictly convex problem,
//! where the optimization crates (argmin with a math backend, linfa with
//! ndarray) would each add a dozen crates to the CLI build. Newton/IRLS
//! would need a dense Hessian, and the parameter count grows with the
//! offers (one intercept each).

/// Past this many corrections the oldest is forgotten.
const MEMORY: usize = 10;
/// Sufficient decrease of the Armijo condition.
const ARMIJO: f64 = 1e-4;
/// Step halvings before a line search gives up.
const MAX_HALVINGS: usize = 50;

/// How a minimization ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Outcome {
    /// Iterations run.
    pub iterations: usize,
    /// Whether the gradient fell under the tolerance (or the objective
    /// stopped moving).
    pub converged: bool,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Minimizes `f` from `x` (updated in place). `f(x, grad)` returns the
/// objective and writes its gradient; it must be finite wherever it is
/// called from a finite `x`.
pub(super) fn minimize(
    x: &mut [f64],
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    max_iterations: usize,
    tolerance: f64,
) -> Outcome {
    let n = x.len();
    let mut grad = vec![0.0; n];
    let mut value = f(x, &mut grad);
    // Corrections (s = x' − x, y = g' − g, 1 / y·s), oldest first.
    let mut history: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::with_capacity(MEMORY);
    let mut direction = vec![0.0; n];
    let mut alpha = [0.0; MEMORY];
    let (mut trial, mut trial_grad) = (vec![0.0; n], vec![0.0; n]);
    for iteration in 0..max_iterations {
        if max_abs(&grad) <= tolerance {
            return Outcome {
                iterations: iteration,
                converged: true,
            };
        }
        // Two-loop recursion: direction = −H·grad.
        direction.copy_from_slice(&grad);
        for (k, (s, y, rho)) in history.iter().enumerate().rev() {
            alpha[k] = rho * dot(s, &direction);
            for (d, yi) in direction.iter_mut().zip(y) {
                *d -= alpha[k] * yi;
            }
        }
        // Initial scaling: the last correction's curvature, or a first step
        // of unit length along the gradient.
        let scale = match history.last() {
            Some((s, y, _)) => dot(s, y) / dot(y, y),
            None => 1.0 / dot(&grad, &grad).sqrt().max(f64::MIN_POSITIVE),
        };
        for d in &mut direction {
            *d *= scale;
        }
        for (k, (s, y, rho)) in history.iter().enumerate() {
            let beta = rho * dot(y, &direction);
            for (d, si) in direction.iter_mut().zip(s) {
                *d += (alpha[k] - beta) * si;
            }
        }
        for d in &mut direction {
            *d = -*d;
        }
        let mut slope = dot(&grad, &direction);
        if slope >= 0.0 {
            // Not a descent direction (rounding): restart from the gradient.
            history.clear();
            for (d, g) in direction.iter_mut().zip(&grad) {
                *d = -g;
            }
            slope = -dot(&grad, &grad);
        }
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..MAX_HALVINGS {
            for ((t, xi), d) in trial.iter_mut().zip(x.iter()).zip(&direction) {
                *t = xi + step * d;
            }
            let v = f(&trial, &mut trial_grad);
            if v.is_finite() && v <= value + ARMIJO * step * slope {
                accepted = Some(v);
                break;
            }
            step *= 0.5;
        }
        let Some(new_value) = accepted else {
            // No decrease along a descent direction: at the optimum up to
            // rounding.
            return Outcome {
                iterations: iteration,
                converged: true,
            };
        };
        let s: Vec<f64> = trial.iter().zip(x.iter()).map(|(t, xi)| t - xi).collect();
        let y: Vec<f64> = trial_grad.iter().zip(&grad).map(|(a, b)| a - b).collect();
        let ys = dot(&y, &s);
        // Keep the inverse Hessian estimate positive definite.
        if ys > 1e-12 {
            if history.len() == MEMORY {
                history.remove(0);
            }
            history.push((s, y, 1.0 / ys));
        }
        x.copy_from_slice(&trial);
        grad.copy_from_slice(&trial_grad);
        let settled = (value - new_value).abs() <= 1e-13 * value.abs().max(1.0);
        value = new_value;
        if settled {
            return Outcome {
                iterations: iteration + 1,
                converged: true,
            };
        }
    }
    Outcome {
        iterations: max_iterations,
        converged: max_abs(&grad) <= tolerance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_an_ill_conditioned_quadratic() {
        // f = Σ c_i (x_i − i)², conditioning 10^4.
        let c = [1.0, 10.0, 100.0, 1000.0, 10_000.0];
        let mut x = vec![0.0; 5];
        let out = minimize(
            &mut x,
            |x, g| {
                let mut v = 0.0;
                for i in 0..5 {
                    let d = x[i] - i as f64;
                    v += c[i] * d * d;
                    g[i] = 2.0 * c[i] * d;
                }
                v
            },
            500,
            1e-9,
        );
        assert!(out.converged, "{out:?}");
        for (i, xi) in x.iter().enumerate() {
            assert!((xi - i as f64).abs() < 1e-6, "x[{i}] = {xi}");
        }
    }
}
