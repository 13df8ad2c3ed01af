//! A module's trainable parameters as one flat f64 vector w, and the gradient of a loss with
//! respect to w (for the Hessian estimates of [`crate::hessian`], docs/theory.md §8).
//!
//! The layout is the module's traversal order (the order [`Module::visit`] and [`Module::map`]
//! meet the parameters), each tensor flattened row-major; a parameter held twice under one id
//! (tied weights) appears once. Only float parameters that require a gradient count, as in
//! [`crate::optim`].
//!
//! Replica batches: the models of [`crate::tasks`] hold R independent replicas, every parameter
//! with a leading axis of length R (replica r is slice r of every parameter). [`replicas`] splits
//! w into the R replicas' own vectors (each laid out as the R = 1 model's w), [`stack`] builds
//! R replicas from such vectors, [`select`] keeps some replicas.

use crate::error::{Error, Result};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Gradients, Int, Tensor, TensorData};
use std::any::Any;
use std::collections::{HashMap, HashSet};

/// w: the trainable parameters of `model`, flattened. See the [module docs](self).
pub fn values<M: Module>(model: &M) -> Result<Vec<f64>> {
    let mut visitor = Collect { seen: HashSet::new(), grads: None, out: Vec::new(), error: None };
    model.visit(&mut visitor);
    visitor.finish()
}

/// The number of trainable parameters (the length of [`values`]).
pub fn count<M: Module>(model: &M) -> usize {
    struct Count {
        seen: HashSet<ParamId>,
        n: usize,
    }
    impl ModuleVisitor for Count {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if param.is_require_grad() && self.seen.insert(param.id) {
                self.n += param.dims().iter().product::<usize>();
            }
        }
    }
    let mut count = Count { seen: HashSet::new(), n: 0 };
    model.visit(&mut count);
    count.n
}

/// `model` with its trainable parameters set to `w` (laid out as [`values`]), each a fresh
/// autodiff leaf that requires a gradient (ids kept). An error when `w` has the wrong length.
pub fn with_values<M: Module>(model: M, w: &[f64]) -> Result<M> {
    let mut mapper = Assign { w: Some(w), offset: 0, done: HashMap::new() };
    let model = model.map(&mut mapper);
    if mapper.offset != w.len() {
        return Err(Error::Invalid(format!(
            "the module has {} trainable parameters, {} values given",
            mapper.offset,
            w.len()
        )));
    }
    Ok(model)
}

/// The loss at `model` and its gradient with respect to w (laid out as [`values`]; zero for a
/// parameter the loss does not reach). The parameters are made fresh autodiff leaves first, so
/// `model` may hold parameters with or without a graph.
pub fn gradient<M, F>(model: &M, loss: F) -> Result<(f64, Vec<f64>)>
where
    M: Module,
    F: FnOnce(&M) -> Tensor<1>,
{
    let mut leaves = Assign { w: None, offset: 0, done: HashMap::new() };
    let model = model.clone().map(&mut leaves);
    let loss = loss(&model);
    if !loss.is_tracked() {
        return Err(Error::Untracked);
    }
    let grads = loss.backward();
    let value = loss.inner().into_scalar::<f64>();
    let mut visitor = Collect { seen: HashSet::new(), grads: Some(&grads), out: Vec::new(), error: None };
    model.visit(&mut visitor);
    Ok((value, visitor.finish()?))
}

/// The R replicas' parameter vectors (replica r: slice r of every parameter's leading axis, in
/// the layout of the R = 1 model). An error when the parameters disagree on R.
pub fn replicas<M: Module>(model: &M) -> Result<Vec<Vec<f64>>> {
    Ok(layout(model)?.split(&values(model)?))
}

/// How w of a replica batch interleaves the replicas: per parameter (in layout order), the
/// values of replica 0, then replica 1, ... (each `len` long).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// R.
    pub replicas: usize,
    /// Values per replica of every parameter.
    pub lens: Vec<usize>,
}

impl Layout {
    /// The replicas' own vectors from w (laid out as [`values`]).
    pub fn split(&self, w: &[f64]) -> Vec<Vec<f64>> {
        let mut out = vec![Vec::with_capacity(self.lens.iter().sum()); self.replicas];
        let mut offset = 0;
        for &len in &self.lens {
            for rep in out.iter_mut() {
                rep.extend_from_slice(&w[offset..offset + len]);
                offset += len;
            }
        }
        out
    }
}

/// The [`Layout`] of `model`'s parameters; an error when they disagree on R.
pub fn layout<M: Module>(model: &M) -> Result<Layout> {
    let mut shapes = Vec::new();
    model.visit(&mut ShapeOf { seen: HashSet::new(), shapes: &mut shapes });
    let replicas = shapes.first().map_or(1, |&(r, _)| r);
    if shapes.iter().any(|&(r, _)| r != replicas) {
        return Err(Error::Invalid(format!("the parameters disagree on the number of replicas: {shapes:?}")));
    }
    Ok(Layout { replicas, lens: shapes.iter().map(|&(_, len)| len).collect() })
}

/// `model` (whose parameters have a leading replica axis of length 1) with R = `reps.len()`
/// replicas, replica r holding `reps[r]` (each laid out as [`values`] of `model`), every
/// parameter a fresh autodiff leaf that requires a gradient. An error when a vector has the
/// wrong length or `reps` is empty.
pub fn stack<M: Module>(model: M, reps: &[Vec<f64>]) -> Result<M> {
    let n = count(&model);
    if reps.is_empty() || reps.iter().any(|w| w.len() != n) {
        return Err(Error::Invalid(format!(
            "stacking needs >= 1 replica of {n} parameters each, got lengths {:?}",
            reps.iter().map(Vec::len).collect::<Vec<_>>()
        )));
    }
    let mut mapper = Stack { reps, offset: 0, error: None };
    let model = model.map(&mut mapper);
    match mapper.error {
        Some(e) => Err(e),
        None => Ok(model),
    }
}

