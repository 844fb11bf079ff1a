//! Writing a live session's repetitions to the record off the UI's thread: a writer thread
//! takes each repetition as it ends and keeps trying while the record is locked by another
//! program, so a lock delays a repetition and never loses it, and the window never waits on
//! the disk. The session is created with its first repetition, so a session that records
//! nothing leaves nothing behind.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use super::repetitions::Repetition;
use super::store::{Store, StoreError};

/// How long the writer waits before trying a locked record again (each try itself waits
/// SQLite's busy timeout first).
const RETRY_AFTER: Duration = Duration::from_millis(200);
/// How long a writer being dropped (the window closing) waits for what it was given to be
/// written before it gives up, so that a record held by another program cannot keep the app
/// from closing.
const DROP_WAIT: Duration = Duration::from_secs(15);

/// What the writer tells its owner, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum WriterEvent {
    /// Repetition `index` (counting from 0 in the order given) is in the record, in
    /// `session`, the record file being `path`.
    Recorded {
        /// Which repetition.
        index: usize,
        /// The session's number in the record.
        session: i64,
        /// The record file.
        path: PathBuf,
    },
    /// The record is held by another program: still trying (why).
    Waiting(String),
    /// The record cannot be written at all (read-only, not a record, newer): nothing more
    /// is written (why).
    Failed(String),
}

/// The writer of one session: repetitions in, [`WriterEvent`]s out.
pub struct RecordWriter {
    repetitions: Option<Sender<Repetition>>,
    events: Receiver<WriterEvent>,
    thread: Option<JoinHandle<()>>,
    /// Closed by the thread when it ends.
    done: Receiver<()>,
}

impl RecordWriter {
    /// A writer for a session from `source` (what it was recorded from) that started at
    /// `started_unix`, in the record in `dir`; nothing is opened or created until the first
    /// repetition comes.
    /// `closed_eyes`: the closure the person's closed eyes read, when the session's eye
    /// closure is measured against them.
    pub fn start(
        dir: PathBuf,
        source: String,
        started_unix: i64,
        closed_eyes: Option<f64>,
    ) -> Self {
        let (send, repetitions) = channel::<Repetition>();
        let (tell, events) = channel();
        let (ended, done) = channel::<()>();
        let session = NewSession { source, started_unix, closed_eyes };
        let thread = std::thread::Builder::new()
            .name("record-writer".into())
            .spawn(move || {
                write_all(&dir, &session, &repetitions, &tell);
                drop(ended);
            })
            .ok();
        Self { repetitions: Some(send), events, thread, done }
    }

    /// Hands a repetition over to be written.
    pub fn add(&self, rep: &Repetition) {
        if let Some(send) = &self.repetitions {
            // The thread is gone only after a failure, which it has told of.
            let _ = send.send(rep.clone());
        }
    }

    /// What happened since last asked.
    pub fn events(&self) -> Vec<WriterEvent> {
        self.events.try_iter().collect()
    }
}

impl Drop for RecordWriter {
    /// A writer dropped (the window closing) still writes what it was given, waiting up to
    /// [`DROP_WAIT`] for a record another program holds; past that it says what was not
    /// written, on stderr, and lets the window close.
    fn drop(&mut self) {
        self.repetitions = None;
        let Some(thread) = self.thread.take() else { return };
        match self.done.recv_timeout(DROP_WAIT) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => eprintln!(
                "facesym: the record is still held by another program; the session's last \
                 repetitions could not be written"
            ),
            _ => {
                let _ = thread.join();
            }
        }
    }
}

/// Whether a failure is the record being held by another program (worth trying again).
fn locked(err: &StoreError) -> bool {
    match err {
        StoreError::Sqlite { source, .. } => matches!(
            source.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        ),
        _ => false,
    }
}

/// Does `attempt` until it succeeds or fails for another reason than the record being held
/// by another program, calling `waiting` once, at the first wait.
pub fn until_unlocked<T>(
    mut waiting: impl FnMut(&StoreError),
    mut attempt: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut told = false;
    loop {
        match attempt() {
            Err(err) if locked(&err) => {
                if !told {
                    waiting(&err);
                    told = true;
                }
                std::thread::sleep(RETRY_AFTER);
            }
            other => return other,
        }
    }
}

