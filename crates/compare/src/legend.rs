//! Where a figure's legends go, so that no legend covers data:
//!
//! - **Shared**: a figure of several panels with an empty grid cell, whose entries mean the same
//!   thing in every panel (no label with two colours), gets one legend, the union of the panels'
//!   entries, drawn in its first empty cell; the panels draw none.
//! - **A free corner**: otherwise each panel's legend goes to the first corner (upper right, upper
//!   left, lower right, lower left) whose box holds none of the panel's data, sampled along its
//!   lines, bands and bars in plot coordinates.
//! - **Headroom**: when every corner holds data, the y axis is extended upwards until the data lie
//!   below the legend's box, which then sits in the upper right.
//!
//! The legend's box is estimated from its entries: 20 px per entry and 7.2 px per character of
//! the longest label at the 13 px legend font, on the plotting area of a 640 x 460 px panel.

use crate::figure::{Kind, Panel};
use plotters::chart::SeriesLabelPosition;
use plotters::style::RGBColor;
use std::ops::Range;

/// A corner of the plotting area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corner {
    UpperRight,
    UpperLeft,
    LowerRight,
    LowerLeft,
}

impl Corner {
    const ALL: [Corner; 4] = [Corner::UpperRight, Corner::UpperLeft, Corner::LowerRight, Corner::LowerLeft];

    pub fn position(self) -> SeriesLabelPosition {
        match self {
            Corner::UpperRight => SeriesLabelPosition::UpperRight,
            Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
            Corner::LowerRight => SeriesLabelPosition::LowerRight,
            Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
        }
    }

    /// The box of a legend of size (w, h) (fractions of the plotting area) at this corner, as
    /// ([x0, x1], [y0, y1]) in plot coordinates (0..1 each, y upwards), with a 2 % margin.
    fn area(self, (w, h): (f64, f64)) -> ([f64; 2], [f64; 2]) {
        let (w, h) = (w + 0.02, h + 0.02);
        let x = if matches!(self, Corner::UpperLeft | Corner::LowerLeft) { [0.0, w] } else { [1.0 - w, 1.0] };
        let y = if matches!(self, Corner::LowerLeft | Corner::LowerRight) { [0.0, h] } else { [1.0 - h, 1.0] };
        (x, y)
    }
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Swatch {
    Line,
    Dashed,
    /// A vertical mark: thin and dashed.
    Mark,
    Marker,
    Band,
}

/// One legend entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub label: String,
    pub color: RGBColor,
    pub swatch: Swatch,
}

/// A panel's legend entries in drawing order: its marks, then its labelled series.
pub fn entries(panel: &Panel) -> Vec<Entry> {
    let marks = panel.marks.iter().map(|m| Entry { label: m.label.clone(), color: m.color, swatch: Swatch::Mark });
    let series = panel.series.iter().filter_map(|s| {
        let swatch = match s.kind {
            Kind::Line => Swatch::Line,
            Kind::Dashed => Swatch::Dashed,
            Kind::Markers | Kind::Bars(_) => Swatch::Marker,
            Kind::Band(_) => Swatch::Band,
        };
        s.label.as_ref().map(|label| Entry { label: label.clone(), color: s.color, swatch })
    });
    marks.chain(series).collect()
}

/// The union of the panels' entries (first appearance first) if it can be shared: no label
/// carries two colours or swatches. None otherwise.
pub fn shared(panels: &[Panel]) -> Option<Vec<Entry>> {
    let mut union: Vec<Entry> = Vec::new();
    for e in panels.iter().flat_map(entries) {
        match union.iter().find(|u| u.label == e.label) {
            Some(u) if *u != e => return None,
            Some(_) => {}
            None => union.push(e),
        }
    }
    Some(union)
}

/// Pixel size of the plotting area of a panel (the panel less its label areas, caption and
/// margins; see `figure::draw_panel`).
const PLOT_AREA: (f64, f64) = (640.0 - 72.0 - 24.0, 460.0 - 48.0 - 24.0 - 30.0);

