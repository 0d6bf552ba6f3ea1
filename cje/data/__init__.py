"""Dataset files: loading, validation, scales and the columnar tables."""

from cje.data.load import load_dataset
from cje.data.tables import Dataset, FreshTable, LoggedTable

__all__ = ["Dataset", "FreshTable", "LoggedTable", "load_dataset"]
