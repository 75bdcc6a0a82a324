//! What customers say, against the silos: `voiceReport` and `recordFeedback`'s kinds.

use async_graphql::{Enum, Object, SimpleObject};
use service::reports::voice as reports;
use service::rules::voice::{self as rules, Bucket, Kind, KindFigures, Tally};

use super::chart::Function;
use super::enums::{ComparisonPeriod, SeverityEnum};
use super::window::WindowOutput;

/// What a piece of feedback is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "service::rules::voice::Kind")]
pub enum FeedbackKind {
    /// Customer satisfaction survey, scored 1–5 (top box: 4 and 5).
    Csat,
    /// Customer effort survey, scored 1–7 (top box: 6 and 7).
    Ces,
    /// Net promoter survey, scored 0–10 (top box: 9 and 10; detractors 0–6).
    Nps,
    /// A complaint: no score.
    Complaint,
}

/// How many SILO handoffs a case's whole chain has.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "service::rules::voice::Bucket")]
pub enum SiloBucket {
    /// None.
    None,
    /// One.
    One,
    /// Two.
    Two,
    /// Three or more.
    ThreeOrMore,
}

/// Survey figures of one set of surveys.
#[derive(SimpleObject, Clone, Debug)]
pub struct SurveyFigures {
    /// Surveys offered in the window.
    pub offered: i64,
    /// Of those, answered.
    pub answered: i64,
    /// answered ÷ offered; `null` when none was offered.
    pub response_rate: Option<f64>,
    /// The answers' mean score; `null` without answers.
    pub mean_score: Option<f64>,
    /// The share of answers that are top box; `null` without answers.
    pub top_box_rate: Option<f64>,
    /// For NPS: (share of 9–10 − share of 0–6) × 100; `null` for other kinds and
    /// without answers.
    pub nps: Option<f64>,
}

impl SurveyFigures {
    fn of(kind: Kind, tally: &Tally) -> Self {
        SurveyFigures {
            offered: tally.offered,
            answered: tally.answered,
            response_rate: tally.response_rate(),
            mean_score: tally.mean_score(),
            top_box_rate: tally.top_box_rate(),
            nps: tally.nps(kind),
        }
    }
}

/// One silo bucket's surveys.
#[derive(SimpleObject, Clone, Debug)]
pub struct SurveyBucket {
    /// The cases' SILO handoffs.
    pub silo_handoffs: SiloBucket,
    /// Their surveys' figures.
    pub figures: SurveyFigures,
}

/// A mean score and a top-box rate.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct ScoreFigures {
    /// The mean score; `null` without answers.
    pub mean_score: Option<f64>,
    /// The top-box rate; `null` without answers.
    pub top_box_rate: Option<f64>,
}

impl From<rules::Scores> for ScoreFigures {
    fn from(s: rules::Scores) -> Self {
        ScoreFigures {
            mean_score: s.mean_score,
            top_box_rate: s.top_box_rate,
        }
    }
}

/// One survey kind over the window.
pub struct SurveyKindReport(KindFigures);

/// One survey kind over the window: overall, per silo bucket, raw against reweighted.
#[Object]
impl SurveyKindReport {
    /// The survey kind.
    async fn kind(&self) -> FeedbackKind {
        self.0.kind.into()
    }
    /// Every survey of the kind in the window.
    async fn overall(&self) -> SurveyFigures {
        SurveyFigures::of(self.0.kind, &self.0.overall)
    }
    /// Per silo bucket of the surveys' cases: NONE, ONE, TWO, THREE_OR_MORE.
    async fn buckets(&self) -> Vec<SurveyBucket> {
        Bucket::ALL
            .iter()
            .zip(self.0.buckets.iter())
            .map(|(bucket, tally)| SurveyBucket {
                silo_handoffs: (*bucket).into(),
                figures: SurveyFigures::of(self.0.kind, tally),
            })
            .collect()
    }
    /// The scores as the survey shows them.
    async fn raw(&self) -> ScoreFigures {
        self.0.raw().into()
    }
    /// The scores if every bucket answered alike: each bucket's figure weighted by its
    /// share of the offered surveys among buckets with at least one answer.
    async fn reweighted(&self) -> ScoreFigures {
        self.0.reweighted().into()
    }
    /// raw − reweighted: how much the answering customers flatter the score.
    async fn gap(&self) -> ScoreFigures {
        self.0.gap().into()
    }
}

