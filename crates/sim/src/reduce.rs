//! Sums over d-vectors for the engines' inner loops. A plain f64 `sum()` runs serially (floating
//! point addition is not reassociated), so at d = 1000 it is bound by the add latency; these use
//! independent accumulators (nalgebra's unrolled dot; eight lanes for the weighted square sum),
//! which at d = 1000 made one chi-square step 2x faster.

use nalgebra::DVectorView;

/// a . b (equal lengths).
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    DVectorView::from_slice(a, a.len()).dot(&DVectorView::from_slice(b, b.len()))
}

/// sum_i w_i x_i^2 (equal lengths).
#[inline]
pub fn weighted_square_sum(w: &[f64], x: &[f64]) -> f64 {
    let mut lanes = [0.0; 8];
    let (wc, xc) = (w.chunks_exact(8), x.chunks_exact(8));
    let tail: f64 = wc.remainder().iter().zip(xc.remainder()).map(|(w, x)| w * x * x).sum();
    for (w8, x8) in wc.zip(xc) {
        for k in 0..8 {
            lanes[k] += w8[k] * x8[k] * x8[k];
        }
    }
    lanes.iter().sum::<f64>() + tail
}
