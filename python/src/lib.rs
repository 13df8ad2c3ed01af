//! Python bindings (PyO3, rust-numpy) of the `theory` and `sim` crates: the module `momlab._core`,
//! which the pure-Python package `momlab` re-exports (docs/python.md).
//!
//! Every number comes from the same functions the `momlab` CLI calls, so the results are equal
//! bit for bit. Errors are the CLI's one-line messages, raised as `ValueError`; every long
//! computation runs with the interpreter detached (the GIL released).

use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use sim::{EnsembleConfig, FiniteSumProblem, GaussianRegression, Problem, Sampler, ensemble};
use theory::finite_sum::{FiniteSum, Sampling, isotropic_start};
use theory::phase::grid;
use theory::system::{SystemKind, SystemSource};
use theory::{Assessment, Family, GaussianDynamics, Moments, Objective, PhaseOptions, Predictions, Target};

/// A theory error as Python's `ValueError`, with the message the CLI prints after `error: `.
fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// `Ok` unless `condition` fails, in which case a `ValueError` with `message`.
fn ensure(condition: bool, message: impl FnOnce() -> String) -> PyResult<()> {
    if condition { Ok(()) } else { Err(PyValueError::new_err(message())) }
}

/// A serde value (what the CLI prints as JSON) as Python objects: numbers stay exact (f64 or int).
fn to_py<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into_pyobject(py)?.into_any(),
            (None, Some(i)) => i.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// Any serializable theory value as a Python dict (or list, number).
fn serialize<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &serde_json::to_value(value).map_err(value_error)?)
}

/// A batch size: an integer >= 1, or `math.inf` for the full-batch (deterministic) method — the
/// CLI's `--batch` grammar, with its message.
fn batch_size(value: &Bound<'_, PyAny>) -> PyResult<f64> {
    let bad = || PyValueError::new_err(format!("batch size must be an integer >= 1 or 'inf', got '{value}'"));
    if let Ok(b) = value.extract::<i64>() {
        return if b >= 1 { Ok(b as f64) } else { Err(bad()) };
    }
    let b: f64 = value.extract().map_err(|_| bad())?;
    if b == f64::INFINITY || (b >= 1.0 && b.fract() == 0.0 && b < 2f64.powi(53)) { Ok(b) } else { Err(bad()) }
}

/// A finite batch size (simulations, phase diagrams).
fn finite_batch(value: &Bound<'_, PyAny>, message: &str) -> PyResult<f64> {
    let b = batch_size(value)?;
    ensure(b.is_finite(), || message.to_string())?;
    Ok(b)
}

/// eps and the step budget of T(eps), checked as the CLI checks `--target` and `--max-steps`.
fn target(eps: f64, max_steps: i64) -> PyResult<Target> {
    ensure(eps > 0.0 && eps < 1.0, || format!("target must be in (0, 1), got {eps}"))?;
    ensure(max_steps >= 1, || "max_steps must be >= 1".to_string())?;
    Ok(Target { eps, max_steps: max_steps as usize })
}

/// `objective="rate"|"target"`.
fn objective(name: &str) -> PyResult<Objective> {
    match name {
        "rate" => Ok(Objective::Rate),
        "target" => Ok(Objective::Target),
        other => Err(PyValueError::new_err(format!("unknown objective '{other}' (known: rate, target)"))),
    }
}

/// A method family by name (`"sgd"`, `"hb"`, ...), with the CLI's message for an unknown one.
fn family(name: &str) -> PyResult<Family> {
    name.parse().map_err(value_error)
}

/// The most steps a curve held in memory may have (800 MB of f64): a larger request fails with a
/// `ValueError` instead of an allocation failure, which would abort the interpreter.
const MAX_CURVE_STEPS: i64 = 100_000_000;

/// A step count in 1..=MAX_CURVE_STEPS.
fn steps(value: i64) -> PyResult<usize> {
    ensure((1..=MAX_CURVE_STEPS).contains(&value), || format!("steps must be in 1..={MAX_CURVE_STEPS}, got {value}"))?;
    Ok(value as usize)
}

/// The eigenvalues of a Hessian, sorted largest first, all > 0 (exact zeros are dropped and
/// counted): from a 1-D array of numbers or a specification string such as
/// `"power:d=1000,a=1"` (the CLI's `--spectrum` grammar).
#[pyclass(frozen, module = "momlab", name = "Spectrum")]
struct PySpectrum {
    inner: theory::Spectrum,
}

