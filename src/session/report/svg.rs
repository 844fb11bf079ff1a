//! The SVG charting kit: a 0–1 ratio plot over any x domain, with colour bands, axes and
//! ticks, a legend above it, and error bars.

use std::fmt::{self, Formatter};

use super::text::Escaped;
use crate::session::history::{FAIR_RATIO, GOOD_RATIO};

// Chart geometry, in SVG user units (the charts scale to their column's width).
/// Width of a chart.
const CHART_WIDTH: f64 = 480.0;
/// Height of a chart.
const CHART_HEIGHT: f64 = 260.0;
/// Left edge of the plotting area: room for the y axis's title and tick labels.
pub(super) const PLOT_LEFT: f64 = 54.0;
/// Right edge of the plotting area: room for half a tick label.
pub(super) const PLOT_RIGHT: f64 = 462.0;
/// Top edge of the plotting area: room for the legend above it.
const PLOT_TOP: f64 = 30.0;
/// Baseline of the legend's text.
const LEGEND_Y: f64 = 13.0;
/// Width of a legend character at the charts' 12-unit font, a little generous: enough to
/// place the next legend entry after a label without measuring text.
const LEGEND_CHAR_WIDTH: f64 = 6.8;
/// Bottom edge of the plotting area: room for the x axis's tick labels and title.
const PLOT_BOTTOM: f64 = 206.0;

/// The plotting area for an x domain; y is always the ratio, 0–1.
pub(super) struct Plot {
    pub(super) x_min: f64,
    pub(super) x_max: f64,
}

impl Plot {
    pub(super) fn x(&self, value: f64) -> f64 {
        PLOT_LEFT + (value - self.x_min) / (self.x_max - self.x_min) * (PLOT_RIGHT - PLOT_LEFT)
    }

    pub(super) fn y(ratio: f64) -> f64 {
        PLOT_BOTTOM - ratio.clamp(0.0, 1.0) * (PLOT_BOTTOM - PLOT_TOP)
    }

    /// The opening tag, title and description.
    pub(super) fn open(
        f: &mut Formatter<'_>,
        chart: &str,
        index: usize,
        movement: &str,
        title: &str,
        desc: &str,
    ) -> fmt::Result {
        writeln!(
            f,
            "<svg class=\"chart\" data-chart=\"{chart}\" data-movement=\"{}\" \
             viewBox=\"0 0 {CHART_WIDTH} {CHART_HEIGHT}\" role=\"img\" \
             aria-labelledby=\"m{index}-{chart}-title m{index}-{chart}-desc\">",
            Escaped(movement)
        )?;
        writeln!(f, "<title id=\"m{index}-{chart}-title\">{}</title>", Escaped(title))?;
        writeln!(f, "<desc id=\"m{index}-{chart}-desc\">{}</desc>", Escaped(desc))
    }

    /// Colour bands, y grid, ticks and labels, the x axis with `ticks` (value, label), and
    /// both axis titles.
    pub(super) fn axes(
        &self,
        f: &mut Formatter<'_>,
        ticks: &[(f64, String)],
        x_title: &str,
    ) -> fmt::Result {
        let (left, right) = (PLOT_LEFT, PLOT_RIGHT);
        let width = right - left;
        for (band, low, high) in
            [("good", GOOD_RATIO, 1.0), ("fair", FAIR_RATIO, GOOD_RATIO), ("poor", 0.0, FAIR_RATIO)]
        {
            writeln!(
                f,
                "<rect class=\"band {band}\" x=\"{left:.1}\" y=\"{:.1}\" width=\"{width:.1}\" \
                 height=\"{:.1}\"/>",
                Self::y(high),
                Self::y(low) - Self::y(high)
            )?;
        }
        for step in 0..=5 {
            let ratio = f64::from(step) * 0.2;
            let y = Self::y(ratio);
            if step > 0 && step < 5 {
                writeln!(
                    f,
                    "<line class=\"grid\" x1=\"{left:.1}\" x2=\"{right:.1}\" y1=\"{y:.1}\" \
                     y2=\"{y:.1}\"/>"
                )?;
            }
            writeln!(
                f,
                "<line class=\"axis\" x1=\"{:.1}\" x2=\"{left:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>",
                left - 4.0
            )?;
            writeln!(
                f,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{ratio:.1}</text>",
                left - 8.0,
                y + 4.0
            )?;
        }
        writeln!(
            f,
            "<line class=\"axis\" x1=\"{left:.1}\" x2=\"{left:.1}\" y1=\"{PLOT_TOP:.1}\" \
             y2=\"{PLOT_BOTTOM:.1}\"/>"
        )?;
        writeln!(
            f,
            "<line class=\"axis\" x1=\"{left:.1}\" x2=\"{right:.1}\" y1=\"{PLOT_BOTTOM:.1}\" \
             y2=\"{PLOT_BOTTOM:.1}\"/>"
        )?;
        for (value, label) in ticks {
            let x = self.x(*value);
            writeln!(
                f,
                "<line class=\"axis\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{PLOT_BOTTOM:.1}\" \
                 y2=\"{:.1}\"/>",
                PLOT_BOTTOM + 4.0
            )?;
            writeln!(
                f,
                "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                PLOT_BOTTOM + 18.0,
                Escaped(label)
            )?;
        }
        writeln!(
            f,
            "<text class=\"axis-title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            (left + right) / 2.0,
            CHART_HEIGHT - 14.0,
            Escaped(x_title)
        )?;
        writeln!(
            f,
            "<text class=\"axis-title\" transform=\"translate(16 {:.1}) rotate(-90)\" \
             text-anchor=\"middle\">Ratio</text>",
            (PLOT_TOP + PLOT_BOTTOM) / 2.0
        )
    }
}

