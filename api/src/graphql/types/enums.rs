//! Enums of the API, mirrored from the entity, service and rules enums.

use async_graphql::Enum;
use service::rules::flags::Flag;
use service::rules::ownership::{FindingKind, Severity};

/// The channel through which a touchpoint meets the customer.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    name = "Channel",
    remote = "entity::enums::Channel",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum ChannelEnum {
    /// Telephone.
    Phone,
    /// Email.
    Email,
    /// Live chat or messaging.
    Chat,
    /// In person.
    FaceToFace,
    /// The website.
    Web,
    /// The mobile app.
    MobileApp,
    /// Social media.
    Social,
    /// Post.
    Mail,
    /// Self-service tools (portal, kiosk, IVR).
    SelfService,
    /// Anything else.
    Other,
}

/// A function's part in a touchpoint, in a RACI matrix (not an access role: those are
/// `AccessRole`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    name = "RaciRole",
    remote = "entity::enums::Role",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum RaciRole {
    /// Does the work at the touchpoint.
    Responsible,
    /// Owns the outcome; every touchpoint should have exactly one.
    Accountable,
    /// Asked before decisions.
    Consulted,
    /// Told after decisions.
    Informed,
}

/// A flag of a handoff (docs/rules.md §2.3); several can hold at once.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    name = "HandoffFlag",
    remote = "Flag",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum HandoffFlagEnum {
    /// `to` is a CX team and `from` is not.
    DeferralToCx,
    /// A deferral to CX at a touchpoint no CX team is ACCOUNTABLE or RESPONSIBLE for
    /// (or with no touchpoint): the silo handoff siloscope exists to detect.
    Silo,
    /// A deferral to CX by a function that is ACCOUNTABLE or RESPONSIBLE for the touchpoint.
    OwnedDeferral,
    /// The customer bounced back to the function they came from (A→B→A).
    PingPong,
    /// The first interaction left the customer with something to do.
    CustomerBurden,
    /// The first interaction's note uses deferral language.
    DeferralLanguage,
}

/// The kind of an ownership finding.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    name = "OwnershipFindingKind",
    remote = "FindingKind",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum FindingKindEnum {
    /// No ACCOUNTABLE function (error).
    NoAccountable,
    /// More than one ACCOUNTABLE function (error).
    MultipleAccountable,
    /// No RESPONSIBLE function (warning).
    NoResponsible,
    /// Every ACCOUNTABLE/RESPONSIBLE function is a CX team (warning).
    CxOnlyOwnership,
    /// Not all people of an owning function have acknowledged it (info).
    Unacknowledged,
}

/// How serious a finding is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    name = "Severity",
    remote = "Severity",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum SeverityEnum {
    /// Breaks ownership: fix it.
    Error,
    /// Weakens ownership.
    Warning,
    /// Worth knowing.
    Info,
}

/// Which earlier period a report is compared with.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    remote = "service::reports::report::ComparisonPeriod",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum ComparisonPeriod {
    /// The period before. When the window is exactly one or more whole calendar
    /// periods in the organization's time zone (days, ISO weeks, months, quarters,
    /// years), the same number of those periods just before it (February for March,
    /// Q1 for Q2, the week before for a week); otherwise the window of the same
    /// length ending where it starts. In `siloTrend`, each point's period is whole, so
    /// it is the period before each point. The dashboard uses this one rule.
    PreviousPeriod,
    /// In `siloReport`: the same window one calendar year earlier, in the
    /// organization's time zone. In `siloTrend`: the period holding each point's first
    /// day a year earlier.
    SamePeriodLastYear,
}

/// How long the periods of a trend are; each begins at local midnight in the
/// organization's time zone.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    remote = "service::reports::report::Granularity",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum Granularity {
    /// Local days.
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters (January, April, July, October).
    Quarter,
    /// Calendar years.
    Year,
}

/// An element of the experience a touchpoint should give the customer.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(
    name = "ExperienceElement",
    remote = "service::model::touchpoint::ExperienceElement",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum ExperienceElementEnum {
    /// The customer is treated as who they are.
    Personalized,
    /// Whoever they meet knows the answer.
    Knowledgeable,
    /// Their situation is understood.
    Empathetic,
    /// No waiting.
    Prompt,
    /// Right the first time.
    Accurate,
    /// One contact owns the moment; no passing on.
    SinglePointOfContact,
    /// They can reach the business when they need to.
    ReliableAccess,
}

/// What a caller can fix about a mutation's input.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    name = "UserErrorCode",
    remote = "service::UserErrorCode",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum UserErrorCodeEnum {
    /// A value is malformed or out of range.
    Invalid,
    /// A value must be given.
    Required,
    /// A name, email or external id is already taken in the organization.
    Duplicate,
    /// A referenced record does not exist in the organization.
    NotFound,
    /// The input contradicts what is recorded (e.g. an externalId recorded with other content).
    Conflict,
    /// Too many items in one request.
    TooMany,
}

/// What the interaction log contradicts in the responsibility map.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    name = "DriftFindingKind",
    remote = "service::rules::drift::DriftKind",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum DriftFindingKindEnum {
    /// The function that handles most of the touchpoint's interactions is neither
    /// ACCOUNTABLE nor RESPONSIBLE for it (warning).
    DeFactoOwnerNotResponsible,
    /// A CX team handles most of a touchpoint that a function other than a CX team is
    /// ACCOUNTABLE or RESPONSIBLE for: the owner on paper has relinquished the
    /// customer (error).
    CxCarriesOwnedTouchpoint,
}

#[cfg(test)]
mod tests {
    use service::rules::flags::Flag;

    #[test]
    fn each_flag_has_one_name_in_every_door() {
        let names: Vec<_> =
            <super::HandoffFlagEnum as async_graphql::resolver_utils::EnumType>::items()
                .iter()
                .map(|item| item.name)
                .collect();
        let ours: Vec<_> = Flag::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names, ours);
    }
}
