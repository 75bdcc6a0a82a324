//! Recording and retracting the interaction log.

use async_graphql::{Context, InputObject, Object, OneofObject, SimpleObject, ID};
use entity::{function, person, touchpoint};
use service::log::recording::{self, record};
use service::ServiceResult;

use super::{argument_errors, user_errors, UserError};
use crate::graphql::context::{db, org_for, written};
use crate::graphql::ids::row;
use crate::graphql::types::window::Instant;
use crate::server::auth::may;

/// The function that handled an interaction: exactly one of its id, its HR
/// `externalId` or its name (case-insensitive).
#[derive(OneofObject, Clone, Debug)]
pub enum FunctionRef {
    /// The function's global id.
    Id(ID),
    /// The HR system's id of the function.
    ExternalId(String),
    /// The function's name, case-insensitive.
    Name(String),
}

/// The touchpoint of an interaction: exactly one of its id or its name (case-insensitive).
#[derive(OneofObject, Clone, Debug)]
pub enum TouchpointRef {
    /// The touchpoint's global id.
    Id(ID),
    /// The touchpoint's name, case-insensitive.
    Name(String),
}

/// One event of a customer case.
#[derive(InputObject, Clone, Debug)]
pub struct InteractionInput {
    /// The case's reference in the ticketing system (1–200 characters).
    pub case_ref: String,
    /// When it happened: RFC 3339 with an offset, like `2026-03-01T09:30:00Z` or
    /// `2026-03-01T10:30:00+01:00` (a time without an offset is refused with a userError,
    /// never guessed); kept to the microsecond. From 1970-01-01T00:00:00Z to one day
    /// after the server's clock.
    pub occurred_at: Instant,
    /// The function that handled the case.
    pub function: FunctionRef,
    /// Where it happened, if known.
    pub touchpoint: Option<TouchpointRef>,
    /// The person who handled it, if known.
    pub person_id: Option<ID>,
    /// Free text (at most 4,000 characters); matched against the phrase lists.
    pub note: Option<String>,
    /// Whether the customer was left with something to do.
    #[graphql(default)]
    pub customer_action_required: bool,
    /// The source system's id of this event, unique in the organization: re-sending it
    /// is harmless. Also breaks ties between interactions at the same instant.
    pub external_id: Option<String>,
}

impl From<InteractionInput> for recording::InteractionInput {
    fn from(input: InteractionInput) -> Self {
        recording::InteractionInput {
            case_ref: input.case_ref,
            occurred_at: input.occurred_at.into_text(),
            function: match input.function {
                FunctionRef::Id(id) => recording::FunctionRef::Id(row::<function::Entity>(&id)),
                FunctionRef::ExternalId(e) => recording::FunctionRef::ExternalId(e),
                FunctionRef::Name(name) => recording::FunctionRef::Name(name),
            },
            touchpoint: input.touchpoint.map(|t| match t {
                TouchpointRef::Id(id) => {
                    recording::TouchpointRef::Id(row::<touchpoint::Entity>(&id))
                }
                TouchpointRef::Name(name) => recording::TouchpointRef::Name(name),
            }),
            person_id: input.person_id.map(|id| row::<person::Entity>(&id)),
            note: input.note,
            customer_action_required: input.customer_action_required,
            external_id: input.external_id,
        }
    }
}

/// What `recordInteractions` did.
#[derive(SimpleObject, Default)]
pub struct RecordInteractionsPayload {
    /// Interactions newly recorded (0 when `userErrors` is not empty).
    pub recorded: i64,
    /// Items already recorded with the same content (by externalId), left as they were.
    pub duplicates: i64,
    /// Handoffs the affected cases have now minus before this call.
    pub new_handoffs: i64,
    /// SILO handoffs the affected cases have now minus before this call.
    pub new_silo_handoffs: i64,
    /// Every bad item, by index; when not empty nothing was written.
    pub user_errors: Vec<UserError>,
}

