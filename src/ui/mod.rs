//! The live mirror app (eframe/egui): the face as in a mirror, the landmarks over it, and a
//! left/right bar pair and symmetry ratio for each of the six movements.
//!
//! The UI only reads published results: it takes the newest [`Analysis`] from the pipeline
//! when there is one and never waits for it; the analysis thread wakes it. Opening a source
//! (models, camera, video) happens on the pipeline's own thread, its progress shown here.

mod guided;
mod history;
mod rest;
mod sound;
mod today;

pub use crate::pipeline::SourceKind;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use eframe::egui;
use egui::{Color32, ColorImage, TextureHandle, TextureOptions};

use crate::analysis::{LiveControl, LiveEvent, LiveResult};
use crate::capture::{CameraChoice, CameraRequest, CaptureError, list_cameras};
use crate::landmarks::ModelPaths;
use crate::overlay::contours;
use crate::pipeline::{Analysis, LiveRequest, Pacing, Pipeline, SourceState};
use crate::session::Store;
use crate::symmetry::score::plus_minus;
use crate::symmetry::{CORE_MOVEMENTS, Movement, MovementScore, ScoreStatus, Side};

use crate::session::history::RatioBand;

/// The FPS and latency readout covers the results shown in this many seconds: long enough to
/// steady the numbers, short enough to follow a change.
const READOUT_WINDOW_S: f64 = 1.0;

/// What the window shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The mirror and every movement's bars.
    Mirror,
    /// The mirror and a guided exercise session.
    Guided,
    /// The mirror and a rest check: twitches and spasms looked for while the face is still.
    RestCheck,
    /// Past sessions and each movement's trend.
    History,
    /// Today against the plan, the plan, and the warm-up.
    Today,
}

/// What is drawn over the mirror.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    /// Brows, eyes, lips and the face's outline as lines.
    Contours,
    /// All 468 mesh points.
    Mesh,
    /// Nothing: the face alone.
    Off,
}

/// Picture sizes offered for a camera: what webcams commonly support.
const CAMERA_SIZES: [(u32, u32); 3] = [(640, 480), (1280, 720), (1920, 1080)];
/// Frame rates offered for a camera.
const CAMERA_RATES: [u32; 3] = [15, 30, 60];

/// What the window starts with.
#[derive(Clone, Debug)]
pub struct LiveStart {
    /// The source started when the window opens.
    pub source: SourceKind,
    /// The video file or image folder, for those sources.
    pub path: Option<PathBuf>,
    /// Which camera, at what size and rate.
    pub camera: CameraRequest,
    /// The record's folder: guided sessions are kept there.
    pub data: PathBuf,
}

/// What to do for the closed-eye calibration (said before the eyes close: then nothing can
/// be read).
pub const CLOSE_EYES_INSTRUCTION: &str = "Close both eyes gently, as in sleep, without \
     squeezing; count slowly to three, then open them.";

/// A grid row: a label and the number it names.
fn number_row(ui: &mut egui::Ui, label: &str, value: egui::DragValue<'_>) {
    let label = ui.label(label).id;
    ui.add(value).labelled_by(label);
    ui.end_row();
}

/// The grid rows a session's timing is set with: repetitions of each movement, hold and relax
/// seconds, within the plan's bounds.
fn timing_rows(ui: &mut egui::Ui, repetitions: &mut u32, hold_s: &mut f64, relax_s: &mut f64) {
    use crate::session::plan::{PHASE_S_RANGE, REPETITIONS_RANGE};
    let (reps, seconds) =
        (REPETITIONS_RANGE.0..=REPETITIONS_RANGE.1, PHASE_S_RANGE.0..=PHASE_S_RANGE.1);
    number_row(ui, "Repetitions of each movement", egui::DragValue::new(repetitions).range(reps));
    let hold = egui::DragValue::new(hold_s).range(seconds.clone()).speed(0.1);
    number_row(ui, "Hold (seconds)", hold);
    number_row(ui, "Relax (seconds)", egui::DragValue::new(relax_s).range(seconds).speed(0.1));
}

