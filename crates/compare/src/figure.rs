//! Rendering of paper-style figures with plotters, to PNG and SVG. Text is drawn with DejaVu Sans
//! compiled into the binary (assets/, licence beside it), so no system font or fontconfig is
//! needed; the SVG names the same family and falls back to the viewer's sans-serif. A figure is
//! a grid of panels; each panel has linear or logarithmic axes, line / dashed / marker / error-bar
//! / band series and labelled vertical marks; legends never cover data ([`crate::legend`]). Non-finite points (divergence, "not reached") are
//! left out of a series, never drawn as zero. Files are written to a temporary name and renamed.

use crate::error::{Error, Result};
use crate::legend::{self, Corner, Entry, Swatch};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use std::path::Path;

/// The embedded font.
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FAMILY: &str = "DejaVu Sans";

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for name in [FAMILY, "sans-serif"] {
            let registered = plotters::style::register_font(name, FontStyle::Normal, FONT);
            assert!(registered.is_ok(), "the embedded DejaVu Sans is a valid font");
        }
    });
}

/// How a series is drawn.
#[derive(Clone, Debug)]
pub enum Kind {
    Line,
    Dashed,
    Markers,
    /// Markers with vertical bars from `lo` to `hi` (one pair per point).
    Bars(Vec<(f64, f64)>),
    /// A shaded band between `lo` and `hi` (one pair per point) and the line through the points.
    Band(Vec<(f64, f64)>),
}

/// One series of a panel.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend entry; None keeps it out of the legend.
    pub label: Option<String>,
    pub color: RGBColor,
    pub kind: Kind,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(label: impl Into<String>, color: RGBColor, kind: Kind, points: Vec<(f64, f64)>) -> Self {
        Series { label: Some(label.into()), color, kind, points }
    }

    /// The same series without a legend entry.
    pub fn unlabelled(mut self) -> Self {
        self.label = None;
        self
    }
}

/// An axis: its label and whether it is logarithmic.
#[derive(Clone, Debug)]
pub struct Axis {
    pub label: String,
    pub log: bool,
}

impl Axis {
    pub fn log(label: impl Into<String>) -> Self {
        Axis { label: label.into(), log: true }
    }
    pub fn linear(label: impl Into<String>) -> Self {
        Axis { label: label.into(), log: false }
    }
}

/// A labelled vertical line.
#[derive(Clone, Debug)]
pub struct Mark {
    pub x: f64,
    pub label: String,
    pub color: RGBColor,
}

/// One panel.
#[derive(Clone)]
pub struct Panel {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
    pub marks: Vec<Mark>,
    /// Text labels at data coordinates (e.g. batch sizes along a frontier).
    pub notes: Vec<(f64, f64, String)>,
}

impl Panel {
    pub fn new(title: impl Into<String>, x: Axis, y: Axis) -> Self {
        Panel { title: title.into(), x, y, series: Vec::new(), marks: Vec::new(), notes: Vec::new() }
    }
}

/// A figure: panels in a grid of `cols` columns, written as `<name>.png` and `<name>.svg`.
#[derive(Clone)]
pub struct Figure {
    pub name: String,
    pub cols: usize,
    pub panels: Vec<Panel>,
}

/// Pixel size of one panel.
const PANEL: (u32, u32) = (640, 460);

/// The colour of the k-th curve of a family of curves.
pub fn color(k: usize) -> RGBColor {
    const COLORS: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
        RGBColor(255, 127, 14),
        RGBColor(140, 86, 75),
        RGBColor(23, 190, 207),
        RGBColor(127, 127, 127),
    ];
    COLORS[k % COLORS.len()]
}

