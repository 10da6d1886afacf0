//! Subsidy applications (快申快享): the states an application goes through and the one pure
//! function that decides whether a step is allowed, plus the validation of amounts people type.
//!
//! ```text
//! submitted ──review──> reviewing ──approve(amount)──> approved ──disburse──> disbursed ──reverse──> reversed
//!     │                     │  └──reject(reason)──> rejected <──reject(reason)── approved (releases the reservation)
//!     ├──approve / reject───┘
//!     └──withdraw (also from reviewing)──> withdrawn
//! ```
//!
//! Invariants: an approval carries a positive amount; a rejection carries a non-empty reason;
//! only an approved application is disbursed and only a disbursed one reversed, so the store's
//! guarded state update (`WHERE state = 'approved'`) is enough to pay each application once.

use crate::Money;
use crate::error::Invalid;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubsidyState {
    /// 已申报: filed by the enterprise (or by staff, or by a 免申即享 confirmation).
    Submitted,
    /// 审核中: a reviewer took it up.
    Reviewing,
    /// 已批准: amount fixed, budget reserved, waiting for payment.
    Approved,
    /// 未通过: refused with a reason (also an approval withdrawn before payment).
    Rejected,
    /// 已撤回: withdrawn by the applicant before a decision.
    Withdrawn,
    /// 已兑付: paid; a ledger entry exists.
    Disbursed,
    /// 已冲正: the payment was reversed by a correcting ledger entry.
    Reversed,
}

impl SubsidyState {
    pub const ALL: [SubsidyState; 7] = [
        SubsidyState::Submitted,
        SubsidyState::Reviewing,
        SubsidyState::Approved,
        SubsidyState::Rejected,
        SubsidyState::Withdrawn,
        SubsidyState::Disbursed,
        SubsidyState::Reversed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubsidyState::Submitted => "submitted",
            SubsidyState::Reviewing => "reviewing",
            SubsidyState::Approved => "approved",
            SubsidyState::Rejected => "rejected",
            SubsidyState::Withdrawn => "withdrawn",
            SubsidyState::Disbursed => "disbursed",
            SubsidyState::Reversed => "reversed",
        }
    }

    pub fn parse(s: &str) -> Option<SubsidyState> {
        SubsidyState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            SubsidyState::Submitted => "已申报",
            SubsidyState::Reviewing => "审核中",
            SubsidyState::Approved => "已批准",
            SubsidyState::Rejected => "未通过",
            SubsidyState::Withdrawn => "已撤回",
            SubsidyState::Disbursed => "已兑付",
            SubsidyState::Reversed => "已冲正",
        }
    }

    /// Still waiting for a decision.
    pub fn is_pending(self) -> bool {
        matches!(self, SubsidyState::Submitted | SubsidyState::Reviewing)
    }
}

/// A step on an application.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SubsidyAction {
    Review,
    Approve { amount_fen: i64 },
    Reject { reason: String },
    Withdraw,
    Disburse,
    Reverse,
}

impl SubsidyAction {
    pub fn name(&self) -> &'static str {
        match self {
            SubsidyAction::Review => "review",
            SubsidyAction::Approve { .. } => "approve",
            SubsidyAction::Reject { .. } => "reject",
            SubsidyAction::Withdraw => "withdraw",
            SubsidyAction::Disburse => "disburse",
            SubsidyAction::Reverse => "reverse",
        }
    }
}

/// The state after `action`, or why the step is refused: `subsidy_wrong_state`,
/// `amount_not_positive`, `reason_required`.
pub fn transition(from: SubsidyState, action: &SubsidyAction) -> Result<SubsidyState, Invalid> {
    use SubsidyAction as A;
    use SubsidyState as S;
    let to = match (from, action) {
        (S::Submitted, A::Review) => S::Reviewing,
        (S::Submitted | S::Reviewing, A::Approve { amount_fen }) => {
            if *amount_fen <= 0 {
                return Err(Invalid::new(
                    "amount_not_positive",
                    "批准金额必须大于零",
                    "the approved amount must be positive",
                ));
            }
            S::Approved
        }
        (S::Submitted | S::Reviewing | S::Approved, A::Reject { reason }) => {
            if reason.trim().is_empty() {
                return Err(Invalid::new(
                    "reason_required",
                    "驳回必须填写理由",
                    "a rejection needs a reason",
                ));
            }
            S::Rejected
        }
        (S::Submitted | S::Reviewing, A::Withdraw) => S::Withdrawn,
        (S::Approved, A::Disburse) => S::Disbursed,
        (S::Disbursed, A::Reverse) => S::Reversed,
        _ => {
            return Err(Invalid::new(
                "subsidy_wrong_state",
                format!("申报处于“{}”状态，不能执行此操作", from.label_zh()),
                format!(
                    "the application is {}; '{}' is not allowed",
                    from.as_str(),
                    action.name()
                ),
            ));
        }
    };
    Ok(to)
}

/// An amount as typed (元, e.g. `"12,345.67"`, `"30万"`) → fen. Refused: `money_format`,
/// `money_precision` (more than two decimals of 元), `amount_negative`, `amount_not_positive`.
pub fn parse_amount(s: &str) -> Result<i64, Invalid> {
    let m = Money::from_yuan_str(s)?;
    check_amount(m.0)
}

