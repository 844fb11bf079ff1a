//! The exercise plan and the days it is kept: what to do each day (the guides' programme by
//! default), how much of it today's sessions did, the streak of days with a session, and which
//! reminder is due. Logic over timestamps and a time zone only, so every rule is tested with
//! made-up dates.
//!
//! Days are the person's own (local time zone): an evening session belongs to its evening,
//! whatever the UTC date.

use std::collections::BTreeSet;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::calendar::now_unix;
use super::guide::{DEFAULT_HOLD_S, DEFAULT_RELAX_S, DEFAULT_REPETITIONS, GuideSettings};
use super::{Store, StoreError};
use crate::symmetry::catalogue::{GUIDED_ONLY, GuidedDrill, guided_drill};
use crate::symmetry::movements::movement;
use crate::symmetry::{CORE_MOVEMENTS, Movement, MovementId};

/// Sessions a day: the guides say two or three.
pub const DEFAULT_SESSIONS_PER_DAY: u32 = 2;
/// Minutes of warm compress on the affected side before the exercises (the guides: 10–20).
pub const DEFAULT_COMPRESS_MIN: u32 = 10;
/// Minutes of facial massage before the exercises (the guides give no length; a few minutes
/// go round the face once or twice).
pub const DEFAULT_MASSAGE_MIN: u32 = 3;
/// Reminders: morning and evening, as the guides place the warm compress.
pub const DEFAULT_REMINDERS: [ClockTime; 2] =
    [ClockTime { hour: 9, minute: 0 }, ClockTime { hour: 19, minute: 0 }];

/// Bounds of what a plan may ask (a plan outside them is brought inside when read).
pub const REPETITIONS_RANGE: (u32, u32) = (1, 30);
/// Sessions a day a plan may ask.
pub const SESSIONS_RANGE: (u32, u32) = (1, 6);
/// Seconds a hold or a relaxation may last.
pub const PHASE_S_RANGE: (f64, f64) = (1.0, 10.0);
/// Minutes of warm compress a plan may ask (0: none).
pub const COMPRESS_MIN_MAX: u32 = 30;
/// Minutes of massage a plan may ask (0: none).
pub const MASSAGE_MIN_MAX: u32 = 15;
/// Days [`Today::recent`] covers.
pub const RECENT_DAYS: usize = 14;
/// Reminders a plan may keep.
pub const MAX_REMINDERS: usize = 6;

/// A step of the warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarmUpStep {
    /// A warm compress on the affected side.
    Compress,
    /// Facial massage.
    Massage,
}

impl WarmUpStep {
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            WarmUpStep::Compress => "Warm compress",
            WarmUpStep::Massage => "Massage",
        }
    }

    /// What to do, in plain words.
    pub fn instruction(self) -> &'static str {
        match self {
            WarmUpStep::Compress => {
                "Hold a warm (not hot), damp cloth on the affected side of your face, from the \
                 forehead to the jaw. Warm it again when it cools."
            }
            WarmUpStep::Massage => {
                "With two or three fingertips, make small, firm circles on the affected side: \
                 from the chin up to the ear, from the mouth corner up to the cheekbone, and over \
                 the forehead upward from the brow. It should never hurt."
            }
        }
    }
}

/// A warm-up under way: each step timed in turn, any step skippable; nothing is measured.
#[derive(Clone, Debug, PartialEq)]
pub struct WarmUpRun {
    /// The steps and their lengths, seconds.
    steps: Vec<(WarmUpStep, f64)>,
    current: usize,
    /// When the current step began, in the caller's clock (seconds).
    step_started: f64,
}

impl WarmUpRun {
    /// The warm-up of `warm_up` (steps of no minutes left out), starting at `now`.
    pub fn new(warm_up: WarmUp, now: f64) -> Self {
        let steps = [
            (WarmUpStep::Compress, warm_up.compress_min),
            (WarmUpStep::Massage, warm_up.massage_min),
        ]
        .into_iter()
        .filter(|(_, min)| *min > 0)
        .map(|(step, min)| (step, f64::from(min) * 60.0))
        .collect();
        Self { steps, current: 0, step_started: now }
    }

