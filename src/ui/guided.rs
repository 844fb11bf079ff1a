//! The guided session's panel: settings, calibration, each movement with its instruction,
//! timer and count, and the summary; every repetition is written to the record as it ends.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use eframe::egui::{self, Color32, RichText};

use super::sound::CuePlayer;
use super::{
    CLOSE_EYES_INSTRUCTION, LiveApp, SourceKind, View, movement_row, reading_colour, timing_rows,
};
use crate::analysis::{Counting, LiveEvent};
use crate::session::calendar::now_unix;
use crate::session::calibration::CALIBRATION_S;
use crate::session::cues::{CueSchedule, CueState, Sound};
use crate::session::guide::{Action, Cue, GuideSettings, GuidedSession, Phase, TimedDrills};
use crate::session::history::median;
use crate::session::repetitions::Repetition;
use crate::session::writer::{RecordWriter, WriterEvent};
use crate::symmetry::MovementId;
use crate::symmetry::catalogue::GuidedDrill;
use crate::symmetry::catalogue::assist_resist;
use crate::symmetry::score::plus_minus;
use crate::symmetry::synkinesis::CoMovement;

/// Seconds between a calibration that was not kept and the next try: time to read why.
const CALIBRATION_RETRY_S: f64 = 1.5;

/// The guided session's part of the app.
#[derive(Default)]
pub(super) struct GuidedState {
    /// What the next session will ask for.
    pub(super) settings: GuideSettings,
    /// The session under way or just ended.
    pub(super) session: Option<GuidedSession>,
    /// Writes the session's repetitions to the record, off this thread (from calibration on).
    writer: Option<RecordWriter>,
    /// The session's number in the record, and the record file, once its first repetition is
    /// written.
    recorded_as: Option<(i64, PathBuf)>,
    /// Why repetitions are not being recorded.
    record_error: Option<String>,
    /// Why the record is being waited for (held by another program), while it is.
    record_waiting: Option<String>,
    /// Repetitions handed to the writer and not yet written.
    record_pending: usize,
    /// Repetition times are seconds from here.
    started: Option<Instant>,
    /// Bumped to make the analysis count afresh.
    generation: u64,
    /// The newest repetition found.
    last: Option<Repetition>,
    /// Why the last calibration was not kept, and when it is tried again (UI seconds).
    retry: Option<(String, f64)>,
    /// The closed-eye step after the neutral face: waiting (`None`) or not taken (why).
    closed_eyes: Option<Option<String>>,
    /// The closure the person's closed eyes read, once taken for this session.
    closed_eyes_read: Option<f64>,
    /// Events handed in from outside the pipeline.
    pub(super) injected: VecDeque<LiveEvent>,
    /// When the session's sound cues fall, and those that fell.
    cues: CueSchedule,
    heard: Vec<Sound>,
    /// The plan's guided-only drills, to follow the measured movements, and once begun.
    pending_drills: Vec<&'static GuidedDrill>,
    drills: Option<TimedDrills>,
}

impl LiveApp {
    /// Starts a guided session with the current settings: calibration first. A rest check
    /// under way ends (exercises are not at rest).
    pub fn start_guided(&mut self) {
        self.stop_rest_check(self.now);
        let (settings, movements, drills) = self.next_session();
        let guided = &mut self.guided;
        guided.session = Some(GuidedSession::new(settings, movements));
        (guided.pending_drills, guided.drills) = (drills, None);
        (guided.recorded_as, guided.record_error, guided.last) = (None, None, None);
        (guided.record_waiting, guided.record_pending) = (None, 0);
        // The last session's writer finishes what it was given on its own thread.
        if let Some(writer) = guided.writer.take() {
            std::thread::spawn(move || drop(writer));
        }
        (guided.started, guided.retry, guided.closed_eyes) = (None, None, None);
        (guided.cues, guided.heard) = (CueSchedule::default(), Vec::new());
        guided.closed_eyes_read = None;
        self.view = View::Guided;
        self.request_calibration();
        self.update_counting();
    }

    /// The guided session, if one was started.
    pub fn guided_session(&self) -> Option<&GuidedSession> {
        self.guided.session.as_ref()
    }

    /// The guided session's number in the record, once a repetition of it is recorded.
    pub fn recorded_session(&self) -> Option<i64> {
        self.guided.recorded_as.as_ref().map(|(id, _)| *id)
    }

