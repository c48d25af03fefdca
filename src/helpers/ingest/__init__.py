"""Raw dataset -> processed dataset: read exports, normalise, validate, pseudonymise, write.

Modules
-------
contract      the data contract (``contract.yml``): tables, columns, types, rules; ``TABLES``
dataset_spec  a dataset's ``dataset.yml``: regions, period, files and how to read them, checked
readers       CSV / XLSX / Google Forms / KoboToolbox exports into string frames with source rows
parsers       one cell's text into a typed value (numbers, dates, Likert, ...) or a clear error
rules         column, row, duplicate and reference checks; problems name file, row, column, rule
privacy       keyed NIP pseudonyms, key resolution, free-text scrubbing
slips         quarantine so widespread that it names a slip in dataset.yml (ingest stops)
pipeline      the run: read, check, quarantine, write ``data/processed/<dataset>/`` atomically
"""

from .pipeline import PARTICIPANT_KEY, IngestResult, ingest, run_checks, slips

__all__ = ["PARTICIPANT_KEY", "IngestResult", "ingest", "run_checks", "slips"]
