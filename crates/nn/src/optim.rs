//! The optimiser: theory's method template (docs/theory.md §3) applied to every trainable float
//! parameter of a Burn [`Module`].
//!
//! Per parameter it keeps two states z = (z1, z2), both starting at the initial parameter. One
//! step with template (M, c, a) = [`Method::template`] is
//!
//! ```text
//!     q   = a0 z1 + a1 z2            (the module's parameters are set to q)
//!     g   = d loss / d q             (Burn autodiff, at q)
//!     z1' = m00 z1 + m01 z2 - c0 g
//!     z2' = m10 z1 + m11 z2 - c1 g
//! ```
//!
//! and the module handed back holds z1', the iterate whose loss is reported. The method is given
//! at every step, so the learning rate and the momentum can both follow a schedule
//! ([`crate::schedule`]); nothing here re-derives a method, the template comes from theory.
//! A parameter that the loss does not reach gets g = 0 (z' = M z, as the template says).
//!
//! z1 is the module's parameter itself; the optimiser stores z2, keyed by [`ParamId`].
//! Parameters that do not require a gradient (frozen, or on a device without autodiff) are left
//! alone. A parameter that appears twice in a module under one id (tied weights) is one
//! parameter: one query leaf, one summed gradient, one update.

use crate::error::{Error, Result};
use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::tensor::{GradientCheckpointingStrategy, Gradients, Tensor};
use std::any::Any;
use std::collections::HashMap;
use theory::{Method, Template};

/// A tensor of any rank, recovered by downcasting to `Tensor<D>` (or a per-step [`Slot<D>`]).
type Erased = Box<dyn Any + Send>;

/// The template optimiser of docs/theory.md §3 for Burn modules. See the [module docs](self).
#[derive(Debug, Default)]
pub struct TemplateOptimizer {
    /// z2 of every parameter seen so far (plain tensors, without autodiff).
    second: HashMap<ParamId, Erased>,
}

impl TemplateOptimizer {
    /// An optimiser that has seen no parameter yet: the first step starts both states at the
    /// module's parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// One step of `method` on `model`, whose parameters are z1. `loss` evaluates the loss of the
    /// module it is given (the module at the query point a . z) as a one-element tensor.
    /// Returns the module at z1'.
    ///
    /// Fails, dropping `model`, when `method` is outside its domain ([`Method::validated`]) or
    /// when the loss is not tracked by autodiff (no trainable parameter on an autodiff device);
    /// the stored states are then unchanged.
    pub fn step<M, F>(&mut self, method: &Method, model: M, loss: F) -> Result<M>
    where
        M: Module,
        F: FnOnce(&M) -> Tensor<1>,
    {
        let template = method.validated()?.template();
        let mut to_query = ToQuery { a: template.a, second: &self.second, slots: HashMap::new() };
        let at_query = model.map(&mut to_query);
        let slots = to_query.slots;
        let loss = loss(&at_query);
        if !loss.is_tracked() {
            return Err(Error::Untracked);
        }
        let mut grads = loss.backward();
        let mut update = Update { template, grads: &mut grads, slots, second: &mut self.second };
        Ok(at_query.map(&mut update))
    }
}

/// The per-step state of one parameter, shared by its occurrences in the module.
struct Slot<const D: usize> {
    /// (z1, z2) until the update has used them.
    z: Option<[Tensor<D>; 2]>,
    /// The parameter handed out: the autodiff leaf at the query point, then z1'.
    param: Tensor<D>,
}

/// First traversal: records (z1, z2) and sets every trainable parameter to a . z.
struct ToQuery<'a> {
    a: [f64; 2],
    second: &'a HashMap<ParamId, Erased>,
    slots: HashMap<ParamId, Erased>,
}

impl ModuleMapper for ToQuery<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if !param.is_require_grad() {
            return param;
        }
        let (id, value, mapper) = param.consume();
        if let Some(slot) = slot::<D>(&mut self.slots, id) {
            return Param::from_mapped_value(id, slot.param.clone(), mapper);
        }
        let strategy = value.gradient_checkpointing_strategy();
        let z1 = value.inner();
        let z2 = match self.second.get(&id).and_then(|z2| z2.downcast_ref::<Tensor<D>>()) {
            Some(z2) if z2.shape() == z1.shape() => z2.clone(),
            _ => z1.clone(), // a new parameter: z2 = z1
        };
        let leaf = trainable(combine(&z1, self.a[0], &z2, self.a[1]), strategy);
        self.slots.insert(id, Box::new(Slot { z: Some([z1, z2]), param: leaf.clone() }));
        Param::from_mapped_value(id, leaf, mapper)
    }
}

/// Second traversal: z' = M z - c g, stores z2' and hands back z1'.
struct Update<'a> {
    template: Template,
    grads: &'a mut Gradients,
    slots: HashMap<ParamId, Erased>,
    second: &'a mut HashMap<ParamId, Erased>,
}

impl ModuleMapper for Update<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, value, mapper) = param.consume();
        let Some(slot) = slot::<D>(&mut self.slots, id) else {
            return Param::from_mapped_value(id, value, mapper); // not trained
        };
        if let Some([z1, z2]) = slot.z.take() {
            let (m, c) = (self.template.m, self.template.c);
            let g = slot.param.grad_remove(self.grads);
            let row = |i: usize| {
                let z = combine(&z1, m[i][0], &z2, m[i][1]);
                match &g {
                    Some(g) if c[i] != 0.0 => z - g.clone().mul_scalar(c[i]),
                    _ => z,
                }
            };
            self.second.insert(id, Box::new(row(1)));
            slot.param = trainable(row(0), value.gradient_checkpointing_strategy());
        }
        Param::from_mapped_value(id, slot.param.clone(), mapper)
    }
}

/// The slot of `id` in `slots`, if it holds a rank-`D` parameter.
fn slot<const D: usize>(slots: &mut HashMap<ParamId, Erased>, id: ParamId) -> Option<&mut Slot<D>> {
    slots.get_mut(&id).and_then(|s| s.downcast_mut::<Slot<D>>())
}

/// `value` as a trainable autodiff leaf that keeps the parameter's checkpointing `strategy`.
fn trainable<const D: usize>(value: Tensor<D>, strategy: Option<GradientCheckpointingStrategy>) -> Tensor<D> {
    let value = value.autodiff();
    match strategy {
        Some(strategy) => value.with_gradient_checkpointing_strategy(strategy),
        None => value,
    }
    .require_grad()
}

/// x0 * s0 + x1 * s1, skipping zero terms and unit factors (so a = (1, 0) costs nothing).
fn combine<const D: usize>(x0: &Tensor<D>, s0: f64, x1: &Tensor<D>, s1: f64) -> Tensor<D> {
    let term = |x: &Tensor<D>, s: f64| match s {
        0.0 => None,
        1.0 => Some(x.clone()),
        _ => Some(x.clone().mul_scalar(s)),
    };
    match (term(x0, s0), term(x1, s1)) {
        (Some(p), Some(q)) => p + q,
        (Some(p), None) | (None, Some(p)) => p,
        (None, None) => x0.zeros_like(),
    }
}
