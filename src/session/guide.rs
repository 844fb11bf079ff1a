//! The guided exercise session: calibrate a neutral face, then each movement of a list in
//! turn, with its instruction, a hold/relax timer and a number of repetitions to do.
//!
//! This is the session's plan and progress only; it is driven by the time and by the
//! repetitions the counter finds (`repetitions`), so the person's own pace decides: the timer
//! is a guide, and a repetition counts when it is done, whether or not it follows the timer.
//! It reads no frames and knows no UI, so every step of it is tested without either.

use super::repetitions::Repetition;
use crate::symmetry::Movement;
use crate::symmetry::catalogue::GuidedDrill;

/// Repetitions per movement when the person sets none: the usual prescription is 10–20, two
/// or three times a day.
pub const DEFAULT_REPETITIONS: u32 = 10;
/// Seconds to hold each movement: long enough for the weak side to catch up with the strong
/// one, short enough not to tire a weak muscle over ten repetitions.
pub const DEFAULT_HOLD_S: f64 = 3.0;
/// Seconds to relax between repetitions: as long as the hold, so the face returns to rest.
pub const DEFAULT_RELAX_S: f64 = 3.0;

/// What the person sets before starting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GuideSettings {
    /// Repetitions of each movement.
    pub repetitions: u32,
    /// Seconds the timer says to hold.
    pub hold_s: f64,
    /// Seconds the timer says to relax.
    pub relax_s: f64,
}

impl Default for GuideSettings {
    fn default() -> Self {
        Self { repetitions: DEFAULT_REPETITIONS, hold_s: DEFAULT_HOLD_S, relax_s: DEFAULT_RELAX_S }
    }
}

/// Where the session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for a neutral face: a few still seconds.
    Calibrating,
    /// Doing the movements.
    Exercising,
    /// All movements done or skipped, or stopped.
    Finished,
}

/// What the timer tells the person to do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Rest the face.
    Relax,
    /// Make and hold the movement.
    Hold,
}

/// The timer's instruction at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cue {
    /// Relax or hold.
    pub action: Action,
    /// Seconds left of it.
    pub remaining_s: f64,
    /// Fraction of it gone, 0–1.
    pub elapsed_fraction: f64,
}

/// One movement's progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The movement.
    pub movement: &'static Movement,
    /// Repetitions done (since the last "repeat").
    pub done: u32,
    /// Their ratios (weaker over stronger peak), those that had one.
    pub ratios: Vec<f64>,
    /// Those ratios' uncertainties.
    pub ratio_uncertainties: Vec<f64>,
    /// The person skipped it.
    pub skipped: bool,
}

/// A guided session's plan and progress.
#[derive(Clone, Debug)]
pub struct GuidedSession {
    settings: GuideSettings,
    steps: Vec<Step>,
    phase: Phase,
    current: usize,
    /// When the current movement's timer started, in the caller's clock.
    timer_start_s: f64,
    stopped: bool,
}

