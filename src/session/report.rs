//! `facesym report`: one session as a self-contained HTML page.
//!
//! The page is one file that reads the same offline and on paper: its styles are inline, its
//! charts are inline SVG drawn here, and it loads nothing (no scripts, fonts, images or
//! links to anywhere). Everything a chart shows is also given as text, in the table and in
//! each chart's description.

use std::fmt::{self, Display, Formatter};

use super::history::{
    FAIR_RATIO, GOOD_RATIO, MovementSummary, SessionSummary, TrendPoint, summarize, trend,
};
use super::repetitions::{NOT_ENOUGH_MOVEMENT_LABEL, UNSURE_LABEL};
use super::store::{
    Store, StoreError, StoredRepetition, civil_from_days, days_from_civil, format_utc,
};
use crate::symmetry::CORE_MOVEMENTS;

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The record has no session with this number.
    #[error("there is no session {session} (see `facesym sessions list`)")]
    NoSession {
        /// The number asked for.
        session: i64,
    },
    /// The record cannot be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The report of `session` as one self-contained HTML page: its movements' medians, each
/// movement's ratio per repetition, and each movement's median ratio per session over the
/// record up to and including this session.
pub fn render_report(store: &Store, session: i64) -> Result<String, ReportError> {
    let sessions = store.sessions()?;
    let reps = store.repetitions(None)?;
    let summaries = summarize(&sessions, &reps);
    let position = summaries
        .iter()
        .position(|s| s.session.id == session)
        .ok_or(ReportError::NoSession { session })?;
    let page = Page {
        summary: &summaries[position],
        history: &summaries[..=position],
        sessions_in_record: summaries.len(),
        reps: reps.iter().filter(|r| r.session_id == session).collect(),
    };
    Ok(page.to_string())
}

/// The colour band of a ratio, as in the live app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Band {
    /// At or above [`GOOD_RATIO`]: green.
    Good,
    /// At or above [`FAIR_RATIO`]: amber.
    Fair,
    /// Below: red.
    Poor,
}

impl Band {
    fn of(ratio: f64) -> Self {
        if ratio >= GOOD_RATIO {
            Band::Good
        } else if ratio >= FAIR_RATIO {
            Band::Fair
        } else {
            Band::Poor
        }
    }

    /// The CSS class.
    fn class(self) -> &'static str {
        match self {
            Band::Good => "good",
            Band::Fair => "fair",
            Band::Poor => "poor",
        }
    }

    /// In words, for the text beside a chart.
    fn words(self) -> &'static str {
        match self {
            Band::Good => "green band",
            Band::Fair => "amber band",
            Band::Poor => "red band",
        }
    }
}

/// Text with `&`, `<`, `>`, `"` and `'` escaped, for HTML text and attribute values alike.
struct Escaped<'a>(&'a str);

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                c => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

/// A movement's name for people: the catalogue's, else its id.
fn movement_name(id: &str) -> &str {
    CORE_MOVEMENTS.iter().find(|m| m.id.as_str() == id).map_or(id, |m| m.name)
}

fn ratio_text(ratio: Option<f64>) -> String {
    ratio.map_or("–".to_string(), |r| format!("{r:.2}"))
}

/// [`plus_minus`](crate::symmetry::score::plus_minus) with a no-break space after "±", so
/// that a line of the page never ends on it.
fn uncertainty_text(uncertainty: Option<f64>) -> String {
    uncertainty.map_or(String::new(), |u| format!(" ±\u{a0}{u:.2}"))
}

fn seconds_text(seconds: Option<f64>) -> String {
    seconds.map_or("–".to_string(), |s| format!("{s:.1} s"))
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn month_name(month: i64) -> &'static str {
    MONTHS[(month.clamp(1, 12) - 1) as usize]
}

/// "4 Mar 2026" (UTC).
fn date_text(unix: i64) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(SECONDS_PER_DAY));
    format!("{day} {} {year}", month_name(month))
}

