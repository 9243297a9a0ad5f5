"""experiments/research/_common.py: the worked examples' pages and figures are written atomically."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from conftest import load_script  # noqa: E402


def test_pages_and_figures_land_whole_in_the_docs_folder(tmp_path, monkeypatch, capsys):
    common = load_script("experiments/research/_common.py")
    monkeypatch.setattr(common, "DOCS", tmp_path)
    table = common.markdown_table(pd.DataFrame({"a": [1.23456], "b": ["x"]}), ".2f")
    page = common.write_doc("page.md", table)
    assert page.read_text() == "| a | b |\n|---|---|\n| 1.23 | x |\n"
    assert "| 1.23 | x |" in capsys.readouterr().out
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    png = common.save_figure(fig, "fig.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and fig.number not in plt.get_fignums()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png", "page.md"]  # no temporary left
