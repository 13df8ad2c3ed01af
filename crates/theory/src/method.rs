//! The method template of docs/theory.md §3 and the one definition of each method.
//!
//! Every method keeps two vectors z = (z1, z2) per coordinate and is the triple (M, c, a):
//!
//! ```text
//!     z' = M z - c * g(a . z)
//! ```
//!
//! where g(p) is the (stochastic) gradient at the point p and z1 is the iterate whose loss is
//! reported. Each row of M sums to 1 and a1 + a2 = 1, so the same update holds in error
//! coordinates (w* subtracted). Both vectors start at the initial point (z2 = z1 = w0).
//!
//! The theory recursion ([`crate::dynamics`], [`mod@crate::rate`]), the Monte-Carlo simulator and the
//! Burn optimiser all consume [`Method::template`]; nothing else defines a method.
//!
//! ## `lr` and `momentum`
//! `lr` and `momentum` are always the classical parameters: heavy ball is
//! `x' = x - lr * g(x) + momentum * (x - x_prev)`. The PyTorch/Burn form
//! `v' = mu v + g; x' = x - lr_t v'` is the same method only while the learning rate is constant,
//! with `lr = lr_t` and `momentum = mu` (and Burn/PyTorch dampening set to 0). Under a schedule
//! the two differ: PyTorch rescales past velocity by the new lr, the classical form does not.

use crate::error::{Result, require_positive};
use crate::invalid;
use serde::{Deserialize, Serialize};

/// The Kidambi et al. (2018) ASGD constant (0.7 in their reference implementation).
const ASGD_C: f64 = 0.7;

/// The template (M, c, a) of docs/theory.md §3.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Template {
    /// 2x2 state transition, rows summing to 1.
    pub m: [[f64; 2]; 2],
    /// How the gradient enters each state.
    pub c: [f64; 2],
    /// The gradient is evaluated at a . z.
    pub a: [f64; 2],
}

impl Template {
    /// The point a . z where the gradient is taken.
    #[inline]
    pub fn query(&self, z: [f64; 2]) -> f64 {
        self.a[0] * z[0] + self.a[1] * z[1]
    }

    /// One step z' = M z - c g for a scalar coordinate.
    #[inline]
    pub fn update(&self, z: [f64; 2], g: f64) -> [f64; 2] {
        [
            self.m[0][0] * z[0] + self.m[0][1] * z[1] - self.c[0] * g,
            self.m[1][0] * z[0] + self.m[1][1] * z[1] - self.c[1] * g,
        ]
    }

    /// E(l) = I - A(l), computed from the off-diagonal entries of M (its rows sum to 1, so
    /// 1 - m00 = m01 and 1 - m11 = m10) without subtracting numbers close to 1.
    #[inline]
    pub fn deviation(&self, l: f64) -> [[f64; 2]; 2] {
        let (m, c, a) = (self.m, self.c, self.a);
        [
            [m[0][1] + l * c[0] * a[0], -m[0][1] + l * c[0] * a[1]],
            [-m[1][0] + l * c[1] * a[0], m[1][0] + l * c[1] * a[1]],
        ]
    }

    /// A(l) = M - l c a^T: the exact (noise-free) map of a coordinate with curvature l, because
    /// g(a . z) = l (a . z) there.
    #[inline]
    pub fn transition(&self, l: f64) -> [[f64; 2]; 2] {
        let (m, c, a) = (self.m, self.c, self.a);
        [[m[0][0] - l * c[0] * a[0], m[0][1] - l * c[0] * a[1]], [m[1][0] - l * c[1] * a[0], m[1][1] - l * c[1] * a[1]]]
    }
}

/// The method families the project compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Plain mini-batch SGD.
    Sgd,
    /// Polyak's heavy ball.
    Hb,
    /// Nesterov's accelerated gradient (gradient at the extrapolated point).
    Nag,
    /// Kidambi et al. (2018) accelerated SGD.
    Asgd,
    /// Accelerated sketch-and-project (Gower et al. 2018).
    Sp,
}

impl Family {
    /// The short name used in the CLI and the outputs.
    pub fn name(self) -> &'static str {
        match self {
            Family::Sgd => "sgd",
            Family::Hb => "hb",
            Family::Nag => "nag",
            Family::Asgd => "asgd",
            Family::Sp => "sp",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Family {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "sgd" => Family::Sgd,
            "hb" | "heavy-ball" | "heavyball" => Family::Hb,
            "nag" | "nesterov" => Family::Nag,
            "asgd" => Family::Asgd,
            "sp" | "sketch-project" => Family::Sp,
            other => {
                return Err(invalid!("unknown method '{other}' (known: sgd, hb, nag, asgd, sp)"));
            }
        })
    }
}

