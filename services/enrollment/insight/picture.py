"""The collaboration as a picture: agencies around a circle, grouped and coloured by sector, with a chord
between each pair whose leaders met (thicker the more often; pairs across sectors dark, within a sector
pale). Drawn server-side with matplotlib's object API (no pyplot: it keeps global state and is not safe
across threads) as SVG with its text as text, so labels stay searchable and the file small.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from matplotlib import colormaps, rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from services.enrollment.insight.schemas import AgencyReach, CollaborationReport

UNKNOWN_SECTOR = "(ukjent sektor)"
# A gap between sectors around the circle, in agency positions.
SECTOR_GAP = 1.5


def _positions(agencies: Sequence[AgencyReach]) -> dict[object, float]:
    """Each agency's angle: sector by sector, with a gap between sectors."""
    slots, previous, angles = 0.0, None, {}
    ordered = sorted(agencies, key=lambda a: (a.sector or "\uffff", a.name))
    for agency in ordered:
        if previous is not None and agency.sector != previous:
            slots += SECTOR_GAP
        angles[agency.org_unit_id] = slots
        previous = agency.sector
        slots += 1
    total = max(slots, 1.0)
    return {key: math.pi / 2 - 2 * math.pi * value / total for key, value in angles.items()}


def render_svg(report: CollaborationReport, title: str) -> bytes:
    """The report's agencies and pairs as an SVG document."""
    figure = Figure(figsize=(10, 10))
    FigureCanvasSVG(figure)  # the figure draws on this canvas from now on
    axes = figure.add_axes((0.05, 0.05, 0.9, 0.85))
    axes.set_xlim(-1.6, 1.6)
    axes.set_ylim(-1.6, 1.6)
    axes.set_aspect("equal")
    axes.axis("off")
    figure.suptitle(title, fontsize=14)
    sectors = sorted({a.sector or UNKNOWN_SECTOR for a in report.agencies})
    palette = colormaps["tab10"]
    colour = {sector: palette(i % 10) for i, sector in enumerate(sectors)}
    angles = _positions(report.agencies)
    point = {key: (math.cos(angle), math.sin(angle)) for key, angle in angles.items()}
    strongest = max((p.occasions for p in report.pairs), default=1)
    for pair in sorted(report.pairs, key=lambda p: (p.cross_sector, p.occasions)):
        (x1, y1), (x2, y2) = point[pair.a.org_unit_id], point[pair.b.org_unit_id]
        # A quadratic curve bowed towards the centre: chords stay apart from the circle's edge.
        path = Path(
            [(x1, y1), (0.15 * (x1 + x2), 0.15 * (y1 + y2)), (x2, y2)],
            [Path.MOVETO, Path.CURVE3, Path.CURVE3],
        )
        axes.add_patch(
            PathPatch(
                path,
                facecolor="none",
                edgecolor="#1f3a5f" if pair.cross_sector else "#b8b8b8",
                linewidth=0.6 + 3.4 * pair.occasions / strongest,
                alpha=0.75 if pair.cross_sector else 0.6,
            )
        )
    for agency in report.agencies:
        x, y = point[agency.org_unit_id]
        sector = agency.sector or UNKNOWN_SECTOR
        axes.scatter(
            [x], [y], s=60 + 25 * agency.agencies_met, color=colour[sector], zorder=3, edgecolors="white"
        )
        angle = math.degrees(angles[agency.org_unit_id]) % 360
        flip = 90 < angle < 270
        axes.text(
            1.08 * x,
            1.08 * y,
            agency.name,
            rotation=angle + 180 if flip else angle,
            rotation_mode="anchor",
            ha="right" if flip else "left",
            va="center",
            fontsize=8,
        )
    handles = [Line2D([], [], marker="o", linestyle="", color=colour[s], label=s) for s in sectors]
    handles += [
        Line2D([], [], color="#1f3a5f", label="Møttes på tvers av sektorer"),
        Line2D([], [], color="#b8b8b8", label="Møttes innen sektoren"),
    ]
    axes.legend(handles=handles, loc="lower left", bbox_to_anchor=(-0.02, -0.05), fontsize=8, frameon=False)
    if not report.agencies:
        axes.text(0, 0, "Ingen virksomheter å vise", ha="center", va="center", fontsize=12)
    buffer = io.BytesIO()
    # Text as text, and ids that do not change between renderings of the same picture.
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "lederutvikling"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