/// What a session is made with, when its first repetition comes.
pub struct NewSession {
    /// What it was recorded from.
    pub source: String,
    /// When it started, seconds since 1970-01-01 UTC.
    pub started_unix: i64,
    /// The closure the person's closed eyes read, when eye closure is measured against them.
    pub closed_eyes: Option<f64>,
}

impl NewSession {
    /// Makes the session in `store`; returns its id.
    pub fn create(&self, store: &Store) -> Result<i64, StoreError> {
        store.start_session_with(&self.source, self.started_unix, self.closed_eyes)
    }
}

/// The writer thread: each repetition written once, in order, the session created with the
/// first; a failure other than a lock ends it.
fn write_all(
    dir: &std::path::Path,
    new_session: &NewSession,
    repetitions: &Receiver<Repetition>,
    tell: &Sender<WriterEvent>,
) {
    let mut open: Option<(Store, i64)> = None;
    for (index, rep) in repetitions.iter().enumerate() {
        let waiting = |err: &StoreError| {
            let _ = tell.send(WriterEvent::Waiting(format!(
                "the record is in use by another program ({err}); still trying"
            )));
        };
        let written = until_unlocked(waiting, || {
            if open.is_none() {
                let store = Store::open(dir)?;
                let session = new_session.create(&store)?;
                open = Some((store, session));
            }
            let (store, session) = open.as_ref().expect("opened above");
            store.add_repetition(*session, &rep)?;
            Ok((*session, store.path().to_path_buf()))
        });
        match written {
            Ok((session, path)) => {
                let _ = tell.send(WriterEvent::Recorded { index, session, path });
            }
            Err(err) => {
                let _ = tell.send(WriterEvent::Failed(err.to_string()));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symmetry::{MovementId, Side};

    fn rep() -> Repetition {
        Repetition {
            movement: MovementId::Smile,
            onset_s: 1.0,
            peak_s: 1.5,
            end_s: 2.5,
            peak_left: 0.12,
            peak_right: 0.06,
            ratio: Some(0.5),
            ratio_uncertainty: Some(0.1),
            weaker: Some(Side::Right),
            time_to_peak_s: 0.5,
            hold_s: 0.8,
            mirror_disputed: Some(0.0),
            synkinesis: None,
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("facesym-writer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Dropped at once (the window closing), a writer still writes what it was given, in a
    /// session made with the first repetition and its closed-eye calibration; dropped while
    /// another program holds the record for good, it gives up after `DROP_WAIT` instead of
    /// keeping the window from closing.
    #[test]
    fn dropping_writes_what_was_given_or_gives_up() {
        let dir = scratch("drop");
        let writer = RecordWriter::start(dir.clone(), "camera".into(), 1_700_000_000, Some(0.7));
        writer.add(&rep());
        writer.add(&rep());
        drop(writer);
        let store = Store::open(&dir).unwrap();
        assert_eq!(store.repetitions(None).unwrap().len(), 2);
        let sessions = store.sessions().unwrap();
        assert_eq!((sessions.len(), sessions[0].closed_eyes), (1, Some(0.7)));
        drop(store);

        let locker =
            rusqlite::Connection::open(dir.join(super::super::store::DATABASE_FILE)).unwrap();
        locker.execute_batch("BEGIN IMMEDIATE;").unwrap();
        let writer = RecordWriter::start(dir.clone(), "camera".into(), 1_700_000_000, None);
        writer.add(&rep());
        let start = std::time::Instant::now();
        drop(writer);
        let waited = start.elapsed();
        assert!(waited >= DROP_WAIT && waited < DROP_WAIT + Duration::from_secs(10), "{waited:?}");
        // The thread, left to itself, writes it once the record is free.
        locker.execute_batch("ROLLBACK;").unwrap();
    }
}
