//! Per-session, per-movement summaries of the record, and their trends over days.
