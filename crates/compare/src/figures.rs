//! Which figures each claim gets, built from the same sweeps and measurements as its verdict:
//!
//! | claim | figure |
//! |---|---|
//! | C1 | theory vs Monte-Carlo mean loss (± 2 SE band), one panel per method, three problems |
//! | C2 | B_sat(SGD) against tr/L with the fitted power law and the ∝ tr/L line; T(B) of SGD/HB/NAG/ASGD per spectrum, tr/L and B_hb marked, Monte-Carlo T(B) with bars |
//! | C3 | T_HB(B) per spectrum with the 1/B guide up to B_hb/4; speedup T_SGD/T_HB against the predicted max(1, min(B/B_sgd, √κ)) |
//! | C4 | window B_sat(HB)/B_sat(SGD) against √κ with the fitted power law and the ∝ √κ line |
//! | C5, C6 | compute efficiency CE = 1/(B T) against serial runtime T, points labelled by B |
//! | C7 | per held-out spectrum: T_rule/T_tuned over B of every rule; 1 − β of the heavy-ball rules against the tuned optimum |
//! | C8 | T(B) of SGD and HB per Kaczmarz system; B_sat(SGD) against tr/L and the window against √κ with their fits |
//! | C9 | time to the regulariser threshold against 1 − β per η (minimum and knee marked); (1 − β)* and T* against η with the fits and the 2/3 laws |
//! | C10 | per network task: T(B) and B T(B) of SGD and heavy ball with the predicted tr/L, B_simple, B_hb and the measured B_crit marked; the SLQ spectral density of the Hessian at initialisation |

use crate::claims::c7_momentum_rule;
use crate::claims::c8_kaczmarz;
use crate::claims::{
    ClaimResult, c1_exactness, c2_critical_batch, c3_parallelization, c4_hb_window, c9_momentum_scaling,
    c10_batch_transfer, read_measured,
};
use crate::error::Result;
use crate::figure::{Axis, Figure, Kind, Mark, Panel, Series, color};
use crate::registry::ClaimSpec;
use crate::sweep::{FAMILIES, KACZMARZ_FAMILIES, TunedSweep};
use crate::verdict::{ExponentCheck, LogLogFit};
use plotters::style::RGBColor;
use serde_json::Value;
use std::path::Path;
use theory::predict::hb_speedup;
use theory::rules::RULES;
use theory::{Family, Predictions};

/// Draws the figures of one claim into `dir`; returns the file names written.
pub fn draw(spec: &ClaimSpec, result: &ClaimResult, sweeps: &[&TunedSweep], dir: &Path) -> Result<Vec<String>> {
    let id = spec.id.as_str();
    let figures = match id {
        "C1" => vec![exactness(id, &read_measured(id, &result.measured)?)],
        "C2" => vec![critical_batch(id, sweeps, &spec.typed()?), t_of_b(id, sweeps, &FAMILIES)],
        "C3" => vec![t_hb(id, sweeps, &spec.typed()?), speedup(id, sweeps)],
        "C4" => vec![window(id, sweeps, &spec.typed()?)],
        "C5" | "C6" => vec![frontier(id, sweeps)],
        "C7" => momentum_rule(id, sweeps, &spec.typed()?, &read_measured::<Vec<_>>(id, &result.measured)?)?,
        "C8" => {
            let tol: c8_kaczmarz::Tolerance = spec.typed()?;
            let (systems, family) = c8_kaczmarz::split(spec, sweeps)?;
            vec![
                t_of_b(id, &systems, &KACZMARZ_FAMILIES),
                critical_batch(id, &systems, &tol.critical_batch),
                window(id, &family, &tol.window),
            ]
        }
        "C9" => scaling(id, &result.measured)?,
        "C10" => transfer(id, &read_measured(id, &result.measured)?),
        _ => Vec::new(),
    };
    let mut files = Vec::new();
    for f in figures {
        files.extend(f.write(dir)?);
    }
    Ok(files)
}

fn family_color(f: Family) -> RGBColor {
    color(FAMILIES.iter().position(|g| *g == f).unwrap_or(FAMILIES.len()))
}

