"""PM4Py's handover-of-work network over a CSV log (case,time,group).

Prints JSON: seconds to read the log, seconds to discover the network, and the
weights keyed "From->To". Used by benches/scale.rs; beta = 0 and org:group as the
resource, as docs/rules.md §3.5 defines handover-of-work.
"""

import json
import sys
import time

import pandas as pd
import pm4py


def main(path: str) -> None:
    started = time.perf_counter()
    frame = pd.read_csv(path, dtype={"case": str, "group": str})
    frame["time"] = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
    frame["org:group"] = frame["group"]
    frame = pm4py.format_dataframe(
        frame, case_id="case", activity_key="group", timestamp_key="time"
    )
    loaded = time.perf_counter()
    network = pm4py.discover_handover_of_work_network(
        frame,
        beta=0,
        resource_key="org:group",
        timestamp_key="time:timestamp",
        case_id_key="case:concept:name",
    )
    discovered = time.perf_counter()
    weights = {f"{a}->{b}": float(w) for (a, b), w in network.connections.items()}
    json.dump(
        {
            "load_seconds": loaded - started,
            "discover_seconds": discovered - loaded,
            "weights": weights,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1])
