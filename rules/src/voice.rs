//! What customers say, against the silos (docs/rules.md §11): survey answers and
//! complaints folded per kind and per *silo bucket* (how many SILO handoffs the case's
//! whole chain has), the scores reweighted as if every bucket answered alike, who
//! absorbed each score, and the finding that good scores hide the bounced customers.
//!
//! Every figure is a sum of integers divided once at the end, so the order in which
//! feedback arrives never changes a digit.

use std::collections::{BTreeMap, HashMap};

/// What a piece of feedback is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Customer satisfaction, 1–5.
    Csat,
    /// Customer effort, 1–7.
    Ces,
    /// Net promoter, 0–10.
    Nps,
    /// A complaint: no score.
    Complaint,
}

impl Kind {
    /// The survey kinds, in the order reports list them.
    pub const SURVEYS: [Kind; 3] = [Kind::Csat, Kind::Ces, Kind::Nps];

    /// The scores a survey of this kind accepts; `None` for a complaint.
    pub fn range(self) -> Option<(i32, i32)> {
        match self {
            Kind::Csat => Some((1, 5)),
            Kind::Ces => Some((1, 7)),
            Kind::Nps => Some((0, 10)),
            Kind::Complaint => None,
        }
    }

    /// Whether `score` is top box: CSAT ≥ 4, CES ≥ 6, NPS ≥ 9.
    pub fn top_box(self, score: i32) -> bool {
        match self {
            Kind::Csat => score >= 4,
            Kind::Ces => score >= 6,
            Kind::Nps => score >= 9,
            Kind::Complaint => false,
        }
    }

    /// The name the doors use.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Csat => "CSAT",
            Kind::Ces => "CES",
            Kind::Nps => "NPS",
            Kind::Complaint => "COMPLAINT",
        }
    }

    /// The kind a door names.
    pub fn parse(name: &str) -> Option<Kind> {
        [Kind::Csat, Kind::Ces, Kind::Nps, Kind::Complaint]
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// How many SILO handoffs a case's whole chain has, in four buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    None,
    One,
    Two,
    ThreeOrMore,
}

impl Bucket {
    pub const ALL: [Bucket; 4] = [Bucket::None, Bucket::One, Bucket::Two, Bucket::ThreeOrMore];