#[pymethods]
impl PySpectrum {
    /// `Spectrum(values)`: `values` is a specification string or a 1-D array of eigenvalues
    /// (float64 arrays are read in place and copied once; other array-likes are converted first).
    #[new]
    fn new(py: Python<'_>, values: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(spec) = values.cast::<PyString>() {
            let spec = spec.to_str()?.to_owned();
            let inner = py.detach(|| spec.parse::<theory::Spectrum>()).map_err(value_error)?;
            return Ok(PySpectrum { inner });
        }
        let array = match values.extract::<PyReadonlyArray1<'_, f64>>() {
            Ok(a) => a,
            Err(_) => {
                let converted = py.import("numpy")?.call_method1("asarray", (values, "float64"))?;
                ensure(converted.getattr("ndim")?.extract::<usize>()? == 1, || {
                    "eigenvalues must be a 1-D array or a specification string".to_string()
                })?;
                converted.extract::<PyReadonlyArray1<'_, f64>>()?
            }
        };
        // The one copy on the way in: numpy's buffer into the spectrum's own vector.
        let copy: Vec<f64> = match array.as_slice() {
            Ok(slice) => slice.to_vec(),
            Err(_) => array.as_array().iter().copied().collect(),
        };
        let inner = py.detach(|| theory::Spectrum::new(copy)).map_err(value_error)?;
        Ok(PySpectrum { inner })
    }

    /// The eigenvalues, largest first, as a new float64 array.
    #[getter]
    fn eigenvalues<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, self.inner.eigenvalues())
    }

    /// Number of (positive) eigenvalues.
    #[getter]
    fn d(&self) -> usize {
        self.inner.d()
    }

    /// `momlab spectrum --json`: d, lambda_max (L), lambda_min (mu), trace, kappa, b_sgd = tr/L,
    /// b_hb = tr/sqrt(L mu), dropped_zeros.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serialize(py, &self.inner.summary())
    }

    fn __len__(&self) -> usize {
        self.inner.d()
    }

    fn __repr__(&self) -> String {
        let s = self.inner.summary();
        format!("Spectrum(d={}, L={}, mu={}, tr={})", s.d, s.lambda_max, s.lambda_min, s.trace)
    }
}

/// A method with its hyperparameters: the triple (M, c, a) of the method template
/// (docs/theory.md §3). Built by `sgd`, `hb`, `nag`, `asgd`, `sp`, a rule or `tune`.
#[pyclass(frozen, module = "momlab", name = "Method", eq)]
#[derive(PartialEq)]
struct PyMethod {
    inner: theory::Method,
}

#[pymethods]
impl PyMethod {
    /// The family: "sgd", "hb", "nag", "asgd" or "sp".
    #[getter]
    fn family(&self) -> &'static str {
        self.inner.family().name()
    }

    /// The classical learning rate.
    #[getter]
    fn lr(&self) -> f64 {
        self.inner.lr()
    }

    /// The classical momentum of heavy ball and Nesterov; None for the others.
    #[getter]
    fn momentum(&self) -> Option<f64> {
        self.inner.momentum()
    }

    /// Every hyperparameter by name, as `momlab predict --json` prints `parameters`.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serialize(py, &self.inner)
    }

    /// The template as arrays: `m` (2x2), `c` (2), `a` (2); z' = M z - c g(a . z).
    fn template<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = self.inner.template();
        let dict = PyDict::new(py);
        dict.set_item("m", PyArray2::from_vec2(py, &[t.m[0].to_vec(), t.m[1].to_vec()]).map_err(value_error)?)?;
        dict.set_item("c", PyArray1::from_slice(py, &t.c))?;
        dict.set_item("a", PyArray1::from_slice(py, &t.a))?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        match self.inner {
            theory::Method::Sgd { lr } => format!("sgd(lr={lr:?})"),
            theory::Method::Hb { lr, momentum } => format!("hb(lr={lr:?}, momentum={momentum:?})"),
            theory::Method::Nag { lr, momentum } => format!("nag(lr={lr:?}, momentum={momentum:?})"),
            theory::Method::Asgd { lr, long_step, xi } => {
                format!("asgd(lr={lr:?}, long_step={long_step:?}, xi={xi:?})")
            }
            theory::Method::Sp { lr, alpha, beta, gamma } => {
                format!("sp(lr={lr:?}, alpha={alpha:?}, beta={beta:?}, gamma={gamma:?})")
            }
        }
    }
}

