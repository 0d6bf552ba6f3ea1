"""Planning an experiment: how many prompts and oracle labels a goal needs."""
