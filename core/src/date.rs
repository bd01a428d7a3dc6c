//! Calendar days and months, parsed from ISO forms on the wire and shown as Vietnamese
//! paperwork writes them (dd/mm/yyyy; "tháng 11/2026").

use std::fmt;

/// Why a date or month did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what} ({expected})")]
pub struct DateError {
    value: String,
    what: &'static str,
    expected: &'static str,
}

const ISO_DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");
const VI_DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[day]/[month]/[year]");

/// A calendar day, such as the day of a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(time::Date);

impl Day {
    /// Parses `yyyy-mm-dd`, the form documents and the API store.
    pub fn parse(value: &str) -> Result<Self, DateError> {
        time::Date::parse(value, ISO_DAY)
            .map(Day)
            .map_err(|_| DateError {
                value: value.to_owned(),
                what: "day",
                expected: "yyyy-mm-dd",
            })
    }

    /// The day a Unix timestamp falls on, in Vietnam (UTC+7).
    pub fn from_timestamp(ts: crate::Timestamp) -> Self {
        let local = ts.saturating_add(7 * 3600);
        let days = local.div_euclid(86_400);
        let epoch = time::Date::from_calendar_date(1970, time::Month::January, 1)
            .unwrap_or(time::Date::MIN);
        let date = epoch
            .checked_add(time::Duration::days(days))
            .unwrap_or(if days < 0 {
                time::Date::MIN
            } else {
                time::Date::MAX
            });
        Day(date)
    }

    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Self, DateError> {
        let err = || DateError {
            value: format!("{year:04}-{month:02}-{day:02}"),
            what: "day",
            expected: "a real calendar day",
        };
        let month = time::Month::try_from(month).map_err(|_| err())?;
        time::Date::from_calendar_date(year, month, day)
            .map(Day)
            .map_err(|_| err())
    }

    /// Noon of this day in Vietnam, as a Unix timestamp.
    pub fn noon_timestamp(&self) -> crate::Timestamp {
        let epoch = time::Date::from_calendar_date(1970, time::Month::January, 1)
            .unwrap_or(time::Date::MIN);
        (self.0 - epoch).whole_days() * 86_400 + 5 * 3600
    }

    pub fn iso(&self) -> String {
        self.0.format(ISO_DAY).unwrap_or_default()
    }

    /// dd/mm/yyyy, as Vietnamese forms write a date.
    pub fn vi(&self) -> String {
        self.0.format(VI_DAY).unwrap_or_default()
    }

    pub fn month(&self) -> Month {
        Month {
            year: self.0.year(),
            month: self.0.month() as u8,
        }
    }

    /// The day `days` later (or earlier, when negative).
    pub fn add_days(&self, days: i64) -> Self {
        Day(self
            .0
            .checked_add(time::Duration::days(days))
            .unwrap_or(self.0))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

/// A calendar month, the period of a monthly report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u8,
}

impl Month {
    /// Parses `yyyy-mm`.
    pub fn parse(value: &str) -> Result<Self, DateError> {
        let err = || DateError {
            value: value.to_owned(),
            what: "month",
            expected: "yyyy-mm",
        };
        let (year, month) = value.split_once('-').ok_or_else(err)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(err());
        }
        let year: i32 = year.parse().map_err(|_| err())?;
        let month: u8 = month.parse().map_err(|_| err())?;
        Month::new(year, month).ok_or_else(err)
    }

    pub fn new(year: i32, month: u8) -> Option<Self> {
        ((1..=12).contains(&month) && (1900..=9999).contains(&year))
            .then_some(Month { year, month })
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn number(&self) -> u8 {
        self.month
    }

    pub fn iso(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// "tháng 11/2026".
    pub fn vi(&self) -> String {
        format!("tháng {}/{}", self.month, self.year)
    }

    pub fn first_day(&self) -> Day {
        Day::from_ymd(self.year, self.month, 1).unwrap_or(Day(time::Date::MIN))
    }

    pub fn previous(&self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn next(&self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_iso_and_show_vietnamese() {
        let day = Day::parse("2026-11-03").expect("valid day");
        assert_eq!(day.vi(), "03/11/2026");
        assert_eq!(day.month().vi(), "tháng 11/2026");
        assert!(Day::parse("2026-02-30").is_err());
        assert!(Day::parse("03/11/2026").is_err());
    }

    #[test]
    fn timestamps_fall_on_vietnamese_days() {
        // 2026-11-22 20:00 UTC is already 23/11 in Hà Giang.
        assert_eq!(Day::from_timestamp(1_795_377_600).iso(), "2026-11-23");
        let day = Day::parse("2026-11-23").expect("day");
        assert_eq!(Day::from_timestamp(day.noon_timestamp()), day);
    }

    #[test]
    fn months_parse_and_step() {
        let m = Month::parse("2026-01").expect("valid month");
        assert_eq!(m.previous().iso(), "2025-12");
        assert_eq!(m.next().iso(), "2026-02");
        assert!(Month::parse("2026-13").is_err());
        assert!(Month::parse("2026-1").is_err());
    }
}