/// A validated method object.
fn method(inner: theory::Method) -> PyResult<PyMethod> {
    Ok(PyMethod { inner: inner.validated().map_err(value_error)? })
}

/// Mini-batch SGD with learning rate `lr`.
#[pyfunction]
fn sgd(lr: f64) -> PyResult<PyMethod> {
    method(theory::Method::Sgd { lr })
}

/// Heavy ball: x' = x - lr g(x) + momentum (x - x_prev), momentum in [0, 1).
#[pyfunction]
fn hb(lr: f64, momentum: f64) -> PyResult<PyMethod> {
    method(theory::Method::Hb { lr, momentum })
}

/// Nesterov: heavy ball with the gradient at x + momentum (x - x_prev).
#[pyfunction]
fn nag(lr: f64, momentum: f64) -> PyResult<PyMethod> {
    method(theory::Method::Nag { lr, momentum })
}

/// Kidambi et al.'s ASGD with learning rate `lr`, long step kappa_l and statistical advantage xi.
#[pyfunction]
fn asgd(lr: f64, long_step: f64, xi: f64) -> PyResult<PyMethod> {
    method(theory::Method::Asgd { lr, long_step, xi })
}

/// Accelerated sketch-and-project with step `lr` and (alpha, beta, gamma).
#[pyfunction]
fn sp(lr: f64, alpha: f64, beta: f64, gamma: f64) -> PyResult<PyMethod> {
    method(theory::Method::Sp { lr, alpha, beta, gamma })
}

/// A closed-form rule of docs/theory.md §5 (`A`, `B`, `sp`, `harmonic`): a method for each
/// (spectrum, batch). Pass it wherever a method is expected; it picks its method at that batch.
#[pyclass(frozen, module = "momlab", name = "Rule")]
struct PyRule {
    inner: &'static theory::rules::Rule,
}

#[pymethods]
impl PyRule {
    /// The rule's name, as `momlab predict --rule NAME` takes it.
    #[getter]
    fn name(&self) -> &'static str {
        self.inner.name
    }

    /// The formula, one line.
    #[getter]
    fn formula(&self) -> &'static str {
        self.inner.formula
    }

    /// The method this rule picks on `spectrum` at batch size `batch`.
    fn method(&self, spectrum: &PySpectrum, batch: &Bound<'_, PyAny>) -> PyResult<PyMethod> {
        let batch = batch_size(batch)?;
        Ok(PyMethod { inner: self.inner.method(&Predictions::new(&spectrum.inner, batch)) })
    }

    fn __repr__(&self) -> String {
        format!("rule('{}')", self.inner.name)
    }
}

/// The closed-form rule called `name` (ValueError for the adaptive rule, which re-picks its
/// parameters during a run: C7 measures it).
#[pyfunction]
fn rule(name: &str) -> PyResult<PyRule> {
    Ok(PyRule { inner: theory::rules::closed_form(name).map_err(value_error)? })
}

/// Every closed-form rule, in the order the claims report them.
#[pyfunction]
fn rules() -> Vec<PyRule> {
    theory::rules::RULES.iter().filter(|r| r.fixed().is_some()).map(|inner| PyRule { inner }).collect()
}

/// The method an argument names: a `Method`, or a `Rule` evaluated at (spectrum, batch).
fn resolve(value: &Bound<'_, PyAny>, spectrum: &theory::Spectrum, batch: f64) -> PyResult<theory::Method> {
    if let Ok(m) = value.cast::<PyMethod>() {
        return Ok(m.get().inner);
    }
    if let Ok(r) = value.cast::<PyRule>() {
        return Ok(r.get().inner.method(&Predictions::new(spectrum, batch)));
    }
    Err(PyValueError::new_err(format!(
        "expected a method (sgd(...), hb(...), nag(...), asgd(...), sp(...)) or a rule, got {}",
        value.get_type().name()?
    )))
}

/// The spectrum an argument names: a `Spectrum`, or anything `Spectrum(...)` accepts.
fn spectrum_of(value: &Bound<'_, PyAny>) -> PyResult<Py<PySpectrum>> {
    match value.cast::<PySpectrum>() {
        Ok(s) => Ok(s.clone().unbind()),
        Err(_) => Py::new(value.py(), PySpectrum::new(value.py(), value)?),
    }
}

