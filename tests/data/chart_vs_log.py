#!/usr/bin/env python3
"""Expected figures of "the chart against the log" for the small fixture.

Reads small/org.json and small/interactions.csv and writes small/chart_vs_log.json:
de facto ownership and promises kept (docs/rules.md, "The chart against the log")
over the whole log and over a few windows, one of them compared with earlier periods.
It shares no code with siloscope: plain Python over the two files, straight from the
rules' text, so the test that compares the API with its output checks the service
against an independent reading of the rules.

    python3 tests/data/chart_vs_log.py        # rewrites small/chart_vs_log.json
    python3 tests/data/chart_vs_log.py --check  # fails if the file is out of date
"""

import csv
import json
import re
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent / "small"
MEASURED = ("SINGLE_POINT_OF_CONTACT", "PROMPT")
ELEMENTS = (  # the declaration order of ExperienceElement
    "PERSONALIZED",
    "KNOWLEDGEABLE",
    "EMPATHETIC",
    "PROMPT",
    "ACCURATE",
    "SINGLE_POINT_OF_CONTACT",
    "RELIABLE_ACCESS",
)

# Windows as [from, to); None leaves an end open. Each is reported on its own with the
# organization's minInteractions set as given (20 is the default); the third is also
# compared with the period before it and the same period a year earlier.
WINDOWS = [
    {"name": "whole log", "from": None, "to": None, "minInteractions": 20, "compareTo": []},
    {
        "name": "second quarter",
        "from": "2026-04-01T00:00:00Z",
        "to": "2026-07-01T00:00:00Z",
        "minInteractions": 10,
        "compareTo": [],
    },
    {
        "name": "third quarter, compared",
        "from": "2026-07-01T00:00:00Z",
        "to": "2026-10-01T00:00:00Z",
        "minInteractions": 5,
        "compareTo": ["PREVIOUS_PERIOD", "SAME_PERIOD_LAST_YEAR"],
    },
    {
        "name": "not on midnights",
        "from": "2026-03-15T12:00:00.500Z",
        "to": "2026-08-20T06:30:00Z",
        "minInteractions": 20,
        "compareTo": [],
    },
]


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def seconds(duration):
    """An ISO 8601 duration of days, hours, minutes and seconds, in seconds."""
    match = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", duration)
    weeks, days, hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + secs


def load():
    org = json.loads((HERE / "org.json").read_text())
    with open(HERE / "interactions.csv", newline="") as f:
        log = list(csv.DictReader(f))
    for row in log:
        row["at"] = instant(row["occurred_at"])
        row["customer_action_required"] = row["customer_action_required"] == "true"
    cases = defaultdict(list)
    for row in log:
        cases[row["case_ref"]].append(row)
    for chain in cases.values():
        # Chain order: occurredAt, then externalId byte-wise (every row has one).
        chain.sort(key=lambda r: (r["at"], r["external_id"].encode()))
    return org, log, cases


def inside(at, window):
    lower, upper = window
    return (lower is None or at >= lower) and (upper is None or at < upper)


def ownership(org, log, window, min_interactions):
    cx = {f["name"] for f in org["functions"] if f["isCxTeam"]}
    owners = defaultdict(lambda: {"ACCOUNTABLE": [], "RESPONSIBLE": []})
    for r in org["responsibilities"]:
        if r["role"] in ("ACCOUNTABLE", "RESPONSIBLE"):
            owners[r["touchpoint"]][r["role"]].append(r["function"])
    result = {}
    for t in org["touchpoints"]:
        name = t["name"]
        counts = defaultdict(int)
        for row in log:
            if row["touchpoint"] == name and inside(row["at"], window):
                counts[row["function"]] += 1
        total = sum(counts.values())
        ranked = sorted(counts.items(), key=lambda fc: (-fc[1], fc[0].encode()))
        owner = ranked[0][0] if ranked else None
        on_paper = owners[name]["ACCOUNTABLE"] + owners[name]["RESPONSIBLE"]
        findings = []
        if owner is not None and total >= min_interactions:
            if owner not in on_paper:
                findings.append("DE_FACTO_OWNER_NOT_RESPONSIBLE")
            if owner in cx and any(f not in cx for f in on_paper):
                findings.append("CX_CARRIES_OWNED_TOUCHPOINT")
        share = lambda f: None if total == 0 else counts[f] / total  # noqa: E731
        result[name] = {
            "interactions": total,
            "shares": [[f, c, c / total] for f, c in ranked],
            "deFactoOwner": owner,
            "accountable": sorted([[f, counts[f], share(f)] for f in owners[name]["ACCOUNTABLE"]], key=lambda s: (-s[1], s[0].encode())),
            "responsible": sorted([[f, counts[f], share(f)] for f in owners[name]["RESPONSIBLE"]], key=lambda s: (-s[1], s[0].encode())),
            "judged": total >= min_interactions,
            "findings": findings,
        }
    return result