/// "power:d=1000,a=1" -> "power d=1000 a=1" (panel titles).
fn title(sweep: &TunedSweep) -> String {
    let problem = if matches!(sweep.problem, crate::sweep::SweepProblem::Gaussian) { "" } else { "Kaczmarz, " };
    format!("{problem}{}  (κ = {:.0})", sweep.spec.replace([':', ','], " "), sweep.kappa())
}

fn batch_marks(s: &TunedSweep) -> Vec<Mark> {
    vec![
        Mark { x: s.summary.b_sgd, label: "tr/L".into(), color: RGBColor(90, 90, 90) },
        Mark { x: s.summary.b_hb, label: "B_hb = √κ tr/L".into(), color: RGBColor(200, 120, 0) },
    ]
}

/// T(B) per spectrum, with the Monte-Carlo points of the sweep.
fn t_of_b(id: &str, sweeps: &[&TunedSweep], families: &[Family]) -> Figure {
    let panels = sweeps
        .iter()
        .map(|s| {
            let mut p = Panel::new(title(s), Axis::log("batch size B"), Axis::log("T(B): iterations to 1e-4"));
            for &f in families {
                let points = s.batches.iter().copied().zip(s.iterations(f)).collect();
                p.series.push(Series::new(f.name(), family_color(f), Kind::Line, points));
                let simulated: Vec<_> =
                    s.simulated.iter().filter(|m| m.family == f && m.iterations.is_some()).collect();
                if !simulated.is_empty() {
                    let points = simulated.iter().map(|m| (m.batch, m.iterations.unwrap_or(f64::NAN))).collect();
                    let bars = simulated
                        .iter()
                        .map(|m| (m.interval[0].unwrap_or(f64::NAN), m.interval[1].unwrap_or(f64::NAN)))
                        .collect();
                    let label = format!("{} Monte Carlo ({} runs, ±2 SE)", f.name(), simulated[0].runs);
                    p.series.push(Series::new(label, family_color(f), Kind::Bars(bars), points));
                }
            }
            p.marks = batch_marks(s);
            p
        })
        .collect();
    Figure { name: format!("{id}-t-of-b"), cols: 3, panels }
}

/// T_SGD/T_HB against max(1, min(B/B_sgd, √κ)), all spectra in one panel.
fn speedup(id: &str, sweeps: &[&TunedSweep]) -> Figure {
    let mut p = Panel::new(
        "HB speedup over SGD (solid: measured, dashed: predicted)",
        Axis::log("B / (tr/L)"),
        Axis::log("T_SGD(B) / T_HB(B)"),
    );
    for (k, s) in sweeps.iter().enumerate() {
        let (sgd, hb) = (s.iterations(Family::Sgd), s.iterations(Family::Hb));
        let b_sgd = s.summary.b_sgd;
        let measured = s.batches.iter().zip(sgd.iter().zip(&hb)).map(|(b, (a, h))| (b / b_sgd, a / h)).collect();
        let predicted = s.batches.iter().map(|&b| (b / b_sgd, hb_speedup(b, b_sgd, s.kappa()))).collect();
        p.series.push(Series::new(title(s), color(k), Kind::Line, measured));
        p.series.push(Series::new("", color(k), Kind::Dashed, predicted).unlabelled());
    }
    Figure { name: format!("{id}-speedup"), cols: 1, panels: vec![p] }
}

/// A scaling law across spectra: the measured points (one marker per spectrum), the fitted
/// power law and the predicted exponent through the points' geometric mean.
fn power_law(
    name: String,
    title: &str,
    axes: (&str, &str),
    points: &[(String, f64, f64)],
    check: &ExponentCheck,
    predicted: (&str, f64),
) -> Figure {
    let mut p = Panel::new(title, Axis::log(axes.0), Axis::log(axes.1));
    // Rising data leave the lower right empty.
    let xs: Vec<f64> = points.iter().map(|q| q.1).collect();
    let (min, max) = xs.iter().fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    let span = [min / 1.5, max * 1.5];
    if !points.is_empty() {
        let n = points.len() as f64;
        let (mx, my) =
            (points.iter().map(|q| q.1.ln()).sum::<f64>() / n, points.iter().map(|q| q.2.ln()).sum::<f64>() / n);
        let line = span.map(|x| (x, (my + predicted.1 * (x.ln() - mx)).exp())).to_vec();
        p.series.push(Series::new(predicted.0, RGBColor(60, 60, 60), Kind::Dashed, line));
    }
    if let Some(fit) = check.fit {
        let line = span.map(|x| (x, (fit.intercept + fit.slope * x.ln()).exp())).to_vec();
        let ci = fit.slope_ci.map_or(String::new(), |[a, b]| format!(" [{a:.2}, {b:.2}]"));
        p.series.push(Series::new(format!("fit: slope {:.2}{ci}", fit.slope), RGBColor(0, 0, 0), Kind::Line, line));
    }
    for (k, (label, x, y)) in points.iter().enumerate() {
        p.series.push(Series::new(label.replace([':', ','], " "), color(k), Kind::Markers, vec![(*x, *y)]));
    }
    Figure { name, cols: 1, panels: vec![p] }
}

