//! Schedules: the [`Method`] of step t (t = 0, 1, ...) handed to
//! [`TemplateOptimizer::step`](crate::optim::TemplateOptimizer::step).
//!
//! A schedule is a base method (its family, its learning rate eta_0 and its other parameters,
//! docs/theory.md §3), a learning-rate rule and a momentum rule:
//!
//! ```text
//!     constant:    eta_t = eta_0
//!     step decay:  eta_t = eta_0 * factor^floor(t / every)
//!     cosine:      eta_t = eta_min + (eta_0 - eta_min) (1 + cos(pi min(t, T) / T)) / 2
//!     momentum:    beta_t = beta (the base method's), or coupled to the learning rate (§8):
//!                  1 - beta_t = C eta_t^g      (heavy ball and Nesterov)
//! ```
//!
//! `lr` and `momentum` are theory's classical parameters (see `theory::method`), so a scheduled
//! learning rate does not rescale past velocity. Every method handed out passes
//! [`Method::validated`]; a schedule whose parameters are outside their domain is an error at
//! construction (or, for a rule that leaves the domain only late, at the step concerned).

use crate::error::{Error, Result};
use serde::Serialize;
use theory::Method;

/// How the learning rate moves with the step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Lr {
    /// eta_t = eta_0.
    Constant,
    /// eta_t = eta_0 * factor^floor(t / every), with `every` >= 1 and `factor` in (0, 1].
    StepDecay { every: usize, factor: f64 },
    /// Cosine annealing from eta_0 at t = 0 to `min` at t = `steps` (>= 1), then constant;
    /// 0 < `min` <= eta_0.
    Cosine { steps: usize, min: f64 },
}

/// How the momentum moves with the step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Momentum {
    /// The base method's parameters, whatever the learning rate.
    Fixed,
    /// 1 - beta_t = `c` eta_t^`g` (docs/theory.md §8), for heavy ball and Nesterov; `c` > 0.
    Coupled { c: f64, g: f64 },
}

/// A method whose learning rate (and momentum) follow a rule. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Schedule {
    base: Method,
    lr: Lr,
    momentum: Momentum,
}

impl Schedule {
    /// `method` at every step.
    pub fn constant(method: Method) -> Result<Self> {
        Self::new(method, Lr::Constant, Momentum::Fixed)
    }

    /// `base` with its learning rate following `lr` and its momentum following `momentum` (a
    /// coupled momentum replaces the base's).
    pub fn new(base: Method, lr: Lr, momentum: Momentum) -> Result<Self> {
        let eta0 = base.lr();
        match lr {
            Lr::Constant => {}
            Lr::StepDecay { every, factor } => {
                if every == 0 {
                    return Err(invalid("step decay needs a period >= 1 step, got 0"));
                }
                if !(factor > 0.0 && factor <= 1.0) {
                    return Err(invalid(format!("step decay factor must be in (0, 1], got {factor}")));
                }
            }
            Lr::Cosine { steps, min } => {
                if steps == 0 {
                    return Err(invalid("cosine schedule needs a length >= 1 step, got 0"));
                }
                if !(min > 0.0 && min <= eta0) {
                    return Err(invalid(format!("cosine schedule's final lr must be in (0, lr = {eta0}], got {min}")));
                }
            }
        }
        if let Momentum::Coupled { c, g } = momentum {
            if base.momentum().is_none() {
                return Err(invalid(format!(
                    "momentum coupled to the lr applies to heavy ball and Nesterov, not {}",
                    base.family()
                )));
            }
            if !(c.is_finite() && c > 0.0 && g.is_finite()) {
                return Err(invalid(format!(
                    "coupled momentum 1 - beta = C lr^g needs a finite C > 0 and a finite g, got C = {c}, g = {g}"
                )));
            }
        }
        let schedule = Schedule { base, lr, momentum };
        schedule.at(0)?;
        Ok(schedule)
    }

