mod analyze;
mod repetitions;
mod report;
mod twitches;
