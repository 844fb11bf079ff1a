mod repetitions;
