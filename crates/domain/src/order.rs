//! The work-order (诉求/堵点) state machine, following the national 12345 loop:
//! 登记 → 受理 → 交办 → 办理中 → 已答复/办结 → 回访 → 关闭.
//!
//! Side roads: 退回 (the department says it is the wrong one; the centre re-dispatches), 挂起 (the SLA
//! clock stops while waiting on the enterprise or a third party; resuming returns to the state the
//! order left), 延期 (an extension request that is pending, approved or refused, kept beside the
//! main state), 督办 (a supervision level that only goes up), 撤回 (withdrawn with a reason;
//! terminal), and 重办 (reopen: an unsatisfied callback, or an explicit reopen, sends the order back
//! to 办理中 at the same department and counts against it).
//!
//! Who may perform which action is decided in the app layer. This module only knows whether an
//! action makes sense in a state, and [`allowed_actions`] and [`apply`] share one table
//! ([`permits`]) so the buttons shown and the transitions accepted never disagree.
//!
//! Direct answers: the centre may reply or resolve an order straight after accepting it (直接办结),
//! without dispatching. A replied or resolved order may be closed without a callback when the
//! enterprise cannot be reached, and a closed order may still receive its callback later (an
//! enterprise rating its own order); an unsatisfied one reopens it.

use crate::error::Invalid;

/// Largest number of working days one extension request may ask for.
pub const MAX_EXTENSION_DAYS: u32 = 60;
/// Highest supervision (督办) level.
pub const MAX_SUPERVISION_LEVEL: u8 = 9;

/// Main state of a work order. The string forms are stored and are part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// 登记: written down, not yet looked at.
    Registered,
    /// 受理: accepted as a valid request.
    Accepted,
    /// 交办: assigned to a lead department, not yet signed for.
    Dispatched,
    /// 办理中: the department is working on it.
    InProgress,
    /// 已答复: answered (an inquiry, or an explanation why it cannot be done).
    Replied,
    /// 办结: solved.
    Resolved,
    /// 已回访: the enterprise was called back and is (basically) satisfied.
    CallbackDone,
    /// 已关闭.
    Closed,
    /// 已退回: the department returned it as not theirs; waiting for re-dispatch.
    Returned,
    /// 挂起: waiting on the enterprise or a third party; the SLA clock is stopped.
    Suspended,
    /// 已撤回: withdrawn with a reason. Terminal.
    Withdrawn,
}

impl OrderState {
    pub const ALL: [OrderState; 11] = [
        OrderState::Registered,
        OrderState::Accepted,
        OrderState::Dispatched,
        OrderState::InProgress,
        OrderState::Replied,
        OrderState::Resolved,
        OrderState::CallbackDone,
        OrderState::Closed,
        OrderState::Returned,
        OrderState::Suspended,
        OrderState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Registered => "registered",
            OrderState::Accepted => "accepted",
            OrderState::Dispatched => "dispatched",
            OrderState::InProgress => "in_progress",
            OrderState::Replied => "replied",
            OrderState::Resolved => "resolved",
            OrderState::CallbackDone => "callback_done",
            OrderState::Closed => "closed",
            OrderState::Returned => "returned",
            OrderState::Suspended => "suspended",
            OrderState::Withdrawn => "withdrawn",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OrderState::Registered => "已登记",
            OrderState::Accepted => "已受理",
            OrderState::Dispatched => "已交办",
            OrderState::InProgress => "办理中",
            OrderState::Replied => "已答复",
            OrderState::Resolved => "已办结",
            OrderState::CallbackDone => "已回访",
            OrderState::Closed => "已关闭",
            OrderState::Returned => "已退回",
            OrderState::Suspended => "已挂起",
            OrderState::Withdrawn => "已撤回",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            OrderState::Registered => "Registered",
            OrderState::Accepted => "Accepted",
            OrderState::Dispatched => "Dispatched",
            OrderState::InProgress => "In progress",
            OrderState::Replied => "Replied",
            OrderState::Resolved => "Resolved",
            OrderState::CallbackDone => "Called back",
            OrderState::Closed => "Closed",
            OrderState::Returned => "Returned",
            OrderState::Suspended => "Suspended",
            OrderState::Withdrawn => "Withdrawn",
        }
    }

    pub fn parse(s: &str) -> Result<OrderState, Invalid> {
        let t = s.trim();
        OrderState::ALL
            .into_iter()
            .find(|st| st.as_str() == t || st.label_zh() == t)
            .ok_or_else(|| {
                Invalid::new(
                    "order_state_unknown",
                    format!("未知工单状态“{s}”"),
                    format!("unknown order state '{s}'"),
                )
            })
    }

    /// Still being handled: the SLA clock runs (unless suspended) and escalation applies.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderState::Registered
                | OrderState::Accepted
                | OrderState::Dispatched
                | OrderState::InProgress
                | OrderState::Returned
                | OrderState::Suspended
        )
    }

    /// Handled: answered or solved, whether or not called back or closed. Used by the rates.
    pub fn is_handled(self) -> bool {
        matches!(
            self,
            OrderState::Replied
                | OrderState::Resolved
                | OrderState::CallbackDone
                | OrderState::Closed
        )
    }
}