/// Answers credited to a function.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct CreditFigures {
    /// Answers credited.
    pub answers: i64,
    /// Their mean score; `null` without answers.
    pub mean_score: Option<f64>,
}

impl From<rules::Credit> for CreditFigures {
    fn from(c: rules::Credit) -> Self {
        CreditFigures {
            answers: c.answers,
            mean_score: c.mean_score(),
        }
    }
}

/// Who absorbed a kind's scores at one function.
#[derive(SimpleObject)]
pub struct ScoreAbsorbed {
    /// The function (`null` only if it was deleted from the database by hand).
    pub function: Option<Function>,
    /// The survey kind.
    pub kind: FeedbackKind,
    /// Answers credited to the function of the case's last interaction at or before
    /// the survey was offered (the case's first one if none was).
    pub last_touch: CreditFigures,
    /// Answers credited to every function with an interaction in the case at or
    /// before the survey was offered (every function of the case if none was).
    pub touched: CreditFigures,
}

/// Complaints in the window.
#[derive(SimpleObject)]
pub struct ComplaintFigures {
    /// Complaints made in the window.
    pub total: i64,
    /// Per silo bucket of their cases.
    pub buckets: Vec<ComplaintBucket>,
    /// Complaints in cases that also gave a top-box answer (any kind) in the window.
    pub with_top_box: i64,
}

/// One silo bucket's complaints.
#[derive(SimpleObject)]
pub struct ComplaintBucket {
    /// The cases' SILO handoffs.
    pub silo_handoffs: SiloBucket,
    /// Complaints.
    pub complaints: i64,
}

/// What a voice finding is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoiceFindingKind {
    /// The survey's scores look better than its customers fared: cases with silo
    /// handoffs answer at less than half the rate of cases without, or the raw
    /// top-box rate exceeds the reweighted one by 5 points or more.
    ScoresHideSilos,
}

/// A finding on what customers say.
#[derive(SimpleObject)]
pub struct VoiceFinding {
    /// What was found.
    pub kind: VoiceFindingKind,
    /// How serious it is.
    pub severity: SeverityEnum,
    /// The survey kind concerned.
    pub feedback_kind: FeedbackKind,
    /// The finding in words, naming the rates.
    pub message: String,
    /// The response rate of cases with one or more SILO handoffs.
    pub response_rate_with_silos: Option<f64>,
    /// The response rate of cases without one.
    pub response_rate_without_silos: Option<f64>,
    /// The raw top-box rate.
    pub raw_top_box_rate: Option<f64>,
    /// The reweighted top-box rate.
    pub reweighted_top_box_rate: Option<f64>,
}

/// What customers said over one window.
pub struct VoiceFigures {
    figures: rules::VoiceReport,
    snapshot: std::sync::Arc<service::reports::snapshot::Snapshot>,
}

impl VoiceFigures {
    /// A voice report's own window's figures.
    pub fn of(report: reports::VoiceReport) -> VoiceFigures {
        VoiceFigures {
            figures: report.figures,
            snapshot: report.snapshot,
        }
    }
}

