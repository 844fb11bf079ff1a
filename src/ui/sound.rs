//! Playing the guided session's sound cues (`session::cues`) through the system's own sound
//! player (ALSA's `aplay`, PulseAudio's `paplay` or PipeWire's `pw-play`) and, where a speech
//! program is installed (`espeak-ng`, `espeak`, `spd-say`), saying their words; on a thread
//! of its own, so the window never waits for the loudspeaker.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use crate::session::cues::{Sound, wav};

/// Players that read a WAV file on their standard input, with their arguments.
const PLAYERS: [(&str, &[&str]); 3] =
    [("aplay", &["-q", "-"]), ("paplay", &[]), ("pw-play", &["-"])];
/// Programs that say their argument aloud, with their arguments before it.
const SPEAKERS: [(&str, &[&str]); 3] = [("espeak-ng", &[]), ("espeak", &[]), ("spd-say", &["-w"])];
/// The longest a tone or its words may take before the program is stopped.
const PLAY_LIMIT: Duration = Duration::from_secs(4);

/// The program `name` on `$PATH`, if there.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// Plays cues in order on its own thread; a cue that comes while others wait replaces them
/// (only the newest is still true).
pub(super) struct CuePlayer {
    sender: Option<Sender<Sound>>,
    /// What is used, or why nothing can be played.
    pub(super) described: String,
}

impl CuePlayer {
    /// Finds the system's player and speech program.
    pub(super) fn new() -> Self {
        let found = |list: &[(&'static str, &'static [&'static str])]| {
            list.iter().find_map(|&(name, args)| on_path(name).map(|path| (name, path, args)))
        };
        let (Some((player, player_path, player_args)), speaker) =
            (found(&PLAYERS), found(&SPEAKERS))
        else {
            return Self {
                sender: None,
                described: "no sound player found (aplay, paplay or pw-play): install alsa-utils \
                            to hear the cues"
                    .into(),
            };
        };
        let described = match &speaker {
            Some((name, ..)) => format!("tones by {player}, words by {name}"),
            None => format!("tones by {player} (no speech program found: tones only)"),
        };
        let (sender, receiver) = channel();
        let speaker = speaker.map(|(_, path, args)| (path, args));
        let spawned = std::thread::Builder::new()
            .name("sound cues".into())
            .spawn(move || play_all(&receiver, (&player_path, player_args), speaker));
        match spawned {
            Ok(_) => Self { sender: Some(sender), described },
            Err(err) => Self { sender: None, described: format!("sound cues cannot start: {err}") },
        }
    }

    /// Plays `sound` (nothing when no player was found).
    pub(super) fn play(&self, sound: Sound) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(sound);
        }
    }
}

/// The player thread: each cue's tone, then its words.
fn play_all(
    receiver: &Receiver<Sound>,
    (player, player_args): (&Path, &[&str]),
    speaker: Option<(PathBuf, &[&str])>,
) {
    while let Ok(mut sound) = receiver.recv() {
        while let Ok(newer) = receiver.try_recv() {
            sound = newer;
        }
        let tone = Command::new(player)
            .args(player_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = tone {
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(&wav(sound));
            }
            finish(child);
        }
        if let Some((speaker, args)) = &speaker {
            let words = Command::new(speaker)
                .args(*args)
                .arg(sound.words())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            if let Ok(child) = words {
                finish(child);
            }
        }
    }
}

/// Waits for `child` at most [`PLAY_LIMIT`], then stops it.
fn finish(mut child: Child) {
    let until = Instant::now() + PLAY_LIMIT;
    while Instant::now() < until {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