/// Urgency of a request; selects the SLA limit together with the category.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Normal,
    Urgent,
}

impl Urgency {
    pub const ALL: [Urgency; 2] = [Urgency::Normal, Urgency::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::Urgent => "urgent",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Urgency::Normal => "一般",
            Urgency::Urgent => "紧急",
        }
    }

    pub fn parse(s: &str) -> Result<Urgency, Invalid> {
        match s.trim() {
            "normal" | "一般" => Ok(Urgency::Normal),
            "urgent" | "紧急" => Ok(Urgency::Urgent),
            other => Err(Invalid::new(
                "urgency_unknown",
                format!("未知紧急程度“{other}”（一般/紧急）"),
                format!("unknown urgency '{other}' (normal/urgent)"),
            )),
        }
    }
}

/// The enterprise's answer in a callback (回访).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意: reopens the order.
    Unsatisfied,
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 3] = [
        Satisfaction::Satisfied,
        Satisfaction::BasicallySatisfied,
        Satisfaction::Unsatisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Unsatisfied => "unsatisfied",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "满意",
            Satisfaction::BasicallySatisfied => "基本满意",
            Satisfaction::Unsatisfied => "不满意",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "Satisfied",
            Satisfaction::BasicallySatisfied => "Basically satisfied",
            Satisfaction::Unsatisfied => "Unsatisfied",
        }
    }

    pub fn parse(s: &str) -> Result<Satisfaction, Invalid> {
        let t = s.trim();
        Satisfaction::ALL
            .into_iter()
            .find(|r| r.as_str() == t || r.label_zh() == t)
            .ok_or_else(|| {
                Invalid::new(
                    "satisfaction_unknown",
                    format!("未知评价“{s}”（满意/基本满意/不满意）"),
                    format!("unknown rating '{s}' (satisfied/basically_satisfied/unsatisfied)"),
                )
            })
    }

    /// Counts towards the satisfaction rate's numerator (满意 + 基本满意).
    pub fn is_positive(self) -> bool {
        !matches!(self, Satisfaction::Unsatisfied)
    }
}

/// Where an extension (延期) request stands. Kept beside the main state, which it never changes.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ExtensionStatus {
    #[default]
    None,
    Pending {
        days: u32,
        reason: String,
    },
    Approved {
        days: u32,
    },
    Refused {
        reason: String,
    },
}

/// Everything the state machine needs to know about an order. The store keeps these fields on the
/// order row; ids, texts and times live elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderSnapshot {
    pub state: OrderState,
    /// The state a suspended order returns to; `Some` exactly when `state` is `Suspended`.
    pub resume_to: Option<OrderState>,
    /// Lead department (a registry code or name), once dispatched.
    pub department: Option<String>,
    /// The latest extension request and its outcome.
    pub extension: ExtensionStatus,
    /// Working days granted by all approved extensions together.
    pub extension_days: u32,
    /// 督办 level: 0 = not supervised.
    pub supervision_level: u8,
    /// Times reopened (by an unsatisfied callback or explicitly); counts against the department.
    pub reopen_count: u32,
    /// Times returned by a department as not theirs.
    pub return_count: u32,
    /// The latest callback rating, if any.
    pub rating: Option<Satisfaction>,
}

impl OrderSnapshot {
    /// A freshly registered order.
    pub fn new() -> OrderSnapshot {
        OrderSnapshot {
            state: OrderState::Registered,
            resume_to: None,
            department: None,
            extension: ExtensionStatus::None,
            extension_days: 0,
            supervision_level: 0,
            reopen_count: 0,
            return_count: 0,
            rating: None,
        }
    }

    /// Supervised (督办) at any level.
    pub fn is_supervised(&self) -> bool {
        self.supervision_level > 0
    }
}

impl Default for OrderSnapshot {
    fn default() -> Self {
        OrderSnapshot::new()
    }
}

/// Something a user (or a job) asks to do to an order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OrderAction {
    Accept,
    Dispatch {
        department: String,
    },
    Start,
    Reply {
        text: String,
    },
    Resolve {
        text: String,
    },
    Return {
        reason: String,
    },
    Suspend {
        reason: String,
    },
    Resume,
    RequestExtension {
        days: u32,
        reason: String,
    },
    ApproveExtension,
    RefuseExtension {
        reason: String,
    },
    Supervise {
        #[cfg_attr(feature = "openapi", schema(maximum = 255))]
        level: u8,
    },
    Callback {
        rating: Satisfaction,
        comment: String,
    },
    Close,
    Withdraw {
        reason: String,
    },
    Reopen {
        reason: String,
    },
}

/// The kind of an [`OrderAction`] without its payload: for buttons and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Accept,
    Dispatch,
    Start,
    Reply,
    Resolve,
    Return,
    Suspend,
    Resume,
    RequestExtension,
    ApproveExtension,
    RefuseExtension,
    Supervise,
    Callback,
    Close,
    Withdraw,
    Reopen,
}

