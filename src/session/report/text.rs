//! The page's words for its values: HTML escaping, a ratio's colour band, and ratios,
//! uncertainties, durations, movements and dates as text.

use std::fmt::{self, Display, Formatter};

use time::Month;

use crate::session::calendar::{SECONDS_PER_DAY, date_from_days};
use crate::session::history::RatioBand;
use crate::symmetry::CORE_MOVEMENTS;

/// A ratio's colour band ([`RatioBand`], as in the live app) on the page; `None` for a
/// reading that cannot be told from an even movement ([`RatioBand::of_reading`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Band(Option<RatioBand>);

impl Band {
    pub(super) fn of(ratio: f64) -> Self {
        Band(Some(RatioBand::of(ratio)))
    }

    /// The band of a ratio measured with this uncertainty.
    pub(super) fn of_reading(ratio: f64, uncertainty: Option<f64>) -> Self {
        Band(RatioBand::of_reading(ratio, uncertainty))
    }

    /// The CSS class.
    pub(super) fn class(self) -> &'static str {
        match self.0 {
            Some(RatioBand::Good) => "good",
            Some(RatioBand::Fair) => "fair",
            Some(RatioBand::Poor) => "poor",
            None => "uncertain",
        }
    }

    /// In words, for the text beside a chart.
    pub(super) fn words(self) -> &'static str {
        match self.0 {
            Some(RatioBand::Good) => "green band",
            Some(RatioBand::Fair) => "amber band",
            Some(RatioBand::Poor) => "red band",
            None => "uncertain: within its measurement error of an even movement",
        }
    }
}

/// Text with `&`, `<`, `>`, `"` and `'` escaped, for HTML text and attribute values alike.
pub(super) struct Escaped<'a>(pub(super) &'a str);

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                c => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

/// A movement's name for people: the catalogue's, else its id.
pub(super) fn movement_name(id: &str) -> &str {
    CORE_MOVEMENTS.iter().find(|m| m.id.as_str() == id).map_or(id, |m| m.name)
}

pub(super) fn ratio_text(ratio: Option<f64>) -> String {
    ratio.map_or("–".to_string(), |r| format!("{r:.2}"))
}

/// [`plus_minus`](crate::symmetry::score::plus_minus) with a no-break space after "±", so
/// that a line of the page never ends on it.
pub(super) fn uncertainty_text(uncertainty: Option<f64>) -> String {
    uncertainty.map_or(String::new(), |u| format!(" ±\u{a0}{u:.2}"))
}

pub(super) fn seconds_text(seconds: Option<f64>) -> String {
    seconds.map_or("–".to_string(), |s| format!("{s:.1} s"))
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// "Jan" to "Dec".
pub(super) fn month_name(month: Month) -> &'static str {
    MONTHS[usize::from(u8::from(month)) - 1]
}

/// "4 Mar 2026" (UTC).
pub(super) fn date_text(unix: i64) -> String {
    let (year, month, day) = date_from_days(unix.div_euclid(SECONDS_PER_DAY)).to_calendar_date();
    format!("{day} {} {year}", month_name(month))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            Escaped("<a href=\"x\">Tom & Jerry's</a>").to_string(),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
    }

    /// Dates as the page prints them, across a leap day and a year boundary.
    #[test]
    fn dates_in_words() {
        assert_eq!(date_text(951_782_400), "29 Feb 2000");
        assert_eq!(date_text(1_735_689_599), "31 Dec 2024");
        assert_eq!(date_text(1_735_689_600), "1 Jan 2025");
    }
}
