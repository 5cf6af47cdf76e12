"""One PNG per scenario from a results document (matplotlib, drawn off-screen)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def draw(report: dict[str, Any], directory: Path, stem: str) -> list[Path]:
    scenarios = report["scenarios"]
    drawn = [
        _listing(scenarios["listing"], directory / f"{stem}-listing.png"),
        _rush(scenarios["rush"], directory / f"{stem}-rush.png"),
        _propagation(scenarios["propagation"], directory / f"{stem}-propagation.png"),
        _event_bus(scenarios["event_bus"], directory / f"{stem}-event-bus.png"),
        _hr_sync(
            scenarios["hr_sync"], report["targets"]["hr_sync_seconds"], directory / f"{stem}-hr-sync.png"
        ),
    ]
    plt.close("all")
    return drawn


def _save(figure: Any, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _listing(listing: dict[str, Any], path: Path) -> Path:
    rates = listing["requests_per_second"]
    names = ["floor", "direct", "gateway", "nginx"]
    labels = ["floor\n(FastAPI+asyncpg)", "catalogue\ndirect", "through\nthe gateway", "through\nnginx"]
    figure, axes = plt.subplots(figsize=(7, 4))
    bars = axes.bar(labels, [rates[n] for n in names], color=["#999999", "#2a6fbb", "#d9822b", "#4c9a2a"])
    # The ratios the run reports (medians over its rounds), not the ratios of these mean rates.
    reported = listing["ratios"]
    ratios = {
        "floor": 1 / reported["direct_vs_floor"],
        "direct": 1.0,
        "gateway": reported["gateway_vs_direct"],
        "nginx": reported["nginx_vs_direct"],
    }
    for bar, name in zip(bars, names, strict=True):
        ratio = ratios[name]
        axes.annotate(
            f"{rates[name]:.0f}/s\n{ratio:.2f}× direct",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    axes.set_ylabel("requests per second")
    axes.set_title(f"Catalogue listing ({listing['rows']} rows, {listing['connections']} connections, wrk)")
    axes.margins(y=0.2)
    return _save(figure, path)


def _cdf(axes: Any, values: list[float], label: str) -> None:
    ordered = sorted(values)
    axes.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], label=label)


RUSHES = {
    "per_request_floor": "per-request floor",
    "batched_floor": "batched floor",
    "direct": "enrollment service",
    "gateway": "through the gateway",
    "gateway_with_coordinators": "gateway, coordinator acting",
}


def _rush(rush: dict[str, Any], path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(7, 4))
    for key, label in RUSHES.items():
        run = rush[key]
        _cdf(
            axes,
            run["latencies_ms"],
            f"{label}: {run['requests_per_second']}/s, p99 {run['latency_ms']['p99']} ms",
        )
    axes.set_xlabel("latency (ms, client side, from when all were wanted)")
    axes.set_ylabel("share of requests")
    axes.set_title(f"Enrollment rush: {rush['requests']} requests for {rush['seats']} seats", fontsize=10)
    axes.legend(fontsize=8)
    return _save(figure, path)


def _propagation(propagation: dict[str, Any], path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(7, 4))
    for name, values in propagation["samples_ms"].items():
        _cdf(axes, values, f"{name} (p99 {propagation['by_subscription_ms'][name]['p99']} ms)")
    axes.axvline(100, color="red", linestyle=":", label="target p99 100 ms")
    axes.set_xlabel("commit of the enrollment → commit of the consumer's handling (ms)")
    axes.set_ylabel("share of events")
    fence = propagation.get("fence_wait_ms", {})
    axes.set_title(
        "Event propagation during the rush"
        + (f" (waiting for the fence: p50 {fence['p50']} ms, p99 {fence['p99']} ms)" if fence else ""),
        fontsize=10,
    )
    axes.legend(fontsize=8)
    return _save(figure, path)


def _event_bus(bus: dict[str, Any], path: Path) -> Path:
    curve = bus["curve"]
    seconds = [point["seconds"] for point in curve]
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(seconds, [p["published"] for p in curve], label="published")
    axes.plot(seconds, [p["consumed"] for p in curve], label="consumed")
    axes.plot(seconds, [p["published"] - p["consumed"] for p in curve], label="lag", linestyle="--")
    axes.set_xlabel("seconds")
    axes.set_ylabel("events")
    axes.set_title(
        f"Event bus: {bus['published_per_second']:.0f}/s published, "
        f"{bus['consumed_per_second']:.0f}/s consumed by one subscription"
    )
    axes.legend()
    return _save(figure, path)


def _hr_sync(sync: dict[str, Any], target: float, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(7, 3))
    left = 0.0
    for name, seconds in sync["seconds"].items():
        axes.barh(["full sync"], [seconds], left=left, label=f"{name} {seconds:.1f} s")
        left += seconds
    axes.axvline(target, color="red", linestyle=":", label=f"target {target:.0f} s")
    axes.set_xlabel("seconds")
    axes.set_title(f"HR full sync of {sync['people']:,} people through the gateway")
    axes.legend(fontsize=8)
    return _save(figure, path)
