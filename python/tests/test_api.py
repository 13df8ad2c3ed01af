"""Every function of the bindings on good input, and bad input raising ValueError with the CLI's
one-line message."""

import math
import threading
import time

import numpy as np
import pytest

import momlab

SPEC = "power:d=100,a=1"


# --- Spectrum -------------------------------------------------------------------------------


def test_spectrum_from_array_sorts_and_drops_zeros():
    s = momlab.Spectrum(np.array([0.5, 0.0, 2.0, 1.0]))
    assert s.eigenvalues.tolist() == [2.0, 1.0, 0.5]
    assert s.d == len(s) == 3
    summary = s.summary()
    assert summary == {
        "d": 3,
        "lambda_max": 2.0,
        "lambda_min": 0.5,
        "trace": 3.5,
        "kappa": 4.0,
        "b_sgd": 1.75,
        "b_hb": 3.5,
        "dropped_zeros": 1,
    }
    assert "d=3" in repr(s)


def test_spectrum_from_other_array_likes():
    expected = momlab.Spectrum(np.array([3.0, 1.0, 2.0])).eigenvalues
    assert np.array_equal(momlab.Spectrum([1, 2, 3]).eigenvalues, expected)  # list of ints
    assert np.array_equal(momlab.Spectrum(np.array([1, 2, 3], dtype=np.float32)).eigenvalues, expected)
    strided = np.array([1.0, -9.0, 2.0, -9.0, 3.0])[::2]  # not contiguous
    assert np.array_equal(momlab.Spectrum(strided).eigenvalues, expected)


def test_spectrum_owns_its_eigenvalues():
    values = np.array([1.0, 2.0])
    s = momlab.Spectrum(values)
    values[0] = 100.0
    out = s.eigenvalues
    out[0] = -1.0
    assert s.eigenvalues.tolist() == [2.0, 1.0]
    assert out.dtype == np.float64 and out.flags.owndata


def test_spectrum_from_spec_strings():
    s = momlab.Spectrum(SPEC)
    assert s.d == 100 and s.eigenvalues[0] == 1.0 and s.eigenvalues[-1] == 0.01
    assert momlab.Spectrum("uniform:d=3,lo=1,hi=3").eigenvalues.tolist() == [3.0, 2.0, 1.0]
    assert momlab.Spectrum("cluster:d=10,lo=0.1,hi=1,high=2").summary()["trace"] == pytest.approx(2.8)
    assert momlab.Spectrum("mp:d=10,n=40,seed=1").d == 10


@pytest.mark.parametrize(
    "values,message",
    [
        (np.array([]), "spectrum is empty"),
        (np.array([1.0, math.nan]), "eigenvalue #2 is NaN: eigenvalues must be finite and >= 0"),
        (np.array([1.0, -0.5]), "eigenvalue #2 is -0.5: eigenvalues must be finite and >= 0"),
        (np.array([math.inf]), "eigenvalue #1 is inf: eigenvalues must be finite and >= 0"),
        (np.array([0.0, 0.0]), "spectrum has no positive eigenvalue"),
        (np.ones((2, 2)), "eigenvalues must be a 1-D array or a specification string"),
        ("power:d=0,a=1", "dimension d must be >= 1"),
        ("gauss:d=3", "unknown spectrum family 'gauss' (known: power, uniform, cluster, mp, file, data)"),
        ("power:d=3,a=1,q=2", "spectrum 'power:d=3,a=1,q=2': unknown key 'q' (known: d, a, s)"),
    ],
)
def test_spectrum_bad_input(values, message):
    with pytest.raises(ValueError) as e:
        momlab.Spectrum(values)
    assert str(e.value) == message


def test_spectrum_errors_are_the_cli_messages(cli, tmp_path):
    path = tmp_path / "eig.txt"
    path.write_text("1\n-0.5\n")
    with pytest.raises(ValueError) as e:
        momlab.Spectrum(np.array([1.0, -0.5]))
    assert str(e.value) == cli.error("spectrum", "--spectrum", f"file:{path}")
    for spec in ["power:d=0,a=1", "gauss:d=3", "uniform:d=3,lo=2,hi=1", "cluster:d=4,lo=1,hi=2"]:
        with pytest.raises(ValueError) as e:
            momlab.Spectrum(spec)
        assert str(e.value) == cli.error("spectrum", "--spectrum", spec)


# --- methods and rules ----------------------------------------------------------------------


