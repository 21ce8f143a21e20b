"""Measured reports: each script here (python -m bench.NAME) measures one thing on this machine and writes
bench/reports/NAME.md through bench.report, exiting non-zero when a bound is missed. `make bench` runs them all."""
