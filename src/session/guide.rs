//! The guided exercise session.
