//! Black-box tests of `lianshi subsidy payout` and `lianshi report subsidies`: a batch payout
//! killed with SIGKILL halfway leaves each payout exactly once or not at all, and a rerun pays the
//! rest; the report is the ledger's sum. The binary is the release build when `LIANSHI_BIN`
//! points at it, else the test profile's build.

use lianshi_domain::zone::RegistryKind;
use lianshi_store::Db;
use lianshi_store::enterprise::{EnterpriseWrite, enterprise_insert};
use lianshi_store::policy::{PolicyWrite, policy_upsert};
use lianshi_store::subsidy::{
    ApplicationFilter, LedgerFilter, NewApplication, subsidy_application_insert,
    subsidy_budget_put, subsidy_budget_reserve,
};
use lianshi_store::zone::{RegistryWrite, registry_insert};
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{Tmp, bin};

const N: i64 = 2_000;
const FEN: i64 = 12_345;
const YEAR: i64 = 2025;

/// A policy with a budget for exactly N payouts and N approved applications (budget reserved),
/// written straight through the store in one transaction to keep the setup fast.
async fn seed(url: &str) -> i64 {
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let kjj = registry_insert(
        tx.conn(),
        RegistryKind::Department,
        &RegistryWrite {
            code: Some("kjj".into()),
            name: "区科技局".into(),
            parent_id: None,
            attr: None,
            sort: 0,
        },
    )
    .await
    .unwrap();
    let mut ents = Vec::new();
    for i in 0..5 {
        let w = EnterpriseWrite {
            uscc: format!("91330108MA2AAAA{i:02}X"),
            name: format!("测试企业{i}"),
            ..Default::default()
        };
        ents.push(enterprise_insert(tx.conn(), &w).await.unwrap());
    }
    let (policy, _, _) = policy_upsert(
        tx.conn(),
        &PolicyWrite {
            code: "BJ-AI-2025-01".into(),
            kind: "policy".into(),
            title: "人工智能企业研发投入补助".into(),
            department_id: Some(kjj),
            department_code: "kjj".into(),
            track: "快申快享".into(),
            status: "active".into(),
            source: "[[policy]]\ncode = \"BJ-AI-2025-01\"\n".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    subsidy_budget_put(
        tx.conn(),
        policy,
        YEAR,
        N * FEN,
        None,
        "2025-01-02T00:00:00.000Z",
    )
    .await
    .unwrap();
    for i in 0..N {
        subsidy_application_insert(
            tx.conn(),
            &NewApplication {
                policy_id: policy,
                enterprise_id: ents[(i % 5) as usize],
                year: YEAR,
                amount_fen: FEN,
                state: "approved".into(),
                origin: "apply".into(),
                request_key: format!("apply:{i}"),
                created_by_name: "test".into(),
                created_at: "2025-03-01T00:00:00.000Z".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            subsidy_budget_reserve(tx.conn(), policy, YEAR, FEN)
                .await
                .unwrap()
        );
    }
    tx.commit().await.unwrap();
    db.close().await;
    policy
}

/// Every application is either disbursed with exactly one ledger entry under its derived key, or
/// approved with none; the budget line agrees with the ledger. Returns the number paid.
async fn consistent(url: &str, policy: i64) -> i64 {
    let db = Db::connect(url).await.unwrap();
    let (apps, total) = db
        .subsidy_application_list(&ApplicationFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(total, N);
    let (entries, n_entries) = db
        .subsidy_ledger_list(&LedgerFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut per_app: HashMap<i64, Vec<&lianshi_store::subsidy::EntryRow>> = HashMap::new();
    for e in &entries {
        per_app.entry(e.application_id).or_default().push(e);
    }
    let mut paid = 0;
    for a in &apps {
        match a.state.as_str() {
            "disbursed" => {
                let es = per_app.get(&a.id).map(Vec::as_slice).unwrap_or_default();
                assert_eq!(es.len(), 1, "application {} paid {} times", a.id, es.len());
                assert_eq!(es[0].request_key, format!("payout:{}", a.id));
                assert_eq!(es[0].amount_fen, FEN);
                paid += 1;
            }
            "approved" => assert!(
                !per_app.contains_key(&a.id),
                "application {} has an entry but is still approved",
                a.id
            ),
            other => panic!("unexpected state {other}"),
        }
    }
    assert_eq!(n_entries, paid);
    let b = db.subsidy_budget(policy, YEAR).await.unwrap().unwrap();
    assert_eq!(b.spent_fen, paid * FEN);
    assert_eq!(b.committed_fen, (N - paid) * FEN);
    assert!(b.spent_fen + b.committed_fen <= b.budget_fen);
    db.close().await;
    paid
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_batch_payout_leaves_each_payout_once_or_not_at_all() {
    let t = Tmp::new("kill");
    let url = t.db();
    let policy = seed(&url).await;
    let mut child = Command::new(bin())
        .args(["--db", &url, "subsidy", "payout", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill once some payouts have committed.
    let watcher = Db::connect(&url).await.unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() || start.elapsed() > Duration::from_secs(120) {
            break;
        }
        let n = watcher
            .subsidy_totals(Some(YEAR), None)
            .await
            .map(|t| t.entries)
            .unwrap_or(0);
        if n >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed_mid_way = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    watcher.close().await;
    assert!(
        killed_mid_way,
        "the payout finished before it could be killed; the test proved nothing"
    );
    let paid = consistent(&url, policy).await;
    assert!(paid > 0 && paid < N, "paid {paid} of {N}");

    // Rerun: the rest is paid, nothing twice.
    let out = Command::new(bin())
        .args(["--db", &url, "subsidy", "payout", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["paid"].as_array().unwrap().len() as i64, N - paid);
    assert_eq!(consistent(&url, policy).await, N);

    // The report is the ledger's sum.
    let out = Command::new(bin())
        .args([
            "--db",
            &url,
            "report",
            "subsidies",
            "--year",
            "2025",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["total_fen"].as_i64(), Some(N * FEN));
    assert_eq!(r["by_policy"]["BJ-AI-2025-01"].as_i64(), Some(N * FEN));
    assert_eq!(r["by_department"]["kjj"].as_i64(), Some(N * FEN));
    let out = Command::new(bin())
        .args([
            "--db",
            &url,
            "report",
            "subsidies",
            "--year",
            "2024",
            "--json",
        ])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["total_fen"].as_i64(), Some(0));
}
