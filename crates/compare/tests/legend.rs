//! Legend placement: a free corner when there is one, headroom when there is none, one shared
//! legend only when its entries mean the same thing in every panel.

use compare::figure::{Axis, Kind, Panel, Series, color};
use compare::legend::{Corner, place, shared};

/// (label, colour index, points) of one line.
type Line = (&'static str, usize, Vec<(f64, f64)>);

fn panel(lines: &[Line]) -> Panel {
    let mut p = Panel::new("t", Axis::linear("x"), Axis::log("y"));
    for (label, c, points) in lines {
        p.series.push(Series::new(*label, color(*c), Kind::Line, points.clone()));
    }
    p
}

#[test]
fn the_legend_goes_to_a_corner_the_data_leave_empty() {
    // A line from the lower left to the upper right: the upper-left corner is free.
    let rising = panel(&[("rising", 0, (0..=10).map(|k| (k as f64, 10f64.powi(k))).collect())]);
    let placed = place(&rising, &(0.0..10.0), 1.0..1e10);
    assert_eq!(placed.corner, Some(Corner::UpperLeft));
    assert_eq!(placed.y, 1.0..1e10);
    // Falling: the upper right is free.
    let falling = panel(&[("falling", 0, (0..=10).map(|k| (k as f64, 10f64.powi(10 - k))).collect())]);
    assert_eq!(place(&falling, &(0.0..10.0), 1.0..1e10).corner, Some(Corner::UpperRight));
}

#[test]
fn with_every_corner_taken_the_axis_makes_room_above_the_data() {
    // Flat lines along the top and the bottom cover all four corners.
    let top: Vec<(f64, f64)> = (0..=10).map(|k| (k as f64, 9e9)).collect();
    let bottom: Vec<(f64, f64)> = (0..=10).map(|k| (k as f64, 1.1)).collect();
    let p = panel(&[("top", 0, top), ("bottom", 1, bottom)]);
    let placed = place(&p, &(0.0..10.0), 1.0..1e10);
    assert_eq!(placed.corner, Some(Corner::UpperRight));
    assert_eq!(placed.y.start, 1.0);
    // The old top now lies at most at 1 - (legend height) - margin of the axis.
    let at = (1e10f64.ln() - 1f64.ln()) / (placed.y.end.ln() - placed.y.start.ln());
    assert!((0.3..0.85).contains(&at), "{at}");
    // And the new range leaves the corner free.
    assert_eq!(place(&p, &(0.0..10.0), placed.y.clone()).corner, Some(Corner::UpperRight));
}

/// A panel without labelled series gets no legend, and its axis no headroom, however full its
/// corners are.
#[test]
fn a_panel_without_entries_gets_no_legend() {
    let top: Vec<(f64, f64)> = (0..=10).map(|k| (k as f64, 9e9)).collect();
    let bottom: Vec<(f64, f64)> = (0..=10).map(|k| (k as f64, 1.1)).collect();
    let mut p = panel(&[("top", 0, top), ("bottom", 1, bottom)]);
    p.series = p.series.into_iter().map(Series::unlabelled).collect();
    let placed = place(&p, &(0.0..10.0), 1.0..1e10);
    assert_eq!(placed.corner, None);
    assert_eq!(placed.y, 1.0..1e10);
}

#[test]
fn a_legend_is_shared_only_when_labels_keep_their_colours() {
    let a = panel(&[("sgd", 0, vec![(1.0, 1.0)]), ("hb", 1, vec![(1.0, 1.0)])]);
    let b = panel(&[("hb", 1, vec![(1.0, 1.0)]), ("nag", 2, vec![(1.0, 1.0)])]);
    let union = shared(&[a.clone(), b]).unwrap();
    assert_eq!(union.iter().map(|e| e.label.as_str()).collect::<Vec<_>>(), ["sgd", "hb", "nag"]);
    let clash = panel(&[("hb", 3, vec![(1.0, 1.0)])]);
    assert!(shared(&[a, clash]).is_none());
}