/// Every closed form of docs/theory.md §5 at batch size `batch` (`momlab predict`'s `predicted`).
#[pyfunction]
fn predictions<'py>(
    py: Python<'py>,
    spectrum: &Bound<'py, PyAny>,
    batch: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let spectrum = spectrum_of(spectrum)?;
    serialize(py, &Predictions::new(&spectrum.get().inner, batch_size(batch)?))
}

/// E[loss_t] for t = 0..=steps from the initial error N(0, I/d): the exact recursion of
/// docs/theory.md §4 (`momlab simulate`'s `theory` column). Shorter once the loss diverges.
#[pyfunction]
fn loss_curve<'py>(
    py: Python<'py>,
    spectrum: &Bound<'py, PyAny>,
    method: &Bound<'py, PyAny>,
    batch: &Bound<'py, PyAny>,
    steps: i64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let spectrum = spectrum_of(spectrum)?;
    let s = &spectrum.get().inner;
    let batch = batch_size(batch)?;
    let method = resolve(method, s, batch)?;
    let steps = self::steps(steps)?;
    let curve = py.detach(|| GaussianDynamics::new(s, &method, batch).loss_curve(Moments::isotropic(s.d()), steps));
    Ok(PyArray1::from_vec(py, curve))
}

/// The asymptotic per-step contraction rho of E[loss] (the secular equation, docs/theory.md §4);
/// rho >= 1 means E[loss] does not converge.
#[pyfunction]
fn rate(
    py: Python<'_>,
    spectrum: &Bound<'_, PyAny>,
    method: &Bound<'_, PyAny>,
    batch: &Bound<'_, PyAny>,
) -> PyResult<f64> {
    let spectrum = spectrum_of(spectrum)?;
    let s = &spectrum.get().inner;
    let batch = batch_size(batch)?;
    let method = resolve(method, s, batch)?;
    Ok(py.detach(|| theory::rate(s, &method, batch).rho))
}

/// The assessment `momlab predict --json` prints: rate, diverged, efold, iterations_asymptotic,
/// iterations_to_target.
fn assessment(
    py: Python<'_>,
    spectrum: &Bound<'_, PyAny>,
    method: &Bound<'_, PyAny>,
    batch: &Bound<'_, PyAny>,
    eps: f64,
    max_steps: i64,
) -> PyResult<Assessment> {
    let spectrum = spectrum_of(spectrum)?;
    let s = &spectrum.get().inner;
    let batch = batch_size(batch)?;
    let method = resolve(method, s, batch)?;
    let target = target(eps, max_steps)?;
    Ok(py.detach(|| Assessment::new(s, &method, batch, target, true)))
}

/// T(eps): the first step t <= max_steps at which the exact E[loss_t] <= target E[loss_0], from
/// N(0, I/d); None if not reached (or the method diverges).
#[pyfunction]
#[pyo3(signature = (spectrum, method, batch, target=1e-4, max_steps=1_000_000))]
fn iterations_to(
    py: Python<'_>,
    spectrum: &Bound<'_, PyAny>,
    method: &Bound<'_, PyAny>,
    batch: &Bound<'_, PyAny>,
    target: f64,
    max_steps: i64,
) -> PyResult<Option<usize>> {
    Ok(assessment(py, spectrum, method, batch, target, max_steps)?.iterations_to_target)
}

/// Rate and both iteration counts of one configuration, as `momlab predict --json` prints them:
/// rate, diverged, efold, iterations_asymptotic (ln(1/target)·efold), iterations_to_target.
#[pyfunction]
#[pyo3(signature = (spectrum, method, batch, target=1e-4, max_steps=1_000_000))]
fn assess<'py>(
    py: Python<'py>,
    spectrum: &Bound<'py, PyAny>,
    method: &Bound<'py, PyAny>,
    batch: &Bound<'py, PyAny>,
    target: f64,
    max_steps: i64,
) -> PyResult<Bound<'py, PyAny>> {
    serialize(py, &assessment(py, spectrum, method, batch, target, max_steps)?)
}

/// One tuned point: the method, its assessment and the evaluations spent (`predict --tune`).
fn tune_one(
    py: Python<'_>,
    s: &theory::Spectrum,
    family: Family,
    batch: f64,
    objective: Objective,
    target: Target,
) -> PyResult<(theory::Method, Assessment, usize)> {
    py.detach(|| {
        let tuned = theory::tune(s, family, batch, objective, target)?;
        Ok((tuned.method, Assessment::new(s, &tuned.method, batch, target, true), tuned.evaluations))
    })
    .map_err(|e: theory::Error| value_error(e))
}

