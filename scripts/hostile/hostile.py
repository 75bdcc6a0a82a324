"""Sends siloscope every class of hostile input a stranger or a careless export can
produce, against a running server (scripts/hostile-check.sh starts it), and checks for
each: the status, that nothing was written, that the server stays up, and the server's
peak memory (VmHWM) under the limits: 300 MiB through any single hostile request, 500 MiB
with four bombs at once.

Usage: hostile.py BASE TOKEN PID PAYLOAD_DIR
"""
import concurrent.futures
import gzip
import json
import os
import sys
import urllib.error
import urllib.request
import zlib

BASE, TOKEN, PID, DIR = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
SINGLE_MIB, FOUR_MIB = 300, 500
failures = []


def peak_mib():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("the server is gone")


def check(ok, what):
    print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)
    if not ok:
        failures.append(what)


def request(method, path, body=None, headers=None, token=TOKEN):
    """(status, text) of one request; a server that stops reading a body early and
    answers is fine, one that drops the connection without answering is not."""
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body
    if isinstance(body, str) and os.path.exists(body):
        data = open(body, "rb")
        headers["Content-Length"] = str(os.path.getsize(body))
    req = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (ConnectionResetError, BrokenPipeError, urllib.error.URLError) as error:
        return None, f"connection failed: {error}"
    finally:
        if hasattr(data, "close"):
            data.close()


def interactions():
    body = json.dumps({"query": "{ siloReport { totals { interactions } } functions(first: 100) { nodes { name } } }"})
    status, text = request("POST", "/graphql", body.encode(), {"Content-Type": "application/json"})
    data = json.loads(text)["data"]
    return data["siloReport"]["totals"]["interactions"], len(data["functions"]["nodes"])


def alive():
    status, _ = request("GET", "/livez", token=None)
    return status == 200


def payload(name, make):
    path = os.path.join(DIR, name)
    if not os.path.exists(path):
        make(path + ".part")
        os.rename(path + ".part", path)
    return path


