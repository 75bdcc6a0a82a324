"""How tests/data/small/feedback.csv was made: seeded and deterministic, the edge rows
by hand and the rest drawn at random (see voice.py for what they cover).

    python3 tests/data/make_feedback.py   # rewrites small/feedback.csv
"""
import csv, random, sys
from datetime import timedelta
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from chart_vs_log import load, instant
from voice import silo_buckets, COLUMNS

org, log, cases = load()
buckets, _ = silo_buckets(org, cases)
rng = random.Random(20261207)
H = timedelta(hours=1); D = timedelta(days=1)
LATEST = instant("2026-11-05T00:00:00Z")
rows = []
used = set()
def iso(t): return t.replace(microsecond=0).isoformat().replace("+00:00", "Z")
def add(case, kind, at, score=None, delay=None, channel="email", comment=""):
    n = len(rows) + 1
    ans = None
    if score is not None:
        ans = at + (delay if delay is not None else timedelta(minutes=rng.randint(5, 2 * 24 * 60)))
    rows.append({"external_id": f"fb-{n:04d}", "case_ref": case, "kind": kind, "at": iso(at),
                 "answered_at": iso(ans) if ans else "", "score": "" if score is None else str(score),
                 "channel": channel, "comment": comment})
    used.add(case)
    return rows[-1]["external_id"]

refs = sorted(cases)
fns = lambda c: {e["function"] for e in cases[c]}
def pick(pred):
    for c in refs:
        if c not in used and pred(c, cases[c]):
            used.add(c)
            return c
    raise SystemExit("no case for an edge")
