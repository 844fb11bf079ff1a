//! The history view: the sessions and rest checks in the record, and each movement's median
//! ratio (or synkinesis, per side) per session over days (egui_plot).

use eframe::egui::{self, Color32, RichText};
use egui_plot::{HLine, HoverPosition, Line, LineStyle, MarkerShape, Plot, PlotPoints, Points};

use super::{LiveApp, ratio_colour};
use crate::session::history::{FAIR_RATIO, GOOD_RATIO, SessionSummary, summarize, trend};
use crate::session::store::{RestCheckInfo, format_utc};
use crate::session::{Store, StoreError};
use crate::symmetry::CORE_MOVEMENTS;
use crate::symmetry::movements::Movement;
use crate::symmetry::score::plus_minus;
use crate::symmetry::synkinesis::CoMovement;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// The record as last read.
#[derive(Default)]
pub(super) struct HistoryState {
    /// Read again before it is next shown.
    pub(super) stale: bool,
    loaded: bool,
    summaries: Vec<SessionSummary>,
    rest_checks: Vec<RestCheckInfo>,
    error: Option<String>,
    /// The charts show each movement's synkinesis per side instead of its ratio.
    synkinesis: bool,
}

impl LiveApp {
    /// Reads the record if it changed (or was never read). A record that does not exist yet
    /// is not created just to be looked at.
    fn refresh_history(&mut self) {
        if self.history.loaded && !self.history.stale {
            return;
        }
        type Read = (Vec<SessionSummary>, Vec<RestCheckInfo>);
        let read = || -> Result<Read, StoreError> {
            let Some(store) = Store::open_read_only(&self.data_dir)? else {
                return Ok((Vec::new(), Vec::new()));
            };
            let summaries = summarize(&store.sessions()?, &store.repetitions(None)?);
            Ok((summaries, store.rest_checks()?))
        };
        let history = &mut self.history;
        match read() {
            Ok((summaries, checks)) => {
                (history.summaries, history.rest_checks, history.error) = (summaries, checks, None)
            }
            Err(err) => {
                (history.summaries, history.rest_checks) = (Vec::new(), Vec::new());
                history.error = Some(err.to_string());
            }
        }
        (history.loaded, history.stale) = (true, false);
    }

    /// Sessions read from the record for the history view (reading it if needed).
    pub fn history(&mut self) -> &[SessionSummary] {
        self.refresh_history();
        &self.history.summaries
    }

    pub(super) fn sessions_ui(&mut self, ui: &mut egui::Ui) {
        self.refresh_history();
        ui.heading("Sessions");
        if ui.button("Refresh").clicked() {
            self.history.stale = true;
        }
        if let Some(err) = &self.history.error {
            ui.colored_label(Color32::from_rgb(230, 70, 60), err);
            return;
        }
        if self.history.summaries.is_empty() {
            ui.label("No sessions recorded yet: a guided session records each repetition.");
            return;
        }
        ui.label(format!(
            "{} sessions in {}",
            self.history.summaries.len(),
            self.data_dir.display()
        ));
        egui::ScrollArea::vertical()
            .id_salt("sessions_scroll")
            .max_height(ui.available_height() * 0.5)
            .show(ui, |ui| {
                egui::Grid::new("sessions").num_columns(4).striped(true).spacing([10.0, 4.0]).show(
                    ui,
                    |ui| {
                        for title in ["#", "started (UTC)", "source", "repetitions"] {
                            ui.label(RichText::new(title).strong());
                        }
                        ui.end_row();
                        for s in self.history.summaries.iter().rev() {
                            let info = &s.session;
                            ui.label(info.id.to_string());
                            ui.label(&format_utc(info.started_unix)[..16]);
                            ui.label(&info.source);
                            ui.label(info.repetitions.to_string());
                            ui.end_row();
                        }
                    },
                );
            });
    }

