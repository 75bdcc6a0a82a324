//! Ownership findings: the gaps of the responsibility map.

use async_graphql::Object;
use service::reports::ownership;

use super::chart::{Function, Touchpoint};
use super::enums::{FindingKindEnum, RaciRole, SeverityEnum};

/// A gap in the responsibility map.
pub struct OwnershipFinding(pub ownership::OwnershipFinding);

/// A gap in the responsibility map.
#[Object]
impl OwnershipFinding {
    /// What is wrong.
    async fn kind(&self) -> FindingKindEnum {
        self.0.finding.kind.into()
    }
    /// How serious it is: ERROR, WARNING or INFO.
    async fn severity(&self) -> SeverityEnum {
        self.0.finding.kind.severity().into()
    }
    /// The touchpoint concerned.
    async fn touchpoint(&self) -> Option<Touchpoint> {
        self.0.touchpoint().cloned().map(Touchpoint)
    }
    /// The functions involved: the accountable ones for MULTIPLE_ACCOUNTABLE, the CX
    /// owners for CX_ONLY_OWNERSHIP, the function concerned for UNACKNOWLEDGED.
    async fn functions(&self) -> Vec<Function> {
        self.0
            .functions()
            .into_iter()
            .cloned()
            .map(Function)
            .collect()
    }
    /// For UNACKNOWLEDGED: people of the function who acknowledged; `null` otherwise.
    async fn acknowledged(&self) -> Option<i64> {
        self.0.finding.coverage.map(|c| c.0)
    }
    /// For UNACKNOWLEDGED: people of the function; `null` otherwise.
    async fn people(&self) -> Option<i64> {
        self.0.finding.coverage.map(|c| c.1)
    }
    /// For UNACKNOWLEDGED: the role not acknowledged by all (a function that is both
    /// ACCOUNTABLE and RESPONSIBLE can have a finding for each); `null` otherwise.
    async fn role(&self) -> Option<RaciRole> {
        self.0.finding.role.map(|role| match role {
            service::rules::ownership::Role::Responsible => RaciRole::Responsible,
            service::rules::ownership::Role::Accountable => RaciRole::Accountable,
            service::rules::ownership::Role::Consulted => RaciRole::Consulted,
            service::rules::ownership::Role::Informed => RaciRole::Informed,
        })
    }
    /// A sentence for a human, naming the touchpoint and the functions.
    async fn message(&self) -> String {
        self.0.message()
    }
}