/// Tunes `family` at one batch size (`momlab predict --tune`); returns the method and its
/// assessment as a dict of scalars. The Python wrapper `momlab.tune` also takes arrays of batches.
#[pyfunction]
#[pyo3(signature = (spectrum, family, batch, objective="target", target=1e-4, max_steps=1_000_000))]
fn tune<'py>(
    py: Python<'py>,
    spectrum: &Bound<'py, PyAny>,
    family: &str,
    batch: &Bound<'py, PyAny>,
    objective: &str,
    target: f64,
    max_steps: i64,
) -> PyResult<Bound<'py, PyDict>> {
    let spectrum = spectrum_of(spectrum)?;
    let s = &spectrum.get().inner;
    let (family, batch) = (self::family(family)?, batch_size(batch)?);
    let (objective, target) = (self::objective(objective)?, self::target(target, max_steps)?);
    let (method, assessment, evaluations) = tune_one(py, s, family, batch, objective, target)?;
    let dict = serialize(py, &assessment)?.cast_into::<PyDict>()?;
    dict.set_item("method", PyMethod { inner: method })?;
    dict.set_item("batch", batch)?;
    dict.set_item("evaluations", evaluations)?;
    Ok(dict)
}

/// The phase diagram (`momlab phase --json`): every (family, batch) tuned, families in parallel,
/// batches in order with warm starts. Returns (columns, methods, meta): columns as NumPy arrays
/// named like the CLI's CSV (None as NaN), the tuned `Method` of each row, and the scalars
/// (saturation batch per family, predicted b_sgd and b_hb, the spectrum's summary).
#[pyfunction]
#[pyo3(signature = (spectrum, methods, batches, objective="rate", target=1e-4, max_steps=1_000_000, exact=true))]
#[allow(clippy::too_many_arguments)]
fn phase<'py>(
    py: Python<'py>,
    spectrum: &Bound<'py, PyAny>,
    methods: Vec<String>,
    batches: Vec<Bound<'py, PyAny>>,
    objective: &str,
    target: f64,
    max_steps: i64,
    exact: bool,
) -> PyResult<(Bound<'py, PyDict>, Vec<PyMethod>, Bound<'py, PyDict>)> {
    let spectrum = spectrum_of(spectrum)?;
    let s = &spectrum.get().inner;
    let families = methods.iter().map(|m| family(m)).collect::<PyResult<Vec<_>>>()?;
    let batches = batches
        .iter()
        .map(|b| finite_batch(b, "batches must be finite (B T(B) is the compute)"))
        .collect::<PyResult<Vec<_>>>()?;
    let options =
        PhaseOptions { objective: self::objective(objective)?, target: self::target(target, max_steps)?, exact };
    grid(&families, &batches).map_err(value_error)?;
    let diagram = py.detach(|| theory::phase(s, &families, &batches, options)).map_err(value_error)?;
    let rows = &diagram.rows;
    let column = |f: &dyn Fn(&theory::PhaseRow) -> Option<f64>| {
        PyArray1::from_vec(py, rows.iter().map(|r| f(r).unwrap_or(f64::NAN)).collect())
    };
    let param = |name: &'static str| {
        move |r: &theory::PhaseRow| match (r.method, name) {
            (theory::Method::Asgd { long_step, .. }, "long_step") => Some(long_step),
            (theory::Method::Asgd { xi, .. }, "xi") => Some(xi),
            _ => None,
        }
    };
    let columns = PyDict::new(py);
    columns.set_item("method", rows.iter().map(|r| r.family.name()).collect::<Vec<_>>())?;
    columns.set_item("batch", column(&|r| Some(r.batch)))?;
    columns.set_item("lr", column(&|r| Some(r.method.lr())))?;
    columns.set_item("momentum", column(&|r| r.method.momentum()))?;
    columns.set_item("long_step", column(&param("long_step")))?;
    columns.set_item("xi", column(&param("xi")))?;
    columns.set_item("rate", column(&|r| Some(r.assessment.rate)))?;
    columns.set_item("efold", column(&|r| r.assessment.efold))?;
    columns.set_item("iterations", column(&|r| r.iterations))?;
    columns.set_item("iterations_asymptotic", column(&|r| r.assessment.iterations_asymptotic))?;
    columns.set_item("iterations_to_target", column(&|r| r.assessment.iterations_to_target.map(|t| t as f64)))?;
    columns.set_item("compute", column(&|r| r.compute))?;
    columns.set_item("ce", column(&|r| r.compute.map(|c| 1.0 / c)))?;
    let methods = rows.iter().map(|r| PyMethod { inner: r.method }).collect();
    let summary = s.summary();
    let meta = PyDict::new(py);
    let saturation = PyDict::new(py);
    for sat in &diagram.saturation {
        saturation.set_item(sat.family.name(), sat.batch)?;
    }
    meta.set_item("saturation", saturation)?;
    let predicted = PyDict::new(py);
    predicted.set_item("b_sgd", summary.b_sgd)?;
    predicted.set_item("b_hb", summary.b_hb)?;
    meta.set_item("predicted", predicted)?;
    meta.set_item("objective", serialize(py, &options.objective)?)?;
    meta.set_item("target", serialize(py, &options.target)?)?;
    meta.set_item("spectrum", serialize(py, &summary)?)?;
    Ok((columns, methods, meta))
}