impl GuidedSession {
    /// A session over `movements`, in order, starting with calibration.
    pub fn new(
        settings: GuideSettings,
        movements: impl IntoIterator<Item = &'static Movement>,
    ) -> Self {
        let settings = GuideSettings {
            repetitions: settings.repetitions.max(1),
            hold_s: settings.hold_s.max(0.5),
            relax_s: settings.relax_s.max(0.5),
        };
        let steps = movements
            .into_iter()
            .map(|movement| Step {
                movement,
                done: 0,
                ratios: Vec::new(),
                ratio_uncertainties: Vec::new(),
                skipped: false,
            })
            .collect();
        Self {
            settings,
            steps,
            phase: Phase::Calibrating,
            current: 0,
            timer_start_s: 0.0,
            stopped: false,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> GuideSettings {
        self.settings
    }

    /// Where the session is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Every movement's progress, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The movement being done now (`None` while calibrating or once finished).
    pub fn current(&self) -> Option<&'static Movement> {
        (self.phase == Phase::Exercising).then(|| self.steps[self.current].movement)
    }

    /// Index of the current movement in [`steps`](Self::steps).
    pub fn current_index(&self) -> Option<usize> {
        (self.phase == Phase::Exercising).then_some(self.current)
    }

    /// Whether the person stopped it before the end.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// The neutral face is set at `now_s`: the first movement begins.
    pub fn calibrated(&mut self, now_s: f64) {
        if self.phase == Phase::Calibrating {
            self.phase = Phase::Exercising;
            self.current = 0;
            self.timer_start_s = now_s;
        }
    }

    /// The timer at `now_s`: each repetition is a relax period (getting ready, the first time)
    /// then a hold, round and round until the repetitions are done.
    pub fn cue(&self, now_s: f64) -> Option<Cue> {
        (self.phase == Phase::Exercising)
            .then(|| timer_cue(self.settings, now_s - self.timer_start_s))
    }

    /// A repetition was found at `now_s`. It counts when it is of the current movement; the last
    /// one due moves the session on. Returns whether it counted.
    pub fn repetition(&mut self, rep: &Repetition, now_s: f64) -> bool {
        if self.phase != Phase::Exercising {
            return false;
        }
        let step = &mut self.steps[self.current];
        if step.movement.id != rep.movement {
            return false;
        }
        step.done += 1;
        step.ratios.extend(rep.ratio);
        step.ratio_uncertainties.extend(rep.ratio.and(rep.ratio_uncertainty));
        if step.done >= self.settings.repetitions {
            self.advance(now_s);
        }
        true
    }

    /// Leaves the current movement for the next.
    pub fn skip(&mut self, now_s: f64) {
        if self.phase == Phase::Exercising {
            self.steps[self.current].skipped = true;
            self.advance(now_s);
        }
    }

    /// Starts the current movement over: its count back to zero and the timer restarted
    /// (repetitions already recorded stay in the record: they were done).
    pub fn repeat(&mut self, now_s: f64) {
        if self.phase == Phase::Exercising {
            let step = &mut self.steps[self.current];
            step.done = 0;
            step.ratios.clear();
            step.ratio_uncertainties.clear();
            step.skipped = false;
            self.timer_start_s = now_s;
        }
    }

    /// Ends the session now.
    pub fn stop(&mut self) {
        if self.phase != Phase::Finished {
            self.stopped = true;
            self.phase = Phase::Finished;
        }
    }

    fn advance(&mut self, now_s: f64) {
        self.current += 1;
        self.timer_start_s = now_s;
        if self.current >= self.steps.len() {
            self.current = self.steps.len() - 1;
            self.phase = Phase::Finished;
        }
    }
}

/// The timer `since_s` seconds after it started: a relax period (getting ready, the first
/// time) then a hold, round and round.
fn timer_cue(settings: GuideSettings, since_s: f64) -> Cue {
    let GuideSettings { hold_s, relax_s, .. } = settings;
    let into = since_s.max(0.0) % (relax_s + hold_s);
    if into < relax_s {
        Cue { action: Action::Relax, remaining_s: relax_s - into, elapsed_fraction: into / relax_s }
    } else {
        let into = into - relax_s;
        Cue { action: Action::Hold, remaining_s: hold_s - into, elapsed_fraction: into / hold_s }
    }
}

/// One guided-only drill's progress.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedStep {
    /// The drill.
    pub drill: &'static GuidedDrill,
    /// Holds the timer has counted.
    pub done: u32,
    /// The person skipped it.
    pub skipped: bool,
}

/// The guided-only drills after a session's measured movements: nothing can count them from
/// the face, so each hold the timer runs through counts as a repetition.
#[derive(Clone, Debug)]
pub struct TimedDrills {
    settings: GuideSettings,
    steps: Vec<TimedStep>,
    current: usize,
    timer_start_s: f64,
    stopped: bool,
}

impl TimedDrills {
    /// `drills` in order, the first starting at `now_s` with the session's settings.
    pub fn new(
        settings: GuideSettings,
        drills: impl IntoIterator<Item = &'static GuidedDrill>,
        now_s: f64,
    ) -> Self {
        let steps =
            drills.into_iter().map(|drill| TimedStep { drill, done: 0, skipped: false }).collect();
        Self { settings, steps, current: 0, timer_start_s: now_s, stopped: false }
    }

    /// Counts the holds done by `now_s`, moving on when a drill's are all done (its last hold's
    /// end is when the next drill's timer starts).
    pub fn tick(&mut self, now_s: f64) {
        let cycle = self.settings.relax_s + self.settings.hold_s;
        while let Some(step) = self.steps.get_mut(self.current).filter(|_| !self.stopped) {
            let holds = ((now_s - self.timer_start_s) / cycle).floor().max(0.0) as u32;
            step.done = holds.min(self.settings.repetitions);
            if step.done < self.settings.repetitions {
                break;
            }
            self.timer_start_s += f64::from(self.settings.repetitions) * cycle;
            self.current += 1;
        }
    }