/// The app's state.
pub struct LiveApp {
    models: ModelPaths,
    pipeline: Option<Pipeline<LiveResult>>,
    control: Arc<LiveControl>,
    /// Calibrations and repetitions from the running analysis.
    events: Option<Receiver<LiveEvent>>,
    /// A calibration was asked for and has not ended.
    calibrating: bool,
    /// The closed eyes were asked for and have not been taken or given up.
    closing_eyes: bool,
    /// What the last calibration said.
    calibration_note: Option<String>,
    /// What to tell the person about the current neutral face (said while it stays).
    neutral_warnings: Vec<String>,
    shown: Option<Analysis<LiveResult>>,
    texture: Option<TextureHandle>,
    /// What is drawn over the mirror.
    pub overlay: Overlay,
    /// Keep showing the current frame.
    pub paused: bool,
    source_kind: SourceKind,
    path_input: String,
    /// The camera asked for, and the names of those found (listed when asked).
    camera: CameraRequest,
    cameras: Vec<String>,
    status: String,
    /// The running source's state when the status line last followed it.
    source_state: Option<SourceState>,
    /// (UI time in seconds, capture-to-result latency in ms) of the results shown recently.
    recent: VecDeque<(f64, f64)>,
    /// A result handed in from outside the pipeline, shown on the next frame.
    injected: Option<Analysis<LiveResult>>,
    texture_dirty: bool,
    /// What the window shows.
    pub view: View,
    /// UI time (seconds) of the last poll.
    now: f64,
    /// The record's folder.
    data_dir: PathBuf,
    guided: guided::GuidedState,
    rest: rest::RestState,
    history: history::HistoryState,
    today: today::TodayState,
    /// Plays the guided session's sound cues, once one is to be heard.
    sound: Option<sound::CuePlayer>,
}

impl LiveApp {
    /// An app with no source yet.
    pub fn new(models: ModelPaths) -> Self {
        Self {
            models,
            pipeline: None,
            control: Arc::new(LiveControl::default()),
            events: None,
            calibrating: false,
            closing_eyes: false,
            calibration_note: None,
            neutral_warnings: Vec::new(),
            shown: None,
            texture: None,
            overlay: Overlay::Contours,
            paused: false,
            source_kind: SourceKind::Camera,
            path_input: String::new(),
            camera: CameraRequest::default(),
            cameras: Vec::new(),
            source_state: None,
            status: "Choose a source and press Start: your camera, the demo, or a video.".into(),
            recent: VecDeque::new(),
            injected: None,
            texture_dirty: false,
            view: View::Mirror,
            now: 0.0,
            data_dir: Store::default_dir(),
            guided: guided::GuidedState::default(),
            rest: rest::RestState::default(),
            history: history::HistoryState::default(),
            today: today::TodayState::default(),
            sound: None,
        }
    }

    /// Keeps the record in `dir` instead of the default folder.
    pub fn set_data_dir(&mut self, dir: PathBuf) {
        self.data_dir = dir;
        self.history = history::HistoryState::default();
        self.today = today::TodayState::default();
    }

    /// Starts the chosen source (stopping any running one). The models are loaded and the
    /// source opened on the pipeline's `capture` thread; the status line follows its steps.
    pub fn start(&mut self, kind: SourceKind, ctx: &egui::Context) {
        self.source_kind = kind;
        self.pipeline = None;
        self.shown = None;
        let (events, received) = mpsc::channel();
        self.events = Some(received);
        (self.calibrating, self.closing_eyes) = (false, false);
        let request = LiveRequest {
            kind,
            path: PathBuf::from(self.path_input.trim()),
            camera: self.camera.clone(),
            models: self.models.clone(),
        };
        let control = Arc::clone(&self.control);
        let open = move |step: &dyn Fn(&str)| request.open(control, events, step);
        self.source_state = None;
        match Pipeline::launch(open, Pacing::RealTime) {
            Ok(pipeline) => {
                let repaint = ctx.clone();
                pipeline.set_waker(move || repaint.request_repaint());
                self.status = "Starting…".into();
                self.pipeline = Some(pipeline);
            }
            Err(err) => self.status = format!("Cannot start: {err}"),
        }
    }

    /// Whether a source is being opened (models loading, camera starting).
    pub fn opening(&self) -> bool {
        self.pipeline.as_ref().is_some_and(|p| matches!(p.source_state(), SourceState::Opening(_)))
    }

    /// What the UI asks of the analysis (calibrate, count a movement): an analyzer driven by
    /// hand (tests) answers it as the pipeline's would.
    pub fn live_control(&self) -> Arc<LiveControl> {
        Arc::clone(&self.control)
    }

