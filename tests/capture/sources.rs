use facesym::capture::{CaptureError, FrameSource, ImageFolderSource, VideoFileSource};
use facesym::symmetry::MovementId;
use facesym::synthetic::demo::DemoSource;

use crate::common::{self, make_video, pattern_frames, scratch};

/// A lossless video comes back frame for frame, pixel for pixel, at its frame rate.
#[test]
fn video_frames_round_trip() {
    let dir = scratch("video_round_trip");
    let frames = pattern_frames(12, 64, 48);
    let path = dir.join("clip.mkv");
    make_video(&frames, 25, &path);
    let mut video = VideoFileSource::open(&path).unwrap();
    assert_eq!(video.dimensions(), (64, 48));
    assert_eq!(video.frames_per_second(), Some(25.0));
    for (i, expected) in frames.iter().enumerate() {
        let frame = video.next_frame().unwrap().expect("a frame");
        assert_eq!(frame.seq, i as u64);
        assert_eq!(&frame.image, expected, "frame {i}");
    }
    assert!(video.next_frame().unwrap().is_none());
    assert!(video.next_frame().unwrap().is_none());
}

/// A truncated video delivers the frames before the damage, then names the frame it failed
/// at; a file that is no video at all, or is missing, fails to open with its path named.
#[test]
fn damaged_videos_fail_clearly() {
    let dir = scratch("video_damaged");
    let path = dir.join("clip.mkv");
    make_video(&pattern_frames(30, 64, 48), 30, &path);
    let bytes = std::fs::read(&path).unwrap();
    let truncated = dir.join("truncated.mkv");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let mut video = VideoFileSource::open(&truncated).unwrap();
    let mut delivered = 0;
    let err = loop {
        match video.next_frame() {
            Ok(Some(_)) => delivered += 1,
            Ok(None) => panic!("a truncated video ended cleanly after {delivered} frames"),
            Err(e) => break e,
        }
    };
    assert!(delivered > 0 && delivered < 30, "{delivered}");
    match &err {
        CaptureError::Corrupt { frame, .. } => assert_eq!(*frame, delivered),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("truncated.mkv"), "{err}");

    let garbage = dir.join("garbage.mp4");
    std::fs::write(&garbage, b"not a video").unwrap();
    let err = VideoFileSource::open(&garbage).err().expect("garbage does not open");
    assert!(
        matches!(err, CaptureError::Open { .. }) && err.to_string().contains("garbage.mp4"),
        "{err}"
    );
    let missing = dir.join("missing.mp4");
    assert!(matches!(VideoFileSource::open(&missing), Err(CaptureError::Open { .. })));
}

/// A folder plays in name order; an empty folder is an error, not an empty stream.
#[test]
fn image_folder_in_name_order() {
    let dir = scratch("image_folder");
    let frames = pattern_frames(3, 20, 10);
    for (i, f) in frames.iter().enumerate().rev() {
        f.save(dir.join(format!("frame_{i:03}.png"))).unwrap();
    }
    std::fs::write(dir.join("notes.txt"), b"ignored").unwrap();
    let mut folder = ImageFolderSource::open(&dir, Some(10.0)).unwrap();
    assert_eq!(folder.len(), 3);
    for expected in &frames {
        assert_eq!(&folder.next_frame().unwrap().unwrap().image, expected);
    }
    assert!(folder.next_frame().unwrap().is_none());
    let empty = scratch("image_folder_empty");
    assert!(matches!(ImageFolderSource::open(&empty, None), Err(CaptureError::Open { .. })));
}

/// The demo shows a real face moving: relaxed for its first six seconds (a neutral to
/// calibrate on), then a brow lift at full strength one second into the first repetition,
/// and the model finds the face in its frames.
#[test]
fn demo_moves_a_real_face() {
    let mut landmarker = common::landmarker();
    let mut demo = DemoSource::new(&mut landmarker).unwrap();
    assert!((0..180).all(|i| DemoSource::phase(i).1 == 0.0), "relaxed for 6 s at 30 fps");
    assert_eq!(DemoSource::phase(180 + 45), (MovementId::BrowLift, 1.0));
    let first = demo.next_frame().unwrap().unwrap();
    let mut peak = first.clone();
    for _ in 1..=225 {
        peak = demo.next_frame().unwrap().unwrap();
    }
    assert_eq!(peak.seq, 225);
    assert_ne!(first.image, peak.image, "the face moved");
    assert_eq!(landmarker.faces(&peak.image).unwrap().len(), 1);
}