/// A fen amount for an application or approval: must be positive.
pub fn check_amount(fen: i64) -> Result<i64, Invalid> {
    if fen < 0 {
        return Err(Invalid::new(
            "amount_negative",
            "金额不能为负数",
            "the amount must not be negative",
        ));
    }
    if fen == 0 {
        return Err(Invalid::new(
            "amount_not_positive",
            "金额必须大于零",
            "the amount must be positive",
        ));
    }
    Ok(fen)
}

/// The request key of the payout of one application, as the batch payout derives it: a rerun
/// after a crash asks for the same key, so a payout that committed is found, not repeated.
pub fn payout_key(application_id: i64) -> String {
    format!("payout:{application_id}")
}

/// The policy document (文件, with its 文号) a legal reference cites: the text before the first
/// article marker `第…条`, trimmed. `"杭高新〔2025〕3号 第五条"` → `"杭高新〔2025〕3号"`. A reference
/// without an article is its own document; an empty one gives `""`.
pub fn policy_document(legal_ref: &str) -> &str {
    const NUMERALS: &str = "一二三四五六七八九十百零〇0123456789";
    let t = legal_ref.trim();
    let is_article = |rest: &str| {
        let mut chars = rest.chars().skip(1).peekable();
        let mut digits = 0;
        while let Some(c) = chars.peek() {
            if NUMERALS.contains(*c) {
                digits += 1;
                chars.next();
            } else {
                break;
            }
        }
        digits > 0 && chars.next() == Some('条')
    };
    let cut = t
        .char_indices()
        .find(|(i, c)| *c == '第' && is_article(&t[*i..]))
        .map(|(i, _)| i);
    match cut {
        Some(0) | None => t,
        Some(i) => t[..i].trim_end(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubsidyAction as A;
    use SubsidyState as S;

    #[test]
    fn the_happy_path_runs_from_submitted_to_reversed() {
        let mut s = S::Submitted;
        for a in [
            A::Review,
            A::Approve { amount_fen: 100 },
            A::Disburse,
            A::Reverse,
        ] {
            s = transition(s, &a).unwrap();
        }
        assert_eq!(s, S::Reversed);
    }

    #[test]
    fn only_an_approved_application_is_disbursed() {
        for s in S::ALL {
            assert_eq!(
                transition(s, &A::Disburse).is_ok(),
                s == S::Approved,
                "{s:?}"
            );
        }
        let e = transition(S::Disbursed, &A::Disburse).unwrap_err();
        assert_eq!(e.code, "subsidy_wrong_state");
    }

    #[test]
    fn a_rejection_needs_a_reason_and_an_approval_a_positive_amount() {
        assert_eq!(
            transition(
                S::Reviewing,
                &A::Reject {
                    reason: "  ".into()
                }
            )
            .unwrap_err()
            .code,
            "reason_required"
        );
        assert_eq!(
            transition(S::Reviewing, &A::Approve { amount_fen: 0 })
                .unwrap_err()
                .code,
            "amount_not_positive"
        );
        assert_eq!(
            transition(
                S::Submitted,
                &A::Reject {
                    reason: "材料不全".into()
                }
            )
            .unwrap(),
            S::Rejected
        );
    }

    #[test]
    fn decided_applications_cannot_be_withdrawn_or_decided_again() {
        for s in [
            S::Approved,
            S::Rejected,
            S::Withdrawn,
            S::Disbursed,
            S::Reversed,
        ] {
            assert!(transition(s, &A::Withdraw).is_err());
            assert!(transition(s, &A::Approve { amount_fen: 1 }).is_err());
            assert!(transition(s, &A::Review).is_err());
        }
    }

    #[test]
    fn an_approval_can_be_revoked_with_a_reason_until_it_is_paid() {
        let r = A::Reject {
            reason: "企业主动放弃".into(),
        };
        assert_eq!(transition(S::Approved, &r).unwrap(), S::Rejected);
        assert!(transition(S::Disbursed, &r).is_err());
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("paid"), None);
    }

    #[test]
    fn amounts_with_three_decimals_or_a_minus_sign_are_refused() {
        assert_eq!(parse_amount("12.345").unwrap_err().code, "money_precision");
        assert_eq!(parse_amount("-5").unwrap_err().code, "amount_negative");
        assert_eq!(parse_amount("0").unwrap_err().code, "amount_not_positive");
        assert_eq!(parse_amount("30万").unwrap(), 30_000_000);
        assert_eq!(parse_amount("1,234.5").unwrap(), 123_450);
    }

    #[test]
    fn a_legal_reference_names_its_document_before_the_article() {
        assert_eq!(
            policy_document("杭高新〔2025〕3号（示例） 第四条"),
            "杭高新〔2025〕3号（示例）"
        );
        assert_eq!(
            policy_document("区政策〔2024〕2号第六条第一款"),
            "区政策〔2024〕2号"
        );
        assert_eq!(policy_document(" 浙政办〔2023〕9号 "), "浙政办〔2023〕9号");
        assert_eq!(policy_document("第五条"), "第五条");
        assert_eq!(policy_document("人才新政第一批 第十二条"), "人才新政第一批");
        assert_eq!(policy_document(""), "");
    }
}
