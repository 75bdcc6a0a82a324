//! The `Node` interface: anything with a global id.

use async_graphql::{Interface, ID};

use super::admin::{ApiKey, AuditEvent};
use super::case::{Handoff, Interaction};
use super::chart::{Function, Journey, Membership, Person, Responsibility, Stage, Touchpoint};
use super::live::Webhook;

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The global id, opaque; pass it to `node(id:)`."
))]
pub enum Node {
    Function(Function),
    Person(Person),
    Journey(Journey),
    Stage(Stage),
    Touchpoint(Touchpoint),
    Responsibility(Responsibility),
    Interaction(Interaction),
    Handoff(Handoff),
    Membership(Membership),
    ApiKey(ApiKey),
    Webhook(Webhook),
    AuditEvent(AuditEvent),
}
