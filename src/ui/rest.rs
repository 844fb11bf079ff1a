//! The Rest check: the face held still for a chosen time while blinks, twitches and spasms are
//! looked for on each side; a live timeline of what was found, the counts at the end, and the
//! check kept in the record.

use std::sync::mpsc::{Receiver, channel};
use std::time::Instant;

use eframe::egui::{self, Color32, RichText, Sense, Stroke, StrokeKind};

use super::LiveApp;
use crate::analysis::RestCheck;
use crate::session::calendar::now_unix;
use crate::session::events::{Event, EventKind, per_minute};
use crate::session::guide::Phase;
use crate::session::writer::until_unlocked;
use crate::session::{Store, StoreError};
use crate::symmetry::regions::Region;

/// The lengths offered, minutes.
pub const REST_MINUTES: [f64; 3] = [1.0, 2.0, 5.0];
/// Seconds to wait, after the check's end, for the analysis to tell its last events; a
/// source that stopped tells nothing more.
const END_WAIT_S: f64 = 2.0;

/// What to do during a rest check.
pub const REST_INSTRUCTION: &str = "Sit comfortably facing the camera, face relaxed, eyes open, \
    and keep still: no exercise, no talking. Blink as you normally would. Both sides are \
    watched for twitches and spasms (the lower lid, eye, brow, cheek, mouth corner and chin), \
    and your blinks are counted.";

/// What a found count means, until real twitches have been measured.
pub const REST_CAVEAT: &str = "Twitch detection is checked on generated twitches only, not yet \
    on filmed ones: a count is a guide for you and your therapist, not a diagnosis.";

/// The rest check part of the app.
pub(super) struct RestState {
    /// The length chosen, minutes.
    pub(super) minutes: f64,
    /// The check under way, or the last one.
    run: Option<RestRun>,
    generation: u64,
    /// The record's answer for the last check: its number, or why it was not kept.
    saving: Option<Receiver<Result<i64, String>>>,
    saved: Option<Result<i64, String>>,
}

impl Default for RestState {
    fn default() -> Self {
        Self { minutes: REST_MINUTES[0], run: None, generation: 0, saving: None, saved: None }
    }
}

/// One rest check.
struct RestRun {
    generation: u64,
    /// UI time at its start, and when its end was asked (`None` while it runs).
    started: f64,
    ending: Option<f64>,
    /// Whether every event has come in.
    done: bool,
    started_unix: i64,
    /// Seconds asked for.
    length_s: f64,
    /// Seconds the face was seen and measured (what the rates are of), and the UI time of
    /// the last result that was.
    watched_s: f64,
    last_seen: Option<f64>,
    /// Why it ended before its time, if it did.
    cut_short: Option<&'static str>,
    source: String,
    events: Vec<Event>,
}

impl LiveApp {
    /// Starts a rest check of the chosen length at UI time `now`; needs a neutral face and
    /// no guided session under way.
    pub fn start_rest_check(&mut self, now: f64) {
        if !self.neutral_set() || self.guided_under_way() {
            return;
        }
        let source = self.source_label();
        let rest = &mut self.rest;
        rest.generation += 1;
        let generation = rest.generation;
        rest.run = Some(RestRun {
            generation,
            started: now,
            ending: None,
            done: false,
            started_unix: now_unix(),
            length_s: rest.minutes * 60.0,
            watched_s: 0.0,
            last_seen: None,
            cut_short: None,
            source,
            events: Vec::new(),
        });
        (rest.saving, rest.saved) = (None, None);
        self.control.rest_check(Some(RestCheck { since: Instant::now(), generation }));
    }

    /// Ends the rest check under way at UI time `now` (what was found so far is kept).
    pub fn stop_rest_check(&mut self, now: f64) {
        if let Some(run) = self.rest.run.as_mut().filter(|r| r.ending.is_none()) {
            run.ending = Some(now);
            self.control.rest_check(None);
        }
    }

    /// Whether a guided session is under way (a rest check is made at rest, not during one).
    fn guided_under_way(&self) -> bool {
        self.guided_session().is_some_and(|s| s.phase() != Phase::Finished)
    }

