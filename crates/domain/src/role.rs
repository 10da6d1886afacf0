//! Roles of the people who use Lianshi, and what each is bound to.
//!
//! Permission *checks* live in the app layer; this module only names the roles.

use crate::error::Invalid;

/// A user's role. The string forms are part of the CLI and API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 区委组织部 / 两新工委 administrator: sees and changes everything.
    Admin,
    /// Officer of a government department.
    Department,
    /// Member of a party-member service team (红色店小二).
    Team,
    /// Secretary of a party organisation.
    PartySecretary,
    /// Staff of one enterprise: sees only that enterprise.
    Enterprise,
    /// Staff of a bank or fund.
    Finance,
    /// Voucher service provider.
    Provider,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Department,
        Role::Team,
        Role::PartySecretary,
        Role::Enterprise,
        Role::Finance,
        Role::Provider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Department => "department",
            Role::Team => "team",
            Role::PartySecretary => "party_secretary",
            Role::Enterprise => "enterprise",
            Role::Finance => "finance",
            Role::Provider => "provider",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "管理员（区委组织部/两新工委）",
            Role::Department => "部门工作人员",
            Role::Team => "服务团队成员",
            Role::PartySecretary => "党组织书记",
            Role::Enterprise => "企业用户",
            Role::Finance => "金融机构用户",
            Role::Provider => "服务商",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Department => "Department officer",
            Role::Team => "Service-team member",
            Role::PartySecretary => "Party secretary",
            Role::Enterprise => "Enterprise user",
            Role::Finance => "Financial-institution user",
            Role::Provider => "Voucher service provider",
        }
    }

    pub fn parse(s: &str) -> Result<Role, Invalid> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim()).ok_or_else(|| {
            Invalid::new(
                "role_unknown",
                format!(
                    "未知角色“{s}”，可选：admin, department, team, party_secretary, enterprise, finance, provider"
                ),
                format!(
                    "unknown role '{s}'; expected one of admin, department, team, party_secretary, enterprise, finance, provider"
                ),
            )
        })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_from_its_own_name() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
    }

    #[test]
    fn an_unknown_role_is_refused_with_the_list() {
        let e = Role::parse("root").unwrap_err();
        assert_eq!(e.code, "role_unknown");
        assert!(e.en.contains("party_secretary"));
    }
}