def test_method_constructors():
    m = momlab.hb(0.5, 0.9)
    assert (m.family, m.lr, m.momentum) == ("hb", 0.5, 0.9)
    assert m.params() == {"method": "hb", "lr": 0.5, "momentum": 0.9}
    assert repr(m) == "hb(lr=0.5, momentum=0.9)"
    assert m == momlab.hb(0.5, 0.9) and m != momlab.nag(0.5, 0.9)
    t = m.template()
    assert t["m"].tolist() == [[1.9, -0.9], [1.0, 0.0]] and t["c"].tolist() == [0.5, 0.0]
    assert t["a"].tolist() == [1.0, 0.0]
    assert momlab.nag(0.5, 0.9).template()["a"].tolist() == [1.9, -0.9]
    assert momlab.sgd(0.1).momentum is None and momlab.sgd(0.1).params() == {"method": "sgd", "lr": 0.1}
    assert momlab.asgd(0.5, 10, 2).params() == {"method": "asgd", "lr": 0.5, "long_step": 10.0, "xi": 2.0}
    assert momlab.sp(0.5, 0.3, 0.9, 2).family == "sp"
    assert repr(momlab.asgd(0.5, 10, 2)) == "asgd(lr=0.5, long_step=10.0, xi=2.0)"
    assert repr(momlab.sp(0.5, 0.3, 0.9, 2)) == "sp(lr=0.5, alpha=0.3, beta=0.9, gamma=2.0)"


@pytest.mark.parametrize(
    "make,cli_args",
    [
        (lambda: momlab.hb(0.1, 1.0), ["--method", "hb", "--lr", "0.1", "--momentum", "1"]),
        (lambda: momlab.nag(0.1, -0.1), ["--method", "nag", "--lr", "0.1", "--momentum", "-0.1"]),
        (lambda: momlab.sgd(0.0), ["--method", "sgd", "--lr", "0"]),
        (lambda: momlab.sgd(math.nan), None),
        (lambda: momlab.asgd(0.1, 1, 10), ["--method", "asgd", "--lr", "0.1", "--long-step", "1", "--xi", "10"]),
        (lambda: momlab.sp(0.1, 2, 0.5, 1), ["--method", "sp", "--lr", "0.1", "--alpha", "2", "--beta", "0.5", "--gamma", "1"]),
    ],
)
def test_method_bad_input(cli, make, cli_args):
    with pytest.raises(ValueError) as e:
        make()
    if cli_args is not None:
        assert str(e.value) == cli.error("predict", "--spectrum", SPEC, "--batch", "1", *cli_args)
    else:
        assert str(e.value) == "lr must be a finite number > 0, got NaN"


def test_rules():
    names = [r.name for r in momlab.rules()]
    assert names == ["A", "B", "sp", "harmonic"]
    # The adaptive rule re-picks its parameters during a run: no single method to give.
    with pytest.raises(ValueError, match="re-picks its parameters during a run"):
        momlab.rule("adaptive")
    r = momlab.rule("harmonic")
    assert r.name == "harmonic" and "harmonic mix" in r.formula and repr(r) == "rule('harmonic')"
    s = momlab.Spectrum(SPEC)
    m = r.method(s, 16)
    assert m.family == "hb" and 0 < m.momentum < 1
    assert momlab.rule("sp").method(s, math.inf).family == "sp"
    # A rule is accepted wherever a method is, evaluated at that batch size.
    assert momlab.rate(s, r, 16) == momlab.rate(s, m, 16)


def test_rule_bad_input(cli):
    with pytest.raises(ValueError) as e:
        momlab.rule("Z")
    assert str(e.value) == cli.error("predict", "--spectrum", SPEC, "--method", "hb", "--batch", "1", "--rule", "Z")
    with pytest.raises(ValueError, match="batch size must be an integer >= 1"):
        momlab.rule("A").method(momlab.Spectrum(SPEC), 0)


def test_predictions():
    p = momlab.predictions(SPEC, 16)
    assert p["batch"] == 16.0 and p["b_sgd"] == momlab.Spectrum(SPEC).summary()["b_sgd"]
    assert set(p["hb_rule_a"]) == {"lr", "momentum"}


# --- exact theory ---------------------------------------------------------------------------


