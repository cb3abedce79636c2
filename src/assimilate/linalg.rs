//! A dense Cholesky factorisation (f64) for the small innovation covariances of the guidance
//! (one per channel and pattern of observed points, a few hundred rows at most).

use crate::error::{Error, Result};

/// `A = L Lᵀ` of a symmetric positive-definite `n × n` matrix.
#[derive(Debug, Clone)]
pub struct Cholesky {
    n: usize,
    /// `L`, row-major `n × n` (upper triangle zero).
    l: Vec<f64>,
}

impl Cholesky {
    /// Factorises `a` (row-major `n × n`, symmetric; only the lower triangle is read). Fails
    /// unless it is positive definite.
    pub fn new(a: &[f64], n: usize) -> Result<Self> {
        if a.len() != n * n {
            return Err(Error::shape("Cholesky (row-major n × n)", n * n, a.len()));
        }
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
                let v = a[i * n + j] - dot;
                if i == j {
                    if !(v > 0.0 && v.is_finite()) {
                        return Err(Error::NonFinite {
                            context: format!(
                                "Cholesky: the matrix is not positive definite (pivot {i}: {v})"
                            ),
                        });
                    }
                    l[i * n + i] = v.sqrt();
                } else {
                    l[i * n + j] = v / l[j * n + j];
                }
            }
        }
        Ok(Self { n, l })
    }

    /// The order `n`.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether `n = 0`.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Overwrites `b` (`n` values) by `A⁻¹ b`.
    pub fn solve(&self, b: &mut [f64]) {
        let (n, l) = (self.n, &self.l);
        assert_eq!(b.len(), n, "Cholesky::solve: right-hand side of the wrong length");
        for i in 0..n {
            let dot: f64 = (0..i).map(|k| l[i * n + k] * b[k]).sum();
            b[i] = (b[i] - dot) / l[i * n + i];
        }
        for i in (0..n).rev() {
            let dot: f64 = (i + 1..n).map(|k| l[k * n + i] * b[k]).sum();
            b[i] = (b[i] - dot) / l[i * n + i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_known_system_and_refuses_indefinite_ones() {
        // A = [[4, 2], [2, 3]], x = [1, −1] → b = [2, −1]
        let c = Cholesky::new(&[4.0, 2.0, 2.0, 3.0], 2).unwrap();
        let mut b = [2.0, -1.0];
        c.solve(&mut b);
        assert!((b[0] - 1.0).abs() < 1e-12 && (b[1] + 1.0).abs() < 1e-12, "{b:?}");
        assert!(Cholesky::new(&[1.0, 2.0, 2.0, 1.0], 2).is_err());
        assert!(Cholesky::new(&[1.0, 0.0, 0.0], 2).is_err());
    }
}
