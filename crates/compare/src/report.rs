//! The report: the verdict table (terminal and Markdown) and the JSON that scripts read.

use crate::claims::ClaimResult;
use crate::profile::Profile;
use crate::sweep::Sweep;
use serde::Serialize;

/// Everything `momlab verify` found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub profile: Profile,
    pub batches: Vec<f64>,
    pub claims: Vec<ClaimResult>,
    /// The tuned measurements behind the verdicts.
    pub sweeps: Vec<Sweep>,
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
            "# momentum-lab verification ({:?} profile)\n\nT(B): exact iterations to E[loss] <= 1e-4 E[loss_0] from N(0, I/d), hyperparameters tuned per (method, B) for the {}; batches {}.\n\n| claim | verdict | measured |\n|---|---|---|\n",
            self.profile,
            match self.profile.objective() {
                theory::Objective::Rate => "asymptotic rate",
                theory::Objective::Target => "exact T(1e-4)",
            },
            self.batches.iter().map(|b| format!("{b}")).collect::<Vec<_>>().join(", "),
        );
        for c in &self.claims {
            md.push_str(&format!("| {} | **{}** | {} |\n", c.id, c.verdict.name(), c.summary.replace('|', "/")));
        }
        for c in &self.claims {
            md.push_str(&format!(
                "\n## {} — {}\n\n{}\n\nSource: {}\n\nTolerance: `{}`\n",
                c.id,
                c.verdict.name(),
                c.statement,
                c.source,
                c.tolerance
            ));
            for f in &c.figures {
                md.push_str(&format!("\n![{f}]({f})\n"));
            }
        }
        md
    }
}
