//! Registered service providers (服务商) and the related-party records that keep a provider
//! from redeeming for an enterprise it is tied to.

use super::*;

impl App {
    /// Register a service provider, optionally linked to a `provider` user account.
    pub async fn voucher_provider_register(
        &self,
        actor: &Actor,
        inp: &ProviderInput,
    ) -> AppResult<ProviderRow> {
        perm::manage(actor)?;
        let uscc = lianshi_domain::Uscc::parse(inp.uscc.trim()).map_err(AppError::from_invalid)?;
        if inp.name.trim().is_empty() {
            return Err(bad(
                "voucher_provider_name",
                "请填写服务商名称",
                "the provider name is required",
            ));
        }
        let name = crate::text::name("name", &inp.name)?;
        let mut kinds = Vec::new();
        for k in &inp.kinds {
            kinds.push(
                SchemeKind::parse(k)
                    .map_err(AppError::from_invalid)?
                    .as_str(),
            );
        }
        if kinds.is_empty() {
            return Err(bad(
                "voucher_provider_kinds",
                "请选择服务商可承接的券种",
                "choose the voucher kinds the provider serves",
            ));
        }
        let user_id = match inp
            .username
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(u) => {
                let user = self
                    .db
                    .user_by_username(u)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("user {u}")))?;
                if user.role != Role::Provider.as_str() {
                    return Err(bad(
                        "voucher_provider_role",
                        "关联账号的角色须为服务商",
                        "the linked account must have the provider role",
                    ));
                }
                Some(user.id)
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let id =
            voucher_provider_insert(tx.conn(), user_id, &name, uscc.as_str(), &kinds.join(","))
                .await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.provider_register",
                "voucher_provider",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"name": name, "uscc": uscc.as_str(), "kinds": kinds, "user_id": user_id})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.db
            .voucher_provider_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("provider {id}")))
    }

    /// Registered providers (staff).
    pub async fn voucher_providers(&self, actor: &Actor) -> AppResult<Vec<ProviderRow>> {
        perm::view_all(actor)?;
        Ok(self.db.voucher_providers().await?)
    }

    /// The provider record of a provider user.
    pub async fn voucher_provider_me(&self, actor: &Actor) -> AppResult<ProviderRow> {
        let not = || {
            refused(
                "voucher_provider_not_registered",
                "当前账号未登记为券服务商",
                "this account is not a registered voucher provider",
            )
        };
        if actor.role != Role::Provider {
            return Err(AppError::Forbidden);
        }
        let uid = actor.user_id.ok_or_else(not)?;
        let p = self
            .db
            .voucher_provider_of_user(uid)
            .await?
            .ok_or_else(not)?;
        if !p.active {
            return Err(refused(
                "voucher_provider_inactive",
                "该服务商已停用，不能提交兑付",
                "this provider is deactivated and cannot submit redemptions",
            ));
        }
        Ok(p)
    }

    /// Record a provider and an enterprise as related parties (关联方): their redemptions are refused.
    pub async fn voucher_related_add(
        &self,
        actor: &Actor,
        provider_uscc: &str,
        enterprise_uscc: &str,
        note: &str,
    ) -> AppResult<()> {
        perm::manage(actor)?;
        let note = crate::text::line("note", note)?;
        let (p, e) = self.related_pair(provider_uscc, enterprise_uscc).await?;
        let mut tx = self.db.begin().await?;
        voucher_related_insert(tx.conn(), p.id, e.id, note).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.related_add",
                "voucher_provider",
                Some(p.id.to_string()),
                None,
                Some(serde_json::json!({"enterprise": e.uscc, "note": note})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every related-party record (staff).
    pub async fn voucher_related_list(&self, actor: &Actor) -> AppResult<Vec<RelatedRow>> {
        perm::view_all(actor)?;
        Ok(self.db.voucher_related_all().await?)
    }

    /// Remove a related-party record entered by mistake; the pair may redeem again. 404 when
    /// there is no such record.
    pub async fn voucher_related_remove(
        &self,
        actor: &Actor,
        provider_uscc: &str,
        enterprise_uscc: &str,
    ) -> AppResult<()> {
        perm::manage(actor)?;
        let (p, e) = self.related_pair(provider_uscc, enterprise_uscc).await?;
        let mut tx = self.db.begin().await?;
        if !voucher_related_remove(tx.conn(), p.id, e.id).await? {
            return Err(AppError::NotFound(format!(
                "related party {} / {}",
                p.uscc, e.uscc
            )));
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.related_remove",
                "voucher_provider",
                Some(p.id.to_string()),
                Some(serde_json::json!({"enterprise": e.uscc})),
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn related_pair(
        &self,
        provider_uscc: &str,
        enterprise_uscc: &str,
    ) -> AppResult<(ProviderRow, lianshi_store::enterprise::EnterpriseRow)> {
        let p = self
            .db
            .voucher_provider_by_uscc(provider_uscc.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("provider {provider_uscc}")))?;
        let e = self
            .db
            .enterprise_by_uscc(enterprise_uscc.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {enterprise_uscc}")))?;
        Ok((p, e))
    }

    /// Deactivate a provider (its account can no longer submit redemptions; those already
    /// submitted go on) or activate it again. Returns the provider as it now is.
    pub async fn voucher_provider_set_active(
        &self,
        actor: &Actor,
        provider_uscc: &str,
        active: bool,
    ) -> AppResult<ProviderRow> {
        perm::manage(actor)?;
        let p = self
            .db
            .voucher_provider_by_uscc(provider_uscc.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("provider {provider_uscc}")))?;
        let mut tx = self.db.begin().await?;
        if voucher_provider_set_active(tx.conn(), p.id, active).await? {
            audit_append(
                tx.conn(),
                &entry(
                    actor,
                    if active {
                        "voucher.provider_activate"
                    } else {
                        "voucher.provider_deactivate"
                    },
                    "voucher_provider",
                    Some(p.id.to_string()),
                    Some(serde_json::json!({"active": p.active})),
                    Some(serde_json::json!({"active": active})),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ProviderRow { active, ..p })
    }
}