def test_loss_curve_rate_iterations():
    s = momlab.Spectrum(SPEC)
    m = momlab.hb(0.5, 0.5)
    curve = momlab.loss_curve(s, m, 16, 400)
    assert curve.shape == (401,) and curve.dtype == np.float64
    assert curve[0] == pytest.approx(0.5 * s.summary()["trace"] / 100, rel=1e-15)
    assert not curve.flags.owndata  # handed over from Rust without a copy
    rho = momlab.rate(s, m, 16)
    assert 0 < rho < 1
    assert curve[400] / curve[399] == pytest.approx(rho, rel=1e-2)
    t = momlab.iterations_to(s, m, 16, target=1e-2)
    assert curve[t] <= 1e-2 * curve[0] < curve[t - 1]
    assert momlab.iterations_to(s, m, 16, target=1e-2, max_steps=t - 1) is None
    a = momlab.assess(s, m, 16)
    assert a["rate"] == rho and a["diverged"] is False and a["efold"] == -1 / math.log(rho)
    # The full batch is math.inf; spec strings stand for spectra.
    assert momlab.rate(SPEC, m, math.inf) < rho
    assert momlab.loss_curve(SPEC, momlab.sgd(0.5), 1, 3).shape == (4,)


def test_divergent_method():
    s = momlab.Spectrum(SPEC)
    m = momlab.sgd(3.0)
    assert momlab.rate(s, m, 1) > 1
    assert momlab.iterations_to(s, m, 1) is None
    assert momlab.assess(s, m, 1)["diverged"] is True
    assert len(momlab.loss_curve(s, m, 1, 100_000)) < 100_001  # stops once diverged


@pytest.mark.parametrize("batch", [0, -1, 2.5, math.nan, -math.inf, "4"])
def test_bad_batch(cli, batch):
    s = momlab.Spectrum(SPEC)
    m = momlab.sgd(0.5)
    for call in (
        lambda: momlab.rate(s, m, batch),
        lambda: momlab.loss_curve(s, m, batch, 10),
        lambda: momlab.iterations_to(s, m, batch),
        lambda: momlab.assess(s, m, batch),
        lambda: momlab.tune(s, "sgd", batch),
        lambda: momlab.simulate(s, m, batch, 10, runs=2),
        lambda: momlab.predictions(s, batch),
    ):
        with pytest.raises(ValueError) as e:
            call()
        assert str(e.value).startswith("batch size must be an integer >= 1 or 'inf', got")
    if batch == 0:
        with pytest.raises(ValueError) as e:
            momlab.rate(s, m, 0)
        assert str(e.value) in cli.error("predict", "--spectrum", SPEC, "--method", "sgd", "--lr", "0.5", "--batch", "0")


def test_other_bad_input(cli):
    s = momlab.Spectrum(SPEC)
    with pytest.raises(ValueError, match="steps must be in 1..=100000000, got 0"):
        momlab.loss_curve(s, momlab.sgd(0.5), 1, 0)
    with pytest.raises(ValueError, match="steps must be in 1..=100000000, got 100000001"):
        momlab.loss_curve(s, momlab.sgd(0.5), 1, 100_000_001)
    with pytest.raises(ValueError, match="expected a method"):
        momlab.rate(s, "hb", 1)
    with pytest.raises(ValueError) as e:
        momlab.iterations_to(s, momlab.sgd(0.5), 1, target=2.0)
    assert str(e.value) in cli.error("predict", "--spectrum", SPEC, "--method", "sgd", "--lr", "0.5", "--batch", "1", "--target", "2")
    with pytest.raises(ValueError, match="max_steps must be >= 1"):
        momlab.assess(s, momlab.sgd(0.5), 1, max_steps=0)


# --- tuning and the phase diagram -----------------------------------------------------------


def test_tune_one_batch():
    t = momlab.tune(SPEC, "hb", 16, objective="rate")
    assert isinstance(t["method"], momlab.Method) and t["method"].family == "hb"
    assert t["batch"] == 16 and t["evaluations"] > 0
    # docs/cli.md's worked example.
    assert (t["method"].lr, t["method"].momentum) == (0.920202373538275, 0.703302196158838)
    target = momlab.tune(SPEC, "hb", 16)  # default objective: T(eps)
    assert target["iterations_to_target"] <= t["iterations_to_target"]


