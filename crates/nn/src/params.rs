//! A module's trainable parameters as one flat f64 vector w, and the gradient of a loss with
//! respect to w (for the Hessian estimates of [`crate::hessian`], docs/theory.md §8).
//!
//! The layout is the module's traversal order (the order [`Module::visit`] and [`Module::map`]
//! meet the parameters), each tensor flattened row-major; a parameter held twice under one id
//! (tied weights) appears once. Only float parameters that require a gradient count, as in
//! [`crate::optim`].

use crate::error::{Error, Result};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Gradients, Tensor, TensorData};
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