    /// The rest checks: each one's twitches and blinks a minute, and the twitches a minute
    /// over days.
    pub(super) fn rest_checks_ui(&mut self, ui: &mut egui::Ui) {
        self.refresh_history();
        ui.heading("Rest checks");
        ui.label("Twitches and spasms a minute in each rest check.");
        let checks = &self.history.rest_checks;
        if checks.is_empty() {
            ui.label("No rest checks recorded yet: the Rest check view keeps each one.");
            return;
        }
        let first_day = checks[0].started_unix.div_euclid(86_400);
        let day = |unix: i64| (unix as f64 / SECONDS_PER_DAY) - first_day as f64;
        let xy: Vec<[f64; 2]> = checks
            .iter()
            .filter_map(|c| Some([day(c.started_unix), c.twitches_per_minute()?]))
            .collect();
        let last_day = xy.last().map_or(1.0, |p| p[0].max(1.0));
        dated_plot("rest_checks", first_day, last_day)
            .height(130.0)
            .include_y(0.0)
            .y_axis_label("a minute")
            .show(ui, |plot| {
                if xy.len() > 1 {
                    plot.line(
                        Line::new("twitches a minute", PlotPoints::from(xy.clone()))
                            .color(Color32::from_gray(160)),
                    );
                }
                plot.points(
                    Points::new("twitches a minute", PlotPoints::from(xy.clone()))
                        .shape(MarkerShape::Circle)
                        .radius(4.0)
                        .color(Color32::from_rgb(230, 120, 40)),
                );
            });
        egui::ScrollArea::vertical().id_salt("rest_checks_scroll").show(ui, |ui| {
            egui::Grid::new("rest_checks_list")
                .num_columns(4)
                .striped(true)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    for title in ["started (UTC)", "length", "twitches", "blinks"] {
                        ui.label(RichText::new(title).strong());
                    }
                    ui.end_row();
                    for c in checks.iter().rev() {
                        let minutes = c.duration_s / 60.0;
                        let rate = |n: i64| {
                            let per = if minutes > 0.0 { n as f64 / minutes } else { 0.0 };
                            format!("{n} ({per:.1}/min)")
                        };
                        ui.label(&format_utc(c.started_unix)[..16]);
                        ui.label(format!("{minutes:.1} min"));
                        ui.label(rate(c.twitches));
                        ui.label(rate(c.blinks));
                        ui.end_row();
                    }
                });
        });
    }

    /// The rest checks read from the record for the history view (reading it if needed).
    pub fn rest_checks(&mut self) -> &[RestCheckInfo] {
        self.refresh_history();
        &self.history.rest_checks
    }

    pub(super) fn trends_ui(&mut self, ui: &mut egui::Ui) {
        self.refresh_history();
        ui.horizontal(|ui| {
            ui.heading("Over time");
            ui.add_space(12.0);
            ui.selectable_value(&mut self.history.synkinesis, false, "Symmetry");
            ui.selectable_value(&mut self.history.synkinesis, true, "Synkinesis (provisional)");
        });
        if self.history.synkinesis {
            return self.synkinesis_ui(ui);
        }
        ui.label(format!(
            "Each point is one session's median ratio for the movement: the weaker side's \
             movement over the stronger side's, 1.00 when both move equally. Green at \
             {GOOD_RATIO:.2} and above, amber from {FAIR_RATIO:.2}, red below. The bars are \
             each session's uncertainty: a change that stays within them is not a clear change."
        ));
        let summaries = &self.history.summaries;
        let (first_day, last_day) = day_span(summaries);
        let day = |unix: i64| (unix as f64 / SECONDS_PER_DAY) - first_day as f64;
        chart_grid(ui, "trends", |ui, movement, width, height| {
            let points = trend(summaries, movement.id.as_str());
            let last = points.last().map_or("no sessions yet".to_string(), |p| {
                format!("latest {:.2}{}", p.median_ratio, plus_minus(p.ratio_uncertainty))
            });
            let provisional = movement.caveat().map_or("", |_| " (provisional)");
            let title = format!("{}{provisional} · {last}", movement.name);
            let label = ui.label(RichText::new(title).strong());
            if let Some(why) = movement.caveat() {
                label.on_hover_text(why);
            }
            let xy: Vec<[f64; 2]> =
                points.iter().map(|p| [day(p.started_unix), p.median_ratio]).collect();
            let (hover_xy, hover_points) = (&xy, &points);
            dated_plot(("trend", movement.id.as_str()), first_day, last_day)
                .width(width)
                .height(height)
                .include_y(0.0)
                .include_y(1.0)
                .show_grid(true)
                .y_axis_formatter(|mark, _| format!("{:.1}", mark.value))
                .label_formatter(move |hover| match hover {
                    HoverPosition::NearDataPoint { position, .. } => {
                        // The session point hovered: the nearest one.
                        let distance = |p: &[f64; 2]| (p[0] - position.x).hypot(p[1] - position.y);
                        let (xy, point) = hover_xy
                            .iter()
                            .zip(hover_points)
                            .min_by(|(a, _), (b, _)| distance(a).total_cmp(&distance(b)))?;
                        Some(format!("ratio {:.2}{}", xy[1], plus_minus(point.ratio_uncertainty)))
                    }
                    HoverPosition::Elsewhere { .. } => None,
                })
                .show(ui, |plot| {
                    for (y, colour) in [
                        (GOOD_RATIO, ratio_colour(GOOD_RATIO)),
                        (FAIR_RATIO, ratio_colour(FAIR_RATIO)),
                    ] {
                        plot.hline(
                            HLine::new("", y)
                                .color(colour.gamma_multiply(0.5))
                                .style(LineStyle::dashed_dense()),
                        );
                    }
                    if xy.len() > 1 {
                        plot.line(
                            Line::new(movement.name, PlotPoints::from(xy.clone()))
                                .color(Color32::from_gray(160))
                                .width(1.5),
                        );
                    }
                    // Each session's uncertainty as a bar.
                    for (p, point) in xy.iter().zip(&points) {
                        let Some(u) = point.ratio_uncertainty else { continue };
                        let (low, high) = ((p[1] - u).clamp(0.0, 1.0), (p[1] + u).clamp(0.0, 1.0));
                        plot.line(
                            Line::new("", PlotPoints::from(vec![[p[0], low], [p[0], high]]))
                                .color(Color32::from_gray(110))
                                .width(1.5)
                                // Hovering tells a session's ratio, not a bar's end.
                                .allow_hover(false),
                        );
                    }
                    for p in &xy {
                        plot.points(
                            Points::new(movement.name, PlotPoints::from(vec![*p]))
                                .shape(MarkerShape::Circle)
                                .radius(4.0)
                                .color(ratio_colour(p[1])),
                        );
                    }
                });
        });
    }
}

