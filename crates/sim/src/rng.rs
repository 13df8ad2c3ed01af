//! The random stream of one run: PCG-64 (MCG) for scalar draws (chi-square variates, row
//! indices, the ziggurat's rare slow path) and eight xoshiro256++ lanes for vectors of standard
//! normals (the `ziggurat` module), both seeded from one u64. Reproducible bit for bit on every CPU.

use crate::ziggurat::{self, Lanes, Pending};
use rand::{SeedableRng, TryRng};
use rand_pcg::Pcg64Mcg;
use std::convert::Infallible;

/// The random number generator of every engine. Scalar draws (`rand`'s [`rand::RngExt`] methods)
/// come from PCG-64 (MCG); vectors of N(0, 1) draws from [`Rng::fill_standard_normal`].
#[derive(Clone, Debug)]
pub struct Rng {
    scalar: Pcg64Mcg,
    lanes: Lanes,
    /// The draws the ziggurat's vector pass left to finish (kept to reuse its allocation).
    pending: Pending,
}

impl Rng {
    /// Fills `out` with independent N(0, 1) draws.
    pub fn fill_standard_normal(&mut self, out: &mut [f64]) {
        ziggurat::fill(&mut self.lanes, &mut self.scalar, &mut self.pending, out);
    }
}

/// SplitMix64's increment γ (Steele, Lea & Flood 2014).
pub(crate) const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// One SplitMix64 step from state z: the mixed output of z + γ.
pub(crate) fn splitmix64(z: u64) -> u64 {
    let mut z = z.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SeedableRng for Rng {
    type Seed = [u8; 8];

    fn from_seed(seed: [u8; 8]) -> Rng {
        Rng::seed_from_u64(u64::from_le_bytes(seed))
    }

    /// PCG seeded as `Pcg64Mcg::seed_from_u64(seed)`, the lanes from SplitMix64 of the bitwise
    /// complement of `seed` (so the two streams do not start from the same words).
    fn seed_from_u64(seed: u64) -> Rng {
        Rng { scalar: Pcg64Mcg::seed_from_u64(seed), lanes: Lanes::seeded(!seed), pending: Vec::new() }
    }
}

impl TryRng for Rng {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.scalar.try_next_u32()
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.scalar.try_next_u64()
    }

    #[inline]
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.scalar.try_fill_bytes(dst)
    }
}
