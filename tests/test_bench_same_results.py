"""experiments/bench/same_results.py: runs scenarios here and at a git revision and compares frames."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import REPO, load_script

TINY = ["--consumers", "300", "--stores", "5", "--days", "3"]


def _load():
    return load_script("experiments/bench/same_results.py")


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                    reason="needs the project's git checkout")
def test_the_same_revision_gives_identical_frames(capsys):
    assert _load().main(["--against", "HEAD", "--scenarios", "default", *TINY]) == 0
    assert "1 of 1 scenarios identical" in capsys.readouterr().out


def test_a_difference_is_reported_and_fails(monkeypatch, capsys):
    module = _load()
    daily = pd.DataFrame({"visits": [1, 2]})
    calls = []

    def fake_frames(root, out, args):
        calls.append(root)
        visits = [1, 2] if len(calls) == 1 else [1, 3]  # the other revision first, then this tree
        return {"default": (pd.DataFrame({"visits": visits}), daily)}

    monkeypatch.setattr(module, "frames_at", fake_frames)
    monkeypatch.setattr(module.subprocess, "run", lambda *a, **k: None)  # no worktree
    assert module.main(["--against", "HEAD", "--scenarios", "default", *TINY]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT" in out and "0 of 1" in out