    /// Hands in an analysed frame to show on the next UI frame, as the pipeline would (tests
    /// inject their own this way).
    pub fn show_analysis(&mut self, analysis: Analysis<LiveResult>) {
        self.injected = Some(analysis);
    }

    /// Hands in an event as the analysis thread would send it (tests drive the guided
    /// session this way); handled on the next UI frame, after the pipeline's own.
    pub fn send_event(&mut self, event: LiveEvent) {
        self.guided.injected.push_back(event);
    }

    /// Shows `analysis` at UI time `now` (seconds; egui's clock, which tests drive).
    fn present(&mut self, analysis: Analysis<LiveResult>, now: f64) {
        self.recent.push_back((now, analysis.latency.as_secs_f64() * 1000.0));
        while self.recent.front().is_some_and(|&(t, _)| t < now - READOUT_WINDOW_S) {
            self.recent.pop_front();
        }
        let scored = analysis.output.score.as_ref().is_some_and(|s| s.flags.is_empty());
        self.rest_watch(scored, now);
        self.shown = Some(analysis);
        self.texture_dirty = true;
    }

    /// Results shown per second and their median capture-to-result latency (ms), over the
    /// [`READOUT_WINDOW_S`] before UI time `now`; `None` with fewer than two results there
    /// (nothing running, paused, or the video ended).
    pub fn readout(&self, now: f64) -> Option<(f64, f64)> {
        let recent: Vec<(f64, f64)> =
            self.recent.iter().copied().filter(|&(t, _)| t >= now - READOUT_WINDOW_S).collect();
        let (&(first, _), &(last, _)) = (recent.first()?, recent.last()?);
        if last <= first {
            return None;
        }
        let fps = (recent.len() - 1) as f64 / (last - first);
        let mut latencies: Vec<f64> = recent.iter().map(|&(_, l)| l).collect();
        latencies.sort_by(f64::total_cmp);
        Some((fps, latencies[latencies.len() / 2]))
    }

    /// Takes the newest result from the pipeline (or one handed in), if any; never waits.
    /// `now` is the UI time in seconds.
    pub fn poll(&mut self, now: f64) {
        self.now = now;
        if let Some(pipeline) = &self.pipeline {
            // The status line follows the source's changes only, so that other news said
            // there (cameras found) stays until the source has news of its own.
            let state = pipeline.source_state();
            let ended = state == SourceState::Ended && pipeline.is_finished();
            if self.source_state.as_ref() != Some(&state) && (state != SourceState::Ended || ended)
            {
                match &state {
                    SourceState::Ended => self.status = "The video ended.".into(),
                    SourceState::Failed(why) | SourceState::Opening(why) => {
                        self.status = why.clone()
                    }
                    SourceState::Reconnecting(why) => self.status = format!("{why}; retrying…"),
                    SourceState::Running => {
                        let what = pipeline.source_description().unwrap_or_default();
                        self.status = format!("Showing {what}");
                    }
                }
                self.source_state = Some(state);
            }
        }
        let mut events = Vec::new();
        if let Some(received) = &self.events {
            events.extend(received.try_iter());
        }
        events.extend(self.guided.injected.drain(..));
        for event in events {
            self.handle_event(event, now);
        }
        self.guided_retry(now);
        let source_over = self.pipeline.as_ref().is_some_and(|p| {
            matches!(p.source_state(), SourceState::Ended | SourceState::Failed(_))
        });
        self.rest_tick(now, source_over);
        self.poll_record();
        if self.paused {
            return;
        }
        let newest =
            self.pipeline.as_ref().and_then(Pipeline::latest).or_else(|| self.injected.take());
        if let Some(analysis) = newest {
            self.present(analysis, now);
        }
    }

    /// Sets the path typed for a video file or image folder.
    pub fn set_path(&mut self, path: &str) {
        self.path_input = path.to_string();
    }

    /// The camera, size and rate the Camera source asks for.
    pub fn camera_request(&self) -> &CameraRequest {
        &self.camera
    }

    /// Whether a calibration was asked for and has not ended.
    pub fn calibration_pending(&self) -> bool {
        self.calibrating
    }

    /// Asks the analysis for a new neutral face over the next still seconds.
    pub fn request_calibration(&mut self) {
        self.calibrating = true;
        self.calibration_note = None;
        self.control.request_calibration();
    }

    /// Whether the closed eyes were asked for and the wait has not ended.
    pub fn closing_eyes_pending(&self) -> bool {
        self.closing_eyes
    }

