mod frame;
mod known_movement;
mod mirror;