/// `model` keeping the replicas `keep` (indices along every parameter's leading axis, in that
/// order), each parameter a fresh autodiff leaf.
pub fn select<M: Module>(model: M, keep: &[usize]) -> M {
    let device = first_device(&model);
    let index = device.map(|d| index_tensor(keep, &d));
    let mut mapper = Select { index };
    model.map(&mut mapper)
}

/// `indices` as an Int tensor on `device`.
pub fn index_tensor(indices: &[usize], device: &burn::tensor::Device) -> Tensor<1, Int> {
    let data: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(data, [indices.len()]), device)
}

/// The device of the first trainable parameter (None for a module without one).
fn first_device<M: Module>(model: &M) -> Option<burn::tensor::Device> {
    struct First(Option<burn::tensor::Device>);
    impl ModuleVisitor for First {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if self.0.is_none() && param.is_require_grad() {
                self.0 = Some(param.val().device());
            }
        }
    }
    let mut first = First(None);
    model.visit(&mut first);
    first.0
}

/// (R, values per replica) of every trainable parameter, in layout order.
struct ShapeOf<'a> {
    seen: HashSet<ParamId>,
    shapes: &'a mut Vec<(usize, usize)>,
}

impl ModuleVisitor for ShapeOf<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if param.is_require_grad() && self.seen.insert(param.id) {
            let dims = param.dims();
            let r = dims[0].max(1);
            self.shapes.push((r, dims.iter().product::<usize>() / r));
        }
    }
}

/// Builds R replicas of every [1, ...] parameter from the replicas' vectors.
struct Stack<'a> {
    reps: &'a [Vec<f64>],
    offset: usize,
    error: Option<Error>,
}

impl ModuleMapper for Stack<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if !param.is_require_grad() {
            return param;
        }
        let (id, value, mapper) = param.consume();
        let mut shape = value.dims();
        let len = shape.iter().product::<usize>();
        if shape[0] != 1 && self.error.is_none() {
            self.error = Some(Error::Invalid(format!("stacking needs one replica per parameter, got shape {shape:?}")));
        }
        let start = self.offset;
        self.offset += len;
        let data: Vec<f64> = self.reps.iter().flat_map(|w| w[start..start + len].iter().copied()).collect();
        shape[0] = self.reps.len();
        let inner = Tensor::from_data(TensorData::new(data, shape), &value.inner().device());
        Param::from_mapped_value(id, inner.autodiff().require_grad(), mapper)
    }
}

/// Keeps the replicas at `index` along every parameter's leading axis.
struct Select {
    index: Option<Tensor<1, Int>>,
}

impl ModuleMapper for Select {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(index) = &self.index else { return param };
        if !param.is_require_grad() {
            return param;
        }
        let (id, value, mapper) = param.consume();
        let kept = value.inner().select(0, index.clone());
        Param::from_mapped_value(id, kept.autodiff().require_grad(), mapper)
    }
}

/// Reads parameter values (or, with `grads`, their gradients) into `out`.
struct Collect<'a> {
    seen: HashSet<ParamId>,
    grads: Option<&'a Gradients>,
    out: Vec<f64>,
    error: Option<Error>,
}

impl Collect<'_> {
    fn finish(self) -> Result<Vec<f64>> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.out),
        }
    }
}

impl ModuleVisitor for Collect<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !param.is_require_grad() || !self.seen.insert(param.id) || self.error.is_some() {
            return;
        }
        let tensor = param.val();
        let len = tensor.dims().iter().product::<usize>();
        let source = match self.grads {
            None => Some(tensor.inner()),
            Some(grads) => tensor.grad(grads),
        };
        match source {
            None => self.out.extend(std::iter::repeat_n(0.0, len)),
            Some(t) => match t.try_into_vec_as::<f64>() {
                Ok(v) => self.out.extend(v),
                Err(e) => self.error = Some(Error::Read(e.to_string())),
            },
        }
    }
}

/// Replaces every trainable parameter by a fresh leaf: with `w`, holding the next values of w;
/// without, holding the parameter's current value.
struct Assign<'a> {
    w: Option<&'a [f64]>,
    offset: usize,
    /// Leaves already made, for a parameter met twice (a `Tensor<D>` per id).
    done: HashMap<ParamId, Box<dyn Any + Send>>,
}

impl ModuleMapper for Assign<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if !param.is_require_grad() {
            return param;
        }
        let (id, value, mapper) = param.consume();
        if let Some(leaf) = self.done.get(&id).and_then(|t| t.downcast_ref::<Tensor<D>>()) {
            return Param::from_mapped_value(id, leaf.clone(), mapper);
        }
        let shape = value.dims();
        let len = shape.iter().product::<usize>();
        let start = self.offset;
        self.offset += len;
        let inner = match self.w {
            None => value.inner(),
            Some(w) if self.offset <= w.len() => {
                Tensor::from_data(TensorData::new(w[start..self.offset].to_vec(), shape), &value.inner().device())
            }
            Some(_) => value.inner(), // too few values: reported by with_values
        };
        let leaf = inner.autodiff().require_grad();
        self.done.insert(id, Box::new(leaf.clone()));
        Param::from_mapped_value(id, leaf, mapper)
    }
}
