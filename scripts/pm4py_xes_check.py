"""The exported XES, read by PM4Py, gives siloscope's handover-of-work network.

Loads the test fixture into a running siloscope (org.json through GraphQL, the log
through POST /import/interactions), exports the log as XES, has PM4Py read it and
discover the handover-of-work network (beta = 0, org:group as the resource, as
docs/rules.md section 3.5 defines it), and compares every weight with
`handoffNetwork { handoverOfWork }`. PM4Py is a test oracle here, never a dependency.

Usage: pm4py_xes_check.py URL TOKEN FIXTURE_DIR WORK_DIR
"""

import json
import sys
import urllib.request

import pm4py


def call(url, token, path, body=None, content_type="application/json"):
    request = urllib.request.Request(url + path, data=body, method="POST" if body is not None else "GET")
    request.add_header("Authorization", "Bearer " + token)
    if body is not None:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request) as response:
        return response.read()


def gql(url, token, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    answer = json.loads(call(url, token, "/graphql", body))
    if answer.get("errors"):
        raise SystemExit(f"GraphQL errors: {answer['errors']}")
    return answer["data"]


def main(url, token, fixture, work):
    org = json.load(open(f"{fixture}/org.json"))
    functions, touchpoints = {}, {}
    for f in org["functions"]:
        data = gql(url, token, "mutation($i: CreateFunctionInput!) { createFunction(input: $i) { function { id } } }",
                   {"i": {"name": f["name"], "isCxTeam": f["isCxTeam"], "externalId": f.get("externalId")}})
        functions[f["name"]] = data["createFunction"]["function"]["id"]
    for t in org["touchpoints"]:
        data = gql(url, token, "mutation($i: CreateTouchpointInput!) { createTouchpoint(input: $i) { touchpoint { id } } }",
                   {"i": {"name": t["name"], "channel": t["channel"]}})
        touchpoints[t["name"]] = data["createTouchpoint"]["touchpoint"]["id"]
    for r in org["responsibilities"]:
        gql(url, token, "mutation($i: AssignResponsibilityInput!) { assignResponsibility(input: $i) { userErrors { message } } }",
            {"i": {"touchpointId": touchpoints[r["touchpoint"]], "functionId": functions[r["function"]], "role": r["role"]}})
    summary = json.loads(call(url, token, "/import/interactions?format=csv",
                              open(f"{fixture}/interactions.csv", "rb").read(), "text/csv"))
    print(f"imported: {summary['recorded']} interactions")

    xes_path = f"{work}/fixture.xes"
    with open(xes_path, "wb") as out:
        out.write(call(url, token, "/export/interactions?format=xes"))
    log = pm4py.read_xes(xes_path)
    network = pm4py.discover_handover_of_work_network(
        log, beta=0, resource_key="org:group", timestamp_key="time:timestamp",
        case_id_key="case:concept:name")
    theirs = {f"{a}->{b}": float(w) for (a, b), w in network.connections.items()}

    data = gql(url, token, "{ handoffNetwork { handoverOfWork { from { name } to { name } weight } } }")
    ours = {f"{w['from']['name']}->{w['to']['name']}": w["weight"]
            for w in data["handoffNetwork"]["handoverOfWork"]}
    if set(ours) != set(theirs):
        raise SystemExit(f"edges differ: only siloscope {sorted(set(ours) - set(theirs))}, "
                         f"only PM4Py {sorted(set(theirs) - set(ours))}")
    worst = max(abs(ours[k] - theirs[k]) for k in ours)
    if worst > 1e-9:
        raise SystemExit(f"weights differ by up to {worst}")
    print(f"PM4Py's handover of work over the exported XES equals handoffNetwork: "
          f"{len(ours)} edges, largest difference {worst:.1e}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