    /// Moves on to the next step when the current one's time is up (at the moment it was
    /// up, so a late call loses no time of the next).
    pub fn advance(&mut self, now: f64) {
        while let Some(&(_, length)) = self.steps.get(self.current) {
            if now - self.step_started < length {
                break;
            }
            self.step_started += length;
            self.current += 1;
        }
    }

    /// The step under way at `now`, its seconds left and the fraction gone; `None` once done.
    pub fn step(&self, now: f64) -> Option<(WarmUpStep, f64, f64)> {
        let &(step, length) = self.steps.get(self.current)?;
        let gone = (now - self.step_started).clamp(0.0, length);
        Some((step, length - gone, gone / length))
    }

    /// Ends the current step now.
    pub fn skip(&mut self, now: f64) {
        if self.current < self.steps.len() {
            self.current += 1;
            self.step_started = now;
        }
    }

    /// The current step's number (from 1) and how many there are.
    pub fn position(&self) -> (usize, usize) {
        ((self.current + 1).min(self.steps.len()), self.steps.len())
    }

    /// Whether every step is done or skipped.
    pub fn done(&self) -> bool {
        self.current >= self.steps.len()
    }
}

/// A time of day, local: "HH:MM" in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime {
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
}

impl ClockTime {
    /// `None` past 23:59.
    pub fn new(hour: u8, minute: u8) -> Option<Self> {
        (hour < 24 && minute < 60).then_some(Self { hour, minute })
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u32 {
        u32::from(self.hour) * 60 + u32::from(self.minute)
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl std::str::FromStr for ClockTime {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("expected a time of day such as 09:30, got {text:?}");
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        ClockTime::new(h, m).ok_or_else(bad)
    }
}

impl TryFrom<String> for ClockTime {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl From<ClockTime> for String {
    fn from(time: ClockTime) -> String {
        time.to_string()
    }
}

/// The warm-up before the exercises: timed, nothing measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WarmUp {
    /// Minutes of warm compress (0: none).
    pub compress_min: u32,
    /// Minutes of massage (0: none).
    pub massage_min: u32,
}

impl Default for WarmUp {
    fn default() -> Self {
        Self { compress_min: DEFAULT_COMPRESS_MIN, massage_min: DEFAULT_MASSAGE_MIN }
    }
}

impl WarmUp {
    /// Whether there is any warm-up.
    pub fn any(self) -> bool {
        self.compress_min + self.massage_min > 0
    }
}

/// What the person means to do each day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Plan {
    /// The measured movements of each session, in order.
    pub movements: Vec<MovementId>,
    /// The guided-only drills done after them (catalogue ids), timed, not measured.
    pub drills: Vec<String>,
    /// Repetitions of each movement.
    pub repetitions: u32,
    /// Sessions a day.
    pub sessions_per_day: u32,
    /// Seconds the timer says to hold.
    pub hold_s: f64,
    /// Seconds the timer says to relax.
    pub relax_s: f64,
    /// Before each session.
    pub warm_up: WarmUp,
    /// When to remind, local time, in order.
    pub reminders: Vec<ClockTime>,
    /// Hold, relax and the end of a set also heard in a guided session.
    pub sound_cues: bool,
}

impl Default for Plan {
    /// The guides' programme: the six core movements, ten repetitions each, twice a day, after
    /// a warm compress and a massage.
    fn default() -> Self {
        Self {
            movements: CORE_MOVEMENTS.iter().map(|m| m.id).collect(),
            drills: Vec::new(),
            repetitions: DEFAULT_REPETITIONS,
            sessions_per_day: DEFAULT_SESSIONS_PER_DAY,
            hold_s: DEFAULT_HOLD_S,
            relax_s: DEFAULT_RELAX_S,
            warm_up: WarmUp::default(),
            reminders: DEFAULT_REMINDERS.to_vec(),
            sound_cues: true,
        }
    }
}

impl Plan {
    /// The plan brought within its bounds: movements once each in catalogue order (none: the
    /// six), numbers clamped (a number that is not one: the default), reminders in order,
    /// once each, at most [`MAX_REMINDERS`].
    pub fn normalized(mut self) -> Self {
        let chosen = |m: &&Movement| self.movements.contains(&m.id);
        let movements: Vec<MovementId> =
            CORE_MOVEMENTS.iter().filter(chosen).map(|m| m.id).collect();
        self.movements = if movements.is_empty() { Plan::default().movements } else { movements };
        // Drills in the catalogue's order, once each; an id this build does not know (a newer
        // facesym's) is left out.
        let drills = GUIDED_ONLY.iter().filter(|d| self.drills.iter().any(|id| id == d.id));
        self.drills = drills.map(|d| d.id.to_string()).collect();
        self.repetitions = self.repetitions.clamp(REPETITIONS_RANGE.0, REPETITIONS_RANGE.1);
        self.sessions_per_day = self.sessions_per_day.clamp(SESSIONS_RANGE.0, SESSIONS_RANGE.1);
        let seconds = |s: f64, default: f64| {
            if s.is_finite() { s.clamp(PHASE_S_RANGE.0, PHASE_S_RANGE.1) } else { default }
        };
        self.hold_s = seconds(self.hold_s, DEFAULT_HOLD_S);
        self.relax_s = seconds(self.relax_s, DEFAULT_RELAX_S);
        self.warm_up.compress_min = self.warm_up.compress_min.min(COMPRESS_MIN_MAX);
        self.warm_up.massage_min = self.warm_up.massage_min.min(MASSAGE_MIN_MAX);
        let reminders: BTreeSet<ClockTime> = self.reminders.iter().copied().collect();
        self.reminders = reminders.into_iter().take(MAX_REMINDERS).collect();
        self
    }

