mod golden;
mod iris;
mod models;
mod odd_input;
mod tracking;
