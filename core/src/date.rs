//! Calendar days and months, parsed from ISO forms on the wire and shown as Vietnamese
//! paperwork writes them (dd/mm/yyyy; "tháng 11/2026").

use std::fmt;

/// Why a date or month did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what} ({expected})")]
pub struct DateError {
    pub(crate) value: String,
    pub(crate) what: &'static str,
    pub(crate) expected: &'static str,
}

/// The proleptic Gregorian years a day may fall in (the `time` crate's range, which this module
/// used to be built on).
const MIN_YEAR: i32 = -9999;
const MAX_YEAR: i32 = 9999;
/// -9999-01-01 and 9999-12-31, as days since 1970-01-01.
const MIN_DAYS: i32 = days_from_civil(MIN_YEAR, 1, 1);
const MAX_DAYS: i32 = days_from_civil(MAX_YEAR, 12, 31);

/// A calendar day, such as the day of a visit. Counted in days since 1970-01-01, by hand rather
/// than with the `time` crate, whose parser and formatter were a sizeable part of the browser
/// module for the two fixed patterns used here.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i32);

impl Day {
    /// Parses `yyyy-mm-dd`, the form documents and the API store. As before, the year may carry a
    /// `+` or `-` sign and every field has exactly its number of digits.
    pub fn parse(value: &str) -> Result<Self, DateError> {
        parse_iso(value.as_bytes()).ok_or_else(|| DateError {
            value: value.to_owned(),
            what: "day",
            expected: "yyyy-mm-dd",
        })
    }

    /// The day a Unix timestamp falls on, in Vietnam (UTC+7).
    pub fn from_timestamp(ts: crate::Timestamp) -> Self {
        let local = ts.saturating_add(7 * 3600);
        let days = local
            .div_euclid(86_400)
            .clamp(i64::from(MIN_DAYS), i64::from(MAX_DAYS));
        // Clamped to the calendar, so it fits.
        Day(days as i32)
    }

    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Self, DateError> {
        ymd(year, month, day).ok_or_else(|| DateError {
            value: format!("{year:04}-{month:02}-{day:02}"),
            what: "day",
            expected: "a real calendar day",
        })
    }

    /// The time of day a Unix timestamp shows in Vietnam, "14:05".
    pub fn clock_vi(ts: crate::Timestamp) -> String {
        let seconds = ts.saturating_add(7 * 3600).rem_euclid(86_400);
        format!("{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
    }

    /// Noon of this day in Vietnam, as a Unix timestamp.
    pub fn noon_timestamp(&self) -> crate::Timestamp {
        i64::from(self.0) * 86_400 + 5 * 3600
    }

    pub fn iso(&self) -> String {
        let (year, month, day) = civil_from_days(self.0);
        format!("{}-{month:02}-{day:02}", Year(year))
    }

    /// Year, month (1–12) and day of the month.
    pub fn ymd(&self) -> (i32, u8, u8) {
        civil_from_days(self.0)
    }

    /// dd/mm/yyyy, as Vietnamese forms write a date.
    pub fn vi(&self) -> String {
        let (year, month, day) = civil_from_days(self.0);
        format!("{day:02}/{month:02}/{}", Year(year))
    }

    pub fn month(&self) -> Month {
        let (year, month, _) = civil_from_days(self.0);
        Month { year, month }
    }

    /// Days from this day to `later` (negative when `later` is earlier).
    pub fn days_until(&self, later: Day) -> i64 {
        i64::from(later.0) - i64::from(self.0)
    }

    /// The day `days` later (or earlier, when negative); this day when that leaves the calendar.
    pub fn add_days(&self, days: i64) -> Self {
        i64::from(self.0)
            .checked_add(days)
            .filter(|d| (i64::from(MIN_DAYS)..=i64::from(MAX_DAYS)).contains(d))
            .and_then(|d| i32::try_from(d).ok())
            .map_or(*self, Day)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

/// `Day(2026-11-03)`, as the derived form over `time::Date` printed it.
impl fmt::Debug for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Day").field(&format_args!("{self}")).finish()
    }
}

/// A year in four digits, with a minus sign before the year 0.
struct Year(i32);

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{:04}", self.0.unsigned_abs())
    }
}