/// A finite-sum problem (randomized Kaczmarz or coordinate descent) on a system A, as
/// `momlab simulate --problem kaczmarz|cd` runs it. Built by `kaczmarz(...)` or
/// `coordinate_descent(...)`.
#[pyclass(frozen, module = "momlab", name = "FiniteSumProblem")]
struct PyFiniteSum {
    kind: SystemKind,
    sum: FiniteSum,
    sampling: Sampling,
}

#[pymethods]
impl PyFiniteSum {
    /// "kaczmarz" or "cd".
    #[getter]
    fn kind(&self) -> &'static str {
        match self.kind {
            SystemKind::Kaczmarz => "kaczmarz",
            SystemKind::CoordinateDescent => "cd",
        }
    }

    /// Dimension d.
    #[getter]
    fn d(&self) -> usize {
        self.sum.dim()
    }

    /// Number of atoms (rows of A for Kaczmarz, coordinates for coordinate descent).
    #[getter]
    fn atoms(&self) -> usize {
        self.sum.len()
    }

    /// The spectrum of H = E[H_hat], what predictions and rules see.
    fn spectrum(&self) -> PyResult<PySpectrum> {
        Ok(PySpectrum { inner: self.sum.spectrum().map_err(value_error)? })
    }

    fn __repr__(&self) -> String {
        format!("FiniteSumProblem(kind='{}', d={}, atoms={})", self.kind(), self.sum.dim(), self.sum.len())
    }
}

/// A finite sum of `kind` from a 2-D array A, a CSV path, or "gen[:n=N][,seed=S]" with `spectrum`
/// (the CLI's `--system` and `--spectrum`).
fn finite_sum(
    py: Python<'_>,
    kind: SystemKind,
    system: &Bound<'_, PyAny>,
    spectrum: Option<&Bound<'_, PyAny>>,
    sampling: &str,
) -> PyResult<PyFiniteSum> {
    let sampling = match sampling {
        "with" => Sampling::WithReplacement,
        "without" => Sampling::WithoutReplacement,
        other => return Err(PyValueError::new_err(format!("unknown sampling '{other}' (known: with, without)"))),
    };
    let spectrum = spectrum.map(spectrum_of).transpose()?;
    let spectrum = spectrum.as_ref().map(|s| &s.get().inner);
    let sum = if let Ok(spec) = system.cast::<PyString>() {
        let source: SystemSource = spec.to_str()?.parse().map_err(value_error)?;
        py.detach(|| source.finite_sum(kind, spectrum)).map_err(value_error)?
    } else {
        let converted = py.import("numpy")?.call_method1("asarray", (system, "float64"))?;
        ensure(converted.getattr("ndim")?.extract::<usize>()? == 2, || {
            "the system A must be a 2-D array, a CSV path or gen[:n=N][,seed=S]".to_string()
        })?;
        let a: PyReadonlyArray2<'_, f64> = converted.extract()?;
        let view = a.as_array();
        let matrix = nalgebra::DMatrix::from_fn(view.nrows(), view.ncols(), |i, j| view[(i, j)]);
        ensure(matrix.nrows() > 0 && matrix.ncols() > 0, || "the system A is empty".to_string())?;
        ensure(matrix.iter().all(|x| x.is_finite()), || "the system A has a non-finite entry".to_string())?;
        py.detach(|| match kind {
            SystemKind::Kaczmarz => FiniteSum::kaczmarz(&matrix),
            SystemKind::CoordinateDescent => {
                let sum = FiniteSum::coordinate_descent(&matrix)?;
                // The check `SystemSource::finite_sum` makes on a CSV system, with its message.
                let min = nalgebra::SymmetricEigen::new(matrix.clone()).eigenvalues.min();
                if min < -1e-12 * matrix.amax() * matrix.nrows() as f64 {
                    return Err(theory::Error::Invalid(format!(
                        "coordinate descent needs a positive semi-definite A; it has eigenvalue {min:e}"
                    )));
                }
                Ok(sum)
            }
        })
        .map_err(value_error)?
    };
    Ok(PyFiniteSum { kind, sum, sampling })
}

