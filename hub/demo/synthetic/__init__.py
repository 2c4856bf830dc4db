"""Synthetic partner extracts for the demo, the tests and the benchmarks.

``generate_partners`` draws a seeded population and writes it as the police, probation, health and
housing extracts (with the errors real extracts carry) plus a Parquet truth file.
"""

from hub.demo.synthetic.generator import GeneratedExtracts, generate_partners
from hub.demo.synthetic.population import FEEDS

__all__ = ["FEEDS", "GeneratedExtracts", "generate_partners"]