/// What customers said over one window, against the silo handoffs of their cases.
#[Object]
impl VoiceFigures {
    /// CSAT, CES and NPS, in that order, always all three.
    async fn surveys(&self) -> Vec<SurveyKindReport> {
        self.figures
            .kinds
            .iter()
            .cloned()
            .map(SurveyKindReport)
            .collect()
    }
    /// Complaints, per silo bucket.
    async fn complaints(&self) -> ComplaintFigures {
        let c = &self.figures.complaints;
        ComplaintFigures {
            total: c.total,
            buckets: Bucket::ALL
                .iter()
                .zip(c.buckets.iter())
                .map(|(bucket, n)| ComplaintBucket {
                    silo_handoffs: (*bucket).into(),
                    complaints: *n,
                })
                .collect(),
            with_top_box: c.with_top_box,
        }
    }
    /// Who absorbed the scores: per function (by name) and kind, the answers credited
    /// by last touch and by every function touched.
    async fn absorbed(&self) -> Vec<ScoreAbsorbed> {
        let names = &self.snapshot.names;
        let mut rows: Vec<(String, ScoreAbsorbed)> = Vec::new();
        for (function_id, kinds) in &self.figures.absorbed {
            let function = names.function(*function_id).cloned();
            let name = function
                .as_ref()
                .map(|f| f.name.clone())
                .unwrap_or_default();
            for (kind, absorbed) in kinds {
                rows.push((
                    name.clone(),
                    ScoreAbsorbed {
                        function: function.clone().map(Function),
                        kind: (*kind).into(),
                        last_touch: absorbed.last_touch.into(),
                        touched: absorbed.touched.into(),
                    },
                ));
            }
        }
        rows.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        rows.into_iter().map(|(_, row)| row).collect()
    }
    /// SCORES_HIDE_SILOS per survey kind with at least the organization's
    /// `minResponses` answers in the window.
    async fn findings(&self) -> Vec<VoiceFinding> {
        self.figures
            .findings
            .iter()
            .map(|f| VoiceFinding {
                kind: VoiceFindingKind::ScoresHideSilos,
                severity: SeverityEnum::Warning,
                feedback_kind: f.kind.into(),
                message: f.message(),
                response_rate_with_silos: f.response_rate_with_silos,
                response_rate_without_silos: f.response_rate_without_silos,
                raw_top_box_rate: f.raw_top_box_rate,
                reweighted_top_box_rate: f.reweighted_top_box_rate,
            })
            .collect()
    }
}

/// An earlier period's voice figures.
#[derive(SimpleObject)]
pub struct VoiceComparison {
    /// Which earlier period.
    pub period: ComparisonPeriod,
    /// Its window.
    pub window: WindowOutput,
    /// What customers said then.
    pub figures: VoiceFigures,
}

/// What customers said over a window, against the silos, with earlier periods.
pub struct VoiceReport(pub reports::VoiceReport);

/// What customers said (surveys and complaints) over a window, held against the silo
/// handoffs of their cases (docs/rules.md §11).
#[Object]
impl VoiceReport {
    /// The window reported on.
    async fn window(&self) -> WindowOutput {
        self.0.window.into()
    }
    /// The answers a kind needs before it is judged (the organization's `minResponses`).
    async fn min_responses(&self) -> i64 {
        self.0.min_responses
    }
    /// The window's figures.
    async fn figures(&self) -> VoiceFigures {
        VoiceFigures {
            figures: self.0.figures.clone(),
            snapshot: self.0.snapshot.clone(),
        }
    }
    /// One per period asked for, in the order asked.
    async fn comparisons(&self) -> Vec<VoiceComparison> {
        self.0
            .comparisons
            .iter()
            .map(|(period, window, figures)| VoiceComparison {
                period: (*period).into(),
                window: (*window).into(),
                figures: VoiceFigures {
                    figures: figures.clone(),
                    snapshot: self.0.snapshot.clone(),
                },
            })
            .collect()
    }
}

/// A piece of feedback behind a `voiceReport` figure (its comment is left out: read
/// it in the export).
#[derive(SimpleObject, Clone)]
pub struct FeedbackItem {
    /// The source system's id.
    pub external_id: String,
    /// The case it is about.
    pub case_ref: String,
    /// What it is.
    pub kind: FeedbackKind,
    /// When the survey was offered or the complaint made.
    pub at: super::window::Instant,
    /// When the survey was answered; `null` unanswered and for complaints.
    pub answered_at: Option<super::window::Instant>,
    /// The answer's score.
    pub score: Option<i32>,
    /// Where it came from.
    pub channel: Option<String>,
    /// SILO handoffs in the case's whole chain, under the current chart.
    pub silo_handoffs: i64,
}

impl From<reports::VoiceItem> for FeedbackItem {
    fn from(item: reports::VoiceItem) -> Self {
        FeedbackItem {
            external_id: item.external_id,
            case_ref: item.case_ref,
            kind: item.kind.into(),
            at: super::window::instant(item.at),
            answered_at: item.answered_at.map(super::window::instant),
            score: item.score,
            channel: item.channel,
            silo_handoffs: item.silo_handoffs,
        }
    }
}