    /// The plan from its JSON, brought within bounds.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        Ok(serde_json::from_str::<Plan>(json)?.normalized())
    }

    /// The plan as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a plan is plain data")
    }

    /// The guided session's settings.
    pub fn guide_settings(&self) -> GuideSettings {
        GuideSettings { repetitions: self.repetitions, hold_s: self.hold_s, relax_s: self.relax_s }
    }

    /// The measured movements of a session, in order.
    pub fn session_movements(&self) -> Vec<&'static Movement> {
        self.movements.iter().map(|&id| movement(id)).collect()
    }

    /// The guided-only drills of a session, in order.
    pub fn session_drills(&self) -> Vec<&'static GuidedDrill> {
        self.drills.iter().filter_map(|id| guided_drill(id)).collect()
    }

    /// The plan as (what, how) lines.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let names: Vec<&str> = self.session_movements().iter().map(|m| m.name).collect();
        let warm_up = match (self.warm_up.compress_min, self.warm_up.massage_min) {
            (0, 0) => "none".to_string(),
            (c, 0) => format!("warm compress {c} min"),
            (0, m) => format!("massage {m} min"),
            (c, m) => format!("warm compress {c} min, then massage {m} min"),
        };
        let reminders: Vec<String> = self.reminders.iter().map(ToString::to_string).collect();
        vec![
            ("Sessions a day", self.sessions_per_day.to_string()),
            ("Warm-up", warm_up),
            ("Movements", names.join(", ")),
            ("Guided only", {
                let drills: Vec<&str> = self.session_drills().iter().map(|d| d.name).collect();
                if drills.is_empty() { "none".into() } else { drills.join(", ") }
            }),
            (
                "Each movement",
                format!(
                    "{} repetitions, hold {} s, relax {} s",
                    self.repetitions, self.hold_s, self.relax_s
                ),
            ),
            ("Reminders", if reminders.is_empty() { "none".into() } else { reminders.join(", ") }),
            ("Sound cues", if self.sound_cues { "on" } else { "off" }.into()),
        ]
    }

    /// The reminder due at `now` (local time of day) with `done` sessions done today: the
    /// latest reminder not after now whose session is not done yet (by the k-th reminder of the
    /// day, k sessions are due, at most the plan's number).
    pub fn due_reminder(&self, done: u32, now: ClockTime) -> Option<ClockTime> {
        let (k, &time) = self.reminders.iter().enumerate().rfind(|(_, time)| **time <= now)?;
        let due = (k as u32 + 1).min(self.sessions_per_day);
        (done < due).then_some(time)
    }

    /// The next reminder after `now` today, while sessions are left to do.
    pub fn next_reminder(&self, done: u32, now: ClockTime) -> Option<ClockTime> {
        if done >= self.sessions_per_day {
            return None;
        }
        self.reminders.iter().copied().find(|time| *time > now)
    }
}

