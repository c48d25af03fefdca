"""ASN training evaluation workbook: ingest, validate, evaluate, plot and render."""

__version__ = "0.1.0"
