"""The report of a load test in reports/<name>/: a row per step as CSV and Markdown, and a chart of
latency against players."""

import csv

import psutil

CAPACITY_P95_MS = 100  # a step within this (and without errors) counts toward the capacity

COLUMNS = [
    ("players", "players"),
    ("rps", "req/s"),
    ("p50", "p50 ms"),
    ("p95", "p95 ms"),
    ("p99", "p99 ms"),
    ("server_p95", "nginx p95 ms"),
    ("errors", "errors"),
    ("stale_409", "stale 409"),
    ("server_cpu", "server CPU %"),
    ("server_rss_mb", "server RSS MB"),
    ("locust_cpu", "Locust CPU %"),
    ("load_avg", "load avg"),
]


def summary_line(row):
    return "  ".join(f"{title}={row[key]}" for key, title in COLUMNS)


def write_reports(out, rows, args):
    with (out / "report.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    workers = args.workers or "default"
    lines = [
        f"Database {args.db}, cache {args.cache}, gunicorn {args.worker_class} workers: {workers}"
        f"{' behind nginx' if args.nginx else ''}, "
        f"{args.duration} s measured per step, Locust in {args.processes} process(es) on the same machine "
        f"({psutil.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB). "
        f"CPU is % of one core.",
        "",
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + " ---: |" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(str(row[key]) for key, _ in COLUMNS) + " |" for row in rows]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    chart(out, rows, args)


def chart(out, rows, args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    players = [r["players"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 5))
    for key in ("p50", "p95", "p99"):
        ax.plot(players, [r[key] for r in rows], marker="o", label=key)
    ax.axhline(CAPACITY_P95_MS, color="grey", linestyle="--", linewidth=1, label="capacity limit (p95)")
    ax.set_xscale("log")
    ax.set_yscale("log")  # a few ms when all is well, seconds once saturated
    ax.set_xlabel("players (polling every ~5 s)")
    ax.set_ylabel("latency (ms)")
    ax.set_title(f"Killer: latency against players ({args.db}, {args.worker_class})")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.savefig(out / "latency.png", dpi=100, bbox_inches="tight")