impl Figure {
    /// Writes `<dir>/<name>.png` and `<dir>/<name>.svg`; returns the two file names.
    pub fn write(&self, dir: &Path) -> Result<Vec<String>> {
        register_font();
        let cols = self.cols.clamp(1, self.panels.len().max(1));
        let rows = self.panels.len().div_ceil(cols).max(1);
        let size = (PANEL.0 * cols as u32, PANEL.1 * rows as u32);
        let png = format!("{}.png", self.name);
        let svg = format!("{}.svg", self.name);
        let fail = |what: &str, e: String| Error::Figure(format!("{}: {what}: {e}", self.name));
        // PNG: the bitmap backend picks the encoder from the extension, so the temporary name
        // ends in .png too.
        let partial = dir.join(format!(".partial-{png}"));
        {
            let root = BitMapBackend::new(&partial, size).into_drawing_area();
            self.draw(&root, rows, cols).map_err(|e| fail("png", e))?;
            root.present().map_err(|e| fail("png", e.to_string()))?;
        }
        std::fs::rename(&partial, dir.join(&png)).map_err(|e| fail("rename", e.to_string()))?;
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
            self.draw(&root, rows, cols).map_err(|e| fail("svg", e))?;
            root.present().map_err(|e| fail("svg", e.to_string()))?;
        }
        let partial = dir.join(format!(".partial-{svg}"));
        std::fs::write(&partial, text).map_err(|e| fail("write", e.to_string()))?;
        std::fs::rename(&partial, dir.join(&svg)).map_err(|e| fail("rename", e.to_string()))?;
        Ok(vec![png, svg])
    }

    /// Draws the panels into a rows x cols grid, with the legends placed by [`crate::legend`].
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, rows: usize, cols: usize) -> Draw {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let cells = root.split_evenly((rows, cols));
        let shared = (self.panels.len() > 1 && cells.len() > self.panels.len())
            .then(|| legend::shared(&self.panels))
            .flatten()
            .filter(|entries| !entries.is_empty());
        for (area, panel) in cells.iter().zip(&self.panels) {
            let (panel, y_scale) = lifted(panel);
            let panel = &panel;
            let (x, y) = (range(panel, true), range(panel, false));
            let (y, corner) = match shared {
                Some(_) => (y, None),
                None => {
                    let placement = legend::place(panel, &x, y);
                    (placement.y, placement.corner)
                }
            };
            let decades = [(x.end / x.start).log10(), (y.end / y.start).log10()];
            let style = Style { decades, y_scale, legend: corner };
            match (panel.x.log, panel.y.log) {
                (true, true) => draw_panel(area, panel, x.log_scale(), y.log_scale(), style),
                (true, false) => draw_panel(area, panel, x.log_scale(), y, style),
                (false, true) => draw_panel(area, panel, x, y.log_scale(), style),
                (false, false) => draw_panel(area, panel, x, y, style),
            }?;
        }
        if let (Some(entries), Some(cell)) = (shared, cells.get(self.panels.len())) {
            draw_legend(cell, &entries)?;
        }
        Ok(())
    }
}

/// How [`draw_panel`] draws a panel: the decades its log axes span (x, y), the lift of its y
/// axis ([`lifted`]: labels show v / y_scale) and its legend's corner (None: no legend).
#[derive(Clone, Copy)]
struct Style {
    decades: [f64; 2],
    y_scale: f64,
    legend: Option<Corner>,
}

/// A legend on its own, in an empty cell of the grid (the figure's shared legend), centred
/// horizontally near the top.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[Entry]) -> Draw {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (w, h) = legend::pixel_size(entries);
    let (cell_w, _) = area.dim_in_pixel();
    let x0 = ((cell_w as f64 - w) / 2.0).max(8.0) as i32;
    let y0 = 44;
    let frame = [(x0, y0), (x0 + w as i32, y0 + h as i32)];
    area.draw(&Rectangle::new(frame, ShapeStyle::from(&RGBColor(180, 180, 180)).stroke_width(1))).map_err(err)?;
    for (k, e) in entries.iter().enumerate() {
        let y = y0 + 16 + 20 * k as i32;
        let (a, b) = (x0 + 10, x0 + 34);
        let solid = ShapeStyle::from(&e.color).stroke_width(2);
        let dashes = |on: i32, off: i32, style: ShapeStyle| {
            (a..b).step_by((on + off) as usize).map(move |s| PathElement::new([(s, y), ((s + on).min(b), y)], style))
        };
        match e.swatch {
            Swatch::Line => area.draw(&PathElement::new([(a, y), (b, y)], solid)).map_err(err)?,
            Swatch::Dashed => dashes(8, 5, solid).try_for_each(|d| area.draw(&d)).map_err(err)?,
            Swatch::Mark => {
                let thin = ShapeStyle::from(&e.color).stroke_width(1);
                dashes(6, 4, thin).try_for_each(|d| area.draw(&d)).map_err(err)?
            }
            Swatch::Marker => area.draw(&Circle::new(((a + b) / 2, y), 4, e.color.filled())).map_err(err)?,
            Swatch::Band => {
                area.draw(&Rectangle::new([(a, y - 6), (b, y + 6)], e.color.mix(0.25).filled())).map_err(err)?;
                area.draw(&PathElement::new([(a, y), (b, y)], ShapeStyle::from(&e.color).stroke_width(1)))
                    .map_err(err)?
            }
        }
        area.draw(&Text::new(e.label.clone(), (x0 + 42, y - 8), (FAMILY, 13))).map_err(err)?;
    }
    Ok(())
}

