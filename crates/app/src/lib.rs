//! The use cases of Lianshi. Every call takes an explicit [`Actor`] and checks permission here —
//! never in a handler or template — so pages, API and CLI enforce the same scope.
//!
//! Error policy: use cases return [`AppError`], whose variants map one-to-one to HTTP statuses
//! and carry a stable snake_case code plus a bilingual message.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod bounds;
pub mod calendar;
pub mod council;
pub mod demo;
pub mod enterprise;
pub mod generations;
pub mod import;
pub mod order;
pub mod perm;
pub mod policy;
pub mod score;
pub mod service_figures;
pub mod session;
pub mod subsidy;
pub mod team;
pub mod text;
pub mod user;
pub mod visit;
pub mod voucher;
pub mod workbench;
pub mod zone;

use lianshi_domain::Role;
use lianshi_domain::enterprise::FieldError;
use lianshi_store::{Db, StoreError};
use std::sync::{Arc, Mutex, RwLock};

pub use auth::Throttle;
pub use zone::RegistryIndex;

/// Where a request came from; recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Web,
    Api,
    Cli,
    Import,
    Demo,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Api => "api",
            Source::Cli => "cli",
            Source::Import => "import",
            Source::Demo => "demo",
        }
    }
}

/// Who is asking: identity, role and scope.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The one enterprise an enterprise user may see.
    pub enterprise_id: Option<i64>,
    pub department_id: Option<i64>,
    pub source: Source,
}

impl Actor {
    /// The operator at the command line: an administrator without a user row.
    pub fn system(source: Source) -> Actor {
        Actor {
            user_id: None,
            username: format!("system:{}", source.as_str()),
            display_name: "系统".into(),
            role: Role::Admin,
            enterprise_id: None,
            department_id: None,
            source,
        }
    }
}

/// Errors of use cases, each with an HTTP status in the web layer.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: one or more fields refused.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// 400 with a single message.
    #[error("{code}: {zh} / {en}")]
    BadRequest {
        code: &'static str,
        zh: String,
        en: String,
    },
    /// 401.
    #[error("unauthenticated")]
    Unauthenticated,
    /// 403.
    #[error("forbidden")]
    Forbidden,
    /// 404.
    #[error("not found: {0}")]
    NotFound(String),
    /// 409.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 409 with a stable code: a business rule refused the request (over budget, wrong state…).
    #[error("{code}: {zh} / {en}")]
    Refused {
        code: &'static str,
        zh: String,
        en: String,
    },
    /// 429.
    #[error("too many attempts")]
    Throttled { retry_after_secs: i64 },
    /// 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn bad(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// A 409 refusal with a stable code.
    pub fn refused(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::Refused {
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn from_invalid(e: lianshi_domain::Invalid) -> AppError {
        AppError::BadRequest {
            code: e.code,
            zh: e.zh,
            en: e.en,
        }
    }

    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "invalid_input",
            AppError::BadRequest { code, .. } => code,
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Refused { code, .. } => code,
            AppError::Throttled { .. } => "too_many_attempts",
            AppError::Internal(_) => "internal",
        }
    }

    /// Human message, Chinese first.
    pub fn message(&self) -> String {
        match self {
            AppError::Invalid(errs) => errs
                .iter()
                .map(|e| {
                    format!(
                        "【{}】{} / {}: {}",
                        lianshi_domain::enterprise::field_label_zh(e.field),
                        e.reason.zh,
                        e.field,
                        e.reason.en
                    )
                })
                .collect::<Vec<_>>()
                .join("；"),
            AppError::BadRequest { zh, en, .. } => format!("{zh} / {en}"),
            AppError::Unauthenticated => "请先登录或提供有效令牌 / authentication required".into(),
            AppError::Forbidden => "无权访问该记录 / you may not access this record".into(),
            AppError::NotFound(what) => format!("未找到 / not found: {what}"),
            AppError::Conflict(what) => format!("冲突 / conflict: {what}"),
            AppError::Refused { zh, en, .. } => format!("{zh} / {en}"),
            AppError::Throttled { retry_after_secs } => format!(
                "尝试次数过多，请{retry_after_secs}秒后再试 / too many attempts; retry in {retry_after_secs} s"
            ),
            AppError::Internal(_) => "系统内部错误 / internal error".into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(w) => AppError::NotFound(w),
            StoreError::Conflict(w) => AppError::Conflict(w),
            other => {
                tracing::error!("store error: {other}");
                AppError::Internal(other.to_string())
            }
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// The application: the database plus small shared state (registry cache, login throttle,
/// session cache).
#[derive(Clone)]
pub struct App {
    pub db: Db,
    /// The registry index and the registry generation it was read at.
    registry: Arc<RwLock<Option<zone::Cached>>>,
    throttle: Arc<Mutex<Throttle>>,
    sessions: Arc<session::SessionCache>,
    list_index: Arc<enterprise::ListIndex>,
    policy_cache: Arc<policy::PolicyCache>,
    figures: Arc<service_figures::FiguresCache>,
    generations: Arc<generations::Generations>,
    records: Arc<enterprise::RecordCache>,
}

impl App {
    pub fn new(db: Db) -> App {
        App {
            db,
            registry: Arc::new(RwLock::new(None)),
            throttle: Arc::new(Mutex::new(Throttle::default())),
            sessions: Arc::default(),
            list_index: Arc::default(),
            policy_cache: Arc::default(),
            figures: Arc::default(),
            generations: Arc::default(),
            records: Arc::default(),
        }
    }

    /// Set how long a write by another process may take to reach this process's caches that
    /// key on change counters (default [`generations::CHANGE_BOUND`]); for tests, which set
    /// zero (read the counters on every use) or an hour (never within the test).
    #[doc(hidden)]
    pub fn set_change_bound(&self, bound: std::time::Duration) {
        self.generations.set_bound(bound);
    }

    /// Today in China Standard Time (UTC+8), the zone's civil date.
    pub fn today() -> chrono::NaiveDate {
        (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
    }
}
