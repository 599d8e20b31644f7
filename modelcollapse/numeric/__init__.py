"""Numeric layer: numpy/scipy Monte Carlo samplers, estimators with standard errors, statistical checks.

Imports only numpy, scipy, the standard library and :mod:`modelcollapse._validation` -- never SymPy
nor :mod:`modelcollapse.symbolic` / :mod:`modelcollapse.proofs`.

Modules
-------
:mod:`~modelcollapse.numeric.gaussian1d`  the 1-D Gaussian model-collapse simulator (:func:`simulate`)
:mod:`~modelcollapse.numeric.estimators`  :class:`Estimate`, mergeable :class:`MomentSummary`, per-chain statistics
:mod:`~modelcollapse.numeric.executors`   chunking, seeding and executor plumbing (:func:`run_chunks`)
:mod:`~modelcollapse.numeric.stats`       z-scores, p-values, Bonferroni/Holm, power and chain counts
"""

from modelcollapse.numeric.estimators import STATISTICS as STATISTICS
from modelcollapse.numeric.estimators import Estimate as Estimate
from modelcollapse.numeric.estimators import MomentSummary as MomentSummary
from modelcollapse.numeric.estimators import chain_statistics as chain_statistics
from modelcollapse.numeric.estimators import covariance as covariance
from modelcollapse.numeric.estimators import summarize as summarize
from modelcollapse.numeric.executors import as_seed_sequence as as_seed_sequence
from modelcollapse.numeric.executors import chunk_seeds as chunk_seeds
from modelcollapse.numeric.executors import run_chunks as run_chunks
from modelcollapse.numeric.gaussian1d import DEFAULT_CHUNK_SIZE as DEFAULT_CHUNK_SIZE
from modelcollapse.numeric.gaussian1d import ESTIMATE_KEYS as ESTIMATE_KEYS
from modelcollapse.numeric.gaussian1d import MOMENT_KEYS as MOMENT_KEYS
from modelcollapse.numeric.gaussian1d import SimulationResult as SimulationResult
from modelcollapse.numeric.gaussian1d import Trajectories as Trajectories
from modelcollapse.numeric.gaussian1d import simulate as simulate
from modelcollapse.numeric.stats import bonferroni_alpha as bonferroni_alpha
from modelcollapse.numeric.stats import chains_for_power as chains_for_power
from modelcollapse.numeric.stats import detectable_deviation as detectable_deviation
from modelcollapse.numeric.stats import holm as holm
from modelcollapse.numeric.stats import two_sided_p as two_sided_p
from modelcollapse.numeric.stats import z_score as z_score
from modelcollapse.numeric.stats import ZTest as ZTest
from modelcollapse.numeric.stats import z_test as z_test
from modelcollapse.numeric.stats import z_threshold as z_threshold

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ESTIMATE_KEYS",
    "MOMENT_KEYS",
    "STATISTICS",
    "Estimate",
    "MomentSummary",
    "SimulationResult",
    "Trajectories",
    "as_seed_sequence",
    "bonferroni_alpha",
    "chain_statistics",
    "chains_for_power",
    "chunk_seeds",
    "covariance",
    "detectable_deviation",
    "holm",
    "run_chunks",
    "simulate",
    "summarize",
    "two_sided_p",
    "z_score",
    "ZTest",
    "z_test",
    "z_threshold",
]
