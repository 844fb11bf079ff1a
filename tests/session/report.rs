//! `facesym report` and the page it writes: self-contained, the numbers right, one point per
//! repetition and per session, user text escaped; the command's files private and its
//! errors plain.

use std::path::{Path, PathBuf};

use facesym::session::calendar::days_from_date;
use facesym::session::history::median;
use facesym::session::report::{ReportError, render_report};
use facesym::session::{Repetition, Store};
use facesym::symmetry::MovementId::{self, BrowLift, Pucker, Smile};
use facesym::symmetry::Side;
use time::{Date, Month};

use crate::common::{self, facesym, run};

/// A source name with markup in it, as a file name could have.
const HOSTILE_SOURCE: &str = "<script>alert(\"x\")</script> & cam";

/// 2026-03-02 08:00 UTC plus `days`.
fn day(days: i64) -> i64 {
    let march_2 = Date::from_calendar_date(2026, Month::March, 2).unwrap();
    (days_from_date(march_2) + days) * 86_400 + 8 * 3600
}

/// A repetition of `movement` with this ratio (the left side the stronger unless
/// `weaker_left`), time to peak and hold.
fn rep(
    movement: MovementId,
    ratio: Option<f64>,
    weaker_left: bool,
    time_to_peak_s: f64,
    hold_s: f64,
) -> Repetition {
    let (strong, weak) = (0.1, 0.1 * ratio.unwrap_or(0.1));
    let (peak_left, peak_right) = if weaker_left { (weak, strong) } else { (strong, weak) };
    Repetition {
        movement,
        onset_s: 1.0,
        peak_s: 1.0 + time_to_peak_s,
        end_s: 2.0 + hold_s,
        peak_left,
        peak_right,
        ratio,
        ratio_uncertainty: ratio.map(uncertainty),
        weaker: ratio.map(|_| if weaker_left { Side::Left } else { Side::Right }),
        time_to_peak_s,
        hold_s,
        mirror_disputed: None,
        synkinesis: None,
    }
}

/// Stores `rep` as a repetition of `movement`, an id the catalogue does not have (a record
/// written by another version of facesym can hold one), as [`Store::add_repetition`] writes a
/// row.
fn add_unknown(store: &Store, session: i64, movement: &str, rep: &Repetition) {
    let db = rusqlite::Connection::open(store.path()).unwrap();
    let number: i64 = db
        .query_row(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM repetitions
             WHERE session_id = ?1 AND movement = ?2",
            rusqlite::params![session, movement],
            |r| r.get(0),
        )
        .unwrap();
    db.execute(
        "INSERT INTO repetitions (session_id, movement, number, onset_s, peak_s, end_s,
             peak_left, peak_right, ratio, weaker, time_to_peak_s, hold_s, ratio_uncertainty,
             mirror_disputed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        rusqlite::params![
            session,
            movement,
            number,
            rep.onset_s,
            rep.peak_s,
            rep.end_s,
            rep.peak_left,
            rep.peak_right,
            rep.ratio,
            rep.weaker.map(Side::name),
            rep.time_to_peak_s,
            rep.hold_s,
            rep.ratio_uncertainty,
            rep.mirror_disputed
        ],
    )
    .unwrap();
}

/// A ratio's uncertainty as a skin-motion movement's: 0.005 IOD of noise on the 0.1-IOD
/// stronger side of [`rep`].
fn uncertainty(ratio: f64) -> f64 {
    0.005 * (1.0 + ratio) / 0.1
}

/// " ± u" (a no-break space after "±") for the median uncertainty of repetitions with these ratios, as the report prints it.
fn within(ratios: &[f64]) -> String {
    format!(" ±\u{a0}{:.2}", median(ratios.iter().map(|&r| uncertainty(r))).unwrap())
}