def test_tune_many_batches_is_a_table():
    t = momlab.tune(SPEC, "sgd", [1, 4, 16], objective="rate")
    assert isinstance(t, momlab.Table) and t["batch"].tolist() == [1.0, 4.0, 16.0]
    assert np.isnan(t["momentum"]).all() and len(t.methods) == 3
    single = momlab.tune(SPEC, "sgd", 4, objective="rate")
    assert t["lr"][1] == single["method"].lr and t["rate"][1] == single["rate"]
    assert list(t.frame.columns)[:2] == ["batch", "lr"]
    # NumPy scalars and 0-d arrays are one batch size; arrays are many.
    assert momlab.tune(SPEC, "sgd", np.int64(4), objective="rate")["rate"] == single["rate"]
    assert momlab.tune(SPEC, "sgd", np.array(4.0), objective="rate")["rate"] == single["rate"]
    assert momlab.tune(SPEC, "sgd", np.array([4]), objective="rate")["rate"].tolist() == [single["rate"]]


def test_tune_bad_input(cli):
    with pytest.raises(ValueError) as e:
        momlab.tune(SPEC, "sp", 1)
    assert str(e.value) == cli.error("predict", "--spectrum", SPEC, "--method", "sp", "--batch", "1", "--tune")
    with pytest.raises(ValueError) as e:
        momlab.tune(SPEC, "adam", 1)
    assert str(e.value) in cli.error("phase", "--spectrum", SPEC, "--methods", "adam")
    with pytest.raises(ValueError, match=r"unknown objective 'speed' \(known: rate, target\)"):
        momlab.tune(SPEC, "hb", 1, objective="speed")


def test_phase_table():
    t = momlab.phase(SPEC, ["sgd", "hb"], [1, 4, 16, 64, 256])
    assert isinstance(t, dict) and all(isinstance(v, np.ndarray) for v in t.values())
    assert t["method"].tolist() == ["sgd"] * 5 + ["hb"] * 5
    assert np.array_equal(t["compute"], t["batch"] * t["iterations"])
    assert np.array_equal(t["ce"], 1 / t["compute"])
    # docs/cli.md's worked example.
    assert round(t.meta["saturation"]["sgd"], 3) == 13.547 and round(t.meta["saturation"]["hb"], 3) == 73.516
    assert t.meta["predicted"]["b_hb"] == momlab.Spectrum(SPEC).summary()["b_hb"]
    frame = t.frame
    assert frame.shape == (10, 13) and frame["iterations_to_target"].iloc[0] == 1867
    assert [m.family for m in t.methods] == t["method"].tolist()
    assert np.array_equal(momlab.phase(SPEC, "sgd,hb", [1, 4, 16, 64, 256])["rate"], t["rate"])
    fast = momlab.phase(SPEC, ["sgd"], [1, 4], exact=False)
    assert np.isnan(fast["iterations_to_target"]).all()
    assert "rows" in repr(t)


def test_phase_defaults_are_the_cli_defaults():
    assert momlab.DEFAULT_METHODS == ("sgd", "hb", "nag", "asgd")
    assert momlab.DEFAULT_BATCHES == tuple(2**k for k in range(11))


def test_phase_bad_input(cli):
    with pytest.raises(ValueError) as e:
        momlab.phase(SPEC, ["sgd"], [4, 2])
    assert str(e.value) == cli.error("phase", "--spectrum", SPEC, "--methods", "sgd", "--batches", "4,2")
    with pytest.raises(ValueError) as e:
        momlab.phase(SPEC, ["sgd"], [1, math.inf])
    assert str(e.value) in cli.error("phase", "--spectrum", SPEC, "--methods", "sgd", "--batches", "1,inf")
    with pytest.raises(ValueError) as e:
        momlab.phase(SPEC, ["sgd"], [0, 1])
    assert str(e.value) in cli.error("phase", "--spectrum", SPEC, "--methods", "sgd", "--batches", "0,1")
    with pytest.raises(ValueError, match="phase needs at least one method and one batch size"):
        momlab.phase(SPEC, [], [1])


# --- simulation -----------------------------------------------------------------------------


def test_simulate_gaussian():
    t = momlab.simulate(SPEC, momlab.hb(0.5, 0.5), 4, 200, runs=400, seed=1, checkpoints=5)
    assert t["step"].tolist() == [0, 50, 100, 150, 200] and t["alive"].tolist() == [400] * 5
    assert (t["q10"] <= t["q50"]).all() and (t["q50"] <= t["q90"]).all()
    z = np.abs(t["mean"] - t["theory"]) / t["se"]
    assert z.max() < 5
    meta = t.meta
    assert meta["problem"] == "gaussian" and meta["d"] == 100 and meta["atoms"] is None
    lo, hi = meta["rate_ci"]
    assert lo < meta["empirical_rate"] < hi
    assert meta["theory_rate"] == momlab.rate(SPEC, momlab.hb(0.5, 0.5), 4)
    again = momlab.simulate(SPEC, momlab.hb(0.5, 0.5), 4, 200, runs=400, seed=1, checkpoints=5)
    assert np.array_equal(again["mean"], t["mean"])  # one seed, one result
    assert t.frame.shape == (5, 8)
    explicit = momlab.simulate(SPEC, momlab.sgd(0.5), 4, 50, runs=50, sampler="explicit")
    assert explicit.meta["diverged_runs"] == 0


