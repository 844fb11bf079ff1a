//! The HTML page: header, how to read the ratio, the table of movements, a section with two
//! charts per movement, and the footer.

use std::fmt::{self, Display, Formatter};

use super::charts::{repetitions_chart, trend_chart};
use super::text::{Band, Escaped, date_text, movement_name, seconds_text, uncertainty_text};
use crate::session::calendar::format_utc;
use crate::session::history::{
    FAIR_RATIO, GOOD_RATIO, MovementSummary, SessionSummary, TrendPoint, trend,
};
use crate::session::repetitions::{NOT_ENOUGH_MOVEMENT_LABEL, UNSURE_LABEL};
use crate::session::store::{RestCheckInfo, StoredEvent, StoredRepetition};
use crate::symmetry::CORE_MOVEMENTS;
use crate::symmetry::synkinesis::CoMovement;

/// The page's styles: the system's own fonts, nothing loaded.
const STYLE: &str = include_str!("style.css");

/// One session's report.
pub(super) struct Page<'a> {
    /// This session.
    pub(super) summary: &'a SessionSummary,
    /// Every session up to and including this one, in time order.
    pub(super) history: &'a [SessionSummary],
    /// How many sessions the record holds.
    pub(super) sessions_in_record: usize,
    /// This session's repetitions, in the order recorded.
    pub(super) reps: Vec<&'a StoredRepetition>,
    /// The rest checks up to the end of this session's day, oldest first, with their events.
    pub(super) rest_checks: Vec<(&'a RestCheckInfo, Vec<&'a StoredEvent>)>,
}

impl Display for Page<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let session = &self.summary.session;
        writeln!(f, "<!DOCTYPE html>")?;
        writeln!(f, "<html lang=\"en\">")?;
        writeln!(f, "<head>")?;
        writeln!(f, "<meta charset=\"utf-8\">")?;
        writeln!(f, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
        writeln!(f, "<meta name=\"generator\" content=\"facesym {}\">", env!("CARGO_PKG_VERSION"))?;
        writeln!(f, "<title>facesym report: session {}</title>", session.id)?;
        writeln!(f, "<style>\n{STYLE}</style>")?;
        writeln!(f, "</head>")?;
        writeln!(f, "<body>")?;
        writeln!(f, "<main>")?;
        self.header(f)?;
        about(f)?;
        self.table(f)?;
        for (index, movement) in self.summary.movements.iter().enumerate() {
            self.movement_section(f, index, movement)?;
        }
        self.not_done(f)?;
        self.rest_checks(f)?;
        footer(f)?;
        writeln!(f, "</main>")?;
        writeln!(f, "</body>")?;
        writeln!(f, "</html>")
    }
}

