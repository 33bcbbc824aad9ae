"""Stage: FEC-Bench scoring: TEM, AutoDQ, n-gram metrics, judge scores and the report (fda score)."""