    /// A result shown at UI time `now`: the time since the last one counts as watched when
    /// both measured the face (gaps of more than half a second, the face lost or the
    /// analysis stalled, do not).
    pub(super) fn rest_watch(&mut self, measured: bool, now: f64) {
        let Some(run) = self.rest.run.as_mut().filter(|r| r.ending.is_none()) else { return };
        if let (true, Some(last)) = (measured, run.last_seen) {
            let step = now - last;
            if step > 0.0 && step <= 0.5 {
                run.watched_s += step;
            }
        }
        run.last_seen = measured.then_some(now);
    }

    /// The events of the rest check under way or last ended.
    pub fn rest_events(&self) -> &[Event] {
        self.rest.run.as_ref().map_or(&[], |r| &r.events)
    }

    /// Whether a rest check is under way (not yet ended).
    pub fn rest_check_running(&self) -> bool {
        self.rest.run.as_ref().is_some_and(|r| !r.done)
    }

    /// The record's answer for the last check: its number, or why it was not kept.
    pub fn rest_check_saved(&self) -> Option<&Result<i64, String>> {
        self.rest.saved.as_ref()
    }

    pub(super) fn rest_event(&mut self, generation: u64, event: Event) {
        if let Some(run) = self.rest.run.as_mut().filter(|r| r.generation == generation) {
            run.events.push(event);
            run.events.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        }
    }

    pub(super) fn rest_ended(&mut self, generation: u64) {
        if self.rest.run.as_ref().is_some_and(|r| r.generation == generation && !r.done) {
            self.finish_rest_check();
        }
    }

    /// Ends the check when its time is up or its source has ended (`source_over`), and gives
    /// up waiting for its last events when the analysis has gone; takes the record's answer.
    pub(super) fn rest_tick(&mut self, now: f64, source_over: bool) {
        let (ending, started, length) = match &self.rest.run {
            Some(run) if !run.done => (run.ending, run.started, run.length_s),
            _ => (None, 0.0, 0.0),
        };
        if self.rest.run.as_ref().is_some_and(|r| !r.done) {
            match ending {
                None if now - started >= length => self.stop_rest_check(now),
                None if source_over => {
                    if let Some(run) = &mut self.rest.run {
                        run.cut_short = Some("the video or camera stopped");
                    }
                    self.stop_rest_check(now);
                }
                Some(at) if now - at > END_WAIT_S => self.finish_rest_check(),
                _ => {}
            }
        }
        if let Some(answer) = self.rest.saving.as_ref().and_then(|r| r.try_recv().ok()) {
            self.rest.saved = Some(answer);
            self.rest.saving = None;
            self.history.stale = true;
        }
    }

    /// Every event is in: the check is kept in the record, off this thread (another program
    /// may hold the record for a while).
    fn finish_rest_check(&mut self) {
        let Some(run) = &mut self.rest.run else { return };
        run.done = true;
        let (dir, events) = (self.data_dir.clone(), run.events.clone());
        let (started, watched, source) = (run.started_unix, run.watched_s, run.source.clone());
        let (tell, answer) = channel();
        std::thread::spawn(move || {
            let kept = until_unlocked(
                |_: &StoreError| {},
                || Store::open(&dir)?.add_rest_check(started, watched, &source, &events),
            );
            let _ = tell.send(kept.map_err(|e| e.to_string()));
        });
        self.rest.saving = Some(answer);
    }

