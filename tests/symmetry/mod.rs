mod frame;
mod known_movement;
