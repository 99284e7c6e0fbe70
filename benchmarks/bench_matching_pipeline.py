"""Quality of introductions, run end to end through eventnet's own commands.

For each contact log in ../shared/datasets (with its metadata where it has one): turn it into a
workload with ../shared/tools/contacts_to_scans.py, then in a fresh instance (its own folder and
SQLite database) run

    eventnet db upgrade
    eventnet organizers create ... --password-stdin
    eventnet events create ...
    eventnet attendees import SLUG attendees.csv --consent introductions --consent followup
    eventnet scans import SLUG scans.csv
    eventnet followups export SLUG --format json > export.json
    eventnet attendees export SLUG --format json > attendees.json

and score the export with ../shared/tools/eval_introductions.py. The follow-up export names a
suggested person by attendee id only (a suggestion carries no address until both said yes);
the evaluator matches people by email, so each suggestion gets its address from the
organizer's attendee list first (``with_addresses``). Prints the evaluator's
output for each log, then a table of eventnet's precision@k against the best baseline under the
same exposure cap (the evaluator's capped common neighbours and Adamic-Adar), and the ratios as
a JSON last line. The shared data is read in place, never copied into the repository.

    .venv/bin/python benchmarks/bench_matching_pipeline.py [--k 5] [--logs SFHH HT09 WS16 InVS15]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# log -> (contact file, metadata file or None), under ../shared/datasets
LOGS = {
    "SFHH": ("sociopatterns/tij_SFHH.dat", None),
    "HT09": ("sociopatterns/tij_HT09.dat", None),
    "WS16": ("gesis/tij_WS16.dat", "gesis/metadata_WS16.dat"),
    "InVS15": ("sociopatterns/tij_InVS15.dat", "sociopatterns/metadata_InVS15.dat"),
}
EVENTNET = str(Path(sys.executable).with_name("eventnet"))


def run(cmd: list[str], env: dict[str, str], *, stdin: str | None = None,
        stdout: object = None) -> subprocess.CompletedProcess[str]:
    """Run a command, failing loudly with its stderr."""
    result = subprocess.run(cmd, env=env, input=stdin, text=True, cwd=ROOT,
                            stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return result


def pipeline(name: str, log: Path, metadata: Path | None, k: int) -> tuple[str, dict[str, object]]:
    """The evaluator's output for one log, and its summary line."""
    with tempfile.TemporaryDirectory(prefix=f"eventnet-{name}-") as tmp:
        work, instance = Path(tmp) / "workload", Path(tmp) / "instance"
        env = dict(os.environ)
        env.update({"EVENTNET_INSTANCE_PATH": str(instance),
                    "EVENTNET_DATABASE_URL": f"sqlite:///{instance / 'eventnet.sqlite3'}",
                    "EVENTNET_MAIL_BACKEND": "file", "EVENTNET_MAIL_SYNC": "0"})
        env.pop("EVENTNET_BROKER_URL", None)
        timings: dict[str, float] = {}

        def step(label: str, cmd: list[str], check: str = "", **kwargs: object) -> None:
            start = time.perf_counter()
            result = run(cmd, env, **kwargs)  # type: ignore[arg-type]
            timings[label] = time.perf_counter() - start
            if check and check not in (result.stdout or "") + (result.stderr or ""):
                sys.exit(f"{label}: expected {check!r} in the output of {' '.join(cmd)}")

        meta = ["--metadata", str(metadata)] if metadata else []
        step("workload", [sys.executable, str(SHARED / "tools" / "contacts_to_scans.py"),
                          str(log), "--out", str(work), *meta])
        slug = name.lower()
        step("db upgrade", [EVENTNET, "db", "upgrade"])
        step("organizer", [EVENTNET, "organizers", "create", "bench@example.org",
                           "--name", "Bench", "--password-stdin"],
             stdin="benchmark password 123\n")
        step("event", [EVENTNET, "events", "create", slug, "--name", name,
                       "--organizer", "bench@example.org", "--timezone", "UTC"])
        # These attendees never saw a registration form: record the consents a registration
        # would have asked for (an import records none unless told), so they may be suggested.
        step("attendees import", [EVENTNET, "attendees", "import", slug,
                                  str(work / "attendees.csv"), "--consent", "introductions",
                                  "--consent", "followup"])
        step("scans import", [EVENTNET, "scans", "import", slug, str(work / "scans.csv")])
        export = Path(tmp) / "export.json"
        with export.open("w") as out:
            step("followups export", [EVENTNET, "followups", "export", slug, "--format",
                                      "json"], stdout=out)
        attendees = Path(tmp) / "attendees.json"
        with attendees.open("w") as out:
            step("attendees export", [EVENTNET, "attendees", "export", slug, "--format",
                                      "json"], stdout=out)
        with_addresses(export, attendees)
        result = run([sys.executable, str(SHARED / "tools" / "eval_introductions.py"),
                      str(work), str(export), "--k", str(k)], env)
        steps = ", ".join(f"{label} {seconds:.1f}s" for label, seconds in timings.items())
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        return f"== {name} ({log.name}) ==\n{result.stdout.rstrip()}\n(steps: {steps})\n", summary


def with_addresses(export: Path, attendees: Path) -> None:
    """Give each suggestion of the follow-up export its address, from the attendee list."""
    emails = {a["id"]: a["email"] for a in json.loads(attendees.read_text())["attendees"]}
    data = json.loads(export.read_text())
    for row in data["attendees"]:
        for suggestion in row["introductions"]:
            suggestion["email"] = emails[suggestion["id"]]
    export.write_text(json.dumps(data))


def main() -> None:
    """Run the pipeline for each log; print the evaluator's output, then the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--logs", nargs="+", choices=sorted(LOGS), default=list(LOGS))
    args = parser.parse_args()
    table: dict[str, dict[str, object]] = {}
    for name in args.logs:
        contacts, metadata = LOGS[name]
        log = SHARED / "datasets" / contacts
        meta = SHARED / "datasets" / metadata if metadata else None
        if not log.exists() or (meta and not meta.exists()):
            sys.exit(f"missing {log}: the shared datasets are not next to the project")
        text, summary = pipeline(name, log, meta, args.k)
        print(text, flush=True)
        table[name] = summary
    print(f"| workload | eventnet p@{args.k} | best capped baseline | ratio | max exposure "
          "| full lists |")
    print("| --- | --- | --- | --- | --- | --- |")
    ratios = []
    for name, s in table.items():
        ratio = float(s["ratio_to_best_capped_baseline"])  # type: ignore[arg-type]
        ratios.append(ratio)
        best = f"{s['best_capped_baseline_precision']:.3f} ({s['best_capped_baseline']})"
        print(f"| {name} | {s['eventnet_precision']:.3f} | {best} | {ratio:.2f} "
              f"| {s['eventnet_max_exposure']} | {float(s['eventnet_full_lists']):.2f} |")  # type: ignore[arg-type]
    print(json.dumps({"ratios": {n: round(r, 3) for n, r in zip(table, ratios, strict=True)},
                      "mean_ratio": round(sum(ratios) / len(ratios), 3),
                      "min_ratio": round(min(ratios), 3)}))


if __name__ == "__main__":
    main()