/// Randomized Kaczmarz on the rows of A (`sampling`: "with" or "without" replacement).
#[pyfunction]
#[pyo3(signature = (system, spectrum=None, sampling="with"))]
fn kaczmarz(
    py: Python<'_>,
    system: &Bound<'_, PyAny>,
    spectrum: Option<&Bound<'_, PyAny>>,
    sampling: &str,
) -> PyResult<PyFiniteSum> {
    finite_sum(py, SystemKind::Kaczmarz, system, spectrum, sampling)
}

/// Randomized coordinate descent on a symmetric positive semi-definite A.
#[pyfunction]
#[pyo3(signature = (system, spectrum=None, sampling="with"))]
fn coordinate_descent(
    py: Python<'_>,
    system: &Bound<'_, PyAny>,
    spectrum: Option<&Bound<'_, PyAny>>,
    sampling: &str,
) -> PyResult<PyFiniteSum> {
    finite_sum(py, SystemKind::CoordinateDescent, system, spectrum, sampling)
}

/// Monte-Carlo runs beside the exact theory, as `momlab simulate --json` computes them. `problem`
/// is a Spectrum (or spec string: Gaussian streaming regression, drawn by `sampler`) or a
/// FiniteSumProblem. Returns (columns, meta): per-checkpoint arrays step, alive, mean, se, q10,
/// q50, q90, theory, and the summary scalars.
#[pyfunction]
#[pyo3(signature = (problem, method, batch, steps, runs=1000, seed=0, checkpoints=51, target=1e-4, sampler="chi2"))]
#[allow(clippy::too_many_arguments)]
fn simulate<'py>(
    py: Python<'py>,
    problem: &Bound<'py, PyAny>,
    method: &Bound<'py, PyAny>,
    batch: &Bound<'py, PyAny>,
    steps: i64,
    runs: i64,
    seed: u64,
    checkpoints: i64,
    target: f64,
    sampler: &str,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let batch = finite_batch(batch, "simulate needs a finite batch")?;
    ensure(steps >= 1 && runs >= 2 && checkpoints >= 2, || {
        "simulate needs steps >= 1, runs >= 2 and checkpoints >= 2".to_string()
    })?;
    let steps = self::steps(steps)?;
    ensure(target > 0.0 && target < 1.0, || format!("target must be in (0, 1), got {target}"))?;
    let batch_n = batch as usize;
    let finite = problem.cast::<PyFiniteSum>().ok().cloned();
    // The problem, the method, the exact curve and rate, and the problem's name.
    let (sim_problem, method, curve, theory_rate, name): (Box<dyn Problem>, _, Vec<f64>, f64, &str) = match &finite {
        Some(p) => {
            let p = p.get();
            ensure(sampler == "chi2", || "sampler applies to Gaussian problems; finite sums take sampling".into())?;
            let method =
                resolve(method, &p.sum.spectrum().map_err(value_error)?, batch)?.validated().map_err(value_error)?;
            let (curve, rho) = py
                .detach(|| {
                    let curve = p.sum.loss_curve(&method, batch_n, p.sampling, &isotropic_start(p.sum.dim()), steps)?;
                    Ok((curve, p.sum.rate(&method, batch_n, p.sampling)?))
                })
                .map_err(|e: theory::Error| value_error(e))?;
            let problem = FiniteSumProblem::new(p.sum.clone(), batch_n, p.sampling).map_err(value_error)?;
            (Box::new(problem), method, curve, rho, p.kind())
        }
        None => {
            let spectrum = spectrum_of(problem)?;
            let s = &spectrum.get().inner;
            let sampler: Sampler = sampler.parse().map_err(PyValueError::new_err)?;
            let method = resolve(method, s, batch)?.validated().map_err(value_error)?;
            let (curve, rho) = py.detach(|| {
                let curve = GaussianDynamics::new(s, &method, batch).loss_curve(Moments::isotropic(s.d()), steps);
                (curve, theory::rate(s, &method, batch).rho)
            });
            (
                Box::new(GaussianRegression::new(s, batch_n, sampler).map_err(value_error)?),
                method,
                curve,
                rho,
                "gaussian",
            )
        }
    };
    let config = EnsembleConfig {
        runs: runs as usize,
        steps,
        checkpoints: EnsembleConfig::even_checkpoints(steps, checkpoints as usize),
        seed,
        eps: target,
    };
    let problem_ref: &dyn Problem = sim_problem.as_ref();
    let e = py.detach(|| ensemble(problem_ref, &method, &config));
    // The summary of `momlab simulate --json`, computed as the CLI computes it.
    let theory_at = |step: usize| sim::curve_at(&curve, step);
    let compared = e.against(&curve);
    let cps = &e.checkpoints;
    let float = |f: &dyn Fn(&sim::Checkpoint) -> f64| PyArray1::from_vec(py, cps.iter().map(f).collect());
    let columns = PyDict::new(py);
    columns.set_item("step", PyArray1::from_vec(py, cps.iter().map(|c| c.step as i64).collect()))?;
    columns.set_item("alive", PyArray1::from_vec(py, cps.iter().map(|c| c.alive as i64).collect()))?;
    columns.set_item("mean", float(&|c| c.mean))?;
    columns.set_item("se", float(&|c| c.se))?;
    columns.set_item("q10", float(&|c| c.q10))?;
    columns.set_item("q50", float(&|c| c.q50))?;
    columns.set_item("q90", float(&|c| c.q90))?;
    columns.set_item("theory", float(&|c| theory_at(c.step)))?;
    let meta = PyDict::new(py);
    meta.set_item("problem", name)?;
    meta.set_item("d", sim_problem.dim())?;
    meta.set_item("atoms", finite.as_ref().map(|p| p.get().sum.len()))?;
    meta.set_item("method", PyMethod { inner: method })?;
    meta.set_item("batch", batch_n)?;
    meta.set_item("runs", runs)?;
    meta.set_item("steps", steps)?;
    meta.set_item("seed", seed)?;
    meta.set_item("empirical_rate", compared.fit.map(|f| f.rate))?;
    meta.set_item("rate_ci", compared.fit.map(|f| (f.ci[0], f.ci[1])))?;
    meta.set_item("theory_rate", theory_rate)?;
    meta.set_item("theory_window_rate", compared.theory_window_rate)?;
    meta.set_item("mean_loss_final", compared.last.map(|l| l.0))?;
    meta.set_item("se_loss_final", compared.last.map(|l| l.1))?;
    meta.set_item("theory_loss_final", theory_at(steps))?;
    meta.set_item("diverged_runs", e.diverged_runs)?;
    meta.set_item("reached_target", compared.reached_target)?;
    meta.set_item("mean_iterations_to_target", compared.mean_iterations_to_target)?;
    Ok((columns, meta))
}