impl LiveApp {
    /// Each movement's synkinesis over days: per session, each side's median co-movement
    /// (the eye narrowing in smiles, puckers and cheek puffs; the mouth corner's pull in eye
    /// closures and brow lifts).
    fn synkinesis_ui(&mut self, ui: &mut egui::Ui) {
        ui.label(
            "Each point is one session's median, per side, of what moved along with the \
             exercise when it should not (synkinesis): how far the eye narrowed, as a share of \
             the open eye, or how far the mouth corner pulled, in eye widths (IOD), with the \
             latest session's in each title. Lower is better. Provisional: not yet checked on \
             real faces.",
        );
        ui.horizontal(|ui| {
            for (name, colour) in SIDES {
                ui.colored_label(colour, RichText::new(name).strong());
            }
        });
        let summaries = &self.history.summaries;
        let (first_day, last_day) = day_span(summaries);
        let day = |unix: i64| (unix as f64 / SECONDS_PER_DAY) - first_day as f64;
        chart_grid(ui, "synkinesis", |ui, movement, width, height| {
            let Some(co) = CoMovement::during(movement.id) else {
                ui.label(RichText::new(movement.name).strong());
                ui.label("Nothing is read along with it: a nose wrinkle narrows healthy eyes too.");
                return;
            };
            let read: Vec<(f64, [f64; 2])> = summaries
                .iter()
                .filter_map(|s| {
                    let both = s.movement(movement.id.as_str())?.median_synkinesis?;
                    Some((day(s.session.started_unix), both))
                })
                .collect();
            let (what, how) = co.what_and_how();
            let last = read.last().map_or("no sessions yet".to_string(), |(_, [l, r])| {
                format!("{what} {how}: left {}, right {}", co.amount(*l), co.amount(*r))
            });
            ui.label(RichText::new(format!("{} · {last}", movement.name)).strong());
            dated_plot(("synkinesis", movement.id.as_str()), first_day, last_day)
                .width(width)
                .height(height)
                .include_y(0.0)
                .show_grid(true)
                .y_axis_formatter(move |mark, _| co.amount(mark.value))
                .show(ui, |plot| {
                    for (k, (name, colour)) in SIDES.into_iter().enumerate() {
                        let xy: Vec<[f64; 2]> = read.iter().map(|(x, v)| [*x, v[k]]).collect();
                        if xy.len() > 1 {
                            let line = Line::new(name, PlotPoints::from(xy.clone()));
                            plot.line(line.color(colour.gamma_multiply(0.6)).width(1.5));
                        }
                        plot.points(
                            Points::new(name, PlotPoints::from(xy))
                                .shape(MarkerShape::Circle)
                                .radius(4.0)
                                .color(colour),
                        );
                    }
                });
        });
    }
}

