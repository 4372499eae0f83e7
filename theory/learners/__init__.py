"""Learning systems that reinforce routines on proxies (specifications; see :mod:`.base`).

Examples
--------
>>> from incentive_geometry.theory import learners
>>> learners.__name__
'incentive_geometry.theory.learners'
"""

from __future__ import annotations

__all__: list[str] = []