    pub(super) fn rest_ui(&mut self, ui: &mut egui::Ui, now: f64) {
        ui.heading("Rest check");
        ui.label(REST_INSTRUCTION);
        ui.add_space(6.0);
        let running = self.rest_check_running();
        if !self.neutral_set() {
            ui.colored_label(
                Color32::from_rgb(230, 160, 40),
                "Set your neutral face first: relax, look at the camera and press Calibrate.",
            );
            if ui.add_enabled(!self.calibration_pending(), egui::Button::new("Calibrate")).clicked()
            {
                self.request_calibration();
            }
            self.calibration_ui(ui);
        } else {
            self.neutral_warnings_ui(ui);
            ui.horizontal(|ui| {
                ui.label("Length:");
                for minutes in REST_MINUTES {
                    ui.add_enabled_ui(!running, |ui| {
                        ui.selectable_value(
                            &mut self.rest.minutes,
                            minutes,
                            format!("{minutes:.0} min"),
                        );
                    });
                }
            });
            let exercising = self.guided_under_way();
            let ending = self.rest.run.as_ref().is_some_and(|r| r.ending.is_some());
            if running && !ending {
                if ui.button("Stop").clicked() {
                    self.stop_rest_check(now);
                }
            } else if exercising {
                ui.label(
                    "A guided session is under way: stop it first (a rest check is made at rest).",
                );
            } else if running {
                ui.label("Ending: waiting for the last events…");
            } else if ui.button("Start rest check").clicked() {
                self.start_rest_check(now);
            }
        }
        let Some(run) = &self.rest.run else {
            ui.add_space(6.0);
            ui.label(RichText::new(REST_CAVEAT).small());
            return;
        };
        let elapsed = match run.ending {
            Some(_) => run.watched_s,
            None => (now - run.started).clamp(0.0, run.length_s),
        };
        ui.add_space(6.0);
        ui.add(egui::ProgressBar::new((elapsed / run.length_s) as f32).text(format!(
            "{} of {}",
            clock(elapsed),
            clock(run.length_s)
        )));
        timeline(ui, &run.events, run.length_s, elapsed);
        ui.add_space(4.0);
        for line in counts(&run.events, elapsed) {
            ui.label(line);
        }
        if run.done {
            match &self.rest.saved {
                Some(Ok(id)) => {
                    ui.label(format!("Kept in your record as rest check {id}."));
                }
                Some(Err(why)) => {
                    ui.colored_label(
                        Color32::from_rgb(230, 70, 60),
                        format!("Not recorded: {why}"),
                    );
                }
                None => {
                    ui.label("Keeping it in your record…");
                }
            }
        }
        ui.add_space(6.0);
        ui.label(RichText::new(REST_CAVEAT).small());
    }
}

/// "1:05".
fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Each region's colour on the timeline.
fn region_colour(region: &str) -> Color32 {
    match region {
        "lower_lid" => Color32::from_rgb(230, 120, 40),
        "eye" => Color32::from_rgb(200, 80, 160),
        "brow" => Color32::from_rgb(90, 150, 230),
        "cheek" => Color32::from_rgb(70, 180, 120),
        "mouth_corner" => Color32::from_rgb(220, 60, 60),
        _ => Color32::from_rgb(160, 140, 90),
    }
}

/// The events over the check's length: one lane per side (an event of both sides in both)
/// and one of blinks, with a mark at `now_s`; under it, the regions' colours.
fn timeline(ui: &mut egui::Ui, events: &[Event], length_s: f64, now_s: f64) {
    let lanes = ["your left", "your right", "blinks"];
    let label_w = 70.0;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 96.0), Sense::hover());
    let painter = ui.painter_at(rect);
    let lane_h = rect.height() / lanes.len() as f32;
    let x = |t: f64| {
        rect.left() + label_w + (rect.width() - label_w) * (t / length_s).clamp(0.0, 1.0) as f32
    };
    for (i, lane) in lanes.iter().enumerate() {
        let top = rect.top() + i as f32 * lane_h;
        let band = egui::Rect::from_min_max(
            egui::pos2(rect.left() + label_w, top + 3.0),
            egui::pos2(rect.right(), top + lane_h - 3.0),
        );
        painter.rect_filled(band, 2.0, ui.visuals().extreme_bg_color);
        painter.text(
            egui::pos2(rect.left(), top + lane_h / 2.0),
            egui::Align2::LEFT_CENTER,
            lane,
            egui::FontId::proportional(12.0),
            ui.visuals().text_color(),
        );
        for e in events {
            let shown = match i {
                2 => e.kind == EventKind::Blink,
                _ => {
                    let side = if i == 0 { "left" } else { "right" };
                    e.kind != EventKind::Blink && (e.side == side || e.side == "both")
                }
            };
            if !shown {
                continue;
            }
            let (x0, x1) = (x(e.start_s), x(e.end_s).max(x(e.start_s) + 3.0));
            let colour =
                if e.kind == EventKind::Blink { Color32::GRAY } else { region_colour(e.region) };
            let mark =
                egui::Rect::from_min_max(egui::pos2(x0, band.top()), egui::pos2(x1, band.bottom()));
            painter.rect_filled(mark, 1.0, colour);
        }
    }
    let cursor = x(now_s);
    painter.line_segment(
        [egui::pos2(cursor, rect.top()), egui::pos2(cursor, rect.bottom())],
        Stroke::new(1.5, ui.visuals().strong_text_color()),
    );
    painter.rect_stroke(
        rect,
        2.0,
        Stroke::new(1.0, ui.visuals().weak_text_color()),
        StrokeKind::Inside,
    );
    ui.horizontal_wrapped(|ui| {
        for region in Region::ALL {
            let (swatch, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), Sense::hover());
            ui.painter().rect_filled(swatch, 1.0, region_colour(region.name()));
            ui.label(RichText::new(region.label()).small());
        }
    });
}

