"""Run the simulator: ``python -m cje.simulator --port 8000``."""

from cje.simulator.cli import main

if __name__ == "__main__":
    main(prog_name="python -m cje.simulator")
