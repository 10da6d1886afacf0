//! Helpers shared by the CLI's black-box tests: the binary under test and a temporary folder.

// Each test binary compiles this module and uses a subset of it.
#![allow(dead_code)]

use std::path::PathBuf;

/// The release build when `LIANSHI_BIN` points at it (the test script builds it), else the test
/// profile's build.
pub fn bin() -> PathBuf {
    std::env::var_os("LIANSHI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lianshi")))
}

/// A fresh temporary folder named after the test binary and `tag`, removed on drop.
pub struct Tmp(pub PathBuf);

impl Tmp {
    pub fn new(tag: &str) -> Tmp {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p = std::env::temp_dir().join(format!(
            "lianshi_{}_{tag}_{}_{nanos}",
            env!("CARGO_CRATE_NAME"),
            std::process::id()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }

    /// A file in the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The URL of the SQLite database `name` in the folder.
    pub fn sqlite(&self, name: &str) -> String {
        format!("sqlite://{}", self.path(name).display())
    }

    /// The URL of the folder's default database, `l.db`.
    pub fn db(&self) -> String {
        self.sqlite("l.db")
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
