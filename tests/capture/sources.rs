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
