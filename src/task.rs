//! `--task` of `train` and `curvature`: which network task (nn::tasks), generated from which
//! seed, and its size before it is built (for the resource estimates).

use nn::tasks::{DiabetesConfig, MatrixSensingConfig, Size, TeacherStudentConfig};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskArg {
    #[value(name = "matrix_sensing", alias = "matrix-sensing")]
    /// X* = U*U*^T (d = 8, rank 1), model UU^T with r' = 3, n = 16 Gaussian measurements.
    MatrixSensing,
    #[value(name = "teacher_student", alias = "teacher-student")]
    /// A 4-3-1 tanh teacher, a 4-12-1 student, 24 train rows.
    TeacherStudent,
    /// The diabetes data set (linfa-datasets), a 10-64-1 MLP.
    Diabetes,
}

/// `--task` and `--task-seed`: which network task, generated from which seed (`train` and
/// `curvature`).
#[derive(clap::Args)]
pub struct TaskChoice {
    #[arg(long, value_enum)]
    pub task: TaskArg,
    /// The seed of the task's data and initial model.
    #[arg(long, default_value_t = 0)]
    pub task_seed: u64,
}

impl TaskArg {
    /// The size of the task's default configuration (nn::tasks, one definition).
    pub fn size(self) -> Size {
        match self {
            TaskArg::MatrixSensing => MatrixSensingConfig::default().size(),
            TaskArg::TeacherStudent => TeacherStudentConfig::default().size(),
            TaskArg::Diabetes => DiabetesConfig::default().size(),
        }
    }
}
