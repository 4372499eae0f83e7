"""The model library: the paper's entrenchment models and their classical analogues.

Every entry is a factory returning a :class:`~incentive_geometry.Model`; nothing here calls a
solver. :data:`MODELS` maps the name used on the command line (``incgeo show NAME``) to its
factory; each factory can be called with no arguments, and its first docstring line is the
summary ``incgeo models`` prints.

Modules: :mod:`.entrenchment` (the paper's models), :mod:`.ingredients` (the four ingredients
and ablation), :mod:`.geometry` (the gradient-angle measure), and the classical analogues in
:mod:`.economics`, :mod:`.biology`, :mod:`.organizations`, :mod:`.lockin`, :mod:`.learning`.

Examples
--------
>>> from incentive_geometry.theory import MODELS
>>> MODELS["entrenchment"]().name
'entrenchment'
"""

from __future__ import annotations

from collections.abc import Callable

from incentive_geometry.model import Model

from .architecture import EDGE_KINDS as EDGE_KINDS
from .architecture import ROLES as ROLES
from .architecture import architecture_n as architecture_n
from .architecture import canonical_architecture as canonical_architecture
from .architecture import read_architecture as read_architecture
from .architecture import to_model as to_model
from .architecture import validate_architecture as validate_architecture
from .architecture import write_architecture as write_architecture
from .biology import PriceTerms as PriceTerms
from .biology import moran_fixation_probability as moran_fixation_probability
from .biology import multilevel_selection as multilevel_selection
from .biology import price_decomposition as price_decomposition
from .biology import price_selection as price_selection
from .biology import replicator as replicator
from .biology import rock_paper_scissors as rock_paper_scissors
from .biology import traulsen_nowak_fixation as traulsen_nowak_fixation
from .biology import traulsen_nowak_selection_gradient as traulsen_nowak_selection_gradient
from .biology import traulsen_nowak_threshold as traulsen_nowak_threshold
from .capture import CAPTURE_FAMILIES as CAPTURE_FAMILIES
from .capture import capture_function as capture_function
from .capture import capture_inverse as capture_inverse
from .capture import entrenchment_capture as entrenchment_capture
from .economics import baker_distortion as baker_distortion
from .economics import baker_optimal_weight as baker_optimal_weight
from .economics import baker_surplus as baker_surplus
from .economics import hm_incentive_intensity as hm_incentive_intensity
from .economics import holmstrom_milgrom as holmstrom_milgrom
from .economics import multitask_agency as multitask_agency
from .economics import multitask_commissions as multitask_commissions
from .entrenchment import entrenchment as entrenchment
from .entrenchment import entrenchment_n as entrenchment_n
from .entrenchment import entrenchment_oscillating as entrenchment_oscillating
from .entrenchment import nested_alignment_sample as nested_alignment_sample
from .entrenchment import nested_objectives as nested_objectives
from .geometry import gradient_angle as gradient_angle
from .geometry import gradient_angle_along as gradient_angle_along
from .geometry import gradient_cosine as gradient_cosine
from .goodhart import best_of_n_kl as best_of_n_kl
from .goodhart import best_of_n_kl_quadrature as best_of_n_kl_quadrature
from .goodhart import extremal_selected_mean as extremal_selected_mean
from .ingredients import INGREDIENTS as INGREDIENTS
from .ingredients import Ingredient as Ingredient
from .ingredients import ablate as ablate
from .ingredients import ingredients as ingredients
from .learning import deep_linear_network as deep_linear_network
from .learning import multiplicative_weights as multiplicative_weights
from .learning import mw_flip_threshold as mw_flip_threshold
from .learning import saxe_learning_time as saxe_learning_time
from .learning import saxe_mode_trajectory as saxe_mode_trajectory
from .lockin import UrnPoint as UrnPoint
from .lockin import arthur_adoption as arthur_adoption
from .lockin import arthur_barriers as arthur_barriers
from .lockin import arthur_lockin_probability as arthur_lockin_probability
from .lockin import polya_urn as polya_urn
from .lockin import power_urn_limits as power_urn_limits
from .organizations import CANONICAL_NAMES as CANONICAL_NAMES
from .organizations import goodhart_conditional_mean as goodhart_conditional_mean
from .organizations import goodhart_truncated_mean as goodhart_truncated_mean
from .organizations import managerial_entrenchment as managerial_entrenchment
from .organizations import regressional_goodhart as regressional_goodhart
from .organizations import selection_intensity as selection_intensity
from .principal import monitoring_thresholds as monitoring_thresholds
from .principal import principal_tolerates as principal_tolerates
from .selection_depth import fit_alignment as fit_alignment
from .selection_depth import fit_alignment_expression as fit_alignment_expression
from .selection_depth import fitted_chain_alignment as fitted_chain_alignment
from .selection_depth import fitted_chain_sample as fitted_chain_sample