/// Today against the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Today {
    /// Today's date, local.
    pub date: Date,
    /// The time of day now, local.
    pub now: ClockTime,
    /// Sessions done today.
    pub done: u32,
    /// Sessions the plan asks a day.
    pub planned: u32,
    /// Days in a row with a session, up to today (or up to yesterday while today has none
    /// yet: the streak is kept by a session today).
    pub streak: u32,
    /// Whether today is one of the streak's days.
    pub streak_includes_today: bool,
    /// Sessions on each of the last [`RECENT_DAYS`] days, oldest first, today last.
    pub recent: Vec<(Date, u32)>,
    /// The reminder due now, if any.
    pub due_reminder: Option<ClockTime>,
    /// The next reminder today, if any.
    pub next_reminder: Option<ClockTime>,
}

impl Today {
    /// Reads the day: `sessions` are the start times (seconds since 1970 UTC) of the exercise
    /// sessions recorded, `now` the time now, `tz` the person's time zone.
    pub fn read(plan: &Plan, sessions: &[i64], now: i64, tz: &TimeZone) -> Self {
        let local = |unix: i64| {
            let stamp = Timestamp::from_second(unix).unwrap_or(Timestamp::UNIX_EPOCH);
            tz.to_datetime(stamp)
        };
        let now_local = local(now);
        let date = now_local.date();
        let time = ClockTime::new(now_local.hour() as u8, now_local.minute() as u8)
            .expect("a clock reads 00:00-23:59");
        let dates: Vec<Date> = sessions.iter().map(|&s| local(s).date()).collect();
        let days: BTreeSet<Date> = dates.iter().copied().collect();
        let on = |day: Date| dates.iter().filter(|&&d| d == day).count() as u32;
        let done = on(date);
        let mut recent: Vec<(Date, u32)> =
            std::iter::successors(Some(date), |d| d.yesterday().ok())
                .take(RECENT_DAYS)
                .map(|d| (d, on(d)))
                .collect();
        recent.reverse();
        let streak_includes_today = days.contains(&date);
        let mut day = if streak_includes_today { Some(date) } else { date.yesterday().ok() };
        let mut streak = 0;
        while let Some(d) = day.filter(|d| days.contains(d)) {
            streak += 1;
            day = d.yesterday().ok();
        }
        Self {
            date,
            now: time,
            done,
            planned: plan.sessions_per_day,
            streak,
            streak_includes_today,
            recent,
            due_reminder: plan.due_reminder(done, time),
            next_reminder: plan.next_reminder(done, time),
        }
    }

    /// Sessions left today.
    pub fn left(&self) -> u32 {
        self.planned.saturating_sub(self.done)
    }

    /// "Monday 7 December 2026".
    pub fn date_text(&self) -> String {
        self.date.strftime("%A %-d %B %Y").to_string()
    }

    /// The streak in words.
    pub fn streak_text(&self) -> String {
        match (self.streak, self.streak_includes_today) {
            (0, _) => "no streak yet: a session today starts one".into(),
            (1, true) => "1 day: today".into(),
            (n, true) => format!("{n} days in a row, today included"),
            (n, false) => format!(
                "{n} day{} in a row up to yesterday: a session today keeps it",
                if n == 1 { "" } else { "s" }
            ),
        }
    }

    /// The reminder's words: what it is for.
    pub fn reminder_text(&self, due: ClockTime) -> String {
        format!("Reminder, {due}: time for session {} of {} today.", self.done + 1, self.planned)
    }

    /// What is next, in words.
    pub fn next_text(&self) -> String {
        if self.left() == 0 {
            return format!("all {} planned sessions done today", self.planned);
        }
        let which = format!("session {} of {}", self.done + 1, self.planned);
        match (self.due_reminder, self.next_reminder) {
            (Some(due), _) => format!("{which}, due since {due}"),
            (None, Some(next)) => format!("{which}, reminder at {next}"),
            (None, None) => format!("{which}, when you are ready"),
        }
    }
}

/// Whether a recorded session counts as a day's exercise: the built-in demo's do not (the
/// app records them as "guided session (demo)").
pub fn counts_as_exercise(source: &str) -> bool {
    !matches!(source, "demo" | "guided session (demo)")
}

