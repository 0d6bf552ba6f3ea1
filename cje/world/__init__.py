"""A simulated world with known policy values: the statistical simulator."""

from cje.world.config import PolicyBehaviour, WorldConfig, default_behaviours
from cje.world.simulate import SimulatedDataset, simulate_dataset, write_simulated_dataset
from cje.world.truth import population_truth

__all__ = [
    "PolicyBehaviour",
    "SimulatedDataset",
    "WorldConfig",
    "default_behaviours",
    "population_truth",
    "simulate_dataset",
    "write_simulated_dataset",
]
