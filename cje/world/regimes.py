"""Hard worlds: regimes built to break an analysis the way real data does.

Each regime is a world (a :class:`WorldConfig`), how a dataset is drawn from
it, and how it is analysed. The adversarial benchmark runs every regime over
many seeds and counts how often an interval marked ``ok`` misses the truth;
the fast tests draw one seed of each and check that the analysis flags what
it must.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from cje.world.config import PolicyBehaviour, WorldConfig, default_behaviours


@dataclass(frozen=True)
class Regime:
    """A named hard world.

    ``sound_for_fresh_draws`` names the policies for which estimators that
    score fresh draws (direct, DR) can be right: there, refusing everything
    is no fix, and the benchmark checks that enough estimates stay ``ok``.
    """

    name: str
    description: str
    config: WorldConfig
    n_prompts: int = 1000
    oracle_coverage: float = 0.10
    probe_fraction: float = 0.05
    draws_per_prompt: int = 1
    logprob_noise: float = 0.0
    sound_for_fresh_draws: tuple[str, ...] = field(default=())


def _with_flatterer(base: WorldConfig, *, deceptive_bias: float) -> WorldConfig:
    """The default world with ``unhelpful`` replaced by a policy that writes
    responses the judge over-scores, often enough to look like the best."""
    behaviours = tuple(b for b in default_behaviours() if b.name != "unhelpful") + (
        PolicyBehaviour("flatterer", quality_slope=1.0, deceptive_bias=deceptive_bias),
    )
    return replace(base, behaviours=behaviours)


def _with_middling(base: WorldConfig) -> WorldConfig:
    """A target that prefers middling responses: its weights are not monotone
    in the judge score."""
    behaviours = tuple(b for b in default_behaviours() if b.name != "unhelpful") + (
        PolicyBehaviour("middling", quality_slope=0.0, deceptive_bias=-3.0, quality_curvature=2.0,
                        shares_noise_with="base", noise_correlation=0.8),
    )
    return replace(base, behaviours=behaviours)


HONEST = ("clone", "parallel_universe_prompt", "premium")

REGIMES: dict[str, Regime] = {r.name: r for r in (
    Regime("benign", "the benchmarks' default world: one policy fools the judge, 50 probe labels per policy",
           WorldConfig(), sound_for_fresh_draws=HONEST),
    Regime("fooled-judge-few-probes", "a policy that flatters the judge looks best; under 10 probe labels each",
           _with_flatterer(WorldConfig(), deceptive_bias=3.0), probe_fraction=0.006,
           sound_for_fresh_draws=HONEST),
    Regime("fooled-judge-some-probes", "the same with 10-20 probe labels per policy",
           _with_flatterer(WorldConfig(), deceptive_bias=3.0), probe_fraction=0.015,
           sound_for_fresh_draws=HONEST),
    Regime("full-labels-low-overlap", "every logged row labelled, targets far from the logger",
           WorldConfig(overlap=2.0), oracle_coverage=1.0, probe_fraction=0.0, sound_for_fresh_draws=HONEST),
    Regime("support-gap", "targets often write responses the logger never writes",
           WorldConfig(logger_unsupported=2), sound_for_fresh_draws=HONEST),
    Regime("uninformative-judge", "the judge's scores are noise",
           WorldConfig(blind_judge=True)),
    Regime("constant-judge", "the judge gives every response the same score",
           WorldConfig(constant_judge=True)),
    Regime("heavy-tailed-logprobs", "provider log-prob noise of 2 nats on a third of rows",
           WorldConfig(), logprob_noise=2.0, sound_for_fresh_draws=HONEST),
    Regime("clone-few-labels", "5% oracle with 50 probe labels: transport holds by construction for clone",
           WorldConfig(), oracle_coverage=0.05, sound_for_fresh_draws=HONEST),
    Regime("nonmonotone-weights", "a target whose weights are not monotone in the judge score",
           _with_middling(WorldConfig()), sound_for_fresh_draws=(*HONEST, "middling")),
    Regime("prompt-dependent-judge", "the judge over-scores answers to hard prompts",
           WorldConfig(judge_prompt_bias=0.8), sound_for_fresh_draws=HONEST),
    Regime("many-draws-per-prompt", "five fresh draws per prompt, fewer prompts",
           WorldConfig(), n_prompts=400, draws_per_prompt=5, sound_for_fresh_draws=HONEST),
    Regime("few-labels", "500 prompts at 5% oracle: 25 labels, below the 30 the analysis asks for (it warns)",
           WorldConfig(), n_prompts=500, oracle_coverage=0.05),
)}
