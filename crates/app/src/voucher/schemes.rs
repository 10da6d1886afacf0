//! Schemes (券种) with their rules, and rounds (批次) with their pools: create, edit the rules,
//! repair a round's pool or close it.

use super::*;

impl App {
    async fn scheme_view(
        &self,
        s: SchemeRow,
        figures: Option<&SchemeFigures>,
    ) -> AppResult<SchemeView> {
        let rules = rules_of(&s)?;
        let rounds = self
            .db
            .voucher_rounds(Some(s.id))
            .await?
            .into_iter()
            .map(round_view)
            .collect();
        let figures_overflow = figures.is_some_and(|f| f.overflow);
        let figures = figures.map(|f| f.figures).unwrap_or_default();
        let kind = SchemeKind::parse(&s.kind).ok();
        Ok(SchemeView {
            id: s.id,
            kind_label: kind.map(|k| k.label_zh()).unwrap_or("").to_string(),
            code: s.code,
            kind: s.kind,
            name: s.name,
            issuer: s.issuer,
            legal_ref: s.legal_ref,
            status: s.status,
            rules,
            available_fen: figures.available_fen(),
            figures,
            rounds,
            figures_overflow,
        })
    }

    /// Every scheme with its figures computed from the records.
    pub async fn voucher_schemes(&self, actor: &Actor) -> AppResult<Vec<SchemeView>> {
        perm::view_schemes(actor)?;
        let figs = self.db.voucher_figures().await?;
        let mut out = Vec::new();
        for s in self.db.voucher_schemes().await? {
            let f = figs.iter().find(|f| f.scheme_id == s.id);
            out.push(self.scheme_view(s, f).await?);
        }
        Ok(out)
    }

    /// One scheme by id or code.
    pub async fn voucher_scheme(&self, actor: &Actor, key: &str) -> AppResult<SchemeView> {
        perm::view_schemes(actor)?;
        let s = self.scheme_row(key).await?;
        let figs = self.db.voucher_figures().await?;
        let f = figs.iter().find(|f| f.scheme_id == s.id);
        self.scheme_view(s, f).await
    }

    pub(super) async fn scheme_row(&self, key: &str) -> AppResult<SchemeRow> {
        let key = key.trim();
        let found = match key.parse::<i64>() {
            Ok(id) => self.db.voucher_scheme_get(id).await?,
            Err(_) => self.db.voucher_scheme_by_code(key).await?,
        };
        found.ok_or_else(|| AppError::NotFound(format!("voucher scheme {key}")))
    }