/// Pixel size (w, h) of a legend box holding `entries`.
pub fn pixel_size(entries: &[Entry]) -> (f64, f64) {
    let chars = entries.iter().map(|e| e.label.chars().count()).max().unwrap_or(0);
    (40.0 + 7.2 * chars as f64, 12.0 + 20.0 * entries.len() as f64)
}

/// A panel's legend placement: the corner, and the y range (extended when no corner is free).
pub struct Placement {
    /// None: the panel has no entries, so no legend (and no room is made for one).
    pub corner: Option<Corner>,
    pub y: Range<f64>,
}

/// Maps a value on an axis spanning `r` (log or linear) to 0..1.
fn unit(v: f64, r: &Range<f64>, log: bool) -> f64 {
    if log { (v.ln() - r.start.ln()) / (r.end.ln() - r.start.ln()) } else { (v - r.start) / (r.end - r.start) }
}

/// The panel's data in plot coordinates: every point, band and bar end, and 8 points along each
/// segment of a line or band edge.
fn samples(panel: &Panel, x: &Range<f64>, y: &Range<f64>) -> Vec<(f64, f64)> {
    let at = |(a, b): (f64, f64)| (unit(a, x, panel.x.log), unit(b, y, panel.y.log));
    let ok = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let mut out = Vec::new();
    let mut polyline = |points: Vec<(f64, f64)>, joined: bool| {
        let points: Vec<(f64, f64)> = points.into_iter().map(at).filter(ok).collect();
        out.extend(&points);
        if joined {
            for w in points.windows(2) {
                out.extend((1..8).map(|k| {
                    let f = k as f64 / 8.0;
                    (w[0].0 + f * (w[1].0 - w[0].0), w[0].1 + f * (w[1].1 - w[0].1))
                }));
            }
        }
    };
    for s in &panel.series {
        let joined = !matches!(s.kind, Kind::Markers | Kind::Bars(_));
        polyline(s.points.clone(), joined);
        if let Kind::Bars(extra) | Kind::Band(extra) = &s.kind {
            let xs = s.points.iter().map(|p| p.0);
            polyline(xs.clone().zip(extra.iter().map(|e| e.0)).collect(), joined);
            polyline(xs.zip(extra.iter().map(|e| e.1)).collect(), joined);
        }
    }
    // A note's text runs to the right of its anchor, about 6 px per character.
    for (nx, ny, text) in &panel.notes {
        let (px, py) = at((*nx, *ny));
        let width = 6.0 * text.chars().count() as f64 / PLOT_AREA.0;
        out.extend((0..=4).map(|k| (px + width * k as f64 / 4.0, py)));
    }
    out
}

/// Where the legend of `panel` (drawn on ranges `x`, `y`) goes; see the [module docs](self).
pub fn place(panel: &Panel, x: &Range<f64>, y: Range<f64>) -> Placement {
    let entries = entries(panel);
    if entries.is_empty() {
        return Placement { corner: None, y };
    }
    let (w, h) = pixel_size(&entries);
    let size = (w / PLOT_AREA.0, h / PLOT_AREA.1);
    let data = samples(panel, x, &y);
    let free = |c: &Corner| {
        let ([x0, x1], [y0, y1]) = c.area(size);
        !data.iter().any(|&(a, b)| (x0..=x1).contains(&a) && (y0..=y1).contains(&b))
    };
    if let Some(corner) = Corner::ALL.iter().find(|c| free(c)) {
        return Placement { corner: Some(*corner), y };
    }
    // The data's top, in plot coordinates, must end below the legend's box: stretch the axis so
    // that the current range fills the fraction `room` of it.
    let room = (1.0 - size.1 - 0.04).max(0.3);
    let end = if panel.y.log {
        (y.start.ln() + (y.end.ln() - y.start.ln()) / room).exp()
    } else {
        y.start + (y.end - y.start) / room
    };
    Placement { corner: Some(Corner::UpperRight), y: y.start..end }
}
