"""Shared helpers of the pipeline tests: a simulator of the experiment's
policies, fast request settings, and calls to its control endpoints."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import policy_config as pc
from cje.pipeline.prompts import SHIPPED_PROMPTS, PromptSpec, prepare_prompts
from cje.pipeline.records import DataPaths, Prompt
from cje.pipeline.settings import ApiSettings, ResumeMode, Roles, RunSettings
from cje.simulator import FaultConfig, SimulatorConfig, build_policy_routes
from cje.world.config import WorldConfig

REPO = Path(__file__).resolve().parents[2]
ROLES = Roles(policies=dict(pc.POLICIES), logging_policy=pc.LOGGING_POLICY, judge=pc.JUDGE, oracle=pc.ORACLE)
CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"


def sim_config(*, latency_ms: float = 0.0) -> SimulatorConfig:
    world = WorldConfig()
    routes = build_policy_routes(((n, r.model, r.system_prompt) for n, r in pc.POLICIES.items()), world)
    return SimulatorConfig(policies=routes, judge_model=pc.JUDGE.model, oracle_model=pc.ORACLE.model,
                           world=world, population_prompts=2_000, faults=FaultConfig(latency_ms=latency_ms))


def env_for(sim) -> dict[str, str]:
    """Environment that points every role at the simulator."""
    return {"CJE_BASE_URL": sim.base_url, "CJE_API_KEY": "sk-test"}


def fast_api(**changes: object) -> ApiSettings:
    """Request settings with instant retries (a 1 ms backoff base) and short timeouts."""
    settings: dict[str, object] = {"concurrency": 4, "retry_base_delay": 0.001, "timeout": 5.0, "batch_size": 5}
    settings.update(changes)
    return ApiSettings(**settings)  # type: ignore[arg-type]


def run_settings(**changes: object) -> RunSettings:
    settings: dict[str, object] = {"seed": 42, "max_tokens": 256, "oracle_fraction": 1.0, "probe_fraction": 0.2,
                                   "mode": ResumeMode.RESUME}
    settings.update(changes)
    return RunSettings(**settings)  # type: ignore[arg-type]


def small_prompts_file(directory: Path, n: int) -> Path:
    """The first ``n`` shipped prompts as a prompts file of its own."""
    path = directory / "prompts_source.jsonl"
    path.write_text("".join(SHIPPED_PROMPTS.read_text(encoding="utf-8").splitlines(keepends=True)[:n]),
                    encoding="utf-8")
    return path


def prepared_prompts(data_dir: Path, n: int, *, seed: int = 42) -> list[Prompt]:
    source = small_prompts_file(data_dir.parent, n)
    spec = PromptSpec(n_samples=n, seed=seed, prompts_file=source)
    return prepare_prompts(spec, DataPaths(data_dir), mode=ResumeMode.RESUME).prompts


def control(sim, method: str, path: str, body: object | None = None) -> dict:
    connection = http.client.HTTPConnection(sim.host, sim.port, timeout=10)
    try:
        connection.request(method, f"/v1/simulator/{path}", None if body is None else json.dumps(body),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        data = json.loads(response.read())
        assert response.status == 200, data
        return data
    finally:
        connection.close()


def schedule(sim, faults: list[dict]) -> None:
    control(sim, "POST", "faults", faults)


def stats(sim) -> dict:
    return control(sim, "GET", "stats")


def reset(sim) -> None:
    control(sim, "POST", "reset")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