    /// Asks the analysis to take the person's closed eyes, that eye closure is then measured
    /// against.
    pub fn request_closed_eyes(&mut self) {
        self.closing_eyes = true;
        self.calibration_note = None;
        self.control.request_closed_eyes();
    }

    fn handle_event(&mut self, event: LiveEvent, now: f64) {
        match event {
            LiveEvent::Calibrated { warnings } => {
                self.calibrating = false;
                self.neutral_warnings = warnings;
                self.calibration_note = Some("Neutral face set.".into());
                self.guided_calibrated(now);
            }
            LiveEvent::CalibrationFailed(why) => {
                self.calibrating = false;
                self.guided_calibration_failed(&why, now);
                self.calibration_note = Some(format!("Not calibrated: {why}."));
            }
            LiveEvent::EyesClosedCalibrated { closed } => {
                self.closing_eyes = false;
                self.calibration_note = Some(format!(
                    "Eye closure is measured against your closed eyes ({closed:.2} of the \
                     open eye read closed there)."
                ));
                self.guided_eyes_closed(Ok(closed), now);
            }
            LiveEvent::EyesClosedFailed(why) => {
                self.closing_eyes = false;
                self.calibration_note = Some(format!("Closed eyes not taken: {why}."));
                self.guided_eyes_closed(Err(why), now);
            }
            LiveEvent::Repetition(rep) => self.guided_repetition(&rep, now),
            LiveEvent::Involuntary { generation, event } => self.rest_event(generation, event),
            LiveEvent::RestCheckEnded { generation } => self.rest_ended(generation),
        }
    }