/// Runs ffmpeg with `args` (quiet, overwriting), for making the odd videos below with its own
/// options.
fn ffmpeg(args: &[&str]) {
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin"])
        .args(args)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?}");
}

/// Every frame of `path`, as facesym reads it.
fn all_frames(path: &std::path::Path) -> Vec<image::RgbImage> {
    let mut video = VideoFileSource::open(path).unwrap();
    std::iter::from_fn(|| video.next_frame().unwrap().map(|f| f.image)).collect()
}

/// A phone video's rotation (a display matrix of 90°, written by ffmpeg) is honoured: the
/// frames come upright, turned exactly as a player shows them, at the upright size.
#[test]
fn rotated_videos_come_upright() {
    let dir = scratch("video_rotated");
    let frames = pattern_frames(5, 64, 48);
    let source = dir.join("source.mkv");
    make_video(&frames, 25, &source);
    // Lossless in MP4 (which carries the display matrix), then the matrix alone added.
    let (upright, rotated) = (dir.join("upright.mp4"), dir.join("rotated.mp4"));
    let [source_s, upright_s, rotated_s] =
        [&source, &upright, &rotated].map(|p| p.to_str().unwrap());
    ffmpeg(&["-i", source_s, "-c:v", "libx264rgb", "-qp", "0", upright_s]);
    ffmpeg(&["-i", upright_s, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated_s]);
    assert_eq!(all_frames(&upright), frames, "lossless");
    let video = VideoFileSource::open(&rotated).unwrap();
    assert_eq!(video.dimensions(), (48, 64));
    // 90° in the display matrix: shown turned a quarter counter-clockwise.
    let turned: Vec<image::RgbImage> = frames.iter().map(image::imageops::rotate270).collect();
    assert_eq!(all_frames(&rotated), turned);
}

/// A file with two video streams is read from its first (a small one here), whose size is
/// the one measured, though ffmpeg on its own would pick the larger second one.
#[test]
fn the_first_of_two_video_streams_is_read() {
    let dir = scratch("video_two_streams");
    let (small, large) = (pattern_frames(4, 32, 24), pattern_frames(4, 64, 48));
    let (small_path, large_path) = (dir.join("small.mkv"), dir.join("large.mkv"));
    make_video(&small, 25, &small_path);
    make_video(&large, 25, &large_path);
    let both = dir.join("both.mkv");
    let [s, l, b] = [&small_path, &large_path, &both].map(|p| p.to_str().unwrap());
    ffmpeg(&["-i", s, "-i", l, "-map", "0:v", "-map", "1:v", "-c", "copy", b]);
    assert_eq!(VideoFileSource::open(&both).unwrap().dimensions(), (32, 24));
    assert_eq!(all_frames(&both), small);
}

/// A variable-rate video (a 0.6-s pause after its fifth frame, timestamps written by ffmpeg)
/// is timed by its timestamps: each frame facesym delivers at k / rate shows the newest frame
/// filmed by then, to within a frame period (counting frames would put the frames after the
/// pause 0.6 s early).
#[test]
fn variable_rate_videos_are_timed_by_their_timestamps() {
    let dir = scratch("video_variable_rate");
    let frames = pattern_frames(10, 32, 24);
    let regular = dir.join("regular.mkv");
    make_video(&frames, 25, &regular);
    let paused = dir.join("paused.mkv");
    let [r, p] = [&regular, &paused].map(|p| p.to_str().unwrap());
    ffmpeg(&[
        "-i",
        r,
        "-vf",
        "setpts=N/(25*TB)+gte(N\\,5)*0.6/TB",
        "-fps_mode",
        "passthrough",
        "-c:v",
        "ffv1",
        p,
    ]);
    let filmed_at = |i: usize| i as f64 / 25.0 + if i >= 5 { 0.6 } else { 0.0 };
    let video = VideoFileSource::open(&paused).unwrap();
    let rate = video.frames_per_second().unwrap();
    let delivered = all_frames(&paused);
    assert!(delivered.len() >= 9, "{} frames", delivered.len());
    for (k, image) in delivered.iter().enumerate() {
        let shown = frames.iter().position(|f| f == image).expect("an input frame");
        // The newest frame filmed by then (to within a frame period).
        let (at, period) = (k as f64 / rate, 1.0 / rate + 1e-9);
        let newest = filmed_at(shown) <= at + period
            && (shown + 1 == frames.len() || filmed_at(shown + 1) >= at - period);
        assert!(newest, "frame {k} at {at:.3} s shows {shown}");
    }
    assert!(delivered.iter().any(|f| f == &frames[9]), "the last frame is there");
}