/// A case and an instant: every interaction of the case at that instant.
#[derive(InputObject, Clone, Debug)]
pub struct OccurrenceInput {
    /// The case's reference.
    pub case_ref: String,
    /// The instant, as recorded.
    pub occurred_at: Instant,
}

/// What `retractInteractions` did.
#[derive(SimpleObject, Default)]
pub struct RetractInteractionsPayload {
    /// Interactions removed (0 when `userErrors` is not empty).
    pub retracted: i64,
    /// The externalIds, content keys and occurrences (`CASE at INSTANT`) no recorded
    /// interaction has; nothing was removed for them.
    pub not_found: Vec<String>,
    /// Handoffs the affected cases have now minus before this call (zero or less).
    pub new_handoffs: i64,
    /// SILO handoffs the affected cases have now minus before this call (zero or less).
    pub new_silo_handoffs: i64,
    /// Every bad externalId, by index; when not empty nothing was removed.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct InteractionMutation;

#[Object]
impl InteractionMutation {
    /// Records up to 10,000 interactions atomically: when any item is invalid nothing
    /// is written and `userErrors` lists every bad item by index. Re-sending an item
    /// with the same externalId and content is a harmless duplicate; with other
    /// content it is a CONFLICT. Handoffs of the affected cases are re-derived, so
    /// late and out-of-order interactions land in their place.
    /// Roles: EDITOR, INTEGRATION, ADMIN.
    async fn record_interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The interactions, 1 to 10,000; all are recorded or none.")] input: Vec<
            InteractionInput,
        >,
    ) -> ServiceResult<RecordInteractionsPayload> {
        let org = org_for(ctx, may::RECORD)?;
        let items = input.into_iter().map(Into::into).collect();
        Ok(match written(record(db(ctx)?, org, items).await)? {
            Ok(done) => {
                if let Some(metrics) = ctx.data_opt::<crate::server::observe::Metrics>() {
                    metrics.recorded.inc_by(done.recorded.max(0) as u64);
                }
                RecordInteractionsPayload {
                    recorded: done.recorded,
                    duplicates: done.duplicates,
                    new_handoffs: done.new_handoffs,
                    new_silo_handoffs: done.new_silo_handoffs,
                    user_errors: Vec::new(),
                }
            }
            Err(errors) => RecordInteractionsPayload {
                user_errors: user_errors(errors),
                ..Default::default()
            },
        })
    }

    /// Removes recorded interactions, atomically (up to 10,000 named a call), and
    /// re-derives their cases: every report follows, as if they had never been
    /// recorded. A case left without interactions goes too. Name them by externalId,
    /// by `contentKey` (those recorded without an externalId), or by case and instant;
    /// what names no recorded interaction is listed in `notFound`, so retracting twice
    /// is harmless. Roles: EDITOR, ADMIN.
    async fn retract_interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The source system's ids of the interactions to remove.",
            default
        )]
        external_ids: Vec<String>,
        #[graphql(
            desc = "The `contentKey`s of interactions recorded without an externalId.",
            default
        )]
        content_keys: Vec<String>,
        #[graphql(
            desc = "Every interaction of a case at an instant (for rows without an externalId).",
            default
        )]
        occurrences: Vec<OccurrenceInput>,
    ) -> ServiceResult<RetractInteractionsPayload> {
        let targets = recording::Targets {
            external_ids,
            content_keys,
            occurrences: occurrences
                .into_iter()
                .map(|o| (o.case_ref, o.occurred_at.into_text()))
                .collect(),
        };
        let org = org_for(ctx, may::EDIT)?;
        Ok(
            match written(recording::retract(db(ctx)?, org, targets).await)? {
                Ok(done) => RetractInteractionsPayload {
                    retracted: done.retracted,
                    not_found: done.not_found,
                    new_handoffs: done.new_handoffs,
                    new_silo_handoffs: done.new_silo_handoffs,
                    user_errors: Vec::new(),
                },
                Err(errors) => RetractInteractionsPayload {
                    user_errors: argument_errors(errors),
                    ..Default::default()
                },
            },
        )
    }
}