    /// Repetitions of the guided session not yet in the record (the record is written on its
    /// own thread, and waited for while another program holds it).
    pub fn record_pending(&self) -> usize {
        self.guided.record_pending
    }

    /// What the record writer said since the last frame.
    pub(super) fn poll_record(&mut self) {
        let guided = &mut self.guided;
        let Some(writer) = &guided.writer else { return };
        for event in writer.events() {
            match event {
                WriterEvent::Recorded { session, path, .. } => {
                    guided.recorded_as = Some((session, path));
                    guided.record_pending = guided.record_pending.saturating_sub(1);
                    guided.record_waiting = None;
                    self.history.stale = true;
                    self.today.stale = true;
                }
                WriterEvent::Waiting(why) => guided.record_waiting = Some(why),
                WriterEvent::Failed(why) => {
                    // Nothing more will be written.
                    (guided.record_error, guided.record_waiting) = (Some(why), None);
                    guided.record_pending = 0;
                }
            }
        }
    }

    /// Why the guided session's repetitions are not being recorded, if they are not.
    pub fn recording_error(&self) -> Option<&str> {
        self.guided.record_error.as_deref()
    }

    /// Settings for the next guided session.
    pub fn guide_settings_mut(&mut self) -> &mut GuideSettings {
        &mut self.guided.settings
    }

    /// The neutral face is set: a session waiting for it asks for the closed eyes next, when
    /// it has eye closure to measure, else begins.
    pub(super) fn guided_calibrated(&mut self, now: f64) {
        let Some(session) = &self.guided.session else { return };
        if session.phase() != Phase::Calibrating {
            return;
        }
        // The neutral is kept: no retry is due.
        self.guided.retry = None;
        if session.steps().iter().any(|step| step.movement.id == MovementId::EyeClosure) {
            self.guided.closed_eyes = Some(None);
            self.request_closed_eyes();
        } else {
            self.begin_exercising(now);
        }
    }

    /// The closed-eye step ended: taken (how closed they read), the session begins; not
    /// taken, the person is told why and may try again or go on without.
    pub(super) fn guided_eyes_closed(&mut self, closed: Result<f64, String>, now: f64) {
        if self.guided.closed_eyes.is_none() {
            return;
        }
        match closed {
            Ok(closed) => {
                (self.guided.closed_eyes, self.guided.closed_eyes_read) = (None, Some(closed));
                self.begin_exercising(now);
            }
            Err(why) => self.guided.closed_eyes = Some(Some(why)),
        }
    }

    /// The session begins; its repetitions go to the record's writer (the session is made in
    /// the record with its first).
    fn begin_exercising(&mut self, now: f64) {
        let Some(session) = &mut self.guided.session else { return };
        if session.phase() != Phase::Calibrating {
            return;
        }
        session.calibrated(now);
        self.guided.started = Some(Instant::now());
        let source = format!("guided session ({})", self.source_label());
        let closed = self.guided.closed_eyes_read;
        let writer = RecordWriter::start(self.data_dir.clone(), source, now_unix(), closed);
        self.guided.writer = Some(writer);
        self.update_counting();
    }

    /// The calibration was not kept: the session tries again shortly, so the person can stay
    /// in front of the camera instead of reaching for the mouse.
    pub(super) fn guided_calibration_failed(&mut self, why: &str, now: f64) {
        if self.guided.session.as_ref().is_some_and(|s| s.phase() == Phase::Calibrating) {
            self.guided.retry = Some((why.to_string(), now + CALIBRATION_RETRY_S));
        }
    }

    /// Starts the calibration again when its time has come.
    pub(super) fn guided_retry(&mut self, now: f64) {
        let calibrating = self.guided.closed_eyes.is_none()
            && self.guided.session.as_ref().is_some_and(|s| s.phase() == Phase::Calibrating);
        match &self.guided.retry {
            Some((_, at)) if calibrating && now >= *at && !self.calibrating => {
                self.request_calibration();
            }
            _ => {}
        }
    }

    /// A repetition ended: recorded right away, then counted.
    pub(super) fn guided_repetition(&mut self, rep: &Repetition, now: f64) {
        let guided = &mut self.guided;
        let Some(session) = &mut guided.session else { return };
        if session.phase() != Phase::Exercising {
            return;
        }
        if let Some(writer) = &guided.writer
            && guided.record_error.is_none()
        {
            writer.add(rep);
            guided.record_pending += 1;
        }
        session.repetition(rep, now);
        guided.last = Some(rep.clone());
        if session.phase() == Phase::Finished {
            self.history.stale = true;
        }
        self.update_counting();
    }

