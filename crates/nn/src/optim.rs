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
//! Replica batches ([`TemplateOptimizer::step_replicas`]): every parameter has a leading axis of
//! R replicas and replica r steps with its own method, so each of the eight numbers (a, M, c) is a
//! vector over r, applied as a tensor of shape [R, 1, ..., 1]. A number shared by all replicas is
//! applied as a scalar, which gives the same floats (x * s is one IEEE product either way), so a
//! replica's trajectory does not depend on the batch it runs in.
//!
//! z1 is the module's parameter itself; the optimiser stores z2, keyed by [`ParamId`].
//! Parameters that do not require a gradient (frozen, or on a device without autodiff) are left
//! alone. A parameter that appears twice in a module under one id (tied weights) is one
//! parameter: one query leaf, one summed gradient, one update.

use crate::error::{Error, Result};
use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::tensor::{Device, GradientCheckpointingStrategy, Gradients, Tensor, TensorData};
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
    /// The coefficients of the last step's templates (reused while the templates repeat).
    cached: Option<(Vec<Template>, Coefficients)>,
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
        self.step_replicas(std::slice::from_ref(method), model, loss)
    }

    /// One step of a replica batch: replica r (slice r of every parameter's leading axis) steps
    /// with `methods[r]`. `loss` is the sum of the replicas' losses (replicas do not interact, so
    /// its gradient holds every replica's own gradient). When all methods are equal, the module
    /// need not have a replica axis. Errors as [`step`](Self::step); an empty `methods` is one.
    pub fn step_replicas<M, F>(&mut self, methods: &[Method], model: M, loss: F) -> Result<M>
    where
        M: Module,
        F: FnOnce(&M) -> Tensor<1>,
    {
        if methods.is_empty() {
            return Err(Error::Invalid("a step needs at least one replica".into()));
        }
        let templates = methods.iter().map(|m| Ok(m.validated()?.template())).collect::<Result<Vec<_>>>()?;
        let reuse = matches!(&self.cached, Some((t, _)) if *t == templates);
        let mut to_query = ToQuery {
            templates: &templates,
            coefficients: if reuse { self.cached.take().map(|(_, c)| c) } else { None },
            second: &self.second,
            slots: HashMap::new(),
        };
        let at_query = model.map(&mut to_query);
        let (slots, coefficients) = (to_query.slots, to_query.coefficients);
        let loss = loss(&at_query);
        if !loss.is_tracked() {
            return Err(Error::Untracked);
        }
        let Some(coefficients) = coefficients else {
            return Ok(at_query); // no trainable parameter: nothing to update
        };
        let mut grads = loss.backward();
        let mut update = Update { coefficients: &coefficients, grads: &mut grads, slots, second: &mut self.second };
        let model = at_query.map(&mut update);
        self.cached = Some((templates, coefficients));
        Ok(model)
    }

    /// Keeps the stored states of the replicas `keep` (indices along the leading axis, in that
    /// order), as [`crate::params::select`] does for the module.
    pub fn select(&mut self, keep: &[usize]) {
        self.cached = None;
        for z2 in self.second.values_mut() {
            select_erased(z2, keep);
        }
    }
}

/// Keeps rows `keep` of the leading axis of an erased tensor of rank 1 to 4.
fn select_erased(z: &mut Erased, keep: &[usize]) {
    fn go<const D: usize>(z: &mut Erased, keep: &[usize]) -> bool {
        let Some(t) = z.downcast_ref::<Tensor<D>>() else { return false };
        let index = crate::params::index_tensor(keep, &t.device());
        *z = Box::new(t.clone().select(0, index));
        true
    }
    let _ = go::<1>(z, keep) || go::<2>(z, keep) || go::<3>(z, keep) || go::<4>(z, keep);
}

/// One number of the template across the replicas.
#[derive(Clone, Debug)]
enum Coefficient {
    /// The same for every replica.
    Shared(f64),
    /// One value per replica, shape [R] (boxed: a tensor handle is much larger than an f64).
    PerReplica(Box<Tensor<1>>),
}

impl Coefficient {
    fn new(values: &[f64], device: &Device) -> Self {
        if values.iter().all(|v| v.to_bits() == values[0].to_bits()) {
            Coefficient::Shared(values[0])
        } else {
            Coefficient::PerReplica(Box::new(Tensor::from_data(
                TensorData::new(values.to_vec(), [values.len()]),
                device,
            )))
        }
    }

    /// s x with s this coefficient per replica; None for a shared zero, x itself for a shared one.
    fn times<const D: usize>(&self, x: &Tensor<D>) -> Option<Tensor<D>> {
        match self {
            Coefficient::Shared(0.0) => None,
            Coefficient::Shared(1.0) => Some(x.clone()),
            Coefficient::Shared(s) => Some(x.clone().mul_scalar(*s)),
            Coefficient::PerReplica(s) => {
                let mut shape = [1; D];
                shape[0] = s.dims()[0];
                Some(x.clone() * (**s).clone().reshape(shape))
            }
        }
    }
}

/// The template's numbers across the replicas: a, the rows of M, c.
#[derive(Clone, Debug)]
struct Coefficients {
    a: [Coefficient; 2],
    m: [[Coefficient; 2]; 2],
    c: [Coefficient; 2],
}

impl Coefficients {
    fn new(templates: &[Template], device: &Device) -> Self {
        let of = |f: &dyn Fn(&Template) -> f64| Coefficient::new(&templates.iter().map(f).collect::<Vec<_>>(), device);
        Coefficients {
            a: [of(&|t| t.a[0]), of(&|t| t.a[1])],
            m: [[of(&|t| t.m[0][0]), of(&|t| t.m[0][1])], [of(&|t| t.m[1][0]), of(&|t| t.m[1][1])]],
            c: [of(&|t| t.c[0]), of(&|t| t.c[1])],
        }
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
    templates: &'a [Template],
    /// Built at the first parameter (on its device) unless reused from the last step.
    coefficients: Option<Coefficients>,
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
        let templates = self.templates;
        let a = &self.coefficients.get_or_insert_with(|| Coefficients::new(templates, &z1.device())).a;
        let leaf = trainable(combine(&z1, &a[0], &z2, &a[1]), strategy);
        self.slots.insert(id, Box::new(Slot { z: Some([z1, z2]), param: leaf.clone() }));
        Param::from_mapped_value(id, leaf, mapper)
    }
}

/// Second traversal: z' = M z - c g, stores z2' and hands back z1'.
struct Update<'a> {
    coefficients: &'a Coefficients,
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
            let Coefficients { m, c, .. } = self.coefficients;
            let g = slot.param.grad_remove(self.grads);
            let row = |i: usize| {
                let z = combine(&z1, &m[i][0], &z2, &m[i][1]);
                match g.as_ref().and_then(|g| c[i].times(g)) {
                    Some(cg) => z - cg,
                    None => z,
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

/// s0 x0 + s1 x1 per replica, skipping shared zero terms and unit factors (so a = (1, 0) costs
/// nothing).
fn combine<const D: usize>(x0: &Tensor<D>, s0: &Coefficient, x1: &Tensor<D>, s1: &Coefficient) -> Tensor<D> {
    match (s0.times(x0), s1.times(x1)) {
        (Some(p), Some(q)) => p + q,
        (Some(p), None) | (None, Some(p)) => p,
        (None, None) => x0.zeros_like(),
    }
}
