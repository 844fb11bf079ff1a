mod known_movement;