    /// The bucket of a case with `silo_handoffs` SILO handoffs.
    pub fn of(silo_handoffs: i64) -> Bucket {
        match silo_handoffs {
            i64::MIN..=0 => Bucket::None,
            1 => Bucket::One,
            2 => Bucket::Two,
            _ => Bucket::ThreeOrMore,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One piece of feedback in the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Said {
    pub case_id: i64,
    pub kind: Kind,
    /// When the survey was offered or the complaint made (µs).
    pub at: i64,
    /// The answer's score; `None` for an unanswered survey and for a complaint.
    pub score: Option<i32>,
}

/// What a report needs of a case: its SILO handoffs and, in chain order, the instant
/// and function of each interaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseTouches {
    pub silo_handoffs: i64,
    /// (occurredAt µs, function id), in chain order.
    pub touches: Vec<(i64, i64)>,
}

impl CaseTouches {
    /// The function credited by `lastTouch` for feedback at `at`: the last
    /// interaction at or before it, else the case's first.
    pub fn last_touch(&self, at: i64) -> Option<i64> {
        self.touches
            .iter()
            .take_while(|(when, _)| *when <= at)
            .last()
            .or(self.touches.first())
            .map(|(_, function)| *function)
    }

    /// The functions credited by `touched`: every one with an interaction at or before
    /// `at`, else every one of the case; each once, by id.
    pub fn touched(&self, at: i64) -> Vec<i64> {
        let before: Vec<i64> = self
            .touches
            .iter()
            .take_while(|(when, _)| *when <= at)
            .map(|(_, f)| *f)
            .collect();
        let mut functions = if before.is_empty() {
            self.touches.iter().map(|(_, f)| *f).collect()
        } else {
            before
        };
        functions.sort_unstable();
        functions.dedup();
        functions
    }
}

/// Sums of a set of surveys: the integers every figure is divided from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub offered: i64,
    pub answered: i64,
    pub score_sum: i64,
    pub top_box: i64,
    /// Answers of 6 or less (NPS detractors).
    pub low: i64,
}

impl Tally {
    fn add(&mut self, kind: Kind, score: Option<i32>) {
        self.offered += 1;
        if let Some(score) = score {
            self.answered += 1;
            self.score_sum += i64::from(score);
            self.top_box += i64::from(kind.top_box(score));
            self.low += i64::from(score <= 6);
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.offered += other.offered;
        self.answered += other.answered;
        self.score_sum += other.score_sum;
        self.top_box += other.top_box;
        self.low += other.low;
    }

    /// answered ÷ offered.
    pub fn response_rate(&self) -> Option<f64> {
        ratio(self.answered, self.offered)
    }

    /// The answers' mean score.
    pub fn mean_score(&self) -> Option<f64> {
        ratio(self.score_sum, self.answered)
    }

    /// The share of answers that are top box.
    pub fn top_box_rate(&self) -> Option<f64> {
        ratio(self.top_box, self.answered)
    }

    /// For NPS: (share ≥ 9 − share ≤ 6) × 100.
    pub fn nps(&self, kind: Kind) -> Option<f64> {
        if kind != Kind::Nps || self.answered == 0 {
            return None;
        }
        Some((self.top_box - self.low) as f64 * 100.0 / self.answered as f64)
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A mean score and a top-box rate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Scores {
    pub mean_score: Option<f64>,
    pub top_box_rate: Option<f64>,
}

impl Scores {
    fn minus(&self, other: &Scores) -> Scores {
        let diff = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
        Scores {
            mean_score: diff(self.mean_score, other.mean_score),
            top_box_rate: diff(self.top_box_rate, other.top_box_rate),
        }
    }
}

/// One survey kind's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct KindFigures {
    pub kind: Kind,
    pub overall: Tally,
    /// Indexed like [`Bucket::ALL`].
    pub buckets: [Tally; 4],
}

impl KindFigures {
    /// The figures as the survey shows them.
    pub fn raw(&self) -> Scores {
        Scores {
            mean_score: self.overall.mean_score(),
            top_box_rate: self.overall.top_box_rate(),
        }
    }

    /// The figures if every bucket answered alike: each bucket's figure weighted by its
    /// share of the offered surveys among the buckets with at least one answer.
    pub fn reweighted(&self) -> Scores {
        let answering = self.buckets.iter().filter(|b| b.answered > 0);
        let offered: i64 = answering.clone().map(|b| b.offered).sum();
        if offered == 0 {
            return Scores::default();
        }
        let weighted = |figure: fn(&Tally) -> Option<f64>| {
            answering
                .clone()
                .map(|b| b.offered as f64 / offered as f64 * figure(b).unwrap_or(0.0))
                .sum::<f64>()
        };
        Scores {
            mean_score: Some(weighted(Tally::mean_score)),
            top_box_rate: Some(weighted(Tally::top_box_rate)),
        }
    }

    /// raw − reweighted.
    pub fn gap(&self) -> Scores {
        self.raw().minus(&self.reweighted())
    }

    /// The response rate of cases with one or more SILO handoffs.
    pub fn response_rate_with_silos(&self) -> Option<f64> {
        let mut with = Tally::default();
        for bucket in &self.buckets[1..] {
            with.merge(bucket);
        }
        with.response_rate()
    }

    /// The response rate of cases without a SILO handoff.
    pub fn response_rate_without_silos(&self) -> Option<f64> {
        self.buckets[Bucket::None.index()].response_rate()
    }
}

/// The answers credited to one function for one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Credit {
    pub answers: i64,
    pub score_sum: i64,
}

impl Credit {
    fn add(&mut self, score: i32) {
        self.answers += 1;
        self.score_sum += i64::from(score);
    }