/// Names ffmpeg would take for an option or a protocol are read as files.
#[test]
fn odd_file_names_are_files() {
    let dir = scratch("video_odd_names");
    let frames = pattern_frames(3, 32, 24);
    let clip = dir.join("clip.mkv");
    make_video(&frames, 25, &clip);
    for name in ["-clip.mkv", "10:30.mkv", "file:x.mkv"] {
        let odd = dir.join(name);
        std::fs::copy(&clip, &odd).unwrap();
        assert_eq!(all_frames(&odd), frames, "{name}");
    }
}

/// A tiny file declaring a huge frame (a YUV4MPEG header of 16000 × 16000) is refused
/// before anything is allocated for it, naming the limit; so is a PNG whose header declares
/// 40000 × 40000 pixels, read alone or in a folder.
#[test]
fn huge_declared_sizes_are_refused_before_allocating() {
    let dir = scratch("huge_sizes");
    let y4m = dir.join("huge.y4m");
    let mut bytes = b"YUV4MPEG2 W16000 H16000 F25:1 Ip A1:1 C420jpeg\nFRAME\n".to_vec();
    bytes.extend(std::iter::repeat_n(128u8, 4096));
    std::fs::write(&y4m, bytes).unwrap();
    let err = VideoFileSource::open(&y4m).err().expect("refused");
    let text = err.to_string();
    assert!(text.contains("16000x16000") && text.contains("at most 8192 pixels a side"), "{text}");

    let png = dir.join("frames").join("huge.png");
    std::fs::create_dir_all(png.parent().unwrap()).unwrap();
    std::fs::write(&png, png_declaring(40_000, 40_000)).unwrap();
    let err = facesym::io::read_rgb(&png).expect_err("refused");
    assert!(matches!(err, facesym::io::ReadError::TooLarge { width: 40_000, .. }), "{err}");
    assert!(err.to_string().contains("larger than facesym reads"), "{err}");
    let mut folder = ImageFolderSource::open(png.parent().unwrap(), None).unwrap();
    assert!(matches!(folder.next_frame(), Err(CaptureError::Image(_))));
}

/// A PNG whose header declares `width` × `height` grey pixels, with one byte of image data.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let body: Vec<u8> = kind.iter().chain(data).copied().collect();
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
        out
    };
    let mut header = width.to_be_bytes().to_vec();
    header.extend(height.to_be_bytes());
    header.extend([8, 0, 0, 0, 0]); // 8-bit grey
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &header));
    png.extend(chunk(b"IDAT", &[0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01]));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// A video whose decoder reports damage it concealed, every frame still delivered (bytes
/// flipped inside one frame of an H.264 file), ends as a whole video, not a corrupt one; a
/// video cut short is still corrupt (`damaged_videos_fail_clearly`).
#[test]
fn concealed_damage_is_not_a_corrupt_file() {
    let dir = scratch("video_concealed");
    let clean = dir.join("clean.mp4");
    let c = clean.to_str().unwrap();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25:duration=2",
        "-c:v",
        "libx264",
        "-threads",
        "1",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "10",
        c,
    ]);
    let mut bytes = std::fs::read(&clean).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 200] {
        *b ^= 0x55;
    }
    let damaged = dir.join("damaged.mp4");
    std::fs::write(&damaged, bytes).unwrap();
    // ffmpeg says so while decoding it.
    let decoded = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i", damaged.to_str().unwrap(), "-f", "null", "-"])
        .output()
        .unwrap();
    assert!(!decoded.stderr.is_empty(), "the damage is reported by the decoder");
    let mut video = VideoFileSource::open(&damaged).unwrap();
    let mut delivered = 0;
    while video.next_frame().unwrap().is_some() {
        delivered += 1;
    }
    assert_eq!(delivered, 50);
}
