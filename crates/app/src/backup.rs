//! Backup, restore and moving a zone between databases (issue 11): operator use cases over the
//! store's copy engine (`lianshi_store::transfer`, where the guarantees are described).
//!
//! Administrators only (the CLI's system actor). None of them writes an audit entry: a backup
//! changes nothing, and a restore or move must leave the target identical to the source.

use crate::{Actor, App, AppError, AppResult};
use lianshi_domain::Role;
use lianshi_store::Db;
use lianshi_store::transfer::{self, Report, TableSum, TransferError};
use std::path::Path;

pub use lianshi_store::transfer::{Backup, BackupInfo};

mod perm {
    use super::*;

    /// Copying a whole zone reads and writes everything: administrators only.
    pub fn transfer(actor: &Actor) -> AppResult<()> {
        if actor.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The app error of a refused or failed transfer, with a stable code.
pub fn transfer_err(e: TransferError) -> AppError {
    match e {
        TransferError::Store(s) => s.into(),
        TransferError::NotEmpty(m) => AppError::refused(
            "target_not_empty",
            format!("目标数据库不是空的：{m}"),
            format!("the target database is not empty: {m}"),
        ),
        TransferError::Schema(m) => AppError::refused(
            "schema_differs",
            format!("源库与目标库的结构不同：{m}"),
            format!("source and target schemas differ: {m}"),
        ),
        TransferError::BadBackup(m) => AppError::bad(
            "bad_backup",
            format!("备份文件无效，未写入任何数据：{m}"),
            format!("bad backup file, nothing written: {m}"),
        ),
        TransferError::NewerSchema(m) => AppError::refused(
            "backup_newer_schema",
            format!("备份来自更新的版本，未写入任何数据：{m}"),
            format!("the backup is from a newer schema, nothing written: {m}"),
        ),
        TransferError::OlderSchema(m) => AppError::refused(
            "backup_older_schema",
            format!("备份来自较旧的版本，未写入任何数据：{m}"),
            format!("the backup is from an older schema, nothing written: {m}"),
        ),
        TransferError::Mismatch(m) => AppError::refused(
            "verification_failed",
            format!("校验不一致，已回滚：{m}"),
            format!("verification failed, rolled back: {m}"),
        ),
        TransferError::Unsupported(m) => AppError::Internal(format!("unsupported table: {m}")),
        TransferError::Io(m) => AppError::bad("file_error", format!("文件错误：{m}"), m),
    }
}

/// Open and check the backup at `path` (length, integrity, manifest, schema version, every
/// table against the manifest) without writing anything anywhere; close it with
/// [`Backup::close`].
pub async fn open_backup(actor: &Actor, path: &Path) -> AppResult<Backup> {
    perm::transfer(actor)?;
    transfer::open_backup(path).await.map_err(transfer_err)
}

impl App {
    /// Write a consistent snapshot of this database to the new file `path` while it is in use.
    pub async fn backup(
        &self,
        actor: &Actor,
        path: &Path,
        progress: &mut (dyn FnMut(&TableSum) + Send),
    ) -> AppResult<Report> {
        perm::transfer(actor)?;
        transfer::backup_to_file(&self.db, path, progress)
            .await
            .map_err(transfer_err)
    }

    /// Restore the checked backup `b` (from [`open_backup`]) into this database, which must be
    /// empty; the copy is verified against the file and its manifest.
    pub async fn restore(
        &self,
        actor: &Actor,
        b: &Backup,
        progress: &mut (dyn FnMut(&TableSum) + Send),
    ) -> AppResult<Report> {
        perm::transfer(actor)?;
        transfer::restore(b, &self.db, progress)
            .await
            .map_err(transfer_err)
    }

    /// Copy this database's whole zone into the empty database at `to` (migrated first), then
    /// verify every table.
    pub async fn migrate_db(
        &self,
        actor: &Actor,
        to: &str,
        progress: &mut (dyn FnMut(&TableSum) + Send),
    ) -> AppResult<Report> {
        perm::transfer(actor)?;
        let target = Db::connect(to).await.map_err(|e| {
            AppError::bad(
                "bad_target",
                format!("无法打开目标数据库：{e}"),
                format!("cannot open the target database: {e}"),
            )
        })?;
        let r = async {
            target.migrate().await?;
            transfer::copy(&self.db, &target, progress)
                .await
                .map_err(transfer_err)
        }
        .await;
        target.close().await;
        r
    }

    /// Row counts and checksums of every table (one consistent snapshot).
    pub async fn table_checksums(&self, actor: &Actor) -> AppResult<Vec<TableSum>> {
        perm::transfer(actor)?;
        transfer::checksums(&self.db).await.map_err(transfer_err)
    }
}