const SECONDS_PER_DAY: i64 = 86_400;

/// The page's styles: the system's own fonts, nothing loaded.
const STYLE: &str = r#"
:root {
  --ink: #1d2430; --muted: #5d6878; --line: #dde2e8; --panel: #f5f7f9; --accent: #2c5d9e;
  --good: #46c85a; --fair: #e6aa28; --poor: #e6463c;
  --good-ink: #1c6e30; --fair-ink: #7c5200; --poor-ink: #a3241c;
  --good-tint: #e4f6e7; --fair-tint: #fcf1dc; --poor-tint: #fce3e1;
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0; color: var(--ink); background: #fff; font-size: 15px; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", sans-serif;
  font-variant-numeric: tabular-nums;
}
main { max-width: 1000px; margin: 0 auto; padding: 40px 36px 48px; }
h1, h2, h3 { line-height: 1.25; margin: 0; font-weight: 650; }
h1 { font-size: 30px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin-bottom: 10px; }
h3 { font-size: 14px; font-weight: 600; color: var(--muted); margin-bottom: 4px; }
p { margin: 0 0 10px; }
a { color: var(--accent); text-decoration: none; }
.eyebrow {
  margin: 0 0 4px; color: var(--muted); font-size: 13px; letter-spacing: 0.08em;
  text-transform: uppercase; font-weight: 600;
}
header { border-bottom: 2px solid var(--ink); padding-bottom: 18px; margin-bottom: 28px; }
.meta { display: flex; flex-wrap: wrap; gap: 8px 36px; margin: 14px 0 0; }
.meta div { min-width: 0; }
.meta dt { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.06em; font-weight: 600; }
.meta dd { margin: 0; font-size: 16px; overflow-wrap: anywhere; }
section { margin-bottom: 34px; }
.about { background: var(--panel); border-radius: 8px; padding: 18px 22px 12px; }
.about p { max-width: 86ch; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 24px; list-style: none; padding: 0;
  margin: 12px 0 6px; font-size: 14px; }
.legend li { display: flex; align-items: center; gap: 8px; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; }
.swatch.good { background: var(--good); }
.swatch.fair { background: var(--fair); }
.swatch.poor { background: var(--poor); }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 13px;
  padding-top: 8px; }
th, td { padding: 8px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: baseline; }
thead th { font-size: 12px; color: var(--muted); text-transform: uppercase;
  letter-spacing: 0.04em; font-weight: 600; border-bottom: 2px solid var(--line); }
tbody th { font-weight: 600; }
.num { text-align: right; }
td.num { white-space: nowrap; }
tr.not-done th, tr.not-done td { color: var(--muted); }
tr.not-done th { font-weight: 400; }
.ratio { display: inline-block; min-width: 3.4em; padding: 1px 8px; border-radius: 10px;
  font-weight: 650; text-align: center; }
.ratio.good { background: var(--good-tint); color: var(--good-ink); }
.ratio.fair { background: var(--fair-tint); color: var(--fair-ink); }
.ratio.poor { background: var(--poor-tint); color: var(--poor-ink); }
.muted { color: var(--muted); }
.uncertainty { color: var(--muted); font-size: 13px; white-space: pre; }
.movement { border-top: 1px solid var(--line); padding-top: 22px; }
.movement h2 { display: flex; align-items: center; gap: 12px; }
.instruction { color: var(--muted); font-size: 14px; }
.caveat { color: var(--fair-ink); font-size: 14px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
  gap: 16px 28px; margin-top: 12px; }