impl Page<'_> {
    fn header(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let session = &self.summary.session;
        let position = self.history.len();
        writeln!(f, "<header>")?;
        writeln!(f, "<p class=\"eyebrow\">facesym · exercise report</p>")?;
        writeln!(f, "<h1>Session {}</h1>", session.id)?;
        writeln!(f, "<dl class=\"meta\">")?;
        let started = format_utc(session.started_unix);
        writeln!(f, "<div><dt>Started</dt><dd>{} UTC</dd></div>", Escaped(&started))?;
        writeln!(f, "<div><dt>Source</dt><dd>{}</dd></div>", Escaped(&session.source))?;
        writeln!(f, "<div><dt>Repetitions</dt><dd>{}</dd></div>", self.reps.len())?;
        let eyes = match session.closed_eyes {
            Some(closed) => format!(
                "a fraction of your closed eyes (they read {closed:.2} of the open eye closed \
                 when calibrated)"
            ),
            None => "a fraction of the open eye (not calibrated to your closed eyes)".into(),
        };
        writeln!(f, "<div><dt>Eye closure</dt><dd>{}</dd></div>", Escaped(&eyes))?;
        writeln!(
            f,
            "<div><dt>In the record</dt><dd>session {position} of {}</dd></div>",
            self.sessions_in_record
        )?;
        writeln!(f, "</dl>")?;
        writeln!(f, "</header>")
    }

    /// One row per catalogue movement (done or not), then any other movement done.
    fn table(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "<section class=\"summary\">")?;
        writeln!(f, "<h2>Movements in this session</h2>")?;
        writeln!(f, "<div class=\"table-wrap\">")?;
        writeln!(f, "<table>")?;
        writeln!(
            f,
            "<caption>Medians over each movement’s repetitions. “Left weaker” and “Right \
             weaker” count the repetitions in which that side moved less; repetitions with too \
             little movement to compare the sides, or unsure, count in neither.</caption>"
        )?;
        writeln!(
            f,
            "<thead><tr><th scope=\"col\">Movement</th><th scope=\"col\" class=\"num\">\
             Repetitions</th><th scope=\"col\" class=\"num\">Median ratio</th><th scope=\"col\" \
             class=\"num\">Left weaker</th><th scope=\"col\" class=\"num\">Right weaker</th>\
             <th scope=\"col\" class=\"num\">Median time to peak</th><th scope=\"col\" \
             class=\"num\">Median hold</th></tr></thead>"
        )?;
        writeln!(f, "<tbody>")?;
        let done = &self.summary.movements;
        for movement in CORE_MOVEMENTS {
            if done.iter().all(|m| m.movement != movement.id.as_str()) {
                writeln!(
                    f,
                    "<tr class=\"not-done\" data-movement=\"{}\"><th scope=\"row\">{}</th>\
                     <td colspan=\"6\">not done</td></tr>",
                    movement.id, movement.name
                )?;
            }
            if let Some((index, m)) =
                done.iter().enumerate().find(|(_, m)| m.movement == movement.id.as_str())
            {
                table_row(f, index, m)?;
            }
        }
        for (index, m) in done.iter().enumerate() {
            if CORE_MOVEMENTS.iter().all(|c| c.id.as_str() != m.movement) {
                table_row(f, index, m)?;
            }
        }
        writeln!(f, "</tbody>")?;
        writeln!(f, "</table>")?;
        writeln!(f, "</div>")?;
        writeln!(f, "</section>")
    }

    fn movement_section(
        &self,
        f: &mut Formatter<'_>,
        index: usize,
        movement: &MovementSummary,
    ) -> fmt::Result {
        let id = &movement.movement;
        let name = movement_name(id);
        writeln!(f, "<section class=\"movement\" id=\"m{index}\">")?;
        write!(f, "<h2>{}", Escaped(name))?;
        if let Some(ratio) = movement.median_ratio {
            let band = Band::of_reading(ratio, movement.median_ratio_uncertainty);
            write!(f, " <span class=\"ratio {}\">{ratio:.2}</span>", band.class())?;
        }
        writeln!(f, "</h2>")?;
        if let Some(catalogue) = CORE_MOVEMENTS.iter().find(|m| m.id.as_str() == id) {
            writeln!(f, "<p class=\"instruction\">{}</p>", Escaped(catalogue.instruction))?;
            if let Some(why) = catalogue.caveat() {
                writeln!(f, "<p class=\"caveat\">This score is {}.</p>", Escaped(why))?;
            }
        }
        let points = trend(self.history, id);
        writeln!(f, "<p>{}</p>", Escaped(&self.movement_text(movement, &points)))?;
        let reps: Vec<&StoredRepetition> =
            self.reps.iter().copied().filter(|r| &r.movement == id).collect();
        if let Some(text) = synkinesis_text(movement) {
            writeln!(f, "<p class=\"caveat\">{}</p>", Escaped(&text))?;
        }
        writeln!(f, "<div class=\"charts\">")?;
        writeln!(f, "<figure>")?;
        repetitions_chart(f, index, self.summary, movement, &reps)?;
        writeln!(f, "<figcaption>This session: the ratio of each repetition.</figcaption>")?;
        writeln!(f, "</figure>")?;
        writeln!(f, "<figure>")?;
        trend_chart(f, index, self.summary, movement, &points)?;
        writeln!(f, "<figcaption>Median ratio per session, up to this one.</figcaption>")?;
        writeln!(f, "</figure>")?;
        writeln!(f, "</div>")?;
        writeln!(f, "</section>")
    }

    /// What the charts show, in words: repetitions, median, the weaker side, the change since
    /// the previous session with this movement.
    fn movement_text(&self, movement: &MovementSummary, points: &[TrendPoint]) -> String {
        let n = movement.repetitions;
        let mut text = format!("{n} repetition{}. ", if n == 1 { "" } else { "s" });
        match movement.median_ratio {
            Some(ratio) => {
                text += &format!(
                    "Median ratio {ratio:.2}{} ({}). ",
                    uncertainty_text(movement.median_ratio_uncertainty),
                    Band::of_reading(ratio, movement.median_ratio_uncertainty).words()
                );
            }
            None if movement.unsure > 0 => {
                text += "No repetition could be compared: too little movement, or frames that \
                         read differently in the mirror image. "
            }
            None => text += "No repetition had enough movement to compare the sides. ",
        }
        let (left, right) = (movement.weaker_left, movement.weaker_right);
        let scored = left + right;
        text += &match (left, right) {
            (0, 0) => String::new(),
            (l, r) if l == r => format!("Each side was weaker in {l} of {scored} repetitions. "),
            (l, r) => {
                let (side, count, other, other_count) =
                    if l > r { ("left", l, "right", r) } else { ("right", r, "left", l) };
                if other_count == 0 {
                    format!(
                        "Your {side} side was weaker in {} {scored} scored repetition{}. ",
                        if scored == 1 { "the" } else { "all" },
                        if scored == 1 { "" } else { "s" }
                    )
                } else {
                    format!(
                        "Your {side} side was weaker in {count} of {scored} scored \
                         repetitions, your {other} side in {other_count}. "
                    )
                }
            }
        };
        let session = &self.summary.session;
        let previous = points.iter().rev().find(|p| p.session_id != session.id);
        let current = points.iter().find(|p| p.session_id == session.id);
        if let (Some(before), Some(now)) = (previous, movement.median_ratio) {
            // The change as the two printed values differ, so that the text adds up.
            let hundredths = (now * 100.0).round() - (before.median_ratio * 100.0).round();
            let change = match hundredths {
                0.0 => "The same as".to_string(),
                h if h > 0.0 => format!("Up {:.2} from", h / 100.0),
                h => format!("Down {:.2} from", -h / 100.0),
            };
            text += &format!(
                "{change} {:.2} in session {} ({})",
                before.median_ratio,
                before.session_id,
                date_text(before.started_unix),
            );
            // Whether measurement noise alone could explain the change.
            let noise =
                current.and_then(|c| Some((c.differs_from(before)?, c.uncertainty_with(before)?)));
            text += &match noise {
                Some((differs, within)) if hundredths != 0.0 => {
                    if differs {
                        format!(", more than the two sessions’ uncertainties (±\u{a0}{within:.2}).")
                    } else {
                        format!(
                            ", within the two sessions’ uncertainties (±\u{a0}{within:.2}): not a \
                             clear change."
                        )
                    }
                }
                _ => ".".to_string(),
            };
        } else if previous.is_none() {
            text += "No earlier session in the record has this movement.";
        }
        text.trim_end().to_string()
    }

    /// The rest checks so far: each one's twitches and spasms per side, a minute, and its
    /// blinks; nothing when there are none.
    fn rest_checks(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.rest_checks.is_empty() {
            return Ok(());
        }
        writeln!(f, "<section class=\"summary rest-checks\">")?;
        writeln!(f, "<h2>Rest checks</h2>")?;
        writeln!(
            f,
            "<p>In a rest check the face is held still while each side is watched for \
             twitches and spasms (involuntary movements of one region: the lower lid, eye, \
             brow, cheek, mouth corner or chin) and the blinks are counted. A spasm lasts half \
             a second or more. Twitch detection is checked on generated twitches only, not yet \
             on filmed ones: these counts are a guide, not a diagnosis.</p>"
        )?;
        writeln!(f, "<div class=\"table-wrap\">")?;
        writeln!(f, "<table>")?;
        writeln!(
            f,
            "<caption>Rest checks up to this session’s day, newest first. Rates are per \
             minute of the face measured.</caption>"
        )?;
        writeln!(
            f,
            "<thead><tr><th scope=\"col\">Started (UTC)</th><th scope=\"col\" class=\"num\">\
             Minutes</th><th scope=\"col\" class=\"num\">Left</th><th scope=\"col\" \
             class=\"num\">Right</th><th scope=\"col\" class=\"num\">Both</th><th scope=\"col\" \
             class=\"num\">Of them spasms</th><th scope=\"col\" class=\"num\">Twitches a \
             minute</th><th scope=\"col\" class=\"num\">Blinks a minute</th><th scope=\"col\">\
             Regions</th></tr></thead>"
        )?;
        writeln!(f, "<tbody>")?;
        for (check, events) in self.rest_checks.iter().rev() {
            let twitches: Vec<&&StoredEvent> =
                events.iter().filter(|e| e.kind != "blink").collect();
            let side = |s: &str| twitches.iter().filter(|e| e.side == s).count();
            let spasms = twitches.iter().filter(|e| e.kind == "spasm").count();
            let minutes = check.duration_s / 60.0;
            let rate = |n: i64| {
                if minutes > 0.0 { format!("{:.1}", n as f64 / minutes) } else { "–".into() }
            };
            let mut regions: Vec<(&str, usize)> = Vec::new();
            for e in &twitches {
                match regions.iter_mut().find(|(r, _)| *r == e.region) {
                    Some((_, n)) => *n += 1,
                    None => regions.push((&e.region, 1)),
                }
            }
            let regions: Vec<String> =
                regions.iter().map(|(r, n)| format!("{} {n}", r.replace('_', " "))).collect();
            writeln!(
                f,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{minutes:.1}</td><td \
                 class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td \
                 class=\"num\">{spasms}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td>{}</td></tr>",
                Escaped(&format_utc(check.started_unix)[..16]),
                side("left"),
                side("right"),
                side("both"),
                rate(check.twitches),
                rate(check.blinks),
                Escaped(&regions.join(", ")),
            )?;
        }
        writeln!(f, "</tbody>")?;
        writeln!(f, "</table>")?;
        writeln!(f, "</div>")?;
        writeln!(f, "</section>")
    }

    fn not_done(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let missing: Vec<&str> = CORE_MOVEMENTS
            .iter()
            .filter(|c| self.summary.movements.iter().all(|m| m.movement != c.id.as_str()))
            .map(|c| c.name)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        writeln!(f, "<section class=\"movement not-done-list\">")?;
        writeln!(f, "<h2>Not done in this session</h2>")?;
        writeln!(f, "<p>{}.</p>", missing.join(", "))?;
        writeln!(f, "</section>")
    }
}

