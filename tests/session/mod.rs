mod analyze;
mod repetitions;
