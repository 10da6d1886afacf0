//! Service teams (红色店小二) and 包联: creating teams, their members and the departments they
//! come from; assigning enterprises one by one or in bulk by the enterprise-list filters; each
//! enterprise's team and contact person, and the history of changes.
//!
//! Every write lands with its audit entry in one transaction. A bulk assignment writes one
//! history row per changed enterprise but one audit entry (counts and up to 1,000 credit codes),
//! like an import, so assigning a whole chain stays fast.

/// Who may do what in the service loop (teams, 包联, visits); `visit` uses the same module.
pub mod perm;

use crate::enterprise::EnterpriseQuery;
use crate::zone::{entry, json};
use crate::{Actor, App, AppError, AppResult};
use lianshi_domain::Role;
use lianshi_store::audit::audit_append;
use lianshi_store::enterprise::Slice;
pub use lianshi_store::team::AssignmentHistoryRow;
use lianshi_store::team::{
    MemberRow, MemberWrite, TeamRow, TeamWrite, assignment_current, assignment_set, team_insert,
    team_set_members, team_update,
};
use perm as ps;
use std::collections::HashMap;

/// A member as given in a form or JSON body.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct MemberInput {
    /// Username (or numeric id) of the user.
    pub user: String,
    /// Code or name of the department they come from; defaults to the user's own department.
    pub department: Option<String>,
}

/// Input to create or edit a team. On edit, absent fields keep their value.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct TeamInput {
    pub name: Option<String>,
    /// Username (or id) of the leader; the leader is made a member if not listed.
    pub leader: Option<String>,
    pub members: Option<Vec<MemberInput>>,
    pub note: Option<String>,
    pub active: Option<bool>,
    /// Optimistic lock on edit.
    pub version: Option<i64>,
}

/// A person as shown in team views.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub department_id: Option<i64>,
    pub department: Option<String>,
    pub is_leader: bool,
}

/// A team with its members and figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamView {
    pub id: i64,
    pub name: String,
    pub leader_id: Option<i64>,
    pub leader_name: Option<String>,
    pub note: Option<String>,
    pub active: bool,
    pub members: Vec<MemberView>,
    /// Names of the departments the members come from, in member order, without repeats.
    pub departments: Vec<String>,
    pub enterprises: i64,
    pub open_tasks: i64,
    pub overdue_tasks: i64,
    pub visits: i64,
    pub version: i64,
}

/// One enterprise a team serves.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamEnterpriseView {
    pub enterprise_id: i64,
    pub uscc: String,
    pub name: String,
    pub contact_user_id: Option<i64>,
    pub contact_name: Option<String>,
    pub assigned_at: String,
    pub open_tasks: i64,
    pub overdue_tasks: i64,
}

/// A page of a team's enterprises.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamEnterprisePage {
    pub team_id: i64,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<TeamEnterpriseView>,
}

/// Which team serves an enterprise, and its contact person.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseTeamView {
    pub enterprise_id: i64,
    pub uscc: String,
    pub name: String,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub leader_name: Option<String>,
    pub contact_user_id: Option<i64>,
    pub contact_name: Option<String>,
    pub assigned_at: Option<String>,
}

/// What to assign to a team: listed credit codes, and/or every enterprise matching a filter.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AssignInput {
    pub enterprises: Vec<String>,
    /// The enterprise-list filters (chain, park, street, tag …); `None` assigns only the list.
    pub filter: Option<EnterpriseQuery>,
    /// Username (or id) of the contact person; must be a member of the team.
    pub contact: Option<String>,
    /// Move enterprises already served by another team (otherwise they are skipped).
    pub reassign: bool,
    pub reason: Option<String>,
}

/// What a bulk assignment did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignReport {
    pub team_id: i64,
    pub matched: i64,
    /// Had no team before.
    pub assigned: i64,
    /// Moved from another team.
    pub moved: i64,
    /// Already with this team (contact may have changed).
    pub unchanged: i64,
    /// Served by another team and `reassign` was false.
    pub skipped: i64,
    /// Credit codes of skipped enterprises (first 100).
    pub skipped_uscc: Vec<String>,
}

