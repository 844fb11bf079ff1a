//! Opening what the live app shows: the models loaded, the chosen source opened and the live
//! analyzer made, on the `capture` thread ([`super::Pipeline::launch`]), never the UI's.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;

use crate::analysis::{LiveAnalyzer, LiveControl, LiveEvent};
use crate::capture::{
    CameraRequest, CameraSource, FrameSource, ImageFolderSource, VideoFileSource,
};
use crate::landmarks::{FaceLandmarker, ModelPaths, Tracker, TrackerOptions};
use crate::synthetic::demo::DemoSource;

use super::Opened;

/// Frame rate an image folder is played at in the live app.
const FOLDER_FPS: f64 = 30.0;

/// Which frame source the person chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A camera.
    Camera,
    /// The built-in demo face.
    Demo,
    /// A video file.
    Video,
    /// A folder of images.
    Folder,
}

/// Everything needed to open a live source.
#[derive(Clone, Debug)]
pub struct LiveRequest {
    /// The source.
    pub kind: SourceKind,
    /// The video file or image folder, for those sources.
    pub path: PathBuf,
    /// Which camera, at what size and rate.
    pub camera: CameraRequest,
    /// The face models.
    pub models: ModelPaths,
}

impl LiveRequest {
    /// Opens the source, loads the models and makes the live analyzer that answers `control`
    /// with `events`, naming each step to `step`; the error is a sentence for the person. A
    /// source that cannot be opened is said before the models are waited for.
    pub fn open(
        self,
        control: Arc<LiveControl>,
        events: Sender<LiveEvent>,
        step: &dyn Fn(&str),
    ) -> Opened<LiveAnalyzer> {
        let opened: Option<Box<dyn FrameSource>> = match self.kind {
            SourceKind::Camera => {
                step("Starting the camera…");
                Some(Box::new(CameraSource::open(self.camera).map_err(|e| e.to_string())?))
            }
            SourceKind::Video => {
                step("Opening the video…");
                Some(Box::new(VideoFileSource::open(&self.path).map_err(|e| e.to_string())?))
            }
            SourceKind::Folder => {
                step("Reading the image folder…");
                let folder = ImageFolderSource::open(&self.path, Some(FOLDER_FPS));
                Some(Box::new(folder.map_err(|e| e.to_string())?))
            }
            // The demo face is found with the models.
            SourceKind::Demo => None,
        };
        step("Loading the face models…");
        let mut landmarker = FaceLandmarker::new(&self.models)
            .map_err(|e| format!("Cannot load the face models: {e}"))?;
        let source = match opened {
            Some(source) => source,
            None => {
                step("Preparing the demo face…");
                let demo = DemoSource::new(&mut landmarker)
                    .map_err(|e| format!("Cannot start the demo: {e}"))?;
                Box::new(demo)
            }
        };
        let tracker = Tracker::with_landmarker(landmarker, TrackerOptions::default());
        Ok((source, LiveAnalyzer::new(tracker, control, events)))
    }
}