    /// The whole UI.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let now = ui.input(|i| i.time);
        self.poll(now);
        self.sound_cues(now);
        // The analysis scores only what is on screen: the guided session's movement.
        let shown = match self.view {
            View::Guided => self.guided.session.as_ref().and_then(|session| session.current()),
            _ => None,
        };
        self.control.show_only(shown.map(|movement| movement.id));
        egui::Panel::top("controls").show(ui, |ui| {
            self.controls_ui(ui);
            self.reminder_ui(ui, now);
        });
        match self.view {
            View::Today => {
                egui::CentralPanel::default().show(ui, |ui| self.today_ui(ui, now));
            }
            View::Mirror => {
                egui::Panel::right("movements")
                    .min_size(320.0)
                    .show(ui, |ui| self.movements_ui(ui));
                egui::CentralPanel::default().show(ui, |ui| self.mirror_ui(ui));
            }
            View::Guided => {
                egui::Panel::right("guided").min_size(380.0).show(ui, |ui| self.guided_ui(ui, now));
                egui::CentralPanel::default().show(ui, |ui| self.mirror_ui(ui));
            }
            View::RestCheck => {
                egui::Panel::right("rest").min_size(380.0).show(ui, |ui| self.rest_ui(ui, now));
                egui::CentralPanel::default().show(ui, |ui| self.mirror_ui(ui));
            }
            View::History => {
                egui::Panel::right("sessions").min_size(340.0).show(ui, |ui| {
                    self.sessions_ui(ui);
                    ui.separator();
                    self.rest_checks_ui(ui);
                });
                egui::CentralPanel::default().show(ui, |ui| self.trends_ui(ui));
            }
        }
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("Show:");
            ui.selectable_value(&mut self.view, View::Mirror, "Mirror");
            if ui.selectable_value(&mut self.view, View::Today, "Today").clicked() {
                self.today.stale = true;
            }
            ui.selectable_value(&mut self.view, View::Guided, "Guided session");
            ui.selectable_value(&mut self.view, View::RestCheck, "Rest check");
            if ui.selectable_value(&mut self.view, View::History, "History").clicked() {
                self.history.stale = true;
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Source:");
            ui.selectable_value(&mut self.source_kind, SourceKind::Camera, "Camera");
            ui.selectable_value(&mut self.source_kind, SourceKind::Demo, "Demo");
            ui.selectable_value(&mut self.source_kind, SourceKind::Video, "Video file");
            ui.selectable_value(&mut self.source_kind, SourceKind::Folder, "Image folder");
            if matches!(self.source_kind, SourceKind::Video | SourceKind::Folder) {
                ui.add(egui::TextEdit::singleline(&mut self.path_input).hint_text("path"));
            }
            if ui.button("Start").clicked() {
                let ctx = ui.ctx().clone();
                self.start(self.source_kind, &ctx);
            }
            ui.separator();
            let pause_label = if self.paused { "Resume" } else { "Pause" };
            if ui.button(pause_label).clicked() {
                self.paused = !self.paused;
            }
            if ui.button("Calibrate neutral").clicked() {
                self.request_calibration();
            }
            let closed_eyes = egui::Button::new("Closed eyes");
            let hint = "With a neutral face set: close both eyes gently for a second, so that \
                        eye closure is measured against your own closed eyes";
            if ui.add_enabled(self.neutral_set(), closed_eyes).on_hover_text(hint).clicked() {
                self.request_closed_eyes();
            }
            ui.label("Overlay:");
            ui.selectable_value(&mut self.overlay, Overlay::Contours, "Contours");
            ui.selectable_value(&mut self.overlay, Overlay::Mesh, "Mesh");
            ui.selectable_value(&mut self.overlay, Overlay::Off, "Off");
            ui.separator();
            let readout = match self.readout(ui.input(|i| i.time)) {
                Some((fps, latency)) => format!("{fps:.0} fps · {latency:.0} ms"),
                None => "– fps · – ms".into(),
            };
            ui.label(readout);
        });
        if self.source_kind == SourceKind::Camera {
            ui.horizontal(|ui| self.camera_ui(ui));
        }
        ui.horizontal(|ui| {
            if self.opening() {
                ui.spinner();
            }
            ui.label(&self.status);
        });
    }

    /// Which camera, at what size and rate; the list is read when asked ("Find cameras").
    fn camera_ui(&mut self, ui: &mut egui::Ui) {
        let selected = match &self.camera.camera {
            CameraChoice::Index(i) => {
                self.cameras.get(*i as usize).cloned().unwrap_or_else(|| format!("camera {i}"))
            }
            CameraChoice::Name(name) => name.clone(),
        };
        let label = ui.label("Camera:").id;
        let cameras = &self.cameras;
        let choice = &mut self.camera.camera;
        egui::ComboBox::from_id_salt("camera")
            .selected_text(selected)
            .width(150.0)
            .show_ui(ui, |ui| {
                if cameras.is_empty() {
                    ui.label("No camera found yet");
                }
                for (i, name) in cameras.iter().enumerate() {
                    ui.selectable_value(choice, CameraChoice::Index(i as u32), name);
                }
            })
            .response
            .labelled_by(label);
        if ui.button("Find cameras").clicked() {
            match list_cameras() {
                Ok(names) if names.is_empty() => {
                    self.cameras.clear();
                    self.status = CaptureError::NoCamera.to_string();
                }
                Ok(names) => {
                    self.status = format!("{} camera(s) found", names.len());
                    self.cameras = names;
                }
                Err(err) => self.status = err.to_string(),
            }
        }
        let label = ui.label("Size:").id;
        let size = (self.camera.width, self.camera.height);
        egui::ComboBox::from_id_salt("camera size")
            .selected_text(format!("{}×{}", size.0, size.1))
            .width(90.0)
            .show_ui(ui, |ui| {
                for (w, h) in CAMERA_SIZES {
                    if ui.selectable_label(size == (w, h), format!("{w}×{h}")).clicked() {
                        (self.camera.width, self.camera.height) = (w, h);
                    }
                }
            })
            .response
            .labelled_by(label);
        let label = ui.label("Rate:").id;
        egui::ComboBox::from_id_salt("camera rate")
            .selected_text(format!("{} fps", self.camera.fps))
            .width(70.0)
            .show_ui(ui, |ui| {
                for fps in CAMERA_RATES {
                    ui.selectable_value(&mut self.camera.fps, fps, format!("{fps} fps"));
                }
            })
            .response
            .labelled_by(label);
    }

    fn movements_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("Left / right");
        let result = self.shown.as_ref().map(|a| &a.output);
        match result {
            None => {
                ui.label("No face analysed yet.");
            }
            Some(r) if !r.calibrated => {
                ui.label("Relax your face, look at the camera, and press \"Calibrate neutral\".");
            }
            Some(_) => {}
        }
        self.calibration_ui(ui);
        for warning in result.map(|r| r.warnings.as_slice()).unwrap_or_default() {
            ui.colored_label(Color32::from_rgb(230, 160, 40), format!("Warning: {warning}"));
        }
        ui.separator();
        let result = self.shown.as_ref().map(|a| &a.output);
        let scores = result.and_then(|r| r.score.as_ref()).map(|s| s.movements.as_slice());
        egui::Grid::new("movement rows").num_columns(4).spacing([8.0, 10.0]).show(ui, |ui| {
            ui.label("");
            ui.label("your left");
            ui.label("your right");
            ui.label("");
            ui.end_row();
            for movement in CORE_MOVEMENTS {
                let score = scores.and_then(|s| s.iter().find(|m| m.movement == movement.id));
                movement_row(ui, &movement, score);
                ui.end_row();
            }
        });
    }

    /// Whether the analysis has a neutral face.
    fn neutral_set(&self) -> bool {
        self.shown.as_ref().is_some_and(|a| a.output.calibrated)
    }

    /// The calibration under way (with its progress) or what the last one said.
    fn calibration_ui(&self, ui: &mut egui::Ui) {
        if self.calibration_pending() {
            let done = self.shown.as_ref().and_then(|a| a.output.calibrating).unwrap_or(0.0);
            ui.label("Calibrating: relax your face, look at the camera and hold still…");
            ui.add(egui::ProgressBar::new(done as f32).desired_width(240.0).show_percentage());
        } else if self.closing_eyes_pending() {
            let done = self.shown.as_ref().and_then(|a| a.output.closing_eyes).unwrap_or(0.0);
            ui.label(CLOSE_EYES_INSTRUCTION);
            ui.add(egui::ProgressBar::new(done as f32).desired_width(240.0).show_percentage());
        } else if let Some(note) = &self.calibration_note {
            ui.label(note);
        }
        self.neutral_warnings_ui(ui);
    }

    /// What to be careful of with the current neutral face (too soft for skin motion, too
    /// smooth between the eyes to follow the head), while it is the neutral.
    fn neutral_warnings_ui(&self, ui: &mut egui::Ui) {
        for warning in &self.neutral_warnings {
            ui.colored_label(Color32::from_rgb(230, 170, 40), format!("Careful: {warning}."));
        }
    }

    fn mirror_ui(&mut self, ui: &mut egui::Ui) {
        let Some(shown) = &self.shown else {
            ui.centered_and_justified(|ui| ui.label("The mirror shows here once a source runs."));
            return;
        };
        let image = &shown.frame.image;
        if self.texture_dirty || self.texture.is_none() {
            let mirrored = image::imageops::flip_horizontal(image);
            let size = [mirrored.width() as usize, mirrored.height() as usize];
            let color = ColorImage::from_rgb(size, mirrored.as_raw());
            match &mut self.texture {
                Some(texture) => texture.set(color, TextureOptions::LINEAR),
                None => {
                    self.texture =
                        Some(ui.ctx().load_texture("mirror", color, TextureOptions::LINEAR))
                }
            }
            self.texture_dirty = false;
        }
        let Some(texture) = &self.texture else { return };
        let available = ui.available_size();
        let (w, h) = (image.width() as f32, image.height() as f32);
        let scale = (available.x / w).min(available.y / h).max(0.01);
        let response = ui.add(
            egui::Image::new(texture)
                .fit_to_exact_size(egui::vec2(w * scale, h * scale))
                .alt_text("mirror view of your face"),
        );
        let Some(landmarks) = &shown.output.landmarks else { return };
        let painter = ui.painter_at(response.rect);
        let origin = response.rect.min;
        // The display is mirrored: x runs from the right edge.
        let at = |i: usize| {
            let p = landmarks.points()[i];
            egui::pos2(origin.x + (w - 1.0 - p[0]) * scale, origin.y + p[1] * scale)
        };
        let colour = Color32::from_rgb(80, 230, 120);
        match self.overlay {
            Overlay::Contours => {
                let stroke = egui::Stroke::new(1.5, colour);
                for contour in contours() {
                    painter
                        .add(egui::Shape::line(contour.iter().map(|&i| at(i)).collect(), stroke));
                }
            }
            Overlay::Mesh => {
                for i in 0..landmarks.points().len() {
                    painter.circle_filled(at(i), 1.2, colour);
                }
            }
            Overlay::Off => {}
        }
    }
}