/// The compiled core of the `momlab` package.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySpectrum>()?;
    m.add_class::<PyMethod>()?;
    m.add_class::<PyRule>()?;
    m.add_class::<PyFiniteSum>()?;
    m.add_function(wrap_pyfunction!(sgd, m)?)?;
    m.add_function(wrap_pyfunction!(hb, m)?)?;
    m.add_function(wrap_pyfunction!(nag, m)?)?;
    m.add_function(wrap_pyfunction!(asgd, m)?)?;
    m.add_function(wrap_pyfunction!(sp, m)?)?;
    m.add_function(wrap_pyfunction!(rule, m)?)?;
    m.add_function(wrap_pyfunction!(rules, m)?)?;
    m.add_function(wrap_pyfunction!(predictions, m)?)?;
    m.add_function(wrap_pyfunction!(loss_curve, m)?)?;
    m.add_function(wrap_pyfunction!(rate, m)?)?;
    m.add_function(wrap_pyfunction!(iterations_to, m)?)?;
    m.add_function(wrap_pyfunction!(assess, m)?)?;
    m.add_function(wrap_pyfunction!(tune, m)?)?;
    m.add_function(wrap_pyfunction!(phase, m)?)?;
    m.add_function(wrap_pyfunction!(kaczmarz, m)?)?;
    m.add_function(wrap_pyfunction!(coordinate_descent, m)?)?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    Ok(())
}
