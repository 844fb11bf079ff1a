//! `facesym report`: one session as a self-contained HTML page.
//!
//! The page is one file that reads the same offline and on paper: its styles are inline, its
//! charts are inline SVG drawn here, and it loads nothing (no scripts, fonts, images or
//! links to anywhere). Everything a chart shows is also given as text, in the table and in
//! each chart's description.

mod charts;
mod page;
mod svg;
mod text;

use page::Page;

use super::history::summarize;
use super::store::{Store, StoreError};

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
/// movement's ratio per repetition, each movement's median ratio per session over the
/// record up to and including this session, and the rest checks up to its day.
pub fn render_report(store: &Store, session: i64) -> Result<String, ReportError> {
    let sessions = store.sessions()?;
    let reps = store.repetitions(None)?;
    let summaries = summarize(&sessions, &reps);
    let position = summaries
        .iter()
        .position(|s| s.session.id == session)
        .ok_or(ReportError::NoSession { session })?;
    // The rest checks up to the end of the session's day (UTC).
    let day_end = (summaries[position].session.started_unix.div_euclid(86_400) + 1) * 86_400;
    let checks = store.rest_checks()?;
    let events = store.rest_events(None)?;
    let mut rest_checks: Vec<_> = checks
        .iter()
        .filter(|c| c.started_unix < day_end)
        .map(|c| (c, events.iter().filter(|e| e.rest_check_id == c.id).collect()))
        .collect();
    rest_checks.sort_by_key(|(c, _)| c.started_unix);
    let page = Page {
        summary: &summaries[position],
        history: &summaries[..=position],
        sessions_in_record: summaries.len(),
        reps: reps.iter().filter(|r| r.session_id == session).collect(),
        rest_checks,
    };
    Ok(page.to_string())
}