/// The plan saved in `store` (the guides' when none is, or there is no record yet) and today
/// against it, now, in the person's time zone.
pub fn read_today(store: Option<&Store>) -> Result<(Plan, Today), StoreError> {
    let (plan, sessions) = match store {
        Some(store) => {
            let sessions = store.sessions()?;
            let starts = sessions
                .iter()
                .filter(|s| counts_as_exercise(&s.source))
                .map(|s| s.started_unix)
                .collect::<Vec<_>>();
            (store.plan()?.unwrap_or_default(), starts)
        }
        None => (Plan::default(), Vec::new()),
    };
    let today = Today::read(&plan, &sessions, now_unix(), &TimeZone::system());
    Ok((plan, today))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::Offset;

    fn at(tz: &TimeZone, y: i16, mo: i8, d: i8, h: i8, mi: i8) -> i64 {
        tz.to_timestamp(jiff::civil::date(y, mo, d).at(h, mi, 0, 0)).unwrap().as_second()
    }

    fn utc() -> TimeZone {
        TimeZone::UTC
    }

    #[test]
    fn a_missed_day_breaks_the_streak() {
        let tz = utc();
        let plan = Plan::default();
        // Sessions on the 1st, 2nd, 4th, 5th and 6th; today is the 6th.
        let sessions: Vec<i64> =
            [1, 2, 4, 5, 6].iter().map(|&d| at(&tz, 2026, 12, d, 8, 30)).collect();
        let today = Today::read(&plan, &sessions, at(&tz, 2026, 12, 6, 20, 0), &tz);
        assert_eq!((today.streak, today.streak_includes_today), (3, true));
        // On the 7th, before a session: the streak up to yesterday still stands.
        let today = Today::read(&plan, &sessions, at(&tz, 2026, 12, 7, 8, 0), &tz);
        assert_eq!((today.streak, today.streak_includes_today), (3, false));
        assert!(today.streak_text().contains("keeps it"), "{}", today.streak_text());
        // On the 8th, the 7th having been missed: gone.
        let today = Today::read(&plan, &sessions, at(&tz, 2026, 12, 8, 8, 0), &tz);
        assert_eq!(today.streak, 0);
    }

    #[test]
    fn two_sessions_in_a_day_count_once_for_the_streak_and_twice_for_the_plan() {
        let tz = utc();
        let plan = Plan::default();
        let sessions =
            [at(&tz, 2026, 12, 6, 9, 0), at(&tz, 2026, 12, 7, 9, 0), at(&tz, 2026, 12, 7, 19, 5)];
        let today = Today::read(&plan, &sessions, at(&tz, 2026, 12, 7, 20, 0), &tz);
        assert_eq!((today.done, today.planned, today.left()), (2, 2, 0));
        assert_eq!(today.streak, 2);
        let recent = &today.recent[today.recent.len() - 3..];
        let counts: Vec<u32> = recent.iter().map(|r| r.1).collect();
        assert_eq!((today.recent.len(), counts), (RECENT_DAYS, vec![0, 1, 2]));
        assert_eq!(today.recent.last().unwrap().0, jiff::civil::date(2026, 12, 7));
        assert_eq!(today.next_text(), "all 2 planned sessions done today");
        assert_eq!(today.due_reminder, None);
    }

    /// A session at 23:30 in New York is that evening's, not the next UTC day's.
    #[test]
    fn days_are_local() {
        let tz = TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        let evening = at(&tz, 2026, 12, 6, 23, 30);
        let today = Today::read(&Plan::default(), &[evening], at(&tz, 2026, 12, 7, 7, 0), &tz);
        assert_eq!(today.date, jiff::civil::date(2026, 12, 7));
        assert_eq!((today.done, today.streak, today.streak_includes_today), (0, 1, false));
        // Read in UTC the same session falls on the 7th.
        let utc = Today::read(&Plan::default(), &[evening], at(&tz, 2026, 12, 7, 7, 0), &utc());
        assert_eq!(utc.done, 1);
        let fixed = TimeZone::fixed(Offset::constant(-5));
        let today =
            Today::read(&Plan::default(), &[evening], at(&fixed, 2026, 12, 7, 7, 0), &fixed);
        assert_eq!(today.done, 0);
    }

    #[test]
    fn reminders_fall_due_until_their_session_is_done() {
        let plan = Plan::default(); // 09:00 and 19:00, two sessions.
        let t = |h, m| ClockTime::new(h, m).unwrap();
        assert_eq!(plan.due_reminder(0, t(8, 59)), None);
        assert_eq!(plan.next_reminder(0, t(8, 59)), Some(t(9, 0)));
        assert_eq!(plan.due_reminder(0, t(9, 0)), Some(t(9, 0)));
        assert_eq!(plan.due_reminder(1, t(12, 0)), None, "the morning's session is done");
        assert_eq!(plan.next_reminder(1, t(12, 0)), Some(t(19, 0)));
        assert_eq!(plan.due_reminder(1, t(19, 30)), Some(t(19, 0)));
        assert_eq!(plan.due_reminder(0, t(19, 30)), Some(t(19, 0)), "one due, the last");
        assert_eq!(plan.due_reminder(2, t(19, 30)), None);
        assert_eq!(plan.next_reminder(2, t(12, 0)), None, "nothing left to remind of");
        // More reminders than sessions: the third asks for no third session.
        let one = Plan { sessions_per_day: 1, reminders: vec![t(9, 0), t(13, 0)], ..plan };
        assert_eq!(one.due_reminder(0, t(14, 0)), Some(t(13, 0)));
        assert_eq!(one.due_reminder(1, t(14, 0)), None);
    }

    #[test]
    fn the_warm_up_times_each_step_and_skips() {
        let mut run = WarmUpRun::new(WarmUp { compress_min: 10, massage_min: 3 }, 100.0);
        let (step, left, gone) = run.step(100.0 + 150.0).unwrap();
        assert_eq!((step, left, gone), (WarmUpStep::Compress, 450.0, 0.25));
        // Called late, the massage still starts when the compress ended.
        run.advance(100.0 + 630.0);
        assert_eq!(run.step(730.0), Some((WarmUpStep::Massage, 150.0, 30.0 / 180.0)));
        run.skip(731.0);
        assert!(run.done() && run.step(731.0).is_none());
        // A step of no minutes is not a step.
        let mut massage = WarmUpRun::new(WarmUp { compress_min: 0, massage_min: 2 }, 0.0);
        assert_eq!(massage.step(0.0).map(|s| s.0), Some(WarmUpStep::Massage));
        massage.skip(5.0);
        massage.skip(6.0);
        assert!(massage.done());
        assert!(WarmUpRun::new(WarmUp { compress_min: 0, massage_min: 0 }, 0.0).done());
    }

    #[test]
    fn the_demo_is_not_exercise() {
        assert!(!counts_as_exercise("guided session (demo)") && !counts_as_exercise("demo"));
        assert!(counts_as_exercise("guided session (camera)"));
        assert!(counts_as_exercise("video clip.mp4"));
    }

    #[test]
    fn a_plan_is_kept_within_bounds() {
        let json = r#"{"movements": ["smile", "brow_lift", "smile"], "repetitions": 500,
            "drills": ["lip_hold", "juggle", "brow_furrow", "lip_hold"],
            "sessions_per_day": 0, "hold_s": -1, "reminders": ["19:00", "07:30", "19:00"],
            "warm_up": {"compress_min": 90}}"#;
        let plan = Plan::from_json(json).unwrap();
        assert_eq!(plan.movements, [MovementId::BrowLift, MovementId::Smile]);
        assert_eq!(plan.drills, ["brow_furrow", "lip_hold"]);
        assert_eq!((plan.repetitions, plan.sessions_per_day), (30, 1));
        assert_eq!((plan.hold_s, plan.relax_s), (1.0, DEFAULT_RELAX_S));
        assert_eq!(plan.reminders, ["07:30".parse().unwrap(), "19:00".parse().unwrap()]);
        assert_eq!(plan.warm_up, WarmUp { compress_min: 30, massage_min: DEFAULT_MASSAGE_MIN });
        assert_eq!(Plan::from_json(&plan.to_json()).unwrap(), plan);
        assert_eq!(Plan::from_json("{}").unwrap(), Plan::default());
        assert!(Plan::from_json(r#"{"reminders": ["25:00"]}"#).is_err());
        assert!(Plan::from_json(r#"{"movements": ["juggle"]}"#).is_err());
        let none = Plan { movements: Vec::new(), ..Plan::default() }.normalized();
        assert_eq!(none.movements.len(), CORE_MOVEMENTS.len());
    }
}
