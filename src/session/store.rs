//! The record of sessions and repetitions: one SQLite file in the person's data folder,
//! private to them (folder 0700, file 0600), with a versioned schema. Each repetition is
//! written in its own transaction the moment it completes, so a crash or a kill loses at most
//! the repetition in progress.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

pub use super::calendar::format_utc;
use super::events::Event;
use super::plan::Plan;
use super::repetitions::{Repetition, no_ratio_reason, too_disputed};
use crate::symmetry::Side;

/// File name of the database inside the data folder.
pub const DATABASE_FILE: &str = "facesym.sqlite3";

/// Schema migrations, in order: migration `k` (0-based) brings the schema from version `k` to
/// `k + 1` (SQLite's `user_version`). Never edit a released one; add the next.
const MIGRATIONS: [&str; 6] = [
    // Version 1: sessions and their repetitions.
    "CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started_unix INTEGER NOT NULL,
        source TEXT NOT NULL
    );
    CREATE TABLE repetitions (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        movement TEXT NOT NULL,
        number INTEGER NOT NULL,
        onset_s REAL NOT NULL,
        peak_s REAL NOT NULL,
        end_s REAL NOT NULL,
        peak_left REAL NOT NULL,
        peak_right REAL NOT NULL,
        ratio REAL,
        weaker TEXT,
        time_to_peak_s REAL NOT NULL,
        hold_s REAL NOT NULL,
        UNIQUE (session_id, movement, number)
    );
    CREATE INDEX repetitions_by_session ON repetitions(session_id);",
    // Version 2: each repetition's ratio uncertainty (NULL for repetitions recorded before).
    "ALTER TABLE repetitions ADD COLUMN ratio_uncertainty REAL;",
    // Version 3: the fraction of each repetition's frames the mirror image disputed (NULL when
    // not checked, as for repetitions recorded before).
    "ALTER TABLE repetitions ADD COLUMN mirror_disputed REAL;",
    // Version 4: the closure the person's closed eyes read when the session's eye closure was
    // calibrated to them (NULL when it was not, as for sessions recorded before).
    "ALTER TABLE sessions ADD COLUMN closed_eyes REAL;",
    // Version 5: each repetition's synkinesis per side (NULL when not read, as for
    // repetitions recorded before); rest checks (the face held still for a while) and the
    // involuntary events found in them: blinks, twitches and spasms.
    "ALTER TABLE repetitions ADD COLUMN synkinesis_left REAL;
    ALTER TABLE repetitions ADD COLUMN synkinesis_right REAL;
    CREATE TABLE rest_checks (
        id INTEGER PRIMARY KEY,
        started_unix INTEGER NOT NULL,
        duration_s REAL NOT NULL,
        source TEXT NOT NULL
    );
    CREATE TABLE involuntary_events (
        id INTEGER PRIMARY KEY,
        rest_check_id INTEGER NOT NULL REFERENCES rest_checks(id),
        kind TEXT NOT NULL,
        region TEXT NOT NULL,
        side TEXT NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        peak_iod REAL,
        peak_left REAL,
        peak_right REAL
    );
    CREATE INDEX involuntary_events_by_check ON involuntary_events(rest_check_id);",
    // Version 6: the person's exercise plan (one row, its JSON: `plan::Plan`).
    "CREATE TABLE plan (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        json TEXT NOT NULL,
        saved_unix INTEGER NOT NULL
    );",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why the record cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data folder or file could not be made.
    #[error("cannot create {path}: {source}")]
    Create {
        /// What.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error("session database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The record may be read but not written by this user (a read-only file or folder).
    #[error(
        "the record {path} cannot be written (its file or folder is read-only for you): \
         nothing was recorded; `facesym sessions list` can still read it"
    )]
    ReadOnly {
        /// The database file.
        path: PathBuf,
    },
    /// The saved plan cannot be read.
    #[error("the exercise plan saved in {path} cannot be read ({why}): save it again")]
    BadPlan {
        /// The database file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// Written by a newer facesym.
    #[error(
        "session database {path} has schema version {found}, newer than this facesym \
         understands ({SCHEMA_VERSION}): update facesym"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
    },
}

/// A session as listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionInfo {
    /// Its number.
    pub id: i64,
    /// When it started, seconds since 1970-01-01 UTC.
    pub started_unix: i64,
    /// What it was recorded from ("camera", a video's name, …).
    pub source: String,
    /// Repetitions recorded.
    pub repetitions: i64,
    /// The closure the person's closed eyes read when eye closure was measured against them
    /// (its values are then fractions of it); `None` when measured against fully shut lids.
    pub closed_eyes: Option<f64>,
}

