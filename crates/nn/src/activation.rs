//! tanh, the MLPs' activation, vectorised on the CPU backends.
//!
//! The CPU backends evaluate element-wise functions one scalar libm call at a time (their tanh
//! and the exp inside their sigmoid took 58 % of C10's CPU time). For f64 tensors on them the
//! values are computed here instead, in lanes the compiler vectorises:
//!
//! ```text
//!     tanh(x) = sign(x) (-m) / (2 + m),   m = expm1(-2|x|)          (|x| clamped to 20: tanh = 1)
//!     expm1(y) = 2^n q(r) + (2^n - 1),    y = n ln 2 + r, |r| <= ln(2) / 2
//!     q(r) = r + r^2/2! + ... + r^13/13!  (truncation about 1.2e-17 relative)
//! ```
//!
//! n is rounded by the 1.5 2^52 shift and ln 2 is split in two (fdlibm's constants), so r is
//! exact to an ulp; every operation is an IEEE product, sum or quotient (nothing is fused), so
//! the result is the same bits in every instruction set, within a few ulps of libm's tanh
//! (tested). Under autodiff the value enters as a constant with the derivative 1 - tanh^2
//! attached: `value + (x - detach(x)) * (1 - value^2)` is the value in the forward pass (the
//! bracket is exactly 0 for finite x; an infinite pre-activation, which only a diverged run
//! has, gives NaN there instead of +-1) and has that derivative in the backward one. Other
//! backends and f32 use 2 sigmoid(2x) - 1, whose exp and fused backward the GPU backends
//! evaluate in parallel.

use burn::tensor::{DType, Device, Tensor, TensorData};

/// tanh of every element of `x`. See the [module docs](self).
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    if x.dtype() != DType::F64 || !on_cpu(&device) {
        return burn::tensor::activation::sigmoid(x.mul_scalar(2.0)).mul_scalar(2.0).sub_scalar(1.0);
    }
    let shape = x.shape();
    let constant = |v: Vec<f64>| Tensor::<D>::from_data(TensorData::new(v, shape.clone()), &device);
    let values = |data: TensorData| {
        let mut values: Vec<f64> = data.try_into_vec().expect("the data of an f64 tensor are f64");
        tanh_in_place(&mut values);
        values
    };
    if !x.is_tracked() {
        // x is not needed again: its data move out (no copy where the storage allows it).
        return constant(values(x.into_data()));
    }
    let values = values(x.to_data());
    let slopes = values.iter().map(|t| 1.0 - t * t).collect();
    constant(values) + (x.clone() - x.detach()) * constant(slopes)
}

/// Whether `device` is one of the CPU backends, with or without autodiff.
fn on_cpu(device: &Device) -> bool {
    use burn_dispatch::DispatchDevice;
    match device.as_dispatch().clone().inner() {
        #[cfg(feature = "flex")]
        DispatchDevice::Flex(_) => true,
        #[cfg(feature = "ndarray")]
        DispatchDevice::NdArray(_) => true,
        #[allow(unreachable_patterns)] // every backend may be compiled in
        _ => false,
    }
}

