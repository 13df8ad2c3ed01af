//! Networks trained with Burn under theory's momentum template (docs/theory.md §3), and the
//! label-noise experiments of docs/theory.md §8.
//!
//! - [`backend`]: the Burn backend (flex, ndarray, wgpu) and float precision a network runs in.
//! - [`optim`]: [`TemplateOptimizer`], theory's template z' = M z - c g(a . z) applied to every
//!   trainable parameter of a Burn module, with the method given at every step.
//! - [`schedule`]: the method of step t (constant, step-decay or cosine learning rate, momentum
//!   fixed or coupled to the learning rate by 1 - beta = C eta^g).
//! - [`tasks`]: seeded regression tasks (matrix sensing, teacher–student MLP, the diabetes data
//!   set) with mini-batches, fresh label noise, train loss, implicit regulariser and test error.
//! - [`params`], [`hessian`]: a module's parameters as one vector, gradients, Hessian-vector
//!   products by finite differences of gradients, Hutchinson's trace estimate.
//! - [`lanczos`], [`noise`], [`curvature`]: a Hessian's top eigenvalue (power iteration),
//!   extreme eigenvalues and spectral density (Lanczos, SLQ), the gradient noise scale B_simple
//!   and the Gauss–Newton spectrum from per-example gradients, and the batch-size predictions of
//!   docs/theory.md §5 they give.
//! - [`critical`]: steps to a target loss against the batch size for SGD and heavy ball, the
//!   learning rate tuned per batch (the measured critical batch of docs/theory.md §5).
//! - [`train`]: interpolate without noise, then train with label noise under a schedule, and
//!   record the run ([`train::Record`]).
//! - [`scan`]: label-noise heavy ball over a grid of (eta, 1 - beta) and seeds from one
//!   interpolating point, timed to a regulariser threshold (the C9 experiment).
//!
//! Replicas: R runs of one task are one Burn program. Each parameter carries a leading replica
//! axis, inputs are 3-D `[R, rows, p]` (the data are loaded once as `[1, n, p]` and shared), and
//! every loss is a vector `[R]`, so the runs step together, each with its own seed, method and
//! label-noise level:
//!
//! ```
//! use nn::tasks::{MatrixSensing, MatrixSensingConfig, Task};
//! use nn::train::run_replicas;
//! use nn::{Backend, Config, Interpolation, Keep, Outcome, Precision, Schedule, Stop};
//! use theory::Method;
//!
//! // Matrix sensing, d = 8, rank 1, 24 Gaussian measurements (docs/theory.md §8).
//! let task = MatrixSensing::new(MatrixSensingConfig { measurements: 24, ..Default::default() })?;
//! let device = nn::device(Backend::Flex, Precision::F64)?;
//! let loaded = task.load(&device);
//! let [one, n, p] = loaded.x_train.dims();
//! assert_eq!((one, n), (1, 24));
//! // Two replicas of the initial model: one loss per replica.
//! let w0 = nn::params::values(&task.init(&device))?;
//! let two = nn::params::stack(task.init(&device), &[w0.clone(), w0])?;
//! let losses = task.train_losses(&two, &loaded)?;
//! assert!(losses.len() == 2 && losses[0] == losses[1] && p > 0);
//!
//! // Two runs as one replica batch: a short GD phase 1, then 10 steps of 8 rows with label
//! // noise, SGD on one replica and heavy ball on the other.
//! let config = |seed, method| -> nn::Result<Config> {
//!     Ok(Config {
//!         seed,
//!         interpolation: Interpolation::gd(0.01, 1e-12, 5),
//!         schedule: Schedule::constant(method)?,
//!         batch: Some(8),
//!         eps: 0.1,
//!         steps: 10,
//!         record_every: 5,
//!         stop: Stop::Never,
//!         keep: Keep::Series,
//!     })
//! };
//! let configs = [config(1, Method::Sgd { lr: 0.01 })?, config(2, Method::Hb { lr: 0.01, momentum: 0.5 })?];
//! let records = run_replicas(&task, Backend::Flex, Precision::F64, &configs)?;
//! for record in &records {
//!     assert_eq!((record.outcome, record.steps), (Outcome::Budget, 10));
//!     assert_eq!(record.series.len(), 3); // checkpoints after 0, 5 and 10 steps
//! }
//! # Ok::<(), nn::Error>(())
//! ```

pub mod activation;
pub mod backend;
pub mod critical;
pub mod curvature;
pub mod error;
pub mod hessian;
pub mod lanczos;
pub mod noise;
pub mod optim;
pub mod params;
pub mod scan;
pub mod schedule;
pub mod tasks;
pub mod train;

pub use backend::{Backend, Precision, device};
pub use burn::tensor::Device;
pub use error::{Error, Result};
pub use optim::TemplateOptimizer;
pub use schedule::{Lr, Momentum, Schedule};
pub use tasks::Task;
pub use train::{Config, Interpolation, Keep, Outcome, Record, Stop};
