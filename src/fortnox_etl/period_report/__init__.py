"""The period report: one self-contained HTML page per client and period beside its SIE file, read from staging."""
