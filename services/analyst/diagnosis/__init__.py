"""Offline diagnosis from evidence: failure signatures as reviewed data, readings of the numbers in the text,
the platform's own facts and precedents → ranked hypotheses and one honest outcome (act, benign, a human)."""

from services.analyst.diagnosis.catalog import Knowledge, load, shipped
from services.analyst.diagnosis.engine import Diagnosis, Hypothesis, diagnose, prepare, rank
from services.analyst.diagnosis.evidence import Evidence, Platform, PreviousFix

__all__ = ["Diagnosis", "Evidence", "Hypothesis", "Knowledge", "Platform", "PreviousFix", "diagnose", "load", "prepare",
           "rank", "shipped"]
