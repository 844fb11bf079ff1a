//! Small statistics shared by every stage: one median, so that the neutral face, skin motion
//! and the session summaries all take the middle value the same way.

/// The median of `values`: the middle one, or the mean of the two middle ones for an even
/// count, in [`f64::total_cmp`] order (a NaN sorts beyond ±∞, on its sign's side); `None` when
/// there are none. Callers that want only finite values filter them first.
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut sorted: Vec<f64> = values.into_iter().collect();
    median_in_place(&mut sorted)
}

/// [`median`] of `values`, sorting them in place instead of copying them (for hot loops that
/// own a scratch buffer).
pub fn median_in_place(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median([0.9, 0.1, 0.5]), Some(0.5));
        assert_eq!(median([0.8, 0.2, 0.4, 0.6]), Some(0.5));
        assert_eq!(median([0.7]), Some(0.7));
        assert_eq!(median([]), None);
        let mut scratch = [3.0, -1.0, 2.0, 8.0];
        assert_eq!(median_in_place(&mut scratch), Some(2.5));
        assert_eq!(scratch, [-1.0, 2.0, 3.0, 8.0]);
    }

    /// Non-finite values are kept and ordered by `total_cmp`: a NaN is the largest.
    #[test]
    fn non_finite_values_take_their_total_order_place() {
        assert_eq!(median([f64::INFINITY, 0.3, 0.1]), Some(0.3));
        assert!(median([f64::NAN, 0.3]).unwrap().is_nan());
        assert_eq!(median([f64::NAN, 0.3, f64::NEG_INFINITY]), Some(0.3));
        assert_eq!(median([f64::NAN, f64::INFINITY, 0.3]), Some(f64::INFINITY));
    }
}
