//! The one list of migrations.
//!
//! Each migration is a pair of files with the same name, `migrations/sqlite/NNNN_name.sql` and
//! `migrations/postgres/NNNN_name.sql`; its version is the number `NNNN` the name starts with. A
//! new migration is one line at the end of [`MIGRATIONS`]: `migration!("0017_something")`, which
//! includes both files. [`Db::migrate`](crate::Db::migrate) applies the pending ones in the
//! list's order, which is strictly increasing by version (checked when compiling), and records
//! each by version in `schema_migrations`. A test checks the list names exactly the files in both
//! folders.
//!
//! Databases migrated before the list was put in order recorded 0010 before 0009 (they are
//! independent); since applied migrations are looked up by version, none of them runs again.

/// One migration: its version, file name (without `.sql`) and the text for each backend.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// The version a migration's name starts with (`"0009_subsidies"` → 9): four digits and `_`.
/// A malformed name fails the build.
pub const fn version_of(name: &str) -> i64 {
    let b = name.as_bytes();
    assert!(b.len() > 5 && b[4] == b'_', "a migration name is NNNN_name");
    let mut v = 0i64;
    let mut i = 0;
    while i < 4 {
        assert!(
            b[i].is_ascii_digit(),
            "a migration name starts with 4 digits"
        );
        v = v * 10 + (b[i] - b'0') as i64;
        i += 1;
    }
    v
}

/// A [`Migration`] from its file name, given once; both folders' files are included.
macro_rules! migration {
    ($name:literal) => {
        Migration {
            version: version_of($name),
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }
    };
}

/// Every migration, in the order they are applied: strictly increasing versions.
pub const MIGRATIONS: &[Migration] = &[
    migration!("0001_foundation"),
    migration!("0002_list_indexes"),
    // Service teams, 包联, indicators, visits (store/src/team.rs, visit.rs).
    migration!("0003_teams_visits"),
    // Work orders (store/src/order.rs).
    migration!("0004_orders"),
    // Councils and the figures' indexes (store/src/council.rs).
    migration!("0005_councils"),
    migration!("0006_change_counters"),
    // Per-order figure facts: accepted_at, figures_rev.
    migration!("0007_order_figures"),
    migration!("0008_policies"),
    migration!("0009_subsidies"),
    migration!("0010_vouchers"),
    migration!("0011_scores"),
    // The acceptance index narrowed to acceptance events.
    migration!("0012_order_events_accepted"),
    // Open orders at level ≥ 2 proposed to their council.
    migration!("0013_council_proposals_on_supervision"),
    // Login back-off (store/src/user.rs).
    migration!("0015_login_throttle"),
    // Field sources and corrections (store/src/enterprise.rs).
    migration!("0016_enterprise_provenance"),
];

const fn strictly_increasing(list: &[Migration]) -> bool {
    let mut i = 1;
    while i < list.len() {
        if list[i].version <= list[i - 1].version {
            return false;
        }
        i += 1;
    }
    true
}

const _: () = assert!(
    strictly_increasing(MIGRATIONS),
    "MIGRATIONS must be in strictly increasing version order"
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn folder(backend: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("read the migrations folder")
            .map(|e| {
                e.expect("read a folder entry")
                    .file_name()
                    .into_string()
                    .expect("a UTF-8 file name")
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_list_names_exactly_the_files_of_both_folders() {
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{}.sql", m.name))
            .collect();
        assert_eq!(listed, folder("sqlite"), "MIGRATIONS vs migrations/sqlite");
        assert_eq!(
            listed,
            folder("postgres"),
            "MIGRATIONS vs migrations/postgres"
        );
    }

    #[test]
    fn versions_are_strictly_increasing_and_match_the_names() {
        assert!(strictly_increasing(MIGRATIONS));
        for w in MIGRATIONS.windows(2) {
            assert!(
                w[0].version < w[1].version,
                "{} then {}",
                w[0].name,
                w[1].name
            );
        }
        let versions: BTreeSet<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(versions.len(), MIGRATIONS.len());
        for m in MIGRATIONS {
            assert_eq!(format!("{:04}", m.version), m.name[..4], "{}", m.name);
            assert!(!m.sqlite.trim().is_empty() && !m.postgres.trim().is_empty());
        }
    }

    #[test]
    fn version_of_reads_the_leading_number() {
        assert_eq!(version_of("0009_subsidies"), 9);
        assert_eq!(version_of("0016_enterprise_provenance"), 16);
        assert!(!strictly_increasing(&[
            migration!("0010_vouchers"),
            migration!("0009_subsidies"),
        ]));
    }
}
