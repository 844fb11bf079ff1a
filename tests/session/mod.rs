mod analyze;
mod report;
mod repetitions;