    /// The learning rate of step `t`.
    pub fn lr(&self, t: usize) -> f64 {
        let eta0 = self.base.lr();
        match self.lr {
            Lr::Constant => eta0,
            Lr::StepDecay { every, factor } => {
                // Saturate the exponent: factor^(2^31) is 0 or 1 in f64 anyway.
                eta0 * factor.powi(i32::try_from(t / every).unwrap_or(i32::MAX))
            }
            Lr::Cosine { steps, min } => {
                let progress = t.min(steps) as f64 / steps as f64;
                min + (eta0 - min) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }

    /// The method of step `t`; an error when a rule has left the method's domain (e.g. a
    /// coupled momentum that rounds to 1).
    pub fn at(&self, t: usize) -> Result<Method> {
        let eta = self.lr(t);
        let mut method = self.base;
        match &mut method {
            Method::Sgd { lr }
            | Method::Hb { lr, .. }
            | Method::Nag { lr, .. }
            | Method::Asgd { lr, .. }
            | Method::Sp { lr, .. } => *lr = eta,
        }
        if let (Momentum::Coupled { c, g }, Method::Hb { momentum, .. } | Method::Nag { momentum, .. }) =
            (self.momentum, &mut method)
        {
            *momentum = 1.0 - c * eta.powf(g);
        }
        Ok(method.validated()?)
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HB: Method = Method::Hb { lr: 0.1, momentum: 0.9 };

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn constant_hands_out_the_base() {
        let s = Schedule::constant(HB).unwrap();
        assert_eq!(s.at(0).unwrap(), HB);
        assert_eq!(s.at(1000).unwrap(), HB);
    }

    #[test]
    fn step_decay_and_cosine_follow_their_formulas() {
        let s = Schedule::new(HB, Lr::StepDecay { every: 10, factor: 0.5 }, Momentum::Fixed).unwrap();
        assert_eq!(s.at(9).unwrap(), HB);
        assert!(close(s.lr(10), 0.05) && close(s.lr(25), 0.025));
        assert_eq!(s.at(25).unwrap().momentum(), Some(0.9));

        let s = Schedule::new(HB, Lr::Cosine { steps: 100, min: 0.01 }, Momentum::Fixed).unwrap();
        assert!(close(s.lr(0), 0.1) && close(s.lr(50), 0.055));
        assert!(close(s.lr(100), 0.01) && close(s.lr(1000), 0.01));
    }

    #[test]
    fn coupled_momentum_follows_the_lr() {
        let nag = Method::Nag { lr: 0.04, momentum: 0.0 };
        let s =
            Schedule::new(nag, Lr::StepDecay { every: 1, factor: 0.125 }, Momentum::Coupled { c: 2.0, g: 2.0 / 3.0 })
                .unwrap();
        for t in 0..4 {
            let m = s.at(t).unwrap();
            let eta = 0.04 * 0.125f64.powi(t as i32);
            assert!(close(m.lr(), eta));
            assert!(close(1.0 - m.momentum().unwrap(), 2.0 * eta.powf(2.0 / 3.0)));
            assert_eq!(m.family(), theory::Family::Nag);
        }
    }

    #[test]
    fn bad_parameters_are_errors() {
        let bad = |base, lr, momentum| Schedule::new(base, lr, momentum).is_err();
        assert!(bad(Method::Sgd { lr: -0.1 }, Lr::Constant, Momentum::Fixed));
        assert!(bad(Method::Sgd { lr: f64::NAN }, Lr::Constant, Momentum::Fixed));
        assert!(bad(Method::Hb { lr: 0.1, momentum: 1.0 }, Lr::Constant, Momentum::Fixed));
        assert!(bad(Method::Hb { lr: 0.1, momentum: -0.1 }, Lr::Constant, Momentum::Fixed));
        assert!(bad(HB, Lr::StepDecay { every: 0, factor: 0.5 }, Momentum::Fixed));
        assert!(bad(HB, Lr::StepDecay { every: 5, factor: f64::NAN }, Momentum::Fixed));
        assert!(bad(HB, Lr::StepDecay { every: 5, factor: 1.5 }, Momentum::Fixed));
        assert!(bad(HB, Lr::Cosine { steps: 0, min: 0.01 }, Momentum::Fixed));
        assert!(bad(HB, Lr::Cosine { steps: 10, min: 0.0 }, Momentum::Fixed));
        assert!(bad(HB, Lr::Cosine { steps: 10, min: 0.2 }, Momentum::Fixed));
        assert!(bad(Method::Sgd { lr: 0.1 }, Lr::Constant, Momentum::Coupled { c: 1.0, g: 1.0 }));
        assert!(bad(HB, Lr::Constant, Momentum::Coupled { c: f64::NAN, g: 1.0 }));
        assert!(bad(HB, Lr::Constant, Momentum::Coupled { c: 0.0, g: 1.0 }));
        // 1 - beta = 20 * 0.1 = 2: beta = -1 is outside [0, 1).
        assert!(bad(HB, Lr::Constant, Momentum::Coupled { c: 20.0, g: 1.0 }));
    }

    #[test]
    fn a_coupled_momentum_that_reaches_one_fails_at_that_step() {
        let s =
            Schedule::new(HB, Lr::StepDecay { every: 1, factor: 1e-6 }, Momentum::Coupled { c: 1.0, g: 1.0 }).unwrap();
        assert!(s.at(1).is_ok());
        assert!(matches!(s.at(4), Err(Error::Method(_))));
    }
}
