"""The score-history chart: an inline SVG drawn on the server, so it needs no script, weighs a
few hundred bytes and reads the same with JavaScript off."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT = 320, 140
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 34, 8, 10, 22


def score_chart(
    points: list[tuple[str, int]],
    low: int,
    high: int,
    labels: list[str],
    title: str,
    tiers: list[tuple[str, int]] = (),  # type: ignore[assignment]
) -> Markup:
    """A line through ``points`` (already in time order) between ``low`` and ``high``, with
    ``labels`` under the first and last points and a dashed line at each tier's threshold."""
    if not points:
        return Markup("")
    # Zoomed to the person's own scores (with a margin, in steps of 50) so that a change of
    # a few points is visible, never beyond the score's range.
    values = [s for _, s in points]
    bottom = max(low, (min(values) - 50) // 50 * 50)
    top = min(high, -((-(max(values) + 50)) // 50) * 50)
    span = max(top - bottom, 1)
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(i: int) -> float:
        return PAD_LEFT + (inner_w * i / max(len(points) - 1, 1))

    def y(value: int) -> float:
        return PAD_TOP + inner_h * (1 - (value - bottom) / span)

    line = " ".join(f"{x(i):.1f},{y(s):.1f}" for i, (_, s) in enumerate(points))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP + inner_h}" '
        f'x2="{WIDTH - PAD_RIGHT}" y2="{PAD_TOP + inner_h}"/>',
    ]
    for name, threshold in tiers:
        if bottom < threshold < top:
            ty = y(threshold)
            parts.append(
                f'<line class="tier" x1="{PAD_LEFT}" y1="{ty:.1f}" '
                f'x2="{WIDTH - PAD_RIGHT}" y2="{ty:.1f}"/>'
                f'<text class="tick" x="{WIDTH - PAD_RIGHT}" y="{ty - 2:.1f}" '
                f'text-anchor="end">{escape(name)}</text>'
            )
    for value in (bottom, top):
        parts.append(
            f'<text class="tick" x="{PAD_LEFT - 4}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{value}</text>'
        )
    parts.append(f'<polyline class="line" points="{line}"/>')
    last_x, last_y = x(len(points) - 1), y(points[-1][1])
    parts.append(f'<circle class="dot" cx="{last_x:.1f}" cy="{last_y:.1f}" r="3.5"/>')
    if labels:
        parts.append(
            f'<text class="tick" x="{PAD_LEFT}" y="{HEIGHT - 6}">{escape(labels[0])}</text>'
            f'<text class="tick" x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 6}" '
            f'text-anchor="end">{escape(labels[-1])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in it went through escape()