/// A rest check as listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RestCheckInfo {
    /// Its number.
    pub id: i64,
    /// When it started, seconds since 1970-01-01 UTC.
    pub started_unix: i64,
    /// How long the face was watched, seconds.
    pub duration_s: f64,
    /// What it was recorded from.
    pub source: String,
    /// Twitches and spasms found.
    pub twitches: i64,
    /// Blinks found.
    pub blinks: i64,
}

impl RestCheckInfo {
    /// Twitches and spasms per minute.
    pub fn twitches_per_minute(&self) -> Option<f64> {
        (self.duration_s > 0.0).then(|| self.twitches as f64 * 60.0 / self.duration_s)
    }
}

/// An involuntary event as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredEvent {
    /// The rest check it was found in.
    pub rest_check_id: i64,
    /// "blink", "twitch" or "spasm".
    pub kind: String,
    /// The region ("eye" for a blink).
    pub region: String,
    /// "left", "right" or "both".
    pub side: String,
    /// Seconds from the check's start.
    pub start_s: f64,
    /// Its last frame.
    pub end_s: f64,
    /// A twitch's or spasm's size, IOD.
    pub peak_iod: Option<f64>,
    /// A blink's completeness, left eye.
    pub peak_left: Option<f64>,
    /// The right eye's.
    pub peak_right: Option<f64>,
}

/// A repetition as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredRepetition {
    /// The session.
    pub session_id: i64,
    /// Movement id.
    pub movement: String,
    /// 1 for the session's first repetition of this movement.
    pub number: i64,
    /// Onset, peak and end, seconds from the session's start.
    pub onset_s: f64,
    /// Peak.
    pub peak_s: f64,
    /// End.
    pub end_s: f64,
    /// Each side's peak excursion.
    pub peak_left: f64,
    /// The right side's.
    pub peak_right: f64,
    /// Weaker over stronger peak.
    pub ratio: Option<f64>,
    /// How far the ratio may be off from measurement noise; `None` for repetitions without a
    /// ratio and for those recorded before facesym stored it.
    pub ratio_uncertainty: Option<f64>,
    /// "left" or "right".
    pub weaker: Option<String>,
    /// Onset to peak, seconds.
    pub time_to_peak_s: f64,
    /// Time at or above half the peak, seconds.
    pub hold_s: f64,
    /// The fraction of its frames whose reading the mirror image disputed (live repetitions
    /// recorded before skin motion followed video frame to frame checked the peak frame
    /// alone: 0 or 1); `None` when not checked (repetitions recorded before facesym
    /// checked, or whose mirror image had no face).
    pub mirror_disputed: Option<f64>,
    /// Synkinesis on the left side ([`Repetition::synkinesis`]); `None` when not read (and
    /// for repetitions recorded before facesym read it).
    pub synkinesis_left: Option<f64>,
    /// On the right side.
    pub synkinesis_right: Option<f64>,
}

impl StoredRepetition {
    /// Why it has no ratio ([`no_ratio_reason`]); `None` when it has one.
    pub fn no_ratio_reason(&self) -> Option<&'static str> {
        no_ratio_reason(self.ratio, self.mirror_disputed)
    }

    /// Whether it has no ratio because too many of its frames were disputed by their mirror
    /// image ([`too_disputed`]).
    pub fn is_unsure(&self) -> bool {
        self.ratio.is_none() && too_disputed(self.mirror_disputed)
    }
}

/// The open record.
pub struct Store {
    connection: Connection,
    path: PathBuf,
    /// Its schema version (older than [`SCHEMA_VERSION`] only when opened read-only).
    version: i64,
}

/// Milliseconds a write waits for another process holding the record (another facesym
/// writing a repetition takes a few) before it fails with "database is locked".
const BUSY_TIMEOUT_MS: i64 = 5000;

