"""One-page HTML reports (sim/outputs/html_report.py): self-contained, the plain sentences first."""

import re

from sim.config import from_dict
from sim.outputs.html_report import page, run_page
from sim.studies.compare import compare
from sim.studies.report import write_comparison


def _cfg(**campaign):
    return from_dict({"days": 8, "population": {"size": 1200}, "stores": {"count": 8},
                      "campaign": {"push_coupon": {"start_day": 1, **campaign}}})


def _self_contained(text: str) -> None:
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", text)  # nothing fetched when opened
    assert "<script" not in text


def test_the_comparison_page_opens_with_the_verdict_and_embeds_its_figures(tmp_path):
    comp = compare(_cfg(discount=0.0, budget=0.0), _cfg(discount=0.3), reps=2)
    write_comparison(comp, tmp_path)
    text = (tmp_path / "comparison.html").read_text()
    _self_contained(text)
    assert text.count("data:image/png;base64,") == 2
    verdict = comp.verdict()[0]
    assert text.index(verdict.split(",")[0]) < text.index("<table")
    assert "money in CNY" in text


def test_the_run_page_tells_the_runs_story(tmp_path):
    from sim.engine.runner import run

    res = run(_cfg())
    res.save(tmp_path / "run")
    text = run_page(res, tmp_path / "run")
    _self_contained(text)
    assert "The brand (" in text and "contribution profit" in text and "Money by party" in text
    assert text.count("data:image/png;base64,") == 3


def test_text_is_escaped():
    text = page("<b>x</b>", ["a < b & c"], [("h", "<p>ok</p>")])
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "a &lt; b &amp; c" in text