    /// Tells the analysis which movement to count now.
    fn update_counting(&self) {
        let guided = &self.guided;
        let counting =
            guided.session.as_ref().and_then(GuidedSession::current).map(|movement| Counting {
                movement,
                since: guided.started.unwrap_or_else(Instant::now),
                generation: guided.generation,
            });
        self.control.count(counting);
    }

    pub(super) fn source_label(&self) -> String {
        match self.source_kind {
            SourceKind::Camera => "camera".into(),
            SourceKind::Demo => "demo".into(),
            SourceKind::Video | SourceKind::Folder => self.path_input.trim().to_string(),
        }
    }

    pub(super) fn guided_ui(&mut self, ui: &mut egui::Ui, now: f64) {
        ui.heading("Exercise session");
        let Some(phase) = self.guided.session.as_ref().map(GuidedSession::phase) else {
            self.setup_ui(ui);
            return;
        };
        egui::ScrollArea::vertical().show(ui, |ui| match phase {
            Phase::Calibrating => self.calibrating_ui(ui, now),
            Phase::Exercising => self.exercising_ui(ui, now),
            Phase::Finished => self.finished_ui(ui, now),
        });
    }

    fn setup_ui(&mut self, ui: &mut egui::Ui) {
        ui.label(
            "First a few still seconds of your relaxed face, then each movement in turn. The \
             timer suggests when to hold and relax; a repetition counts when you do it, at your \
             own pace.",
        );
        ui.add_space(6.0);
        let settings = &mut self.guided.settings;
        egui::Grid::new("guide settings").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            timing_rows(ui, &mut settings.repetitions, &mut settings.hold_s, &mut settings.relax_s)
        });
        ui.add_space(6.0);
        ui.label("Your plan's movements (change them in Today):");
        let plan = self.plan();
        let movements = plan.session_movements();
        for (i, movement) in movements.iter().enumerate() {
            ui.label(format!("{}. {}", i + 1, movement.name));
        }
        for (i, drill) in plan.session_drills().iter().enumerate() {
            ui.label(format!("{}. {} (timed, not measured)", movements.len() + i + 1, drill.name));
        }
        ui.add_space(6.0);
        if self.pipeline.is_none() {
            ui.label("Start a source above first: your camera, the demo or a video.");
        }
        if ui.button("Start guided session").clicked() {
            self.start_guided();
        }
    }

    fn calibrating_ui(&mut self, ui: &mut egui::Ui, now: f64) {
        if let Some(failed) = self.guided.closed_eyes.clone() {
            self.closed_eyes_ui(ui, failed.as_deref(), now);
            return;
        }
        ui.label(RichText::new("Your neutral face").size(18.0).strong());
        ui.label(format!(
            "Relax your whole face, look straight at the camera and hold still for \
             {CALIBRATION_S:.0} seconds. Every movement is measured from this face."
        ));
        ui.add_space(6.0);
        if self.pipeline.is_none() {
            ui.label("No source is running: start your camera, the demo or a video above.");
        }
        if let Some((why, _)) = &self.guided.retry {
            ui.colored_label(
                Color32::from_rgb(230, 160, 40),
                format!("Last try not kept: {why}. Trying again…"),
            );
        }
        if self.calibration_pending() {
            self.calibration_ui(ui);
        } else if ui.button("Calibrate now").clicked() {
            self.request_calibration();
        }
        ui.add_space(6.0);
        if ui.button("Stop").clicked() {
            self.stop_guided();
        }
    }

    /// The closed-eye step: what to do, its progress, or why it was not taken with the choice
    /// to try again or go on without it.
    fn closed_eyes_ui(&mut self, ui: &mut egui::Ui, failed: Option<&str>, now: f64) {
        ui.label(RichText::new("Your closed eyes").size(18.0).strong());
        ui.label(format!(
            "{CLOSE_EYES_INSTRUCTION} Eye closure is then measured against how closed your \
             eyes look to the camera, instead of against fully shut lids."
        ));
        ui.add_space(6.0);
        if self.source_kind == SourceKind::Demo {
            ui.label("The demo face cannot close its eyes: press \"Go on without\".");
        }
        match failed {
            None => {
                let done = self.shown.as_ref().and_then(|a| a.output.closing_eyes);
                ui.add(
                    egui::ProgressBar::new(done.unwrap_or(0.0) as f32)
                        .desired_width(240.0)
                        .show_percentage(),
                );
            }
            Some(why) => {
                ui.colored_label(Color32::from_rgb(230, 160, 40), format!("Not taken: {why}."));
            }
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if failed.is_some() && ui.button("Try again").clicked() {
                self.guided.closed_eyes = Some(None);
                self.request_closed_eyes();
            }
            if ui.button("Go on without").clicked() {
                self.guided.closed_eyes = None;
                self.begin_exercising(now);
            }
            if ui.button("Stop").clicked() {
                self.stop_guided();
            }
        });
    }

    fn exercising_ui(&mut self, ui: &mut egui::Ui, now: f64) {
        let Some(session) = &self.guided.session else { return };
        let (Some(index), Some(movement)) = (session.current_index(), session.current()) else {
            return;
        };
        let step = &session.steps()[index];
        let target = session.settings().repetitions;
        ui.label(
            RichText::new(format!(
                "Movement {} of {}: {}",
                index + 1,
                session.steps().len(),
                movement.name
            ))
            .size(18.0)
            .strong(),
        );
        ui.label(RichText::new(movement.instruction).size(15.0));
        ui.label(RichText::new(assist_resist(movement.id)).weak());
        ui.add_space(8.0);
        timer_ui(ui, session.cue(now));
        ui.add_space(6.0);
        ui.add(
            egui::ProgressBar::new(step.done as f32 / target as f32)
                .desired_width(300.0)
                .text(format!("{} of {target} repetitions done", step.done)),
        );
        ui.add_space(6.0);
        let score = self.shown.as_ref().and_then(|a| a.output.score.as_ref());
        let score = score.and_then(|s| s.movements.iter().find(|m| m.movement == movement.id));
        egui::Grid::new("current movement").num_columns(4).spacing([8.0, 6.0]).show(ui, |ui| {
            ui.label("");
            ui.label("your left");
            ui.label("your right");
            ui.label("");
            ui.end_row();
            movement_row(ui, movement, score);
            ui.end_row();
        });
        if let Some(last) = &self.guided.last {
            ui.colored_label(
                last.ratio.map_or(Color32::GRAY, |r| reading_colour(r, last.ratio_uncertainty)),
                format!("Last repetition: {}", describe(last)),
            );
            if let Some(line) = synkinesis_line(last) {
                ui.label(line).on_hover_text(
                    "What moved along with the exercise on each side (synkinesis). Provisional: \
                     not yet checked on real faces (docs/validation.md).",
                );
            }
        }
        for warning in self.shown.iter().flat_map(|a| &a.output.warnings) {
            ui.colored_label(Color32::from_rgb(230, 160, 40), format!("Warning: {warning}"));
        }
        ui.add_space(8.0);
        let (mut skip, mut repeat, mut stop) = (false, false, false);
        ui.horizontal(|ui| {
            skip = ui.button("Skip").on_hover_text("Go on to the next movement").clicked();
            repeat = ui.button("Repeat").on_hover_text("Start this movement over").clicked();
            stop = ui.button("Stop").on_hover_text("End the session here").clicked();
        });
        self.sound_switch_ui(ui);
        ui.separator();
        self.steps_ui(ui);
        self.drill_steps_ui(ui);
        self.record_note_ui(ui);
        let session = self.guided.session.as_mut().expect("a session is under way");
        if skip {
            session.skip(now);
        } else if repeat {
            session.repeat(now);
            self.guided.generation += 1;
        }
        if stop {
            self.stop_guided();
        } else if skip || repeat {
            if session.phase() == Phase::Finished {
                self.history.stale = true;
            }
            self.update_counting();
        }
        // The timer moves without news from the analysis.
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
    }

    fn finished_ui(&mut self, ui: &mut egui::Ui, now: f64) {
        if self.guided.drills.as_ref().is_some_and(|d| !d.finished()) {
            self.drill_ui(ui, now);
            return;
        }
        let Some(session) = &self.guided.session else { return };
        let stopped =
            session.stopped() || self.guided.drills.as_ref().is_some_and(TimedDrills::stopped);
        let title = if stopped { "Session stopped" } else { "Session done" };
        ui.label(RichText::new(title).size(18.0).strong());
        self.steps_ui(ui);
        self.drill_steps_ui(ui);
        self.record_note_ui(ui);
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("New session").clicked() {
                self.guided.session = None;
            }
            if ui.button("Show history").clicked() {
                self.history.stale = true;
                self.view = View::History;
            }
        });
    }

    /// A guided-only drill under way: its instruction, the timer, the holds it counted.
    fn drill_ui(&mut self, ui: &mut egui::Ui, now: f64) {
        let Some(drills) = &self.guided.drills else { return };
        let (Some(index), Some(drill)) = (drills.current_index(), drills.current()) else {
            return;
        };
        ui.label(
            RichText::new(format!(
                "Guided drill {} of {}: {}",
                index + 1,
                drills.steps().len(),
                drill.name
            ))
            .size(18.0)
            .strong(),
        );
        ui.label(RichText::new(drill.instruction).size(15.0));
        ui.label(RichText::new(drill.assist_resist).weak());
        ui.label("Not measured: follow the timer, each hold counts.");
        ui.add_space(8.0);
        timer_ui(ui, drills.cue(now));
        let (done, target) = (drills.steps()[index].done, drills.settings().repetitions);
        ui.add_space(6.0);
        ui.add(
            egui::ProgressBar::new(done as f32 / target as f32)
                .desired_width(300.0)
                .text(format!("{done} of {target} holds done")),
        );
        ui.add_space(8.0);
        let (mut skip, mut stop) = (false, false);
        ui.horizontal(|ui| {
            skip = ui.button("Skip").on_hover_text("Go on to the next drill").clicked();
            stop = ui.button("Stop").on_hover_text("End the session here").clicked();
        });
        self.sound_switch_ui(ui);
        ui.separator();
        self.steps_ui(ui);
        self.drill_steps_ui(ui);
        if let Some(drills) = &mut self.guided.drills {
            if skip {
                drills.skip(now);
            }
            if stop {
                drills.stop();
            }
        }
    }

    /// Each guided-only drill: done, skipped or to do.
    fn drill_steps_ui(&self, ui: &mut egui::Ui) {
        let Some(drills) = &self.guided.drills else {
            // Not begun: what follows the movements.
            egui::Grid::new("guided drills").num_columns(2).spacing([10.0, 4.0]).show(ui, |ui| {
                for drill in &self.guided.pending_drills {
                    ui.label(drill.name);
                    ui.label("timed, after the movements");
                    ui.end_row();
                }
            });
            return;
        };
        let current = drills.current_index();
        let target = drills.settings().repetitions;
        egui::Grid::new("guided drills").num_columns(2).spacing([10.0, 4.0]).show(ui, |ui| {
            for (i, step) in drills.steps().iter().enumerate() {
                let name = RichText::new(step.drill.name);
                ui.label(if current == Some(i) { name.strong() } else { name });
                ui.label(if step.skipped {
                    "skipped".to_string()
                } else {
                    format!("{} of {target} holds (not measured)", step.done)
                });
                ui.end_row();
            }
        });
    }

    /// Each movement: done or not, its count and its median ratio so far.
    fn steps_ui(&self, ui: &mut egui::Ui) {
        let Some(session) = &self.guided.session else { return };
        let current = session.current_index();
        let target = session.settings().repetitions;
        egui::Grid::new("guided steps").num_columns(3).spacing([10.0, 4.0]).show(ui, |ui| {
            for (i, step) in session.steps().iter().enumerate() {
                let name = RichText::new(step.movement.name);
                ui.label(if current == Some(i) { name.strong() } else { name });
                ui.label(if step.skipped {
                    "skipped".to_string()
                } else if step.done >= target {
                    format!("{} of {target}, done", step.done)
                } else if current == Some(i) {
                    format!("{} of {target}, now", step.done)
                } else {
                    format!("{} of {target}", step.done)
                });
                match median(step.ratios.iter().copied()) {
                    Some(m) => {
                        let u = median(step.ratio_uncertainties.iter().copied());
                        let within = plus_minus(u);
                        ui.colored_label(
                            reading_colour(m, u),
                            format!("median ratio {m:.2}{within}"),
                        )
                    }
                    None => ui.label(""),
                };
                ui.end_row();
            }
        });
    }

    fn record_note_ui(&self, ui: &mut egui::Ui) {
        self.neutral_warnings_ui(ui);
        let guided = &self.guided;
        if let Some(err) = &guided.record_error {
            ui.colored_label(Color32::from_rgb(230, 70, 60), format!("Not recorded: {err}"));
        } else if let Some(why) = &guided.record_waiting {
            ui.colored_label(
                Color32::from_rgb(230, 160, 40),
                format!(
                    "Waiting to record {} repetition(s): {why}. They are kept until the \
                     record is free.",
                    guided.record_pending
                ),
            );
        } else if let Some((id, path)) = &guided.recorded_as {
            ui.label(format!(
                "Recorded as session {id}, each repetition as it ends ({}).",
                path.display()
            ));
        } else if guided.writer.is_some() {
            ui.label("Each repetition is recorded as it ends.");
        }
    }

    /// The session's sound cue falling now, if any: kept, and played when the plan has
    /// sound cues on.
    pub(super) fn sound_cues(&mut self, now: f64) {
        let guided = &mut self.guided;
        let Some(session) = &guided.session else { return };
        // The guided-only drills begin when the measured movements end (not when stopped).
        if session.phase() == Phase::Finished
            && !session.stopped()
            && guided.drills.is_none()
            && !guided.pending_drills.is_empty()
        {
            let drills = std::mem::take(&mut guided.pending_drills);
            guided.drills = Some(TimedDrills::new(session.settings(), drills, now));
        }
        let state = match &mut guided.drills {
            Some(drills) => {
                drills.tick(now);
                CueState::of_drills(drills, now, session.steps().len())
            }
            None => CueState::of_session(session, now, !guided.pending_drills.is_empty()),
        };
        let Some(sound) = guided.cues.next(state) else { return };
        self.guided.heard.push(sound);
        if self.plan().sound_cues {
            self.sound.get_or_insert_with(CuePlayer::new).play(sound);
        }
    }

    /// The cues of the guided session so far, in order (heard when sound cues are on).
    pub fn cues_heard(&self) -> &[Sound] {
        &self.guided.heard
    }

    /// Sound cues on or off (kept in the plan), and what plays them.
    fn sound_switch_ui(&mut self, ui: &mut egui::Ui) {
        let mut on = self.plan().sound_cues;
        let hint = "A tone (and the word, where your system can speak) when to hold, when to \
                    relax and when a set ends: for eye closure, when you cannot see the timer";
        if ui.checkbox(&mut on, "Sound cues").on_hover_text(hint).changed() {
            let plan = crate::session::plan::Plan { sound_cues: on, ..self.plan() };
            if let Err(err) = self.save_plan(plan) {
                self.guided.record_error = Some(err.to_string());
            }
        }
        if on {
            let player = self.sound.get_or_insert_with(CuePlayer::new);
            ui.label(RichText::new(&player.described).weak());
        }
    }

    /// Ends the guided session where it is.
    pub fn stop_guided(&mut self) {
        if let Some(session) = &mut self.guided.session {
            session.stop();
            self.history.stale = true;
        }
        self.update_counting();
    }
}