/// B_sat(SGD) against tr/L across the claim's spectra, with C2's fit.
fn critical_batch(id: &str, sweeps: &[&TunedSweep], tol: &c2_critical_batch::Tolerance) -> Figure {
    let points = family_points(sweeps, c2_critical_batch::point);
    let check =
        ExponentCheck::new(&points.iter().map(|q| (q.1, q.2)).collect::<Vec<_>>(), tol.slope, Some(tol.interval));
    let title = "SGD saturation batch against tr/L";
    power_law(format!("{id}-critical-batch"), title, ("tr/L", "B_sat(SGD)"), &points, &check, ("∝ tr/L", 1.0))
}

/// B_sat(HB)/B_sat(SGD) against √κ across the claim's spectra, with C4's fit.
fn window(id: &str, sweeps: &[&TunedSweep], tol: &c4_hb_window::Tolerance) -> Figure {
    let points = family_points(sweeps, c4_hb_window::window);
    let check = ExponentCheck::new(&points.iter().map(|q| (q.1, q.2)).collect::<Vec<_>>(), tol.slope, None);
    let title = "momentum window against √κ";
    power_law(format!("{id}-window"), title, ("√κ", "B_sat(HB) / B_sat(SGD)"), &points, &check, ("∝ √κ", 1.0))
}

/// (spectrum, x, y) of each sweep whose y was measured.
fn family_points(sweeps: &[&TunedSweep], point: fn(&TunedSweep) -> (f64, Option<f64>)) -> Vec<(String, f64, f64)> {
    sweeps
        .iter()
        .filter_map(|s| {
            let (x, y) = point(s);
            y.map(|y| (s.spec.clone(), x, y))
        })
        .collect()
}

/// T_HB(B) per spectrum with the 1/B guide through T_HB(1) up to the fitted range of C3.
fn t_hb(id: &str, sweeps: &[&TunedSweep], tol: &c3_parallelization::Tolerance) -> Figure {
    let mut p = Panel::new(
        "heavy ball: T(B) (solid) and 1/B from T(1) (dashed) up to B_hb/4",
        Axis::log("batch size B"),
        Axis::log("T_HB(B): iterations to 1e-4"),
    );
    for (k, s) in sweeps.iter().enumerate() {
        let t = s.iterations(Family::Hb);
        p.series.push(Series::new(
            title(s),
            color(k),
            Kind::Line,
            s.batches.iter().copied().zip(t.iter().copied()).collect(),
        ));
        let limit = tol.fraction * s.summary.b_hb;
        let guide = [s.batches[0], limit.max(s.batches[0])].map(|b| (b, t[0] * s.batches[0] / b)).to_vec();
        p.series.push(Series::new("", color(k), Kind::Dashed, guide).unlabelled());
    }
    Figure { name: format!("{id}-t-hb"), cols: 1, panels: vec![p] }
}

/// CE(B) = 1/(B T(B)) against T(B) per spectrum, one curve per method; SGD points labelled by B.
fn frontier(id: &str, sweeps: &[&TunedSweep]) -> Figure {
    let panels = sweeps
        .iter()
        .map(|s| {
            let mut p = Panel::new(title(s), Axis::log("serial runtime T(B)"), Axis::log("compute efficiency 1/(B T)"));
            for &f in &FAMILIES {
                let t = s.iterations(f);
                let points: Vec<(f64, f64)> = t.iter().zip(&s.batches).map(|(t, b)| (*t, 1.0 / (b * t))).collect();
                p.series.push(Series::new(f.name(), family_color(f), Kind::Line, points.clone()));
                p.series.push(Series::new("", family_color(f), Kind::Markers, points.clone()).unlabelled());
                if f == Family::Sgd {
                    let labelled = points.iter().zip(&s.batches).step_by(2).filter(|(p, _)| p.0.is_finite());
                    p.notes.extend(labelled.map(|(p, b)| (p.0, p.1, format!("B={b}"))));
                }
            }
            p
        })
        .collect();
    Figure { name: format!("{id}-frontier"), cols: 3, panels }
}

