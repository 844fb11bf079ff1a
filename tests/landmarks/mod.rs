mod golden;
mod models;
mod odd_input;
mod tracking;
