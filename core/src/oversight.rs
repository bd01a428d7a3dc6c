//! What district staff watch for, decided once here so that every view, export and printout
//! counts alike: which households are gaps, whose monthly report is due, how old a flag is.

use crate::date::{Day, Month};
use crate::docs::report::ReportState;
use crate::domain::{FlagStatus, MemberStatus};
use crate::lang::{Label, Lang};

/// A household with no visit in this many months up to the month looked at (that month
/// included) is a gap: "chưa được thăm từ 2 tháng trở lên".
pub const GAP_MONTHS: u8 = 2;

/// The months a household needs a visit in, looking at `month`, not to be a gap: the first
/// and the last, inclusive.
pub fn gap_window(month: Month) -> (Month, Month) {
    let mut first = month;
    for _ in 1..GAP_MONTHS {
        first = first.previous();
    }
    (first, month)
}

/// The twelve months a trend chart shows, ending with `month`, oldest first.
pub fn trend_months(month: Month) -> Vec<Month> {
    let mut months = vec![month];
    for _ in 1..12 {
        let earlier = months[months.len() - 1].previous();
        months.push(earlier);
    }
    months.reverse();
    months
}

/// Members exempt from activities owe no monthly report; members working away still report,
/// which is how they stay connected to their cell.
pub fn owes_monthly_report(status: &MemberStatus) -> bool {
    !matches!(status, MemberStatus::Exempt { .. })
}

/// A flag still needs someone's action unless it is resolved.
pub fn flag_is_open(status: FlagStatus) -> bool {
    status != FlagStatus::Resolved
}

/// The statuses of open flags, by [`flag_is_open`], for a query to bind rather than restate.
pub fn open_flag_statuses() -> Vec<FlagStatus> {
    FlagStatus::ALL
        .iter()
        .copied()
        .filter(|s| flag_is_open(*s))
        .collect()
}

/// A member's report for the month is missing when they owe one and have not handed it in; a
/// draft is still missing.
pub fn report_is_missing(status: &MemberStatus, report: ReportState) -> bool {
    owes_monthly_report(status) && report != ReportState::HandedIn
}

/// How long a flag has been open, in the brackets the overview counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlagAge {
    UnderAWeek,
    UnderAMonth,
    UnderThreeMonths,
    Older,
}

impl FlagAge {
    pub const ALL: [FlagAge; 4] = [
        FlagAge::UnderAWeek,
        FlagAge::UnderAMonth,
        FlagAge::UnderThreeMonths,
        FlagAge::Older,
    ];

    /// The bracket of a flag raised on `raised_on`, seen on `today`.
    pub fn of(raised_on: Day, today: Day) -> FlagAge {
        match raised_on.days_until(today) {
            ..7 => FlagAge::UnderAWeek,
            7..30 => FlagAge::UnderAMonth,
            30..91 => FlagAge::UnderThreeMonths,
            _ => FlagAge::Older,
        }
    }

    /// The earliest day a flag may have been raised on, seen on `today`, to fall in each of the
    /// first three brackets; anything earlier is [`FlagAge::Older`]. Lets a database count the
    /// brackets without reading every flag.
    pub fn earliest_raised_on(today: Day) -> [Day; 3] {
        [today.add_days(-6), today.add_days(-29), today.add_days(-90)]
    }

    /// What a reader of `lang` reads.
    pub fn label(self, lang: Lang) -> &'static str {
        let (vi, en) = match self {
            FlagAge::UnderAWeek => ("dưới 7 ngày", "under 7 days"),
            FlagAge::UnderAMonth => ("7–29 ngày", "7–29 days"),
            FlagAge::UnderThreeMonths => ("1–3 tháng", "1–3 months"),
            FlagAge::Older => ("trên 3 tháng", "over 3 months"),
        };
        Label { vi, en }.get(lang)
    }
}

/// Coverage as Vietnamese paperwork writes a share: "49,72%"; "–" when nothing is assigned.
pub fn percent_vi(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_owned();
    }
    let hundredths = (part * 10_000 + whole / 2) / whole;
    format!("{},{:02}%", hundredths / 100, hundredths % 100)
}

/// A count with a dot between thousands: "4.883".
pub fn number_vi(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(s: &str) -> Month {
        Month::parse(s).expect("valid month")
    }

    fn day(s: &str) -> Day {
        Day::parse(s).expect("valid day")
    }

    #[test]
    fn the_gap_window_is_this_month_and_the_one_before() {
        assert_eq!(
            gap_window(month("2026-01")),
            (month("2025-12"), month("2026-01"))
        );
        let trend = trend_months(month("2026-11"));
        assert_eq!(trend.len(), 12);
        assert_eq!(trend[0], month("2025-12"));
        assert_eq!(trend[11], month("2026-11"));
    }

    #[test]
    fn flags_fall_in_age_brackets() {
        let today = day("2026-11-23");
        assert_eq!(FlagAge::of(day("2026-11-23"), today), FlagAge::UnderAWeek);
        assert_eq!(FlagAge::of(day("2026-11-16"), today), FlagAge::UnderAMonth);
        assert_eq!(
            FlagAge::of(day("2026-10-24"), today),
            FlagAge::UnderThreeMonths
        );
        assert_eq!(FlagAge::of(day("2026-08-01"), today), FlagAge::Older);
        let earliest = FlagAge::earliest_raised_on(today);
        for (bracket, first) in FlagAge::ALL.iter().zip(earliest) {
            assert_eq!(FlagAge::of(first, today), *bracket);
            assert!(FlagAge::of(first.add_days(-1), today) > *bracket);
        }
        // A phone with its clock ahead may date a flag tomorrow.
        assert_eq!(FlagAge::of(day("2026-11-25"), today), FlagAge::UnderAWeek);
    }

    #[test]
    fn exempt_members_owe_no_report_but_those_working_away_do() {
        assert!(owes_monthly_report(&MemberStatus::Active));
        assert!(owes_monthly_report(&MemberStatus::WorkingAway {
            place: "Bình Dương".into()
        }));
        assert!(!owes_monthly_report(&MemberStatus::Exempt {
            reason: "tuổi cao".into()
        }));
        assert!(flag_is_open(FlagStatus::Escalated));
        assert!(!flag_is_open(FlagStatus::Resolved));
        assert_eq!(
            open_flag_statuses(),
            [FlagStatus::Open, FlagStatus::Escalated]
        );
        let away = MemberStatus::WorkingAway {
            place: "Bình Dương".into(),
        };
        let exempt = MemberStatus::Exempt {
            reason: "tuổi cao".into(),
        };
        for &state in ReportState::ALL {
            let handed_in = state == ReportState::HandedIn;
            assert_eq!(report_is_missing(&MemberStatus::Active, state), !handed_in);
            assert_eq!(report_is_missing(&away, state), !handed_in);
            assert!(!report_is_missing(&exempt, state));
        }
    }

    #[test]
    fn numbers_are_written_the_vietnamese_way() {
        assert_eq!(percent_vi(4972, 10_000), "49,72%");
        assert_eq!(percent_vi(1, 3), "33,33%");
        assert_eq!(percent_vi(0, 0), "–");
        assert_eq!(number_vi(4883), "4.883");
        assert_eq!(number_vi(1_234_567), "1.234.567");
        assert_eq!(number_vi(12), "12");
        assert_eq!(number_vi(-1000), "-1.000");
    }
}
