"""Learning systems that reinforce routines on proxies (specifications; see :mod:`.base`).

A learner is a seeded stochastic update rule with the canonical parameters (``alpha``,
``theta``, ``b``, ``gamma``, ``c``) and a step ``eta``. Learners whose step is a finite list of
outcomes (:func:`cross_learning`, :func:`policy_gradient`, :func:`moran`) are data: their mean
field and diffusion are derived by :func:`incentive_geometry.solvers.symbolic.mean_field.mean_field`
and :func:`~incentive_geometry.solvers.symbolic.mean_field.diffusion`. Simulating learners is a
numerical solver: :func:`incentive_geometry.solvers.numeric.train.train`.

Examples
--------
>>> from incentive_geometry.theory import learners
>>> learners.cross_learning(k=2)
<Learner 'cross_learning': 4 outcomes, states (x), parameters (alpha=1, theta=0.3, b=0.2, gamma=1, c=1, eta=0.01)>
"""

from __future__ import annotations

from .base import Learner as Learner
from .base import Outcome as Outcome
from .discrete import cross_learning as cross_learning
from .discrete import moran as moran
from .discrete import moran_fixation as moran_fixation
from .discrete import policy_gradient as policy_gradient
from .neural import in_context as in_context
from .neural import mixture_of_experts as mixture_of_experts

__all__ = [
    "Learner",
    "Outcome",
    "cross_learning",
    "in_context",
    "mixture_of_experts",
    "moran",
    "moran_fixation",
    "policy_gradient",
]