/// The two sides as charted: name and colour.
const SIDES: [(&str, Color32); 2] = [
    ("your left", Color32::from_rgb(90, 150, 230)),
    ("your right", Color32::from_rgb(230, 140, 40)),
];

/// The days the charts span (days since 1970, UTC): the first session's, and at least one
/// day after it, so every chart spans the same days and can be compared at a glance.
fn day_span(summaries: &[SessionSummary]) -> (i64, f64) {
    let first_day = summaries.first().map_or(0, |s| s.session.started_unix.div_euclid(86_400));
    let last_day = summaries.last().map_or(1.0, |s| {
        (s.session.started_unix as f64 / SECONDS_PER_DAY - first_day as f64).max(1.0)
    });
    (first_day, last_day)
}

/// One chart per core movement, two to a row, sized to share the panel.
fn chart_grid(
    ui: &mut egui::Ui,
    id: &str,
    mut chart: impl FnMut(&mut egui::Ui, &Movement, f32, f32),
) {
    let width = (ui.available_width() - 16.0) / 2.0;
    let height = ((ui.available_height() - 24.0) / 3.0 - 24.0).clamp(90.0, 260.0);
    egui::Grid::new(id).num_columns(2).spacing([16.0, 4.0]).show(ui, |ui| {
        for (i, movement) in CORE_MOVEMENTS.iter().enumerate() {
            ui.vertical(|ui| chart(ui, movement, width, height));
            if i % 2 == 1 {
                ui.end_row();
            }
        }
    });
}

/// A chart over dates that stays as drawn: x in days from `first_day` (days since 1970, UTC)
/// to at least `last_day`, labelled with month and day; no dragging, zooming or scrolling.
fn dated_plot<'a>(
    id: impl std::hash::Hash + std::fmt::Debug,
    first_day: i64,
    last_day: f64,
) -> Plot<'a> {
    Plot::new(id)
        .include_x(0.0)
        .include_x(last_day)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .x_axis_label("date")
        .x_axis_formatter(move |mark, _| {
            let unix = ((first_day as f64 + mark.value) * SECONDS_PER_DAY) as i64;
            format_utc(unix)[5..10].to_string()
        })
}
