"""sim.outputs.provenance: the package, the results version, the commit, the platform."""

import platform

import numpy as np
import yaml
from conftest import REPO

import sim
from sim.outputs.provenance import PROVENANCE_KEYS, provenance, yaml_header


def test_provenance_names_the_code_and_the_platform():
    p = provenance()
    assert tuple(p) == PROVENANCE_KEYS
    assert p["package_version"] == sim.__version__ and p["results_version"] == sim.RESULTS_VERSION
    assert p["python_version"] == platform.python_version() and p["numpy_version"] == np.__version__
    if (REPO / ".git").exists():
        assert len(p["git_commit"]) == 40 and isinstance(p["git_dirty"], bool)


def test_the_yaml_header_is_comments_only():
    text = yaml_header({"wall_seconds": 1.5}) + "seed: 3\n"
    assert yaml.safe_load(text) == {"seed": 3}
    assert "# wall_seconds: 1.5" in text and "# results_version:" in text