impl ActionKind {
    pub const ALL: [ActionKind; 16] = [
        ActionKind::Accept,
        ActionKind::Dispatch,
        ActionKind::Start,
        ActionKind::Reply,
        ActionKind::Resolve,
        ActionKind::Return,
        ActionKind::Suspend,
        ActionKind::Resume,
        ActionKind::RequestExtension,
        ActionKind::ApproveExtension,
        ActionKind::RefuseExtension,
        ActionKind::Supervise,
        ActionKind::Callback,
        ActionKind::Close,
        ActionKind::Withdraw,
        ActionKind::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Accept => "accept",
            ActionKind::Dispatch => "dispatch",
            ActionKind::Start => "start",
            ActionKind::Reply => "reply",
            ActionKind::Resolve => "resolve",
            ActionKind::Return => "return",
            ActionKind::Suspend => "suspend",
            ActionKind::Resume => "resume",
            ActionKind::RequestExtension => "request_extension",
            ActionKind::ApproveExtension => "approve_extension",
            ActionKind::RefuseExtension => "refuse_extension",
            ActionKind::Supervise => "supervise",
            ActionKind::Callback => "callback",
            ActionKind::Close => "close",
            ActionKind::Withdraw => "withdraw",
            ActionKind::Reopen => "reopen",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ActionKind::Accept => "受理",
            ActionKind::Dispatch => "交办",
            ActionKind::Start => "签收办理",
            ActionKind::Reply => "答复",
            ActionKind::Resolve => "办结",
            ActionKind::Return => "退回",
            ActionKind::Suspend => "挂起",
            ActionKind::Resume => "恢复办理",
            ActionKind::RequestExtension => "申请延期",
            ActionKind::ApproveExtension => "批准延期",
            ActionKind::RefuseExtension => "驳回延期",
            ActionKind::Supervise => "督办",
            ActionKind::Callback => "回访",
            ActionKind::Close => "关闭",
            ActionKind::Withdraw => "撤回",
            ActionKind::Reopen => "重办",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ActionKind::Accept => "Accept",
            ActionKind::Dispatch => "Dispatch",
            ActionKind::Start => "Start",
            ActionKind::Reply => "Reply",
            ActionKind::Resolve => "Resolve",
            ActionKind::Return => "Return",
            ActionKind::Suspend => "Suspend",
            ActionKind::Resume => "Resume",
            ActionKind::RequestExtension => "Request extension",
            ActionKind::ApproveExtension => "Approve extension",
            ActionKind::RefuseExtension => "Refuse extension",
            ActionKind::Supervise => "Supervise",
            ActionKind::Callback => "Callback",
            ActionKind::Close => "Close",
            ActionKind::Withdraw => "Withdraw",
            ActionKind::Reopen => "Reopen",
        }
    }
}

impl OrderAction {
    pub fn kind(&self) -> ActionKind {
        match self {
            OrderAction::Accept => ActionKind::Accept,
            OrderAction::Dispatch { .. } => ActionKind::Dispatch,
            OrderAction::Start => ActionKind::Start,
            OrderAction::Reply { .. } => ActionKind::Reply,
            OrderAction::Resolve { .. } => ActionKind::Resolve,
            OrderAction::Return { .. } => ActionKind::Return,
            OrderAction::Suspend { .. } => ActionKind::Suspend,
            OrderAction::Resume => ActionKind::Resume,
            OrderAction::RequestExtension { .. } => ActionKind::RequestExtension,
            OrderAction::ApproveExtension => ActionKind::ApproveExtension,
            OrderAction::RefuseExtension { .. } => ActionKind::RefuseExtension,
            OrderAction::Supervise { .. } => ActionKind::Supervise,
            OrderAction::Callback { .. } => ActionKind::Callback,
            OrderAction::Close => ActionKind::Close,
            OrderAction::Withdraw { .. } => ActionKind::Withdraw,
            OrderAction::Reopen { .. } => ActionKind::Reopen,
        }
    }
}

/// What to write into the order's history for a transition. Stored as [`EventKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Accepted,
    Dispatched,
    /// Dispatched again after a return, or reassigned before sign-off (改派).
    Redispatched,
    Started,
    Replied,
    Resolved,
    Returned,
    Suspended,
    Resumed,
    ExtensionRequested,
    ExtensionApproved,
    ExtensionRefused,
    Supervised,
    /// A satisfied or basically satisfied callback.
    CalledBack,
    /// An unsatisfied callback that sent the order back to the department (退回重办).
    CallbackReopened,
    Closed,
    Withdrawn,
    Reopened,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Accepted => "accepted",
            EventKind::Dispatched => "dispatched",
            EventKind::Redispatched => "redispatched",
            EventKind::Started => "started",
            EventKind::Replied => "replied",
            EventKind::Resolved => "resolved",
            EventKind::Returned => "returned",
            EventKind::Suspended => "suspended",
            EventKind::Resumed => "resumed",
            EventKind::ExtensionRequested => "extension_requested",
            EventKind::ExtensionApproved => "extension_approved",
            EventKind::ExtensionRefused => "extension_refused",
            EventKind::Supervised => "supervised",
            EventKind::CalledBack => "called_back",
            EventKind::CallbackReopened => "callback_reopened",
            EventKind::Closed => "closed",
            EventKind::Withdrawn => "withdrawn",
            EventKind::Reopened => "reopened",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            EventKind::Accepted => "受理",
            EventKind::Dispatched => "交办",
            EventKind::Redispatched => "重新交办",
            EventKind::Started => "签收办理",
            EventKind::Replied => "答复",
            EventKind::Resolved => "办结",
            EventKind::Returned => "退回",
            EventKind::Suspended => "挂起",
            EventKind::Resumed => "恢复办理",
            EventKind::ExtensionRequested => "申请延期",
            EventKind::ExtensionApproved => "批准延期",
            EventKind::ExtensionRefused => "驳回延期",
            EventKind::Supervised => "督办",
            EventKind::CalledBack => "回访",
            EventKind::CallbackReopened => "回访不满意，退回重办",
            EventKind::Closed => "关闭",
            EventKind::Withdrawn => "撤回",
            EventKind::Reopened => "重办",
        }
    }
}