/// Six sessions: 1, 2, 3, 4, 5 on days 0, 2, 4, 7 and 9 with the weak (right) side's ratios
/// rising, and 6, imported later but started on day −3. Session 4 is the one reported:
///
/// - smile: ratios 0.62, 0.70, none, 0.58 (left weaker), 0.66; times to peak 0.4, 0.6, 0.8,
///   0.5, 0.7 s; holds 1.0, 1.2, 1.4, 1.1, 1.3 s;
/// - brow lift: 0.91, 0.88, 0.95;
/// - pucker: two repetitions without a ratio;
/// - jaw_slide: a movement id outside the catalogue, 0.5;
/// - eye closure, nose wrinkle, cheek puff: not done.
///
/// Smile is in sessions 6, 1, 2, 4 and 5 (not 3); brow lift in all six.
fn record(dir: &Path) -> Store {
    let store = Store::open(dir).unwrap();
    let add = |session: i64, reps: &[Repetition]| {
        for r in reps {
            store.add_repetition(session, r).unwrap();
        }
    };
    for (k, days) in [0, 2, 4].into_iter().enumerate() {
        let session = store.start_session_at("camera", day(days)).unwrap();
        let base = 0.4 + 0.05 * k as f64;
        add(session, &[rep(BrowLift, Some(base + 0.3), false, 0.5, 1.0)]);
        if k != 2 {
            add(
                session,
                &[
                    rep(Smile, Some(base), false, 0.5, 1.0),
                    rep(Smile, Some(base + 0.1), false, 0.5, 1.0),
                ],
            );
        }
    }
    let four = store.start_session_at(HOSTILE_SOURCE, day(7)).unwrap();
    assert_eq!(four, 4);
    add(
        four,
        &[
            rep(Smile, Some(0.62), false, 0.4, 1.0),
            rep(BrowLift, Some(0.91), false, 0.3, 2.0),
            rep(Smile, Some(0.70), false, 0.6, 1.2),
            rep(Smile, None, false, 0.8, 1.4),
            rep(Pucker, None, false, 0.5, 1.0),
            rep(Smile, Some(0.58), true, 0.5, 1.1),
            rep(BrowLift, Some(0.88), false, 0.3, 2.0),
        ],
    );
    add_unknown(&store, four, "jaw_slide", &rep(Smile, Some(0.5), false, 0.5, 1.0));
    add(
        four,
        &[
            rep(Smile, Some(0.66), false, 0.7, 1.3),
            rep(Pucker, None, false, 0.5, 1.0),
            rep(BrowLift, Some(0.95), true, 0.3, 2.0),
        ],
    );
    let five = store.start_session_at("camera", day(9)).unwrap();
    add(
        five,
        &[rep(Smile, Some(0.8), false, 0.5, 1.0), rep(BrowLift, Some(0.97), false, 0.5, 1.0)],
    );
    let six = store.start_session_at("old-phone.mp4", day(-3)).unwrap();
    add(six, &[rep(Smile, Some(0.3), false, 0.5, 1.0), rep(BrowLift, Some(0.5), false, 0.5, 1.0)]);
    store
}

/// The text of `html` with its tags removed and entities left as they are.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// The text of each cell of the summary table's row for `movement`.
fn row_cells(page: &str, movement: &str) -> Vec<String> {
    let start = page.find(&format!("<tr data-movement=\"{movement}\">")).expect(movement);
    let row = &page[start..start + page[start..].find("</tr>").unwrap()];
    row.split("<td").skip(1).map(|cell| text_of(&format!("<td{cell}")).trim().to_string()).collect()
}

/// The SVG of one chart (`reps` or `trend`) of `movement`.
fn chart<'a>(page: &'a str, kind: &str, movement: &str) -> &'a str {
    let marker = format!("data-chart=\"{kind}\" data-movement=\"{movement}\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {kind} chart for {movement}"));
    &page[start..start + page[start..].find("</svg>").unwrap()]
}

/// The values of attribute `name` in `svg`, in order.
fn attribute_values<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
    let key = format!("{name}=\"");
    svg.match_indices(&key)
        .map(|(i, _)| {
            let value = &svg[i + key.len()..];
            &value[..value.find('"').unwrap()]
        })
        .collect()
}