cx = {f["name"] for f in org["functions"] if f["isCxTeam"]}
notes = []
# fb-0001 tie at the CX interaction reached by a silo handoff
c = pick(lambda c, ch: buckets[c] == "1" and any(a["function"] not in cx and b["function"] in cx for a, b in zip(ch, ch[1:])) and ch[-1]["function"] in cx and len(ch) >= 3)
e2 = next(b for a, b in zip(cases[c], cases[c][1:]) if a["function"] not in cx and b["function"] in cx)
add(c, "CSAT", e2["at"], 2, channel="sms"); notes.append(("tie CX", c, e2["external_id"]))
# fb-0002 tie at the first interaction
c = pick(lambda c, ch: buckets[c] == "0" and len(fns(c)) >= 2)
add(c, "CSAT", cases[c][0]["at"], 5, channel="web"); notes.append(("tie first", c))
# fb-0003/0004 before the first interaction
c = pick(lambda c, ch: buckets[c] == "1" and len(fns(c)) >= 3)
add(c, "CSAT", cases[c][0]["at"] - 2 * D, 3, comment="asked before anything happened"); notes.append(("before", c, sorted(fns(c))))
c = pick(lambda c, ch: buckets[c] == "0" and len(fns(c)) >= 2)
add(c, "CES", cases[c][0]["at"] - D)
# fb-0005 between interactions
c = pick(lambda c, ch: buckets[c] == "0" and len(ch) >= 3 and ch[0]["function"] != ch[1]["function"] and len(fns(c)) >= 2 and ch[0]["at"] + 2 * H < ch[1]["at"])
a, b = cases[c][0]["at"], cases[c][1]["at"]
add(c, "CSAT", a + (b - a) / 2, 4); notes.append(("between", c, cases[c][0]["function"], sorted(fns(c))))
# fb-0006..0011 several in one case, in Q3 (July), bucket 0
c = pick(lambda c, ch: buckets[c] == "0" and len(ch) >= 2 and instant("2026-07-01T00:00:00Z") < ch[-1]["at"] < instant("2026-07-20T00:00:00Z"))
t = cases[c][-1]["at"]
add(c, "CSAT", t + 3 * H, 5, channel="web", comment="quick and friendly")
add(c, "CSAT", t + 10 * D)
add(c, "CES", t + 3 * H + 5 * 60 * timedelta(seconds=1), 7, channel="web")
add(c, "NPS", t + 2 * D, 10)
add(c, "NPS", t + 30 * D)
add(c, "COMPLAINT", t + 12 * D, channel="phone", comment="second invoice was wrong")
# fb-0012 bucket 2 unanswered, fb-0013 bucket 1 CES unanswered
c = pick(lambda c, ch: buckets[c] == "2")
add(c, "CSAT", cases[c][-1]["at"] + 6 * H, channel="sms")
c = pick(lambda c, ch: buckets[c] == "1")
add(c, "CES", cases[c][-1]["at"] + 1 * D)
# fb-0014 answered at the instant offered
c = pick(lambda c, ch: buckets[c] == "0")
add(c, "CSAT", cases[c][-1]["at"] + 2 * H, 5, delay=timedelta(0), channel="web")
# fb-0015 offered Q2 answered Q3, top box; fb-0016 complaint in Q3 of that case
c15 = pick(lambda c, ch: buckets[c] == "0" and instant("2026-06-22T00:00:00Z") < ch[-1]["at"] < instant("2026-06-29T00:00:00Z"))
add(c15, "CSAT", instant("2026-06-30T18:00:00Z"), 5, delay=timedelta(days=2, hours=1))
# fb-0016/0017 complaint + CSAT 5 same window, bucket 1, Q3
c = pick(lambda c, ch: buckets[c] == "1" and instant("2026-07-25T00:00:00Z") < ch[-1]["at"] < instant("2026-09-01T00:00:00Z"))
t = cases[c][-1]["at"]
add(c, "CSAT", t + 5 * H, 5)
add(c, "COMPLAINT", t + 9 * D, channel="social", comment="had to explain it three times")
# fb-0018/0019 complaint + NPS 9 only top box
c = pick(lambda c, ch: buckets[c] == "1" and instant("2026-07-20T00:00:00Z") < ch[-1]["at"] < instant("2026-09-10T00:00:00Z"))
t = cases[c][-1]["at"]
add(c, "COMPLAINT", t + 1 * D, channel="email", comment="nobody owned my refund")
add(c, "NPS", t + 3 * D, 9)
# fb-0020/0021 complaint Q3, top box Q2
c = pick(lambda c, ch: buckets[c] == "0" and instant("2026-06-10T00:00:00Z") < ch[-1]["at"] < instant("2026-06-24T00:00:00Z"))
t = cases[c][-1]["at"]
add(c, "COMPLAINT", instant("2026-07-08T09:15:00Z"), channel="phone", comment="still waiting for the parcel")
add(c, "CSAT", t + 1 * D, 5)
# fb-0022 complaint Q3 in c15
add(c15, "COMPLAINT", instant("2026-07-05T14:20:00Z"), channel="email", comment="the promised credit never came")
# fb-0023..0026 answers just below top box and a complaint, one case, Q2
c = pick(lambda c, ch: buckets[c] == "0" and instant("2026-05-01T00:00:00Z") < ch[-1]["at"] < instant("2026-05-20T00:00:00Z"))
t = cases[c][-1]["at"]
add(c, "CSAT", t + 4 * H, 3)
add(c, "CES", t + 4 * H + timedelta(minutes=1), 5)
add(c, "NPS", t + 3 * D, 8)
add(c, "COMPLAINT", t + 6 * D, channel="phone", comment="")
# fb-0027..0032 window ends
for when, score in (("2026-07-01T00:00:00Z", 4), ("2026-10-01T00:00:00Z", 5), ("2026-04-01T00:00:00Z", 5),
                    ("2026-03-15T12:00:00Z", 4), ("2026-03-15T12:00:01Z", 5), ("2026-08-20T06:30:00Z", 5)):
    w = instant(when)
    c = pick(lambda c, ch: buckets[c] == "0" and w - 12 * D < ch[-1]["at"] < w)
    add(c, "CSAT", w, score)