/// "During these repetitions your left eye narrowed a median 35 %, your right 12 %
/// (synkinesis; provisional …)", when the movement's synkinesis was read.
fn synkinesis_text(summary: &MovementSummary) -> Option<String> {
    let movement = CORE_MOVEMENTS.iter().find(|m| m.id.as_str() == summary.movement)?;
    let co = CoMovement::during(movement.id)?;
    let [left, right] = summary.median_synkinesis?;
    let (what, how) = co.what_and_how();
    Some(format!(
        "During these repetitions your left {what} {how} a median {}, your right {} \
         (synkinesis: what moves along with the exercise when it should not). This measure is \
         provisional: not yet checked on real faces.",
        co.amount(left),
        co.amount(right)
    ))
}

fn about(f: &mut Formatter<'_>) -> fmt::Result {
    writeln!(f, "<section class=\"about\">")?;
    writeln!(f, "<h2>Reading the ratio</h2>")?;
    writeln!(
        f,
        "<p>In each repetition, facesym measures how far each side of the face moves at its \
         peak. The <strong>ratio</strong> is the weaker side’s peak divided by the stronger \
         side’s: <strong>1.00</strong> means both sides moved equally, 0.50 that the weaker \
         side moved half as far. A session’s value for a movement is the median over its \
         repetitions. Left and right are your own left and right, not as in a mirror.</p>"
    )?;
    writeln!(
        f,
        "<p>The <strong>±</strong> after a ratio is how far it may be off from measurement \
         noise alone: the smaller the movement, the less certain the ratio. A session’s value \
         is the typical repetition’s. A change between two sessions smaller than their two \
         uncertainties together is not a clear change.</p>"
    )?;
    writeln!(f, "<ul class=\"legend\">")?;
    writeln!(
        f,
        "<li><span class=\"swatch good\"></span>{GOOD_RATIO:.2} or more: the sides move within \
         about 15 % of each other</li>"
    )?;
    writeln!(
        f,
        "<li><span class=\"swatch fair\"></span>{FAIR_RATIO:.2} to {GOOD_RATIO:.2}: noticeably \
         uneven</li>"
    )?;
    writeln!(
        f,
        "<li><span class=\"swatch poor\"></span>below {FAIR_RATIO:.2}: the weaker side moves \
         less than {:.0} % as far</li>",
        FAIR_RATIO * 100.0
    )?;
    writeln!(f, "</ul>")?;
    writeln!(f, "</section>")
}

