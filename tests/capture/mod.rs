//! Frame sources and the pipeline, with video files, image folders and the demo.

mod pipeline;
mod smoothing;
mod sources;
