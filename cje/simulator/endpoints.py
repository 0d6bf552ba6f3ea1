"""The OpenAI-compatible endpoints: models, chat completions, completions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cje.simulator.echo import GENERATED_TOKEN, ScoredText, score_text, with_generated_token
from cje.simulator.generation import draw_numbers, generate
from cje.simulator.parsing import ChatRequest, parse_chat_request, parse_completion_request
from cje.simulator.protocol import ApiError, chat_choice, chat_completion, model_list, model_object, text_completion
from cje.simulator.scoring import score, score_content
from cje.simulator.tokenizer import token_strings

if TYPE_CHECKING:
    from cje.simulator.app import SimulatorApp

Endpoint = Callable[[dict[str, object]], dict[str, object]]
_MESSAGE_OVERHEAD_TOKENS = 4


class ApiEndpoints:
    """The API endpoints of one simulator."""

    def __init__(self, app: SimulatorApp) -> None:
        self.app = app

    def endpoint(self, method: str, path: str) -> Endpoint:
        """The function serving (method, path); 404 or 405 otherwise."""
        table: dict[str, tuple[str, Endpoint]] = {
            "/v1/models": ("GET", self.models),
            "/v1/chat/completions": ("POST", self.chat),
            "/v1/completions": ("POST", self.completions),
        }
        if path.startswith("/v1/models/"):
            model = path[len("/v1/models/"):]
            return self._one_model(method, model)
        if path not in table:
            raise ApiError(404, f"Unknown path {path}.", code="unknown_url")
        allowed, function = table[path]
        if method != allowed:
            raise ApiError(405, f"{path} takes {allowed}, not {method}.", code="method_not_allowed")
        return function

    def _one_model(self, method: str, model: str) -> Endpoint:
        if method != "GET":
            raise ApiError(405, f"/v1/models/{model} takes GET.", code="method_not_allowed")

        def one(_body: dict[str, object]) -> dict[str, object]:
            self.app.router.require_model(model)
            return model_object(model)

        return one

    def models(self, _body: dict[str, object]) -> dict[str, object]:
        return model_list(self.app.router.models)

    def chat(self, body: dict[str, object]) -> dict[str, object]:
        request = parse_chat_request(body)
        prompt_tokens = _prompt_tokens(request)
        scorer = self.app.router.scorer(request.model)
        if scorer is not None:
            value = score(self.app.view, scorer, request.messages)
            content = score_content(value)
            if request.response_format == "text":
                # Outside JSON mode, models tend to wrap JSON in a Markdown fence.
                content = f"```json\n{content}\n```"
            choices = [chat_choice(i, content, "stop") for i in range(request.n)]
            completion = len(token_strings(content)) * request.n
            return chat_completion(request.model, choices, prompt_tokens, completion)
        return self._policy_chat(request, prompt_tokens)

    def _policy_chat(self, request: ChatRequest, prompt_tokens: int) -> dict[str, object]:
        app = self.app
        policy = app.router.policy(request.model, request.system)
        world = app.view.prompt(request.user)
        draws = draw_numbers(request, app.draws)
        generated = generate(world, policy, request, draws, world_seed=app.config.seed)
        app.served.record(policy, world)
        choices = [chat_choice(i, g.text, g.finish_reason) for i, g in enumerate(generated)]
        completion = sum(len(token_strings(g.text)) for g in generated)
        return chat_completion(request.model, choices, prompt_tokens, completion)

    def completions(self, body: dict[str, object]) -> dict[str, object]:
        request = parse_completion_request(body)
        app = self.app
        app.router.require_model(request.model)
        choices = []
        prompt_tokens = 0
        for index, prompt in enumerate(request.prompts):
            scored = score_text(
                prompt, model=request.model, temperature=request.temperature, router=app.router,
                view=app.view, template=app.config.chat_template,
            )
            prompt_tokens += len(scored.tokens)
            generated = ""
            if request.max_tokens == 1:
                scored = with_generated_token(scored, prompt, request.model)
                generated = GENERATED_TOKEN
            choices.append({
                "text": (prompt if request.echo else "") + generated,
                "index": index,
                "logprobs": _logprobs(scored, request.logprobs, request.echo, len(prompt)),
                "finish_reason": "length",
            })
        completion = request.max_tokens * len(request.prompts)
        return text_completion(request.model, choices, prompt_tokens, completion)


def _prompt_tokens(request: ChatRequest) -> int:
    texts = [request.user] if request.system is None else [request.system, request.user]
    return sum(len(token_strings(t)) + _MESSAGE_OVERHEAD_TOKENS for t in texts)


def _logprobs(scored: ScoredText, top: int | None, echo: bool, prompt_chars: int) -> dict[str, object] | None:
    """OpenAI's legacy ``logprobs`` object; without echo, only generated tokens."""
    if top is None:
        return None
    rows = list(zip(scored.tokens, scored.offsets, scored.logprobs))
    if not echo:
        rows = [(t, o - prompt_chars, lp) for t, o, lp in rows if o >= prompt_chars]
    return {
        "tokens": [t for t, _, _ in rows],
        "token_logprobs": [lp for _, _, lp in rows],
        "text_offset": [o for _, o, _ in rows],
        # The simulator reports the chosen token as its own top alternative.
        "top_logprobs": [None if lp is None else ({t: lp} if top > 0 else {}) for t, _, lp in rows],
    }
