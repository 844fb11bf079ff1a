//! Sound cues for a guided session: with the eyes shut (eye closure) or the face turned to a
//! mirror the timer cannot be seen, so hold, relax, the end of a set and the end of the
//! session are also heard. This is when each cue falls and what it sounds like; playing it
//! is the app's (`ui/sound.rs`).

use super::guide::{Action, GuidedSession, Phase, TimedDrills};

/// A cue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sound {
    /// Make the movement and hold it: a rising pair of tones.
    Hold,
    /// Let the face rest: a falling pair.
    Relax,
    /// A movement's repetitions are done: three short high tones.
    SetDone,
    /// The session is over: a rising run of four.
    SessionDone,
}

impl Sound {
    /// The words said with the tone where the system can speak.
    pub fn words(self) -> &'static str {
        match self {
            Sound::Hold => "hold",
            Sound::Relax => "relax",
            Sound::SetDone => "set done",
            Sound::SessionDone => "session done",
        }
    }

    /// Its tones: (frequency Hz, seconds) each, a short gap between.
    pub fn tones(self) -> &'static [(f64, f64)] {
        match self {
            Sound::Hold => &[(523.25, 0.12), (783.99, 0.22)],
            Sound::Relax => &[(783.99, 0.12), (523.25, 0.22)],
            Sound::SetDone => &[(1046.5, 0.09), (1046.5, 0.09), (1046.5, 0.09)],
            Sound::SessionDone => &[(523.25, 0.12), (659.25, 0.12), (783.99, 0.12), (1046.5, 0.3)],
        }
    }
}

/// Samples per second of the cues' sound.
pub const SAMPLE_RATE: u32 = 22_050;
/// Silence between two tones of a cue, seconds.
const GAP_S: f64 = 0.05;
/// Each tone fades in and out over this many seconds (no click).
const FADE_S: f64 = 0.01;
/// Loudness, of full scale: clearly heard, not startling.
const AMPLITUDE: f64 = 0.4;

/// The cue as a WAV file (16-bit mono PCM).
pub fn wav(sound: Sound) -> Vec<u8> {
    let rate = f64::from(SAMPLE_RATE);
    let mut samples: Vec<i16> = Vec::new();
    for &(frequency, length) in sound.tones() {
        let n = (length * rate) as usize;
        for k in 0..n {
            let t = k as f64 / rate;
            let fade = (t / FADE_S).min((length - t) / FADE_S).clamp(0.0, 1.0);
            let value = AMPLITUDE * fade * (std::f64::consts::TAU * frequency * t).sin();
            samples.push((value * f64::from(i16::MAX)) as i16);
        }
        samples.extend(std::iter::repeat_n(0, (GAP_S * rate) as usize));
    }
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    out.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// What the cues follow at one moment: the timer's action, the step under way (measured
/// movements first, then guided-only drills), and whether the whole session has ended (not
/// stopped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CueState {
    /// Hold or relax, while a step is under way.
    pub action: Option<Action>,
    /// The step under way.
    pub step: Option<usize>,
    /// Every step done (or skipped); `false` when stopped.
    pub ended: bool,
}

impl CueState {
    /// A session's measured movements at `now_s`; `more` when drills follow them (then their
    /// end is not the session's).
    pub fn of_session(session: &GuidedSession, now_s: f64, more: bool) -> Self {
        CueState {
            action: session.cue(now_s).map(|cue| cue.action),
            step: session.current_index(),
            ended: session.phase() == Phase::Finished && !session.stopped() && !more,
        }
    }

    /// The guided-only drills after `first` measured steps, at `now_s`.
    pub fn of_drills(drills: &TimedDrills, now_s: f64, first: usize) -> Self {
        CueState {
            action: drills.cue(now_s).map(|cue| cue.action),
            step: drills.current_index().map(|k| first + k),
            ended: drills.finished() && !drills.stopped(),
        }
    }
}

/// Watches a guided session frame by frame and says which cue falls now: the timer turning
/// to hold or to relax, a step's last repetition done (the set), the session's end. A
/// session stopped by the person ends without a cue.
#[derive(Clone, Debug, Default)]
pub struct CueSchedule {
    /// What was seen last.
    last: Option<CueState>,
}

