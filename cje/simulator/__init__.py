"""An offline OpenAI-compatible server backed by a simulated world with known truth.

Start it with ``python -m cje.simulator --port 0`` or, in Python::

    with run_simulator(SimulatorConfig(policies=routes, judge_model=..., oracle_model=...)) as sim:
        client = openai.OpenAI(base_url=sim.base_url, api_key="x")

Endpoints:

* ``GET /v1/models``;
* ``POST /v1/chat/completions``: a policy (model + system prompt) answers with
  one of the prompt's candidate responses, drawn from its world distribution
  (``endpoints``); the judge and oracle answer ``{"score": n}`` with the
  world's scores;
* ``POST /v1/completions`` with ``echo``, ``logprobs`` and ``max_tokens`` 0
  or 1: token log-probs of a rendered chat whose assistant span sums exactly
  to the world's ``log pi(response | prompt)``;
* ``GET /v1/simulator/truth``, ``GET /v1/simulator/stats``,
  ``GET|POST /v1/simulator/faults``, ``POST /v1/simulator/reset``.

Any prompt text has a world: its candidates are drawn from a generator seeded
by the world seed and the text (``world_view``). Faults (``faults``) can be
injected at configured rates or scheduled one request at a time.

Modules: ``config`` (what it serves, request routing), ``protocol`` (the wire
format), ``tokenizer``, ``world_view`` (a prompt's candidates and their
texts), ``endpoints`` (what the API answers), ``faults``, ``control`` (the
``/v1/simulator/`` endpoints: truth, stats, scheduled faults), ``server``
(request handling and HTTP), ``cli`` (``python -m cje.simulator``).
"""

from cje.simulator.config import SimulatorConfig, SimulatorConfigError, build_policy_routes
from cje.simulator.faults import Fault, FaultConfig, FaultSpecError
from cje.simulator.server import RunningSimulator, run_simulator

__all__ = [
    "Fault",
    "FaultConfig",
    "FaultSpecError",
    "RunningSimulator",
    "SimulatorConfig",
    "SimulatorConfigError",
    "build_policy_routes",
    "run_simulator",
]
