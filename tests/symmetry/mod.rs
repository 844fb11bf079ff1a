mod detail;
mod frame;
mod head_turn;
mod invariance;
mod known_movement;
mod mirror;
mod squeezed_eye;
mod unfollowed;