def test_simulate_finite_sums():
    k = momlab.kaczmarz("gen:n=80,seed=1", spectrum="power:d=20,a=1")
    assert (k.kind, k.d, k.atoms) == ("kaczmarz", 20, 80) and "kaczmarz" in repr(k)
    assert k.spectrum().d == 20
    t = momlab.simulate(k, momlab.hb(0.5, 0.5), 4, 100, runs=200, checkpoints=3)
    assert t.meta["problem"] == "kaczmarz" and t.meta["atoms"] == 80
    a = np.random.default_rng(0).normal(size=(30, 5))
    k2 = momlab.kaczmarz(a, sampling="without")
    assert (k2.d, k2.atoms) == (5, 30)
    psd = a.T @ a / 30
    cd = momlab.coordinate_descent(psd)
    t = momlab.simulate(cd, momlab.rule("sp"), 2, 50, runs=20, checkpoints=3)
    assert t.meta["problem"] == "cd" and t.meta["method"].family == "sp"


def test_simulate_bad_input(cli):
    s = momlab.Spectrum(SPEC)
    with pytest.raises(ValueError) as e:
        momlab.simulate(s, momlab.sgd(0.5), 4, 10, runs=1)
    message = cli.error("simulate", "--spectrum", SPEC, "--method", "sgd", "--lr", "0.5", "--batch", "4", "--steps", "10", "--runs", "1")
    assert message.replace("--", "") == str(e.value)
    with pytest.raises(ValueError, match="simulate needs a finite batch"):
        momlab.simulate(s, momlab.sgd(0.5), math.inf, 10)
    with pytest.raises(ValueError, match=r"unknown sampler 'fast' \(known: explicit, chi2\)"):
        momlab.simulate(s, momlab.sgd(0.5), 4, 10, sampler="fast")
    with pytest.raises(ValueError, match="target must be in"):
        momlab.simulate(s, momlab.sgd(0.5), 4, 10, target=0)
    with pytest.raises(ValueError, match=r"unknown sampling 'maybe' \(known: with, without\)"):
        momlab.kaczmarz("gen", spectrum=SPEC, sampling="maybe")
    with pytest.raises(ValueError) as e:
        momlab.kaczmarz("gen:n=10")
    assert str(e.value) == "a generated system needs --spectrum (the eigenvalues it is built with)"
    with pytest.raises(ValueError, match="the system A has a non-finite entry"):
        momlab.kaczmarz(np.array([[1.0, math.nan]]))
    with pytest.raises(ValueError, match="n= does not apply to coordinate descent"):
        momlab.coordinate_descent("gen:n=4", spectrum=SPEC)
    with pytest.raises(ValueError) as e:
        momlab.coordinate_descent(np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert str(e.value) == "coordinate descent needs a positive semi-definite A; it has eigenvalue -1e0"
    with pytest.raises(ValueError, match="the system A must be a 2-D array"):
        momlab.kaczmarz([1.0, 2.0])
    k = momlab.kaczmarz(np.eye(3))
    with pytest.raises(ValueError, match="finite sums take sampling"):
        momlab.simulate(k, momlab.sgd(0.5), 1, 10, sampler="explicit")


# --- the notebook stays responsive ----------------------------------------------------------


def test_long_computations_release_the_gil():
    """While a phase diagram computes on another thread, this thread keeps running Python."""
    done = threading.Event()
    ticks = 0

    def work():
        # About a second of work (the exact recursion got 4x faster: two methods at four batches
        # took 0.08 s, too short to count ticks against).
        momlab.phase("power:d=1000,a=1", ["sgd", "hb", "nag", "asgd"], [2**k for k in range(12)])
        done.set()

    worker = threading.Thread(target=work)
    start = time.perf_counter()
    worker.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0)
    worker.join()
    elapsed = time.perf_counter() - start
    assert elapsed > 0.3, "the computation was too short to tell"
    assert ticks > 1000, f"only {ticks} ticks of this thread in {elapsed:.2f} s"
