mod detail;
mod frame;
mod invariance;
mod known_movement;
mod mirror;
