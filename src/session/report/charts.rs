//! The report's two charts per movement: this session's ratio per repetition, and the median
//! ratio per session over time, with the date ticks of the latter.

use std::fmt::{self, Formatter};

use time::{Date, Month};

use super::svg::{
    ERROR_BAR_LABEL, ERROR_BAR_MARKER, PLOT_LEFT, PLOT_RIGHT, Plot, error_bar, legend, nice_step,
};
use super::text::{
    Band, Escaped, date_text, month_name, movement_name, ratio_text, uncertainty_text,
};
use crate::session::calendar::{SECONDS_PER_DAY, date_from_days, days_from_date};
use crate::session::history::{MovementSummary, SessionSummary, TrendPoint};
use crate::session::store::StoredRepetition;

/// At most about this many date ticks: more crowd their labels ("12 Mar") at print size.
const MAX_X_TICKS: f64 = 8.0;
/// At most this many repetition-number ticks: every repetition is numbered up to 12.
const MAX_REPETITION_TICKS: f64 = 12.0;

/// The trend chart's legend labels (the repetitions chart's median is "median 0.64").
const TREND_CURRENT_LABEL: &str = "this session";
const TREND_SERIES_LABEL: &str = "session medians";

/// This session's ratio per repetition (x = repetition number), with the median as a dashed
/// line. Repetitions without a ratio are drawn hollow on the axis.
pub(super) fn repetitions_chart(
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
pub(super) fn trend_chart(
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
            let (_, month, day_of_month) = date_from_days(d).to_calendar_date();
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
            let (year, month, _) = date_from_days(d).to_calendar_date();
            i64::from(year) * 12 + i64::from(u8::from(month)) - 1
        };
        let mut index = month_index(first_day).div_euclid(step) * step;
        while index <= month_index(last_day) {
            let first = first_of_month(index);
            index += step;
            let Some((year, month, d)) = first else { continue };
            if d < first_day || d > last_day {
                continue;
            }
            let label = if month == Month::January || ticks.is_empty() {
                format!("{} {year}", month_name(month))
            } else {
                month_name(month).to_string()
            };
            ticks.push((d as f64 * day, label));
        }
    }
    let year_of = |unix: f64| date_from_days((unix / day).floor() as i64).year();
    let (from, to) = (year_of(x_min), year_of(x_max));
    let title = if from == to {
        format!("Date (UTC), {from}")
    } else {
        format!("Date (UTC), {from}–{to}")
    };
    (ticks, title)
}

/// Year, month and day number (days since 1970-01-01) of the first day of month `index`,
/// counted from January of year 0; `None` outside the calendar.
fn first_of_month(index: i64) -> Option<(i32, Month, i64)> {
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    Some((year, month, days_from_date(first)))
}

#[cfg(test)]
mod tests {
    use super::super::svg::legend_positions;
    use super::*;
    use crate::session::repetitions::NOT_ENOUGH_MOVEMENT_LABEL;

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
        let march_1 = Date::from_calendar_date(2026, Month::March, 1).unwrap();
        let march_1 = days_from_date(march_1) as f64 * day;
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
