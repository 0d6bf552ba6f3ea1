"""Talking to OpenAI-compatible endpoints, one idea per module.

* ``endpoints``: a ``policy_config`` role plus environment overrides → ``Endpoint``
  (its key a redacted ``Secret``);
* ``client``: ``make_client``, then ``chat`` and ``echo_logprobs`` returning
  frozen results or raising ``RequestFailed``;
* ``retry``: the single ``RetryPolicy`` every call goes through;
* ``ratelimit``: a requests-per-minute ``RateLimiter``;
* ``concurrency``: ``run_tasks`` with bounded concurrency and a clean Ctrl-C;
* ``errors``: the typed errors above.
"""