/// The counts so far, over `watched_s` seconds: per side with its regions and the spasms, the
/// twitches and the blinks a minute.
fn counts(events: &[Event], watched_s: f64) -> Vec<String> {
    let twitches: Vec<&Event> = events.iter().filter(|e| e.kind != EventKind::Blink).collect();
    let mut lines = Vec::new();
    for side in ["left", "right", "both"] {
        let on_side: Vec<&&Event> = twitches.iter().filter(|e| e.side == side).collect();
        if on_side.is_empty() && side == "both" {
            continue;
        }
        let regions: Vec<String> = Region::ALL
            .iter()
            .filter_map(|r| {
                let n = on_side.iter().filter(|e| e.region == r.name()).count();
                (n > 0).then(|| format!("{} {n}", r.label()))
            })
            .collect();
        let spasms = on_side.iter().filter(|e| e.kind == EventKind::Spasm).count();
        let what =
            if regions.is_empty() { String::new() } else { format!(": {}", regions.join(", ")) };
        let spasms = match spasms {
            0 => String::new(),
            1 => " (1 sustained: a spasm)".to_string(),
            n => format!(" ({n} sustained: spasms)"),
        };
        let name = match side {
            "left" => "Left side",
            "right" => "Right side",
            _ => "Both sides",
        };
        let n = on_side.len();
        lines.push(format!("{name}: {n} twitch{}{spasms}{what}", if n == 1 { "" } else { "es" }));
    }
    if let Some(rate) = per_minute(twitches.len(), watched_s).filter(|_| watched_s >= 10.0) {
        lines.push(format!("{rate:.1} twitches a minute"));
    }
    let blinks: Vec<&Event> = events.iter().filter(|e| e.kind == EventKind::Blink).collect();
    let rate = per_minute(blinks.len(), watched_s).filter(|_| watched_s >= 10.0);
    let rate = rate.map_or(String::new(), |r| format!(" ({r:.0} a minute)"));
    lines.push(format!("Blinks: {}{rate}", blinks.len()));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, region: &'static str, side: &'static str) -> Event {
        Event {
            kind,
            region,
            side,
            start_s: 1.0,
            end_s: 1.2,
            peak_iod: None,
            peak_left: None,
            peak_right: None,
        }
    }

    /// Counts per side name the regions and the spasms; blinks are counted apart.
    #[test]
    fn counts_by_side_and_region() {
        let events = [
            event(EventKind::Twitch, "lower_lid", "left"),
            event(EventKind::Spasm, "lower_lid", "left"),
            event(EventKind::Twitch, "mouth_corner", "left"),
            event(EventKind::Blink, "eye", "both"),
        ];
        let lines = counts(&events, 60.0);
        assert_eq!(
            lines,
            [
                "Left side: 3 twitches (1 sustained: a spasm): lower lid 2, mouth corner 1",
                "Right side: 0 twitches",
                "3.0 twitches a minute",
                "Blinks: 1 (1 a minute)",
            ]
        );
        assert_eq!(clock(65.4), "1:05");
    }
}