fn footer(f: &mut Formatter<'_>) -> fmt::Result {
    writeln!(f, "<footer>")?;
    writeln!(
        f,
        "<p>Made by facesym {} from the record on this computer. This page is a single file \
         that loads nothing from anywhere. Dates and times are UTC.</p>",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(
        f,
        "<p>facesym is not a medical device: these numbers are feedback on your exercises. \
         Talk to your therapist about what they show.</p>"
    )?;
    writeln!(f, "</footer>")
}

fn table_row(f: &mut Formatter<'_>, index: usize, m: &MovementSummary) -> fmt::Result {
    let ratio = match m.median_ratio {
        Some(r) => format!(
            "<span class=\"ratio {}\">{r:.2}</span>{}",
            Band::of_reading(r, m.median_ratio_uncertainty).class(),
            m.median_ratio_uncertainty.map_or(String::new(), |u| format!(
                "<span class=\"uncertainty\">{}</span>",
                uncertainty_text(Some(u))
            ))
        ),
        None if m.unsure > 0 => format!("<span class=\"muted\">{UNSURE_LABEL}</span>"),
        None => format!("<span class=\"muted\">{NOT_ENOUGH_MOVEMENT_LABEL}</span>"),
    };
    writeln!(
        f,
        "<tr data-movement=\"{}\"><th scope=\"row\"><a href=\"#m{index}\">{}</a></th>\
         <td class=\"num\">{}</td><td class=\"num\">{ratio}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
        Escaped(&m.movement),
        Escaped(movement_name(&m.movement)),
        m.repetitions,
        m.weaker_left,
        m.weaker_right,
        seconds_text(m.median_time_to_peak_s),
        seconds_text(m.median_hold_s),
    )
}