/// tanh of every value, in place, in the widest instruction set the CPU has (the same bits in
/// each). See the [module docs](self).
pub fn tanh_in_place(values: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { tanh_avx512(values) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { tanh_avx2(values) };
        }
    }
    tanh_each(values);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn tanh_avx512(values: &mut [f64]) {
    tanh_each(values);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn tanh_avx2(values: &mut [f64]) {
    tanh_each(values);
}

/// [`tanh_in_place`]'s loop, inlined into each instruction set's copy.
#[inline(always)]
fn tanh_each(values: &mut [f64]) {
    values.iter_mut().for_each(|v| *v = tanh_of(*v));
}

/// Beyond this |x|, tanh(x) rounds to +-1 (1 - tanh(20) = 8.5e-18).
const SATURATION: f64 = 20.0;
/// 1.5 2^52: adding it rounds a number of magnitude < 2^51 to an integer (ties to even).
const SHIFT: f64 = 6755399441055744.0;
/// ln 2 = LN2_HI + LN2_LO, LN2_HI with 11 trailing zero bits (n LN2_HI is exact for |n| < 2^11).
const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
/// 1/k!, k = 13 down to 2: q(r) = r (1 + r (1/2! + r (1/3! + ...))).
const INVERSE_FACTORIALS: [f64; 12] = [
    1.0 / 6227020800.0,
    1.0 / 479001600.0,
    1.0 / 39916800.0,
    1.0 / 3628800.0,
    1.0 / 362880.0,
    1.0 / 40320.0,
    1.0 / 5040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    1.0 / 2.0,
];

/// tanh(x) in branch-free arithmetic (see the [module docs](self)); NaN stays NaN.
#[inline(always)]
fn tanh_of(x: f64) -> f64 {
    let y = -2.0 * x.abs().min(SATURATION);
    let shifted = y * std::f64::consts::LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    let r = (y - n * LN2_HI) - n * LN2_LO;
    let mut q = INVERSE_FACTORIALS[0];
    for c in &INVERSE_FACTORIALS[1..] {
        q = q * r + c;
    }
    let q = (q * r + 1.0) * r;
    // 2^n from the integer in the shifted number's low bits (n in [-58, 0]).
    let n_bits = shifted.to_bits().wrapping_sub(SHIFT.to_bits());
    let scale = f64::from_bits(n_bits.wrapping_add(1023) << 52);
    let m = scale * q + (scale - 1.0);
    let t = (-m / (2.0 + m)).copysign(x);
    if x.is_nan() { x } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split of ln 2: LN2_HI's low 11 bits are zero, and LN2_LO is the rest of ln 2 (f64's
    /// LN_2 is within half its ulp, 2^-54, of the true value).
    #[test]
    fn ln2_is_split_in_two() {
        assert_eq!(LN2_HI.to_bits() & 0x7ff, 0);
        assert_eq!(LN2_HI + LN2_LO, std::f64::consts::LN_2);
        assert!((LN2_LO - (std::f64::consts::LN_2 - LN2_HI)).abs() <= 0.5f64.powi(54));
    }

    /// Within 4 ulps of libm's tanh (relative, down to subnormal inputs), exactly +-1 beyond
    /// |x| = 20, odd, NaN in NaN out; and every instruction set gives the same bits (each
    /// compiled copy called directly).
    #[test]
    fn agrees_with_libm_and_across_instruction_sets() {
        let mut xs: Vec<f64> = (-3000..=300).map(|k| 10f64.powf(k as f64 / 100.0)).collect();
        xs.extend((0..4000).map(|k| k as f64 * 0.01));
        xs.extend([0.0, f64::MIN_POSITIVE, 5e-324, 0.34657359, 0.34657360, 19.999, 20.0, 1e300, f64::INFINITY]);
        let xs: Vec<f64> = xs.iter().flat_map(|&x| [x, -x]).collect();
        let mut fast = xs.clone();
        tanh_in_place(&mut fast);
        for (&x, &t) in xs.iter().zip(&fast) {
            let exact = x.tanh();
            let ulp = f64::EPSILON * exact.abs().max(f64::MIN_POSITIVE);
            assert!((t - exact).abs() <= 4.0 * ulp, "tanh({x:e}) = {t:e}, libm {exact:e}");
            assert_eq!(t.is_sign_negative(), x.is_sign_negative(), "sign of tanh({x:e})");
            if x.abs() >= SATURATION {
                assert_eq!(t.abs(), 1.0);
            }
        }
        let mut nan = [f64::NAN];
        tanh_in_place(&mut nan);
        assert!(nan[0].is_nan());
        let portable: Vec<f64> = xs.iter().map(|&x| tanh_of(x)).collect();
        assert!(portable.iter().zip(&fast).all(|(a, b)| a.to_bits() == b.to_bits()));
        #[cfg(target_arch = "x86_64")]
        for (present, wide) in [
            (std::arch::is_x86_feature_detected!("avx2"), tanh_avx2 as unsafe fn(&mut [f64])),
            (std::arch::is_x86_feature_detected!("avx512f"), tanh_avx512 as unsafe fn(&mut [f64])),
        ] {
            let mut values = xs.clone();
            if present {
                // SAFETY: the instruction set is present, checked above.
                unsafe { wide(&mut values) };
                assert!(portable.iter().zip(&values).all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
    }

    /// Under autodiff on flex (f64) the value is the vectorised tanh and the gradient of
    /// sum(tanh(x)) is 1 - tanh(x)^2, the same as libm's to a few ulps; untracked, the same value.
    #[cfg(feature = "flex")]
    #[test]
    fn the_gradient_is_one_minus_tanh_squared() {
        let device = crate::backend::device(crate::Backend::Flex, crate::Precision::F64).unwrap();
        let xs: Vec<f64> = (-40..=40).map(|k| k as f64 * 0.3).collect();
        let x = Tensor::<1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &device).require_grad();
        let y = tanh(x.clone());
        let grads = y.clone().sum().backward();
        let read = |t: Tensor<1>| t.try_into_vec_as::<f64>().unwrap();
        let (values, gradient) = (read(y.inner()), read(x.grad(&grads).unwrap()));
        let untracked = read(tanh(x.inner()));
        for ((&x, &v), (&g, &u)) in xs.iter().zip(&values).zip(gradient.iter().zip(&untracked)) {
            let t = x.tanh();
            assert!((v - t).abs() <= 4.0 * f64::EPSILON * t.abs(), "tanh({x}) = {v} vs {t}");
            assert!((g - (1.0 - t * t)).abs() <= 8.0 * f64::EPSILON, "tanh'({x}) = {g} vs {}", 1.0 - t * t);
            assert_eq!(u.to_bits(), v.to_bits());
        }
    }
}