/// Most enterprises one bulk assignment may touch.
pub const MAX_BULK: i64 = 100_000;

fn bad_name() -> AppError {
    AppError::bad(
        "team_name_required",
        "请填写团队名称（不超过60字）",
        "a team name of at most 60 characters is required",
    )
}

impl App {
    /// The enterprises assigned to a service team (包联).
    pub(crate) async fn assigned_enterprises(&self) -> AppResult<std::collections::HashSet<i64>> {
        Ok(self
            .db
            .assignment_pairs()
            .await?
            .into_iter()
            .map(|(e, _)| e)
            .collect())
    }

    /// Ids of the teams the actor leads or belongs to (empty for system actors).
    pub async fn my_teams(&self, actor: &Actor) -> AppResult<Vec<i64>> {
        match actor.user_id {
            Some(u) => Ok(self.db.team_ids_of_user(u).await?),
            None => Ok(Vec::new()),
        }
    }

    /// A user by username or numeric id, refused unless they may serve on a team.
    async fn team_person(&self, key: &str) -> AppResult<lianshi_store::user::UserRow> {
        let key = key.trim();
        let u = match self.db.user_by_username(key).await? {
            Some(u) => Some(u),
            None => match key.parse::<i64>() {
                Ok(id) => self.db.user_by_id(id).await?,
                Err(_) => None,
            },
        };
        let u = u.ok_or_else(|| {
            AppError::bad(
                "user_unknown",
                format!("未找到用户“{key}”"),
                format!("no user '{key}'"),
            )
        })?;
        let role = Role::parse(&u.role).map_err(AppError::from_invalid)?;
        if !ps::may_be_team_member(role) || !u.active {
            return Err(AppError::bad(
                "member_role_invalid",
                format!("用户“{}”不能担任服务团队成员（角色或状态不符）", u.username),
                format!(
                    "user '{}' cannot serve on a team (role or status)",
                    u.username
                ),
            ));
        }
        Ok(u)
    }

    fn views(
        &self,
        idx: &crate::RegistryIndex,
        teams: Vec<TeamRow>,
        members: &[MemberRow],
        counts: &HashMap<i64, i64>,
        figures: &HashMap<i64, (i64, i64, i64)>,
    ) -> Vec<TeamView> {
        teams
            .into_iter()
            .map(|t| {
                let ms: Vec<MemberView> = members
                    .iter()
                    .filter(|m| m.team_id == t.id)
                    .map(|m| MemberView {
                        user_id: m.user_id,
                        username: m.username.clone(),
                        display_name: m.display_name.clone(),
                        department_id: m.department_id,
                        department: idx.name(m.department_id).map(str::to_string),
                        is_leader: t.leader_id == Some(m.user_id),
                    })
                    .collect();
                let mut departments: Vec<String> = Vec::new();
                for d in ms.iter().filter_map(|m| m.department.clone()) {
                    if !departments.contains(&d) {
                        departments.push(d);
                    }
                }
                let (open, overdue, visits) = figures.get(&t.id).copied().unwrap_or_default();
                TeamView {
                    id: t.id,
                    name: t.name,
                    leader_id: t.leader_id,
                    leader_name: t.leader_name,
                    note: t.note,
                    active: t.active,
                    members: ms,
                    departments,
                    enterprises: counts.get(&t.id).copied().unwrap_or(0),
                    open_tasks: open,
                    overdue_tasks: overdue,
                    visits,
                    version: t.version,
                }
            })
            .collect()
    }

    async fn team_views(&self, teams: Vec<TeamRow>, only: Option<i64>) -> AppResult<Vec<TeamView>> {
        let idx = self.registry().await?;
        let members = self.db.team_members(only).await?;
        let counts: HashMap<i64, i64> = self
            .db
            .team_enterprise_counts()
            .await?
            .into_iter()
            .collect();
        let today = Self::today().to_string();
        let figures: HashMap<i64, (i64, i64, i64)> = self
            .db
            .visit_team_counts(&today)
            .await?
            .into_iter()
            .map(|(t, o, l, v)| (t, (o, l, v)))
            .collect();
        Ok(self.views(&idx, teams, &members, &counts, &figures))
    }