def gzip_of(path, head, filler, size):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = filler * ((1 << 20) // len(filler))
    with open(path, "wb") as out:
        out.write(compressor.compress(head))
        for _ in range(size // len(block)):
            out.write(compressor.compress(block))
        out.write(compressor.flush())


def plain_of(path, head, filler, size):
    block = filler * ((1 << 20) // len(filler))
    with open(path, "wb") as out:
        out.write(head)
        for _ in range(size // len(block)):
            out.write(block)


CSV_HEAD = b"case_ref,occurred_at,function\nC1,2026-01-01T00:00:00Z,"
os.makedirs(DIR, exist_ok=True)
payloads = {
    "gzip, one 4 GiB CSV field": ("format=csv", payload("giant-field.csv.gz", lambda p: gzip_of(p, CSV_HEAD, b"x", 4 << 30))),
    "gzip, 4 GiB of NUL bytes": ("format=csv", payload("nul.csv.gz", lambda p: gzip_of(p, b"", b"\0", 4 << 30))),
    "plain, one 64 MiB CSV field": ("format=csv", payload("giant-field.csv", lambda p: plain_of(p, CSV_HEAD, b"y", 64 << 20))),
    "gzip, one 2 GiB XES attribute": ("format=xes", payload("giant-attribute.xes.gz", lambda p: gzip_of(
        p, b'<log><trace><string key="concept:name" value="', b"z", 2 << 30))),
    "gzip, one 2 GiB OCEL string": ("format=ocel&case_type=ticket", payload("giant-string.jsonocel.gz", lambda p: gzip_of(
        p, b'{"objects": [{"id": "', b"w", 2 << 30))),
}
# Small hostile documents, written each run.
laughs = '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n' + "".join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)
) + ']>\n<log><trace><string key="concept:name" value="&lol9;"/><event><string key="org:group" value="&lol9;"/>' \
    '<date key="time:timestamp" value="2026-01-01T00:00:00Z"/></event></trace></log>'
xxe = '<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' \
    '<log><trace><string key="concept:name" value="&xxe;"/><event><string key="org:group" value="&xxe;"/>' \
    '<date key="time:timestamp" value="2026-01-01T00:00:00Z"/></event></trace></log>'
deep_xml = "<log>" + "<list key=\"k\">" * 100_000 + "</list>" * 100_000 + "</log>"
deep_json = '{"objects": ' + "[" * 100_000 + "]" * 100_000 + "}"
ragged = "external_id,case_ref,occurred_at,function\nr1,C1,2026-01-01T00:00:00Z,Sales\nr2,C2,2026-01-01T01:00:00Z,Sales,surplus,more\n"
unterminated = "external_id,case_ref,occurred_at,function,note\nr1,C1,2026-01-01T00:00:00Z,Sales,\"opened\n" + "r2,C2,2026-01-01T01:00:00Z,Sales,x\n" * 200_000
small = {
    "billion laughs (XES)": ("format=xes", laughs.encode()),
    "XXE (XES)": ("format=xes", xxe.encode()),
    "100k-deep XML nesting": ("format=xes", deep_xml.encode()),
    "100k-deep JSON nesting (OCEL)": ("format=ocel&case_type=ticket", deep_json.encode()),
    "ragged CSV": ("format=csv", ragged.encode()),
    "unterminated quote (CSV)": ("format=csv", unterminated.encode()),
}

before = interactions()
print(f"server pid {PID}, peak {peak_mib():.0f} MiB before", flush=True)


def import_once(name, query, body):
    status, text = request("POST", f"/import/interactions?{query}", body)
    return name, status, text


for name, (query, body) in list(payloads.items()) + list(small.items()):
    name, status, text = import_once(name, query, body)
    check(status == 422, f"{name}: refused with 422 (got {status}: {text[:160]})")
    check("root:" not in text, f"{name}: nothing of the machine's files in the answer")
    check(alive(), f"{name}: the server is up")
    check(interactions() == before, f"{name}: nothing was written")
    peak = peak_mib()
    check(peak < SINGLE_MIB, f"{name}: peak RSS {peak:.0f} MiB < {SINGLE_MIB} MiB")

# The feedback door: the same bounded readers, the same limits.
FEEDBACK_HEAD = b"external_id,case_ref,kind,at,answered_at,score,channel,comment\nf1,C1,COMPLAINT,2026-01-01T00:00:00Z,,,,"
feedback = {
    "feedback: gzip, one 1 GiB CSV field": payload("feedback-giant-field.csv.gz", lambda p: gzip_of(p, FEEDBACK_HEAD, b"x", 1 << 30)),
    "feedback: plain, one 64 MiB CSV field": payload("feedback-giant-field.csv", lambda p: plain_of(p, FEEDBACK_HEAD, b"y", 64 << 20)),
    "feedback: unterminated quote": (FEEDBACK_HEAD + b'"opened\n' + b"f2,C2,COMPLAINT,2026-01-01T00:00:00Z,,,,x\n" * 200_000),
}


def feedback_count():
    body = json.dumps({"query": "{ voiceReport { figures { surveys { overall { offered } } complaints { total } } } }"})
    status, text = request("POST", "/graphql", body.encode(), {"Content-Type": "application/json"})
    figures = json.loads(text)["data"]["voiceReport"]["figures"]
    return sum(s["overall"]["offered"] for s in figures["surveys"]) + figures["complaints"]["total"]


for name, body in feedback.items():
    status, text = request("POST", "/import/feedback", body)
    check(status == 422, f"{name}: refused with 422 (got {status}: {text[:160]})")
    check(alive(), f"{name}: the server is up")
    check(feedback_count() == 0, f"{name}: nothing was written")
    peak = peak_mib()
    check(peak < SINGLE_MIB, f"{name}: peak RSS {peak:.0f} MiB < {SINGLE_MIB} MiB")

# A SCIM filter of 10,000 characters, deeply nested: refused before it is parsed.
nested = "(" * 5_000 + 'userName eq "a"' + ")" * 5_000
status, text = request("GET", "/scim/v2/Users?" + urllib.parse.urlencode({"filter": nested}))
check(status == 400 and "invalidFilter" in text, f"10,000-character SCIM filter: 400 invalidFilter (got {status}: {text[:160]})")
status, _ = request("GET", "/scim/v2/Users?" + urllib.parse.urlencode({"filter": nested}), token=None)
check(status == 401, f"the same filter without a credential: 401 before any parsing (got {status})")
check(alive(), "SCIM filter: the server is up")

# Four bombs at once.
bombs = [(n, *payloads[n]) for n in list(payloads)[:4]]
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    results = list(pool.map(lambda b: import_once(*b), bombs))
for name, status, text in results:
    check(status == 422, f"at once: {name}: 422 (got {status})")
check(alive(), "four at once: the server is up")
check(interactions() == before, "four at once: nothing was written")
peak = peak_mib()
check(peak < FOUR_MIB, f"four bombs at once: peak RSS {peak:.0f} MiB < {FOUR_MIB} MiB")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print(f"every hostile input refused; peak RSS {peak:.0f} MiB")