/// The timer: hold or relax, the seconds left, and how far it has gone.
fn timer_ui(ui: &mut egui::Ui, cue: Option<Cue>) {
    let Some(cue) = cue else { return };
    let (text, colour) = match cue.action {
        Action::Hold => ("Hold", Color32::from_rgb(70, 200, 90)),
        Action::Relax => ("Relax", Color32::from_gray(170)),
    };
    ui.label(
        RichText::new(format!("{text} · {:.0} s", cue.remaining_s.ceil())).size(26.0).color(colour),
    );
    ui.add(egui::ProgressBar::new(cue.elapsed_fraction as f32).desired_width(300.0).fill(colour));
}

/// "During it your left eye narrowed 35 %, your right 12 % (provisional)": the repetition's
/// synkinesis, when read.
pub(super) fn synkinesis_line(rep: &Repetition) -> Option<String> {
    let co = CoMovement::during(rep.movement)?;
    let [left, right] = rep.synkinesis?;
    let (what, how) = co.what_and_how();
    Some(format!(
        "During it your left {what} {how} {}, your right {} (provisional)",
        co.amount(left),
        co.amount(right)
    ))
}

/// "ratio 0.52 ± 0.08, weaker right" for a repetition.
fn describe(rep: &Repetition) -> String {
    let within = plus_minus(rep.ratio_uncertainty);
    match (rep.ratio, rep.weaker) {
        (Some(ratio), Some(side)) => format!("ratio {ratio:.2}{within}, weaker {}", side.name()),
        (Some(ratio), None) => format!("ratio {ratio:.2}{within}"),
        _ => rep.no_ratio_reason().unwrap_or("no ratio").into(),
    }
}
