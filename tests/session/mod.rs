mod analyze;
mod repetitions;
mod report;