/// One movement: the name, both sides' bars, and the ratio with the weaker side; a provisional
/// score says so, and why when hovered.
fn movement_row(ui: &mut egui::Ui, movement: &Movement, score: Option<&MovementScore>) {
    let (name, min_excursion) = (movement.name, movement.min_excursion);
    ui.label(name);
    let Some(score) = score else {
        ui.label("–");
        ui.label("–");
        ui.label(format!("{name}: waiting"));
        return;
    };
    // Bars are relative to the stronger side, at least 3× the threshold so noise looks small.
    let full = score.left.max(score.right).max(3.0 * min_excursion);
    for (side, value) in [(Side::Left, score.left), (Side::Right, score.right)] {
        let weaker = score.weaker == Some(side) && score.status == ScoreStatus::Scored;
        let fill = match score.ratio {
            Some(ratio) if weaker => reading_colour(ratio, score.ratio_uncertainty),
            _ => Color32::from_gray(150),
        };
        ui.add(
            egui::ProgressBar::new((value.max(0.0) / full) as f32)
                .desired_width(70.0)
                .fill(fill)
                .text(if weaker { "weaker" } else { "" }),
        );
    }
    let text = match (score.status, score.ratio, score.weaker) {
        (ScoreStatus::Scored, Some(ratio), Some(weaker)) => {
            let within = plus_minus(score.ratio_uncertainty);
            match RatioBand::of_reading(ratio, score.ratio_uncertainty) {
                Some(_) => format!("{name}: ratio {ratio:.2}{within}, weaker {}", weaker.name()),
                None => format!("{name}: ratio {ratio:.2}{within}, uncertain: could be even"),
            }
        }
        (ScoreStatus::MirrorDisagrees, ..) => format!("{name}: unsure (mirror image differs)"),
        (ScoreStatus::NotFollowed, ..) => format!("{name}: skin not followed"),
        _ => format!("{name}: not enough movement"),
    };
    let colour = score.ratio.map_or(Color32::GRAY, |r| reading_colour(r, score.ratio_uncertainty));
    match movement.caveat() {
        None => {
            ui.colored_label(colour, text);
        }
        Some(why) => {
            ui.colored_label(colour, format!("{text} (provisional)")).on_hover_text(why);
        }
    }
}