impl CueSchedule {
    /// The cue at `state`, if one falls between the last call and this one.
    pub fn next(&mut self, state: CueState) -> Option<Sound> {
        let last = self.last.replace(state)?;
        if last == state {
            return None;
        }
        if state.ended {
            return (!last.ended && last.action.is_some()).then_some(Sound::SessionDone);
        }
        state.action?;
        // A new step: the last one's set ended (the first one's start is not a set's end).
        if last.step.is_some() && state.step != last.step {
            return Some(Sound::SetDone);
        }
        match (last.action, state.action) {
            (Some(Action::Relax), Some(Action::Hold)) => Some(Sound::Hold),
            (Some(Action::Hold), Some(Action::Relax)) => Some(Sound::Relax),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::guide::GuideSettings;
    use crate::session::guide::tests::rep;
    use crate::symmetry::CORE_MOVEMENTS;

    /// The schedule of a session of two movements, two repetitions each, hold 2 s and relax
    /// 3 s, looked at ten times a second, calibrated at 1.05 s: hold 3 s after, relax 5 s
    /// after, …; the set's end when the second repetition is counted (and the next
    /// movement's timer from there); the session's end after the last.
    #[test]
    fn cues_fall_when_the_timer_turns_and_a_set_ends() {
        let settings = GuideSettings { repetitions: 2, hold_s: 2.0, relax_s: 3.0 };
        let mut session = GuidedSession::new(settings, CORE_MOVEMENTS.iter().take(2));
        let mut schedule = CueSchedule::default();
        let mut heard = Vec::new();
        // The repetitions' times and movements; times between two looks, so that no look
        // falls on a turn of the timer.
        let mut counted =
            vec![(7.25, 0), (12.15, 0), (16.05, 1), (21.45, 1)].into_iter().peekable();
        for step in 0..250 {
            let t = f64::from(step) / 10.0;
            if step == 11 {
                session.calibrated(1.05);
            }
            while let Some(&(at, k)) = counted.peek().filter(|(at, _)| *at <= t) {
                session.repetition(&rep(CORE_MOVEMENTS[k].id, 1.0), at);
                counted.next();
            }
            if let Some(sound) = schedule.next(CueState::of_session(&session, t, false)) {
                heard.push((format!("{t:.1}"), sound));
            }
        }
        let heard: Vec<(&str, Sound)> = heard.iter().map(|(t, s)| (t.as_str(), *s)).collect();
        use Sound::*;
        assert_eq!(
            heard,
            [
                ("4.1", Hold),
                ("6.1", Relax),
                ("9.1", Hold),
                ("11.1", Relax),
                ("12.2", SetDone),
                ("15.2", Hold),
                ("17.2", Relax),
                ("20.2", Hold),
                ("21.5", SessionDone),
            ]
        );
    }

    /// A session the person stops ends without the session's cue.
    #[test]
    fn a_stopped_session_is_not_cheered() {
        let mut session = GuidedSession::new(GuideSettings::default(), &CORE_MOVEMENTS);
        let mut schedule = CueSchedule::default();
        session.calibrated(0.0);
        assert_eq!(schedule.next(CueState::of_session(&session, 0.5, false)), None);
        session.stop();
        assert_eq!(schedule.next(CueState::of_session(&session, 0.6, false)), None);
    }

    #[test]
    fn each_cue_is_a_distinct_wav() {
        let sounds = [Sound::Hold, Sound::Relax, Sound::SetDone, Sound::SessionDone];
        let waves: Vec<Vec<u8>> = sounds.iter().map(|&s| wav(s)).collect();
        for (k, w) in waves.iter().enumerate() {
            assert_eq!(&w[..4], b"RIFF");
            assert_eq!(u32::from_le_bytes(w[40..44].try_into().unwrap()) as usize, w.len() - 44);
            assert!(waves[k + 1..].iter().all(|other| other != w));
            let peak =
                w[44..].chunks(2).map(|c| i16::from_le_bytes([c[0], c[1]]).unsigned_abs()).max();
            assert!(peak.is_some_and(|p| p > 10_000 && p < 16_000), "{peak:?}");
        }
    }
}
