"""arena-cje: calibrated off-policy estimates of an oracle metric for LLM policies."""

# Before anything heavy: a Ctrl-C while one of this project's programs starts up
# exits quietly (see cje.cli.ctrl_c; it does nothing when cje is merely imported).
from cje.cli import ctrl_c as _ctrl_c  # noqa: F401
