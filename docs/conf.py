"""Sphinx configuration of the colearn documentation.

Build (from the repository root, after ``pip install ".[docs]"``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "colearn"
author = "the colearn authors"
copyright = "2025, the colearn authors"
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "cli_reference",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# Markdown pages (MyST): tables, ``$math$``, definition lists, anchors for headings.
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "attrs_inline"]
myst_heading_anchors = 3

# API reference: one page per module, generated from the docstrings (numpydoc and Google style).
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
napoleon_numpy_docstring = True
napoleon_google_docstring = True
napoleon_use_rtype = False

html_theme = "pydata_sphinx_theme"
html_title = "colearn"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_depth": 3,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}

# Packages whose ``__init__`` only re-exports names defined in submodules get no member list (each
# name is documented once, in the module that defines it); packages that define functions of their
# own list only those.
autosummary_context = {
    "namespace_packages": [
        "analysis",
        "analysis.report",
        "repro",
        "repro.data",
        "repro.training",
        "repro.runs",
        "repro.cli",
        "colearn",
    ],
    "packages": ["repro.data.loaders", "repro.training.models", "repro.runs.executors"],
}