    pub fn mean_score(&self) -> Option<f64> {
        ratio(self.score_sum, self.answers)
    }
}

/// Who absorbed a kind's scores at one function.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Absorbed {
    pub last_touch: Credit,
    pub touched: Credit,
}

/// Complaints in the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Complaints {
    pub total: i64,
    /// Indexed like [`Bucket::ALL`].
    pub buckets: [i64; 4],
    /// Complaints in cases with a top-box answer (any kind) in the same window.
    pub with_top_box: i64,
}

/// The finding that a kind's scores hide the bounced customers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoresHideSilos {
    pub kind: Kind,
    pub response_rate_with_silos: Option<f64>,
    pub response_rate_without_silos: Option<f64>,
    pub raw_top_box_rate: Option<f64>,
    pub reweighted_top_box_rate: Option<f64>,
}

impl ScoresHideSilos {
    /// The finding's message, naming both rates that raised it.
    pub fn message(&self) -> String {
        let pct =
            |x: Option<f64>| x.map_or_else(|| "n/a".to_owned(), |x| format!("{:.1} %", x * 100.0));
        format!(
            "{} scores hide the silos: cases with silo handoffs answer at {} against {} \
             for cases without; the raw top-box rate is {}, reweighted as if every case \
             answered alike {}",
            self.kind.name(),
            pct(self.response_rate_with_silos),
            pct(self.response_rate_without_silos),
            pct(self.raw_top_box_rate),
            pct(self.reweighted_top_box_rate),
        )
    }
}

/// What customers said over a window.
#[derive(Clone, Debug, PartialEq)]
pub struct VoiceReport {
    /// CSAT, CES and NPS, always all three.
    pub kinds: Vec<KindFigures>,
    pub complaints: Complaints,
    /// Function id → kind → credits; only functions and kinds with an answer.
    pub absorbed: BTreeMap<i64, BTreeMap<Kind, Absorbed>>,
    pub findings: Vec<ScoresHideSilos>,
}

/// The top-box rate's lead over the reweighted one that raises the finding (5 points;
/// a hair less, so that a lead of exactly 5 points counts whatever the rounding).
const TOP_BOX_LEAD: f64 = 0.05 - 1e-9;

/// Folds the feedback `said` in a window with the cases it concerns (a case missing
/// from `cases` counts as one without interactions and silo handoffs). A kind with at
/// least `min_responses` answers is held against the finding.
pub fn report(said: &[Said], cases: &HashMap<i64, CaseTouches>, min_responses: i64) -> VoiceReport {
    let none = CaseTouches::default();
    let mut kinds: Vec<KindFigures> = Kind::SURVEYS
        .iter()
        .map(|&kind| KindFigures {
            kind,
            overall: Tally::default(),
            buckets: [Tally::default(); 4],
        })
        .collect();
    let mut complaints = Complaints::default();
    let mut absorbed: BTreeMap<i64, BTreeMap<Kind, Absorbed>> = BTreeMap::new();
    let mut complaint_cases: Vec<(i64, usize)> = Vec::new();
    let mut top_box_cases = std::collections::HashSet::new();
    for item in said {
        let case = cases.get(&item.case_id).unwrap_or(&none);
        let bucket = Bucket::of(case.silo_handoffs).index();
        if item.kind == Kind::Complaint {
            complaints.total += 1;
            complaints.buckets[bucket] += 1;
            complaint_cases.push((item.case_id, bucket));
            continue;
        }
        let Some(figures) = kinds.iter_mut().find(|k| k.kind == item.kind) else {
            continue;
        };
        figures.overall.add(item.kind, item.score);
        figures.buckets[bucket].add(item.kind, item.score);
        let Some(score) = item.score else {
            continue;
        };
        if item.kind.top_box(score) {
            top_box_cases.insert(item.case_id);
        }
        if let Some(function) = case.last_touch(item.at) {
            let entry = absorbed.entry(function).or_default();
            entry.entry(item.kind).or_default().last_touch.add(score);
        }
        for function in case.touched(item.at) {
            let entry = absorbed.entry(function).or_default();
            entry.entry(item.kind).or_default().touched.add(score);
        }
    }
    complaints.with_top_box = complaint_cases
        .iter()
        .filter(|(case, _)| top_box_cases.contains(case))
        .count() as i64;
    let findings = kinds
        .iter()
        .filter(|k| k.overall.answered >= min_responses)
        .filter_map(scores_hide_silos)
        .collect();
    VoiceReport {
        kinds,
        complaints,
        absorbed,
        findings,
    }
}