/// How a transition affects the SLA clock; the app turns this into stored pauses and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum ClockEffect {
    None,
    /// A pause starts now (挂起).
    Pause,
    /// The open pause ends now.
    Resume,
    /// The handling limit grows by this many working days (延期).
    Extend {
        days: u32,
    },
    /// The handling clock starts again from now (reopened orders get a fresh limit).
    Restart,
    /// The clock stops for good (answered, resolved, withdrawn); an open pause ends here too.
    Stop,
}

/// The outcome of a legal action.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Transition {
    pub snapshot: OrderSnapshot,
    pub event: EventKind,
    pub clock: ClockEffect,
}

fn refused(s: &OrderSnapshot, a: ActionKind, why_zh: &str, why_en: &str) -> Invalid {
    let (zh_tail, en_tail) = if why_zh.is_empty() {
        (String::new(), String::new())
    } else {
        (format!("：{why_zh}"), format!(": {why_en}"))
    };
    Invalid::new(
        "order_transition_refused",
        format!(
            "当前状态为“{}”，不能执行“{}”{zh_tail}",
            s.state.label_zh(),
            a.label_zh()
        ),
        format!(
            "the order is {}; cannot {}{en_tail}",
            s.state.label_en(),
            a.label_en().to_lowercase()
        ),
    )
}

fn required(text: &str, code: &'static str, zh: &str, en: &str) -> Result<String, Invalid> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Invalid::new(code, zh, en));
    }
    Ok(t.to_string())
}

/// Whether `kind` makes sense for an order in `s` (ignoring the action's payload). The single
/// source of truth for both [`allowed_actions`] and [`apply`].
pub fn permits(s: &OrderSnapshot, kind: ActionKind) -> bool {
    use ActionKind as A;
    use OrderState as S;
    let pending = matches!(s.extension, ExtensionStatus::Pending { .. });
    match kind {
        A::Accept => s.state == S::Registered,
        A::Dispatch => matches!(s.state, S::Accepted | S::Dispatched | S::Returned),
        A::Start => s.state == S::Dispatched,
        A::Reply | A::Resolve => matches!(s.state, S::Accepted | S::InProgress),
        A::Return => matches!(s.state, S::Dispatched | S::InProgress),
        A::Suspend => matches!(s.state, S::Accepted | S::Dispatched | S::InProgress),
        A::Resume => s.state == S::Suspended,
        A::RequestExtension => s.state == S::InProgress && !pending,
        A::ApproveExtension | A::RefuseExtension => pending && s.state.is_open(),
        A::Supervise => s.state.is_open() && s.supervision_level < MAX_SUPERVISION_LEVEL,
        A::Callback => matches!(s.state, S::Replied | S::Resolved | S::Closed),
        A::Close => matches!(s.state, S::Replied | S::Resolved | S::CallbackDone),
        A::Withdraw => s.state.is_open(),
        A::Reopen => matches!(
            s.state,
            S::Replied | S::Resolved | S::CallbackDone | S::Closed
        ),
    }
}

/// The actions that make sense now, in a stable order, for UI buttons. Whether the current user may
/// perform them is the app's question.
pub fn allowed_actions(s: &OrderSnapshot) -> Vec<ActionKind> {
    ActionKind::ALL
        .into_iter()
        .filter(|k| permits(s, *k))
        .collect()
}