/// Per held-out spectrum: T_rule/T_tuned over B of every rule (the ratios C7's check measured:
/// `measured` holds them per rule and spectrum), and 1 − β of tuned HB and of the heavy-ball
/// rules; panels wrap three to a row.
fn momentum_rule(
    id: &str,
    sweeps: &[&TunedSweep],
    tol: &c7_momentum_rule::Tolerance,
    measured: &[c7_momentum_rule::RuleResult],
) -> Result<Vec<Figure>> {
    let factor = tol.factor;
    let one_minus = |m: theory::Method| m.momentum().map_or(f64::NAN, |b| 1.0 - b);
    let mut ratio_panels = Vec::new();
    let mut beta_panels = Vec::new();
    for (j, s) in sweeps.iter().enumerate() {
        let mut ratio = Panel::new(title(s), Axis::log("batch size B"), Axis::log("T_rule(B) / T_tuned(B)"));
        let mut beta = Panel::new(title(s), Axis::log("batch size B"), Axis::log("1 − β"));
        let spectrum = s.spectrum()?;
        let tuned = s.family(Family::Hb).iter().map(|p| (p.batch, one_minus(p.method))).collect();
        beta.series.push(Series::new("tuned HB", family_color(Family::Hb), Kind::Line, tuned));
        for (k, rule) in RULES.iter().enumerate() {
            let name = format!("rule {}", rule.name);
            // None (diverged or above the cap) is NaN, left out of the line.
            let measured_ratios = &measured[k].spectra[j].ratios;
            let ratios = s.batches.iter().zip(measured_ratios).map(|(&b, r)| (b, r.unwrap_or(f64::NAN))).collect();
            ratio.series.push(Series::new(&name, color(k + 4), Kind::Line, ratios));
            let picks: Vec<(f64, f64)> =
                s.batches.iter().map(|&b| (b, one_minus(rule.method(&Predictions::new(&spectrum, b))))).collect();
            if picks.iter().any(|p| p.1.is_finite()) {
                beta.series.push(Series::new(name, color(k + 4), Kind::Dashed, picks));
            }
        }
        let limit = s.batches.iter().map(|&b| (b, factor)).collect();
        ratio.series.push(Series::new(
            format!("tolerance {factor}x (diverged: not drawn)"),
            RGBColor(60, 60, 60),
            Kind::Dashed,
            limit,
        ));
        ratio_panels.push(ratio);
        beta_panels.push(beta);
    }
    Ok(vec![
        Figure { name: format!("{id}-rule"), cols: 3, panels: ratio_panels },
        Figure { name: format!("{id}-momentum"), cols: 3, panels: beta_panels },
    ])
}

/// Theory vs Monte Carlo, one panel per method, from C1's measured curves.
fn exactness(id: &str, measured: &c1_exactness::Measured) -> Figure {
    let mut panels: Vec<Panel> = Vec::new();
    for case in &measured.cases {
        let method = case.method.family().name();
        let k = panels.iter().position(|p| p.title == method).unwrap_or_else(|| {
            panels.push(Panel::new(method, Axis::linear("step t"), Axis::log("E[loss_t]")));
            panels.len() - 1
        });
        let c1_exactness::Curve { step, mean, se, exact } = &case.curve;
        let n = panels[k].series.len() / 2;
        let problem = &case.problem;
        // The band's lower edge is floored at 1 % of the mean: a log axis has no room below zero.
        let band = mean.iter().zip(se).map(|(m, s)| ((m - 2.0 * s).max(0.01 * m), m + 2.0 * s)).collect();
        let mc = step.iter().copied().zip(mean.iter().copied()).collect();
        panels[k].series.push(Series::new(format!("{problem}: Monte Carlo ± 2 SE"), color(n), Kind::Band(band), mc));
        let theory = step.iter().copied().zip(exact.iter().copied()).collect();
        panels[k].series.push(Series::new(format!("{problem}: exact"), color(n), Kind::Dashed, theory));
    }
    Figure { name: format!("{id}-curves"), cols: 2, panels }
}

