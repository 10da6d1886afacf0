//! Service teams (红色店小二), their members, and 包联: which team serves which enterprise.
//!
//! Invariants: an enterprise has at most one current team (`team_assignments` is keyed by the
//! enterprise); every change of team or contact person appends one row to
//! `team_assignment_history` in the same transaction, and moves the enterprise's open visit tasks
//! to the new team, so a task is always in the queue of the team that now serves the enterprise.

use crate::sql::{Conn, Row};
use crate::{Db, Result, StoreError, now_text};

/// A team as stored, with its leader's display name.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub leader_id: Option<i64>,
    pub leader_name: Option<String>,
    pub note: Option<String>,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

/// Fields to create or change a team.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct TeamWrite {
    pub name: String,
    pub leader_id: Option<i64>,
    pub note: Option<String>,
    pub active: bool,
}

/// A member of a team with the department they come from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MemberRow {
    pub team_id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub department_id: Option<i64>,
}

/// A member to store: the user and the department they come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MemberWrite {
    pub user_id: i64,
    pub department_id: Option<i64>,
}

/// The current 包联 of one enterprise.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AssignmentRow {
    pub enterprise_id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    pub team_id: i64,
    pub team_name: String,
    pub contact_user_id: Option<i64>,
    pub contact_name: Option<String>,
    pub assigned_at: String,
    pub assigned_by: String,
}

/// One change of an enterprise's team or contact person.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentHistoryRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub from_team_id: Option<i64>,
    pub from_team_name: Option<String>,
    pub to_team_id: Option<i64>,
    pub to_team_name: Option<String>,
    pub from_contact_id: Option<i64>,
    pub to_contact_id: Option<i64>,
    pub at: String,
    pub actor_name: String,
    pub reason: Option<String>,
}

/// What [`assignment_set`] changed: the team and contact before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AssignmentChange {
    pub enterprise_id: i64,
    pub from_team_id: Option<i64>,
    pub to_team_id: Option<i64>,
    pub from_contact_id: Option<i64>,
    pub to_contact_id: Option<i64>,
}

const TEAM_COLS: &str = "t.id, t.name, t.leader_id, u.display_name AS leader_name, t.note, t.active, t.created_at, t.updated_at, t.version";