    /// The timer at `now_s`, while a drill is under way.
    pub fn cue(&self, now_s: f64) -> Option<Cue> {
        self.current().map(|_| timer_cue(self.settings, now_s - self.timer_start_s))
    }

    /// The drill under way.
    pub fn current(&self) -> Option<&'static GuidedDrill> {
        (!self.stopped).then(|| self.steps.get(self.current).map(|s| s.drill)).flatten()
    }

    /// Index of the drill under way in [`steps`](Self::steps).
    pub fn current_index(&self) -> Option<usize> {
        self.current().map(|_| self.current)
    }

    /// Every drill's progress.
    pub fn steps(&self) -> &[TimedStep] {
        &self.steps
    }

    /// The settings in force.
    pub fn settings(&self) -> GuideSettings {
        self.settings
    }

    /// Leaves the drill under way for the next, its timer starting at `now_s`.
    pub fn skip(&mut self, now_s: f64) {
        if let Some(step) = self.steps.get_mut(self.current).filter(|_| !self.stopped) {
            step.skipped = true;
            self.current += 1;
            self.timer_start_s = now_s;
        }
    }

    /// Ends the drills here.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Whether every drill is done or skipped, or the person stopped.
    pub fn finished(&self) -> bool {
        self.current().is_none()
    }

    /// Whether the person stopped before the end.
    pub fn stopped(&self) -> bool {
        self.stopped && self.current < self.steps.len()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::symmetry::MovementId::{
        self, BrowLift, CheekPuff, EyeClosure, NoseWrinkle, Pucker, Smile,
    };
    use crate::symmetry::{CORE_MOVEMENTS, Side};

    /// A repetition of `movement` with `ratio`, the right side weaker.
    pub(crate) fn rep(movement: MovementId, ratio: f64) -> Repetition {
        Repetition {
            movement,
            onset_s: 0.0,
            peak_s: 0.5,
            end_s: 1.0,
            peak_left: 0.1,
            peak_right: 0.1 * ratio,
            ratio: Some(ratio),
            ratio_uncertainty: Some(0.05),
            weaker: Some(Side::Right),
            time_to_peak_s: 0.5,
            hold_s: 0.4,
            mirror_disputed: None,
            synkinesis: None,
        }
    }

    fn settings(repetitions: u32) -> GuideSettings {
        GuideSettings { repetitions, ..GuideSettings::default() }
    }

    /// Calibration first, then the six movements in the order, each moving on after
    /// its repetitions, then finished.
    #[test]
    fn goes_through_the_movements_in_order() {
        let mut s = GuidedSession::new(settings(2), &CORE_MOVEMENTS);
        assert_eq!(s.phase(), Phase::Calibrating);
        assert_eq!(s.current(), None);
        assert!(!s.repetition(&rep(BrowLift, 0.5), 0.0), "nothing counts before calibration");
        s.calibrated(1.0);
        let order: Vec<MovementId> = CORE_MOVEMENTS.iter().map(|m| m.id).collect();
        assert_eq!(order, [BrowLift, EyeClosure, NoseWrinkle, Smile, Pucker, CheekPuff]);
        for (i, id) in order.iter().enumerate() {
            assert_eq!(s.current().map(|m| m.id), Some(*id));
            assert!(s.repetition(&rep(*id, 0.5), 2.0 + i as f64));
            assert_eq!(s.steps()[i].done, 1);
            assert!(s.repetition(&rep(*id, 0.7), 2.5 + i as f64));
        }
        assert_eq!(s.phase(), Phase::Finished);
        assert!(!s.stopped());
        assert!(s.steps().iter().all(|step| step.done == 2 && step.ratios == [0.5, 0.7]));
        assert!(s.steps().iter().all(|step| step.ratio_uncertainties == [0.05, 0.05]));
    }

    /// A repetition of another movement (a smile during brow lifts) does not count.
    #[test]
    fn only_the_current_movement_counts() {
        let mut s = GuidedSession::new(settings(3), &CORE_MOVEMENTS);
        s.calibrated(0.0);
        assert!(!s.repetition(&rep(Smile, 0.9), 1.0));
        assert_eq!(s.steps()[0].done, 0);
        assert_eq!(s.steps()[3].done, 0);
    }

    /// Skip moves on and marks the step; repeat resets the count and the timer; stop ends.
    #[test]
    fn skip_repeat_and_stop() {
        let mut s = GuidedSession::new(settings(3), &CORE_MOVEMENTS);
        s.calibrated(0.0);
        s.skip(1.0);
        assert!(s.steps()[0].skipped);
        assert_eq!(s.current().map(|m| m.id), Some(EyeClosure));
        s.repetition(&rep(EyeClosure, 0.4), 2.0);
        s.repetition(&rep(EyeClosure, 0.6), 3.0);
        s.repeat(10.0);
        assert_eq!(s.steps()[1].done, 0);
        assert!(s.steps()[1].ratios.is_empty() && s.steps()[1].ratio_uncertainties.is_empty());
        assert_eq!(s.cue(10.0).map(|c| c.action), Some(Action::Relax));
        s.stop();
        assert_eq!(s.phase(), Phase::Finished);
        assert!(s.stopped());
        assert_eq!(s.cue(11.0), None);
        assert!(!s.repetition(&rep(EyeClosure, 0.4), 12.0));
    }

    /// The timer alternates relax and hold with the set lengths, from when the movement began.
    #[test]
    fn the_timer_alternates_relax_and_hold() {
        let mut s = GuidedSession::new(
            GuideSettings { repetitions: 10, hold_s: 2.0, relax_s: 4.0 },
            &CORE_MOVEMENTS,
        );
        assert_eq!(s.cue(0.0), None);
        s.calibrated(100.0);
        let at = |t: f64| s.cue(100.0 + t).unwrap();
        assert_eq!(at(0.0).action, Action::Relax);
        assert!((at(1.0).remaining_s - 3.0).abs() < 1e-9);
        assert!((at(1.0).elapsed_fraction - 0.25).abs() < 1e-9);
        assert_eq!(at(4.5).action, Action::Hold);
        assert!((at(4.5).remaining_s - 1.5).abs() < 1e-9);
        assert_eq!(at(6.5).action, Action::Relax);
        assert_eq!(at(10.1).action, Action::Hold);
    }

    /// Nonsense settings are brought to the least that makes a session.
    #[test]
    fn settings_are_kept_sensible() {
        let s = GuidedSession::new(
            GuideSettings { repetitions: 0, hold_s: 0.0, relax_s: -1.0 },
            &CORE_MOVEMENTS,
        );
        assert_eq!(s.settings().repetitions, 1);
        assert!(s.settings().hold_s > 0.0 && s.settings().relax_s > 0.0);
    }

    /// Guided-only drills are counted by the timer: each hold run through is one, a drill's
    /// last moves on to the next at its end; a skip starts the next at once.
    #[test]
    fn timed_drills_count_the_holds() {
        use crate::symmetry::catalogue::GUIDED_ONLY;
        let settings = GuideSettings { repetitions: 2, hold_s: 2.0, relax_s: 3.0 };
        let mut drills = TimedDrills::new(settings, &GUIDED_ONLY[..3], 10.0);
        drills.tick(14.9);
        assert_eq!((drills.current_index(), drills.steps()[0].done), (Some(0), 0));
        assert_eq!(drills.cue(14.9).map(|c| c.action), Some(Action::Hold));
        drills.tick(15.0);
        assert_eq!(drills.steps()[0].done, 1);
        // Looked at late: both holds of the first counted, the second's timer from 20 s.
        drills.tick(21.0);
        assert_eq!((drills.current_index(), drills.steps()[0].done), (Some(1), 2));
        assert_eq!(drills.cue(21.0).map(|c| (c.action, c.remaining_s)), Some((Action::Relax, 2.0)));
        drills.skip(22.0);
        assert_eq!((drills.current_index(), drills.steps()[1].skipped), (Some(2), true));
        drills.tick(31.9);
        assert!(!drills.finished());
        drills.tick(32.0);
        assert!(drills.finished() && !drills.stopped() && drills.cue(32.0).is_none());
        let mut stopped = TimedDrills::new(settings, &GUIDED_ONLY[..1], 0.0);
        stopped.stop();
        assert!(stopped.finished() && stopped.stopped());
    }
}