# fb-0033..0038 score edges
for kind, score, b in (("NPS", 0, "1"), ("NPS", 6, "1"), ("NPS", 7, "0"), ("NPS", 10, "0"), ("CES", 6, "0"), ("CSAT", 4, "0")):
    c = pick(lambda c, ch: buckets[c] == b)
    add(c, kind, cases[c][-1]["at"] + rng.randint(2, 72) * H, score)
# fb-0039 comment with comma and quotes, fb-0040 empty channel
c = pick(lambda c, ch: buckets[c] == "1")
add(c, "CSAT", cases[c][-1]["at"] + 8 * H, 1, comment='sent to "the CX team", then nothing')
c = pick(lambda c, ch: buckets[c] == "0")
add(c, "CSAT", cases[c][-1]["at"] + 8 * H, 4, channel="")
# fb-0041 complaint in a bucket 2 case without surveys
c = pick(lambda c, ch: buckets[c] == "2")
add(c, "COMPLAINT", cases[c][-1]["at"] + 2 * D, channel="social", comment="passed around for weeks")
TOP = {"CSAT": 4, "CES": 6, "NPS": 9}
EDGE = len(rows)
edge_cases = set(used)

def score_for(kind, silo):
    if kind == "CSAT":
        return rng.choices([1, 2, 3, 4, 5], [30, 28, 24, 12, 6] if silo else [3, 5, 12, 35, 45])[0]
    if kind == "CES":
        return rng.choices(range(1, 8), [15, 20, 20, 20, 12, 8, 5] if silo else [2, 3, 5, 10, 20, 30, 30])[0]
    return rng.choices(range(11), [10, 8, 10, 12, 12, 12, 12, 8, 8, 4, 4] if silo else [1, 1, 1, 2, 2, 3, 5, 10, 20, 30, 25])[0]

def when(ch):
    if len(ch) >= 2 and rng.random() < 0.15:
        i = rng.randrange(len(ch) - 1)
        a, b = ch[i]["at"], ch[i + 1]["at"]
        return a + (b - a) * rng.random()
    return min(ch[-1]["at"] + timedelta(minutes=rng.randint(30, 4 * 24 * 60)), LATEST)

CH = {"CSAT": ["email", "sms", "web"], "CES": ["email", "web"], "NPS": ["email", "email", "app"],
      "COMPLAINT": ["phone", "email", "social", "store", ""]}
LOW = ["waited too long", "nobody knew who was in charge", "had to repeat myself", "transferred again", ""]
HIGH = ["", "", "thanks", "sorted quickly", "great help"]
for c in refs:
    if c in edge_cases:
        continue
    ch = cases[c]
    silo = buckets[c] != "0"
    p = 0.2 if silo else 0.7
    plan = []
    if rng.random() < 0.92:
        plan.append("CSAT")
        if rng.random() < 0.25:
            plan.append("CSAT")
    if rng.random() < 0.5:
        plan.append("CES")
    if rng.random() < 0.16:
        plan.append("NPS")
    for kind in plan:
        at = when(ch)
        if rng.random() < p:
            s = score_for(kind, silo)
            add(c, kind, at, s, channel=rng.choice(CH[kind]), comment=rng.choice(LOW if s < TOP[kind] else HIGH) if kind != "NPS" else "")
        else:
            add(c, kind, at, channel=rng.choice(CH[kind]))
    if rng.random() < (0.4 if silo else 0.12):
        add(c, "COMPLAINT", when(ch) + rng.randint(1, 48) * H, channel=rng.choice(CH["COMPLAINT"]), comment=rng.choice(LOW[:4]))
TOP = None
for r in rows:
    assert r["at"] <= "2026-11-05T00:00:00Z" and (not r["answered_at"] or r["answered_at"] <= "2026-11-10T00:00:00Z"), r
shuffled = rows[:]
random.Random(7).shuffle(shuffled)
with open(Path(__file__).resolve().parent / "small" / "feedback.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(shuffled)
from collections import Counter
print(len(rows), "rows; edge", EDGE, Counter(r["kind"] for r in rows))
print("NPS answered", sum(1 for r in rows if r["kind"] == "NPS" and r["score"]))
for n in notes: print(n)
