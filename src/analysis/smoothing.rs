//! Landmark smoothing for display: the One Euro filter (Casiez, Roussel and Vogel, CHI 2012),
//! a low-pass filter whose cut-off rises with speed, so a still face stops shimmering while a
//! moving one is followed without visible lag.

use std::f64::consts::TAU;

use crate::landmarks::Landmarks;

/// Cut-off when still, Hz: low enough to remove the mesh's frame-to-frame shimmer.
pub const MIN_CUTOFF_HZ: f64 = 1.0;
/// How fast the cut-off rises with speed, per (pixel per second): at a brisk 100 px/s the
/// cut-off is 1 + 0.02·100 = 3 Hz, enough to follow a head turn.
pub const BETA: f64 = 0.02;
/// Cut-off for the speed estimate itself, Hz.
pub const DERIVATIVE_CUTOFF_HZ: f64 = 1.0;

/// One Euro filter state for one value.
#[derive(Clone, Copy, Debug, Default)]
struct OneEuro {
    value: f64,
    speed: f64,
    primed: bool,
}

impl OneEuro {
    fn filter(&mut self, x: f64, dt_s: f64) -> f64 {
        if !self.primed || dt_s <= 0.0 {
            *self = OneEuro { value: x, speed: 0.0, primed: true };
            return x;
        }
        let speed = (x - self.value) / dt_s;
        self.speed += alpha(DERIVATIVE_CUTOFF_HZ, dt_s) * (speed - self.speed);
        let cutoff = MIN_CUTOFF_HZ + BETA * self.speed.abs();
        self.value += alpha(cutoff, dt_s) * (x - self.value);
        self.value
    }
}

fn alpha(cutoff_hz: f64, dt_s: f64) -> f64 {
    let tau = 1.0 / (TAU * cutoff_hz);
    1.0 / (1.0 + tau / dt_s)
}

/// Smooths the x and y of all 468 landmarks of one followed face.
#[derive(Clone, Debug, Default)]
pub struct LandmarkSmoother {
    filters: Vec<[OneEuro; 2]>,
}

impl LandmarkSmoother {
    /// The smoothed landmarks, given the time since the previous call (`dt_secs`).
    pub fn smooth(&mut self, landmarks: &Landmarks, dt_secs: f64) -> Landmarks {
        let points = landmarks.points();
        if self.filters.len() != points.len() {
            self.filters = vec![[OneEuro::default(); 2]; points.len()];
        }
        let smoothed = points
            .iter()
            .zip(&mut self.filters)
            .map(|(p, [fx, fy])| {
                let x = fx.filter(f64::from(p[0]), dt_secs) as f32;
                let y = fy.filter(f64::from(p[1]), dt_secs) as f32;
                [x, y, p[2]]
            })
            .collect();
        Landmarks::new(smoothed).unwrap_or_else(|| landmarks.clone())
    }

    /// Forgets the history (a new face, or the face was lost).
    pub fn reset(&mut self) {
        self.filters.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step is followed: within a second at 30 fps the output is within 2 % of the new value.
    #[test]
    fn follows_a_step() {
        let mut f = OneEuro::default();
        f.filter(0.0, 1.0 / 30.0);
        let mut y = 0.0;
        for _ in 0..30 {
            y = f.filter(100.0, 1.0 / 30.0);
        }
        assert!(y > 98.0, "{y}");
    }

    /// Alternating noise of ±1 is cut to a fraction.
    #[test]
    fn damps_shimmer() {
        let mut f = OneEuro::default();
        let mut worst: f64 = 0.0;
        for i in 0..300 {
            let x = if i % 2 == 0 { 1.0 } else { -1.0 };
            let y = f.filter(x, 1.0 / 30.0);
            if i > 30 {
                worst = worst.max(y.abs());
            }
        }
        assert!(worst < 0.2, "{worst}");
    }
}