figure { margin: 0; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 2px; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
.chart text { font-size: 12px; fill: var(--muted); }
.chart .axis-title { font-size: 12px; fill: var(--ink); font-weight: 600; }
.chart .axis { stroke: #8a94a3; stroke-width: 1; }
.chart .grid { stroke: #ffffff; stroke-width: 1; opacity: 0.9; }
.chart .band.good { fill: var(--good); opacity: 0.13; }
.chart .band.fair { fill: var(--fair); opacity: 0.15; }
.chart .band.poor { fill: var(--poor); opacity: 0.11; }
.chart .series { fill: none; stroke: #7d8896; stroke-width: 1.5; }
.chart .median { stroke: var(--ink); stroke-width: 1.5; stroke-dasharray: 6 4; }
.chart .error { stroke: #4b5563; stroke-width: 1.5; }
.chart .point, .chart .trend-point { stroke: #ffffff; stroke-width: 1.5; }
.chart .good { fill: #2f9e48; }
.chart .fair { fill: #d4960f; }
.chart .poor { fill: #d63a30; }
.chart .point.none { fill: #ffffff; stroke: #7d8896; stroke-width: 1.5; }
.chart .trend-point.current, .chart .legend-current { stroke: var(--ink); stroke-width: 2.5; }
.chart .legend text { fill: var(--ink); }
.empty { color: var(--muted); font-size: 14px; padding: 24px 0; }
footer { border-top: 1px solid var(--line); padding-top: 14px; color: var(--muted);
  font-size: 13px; }
footer p { max-width: 80ch; }
@page { margin: 14mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .about { border: 1px solid var(--line); }
  .table-wrap { overflow: visible; }
  table { font-size: 9.5pt; }
  th, td { padding: 5px 6px; }
  .movement, tr, figure { break-inside: avoid; }
  .charts { grid-template-columns: 1fr 1fr; }
  a { color: inherit; }
}
"#;

/// One session's report.
struct Page<'a> {
    /// This session.
    summary: &'a SessionSummary,
    /// Every session up to and including this one, in time order.
    history: &'a [SessionSummary],
    /// How many sessions the record holds.
    sessions_in_record: usize,
    /// This session's repetitions, in the order recorded.
    reps: Vec<&'a StoredRepetition>,
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
        writeln!(f, "<style>{STYLE}</style>")?;
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
            write!(f, " <span class=\"ratio {}\">{ratio:.2}</span>", Band::of(ratio).class())?;
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
        writeln!(f, "<div class=\"charts\">")?;
        let reps: Vec<&StoredRepetition> =
            self.reps.iter().copied().filter(|r| &r.movement == id).collect();
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
                    Band::of(ratio).words()
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
            Band::of(r).class(),
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

// Chart geometry, in SVG user units (the charts scale to their column's width).
/// Width of a chart.
const CHART_WIDTH: f64 = 480.0;
/// Height of a chart.
const CHART_HEIGHT: f64 = 260.0;
/// Left edge of the plotting area: room for the y axis's title and tick labels.
const PLOT_LEFT: f64 = 54.0;
/// Right edge of the plotting area: room for half a tick label.
const PLOT_RIGHT: f64 = 462.0;
/// Top edge of the plotting area: room for the legend above it.
const PLOT_TOP: f64 = 30.0;
/// Baseline of the legend's text.
const LEGEND_Y: f64 = 13.0;
/// Width of a legend character at the charts' 12-unit font, a little generous: enough to
/// place the next legend entry after a label without measuring text.
const LEGEND_CHAR_WIDTH: f64 = 6.8;
/// Bottom edge of the plotting area: room for the x axis's tick labels and title.
const PLOT_BOTTOM: f64 = 206.0;
/// At most about this many date ticks: more crowd their labels ("12 Mar") at print size.
const MAX_X_TICKS: f64 = 8.0;
/// At most this many repetition-number ticks: every repetition is numbered up to 12.
const MAX_REPETITION_TICKS: f64 = 12.0;

/// The plotting area for an x domain; y is always the ratio, 0–1.
struct Plot {
    x_min: f64,
    x_max: f64,
}

impl Plot {
    fn x(&self, value: f64) -> f64 {
        PLOT_LEFT + (value - self.x_min) / (self.x_max - self.x_min) * (PLOT_RIGHT - PLOT_LEFT)
    }

    fn y(ratio: f64) -> f64 {
        PLOT_BOTTOM - ratio.clamp(0.0, 1.0) * (PLOT_BOTTOM - PLOT_TOP)
    }

    /// The opening tag, title and description.
    fn open(
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
    fn axes(&self, f: &mut Formatter<'_>, ticks: &[(f64, String)], x_title: &str) -> fmt::Result {
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

/// Legend labels (the median's is "median 0.64").
const ERROR_BAR_LABEL: &str = "± uncertainty";
const TREND_CURRENT_LABEL: &str = "this session";
const TREND_SERIES_LABEL: &str = "session medians";

/// Where each legend entry starts, and where the last one ends: a marker 26 units wide, then
/// its label, then 18 units of space.
fn legend_positions<'a>(labels: impl IntoIterator<Item = &'a str>) -> (Vec<f64>, f64) {
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
fn legend(f: &mut Formatter<'_>, entries: &[(String, String)]) -> fmt::Result {
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
const ERROR_BAR_MARKER: &str = "<path class=\"error\" d=\"M10 -7 V7 M6 -7 H14 M6 7 H14\"/>";

/// A vertical error bar at `x` from `ratio − u` to `ratio + u` (clamped to 0–1), capped.
fn error_bar(f: &mut Formatter<'_>, x: f64, ratio: f64, u: f64) -> fmt::Result {
    let (top, bottom) = (Plot::y(ratio + u), Plot::y(ratio - u));
    let (left, right) = (x - ERROR_CAP, x + ERROR_CAP);
    writeln!(
        f,
        "<path class=\"error bar\" d=\"M{x:.1} {top:.1} V{bottom:.1} M{left:.1} {top:.1} H{right:.1} \
         M{left:.1} {bottom:.1} H{right:.1}\"/>"
    )
}

/// A step of 1, 2 or 5 times a power of ten giving at most `max_ticks` ticks over `span`.
fn nice_step(span: f64, max_ticks: f64) -> f64 {
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

/// This session's ratio per repetition (x = repetition number), with the median as a dashed
/// line. Repetitions without a ratio are drawn hollow on the axis.
fn repetitions_chart(
    f: &mut Formatter<'_>,
    index: usize,
    session: &SessionSummary,
    movement: &MovementSummary,
    reps: &[&StoredRepetition],
) -> fmt::Result {
    let name = movement_name(&movement.movement);
    let last = reps.iter().map(|r| r.number).max().unwrap_or(1).max(1);
    let plot = Plot { x_min: 0.5, x_max: last as f64 + 0.5 };
    let values: Vec<String> = reps
        .iter()
        .map(|r| match r.ratio {
            Some(ratio) => {
                format!("{}: {ratio:.2}{}", r.number, uncertainty_text(r.ratio_uncertainty))
            }
            None => format!("{}: {}", r.number, r.no_ratio_reason().unwrap_or_default()),
        })
        .collect();
    let title = format!("{name}: ratio of each repetition in session {}", session.session.id);
    let desc = format!(
        "{} repetition{} ({}). Median {}{}.",
        reps.len(),
        if reps.len() == 1 { "" } else { "s" },
        values.join("; "),
        ratio_text(movement.median_ratio),
        uncertainty_text(movement.median_ratio.and(movement.median_ratio_uncertainty))
    );
    Plot::open(f, "reps", index, &movement.movement, &title, &desc)?;
    let step = nice_step(last as f64, MAX_REPETITION_TICKS);
    // Multiples of the step, and the first repetition when that leaves room for its label.
    let step = step as i64;
    let ticks: Vec<(f64, String)> = (step >= 5)
        .then_some(1)
        .into_iter()
        .chain((1..=last / step).map(|k| k * step))
        .map(|n| (n as f64, n.to_string()))
        .collect();
    plot.axes(f, &ticks, "Repetition")?;
    let scored: Vec<(f64, f64)> =
        reps.iter().filter_map(|r| Some((r.number as f64, r.ratio?))).collect();
    if scored.len() > 1 {
        let path: Vec<String> =
            scored.iter().map(|(n, r)| format!("{:.1},{:.1}", plot.x(*n), Plot::y(*r))).collect();
        writeln!(f, "<polyline class=\"series\" points=\"{}\"/>", path.join(" "))?;
    }
    if let Some(median) = movement.median_ratio {
        let y = Plot::y(median);
        writeln!(
            f,
            "<line class=\"median\" x1=\"{PLOT_LEFT:.1}\" x2=\"{PLOT_RIGHT:.1}\" y1=\"{y:.1}\" \
             y2=\"{y:.1}\"/>"
        )?;
    }
    let mut entries = Vec::new();
    if let Some(median) = movement.median_ratio {
        let marker = "<line class=\"median\" x1=\"0\" x2=\"20\" y1=\"0\" y2=\"0\"/>";
        entries.push((marker.to_string(), format!("median {median:.2}")));
    }
    if reps.iter().any(|r| r.ratio.is_some() && r.ratio_uncertainty.is_some()) {
        entries.push((ERROR_BAR_MARKER.to_string(), ERROR_BAR_LABEL.to_string()));
    }
    // One entry for the repetitions without a ratio, naming each reason there is.
    let mut reasons: Vec<&str> = reps.iter().filter_map(|r| r.no_ratio_reason()).collect();
    reasons.sort_unstable();
    reasons.dedup();
    if !reasons.is_empty() {
        let marker = "<circle class=\"point none\" cx=\"10\" cy=\"0\" r=\"4.5\"/>";
        entries.push((marker.to_string(), reasons.join("; ")));
    }
    legend(f, &entries)?;
    for rep in reps {
        if let (Some(ratio), Some(u)) = (rep.ratio, rep.ratio_uncertainty) {
            error_bar(f, plot.x(rep.number as f64), ratio, u)?;
        }
    }
    for rep in reps {
        let x = plot.x(rep.number as f64);
        match rep.ratio {
            Some(ratio) => {
                let side = rep.weaker.as_deref().map_or(String::new(), |s| format!(", {s} weaker"));
                writeln!(
                    f,
                    "<circle class=\"point {}\" data-rep=\"{}\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"5\">\
                     <title>Repetition {}: ratio {ratio:.2}{}{}</title></circle>",
                    Band::of(ratio).class(),
                    rep.number,
                    Plot::y(ratio),
                    rep.number,
                    uncertainty_text(rep.ratio_uncertainty),
                    Escaped(&side)
                )?;
            }
            None => writeln!(
                f,
                "<circle class=\"point none\" data-rep=\"{}\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"4.5\">\
                 <title>Repetition {}: {}, no ratio</title></circle>",
                rep.number,
                Plot::y(0.0),
                rep.number,
                rep.no_ratio_reason().unwrap_or_default()
            )?,
        }
    }
    writeln!(f, "</svg>")
}

/// The movement's median ratio per session over time, this session circled.
fn trend_chart(
    f: &mut Formatter<'_>,
    index: usize,
    session: &SessionSummary,
    movement: &MovementSummary,
    points: &[TrendPoint],
) -> fmt::Result {
    let name = movement_name(&movement.movement);
    let current = session.session.id;
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return writeln!(
            f,
            "<p class=\"empty\">No session up to this one has a ratio for this movement.</p>"
        );
    };
    let (start, end) = (first.started_unix as f64, last.started_unix as f64);
    // A day at least on each side, so that a single session sits between the midnight ticks
    // of its day and the next.
    let pad = ((end - start) * 0.06).max(SECONDS_PER_DAY as f64);
    let plot = Plot { x_min: start - pad, x_max: end + pad };
    let values: Vec<String> = points
        .iter()
        .map(|p| {
            format!(
                "session {} ({}): {:.2}{}{}",
                p.session_id,
                date_text(p.started_unix),
                p.median_ratio,
                uncertainty_text(p.ratio_uncertainty),
                if p.session_id == current { ", this session" } else { "" }
            )
        })
        .collect();
    let title = format!("{name}: median ratio per session, up to session {current}");
    let desc = format!(
        "{} session{}: {}.",
        points.len(),
        if points.len() == 1 { "" } else { "s" },
        values.join("; ")
    );
    Plot::open(f, "trend", index, &movement.movement, &title, &desc)?;
    let (ticks, x_title) = date_ticks(plot.x_min, plot.x_max);
    plot.axes(f, &ticks, &x_title)?;
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|p| format!("{:.1},{:.1}", plot.x(p.started_unix as f64), Plot::y(p.median_ratio)))
            .collect();
        writeln!(f, "<polyline class=\"series\" points=\"{}\"/>", path.join(" "))?;
    }
    for p in points {
        if let Some(u) = p.ratio_uncertainty {
            error_bar(f, plot.x(p.started_unix as f64), p.median_ratio, u)?;
        }
    }
    for p in points {
        let (x, y) = (plot.x(p.started_unix as f64), Plot::y(p.median_ratio));
        let is_current = p.session_id == current;
        writeln!(
            f,
            "<circle class=\"trend-point {}{}\" data-session=\"{}\" cx=\"{x:.1}\" cy=\"{y:.1}\" \
             r=\"{}\"><title>Session {} ({}): median {:.2}{} over {} repetition{}</title></circle>",
            Band::of(p.median_ratio).class(),
            if is_current { " current" } else { "" },
            p.session_id,
            if is_current { 7 } else { 5 },
            p.session_id,
            date_text(p.started_unix),
            p.median_ratio,
            uncertainty_text(p.ratio_uncertainty),
            p.repetitions,
            if p.repetitions == 1 { "" } else { "s" }
        )?;
    }
    let mut entries = Vec::new();
    if let Some(ratio) = movement.median_ratio {
        let marker = format!(
            "<circle class=\"legend-current {}\" cx=\"10\" cy=\"0\" r=\"6\"/>",
            Band::of(ratio).class()
        );
        entries.push((marker, TREND_CURRENT_LABEL.to_string()));
    }
    if points.len() > 1 {
        let marker = "<line class=\"series\" x1=\"0\" x2=\"20\" y1=\"0\" y2=\"0\"/>";
        entries.push((marker.to_string(), TREND_SERIES_LABEL.to_string()));
    }
    if points.iter().any(|p| p.ratio_uncertainty.is_some()) {
        entries.push((ERROR_BAR_MARKER.to_string(), ERROR_BAR_LABEL.to_string()));
    }
    legend(f, &entries)?;
    writeln!(f, "</svg>")
}

/// X ticks at UTC midnights (every 1, 2, 7 or 14 days) or at the first of the month (every 1,
/// 2, 3, 6 or 12 months) over `[x_min, x_max]` (seconds since 1970), and the axis title.
fn date_ticks(x_min: f64, x_max: f64) -> (Vec<(f64, String)>, String) {
    let day = SECONDS_PER_DAY as f64;
    let (first_day, last_day) = ((x_min / day).ceil() as i64, (x_max / day).floor() as i64);
    let span_days = (x_max - x_min) / day;
    let mut ticks = Vec::new();
    if let Some(step) = [1, 2, 7, 14].into_iter().find(|s| span_days / *s as f64 <= MAX_X_TICKS) {
        let mut d = first_day;
        while d <= last_day {
            let (_, month, day_of_month) = civil_from_days(d);
            ticks.push((d as f64 * day, format!("{day_of_month} {}", month_name(month))));
            d += step;
        }
    } else {
        // Months counted from year 0, so that a step of 3 gives Jan, Apr, Jul, Oct and a step
        // of 12 or more gives Januaries.
        let span_months = span_days / 30.4;
        let step = [1, 2, 3, 6, 12]
            .into_iter()
            .find(|s| span_months / *s as f64 <= MAX_X_TICKS)
            .unwrap_or_else(|| 12 * (span_months / 12.0 / MAX_X_TICKS).ceil().max(1.0) as i64);
        let month_index = |d: i64| {
            let (year, month, _) = civil_from_days(d);
            year * 12 + month - 1
        };
        let mut index = month_index(first_day).div_euclid(step) * step;
        while index <= month_index(last_day) {
            let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
            let d = days_from_civil(year, month, 1);
            index += step;
            if d < first_day || d > last_day {
                continue;
            }
            let label = if month == 1 || ticks.is_empty() {
                format!("{} {year}", month_name(month))
            } else {
                month_name(month).to_string()
            };
            ticks.push((d as f64 * day, label));
        }
    }
    let year_of = |unix: f64| civil_from_days((unix / day).floor() as i64).0;
    let (from, to) = (year_of(x_min), year_of(x_max));
    let title = if from == to {
        format!("Date (UTC), {from}")
    } else {
        format!("Date (UTC), {from}–{to}")
    };
    (ticks, title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            Escaped("<a href=\"x\">Tom & Jerry's</a>").to_string(),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
    }

    #[test]
    fn bands_match_the_thresholds() {
        assert_eq!(Band::of(1.0), Band::Good);
        assert_eq!(Band::of(GOOD_RATIO), Band::Good);
        assert_eq!(Band::of(GOOD_RATIO - 1e-9), Band::Fair);
        assert_eq!(Band::of(FAIR_RATIO), Band::Fair);
        assert_eq!(Band::of(FAIR_RATIO - 1e-9), Band::Poor);
    }

    /// The longest legends (every entry shown) end inside the chart.
    #[test]
    fn legends_fit_in_the_chart() {
        let reps = ["median 0.64", ERROR_BAR_LABEL, NOT_ENOUGH_MOVEMENT_LABEL];
        let trend = [TREND_CURRENT_LABEL, TREND_SERIES_LABEL, ERROR_BAR_LABEL];
        for labels in [&reps[..], &trend[..]] {
            let (_, end) = legend_positions(labels.iter().copied());
            assert!(end <= PLOT_RIGHT, "{labels:?} ends at {end}");
        }
    }

    #[test]
    fn repetition_ticks_stay_few() {
        assert_eq!(nice_step(12.0, MAX_REPETITION_TICKS), 1.0);
        assert_eq!(nice_step(13.0, MAX_REPETITION_TICKS), 2.0);
        assert_eq!(nice_step(40.0, MAX_REPETITION_TICKS), 5.0);
        assert_eq!(nice_step(300.0, MAX_REPETITION_TICKS), 50.0);
    }

    #[test]
    fn date_ticks_for_days_and_months() {
        let day = SECONDS_PER_DAY as f64;
        // 2026-03-01 is day 20513.
        let march_1 = days_from_civil(2026, 3, 1) as f64 * day;
        let (ticks, title) = date_ticks(march_1 - 0.5 * day, march_1 + 10.5 * day);
        assert_eq!(title, "Date (UTC), 2026");
        assert_eq!(ticks.first().map(|t| t.1.as_str()), Some("1 Mar"));
        assert!(ticks.len() <= MAX_X_TICKS as usize + 1, "{ticks:?}");
        // Ten months: month starts. Two years: the year named in January.
        let (ticks, title) = date_ticks(march_1, march_1 + 300.0 * day);
        assert_eq!(title, "Date (UTC), 2026");
        assert!(ticks.iter().all(|t| !t.1.chars().next().unwrap().is_ascii_digit()), "{ticks:?}");
        let (ticks, title) = date_ticks(march_1, march_1 + 700.0 * day);
        assert_eq!(title, "Date (UTC), 2026–2028");
        assert!(ticks.iter().any(|t| t.1 == "Jan 2027"), "{ticks:?}");
        assert!(ticks.len() <= MAX_X_TICKS as usize + 1, "{ticks:?}");
        // A single day: its midnights.
        let (ticks, _) = date_ticks(march_1 + 0.2 * day, march_1 + 1.2 * day);
        assert_eq!(ticks.len(), 1);
    }
}