impl Store {
    /// The default data folder: `$FACESYM_DATA`, else `$XDG_DATA_HOME/facesym`, else
    /// `~/.local/share/facesym`.
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("FACESYM_DATA").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir).join("facesym");
        }
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        home.join(".local/share/facesym")
    }

    /// Opens (creating, private to the user, and migrating as needed) the record in `dir`, to
    /// read and write. Nothing is written before the file is known to be a record this build
    /// understands; migrations run under an immediate transaction, so two processes opening
    /// an old record at once migrate it once.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        create_private_dir(dir)?;
        let path = dir.join(DATABASE_FILE);
        create_private_file(&path)?;
        let sqlite = |source: rusqlite::Error| match source.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ReadOnly) => StoreError::ReadOnly { path: path.clone() },
            _ => StoreError::Sqlite { path: path.clone(), source },
        };
        let mut connection = Connection::open(&path).map_err(sqlite)?;
        set_busy_timeout(&connection).map_err(sqlite)?;
        // Read first: a file that is not SQLite, or a newer record, is left as it is.
        let found = schema_version(&connection).map_err(sqlite)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path, found });
        }
        // Every committed transaction is on disk before the call returns; the write-ahead log
        // (created by SQLite with the database file's permissions) lets readers in meanwhile.
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(sqlite)?;
        let tx =
            connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        // Again inside the transaction: another process may have migrated it meanwhile.
        let found = schema_version(&tx).map_err(sqlite)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path, found });
        }
        for (version, migration) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
            tx.execute_batch(migration).map_err(sqlite)?;
            tx.pragma_update(None, "user_version", version as i64 + 1).map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)?;
        Ok(Self { connection, path, version: SCHEMA_VERSION })
    }

    /// Opens the record in `dir` to read it only, changing nothing (not even on disk's
    /// journal mode): for listing, exporting, the report and the history, so a record the
    /// person may read but not write (a read-only folder, a backup) can still be read.
    /// `Ok(None)` when there is no record there yet.
    pub fn open_read_only(dir: &Path) -> Result<Option<Self>, StoreError> {
        let path = dir.join(DATABASE_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let sqlite = |source| StoreError::Sqlite { path: path.clone(), source };
        let read = |uri: bool| {
            let mut flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let target = if uri {
                flags |= OpenFlags::SQLITE_OPEN_URI;
                // A write-ahead-log record in a folder that cannot be written: nothing can
                // change it either, so it is read as it is.
                let mut url = std::ffi::OsString::from("file:");
                url.push(path.as_os_str());
                url.push("?immutable=1");
                PathBuf::from(url)
            } else {
                path.clone()
            };
            let connection = Connection::open_with_flags(&target, flags)?;
            set_busy_timeout(&connection)?;
            let version = schema_version(&connection)?;
            Ok::<_, rusqlite::Error>((connection, version))
        };
        let (connection, found) = read(false).or_else(|_| read(true)).map_err(sqlite)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path, found });
        }
        Ok(Some(Self { connection, path, version: found }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// Notes that `session`'s eye closure was measured against the person's closed eyes,
    /// which read `closed` (for a session made before that was known).
    pub fn set_closed_eyes(&self, session: i64, closed: f64) -> Result<(), StoreError> {
        self.connection
            .execute("UPDATE sessions SET closed_eyes = ?1 WHERE id = ?2", params![closed, session])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Starts a session now; returns its id.
    pub fn start_session(&self, source: &str) -> Result<i64, StoreError> {
        self.start_session_at(source, super::calendar::now_unix())
    }

    /// Starts a session that began at `started_unix` (seconds since 1970-01-01 UTC): for
    /// importing sessions recorded elsewhere, and for tests that need sessions on different
    /// days. Returns its id.
    pub fn start_session_at(&self, source: &str, started_unix: i64) -> Result<i64, StoreError> {
        self.start_session_with(source, started_unix, None)
    }

    /// [`Store::start_session_at`], for a session whose eye closure is measured against the
    /// person's closed eyes, which read `closed_eyes` ([`SessionInfo::closed_eyes`]): one
    /// statement, so the session is made whole or not at all.
    pub fn start_session_with(
        &self,
        source: &str,
        started_unix: i64,
        closed_eyes: Option<f64>,
    ) -> Result<i64, StoreError> {
        self.connection
            .execute(
                "INSERT INTO sessions (started_unix, source, closed_eyes) VALUES (?1, ?2, ?3)",
                params![started_unix, source, closed_eyes],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(self.connection.last_insert_rowid())
    }

    /// Stores a completed repetition of `session` (its own transaction, on disk on return);
    /// returns its number within the session and movement.
    pub fn add_repetition(&self, session: i64, rep: &Repetition) -> Result<i64, StoreError> {
        let number: i64 = self
            .connection
            .query_row(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM repetitions
                 WHERE session_id = ?1 AND movement = ?2",
                params![session, rep.movement.as_str()],
                |r| r.get(0),
            )
            .map_err(|e| self.sqlite(e))?;
        let weaker = rep.weaker.map(Side::name);
        self.connection
            .execute(
                "INSERT INTO repetitions (session_id, movement, number, onset_s, peak_s, end_s,
                     peak_left, peak_right, ratio, weaker, time_to_peak_s, hold_s,
                     ratio_uncertainty, mirror_disputed, synkinesis_left, synkinesis_right)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                params![
                    session,
                    rep.movement.as_str(),
                    number,
                    rep.onset_s,
                    rep.peak_s,
                    rep.end_s,
                    rep.peak_left,
                    rep.peak_right,
                    rep.ratio,
                    weaker,
                    rep.time_to_peak_s,
                    rep.hold_s,
                    rep.ratio_uncertainty,
                    rep.mirror_disputed,
                    rep.synkinesis.map(|s| s[0]),
                    rep.synkinesis.map(|s| s[1])
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(number)
    }

    /// The exercise plan saved, `None` when none was (or the record is older than plans).
    /// A saved plan this build cannot read is an error, not the default.
    pub fn plan(&self) -> Result<Option<Plan>, StoreError> {
        if self.version < 6 {
            return Ok(None);
        }
        let json: Option<String> = self
            .connection
            .query_row("SELECT json FROM plan WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))?;
        json.map(|json| {
            Plan::from_json(&json)
                .map_err(|e| StoreError::BadPlan { path: self.path.clone(), why: e.to_string() })
        })
        .transpose()
    }

    /// Saves the exercise plan (within its bounds), replacing the one before.
    pub fn save_plan(&self, plan: &Plan) -> Result<(), StoreError> {
        let json = plan.clone().normalized().to_json();
        self.connection
            .execute(
                "INSERT INTO plan (id, json, saved_unix) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET json = excluded.json, saved_unix = excluded.saved_unix",
                params![json, super::calendar::now_unix()],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> Result<Vec<SessionInfo>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!(
                "SELECT s.id, s.started_unix, s.source, COUNT(r.id), {} FROM sessions s
                     LEFT JOIN repetitions r ON r.session_id = s.id GROUP BY s.id ORDER BY s.id",
                // An older record read without migrating it has no such column yet.
                if self.version >= 4 { "s.closed_eyes" } else { "NULL" },
            ))
            .map_err(|e| self.sqlite(e))?;
        let rows: rusqlite::Result<Vec<SessionInfo>> = statement
            .query_map([], |r| {
                Ok(SessionInfo {
                    id: r.get(0)?,
                    started_unix: r.get(1)?,
                    source: r.get(2)?,
                    repetitions: r.get(3)?,
                    closed_eyes: r.get(4)?,
                })
            })
            .and_then(Iterator::collect);
        rows.map_err(|e| self.sqlite(e))
    }

    /// The repetitions of `session` (all sessions when `None`), in the order recorded.
    pub fn repetitions(&self, session: Option<i64>) -> Result<Vec<StoredRepetition>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!(
                "SELECT session_id, movement, number, onset_s, peak_s, end_s, peak_left,
                     peak_right, ratio, weaker, time_to_peak_s, hold_s, {}, {}, {}
                 FROM repetitions WHERE ?1 IS NULL OR session_id = ?1 ORDER BY id",
                // An older record read without migrating it has no such columns yet.
                if self.version >= 2 { "ratio_uncertainty" } else { "NULL" },
                if self.version >= 3 { "mirror_disputed" } else { "NULL" },
                if self.version >= 5 { "synkinesis_left, synkinesis_right" } else { "NULL, NULL" },
            ))
            .map_err(|e| self.sqlite(e))?;
        let rows: rusqlite::Result<Vec<StoredRepetition>> = statement
            .query_map(params![session], |r| {
                Ok(StoredRepetition {
                    session_id: r.get(0)?,
                    movement: r.get(1)?,
                    number: r.get(2)?,
                    onset_s: r.get(3)?,
                    peak_s: r.get(4)?,
                    end_s: r.get(5)?,
                    peak_left: r.get(6)?,
                    peak_right: r.get(7)?,
                    ratio: r.get(8)?,
                    ratio_uncertainty: r.get(12)?,
                    weaker: r.get(9)?,
                    time_to_peak_s: r.get(10)?,
                    hold_s: r.get(11)?,
                    mirror_disputed: r.get(13)?,
                    synkinesis_left: r.get(14)?,
                    synkinesis_right: r.get(15)?,
                })
            })
            .and_then(Iterator::collect);
        rows.map_err(|e| self.sqlite(e))
    }

    /// Stores a rest check that started at `started_unix` and watched the face for
    /// `duration_s` from `source`, with the events found in it, in one transaction (whole or
    /// not at all); returns its number.
    pub fn add_rest_check(
        &self,
        started_unix: i64,
        duration_s: f64,
        source: &str,
        events: &[Event],
    ) -> Result<i64, StoreError> {
        let tx = self.connection.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        tx.execute(
            "INSERT INTO rest_checks (started_unix, duration_s, source) VALUES (?1, ?2, ?3)",
            params![started_unix, duration_s, source],
        )
        .map_err(|e| self.sqlite(e))?;
        let id = tx.last_insert_rowid();
        for e in events {
            tx.execute(
                "INSERT INTO involuntary_events (rest_check_id, kind, region, side, start_s,
                     end_s, peak_iod, peak_left, peak_right)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    id,
                    e.kind.name(),
                    e.region,
                    e.side,
                    e.start_s,
                    e.end_s,
                    e.peak_iod,
                    e.peak_left,
                    e.peak_right
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        }
        tx.commit().map_err(|e| self.sqlite(e))?;
        Ok(id)
    }

    /// Every rest check, oldest first, with its counts (none in a record older than them).
    pub fn rest_checks(&self) -> Result<Vec<RestCheckInfo>, StoreError> {
        if self.version < 5 {
            return Ok(Vec::new());
        }
        let mut statement = self
            .connection
            .prepare(
                "SELECT c.id, c.started_unix, c.duration_s, c.source,
                     COUNT(CASE WHEN e.kind != 'blink' THEN 1 END),
                     COUNT(CASE WHEN e.kind = 'blink' THEN 1 END)
                 FROM rest_checks c LEFT JOIN involuntary_events e ON e.rest_check_id = c.id
                 GROUP BY c.id ORDER BY c.id",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows: rusqlite::Result<Vec<RestCheckInfo>> = statement
            .query_map([], |r| {
                Ok(RestCheckInfo {
                    id: r.get(0)?,
                    started_unix: r.get(1)?,
                    duration_s: r.get(2)?,
                    source: r.get(3)?,
                    twitches: r.get(4)?,
                    blinks: r.get(5)?,
                })
            })
            .and_then(Iterator::collect);
        rows.map_err(|e| self.sqlite(e))
    }

    /// The events of rest check `check` (all checks when `None`), in the order found.
    pub fn rest_events(&self, check: Option<i64>) -> Result<Vec<StoredEvent>, StoreError> {
        if self.version < 5 {
            return Ok(Vec::new());
        }
        let mut statement = self
            .connection
            .prepare(
                "SELECT rest_check_id, kind, region, side, start_s, end_s, peak_iod, peak_left,
                     peak_right
                 FROM involuntary_events WHERE ?1 IS NULL OR rest_check_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows: rusqlite::Result<Vec<StoredEvent>> = statement
            .query_map(params![check], |r| {
                Ok(StoredEvent {
                    rest_check_id: r.get(0)?,
                    kind: r.get(1)?,
                    region: r.get(2)?,
                    side: r.get(3)?,
                    start_s: r.get(4)?,
                    end_s: r.get(5)?,
                    peak_iod: r.get(6)?,
                    peak_left: r.get(7)?,
                    peak_right: r.get(8)?,
                })
            })
            .and_then(Iterator::collect);
        rows.map_err(|e| self.sqlite(e))
    }

    /// Whether a session exists.
    pub fn has_session(&self, session: i64) -> Result<bool, StoreError> {
        self.connection
            .query_row("SELECT 1 FROM sessions WHERE id = ?1", params![session], |_| Ok(()))
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| self.sqlite(e))
    }

    /// SQLite's own consistency check: `Ok(())` when it reports "ok", else its findings.
    pub fn integrity_check(&self) -> Result<Result<(), String>, StoreError> {
        let report: String = self
            .connection
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        Ok(if report == "ok" { Ok(()) } else { Err(report) })
    }
}

/// The CSV header of exported repetitions.
pub const CSV_HEADER: &str = "session,movement,number,onset_s,peak_s,end_s,peak_left,peak_right,\
                              ratio,weaker,time_to_peak_s,hold_s,ratio_uncertainty,\
                              mirror_disputed,synkinesis_left,synkinesis_right";

/// Repetitions as CSV (header first); floats at full precision, so they read back equal. A
/// field holding a comma, a quote or a line break is quoted.
pub fn repetitions_csv(reps: &[StoredRepetition]) -> String {
    let mut csv = csv::Writer::from_writer(Vec::new());
    write_repetitions_csv(&mut csv, reps).expect("writing CSV to memory cannot fail");
    let bytes = csv.into_inner().expect("flushing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

fn write_repetitions_csv<W: std::io::Write>(
    csv: &mut csv::Writer<W>,
    reps: &[StoredRepetition],
) -> csv::Result<()> {
    let optional = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    csv.write_record(CSV_HEADER.split(','))?;
    for r in reps {
        csv.write_record([
            r.session_id.to_string(),
            r.movement.clone(),
            r.number.to_string(),
            r.onset_s.to_string(),
            r.peak_s.to_string(),
            r.end_s.to_string(),
            r.peak_left.to_string(),
            r.peak_right.to_string(),
            optional(r.ratio),
            r.weaker.clone().unwrap_or_default(),
            r.time_to_peak_s.to_string(),
            r.hold_s.to_string(),
            optional(r.ratio_uncertainty),
            optional(r.mirror_disputed),
            optional(r.synkinesis_left),
            optional(r.synkinesis_right),
        ])?;
    }
    Ok(())
}

/// Lets statements wait [`BUSY_TIMEOUT_MS`] for a record another process holds.
fn set_busy_timeout(connection: &Connection) -> rusqlite::Result<()> {
    connection.query_row(&format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"), [], |_| Ok(()))
}

/// SQLite's `user_version`: the record's schema version (0 for a new, empty file). Reads
/// the header, so a file that is not a database fails here.
fn schema_version(connection: &Connection) -> rusqlite::Result<i64> {
    connection.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Creates `dir` (and parents) readable by its owner only.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    crate::io::create_private_dir(dir)
        .map_err(|source| StoreError::Create { path: dir.to_path_buf(), source })
}

/// Creates the database file, readable and writable by its owner only, if it is not there.
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Create { path: path.to_path_buf(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symmetry::MovementId::{self, BrowLift, Smile};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("facesym-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn rep(movement: MovementId, ratio: Option<f64>) -> Repetition {
        Repetition {
            movement,
            onset_s: 1.0,
            peak_s: 1.5,
            end_s: 2.5,
            peak_left: 0.12,
            peak_right: 0.06,
            ratio,
            ratio_uncertainty: ratio.map(|r| 0.05 * (1.0 + r) / 0.12),
            weaker: ratio.map(|_| Side::Right),
            time_to_peak_s: 0.5,
            hold_s: 0.8,
            mirror_disputed: ratio.map(|_| 0.25),
            synkinesis: None,
        }
    }

    #[test]
    fn private_versioned_and_round_trips() {
        let dir = scratch("round-trip").join("nested");
        let store = Store::open(&dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(store.path()), 0o600);
        }
        let session = store.start_session("demo").unwrap();
        assert_eq!(store.add_repetition(session, &rep(Smile, Some(0.5))).unwrap(), 1);
        assert_eq!(store.add_repetition(session, &rep(Smile, None)).unwrap(), 2);
        assert_eq!(store.add_repetition(session, &rep(BrowLift, Some(0.9))).unwrap(), 1);
        #[cfg(unix)]
        {
            // SQLite gives its write-ahead log the database file's permissions.
            use std::os::unix::fs::PermissionsExt;
            let wal = store.path().with_extension("sqlite3-wal");
            assert_eq!(std::fs::metadata(&wal).unwrap().permissions().mode() & 0o777, 0o600);
        }
        drop(store);
        // Reopened: nothing migrates again, everything is there.
        let store = Store::open(&dir).unwrap();
        let version: i64 =
            store.connection.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let reps = store.repetitions(Some(session)).unwrap();
        assert_eq!(reps.len(), 3);
        assert_eq!((reps[1].movement.as_str(), reps[1].number, reps[1].ratio), ("smile", 2, None));
        assert_eq!(reps[0].weaker.as_deref(), Some("right"));
        assert_eq!(reps[2].ratio, Some(0.9));
        assert_eq!(reps[2].ratio_uncertainty, rep(Smile, Some(0.9)).ratio_uncertainty);
        assert_eq!(reps[1].ratio_uncertainty, None);
        assert_eq!((reps[0].mirror_disputed, reps[1].mirror_disputed), (Some(0.25), None));
        let calibrated = store.start_session_with("camera", 1_700_000_000, Some(0.7)).unwrap();
        let sessions = store.sessions().unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!((sessions[0].source.as_str(), sessions[0].repetitions), ("demo", 3));
        assert_eq!((sessions[0].closed_eyes, sessions[1].closed_eyes), (None, Some(0.7)));
        store.set_closed_eyes(session, 0.6).unwrap();
        assert_eq!(store.sessions().unwrap()[0].closed_eyes, Some(0.6));
        assert_eq!(sessions[1].id, calibrated);
        assert_eq!(store.integrity_check().unwrap(), Ok(()));
        let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    }

    fn stored(movement: &str, ratio: Option<f64>) -> StoredRepetition {
        StoredRepetition {
            session_id: 3,
            movement: movement.to_string(),
            number: 2,
            onset_s: 1.25,
            peak_s: 1.5,
            end_s: 2.0,
            peak_left: 0.12,
            peak_right: 0.1 / 3.0,
            ratio,
            ratio_uncertainty: None,
            weaker: ratio.map(|_| "right".to_string()),
            time_to_peak_s: 0.25,
            hold_s: 0.5,
            mirror_disputed: Some(0.0),
            synkinesis_left: Some(0.25),
            synkinesis_right: None,
        }
    }

    /// Ordinary fields are written bare, floats in full, empty when absent.
    #[test]
    fn csv_of_ordinary_fields() {
        let csv = repetitions_csv(&[stored("smile", Some(0.5)), stored("pucker", None)]);
        assert_eq!(
            csv,
            format!(
                "{CSV_HEADER}\n\
                 3,smile,2,1.25,1.5,2,0.12,0.03333333333333333,0.5,right,0.25,0.5,,0,0.25,\n\
                 3,pucker,2,1.25,1.5,2,0.12,0.03333333333333333,,,0.25,0.5,,0,0.25,\n"
            )
        );
    }

    /// A name holding a comma, a quote and a line break reads back whole, and every number
    /// reads back equal.
    #[test]
    fn csv_quotes_what_needs_quoting_and_round_trips() {
        let name = "smile, \"wide\"\nand slow";
        let rep = stored(name, Some(0.1 / 3.0));
        let csv = repetitions_csv(std::slice::from_ref(&rep));
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header.join(","), CSV_HEADER);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.len(), header.len());
        assert_eq!(&row[1], name);
        assert_eq!(row[7].parse::<f64>().unwrap(), rep.peak_right);
        assert_eq!(row[8].parse::<f64>().ok(), rep.ratio);
        assert_eq!(&row[9], "right");
    }

    /// A record as the first schema wrote it in `dir`: one session, one smile repetition.
    fn version_1_record(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        let old = Connection::open(dir.join(DATABASE_FILE)).unwrap();
        old.execute_batch(MIGRATIONS[0]).unwrap();
        old.pragma_update(None, "user_version", 1).unwrap();
        old.execute_batch(
            "INSERT INTO sessions VALUES (1, 1700000000, 'camera');
             INSERT INTO repetitions (session_id, movement, number, onset_s, peak_s, end_s,
                 peak_left, peak_right, ratio, weaker, time_to_peak_s, hold_s)
             VALUES (1, 'smile', 1, 1.0, 1.5, 2.5, 0.12, 0.06, 0.5, 'right', 0.5, 0.8);",
        )
        .unwrap();
    }

    /// A record written by the first schema opens: it is migrated, its repetitions keep
    /// everything they had and read no uncertainty and no mirror check, and new ones store
    /// theirs.
    #[test]
    fn a_version_1_record_is_migrated_and_keeps_its_repetitions() {
        let dir = scratch("version-1");
        version_1_record(&dir);
        let store = Store::open(&dir).unwrap();
        let reps = store.repetitions(None).unwrap();
        assert_eq!(reps.len(), 1);
        assert_eq!((reps[0].ratio, reps[0].ratio_uncertainty), (Some(0.5), None));
        assert_eq!(reps[0].mirror_disputed, None);
        assert_eq!(reps[0].weaker.as_deref(), Some("right"));
        assert_eq!(store.sessions().unwrap()[0].closed_eyes, None);
        store.add_repetition(1, &rep(Smile, Some(0.5))).unwrap();
        let reps = store.repetitions(None).unwrap();
        assert_eq!(reps[1].ratio_uncertainty, rep(Smile, Some(0.5)).ratio_uncertainty);
        assert_eq!(reps[1].mirror_disputed, Some(0.25));
        assert_eq!((reps[0].synkinesis_left, reps[1].synkinesis_left), (None, None));
        let with = Repetition { synkinesis: Some([0.3, 0.1]), ..rep(Smile, Some(0.5)) };
        store.add_repetition(1, &with).unwrap();
        let reps = store.repetitions(None).unwrap();
        assert_eq!((reps[2].synkinesis_left, reps[2].synkinesis_right), (Some(0.3), Some(0.1)));
        let version: i64 =
            store.connection.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert!(store.rest_checks().unwrap().is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The plan: none until saved (and none in an older record read without migrating it),
    /// then what was saved, within its bounds, the last save replacing the one before; a
    /// saved plan that cannot be read is said, not replaced by the guides'.
    #[test]
    fn the_plan_is_kept() {
        let dir = scratch("plan");
        version_1_record(&dir);
        let old = Store::open_read_only(&dir).unwrap().unwrap();
        assert_eq!(old.plan().unwrap(), None);
        drop(old);
        let store = Store::open(&dir).unwrap();
        assert_eq!(store.plan().unwrap(), None);
        let plan = Plan { repetitions: 15, movements: vec![Smile], ..Plan::default() };
        store.save_plan(&plan).unwrap();
        store.save_plan(&Plan { repetitions: 99, ..plan.clone() }).unwrap();
        let read = store.plan().unwrap().unwrap();
        assert_eq!((read.repetitions, read.movements.as_slice()), (30, [Smile].as_slice()));
        assert_eq!(Store::open_read_only(&dir).unwrap().unwrap().plan().unwrap(), Some(read));
        store
            .connection
            .execute("UPDATE plan SET json = '{\"repetitions\": \"many\"}'", [])
            .unwrap();
        let err = store.plan().unwrap_err().to_string();
        assert!(err.contains("exercise plan") && err.contains("save it again"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A rest check is kept with its events and read back as given, with its counts; read
    /// without migrating, an older record has none.
    #[test]
    fn rest_checks_round_trip() {
        use crate::session::events::{Event, EventKind};
        let dir = scratch("rest-checks");
        let event = |kind, region, side, peak_iod, blink: Option<f64>| Event {
            kind,
            region,
            side,
            start_s: 1.5,
            end_s: 1.75,
            peak_iod,
            peak_left: blink,
            peak_right: blink,
        };
        let events = [
            event(EventKind::Twitch, "lower_lid", "left", Some(0.021), None),
            event(EventKind::Blink, "eye", "both", None, Some(0.8)),
            event(EventKind::Spasm, "mouth_corner", "right", Some(0.04), None),
        ];
        let store = Store::open(&dir).unwrap();
        let id = store.add_rest_check(1_700_000_000, 120.0, "camera", &events).unwrap();
        store.add_rest_check(1_700_086_400, 60.0, "camera", &[]).unwrap();
        let checks = store.rest_checks().unwrap();
        assert_eq!(checks.len(), 2);
        assert_eq!((checks[0].id, checks[0].twitches, checks[0].blinks), (id, 2, 1));
        assert_eq!(checks[0].twitches_per_minute(), Some(1.0));
        assert_eq!((checks[1].twitches, checks[1].blinks), (0, 0));
        let stored = store.rest_events(Some(id)).unwrap();
        assert_eq!(stored.len(), 3);
        for (s, e) in stored.iter().zip(&events) {
            assert_eq!(
                (s.kind.as_str(), s.region.as_str(), s.side.as_str()),
                (e.kind.name(), e.region, e.side)
            );
            assert_eq!(
                (s.start_s, s.end_s, s.peak_iod, s.peak_left),
                (e.start_s, e.end_s, e.peak_iod, e.peak_left)
            );
        }
        drop(store);
        let old = scratch("rest-checks-old");
        version_1_record(&old);
        let read = Store::open_read_only(&old).unwrap().unwrap();
        assert!(
            read.rest_checks().unwrap().is_empty() && read.rest_events(None).unwrap().is_empty()
        );
        let _ = std::fs::remove_dir_all(dir);
        let _ = std::fs::remove_dir_all(old);
    }

    /// A record from a newer facesym is refused, to write or to read, and not a byte of it
    /// changes (not even its journal mode).
    #[test]
    fn a_newer_schema_is_refused_not_touched() {
        let dir = scratch("too-new");
        std::fs::create_dir_all(&dir).unwrap();
        let newer = Connection::open(dir.join(DATABASE_FILE)).unwrap();
        newer.execute_batch("CREATE TABLE future (x INTEGER);").unwrap();
        newer.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        drop(newer);
        let before = std::fs::read(dir.join(DATABASE_FILE)).unwrap();
        let err = Store::open(&dir).err().expect("refused");
        assert!(err.to_string().contains("update facesym"), "{err}");
        let err = Store::open_read_only(&dir).err().expect("refused");
        assert!(err.to_string().contains("update facesym"), "{err}");
        assert_eq!(std::fs::read(dir.join(DATABASE_FILE)).unwrap(), before);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Reading changes nothing: no record is no record (none is made), an old record is read
    /// as it is (its newer columns empty) without being migrated, and not a byte changes.
    #[test]
    fn reading_changes_nothing() {
        let dir = scratch("read-only");
        assert!(Store::open_read_only(&dir).unwrap().is_none());
        assert!(!dir.exists());
        version_1_record(&dir);
        let before = std::fs::read(dir.join(DATABASE_FILE)).unwrap();
        let store = Store::open_read_only(&dir).unwrap().unwrap();
        assert_eq!(store.sessions().unwrap().len(), 1);
        let reps = store.repetitions(None).unwrap();
        assert_eq!(
            (reps[0].ratio, reps[0].ratio_uncertainty, reps[0].mirror_disputed),
            (Some(0.5), None, None)
        );
        assert!(store.start_session("x").is_err(), "read-only");
        drop(store);
        assert_eq!(std::fs::read(dir.join(DATABASE_FILE)).unwrap(), before);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Four processes' worth of connections opening an old record at once: each waits for the
    /// one migrating it, none fails, it is migrated once and keeps its repetition.
    #[test]
    fn opening_at_once_migrates_once() {
        let dir = scratch("migrate-at-once");
        version_1_record(&dir);
        let barrier = std::sync::Barrier::new(4);
        std::thread::scope(|scope| {
            let opened: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        Store::open(&dir).map(|_| ())
                    })
                })
                .collect();
            for handle in opened {
                handle.join().unwrap().unwrap();
            }
        });
        let store = Store::open(&dir).unwrap();
        assert_eq!(store.version, SCHEMA_VERSION);
        assert_eq!(store.sessions().unwrap().len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_clear_error() {
        let dir = scratch("not-a-db");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(DATABASE_FILE), b"this is not SQLite, but long enough to tell")
            .unwrap();
        let err = Store::open(&dir).err().expect("refused");
        assert!(err.to_string().contains("session database"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