/// `[+-]yyyy-mm-dd` and nothing more.
fn parse_iso(value: &[u8]) -> Option<Day> {
    let (negative, rest) = match value {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, value),
    };
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = rest else {
        return None;
    };
    let year = i32::try_from(digits(&[*y0, *y1, *y2, *y3])?).ok()?;
    let month = u8::try_from(digits(&[*m0, *m1])?).ok()?;
    let day = u8::try_from(digits(&[*d0, *d1])?).ok()?;
    ymd(if negative { -year } else { year }, month, day)
}

/// The value of a run of ASCII digits.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0_u32, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

fn ymd(year: i32, month: u8, day: u8) -> Option<Day> {
    let valid = (MIN_YEAR..=MAX_YEAR).contains(&year)
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day);
    valid.then(|| Day(days_from_civil(year, month, day)))
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's `days_from_civil` and `civil_from_days`
// (https://howardhinnant.github.io/date_algorithms.html): the proleptic Gregorian calendar
// counted in 400-year eras of 146,097 days, with years starting in March so that the leap day
// comes last.

/// Days since 1970-01-01 of a valid date.
const fn days_from_civil(year: i32, month: u8, day: u8) -> i32 {
    let month = month as i32;
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day as i32 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// (year, month, day) of a count of days since 1970-01-01.
fn civil_from_days(days: i32) -> (i32, u8, u8) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    // Both are small and positive by construction: 1..=31 and 1..=12.
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u8;
    let month = (if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    }) as u8;
    let year = year_of_era + era * 400 + i32::from(month <= 2);
    (year, month, day)
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

    /// The last day of the month.
    pub fn last_day(&self) -> Day {
        self.next().first_day().add_days(-1)
    }

    pub fn first_day(&self) -> Day {
        Day::from_ymd(self.year, self.month, 1).unwrap_or(Day(MIN_DAYS))
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
        assert_eq!(Day::clock_vi(day.noon_timestamp()), "12:00");
        assert_eq!(Day::clock_vi(1_795_377_600 + 3 * 60), "03:03");
    }

    #[test]
    fn days_count_the_proleptic_gregorian_calendar() {
        for (iso, days) in [
            ("1970-01-01", 0),
            ("1969-12-31", -1),
            ("2000-02-29", 11_016),
            ("2026-11-23", 20_780),
            ("0000-03-01", -719_468),
            ("-0001-12-31", -719_529),
            ("-9999-01-01", MIN_DAYS),
            ("9999-12-31", MAX_DAYS),
        ] {
            let day = Day::parse(iso).expect(iso);
            assert_eq!((day.0, day.iso()), (days, iso.to_owned()));
            assert_eq!(Day::from_timestamp(day.noon_timestamp()), day);
        }
        assert_eq!(MAX_DAYS, 2_932_896);
        assert_eq!(Day::parse("+2026-11-03"), Day::from_ymd(2026, 11, 3));
        assert_eq!(format!("{:?}", Day(0)), "Day(1970-01-01)");
        for bad in [
            "1900-02-29",
            "2026-04-31",
            "2026-00-10",
            "2026-11-00",
            "2026-11-3",
            "2026-11-03 ",
        ] {
            assert!(Day::parse(bad).is_err(), "{bad}");
        }
        assert!(Day::parse("2000-02-29").is_ok());
    }

    #[test]
    fn days_stay_in_the_calendar() {
        assert_eq!(Day::from_timestamp(i64::MIN).0, MIN_DAYS);
        assert_eq!(Day::from_timestamp(i64::MAX).0, MAX_DAYS);
        let last = Day(MAX_DAYS);
        assert_eq!(last.add_days(1), last);
        assert_eq!(last.add_days(-1).iso(), "9999-12-30");
        assert_eq!(Day(0).add_days(59).iso(), "1970-03-01");
        assert_eq!(Day(0).add_days(i64::MIN), Day(0));
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
