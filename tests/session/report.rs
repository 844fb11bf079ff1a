//! `facesym report` and the history summaries.
