"""Sphinx configuration of the incentive-geometry documentation (markdown pages, myst-parser).

Build: ``python -m sphinx -W -b html docs docs/_build`` (tests/test_docs_build.py builds it into
a temporary folder with warnings as errors).
"""

project = "incentive-geometry"
author = "incentive-geometry contributors"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
master_doc = "index"
exclude_patterns = ["_build"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
# Pages link the repository's files (README.md, SECURITY.md, examples/) by relative path: those
# are not documents of the site.
suppress_warnings = ["myst.xref_missing"]
html_theme = "alabaster"
