from __future__ import annotations

from credo.portal.charts import score_chart


def test_the_chart_draws_every_point_and_escapes_its_text() -> None:
    points = [(f"2026-{m:02d}-01T00:00:00Z", 300 + 10 * m) for m in range(1, 13)]
    svg = str(
        score_chart(
            points,
            0,
            1000,
            ["Jan <2026>", "Dec"],
            "Score & history",
            [("silver", 450), ("gold", 600)],
        )
    )
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    polyline = svg.split('points="')[1].split('"')[0]
    assert len(polyline.split()) == 12
    assert "Score &amp; history" in svg
    assert "Jan &lt;2026&gt;" in svg
    assert 'class="tier"' in svg


def test_no_points_no_chart() -> None:
    assert str(score_chart([], 0, 1000, [], "t")) == ""


def test_the_chart_zooms_to_the_scores_within_the_range() -> None:
    svg = str(score_chart([("a", 320), ("b", 330)], 0, 1000, [], "t", [("gold", 600)]))
    assert ">250<" in svg  # the lowest tick: 320 less a margin, in steps of 50
    assert ">400<" in svg
    assert 'class="tier"' not in svg  # 600 is outside what is drawn
    edge = str(score_chart([("a", 10), ("b", 990)], 0, 1000, [], "t"))
    assert ">0<" in edge
    assert ">1000<" in edge
