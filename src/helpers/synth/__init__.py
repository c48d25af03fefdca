"""Seeded generators of the synthetic datasets, in the raw contract format.

The data is invented. Effects are planted on purpose so that tests can check that the analyses
recover them; they are listed in ``dataset.yml``. A handful of rows break the contract on
purpose so that every run exercises quarantine, and participants carry names and 18-digit NIPs
so that every run exercises pseudonymisation.

Modules
-------
catalogue  regions, programmes, planted effects, names and texts (data only)
generator  draws the rows and writes the dataset folder (the sample, or N times its people)
truths     the truth of each planted effect for the estimand a report computes
national   the national-scale dataset: the sample's four regions plus 506 invented kabupaten/kota,
           drawn by whole arrays and written block by block (``asn-eval synth --scale national``)
"""

from .catalogue import DEFAULT_SEED, GAIN_BY_METHOD, REGIONS, SERVICE_SERIES
from .generator import dataset_yaml, generate, write_dataset
from .national import NATIONAL_NAME, write_national

__all__ = [
    "DEFAULT_SEED",
    "GAIN_BY_METHOD",
    "NATIONAL_NAME",
    "REGIONS",
    "SERVICE_SERIES",
    "dataset_yaml",
    "generate",
    "write_dataset",
    "write_national",
]
