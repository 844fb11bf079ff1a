//! The Today view: today's sessions against the plan, the streak of days, what is next, the
//! plan's editor and the warm-up before a session; and the reminder shown over every view.

use eframe::egui::{self, Color32, RichText};
use jiff::civil::Date;

use super::{LiveApp, View, number_row, timing_rows};
use crate::session::guide::{GuideSettings, Phase};
use crate::session::plan::{
    COMPRESS_MIN_MAX, ClockTime, MASSAGE_MIN_MAX, MAX_REMINDERS, Plan, SESSIONS_RANGE, Today,
    WarmUpRun, read_today,
};
use crate::session::{Store, StoreError};
use crate::symmetry::catalogue::{GUIDED_ONLY, GuidedDrill};
use crate::symmetry::{CORE_MOVEMENTS, Movement};

/// Seconds between two readings of the day (for the reminders and a day that turns).
const REREAD_S: f64 = 30.0;

/// The Today view's part of the app.
#[derive(Default)]
pub(super) struct TodayState {
    /// The plan as saved in the record (the guides' when none is), once read.
    plan: Option<Plan>,
    /// Whether the plan was saved by the person (else it is the guides').
    saved: bool,
    /// The day as last read.
    today: Option<Today>,
    /// When the record was last read (UI seconds), whether or not it could be.
    read_at: Option<f64>,
    /// Read again before it is next shown.
    pub(super) stale: bool,
    /// Why the record could not be read or the plan saved.
    error: Option<String>,
    /// The plan being edited.
    draft: Option<Plan>,
    /// A new reminder's time being typed.
    new_reminder: String,
    /// The warm-up under way or just done.
    warm_up: Option<WarmUpRun>,
    /// The reminder the person put off (its day and time).
    dismissed: Option<(Date, ClockTime)>,
}

impl LiveApp {
    /// Reads the plan and the day again when stale or every [`REREAD_S`].
    fn refresh_today(&mut self, now: f64) {
        let state = &mut self.today;
        let fresh = state.read_at.is_some_and(|at| now - at < REREAD_S);
        if state.plan.is_some() && fresh && !state.stale {
            return;
        }
        let read = || -> Result<(Plan, bool, Today), StoreError> {
            let store = Store::open_read_only(&self.data_dir)?;
            let saved = store.as_ref().map_or(Ok(None), Store::plan)?.is_some();
            let (plan, today) = read_today(store.as_ref())?;
            Ok((plan, saved, today))
        };
        let first = state.plan.is_none();
        match read() {
            Ok((plan, saved, today)) => {
                state.plan = Some(plan);
                (state.saved, state.today, state.error) = (saved, Some(today), None);
            }
            Err(err) => {
                state.plan.get_or_insert_with(Plan::default);
                (state.today, state.error) = (None, Some(err.to_string()));
            }
        }
        (state.stale, state.read_at) = (false, Some(now));
        // The next guided session follows the plan read at start (the guided panel may still
        // change its numbers for one session).
        if first && let Some(plan) = &state.plan {
            self.guided.settings = plan.guide_settings();
        }
    }

    /// The plan in force (the guides' until one is saved).
    pub fn plan(&mut self) -> Plan {
        self.refresh_today(self.now);
        self.today.plan.clone().unwrap_or_default()
    }

    /// Saves `plan` in the record as the person's plan; the next guided session follows it.
    pub fn save_plan(&mut self, plan: Plan) -> Result<(), StoreError> {
        let plan = plan.normalized();
        Store::open(&self.data_dir)?.save_plan(&plan)?;
        self.guided.settings = plan.guide_settings();
        self.today.plan = Some(plan);
        self.today.stale = true;
        Ok(())
    }

    /// The settings, measured movements and guided-only drills of the next guided session:
    /// the plan's.
    pub(super) fn next_session(
        &mut self,
    ) -> (GuideSettings, Vec<&'static Movement>, Vec<&'static GuidedDrill>) {
        let plan = self.plan();
        (self.guided.settings, plan.session_movements(), plan.session_drills())
    }

    pub(super) fn today_ui(&mut self, ui: &mut egui::Ui, now: f64) {
        self.refresh_today(now);
        egui::ScrollArea::vertical().show(ui, |ui| {
            if self.today.warm_up.is_some() {
                self.warm_up_ui(ui, now);
                return;
            }
            self.day_ui(ui);
            ui.add_space(12.0);
            ui.separator();
            self.plan_ui(ui);
        });
    }

