//! Phrase marks: whether an interaction's note matches the organization's deferral
//! and burden phrases. Marked at recording time; re-marked when the lists change.

use std::collections::HashMap;

use entity::{interaction, step};
use rules::flags::Phrases;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::error::ServiceResult;
use crate::storage::scoped::in_org;

/// Re-marks every interaction of the organization against new phrase lists, and
/// carries the marks onto the steps that follow them. Reads the log in pages. The
/// caller rebuilds the rollups afterwards.
pub async fn remark(
    txn: &DatabaseTransaction,
    organization_id: i64,
    deferral: &Phrases,
    burden: &Phrases,
) -> ServiceResult<()> {
    const PAGE: u64 = 5_000;
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, Option<String>, bool, bool, bool)> =
            in_org::<interaction::Entity>(organization_id)
                .filter(interaction::Column::Id.gt(after))
                // A redacted note has no text to match: its marks stay as they were.
                .filter(interaction::Column::NoteRedacted.eq(false))
                .order_by_asc(interaction::Column::Id)
                .select_only()
                .columns([
                    interaction::Column::Id,
                    interaction::Column::Note,
                    interaction::Column::CustomerActionRequired,
                    interaction::Column::BurdenMatch,
                    interaction::Column::DeferralMatch,
                ])
                .limit(PAGE)
                .into_tuple()
                .all(txn)
                .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        // Group the changed interactions by their new marks: one statement per group.
        let mut changed: HashMap<(bool, bool, bool), Vec<i64>> = HashMap::new();
        for (id, note, action, old_burden, old_deferral) in &rows {
            let new_burden = burden.matches(note.as_deref());
            let new_deferral = deferral.matches(note.as_deref());
            if (new_burden, new_deferral) != (*old_burden, *old_deferral) {
                changed
                    .entry((new_burden, new_deferral, *action))
                    .or_default()
                    .push(*id);
            }
        }
        for ((new_burden, new_deferral, action), ids) in changed {
            interaction::Entity::update_many()
                .col_expr(interaction::Column::BurdenMatch, Expr::value(new_burden))
                .col_expr(
                    interaction::Column::DeferralMatch,
                    Expr::value(new_deferral),
                )
                .filter(interaction::Column::Id.is_in(ids.iter().copied()))
                .exec(txn)
                .await?;
            step::Entity::update_many()
                .col_expr(
                    step::Column::CustomerBurden,
                    Expr::value(new_burden || action),
                )
                .col_expr(step::Column::DeferralLanguage, Expr::value(new_deferral))
                .filter(step::Column::PrevInteractionId.is_in(ids))
                .exec(txn)
                .await?;
        }
        if (rows.len() as u64) < PAGE {
            break;
        }
    }
    Ok(())
}
