//! The service loop's three rates (响应率, 解决率, 满意率), the pure part of the service figures
//! (服务成效; the counting is `store::service_figures`, the report `app::service_figures`).
//!
//! Rate definitions (fractions 0–1, `None` when there is nothing to measure, never NaN):
//! * **响应率 response rate** = orders accepted within the acceptance limit ÷ orders received in the
//!   period that were not withdrawn before acceptance. An enterprise cancelling a request within
//!   minutes should not count against the centre; anything accepted late or never accepted does.
//! * **解决率 resolution rate** = orders solved ÷ orders received excluding all withdrawn ones. "Solved"
//!   is decided by the caller from the order's current state: answered or resolved and not reopened
//!   since ([`crate::order::OrderState::is_handled`]). Withdrawn orders leave the denominator
//!   because nobody can solve a request its author took back.
//! * **满意率 satisfaction rate** = (满意 + 基本满意) ÷ all callbacks in the period. Every callback
//!   counts, including the unsatisfied one that reopened an order and the later callback on the
//!   redone work: an unsatisfied answer must stay visible against the department.

use crate::order::Satisfaction;

/// The counts behind the three rates, over one period and scope (team, department, chain, zone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateCounts {
    /// Orders registered in the period.
    pub received: u64,
    /// Of those, withdrawn before being accepted.
    pub withdrawn_before_acceptance: u64,
    /// Of those, withdrawn at any point (includes the above).
    pub withdrawn: u64,
    /// Of those not withdrawn, accepted within the acceptance limit.
    pub accepted_in_time: u64,
    /// Of those not withdrawn, currently answered or resolved and not reopened since.
    pub solved: u64,
    /// Callbacks made in the period, by rating.
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
}

impl RateCounts {
    /// Adds one callback rating.
    pub fn add_callback(&mut self, rating: Satisfaction) {
        match rating {
            Satisfaction::Satisfied => self.satisfied += 1,
            Satisfaction::BasicallySatisfied => self.basically_satisfied += 1,
            Satisfaction::Unsatisfied => self.unsatisfied += 1,
        }
    }

    pub fn callbacks(&self) -> u64 {
        self.satisfied + self.basically_satisfied + self.unsatisfied
    }

    /// (numerator, denominator) of the response rate.
    pub fn response(&self) -> (u64, u64) {
        (
            self.accepted_in_time,
            self.received
                .saturating_sub(self.withdrawn_before_acceptance),
        )
    }

    /// (numerator, denominator) of the resolution rate.
    pub fn resolution(&self) -> (u64, u64) {
        (self.solved, self.received.saturating_sub(self.withdrawn))
    }

    /// (numerator, denominator) of the satisfaction rate.
    pub fn satisfaction(&self) -> (u64, u64) {
        (self.satisfied + self.basically_satisfied, self.callbacks())
    }
}

/// The three rates as fractions 0–1; `None` when the denominator is zero.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Rates {
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

fn fraction((num, den): (u64, u64)) -> Option<f64> {
    if den == 0 {
        None
    } else {
        // Clamped: inconsistent counts from a caller must not show 130 %.
        Some((num as f64 / den as f64).clamp(0.0, 1.0))
    }
}

/// The three rates from their counts (definitions in the module header).
pub fn rates(c: &RateCounts) -> Rates {
    Rates {
        response_rate: fraction(c.response()),
        resolution_rate: fraction(c.resolution()),
        satisfaction_rate: fraction(c.satisfaction()),
    }
}

/// `87.5%`, or `—` when there is nothing to measure.
pub fn format_rate(r: Option<f64>) -> String {
    match r {
        Some(v) => {
            let s = format!("{:.1}", v * 100.0);
            let s = s.strip_suffix(".0").unwrap_or(&s);
            format!("{s}%")
        }
        None => "—".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_the_documented_definitions() {
        let mut c = RateCounts {
            received: 10,
            withdrawn_before_acceptance: 2,
            withdrawn: 3,
            accepted_in_time: 6,
            solved: 5,
            ..RateCounts::default()
        };
        for r in [
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::BasicallySatisfied,
            Satisfaction::Unsatisfied,
        ] {
            c.add_callback(r);
        }
        let r = rates(&c);
        assert_eq!(r.response_rate, Some(6.0 / 8.0));
        assert_eq!(r.resolution_rate, Some(5.0 / 7.0));
        assert_eq!(r.satisfaction_rate, Some(0.75));
    }

    #[test]
    fn rates_with_nothing_to_measure_are_none_not_nan() {
        let r = rates(&RateCounts::default());
        assert_eq!(r.response_rate, None);
        assert_eq!(r.resolution_rate, None);
        assert_eq!(r.satisfaction_rate, None);
        assert_eq!(format_rate(r.response_rate), "—");
        assert_eq!(format_rate(Some(0.875)), "87.5%");
        assert_eq!(format_rate(Some(1.0)), "100%");
    }
}