type Draw = std::result::Result<(), String>;

/// Plotters' log axis treats values below f64::EPSILON as zero and draws no key point there, so
/// a log y axis reaching below 1e-13 (C1's losses fall to 1e-22) is drawn lifted by a power of
/// ten, s, and labelled with the true values v/s. Returns the panel to draw and s.
fn lifted(panel: &Panel) -> (Panel, f64) {
    let low = range(panel, false).start;
    if !panel.y.log || low >= 1e-13 {
        return (panel.clone(), 1.0);
    }
    let s = 10f64.powf((-low.log10()).ceil() - 3.0);
    let mut out = panel.clone();
    for series in &mut out.series {
        series.points.iter_mut().for_each(|p| p.1 *= s);
        if let Kind::Bars(extra) | Kind::Band(extra) = &mut series.kind {
            extra.iter_mut().for_each(|e| *e = (e.0 * s, e.1 * s));
        }
    }
    out.notes.iter_mut().for_each(|n| n.1 *= s);
    (out, s)
}

/// The data range of one axis (with the error bars, bands and marks), padded: by a factor on a
/// log axis (positive values only), by 5 % of the span on a linear one.
fn range(panel: &Panel, x_axis: bool) -> std::ops::Range<f64> {
    let log = if x_axis { panel.x.log } else { panel.y.log };
    let mut values: Vec<f64> = Vec::new();
    for s in &panel.series {
        for (k, &(x, y)) in s.points.iter().enumerate() {
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            values.push(if x_axis { x } else { y });
            if let (false, Kind::Bars(extra) | Kind::Band(extra)) = (x_axis, &s.kind) {
                values.extend([extra[k].0, extra[k].1]);
            }
        }
    }
    if x_axis {
        values.extend(panel.marks.iter().map(|m| m.x));
        // A note's text runs to the right of its anchor: leave room for it on a log axis
        // (about 0.02 decade per character at the panel's usual span of two decades).
        if log {
            values.extend(panel.notes.iter().map(|(x, _, text)| x * 10f64.powf(0.02 * text.chars().count() as f64)));
        }
    }
    values.retain(|v| v.is_finite() && (!log || *v > 0.0));
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    match (lo.is_finite(), log) {
        (false, _) => 1.0..10.0,
        (true, true) => {
            let (lo, hi) = if hi > lo * 1.5 { (lo, hi) } else { (lo / 2.0, hi * 2.0) };
            // Plotters puts a log axis's key points from the first power of ten at or above the
            // start, so a start more than 2x below that power would leave its partial decade
            // unlabelled: then the start moves down to the power of ten below (a hair below it:
            // plotters takes the ceiling of its rounded log10).
            let start = lo / 1.4;
            let below = 10f64.powf(start.log10().floor());
            let start = if 10.0 * below / start > 2.0 { below * (1.0 - 1e-9) } else { start };
            start..hi * 1.4
        }
        (true, false) => {
            let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 * lo.abs().max(1.0) };
            lo - pad..hi + pad
        }
    }
}

