"""Raw dataset -> processed dataset: read exports, normalise, validate, pseudonymise, write.

Modules
-------
config     the data contract (``contract.yml``) and a dataset's ``dataset.yml``, loaded and checked
readers    CSV / XLSX / Google Forms / KoboToolbox exports into string frames with source rows
validate   parse and check values, rows and references; problems name file, row, column, rule
privacy    keyed NIP pseudonyms, key resolution, free-text scrubbing
pipeline   the run: read, check, quarantine, write ``data/processed/<dataset>/`` atomically
"""

from .pipeline import PARTICIPANT_KEY, IngestResult, ingest, run_checks

__all__ = ["PARTICIPANT_KEY", "IngestResult", "ingest", "run_checks"]
