"""Judge and oracle replies: the world's scores of the candidate being rated.

The scorer reads (prompt, response) back from the messages built by
``cje.scoring_prompt``, looks the response up among the prompt's candidates
(a response cut short by ``max_tokens`` counts as its candidate), and answers
``{"score": n}`` on 0-100:

* the judge: the candidate's ``judge_score`` x 100, deterministic;
* the oracle: a label drawn around the candidate's ``oracle_center`` with the
  world's oracle noise (clipped to [0, 1]) x 100, from a generator seeded by
  (world seed, prompt, response), so the same response always gets the same
  label.

A response that is no candidate of its prompt gets the judge's lowest score
(10) and an oracle label drawn around 0.
"""

from __future__ import annotations

import json

import numpy as np

from cje.scoring_prompt import ScoringPromptError, parse_scoring_messages
from cje.simulator.protocol import bad_request
from cje.simulator.routes import Scorer
from cje.simulator.seeds import stable_seed
from cje.simulator.world_view import WorldView
from cje.world.draw import draw_oracle_labels

UNKNOWN_JUDGE_SCORE = 0.10
UNKNOWN_ORACLE_CENTER = 0.0
BAD_JUDGE_REPLY = "I would rate this response as fairly good overall, maybe a seven out of ten."


def score(view: WorldView, scorer: Scorer, messages: tuple[dict[str, object], ...]) -> float:
    """The score on 0-100 that ``scorer`` gives the response framed in ``messages``."""
    try:
        prompt, response = parse_scoring_messages(list(messages))
    except ScoringPromptError as error:
        raise bad_request(f"the simulated {scorer} reads only cje.scoring_prompt messages: {error}",
                          "messages") from None
    world = view.prompt(prompt)
    match = world.match(response)
    if scorer == "judge":
        value = UNKNOWN_JUDGE_SCORE if match is None else float(world.candidates.judge_score[0, match.index])
        # The judge's grid is 0.05; rounding removes float noise such as 35.00000000000001.
        return round(100.0 * value, 6)
    center = UNKNOWN_ORACLE_CENTER if match is None else float(world.candidates.oracle_center[0, match.index])
    rng = np.random.default_rng(stable_seed("oracle", view.world_seed, prompt, response))
    label = float(draw_oracle_labels(np.array([center]), view.config, rng)[0])
    return 100.0 * label


def score_content(value: float) -> str:
    """The reply content for a score: ``{"score": n}``, n an integer when whole."""
    number: float | int = int(value) if float(value).is_integer() else value
    return json.dumps({"score": number})