fn team(r: &Row) -> Result<TeamRow> {
    Ok(TeamRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        leader_id: r.try_get("leader_id")?,
        leader_name: r.try_get("leader_name")?,
        note: r.try_get("note")?,
        active: r.try_get::<i64, _>("active")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

fn member(r: &Row) -> Result<MemberRow> {
    Ok(MemberRow {
        team_id: r.try_get("team_id")?,
        user_id: r.try_get("user_id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: r.try_get("role")?,
        department_id: r.try_get("department_id")?,
    })
}

const ASSIGN_SELECT: &str = "SELECT a.enterprise_id, e.uscc, e.name AS enterprise_name, a.team_id, t.name AS team_name, a.contact_user_id, u.display_name AS contact_name, a.assigned_at, a.assigned_by \
     FROM team_assignments a JOIN enterprises e ON e.id = a.enterprise_id JOIN service_teams t ON t.id = a.team_id LEFT JOIN users u ON u.id = a.contact_user_id";

fn assignment(r: &Row) -> Result<AssignmentRow> {
    Ok(AssignmentRow {
        enterprise_id: r.try_get("enterprise_id")?,
        uscc: r.try_get("uscc")?,
        enterprise_name: r.try_get("enterprise_name")?,
        team_id: r.try_get("team_id")?,
        team_name: r.try_get("team_name")?,
        contact_user_id: r.try_get("contact_user_id")?,
        contact_name: r.try_get("contact_name")?,
        assigned_at: r.try_get("assigned_at")?,
        assigned_by: r.try_get("assigned_by")?,
    })
}

impl Db {
    /// All teams by id.
    pub async fn team_list(&self) -> Result<Vec<TeamRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT {TEAM_COLS} FROM service_teams t LEFT JOIN users u ON u.id = t.leader_id ORDER BY t.id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(team).collect()
    }

    pub async fn team_get(&self, id: i64) -> Result<Option<TeamRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {TEAM_COLS} FROM service_teams t LEFT JOIN users u ON u.id = t.leader_id WHERE t.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(team).transpose()
    }

    pub async fn team_by_name(&self, name: &str) -> Result<Option<TeamRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {TEAM_COLS} FROM service_teams t LEFT JOIN users u ON u.id = t.leader_id WHERE t.name = $1"
        ))
        .bind(name)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(team).transpose()
    }

    /// Members of one team (`Some`) or of every team (`None`), in team then entry order.
    pub async fn team_members(&self, team_id: Option<i64>) -> Result<Vec<MemberRow>> {
        let base = "SELECT m.team_id, m.user_id, u.username, u.display_name, u.role, m.department_id FROM team_members m JOIN users u ON u.id = m.user_id";
        let rows = match team_id {
            Some(t) => {
                crate::sql::query(&format!(
                    "{base} WHERE m.team_id = $1 ORDER BY m.team_id, m.sort, m.user_id"
                ))
                .bind(t)
                .fetch_all(self.reader())
                .await?
            }
            None => {
                crate::sql::query(&format!("{base} ORDER BY m.team_id, m.sort, m.user_id"))
                    .fetch_all(self.reader())
                    .await?
            }
        };
        rows.iter().map(member).collect()
    }

    /// Ids of the teams a user leads or belongs to.
    pub async fn team_ids_of_user(&self, user_id: i64) -> Result<Vec<i64>> {
        let rows = crate::sql::query(
            "SELECT team_id AS id FROM team_members WHERE user_id = $1 UNION SELECT id FROM service_teams WHERE leader_id = $1 ORDER BY 1",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("id")?))
            .collect()
    }

    /// (team id, number of enterprises it serves).
    pub async fn team_enterprise_counts(&self) -> Result<Vec<(i64, i64)>> {
        let rows = crate::sql::query(
            "SELECT team_id, COUNT(*) AS n FROM team_assignments GROUP BY team_id ORDER BY team_id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("team_id")?, r.try_get("n")?)))
            .collect()
    }

    /// One page of a team's enterprises (by enterprise id) and the team's total.
    pub async fn team_enterprises(
        &self,
        team_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AssignmentRow>, i64)> {
        let rows = crate::sql::query(&format!(
            "{ASSIGN_SELECT} WHERE a.team_id = $1 ORDER BY a.enterprise_id LIMIT {} OFFSET {}",
            limit.clamp(1, 10_000),
            offset.max(0)
        ))
        .bind(team_id)
        .fetch_all(self.reader())
        .await?;
        let total: i64 =
            crate::sql::query("SELECT COUNT(*) AS n FROM team_assignments WHERE team_id = $1")
                .bind(team_id)
                .fetch_one(self.reader())
                .await?
                .try_get("n")?;
        Ok((rows.iter().map(assignment).collect::<Result<_>>()?, total))
    }

    /// The current team and contact of an enterprise.
    pub async fn assignment_of(&self, enterprise_id: i64) -> Result<Option<AssignmentRow>> {
        let r = crate::sql::query(&format!("{ASSIGN_SELECT} WHERE a.enterprise_id = $1"))
            .bind(enterprise_id)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(assignment).transpose()
    }

    /// Every current assignment as (enterprise id, team id), for the visit scan.
    pub async fn assignment_pairs(&self) -> Result<Vec<(i64, i64)>> {
        let rows = crate::sql::query(
            "SELECT enterprise_id, team_id FROM team_assignments ORDER BY enterprise_id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("enterprise_id")?, r.try_get("team_id")?)))
            .collect()
    }

    /// Changes of an enterprise's team and contact, oldest first.
    pub async fn assignment_history(
        &self,
        enterprise_id: i64,
    ) -> Result<Vec<AssignmentHistoryRow>> {
        let rows = crate::sql::query(
            "SELECT h.id, h.enterprise_id, h.from_team_id, f.name AS from_team_name, h.to_team_id, t.name AS to_team_name, \
             h.from_contact_id, h.to_contact_id, h.at, h.actor_name, h.reason \
             FROM team_assignment_history h LEFT JOIN service_teams f ON f.id = h.from_team_id LEFT JOIN service_teams t ON t.id = h.to_team_id \
             WHERE h.enterprise_id = $1 ORDER BY h.id",
        )
        .bind(enterprise_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AssignmentHistoryRow {
                    id: r.try_get("id")?,
                    enterprise_id: r.try_get("enterprise_id")?,
                    from_team_id: r.try_get("from_team_id")?,
                    from_team_name: r.try_get("from_team_name")?,
                    to_team_id: r.try_get("to_team_id")?,
                    to_team_name: r.try_get("to_team_name")?,
                    from_contact_id: r.try_get("from_contact_id")?,
                    to_contact_id: r.try_get("to_contact_id")?,
                    at: r.try_get("at")?,
                    actor_name: r.try_get("actor_name")?,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }
}

/// Create a team; a used name is a conflict.
pub async fn team_insert(conn: &mut Conn, w: &TeamWrite) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO service_teams (name, leader_id, note, active, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $5, 1) RETURNING id",
    )
    .bind(&w.name)
    .bind(w.leader_id)
    .bind(w.note.as_deref())
    .bind(i64::from(w.active))
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| StoreError::from_write(e, "团队名称已存在 / team name already exists"))?;
    Ok(r.try_get("id")?)
}