/// SCORES_HIDE_SILOS for one kind, when either of its conditions holds.
fn scores_hide_silos(figures: &KindFigures) -> Option<ScoresHideSilos> {
    let finding = ScoresHideSilos {
        kind: figures.kind,
        response_rate_with_silos: figures.response_rate_with_silos(),
        response_rate_without_silos: figures.response_rate_without_silos(),
        raw_top_box_rate: figures.raw().top_box_rate,
        reweighted_top_box_rate: figures.reweighted().top_box_rate,
    };
    let rarely_answer = matches!(
        (finding.response_rate_with_silos, finding.response_rate_without_silos),
        (Some(with), Some(without)) if with < without / 2.0
    );
    let flattered = matches!(
        (finding.raw_top_box_rate, finding.reweighted_top_box_rate),
        (Some(raw), Some(reweighted)) if raw - reweighted >= TOP_BOX_LEAD
    );
    (rarely_answer || flattered).then_some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn case(silo: i64, touches: &[(i64, i64)]) -> CaseTouches {
        CaseTouches {
            silo_handoffs: silo,
            touches: touches.to_vec(),
        }
    }

    #[test]
    fn last_touch_and_touched_follow_the_chain_up_to_the_survey() {
        let c = case(1, &[(10, 1), (20, 2), (20, 3), (30, 1)]);
        assert_eq!(c.last_touch(5), Some(1), "before the first: the first");
        assert_eq!(c.last_touch(20), Some(3), "a tie: the last in chain order");
        assert_eq!(c.last_touch(25), Some(3));
        assert_eq!(
            c.touched(5),
            vec![1, 2, 3],
            "before the first: every function"
        );
        assert_eq!(c.touched(20), vec![1, 2, 3]);
        assert_eq!(c.touched(10), vec![1]);
        assert_eq!(CaseTouches::default().last_touch(5), None);
    }

    #[test]
    fn a_worked_example() {
        // Case 1: no silo, answers 5 and 4; case 2: two silos, one answer of 2 and an
        // unanswered survey; case 3: one silo, unanswered, and a complaint.
        let cases = HashMap::from([
            (1, case(0, &[(0, 10)])),
            (2, case(2, &[(0, 10), (5, 20)])),
            (3, case(1, &[(0, 20)])),
        ]);
        let said = |case_id, at, score, kind| Said {
            case_id,
            kind,
            at,
            score,
        };
        let items = [
            said(1, 10, Some(5), Kind::Csat),
            said(1, 11, Some(4), Kind::Csat),
            said(2, 1, Some(2), Kind::Csat),
            said(2, 12, None, Kind::Csat),
            said(3, 12, None, Kind::Csat),
            said(3, 13, None, Kind::Complaint),
            said(1, 14, None, Kind::Complaint),
        ];
        let r = report(&items, &cases, 1);
        let csat = &r.kinds[0];
        assert_eq!((csat.overall.offered, csat.overall.answered), (5, 3));
        assert_eq!(csat.raw().mean_score, Some(11.0 / 3.0));
        // Buckets with answers: none (2 offered, mean 4.5, top box 1) and two (2
        // offered, mean 2, top box 0); bucket one has no answer and no weight.
        assert_eq!(csat.reweighted().mean_score, Some(0.5 * 4.5 + 0.5 * 2.0));
        assert_eq!(csat.reweighted().top_box_rate, Some(0.5));
        assert_eq!(csat.response_rate_with_silos(), Some(1.0 / 3.0));
        assert_eq!(csat.response_rate_without_silos(), Some(1.0));
        assert_eq!(r.findings.len(), 1, "1/3 < 1/2 and 2/3 − 1/2 ≥ 5 points");
        assert_eq!(r.complaints.total, 2);
        assert_eq!(r.complaints.buckets, [1, 1, 0, 0]);
        assert_eq!(r.complaints.with_top_box, 1, "case 1 had a top-box answer");
        // Case 2's answer at 1 lies between its interactions: last touch 10, touched 10.
        let at_10 = r.absorbed[&10][&Kind::Csat];
        assert_eq!((at_10.last_touch.answers, at_10.touched.answers), (3, 3));
        assert!(!r.absorbed.contains_key(&20));
        assert_eq!(
            report(&items, &cases, 4).findings,
            vec![],
            "too few answers"
        );
    }

    fn feedback() -> impl Strategy<Value = Vec<Said>> {
        let kind = prop_oneof![
            Just(Kind::Csat),
            Just(Kind::Ces),
            Just(Kind::Nps),
            Just(Kind::Complaint)
        ];
        prop::collection::vec((0i64..12, kind, 0i64..50, 0i32..11, any::<bool>()), 0..80).prop_map(
            |rows| {
                rows.into_iter()
                    .map(|(case_id, kind, at, score, answered)| Said {
                        case_id,
                        kind,
                        at,
                        score: kind
                            .range()
                            .filter(|_| answered)
                            .map(|(lo, hi)| lo + score % (hi - lo + 1)),
                    })
                    .collect()
            },
        )
    }

    fn cases() -> HashMap<i64, CaseTouches> {
        (0..12)
            .map(|id| {
                let touches: Vec<(i64, i64)> =
                    (0..(id % 4)).map(|k| (k * 10 + id, k % 3)).collect();
                (id, case(id % 5, &touches))
            })
            .collect()
    }

    proptest! {
        #[test]
        fn order_does_not_matter_and_buckets_add_up(items in feedback(), seed in any::<u64>()) {
            let cases = cases();
            let first = report(&items, &cases, 3);
            let mut shuffled = items.clone();
            // A deterministic shuffle from the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(&report(&shuffled, &cases, 3), &first);
            for k in &first.kinds {
                let offered: i64 = k.buckets.iter().map(|b| b.offered).sum();
                let answered: i64 = k.buckets.iter().map(|b| b.answered).sum();
                prop_assert_eq!(offered, k.overall.offered);
                prop_assert_eq!(answered, k.overall.answered);
            }
            prop_assert_eq!(first.complaints.buckets.iter().sum::<i64>(), first.complaints.total);
        }

        #[test]
        fn reweighted_equals_raw_when_every_bucket_answers_alike(
            per_bucket in prop::collection::vec((1i64..6, 1i32..6), 4),
            answered_share in 1i64..4,
        ) {
            // Every bucket: `offered` surveys of which the same share answered, all with
            // one score per bucket; scores may differ between buckets.
            let mut items = Vec::new();
            let mut cases = HashMap::new();
            for (bucket, &(n, score)) in per_bucket.iter().enumerate() {
                let case_id = bucket as i64;
                cases.insert(case_id, case(bucket as i64, &[(0, 1)]));
                for i in 0..(n * 4) {
                    let score = (i % 4 < answered_share).then_some(score);
                    items.push(Said { case_id, kind: Kind::Csat, at: i, score });
                }
            }
            let r = report(&items, &cases, 1);
            let (raw, reweighted) = (r.kinds[0].raw(), r.kinds[0].reweighted());
            prop_assert!((raw.mean_score.unwrap() - reweighted.mean_score.unwrap()).abs() < 1e-9);
            prop_assert!((raw.top_box_rate.unwrap() - reweighted.top_box_rate.unwrap()).abs() < 1e-9);
        }
    }
}