/// Where each legend entry starts, and where the last one ends: a marker 26 units wide, then
/// its label, then 18 units of space.
pub(super) fn legend_positions<'a>(labels: impl IntoIterator<Item = &'a str>) -> (Vec<f64>, f64) {
    let mut x = PLOT_LEFT;
    let mut starts = Vec::new();
    for label in labels {
        starts.push(x);
        x += 26.0 + label.chars().count() as f64 * LEGEND_CHAR_WIDTH + 18.0;
    }
    (starts, x - 18.0)
}

/// A legend over the plot: each entry a marker (SVG drawn with its centre at the origin,
/// within 20 units to its right) and a label, left to right from the plot's left edge.
pub(super) fn legend(f: &mut Formatter<'_>, entries: &[(String, String)]) -> fmt::Result {
    let (starts, _) = legend_positions(entries.iter().map(|(_, label)| label.as_str()));
    writeln!(f, "<g class=\"legend\">")?;
    for ((marker, label), x) in entries.iter().zip(starts) {
        writeln!(f, "<g transform=\"translate({x:.1} {:.1})\">{marker}</g>", LEGEND_Y - 4.0)?;
        writeln!(f, "<text x=\"{:.1}\" y=\"{LEGEND_Y:.1}\">{}</text>", x + 26.0, Escaped(label))?;
    }
    writeln!(f, "</g>")
}

/// Half-width of an error bar's caps, SVG units.
const ERROR_CAP: f64 = 4.0;
/// An error bar as a legend marker: vertical, capped, centred on the origin.
pub(super) const ERROR_BAR_MARKER: &str =
    "<path class=\"error\" d=\"M10 -7 V7 M6 -7 H14 M6 7 H14\"/>";
/// An error bar's legend label.
pub(super) const ERROR_BAR_LABEL: &str = "± uncertainty";

/// A vertical error bar at `x` from `ratio − u` to `ratio + u` (clamped to 0–1), capped.
pub(super) fn error_bar(f: &mut Formatter<'_>, x: f64, ratio: f64, u: f64) -> fmt::Result {
    let (top, bottom) = (Plot::y(ratio + u), Plot::y(ratio - u));
    let (left, right) = (x - ERROR_CAP, x + ERROR_CAP);
    writeln!(
        f,
        "<path class=\"error bar\" d=\"M{x:.1} {top:.1} V{bottom:.1} M{left:.1} {top:.1} H{right:.1} \
         M{left:.1} {bottom:.1} H{right:.1}\"/>"
    )
}

/// A step of 1, 2 or 5 times a power of ten giving at most `max_ticks` ticks over `span`.
pub(super) fn nice_step(span: f64, max_ticks: f64) -> f64 {
    let mut magnitude = 1.0;
    loop {
        for factor in [1.0, 2.0, 5.0] {
            let step = factor * magnitude;
            if span / step <= max_ticks {
                return step;
            }
        }
        magnitude *= 10.0;
    }
}
