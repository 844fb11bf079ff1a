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
