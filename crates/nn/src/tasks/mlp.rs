//! Fully connected tanh networks (the teacher, the students, the diabetes regressor of
//! docs/theory.md §8):
//!
//! ```text
//!     h_0 = x,   h_l = tanh(h_{l-1} W_l + b_l)  (l < L),   f(x) = h_{L-1} W_L + b_L
//! ```
//!
//! with W_l of shape [width_{l-1}, width_l]. tanh (not ReLU) keeps the loss twice
//! differentiable, so the Hessian and its Gauss–Newton part (the regulariser the experiments
//! track, [`Mlp::row_gradient_norms`]) are defined everywhere and finite differences of
//! gradients are accurate.
//!
//! [`MlpWeights`] holds the weights in f64 on the host (drawn from a seeded generator, and
//! evaluated exactly there, e.g. to label data with a teacher); [`Mlp`] is the Burn module built
//! from them, R replicas at once: W_l is [R, width_{l-1}, width_l], b_l is [R, 1, width_l], and
//! h_l = tanh(h_{l-1} W_l + b_l) is one batched matrix product per layer.

use super::{Rng, gaussian};
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};

/// One layer in f64: `weight` is [inputs, outputs] row-major, `bias` has `outputs` entries.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    pub weight: Vec<f64>,
    pub bias: Vec<f64>,
}

/// An MLP's weights in f64. See the [module docs](self).
#[derive(Clone, Debug, PartialEq)]
pub struct MlpWeights {
    pub layers: Vec<Layer>,
}

impl MlpWeights {
    /// Layers of the given widths (input first, output last) with weights W_ij ~ N(0, 1/fan_in)
    /// and biases b_j ~ N(0, bias_std^2), drawn from `rng` layer by layer, weights before biases.
    ///
    /// # Panics
    /// When fewer than two widths are given or a width is 0.
    pub fn random(widths: &[usize], bias_std: f64, rng: &mut Rng) -> Self {
        assert!(
            widths.len() >= 2 && widths.iter().all(|&w| w > 0),
            "an MLP needs >= 2 positive widths, got {widths:?}"
        );
        let layers = widths
            .windows(2)
            .map(|w| {
                let (inputs, outputs) = (w[0], w[1]);
                let scale = 1.0 / (inputs as f64).sqrt();
                let weight = gaussian(rng, inputs * outputs).into_iter().map(|g| g * scale).collect();
                let bias = gaussian(rng, outputs).into_iter().map(|g| g * bias_std).collect();
                Layer { inputs, outputs, weight, bias }
            })
            .collect();
        MlpWeights { layers }
    }

    /// The widths, input first.
    pub fn widths(&self) -> Vec<usize> {
        let mut widths = vec![self.layers[0].inputs];
        widths.extend(self.layers.iter().map(|l| l.outputs));
        widths
    }

    /// The number of parameters (weights and biases).
    pub fn num_params(&self) -> usize {
        parameters(&self.widths())
    }

    /// f(x) in f64 for one input row.
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        let last = self.layers.len() - 1;
        let mut h = x.to_vec();
        for (l, layer) in self.layers.iter().enumerate() {
            let mut out = layer.bias.clone();
            for (i, hi) in h.iter().enumerate() {
                let row = &layer.weight[i * layer.outputs..(i + 1) * layer.outputs];
                out.iter_mut().zip(row).for_each(|(o, w)| *o += hi * w);
            }
            if l < last {
                out.iter_mut().for_each(|o| *o = o.tanh());
            }
            h = out;
        }
        h
    }

    /// Multiplies the last layer (weights and bias) by `factor`, which multiplies f by it.
    pub fn scale_output(&mut self, factor: f64) {
        let last = self.layers.last_mut().expect("an MLP has layers");
        last.weight.iter_mut().chain(last.bias.iter_mut()).for_each(|w| *w *= factor);
    }

    /// The Burn module (R = 1) with these weights on `device` (trainable parameters).
    pub fn to_module(&self, device: &Device) -> Mlp {
        let param = |values: &[f64], shape: [usize; 3]| {
            Param::from_tensor(Tensor::from_data(TensorData::new(values.to_vec(), shape), device))
        };
        let layers = self
            .layers
            .iter()
            .map(|l| Dense {
                weight: param(&l.weight, [1, l.inputs, l.outputs]),
                bias: param(&l.bias, [1, 1, l.outputs]),
            })
            .collect();
        Mlp { layers }
    }
}

/// One affine layer of R replicas: x W + b with W [R, inputs, outputs] and b [R, 1, outputs].
#[derive(Module, Debug)]
pub struct Dense {
    pub weight: Param<Tensor<3>>,
    pub bias: Param<Tensor<3>>,
}

/// A tanh MLP of R replicas as a Burn module. See the [module docs](self).
#[derive(Module, Debug)]
pub struct Mlp {
    pub layers: Vec<Dense>,
}