/// Applies `action` to an order in state `s`, or explains in both languages why it cannot be done.
pub fn apply(s: &OrderSnapshot, action: &OrderAction) -> Result<Transition, Invalid> {
    let kind = action.kind();
    if !permits(s, kind) {
        let (zh, en) = match kind {
            ActionKind::RequestExtension if s.state == OrderState::InProgress => (
                "已有待审批的延期申请",
                "an extension request is already pending",
            ),
            ActionKind::ApproveExtension | ActionKind::RefuseExtension if s.state.is_open() => {
                ("没有待审批的延期申请", "no extension request is pending")
            }
            ActionKind::Supervise if s.state.is_open() => (
                "已达到最高督办级别",
                "supervision is already at the highest level",
            ),
            _ => ("", ""),
        };
        return Err(refused(s, kind, zh, en));
    }
    let mut n = s.clone();
    let (event, clock) = match action {
        OrderAction::Accept => {
            n.state = OrderState::Accepted;
            (EventKind::Accepted, ClockEffect::None)
        }
        OrderAction::Dispatch { department } => {
            let dept = required(
                department,
                "order_department_required",
                "交办时必须指定承办部门",
                "a department is required to dispatch",
            )?;
            let event = if s.state == OrderState::Accepted {
                EventKind::Dispatched
            } else {
                EventKind::Redispatched
            };
            n.department = Some(dept);
            n.state = OrderState::Dispatched;
            (event, ClockEffect::None)
        }
        OrderAction::Start => {
            n.state = OrderState::InProgress;
            (EventKind::Started, ClockEffect::None)
        }
        OrderAction::Reply { text } | OrderAction::Resolve { text } => {
            required(
                text,
                "order_reply_required",
                "答复或办结时必须填写办理结果",
                "a reply text is required",
            )?;
            let resolved = matches!(action, OrderAction::Resolve { .. });
            n.state = if resolved {
                OrderState::Resolved
            } else {
                OrderState::Replied
            };
            if matches!(n.extension, ExtensionStatus::Pending { .. }) {
                n.extension = ExtensionStatus::None;
            }
            let event = if resolved {
                EventKind::Resolved
            } else {
                EventKind::Replied
            };
            (event, ClockEffect::Stop)
        }
        OrderAction::Return { reason } => {
            required(
                reason,
                "order_reason_required",
                "退回时必须说明理由",
                "a reason is required to return an order",
            )?;
            n.state = OrderState::Returned;
            n.return_count += 1;
            (EventKind::Returned, ClockEffect::None)
        }
        OrderAction::Suspend { reason } => {
            required(
                reason,
                "order_reason_required",
                "挂起时必须说明理由",
                "a reason is required to suspend an order",
            )?;
            n.resume_to = Some(s.state);
            n.state = OrderState::Suspended;
            (EventKind::Suspended, ClockEffect::Pause)
        }
        OrderAction::Resume => {
            n.state = s.resume_to.unwrap_or(OrderState::InProgress);
            n.resume_to = None;
            (EventKind::Resumed, ClockEffect::Resume)
        }
        OrderAction::RequestExtension { days, reason } => {
            if *days == 0 || *days > MAX_EXTENSION_DAYS {
                return Err(Invalid::new(
                    "order_extension_days",
                    format!("延期天数须为1至{MAX_EXTENSION_DAYS}个工作日"),
                    format!("an extension must be 1 to {MAX_EXTENSION_DAYS} working days"),
                ));
            }
            let reason = required(
                reason,
                "order_reason_required",
                "申请延期时必须说明理由",
                "a reason is required to request an extension",
            )?;
            n.extension = ExtensionStatus::Pending {
                days: *days,
                reason,
            };
            (EventKind::ExtensionRequested, ClockEffect::None)
        }
        OrderAction::ApproveExtension => {
            let days = match &s.extension {
                ExtensionStatus::Pending { days, .. } => *days,
                _ => 0,
            };
            n.extension = ExtensionStatus::Approved { days };
            n.extension_days += days;
            (EventKind::ExtensionApproved, ClockEffect::Extend { days })
        }
        OrderAction::RefuseExtension { reason } => {
            let reason = required(
                reason,
                "order_reason_required",
                "驳回延期时必须说明理由",
                "a reason is required to refuse an extension",
            )?;
            n.extension = ExtensionStatus::Refused { reason };
            (EventKind::ExtensionRefused, ClockEffect::None)
        }
        OrderAction::Supervise { level } => {
            if *level <= s.supervision_level || *level > MAX_SUPERVISION_LEVEL {
                return Err(Invalid::new(
                    "order_supervision_level",
                    format!(
                        "督办级别须高于当前级别{}且不超过{MAX_SUPERVISION_LEVEL}",
                        s.supervision_level
                    ),
                    format!(
                        "supervision level must be above the current {} and at most {MAX_SUPERVISION_LEVEL}",
                        s.supervision_level
                    ),
                ));
            }
            n.supervision_level = *level;
            (EventKind::Supervised, ClockEffect::None)
        }
        OrderAction::Callback { rating, .. } => {
            n.rating = Some(*rating);
            match rating {
                Satisfaction::Unsatisfied => {
                    n.state = OrderState::InProgress;
                    n.reopen_count += 1;
                    n.extension = ExtensionStatus::None;
                    (EventKind::CallbackReopened, ClockEffect::Restart)
                }
                _ => {
                    if s.state != OrderState::Closed {
                        n.state = OrderState::CallbackDone;
                    }
                    (EventKind::CalledBack, ClockEffect::None)
                }
            }
        }
        OrderAction::Close => {
            n.state = OrderState::Closed;
            (EventKind::Closed, ClockEffect::None)
        }
        OrderAction::Withdraw { reason } => {
            required(
                reason,
                "order_reason_required",
                "撤回时必须说明理由",
                "a reason is required to withdraw an order",
            )?;
            n.state = OrderState::Withdrawn;
            n.resume_to = None;
            if matches!(n.extension, ExtensionStatus::Pending { .. }) {
                n.extension = ExtensionStatus::None;
            }
            (EventKind::Withdrawn, ClockEffect::Stop)
        }
        OrderAction::Reopen { reason } => {
            required(
                reason,
                "order_reason_required",
                "重办时必须说明理由",
                "a reason is required to reopen an order",
            )?;
            n.state = OrderState::InProgress;
            n.reopen_count += 1;
            n.extension = ExtensionStatus::None;
            (EventKind::Reopened, ClockEffect::Restart)
        }
    };
    Ok(Transition {
        snapshot: n,
        event,
        clock,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(s: &OrderSnapshot, a: OrderAction) -> OrderSnapshot {
        apply(s, &a).unwrap().snapshot
    }

    fn text(t: &str) -> String {
        t.to_string()
    }

    fn in_progress() -> OrderSnapshot {
        let s = act(&OrderSnapshot::new(), OrderAction::Accept);
        let s = act(
            &s,
            OrderAction::Dispatch {
                department: text("区科技局"),
            },
        );
        act(&s, OrderAction::Start)
    }

    fn resolved() -> OrderSnapshot {
        act(
            &in_progress(),
            OrderAction::Resolve {
                text: text("已协调供货"),
            },
        )
    }

    fn sample(kind: ActionKind) -> OrderAction {
        match kind {
            ActionKind::Accept => OrderAction::Accept,
            ActionKind::Dispatch => OrderAction::Dispatch {
                department: text("区科技局"),
            },
            ActionKind::Start => OrderAction::Start,
            ActionKind::Reply => OrderAction::Reply {
                text: text("答复")
            },
            ActionKind::Resolve => OrderAction::Resolve {
                text: text("办结")
            },
            ActionKind::Return => OrderAction::Return {
                reason: text("非本部门职责"),
            },
            ActionKind::Suspend => OrderAction::Suspend {
                reason: text("等待企业补充材料"),
            },
            ActionKind::Resume => OrderAction::Resume,
            ActionKind::RequestExtension => OrderAction::RequestExtension {
                days: 5,
                reason: text("需跨部门协调"),
            },
            ActionKind::ApproveExtension => OrderAction::ApproveExtension,
            ActionKind::RefuseExtension => OrderAction::RefuseExtension {
                reason: text("理由不充分"),
            },
            ActionKind::Supervise => OrderAction::Supervise { level: 9 },
            ActionKind::Callback => OrderAction::Callback {
                rating: Satisfaction::Satisfied,
                comment: String::new(),
            },
            ActionKind::Close => OrderAction::Close,
            ActionKind::Withdraw => OrderAction::Withdraw {
                reason: text("问题已自行解决"),
            },
            ActionKind::Reopen => OrderAction::Reopen {
                reason: text("复核发现未解决"),
            },
        }
    }

    #[test]
    fn the_main_loop_runs_from_registration_to_closing() {
        let s = OrderSnapshot::new();
        let t = apply(&s, &OrderAction::Accept).unwrap();
        assert_eq!(
            (t.snapshot.state, t.event),
            (OrderState::Accepted, EventKind::Accepted)
        );
        let t = apply(&t.snapshot, &sample(ActionKind::Dispatch)).unwrap();
        assert_eq!(t.snapshot.state, OrderState::Dispatched);
        assert_eq!(t.snapshot.department.as_deref(), Some("区科技局"));
        assert_eq!(t.event, EventKind::Dispatched);
        let t = apply(&t.snapshot, &OrderAction::Start).unwrap();
        assert_eq!(
            (t.snapshot.state, t.event),
            (OrderState::InProgress, EventKind::Started)
        );
        let t = apply(&t.snapshot, &sample(ActionKind::Resolve)).unwrap();
        assert_eq!(t.snapshot.state, OrderState::Resolved);
        assert_eq!(t.clock, ClockEffect::Stop);
        let t = apply(&t.snapshot, &sample(ActionKind::Callback)).unwrap();
        assert_eq!(t.snapshot.state, OrderState::CallbackDone);
        assert_eq!(t.snapshot.rating, Some(Satisfaction::Satisfied));
        let t = apply(&t.snapshot, &OrderAction::Close).unwrap();
        assert_eq!(
            (t.snapshot.state, t.event),
            (OrderState::Closed, EventKind::Closed)
        );
    }

    #[test]
    fn a_reply_is_an_alternative_ending_to_resolving() {
        let s = act(&in_progress(), sample(ActionKind::Reply));
        assert_eq!(s.state, OrderState::Replied);
        let s = act(
            &s,
            OrderAction::Callback {
                rating: Satisfaction::BasicallySatisfied,
                comment: text("解释清楚"),
            },
        );
        assert_eq!(s.state, OrderState::CallbackDone);
    }

    #[test]
    fn the_centre_may_answer_directly_after_accepting() {
        let s = act(&OrderSnapshot::new(), OrderAction::Accept);
        assert_eq!(
            act(&s, sample(ActionKind::Reply)).state,
            OrderState::Replied
        );
        assert_eq!(
            act(&s, sample(ActionKind::Resolve)).state,
            OrderState::Resolved
        );
    }

    #[test]
    fn every_permitted_action_applies_and_every_other_is_refused_with_the_state_named() {
        // Build one snapshot per state, including variants with a pending extension.
        let mut snapshots = vec![OrderSnapshot::new()];
        let accepted = act(&OrderSnapshot::new(), OrderAction::Accept);
        let dispatched = act(&accepted, sample(ActionKind::Dispatch));
        let returned = act(&dispatched, sample(ActionKind::Return));
        let suspended = act(&in_progress(), sample(ActionKind::Suspend));
        let pending = act(&in_progress(), sample(ActionKind::RequestExtension));
        let replied = act(&in_progress(), sample(ActionKind::Reply));
        let called = act(&resolved(), sample(ActionKind::Callback));
        let closed = act(&called, OrderAction::Close);
        let withdrawn = act(&accepted, sample(ActionKind::Withdraw));
        snapshots.extend([
            accepted,
            dispatched,
            returned,
            in_progress(),
            suspended,
            pending,
            replied,
            resolved(),
            called,
            closed,
            withdrawn,
        ]);
        let states: Vec<OrderState> = snapshots.iter().map(|s| s.state).collect();
        for st in OrderState::ALL {
            assert!(states.contains(&st), "no sample for {st:?}");
        }
        for s in &snapshots {
            let allowed = allowed_actions(s);
            for k in ActionKind::ALL {
                let r = apply(s, &sample(k));
                if allowed.contains(&k) {
                    assert!(r.is_ok(), "{:?} should allow {k:?}: {r:?}", s.state);
                } else {
                    let e = r.unwrap_err();
                    assert_eq!(e.code, "order_transition_refused", "{:?} {k:?}", s.state);
                    assert!(e.zh.contains(s.state.label_zh()));
                    assert!(e.zh.contains(k.label_zh()));
                }
            }
        }
    }

    #[test]
    fn a_closed_order_refuses_acceptance_with_a_bilingual_message() {
        let closed = act(
            &act(&resolved(), sample(ActionKind::Callback)),
            OrderAction::Close,
        );
        let e = apply(&closed, &OrderAction::Accept).unwrap_err();
        assert_eq!(e.zh, "当前状态为“已关闭”，不能执行“受理”");
        assert_eq!(e.en, "the order is Closed; cannot accept");
        assert_eq!(
            allowed_actions(&closed),
            vec![ActionKind::Callback, ActionKind::Reopen]
        );
    }

    #[test]
    fn a_withdrawn_order_is_terminal() {
        let w = act(&OrderSnapshot::new(), sample(ActionKind::Withdraw));
        assert_eq!(w.state, OrderState::Withdrawn);
        assert!(allowed_actions(&w).is_empty());
    }

    #[test]
    fn withdrawing_requires_a_reason() {
        let e = apply(
            &in_progress(),
            &OrderAction::Withdraw { reason: text("  ") },
        )
        .unwrap_err();
        assert_eq!(e.code, "order_reason_required");
        assert!(e.zh.contains("撤回"));
    }

    #[test]
    fn suspending_and_resuming_returns_to_the_state_it_left() {
        for from in [
            act(&OrderSnapshot::new(), OrderAction::Accept),
            act(
                &act(&OrderSnapshot::new(), OrderAction::Accept),
                sample(ActionKind::Dispatch),
            ),
            in_progress(),
        ] {
            let t = apply(&from, &sample(ActionKind::Suspend)).unwrap();
            assert_eq!(t.snapshot.state, OrderState::Suspended);
            assert_eq!(t.clock, ClockEffect::Pause);
            assert_eq!(t.snapshot.resume_to, Some(from.state));
            let back = apply(&t.snapshot, &OrderAction::Resume).unwrap();
            assert_eq!(back.snapshot.state, from.state);
            assert_eq!(back.snapshot.resume_to, None);
            assert_eq!(back.clock, ClockEffect::Resume);
        }
    }

    #[test]
    fn a_suspended_order_cannot_be_suspended_again_or_resolved() {
        let s = act(&in_progress(), sample(ActionKind::Suspend));
        assert!(apply(&s, &sample(ActionKind::Suspend)).is_err());
        assert!(apply(&s, &sample(ActionKind::Resolve)).is_err());
        assert!(apply(&s, &sample(ActionKind::Supervise)).is_ok());
    }

    #[test]
    fn an_unsatisfied_callback_reopens_the_order_at_the_same_department() {
        let t = apply(
            &resolved(),
            &OrderAction::Callback {
                rating: Satisfaction::Unsatisfied,
                comment: text("芯片仍未到货"),
            },
        )
        .unwrap();
        assert_eq!(t.snapshot.state, OrderState::InProgress);
        assert_eq!(t.event, EventKind::CallbackReopened);
        assert_eq!(t.clock, ClockEffect::Restart);
        assert_eq!(t.snapshot.reopen_count, 1);
        assert_eq!(t.snapshot.department.as_deref(), Some("区科技局"));
    }

    #[test]
    fn a_late_callback_on_a_closed_order_keeps_it_closed_unless_unsatisfied() {
        let closed = act(&resolved(), OrderAction::Close);
        let ok = act(&closed, sample(ActionKind::Callback));
        assert_eq!(ok.state, OrderState::Closed);
        assert_eq!(ok.rating, Some(Satisfaction::Satisfied));
        let bad = act(
            &closed,
            OrderAction::Callback {
                rating: Satisfaction::Unsatisfied,
                comment: String::new(),
            },
        );
        assert_eq!(bad.state, OrderState::InProgress);
    }

    #[test]
    fn reopening_a_closed_order_needs_a_reason_and_counts() {
        let closed = act(&resolved(), OrderAction::Close);
        let e = apply(
            &closed,
            &OrderAction::Reopen {
                reason: String::new(),
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "order_reason_required");
        let t = apply(&closed, &sample(ActionKind::Reopen)).unwrap();
        assert_eq!(t.snapshot.state, OrderState::InProgress);
        assert_eq!(t.snapshot.reopen_count, 1);
        assert_eq!(t.event, EventKind::Reopened);
    }

    #[test]
    fn a_return_goes_back_to_the_centre_for_re_dispatch() {
        let d = act(
            &act(&OrderSnapshot::new(), OrderAction::Accept),
            sample(ActionKind::Dispatch),
        );
        let r = act(&d, sample(ActionKind::Return));
        assert_eq!(r.state, OrderState::Returned);
        assert_eq!(r.return_count, 1);
        assert!(apply(&r, &OrderAction::Start).is_err());
        let t = apply(
            &r,
            &OrderAction::Dispatch {
                department: text("区市场监管局"),
            },
        )
        .unwrap();
        assert_eq!(t.event, EventKind::Redispatched);
        assert_eq!(t.snapshot.department.as_deref(), Some("区市场监管局"));
        let e = apply(
            &r,
            &OrderAction::Dispatch {
                department: text(""),
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "order_department_required");
    }

    #[test]
    fn an_extension_is_a_side_state_that_keeps_the_main_state() {
        let s = in_progress();
        let t = apply(&s, &sample(ActionKind::RequestExtension)).unwrap();
        assert_eq!(t.snapshot.state, OrderState::InProgress);
        assert!(matches!(
            t.snapshot.extension,
            ExtensionStatus::Pending { days: 5, .. }
        ));
        let e = apply(&t.snapshot, &sample(ActionKind::RequestExtension)).unwrap_err();
        assert!(e.zh.contains("已有待审批的延期申请"));
        let ok = apply(&t.snapshot, &OrderAction::ApproveExtension).unwrap();
        assert_eq!(ok.clock, ClockEffect::Extend { days: 5 });
        assert_eq!(ok.snapshot.extension_days, 5);
        assert_eq!(ok.snapshot.state, OrderState::InProgress);
        let again = act(&ok.snapshot, sample(ActionKind::RequestExtension));
        let twice = act(&again, OrderAction::ApproveExtension);
        assert_eq!(twice.extension_days, 10);
        let refused = act(&again, sample(ActionKind::RefuseExtension));
        assert!(matches!(refused.extension, ExtensionStatus::Refused { .. }));
        assert_eq!(refused.extension_days, 5);
        let e = apply(&refused, &OrderAction::ApproveExtension).unwrap_err();
        assert!(e.en.contains("no extension request is pending"));
    }

    #[test]
    fn extension_days_must_be_within_bounds() {
        for days in [0, MAX_EXTENSION_DAYS + 1] {
            let e = apply(
                &in_progress(),
                &OrderAction::RequestExtension {
                    days,
                    reason: text("x"),
                },
            )
            .unwrap_err();
            assert_eq!(e.code, "order_extension_days");
        }
    }

    #[test]
    fn supervision_only_escalates() {
        let s = act(&in_progress(), OrderAction::Supervise { level: 1 });
        assert!(s.is_supervised());
        assert_eq!(s.state, OrderState::InProgress);
        let e = apply(&s, &OrderAction::Supervise { level: 1 }).unwrap_err();
        assert_eq!(e.code, "order_supervision_level");
        assert_eq!(
            act(&s, OrderAction::Supervise { level: 2 }).supervision_level,
            2
        );
        let top = act(&s, OrderAction::Supervise { level: 9 });
        assert!(!allowed_actions(&top).contains(&ActionKind::Supervise));
        assert!(apply(&resolved(), &OrderAction::Supervise { level: 1 }).is_err());
    }

    #[test]
    fn states_ratings_and_urgencies_parse_from_codes_and_chinese() {
        for st in OrderState::ALL {
            assert_eq!(OrderState::parse(st.as_str()), Ok(st));
            assert_eq!(OrderState::parse(st.label_zh()), Ok(st));
        }
        assert_eq!(
            Satisfaction::parse("基本满意"),
            Ok(Satisfaction::BasicallySatisfied)
        );
        assert_eq!(Urgency::parse("紧急"), Ok(Urgency::Urgent));
        assert_eq!(Urgency::parse("asap").unwrap_err().code, "urgency_unknown");
    }
}
