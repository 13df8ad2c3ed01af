//! Teacher–student regression (docs/theory.md §8, paper 3 of §1).
//!
//! ```text
//!     inputs    x_i ~ N(0, I_p), independent, n train and n_test test rows
//!     labels    y_i = f_teacher(x_i), a fixed random tanh MLP p -> h_t -> 1
//!     model     f_student, a tanh MLP p -> h_s -> 1 with h_s > h_t (over-parametrised)
//!     loss      L_S(w) = 1/(2B) sum_{i in S} (f_student(x_i) - y_i)^2
//! ```
//!
//! Teacher and student weights are N(0, 1/fan_in) ([`MlpWeights::random`]); the teacher's biases
//! are N(0, teacher_bias_std^2), the student's start at N(0, init_bias_std^2). The teacher's last
//! layer is then shifted and scaled so that its labels over all drawn rows have mean 0 and
//! variance 1 (so eps is relative to the labels' scale). The implicit regulariser is the
//! Gauss–Newton trace of the noise-free full train loss (exact; tr(∇²L) at interpolation,
//! [`MlpRegression`]); the test error is the relative test MSE (1 - R^2,
//! [`super::relative_test_mse`]).

use super::mlp::{MlpRegression, MlpWeights};
use super::{Data, Split, Stream, gaussian, rng};
use crate::error::{Error, Result};
use serde::Serialize;

/// The parameters of a teacher–student task.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeacherStudentConfig {
    /// p.
    pub inputs: usize,
    /// h_t.
    pub teacher_hidden: usize,
    /// h_s.
    pub student_hidden: usize,
    /// n.
    pub train: usize,
    pub test: usize,
    pub teacher_bias_std: f64,
    pub init_bias_std: f64,
    pub seed: u64,
}

impl TeacherStudentConfig {
    /// The task's size: the inputs-hidden-1 student on the train rows.
    pub fn size(&self) -> super::Size {
        super::Size::mlp(vec![self.inputs, self.student_hidden, 1], self.train)
    }
}

impl Default for TeacherStudentConfig {
    /// p = 4, h_t = 3, h_s = 12, n = 24 (< 73 student parameters), 500 test rows.
    fn default() -> Self {
        TeacherStudentConfig {
            inputs: 4,
            teacher_hidden: 3,
            student_hidden: 12,
            train: 24,
            test: 500,
            teacher_bias_std: 0.5,
            init_bias_std: 0.0,
            seed: 0,
        }
    }
}

/// A teacher–student task. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct TeacherStudent {
    config: TeacherStudentConfig,
    teacher: MlpWeights,
    data: Data,
}

impl TeacherStudent {
    /// Draws the teacher (data stream: teacher first, then train and test inputs).
    pub fn new(config: TeacherStudentConfig) -> Result<Self> {
        let c = &config;
        if c.inputs == 0 || c.teacher_hidden == 0 || c.student_hidden == 0 || c.train < 2 {
            return Err(Error::Invalid(format!(
                "teacher-student needs positive widths and >= 2 train rows, got p = {}, h_t = {}, h_s = {}, n = {}",
                c.inputs, c.teacher_hidden, c.student_hidden, c.train
            )));
        }
        let mut rng = rng(c.seed, Stream::Data);
        let mut teacher = MlpWeights::random(&[c.inputs, c.teacher_hidden, 1], c.teacher_bias_std, &mut rng);
        let x_train = gaussian(&mut rng, c.train * c.inputs);
        let x_test = gaussian(&mut rng, c.test * c.inputs);
        let label =
            |t: &MlpWeights, x: &[f64]| -> Vec<f64> { x.chunks(c.inputs).map(|row| t.forward(row)[0]).collect() };
        let all: Vec<f64> = label(&teacher, &x_train).into_iter().chain(label(&teacher, &x_test)).collect();
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let std = (all.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / all.len() as f64).sqrt();
        teacher.layers.last_mut().expect("two layers").bias[0] -= mean;
        teacher.scale_output(1.0 / std);
        let (y_train, y_test) = (label(&teacher, &x_train), label(&teacher, &x_test));
        let data = Data {
            train: Split::new(x_train, y_train, c.train, c.inputs)?,
            test: Split::new(x_test, y_test, c.test, c.inputs)?,
        };
        Ok(TeacherStudent { config, teacher, data })
    }

    /// The teacher's weights (after standardisation).
    pub fn teacher(&self) -> &MlpWeights {
        &self.teacher
    }

    /// The student's initial weights (init stream of the seed).
    pub fn student_weights(&self) -> MlpWeights {
        let c = &self.config;
        MlpWeights::random(&[c.inputs, c.student_hidden, 1], c.init_bias_std, &mut rng(c.seed, Stream::Init))
    }
}

impl MlpRegression for TeacherStudent {
    const NAME: &'static str = "teacher_student";
    type Settings = TeacherStudentConfig;

    fn settings(&self) -> &TeacherStudentConfig {
        &self.config
    }

    fn dataset(&self) -> &Data {
        &self.data
    }

    fn initial_weights(&self) -> MlpWeights {
        self.student_weights()
    }
}