impl Mlp {
    /// f(x) of every replica for input rows `x` ([R, rows, width_0], or [1, rows, width_0]
    /// shared): [R, rows, width_L].
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let last = self.layers.len() - 1;
        let mut h = x;
        for (l, layer) in self.layers.iter().enumerate() {
            h = h.matmul(layer.weight.val()) + layer.bias.val();
            if l < last {
                h = crate::activation::tanh(h);
            }
        }
        h
    }

    /// The squared norm of every row's parameter gradient, |∇_w f_r(x_i)|^2, for a scalar output
    /// (width_L = 1), without autodiff: [R, rows]. With a_0 = x, a_l = tanh(z_l) and the
    /// backpropagated sensitivities d_l = ∂f/∂z_l,
    ///
    /// ```text
    ///     d_L = 1,   d_l = (d_{l+1} W_{l+1}^T) ⊙ (1 - a_l^2),
    ///     |∇_w f(x)|^2 = sum_l |∂f/∂W_l|_F^2 + |∂f/∂b_l|^2 = sum_l |d_l|^2 (|a_{l-1}|^2 + 1)
    /// ```
    ///
    /// since ∂f/∂W_l = a_{l-1}^T d_l is an outer product (|u v^T|_F = |u| |v|). Inputs as in
    /// [`Mlp::forward`].
    ///
    /// # Panics
    /// When the output width is not 1.
    pub fn row_gradient_norms(&self, x: Tensor<3>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        let mut inputs = Vec::with_capacity(self.layers.len());
        let mut h = x;
        for (l, layer) in self.layers.iter().enumerate() {
            let z = h.clone().matmul(layer.weight.val()) + layer.bias.val();
            inputs.push(h);
            h = if l < last { crate::activation::tanh(z) } else { z };
        }
        let [replicas, rows, outputs] = h.dims();
        assert_eq!(outputs, 1, "gradient norms need a scalar output, got width {outputs}");
        let squared_norm = |t: Tensor<3>| t.square().sum_dim(2);
        let mut d = h.ones_like();
        let mut total = squared_norm(d.clone()) * squared_norm(inputs[last].clone()).add_scalar(1.0);
        for l in (0..last).rev() {
            let a = inputs[l + 1].clone();
            d = d.matmul(self.layers[l + 1].weight.val().swap_dims(1, 2)) * a.square().neg().add_scalar(1.0);
            total = total + squared_norm(d.clone()) * squared_norm(inputs[l].clone()).add_scalar(1.0);
        }
        total.reshape([replicas, rows])
    }
}

/// What distinguishes one MLP regression task from another (its name, settings, data and
/// initial weights); the [`Task`](super::Task) implementation, shared by all of them, follows:
/// squared loss, the Gauss–Newton trace as the regulariser (docs/theory.md §8) and 1 - R^2 on
/// the test split as the test error.
pub trait MlpRegression {
    const NAME: &'static str;
    type Settings: serde::Serialize;
    fn settings(&self) -> &Self::Settings;
    fn dataset(&self) -> &super::Data;
    /// The initial weights (init stream of the seed).
    fn initial_weights(&self) -> MlpWeights;
}

impl<T: MlpRegression> super::Task for T {
    type Model = Mlp;

    fn name(&self) -> &'static str {
        T::NAME
    }

    fn config(&self) -> serde_json::Value {
        serde_json::to_value(self.settings()).expect("the settings serialise")
    }

    fn data(&self) -> &super::Data {
        self.dataset()
    }

    fn init(&self, device: &Device) -> Mlp {
        self.initial_weights().to_module(device)
    }

    fn forward(&self, model: &Mlp, x: Tensor<3>) -> Tensor<3> {
        model.forward(x)
    }

    fn regulariser_name(&self) -> &'static str {
        "gauss_newton_trace"
    }

    /// The trace of the Gauss–Newton matrix of the noise-free full train loss per replica,
    ///
    /// ```text
    ///     R(w) = tr( 1/n sum_i ∇f(x_i) ∇f(x_i)^T ) = 1/n sum_i |∇_w f(x_i)|^2,
    /// ```
    ///
    /// exactly ([`Mlp::row_gradient_norms`], no probes). It is the
    /// implicit regulariser of label-noise SGD (docs/theory.md §8), and on the interpolation
    /// manifold it is tr(∇²L) itself: ∇²L = GN + 1/n sum_i (f(x_i) - y_i) ∇²f(x_i), and the
    /// residuals vanish there.
    fn regulariser(&self, model: &Mlp, loaded: &super::Loaded) -> crate::error::Result<Vec<f64>> {
        let norms = model.valid().row_gradient_norms(loaded.x_train.clone().inner());
        let [_, rows] = norms.dims();
        super::read(norms.sum_dim(1).mul_scalar(1.0 / rows as f64))
    }

    /// The relative test MSE (1 - R^2) per replica.
    fn test_error(&self, model: &Mlp, loaded: &super::Loaded) -> crate::error::Result<Vec<f64>> {
        super::relative_test_mse(self, model, loaded)
    }
}

/// The parameters of an MLP with layer widths `widths` (input first): sum over layers of
/// (inputs + 1) x outputs, weights and biases.
pub fn parameters(widths: &[usize]) -> usize {
    widths.windows(2).map(|w| (w[0] + 1) * w[1]).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Backend, Precision, device};
    use crate::tasks::{Stream, rng};

    /// The Burn module computes the same function as the f64 host weights.
    #[test]
    fn module_and_host_weights_agree() {
        let device = device(Backend::Flex, Precision::F64).unwrap();
        let weights = MlpWeights::random(&[3, 5, 4, 1], 0.3, &mut rng(1, Stream::Init));
        assert_eq!(weights.widths(), vec![3, 5, 4, 1]);
        assert_eq!(weights.num_params(), 3 * 5 + 5 + 5 * 4 + 4 + 4 + 1);
        let x = gaussian(&mut rng(2, Stream::Data), 6 * 3);
        let module = weights.to_module(&device);
        let out = module.forward(Tensor::from_data(TensorData::new(x.clone(), [1, 6, 3]), &device));
        let out = out.try_into_vec_as::<f64>().unwrap();
        for (i, row) in x.chunks(3).enumerate() {
            let host = weights.forward(row)[0];
            assert!((out[i] - host).abs() <= 1e-14 * host.abs().max(1.0), "{} vs {host}", out[i]);
        }
    }
}
