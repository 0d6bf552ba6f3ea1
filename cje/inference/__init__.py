"""Standard errors and intervals: influence functions, jackknife, bootstrap."""