fn ratio_colour(ratio: f64) -> Color32 {
    band_colour(Some(RatioBand::of(ratio)))
}

/// The colour of a ratio measured with this uncertainty: grey when it cannot be told from an
/// even movement ([`RatioBand::of_reading`]).
fn reading_colour(ratio: f64, uncertainty: Option<f64>) -> Color32 {
    band_colour(RatioBand::of_reading(ratio, uncertainty))
}

fn band_colour(band: Option<RatioBand>) -> Color32 {
    match band {
        Some(RatioBand::Good) => Color32::from_rgb(70, 200, 90),
        Some(RatioBand::Fair) => Color32::from_rgb(230, 170, 40),
        Some(RatioBand::Poor) => Color32::from_rgb(230, 70, 60),
        None => Color32::from_gray(170),
    }
}

impl eframe::App for LiveApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        LiveApp::ui(self, ui);
        // Files and the demo are paced; ask for a frame now and then even without news.
        ui.ctx().request_repaint_after(Duration::from_millis(250));
    }
}

/// Why the live app cannot open a window.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No display to open a window on.
    #[error(
        "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set): the live mirror needs a \
         desktop session. Without one, use `facesym score` on images or `facesym landmarks`."
    )]
    NoDisplay,
    /// The window system failed.
    #[error("cannot open the window: {0}")]
    Window(String),
}

/// Opens the live mirror window; returns when it is closed.
pub fn run(models: ModelPaths, start: LiveStart) -> Result<(), LiveError> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    if !has_display {
        return Err(LiveError::NoDisplay);
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("facesym")
            .with_inner_size([1180.0, 720.0]),
        ..Default::default()
    };
    eframe::run_native(
        "facesym",
        options,
        Box::new(move |cc| {
            let mut app = LiveApp::new(models);
            app.camera = start.camera;
            if let Some(path) = &start.path {
                app.path_input = path.display().to_string();
            }
            if start.source == SourceKind::Camera {
                app.cameras = list_cameras().unwrap_or_default();
            }
            // The camera by default; with none, the status line says so and offers the rest.
            app.data_dir = start.data;
            app.start(start.source, &cc.egui_ctx);
            if start.source == SourceKind::Demo {
                // The demo opens on its relaxed face: take it as the neutral straight away.
                app.request_calibration();
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| LiveError::Window(e.to_string()))
}
