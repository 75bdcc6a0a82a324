//! `siloscope import org FILE.json`: an organization chart in the `org.json` shape
//! (the test fixture's), loaded atomically by `service::model::chart`.

use std::path::Path;

use anyhow::{bail, Context};
use sea_orm::ActiveEnum;
use serde::Deserialize;
use service::model::chart::{Chart, ChartFunction, ChartResponsibility, ChartTouchpoint};
use service::model::touchpoint::ExperienceElement;
use service::storage::db::{Db, OwnerWork};
use service::WriteError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgFile {
    #[serde(default)]
    functions: Vec<FunctionEntry>,
    #[serde(default)]
    touchpoints: Vec<TouchpointEntry>,
    #[serde(default)]
    responsibilities: Vec<ResponsibilityEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FunctionEntry {
    name: String,
    #[serde(default)]
    is_cx_team: bool,
    external_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TouchpointEntry {
    name: String,
    channel: String,
    /// Desired experience elements by name (`PROMPT`, `SINGLE_POINT_OF_CONTACT`…).
    experience: Option<Vec<String>>,
    /// An ISO 8601 duration (`PT4H`).
    prompt_within: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponsibilityEntry {
    touchpoint: String,
    function: String,
    role: String,
}

/// A stored enum value from its name (`WEB`, `ACCOUNTABLE`), or a message naming the
/// entry and the values there are.
fn value<E: ActiveEnum<Value = String> + sea_orm::Iterable>(
    text: &str,
    what: &str,
) -> anyhow::Result<E> {
    E::try_from_value(&text.trim().to_ascii_uppercase()).map_err(|_| {
        let names: Vec<String> = E::iter().map(|v| v.to_value()).collect();
        anyhow::anyhow!("{what}: `{text}` is not one of {}", names.join(", "))
    })
}

/// Loads the chart in `file` into organization `slug`.
pub async fn import(db: &Db, slug: &str, file: &Path) -> anyhow::Result<()> {
    let Some(org) =
        service::model::organization::find_by_slug(&db.owner(OwnerWork::Organizations), slug)
            .await?
    else {
        bail!("no organization `{slug}` in the configured database; `siloscope org list` shows those there are");
    };
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let parsed: OrgFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an org.json chart", file.display()))?;
    let mut chart = Chart::default();
    for f in parsed.functions {
        chart.functions.push(ChartFunction {
            name: f.name,
            is_cx_team: f.is_cx_team,
            external_id: f.external_id,
        });
    }
    for (i, t) in parsed.touchpoints.into_iter().enumerate() {
        let experience = t
            .experience
            .map(|names| {
                names
                    .iter()
                    .map(|name| {
                        ExperienceElement::from_name(name).ok_or_else(|| {
                            anyhow::anyhow!(
                                "touchpoints[{i}].experience: `{name}` is not one of {}",
                                ExperienceElement::ALL
                                    .map(ExperienceElement::name)
                                    .join(", ")
                            )
                        })
                    })
                    .collect::<anyhow::Result<Vec<_>>>()
            })
            .transpose()?;
        let prompt_within = t
            .prompt_within
            .map(|text| service::duration::parse(&text))
            .transpose()
            .map_err(|e| anyhow::anyhow!("touchpoints[{i}].promptWithin: {e}"))?;
        chart.touchpoints.push(ChartTouchpoint {
            channel: value(&t.channel, &format!("touchpoints[{i}].channel"))?,
            name: t.name,
            experience,
            prompt_within,
        });
    }
    for (i, r) in parsed.responsibilities.into_iter().enumerate() {
        chart.responsibilities.push(ChartResponsibility {
            role: value(&r.role, &format!("responsibilities[{i}].role"))?,
            touchpoint: r.touchpoint,
            function: r.function,
        });
    }
    let loaded = service::access::audit::as_actor(
        service::access::audit::Actor::cli(),
        service::model::chart::load(&db.tenant(org.id), org.id, chart),
    )
    .await;
    match loaded {
        Ok(loaded) => {
            println!(
                "functions: {} created, {} updated; touchpoints: {} created, {} updated; responsibilities: {} assigned",
                loaded.functions_created,
                loaded.functions_updated,
                loaded.touchpoints_created,
                loaded.touchpoints_updated,
                loaded.responsibilities_assigned
            );
            Ok(())
        }
        Err(WriteError::Invalid(errors)) => {
            for e in &errors {
                eprintln!("{}: {}", json_path(&e.field), e.message);
            }
            bail!("nothing was loaded: {} entr(ies) refused", errors.len())
        }
        Err(WriteError::Fault(fault)) => Err(fault.into()),
    }
}

/// Where a field is in org.json: `functions[3].externalId`.
fn json_path(field: &service::Field) -> String {
    let camel = |name: &str| {
        let mut out = String::new();
        let mut upper = false;
        for c in name.chars() {
            match (c, upper) {
                ('_', _) => upper = true,
                (c, true) => {
                    out.extend(c.to_uppercase());
                    upper = false;
                }
                (c, false) => out.push(c),
            }
        }
        out
    };
    let mut path = field.list.as_deref().map(camel).unwrap_or_default();
    if let Some(item) = field.item {
        path.push_str(&format!("[{item}]"));
    }
    if !field.name.is_empty() {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&camel(&field.name));
    }
    path
}