/// C9 from its typed measurement: per task, T against 1 - β per η (minimum and knee marked), and
/// the optima against η with the fitted power laws and the predicted exponent 2/3.
fn scaling(id: &str, measured: &Value) -> Result<Vec<Figure>> {
    let measured: c9_momentum_scaling::Measured = read_measured(id, measured)?;
    let mut times = Vec::new();
    let mut fits = Vec::new();
    for task in &measured.tasks {
        times.push(scan_panel(task, measured.knee_factor));
        fits.extend(optima_panels(task));
    }
    Ok(vec![
        Figure { name: format!("{id}-time"), cols: times.len(), panels: times },
        Figure { name: format!("{id}-fit"), cols: 2, panels: fits },
    ])
}

/// T against 1 - β, one curve per η with ± 2 SE bars over seeds, the minima and the knees.
fn scan_panel(task: &c9_momentum_scaling::TaskResult, knee_factor: f64) -> Panel {
    let mut time = Panel::new(
        format!("{}: steps to {} ≤ {}", task.task, task.scan.regulariser, task.scan.grid.threshold),
        Axis::log("1 − β"),
        Axis::log("steps T (mean ± 2 SE over seeds)"),
    );
    for (k, &lr) in task.scan.grid.lrs.iter().enumerate() {
        let timed: Vec<(f64, f64, f64)> = task
            .scan
            .at_lr(k)
            .iter()
            .filter_map(|p| Some((p.one_minus_beta, p.log_time()?, p.log_time_se()?)))
            .collect();
        let line: Vec<(f64, f64)> = timed.iter().map(|&(x, m, _)| (x, m.exp())).collect();
        let bars = timed.iter().map(|&(_, m, se)| ((m - 2.0 * se).exp(), (m + 2.0 * se).exp())).collect();
        if let Some(&(x, y)) = line.last() {
            time.notes.push((x * 1.08, y, format!("η={lr:.1e}")));
        }
        time.series.push(Series::new("", color(k), Kind::Bars(bars), line).unlabelled());
    }
    let t_min: Vec<(f64, f64)> = task.optima.iter().map(|o| (o.at_min, o.t_min)).collect();
    time.series.push(Series::new("minimum", RGBColor(0, 0, 0), Kind::Markers, t_min));
    let knees = task.optima.iter().filter_map(|o| Some((o.knee?, knee_factor * o.t_min))).collect();
    time.series.push(Series::new(format!("knee: T = {knee_factor} T*"), RGBColor(200, 0, 0), Kind::Markers, knees));
    time
}

/// (1 - β)* against η and T* against η, each with its fit and the predicted 2/3 law drawn through
/// the points' centroid.
fn optima_panels(task: &c9_momentum_scaling::TaskResult) -> [Panel; 2] {
    let lrs: Vec<f64> = task.optima.iter().map(|o| o.lr).collect();
    let span = [lrs.iter().copied().fold(f64::INFINITY, f64::min) / 1.3, lrs.iter().copied().fold(0.0, f64::max) * 1.3];
    let fitted = |fit: &LogLogFit| -> Vec<(f64, f64)> {
        span.iter().map(|&x| (x, fit.intercept.exp() * x.powf(fit.slope))).collect()
    };
    let guide = |points: &[(f64, f64)], slope: f64| -> Vec<(f64, f64)> {
        let n = points.len().max(1) as f64;
        let (lx, ly) = points.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0.ln(), a.1 + p.1.ln()));
        let (x0, y0) = ((lx / n).exp(), (ly / n).exp());
        span.iter().map(|&x| (x, y0 * (x / x0).powf(slope))).collect()
    };
    let mut knee = Panel::new(
        format!("{}: optimal momentum against η", task.task),
        Axis::log("learning rate η"),
        Axis::log("(1 − β)*"),
    );
    let knees: Vec<(f64, f64)> = task.optima.iter().filter_map(|o| Some((o.lr, o.knee?))).collect();
    knee.series.push(Series::new("knee (1 − β)*", color(0), Kind::Markers, knees.clone()));
    let vertices: Vec<(f64, f64)> = task.optima.iter().filter_map(|o| Some((o.lr, o.min_fit?))).collect();
    if !vertices.is_empty() {
        knee.series.push(Series::new("minimum (local parabola)", color(1), Kind::Markers, vertices));
    }
    if let Some(g) = &task.g {
        knee.series.push(Series::new(format!("fit: g = {:.3}", g.slope), color(0), Kind::Line, fitted(g)));
    }
    if !knees.is_empty() {
        knee.series.push(Series::new("g = 2/3", RGBColor(60, 60, 60), Kind::Dashed, guide(&knees, 2.0 / 3.0)));
    }

    let mut fastest =
        Panel::new(format!("{}: fastest time against η", task.task), Axis::log("learning rate η"), Axis::log("T*"));
    let t_points: Vec<(f64, f64)> = task.optima.iter().map(|o| (o.lr, o.t_min)).collect();
    fastest.series.push(Series::new("T*", color(2), Kind::Markers, t_points.clone()));
    if let Some(t) = &task.time {
        fastest.series.push(Series::new(format!("fit: T* ∝ η^{:.3}", t.slope), color(2), Kind::Line, fitted(t)));
    }
    if !t_points.is_empty() {
        fastest.series.push(Series::new("η^(−2/3)", RGBColor(60, 60, 60), Kind::Dashed, guide(&t_points, -2.0 / 3.0)));
    }
    [knee, fastest]
}