    /// Today's sessions, the streak, what is next and the way into the next session.
    fn day_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(err) = &self.today.error {
            ui.colored_label(Color32::from_rgb(230, 70, 60), err);
        }
        let Some(today) = self.today.today.clone() else { return };
        ui.heading(format!("Today, {}", today.date_text()));
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("Sessions: {} of {}", today.done, today.planned)).size(18.0),
            );
            for k in 0..today.planned.max(today.done) {
                let (fill, text) = if k < today.done {
                    (Color32::from_rgb(60, 170, 90), "done")
                } else {
                    (Color32::from_gray(70), "to do")
                };
                let (rect, response) =
                    ui.allocate_exact_size(egui::vec2(22.0, 22.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 4.0, fill);
                response.on_hover_text(format!("session {}: {text}", k + 1));
            }
        });
        ui.label(RichText::new(format!("Streak: {}", today.streak_text())).size(16.0));
        recent_ui(ui, &today);
        ui.label(format!("Next: {}", today.next_text()));
        ui.add_space(8.0);
        let plan = self.today.plan.clone().unwrap_or_default();
        ui.horizontal(|ui| {
            if plan.warm_up.any() && ui.button("Warm up, then exercise").clicked() {
                self.today.warm_up = Some(WarmUpRun::new(plan.warm_up, self.now));
            }
            if ui.button("Start the session").clicked() {
                self.start_guided();
            }
        });
        if self.pipeline.is_none() {
            ui.label("The session needs your camera (or the demo, or a video): start it above.");
        }
    }

    /// The warm-up: each step's instruction and time left, skippable; then the session.
    fn warm_up_ui(&mut self, ui: &mut egui::Ui, now: f64) {
        let Some(run) = &mut self.today.warm_up else { return };
        run.advance(now);
        let step = run.step(now);
        ui.heading("Warm-up");
        ui.label("Before the exercises: nothing is measured, take your time.");
        ui.add_space(8.0);
        let (mut next, mut start) = (false, false);
        match step {
            Some((step, left, gone)) => {
                let (k, n) = run.position();
                ui.label(
                    RichText::new(format!("{} (step {k} of {n})", step.name())).size(20.0).strong(),
                );
                ui.label(step.instruction());
                ui.add_space(6.0);
                let left = left.ceil() as u64;
                ui.add(egui::ProgressBar::new(gone as f32).text(format!(
                    "{}:{:02} left",
                    left / 60,
                    left % 60
                )));
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    next = ui.button("Next step").clicked();
                    start = ui.button("Skip the warm-up").clicked();
                });
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(500));
            }
            None => {
                ui.label(RichText::new("Warm-up done").size(20.0).strong());
                ui.label("Dry your face, sit facing the camera, and begin when you are ready.");
                ui.add_space(6.0);
                start = ui.button("Start the session").clicked();
            }
        }
        let back = ui.button("Back to Today").clicked();
        if next && let Some(run) = &mut self.today.warm_up {
            run.skip(now);
        }
        if start || back {
            self.today.warm_up = None;
        }
        if start {
            self.start_guided();
        }
    }

    /// The plan, and its editor when open.
    fn plan_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("Your plan");
        let plan = self.today.plan.clone().unwrap_or_default();
        let Some(draft) = &mut self.today.draft else {
            egui::Grid::new("plan").num_columns(2).spacing([12.0, 4.0]).show(ui, |ui| {
                for (what, how) in plan.lines() {
                    ui.label(RichText::new(what).weak());
                    ui.label(how);
                    ui.end_row();
                }
            });
            if !self.today.saved {
                ui.label(
                    RichText::new(
                        "The guides' plan: two sessions a day, ten repetitions of each movement.",
                    )
                    .weak(),
                );
            }
            if ui.button("Edit the plan").clicked() {
                self.today.draft = Some(plan);
            }
            return;
        };
        ui.label("Movements of each session:");
        ui.horizontal_wrapped(|ui| {
            for movement in &CORE_MOVEMENTS {
                let mut on = draft.movements.contains(&movement.id);
                // The last movement cannot be taken out: a session needs one.
                let last = on && draft.movements.len() == 1;
                if ui.add_enabled(!last, egui::Checkbox::new(&mut on, movement.name)).changed() {
                    if on {
                        draft.movements.push(movement.id);
                    } else {
                        draft.movements.retain(|&id| id != movement.id);
                    }
                    *draft = draft.clone().normalized();
                }
            }
        });
        ui.add_space(4.0);
        ui.label("Guided only (timed, not measured), after them:");
        ui.horizontal_wrapped(|ui| {
            for drill in &GUIDED_ONLY {
                let mut on = draft.drills.iter().any(|id| id == drill.id);
                if ui.checkbox(&mut on, drill.name).changed() {
                    if on {
                        draft.drills.push(drill.id.to_string());
                    } else {
                        draft.drills.retain(|id| id != drill.id);
                    }
                    *draft = draft.clone().normalized();
                }
            }
        });
        ui.add_space(6.0);
        egui::Grid::new("plan numbers").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            let sessions = SESSIONS_RANGE.0..=SESSIONS_RANGE.1;
            number_row(
                ui,
                "Sessions a day",
                egui::DragValue::new(&mut draft.sessions_per_day).range(sessions),
            );
            timing_rows(ui, &mut draft.repetitions, &mut draft.hold_s, &mut draft.relax_s);
            let compress =
                egui::DragValue::new(&mut draft.warm_up.compress_min).range(0..=COMPRESS_MIN_MAX);
            number_row(ui, "Warm compress (minutes)", compress);
            let massage =
                egui::DragValue::new(&mut draft.warm_up.massage_min).range(0..=MASSAGE_MIN_MAX);
            number_row(ui, "Massage (minutes)", massage);
        });
        ui.checkbox(&mut draft.sound_cues, "Sound cues in a session (hold, relax, end of a set)");
        ui.add_space(6.0);
        ui.label("Reminders (while facesym is open):");
        let mut remove = None;
        for (k, time) in draft.reminders.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.label(time.to_string());
                if ui.small_button(format!("Remove {time}")).clicked() {
                    remove = Some(k);
                }
            });
        }
        if let Some(k) = remove {
            draft.reminders.remove(k);
        }
        if draft.reminders.len() < MAX_REMINDERS {
            ui.horizontal(|ui| {
                let field = egui::TextEdit::singleline(&mut self.today.new_reminder)
                    .hint_text("HH:MM")
                    .desired_width(60.0);
                ui.add(field);
                if ui.button("Add reminder").clicked() {
                    match self.today.new_reminder.parse::<ClockTime>() {
                        Ok(time) => {
                            draft.reminders.push(time);
                            *draft = draft.clone().normalized();
                            self.today.new_reminder.clear();
                            self.today.error = None;
                        }
                        Err(why) => self.today.error = Some(why),
                    }
                }
            });
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if ui.button("Save the plan").clicked() {
                let draft = self.today.draft.take().unwrap_or_default();
                if let Err(err) = self.save_plan(draft) {
                    self.today.error = Some(err.to_string());
                }
            }
            if ui.button("The guides' plan").clicked() {
                self.today.draft = Some(Plan::default());
            }
            if ui.button("Cancel").clicked() {
                self.today.draft = None;
            }
        });
    }

    /// A reminder due and not put off, over every view: what is due and the way into it.
    pub(super) fn reminder_ui(&mut self, ui: &mut egui::Ui, now: f64) {
        self.refresh_today(now);
        let exercising = self.guided.session.as_ref().is_some_and(|s| s.phase() != Phase::Finished);
        if exercising || self.today.warm_up.is_some() {
            return;
        }
        let Some(today) = &self.today.today else { return };
        let Some(due) = today.due_reminder else { return };
        if self.today.dismissed == Some((today.date, due)) {
            return;
        }
        let (date, text) = (today.date, today.reminder_text(due));
        ui.horizontal(|ui| {
            ui.label(RichText::new(text).color(Color32::from_rgb(240, 190, 60)).strong());
            if ui.button("Go to Today").clicked() {
                self.view = View::Today;
            }
            if ui.button("Not now").clicked() {
                self.today.dismissed = Some((date, due));
            }
        });
    }
}

/// The last days as squares, a session's worth of colour each: the streak at a glance.
fn recent_ui(ui: &mut egui::Ui, today: &Today) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Last two weeks:").weak());
        for &(date, sessions) in &today.recent {
            let share = (sessions as f32 / today.planned.max(1) as f32).min(1.0);
            let fill = if sessions == 0 {
                Color32::from_gray(55)
            } else {
                Color32::from_rgb(40, (100.0 + 80.0 * share) as u8, 70)
            };
            let (rect, response) =
                ui.allocate_exact_size(egui::vec2(18.0, 18.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 3.0, fill);
            if date == today.date {
                let stroke = egui::Stroke::new(1.5, Color32::WHITE);
                ui.painter().rect_stroke(rect, 3.0, stroke, egui::StrokeKind::Outside);
            }
            response.on_hover_text(format!(
                "{}: {sessions} session{}",
                date.strftime("%a %-d %b"),
                if sessions == 1 { "" } else { "s" }
            ));
        }
    });
}
