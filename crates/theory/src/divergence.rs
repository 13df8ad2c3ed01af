//! The one divergence rule of every engine (docs/theory.md §4, "Divergence"): the exact
//! recursions of this crate, the Monte-Carlo runs of `sim` and everything built on them stop a
//! loss curve at the first step where
//!
//! ```text
//!     loss_t is not finite   or   loss_t > BLOW_UP · loss_0,   BLOW_UP = 1e100
//! ```
//!
//! A curve that grows by 100 orders of magnitude has left every regime the theory describes; the
//! factor is far above any transient growth of a convergent method (at most a power of κ) and far
//! below f64's range (a loss near 1e100 keeps its square and sums finite).

/// The factor over the initial loss beyond which a loss curve counts as diverged.
pub const BLOW_UP: f64 = 1e100;

/// Whether a curve that started at `loss0` has diverged at `loss`: `loss` is NaN or infinite, or
/// `loss > BLOW_UP · loss0` (see the [module docs](self)).
///
/// ```
/// use theory::{BLOW_UP, diverged};
/// assert!(!diverged(1e3, 1.0));
/// assert!(diverged(f64::NAN, 1.0) && diverged(f64::INFINITY, 1.0));
/// assert!(diverged(2.0 * BLOW_UP, 1.0) && !diverged(2.0 * BLOW_UP, 2.0));
/// ```
pub fn diverged(loss: f64, loss0: f64) -> bool {
    !loss.is_finite() || loss > BLOW_UP * loss0
}