/// C10 from its typed task summaries: T(B) and B T(B) per task with the predicted and measured batches marked, and the SLQ density with λ_max.
fn transfer(id: &str, measured: &c10_batch_transfer::Measured) -> Vec<Figure> {
    let (mut curves, mut densities) = (Vec::new(), Vec::new());
    for t in &measured.tasks {
        let name = t.task.replace('_', "–");
        let p = &t.predicted;
        let mut marks = vec![
            Mark { x: p.b_sgd, label: "tr/L".into(), color: RGBColor(90, 90, 90) },
            Mark { x: p.b_simple, label: "B_simple".into(), color: RGBColor(0, 130, 0) },
        ];
        marks.extend(p.b_hb.map(|x| Mark { x, label: "B_hb".into(), color: RGBColor(200, 120, 0) }));
        for (critical, label, c) in [(t.sgd, "B_crit SGD", color(0)), (t.hb, "B_sat HB", color(1))] {
            marks.extend(critical.map(|k| Mark { x: k.b_star, label: label.into(), color: c }));
        }
        marks.retain(|m| m.x.is_finite());
        let (mut time, mut work) = (
            Panel::new(format!("{name}: steps to the target"), Axis::log("batch size B"), Axis::log("T(B)")),
            Panel::new(format!("{name}: samples to the target"), Axis::log("batch size B"), Axis::log("B T(B)")),
        );
        for (k, (label, pts)) in t.curves.iter().enumerate() {
            let (c, kind) = match label.as_str() {
                "sgd" => (color(0), Kind::Line),
                "hb" => (color(1), Kind::Line),
                _ => (color(2 + k), Kind::Dashed),
            };
            let label = if label == "hb" { "HB (best arm)".to_string() } else { label.replace('_', " ") };
            let work_points = pts.iter().map(|&(b, t)| (b, b * t)).collect();
            work.series.push(Series::new(label.clone(), c, kind.clone(), work_points));
            time.series.push(Series::new(label, c, kind, pts.clone()));
        }
        time.marks = marks.clone();
        work.marks = marks;
        curves.extend([time, work]);

        if !t.density.is_empty() {
            let mut panel = Panel::new(
                format!("{name}: Hessian spectral density at initialisation (SLQ)"),
                Axis::linear("eigenvalue λ"),
                Axis::linear("density"),
            );
            panel.series.push(Series::new(
                "SLQ, Gaussian width 1 % of the range",
                color(0),
                Kind::Line,
                t.density.clone(),
            ));
            panel.marks = t
                .path
                .first()
                .map(|p| Mark { x: p.lambda_max, label: "λ_max".into(), color: RGBColor(200, 0, 0) })
                .into_iter()
                .collect();
            densities.push(panel);
        }
    }
    vec![
        Figure { name: format!("{id}-batch"), cols: 2, panels: curves },
        Figure { name: format!("{id}-density"), cols: 2, panels: densities },
    ]
}