def kept(touchpoint, element, cases, window):
    """(opportunities, breaches) of `element` at `touchpoint`, or None if not measured."""
    within = touchpoint.get("promptWithin")
    if element == "PROMPT" and within is None:
        return None
    if element not in MEASURED:
        return None
    opportunities = breaches = 0
    for chain in cases.values():
        for here, after in zip(chain, chain[1:]):
            if here["touchpoint"] != touchpoint["name"] or not inside(after["at"], window):
                continue
            if element == "SINGLE_POINT_OF_CONTACT":
                opportunities += 1
                breaches += after["function"] != here["function"]
            elif not here["customer_action_required"]:
                opportunities += 1
                breaches += (after["at"] - here["at"]) > timedelta(seconds=seconds(within))
    return opportunities, breaches


def figures(pair):
    if pair is None:
        return {"measured": False, "opportunities": None, "breaches": None, "breachRate": None}
    opportunities, breaches = pair
    rate = breaches / opportunities if opportunities else None
    return {"measured": True, "opportunities": opportunities, "breaches": breaches, "breachRate": rate}


def months_back(at, months):
    index = at.year * 12 + at.month - 1 - months
    return at.replace(year=index // 12, month=index % 12 + 1)


def earlier(window, period):
    lower, upper = window
    if period == "PREVIOUS_PERIOD":
        # The period before (rules §5): whole months (the organization's zone is UTC)
        # give as many months before; whole days as many days; else the same length.
        midnight = lambda at: (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0)
        if midnight(lower) and midnight(upper):
            if lower.day == 1 and upper.day == 1:
                months = (upper.year - lower.year) * 12 + upper.month - lower.month
                return (months_back(lower, months), lower)
            return (lower - (upper - lower), lower)
        return (lower - (upper - lower), lower)
    # The organization's time zone is UTC: the same dates a year before.
    return (lower.replace(year=lower.year - 1), upper.replace(year=upper.year - 1))


def text(at):
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def promises(org, cases, window, compare_to):
    result = {}
    for t in org["touchpoints"]:
        promised = set(t.get("experience", []))
        for element in ELEMENTS:
            now = kept(t, element, cases, window)
            if element not in promised and now is None:
                continue
            row = {"promised": element in promised, **figures(now), "comparisons": []}
            for period in compare_to:
                then_window = earlier(window, period)
                then = figures(kept(t, element, cases, then_window))
                delta = None
                if row["breachRate"] is not None and then["breachRate"] is not None:
                    delta = row["breachRate"] - then["breachRate"]
                row["comparisons"].append({
                    "period": period,
                    "from": text(then_window[0]),
                    "to": text(then_window[1]),
                    "opportunities": then["opportunities"],
                    "breaches": then["breaches"],
                    "breachRate": then["breachRate"],
                    "breachRateDelta": delta,
                })
            result[f"{t['name']}/{element}"] = row
    return result


def main():
    org, log, cases = load()
    out = {"windows": []}
    for w in WINDOWS:
        window = (w["from"] and instant(w["from"]), w["to"] and instant(w["to"]))
        out["windows"].append({
            **w,
            "ownership": ownership(org, log, window, w["minInteractions"]),
            "promises": promises(org, cases, window, w["compareTo"]),
        })
    rendered = json.dumps(out, indent=1, ensure_ascii=False) + "\n"
    target = HERE / "chart_vs_log.json"
    if "--check" in sys.argv:
        if target.read_text() != rendered:
            sys.exit(f"{target} is out of date: run {sys.argv[0]}")
        return
    target.write_text(rendered)


if __name__ == "__main__":
    main()