#: Name -> factory of every model in the library; each factory works with no arguments.
MODELS: dict[str, Callable[..., Model]] = {
    # the paper's models
    "entrenchment": entrenchment,
    "entrenchment_n": entrenchment_n,
    "entrenchment_oscillating": entrenchment_oscillating,
    "nested_objectives": nested_objectives,
    # economics
    "holmstrom_milgrom": holmstrom_milgrom,
    "multitask_agency": multitask_agency,
    "baker_distortion": baker_distortion,
    # biology
    "replicator": replicator,
    "rock_paper_scissors": rock_paper_scissors,
    "price_selection": price_selection,
    "multilevel_selection": multilevel_selection,
    # organizations and measurement
    "regressional_goodhart": regressional_goodhart,
    "managerial_entrenchment": managerial_entrenchment,
    # technology lock-in
    "arthur_adoption": arthur_adoption,
    "polya_urn": polya_urn,
    # learning dynamics
    "multiplicative_weights": multiplicative_weights,
    "deep_linear_network": deep_linear_network,
}

__all__ = [
    "CANONICAL_NAMES",
    "CAPTURE_FAMILIES",
    "EDGE_KINDS",
    "INGREDIENTS",
    "MODELS",
    "ROLES",
    "Ingredient",
    "PriceTerms",
    "UrnPoint",
    "ablate",
    "architecture_n",
    "arthur_adoption",
    "arthur_barriers",
    "arthur_lockin_probability",
    "baker_distortion",
    "baker_optimal_weight",
    "baker_surplus",
    "best_of_n_kl",
    "best_of_n_kl_quadrature",
    "canonical_architecture",
    "capture_function",
    "capture_inverse",
    "deep_linear_network",
    "entrenchment",
    "entrenchment_capture",
    "entrenchment_n",
    "entrenchment_oscillating",
    "extremal_selected_mean",
    "fit_alignment",
    "fit_alignment_expression",
    "fitted_chain_alignment",
    "fitted_chain_sample",
    "goodhart_conditional_mean",
    "goodhart_truncated_mean",
    "gradient_angle",
    "gradient_angle_along",
    "gradient_cosine",
    "hm_incentive_intensity",
    "holmstrom_milgrom",
    "ingredients",
    "managerial_entrenchment",
    "monitoring_thresholds",
    "moran_fixation_probability",
    "multilevel_selection",
    "multiplicative_weights",
    "multitask_agency",
    "multitask_commissions",
    "mw_flip_threshold",
    "nested_alignment_sample",
    "nested_objectives",
    "polya_urn",
    "power_urn_limits",
    "price_decomposition",
    "price_selection",
    "principal_tolerates",
    "read_architecture",
    "regressional_goodhart",
    "replicator",
    "rock_paper_scissors",
    "saxe_learning_time",
    "saxe_mode_trajectory",
    "selection_intensity",
    "to_model",
    "traulsen_nowak_fixation",
    "traulsen_nowak_selection_gradient",
    "traulsen_nowak_threshold",
    "validate_architecture",
    "write_architecture",
]
