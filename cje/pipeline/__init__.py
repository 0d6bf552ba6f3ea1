"""The data-generation pipeline, one idea per module, in the order a run reads:

* ``settings``: run, request and role settings, per-model request details;
* ``records``: where files live, stable hashes, which stored rows are finished work;
* ``prompts`` (+ ``default_prompts.jsonl``): the seeded prompt sample and its sources;
* ``runner``: the request machinery, a step's jobs and what it reports;
* ``generation``: each policy's response to each prompt, and regeneration of failures;
* ``scoring``: judge scores and the oracle slice;
* ``logprobs``: teacher-forced log-probs of the logging policy's responses;
* ``dataset``: the ``responses/`` views and ``cje_dataset.jsonl``;
* ``plan``: what a run would do and cost, from the files alone (``--dry-run``);
* ``run``: every step in order;
* ``errors``: the typed errors scripts turn into messages.

Resuming, by content: every request's outcome is appended at once to an
append-only log keyed by ``prompt_id`` (``generations/``, ``scores/``,
``logprobs/``; ``cje.io.store``), each row recording the BLAKE2b hashes of the
prompt and response texts it was computed from and of its settings.
``records`` decides, row by row, what a step must redo: missing, failed,
computed from another text, or (unless ``--skip-existing``) with other
settings. Logs are compacted and views rewritten atomically when a step ends.
"""
