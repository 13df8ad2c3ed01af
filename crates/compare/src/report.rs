//! The report: the verdict table (terminal and Markdown) and the JSON that scripts read.

use crate::claims::ClaimResult;
use crate::profile::Profile;
use crate::sweep::TunedSweep;
use serde::Serialize;

/// Everything `momlab verify` found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub profile: Profile,
    pub batches: Vec<f64>,
    pub claims: Vec<ClaimResult>,
    /// The tuned measurements behind the verdicts.
    pub sweeps: Vec<TunedSweep>,
}

impl Report {
    /// The verdict table, one line per claim.
    pub fn table(&self) -> String {
        let mut out = format!("{:<4} {:<13} {}\n", "id", "verdict", "measured");
        for c in &self.claims {
            out.push_str(&format!("{:<4} {:<13} {}\n", c.id, c.verdict.name(), c.summary));
        }
        out
    }

    /// report.md: the table, then each claim's statement, source, tolerance and figures.
    pub fn markdown(&self) -> String {
        let mut md = format!(
            "# momentum-lab verification ({:?} profile)\n\nT(B): exact iterations to E[loss] <= 1e-4 E[loss_0] from N(0, I/d), hyperparameters tuned per (method, B) for that T(1e-4), warm-started along B; batches {}.\n\n| claim | verdict | measured |\n|---|---|---|\n",
            self.profile,
            self.batches.iter().map(|b| format!("{b}")).collect::<Vec<_>>().join(", "),
        );
        for c in &self.claims {
            md.push_str(&format!("| {} | **{}** | {} |\n", c.id, c.verdict.name(), c.summary.replace('|', "/")));
        }
        md.push_str(&self.simulated_table());
        for c in &self.claims {
            md.push_str(&format!(
                "\n## {} — {}\n\n{}\n\nSource: {}\n\nTolerance: `{}`\n",
                c.id,
                c.verdict.name(),
                c.statement,
                c.source,
                c.tolerance
            ));
            md.push_str(&optima_table(&c.measured));
            for f in c.figures.iter().filter(|f| f.ends_with(".png")) {
                md.push_str(&format!("\n![{f}]({f})\n"));
            }
        }
        md
    }

    /// The Monte-Carlo T(B) points beside the exact T(B) at the same tuned parameters.
    fn simulated_table(&self) -> String {
        let rows: Vec<String> = self
            .sweeps
            .iter()
            .flat_map(|s| s.simulated.iter().map(move |m| (s, m)))
            .map(|(s, m)| {
                let show = |x: Option<f64>| x.map_or("outside 0.5–1.5 T".into(), |v| format!("{v:.0}"));
                format!(
                    "| {} | {} | {} | {} | {} | {} – {} | {} |\n",
                    s.spec,
                    m.family,
                    m.batch,
                    m.exact,
                    show(m.iterations),
                    show(m.interval[0]),
                    show(m.interval[1]),
                    m.runs
                )
            })
            .collect();
        if rows.is_empty() {
            return String::new();
        }
        format!(
            "\n## Monte-Carlo T(B)\n\nThe mean loss of simulated runs at the tuned parameters, against the exact T(B). Where the tuned step sits at the edge of stability (rate-optimal tuning: the smoke and quick profiles) the loss is heavy-tailed: E[loss] is carried by rare runs, and a finite sample mean crosses the target early, its ±2 SE interval (computed from the same sample) giving no warning. At T-optimal parameters (full profile) the tails are light and the two agree.\n\n| spectrum | method | B | exact T | Monte-Carlo T | ±2 SE | runs |\n|---|---|---|---|---|---|---|\n{}",
            rows.concat()
        )
    }
}

/// The per-learning-rate optima of a momentum scan (C9's `measured.optima`), as a table; empty
/// for other claims.
fn optima_table(measured: &serde_json::Value) -> String {
    let Some(optima) = measured["optima"].as_array() else { return String::new() };
    let num = |o: &serde_json::Value, k: &str| o[k].as_f64().map_or("-".to_string(), |v| format!("{v:.3e}"));
    let mut md = String::from(
        "\n| η | T* | 1 − β at T* | knee (1 − β)* | η/(1 − β)* | parabola vertex | timed / censored |\n|---|---|---|---|---|---|---|\n",
    );
    for o in optima {
        md.push_str(&format!(
            "| {:.3e} | {:.0} | {}{} | {} | {} | {} | {} / {} |\n",
            o["lr"].as_f64().unwrap_or(f64::NAN),
            o["t_min"].as_f64().unwrap_or(f64::NAN),
            num(o, "at_min"),
            if o["min_at_edge"].as_bool() == Some(true) { " (grid edge)" } else { "" },
            num(o, "knee"),
            num(o, "effective_lr"),
            num(o, "min_fit"),
            o["timed"],
            o["censored"],
        ));
    }
    let local: Vec<String> = measured["local_g"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    format!("{:.3} at η ≈ {:.1e}", p[1].as_f64().unwrap_or(f64::NAN), p[0].as_f64().unwrap_or(f64::NAN))
                })
                .collect()
        })
        .unwrap_or_default();
    if !local.is_empty() {
        md.push_str(&format!("\ng over three consecutive learning rates: {}.\n", local.join(", ")));
    }
    md
}
