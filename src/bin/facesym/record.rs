//! `facesym sessions`, `facesym report` and `facesym cameras`: the record and the machine.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use facesym::capture::{CaptureError, list_cameras};
use facesym::session::Store;
use facesym::session::plan::read_today;

use crate::cli::SessionsAction;

/// The record in `dir`, read only: reading it never creates an empty one nor changes it.
/// `None` when nothing is recorded there yet.
fn read_record(dir: &Path) -> Result<Option<Store>> {
    Ok(Store::open_read_only(dir)?)
}

/// `text` from the record as it may be shown on a terminal: control characters (an escape
/// sequence in a file name could rewrite the screen) written as `\u{1b}`.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() })
        .collect::<String>()
        .into()
}

/// What to say when there is no record in `dir`.
fn nothing_recorded(dir: &Path) -> String {
    format!(
        "no sessions recorded yet in {} (record one with `facesym analyze --record` or a guided \
         session)",
        dir.display()
    )
}

/// Refuses to write `out` when it is the record's own file (or its journal): that would
/// replace the record with what was exported from it.
fn not_the_record(out: &Path, store: &Store) -> Result<()> {
    let Ok(out) = out.canonicalize() else { return Ok(()) };
    let record = store.path();
    let mut own = vec![record.to_path_buf()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = record.as_os_str().to_owned();
        name.push(suffix);
        own.push(name.into());
    }
    if own.iter().any(|p| p.canonicalize().is_ok_and(|p| p == out)) {
        bail!("{} is your record itself: choose another file to write to", out.display());
    }
    Ok(())
}

/// `facesym movements`: the catalogue of drills.
pub fn movements(json: bool) -> Result<ExitCode> {
    let drills = facesym::symmetry::catalogue::catalogue();
    if json {
        println!("{}", serde_json::to_string_pretty(&drills)?);
        return Ok(ExitCode::SUCCESS);
    }
    for drill in &drills {
        let measured = if drill.measured { "measured" } else { "guided only" };
        println!("{} ({}, {measured})", drill.name, drill.id);
        println!("  {}", drill.instruction);
        println!("  {}", drill.assist_resist);
        if drill.measured {
            println!("  Validated: {}", drill.validated);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `facesym today`: today against the plan (the guides' when none is saved).
pub fn today(dir: &Path, json: bool) -> Result<ExitCode> {
    let store = read_record(dir)?;
    let (plan, today) = read_today(store.as_ref())?;
    if json {
        let out = serde_json::json!({ "today": today, "plan": plan });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("Today, {}", today.date_text());
    println!("Sessions: {} of {} done", today.done, today.planned);
    println!("Streak: {}", today.streak_text());
    println!("Next: {}", today.next_text());
    let recent: String =
        today.recent.iter().map(|&(_, n)| if n == 0 { '.' } else { '#' }).collect();
    println!("Last {} days: {recent} (# a day with a session; today last)", recent.len());
    let own = store.as_ref().map_or(Ok(None), Store::plan)?.is_some();
    println!("Plan{}:", if own { "" } else { " (the guides'; change it in the app's Today view)" });
    for (what, how) in plan.lines() {
        println!("  {what:<16} {how}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `facesym sessions list|export`.
pub fn sessions(dir: &Path, action: SessionsAction) -> Result<ExitCode> {
    let store = read_record(dir)?;
    match action {
        SessionsAction::List => {
            // Listing nothing is not an error.
            let Some(store) = store else {
                println!("{}", nothing_recorded(dir));
                return Ok(ExitCode::SUCCESS);
            };
            println!("{:>4}  {:<20}  {:>5}  source", "id", "started (UTC)", "reps");
            for s in store.sessions()? {
                println!(
                    "{:>4}  {:<20}  {:>5}  {}",
                    s.id,
                    facesym::session::store::format_utc(s.started_unix),
                    s.repetitions,
                    printable(&s.source)
                );
            }
        }
        SessionsAction::Export { format, session, out } => {
            if let Some(id) = session
                && !store.as_ref().map_or(Ok(false), |s| s.has_session(id))?
            {
                bail!("there is no session {id} (see `facesym sessions list`)");
            }
            let reps = match &store {
                Some(store) => store.repetitions(session)?,
                None => Vec::new(),
            };
            let text = if format == "json" {
                serde_json::to_string_pretty(&reps)? + "\n"
            } else {
                facesym::session::store::repetitions_csv(&reps)
            };
            match out {
                Some(path) => {
                    if let Some(store) = &store {
                        not_the_record(&path, store)?;
                    }
                    facesym::io::write_private(&path, text.as_bytes())
                        .with_context(|| format!("cannot write {}", path.display()))?
                }
                None => print!("{text}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `facesym report`: the page is made in full before the file is created, so a failure leaves
/// no file behind.
pub fn report(dir: &Path, session: i64, out: &Path) -> Result<ExitCode> {
    let store = read_record(dir)?.with_context(|| nothing_recorded(dir))?;
    let html = facesym::session::report::render_report(&store, session)?;
    not_the_record(out, &store)?;
    facesym::io::write_private(out, html.as_bytes())
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("Wrote the report of session {session} to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// `facesym cameras`: one line per camera, with the number `--camera` takes.
pub fn cameras() -> Result<ExitCode> {
    let names = list_cameras()?;
    if names.is_empty() {
        bail!(CaptureError::NoCamera);
    }
    for (i, name) in names.iter().enumerate() {
        println!("{i}: {name}");
    }
    Ok(ExitCode::SUCCESS)
}