/// Tick labels of a log axis spanning `decades`: at 1, 2 and 5 times a power of ten, or only
/// at powers of ten beyond three decades (the grid keeps the other key points unlabelled); the
/// axis is drawn lifted by `scale` ([`lifted`]), so a key point v is labelled v / scale.
fn log_ticks(decades: f64, scale: f64) -> impl Fn(&f64) -> String {
    let mantissas: &'static [f64] = if decades > 3.0 { &[1.0, 10.0] } else { &[1.0, 2.0, 5.0, 10.0] };
    move |v: &f64| {
        // Key points far from 1 carry relative rounding of ~1e-5 (0.5 arrives as 0.49999...):
        // compare mantissas relatively, or whole decades and the 2s and 5s go unlabelled.
        let mantissa = v / 10f64.powf(v.log10().floor());
        if mantissas.iter().any(|m| (mantissa / m - 1.0).abs() < 1e-3) { tick(&(v / scale)) } else { String::new() }
    }
}

/// Tick labels: plain numbers where they are short, scientific notation otherwise.
fn tick(v: &f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if (1e-2..1e5).contains(&a) {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.0e}")
    }
}

/// Draws one panel in `style`.
fn draw_panel<DB, X, Y>(area: &DrawingArea<DB, Shift>, panel: &Panel, x: X, y: Y, style: Style) -> Draw
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (x_log, y_log) = (log_ticks(style.decades[0], 1.0), log_ticks(style.decades[1], style.y_scale));
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FAMILY, 19))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(&panel.x.label)
        .y_desc(&panel.y.label)
        // Log axes ask for many key points (every 1..9 x 10^k) and label only 1, 2 and 5.
        .x_labels(if panel.x.log { 60 } else { 10 })
        .y_labels(if panel.y.log { 60 } else { 10 })
        .x_label_formatter(if panel.x.log { &x_log } else { &tick })
        .y_label_formatter(if panel.y.log { &y_log } else { &tick })
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(err)?;
    let (ylo, yhi) = {
        let r = chart.y_range();
        (r.start, r.end)
    };
    for m in &panel.marks {
        let style = ShapeStyle::from(&m.color).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new([(m.x, ylo), (m.x, yhi)], 6, 4, style))
            .map_err(err)?
            .label(m.label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
    }
    for s in &panel.series {
        let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
        let points: Vec<(f64, f64)> = s.points.iter().filter(finite).copied().collect();
        let style = ShapeStyle::from(&s.color).stroke_width(2);
        let fill = s.color.filled();
        let anno = match &s.kind {
            Kind::Line => chart.draw_series(LineSeries::new(points, style)).map_err(err)?,
            Kind::Dashed => chart.draw_series(DashedLineSeries::new(points, 8, 5, style)).map_err(err)?,
            Kind::Markers => chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, fill))).map_err(err)?,
            Kind::Bars(extra) => {
                let bars = s.points.iter().zip(extra).filter(|(p, e)| finite(p) && e.0.is_finite() && e.1.is_finite());
                chart
                    .draw_series(bars.map(|(&(x, y), &(lo, hi))| ErrorBar::new_vertical(x, lo, y, hi, style, 8)))
                    .map_err(err)?;
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, fill))).map_err(err)?
            }
            Kind::Band(extra) => {
                let band: Vec<(f64, f64, f64)> = s
                    .points
                    .iter()
                    .zip(extra)
                    .filter(|(p, e)| finite(p) && e.0.is_finite() && e.1.is_finite())
                    .map(|(p, e)| (p.0, e.0, e.1))
                    .collect();
                let outline: Vec<(f64, f64)> =
                    band.iter().map(|b| (b.0, b.2)).chain(band.iter().rev().map(|b| (b.0, b.1))).collect();
                chart.draw_series([Polygon::new(outline, s.color.mix(0.25).filled())]).map_err(err)?;
                chart.draw_series(LineSeries::new(points, ShapeStyle::from(&s.color).stroke_width(1))).map_err(err)?
            }
        };
        if let Some(label) = &s.label {
            anno.label(label.clone()).legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
        }
    }
    for (x, y, text) in &panel.notes {
        chart.draw_series([Text::new(text.clone(), (*x, *y), (FAMILY, 12))]).map_err(err)?;
    }
    if let Some(corner) = style.legend {
        chart
            .configure_series_labels()
            .position(corner.position())
            .label_font((FAMILY, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}
