"""The data-generation pipeline, one idea per module, in the order a run reads:

* ``settings``: run, request and role settings; ``paths``: where files live;
* ``prompts`` (+ ``prompt_sources``, ``default_prompts.jsonl``): the seeded prompt sample;
* ``generation``: each policy's response to each prompt;
* ``scoring`` (+ ``selection``, ``models``): judge scores and the oracle slice;
* ``logprobs`` (+ ``teacher_forcing``): log-probs of the logging policy's responses;
* ``views``: logs merged into ``responses/{policy}_responses.jsonl``;
* ``dataset``: ``cje_dataset.jsonl``, refusing values of other texts;
* ``regenerate``: failures per policy and error type;
* ``run``: every step in order.

Resuming, by content: every request's outcome is appended at once to an
append-only log keyed by ``prompt_id`` (``generations/``, ``scores/``,
``logprobs/``; ``cje.io.store``), each row recording the BLAKE2b hashes of the
prompt and response texts it was computed from and of its settings.
``staleness`` decides, row by row, what a step must redo: missing, failed,
computed from another text, or (unless ``--skip-existing``) with other
settings. Logs are compacted and views rewritten atomically when a step ends.
``connections`` holds the shared request machinery, ``runner`` runs a step's
requests concurrently and appends their rows, ``progress`` describes a step
to the scripts that draw it.
"""