/// The page loads nothing: no scripts, styles, images or fonts from anywhere, no address.
#[test]
fn report_is_self_contained() {
    let store = record(&common::scratch("report-self-contained"));
    let page = render_report(&store, 4).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    let lower = page.to_lowercase();
    for banned in ["<script", "<link", "src=", "http", "url(", "@import", "<img", "<iframe"] {
        assert!(!lower.contains(banned), "the page contains {banned:?}");
    }
    assert!(page.contains("<style>") && page.contains("<svg"));
}

/// The table's medians are the hand-computed ones: even counts take the mean of the middle
/// two, repetitions without a ratio count as repetitions but not in the median.
#[test]
fn report_table_gives_the_medians() {
    let store = record(&common::scratch("report-medians"));
    let page = render_report(&store, 4).unwrap();
    // Smile: scored 0.58, 0.62, 0.66, 0.70 → (0.62 + 0.66) / 2 = 0.64; one repetition without a
    // ratio; left weaker once, right three times; times to peak 0.4–0.8 → 0.6 s; holds
    // 1.0–1.4 → 1.2 s.
    // Each median with the median of its repetitions' uncertainties.
    let smile = format!("0.64{}", within(&[0.58, 0.62, 0.66, 0.70]));
    assert_eq!(row_cells(&page, "smile"), ["5", &smile, "1", "3", "0.6 s", "1.2 s"]);
    // Brow lift: 0.88, 0.91, 0.95 → 0.91.
    let brow = format!("0.91{}", within(&[0.88, 0.91, 0.95]));
    assert_eq!(row_cells(&page, "brow_lift"), ["3", &brow, "1", "2", "0.3 s", "2.0 s"]);
    assert_eq!(
        row_cells(&page, "pucker"),
        ["2", "not enough movement", "0", "0", "0.5 s", "1.0 s"]
    );
    let jaw = format!("0.50{}", within(&[0.5]));
    assert_eq!(row_cells(&page, "jaw_slide"), ["1", &jaw, "0", "1", "0.5 s", "1.0 s"]);
    for movement in ["eye_closure", "nose_wrinkle", "cheek_puff"] {
        let start = page.find(&format!("data-movement=\"{movement}\"")).expect(movement);
        let row = &page[start..start + page[start..].find("</tr>").unwrap()];
        assert!(row.contains("not done"), "{row}");
    }
    // Catalogue order first, then the unknown id.
    let order: Vec<usize> = ["brow_lift", "eye_closure", "smile", "pucker", "jaw_slide"]
        .iter()
        .map(|m| page.find(&format!("data-movement=\"{m}\"")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // The median colours follow the app's bands: 0.64 amber, 0.91 green, 0.50 red.
    assert!(page.contains("<span class=\"ratio fair\">0.64</span>"));
    assert!(page.contains("<span class=\"ratio good\">0.91</span>"));
    assert!(page.contains("<span class=\"ratio poor\">0.50</span>"));
}

/// One point per repetition in each repetition chart, those without a ratio drawn hollow,
/// and the median line where the table says.
#[test]
fn report_plots_every_repetition() {
    let store = record(&common::scratch("report-points"));
    let page = render_report(&store, 4).unwrap();
    for (movement, count, hollow) in
        [("smile", 5, 1), ("brow_lift", 3, 0), ("pucker", 2, 2), ("jaw_slide", 1, 0)]
    {
        let svg = chart(&page, "reps", movement);
        let numbers = attribute_values(svg, "data-rep");
        let expected: Vec<String> = (1..=count).map(|n| n.to_string()).collect();
        assert_eq!(numbers, expected, "{movement}");
        assert_eq!(svg.matches("class=\"point none\" data-rep").count(), hollow, "{movement}");
        assert!(svg.contains("<title") && svg.contains("<desc"), "{movement}");
    }
    assert!(chart(&page, "reps", "smile").contains("median 0.64"));
    // Not-done movements get no chart.
    assert!(!page.contains("data-chart=\"reps\" data-movement=\"cheek_puff\""));
}

/// A repetition without a ratio says why: too little movement, or unsure because most of its
/// frames read differently in their mirror image (recorded analysis); the table, the point's
/// title and the legend each name the reason.
#[test]
fn report_says_why_a_repetition_has_no_ratio() {
    let store = Store::open(&common::scratch("report-unsure")).unwrap();
    let session = store.start_session_at("clip.mkv", day(0)).unwrap();
    let unsure = Repetition { mirror_disputed: Some(0.7), ..rep(Smile, None, false, 0.5, 1.0) };
    let small = Repetition { mirror_disputed: Some(0.1), ..rep(Smile, None, false, 0.5, 1.0) };
    let only_unsure = Repetition { movement: Pucker, ..unsure.clone() };
    for r in [&unsure, &small, &only_unsure] {
        store.add_repetition(session, r).unwrap();
    }
    let page = render_report(&store, session).unwrap();
    let unsure_label = "unsure (its frames read differently in the mirror image)";
    assert_eq!(row_cells(&page, "pucker")[1], unsure_label);
    assert_eq!(row_cells(&page, "smile")[1], unsure_label);
    let smile = chart(&page, "reps", "smile");
    assert!(smile.contains(&format!("Repetition 1: {unsure_label}, no ratio")), "{smile}");
    assert!(smile.contains("Repetition 2: not enough movement, no ratio"), "{smile}");
    assert!(smile.contains(&format!("not enough movement; {unsure_label}")), "{smile}");
}

/// One trend point per session up to and including this one (in time, not number, order)
/// that has the movement's ratio; this session's point marked, later sessions left out.
#[test]
fn report_trend_has_one_point_per_session() {
    let store = record(&common::scratch("report-trend"));
    let page = render_report(&store, 4).unwrap();
    let smile = chart(&page, "trend", "smile");
    // Session 6 started first; session 3 has no smile; session 5 is after this one.
    assert_eq!(attribute_values(smile, "data-session"), ["6", "1", "2", "4"]);
    assert_eq!(smile.matches(" current\"").count(), 1);
    assert!(smile.contains("class=\"trend-point fair current\" data-session=\"4\""), "{smile}");
    // Each session's median, in the description: session 1's smile 0.40 and 0.50 → 0.45.
    let one = format!("session 1 (2 Mar 2026): 0.45{}", within(&[0.4, 0.5]));
    assert!(smile.contains(&one), "{smile}");
    let four =
        format!("session 4 (9 Mar 2026): 0.64{}, this session", within(&[0.58, 0.62, 0.66, 0.7]));
    assert!(smile.contains(&four), "{smile}");
    // Each point has its uncertainty bar.
    assert_eq!(smile.matches("class=\"error bar\"").count(), 4, "{smile}");
    let brow = chart(&page, "trend", "brow_lift");
    assert_eq!(attribute_values(brow, "data-session"), ["6", "1", "2", "3", "4"]);
    // Pucker has no ratio anywhere: no trend, said in words.
    assert!(!page.contains("data-chart=\"trend\" data-movement=\"pucker\""));
    // Date ticks on the x axis, the ratio on the y axis.
    assert!(smile.contains("Date (UTC), 2026") && smile.contains(">Ratio</text>"));
    assert!(smile.contains(">27 Feb</text>") || smile.contains(">28 Feb</text>"), "{smile}");
}

/// Each repetition's ratio is drawn with its uncertainty; the change from the previous
/// session is called clear only when it is larger than the two sessions' uncertainties added.
#[test]
fn report_weighs_each_change_against_the_uncertainty() {
    let store = record(&common::scratch("report-uncertainty"));
    let page = render_report(&store, 4).unwrap();
    let reps = chart(&page, "reps", "smile");
    // Four scored repetitions, four bars; the hollow one has none.
    assert_eq!(reps.matches("class=\"error bar\"").count(), 4, "{reps}");
    assert!(reps.contains(&format!("Repetition 1: ratio 0.62{}", within(&[0.62]))), "{reps}");
    // Smile: 0.50 in session 2, 0.64 now: 0.14 apart, less than 0.075 + 0.082.
    let both = |a: &[f64], b: &[f64]| {
        let u = |r: &[f64]| median(r.iter().map(|&r| uncertainty(r))).unwrap();
        format!("±\u{a0}{:.2}", u(a) + u(b))
    };
    let smile = format!(
        "Up 0.14 from 0.50 in session 2 (4 Mar 2026), within the two sessions’ uncertainties \
         ({}): not a clear change.",
        both(&[0.58, 0.62, 0.66, 0.7], &[0.45, 0.55])
    );
    assert!(page.contains(&smile), "{smile}");
    // Session 1's smile, 0.45, against session 6's 0.30: 0.15 apart, more than 0.0725 + 0.065.
    let page = render_report(&store, 1).unwrap();
    let smile = format!(
        "Up 0.15 from 0.30 in session 6 (27 Feb 2026), more than the two sessions’ \
         uncertainties ({}).",
        both(&[0.4, 0.5], &[0.3])
    );
    assert!(page.contains(&smile), "{smile}");
}

/// What the person typed or a file was called is shown as text, never as markup.
#[test]
fn report_escapes_the_source_name() {
    let store = record(&common::scratch("report-escape"));
    let page = render_report(&store, 4).unwrap();
    assert!(!page.contains(HOSTILE_SOURCE));
    assert!(
        page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; cam"),
        "the source is shown, escaped"
    );
    assert!(page.contains("Session 4") && page.contains("2026-03-09 08:00:00 UTC"));
}

/// A session not in the record is an error that names it and says where to look.
#[test]
fn report_of_an_unknown_session_names_it() {
    let store = record(&common::scratch("report-unknown"));
    let err = render_report(&store, 99).unwrap_err();
    assert!(matches!(err, ReportError::NoSession { session: 99 }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("99") && message.contains("facesym sessions list"), "{message}");
}

/// The scratch folder with a record in `record/`, and where a report would go.
fn cli_setup(name: &str) -> (PathBuf, PathBuf) {
    let dir = common::scratch(name);
    drop(record(&dir.join("record")));
    (dir.join("record"), dir.join("report.html"))
}

/// `facesym report` writes the page the library renders, readable by its owner only, and
/// says where.
#[test]
fn report_command_writes_a_private_file() {
    let (data, out) = cli_setup("report-cli");
    let (status, stdout, stderr) =
        run(facesym(&["report", "4", "--data"]).arg(&data).arg("--out").arg(&out));
    assert!(status.status.success(), "{stderr}");
    assert!(stdout.contains(&out.display().to_string()), "{stdout}");
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written, render_report(&Store::open(&data).unwrap(), 4).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the report is health data: private to the user");
    }
}

/// An unknown session: exit 1, a message naming it, no file.
#[test]
fn report_command_unknown_session_fails_plainly() {
    let (data, out) = cli_setup("report-cli-unknown");
    let (status, _, stderr) =
        run(facesym(&["report", "42", "--data"]).arg(&data).arg("--out").arg(&out));
    assert_eq!(status.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("there is no session 42"), "{stderr}");
    assert!(stderr.contains("facesym sessions list"), "{stderr}");
    assert!(!out.exists());
    // Not a number: clap's usage error, not a crash.
    let (status, _, stderr) =
        run(facesym(&["report", "four", "--data"]).arg(&data).arg("--out").arg(&out));
    assert_eq!(status.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("internal error"), "{stderr}");
    assert!(!out.exists());
}

/// With nothing recorded: the same plain message as `sessions list`, exit 1, and neither a
/// record nor a report created.
#[test]
fn report_command_without_a_record_creates_nothing() {
    let dir = common::scratch("report-cli-none");
    let (data, out) = (dir.join("record"), dir.join("report.html"));
    let (status, _, stderr) =
        run(facesym(&["report", "1", "--data"]).arg(&data).arg("--out").arg(&out));
    assert_eq!(status.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no sessions recorded yet"), "{stderr}");
    assert!(!data.exists() && !out.exists());
}

/// The page says what eye closure is a fraction of: the person's closed eyes when the session
/// was calibrated to them (and how closed they read), the open eye otherwise.
#[test]
fn report_says_what_eye_closure_is_measured_against() {
    let store = record(&common::scratch("report-closed-eyes"));
    let calibrated = store.start_session_with("camera", day(8), Some(0.68)).unwrap();
    let text = text_of(&render_report(&store, calibrated).unwrap());
    assert!(text.contains("a fraction of your closed eyes (they read 0.68"), "{text}");
    let text = text_of(&render_report(&store, 4).unwrap());
    assert!(text.contains("not calibrated to your closed eyes"), "{text}");
}

/// The report lists the rest checks up to the end of its session's day (newest first), each
/// with its twitches per side, spasms, rates and regions, and says what they are; a later
/// check is left out, and without any the section is not there. A movement's synkinesis is
/// said under it.
#[test]
fn report_lists_the_rest_checks_so_far() {
    use facesym::session::events::{Event, EventKind};
    let store = Store::open(&common::scratch("report-rest")).unwrap();
    let session = store.start_session_at("camera", day(0)).unwrap();
    let with_synkinesis =
        Repetition { synkinesis: Some([0.3, 0.1]), ..rep(Smile, Some(0.7), false, 0.5, 1.0) };
    store.add_repetition(session, &with_synkinesis).unwrap();
    let bare = render_report(&store, session).unwrap();
    assert!(!bare.contains("Rest checks"));
    // The smile's synkinesis, said in words and called provisional.
    let words = text_of(&bare);
    assert!(words.contains("your left eye narrowed a median 30 %, your right 10 %"), "{words}");
    let event = |kind, region, side| Event {
        kind,
        region,
        side,
        start_s: 3.0,
        end_s: 3.2,
        peak_iod: Some(0.02),
        peak_left: None,
        peak_right: None,
    };
    let events = [
        event(EventKind::Twitch, "lower_lid", "left"),
        event(EventKind::Spasm, "lower_lid", "left"),
        event(EventKind::Twitch, "mouth_corner", "right"),
        event(EventKind::Blink, "eye", "both"),
    ];
    store.add_rest_check(day(0) + 3600, 120.0, "camera", &events).unwrap();
    store.add_rest_check(day(-2), 60.0, "camera", &[]).unwrap();
    store.add_rest_check(day(1), 60.0, "camera", &events).unwrap();
    let page = render_report(&store, session).unwrap();
    let text = text_of(&page);
    assert!(text.contains("Rest checks") && text.contains("not a diagnosis"), "{text}");
    let rows: Vec<&str> = page.split("<tr><th scope=\"row\">2026-").skip(1).collect();
    assert_eq!(rows.len(), 2, "the later day's check is left out");
    let cells = |row: &str| -> Vec<String> {
        row.split("<td").skip(1).map(|c| text_of(&format!("<td{c}")).trim().to_string()).collect()
    };
    // Newest first: the same day's check (2 minutes: 2 left, 1 right, 1 spasm, 1.5 a minute,
    // one blink), then the one two days before (nothing found).
    assert!(rows[0].starts_with("03-02 09:00"), "{}", rows[0]);
    assert_eq!(
        cells(rows[0]),
        ["2.0", "2", "1", "0", "1", "1.5", "0.5", "lower lid 2, mouth corner 1"]
    );
    assert_eq!(cells(rows[1])[..7], ["1.0", "0", "0", "0", "0", "0.0", "0.0"]);
}