    /// The teams the actor may see, with members and figures.
    pub async fn team_list(&self, actor: &Actor) -> AppResult<Vec<TeamView>> {
        let mine = self.my_teams(actor).await?;
        let scope = ps::team_scope(actor, &mine)?;
        let teams = self
            .db
            .team_list()
            .await?
            .into_iter()
            .filter(|t| scope.as_ref().is_none_or(|ids| ids.contains(&t.id)))
            .collect();
        self.team_views(teams, None).await
    }

    /// One team. Out of scope → 403, unknown → 404.
    pub async fn team_get(&self, actor: &Actor, id: i64) -> AppResult<TeamView> {
        let mine = self.my_teams(actor).await?;
        let t = self
            .db
            .team_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("team {id}")))?;
        ps::view_team(actor, &mine, id)?;
        let mut v = self.team_views(vec![t], Some(id)).await?;
        v.pop()
            .ok_or_else(|| AppError::NotFound(format!("team {id}")))
    }

    /// Resolve members (leader included) into store writes.
    async fn resolve_members(
        &self,
        leader: Option<i64>,
        inputs: &[MemberInput],
    ) -> AppResult<Vec<MemberWrite>> {
        let idx = self.registry().await?;
        let mut out: Vec<MemberWrite> = Vec::new();
        for m in inputs.iter().filter(|m| !m.user.trim().is_empty()) {
            let u = self.team_person(&m.user).await?;
            let department_id = match m
                .department
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
            {
                Some(d) => Some(Self::department_of(&idx, d)?),
                None => u.department_id,
            };
            if out.iter().any(|w| w.user_id == u.id) {
                continue;
            }
            out.push(MemberWrite {
                user_id: u.id,
                department_id,
            });
        }
        if let Some(l) = leader
            && !out.iter().any(|w| w.user_id == l)
        {
            let dept = self.db.user_by_id(l).await?.and_then(|u| u.department_id);
            out.insert(
                0,
                MemberWrite {
                    user_id: l,
                    department_id: dept,
                },
            );
        }
        Ok(out)
    }

    /// Create a team (admin). A used name → 409.
    pub async fn team_create(&self, actor: &Actor, inp: &TeamInput) -> AppResult<TeamView> {
        ps::manage_teams(actor)?;
        let name = inp
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty() && n.chars().count() <= 60)
            .ok_or_else(bad_name)?;
        let name = crate::text::name("name", name)?;
        let leader = match inp.leader.as_deref().filter(|l| !l.trim().is_empty()) {
            Some(l) => Some(self.team_person(l).await?.id),
            None => None,
        };
        let members = self
            .resolve_members(leader, inp.members.as_deref().unwrap_or(&[]))
            .await?;
        let w = TeamWrite {
            name,
            leader_id: leader,
            note: inp.note.clone().filter(|n| !n.trim().is_empty()),
            active: inp.active.unwrap_or(true),
        };
        let mut tx = self.db.begin().await?;
        let id = team_insert(tx.conn(), &w).await?;
        team_set_members(tx.conn(), id, &members).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "team.create",
                "team",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"team": w, "members": members})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.team_get(actor, id).await
    }

    /// Edit a team (admin): absent fields keep their value; `members` replaces the list.
    pub async fn team_update(
        &self,
        actor: &Actor,
        id: i64,
        inp: &TeamInput,
    ) -> AppResult<TeamView> {
        ps::manage_teams(actor)?;
        let before = self.team_get(actor, id).await?;
        if let Some(v) = inp.version
            && v != before.version
        {
            return Err(AppError::Conflict(
                "团队已被他人修改，请刷新后重试 / the team was changed by someone else; reload and retry"
                    .into(),
            ));
        }
        let name = match &inp.name {
            Some(n) => {
                let n = n.trim();
                if n.is_empty() || n.chars().count() > 60 {
                    return Err(bad_name());
                }
                crate::text::name("name", n)?
            }
            None => before.name.clone(),
        };
        let leader = match inp.leader.as_deref() {
            Some(l) if l.trim().is_empty() => None,
            Some(l) => Some(self.team_person(l).await?.id),
            None => before.leader_id,
        };
        let member_inputs: Vec<MemberInput> = match &inp.members {
            Some(m) => m.clone(),
            None => before
                .members
                .iter()
                .map(|m| MemberInput {
                    user: m.user_id.to_string(),
                    department: m.department_id.map(|d| d.to_string()),
                })
                .collect(),
        };
        let members = self.resolve_members(leader, &member_inputs).await?;
        let w = TeamWrite {
            name,
            leader_id: leader,
            note: match &inp.note {
                Some(n) => Some(n.clone()).filter(|n| !n.trim().is_empty()),
                None => before.note.clone(),
            },
            active: inp.active.unwrap_or(before.active),
        };
        let mut tx = self.db.begin().await?;
        team_update(tx.conn(), id, before.version, &w).await?;
        team_set_members(tx.conn(), id, &members).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "team.update",
                "team",
                Some(id.to_string()),
                json(&before),
                Some(serde_json::json!({"team": w, "members": members})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.team_get(actor, id).await
    }

    /// One page of the enterprises a team serves, with open and overdue task counts.
    pub async fn team_enterprises(
        &self,
        actor: &Actor,
        id: i64,
        page: Option<i64>,
        per_page: Option<i64>,
    ) -> AppResult<TeamEnterprisePage> {
        let mine = self.my_teams(actor).await?;
        self.db
            .team_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("team {id}")))?;
        ps::view_team(actor, &mine, id)?;
        let per_page = per_page.unwrap_or(20).clamp(1, 200);
        let page = page.unwrap_or(1).max(1);
        let (rows, total) = self
            .db
            .team_enterprises(id, per_page, crate::bounds::page_offset(page, per_page))
            .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.enterprise_id).collect();
        let open = self
            .db
            .visit_open_by_enterprise(&ids, &Self::today().to_string())
            .await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let (o, l) = open.get(&r.enterprise_id).copied().unwrap_or_default();
                TeamEnterpriseView {
                    enterprise_id: r.enterprise_id,
                    uscc: r.uscc,
                    name: r.enterprise_name,
                    contact_user_id: r.contact_user_id,
                    contact_name: r.contact_name,
                    assigned_at: r.assigned_at,
                    open_tasks: o,
                    overdue_tasks: l,
                }
            })
            .collect();
        Ok(TeamEnterprisePage {
            team_id: id,
            total,
            page,
            per_page,
            items,
        })
    }

    /// Pick the contact for an enterprise joining or staying with `team`: the given person
    /// (must be a member), else the current contact if they stay on the team, else the leader.
    async fn contact_for(
        &self,
        team: &TeamView,
        given: Option<&str>,
    ) -> AppResult<Option<Option<i64>>> {
        match given.map(str::trim).filter(|g| !g.is_empty()) {
            Some(g) => {
                let u = self.team_person(g).await?;
                if !team.members.iter().any(|m| m.user_id == u.id) {
                    return Err(AppError::bad(
                        "contact_not_member",
                        format!("联系人“{}”不是“{}”的成员", u.display_name, team.name),
                        format!(
                            "contact '{}' is not a member of '{}'",
                            u.username, team.name
                        ),
                    ));
                }
                Ok(Some(Some(u.id)))
            }
            None => Ok(None),
        }
    }

    fn default_contact(team: &TeamView, current: Option<(i64, Option<i64>)>) -> Option<i64> {
        if let Some((t, Some(c))) = current
            && t == team.id
            && team.members.iter().any(|m| m.user_id == c)
        {
            return Some(c);
        }
        team.leader_id
            .or_else(|| team.members.first().map(|m| m.user_id))
    }

    /// Assign enterprises to a team (admin): the listed credit codes plus every enterprise that
    /// matches `filter`. Enterprises of another team are moved only with `reassign`.
    pub async fn team_assign(
        &self,
        actor: &Actor,
        team_id: i64,
        inp: &AssignInput,
    ) -> AppResult<AssignReport> {
        ps::manage_teams(actor)?;
        let team = self.team_get(actor, team_id).await?;
        if !team.active {
            return Err(AppError::bad(
                "team_inactive",
                "该团队已停用，不能再分配企业",
                "the team is inactive and cannot take enterprises",
            ));
        }
        let contact = self.contact_for(&team, inp.contact.as_deref()).await?;
        let mut ids: Vec<i64> = Vec::new();
        // Credit codes by id, so the transaction below reads nothing outside itself.
        let mut codes_by_id: HashMap<i64, String> = HashMap::new();
        for code in inp.enterprises.iter().filter(|c| !c.trim().is_empty()) {
            let code = code.trim().to_ascii_uppercase();
            let e = self.db.enterprise_by_uscc(&code).await?.ok_or_else(|| {
                AppError::bad(
                    "enterprise_unknown",
                    format!("未找到企业 {code}"),
                    format!("no enterprise with credit code {code}"),
                )
            })?;
            ids.push(e.id);
            codes_by_id.insert(e.id, e.uscc);
        }
        if let Some(q) = &inp.filter {
            let idx = self.registry().await?;
            let f = self.resolve_query(&idx, q)?;
            let mut after = None;
            loop {
                let rows = self
                    .db
                    .enterprise_list(
                        &f,
                        Slice {
                            limit: 5_000,
                            offset: 0,
                            after,
                        },
                    )
                    .await?;
                for r in &rows {
                    ids.push(r.id);
                    codes_by_id.insert(r.id, r.uscc.clone());
                }
                if (ids.len() as i64) > MAX_BULK {
                    return Err(AppError::bad(
                        "too_many_enterprises",
                        format!("一次最多分配 {MAX_BULK} 家企业，请缩小筛选范围"),
                        format!("at most {MAX_BULK} enterprises per assignment; narrow the filter"),
                    ));
                }
                match rows.last() {
                    Some(r) if rows.len() == 5_000 => after = Some(r.id),
                    _ => break,
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Err(AppError::bad(
                "nothing_to_assign",
                "没有符合条件的企业",
                "no enterprise matches",
            ));
        }
        let mut report = AssignReport {
            team_id,
            matched: ids.len() as i64,
            ..Default::default()
        };
        let mut changed: Vec<i64> = Vec::new();
        let reason = inp.reason.as_deref().filter(|r| !r.trim().is_empty());
        let mut tx = self.db.begin().await?;
        for id in &ids {
            let current = assignment_current(tx.conn(), *id).await?;
            match current {
                Some((t, _)) if t != team_id && !inp.reassign => {
                    report.skipped += 1;
                    if report.skipped_uscc.len() < 100
                        && let Some(code) = codes_by_id.get(id)
                    {
                        report.skipped_uscc.push(code.clone());
                    }
                    continue;
                }
                Some((t, _)) if t == team_id => report.unchanged += 1,
                Some(_) => report.moved += 1,
                None => report.assigned += 1,
            }
            let c = contact.unwrap_or_else(|| Self::default_contact(&team, current));
            if assignment_set(tx.conn(), *id, Some(team_id), c, &actor.username, reason)
                .await?
                .is_some()
            {
                changed.push(*id);
            }
        }
        let codes: Vec<&String> = changed
            .iter()
            .take(1_000)
            .filter_map(|id| codes_by_id.get(id))
            .collect();
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "team.assign",
                "team",
                Some(team_id.to_string()),
                None,
                Some(serde_json::json!({
                    "report": report, "changed": changed.len(), "enterprises": codes,
                    "filter": inp.filter, "reason": reason,
                })),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn enterprise_row(
        &self,
        uscc: &str,
    ) -> AppResult<lianshi_store::enterprise::EnterpriseRow> {
        let code = uscc.trim().to_ascii_uppercase();
        self.db
            .enterprise_by_uscc(&code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {code}")))
    }

    /// Which team serves an enterprise and who its contact is. Team members see it for their
    /// own team's enterprises, an enterprise user for its own enterprise.
    pub async fn enterprise_team(
        &self,
        actor: &Actor,
        uscc: &str,
    ) -> AppResult<EnterpriseTeamView> {
        let e = self.enterprise_row(uscc).await?;
        let a = self.db.assignment_of(e.id).await?;
        let mine = self.my_teams(actor).await?;
        ps::view_enterprise_team(actor, &mine, e.id, a.as_ref().map(|a| a.team_id))?;
        let leader = match &a {
            Some(a) => self
                .db
                .team_get(a.team_id)
                .await?
                .and_then(|t| t.leader_name),
            None => None,
        };
        Ok(EnterpriseTeamView {
            enterprise_id: e.id,
            uscc: e.uscc,
            name: e.name,
            team_id: a.as_ref().map(|a| a.team_id),
            team_name: a.as_ref().map(|a| a.team_name.clone()),
            leader_name: leader,
            contact_user_id: a.as_ref().and_then(|a| a.contact_user_id),
            contact_name: a.as_ref().and_then(|a| a.contact_name.clone()),
            assigned_at: a.map(|a| a.assigned_at),
        })
    }

    /// An enterprise user's own enterprise: its team and contact person.
    pub async fn own_enterprise_team(&self, actor: &Actor) -> AppResult<EnterpriseTeamView> {
        let id = actor.enterprise_id.ok_or(AppError::Forbidden)?;
        let e = self
            .db
            .enterprise_by_id(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {id}")))?;
        self.enterprise_team(actor, &e.uscc).await
    }

    /// Set one enterprise's team and contact (admin); `team_id = None` removes the 包联.
    /// Moving from another team is explicit here, so it always happens.
    pub async fn enterprise_assign(
        &self,
        actor: &Actor,
        uscc: &str,
        team_id: Option<i64>,
        contact: Option<&str>,
        reason: Option<&str>,
    ) -> AppResult<EnterpriseTeamView> {
        ps::manage_teams(actor)?;
        let e = self.enterprise_row(uscc).await?;
        let team = match team_id {
            Some(t) => {
                let team = self.team_get(actor, t).await?;
                if !team.active {
                    return Err(AppError::bad(
                        "team_inactive",
                        "该团队已停用，不能再分配企业",
                        "the team is inactive and cannot take enterprises",
                    ));
                }
                let given = self.contact_for(&team, contact).await?;
                Some((team, given))
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let current = assignment_current(tx.conn(), e.id).await?;
        let to_contact = match &team {
            Some((_, Some(c))) => *c,
            Some((team, None)) => Self::default_contact(team, current),
            None => None,
        };
        let reason = reason.filter(|r| !r.trim().is_empty());
        let change = assignment_set(
            tx.conn(),
            e.id,
            team_id,
            to_contact,
            &actor.username,
            reason,
        )
        .await?;
        if let Some(ch) = change {
            audit_append(
                tx.conn(),
                &entry(
                    actor,
                    "team.assign",
                    "enterprise",
                    Some(e.uscc.clone()),
                    Some(serde_json::json!({"team_id": ch.from_team_id, "contact_user_id": ch.from_contact_id})),
                    Some(serde_json::json!({"team_id": ch.to_team_id, "contact_user_id": ch.to_contact_id, "reason": reason})),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        self.enterprise_team(actor, &e.uscc).await
    }

    /// Every change of an enterprise's team and contact, oldest first (not for enterprise users).
    pub async fn assignment_history(
        &self,
        actor: &Actor,
        uscc: &str,
    ) -> AppResult<Vec<AssignmentHistoryRow>> {
        let e = self.enterprise_row(uscc).await?;
        if actor.role == Role::Enterprise {
            return Err(AppError::Forbidden);
        }
        let a = self.db.assignment_of(e.id).await?;
        let mine = self.my_teams(actor).await?;
        ps::view_enterprise_team(actor, &mine, e.id, a.map(|a| a.team_id))?;
        Ok(self.db.assignment_history(e.id).await?)
    }
}
