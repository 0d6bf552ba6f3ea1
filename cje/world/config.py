"""Parameters of a simulated world in which every policy's true value is known.

The world, per prompt: ``n_candidates`` candidate responses. Each candidate has a
latent appeal ``q`` that policies act on, a judge score (a noisy, biased,
monotone reading of ``q`` on a 0.05 grid), and an oracle mean quality that is a
fixed monotone function of the judge's *honest* reading plus a response-level
idiosyncrasy. So the judge is a noisy view of the oracle, and the judge score is
a sufficient surrogate for ordinary responses: the judge->oracle map is the same
under every policy, which is the assumption calibration relies on.

*Deceptive* candidates break that assumption on purpose: the judge sees them
through a boost (they flatter the judge), while their oracle quality follows the
honest reading. A policy that prefers them fools the judge, as ``unhelpful``
does with real judges.

Each policy is a softmax over the candidates, logits
``slope * q + idiosyncrasy + deceptive_bias * deceptive`` divided by the sampling
temperature, so the log-probability of a response under a policy is exact and
importance weights are exact ratios.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PolicyBehaviour:
    """How one policy chooses among the candidate responses of a prompt.

    ``shares_noise_with`` names a policy whose idiosyncratic preferences this
    one partly shares (``noise_correlation``); a correlation of 1 with the same
    slope and bias makes an exact clone. ``quality_curvature`` > 0 makes the
    policy prefer middling responses (logits fall with the squared distance of
    the appeal from the prompt's mean), so its weights are not monotone in the
    judge score.
    """

    name: str
    quality_slope: float
    deceptive_bias: float
    noise_sd: float = 1.0
    shares_noise_with: str | None = None
    noise_correlation: float = 0.0
    temperature: float = 0.7
    quality_curvature: float = 0.0


def default_behaviours() -> tuple[PolicyBehaviour, ...]:
    """The five policies of the experiment, with the logging policy first."""
    return (
        PolicyBehaviour("base", quality_slope=0.8, deceptive_bias=-3.0),
        PolicyBehaviour(
            "clone", quality_slope=0.8, deceptive_bias=-3.0,
            shares_noise_with="base", noise_correlation=1.0,
        ),
        PolicyBehaviour(
            "parallel_universe_prompt", quality_slope=1.05, deceptive_bias=-3.5,
            shares_noise_with="base", noise_correlation=0.6,
        ),
        PolicyBehaviour(
            "premium", quality_slope=1.0, deceptive_bias=-3.5,
            shares_noise_with="base", noise_correlation=0.3,
        ),
        PolicyBehaviour("unhelpful", quality_slope=-0.8, deceptive_bias=4.0),
    )


@dataclass(frozen=True)
class WorldConfig:
    """Everything that defines a world, apart from the random seed.

    ``overlap`` scales how far each target policy's logits stray from the
    logging policy's: 0 makes every policy a copy of the logger, values above 1
    give poorer overlap and heavier weight tails. ``judge_boost`` is how much
    deceptive responses flatter the judge (0: nobody fools the judge).
    ``judge_prompt_bias`` adds a bias to the judge that grows with the prompt's
    difficulty (the judge over-scores answers to hard prompts), so the judge ->
    oracle map depends on which prompts a policy answers well.
    ``logger_unsupported`` is how many of the ordinary candidates the logging
    policy (practically) never writes: targets that write them open a support
    gap. ``constant_judge`` makes the judge give every response the same score;
    ``blind_judge`` makes its scores noise unrelated to quality (the oracle
    still follows the honest reading the judge no longer reports).
    """

    n_candidates: int = 12
    n_deceptive: int = 2
    difficulty_mean: float = 0.9
    difficulty_sd: float = 0.8
    quality_sd: float = 1.0
    deceptive_quality_shift: float = -2.0
    judge_slope: float = 1.4
    judge_noise: float = 0.5
    judge_boost: float = 3.0
    oracle_exponent: float = 1.35
    oracle_idiosyncrasy: float = 0.08
    oracle_noise: float = 0.10
    overlap: float = 1.0
    judge_prompt_bias: float = 0.0
    logger_unsupported: int = 0
    constant_judge: bool = False
    blind_judge: bool = False
    logging_policy: str = "base"
    behaviours: tuple[PolicyBehaviour, ...] = field(default_factory=default_behaviours)

    def __post_init__(self) -> None:
        names = [b.name for b in self.behaviours]
        if len(set(names)) != len(names):
            raise ValueError(f"policy names must be unique, got {names}")
        if self.logging_policy not in names:
            raise ValueError(f"logging policy {self.logging_policy!r} is not among {names}")
        if not 0 <= self.n_deceptive < self.n_candidates:
            raise ValueError("n_deceptive must be in [0, n_candidates)")
        if not 0 <= self.logger_unsupported < self.n_candidates - self.n_deceptive:
            raise ValueError("logger_unsupported must leave the logger at least one ordinary candidate")
        for b in self.behaviours:
            if b.shares_noise_with is not None and b.shares_noise_with not in names:
                raise ValueError(f"{b.name} shares noise with unknown policy {b.shares_noise_with}")

    @property
    def policies(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.behaviours)

    @property
    def target_policies(self) -> tuple[str, ...]:
        return tuple(p for p in self.policies if p != self.logging_policy)

    def behaviour(self, name: str) -> PolicyBehaviour:
        for b in self.behaviours:
            if b.name == name:
                return b
        raise KeyError(f"unknown policy {name!r}; the world has {self.policies}")
