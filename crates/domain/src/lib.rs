//! Lianshi domain: pure types and rules, no IO.
//!
//! Everything here validates on construction (`Uscc::parse`, `IndustryCode::parse`, `Money` in fen),
//! so the layers above hold only values that are already known to be well-formed.

pub mod calendar;
pub mod category;
pub mod demo;
pub mod enterprise;
pub mod error;
pub mod industry;
pub mod money;
pub mod order;
pub mod role;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod score;
pub mod service_figures;
pub mod size;
pub mod sla;
pub mod subsidy;
pub mod text;
pub mod uscc;
pub mod visit;
pub mod voucher;
pub mod zone;

pub use error::Invalid;
pub use industry::IndustryCode;
pub use money::Money;
pub use role::Role;
pub use size::SizeBand;
pub use uscc::Uscc;
