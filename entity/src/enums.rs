//! Enumerated column values, stored as short strings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A function's RACI role on a touchpoint.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "RESPONSIBLE")]
    Responsible,
    #[sea_orm(string_value = "ACCOUNTABLE")]
    Accountable,
    #[sea_orm(string_value = "CONSULTED")]
    Consulted,
    #[sea_orm(string_value = "INFORMED")]
    Informed,
}

impl Role {
    /// ACCOUNTABLE and RESPONSIBLE are the roles that own a touchpoint.
    pub fn owns(self) -> bool {
        matches!(self, Role::Accountable | Role::Responsible)
    }
}

/// The channel through which a touchpoint meets the customer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Channel {
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "CHAT")]
    Chat,
    #[sea_orm(string_value = "FACE_TO_FACE")]
    FaceToFace,
    #[sea_orm(string_value = "WEB")]
    Web,
    #[sea_orm(string_value = "MOBILE_APP")]
    MobileApp,
    #[sea_orm(string_value = "SOCIAL")]
    Social,
    #[sea_orm(string_value = "MAIL")]
    Mail,
    #[sea_orm(string_value = "SELF_SERVICE")]
    SelfService,
    #[sea_orm(string_value = "OTHER")]
    Other,
}
