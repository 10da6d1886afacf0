//! The policy demo (惠企工具包) on both backends: the demo rule set is loaded, and the ledger
//! totals the issue names — 2024 subsidies 20,000,000 元, the 2025 AI policy 48,388,300 元 —
//! come out of the ledger through the report use case.

use lianshi_app::demo::policies::{AI_2025_PREFIX, TARGET_2024_FEN, TARGET_AI_2025_FEN};
use lianshi_app::{Actor, App, Source};
use lianshi_store::{Db, both_backends};

/// Enterprises in the test zone: enough for both targets to be reachable.
const N: usize = 600;

both_backends!(
    demo_ledger_totals_come_from_the_ledger,
    |db: Db| async move {
        let app = App::new(db);
        let actor = Actor::system(Source::Demo);
        app.demo_load(&actor, N, 2026).await.unwrap();

        let admin = Actor::system(Source::Cli);
        let r2024 = app.subsidy_report(&admin, 2024).await.unwrap();
        assert_eq!(r2024.total_fen, 2_000_000_000, "2024: 20,000,000 元");
        assert_eq!(r2024.total_fen, TARGET_2024_FEN);
        assert_eq!(r2024.by_policy.values().sum::<i64>(), r2024.total_fen);
        assert!(
            r2024.by_policy.len() >= 10,
            "2024 payouts spread over policies: {:?}",
            r2024.by_policy
        );
        assert!(
            r2024
                .by_policy
                .keys()
                .all(|c| !c.starts_with(AI_2025_PREFIX)),
            "no AI 2025 money in 2024"
        );

        let r2025 = app.subsidy_report(&admin, 2025).await.unwrap();
        let ai: i64 = r2025
            .by_policy
            .iter()
            .filter(|(c, _)| c.starts_with(AI_2025_PREFIX))
            .map(|(_, f)| *f)
            .sum();
        assert_eq!(ai, 4_838_830_000, "2025 AI policy: 48,388,300 元");
        assert_eq!(ai, TARGET_AI_2025_FEN);
        // the nine measures are one document: the report sums them under its 文号
        assert_eq!(
            r2025.by_document.values().filter(|f| **f == ai).count(),
            1,
            "one document carries the AI policy's total: {:?}",
            r2025.by_document
        );
        assert_eq!(r2025.by_document.values().sum::<i64>(), r2025.total_fen);

        // loading again changes nothing
        app.demo_load(&actor, N, 2026).await.unwrap();
        assert_eq!(
            app.subsidy_report(&admin, 2024).await.unwrap().total_fen,
            TARGET_2024_FEN
        );
    }
);
