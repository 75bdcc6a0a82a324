//! Recording what customers say: survey offers and answers, and complaints.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use service::log::feedback::{self, record};
use service::ServiceResult;

use super::{user_errors, UserError};
use crate::graphql::context::{db, org_for, written};
use crate::graphql::types::voice::FeedbackKind;
use crate::graphql::types::window::Instant;
use crate::server::auth::may;

/// A survey offered (and perhaps answered) or a complaint, about a recorded case.
#[derive(InputObject, Clone, Debug)]
pub struct FeedbackInput {
    /// The source system's id (1–200 characters), unique in the organization:
    /// re-sending is harmless, and re-sending an offered survey with its answer adds
    /// the answer.
    pub external_id: String,
    /// The case it is about; its interactions must be recorded.
    pub case_ref: String,
    /// CSAT (1–5), CES (1–7), NPS (0–10) or COMPLAINT (no score).
    pub kind: FeedbackKind,
    /// When the survey was offered or the complaint made (RFC 3339 with an offset).
    pub at: Instant,
    /// When the survey was answered: given exactly when `score` is; never for a
    /// complaint; not before `at`.
    pub answered_at: Option<Instant>,
    /// The answer's score, in the kind's range.
    pub score: Option<i32>,
    /// Where it came from (free text, at most 100 characters), like `email` or `social`.
    pub channel: Option<String>,
    /// What the customer wrote (at most 4,000 characters); erased and redacted like
    /// interaction notes.
    pub comment: Option<String>,
}

impl From<FeedbackInput> for feedback::FeedbackInput {
    fn from(input: FeedbackInput) -> Self {
        feedback::FeedbackInput {
            external_id: input.external_id,
            case_ref: input.case_ref,
            kind: service::rules::voice::Kind::from(input.kind)
                .name()
                .to_owned(),
            at: input.at.into_text(),
            answered_at: input.answered_at.map(Instant::into_text),
            score: input.score,
            channel: input.channel,
            comment: input.comment,
        }
    }
}

/// What `recordFeedback` did.
#[derive(SimpleObject, Default)]
pub struct RecordFeedbackPayload {
    /// Items newly recorded (0 when `userErrors` is not empty).
    pub recorded: i64,
    /// Surveys recorded as offered whose answer this call added.
    pub answered: i64,
    /// Items already recorded with the same content, left as they were.
    pub duplicates: i64,
    /// Every bad item, by index; when not empty nothing was written.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Records up to 10,000 survey offers, answers and complaints atomically: when
    /// any item is invalid (an unknown case, a score out of its kind's range, an
    /// answer before its offer, a score on a complaint…) nothing is written and
    /// `userErrors` lists every bad item by index. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn record_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The feedback, 1 to 10,000 items; all are recorded or none.")] input: Vec<
            FeedbackInput,
        >,
    ) -> ServiceResult<RecordFeedbackPayload> {
        let org = org_for(ctx, may::RECORD)?;
        let items = input.into_iter().map(Into::into).collect();
        Ok(match written(record(db(ctx)?, org, items).await)? {
            Ok(done) => RecordFeedbackPayload {
                recorded: done.recorded,
                answered: done.answered,
                duplicates: done.duplicates,
                user_errors: Vec::new(),
            },
            Err(errors) => RecordFeedbackPayload {
                user_errors: user_errors(errors),
                ..Default::default()
            },
        })
    }
}