/// A method with its hyperparameters. [`Method::template`] is the single definition of each.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// SGD: one state; M = \[1\], c = \[lr\], a = \[1\].
    Sgd {
        /// The step: x' = x - lr g(x).
        lr: f64,
    },
    /// Heavy ball: state (x_t, x_{t-1}); M = \[\[1+b, -b\], \[1, 0\]\], c = (lr, 0), a = (1, 0).
    Hb {
        /// The step lr.
        lr: f64,
        /// The momentum b: x' = x - lr g(x) + b (x - x_prev).
        momentum: f64,
    },
    /// Nesterov: as heavy ball with a = (1+b, -b).
    Nag {
        /// The step lr.
        lr: f64,
        /// The momentum b, also the extrapolation: the gradient is taken at x + b (x - x_prev).
        momentum: f64,
    },
    /// ASGD (Kidambi et al. 2018).
    Asgd {
        /// The learning rate.
        lr: f64,
        /// The long step kappa_l.
        long_step: f64,
        /// The statistical advantage xi.
        xi: f64,
    },
    /// Accelerated sketch-and-project: y = alpha v + (1-alpha) x; x' = y - lr g(y);
    /// v' = beta v + (1-beta) y - gamma lr g(y).
    Sp {
        /// The step lr of x' = y - lr g(y).
        lr: f64,
        /// The coupling alpha of y = alpha v + (1 - alpha) x.
        alpha: f64,
        /// The averaging beta of v' = beta v + (1 - beta) y - gamma lr g(y).
        beta: f64,
        /// The long step gamma of v'.
        gamma: f64,
    },
}

impl Method {
    /// The template (M, c, a) of docs/theory.md §3.
    ///
    /// SGD is embedded in two states as heavy ball with momentum 0 (z2 holds the previous
    /// iterate and is never read), which keeps one code path in every engine;
    /// [`Method::is_single_state`] lets an engine skip z2.
    pub fn template(&self) -> Template {
        match *self {
            Method::Sgd { lr } => Method::Hb { lr, momentum: 0.0 }.template(),
            Method::Hb { lr, momentum: b } => Template { m: [[1.0 + b, -b], [1.0, 0.0]], c: [lr, 0.0], a: [1.0, 0.0] },
            Method::Nag { lr, momentum: b } => {
                Template { m: [[1.0 + b, -b], [1.0, 0.0]], c: [lr, 0.0], a: [1.0 + b, -b] }
            }
            Method::Asgd { lr, long_step, xi } => {
                let gap = 0.49 * xi / long_step; // Bt = 1 - A
                let keep = 1.0 - gap; // A
                let zeta = ASGD_C / (ASGD_C + gap);
                let big = lr * long_step / ASGD_C;
                Template {
                    m: [[zeta + (1.0 - zeta) * gap, (1.0 - zeta) * keep], [gap, keep]],
                    c: [zeta * lr + (1.0 - zeta) * gap * big, gap * big],
                    a: [1.0, 0.0],
                }
            }
            Method::Sp { lr, alpha, beta, gamma } => Template {
                m: [[1.0 - alpha, alpha], [(1.0 - beta) * (1.0 - alpha), beta + (1.0 - beta) * alpha]],
                c: [lr, gamma * lr],
                a: [1.0 - alpha, alpha],
            },
        }
    }

    /// Whether the second state is never read (SGD).
    pub fn is_single_state(&self) -> bool {
        matches!(self, Method::Sgd { .. })
    }

    /// The family this method belongs to.
    pub fn family(&self) -> Family {
        match self {
            Method::Sgd { .. } => Family::Sgd,
            Method::Hb { .. } => Family::Hb,
            Method::Nag { .. } => Family::Nag,
            Method::Asgd { .. } => Family::Asgd,
            Method::Sp { .. } => Family::Sp,
        }
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            Method::Sgd { lr }
            | Method::Hb { lr, .. }
            | Method::Nag { lr, .. }
            | Method::Asgd { lr, .. }
            | Method::Sp { lr, .. } => lr,
        }
    }

    /// The classical momentum of heavy ball and Nesterov (None for the others).
    pub fn momentum(&self) -> Option<f64> {
        match *self {
            Method::Hb { momentum, .. } | Method::Nag { momentum, .. } => Some(momentum),
            _ => None,
        }
    }

    /// Checks every hyperparameter against its domain; returns the method unchanged.
    pub fn validated(self) -> Result<Self> {
        require_positive("lr", self.lr())?;
        if let Some(b) = self.momentum()
            && !(b.is_finite() && (0.0..1.0).contains(&b))
        {
            return Err(invalid!("momentum must be in [0, 1), got {b}"));
        }
        match self {
            Method::Asgd { long_step, xi, .. } => {
                require_positive("long step", long_step)?;
                require_positive("xi", xi)?;
                if 0.49 * xi > long_step {
                    return Err(invalid!(
                        "ASGD needs 0.49 * xi <= long step (so that 1 - 0.49 xi/long_step is in [0, 1)), got xi = {xi}, long step = {long_step}"
                    ));
                }
            }
            Method::Sp { alpha, beta, gamma, .. } => {
                if !(alpha.is_finite() && (0.0..=1.0).contains(&alpha)) {
                    return Err(invalid!("alpha must be in [0, 1], got {alpha}"));
                }
                if !(beta.is_finite() && (0.0..1.0).contains(&beta)) {
                    return Err(invalid!("beta must be in [0, 1), got {beta}"));
                }
                require_positive("gamma", gamma)?;
            }
            _ => {}
        }
        Ok(self)
    }
}