/// Change a team if its version is still `expected_version` (optimistic lock).
pub async fn team_update(
    conn: &mut Conn,
    id: i64,
    expected_version: i64,
    w: &TeamWrite,
) -> Result<()> {
    let n = crate::sql::query(
        "UPDATE service_teams SET name = $1, leader_id = $2, note = $3, active = $4, updated_at = $5, version = version + 1 \
         WHERE id = $6 AND version = $7",
    )
    .bind(&w.name)
    .bind(w.leader_id)
    .bind(w.note.as_deref())
    .bind(i64::from(w.active))
    .bind(now_text())
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from_write(e, "团队名称已存在 / team name already exists"))?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict(
            "团队已被他人修改，请刷新后重试 / the team was changed by someone else; reload and retry"
                .into(),
        ));
    }
    Ok(())
}

/// Replace a team's members (in the given order).
pub async fn team_set_members(
    conn: &mut Conn,
    team_id: i64,
    members: &[MemberWrite],
) -> Result<()> {
    crate::sql::query("DELETE FROM team_members WHERE team_id = $1")
        .bind(team_id)
        .execute(&mut *conn)
        .await?;
    for (i, m) in members.iter().enumerate() {
        crate::sql::query(
            "INSERT INTO team_members (team_id, user_id, department_id, sort) VALUES ($1, $2, $3, $4)",
        )
        .bind(team_id)
        .bind(m.user_id)
        .bind(m.department_id)
        .bind(i as i64)
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::from_write(e, "成员重复 / member listed twice"))?;
    }
    Ok(())
}

/// Current (team, contact) of an enterprise inside a transaction.
pub async fn assignment_current(
    conn: &mut Conn,
    enterprise_id: i64,
) -> Result<Option<(i64, Option<i64>)>> {
    let r = crate::sql::query(
        "SELECT team_id, contact_user_id FROM team_assignments WHERE enterprise_id = $1",
    )
    .bind(enterprise_id)
    .fetch_optional(&mut *conn)
    .await?;
    r.map(|r| Ok((r.try_get("team_id")?, r.try_get("contact_user_id")?)))
        .transpose()
}

/// Set (or with `team_id = None` remove) the team and contact of an enterprise. Returns the
/// change, or `None` when nothing changed. A change appends a history row and moves the
/// enterprise's open visit tasks to the new team.
pub async fn assignment_set(
    conn: &mut Conn,
    enterprise_id: i64,
    team_id: Option<i64>,
    contact_user_id: Option<i64>,
    actor_name: &str,
    reason: Option<&str>,
) -> Result<Option<AssignmentChange>> {
    let before = assignment_current(conn, enterprise_id).await?;
    let (from_team, from_contact) = match before {
        Some((t, c)) => (Some(t), c),
        None => (None, None),
    };
    let to_contact = team_id.and(contact_user_id);
    if from_team == team_id && from_contact == to_contact {
        return Ok(None);
    }
    let now = now_text();
    match team_id {
        Some(t) => {
            crate::sql::query(
                "INSERT INTO team_assignments (enterprise_id, team_id, contact_user_id, assigned_at, assigned_by) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (enterprise_id) DO UPDATE SET team_id = excluded.team_id, contact_user_id = excluded.contact_user_id, assigned_at = excluded.assigned_at, assigned_by = excluded.assigned_by",
            )
            .bind(enterprise_id)
            .bind(t)
            .bind(to_contact)
            .bind(&now)
            .bind(actor_name)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            crate::sql::query("DELETE FROM team_assignments WHERE enterprise_id = $1")
                .bind(enterprise_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    crate::sql::query(
        "INSERT INTO team_assignment_history (enterprise_id, from_team_id, to_team_id, from_contact_id, to_contact_id, at, actor_name, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(enterprise_id)
    .bind(from_team)
    .bind(team_id)
    .bind(from_contact)
    .bind(to_contact)
    .bind(&now)
    .bind(actor_name)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    if from_team != team_id {
        crate::sql::query(
            "UPDATE visit_tasks SET team_id = $1 WHERE enterprise_id = $2 AND status = 'open'",
        )
        .bind(team_id)
        .bind(enterprise_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(Some(AssignmentChange {
        enterprise_id,
        from_team_id: from_team,
        to_team_id: team_id,
        from_contact_id: from_contact,
        to_contact_id: to_contact,
    }))
}