    /// Create a scheme (rules validated first).
    pub async fn voucher_scheme_create(
        &self,
        actor: &Actor,
        inp: &SchemeInput,
    ) -> AppResult<SchemeView> {
        perm::manage(actor)?;
        let kind = SchemeKind::parse(&inp.kind).map_err(AppError::from_invalid)?;
        let code = inp.code.trim();
        if code.is_empty()
            || code.len() > 64
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(bad(
                "voucher_code_invalid",
                "券种代码须为1–64位字母、数字或 - _ .",
                "the scheme code must be 1–64 letters, digits or - _ .",
            ));
        }
        if inp.name.trim().is_empty() {
            return Err(bad(
                "voucher_name_required",
                "请填写券种名称",
                "the scheme name is required",
            ));
        }
        let name = crate::text::name("name", &inp.name)?;
        let issuer = crate::text::line("issuer", &inp.issuer)?;
        let legal_ref = crate::text::line("legal_ref", &inp.legal_ref)?;
        inp.rules.validate().map_err(AppError::from_invalid)?;
        let status = inp.status.clone().unwrap_or_else(|| "active".into());
        if !super::SCHEME_STATUSES.contains(&status.as_str()) {
            return Err(bad(
                "voucher_status_invalid",
                "状态须为 active、closed 或 draft",
                "status must be active, closed or draft",
            ));
        }
        let rules_json =
            serde_json::to_string(&inp.rules).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        let id = voucher_scheme_insert(
            tx.conn(),
            &SchemeWrite {
                code: code.into(),
                kind: kind.as_str().into(),
                name: name.clone(),
                issuer: issuer.into(),
                legal_ref: legal_ref.into(),
                rules_json: rules_json.clone(),
                status,
            },
        )
        .await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.scheme_create",
                "voucher_scheme",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"code": code, "kind": kind.as_str(), "rules": inp.rules})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.voucher_scheme(actor, &id.to_string()).await
    }

    /// Replace a scheme's rules (and status); existing redemptions keep the amount computed then.
    pub async fn voucher_scheme_rules(
        &self,
        actor: &Actor,
        key: &str,
        rules: &SchemeRules,
        status: Option<&str>,
    ) -> AppResult<SchemeView> {
        perm::manage(actor)?;
        let s = self.scheme_row(key).await?;
        rules.validate().map_err(AppError::from_invalid)?;
        let status = status.unwrap_or(&s.status).to_string();
        if !super::SCHEME_STATUSES.contains(&status.as_str()) {
            return Err(bad(
                "voucher_status_invalid",
                "状态须为 active、closed 或 draft",
                "status must be active, closed or draft",
            ));
        }
        let json = serde_json::to_string(rules).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        voucher_scheme_update(tx.conn(), s.id, &json, &status).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.scheme_rules",
                "voucher_scheme",
                Some(s.id.to_string()),
                serde_json::from_str(&s.rules_json).ok(),
                Some(serde_json::json!({"rules": rules, "status": status})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.voucher_scheme(actor, &s.id.to_string()).await
    }

    /// Open a round with a pool budget.
    pub async fn voucher_round_create(
        &self,
        actor: &Actor,
        scheme: &str,
        inp: &RoundInput,
    ) -> AppResult<RoundView> {
        perm::manage(actor)?;
        let s = self.scheme_row(scheme).await?;
        let rules = rules_of(&s)?;
        let pool = bounded_fen("pool_yuan", &inp.pool_yuan)?;
        if inp.year != 0 && !(2000..=2100).contains(&inp.year) {
            return Err(bad(
                "voucher_round_year",
                "年度须在2000至2100之间",
                "the year must be 2000–2100",
            ));
        }
        let opens = date("opens_on", &inp.opens_on)?;
        let closes = date("closes_on", &inp.closes_on)?;
        let valid = match inp.valid_until.as_deref().filter(|v| !v.trim().is_empty()) {
            Some(v) => date("valid_until", v)?,
            None => chrono::TimeDelta::try_days(rules.validity_days.max(0))
                .and_then(|d| closes.checked_add_signed(d))
                .ok_or_else(|| {
                    bad(
                        "voucher_round_dates",
                        "有效期超出日期范围",
                        "the validity runs past the calendar",
                    )
                })?,
        };
        if closes < opens || valid < closes {
            return Err(bad(
                "voucher_round_dates",
                "日期顺序应为 开始 ≤ 截止 ≤ 有效期",
                "dates must satisfy opens_on ≤ closes_on ≤ valid_until",
            ));
        }
        let year = if inp.year > 0 {
            inp.year
        } else {
            opens.year() as i64
        };
        let name = if inp.name.trim().is_empty() {
            format!("{year}年度")
        } else {
            crate::text::name("name", &inp.name)?
        };
        let w = RoundWrite {
            scheme_id: s.id,
            name,
            year,
            pool_fen: pool,
            opens_on: opens.to_string(),
            closes_on: closes.to_string(),
            valid_until: valid.to_string(),
        };
        let mut tx = self.db.begin().await?;
        let id = voucher_round_insert(tx.conn(), &w).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.round_create",
                "voucher_round",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"scheme": s.code, "name": w.name, "year": year, "pool_fen": pool,
                    "opens_on": w.opens_on, "closes_on": w.closes_on, "valid_until": w.valid_until})),
            ),
        )
        .await?;
        tx.commit().await?;
        let r = self
            .db
            .voucher_round_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("voucher round {id}")))?;
        Ok(round_view(r))
    }

    /// The round of a scheme in `year`; `round_id` picks one when the year has several
    /// (`voucher_round_ambiguous`, 409, lists them otherwise).
    async fn round_of(
        &self,
        s: &SchemeRow,
        year: i64,
        round_id: Option<i64>,
    ) -> AppResult<RoundRow> {
        let mut found: Vec<RoundRow> = self
            .db
            .voucher_rounds(Some(s.id))
            .await?
            .into_iter()
            .filter(|r| r.year == year && round_id.is_none_or(|id| r.id == id))
            .collect();
        match found.len() {
            0 => Err(AppError::NotFound(format!(
                "voucher round {year} of {}",
                s.code
            ))),
            1 => Ok(found.remove(0)),
            _ => {
                let ids: Vec<String> = found.iter().map(|r| r.id.to_string()).collect();
                Err(refused(
                    "voucher_round_ambiguous",
                    format!(
                        "{year}年度有多个批次（编号 {}），请用 round_id 指定",
                        ids.join("、")
                    ),
                    format!(
                        "{year} has several rounds (ids {}); give round_id",
                        ids.join(", ")
                    ),
                ))
            }
        }
    }

    /// Correct a round's pool (e.g. a pool typed wrong, or stored beyond the bound before the
    /// bound existed). The new pool is bounded like a new one and must cover the quota already
    /// granted (`voucher_pool_below_issued`). Audited with the pool before and after.
    pub async fn voucher_round_set_pool(
        &self,
        actor: &Actor,
        scheme: &str,
        year: i64,
        round_id: Option<i64>,
        pool_yuan: &str,
        reason: &str,
    ) -> AppResult<RoundView> {
        perm::manage(actor)?;
        let s = self.scheme_row(scheme).await?;
        let r = self.round_of(&s, year, round_id).await?;
        let pool = bounded_fen("pool_yuan", pool_yuan)?;
        let reason = crate::text::line("reason", reason)?;
        let mut tx = self.db.begin().await?;
        if !voucher_round_set_pool(tx.conn(), r.id, pool).await? {
            let committed = r.issued_fen.saturating_sub(r.expired_fen);
            return Err(refused(
                "voucher_pool_below_issued",
                format!("资金池不能低于已发放额度 {}", money_text(committed)),
                format!(
                    "the pool cannot be below the quota already granted, {}",
                    money_text(committed)
                ),
            ));
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.round_pool",
                "voucher_round",
                Some(r.id.to_string()),
                Some(serde_json::json!({"pool_fen": r.pool_fen})),
                Some(serde_json::json!({"scheme": s.code, "year": r.year, "pool_fen": pool, "reason": reason})),
            ),
        )
        .await?;
        tx.commit().await?;
        let r = self
            .db
            .voucher_round_get(r.id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("voucher round {}", r.id)))?;
        Ok(round_view(r))
    }

    /// Close a round on `today`: no grants after yesterday, and the pool shrinks to the quota
    /// already granted (net of expiry), releasing the rest; granted vouchers stay usable until
    /// their date. Repairs a round whose pool was stored beyond the bound. Audited.
    pub async fn voucher_round_close(
        &self,
        actor: &Actor,
        scheme: &str,
        year: i64,
        round_id: Option<i64>,
        today: NaiveDate,
    ) -> AppResult<RoundView> {
        perm::manage(actor)?;
        let s = self.scheme_row(scheme).await?;
        let r = self.round_of(&s, year, round_id).await?;
        let last = today.pred_opt().unwrap_or(today).to_string();
        let mut tx = self.db.begin().await?;
        let after = voucher_round_close(tx.conn(), r.id, &last)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("voucher round {}", r.id)))?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.round_close",
                "voucher_round",
                Some(r.id.to_string()),
                Some(serde_json::json!({"pool_fen": r.pool_fen, "opens_on": r.opens_on, "closes_on": r.closes_on})),
                Some(serde_json::json!({"scheme": s.code, "year": r.year, "pool_fen": after.pool_fen,
                    "opens_on": after.opens_on, "closes_on": after.closes_on})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(round_view(after))
    }
}
